//! `sio_socket`: joining and leaving a namespace, emitting, and registering handlers.

use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

use super::error::{to_code, Failure};
use super::event::{event_to_c, sio_event};
use super::{cstring, ffi_boundary, payload_args, sio_buffer, sio_free_cb, sio_result, str_arg, Userdata};
use crate::client::{AckResult, ConnectErrorHandler, ConnectHandler, Event, EventHandler};
use crate::{socketio, Socket};

/// One namespace of a client. Borrowed from the client (see `sio_of`): never freed by the caller.
pub struct sio_socket {
    _private: [u8; 0],
}

/// Called with an event; `event` is borrowed until the callback returns.
pub type sio_event_cb = Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const sio_event)>;
/// Called when the namespace is connected; `sid` (the socket id) is borrowed until it returns.
pub type sio_connect_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, socket: *mut sio_socket, sid: *const c_char)>;
/// Called when the namespace is disconnected; `reason` is one of `"io server disconnect"`,
/// `"io client disconnect"`, `"ping timeout"`, `"transport close"`, `"transport error"`,
/// `"parse error"`, borrowed until it returns.
pub type sio_disconnect_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, socket: *mut sio_socket, reason: *const c_char)>;
/// Called when joining failed: the server's `message`, and its `data` as JSON text (`"null"` if
/// none), both borrowed until it returns. Connection failures come here too (e.g. `"timeout"`).
pub type sio_connect_error_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        socket: *mut sio_socket,
        message: *const c_char,
        data_json: *const c_char,
    ),
>;
/// Called once with the outcome of an emit with ack: `SIO_OK` and the `reply` (an event whose
/// name is `""` and whose args are the ack's arguments, borrowed until the callback returns), or
/// `SIO_ERR_TIMEOUT` / `SIO_ERR_DISCONNECTED` / `SIO_ERR_CLOSED` and a NULL `reply`.
pub type sio_ack_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, status: sio_result, reply: *const sio_event)>;

pub(crate) fn to_c(socket: &Arc<Socket>) -> *mut sio_socket {
    Arc::as_ptr(socket).cast_mut().cast()
}

/// # Safety
/// `ptr` is NULL or a socket pointer from this library whose client is alive.
pub(crate) unsafe fn socket_arg<'a>(ptr: *const sio_socket) -> Result<&'a Socket, Failure> {
    // SAFETY: `sio_socket` pointers are `Socket`s kept alive by their client.
    unsafe { ptr.cast::<Socket>().as_ref() }
        .ok_or_else(|| Failure::new(sio_result::SIO_ERR_NULL, "socket is NULL"))
}

/// What every emit function takes, checked: its socket, event name, JSON arguments and buffers.
struct EmitArgs<'a> {
    socket: &'a Socket,
    event: &'a str,
    args: &'a str,
    buffers: Vec<Vec<u8>>,
}

/// # Safety
/// The emit functions' caller contract: each pointer is NULL or valid as documented there.
unsafe fn emit_args<'a>(
    socket: *const sio_socket,
    event: *const c_char,
    args_json: *const c_char,
    buffers: *const sio_buffer,
    count: usize,
) -> Result<EmitArgs<'a>, Failure> {
    // SAFETY: forwarded caller contract.
    let socket = unsafe { socket_arg(socket) }?;
    // SAFETY: forwarded caller contract.
    let event = unsafe { str_arg(event, "event") }?;
    // SAFETY: forwarded caller contract.
    let (args, buffers) = unsafe { payload_args(args_json, buffers, count) }?;
    Ok(EmitArgs { socket, event, args, buffers })
}

fn timeout_arg(timeout_ms: i64) -> Option<Duration> {
    u64::try_from(timeout_ms).ok().map(Duration::from_millis)
}

/// Joins the namespace, opening the connection first if needed. Returns at once; the connect or
/// connect_error handler tells the outcome. Also rejoins after a disconnect. Joining or joined:
/// nothing happens.
///
/// Thread: any, including callbacks. Errors: `SIO_ERR_NULL`, `SIO_ERR_CLOSED`.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_connect(socket: *const sio_socket) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract.
        to_code((|| Ok(unsafe { socket_arg(socket) }?.connect()?))())
    }
}

