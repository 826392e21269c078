#!/usr/bin/env python3
"""Socket.IO server (python-socketio on aiohttp) driven by libsio's integration tests.

A second, independent server implementation next to tests/server/server.js: same
command line, same namespaces and behaviours, same JSON records on stdout.

    python3 tests/server/python_server.py [--ping-interval MS] [--ping-timeout MS]
                                          [--port N] [--debug]

Needs `pip install -r tests/server/requirements.txt` (python-socketio 5.x, Engine.IO
protocol 4 only). `--debug` (or PYTHON_SERVER_DEBUG=1 in the environment) logs every
Engine.IO/Socket.IO packet and every HTTP request (with its status) to stderr.

stdout is a stream of JSON records, one per line; the first one is
{"type":"listening","port":N,"version":5,"eio3":false,"impl":"python"}. The server
exits when its stdin ends, so it never outlives the test process that started it.

Where the records differ from server.js (python-socketio limits):
- `listening` has "version": 5 (python-socketio's major version; speaks Socket.IO v5 like
  socket.io 4.x) and "impl": "python".
- `welcome` is emitted from a task that waits until the namespace is connected: from
  inside the connect handler it would go out before the CONNECT reply.
- `disconnect` reasons are python-socketio's: "client disconnect" (the client left the
  namespace or closed), "server disconnect" (`kick`, `close`), "transport close",
  "transport error", "ping timeout" -- not Node's "client namespace disconnect",
  "server namespace disconnect", "forced close".
- `engine_connection` is recorded when the Engine.IO session opens (from the first
  request's environ): `query` holds the request query (a repeated key gives a list),
  `headers` the HTTP headers with lowercase `-` names (from the WSGI-style `HTTP_*` keys,
  so a header spelled with `_` shows up with `-`). There are no `engine_error` records.
- `upgrade` is recorded when a polling session completes its upgrade to WebSocket.
- `close` over polling: python-engineio queues the CLOSE packet for the next poll, but a
  GET that reaches it after the close gets HTTP 400 "Session is disconnected" instead
  (Node's engine.io flushes the CLOSE to that GET), so the client may see a transport
  error rather than the CLOSE packet.
- The handshake's `pingInterval` is `int(seconds) * 1000` in python-engineio 4.x: an
  interval under 1000 ms is advertised as 0 (and 1500 as 1000), while the server really
  pings every MS milliseconds. Use whole seconds.
- A client-side ack request is seen through a context variable set around the handler
  (python-socketio does not tell an event handler whether the client asked for an ack;
  it sends the handler's return value as the ack, and sends none when the handler
  returns `sio.not_handled`). So, as with server.js, `echo`/`ack`/`binary` ack with
  their (converted) arguments and any other event is never acked.
"""

import argparse
import asyncio
import base64
import contextvars
import json
import logging
import os
import signal
import sys
import urllib.parse

try:
    import aiohttp.web
    import engineio.async_socket
    import socketio
except ImportError as exc:  # pragma: no cover
    sys.stderr.write(
        f"python_server.py: {exc}: run `pip install -r tests/server/requirements.txt`\n")
    sys.exit(3)

