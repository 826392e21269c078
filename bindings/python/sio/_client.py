"""``Client``, ``Socket`` and ``Ack``: the objects of sio.h as Python classes."""

import atexit
import contextlib
import ctypes
import json
import math
import threading
import time
import weakref

from . import _callbacks as callbacks
from . import _options, _payload
from ._lib import ReconnectEvent, Result, SioError, check, cstr, lib

_WAIT_SLICE_MS = 100  # `wait` blocks in slices: interruptible (Ctrl-C), and `free` is not held up
_live = weakref.WeakSet()  # clients not freed yet: freed at exit, before their threads could
                           # call into a finalizing interpreter


@atexit.register
def _free_all():
    for client in list(_live):
        client.free()


def _timeout_ms(seconds):
    """A C timeout: None gives -1 (the library's default)."""
    if seconds is None:
        return -1
    if seconds < 0:
        raise ValueError(f"timeout must be >= 0 seconds, not {seconds!r}")
    return math.ceil(seconds * 1000)


def _json_text(value):
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _reply_args(result):
    """The ack arguments a handler's return value stands for (as in python-socketio)."""
    if result is None:
        return ()
    return result if isinstance(result, tuple) else (result,)


def _take_ack(event):
    ptr = lib.sio_event_take_ack(event)
    return Ack(ptr) if ptr else None


class Ack:
    """The right to answer one ack request of the server: ``send(*args)`` once, from any thread,
    now or later. Dropped without an answer when garbage-collected (or by ``drop()``)."""

    def __init__(self, ptr):
        self._ptr = ptr
        self._lock = threading.Lock()

    def send(self, *args):
        """Answers with ``args`` (JSON values and bytes-like objects). Raises ``SioError``
        (``Result.NULL`` once it was sent or dropped; ``Result.CLOSED`` after the client was
        closed)."""
        text, buffers, count = _payload.encode(args)
        with self._lock:
            if self._ptr is None:
                raise SioError(Result.NULL, "this ack was already sent or dropped")
            check(lib.sio_ack_send(self._ptr, text, buffers, count))
            self._ptr = None

    def drop(self):
        """Gives up the right to answer (the server's ack then never comes)."""
        with self._lock:
            ptr, self._ptr = self._ptr, None
        if ptr:
            lib.sio_ack_free(ptr)

    __del__ = drop


