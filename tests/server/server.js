#!/usr/bin/env node
// Socket.IO server driven by libsio's integration tests (see tests/common/mod.rs).
//
//   node tests/server/server.js [--ping-interval MS] [--ping-timeout MS] [--port N]
//                               [--tls-cert FILE --tls-key FILE [--tls-ca FILE]]
//
// With --tls-cert/--tls-key it serves HTTPS; with --tls-ca it also requires a client
// certificate signed by that CA.
//
// stdout is a stream of JSON records, one per line; the first one is
// {"type":"listening","port":N,"tls":BOOL}. The server exits when its stdin ends, so it
// never outlives the test process that started it.
"use strict";

const fs = require("fs");
const http = require("http");
const https = require("https");
const { Server } = require("socket.io");

function parseArgs(argv) {
  const opts = { pingInterval: 25000, pingTimeout: 20000, port: 0, tlsCert: null, tlsKey: null, tlsCa: null };
  const names = { "--ping-interval": "pingInterval", "--ping-timeout": "pingTimeout", "--port": "port" };
  const files = { "--tls-cert": "tlsCert", "--tls-key": "tlsKey", "--tls-ca": "tlsCa" };
  const bad = (why) => {
    process.stderr.write(`server.js: ${why}\n`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
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
const io = new Server(httpServer, { pingInterval: opts.pingInterval, pingTimeout: opts.pingTimeout });

io.engine.on("connection", (rawSocket) => {
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

function onConnection(nsp, s) {
  const ns = nsp.name;
  const sid = s.id;
  record({ type: "connect", ns, sid, auth: toRecord(s.handshake.auth), query: s.handshake.query });
  s.emit("welcome", { ns, sid });

  s.onAny((event, ...args) => {
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
        s.timeout(5000).emit("question", ...args, (err, ...reply) => {
          record(err ? { type: "ask_timeout", ns } : { type: "ask_reply", ns, args: toRecord(reply) });
        });
        break;
      case "kick":
        s.disconnect();
        break;
      case "close":
        s.conn.close();
        break;
      case "emit_n": {
        const [count, name] = args;
        for (let i = 0; i < count; i++) s.emit(name, { i });
        s.emit("emit_n_done", count);
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
      default:
        // recorded only; an ack for an unknown event is deliberately never called
        break;
    }
  });

  s.on("disconnect", (reason) => {
    record({ type: "disconnect", ns, sid, reason });
  });
}

for (const name of ["/", "/a", "/b", "/admin"]) {
  const nsp = io.of(name);
  if (name === "/admin") {
    nsp.use((socket, next) => {
      const auth = socket.handshake.auth;
      if (auth && auth.token === "secret") return next();
      record({ type: "refused", ns: "/admin", auth: toRecord(auth) });
      const e = new Error("not authorized");
      e.data = { code: 401 };
      next(e);
    });
  }
  nsp.on("connection", (s) => onConnection(nsp, s));
}

httpServer.listen(opts.port, "127.0.0.1", () => {
  record({ type: "listening", port: httpServer.address().port, tls: Boolean(opts.tlsCert) });
});

// Never outlive the harness: stop when stdin ends/closes or on SIGTERM.
const quit = () => process.exit(0);
process.stdin.on("end", quit);
process.stdin.on("close", quit);
process.stdin.on("error", quit);
process.stdin.resume();
process.on("SIGTERM", quit);
process.on("SIGINT", quit);
