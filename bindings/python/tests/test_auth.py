"""The auth provider (asked at every connect: a fresh token after a kick and after a server
restart), answered later from another thread or refused; a first connection retried until the
server comes up; connection state recovery."""

import itertools
import threading

import pytest

import sio
from support import TIMEOUT, Waiter, join


def admin_connects(server, count=1):
    """The auth of each connect to /admin the server recorded, once it has ``count`` of them
    (the client may hear of a join before the server's record of it is read)."""
    def connects():
        return [r["auth"] for r in server.records()
                if r["type"] == "connect" and r["ns"] == "/admin"]

    server.expect(lambda _: len(connects()) >= count)
    return connects()


def test_a_fresh_token_at_every_connect_after_kick_and_server_restart(start_server, client):
    server = start_server()
    c = client(server.url, reconnection_delay=0.1, reconnection_delay_max=0.5)
    static = {"token": "secret", "static": True}
    admin = c.of("/admin", auth=static)
    generations = itertools.count(1)
    threads = Waiter()

    @admin.set_auth
    def token():
        threads(threading.current_thread())
        return {"token": "secret", "gen": next(generations)}

    join(admin)
    assert admin_connects(server) == [{"token": "secret", "gen": 1}]
    assert threads.get()[0] is not threading.current_thread(), "asked on the dispatch thread"

    disconnected = Waiter()
    admin.on("disconnect", disconnected)
    admin.emit("kick")  # the server disconnects the socket: not retried by itself
    assert disconnected.get() == ("io server disconnect",)
    assert c.wait(TIMEOUT)
    admin.connect()
    server.expect(lambda r: r["type"] == "connect" and r["auth"].get("gen") == 2)

    port = server.port
    server.stop()  # the connection drops: reconnection, with a token asked for again
    assert disconnected.wait(2)[1] == ("transport close",)
    restarted = start_server("--port", str(port))
    restarted.expect(lambda r: r["type"] == "connect")
    assert admin_connects(restarted) == [{"token": "secret", "gen": 3}]

    admin.set_auth(None)  # removed: the auth given to `of` again
    admin.emit("kick")
    assert disconnected.wait(3)[2] == ("io server disconnect",)
    assert c.wait(TIMEOUT)
    admin.connect()
    restarted.expect(lambda r: r["type"] == "connect" and r["auth"] == static)
    assert len(threads.calls) == 3


def test_a_later_reply_from_another_thread_and_a_refusal(server, client):
    c = client()
    admin = c.of("/admin")
    requests = Waiter()
    admin.set_auth(requests, later=True)
    errors = Waiter()
    admin.on("connect_error", errors)
    connected = Waiter()
    admin.on("connect", connected)

    admin.connect()
    (request,) = requests.get()
    assert isinstance(request, sio.AuthRequest)
    admin.emit("n", 1)  # held until the reply and the join
    with pytest.raises(sio.SioError) as e:
        request.reply([1])
    assert e.value.code == sio.Result.JSON  # not an object: the request is still ours
    answer = threading.Thread(target=request.reply, args=({"token": "secret"},))
    answer.start()
    answer.join(TIMEOUT)
    connected.get()
    assert admin_connects(server) == [{"token": "secret"}]
    assert server.events("n", count=1)[0]["args"] == [1]
    assert errors.calls == []

    with pytest.raises(sio.SioError) as e:
        request.reply({"token": "again"})
    assert e.value.code == sio.Result.NULL  # answered already

    admin.disconnect()
    assert c.wait(TIMEOUT)
    admin.connect()
    requests.wait(2)[1][0].refuse()
    message, data = errors.get()
    assert "freed without a reply" in message and data is None
    assert c.wait(TIMEOUT), "refused: nothing joined"
    assert len(admin_connects(server)) == 1


def test_a_provider_that_raises_refuses_the_join(server, client, caplog):
    admin = client().of("/admin")
    admin.set_auth(lambda: 1 / 0)
    errors = Waiter()
    admin.on("connect_error", errors)
    admin.connect()
    assert "no auth" in errors.get()[0]
    assert any(isinstance(r.exc_info[1], ZeroDivisionError) for r in caplog.records if r.exc_info)
    assert admin_connects(server, 0) == []


def test_a_failed_first_connection_is_retried_until_the_server_comes_up(start_server, client):
    first = start_server()
    port = first.port
    first.stop()  # nothing listens there any more
    c = client(f"http://127.0.0.1:{port}", retry_initial_connect=True,
               reconnection_delay=0.1, reconnection_delay_max=0.3)
    reconnects = Waiter()
    c.on_reconnect(reconnects)
    s = c.of()
    connected, errors = Waiter(), Waiter()
    s.on("connect", connected)
    s.on("connect_error", errors)
    s.connect()
    reconnects.wait(2)
    assert (sio.ReconnectEvent.ERROR, 1) in [call[:2] for call in reconnects.calls]
    server = start_server("--port", str(port))
    connected.get()
    server.expect(lambda r: r["type"] == "connect")
    assert sio.ReconnectEvent.SUCCESS in [call[0] for call in reconnects.calls]
    assert errors.calls == [], "retried instead of connect_error"


def test_a_recovered_session_gets_the_missed_events_before_connect(start_server, client):
    server = start_server("--recovery")
    s = client(server.url, reconnection_delay=0.1, reconnection_delay_max=0.3).of()
    seen = Waiter()
    s.on("connect", lambda sid: seen("connect", sid, s.recovered))
    s.on("missed", lambda payload, offset: seen("missed", payload["i"], type(offset)))
    s.connect()
    sid = seen.get()[1]
    assert seen.calls == [("connect", sid, False)]
    s.emit("away", 2, "missed")  # the server drops the connection and emits while it is away
    server.expect(lambda r: r["type"] == "emitted_away")
    assert seen.wait(4)[1:] == [("missed", 0, str), ("missed", 1, str), ("connect", sid, True)]
