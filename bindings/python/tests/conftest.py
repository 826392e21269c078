"""Fixtures: a test server per test (support.RecordingServer), and clients that are freed
(and checked for leaked callbacks) when the test ends."""

import logging

import pytest

import sio
from sio import _callbacks
from support import RecordingServer


@pytest.fixture
def server():
    s = RecordingServer()
    yield s
    s.stop()


@pytest.fixture
def client(server, caplog):
    """``client(**options)``: a ``sio.Client`` of the test server (WebSocket and no proxy
    unless told), freed after the test; then no callback entry may be left, and libsio must not have
    called or finalized one twice."""
    made = []

    def make(**options):
        made.append(sio.Client(server.url, **{"transport": "websocket", "proxy": "", **options}))
        return made[-1]

    yield make
    for c in made:
        c.free()
    assert _callbacks.live_count() == 0, "callback entries left after every client was freed"
    misuse = [r.getMessage() for r in caplog.records
              if r.name == "sio" and ("twice" in r.getMessage() or "after finalizing" in r.getMessage())]
    assert misuse == []


@pytest.fixture(autouse=True)
def _sio_logs_errors(caplog):
    caplog.set_level(logging.ERROR, logger="sio")
