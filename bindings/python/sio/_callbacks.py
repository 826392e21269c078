"""Python functions behind the library's callbacks.

One C trampoline per callback type lives as long as the module; what a registration adds is an
entry in ``_entries``, whose integer key is the ``userdata`` the library passes back. Entries of
handlers are removed by ``free_userdata``, the finalizer libsio calls exactly once per
registration; entries of emit-with-ack callbacks are removed when the callback (called exactly
once) runs.

A Python exception must not cross into C: one raised by a handler is caught here and logged
on the ``"sio"`` logger (``logging.getLogger("sio")``) with its traceback, and dispatching
goes on with the next event.
"""

import itertools
import logging

from ._lib import (ACK_CB, AUTH_CB, CONNECT_CB, CONNECT_ERROR_CB, DISCONNECT_CB, EVENT_CB,
                   FREE_CB, LOG_CB, RECONNECT_CB)

log = logging.getLogger("sio")

_entries = {}  # userdata -> (function taking the C arguments, description for error reports)
_ids = itertools.count(1)


def register(fn, what):
    """Keeps ``fn`` (called with the C callback's arguments after ``userdata``) until it is
    released; returns its userdata."""
    key = next(_ids)
    _entries[key] = (fn, what)
    return key


def release(key):
    """Drops an entry the library will never call nor finalize (its registration failed)."""
    del _entries[key]


def live_count():
    """How many entries the library may still call or finalize (for tests and leak checks)."""
    return len(_entries)


def _run(entry, args):
    fn, what = entry
    try:
        fn(*args)
    except BaseException:  # noqa: BLE001 - nothing may unwind into the library
        log.exception("exception in %s (ignored)", what)


def _dispatch(key, *args):
    entry = _entries.get(key)
    if entry is None:
        log.error("libsio called userdata %r after finalizing it", key)
        return
    _run(entry, args)


@FREE_CB
def free_userdata(key):
    if _entries.pop(key, None) is None:
        log.error("libsio finalized userdata %r twice", key)


@ACK_CB
def on_ack(key, status, reply):
    entry = _entries.pop(key, None)
    if entry is None:
        log.error("libsio called ack callback %r twice", key)
        return
    _run(entry, (status, reply))


on_event = EVENT_CB(_dispatch)
on_connect = CONNECT_CB(_dispatch)
on_disconnect = DISCONNECT_CB(_dispatch)
on_connect_error = CONNECT_ERROR_CB(_dispatch)
on_reconnect = RECONNECT_CB(_dispatch)
on_auth = AUTH_CB(_dispatch)
on_log = LOG_CB(_dispatch)
