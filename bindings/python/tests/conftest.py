"""Fixtures: a test server per test (support.RecordingServer), and clients that are freed
(and checked for leaked callbacks) when the test ends."""

import logging

import pytest

import sio
from sio import _callbacks
from support import RecordingServer


@pytest.fixture
def start_server():
    """``start_server(*args)``: a ``RecordingServer`` with server.js's ``args`` (e.g.
    ``"--recovery"``, ``"--port", "N"``), stopped after the test (or by its ``stop()``)."""
    started = []

    def start(*args):
        started.append(RecordingServer(*args))
        return started[-1]

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def server(start_server):
    return start_server()


@pytest.fixture
def client(request, start_server, caplog):
    """``client(url=None, **options)``: a ``sio.Client`` of ``url`` (None: the ``server``
    fixture's), with WebSocket and no proxy unless told, freed after the test; then no callback
    entry may be left, and libsio must not have called or finalized one twice."""
    made = []

    def make(url=None, **options):
        url = url or request.getfixturevalue("server").url
        made.append(sio.Client(url, **{"transport": "websocket", "proxy": "", **options}))
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