/// Leaves the namespace (the server is told); the disconnect handler then gets
/// `"io client disconnect"` if it was connected. The connection closes when no namespace is
/// left. Emits made afterwards are held until `sio_socket_connect`.
///
/// Thread: any, including callbacks. Errors: `SIO_ERR_NULL`, `SIO_ERR_CLOSED`.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_disconnect(socket: *const sio_socket) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract.
        to_code((|| Ok(unsafe { socket_arg(socket) }?.disconnect()?))())
    }
}

/// Whether the server recovered the session at the socket's last connect (connection state
/// recovery, socket.io 4.6+ with `connectionStateRecovery`): the same socket id, and the events
/// missed while disconnected were delivered before the connect handler. Call it in the connect
/// handler, where it is that connect's; false before the first connect. With recovery on, the server
/// adds an offset (a string) as the last argument of each event it sends without ack: libsio
/// keeps the last one to send on reconnection, and leaves it in the arguments, as the JS client
/// does.
///
/// Thread: any. Errors: false if `socket` is NULL.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_recovered(socket: *const sio_socket) -> bool {
    ffi_boundary! {
        // SAFETY: caller contract.
        unsafe { socket_arg(socket) }.is_ok_and(|s| s.recovered())
    }
}

/// The socket's namespace, e.g. `"/"` or `"/chat"`.
///
/// Ownership: borrowed, valid as long as the socket. Thread: any. Errors: NULL if `socket` is NULL.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_namespace(socket: *const sio_socket) -> *const c_char {
    ffi_boundary! {
        // SAFETY: caller contract.
        match unsafe { socket_arg(socket) } {
            Ok(s) => s.nsp_c.as_ptr(),
            Err(f) => {
                f.report();
                std::ptr::null()
            }
        }
    }
}

/// Emits `event` with `args_json`, a JSON array of arguments (NULL: none), and `count` binary
/// `buffers` (NULL and 0: none) that the arguments reference with placeholders
/// `{"_placeholder":true,"num":i}`, anywhere in them, e.g.
/// `sio_emit(s, "file", "[\"a.png\",{\"_placeholder\":true,\"num\":0}]", &buf, 1)`.
/// If the namespace is not connected (not joined yet, disconnected, reconnecting) the emit is
/// held and sent, in order, right after it connects; when it already holds
/// `sio_options_set_max_buffered` emits (default 1000), this one fails with
/// `SIO_ERR_BUFFER_FULL` instead. With `sio_options_set_retries`, it goes through the retry queue.
///
/// Ownership: arguments and buffers are copied. Thread: any, including callbacks.
/// Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`, `SIO_ERR_JSON` (not a JSON array, or placeholders
/// that do not reference each buffer exactly), `SIO_ERR_RESERVED_EVENT`, `SIO_ERR_BUFFER_FULL`,
/// `SIO_ERR_CLOSED`.
#[no_mangle]
pub unsafe extern "C" fn sio_emit(
    socket: *const sio_socket,
    event: *const c_char,
    args_json: *const c_char,
    buffers: *const sio_buffer,
    count: usize,
) -> sio_result {
    ffi_boundary! {
        to_code((|| {
            // SAFETY: caller contract.
            let a = unsafe { emit_args(socket, event, args_json, buffers, count) }?;
            Ok(a.socket.emit(a.event, a.args, a.buffers)?)
        })())
    }
}

