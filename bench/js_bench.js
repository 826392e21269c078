#!/usr/bin/env node
// The official JS client (socket.io-client 4.8.3) in the benchmark scenarios of bench/run.py;
// bench/sio_bench.c runs the same scenarios with libsio.
//
//   node bench/js_bench.js c2s    URL N websocket|polling
//   node bench/js_bench.js s2c    URL N
//   node bench/js_bench.js ack    URL N
//   node bench/js_bench.js binary URL N BYTES
//   node bench/js_bench.js idle   URL
//   node bench/js_bench.js many   URL CLIENTS
//   node bench/js_bench.js fanout URL CLIENTS ROUNDS
//
// Prints one JSON line: {"wall_s", "cpu_s" (user+sys of the measured phase), "count",
// "peak_rss_kb" (VmHWM at the end of the phase), and per
// scenario "p50_us"/"p99_us" (ack, fanout), "mb_per_s" (binary)}. Exits 1 on any error.
"use strict";

const fs = require("fs");
const { io } = require("socket.io-client");

const [scenario, url, ...params] = process.argv.slice(2);
const num = (k) => {
  const v = Number(params[k]);
  if (!Number.isInteger(v) || v < 0) fail(`bad argument ${params[k]}`);
  return v;
};

function fail(why) {
  process.stderr.write(`js_bench ${scenario}: ${why}\n`);
  process.exit(1);
}

const now = () => process.hrtime.bigint();
const micros = (from, to) => Number(to - from) / 1000;
const wallMicros = () => (performance.timeOrigin + performance.now()) * 1000;
const cpuSeconds = (usage) => (usage.user + usage.system) / 1e6;

// The process's peak RSS so far (VmHWM: unlike ru_maxrss, not inherited through exec from the
// harness that started the process).
const peakRssKb = () => Number(/VmHWM:\s*(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"))[1]);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function open(transport = "websocket", query = {}) {
  const socket = io(url, { transports: [transport], forceNew: true, reconnection: false, query });
  socket.on("connect_error", (err) => fail(`connect_error: ${err.message}`));
  socket.on("disconnect", (reason) => {
    if (reason !== "io client disconnect") fail(`disconnect: ${reason}`);
  });
  return socket;
}

const connected = (socket) => new Promise((resolve) => socket.once("connect", resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Runs `body` (which resolves with extra result fields) between two clock and CPU readings.
async function measure(count, body) {
  const cpu0 = process.cpuUsage();
  const t0 = now();
  const extra = await body();
  const wall = micros(t0, now()) / 1e6;
  const cpu = cpuSeconds(process.cpuUsage(cpu0));
  return { wall_s: wall, cpu_s: cpu, count, peak_rss_kb: peakRssKb(), ...extra };
}

const scenarios = {
  // N events `msg` {"i":n}; the last one asks for an ack, which ends the measurement.
  async c2s() {
    const n = num(0);
    const socket = open(params[1]);
    await connected(socket);
    return measure(n, () => new Promise((resolve) => {
      for (let i = 0; i < n - 1; i++) socket.emit("msg", { i });
      socket.emit("msg", { i: n - 1 }, (count) => {
        if (count !== n) fail(`server counted ${count} of ${n}`);
        resolve({});
      });
    }));
  },

  // The server emits N events `msg`; the measurement ends with the last one.
  async s2c() {
    const n = num(0);
    const socket = open();
    await connected(socket);
    return measure(n, () => new Promise((resolve) => {
      let seen = 0;
      socket.on("msg", () => {
        if (++seen === n) resolve({});
      });
      socket.emit("s2c", n);
    }));
  },

  // N sequential emits with ack; each round trip is timed.
  async ack() {
    const n = num(0);
    const socket = open();
    await connected(socket);
    const rtts = new Float64Array(n);
    return measure(n, () => new Promise((resolve) => {
      let i = 0;
      let t0;
      const next = () => {
        t0 = now();
        socket.emit("rtt", { i }, reply);
      };
      const reply = () => {
        rtts[i++] = micros(t0, now());
        if (i < n) next();
        else {
          rtts.sort();
          resolve({ p50_us: percentile(rtts, 50), p99_us: percentile(rtts, 99) });
        }
      };
      next();
    }));
  },

  // N sequential echoes of a BYTES-long buffer (the ack carries it back).
  async binary() {
    const [n, size] = [num(0), num(1)];
    const socket = open();
    await connected(socket);
    const buf = Buffer.alloc(size, 0xa5);
    return measure(n, () => new Promise((resolve) => {
      let i = 0;
      const next = () => socket.emit("echo", buf, (back) => {
        if (!Buffer.isBuffer(back) || back.length !== size) fail("echo came back wrong");
        if (++i < n) next();
        else resolve({});
      });
      next();
    })).then((r) => ({ ...r, mb_per_s: (n * size) / (1024 * 1024) / r.wall_s }));
  },

  // One connected client that stays idle for a moment (peak RSS is read by the harness).
  async idle() {
    const socket = open();
    await connected(socket);
    await sleep(500);
    return { wall_s: 0, cpu_s: 0, count: 1, peak_rss_kb: peakRssKb() };
  },

  // CLIENTS connected clients in this process.
  async many() {
    const n = num(0);
    return measure(n, async () => {
      const sockets = Array.from({ length: n }, () => open());
      await Promise.all(sockets.map(connected));
      await sleep(500);
      return {};
    });
  },

  // CLIENTS clients in one room; ROUNDS broadcasts, each timed from the server's emit to the
  // last client's callback.
  async fanout() {
    const [clients, rounds] = [num(0), num(1)];
    const room = `js-${process.pid}`;
    const sockets = Array.from({ length: clients }, () => open("websocket", { room }));
    await Promise.all(sockets.map(connected));
    const latencies = new Float64Array(rounds);
    return measure(rounds, () => new Promise((resolve) => {
      let round = 0;
      let seen = 0;
      let worst = 0;
      for (const socket of sockets) {
        socket.on("tick", (tick) => {
          if (tick.round !== round) fail(`tick of round ${tick.round} during round ${round}`);
          worst = Math.max(worst, wallMicros() - tick.t);
          if (++seen < clients) return;
          latencies[round++] = worst;
          seen = 0;
          worst = 0;
          if (round < rounds) sockets[0].emit("fanout", round);
          else {
            latencies.sort();
            resolve({ p50_us: percentile(latencies, 50), p99_us: percentile(latencies, 99) });
          }
        });
      }
      sockets[0].emit("fanout", round);
    }));
  },
};

if (!scenarios[scenario] || !url) fail("usage: js_bench.js SCENARIO URL [N …] (see the header)");
scenarios[scenario]()
  .then((result) => {
    process.stdout.write(JSON.stringify(result) + "\n");
    process.exit(0);
  })
  .catch((err) => fail(err.stack || String(err)));
