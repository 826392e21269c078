"""Test helpers: the real Socket.IO server of the Rust tests (tests/server/server.js) on a
free port of 127.0.0.1, and handlers that record their calls."""

import base64
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

SERVER_DIR = Path(__file__).resolve().parents[3] / "tests" / "server"
# Generous: the machines running these are often loaded.
TIMEOUT = 30.0


def b64(data):
    """How the server records binary it received: ``{"_binary": base64}``."""
    return {"_binary": base64.b64encode(data).decode()}


class RecordingServer:
    """``node tests/server/server.js ARGS``: collects the JSON records it prints, one a line
    (the first is ``{"type":"listening","port":N,…}``). It exits when its stdin closes."""

    def __init__(self, *args):
        if not (SERVER_DIR / "node_modules" / "socket.io").is_dir():
            pytest.fail(f"run `npm ci` in {SERVER_DIR} first (needs Node.js)")
        self._cond = threading.Condition()
        self._records = []
        self._ended = False
        self._proc = subprocess.Popen(["node", str(SERVER_DIR / "server.js"), *args],
                                      cwd=SERVER_DIR, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, name="test-server-stdout", daemon=True)
        self._reader.start()
        listening = self.expect(lambda r: r["type"] == "listening")
        self.url = f"http://127.0.0.1:{listening['port']}"

    def _read(self):
        for line in self._proc.stdout:
            try:
                record = json.loads(line)
            except ValueError:
                sys.stderr.write(f"[test server] {line}")
                continue
            with self._cond:
                self._records.append(record)
                self._cond.notify_all()
        with self._cond:
            self._ended = True
            self._cond.notify_all()

    def wait_for(self, pred, timeout=TIMEOUT):
        """The first record satisfying ``pred`` (waiting up to ``timeout`` s), else None."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = next((r for r in self._records if pred(r)), None)
                left = deadline - time.monotonic()
                if found is not None or self._ended or left <= 0:
                    return found
                self._cond.wait(left)

    def expect(self, pred, timeout=TIMEOUT):
        found = self.wait_for(pred, timeout)
        if found is None:
            seen = "\n".join(f"  {r}" for r in self.records())
            pytest.fail(f"expected server record not seen in {timeout} s; records:\n{seen}")
        return found

    def records(self):
        with self._cond:
            return list(self._records)

    def events(self, name, count=0, timeout=TIMEOUT):
        """The ``event`` records of events named ``name``, in arrival order, once there are at
        least ``count`` of them (waiting up to ``timeout`` s)."""
        def named():
            return [r for r in self._records if r["type"] == "event" and r["event"] == name]

        with self._cond:
            if not self._cond.wait_for(lambda: len(named()) >= count or self._ended, timeout):
                pytest.fail(f"{count} {name!r} events expected, {len(named())} seen")
            return named()

    def stop(self):
        """Kills the server (its clients see the connection drop); stopping twice is fine."""
        if self._proc.returncode is None:
            self._proc.stdin.close()
            self._proc.kill()
            self._proc.wait()
            self._reader.join()

    @property
    def port(self):
        return int(self.url.rsplit(":", 1)[1])


def join(socket, timeout=TIMEOUT):
    """Connects ``socket`` and waits until it is joined; returns the sid. (Sets its
    ``connect`` handler.)"""
    joined = Waiter()
    socket.on("connect", joined)
    socket.connect()
    return joined.get(timeout)[0]


class Waiter:
    """A handler that records each call's arguments, and waits for them."""

    def __init__(self):
        self._cond = threading.Condition()
        self.calls = []

    def __call__(self, *args):
        with self._cond:
            self.calls.append(args)
            self._cond.notify_all()

    def wait(self, count=1, timeout=TIMEOUT):
        """The first ``count`` calls' arguments, waiting up to ``timeout`` s for them."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.calls) >= count, timeout):
                pytest.fail(f"{count} call(s) expected, {len(self.calls)} seen: {self.calls}")
            return self.calls[:count]

    def get(self, timeout=TIMEOUT):
        return self.wait(1, timeout)[0]
