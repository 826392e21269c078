//! `sio_event` (what event callbacks and blocking calls receive) and `sio_ack` (the right to
//! answer a server's ack request).

use std::ffi::c_char;

use super::error::{to_code, Failure};
use super::socket::{sio_socket, to_c};
use super::{ffi_boundary, obj_arg, payload_args, sio_buffer, sio_result};
use crate::client::{Event, Responder};

/// An event from the server, or the reply to an emit with ack (named `""`). Borrowed in
/// callbacks; owned only when returned by `sio_call` (free with `sio_event_free`).
pub struct sio_event {
    _private: [u8; 0],
}

/// The right to answer one ack request of the server: send it with `sio_ack_send` or drop it
/// with `sio_ack_free`.
pub struct sio_ack {
    inner: Responder,
}

pub(crate) fn event_to_c(ev: &Event) -> *const sio_event {
    (ev as *const Event).cast()
}

unsafe fn event_arg<'a>(ev: *const sio_event) -> Result<&'a Event, Failure> {
    // SAFETY: `sio_event` pointers are `Event`s, valid per the caller's contract.
    unsafe { obj_arg(ev.cast::<Event>(), "event") }
}

/// The event name, or `""` for an ack reply.
///
/// Ownership: borrowed, valid as long as `event`. Thread: any. Errors: NULL if `event` is NULL.
#[no_mangle]
pub unsafe extern "C" fn sio_event_name(event: *const sio_event) -> *const c_char {
    ffi_boundary! {
        // SAFETY: caller contract.
        match unsafe { event_arg(event) } {
            Ok(ev) => ev.name_with_nul().as_ptr().cast(),
            Err(f) => {
                f.report();
                std::ptr::null()
            }
        }
    }
}

/// The arguments as a JSON array text (without the event name), e.g. `["alice","hi"]`. Binary
/// arguments appear as `{"_placeholder":true,"num":N}`; `sio_event_buffer(event, N, …)` gives
/// their bytes.
///
/// Ownership: borrowed, valid as long as `event`. Thread: any. Errors: NULL if `event` is NULL.
#[no_mangle]
pub unsafe extern "C" fn sio_event_args(event: *const sio_event) -> *const c_char {
    ffi_boundary! {
        // SAFETY: caller contract.
        match unsafe { event_arg(event) } {
            Ok(ev) => ev.args_with_nul().as_ptr().cast(),
            Err(f) => {
                f.report();
                std::ptr::null()
            }
        }
    }
}

/// How many binary buffers the event carries.
///
/// Thread: any. Errors: 0 if `event` is NULL.
#[no_mangle]
pub unsafe extern "C" fn sio_event_buffer_count(event: *const sio_event) -> usize {
    ffi_boundary! {
        // SAFETY: caller contract.
        unsafe { event_arg(event) }.map_or(0, |ev| ev.buffers().len())
    }
}

/// Buffer `index` of the event: its bytes, and its length in `*len` (if `len` is not NULL).
///
/// Ownership: borrowed, valid as long as `event`. Thread: any. Errors: NULL (and `*len` = 0) if
/// `event` is NULL or `index` is out of range; an empty buffer gives a non-NULL pointer.
#[no_mangle]
pub unsafe extern "C" fn sio_event_buffer(
    event: *const sio_event,
    index: usize,
    len: *mut usize,
) -> *const u8 {
    ffi_boundary! {
        // SAFETY: caller contract.
        let buf = unsafe { event_arg(event) }.ok().and_then(|ev| ev.buffers().get(index));
        if !len.is_null() {
            // SAFETY: `len` is non-NULL and writable per the contract.
            unsafe { *len = buf.map_or(0, Vec::len) };
        }
        buf.map_or(std::ptr::null(), |b| b.as_ptr())
    }
}

/// The socket (namespace) the event arrived on.
///
/// Ownership: borrowed from the client, as from `sio_of`. Thread: any. Errors: NULL if `event`
/// is NULL.
#[no_mangle]
pub unsafe extern "C" fn sio_event_socket(event: *const sio_event) -> *mut sio_socket {
    ffi_boundary! {
        // SAFETY: caller contract.
        unsafe { event_arg(event) }.map_or(std::ptr::null_mut(), |ev| to_c(ev.socket()))
    }
}

/// Takes the right to answer the server's ack request for this event: inside the callback, or
/// later from any thread. NULL if the server asked for no ack, or it was already taken.
///
/// Ownership: owned by the caller; pass it to `sio_ack_send` or `sio_ack_free`. Thread: any.
/// Errors: NULL (see above; also if `event` is NULL).
#[no_mangle]
pub unsafe extern "C" fn sio_event_take_ack(event: *const sio_event) -> *mut sio_ack {
    ffi_boundary! {
        // SAFETY: caller contract.
        match unsafe { event_arg(event) }.ok().and_then(Event::take_ack) {
            Some(inner) => Box::into_raw(Box::new(sio_ack { inner })),
            None => std::ptr::null_mut(),
        }
    }
}

/// Frees an event returned by `sio_call`. `sio_event_free(NULL)` does nothing. Never call it on
/// the borrowed events that callbacks receive.
///
/// Ownership: consumes `event`. Thread: any. Errors: none.
#[no_mangle]
pub unsafe extern "C" fn sio_event_free(event: *mut sio_event) {
    ffi_boundary! {
        if !event.is_null() {
            // SAFETY: `event` came from `sio_call` and is freed once, per the contract.
            drop(unsafe { Box::from_raw(event.cast::<Event>()) });
        }
    }
}

/// Answers the server's ack request with `args_json`, a JSON array (NULL: no arguments), and
/// binary `buffers` referenced by placeholders, as in `sio_emit`. If the
/// namespace has disconnected since the request, nothing is sent (the server no longer waits).
///
/// Ownership: consumes `ack` on success; on failure it is still the caller's (fix the
/// arguments and retry, or `sio_ack_free` it). Thread: any, including callbacks.
/// Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`, `SIO_ERR_JSON`, `SIO_ERR_CLOSED`.
#[no_mangle]
pub unsafe extern "C" fn sio_ack_send(
    ack: *mut sio_ack,
    args_json: *const c_char,
    buffers: *const sio_buffer,
    count: usize,
) -> sio_result {
    ffi_boundary! {
        to_code((|| {
            if ack.is_null() {
                return Err(Failure::new(sio_result::SIO_ERR_NULL, "ack is NULL"));
            }
            // SAFETY: caller contract.
            let (args, buffers) = unsafe { payload_args(args_json, buffers, count) }?;
            // SAFETY: `ack` is non-NULL and came from `sio_event_take_ack`.
            let responder = unsafe { &(*ack).inner };
            let packet = responder.packet(args, buffers)?;
            responder.send_packet(packet)?;
            // SAFETY: sent: the handle is consumed, once, here (on failure it stays the caller's).
            drop(unsafe { Box::from_raw(ack) });
            Ok(())
        })())
    }
}

/// Drops the right to answer without answering. `sio_ack_free(NULL)` does nothing.
///
/// Ownership: consumes `ack`. Thread: any. Errors: none.
#[no_mangle]
pub unsafe extern "C" fn sio_ack_free(ack: *mut sio_ack) {
    ffi_boundary! {
        if !ack.is_null() {
            // SAFETY: `ack` came from `sio_event_take_ack` and is freed once, per the contract.
            drop(unsafe { Box::from_raw(ack) });
        }
    }
}
