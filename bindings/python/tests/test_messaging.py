"""Connect, namespaces, emit, acks both ways, and event handlers, asserted on what the real
server recorded."""

import threading

import pytest

import sio
from support import TIMEOUT, Waiter, join


def test_connect_sends_options_and_joins_namespaces_with_auth(server, client):
    c = client(path="/socket.io", query={"room": "7"}, headers=[("X-Token", "abc")])
    root, a = c.of(), c.of("a", auth={"user": "ann"})
    assert c.of("/a") is a and a.namespace == "/a" and root.namespace == "/"
    sids = {join(root), join(a)}

    engine = server.expect(lambda r: r["type"] == "engine_connection")
    assert engine["query"]["room"] == "7" and engine["headers"]["x-token"] == "abc"
    joined = [server.expect(lambda r: r["type"] == "connect" and r["sid"] == sid) for sid in sids]
    assert {r["ns"]: r["auth"] for r in joined} == {"/": {}, "/a": {"user": "ann"}}


@pytest.mark.parametrize("transport", ["polling", "websocket", sio.Transport.AUTO])
def test_transports(server, client, transport):
    s = client(transport=transport).of()
    join(s)
    s.emit("hello", transport)
    server.expect(lambda r: r["type"] == "event" and r["event"] == "hello")
    engine = server.expect(lambda r: r["type"] == "engine_connection")
    assert engine["transport"] == ("websocket" if transport == "websocket" else "polling")


def test_refused_namespace_calls_connect_error_with_the_servers_data(server, client):
    admin = client().of("/admin", auth={"token": "wrong"})
    refused = Waiter()
    admin.on("connect_error", refused)
    admin.connect()
    assert refused.get() == ("not authorized", {"code": 401})
    assert server.expect(lambda r: r["type"] == "refused")["auth"] == {"token": "wrong"}


def test_emit_sends_json_args_in_order(server, client):
    s = client().of()
    args = [1, "two", {"three": [3, None, True]}, -1.5, "é ✓"]
    for i in range(20):
        s.emit("n", i, *args)  # held until joined, then sent in order
    join(s)
    server.expect(lambda r: r.get("event") == "n" and r["args"][0] == 19)
    assert [r["args"] for r in server.events("n")] == [[i, *args] for i in range(20)]


def test_emit_with_ack_callback_gets_the_reply_once(server, client):
    s = client().of()
    join(s)
    replies = Waiter()
    s.emit("ack", "x", {"y": 2}, callback=replies)
    assert replies.get() == (None, "x", {"y": 2})
    assert server.events("ack", count=1)[0]["ack"] is True


def test_ack_timeout_reaches_the_callback_once(server, client):
    s = client().of()
    join(s)
    replies = Waiter()
    s.emit("never_acked", 1, callback=replies, timeout=0.2)  # the server never acks it
    (err,) = replies.get()
    assert isinstance(err, sio.SioError) and err.code == sio.Result.TIMEOUT
    assert len(replies.calls) == 1


def test_call_returns_the_reply_or_raises_timeout(server, client):
    s = client().of()
    join(s)
    assert s.call("ack", "a", [1, 2], timeout=TIMEOUT) == ["a", [1, 2]]
    with pytest.raises(sio.SioError) as e:
        s.call("never_acked", timeout=0.2)
    assert e.value.code == sio.Result.TIMEOUT


def test_client_ack_timeout_option_is_the_default(client):
    s = client(ack_timeout=0.2).of()
    join(s)
    with pytest.raises(sio.SioError) as e:
        s.call("never_acked")
    assert e.value.code == sio.Result.TIMEOUT


def test_handlers_receive_events_and_decorators_work(server, client):
    s = client().of()
    welcome, anything = Waiter(), Waiter()
    s.on("welcome", welcome)

    @s.on_any
    def any_event(*args):
        anything(*args)

    sid = join(s)
    assert welcome.get() == ({"ns": "/", "sid": sid},)
    s.emit("echo", "hi", 2)
    assert anything.wait(2)[1] == ("echo", "hi", 2)


def test_unhandled_events_and_off(server, client):
    s = client().of()
    unhandled, echo = Waiter(), Waiter()
    s.on_unhandled(unhandled)
    s.on("echo", echo)
    join(s)
    s.emit("echo", 1)
    assert echo.get() == (1,)
    s.off("echo")
    s.emit("echo", 2)
    assert ("echo", 2) in unhandled.wait(2)  # `welcome` and the second `echo`
    assert echo.calls == [(1,)]


def test_server_ack_is_answered_by_the_return_value(server, client):
    s = client().of()
    s.on("question", lambda text, data: (text.upper(), data["n"] + 1))
    join(s)
    s.emit("ask", "q", {"n": 1})
    reply = server.expect(lambda r: r["type"] in ("ask_reply", "ask_timeout"))
    assert reply == {"type": "ask_reply", "ns": "/", "args": ["Q", 2]}


def test_server_ack_answered_later_from_another_thread(server, client):
    s = client().of()
    acks = Waiter()
    s.on("question", acks, ack=True)
    join(s)
    s.emit("ask", "later")
    ack, text = acks.get()
    assert text == "later"
    answer = threading.Thread(target=ack.send, args=("from", "a thread"))
    answer.start()
    answer.join()
    assert server.expect(lambda r: r["type"] == "ask_reply")["args"] == ["from", "a thread"]
    with pytest.raises(sio.SioError) as e:
        ack.send("again")
    assert e.value.code == sio.Result.NULL


def test_events_without_ack_request_get_no_ack_object(client):
    s = client().of()
    got = Waiter()
    s.on("echo", got, ack=True)
    join(s)
    s.emit("echo", 5)
    assert got.get() == (None, 5)


def test_disconnect_handler_reasons_and_reconnect_events(server, client):
    c = client(reconnection_delay=0.05, reconnection_delay_max=0.1)
    s = c.of()
    disconnects, reconnects = Waiter(), Waiter()
    s.on("disconnect", disconnects)
    c.on_reconnect(reconnects)
    first = join(s)
    connected = Waiter()
    s.on("connect", connected)

    s.emit("close")  # the server closes the connection: the client reconnects and rejoins
    assert disconnects.get() == ("transport close",)
    (second,) = connected.get()
    assert second != first
    kinds = [k for k, _, _ in reconnects.wait(2)]
    assert kinds == [sio.ReconnectEvent.ATTEMPT, sio.ReconnectEvent.SUCCESS]
    server.expect(lambda r: r["type"] == "connect" and r["sid"] == second)

    s.emit("kick")  # the server disconnects the namespace: no reconnection
    assert disconnects.wait(2)[1] == ("io server disconnect",)
    assert c.wait(TIMEOUT)
