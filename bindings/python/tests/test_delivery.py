"""Delivery options: the bounded emit buffer (BUFFER_FULL), volatile emits, the socket's ack
timeout, and at-least-once retries."""

import pytest

import sio
from support import TIMEOUT, Waiter, join


def test_an_emit_beyond_max_buffered_raises_buffer_full_and_is_not_sent(server, client):
    s = client(max_buffered=2).of()
    s.emit("held", 1)
    s.emit("held", 2)
    with pytest.raises(sio.SioError) as e:
        s.emit("held", 3)
    assert e.value.code == sio.Result.BUFFER_FULL
    assert "BUFFER_FULL" in str(e.value)
    replies = Waiter()
    with pytest.raises(sio.SioError) as e:
        s.emit("held", 4, callback=replies)
    assert e.value.code == sio.Result.BUFFER_FULL
    join(s)
    s.emit("held", 5)  # connected: sent at once
    assert [r["args"] for r in server.events("held", count=3)] == [[1], [2], [5]]
    assert replies.calls == [], "a refused emit's callback is never called"


def test_volatile_emits_are_dropped_unless_connected(server, client):
    s = client().of()
    assert s.emit("cursor", 0, volatile=True) is False  # not connected: dropped
    join(s)
    assert s.emit("cursor", 1, b"\x01", volatile=True) is True
    s.emit("after", 2)  # ordered after the volatile one on the same connection
    server.events("after", count=1)
    assert [r["args"] for r in server.events("cursor")] == [[1, {"_binary": "AQ=="}]]
    with pytest.raises(TypeError):
        s.emit("cursor", 3, volatile=True, callback=print)


def test_the_sockets_ack_timeout_applies_to_emits_without_their_own(server, client):
    c = client(ack_timeout=TIMEOUT)
    s, a = c.of(), c.of("/a")
    assert s.ack_timeout is None
    s.ack_timeout = 0.2
    assert s.ack_timeout == 0.2
    join(s)
    join(a)
    timed_out, answered = Waiter(), Waiter()
    s.emit("never_acked", callback=timed_out)
    a.emit("ack", "a", callback=answered)  # /a keeps the client's 30 s: answered
    (err,) = timed_out.get()
    assert err.code == sio.Result.TIMEOUT
    assert answered.get() == (None, "a")
    s.ack_timeout = None  # back to the client's default
    s.emit("ack", "s", callback=answered)
    assert answered.wait(2)[1] == (None, "s")


def test_retries_resend_until_the_server_acks(server, client):
    s = client(retries=3, ack_timeout=0.5).of()
    join(s)
    replies = Waiter()
    s.emit("flaky", "p1", 2, callback=replies)  # the server withholds the first 2 acks
    assert replies.get() == (None, "p1", 3)
    assert len(server.events("flaky")) == 3
    s.emit("flaky", "p2", 9, callback=replies)  # more than 3 retries: given up
    (err,) = replies.wait(2)[1]
    assert err.code == sio.Result.TIMEOUT
    assert [r["args"] for r in server.events("flaky")].count(["p2", 9]) == 4
