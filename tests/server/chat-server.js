#!/usr/bin/env node
// A tiny chat room on namespace /chat, with one scripted human: alice.
//
//   node tests/server/chat-server.js [--port N]      (default 0 = any free port)
//
// The first stdout line is {"type":"listening","port":N} for the script that
// starts the bot; after that it prints the conversation. It exits with 0 once
// the bot has answered alice and left, 1 otherwise (or after 20 s).
"use strict";

const http = require("http");
const { Server } = require("socket.io");

const portArg = process.argv.indexOf("--port");
const port = portArg === -1 ? 0 : Number(process.argv[portArg + 1]);

const httpServer = http.createServer();
const chat = new Server(httpServer).of("/chat");

const BOT_REPLY = "who are you calling bot?!";
let botReplied = false;
let aliceStarted = false;

function aliceSays(text) {
  console.log(`alice: ${text}`);
  chat.emit("user message", "alice", text);
}

function later(ms, fn) {
  setTimeout(fn, ms);
}

chat.on("connection", (socket) => {
  let nick = "someone";

  socket.on("nickname", (name) => {
    nick = String(name);
    console.log(`* ${nick} joined the chat`);
    chat.emit("announcement", `${nick} joined`);

    if (!aliceStarted) {
      aliceStarted = true;
      later(300, () => {
        aliceSays("hello everyone!");
        later(300, () => aliceSays("hi bot, are you a bot?"));
      });
    }
  });

  socket.on("user message", (text) => {
    console.log(`${nick}: ${text}`);
    socket.broadcast.emit("user message", nick, text);

    if (String(text).includes(BOT_REPLY) && !botReplied) {
      botReplied = true;
      later(300, () => aliceSays("ok, bye!"));
    }
  });

  socket.on("disconnect", (reason) => {
    console.log(`* ${nick} left the chat`);
    if (botReplied) process.exit(0);
    console.log(`the bot left (${reason}) without answering "${BOT_REPLY}"`);
    process.exit(1);
  });
});

httpServer.listen(port, "127.0.0.1", () => {
  console.log(JSON.stringify({ type: "listening", port: httpServer.address().port }));
});

// Safety net: never hang a demo or a CI job.
setTimeout(() => {
  console.log("chat-server: nothing happened for 20 s, giving up");
  process.exit(1);
}, 20000);