/// Emits like `sio_emit` (same arguments and buffers, held likewise) and asks the server for an
/// acknowledgement. `callback` runs once on the dispatch thread with the reply, or with
/// `SIO_ERR_TIMEOUT` after `timeout_ms` (negative: the socket's default,
/// `sio_socket_set_ack_timeout`, else the client's, `sio_options_set_ack_timeout`, which is no
/// limit unless set; a held emit that times out is dropped, never sent), `SIO_ERR_DISCONNECTED`
/// if the namespace left after it was sent and before the reply, or `SIO_ERR_CLOSED` on
/// `sio_client_close` or during `sio_client_free`. With `sio_options_set_retries`, the timeout
/// is per try and `SIO_ERR_TIMEOUT` comes after the last one. If this call fails, `callback` is
/// never called.
///
/// Ownership: arguments are copied; `userdata` is the caller's, passed back to `callback`.
/// Thread: any, including callbacks. Errors: as `sio_emit`.
#[no_mangle]
pub unsafe extern "C" fn sio_emit_with_ack(
    socket: *const sio_socket,
    event: *const c_char,
    args_json: *const c_char,
    buffers: *const sio_buffer,
    count: usize,
    timeout_ms: i64,
    callback: sio_ack_cb,
    userdata: *mut c_void,
) -> sio_result {
    ffi_boundary! {
        to_code((|| {
            // SAFETY: caller contract.
            let a = unsafe { emit_args(socket, event, args_json, buffers, count) }?;
            let callback = callback.ok_or_else(|| Failure::new(sio_result::SIO_ERR_NULL, "callback is NULL"))?;
            let userdata = Userdata::new(userdata, None);
            let reply = Box::new(move |result: AckResult| {
                let (status, reply) = match &result {
                    Ok(ev) => (sio_result::SIO_OK, event_to_c(ev)),
                    Err(e) => (Failure::from(e.clone()).code(), std::ptr::null()),
                };
                // SAFETY: the host's callback, with its own user data and a borrowed reply.
                unsafe { callback(userdata.ptr(), status, reply) };
            });
            Ok(a.socket.emit_with_ack(a.event, a.args, a.buffers, timeout_arg(timeout_ms), reply)?)
        })())
    }
}

/// Emits with an acknowledgement and blocks until the reply comes (or `timeout_ms` passes;
/// negative: the socket's default, else the client's; see `sio_emit_with_ack`).
/// On success `*reply` is the reply event: its args are the ack's arguments.
///
/// Ownership: `*reply` is owned by the caller, free it with `sio_event_free`; written only on
/// success. Thread: any but the dispatch thread. Errors: as `sio_emit`, plus `SIO_ERR_TIMEOUT`,
/// `SIO_ERR_DISCONNECTED`, `SIO_ERR_CLOSED`, and `SIO_ERR_IN_CALLBACK` when called from a
/// callback (use `sio_emit_with_ack` there).
#[no_mangle]
pub unsafe extern "C" fn sio_call(
    socket: *const sio_socket,
    event: *const c_char,
    args_json: *const c_char,
    buffers: *const sio_buffer,
    count: usize,
    timeout_ms: i64,
    reply: *mut *mut sio_event,
) -> sio_result {
    ffi_boundary! {
        to_code((|| {
            // SAFETY: caller contract.
            let a = unsafe { emit_args(socket, event, args_json, buffers, count) }?;
            if reply.is_null() {
                return Err(Failure::new(sio_result::SIO_ERR_NULL, "reply is NULL"));
            }
            let timeout = timeout_arg(timeout_ms);
            let ev: Event = a.socket.call(a.event, a.args, a.buffers, timeout)?;
            // SAFETY: `reply` is non-NULL and writable per the contract.
            unsafe { *reply = Box::into_raw(Box::new(ev)).cast() };
            Ok(())
        })())
    }
}

/// Emits like `sio_emit` (same arguments and buffers), but only if the namespace is connected
/// and the transport can take it at once: nothing waiting to be written to the WebSocket, or
/// no polling POST in flight. Otherwise it is dropped: for values that the next one supersedes
/// (positions, progress). It is never held, retried or acknowledged.
///
/// Returns `SIO_ERR_DISCONNECTED` (dropped) when the namespace is not connected at call time;
/// `SIO_OK` means it was queued for the I/O thread, which still drops it, silently, if the
/// transport is not writable when it gets there (or the namespace disconnected meanwhile).
///
/// Ownership: arguments and buffers are copied. Thread: any, including callbacks.
/// Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`, `SIO_ERR_JSON`, `SIO_ERR_RESERVED_EVENT`,
/// `SIO_ERR_DISCONNECTED`, `SIO_ERR_CLOSED`.
#[no_mangle]
pub unsafe extern "C" fn sio_emit_volatile(
    socket: *const sio_socket,
    event: *const c_char,
    args_json: *const c_char,
    buffers: *const sio_buffer,
    count: usize,
) -> sio_result {
    ffi_boundary! {
        to_code((|| {
            // SAFETY: caller contract.
            let a = unsafe { emit_args(socket, event, args_json, buffers, count) }?;
            Ok(a.socket.emit_volatile(a.event, a.args, a.buffers)?)
        })())
    }
}

