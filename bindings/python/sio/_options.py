"""Keyword options of ``Client`` -> a ``sio_options`` object. Times are in seconds (float)."""

from . import _callbacks as callbacks
from . import _log
from ._lib import Dispatch, Protocol, Transport, check, cstr, lib

_U32_MAX = 2**32 - 1
_SIZE_MAX = 2**64 - 1


def _ms(seconds, what, per_second=1000):
    """``seconds`` in whole milliseconds (or 1/``per_second`` s) for a uint32 option."""
    n = round(seconds * per_second)
    if not 0 <= n <= _U32_MAX:
        raise ValueError(f"{what} out of range: {seconds!r} s")
    return n


def _count(value, what, top=_U32_MAX):
    if not 0 <= value <= top:
        raise ValueError(f"{what} out of range: {value!r}")
    return value


def _pairs(value):
    return value.items() if hasattr(value, "items") else value


def _enum(kind, value):
    return kind[value.upper()] if isinstance(value, str) else kind(value)


def _query(o, value):
    for key, v in _pairs(value):
        check(lib.sio_options_add_query(o, cstr(key), cstr(v)))


def _headers(o, value):
    for name, v in _pairs(value):
        check(lib.sio_options_add_header(o, cstr(name), cstr(v)))


def _log_level(o, level):
    max_level = _log.max_level(level)
    key = callbacks.register(_log.record, "log callback")
    # On failure, or with the log off, the library finalizes `key` at once.
    check(lib.sio_options_set_log(o, max_level, callbacks.on_log, key, callbacks.free_userdata))


# name -> function(options pointer, value): the keyword arguments `Client` accepts.
_SETTERS = {
    "path": lambda o, v: check(lib.sio_options_set_path(o, cstr(v))),
    "query": _query,
    "headers": _headers,
    "connect_timeout": lambda o, v: check(
        lib.sio_options_set_connect_timeout(o, _ms(v, "connect_timeout"))),
    "transport": lambda o, v: check(lib.sio_options_set_transport(o, _enum(Transport, v))),
    "protocol": lambda o, v: check(lib.sio_options_set_protocol(o, _enum(Protocol, v))),
    "proxy": lambda o, v: check(lib.sio_options_set_proxy(o, cstr(v))),
    "ca_file": lambda o, v: check(lib.sio_options_set_ca_file(o, cstr(v))),
    "client_cert": lambda o, v: check(lib.sio_options_set_client_cert(o, cstr(v[0]), cstr(v[1]))),
    "insecure": lambda o, v: check(lib.sio_options_set_insecure(o, bool(v))),
    "reconnection": lambda o, v: check(lib.sio_options_set_reconnection(o, bool(v))),
    "reconnection_attempts": lambda o, v: check(
        lib.sio_options_set_reconnection_attempts(o, _count(v, "reconnection_attempts"))),
    "randomization_factor": lambda o, v: check(lib.sio_options_set_randomization_factor(o, v)),
    "ack_timeout": lambda o, v: check(lib.sio_options_set_ack_timeout(o, _ms(v, "ack_timeout"))),
    "max_buffered": lambda o, v: check(
        lib.sio_options_set_max_buffered(o, _count(v, "max_buffered", _SIZE_MAX))),
    "retries": lambda o, v: check(lib.sio_options_set_retries(o, _count(v, "retries"))),
    "max_message_size": lambda o, v: check(
        lib.sio_options_set_max_message_size(o, _count(v, "max_message_size", _SIZE_MAX))),
    "max_attachments": lambda o, v: check(
        lib.sio_options_set_max_attachments(o, _count(v, "max_attachments", _SIZE_MAX))),
    "max_pending": lambda o, v: check(
        lib.sio_options_set_max_pending(o, _count(v, "max_pending", _SIZE_MAX))),
    # In seconds as every time here (0.0004 is the default 400 µs); the library checks the top.
    "read_coalescing": lambda o, v: check(
        lib.sio_options_set_read_coalescing(o, _ms(v, "read_coalescing", 1_000_000))),
    "retry_initial_connect": lambda o, v: check(
        lib.sio_options_set_retry_initial_connect(o, bool(v))),
    "dispatch": lambda o, v: check(lib.sio_options_set_dispatch(o, _enum(Dispatch, v))),
    "log_level": _log_level,
}

# Set together by one C call; a missing one takes the library's default.
_DELAYS = {"reconnection_delay": 1.0, "reconnection_delay_max": 5.0}

NAMES = sorted([*_SETTERS, *_DELAYS])


def build(options):
    """A new ``sio_options`` pointer (the caller frees it) with ``options`` applied; an option
    left out or None keeps the library's default."""
    options = {k: v for k, v in options.items() if v is not None}
    unknown = set(options) - set(NAMES)
    if unknown:
        raise TypeError(f"unknown option(s) {sorted(unknown)}; known: {NAMES}")
    opts = lib.sio_options_new()
    try:
        for name, value in options.items():
            if name in _SETTERS:
                _SETTERS[name](opts, value)
        if _DELAYS.keys() & options.keys():
            low, high = ({**_DELAYS, **options}[k] for k in _DELAYS)
            check(lib.sio_options_set_reconnection_delay(
                opts, _ms(low, "reconnection_delay"), _ms(high, "reconnection_delay_max")))
    except BaseException:
        lib.sio_options_free(opts)
        raise
    return opts
