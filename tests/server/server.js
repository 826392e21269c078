#!/usr/bin/env node
// Socket.IO server driven by libsio's integration tests (see tests/common/mod.rs).
//
//   node tests/server/server.js [--ping-interval MS] [--ping-timeout MS] [--port N]
//                               [--allow-eio3 | --v2] [--cookie] [--max-buffer BYTES]
//                               [--break-websocket] [--recovery]
//                               [--tls-cert FILE --tls-key FILE [--tls-ca FILE]]
//
//   (default)     socket.io 4.x server (Engine.IO protocol 4 only)
//   --allow-eio3  socket.io 4.x server with `allowEIO3: true` (also accepts 2.x clients)
//   --v2          socket.io 2.x server (npm alias "socket.io-v2"; Engine.IO protocol 3 only)
//   --cookie      the handshake sets the cookie "io" (sticky sessions); every HTTP request
//                 (polling and the WebSocket handshake) is recorded as
//                 {"type":"request","transport":…,"cookie":…} (4.x only)
//   --recovery    connection state recovery on (4.x only): a client that lost its connection
//                 and comes back within 2 minutes gets its session (same sid) and the events
//                 it missed; `connect` records say `"recovered":true` then
//   --tls-cert/--tls-key  serve HTTPS; with --tls-ca, also require a client certificate
//                 signed by that CA
//
// stdout is a stream of JSON records, one per line; the first one is
// {"type":"listening","port":N,"version":2|4,"eio3":BOOL,"tls":BOOL}. The server exits when
// its stdin ends, so it never outlives the test process that started it.
//
// In --v2 mode the records have the same shapes; where 2.x lacks a feature:
// - namespace auth: 2.x clients send it as a query string on the namespace CONNECT
//   packet (`0/admin?token=secret,`), merged by 2.x into `socket.handshake.query`;
//   the `auth` field of `connect`/`refused` is that query minus the Engine.IO keys.
// - a refused namespace gets the bare message (`44/admin,"not authorized"`): a 2.x
//   server sends `err.data` *instead of* the message when it is set, so it is not
//   set for Engine.IO 3 clients (also with --allow-eio3, which behaves the same).
"use strict";

const fs = require("fs");
const http = require("http");
const https = require("https");

function parseArgs(argv) {
  const opts = {
    pingInterval: 25000, pingTimeout: 20000, port: 0, allowEIO3: false, v2: false, cookie: false, maxBuffer: 1e6,
    breakWebsocket: false, recovery: false,
    tlsCert: null, tlsKey: null, tlsCa: null,
  };
  const names = {
    "--ping-interval": "pingInterval", "--ping-timeout": "pingTimeout", "--port": "port", "--max-buffer": "maxBuffer",
  };
  const flags = {
    "--allow-eio3": "allowEIO3", "--v2": "v2", "--cookie": "cookie", "--break-websocket": "breakWebsocket",
    "--recovery": "recovery",
  };
  const files = { "--tls-cert": "tlsCert", "--tls-key": "tlsKey", "--tls-ca": "tlsCa" };
  const bad = (why) => {
    process.stderr.write(`server.js: ${why}\n`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    if (flags[argv[i]]) {
      opts[flags[argv[i]]] = true;
      continue;
    }
    const arg = argv[i + 1];
    if (files[argv[i]] && arg) {
      opts[files[argv[i]]] = arg;
    } else {
      const key = names[argv[i]];
      const value = Number(arg);
      if (!key || !Number.isInteger(value) || value < 0) bad(`bad argument ${argv[i]} ${arg ?? ""}`);
      opts[key] = value;
    }
    i++;
  }
  if (opts.v2 && opts.allowEIO3) bad("--v2 and --allow-eio3 are exclusive");
  if (opts.v2 && opts.recovery) bad("--recovery needs socket.io 4.x");
  if (!opts.tlsCert !== !opts.tlsKey || (opts.tlsCa && !opts.tlsCert)) {
    bad("--tls-cert and --tls-key go together (and --tls-ca needs them)");
  }
  return opts;
}

function record(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

// Makes a received value JSON-recordable: binary becomes {"_binary": base64},
// functions (ack callbacks) are dropped.
function toRecord(value) {
  if (Buffer.isBuffer(value)) return { _binary: value.toString("base64") };
  if (value instanceof ArrayBuffer) return { _binary: Buffer.from(value).toString("base64") };
  if (ArrayBuffer.isView(value)) {
    return { _binary: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
  }
  if (Array.isArray(value)) return value.filter((v) => typeof v !== "function").map(toRecord);
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== "function") out[k] = toRecord(v);
    }
    return out;
  }
  return value;
}

