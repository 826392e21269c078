#!/usr/bin/env node
// HTTP proxy driven by libsio's integration tests (see TestProxy in tests/common/mod.rs): the
// npm package "proxy" (TooTallNate's, 2.x: CONNECT tunnels and plain proxied requests),
// listening on 127.0.0.1 on a free port.
//
//   node tests/server/proxy.js [--auth USER:PASSWORD]
//
//   --auth  every request (CONNECT or plain) must carry
//           `Proxy-Authorization: Basic base64(USER:PASSWORD)`; others get 407
//
// stdout is a stream of JSON records, one per line:
//   {"type":"listening","port":N}                                   first, once
//   {"type":"connect","target":"HOST:PORT","auth":BOOL}             a CONNECT tunnel accepted
//   {"type":"request","method":"GET","url":"http://…","auth":BOOL}  a plain request accepted
//   {"type":"refused","method":…,"target"|"url":…,"reason":…}       answered 407 (--auth only);
//                                                                   reason: "no credentials",
//                                                                   "not Basic" or
//                                                                   "wrong credentials"
//   {"type":"error","message":…}                                    a failure inside the proxy
// `auth` says whether the request carried a Proxy-Authorization header (with --auth, accepted
// requests always do). The proxy exits when its stdin ends, so it never outlives the test
// process that started it.
"use strict";

const http = require("http");
const { createProxy } = require("proxy");

function parseArgs(argv) {
  const opts = { auth: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--auth" && typeof argv[i + 1] === "string" && argv[i + 1].includes(":")) {
      opts.auth = argv[++i];
    } else {
      process.stderr.write(`proxy.js: bad argument ${argv[i]}\nusage: proxy.js [--auth USER:PASSWORD]\n`);
      process.exit(2);
    }
  }
  return opts;
}

function record(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

const opts = parseArgs(process.argv.slice(2));

// Why the credentials of `req` are refused, or null if they are accepted.
function refusal(req) {
  if (opts.auth === null) return null;
  const header = req.headers["proxy-authorization"];
  if (!header) return "no credentials";
  const m = /^Basic\s+(\S+)\s*$/i.exec(header);
  if (!m) return "not Basic";
  return Buffer.from(m[1], "base64").toString("utf8") === opts.auth ? null : "wrong credentials";
}

const server = http.createServer();

// Registered before the package's own listeners (createProxy below), so that the response of a
// plain request is known when it is authenticated.
const responses = new WeakMap();
server.on("request", (req, res) => responses.set(req, res));

const proxy = createProxy(server);

// The package calls this for every request, CONNECT or plain, before proxying it.
proxy.authenticate = (req) => {
  const auth = Boolean(req.headers["proxy-authorization"]);
  const reason = refusal(req);
  const connect = req.method === "CONNECT";
  if (reason !== null) {
    record({ type: "refused", method: req.method, [connect ? "target" : "url"]: req.url, reason });
    // The package answers 407 but leaves the connection paused: close it after the answer.
    const res = responses.get(req);
    if (res) res.setHeader("Connection", "close");
    return false;
  }
  if (connect) record({ type: "connect", target: req.url, auth });
  else record({ type: "request", method: req.method, url: req.url, auth });
  return true;
};

server.on("clientError", (err, socket) => {
  record({ type: "error", message: `client error: ${err.message}` });
  socket.destroy();
});
// The package's handlers are async: a throw in them (e.g. its assertion that nothing follows a
// CONNECT before the answer) would otherwise crash the proxy.
process.on("unhandledRejection", (err) => {
  record({ type: "error", message: String((err && err.message) || err) });
});

server.listen(0, "127.0.0.1", () => {
  record({ type: "listening", port: server.address().port });
});

// Never outlive the harness: stop when stdin ends/closes or on SIGTERM.
const quit = () => process.exit(0);
process.stdin.on("end", quit);
process.stdin.on("close", quit);
process.stdin.on("error", quit);
process.stdin.resume();
process.on("SIGTERM", quit);
process.on("SIGINT", quit);
