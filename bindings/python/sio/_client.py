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


class _Answer:
    """The right to answer one request of the library exactly once, from any thread, now or
    later; given up (``_drop``) when garbage-collected unanswered."""

    _what = "request"

    def __init__(self, ptr):
        self._ptr = ptr
        self._lock = threading.Lock()

    def _answer(self, fn, *args):
        """``fn(ptr, *args)``, which consumes the pointer when it succeeds."""
        with self._lock:
            if self._ptr is None:
                raise SioError(Result.NULL, f"this {self._what} was already answered or dropped")
            check(fn(self._ptr, *args))
            self._ptr = None

    def _drop(self, free):
        with self._lock:
            ptr, self._ptr = self._ptr, None
        if ptr:
            free(ptr)


class Ack(_Answer):
    """The right to answer one ack request of the server: ``send(*args)`` once, from any thread,
    now or later. Dropped without an answer when garbage-collected (or by ``drop()``)."""

    _what = "ack"

    def send(self, *args):
        """Answers with ``args`` (JSON values and bytes-like objects). Raises ``SioError``
        (``Result.NULL`` once it was sent or dropped; ``Result.CLOSED`` after the client was
        closed)."""
        text, buffers, count = _payload.encode(args)
        self._answer(lib.sio_ack_send, text, buffers, count)

    def drop(self):
        """Gives up the right to answer (the server's ack then never comes)."""
        self._drop(lib.sio_ack_free)

    __del__ = drop


class AuthRequest(_Answer):
    """A request for the auth of one CONNECT (``Socket.set_auth(…, later=True)``): ``reply``
    once, from any thread, now or later; the join waits for it. ``refuse()``, or garbage
    collection unanswered, refuses the join (the ``connect_error`` handler is told)."""

    _what = "auth request"

    def reply(self, auth=None):
        """Sends the CONNECT with ``auth`` (a dict; None: no auth). Raises ``SioError``
        (``Result.JSON`` if not a dict: the request is still yours; ``Result.NULL`` once
        answered; ``Result.CLOSED`` after the client was closed). An answer that comes after
        the connection was lost is ignored: the next connection asks again."""
        self._answer(lib.sio_auth_reply, None if auth is None else _json_text(auth))

    def refuse(self):
        """Refuses the join: the ``connect_error`` handler gets ``"no auth: …"``, and the
        namespace stays out until ``Socket.connect()``."""
        self._drop(lib.sio_auth_request_free)

    __del__ = refuse