// The inverse of toRecord: `{"_binary":"<base64>"}` objects become Buffers.
function fromRecord(value) {
  if (Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map(fromRecord);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "_binary") return Buffer.from(value._binary, "base64");
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromRecord(v);
    return out;
  }
  return value;
}

const opts = parseArgs(process.argv.slice(2));
const V2 = opts.v2;
function createServer() {
  if (!opts.tlsCert) return http.createServer();
  const tls = { cert: fs.readFileSync(opts.tlsCert), key: fs.readFileSync(opts.tlsKey) };
  if (opts.tlsCa) {
    Object.assign(tls, { ca: fs.readFileSync(opts.tlsCa), requestCert: true, rejectUnauthorized: true });
  }
  return https.createServer(tls);
}

const httpServer = createServer();
httpServer.on("tlsClientError", (err) => {
  record({ type: "tls_error", code: err.code ?? null, message: err.message });
});
const engineOpts = {
  pingInterval: opts.pingInterval, pingTimeout: opts.pingTimeout, maxHttpBufferSize: opts.maxBuffer,
};
// --cookie: the server sets the sticky-session cookie "io" (as load balancers do).
if (opts.cookie) engineOpts.cookie = { name: "io", path: "/", httpOnly: true, sameSite: "lax" };
let io;
if (V2) {
  const Server = require("socket.io-v2"); // socket.io 2.x exports the Server constructor itself
  io = new Server(httpServer, engineOpts);
} else {
  const { Server } = require("socket.io");
  const recovery = opts.recovery ? { connectionStateRecovery: {} } : {};
  io = new Server(httpServer, { ...engineOpts, allowEIO3: opts.allowEIO3, ...recovery });
}

// Engine.IO query keys, left out of a 2.x namespace query to get its "auth".
const ENGINE_KEYS = new Set(["EIO", "transport", "t", "sid", "b64", "j"]);

// The namespace auth payload of a socket. 2.x has no `handshake.auth`: its clients send
// `?key=value` on the namespace CONNECT packet and it lands in `handshake.query`
// (merged over the Engine.IO request query).
function authOf(s) {
  if (!V2) return s.handshake.auth;
  const auth = {};
  for (const [k, v] of Object.entries(s.handshake.query || {})) {
    if (!ENGINE_KEYS.has(k)) auth[k] = v;
  }
  return auth;
}

if (opts.cookie && !V2) {
  io.engine.on("headers", (headers, req) => {
    const query = new URL(req.url, "http://x").searchParams;
    record({ type: "request", method: req.method, transport: query.get("transport"), cookie: req.headers.cookie ?? null });
  });
}

io.engine.on("connection", (rawSocket) => {
  rawSocket.on("upgrade", (transport) => record({ type: "upgrade", transport: transport.name }));
  record({
    type: "engine_connection",
    transport: rawSocket.transport.name,
    query: rawSocket.request._query,
    headers: rawSocket.request.headers,
  });
});

io.engine.on("connection_error", (err) => {
  record({ type: "engine_error", code: err.code, message: err.message });
});

// Event "flaky": how many times each payload was received.
const flakySeen = new Map();

