//! `sio_auth_request`: auth produced by the host for every CONNECT of a namespace (token
//! refresh), answered now or later from any thread.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::error::{to_code, Failure};
use super::socket::{sio_socket, socket_arg, to_c};
use super::{ffi_boundary, opt_str_arg, sio_free_cb, sio_result, Userdata};
use crate::client::{AuthProvider, AuthRequest};
use crate::Socket;

/// A request for the auth of one CONNECT: answer it once with `sio_auth_reply`, or refuse it
/// with `sio_auth_request_free`.
pub struct sio_auth_request {
    inner: AuthRequest,
}

/// Called on the dispatch thread each time `socket` is about to join its namespace: the first
/// connect and every reconnection. `request` is owned by the callee: answer it with
/// `sio_auth_reply` (inside the callback or later, from any thread) or free it with
/// `sio_auth_request_free`. `socket` is borrowed from the client.
pub type sio_auth_cb = Option<
    unsafe extern "C" fn(userdata: *mut c_void, socket: *mut sio_socket, request: *mut sio_auth_request),
>;

/// Sets the callback asked for the auth of every CONNECT of this namespace, first and after each
/// reconnection (e.g. to refresh a token), replacing any earlier one; NULL removes it. While a
/// callback is set it replaces the `auth_json` given to `sio_of`. The CONNECT waits for the
/// answer without holding anything else up (the server may close a connection that joins no
/// namespace within its connect timeout, 45 s by default; the client then reconnects and asks
/// again).
///
/// Ownership: `userdata` is the caller's, passed to `callback`; `free_userdata` (may be NULL) is
/// called with it exactly once: when the callback is replaced or removed, when the client is
/// freed, or at once if this call fails or removes. Thread: any, including callbacks.
/// Errors: `SIO_ERR_NULL` (`socket`).
#[no_mangle]
pub unsafe extern "C" fn sio_socket_set_auth_callback(
    socket: *const sio_socket,
    callback: sio_auth_cb,
    userdata: *mut c_void,
    free_userdata: sio_free_cb,
) -> sio_result {
    ffi_boundary! {
        to_code((|| {
            let ud = Userdata::new(userdata, free_userdata);
            // SAFETY: caller contract.
            let socket = unsafe { socket_arg(socket) }?;
            let provider = callback.map(|cb| {
                let p: AuthProvider = Arc::new(move |s: &Arc<Socket>, request: AuthRequest| {
                    let request = Box::into_raw(Box::new(sio_auth_request { inner: request }));
                    // SAFETY: the host's callback with its own user data; it owns `request`.
                    unsafe { cb(ud.ptr(), to_c(s), request) }
                });
                p
            });
            socket.on_auth(provider);
            Ok(())
        })())
    }
}

/// Answers an auth request with `auth_json`, a JSON object (NULL: no auth), and the CONNECT
/// goes out with it. If the connection was lost or the namespace left since the request,
/// the answer is ignored (a new request comes with the next connection).
///
/// Ownership: `auth_json` is copied; consumes `request` on success; on failure it is still the
/// caller's (fix the JSON and retry, or `sio_auth_request_free` it). Thread: any, including
/// callbacks. Errors: `SIO_ERR_NULL` (`request`), `SIO_ERR_UTF8`, `SIO_ERR_JSON` (not a JSON
/// object), `SIO_ERR_CLOSED` (the client is closed).
#[no_mangle]
pub unsafe extern "C" fn sio_auth_reply(
    request: *mut sio_auth_request,
    auth_json: *const c_char,
) -> sio_result {
    ffi_boundary! {
        to_code((|| {
            if request.is_null() {
                return Err(Failure::new(sio_result::SIO_ERR_NULL, "request is NULL"));
            }
            // SAFETY: caller contract.
            let auth = unsafe { opt_str_arg(auth_json, "auth_json") }?;
            // SAFETY: `request` is non-NULL and came from an auth callback.
            unsafe { (*request).inner.reply(auth) }?;
            // SAFETY: answered: the handle is consumed, once, here (on failure it stays the caller's).
            drop(unsafe { Box::from_raw(request) });
            Ok(())
        })())
    }
}

/// Frees an auth request without answering it: the join is refused, and the socket's
/// connect_error handler gets `"no auth: the auth request was freed without a reply"` (it is
/// not retried; `sio_socket_connect` joins again). `sio_auth_request_free(NULL)` does nothing.
///
/// Ownership: consumes `request`. Thread: any, including callbacks; also after the client was
/// freed (then nothing happens but the free). Errors: none.
#[no_mangle]
pub unsafe extern "C" fn sio_auth_request_free(request: *mut sio_auth_request) {
    ffi_boundary! {
        if !request.is_null() {
            // SAFETY: `request` came from an auth callback and is freed once, per the contract.
            drop(unsafe { Box::from_raw(request) });
        }
    }
}
