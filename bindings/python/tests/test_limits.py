"""Receive limits (``max_message_size``, ``max_attachments``, ``max_pending``) and
``read_coalescing``: the
values the library refuses, and clients with them set that take a stream of events, in order,
until the server sends past a limit."""

import pytest

import sio
from support import Waiter, join


def test_option_values_in_range_are_taken_and_others_refused(client):
    client("http://127.0.0.1:1", max_message_size=1, max_attachments=0, read_coalescing=0.1,
           max_pending=0)
    top = 2**64 - 1
    client("http://127.0.0.1:1", max_message_size=top, max_attachments=top, read_coalescing=0,
           max_pending=top)
    # The library's checks: above 0 bytes, at most 100 ms (100000 µs).
    for options in ({"max_message_size": 0}, {"read_coalescing": 0.100001}, {"read_coalescing": 1}):
        with pytest.raises(sio.SioError) as e:
            sio.Client("http://127.0.0.1:1", **options)
        assert e.value.code == sio.Result.INVALID, options
        assert e.value.message
    # The binding's: what the C types cannot hold (4295 s is beyond uint32 µs).
    for options in ({"max_message_size": -1}, {"max_attachments": top + 1}, {"max_pending": -1},
                    {"read_coalescing": -0.001}, {"read_coalescing": 4295}):
        with pytest.raises(ValueError, match=next(iter(options))):
            sio.Client("http://127.0.0.1:1", **options)


@pytest.mark.parametrize("limits, past, reason", [
    # max_pending 2: the stream of 20 makes the client stop and start reading again.
    ({"read_coalescing": 0, "max_message_size": 1024, "max_pending": 2}, ("echo", "x" * 1100),
     "message too large"),
    ({"read_coalescing": 0.1, "max_attachments": 1}, ("binary", b"a", b"b"),
     "too many attachments"),
])
def test_a_client_with_limits_takes_a_stream_until_the_server_passes_them(
        server, client, limits, past, reason):
    c = client(reconnection=False, **limits)
    s = c.of()
    ticks, done, echoes, binaries, gone = Waiter(), Waiter(), Waiter(), Waiter(), Waiter()
    for event, handler in (("tick", ticks), ("emit_n_done", done), ("echo", echoes),
                           ("binary", binaries), ("disconnect", gone)):
        s.on(event, handler)
    join(s)
    s.emit("emit_n", 20, "tick")
    assert done.get() == (20,)
    assert ticks.calls == [({"i": i},) for i in range(20)]
    # Within the limits: received as usual.
    s.emit("echo", "x" * 900)
    s.emit("binary", b"a")
    assert echoes.get() == ("x" * 900,)
    assert binaries.get() == (b"a",)

    s.emit(*past)
    assert gone.get() == (reason,)
    assert c.wait(10), "without reconnection the client is closed"
    assert len(echoes.calls) == len(binaries.calls) == 1
