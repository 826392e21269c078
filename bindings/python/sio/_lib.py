"""Finds and loads libsio, and declares the C functions the binding calls.

Each C function has one line in ``_PROTOTYPES``: binding a new one is adding a line there.

The library is looked for, in this order:

1. the file named by the ``SIO_LIBRARY`` environment variable (nothing else is tried if set);
2. ``libsio.so`` (``.dylib`` on macOS) next to this package's ``__init__.py``;
3. the Cargo target directory of the libsio checkout this package sits in
   (``$CARGO_TARGET_DIR``, else ``<repo>/target``): the newer of ``debug/`` and ``release/``;
4. the system's loader: ``ctypes.util.find_library("sio")``, then ``libsio.so`` on the
   loader's path (``LD_LIBRARY_PATH``, ``ldconfig``).
"""

import ctypes
import ctypes.util
import enum
import os
import sys
from ctypes import (CFUNCTYPE, POINTER, Structure, c_bool, c_char_p, c_double, c_int,
                    c_int64, c_size_t, c_uint32, c_void_p)
from pathlib import Path

_FILE_NAME = "libsio.dylib" if sys.platform == "darwin" else "libsio.so"


def _candidates():
    """Where to look for the library, in order (see the module's docstring)."""
    explicit = os.environ.get("SIO_LIBRARY")
    if explicit:
        return [explicit]
    here = Path(__file__).resolve().parent
    found = [here / _FILE_NAME]
    repo = here.parents[2]  # bindings/python/sio -> the checkout's root
    if (repo / "Cargo.toml").is_file():
        target = Path(os.environ.get("CARGO_TARGET_DIR") or repo / "target")
        builds = [target / kind / _FILE_NAME for kind in ("debug", "release")]
        builds = sorted((p for p in builds if p.is_file()), key=lambda p: p.stat().st_mtime)
        found += reversed(builds)
    found = [str(p) for p in found if p.is_file()]
    return found + [ctypes.util.find_library("sio") or _FILE_NAME]


def _load():
    tried = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"  {path}: {e}")
    raise ImportError("cannot load libsio (build it with `cargo build`, or set SIO_LIBRARY to "
                      "the path of libsio.so); tried:\n" + "\n".join(tried))


class Result(enum.IntEnum):
    """``sio_result``: what a C call returned (``sio_result_str`` names each)."""
    OK = 0
    NULL = 1
    UTF8 = 2
    JSON = 3
    INVALID = 4
    URL = 5
    RESERVED_EVENT = 6
    TIMEOUT = 7
    CLOSED = 8
    DISCONNECTED = 9
    IN_CALLBACK = 10
    IO = 11
    PANIC = 12
    BUFFER_FULL = 13


class Transport(enum.IntEnum):
    """``sio_transport``."""
    AUTO = 0
    WEBSOCKET = 1
    POLLING = 2


class Protocol(enum.IntEnum):
    """``sio_protocol``."""
    AUTO = 0
    V3 = 3
    V4 = 4


class Dispatch(enum.IntEnum):
    """``sio_dispatch_mode``: who runs a client's callbacks."""
    THREAD = 0
    MANUAL = 1
    INLINE = 2


class LogLevel(enum.IntEnum):
    """``sio_log_level``."""
    OFF = 0
    ERROR = 1
    WARN = 2
    INFO = 3
    DEBUG = 4
    TRACE = 5


class ReconnectEvent(enum.IntEnum):
    """``sio_reconnect_event``: what a reconnect handler is told."""
    ATTEMPT = 0
    SUCCESS = 1
    ERROR = 2
    FAILED = 3


class sio_buffer(Structure):
    # `data` as c_char_p: assigning bytes keeps them alive as long as the array.
    _fields_ = [("data", c_char_p), ("len", c_size_t)]


# The callback types of sio.h (handles and user data as void pointers).
EVENT_CB = CFUNCTYPE(None, c_void_p, c_void_p)
ACK_CB = CFUNCTYPE(None, c_void_p, c_int, c_void_p)
CONNECT_CB = CFUNCTYPE(None, c_void_p, c_void_p, c_char_p)
DISCONNECT_CB = CFUNCTYPE(None, c_void_p, c_void_p, c_char_p)
CONNECT_ERROR_CB = CFUNCTYPE(None, c_void_p, c_void_p, c_char_p, c_char_p)
RECONNECT_CB = CFUNCTYPE(None, c_void_p, c_int, c_uint32, c_char_p)
FREE_CB = CFUNCTYPE(None, c_void_p)
AUTH_CB = CFUNCTYPE(None, c_void_p, c_void_p, c_void_p)
LOG_CB = CFUNCTYPE(None, c_void_p, c_int, c_char_p)

_P = c_void_p  # every opaque handle
_R = c_int  # sio_result
_S = c_char_p
_BUFS = POINTER(sio_buffer)