class Client:
    """One connection to a Socket.IO server (``sio_connect``): its threads start at once, but
    nothing is sent until a socket is connected, so handlers can be set first.

    Options (keyword arguments, times in seconds; None keeps the default): ``path``,
    ``query`` and ``headers`` (dicts or lists of pairs), ``connect_timeout``, ``transport``
    (``"auto"``, ``"websocket"``, ``"polling"`` or ``Transport``), ``protocol`` (``Protocol``),
    ``proxy``, ``ca_file``, ``client_cert`` (``(cert_file, key_file)``), ``insecure``,
    ``reconnection``, ``reconnection_attempts``, ``reconnection_delay``,
    ``reconnection_delay_max``, ``randomization_factor``, ``ack_timeout``.

    Every method may be called from any thread, also from handlers (except the blocking
    ``wait`` and ``Socket.call``, which raise ``Result.IN_CALLBACK`` there). ``free()``, or
    leaving a ``with`` block, releases it; so does garbage collection of the last reference.
    """

    def __init__(self, url, **options):
        self._ptr = None
        self._users = 0  # calls into the library in progress: `free` waits for them
        self._cond = threading.Condition()
        self._sockets = {}
        opts = _options.build(options)
        out = ctypes.c_void_p()
        try:
            check(lib.sio_connect(cstr(url), opts, ctypes.byref(out)))
        finally:
            lib.sio_options_free(opts)
        self._ptr = out.value
        _live.add(self)

    @contextlib.contextmanager
    def _use(self):
        """Holds the client while a call into the library runs; ``Result.CLOSED`` once freed."""
        with self._cond:
            if self._ptr is None:
                raise SioError(Result.CLOSED, "the client was freed")
            self._users += 1
        try:
            yield self._ptr
        finally:
            with self._cond:
                self._users -= 1
                if not self._users:
                    self._cond.notify_all()

    def of(self, namespace=None, auth=None):
        """The ``Socket`` of ``namespace`` (``"/chat"``; None: the URL's), the same object on
        every call; ``auth`` (a dict) is sent when it joins, and replaces an earlier one."""
        nsp = cstr(namespace)
        auth_json = None if auth is None else _json_text(auth)
        out = ctypes.c_void_p()
        with self._use() as ptr:
            check(lib.sio_of(ptr, nsp, auth_json, ctypes.byref(out)))
            socket = self._sockets.get(out.value)
            return socket or self._sockets.setdefault(out.value, Socket(self, out.value))

    def on_reconnect(self, handler):
        """Sets ``handler(event: ReconnectEvent, attempt: int, error: str | None)``, told as
        reconnection goes (replacing an earlier one). Usable as a decorator."""

        def entry(event, attempt, error):
            handler(ReconnectEvent(event), attempt, error.decode() if error else None)

        with self._use() as ptr:
            key = callbacks.register(entry, "reconnect handler")
            check(lib.sio_on_reconnect(ptr, callbacks.on_reconnect, key, callbacks.free_userdata))
        return handler

    def close(self):
        """Leaves every namespace and closes the connection for good (the disconnect handlers
        get ``"io client disconnect"``); returns at once, ``wait()`` returns when it is done.
        Later emits and connects raise ``Result.CLOSED``. Closing twice is not an error."""
        with contextlib.suppress(SioError):
            with self._use() as ptr:
                check(lib.sio_client_close(ptr))

    def wait(self, timeout=None):
        """Blocks until the client is closed (no namespace joined or joining, and the handlers
        telling it have run) or ``timeout`` seconds pass (None: no limit); True if closed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = _WAIT_SLICE_MS
            if deadline is not None:
                left = min(left, max(0, math.ceil((deadline - time.monotonic()) * 1000)))
            try:
                with self._use() as ptr:
                    rc = lib.sio_wait(ptr, left)
            except SioError:  # freed meanwhile: closed
                return True
            if rc == Result.OK:
                return True
            if rc != Result.TIMEOUT:
                check(rc)
            if deadline is not None and time.monotonic() >= deadline:
                return False

    def free(self):
        """Frees the client (``sio_client_free``) after the calls other threads are making on
        it return: handlers are released, pending ack callbacks get ``Result.CLOSED``, and no
        handler runs afterwards. Later calls raise ``Result.CLOSED``; freeing twice does
        nothing. For a clean goodbye, ``close()`` and ``wait()`` first (as ``with`` does)."""
        with self._cond:
            ptr, self._ptr = self._ptr, None
            if ptr is None:
                return
            if self._users:
                lib.sio_client_close(ptr)  # ends blocking calls in progress
                while self._users:
                    self._cond.wait()
        _live.discard(self)
        lib.sio_client_free(ptr)

    def __del__(self):
        if getattr(self, "_ptr", None) is not None:
            self.free()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        try:
            self.close()
            self.wait()
        except SioError as e:
            if e.code != Result.IN_CALLBACK:  # a `with` ended inside a handler: free only
                raise
        finally:
            self.free()


class Socket:
    """One namespace of a client (``Client.of``); valid until the client is freed."""

    def __init__(self, client, ptr):
        self._client = client
        self._ptr = ptr
        self.namespace = lib.sio_socket_namespace(ptr).decode()

    def __repr__(self):
        return f"<sio.Socket {self.namespace}>"

    def connect(self):
        """Joins the namespace (opening the connection if needed); returns at once, the
        ``connect`` or ``connect_error`` handler tells the outcome. Also rejoins."""
        with self._client._use():
            check(lib.sio_socket_connect(self._ptr))

    def disconnect(self):
        """Leaves the namespace; emits made afterwards are held until ``connect()``."""
        with self._client._use():
            check(lib.sio_socket_disconnect(self._ptr))

    def emit(self, event, *args, callback=None, timeout=None):
        """Emits ``event`` with ``args`` (JSON values; bytes, bytearray and memoryview at any
        depth travel as binary). With ``callback``, asks for an ack: ``callback(None,
        *reply_args)`` runs once on the dispatch thread, or ``callback(SioError)`` on timeout
        (``timeout`` seconds; None: the client's ``ack_timeout``), disconnect or free.
        Held until the namespace is connected."""
        if callback is None and timeout is not None:
            raise TypeError("timeout needs a callback")
        name = cstr(event)
        text, buffers, count = _payload.encode(args)
        with self._client._use():
            if callback is None:
                check(lib.sio_emit(self._ptr, name, text, buffers, count))
                return

            def entry(status, reply):
                if status == Result.OK:
                    callback(None, *_payload.event_args(reply))
                else:
                    callback(SioError.of_status(status))

            key = callbacks.register(entry, f"ack callback of {event!r}")
            rc = lib.sio_emit_with_ack(self._ptr, name, text, buffers, count,
                                       _timeout_ms(timeout), callbacks.on_ack, key)
            if rc != Result.OK:
                callbacks.release(key)  # the library never calls it
                check(rc)

    def call(self, event, *args, timeout=None):
        """Emits with an ack and blocks until the reply: returns its arguments as a list.
        Raises ``SioError`` (``TIMEOUT`` after ``timeout`` seconds, ``DISCONNECTED``,
        ``CLOSED``, ``IN_CALLBACK`` in a handler: use ``emit(…, callback=…)`` there)."""
        name = cstr(event)
        text, buffers, count = _payload.encode(args)
        reply = ctypes.c_void_p()
        with self._client._use():
            check(lib.sio_call(self._ptr, name, text, buffers, count, _timeout_ms(timeout),
                               ctypes.byref(reply)))
        try:
            return _payload.event_args(reply.value)
        finally:
            lib.sio_event_free(reply.value)

    def on(self, event, handler=None, *, ack=False):
        """Sets the handler of ``event`` (replacing an earlier one); a decorator without
        ``handler``. Events call ``handler(*args)``, and if the server asked for an ack, the
        return value answers it (None: no arguments, a tuple: several). With ``ack=True``,
        ``handler(ack, *args)`` gets an ``Ack`` (None if none was asked) to answer when it
        likes. Also ``"connect"`` → ``handler(sid)``, ``"disconnect"`` → ``handler(reason)``,
        ``"connect_error"`` → ``handler(message, data)``."""
        if handler is None:
            return lambda fn: self.on(event, fn, ack=ack)
        what = f"handler of {event!r} on {self.namespace}"
        if event in _LIFECYCLE:
            if ack:
                raise TypeError(f"{event!r} handlers get no ack")
            setter, trampoline, adapt = _LIFECYCLE[event]
            self._set(setter, trampoline, adapt(handler), what)
        else:
            entry = _event_entry(handler, ack, with_name=False)
            self._set(lib.sio_on, callbacks.on_event, entry, what, cstr(event))
        return handler

    def off(self, event):
        """Removes the handler of ``event`` (also ``"connect"`` etc.)."""
        if event in _LIFECYCLE:
            self._set(_LIFECYCLE[event][0], None, None, None)
        else:
            self._set(lib.sio_on, None, None, None, cstr(event))

    def on_any(self, handler):
        """Sets the catch-all ``handler(event, *args)``, called for every event before its
        own handler (it never answers acks). Usable as a decorator."""
        entry = _event_entry(handler, None, with_name=True)
        self._set(lib.sio_on_any, callbacks.on_event, entry, f"catch-all on {self.namespace}")
        return handler

    def on_unhandled(self, handler=None, *, ack=False):
        """Sets ``handler(event, *args)`` (``handler(ack, event, *args)`` with ``ack=True``)
        for events without a handler of their own; acks are answered as with ``on``."""
        if handler is None:
            return lambda fn: self.on_unhandled(fn, ack=ack)
        entry = _event_entry(handler, ack, with_name=True)
        self._set(lib.sio_on_unhandled, callbacks.on_event, entry,
                  f"unhandled-event handler on {self.namespace}")
        return handler

    def off_any(self):
        self._set(lib.sio_on_any, None, None, None)

    def off_unhandled(self):
        self._set(lib.sio_on_unhandled, None, None, None)

    def _set(self, setter, trampoline, entry, what, *name):
        """Registers ``entry`` (None: removes) with a ``sio_on*`` function; on failure the
        library finalizes it at once."""
        with self._client._use():
            if entry is None:
                # Function pointer types called without arguments are NULL.
                no_callback, no_free = setter.argtypes[1 + len(name)](), setter.argtypes[-1]()
                check(setter(self._ptr, *name, no_callback, None, no_free))
                return
            key = callbacks.register(entry, what)
            check(setter(self._ptr, *name, trampoline, key, callbacks.free_userdata))


def _event_entry(handler, ack, with_name):
    """What runs for an event: ``ack`` True passes an ``Ack``, False answers with the return
    value, None (catch-all) leaves the ack to the event's own handler."""

    def entry(event):
        args = _payload.event_args(event)
        if with_name:
            args.insert(0, lib.sio_event_name(event).decode())
        if ack is None:
            handler(*args)
        elif ack:
            handler(_take_ack(event), *args)
        else:
            answer = _take_ack(event)
            result = handler(*args)
            if answer is not None:
                answer.send(*_reply_args(result))

    return entry


# "connect", "disconnect", "connect_error": (setter, trampoline, handler -> entry)
_LIFECYCLE = {
    "connect": (lib.sio_on_connect, callbacks.on_connect,
                lambda fn: lambda socket, sid: fn(sid.decode())),
    "disconnect": (lib.sio_on_disconnect, callbacks.on_disconnect,
                   lambda fn: lambda socket, reason: fn(reason.decode())),
    "connect_error": (lib.sio_on_connect_error, callbacks.on_connect_error,
                      lambda fn: lambda socket, message, data: fn(message.decode(),
                                                                  json.loads(data))),
}
