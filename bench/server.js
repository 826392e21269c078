#!/usr/bin/env node
// The server every benchmark client of one run talks to (bench/run.py starts it):
// socket.io 4.8.3 on an HTTP server, and a plain `ws` echo server on the same HTTP server
// (path /raw) for the raw WebSocket round-trip baseline.
//
//   node bench/server.js
//
// Prints {"port":N} once listening; exits when its stdin ends.
//
// Socket.IO events (default namespace):
//   msg {i}            counted; if it carries an ack, the ack is answered with the count so far
//   s2c n              the server emits n events `msg` {"i":k} (k = 0..n-1) to the sender
//   rtt {i} (ack)      the ack is answered at once, with no arguments
//   echo buf (ack)     the ack is answered with the same buffer
//   fanout round       the server broadcasts `tick` {"round":round,"t":µs} to the room named by
//                      the handshake query `room`; t is the wall clock (µs since the epoch)
"use strict";

const http = require("http");
const { Server } = require("socket.io");
const { WebSocketServer } = require("ws");

const httpServer = http.createServer();
const io = new Server(httpServer, {
  // 1 MiB binary echoes need more than the default 1e6 bytes per message.
  maxHttpBufferSize: 8 * 1024 * 1024,
  // Raw WebSocket upgrades on /raw are served by the ws server below.
  destroyUpgrade: false,
});

const wallMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

io.on("connection", (socket) => {
  const room = socket.handshake.query.room;
  if (room) socket.join(String(room));
  let count = 0;
  socket.on("msg", (_data, ack) => {
    count++;
    if (typeof ack === "function") ack(count);
  });
  socket.on("s2c", (n) => {
    for (let k = 0; k < n; k++) socket.emit("msg", { i: k });
  });
  socket.on("rtt", (_data, ack) => {
    if (typeof ack === "function") ack();
  });
  socket.on("echo", (buf, ack) => {
    if (typeof ack === "function") ack(buf);
  });
  socket.on("fanout", (round) => {
    if (room) io.to(String(room)).emit("tick", { round, t: wallMicros() });
  });
});

const raw = new WebSocketServer({ noServer: true });
raw.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
});
httpServer.on("upgrade", (req, socket, head) => {
  if (req.url.startsWith("/raw")) raw.handleUpgrade(req, socket, head, (ws) => raw.emit("connection", ws));
});

httpServer.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: httpServer.address().port }) + "\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