/// Sets this socket's default ack timeout: used by its emits with ack given a negative
/// timeout (and, with `sio_options_set_retries`, by each try of every emit), instead of the
/// client's `sio_options_set_ack_timeout`. `timeout_ms` > 0: that many ms; 0: no limit;
/// negative: the client's default again (the initial setting). Applies to later emits.
///
/// Thread: any, including callbacks. Errors: `SIO_ERR_NULL`.
#[no_mangle]
pub unsafe extern "C" fn sio_socket_set_ack_timeout(
    socket: *const sio_socket,
    timeout_ms: i64,
) -> sio_result {
    ffi_boundary! {
        to_code((|| {
            // SAFETY: caller contract.
            let socket = unsafe { socket_arg(socket) }?;
            socket.set_ack_timeout(match timeout_ms {
                ms if ms < 0 => None,
                0 => Some(None),
                ms => Some(timeout_arg(ms)),
            });
            Ok(())
        })())
    }
}

/// Registers (or, for a NULL `callback`, removes) one handler: `wrap` turns the C callback and
/// its user data into the Rust handler that `set` installs. Refused user data is finalized.
unsafe fn register<C, H>(
    socket: *const sio_socket,
    callback: Option<C>,
    userdata: *mut c_void,
    free_userdata: sio_free_cb,
    wrap: impl FnOnce(C, Userdata) -> H,
    set: impl FnOnce(&Socket, Option<H>),
) -> Result<(), Failure> {
    let ud = Userdata::new(userdata, free_userdata);
    // SAFETY: caller contract.
    let socket = unsafe { socket_arg(socket) }?;
    // Removing: the user data has no callback to live for, so it is finalized now.
    set(socket, callback.map(|cb| wrap(cb, ud)));
    Ok(())
}

/// Wraps a C event callback into a Rust event handler.
fn event_handler(cb: unsafe extern "C" fn(*mut c_void, *const sio_event), ud: Userdata) -> EventHandler {
    // SAFETY (in the closure): the host's callback with its own user data; the event is borrowed.
    Arc::new(move |ev: &Event| unsafe { cb(ud.ptr(), event_to_c(ev)) })
}

/// Wraps a C callback that takes the socket and one string (the socket id, or the disconnect
/// reason) into a Rust handler (`ConnectHandler` and `DisconnectHandler` are the same type).
fn text_handler(
    cb: unsafe extern "C" fn(*mut c_void, *mut sio_socket, *const c_char),
    ud: Userdata,
) -> ConnectHandler {
    Arc::new(move |s: &Arc<Socket>, text: &str| {
        let text = cstring(text);
        // SAFETY: the host's callback with its own user data; strings borrowed.
        unsafe { cb(ud.ptr(), to_c(s), text.as_ptr()) }
    })
}

/// Sets the handler for events named `event`, replacing any earlier one (whose `free_userdata`
/// then runs). A NULL `callback` removes the handler. Lifecycle events have their own
/// functions: `sio_on_connect`, `sio_on_disconnect`, `sio_on_connect_error`.
///
/// Ownership: `event` is copied; `userdata` is the caller's, passed to `callback` on the dispatch
/// thread; `free_userdata` (may be NULL) is called with it exactly once: when the handler is
/// replaced or removed, when the client is freed, or at once if this call fails or removes.
/// Thread: any, including callbacks. Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`,
/// `SIO_ERR_RESERVED_EVENT`.
#[no_mangle]
pub unsafe extern "C" fn sio_on(
    socket: *const sio_socket,
    event: *const c_char,
    callback: sio_event_cb,
    userdata: *mut c_void,
    free_userdata: sio_free_cb,
) -> sio_result {
    ffi_boundary! {
        to_code((|| {
            // SAFETY: caller contract.
            let event = unsafe { str_arg(event, "event") }.and_then(|e| {
                if socketio::is_reserved_event(e) {
                    Err(crate::Error::ReservedEvent(e.to_owned()).into())
                } else {
                    Ok(e)
                }
            });
            let event = match event {
                Ok(e) => e,
                Err(f) => {
                    drop(Userdata::new(userdata, free_userdata));
                    return Err(f);
                }
            };
            // SAFETY: caller contract.
            unsafe { register(socket, callback, userdata, free_userdata, event_handler, |s, h| s.on(event, h)) }
        })())
    }
}

