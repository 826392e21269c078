//! Manual dispatch: the host runs the callbacks on its own threads, from its own event loop.

use std::ffi::c_int;
use std::time::Duration;

use super::client::{sio_client, sio_options, with_options};
use super::error::{to_code, Failure};
use super::{ffi_boundary, obj_arg, sio_result};
use crate::client::options::DispatchMode;
use crate::client::Dispatcher;

/// Who runs a client's callbacks (`sio_options_set_dispatch`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sio_dispatch_mode {
    /// A dispatch thread of the client's own runs every callback (the default).
    SIO_DISPATCH_THREAD = 0,
    /// No dispatch thread: callbacks wait in the client's queue until the host runs them with
    /// `sio_dispatch`, `sio_dispatch_wait` or `sio_wait`, on whichever of its threads calls
    /// them. `sio_client_fd` is readable while callbacks are pending, for the host's event loop.
    SIO_DISPATCH_MANUAL = 1,
    /// No dispatch thread: the client's I/O thread runs every callback itself, right after the
    /// frames and timers that caused them, so an ack round trip or an emit from a callback
    /// needs no thread hand-off (the lowest latency). The trade-off: while a callback runs, the
    /// client does no I/O at all (no reading, writing, heartbeat or timers), so a slow callback
    /// can make the server drop the connection (ping timeout). For short callbacks.
    SIO_DISPATCH_INLINE = 2,
}

/// Chooses who runs the callbacks of the clients made with `opts` (a `sio_dispatch_mode` value;
/// default `SIO_DISPATCH_THREAD`). With `SIO_DISPATCH_MANUAL` every callback — events, ack
/// replies, connect, disconnect, connect_error, reconnect — runs inside `sio_dispatch`,
/// `sio_dispatch_wait` or `sio_wait`, on the thread that calls them, one at a time and in
/// arrival order; the network keeps going meanwhile on the client's I/O thread (heartbeats do not
/// wait for the host to dispatch, and what arrives is queued until it does). With
/// `SIO_DISPATCH_INLINE` they run on that I/O thread, one at a time and in order, and the
/// client's I/O waits while one runs (see `SIO_DISPATCH_INLINE`). Everything else holds as with
/// the dispatch thread: blocking calls inside a callback fail with `SIO_ERR_IN_CALLBACK`, and
/// `sio_client_free` (also from a callback) returns after the last callback.
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`, `SIO_ERR_INVALID` (not
/// a `sio_dispatch_mode` value).
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_dispatch(opts: *mut sio_options, mode: c_int) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, |o| {
            o.dispatch = match mode {
                0 => DispatchMode::Thread,
                1 => DispatchMode::Manual,
                2 => DispatchMode::Inline,
                other => return Err(Failure::new(sio_result::SIO_ERR_INVALID, format!("{other} is not a sio_dispatch_mode"))),
            };
            Ok(())
        }) })
    }
}

/// The client's queue handle: holds no borrow of the client, so a callback it runs may free it.
///
/// # Safety
/// `client` is NULL or a live client.
unsafe fn dispatcher(client: *const sio_client) -> Result<Dispatcher, Failure> {
    // SAFETY: caller contract.
    Ok(unsafe { obj_arg(client, "client") }?.inner.dispatcher())
}

/// Runs the callbacks that are pending, on the calling thread: at most `max` of them, or with
/// `max` 0 all those queued when the call starts (not those that arrive while it runs, so it
/// always returns). `*ran` (if `ran` is not NULL) gets how many ran: each event, ack reply,
/// connect, disconnect, connect_error and reconnect notification counts, with or without a
/// handler. Returns without waiting when none is pending. Calls from several threads at once
/// are serialized: a call first waits for a callback running on another thread to return.
///
/// A callback it runs may call any function of the client, including `sio_client_free`: the
/// call then returns after that callback, and later entries are not run (pending ack callbacks
/// get `SIO_ERR_CLOSED` from `sio_client_free`, once).
///
/// Ownership: `client` is borrowed. Thread: any host thread, not from inside a callback.
/// Errors: `SIO_ERR_NULL` (`client`), `SIO_ERR_INVALID` (the client has a dispatch thread:
/// `SIO_DISPATCH_THREAD`), `SIO_ERR_IN_CALLBACK` (called from one of its callbacks). `*ran` is
/// written only on success.
#[no_mangle]
pub unsafe extern "C" fn sio_dispatch(client: *const sio_client, max: usize, ran: *mut usize) -> sio_result {
    ffi_boundary! {
        to_code((|| {
            // SAFETY: caller contract.
            let n = unsafe { dispatcher(client) }?.dispatch(max)?;
            // SAFETY: `ran` is NULL or writable per the contract.
            if let Some(out) = unsafe { ran.as_mut() } {
                *out = n;
            }
            Ok(())
        })())
    }
}

/// Waits up to `timeout_ms` (negative: no limit; 0: do not wait) for the next callback and runs
/// it on the calling thread: the pull form of the event loop. Runs one callback at most. Calls
/// from several threads at once are serialized, as with `sio_dispatch`; a callback it runs may
/// free the client.
///
/// Ownership: `client` is borrowed. Thread: any host thread, not from inside a callback.
/// Errors: `SIO_ERR_NULL`, `SIO_ERR_TIMEOUT` (no callback came in time), `SIO_ERR_INVALID` (the
/// client has a dispatch thread), `SIO_ERR_IN_CALLBACK` (called from one of its callbacks).
#[no_mangle]
pub unsafe extern "C" fn sio_dispatch_wait(client: *const sio_client, timeout_ms: i64) -> sio_result {
    ffi_boundary! {
        to_code((|| {
            let timeout = u64::try_from(timeout_ms).ok().map(Duration::from_millis);
            // SAFETY: caller contract.
            if unsafe { dispatcher(client) }?.dispatch_wait(timeout)? {
                Ok(())
            } else {
                Err(Failure::new(sio_result::SIO_ERR_TIMEOUT, "no callback came in time"))
            }
        })())
    }
}

/// A file descriptor that is readable exactly while callbacks are pending (level-triggered:
/// it stays readable until they are run, and polling it again does not consume anything), for
/// the host's event loop: epoll, poll/select, libuv (`uv_poll_t`), GLib (`g_unix_fd_add`), Qt
/// (`QSocketNotifier`). When it is readable, call `sio_dispatch`. The same descriptor for the
/// client's whole life.
///
/// Ownership: owned by the client: never read, write or close it; `sio_client_free` closes it,
/// so remove it from the loop first (epoll forgets it by itself when it is closed). Thread: any,
/// including callbacks. Errors: returns -1, with `sio_last_error` set, for a NULL client or one
/// made with `SIO_DISPATCH_THREAD`.
#[no_mangle]
pub unsafe extern "C" fn sio_client_fd(client: *const sio_client) -> c_int {
    ffi_boundary! {
        // SAFETY: caller contract.
        let fd = unsafe { dispatcher(client) }.and_then(|d| Ok(d.fd()?));
        match fd {
            Ok(fd) => fd,
            Err(f) => {
                f.report();
                -1
            }
        }
    }
}
