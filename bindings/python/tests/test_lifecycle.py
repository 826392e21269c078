"""Ownership and lifetime: handlers released exactly once, pending acks settled exactly once
on close/free, freeing from a handler or while another thread blocks, `with`, garbage
collection, and exceptions raised by handlers."""

import gc
import logging
import threading
import weakref

import pytest

import sio
from sio import _callbacks
from support import TIMEOUT, Waiter, join


def test_free_settles_pending_acks_exactly_once(server, client):
    c = client()
    s = c.of()
    join(s)
    replies = Waiter()
    for i in range(3):
        s.emit("never_acked", i, callback=replies)  # the server never answers these
    server.expect(lambda r: r.get("event") == "never_acked" and r["args"] == [2])
    c.free()
    # Called on the freeing thread, before free() returned.
    assert [err.code for (err,) in replies.calls] == [sio.Result.CLOSED] * 3
    assert _callbacks.live_count() == 0


def test_close_settles_pending_acks_exactly_once(server, client):
    c = client()
    s = c.of()
    join(s)
    replies = Waiter()
    s.emit("never_acked", callback=replies)
    server.expect(lambda r: r.get("event") == "never_acked")
    c.close()
    assert c.wait(TIMEOUT)
    (err,) = replies.get()
    assert err.code == sio.Result.DISCONNECTED
    c.free()
    assert len(replies.calls) == 1


def test_free_while_another_thread_blocks_in_call(server, client):
    c = client()
    s = c.of()
    join(s)
    outcome = Waiter()

    def blocked_call():
        try:
            s.call("never_acked")  # no timeout: only the free can end it
        except sio.SioError as e:
            outcome(e.code)

    caller = threading.Thread(target=blocked_call)
    caller.start()
    server.expect(lambda r: r.get("event") == "never_acked")
    c.free()
    caller.join(TIMEOUT)
    assert not caller.is_alive()
    assert outcome.get()[0] in (sio.Result.DISCONNECTED, sio.Result.CLOSED)


def test_free_from_inside_a_handler(server, client):
    c = client()
    s = c.of()
    freed = Waiter()

    @s.on("echo")
    def echo(*args):
        c.free()
        try:
            s.emit("after")
        except sio.SioError as e:
            freed(e.code)

    join(s)
    s.emit("echo", 1)
    assert freed.get() == (sio.Result.CLOSED,)
    server.expect(lambda r: r["type"] == "disconnect")
    assert server.events("after") == []


def test_handlers_are_released_exactly_once(client):
    c = client()
    s, a = c.of(), c.of("/a")
    handler = Waiter()
    released = weakref.ref(handler)
    s.on("x", handler)
    s.on("x", handler)  # replaces: the first registration is released
    s.on("connect", handler)
    a.on_any(handler)
    a.on_unhandled(handler)
    c.on_reconnect(handler)
    assert _callbacks.live_count() == 5
    s.off("x")
    a.off_any()
    assert _callbacks.live_count() == 3
    del handler
    c.free()
    assert _callbacks.live_count() == 0
    gc.collect()
    assert released() is None, "the binding let go of the handler"


def test_with_block_closes_cleanly(server):
    disconnects = Waiter()
    with sio.Client(server.url, transport="websocket") as c:
        s = c.of()
        s.on("disconnect", disconnects)
        join(s)
        s.emit("hello", "with")
    assert disconnects.calls == [("io client disconnect",)]
    assert server.expect(lambda r: r["type"] == "disconnect")["reason"] == "client namespace disconnect"
    assert server.events("hello")[0]["args"] == ["with"]
    with pytest.raises(sio.SioError):
        s.emit("x")
    assert _callbacks.live_count() == 0


def test_an_unreferenced_client_is_freed(server):
    c = sio.Client(server.url, transport="websocket")
    join(c.of())
    gone = weakref.ref(c)
    del c
    gc.collect()
    assert gone() is None
    # Freed without a goodbye: the server sees the connection drop.
    assert server.expect(lambda r: r["type"] == "disconnect")["reason"] == "transport close"
    assert _callbacks.live_count() == 0


def test_handler_exceptions_are_logged_and_dispatch_goes_on(server, client, caplog):
    s = client().of()
    got = Waiter()

    @s.on("echo")
    def echo(n):
        got(n)
        if n == 1:
            raise ZeroDivisionError("handler failed")

    def ack_callback(err, *args):
        got("ack")
        raise KeyError("ack callback failed")

    join(s)
    s.emit("echo", 1)
    s.emit("ack", callback=ack_callback)
    s.emit("echo", 2)
    assert got.wait(3) == [(1,), ("ack",), (2,)]
    failures = [r for r in caplog.records if r.name == "sio" and r.levelno == logging.ERROR]
    assert [type(r.exc_info[1]) for r in failures] == [ZeroDivisionError, KeyError]
    assert "handler of 'echo' on /" in failures[0].getMessage()
    assert "ack callback of 'ack'" in failures[1].getMessage()


def test_a_failing_answering_handler_sends_no_ack(server, client, caplog):
    s = client().of()
    s.on("question", lambda text: 1 / 0)
    join(s)
    s.emit("ask", "q")
    assert server.expect(lambda r: r["type"] in ("ask_reply", "ask_timeout"))["type"] == "ask_timeout"
    assert any(isinstance(r.exc_info[1], ZeroDivisionError) for r in caplog.records if r.exc_info)