function onConnection(nsp, s) {
  const ns = nsp.name;
  const sid = s.id;
  record({
    type: "connect", ns, sid, auth: toRecord(authOf(s)), query: s.handshake.query, recovered: Boolean(s.recovered),
  });
  s.emit("welcome", { ns, sid });

  if (V2) {
    // 2.x has no onAny: a socket middleware sees every incoming event as
    // [event, ...args, ack?] before it is dispatched.
    s.use((packet, next) => {
      onEvent(packet[0], packet.slice(1));
      next();
    });
  } else {
    s.onAny((event, ...args) => onEvent(event, args));
  }

  function onEvent(event, args) {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    record({ type: "event", ns, sid, event, args: toRecord(args), ack: ack !== null });

    switch (event) {
      case "echo":
        s.emit("echo", ...args);
        if (ack) ack(...args);
        break;
      case "ack":
        if (ack) ack(...args);
        break;
      case "ask":
        if (V2) {
          // no socket.timeout() in 2.x: whichever comes first is recorded
          let settled = false;
          const timer = setTimeout(() => {
            if (settled) return;
            settled = true;
            record({ type: "ask_timeout", ns });
          }, 5000);
          s.emit("question", ...args, (...reply) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            record({ type: "ask_reply", ns, args: toRecord(reply) });
          });
        } else {
          s.timeout(5000).emit("question", ...args, (err, ...reply) => {
            record(err ? { type: "ask_timeout", ns } : { type: "ask_reply", ns, args: toRecord(reply) });
          });
        }
        break;
      case "kick":
        s.disconnect();
        break;
      case "close":
        s.conn.close();
        break;
      case "away": {
        // Closes the connection (a recoverable "forced close", the socket is not told), then
        // emits `count` events `name` {i} to the socket's room while it is away.
        const [count, name] = args;
        s.once("disconnect", () => {
          for (let i = 0; i < count; i++) nsp.to(sid).emit(name, { i });
          record({ type: "emitted_away", ns, sid, count });
        });
        s.conn.close();
        break;
      }
      case "emit_n": {
        const [count, name] = args;
        for (let i = 0; i < count; i++) s.emit(name, { i });
        s.emit("emit_n_done", count);
        break;
      }
      case "trickle": {
        // [count, name, interval_ms]: emits `name` {i, t} every interval_ms (t: the server's
        // wall clock in µs since the epoch, to measure delivery latency), then `trickle_done`.
        const [count, name, interval] = args;
        let i = 0;
        const timer = setInterval(() => {
          s.emit(name, { i, t: Math.round((performance.timeOrigin + performance.now()) * 1000) });
          if (++i === count) {
            clearInterval(timer);
            s.emit("trickle_done", count);
          }
        }, interval);
        break;
      }
      case "binary": {
        // Args with {"_binary": base64} objects: sent back as an event "binary" with Buffers
        // in their place (and as the ack, if one was asked for).
        const converted = fromRecord(args);
        s.emit("binary", ...converted);
        if (ack) ack(...converted);
        break;
      }
      case "broadcast":
        nsp.emit(...args);
        break;
      case "flaky": {
        // [id, k]: the ack is withheld for the first k receptions of this payload (on any
        // connection), then given as [id, receptions] (and recorded as "flaky_ack"); every
        // reception is recorded above.
        const key = JSON.stringify(args);
        const seen = (flakySeen.get(key) ?? 0) + 1;
        flakySeen.set(key, seen);
        if (ack && seen > Number(args[1])) {
          record({ type: "flaky_ack", ns, id: args[0], receptions: seen });
          ack(args[0], seen);
        }
        break;
      }
      default:
        // recorded only; an ack for an unknown event is deliberately never called
        break;
    }
  }

  s.on("disconnect", (reason) => {
    record({ type: "disconnect", ns, sid, reason });
  });
}

for (const name of ["/", "/a", "/b", "/admin"]) {
  const nsp = io.of(name);
  if (name === "/admin") {
    nsp.use((socket, next) => {
      const auth = authOf(socket);
      if (auth && auth.token === "secret") return next();
      record({ type: "refused", ns: "/admin", auth: toRecord(auth) });
      const e = new Error("not authorized");
      // For Engine.IO 3 clients (2.x server, or 4.x with allowEIO3) the server sends
      // `err.data || err.message`: data would replace the message, so it is left out.
      if (!V2 && socket.conn.protocol !== 3) e.data = { code: 401 };
      next(e);
    });
  }
  nsp.on("connection", (s) => onConnection(nsp, s));
}

// --break-websocket: upgrades are still offered, but every WebSocket request is cut (as by a
// proxy that does not pass WebSocket): a client must stay on polling.
if (opts.breakWebsocket) {
  httpServer.removeAllListeners("upgrade");
  httpServer.on("upgrade", (req, socket) => {
    record({ type: "websocket_refused" });
    socket.destroy();
  });
}

httpServer.listen(opts.port, "127.0.0.1", () => {
  record({
    type: "listening", port: httpServer.address().port, version: V2 ? 2 : 4, eio3: V2 || opts.allowEIO3,
    tls: Boolean(opts.tlsCert),
  });
});

// Never outlive the harness: stop when stdin ends/closes or on SIGTERM.
const quit = () => process.exit(0);
process.stdin.on("end", quit);
process.stdin.on("close", quit);
process.stdin.on("error", quit);
process.stdin.resume();
process.on("SIGTERM", quit);
process.on("SIGINT", quit);
