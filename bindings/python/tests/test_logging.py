"""libsio's log as records of the "sio" logger, at mapped levels, up to `log_level`."""

import logging

import pytest

import sio
from support import TIMEOUT, Waiter, join


def library_records(caplog):
    """The records of libsio's log (the binding's own go through the "sio" logger with a
    traceback or a message naming a callback; none are expected in these tests)."""
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "sio"]


def test_info_records_tell_the_life_of_a_connection(server, client, caplog):
    caplog.set_level(sio.TRACE, logger="sio")
    c = client(log_level=logging.INFO)
    s = c.of()
    join(s)
    c.close()
    assert c.wait(TIMEOUT)
    records = library_records(caplog)
    assert {level for level, _ in records} <= {logging.INFO, logging.WARNING, logging.ERROR}
    messages = [m for level, m in records if level == logging.INFO]
    assert any(m.startswith("connected over websocket: session ") for m in messages), records
    assert any(m.startswith("joined / (socket ") for m in messages), records


def test_warnings_only_and_the_trace_level(server, client, caplog):
    caplog.set_level(sio.TRACE, logger="sio")
    c = client(log_level="WARNING")
    admin = c.of("/admin")  # no token: refused
    errors = Waiter()
    admin.on("connect_error", errors)
    admin.connect()
    errors.get()
    assert c.wait(TIMEOUT)
    records = library_records(caplog)
    assert [level for level, _ in records] == [logging.WARNING], records
    assert records[0][1].startswith("/admin refused: not authorized")

    caplog.clear()
    s = client(log_level="TRACE").of()
    join(s)
    s.emit("echo", "traced")
    server.expect(lambda r: r.get("args") == ["traced"])
    sent = [m for level, m in library_records(caplog) if level == sio.TRACE]
    assert any(m.startswith("send ") and '"traced"' in m for m in sent), sent
    assert logging.getLevelName(sio.TRACE) == "TRACE"


def test_the_log_is_off_by_default(server, client, caplog):
    caplog.set_level(sio.TRACE, logger="sio")
    c = client()
    join(c.of())
    c.close()
    assert c.wait(TIMEOUT)
    assert library_records(caplog) == []


def test_an_unknown_level_name_is_refused(client):
    with pytest.raises(ValueError, match="LOUD"):
        client(log_level="LOUD")