NAMESPACES = ["/", "/a", "/b", "/admin"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ping-interval", type=int, default=25000, metavar="MS")
    p.add_argument("--ping-timeout", type=int, default=20000, metavar="MS")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--debug", action="store_true")
    opts = p.parse_args()
    for name in ("ping_interval", "ping_timeout", "port"):
        if getattr(opts, name) < 0:
            p.error(f"--{name.replace('_', '-')} must not be negative")
    return opts


def record(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def to_record(value):
    """Makes a received value JSON-recordable: bytes become {"_binary": base64}."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"_binary": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [to_record(v) for v in value]
    if isinstance(value, dict):
        return {k: to_record(v) for k, v in value.items()}
    return value


def from_record(value):
    """The inverse of to_record: {"_binary": base64} objects become bytes."""
    if isinstance(value, list):
        return [from_record(v) for v in value]
    if isinstance(value, dict):
        if list(value.keys()) == ["_binary"] and isinstance(value["_binary"], str):
            return base64.b64decode(value["_binary"])
        return {k: from_record(v) for k, v in value.items()}
    return value


def parse_query(qs):
    """A query string as an object: one value -> string, repeated key -> list."""
    out = {}
    for key, values in urllib.parse.parse_qs(qs, keep_blank_values=True).items():
        out[key] = values[0] if len(values) == 1 else values
    return out


def headers_of(environ):
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].lower().replace("_", "-")] = value
    for key, name in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
        if key in environ:
            headers[name] = environ[key]
    return headers


# Whether the event being handled carries an ack id (set per handler task, see below).
ACK_REQUESTED = contextvars.ContextVar("ack_requested", default=False)


class RecordingSocket(engineio.async_socket.AsyncSocket):
    """Engine.IO socket that records the completion of a polling -> WebSocket upgrade.

    python-engineio has no upgrade event: it sets `upgraded = True` while `upgrading` is
    set only when an existing (polling) session has switched to WebSocket.
    """

    @property
    def upgraded(self):
        return self.__dict__.get("_rec_upgraded", False)

    @upgraded.setter
    def upgraded(self, value):
        if value and not self.__dict__.get("_rec_upgraded") and getattr(self, "upgrading", False):
            record({"type": "upgrade", "transport": "websocket"})
        self.__dict__["_rec_upgraded"] = value


# engineio.async_server creates its sockets as `async_socket.AsyncSocket(...)`.
engineio.async_socket.AsyncSocket = RecordingSocket


class Server(socketio.AsyncServer):
    async def _handle_eio_connect(self, eio_sid, environ):
        query = parse_query(environ.get("QUERY_STRING", ""))
        record({
            "type": "engine_connection",
            "transport": query.get("transport", "polling"),
            "query": query,
            "headers": headers_of(environ),
        })
        return await super()._handle_eio_connect(eio_sid, environ)

    async def _handle_event_internal(self, server, sid, eio_sid, data, namespace, id):
        # Runs in the task that calls the application handler (async_handlers=True):
        # the context variable is visible to that handler only.
        ACK_REQUESTED.set(id is not None)
        return await super()._handle_event_internal(server, sid, eio_sid, data, namespace, id)


def make_server(opts):
    sio = Server(
        async_mode="aiohttp",
        ping_interval=opts.ping_interval / 1000.0,
        ping_timeout=opts.ping_timeout / 1000.0,
        logger=opts.debug,
        engineio_logger=opts.debug,
    )
    for ns in NAMESPACES:
        register(sio, ns)
    return sio


def register(sio, ns):
    @sio.on("connect", namespace=ns)
    async def connect(sid, environ, auth=None):
        auth_rec = to_record(auth if auth is not None else {})
        if ns == "/admin" and not (isinstance(auth, dict) and auth.get("token") == "secret"):
            record({"type": "refused", "ns": ns, "auth": auth_rec})
            # sent as CONNECT_ERROR {"message": "not authorized", "data": {"code": 401}}
            raise socketio.exceptions.ConnectionRefusedError("not authorized", {"code": 401})
        record({
            "type": "connect",
            "ns": ns,
            "sid": sid,
            "auth": auth_rec,
            "query": parse_query(environ.get("QUERY_STRING", "")),
        })
        # An emit from inside the connect handler would go out *before* the CONNECT
        # reply (python-socketio sends it once the handler returns): send the welcome
        # from a task that waits until the namespace is marked connected, which happens
        # right after the CONNECT packet is queued.
        sio.start_background_task(welcome, sid)

    async def welcome(sid):
        for _ in range(5000):
            if sio.manager.is_connected(sid, ns):
                await sio.emit("welcome", {"ns": ns, "sid": sid}, to=sid, namespace=ns)
                return
            await asyncio.sleep(0.001)

    @sio.on("disconnect", namespace=ns)
    async def disconnect(sid, reason=None):
        record({"type": "disconnect", "ns": ns, "sid": sid, "reason": reason})

    @sio.on("*", namespace=ns)
    async def any_event(event, sid, *args):
        ack = ACK_REQUESTED.get()
        record({"type": "event", "ns": ns, "sid": sid, "event": event,
                "args": to_record(list(args)), "ack": ack})
        args = list(args)
        # A tuple return value is the ack's argument list; `not_handled` sends no ack.
        no_ack = sio.not_handled

        if event == "echo":
            await sio.emit("echo", tuple(args), to=sid, namespace=ns)
            return tuple(args) if ack else no_ack
        if event == "ack":
            return tuple(args) if ack else no_ack
        if event == "ask":
            ask(sid, args)
        elif event == "kick":
            await sio.disconnect(sid, namespace=ns)
        elif event == "close":
            eio_sid = sio.manager.eio_sid_from_sid(sid, ns)
            if eio_sid is not None:
                await sio.eio.disconnect(eio_sid)
        elif event == "emit_n":
            count, name = args[0], args[1]
            for i in range(count):
                await sio.emit(name, {"i": i}, to=sid, namespace=ns)
            await sio.emit("emit_n_done", count, to=sid, namespace=ns)
        elif event == "binary":
            # Args with {"_binary": base64} objects: sent back as an event "binary" with
            # bytes in their place (and as the ack, if one was asked for).
            converted = from_record(args)
            await sio.emit("binary", tuple(converted), to=sid, namespace=ns)
            return tuple(converted) if ack else no_ack
        elif event == "broadcast" and args:
            await sio.emit(args[0], tuple(args[1:]), namespace=ns)
        # recorded only; an ack for an unknown event is deliberately never sent
        return no_ack

    def ask(sid, args):
        done = asyncio.get_running_loop().create_future()

        def reply(*reply_args):
            if not done.done():
                done.set_result(reply_args)

        async def run():
            await sio.emit("question", tuple(args), to=sid, namespace=ns, callback=reply)
            try:
                reply_args = await asyncio.wait_for(asyncio.shield(done), 5)
            except asyncio.TimeoutError:
                record({"type": "ask_timeout", "ns": ns})
            else:
                record({"type": "ask_reply", "ns": ns, "args": to_record(list(reply_args))})

        sio.start_background_task(run)


async def main():
    opts = parse_args()
    opts.debug = opts.debug or os.environ.get("PYTHON_SERVER_DEBUG", "") not in ("", "0")
    sio = make_server(opts)
    app = aiohttp.web.Application()
    sio.attach(app)
    access_log = None
    if opts.debug:
        # every HTTP request (polling GET/POST, WebSocket handshake) with its status
        access_log = logging.getLogger("aiohttp.access")
        access_log.setLevel(logging.INFO)
        access_log.addHandler(logging.StreamHandler(sys.stderr))
        access_log.propagate = False
    runner = aiohttp.web.AppRunner(app, handle_signals=False, access_log=access_log)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", opts.port)
    await site.start()
    port = runner.addresses[0][1]

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    # Never outlive the harness: stop when stdin ends or on SIGTERM/SIGINT.
    def on_stdin():
        try:
            data = os.read(sys.stdin.fileno(), 4096)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(sys.stdin.fileno())
            stop.set()

    try:
        loop.add_reader(sys.stdin.fileno(), on_stdin)
    except (OSError, ValueError, NotImplementedError):
        pass  # stdin is not pollable (e.g. /dev/null): rely on signals
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    record({"type": "listening", "port": port, "version": 5, "eio3": False, "impl": "python"})
    await stop.wait()
    # Open WebSocket/polling handlers would make a graceful shutdown linger: leave now.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main())