/// Sets the catch-all handler: called for every event, before its named handler. NULL removes.
///
/// Ownership, thread, errors: as `sio_on` (without the event name).
#[no_mangle]
pub unsafe extern "C" fn sio_on_any(
    socket: *const sio_socket,
    callback: sio_event_cb,
    userdata: *mut c_void,
    free_userdata: sio_free_cb,
) -> sio_result {
    // SAFETY: caller contract.
    ffi_boundary! { to_code(unsafe { register(socket, callback, userdata, free_userdata, event_handler, Socket::on_any) }) }
}

/// Sets the handler for events that have no named handler (`sio_on`). NULL removes.
///
/// Ownership, thread, errors: as `sio_on` (without the event name).
#[no_mangle]
pub unsafe extern "C" fn sio_on_unhandled(
    socket: *const sio_socket,
    callback: sio_event_cb,
    userdata: *mut c_void,
    free_userdata: sio_free_cb,
) -> sio_result {
    // SAFETY: caller contract.
    ffi_boundary! { to_code(unsafe { register(socket, callback, userdata, free_userdata, event_handler, Socket::on_unhandled) }) }
}

/// Sets the handler called when the namespace is connected, with the socket id. NULL removes.
///
/// Ownership, thread, errors: as `sio_on` (without the event name).
#[no_mangle]
pub unsafe extern "C" fn sio_on_connect(
    socket: *const sio_socket,
    callback: sio_connect_cb,
    userdata: *mut c_void,
    free_userdata: sio_free_cb,
) -> sio_result {
    // SAFETY: caller contract.
    ffi_boundary! { to_code(unsafe { register(socket, callback, userdata, free_userdata, text_handler, Socket::on_connect) }) }
}

/// Sets the handler called when the namespace is disconnected, with the reason. NULL removes.
///
/// Ownership, thread, errors: as `sio_on` (without the event name).
#[no_mangle]
pub unsafe extern "C" fn sio_on_disconnect(
    socket: *const sio_socket,
    callback: sio_disconnect_cb,
    userdata: *mut c_void,
    free_userdata: sio_free_cb,
) -> sio_result {
    // SAFETY: caller contract.
    ffi_boundary! {
        to_code(unsafe { register(socket, callback, userdata, free_userdata, text_handler, Socket::on_disconnect) })
    }
}

/// Sets the handler called when joining the namespace failed (refused by the server, or the
/// connection could not be opened), with the message and data. NULL removes.
///
/// Ownership, thread, errors: as `sio_on` (without the event name).
#[no_mangle]
pub unsafe extern "C" fn sio_on_connect_error(
    socket: *const sio_socket,
    callback: sio_connect_error_cb,
    userdata: *mut c_void,
    free_userdata: sio_free_cb,
) -> sio_result {
    type Cb = unsafe extern "C" fn(*mut c_void, *mut sio_socket, *const c_char, *const c_char);
    let wrap = |cb: Cb, ud: Userdata| -> ConnectErrorHandler {
        Arc::new(move |s: &Arc<Socket>, message: &str, data: &str| {
            let (message, data) = (cstring(message), cstring(data));
            // SAFETY: the host's callback with its own user data; strings borrowed.
            unsafe { cb(ud.ptr(), to_c(s), message.as_ptr(), data.as_ptr()) }
        })
    };
    // SAFETY: caller contract.
    ffi_boundary! { to_code(unsafe { register(socket, callback, userdata, free_userdata, wrap, Socket::on_connect_error) }) }
}
