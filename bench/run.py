#!/usr/bin/env python3
"""libsio's benchmarks, side by side with the official JS client (issue 6).

    python3 bench/run.py            (= make bench)        3 runs, medians, writes bench/RESULTS.md
    python3 bench/run.py --smoke    (= make bench-smoke)  tiny sizes, one run, writes nothing

Builds the release library and the C clients (target/bench/), installs bench/'s npm packages
(npm ci), starts bench/server.js (socket.io 4.8.3 and a raw `ws` echo server on one port), then,
in every run, runs each scenario with libsio through its C ABI (bench/sio_bench.c) and with
socket.io-client (bench/js_bench.js), one client process at a time, against that same server,
and the raw floors of bench/ws_echo.c (a raw WebSocket echo; raw Socket.IO frames, ack and
server → client).
A client's CPU time comes from wait4(2) on its process (so it includes its start and its
connection set-up); each client also reports the CPU time of its measured phase alone, and its
peak RSS (VmHWM: wait4's ru_maxrss would start from the harness's own RSS, which exec keeps).

Numbers are never pass/fail; the command fails only when a client fails (an error, a wrong
reply, a timeout), which is what the smoke mode is for in CI.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
OUT = os.path.join(ROOT, "target", "bench")
LIB_DIR = os.path.join(ROOT, "target", "release")
CLK_TCK = os.sysconf("SC_CLK_TCK")

FULL = dict(runs=3, c2s=100_000, s2c=100_000, ack=5_000, binary=200, binary_bytes=1 << 20,
            polling=100_000, many=1_000, fanout_clients=100, fanout_rounds=50, timeout=900)
SMOKE = dict(runs=1, c2s=200, s2c=200, ack=50, binary=3, binary_bytes=1 << 20,
             polling=200, many=5, fanout_clients=5, fanout_rounds=3, timeout=120)


def sh(*cmd, cwd=ROOT):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=cwd, check=True)


def output_of(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def build():
    sh("cargo", "build", "--release", "--quiet")
    os.makedirs(OUT, exist_ok=True)
    cflags = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic",
              "-D_POSIX_C_SOURCE=200809L"]
    sh("cc", *cflags, "-I", os.path.join(ROOT, "include"), "-o", os.path.join(OUT, "sio_bench"),
       os.path.join(BENCH, "sio_bench.c"), "-L", LIB_DIR, "-lsio", f"-Wl,-rpath,{LIB_DIR}",
       "-lpthread")
    sh("cc", *cflags, "-o", os.path.join(OUT, "ws_echo"), os.path.join(BENCH, "ws_echo.c"))
    stamp = os.path.join(BENCH, "node_modules", ".package-lock.json")
    lock = os.path.join(BENCH, "package-lock.json")
    if not os.path.exists(stamp) or os.path.getmtime(stamp) < os.path.getmtime(lock):
        sh("npm", "ci", "--no-audit", "--no-fund", "--silent", cwd=BENCH)


class Server:
    """bench/server.js, alive while its stdin is open."""

    def __init__(self):
        self.proc = subprocess.Popen(["node", os.path.join(BENCH, "server.js")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("bench/server.js did not start")
        self.port = json.loads(line)["port"]
        self.url = f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


class ClientFailed(Exception):
    pass


def run_client(argv, timeout, env=None):
    """Runs one client process; returns its JSON line plus its rusage (cpu, peak RSS)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    name = " ".join(os.path.basename(a) if i < 2 else a for i, a in enumerate(argv))
    if proc.returncode != 0:
        why = "killed after the timeout" if proc.returncode < 0 else f"exit {proc.returncode}"
        raise ClientFailed(f"{name}: {why}\n{stderr.strip()}")
    try:
        result = json.loads(stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise ClientFailed(f"{name}: no result line in {stdout!r}\n{stderr.strip()}")
    result["proc_cpu_s"] = usage.ru_utime + usage.ru_stime
    result["proc_csw"] = usage.ru_nvcsw + usage.ru_nivcsw
    return result


CLIENTS = {
    "libsio": lambda: [os.path.join(OUT, "sio_bench")],
    "JS": lambda: ["node", os.path.join(BENCH, "js_bench.js")],
}

# The scenarios libsio also runs with other options, and the pseudo-client each is reported as:
# inline dispatch (callbacks on its I/O thread), and server → client with read coalescing off
# (a wake-up per message, as before coalescing).
VARIANTS = (
    ("libsio-inline", ("s2c", "ack"), {"SIO_BENCH_DISPATCH": "inline"}),
    ("libsio-uncoalesced", ("s2c",), {"SIO_BENCH_COALESCE_US": "0"}),
)


def scenarios(cfg, url):
    """(key, arguments after the program) of every scenario both clients run."""
    return [
        ("c2s", ["c2s", url, str(cfg["c2s"]), "websocket"]),
        ("s2c", ["s2c", url, str(cfg["s2c"])]),
        ("ack", ["ack", url, str(cfg["ack"])]),
        ("binary", ["binary", url, str(cfg["binary"]), str(cfg["binary_bytes"])]),
        ("polling", ["c2s", url, str(cfg["polling"]), "polling"]),
        ("idle", ["idle", url]),
        ("many", ["many", url, str(cfg["many"])]),
        ("fanout", ["fanout", url, str(cfg["fanout_clients"]), str(cfg["fanout_rounds"])]),
    ]


def run_all(cfg):
    """Every run of every scenario; returns {(client, key): [result, …]}."""
    results = {}
    server = Server()
    try:
        for run in range(cfg["runs"]):
            # Alternate which client goes first, so neither always meets a warmer server.
            order = list(CLIENTS) if run % 2 == 0 else list(reversed(CLIENTS))
            for key, args in scenarios(cfg, server.url):
                if cfg["only"] and key not in cfg["only"]:
                    continue
                for client in order:
                    cpu0 = server.cpu_seconds()
                    result = run_client(CLIENTS[client]() + args, cfg["timeout"])
                    result["server_cpu_s"] = server.cpu_seconds() - cpu0
                    results.setdefault((client, key), []).append(result)
                    print(f"run {run + 1}/{cfg['runs']} {key:8} {client:7} {summary(result)}",
                          flush=True)
                for variant, keys, env in VARIANTS:
                    if key in keys:
                        result = run_client(CLIENTS["libsio"]() + args, cfg["timeout"],
                                            dict(os.environ, **env))
                        results.setdefault((variant, key), []).append(result)
                        print(f"run {run + 1}/{cfg['runs']} {key:8} {variant} {summary(result)}",
                              flush=True)
            if not cfg["only"] or "call" in cfg["only"]:
                call = run_client(CLIENTS["libsio"]() + ["call", server.url, str(cfg["ack"])],
                                  cfg["timeout"])
                results.setdefault(("libsio", "call"), []).append(call)
                print(f"run {run + 1}/{cfg['runs']} call     libsio  {summary(call)}", flush=True)
            if cfg["only"] and "raw" not in cfg["only"]:
                continue
            for mode, n in (("echo", cfg["ack"]), ("sio-ack", cfg["ack"]), ("sio-s2c", cfg["s2c"])):
                cpu0 = server.cpu_seconds()
                raw = run_client([os.path.join(OUT, "ws_echo"), mode, str(server.port), str(n)],
                                 cfg["timeout"])
                raw["server_cpu_s"] = server.cpu_seconds() - cpu0
                results.setdefault(("raw", mode), []).append(raw)
                print(f"run {run + 1}/{cfg['runs']} raw {mode:7} C     {summary(raw)}", flush=True)
    finally:
        server.stop()
    return results


def summary(r):
    keys = ("wall_s", "cpu_s", "proc_cpu_s", "proc_csw", "peak_rss_kb", "p50_us", "p99_us", "mb_per_s")
    return " ".join(f"{k}={r[k]:.6g}" for k in keys if k in r)


# ---- the table ----

def median(results, client, key, field):
    values = [r[field] for r in results.get((client, key), [])]
    return statistics.median(values) if values else None


def rows(cfg, results):
    """(figure, unit, libsio value, JS value) of the table; lower is better unless noted."""
    m = lambda client, key, field: median(results, client, key, field)
    per_msg = lambda client, key, field, n: m(client, key, field) * 1e6 / n
    def both(f):  # the figure for each client; None where a scenario was not run
        values = []
        for client in ("libsio", "JS"):
            try:
                values.append(f(client))
            except TypeError:
                values.append(None)
        return values
    def inline(f):  # a libsio-only figure (a variant), in the libsio column; None where not run
        try:
            return [f(), None]
        except TypeError:
            return [None, None]
    out = []
    for key, title in (("c2s", f"client → server, {cfg['c2s']:,} events (WebSocket)"),
                       ("s2c", f"server → client, {cfg['s2c']:,} events (WebSocket)"),
                       ("polling", f"client → server, {cfg['polling']:,} events (long-polling)")):
        n = cfg[key]
        out += [
            (f"{title}: wall time", "s", *both(lambda c: m(c, key, "wall_s"))),
            ("… client CPU per message (whole process, wait4)", "µs",
             *both(lambda c: per_msg(c, key, "proc_cpu_s", n))),
            ("… client CPU per message (measured phase only)", "µs",
             *both(lambda c: per_msg(c, key, "cpu_s", n))),
            ("… client context switches per message (whole process: thread wake-ups)", "",
             *both(lambda c: m(c, key, "proc_csw") / n)),
            ("… server CPU per message (for reference)", "µs",
             *both(lambda c: per_msg(c, key, "server_cpu_s", n))),
        ]
    out += [
        (f"ack round trip, {cfg['ack']:,} sequential: p50", "µs", *both(lambda c: m(c, "ack", "p50_us"))),
        ("… p99", "µs", *both(lambda c: m(c, "ack", "p99_us"))),
        ("ack round trip with the blocking sio_call (libsio only): p50", "µs",
         *both(lambda c: m(c, "call", "p50_us"))),
        ("… p99", "µs", *both(lambda c: m(c, "call", "p99_us"))),
        ("ack round trip with inline dispatch (libsio only, SIO_DISPATCH_INLINE): p50", "µs",
         *inline(lambda: m("libsio-inline", "ack", "p50_us"))),
        ("… p99", "µs", *inline(lambda: m("libsio-inline", "ack", "p99_us"))),
        ("server → client with inline dispatch (libsio only): wall time", "s",
         *inline(lambda: m("libsio-inline", "s2c", "wall_s"))),
        ("… client CPU per message (whole process, wait4)", "µs",
         *inline(lambda: per_msg("libsio-inline", "s2c", "proc_cpu_s", cfg["s2c"]))),
        ("… client CPU per message (measured phase only)", "µs",
         *inline(lambda: per_msg("libsio-inline", "s2c", "cpu_s", cfg["s2c"]))),
        ("… client context switches per message (whole process: thread wake-ups)", "",
         *inline(lambda: m("libsio-inline", "s2c", "proc_csw") / cfg["s2c"])),
        ("server → client with read coalescing off (libsio only, window 0): client CPU per "
         "message (whole process, wait4)", "µs",
         *inline(lambda: per_msg("libsio-uncoalesced", "s2c", "proc_cpu_s", cfg["s2c"]))),
        ("… client context switches per message (whole process: thread wake-ups)", "",
         *inline(lambda: m("libsio-uncoalesced", "s2c", "proc_csw") / cfg["s2c"])),
        (f"binary: {cfg['binary_bytes'] // 1024} KiB echoed {cfg['binary']} times (higher is better)",
         "MB/s", *both(lambda c: m(c, "binary", "mb_per_s"))),
        ("peak RSS, one idle connected client", "MB",
         *both(lambda c: m(c, "idle", "peak_rss_kb") / 1024)),
        (f"peak RSS, one process with {cfg['many']:,} connected clients", "MB",
         *both(lambda c: m(c, "many", "peak_rss_kb") / 1024)),
        ("… per extra client", "KB",
         *both(lambda c: (m(c, "many", "peak_rss_kb") - m(c, "idle", "peak_rss_kb"))
               / max(1, cfg["many"] - 1))),
        (f"fan-out, {cfg['fanout_clients']} clients in one process: broadcast → last callback, p50",
         "µs", *both(lambda c: m(c, "fanout", "p50_us"))),
        (f"… p99 (of {cfg['fanout_rounds']} broadcasts)", "µs", *both(lambda c: m(c, "fanout", "p99_us"))),
    ]
    return out


def fmt(v):
    if v is None:
        return "–"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def table(cfg, results):
    lines = ["| figure | unit | libsio | JS | libsio / JS |", "|---|---|---:|---:|---:|"]
    for figure, unit, lib, js in rows(cfg, results):
        ratio = f"{lib / js:.2f}" if lib is not None and js else "–"
        lines.append(f"| {figure} | {unit} | {fmt(lib)} | {fmt(js)} | {ratio} |")
    raw = lambda mode, field: median(results, "raw", mode, field)
    per_trip = lambda mode: raw(mode, "server_cpu_s") * 1e6 / cfg["ack"]
    if raw("echo", "p50_us") is not None:
        lines += [
            "",
            f"Raw WebSocket echo round trip to the same Node process (bench/ws_echo.c, "
            f"{cfg['ack']:,} sequential small frames): p50 {fmt(raw('echo', 'p50_us'))} µs, "
            f"p99 {fmt(raw('echo', 'p99_us'))} µs (server CPU {fmt(per_trip('echo'))} µs per "
            "round trip).",
        ]
    if raw("sio-ack", "p50_us") is not None:
        s2c = lambda field: raw("sio-s2c", field) / cfg["s2c"]
        lines += [
            "",
            "Raw Socket.IO frames over a raw WebSocket to the same server (bench/ws_echo.c: one "
            "blocking socket, no threads, one read per wake-up): "
            f"ack round trip ({cfg['ack']:,} sequential) p50 {fmt(raw('sio-ack', 'p50_us'))} µs, "
            f"p99 {fmt(raw('sio-ack', 'p99_us'))} µs (server CPU {fmt(per_trip('sio-ack'))} µs "
            f"per round trip); server → client ({cfg['s2c']:,} events) "
            f"{fmt(s2c('cpu_s') * 1e6)} µs client CPU per message (measured phase), "
            f"{fmt(s2c('proc_csw'))} context switches per message.",
        ]
    return "\n".join(lines + targets(cfg, results))


def targets(cfg, results):
    """Issue 6's targets beside what this run measured (information, never pass/fail): the
    literal ones, and those against the raw Socket.IO floors of the same run (ok None: a ratio
    for information)."""
    m = lambda client, key, field: median(results, client, key, field)
    checks = []
    for key, limit in (("c2s", 1.0), ("s2c", 1.5)):
        lib, js = m("libsio", key, "proc_cpu_s"), m("JS", key, "proc_cpu_s")
        if lib is not None and js:
            us = lib * 1e6 / cfg[key]
            checks.append((f"{key}: client CPU ≤ {limit} µs/msg and ≥ 5× less than JS",
                           f"{us:.2f} µs/msg, {js / lib:.1f}× less", us <= limit and js / lib >= 5))
    lib = m("libsio-inline", "s2c", "proc_cpu_s")
    if lib is not None:
        us = lib * 1e6 / cfg["s2c"]
        checks.append(("s2c with inline dispatch: client CPU ≤ 1.5 µs/msg", f"{us:.2f} µs/msg", us <= 1.5))
    dispatch = (("libsio", ""), ("libsio-inline", " with inline dispatch"))
    floor = m("raw", "sio-s2c", "cpu_s")
    for client, how in dispatch:
        lib = m(client, "s2c", "cpu_s")
        if lib is not None and floor:
            checks.append((f"s2c{how}: client CPU (measured phase) vs the raw Socket.IO reader",
                           f"{lib * 1e6 / cfg['s2c']:.2f} vs {floor * 1e6 / cfg['s2c']:.2f} "
                           f"µs/msg: {lib / floor:.2f}×", None))
    raw_echo, raw_ack = m("raw", "echo", "p50_us"), m("raw", "sio-ack", "p50_us")
    for client, how in dispatch:
        ack50 = m(client, "ack", "p50_us")
        if ack50 is not None and raw_echo:
            checks.append((f"ack p50{how} within 15% of the raw WebSocket echo p50",
                           f"{ack50 / raw_echo:.2f}× the raw echo", ack50 / raw_echo <= 1.15))
        if ack50 is not None and raw_ack:
            checks.append((f"ack p50{how} within 15% of the raw Socket.IO ack p50",
                           f"{ack50 / raw_ack:.2f}× the raw Socket.IO ack",
                           ack50 / raw_ack <= 1.15))
    idle, many = m("libsio", "idle", "peak_rss_kb"), m("libsio", "many", "peak_rss_kb")
    if idle is not None:
        checks.append(("peak RSS ≤ 4 MB for one connected client", f"{idle / 1024:.2f} MB",
                       idle <= 4 * 1024))
    if idle is not None and many is not None:
        per = (many - idle) / max(1, cfg["many"] - 1)
        checks.append((f"≤ 150 KB per extra idle client at {cfg['many']:,}", f"{per:.0f} KB",
                       per <= 150))
    if not checks:
        return []
    out = ["", "| issue 6 target (libsio) | measured | |", "|---|---|---|"]
    verdict = {True: "met", False: "**missed**", None: "(ratio)"}
    out += [f"| {what} | {got} | {verdict[ok]} |" for what, got, ok in checks]
    return out


def machine(load_before):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    def pkg_version(name):
        with open(os.path.join(BENCH, "node_modules", name, "package.json")) as f:
            return json.load(f)["version"]
    with open(os.path.join(ROOT, "Cargo.toml")) as f:
        sio_version = re.search(r'^version = "([^"]+)"', f.read(), re.M).group(1)
    return [
        f"- machine: {os.cpu_count()} CPUs (nproc {output_of('nproc')}), {cpu}, "
        f"Linux {platform.release()}",
        f"- load average (1/5/15 min) before: {load_before}; after: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"- libsio {sio_version} (release build, {output_of('rustc', '--version')}), "
        f"C clients built by {output_of('cc', '--version').splitlines()[0]}",
        f"- Node.js {output_of('node', '--version')}, socket.io {pkg_version('socket.io')}, "
        f"socket.io-client {pkg_version('socket.io-client')}, ws {pkg_version('ws')}",
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run, no RESULTS.md")
    parser.add_argument("--runs", type=int, help="runs to take the median of (default 3)")
    parser.add_argument("--no-build", action="store_true", help="use what is already built")
    parser.add_argument("--only", help="comma-separated scenarios (c2s,s2c,ack,binary,polling,"
                        "idle,many,fanout,call,raw: the raw WebSocket echo and raw Socket.IO "
                        "floors); RESULTS.md is then not written")
    args = parser.parse_args()
    cfg = dict(SMOKE if args.smoke else FULL)
    if args.runs:
        cfg["runs"] = args.runs
    cfg["only"] = set(args.only.split(",")) if args.only else None
    for tool in ("cargo", "cc", "node", "npm"):
        if not shutil.which(tool):
            raise SystemExit(f"bench: {tool} not found")
    # Loopback only: never through a proxy the environment may define.
    os.environ["no_proxy"] = ",".join(filter(None, [os.environ.get("no_proxy"), "127.0.0.1"]))
    if not args.no_build:
        build()
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    try:
        results = run_all(cfg)
    except ClientFailed as e:
        print(f"bench: a client failed: {e}", file=sys.stderr)
        sys.exit(1)
    text = table(cfg, results)
    print()
    print(text)
    if args.only:
        return
    if args.smoke:
        print("\nbench-smoke: every client ran without error (sizes too small to mean anything)")
        return
    doc = "\n".join([
        "# libsio benchmarks",
        "",
        f"Generated by `make bench` (bench/run.py) on {started}: median of {cfg['runs']} runs; "
        "both clients in the same run, one process at a time, against the same "
        "bench/server.js process. Loopback. WebSocket unless noted.",
        "",
        *machine(load_before),
        "",
        text,
        "",
        "How each figure is taken (see bench/run.py, bench/sio_bench.c, bench/js_bench.js):",
        "- client → server: N emits of `msg` `[{\"i\":n}]`, the last with an ack (the server "
        "answers it with its count); from the first emit to that ack.",
        "- server → client: one `s2c` emit, then the server emits N `msg` events; until the last "
        "callback.",
        "- whole-process CPU = user+sys of the client process (wait4), start-up and connection "
        "included, / N; measured phase = getrusage / process.cpuUsage around the phase alone.",
        "- context switches = ru_nvcsw + ru_nivcsw of the client process (wait4), all threads: "
        "how often its threads slept and were woken (or preempted), / N.",
        "- ack round trip: sequential emit-with-ack, each sent from the previous reply's "
        "callback; libsio's callbacks run on its dispatch thread.",
        "- sio_call: the same round trips with libsio's blocking call on the main thread (the "
        "I/O thread hands the reply over directly, no dispatch thread); no JS equivalent.",
        "- inline dispatch: the s2c and ack scenarios with `SIO_DISPATCH_INLINE` "
        "(SIO_BENCH_DISPATCH=inline): libsio's callbacks run on its I/O thread, no hand-off.",
        "- read coalescing: libsio's default (a window of 400 µs: a stream of 8 messages or more "
        "per window is read once per window); the s2c scenario also runs with it off "
        "(SIO_BENCH_COALESCE_US=0: one wake-up per message or so, as before coalescing).",
        "- binary: sequential emit-with-ack of one buffer that the server's ack sends back; "
        "MB/s = MiB echoed / wall time.",
        "- peak RSS = VmHWM of the client process at the end of the phase (ru_maxrss would count "
        "the harness's RSS, inherited through exec); per extra client = (many − idle) / (N − 1).",
        "- fan-out: the server stamps each broadcast with its wall clock; latency = the last "
        "client's callback time − that stamp; the next broadcast is asked for after it.",
        "- raw baselines (bench/ws_echo.c, same server, same run): one blocking socket, no "
        "threads, one recv(2) of up to 16 KiB per wake-up (as a blocking tungstenite reader). "
        "Raw WebSocket echo: N round trips of a frame the size of the ack emit to the plain `ws` "
        "echo (/raw). Raw Socket.IO: Engine.IO open, `40`, then N sequential "
        "`42<id>[\"rtt\",{\"i\":n}]` each awaiting its `43<id>[]` (the least any Socket.IO "
        "client can do for an ack round trip against this server), and one `42[\"s2c\",N]` read "
        "until N `msg` frames have arrived (the least CPU a client with one blocking reader "
        "spends per server → client message on this machine; measured phase, getrusage).",
        "- issue 6 targets: the literal rows use the issue's wording (the raw WebSocket echo, "
        "1.5 µs/msg); the raw Socket.IO rows compare libsio with the floors above, measured "
        "the same way (p50; measured-phase CPU); \"(ratio)\" rows are information only.",
        "",
    ])
    with open(os.path.join(BENCH, "RESULTS.md"), "w") as f:
        f.write(doc)
    print(f"\nwrote {os.path.relpath(os.path.join(BENCH, 'RESULTS.md'), os.getcwd())}")


if __name__ == "__main__":
    main()