class Client:
    """One connection to a Socket.IO server (``sio_connect``): its threads start at once, but
    nothing is sent until a socket is connected, so handlers can be set first.

    Options (keyword arguments, times in seconds; None keeps the default): ``path``,
    ``query`` and ``headers`` (dicts or lists of pairs), ``connect_timeout``, ``transport``
    (``"auto"``, ``"websocket"``, ``"polling"`` or ``Transport``), ``protocol`` (``Protocol``),
    ``proxy``, ``ca_file``, ``client_cert`` (``(cert_file, key_file)``), ``insecure``,
    ``reconnection``, ``reconnection_attempts``, ``reconnection_delay``,
    ``reconnection_delay_max``, ``randomization_factor``, ``retry_initial_connect``,
    ``ack_timeout``, ``max_buffered`` (emits held per namespace while not connected; 0: no
    limit), ``retries`` (at-least-once delivery), ``max_message_size`` (bytes, default 16
    MiB) and ``max_attachments`` (per packet, default 10): a server sending more is
    disconnected; ``read_coalescing`` (the window in seconds in which a stream from the server
    is read at once, default 0.0004, 0: off, at most 0.1), ``max_pending`` (callbacks
    waiting to run before the client stops reading, default 10000, 0: no limit), ``dispatch`` (``"thread"`` or
    ``"manual"``: see ``dispatch()``), ``log_level`` (a ``logging`` level, or a name such as
    ``"DEBUG"`` or ``"TRACE"``: libsio's log as records of the ``"sio"`` logger).

    Every method may be called from any thread, also from handlers (except the blocking
    ``wait``, ``dispatch``, ``dispatch_wait`` and ``Socket.call``, which raise
    ``Result.IN_CALLBACK`` there). ``free()``, or leaving a ``with`` block, releases it; so
    does garbage collection of the last reference.
    """

    def __init__(self, url, **options):
        self._ptr = None
        self._users = 0  # calls into the library in progress: `free` waits for them
        self._cond = threading.Condition()
        self._local = threading.local()  # .users: this thread's share of `_users`
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
        self._local.users = getattr(self._local, "users", 0) + 1
        try:
            yield self._ptr
        finally:
            self._local.users -= 1
            with self._cond:
                self._users -= 1
                if not self._users:
                    self._cond.notify_all()

    def of(self, namespace=None, auth=None):
        """The ``Socket`` of ``namespace`` (``"/chat"``; None: the URL's), the same object on
        every call; ``auth`` (a dict) is sent when it joins, and replaces an earlier one (see
        also ``Socket.set_auth``)."""
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

    def _blocking(self, call, timeout):
        """Runs ``call(ptr, ms)`` in slices of at most ``_WAIT_SLICE_MS`` until it returns
        something other than ``Result.TIMEOUT`` (returned) or ``timeout`` seconds (None: no
        limit) pass (``Result.TIMEOUT``). Between slices the client is not held, so ``free``
        is not held up, and Ctrl-C is seen; ``Result.CLOSED`` is raised once it is freed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = _WAIT_SLICE_MS
            if deadline is not None:
                left = min(left, max(0, math.ceil((deadline - time.monotonic()) * 1000)))
            with self._use() as ptr:
                rc = call(ptr, left)
            if rc != Result.TIMEOUT or (deadline is not None and time.monotonic() >= deadline):
                return rc

    def wait(self, timeout=None):
        """Blocks until the client is closed (no namespace joined or joining, and the handlers
        telling it have run) or ``timeout`` seconds pass (None: no limit); True if closed.
        With ``dispatch="manual"`` it runs the callbacks that come meanwhile, as
        ``dispatch()`` does."""
        try:
            rc = self._blocking(lib.sio_wait, timeout)
        except SioError:  # freed meanwhile: closed
            return True
        if rc == Result.TIMEOUT:
            return False
        if rc != Result.CLOSED:  # CLOSED: a callback it ran freed the client
            check(rc)
        return True

    def fileno(self):
        """With ``dispatch="manual"``: a file descriptor readable exactly while callbacks are
        pending, for ``selectors``, ``select`` or ``asyncio``'s ``loop.add_reader``; call
        ``dispatch()`` when it is. The client owns it (never read or close it), and ``free()``
        closes it: unregister it first. -1 once the client is freed, as for a closed socket.
        Raises ``SioError`` (``Result.INVALID``) for a client with a dispatch thread."""
        try:
            with self._use() as ptr:
                fd = lib.sio_client_fd(ptr)
        except SioError:
            return -1
        if fd < 0:
            raise SioError(Result.INVALID, lib.sio_last_error().decode("utf-8", "replace"))
        return fd

    def dispatch(self, max=0):
        """With ``dispatch="manual"``: runs the pending callbacks on the calling thread (at most
        ``max``; 0: all those pending when it starts) and returns how many ran, without
        waiting. A callback may free the client: later ones then do not run. Raises
        ``SioError``: ``Result.INVALID`` for a client with a dispatch thread,
        ``Result.IN_CALLBACK`` from a callback, ``Result.CLOSED`` once freed."""
        ran = ctypes.c_size_t()
        with self._use() as ptr:
            check(lib.sio_dispatch(ptr, max, ctypes.byref(ran)))
        return ran.value

    def dispatch_wait(self, timeout=None):
        """With ``dispatch="manual"``: waits up to ``timeout`` seconds (None: no limit) for the
        next callback and runs it on the calling thread; True if one ran, False if none came
        in time. Raises as ``dispatch()``."""
        rc = self._blocking(lib.sio_dispatch_wait, timeout)
        if rc == Result.TIMEOUT:
            return False
        check(rc)
        return True

    def free(self):
        """Frees the client (``sio_client_free``) after the calls other threads are making on
        it return: handlers are released, pending ack callbacks get ``Result.CLOSED``, and no
        handler runs afterwards. Later calls raise ``Result.CLOSED``; freeing twice does
        nothing. For a clean goodbye, ``close()`` and ``wait()`` first (as ``with`` does).
        From a callback run by ``dispatch()`` on this thread it frees at once: the dispatch
        call returns after that callback."""
        with self._cond:
            ptr, self._ptr = self._ptr, None
            if ptr is None:
                return
            mine = getattr(self._local, "users", 0)  # dispatching: a callback frees the client
            if self._users > mine:
                lib.sio_client_close(ptr)  # ends blocking calls in progress
                while self._users > mine:
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
        self._ack_timeout = None
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

    @property
    def recovered(self):
        """Whether the server recovered the session at the last connect (connection state
        recovery, socket.io 4.6+): the same sid, and the events missed meanwhile delivered
        before the ``connect`` handler. Read it there; False before the first connect."""
        with self._client._use():
            return lib.sio_socket_recovered(self._ptr)

    @property
    def ack_timeout(self):
        """The default ack timeout of this socket's emits in seconds (0: no limit), used when
        an emit gives none; None (the initial value): the client's ``ack_timeout``."""
        return self._ack_timeout

    @ack_timeout.setter
    def ack_timeout(self, seconds):
        with self._client._use():
            check(lib.sio_socket_set_ack_timeout(self._ptr, _timeout_ms(seconds)))
        self._ack_timeout = seconds

    def emit(self, event, *args, callback=None, timeout=None, volatile=False):
        """Emits ``event`` with ``args`` (JSON values; bytes, bytearray and memoryview at any
        depth travel as binary). With ``callback``, asks for an ack: ``callback(None,
        *reply_args)`` runs once on the dispatch thread, or ``callback(SioError)`` on timeout
        (``timeout`` seconds; None: the socket's, else the client's ``ack_timeout``),
        disconnect or free. Held until the namespace is connected; raises ``SioError``
        (``Result.BUFFER_FULL``) when ``max_buffered`` emits are held already.

        With ``volatile=True`` (no callback), it is sent only if the namespace is connected and
        the transport can take it now, else dropped (for values the next one supersedes):
        returns False if it was dropped because the namespace is not connected, True if it was
        handed to the connection (which may still drop it)."""
        if callback is None and timeout is not None:
            raise TypeError("timeout needs a callback")
        if volatile and callback is not None:
            raise TypeError("a volatile emit gets no ack")
        name = cstr(event)
        text, buffers, count = _payload.encode(args)
        with self._client._use():
            if volatile:
                rc = lib.sio_emit_volatile(self._ptr, name, text, buffers, count)
                if rc != Result.DISCONNECTED:
                    check(rc)
                return rc == Result.OK
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

    def set_auth(self, provider, *, later=False):
        """Sets ``provider``, asked for the auth of every CONNECT of this namespace: the first
        and each after a reconnection (a fresh token), on the dispatch thread; None removes it
        (the ``auth`` of ``Client.of`` is sent again). ``provider()`` returns the auth (a dict;
        None: no auth); if it raises, the join is refused (``connect_error``) and the
        exception logged. With ``later=True``, ``provider(request)`` gets an ``AuthRequest``
        to ``reply(auth)`` when it likes, from any thread: the join waits for it. Usable as a
        decorator; returns ``provider``."""
        if provider is None:
            self._set(lib.sio_socket_set_auth_callback, None, None, None)
            return None

        def entry(socket, ptr):
            request = AuthRequest(ptr)
            if later:
                provider(request)
                return
            try:
                request.reply(provider())
            finally:
                request.refuse()  # nothing once replied; else (it raised) refuses the join

        self._set(lib.sio_socket_set_auth_callback, callbacks.on_auth, entry,
                  f"auth provider of {self.namespace}")
        return provider

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