_PROTOTYPES = {
    # name: (restype, argtypes)
    "sio_version": (_S, []),
    "sio_result_str": (_S, [c_int]),
    "sio_last_error": (_S, []),
    "sio_options_new": (_P, []),
    "sio_options_free": (None, [_P]),
    "sio_options_set_path": (_R, [_P, _S]),
    "sio_options_add_query": (_R, [_P, _S, _S]),
    "sio_options_add_header": (_R, [_P, _S, _S]),
    "sio_options_set_connect_timeout": (_R, [_P, c_uint32]),
    "sio_options_set_transport": (_R, [_P, c_int]),
    "sio_options_set_protocol": (_R, [_P, c_int]),
    "sio_options_set_proxy": (_R, [_P, _S]),
    "sio_options_set_ca_file": (_R, [_P, _S]),
    "sio_options_set_client_cert": (_R, [_P, _S, _S]),
    "sio_options_set_insecure": (_R, [_P, c_int]),
    "sio_options_set_reconnection": (_R, [_P, c_int]),
    "sio_options_set_reconnection_attempts": (_R, [_P, c_uint32]),
    "sio_options_set_reconnection_delay": (_R, [_P, c_uint32, c_uint32]),
    "sio_options_set_randomization_factor": (_R, [_P, c_double]),
    "sio_options_set_ack_timeout": (_R, [_P, c_uint32]),
    "sio_options_set_max_buffered": (_R, [_P, c_size_t]),
    "sio_options_set_retries": (_R, [_P, c_uint32]),
    "sio_options_set_max_message_size": (_R, [_P, c_size_t]),
    "sio_options_set_max_attachments": (_R, [_P, c_size_t]),
    "sio_options_set_max_pending": (_R, [_P, c_size_t]),
    "sio_options_set_read_coalescing": (_R, [_P, c_uint32]),
    "sio_options_set_retry_initial_connect": (_R, [_P, c_int]),
    "sio_options_set_dispatch": (_R, [_P, c_int]),
    "sio_options_set_log": (_R, [_P, c_int, LOG_CB, _P, FREE_CB]),
    "sio_connect": (_R, [_S, _P, POINTER(_P)]),
    "sio_client_close": (_R, [_P]),
    "sio_wait": (_R, [_P, c_int64]),
    "sio_client_free": (None, [_P]),
    "sio_dispatch": (_R, [_P, c_size_t, POINTER(c_size_t)]),
    "sio_dispatch_wait": (_R, [_P, c_int64]),
    "sio_client_fd": (c_int, [_P]),
    "sio_on_reconnect": (_R, [_P, RECONNECT_CB, _P, FREE_CB]),
    "sio_of": (_R, [_P, _S, _S, POINTER(_P)]),
    "sio_socket_connect": (_R, [_P]),
    "sio_socket_disconnect": (_R, [_P]),
    "sio_socket_namespace": (_S, [_P]),
    "sio_socket_recovered": (c_bool, [_P]),
    "sio_socket_set_ack_timeout": (_R, [_P, c_int64]),
    "sio_socket_set_auth_callback": (_R, [_P, AUTH_CB, _P, FREE_CB]),
    "sio_auth_reply": (_R, [_P, _S]),
    "sio_auth_request_free": (None, [_P]),
    "sio_emit": (_R, [_P, _S, _S, _BUFS, c_size_t]),
    "sio_emit_with_ack": (_R, [_P, _S, _S, _BUFS, c_size_t, c_int64, ACK_CB, _P]),
    "sio_emit_volatile": (_R, [_P, _S, _S, _BUFS, c_size_t]),
    "sio_call": (_R, [_P, _S, _S, _BUFS, c_size_t, c_int64, POINTER(_P)]),
    "sio_on": (_R, [_P, _S, EVENT_CB, _P, FREE_CB]),
    "sio_on_any": (_R, [_P, EVENT_CB, _P, FREE_CB]),
    "sio_on_unhandled": (_R, [_P, EVENT_CB, _P, FREE_CB]),
    "sio_on_connect": (_R, [_P, CONNECT_CB, _P, FREE_CB]),
    "sio_on_disconnect": (_R, [_P, DISCONNECT_CB, _P, FREE_CB]),
    "sio_on_connect_error": (_R, [_P, CONNECT_ERROR_CB, _P, FREE_CB]),
    "sio_event_name": (_S, [_P]),
    "sio_event_args": (_S, [_P]),
    "sio_event_buffer_count": (c_size_t, [_P]),
    "sio_event_buffer": (_P, [_P, c_size_t, POINTER(c_size_t)]),
    "sio_event_socket": (_P, [_P]),
    "sio_event_take_ack": (_P, [_P]),
    "sio_event_free": (None, [_P]),
    "sio_ack_send": (_R, [_P, _S, _BUFS, c_size_t]),
    "sio_ack_free": (None, [_P]),
}

lib = _load()
for _name, (_restype, _argtypes) in _PROTOTYPES.items():
    try:
        _fn = getattr(lib, _name)
    except AttributeError:
        raise ImportError(f"{lib._name} has no {_name}: it is older than this binding") from None
    _fn.restype = _restype
    _fn.argtypes = _argtypes


class SioError(Exception):
    """A libsio call failed: ``code`` is the ``Result``, ``message`` the library's text
    (``sio_last_error``, or ``sio_result_str`` for failures reported to callbacks)."""

    def __init__(self, code, message):
        try:
            code = Result(code)
        except ValueError:
            pass  # a code newer than this binding: kept as a plain int
        super().__init__(f"{getattr(code, 'name', code)}: {message}")
        self.code = code
        self.message = message

    @classmethod
    def of_status(cls, code):
        """The error for a status a callback received (no last-error text there)."""
        return cls(code, lib.sio_result_str(code).decode())


def check(rc):
    """Raises the ``SioError`` of a failed call, on the thread that made it."""
    if rc != Result.OK:
        raise SioError(rc, lib.sio_last_error().decode("utf-8", "replace"))


def cstr(s):
    """A str argument as C text: None stays NULL (the library reports it). Lone surrogates are
    passed on so the library rejects them (``UTF8``); an embedded NUL would cut the text."""
    if s is None:
        return None
    if "\0" in s:
        raise ValueError(f"embedded NUL character in {s!r}")
    return s.encode("utf-8", "surrogatepass")
