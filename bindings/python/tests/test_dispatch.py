"""Manual dispatch: callbacks run on the host's thread, from a `selectors` loop, asyncio's
`add_reader`, `dispatch_wait` or `wait`; freeing from a callback while dispatching."""

import asyncio
import selectors
import threading
import time

import sio
from support import TIMEOUT


def code_of(fn, *args):
    """The ``Result`` of the ``SioError`` ``fn(*args)`` raises (None if it returns)."""
    try:
        fn(*args)
    except sio.SioError as e:
        return e.code
    return None


def test_a_selectors_loop_runs_every_callback_on_its_own_thread(server, client):
    c = client(dispatch="manual")
    s = c.of()
    calls = []

    def recorder(name):
        return lambda *args: calls.append((name, threading.get_ident()))

    def auth():
        recorder("auth")()
        return {"token": "x"}

    s.set_auth(auth)
    for name in ("connect", "welcome", "echo", "disconnect"):
        s.on(name, recorder(name))

    selector = selectors.DefaultSelector()
    selector.register(c, selectors.EVENT_READ)

    def loop_until(name):
        deadline = time.monotonic() + TIMEOUT
        while name not in [n for n, _ in calls]:
            assert time.monotonic() < deadline, f"{name} not dispatched; calls: {calls}"
            for key, _ in selector.select(timeout=1):
                assert key.fileobj is c
                c.dispatch()

    s.connect()
    loop_until("welcome")
    s.emit("echo", 1, callback=recorder("ack"))
    server.expect(lambda r: r.get("event") == "echo")
    assert selector.select(timeout=TIMEOUT), "the descriptor is readable: callbacks pending"
    assert "echo" not in [n for n, _ in calls], "nothing runs until the loop dispatches"
    loop_until("ack")
    c.close()
    assert c.wait(TIMEOUT)  # runs the disconnect handler here, too
    selector.unregister(c)
    selector.close()
    assert [n for n, _ in calls] == ["auth", "connect", "welcome", "echo", "ack", "disconnect"]
    assert {t for _, t in calls} == {threading.get_ident()}
    assert c.dispatch() == 0


def test_asyncio_add_reader(server, client):
    c = client(dispatch="manual")
    s = c.of()

    async def main():
        loop = asyncio.get_running_loop()
        echoed = loop.create_future()
        s.on("echo", lambda n: echoed.set_result((n, threading.get_ident())))
        loop.add_reader(c, c.dispatch)
        try:
            s.connect()
            s.emit("echo", 5)  # held until joined
            return await asyncio.wait_for(echoed, TIMEOUT)
        finally:
            loop.remove_reader(c)

    assert asyncio.run(main()) == (5, threading.get_ident())


def test_dispatch_wait_pulls_one_callback_at_a_time(server, client):
    c = client(dispatch="manual")
    s = c.of()
    got = []
    s.on("connect", lambda sid: got.append("connect"))
    s.on("welcome", lambda info: got.append("welcome"))
    assert c.dispatch_wait(0) is False, "nothing pending"
    s.connect()
    assert c.dispatch_wait(TIMEOUT) is True
    assert got == ["connect"]
    assert c.dispatch_wait(TIMEOUT) is True
    assert got == ["connect", "welcome"]


def test_a_callback_may_free_the_client_while_it_is_dispatched(server, client):
    c = client(dispatch="manual")
    s = c.of()
    after = []

    @s.on("echo")
    def echo(n):
        c.free()  # returns at once, inside the dispatch call
        after.append(code_of(s.emit, "after"))

    s.connect()
    s.emit("echo", 1)
    deadline = time.monotonic() + TIMEOUT
    while not after:
        assert time.monotonic() < deadline
        c.dispatch_wait(1)
    assert after == [sio.Result.CLOSED]
    assert c.fileno() == -1
    assert code_of(c.dispatch) == sio.Result.CLOSED
    assert code_of(c.dispatch_wait, 0) == sio.Result.CLOSED
    server.expect(lambda r: r["type"] == "disconnect")


def test_dispatch_calls_need_manual_mode_and_refuse_inside_callbacks(server, client):
    threaded = client()
    assert code_of(threaded.fileno) == sio.Result.INVALID
    assert code_of(threaded.dispatch) == sio.Result.INVALID
    assert code_of(threaded.dispatch_wait, 0) == sio.Result.INVALID

    c = client(dispatch=sio.Dispatch.MANUAL)
    assert c.fileno() == c.fileno() >= 0
    s = c.of()
    inside = []
    s.on("connect", lambda sid: inside.extend(
        [code_of(c.dispatch), code_of(c.dispatch_wait, 0), code_of(c.wait, 0)]))
    s.connect()
    assert c.dispatch_wait(TIMEOUT)
    assert inside == [sio.Result.IN_CALLBACK] * 3


def test_wait_returns_when_a_callback_it_runs_frees_the_client(server, client):
    c = client(dispatch="manual")
    s = c.of()
    s.on("welcome", lambda info: c.free())
    s.connect()
    assert c.wait(TIMEOUT) is True
    assert c.fileno() == -1
    server.expect(lambda r: r["type"] == "disconnect")
