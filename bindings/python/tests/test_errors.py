"""Failures become SioError with the library's result code and last-error text."""

import pytest

import sio
from support import join


def error_of(fn, *args, **kwargs):
    with pytest.raises(sio.SioError) as e:
        fn(*args, **kwargs)
    assert e.value.message, "the library's last-error text is carried"
    return e.value


def test_connect_errors(server):
    assert error_of(sio.Client, None).code == sio.Result.NULL
    assert error_of(sio.Client, "ftp://127.0.0.1:1").code == sio.Result.URL
    assert error_of(sio.Client, server.url, randomization_factor=2.0).code == sio.Result.INVALID
    assert error_of(sio.Client, server.url, headers={"bad name": "x"}).code == sio.Result.INVALID
    e = error_of(sio.Client, server.url, reconnection_delay=9, reconnection_delay_max=1)
    assert e.code == sio.Result.INVALID
    with pytest.raises(TypeError, match="unknown option"):
        sio.Client(server.url, no_such_option=1)
    with pytest.raises(ValueError):
        sio.Client(server.url, connect_timeout=-1)


def test_argument_errors(server, client):
    c = client()
    s = c.of()
    assert error_of(c.of, "/x", auth=[1, 2]).code == sio.Result.JSON  # auth must be an object
    assert error_of(c.of, "/a,b").code == sio.Result.INVALID
    assert error_of(s.emit, None).code == sio.Result.NULL
    assert error_of(s.emit, "connect").code == sio.Result.RESERVED_EVENT
    assert error_of(s.on, "disconnecting", print).code == sio.Result.RESERVED_EVENT
    assert error_of(s.emit, "x", float("nan")).code == sio.Result.JSON
    e = error_of(s.emit, "x", {"_placeholder": True, "num": 0})  # references no buffer
    assert e.code == sio.Result.JSON
    assert error_of(s.emit, "\ud800").code == sio.Result.UTF8
    assert error_of(s.call, "x", "\ud800").code == sio.Result.UTF8
    never = []
    e = error_of(s.emit, "connect", callback=never.append)  # failed: the callback is released
    assert e.code == sio.Result.RESERVED_EVENT
    with pytest.raises(TypeError, match="not JSON serializable"):
        s.emit("x", object())
    with pytest.raises(ValueError, match="NUL"):
        s.emit("a\0b")
    assert never == []
    assert server.events("x") == []


def test_blocking_calls_in_handlers_raise_in_callback(client):
    c = client()
    s = c.of()
    seen = []

    @s.on("welcome")
    def welcome(info):
        for blocking in (lambda: s.call("ack", timeout=1), lambda: c.wait(1)):
            try:
                blocking()
            except sio.SioError as e:
                seen.append(e.code)

    join(s)
    s.call("ack", timeout=30)  # the welcome handler ran before this reply was dispatched
    assert seen == [sio.Result.IN_CALLBACK, sio.Result.IN_CALLBACK]


def test_calls_after_close_and_free(client):
    c = client()
    s = c.of()
    join(s)
    c.close()
    c.close()  # closing twice is not an error
    assert error_of(s.emit, "x").code == sio.Result.CLOSED
    assert error_of(s.connect).code == sio.Result.CLOSED
    assert c.wait(30)
    c.free()
    c.free()  # freeing twice does nothing
    assert error_of(s.emit, "x").code == sio.Result.CLOSED
    assert error_of(c.of, "/a").code == sio.Result.CLOSED
    assert c.wait(0) is True
