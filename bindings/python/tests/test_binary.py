"""Binary arguments both ways: bytes-like values at any depth <-> buffers and placeholders."""

from support import Waiter, b64, join


def test_binary_both_ways(server, client):
    s = client().of()
    back = Waiter()
    s.on("binary", back)
    join(s)
    blob = bytes(range(256))
    s.emit("binary", "file", blob, {"parts": [bytearray(b"ab"), memoryview(b"cd")], "empty": b""})

    recorded = server.expect(lambda r: r.get("event") == "binary")["args"]
    assert recorded == ["file", b64(blob), {"parts": [b64(b"ab"), b64(b"cd")], "empty": b64(b"")}]
    # The server sends the same values back as Buffers: they arrive as bytes, in place.
    assert back.get() == ("file", blob, {"parts": [b"ab", b"cd"], "empty": b""})


def test_binary_in_acks_both_ways(server, client):
    s = client().of()
    s.on("question", lambda text: (text, b"\x00answer\xff"))
    join(s)
    # client -> server ack request, binary in the reply
    assert s.call("binary", [b"\x01\x02"], "x") == [[b"\x01\x02"], "x"]
    replies = Waiter()
    s.emit("binary", b"cb", callback=replies)
    assert replies.get() == (None, b"cb")
    # server -> client ack request, answered with binary
    s.emit("ask", "bytes?")
    reply = server.expect(lambda r: r["type"] == "ask_reply")
    assert reply["args"] == ["bytes?", b64(b"\x00answer\xff")]

