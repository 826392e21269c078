//! `sio_options`, `sio_client` and the calls that create, wait for and free a client.

use std::ffi::{c_char, c_int, c_void};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::error::{to_code, Failure};
use super::{cstring, ffi_boundary, obj_arg, opt_str_arg, sio_free_cb, sio_result, str_arg, Userdata};
use crate::client::options::{check_header, ProtocolMode, Proxy, TransportMode};
use crate::client::{ReconnectEvent, ReconnectHandler};
use crate::{Client, Options};

/// Connection options: build with `sio_options_new`, pass to `sio_connect`, free with
/// `sio_options_free`.
pub struct sio_options {
    pub(crate) inner: Options,
}

/// A client: one connection to a server, shared by its namespaces. Created by `sio_connect`,
/// freed by `sio_client_free`.
pub struct sio_client {
    pub(crate) inner: Client,
}

/// The library version, e.g. `"0.1.0"`; equals the `SIO_VERSION_*` macros of the header the
/// program was built with when both come from the same release.
///
/// Ownership: static; do not free. Thread: any. Errors: none.
#[no_mangle]
pub extern "C" fn sio_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Major version of the header.
pub const SIO_VERSION_MAJOR: u32 = 0;
/// Minor version of the header.
pub const SIO_VERSION_MINOR: u32 = 1;
/// Patch version of the header.
pub const SIO_VERSION_PATCH: u32 = 0;

/// Runs `f` on the options behind `opts` (NULL is an error).
pub(crate) unsafe fn with_options(
    opts: *mut sio_options,
    f: impl FnOnce(&mut Options) -> Result<(), Failure>,
) -> Result<(), Failure> {
    // SAFETY: caller contract: NULL or a live `sio_options` used by one thread at a time.
    let opts =
        unsafe { opts.as_mut() }.ok_or_else(|| Failure::new(sio_result::SIO_ERR_NULL, "opts is NULL"))?;
    f(&mut opts.inner)
}

/// New options with the defaults: path `/socket.io`, no query, no headers, connect timeout
/// 20000 ms, TLS certificates verified against the system's trust store.
///
/// Ownership: owned by the caller, free with `sio_options_free`. Thread: any.
/// Errors: none (NULL only if memory ran out, which aborts in practice).
#[no_mangle]
pub extern "C" fn sio_options_new() -> *mut sio_options {
    ffi_boundary! { Box::into_raw(Box::new(sio_options { inner: Options::default() })) }
}

/// Frees options. `sio_options_free(NULL)` does nothing.
///
/// Ownership: consumes `opts`. Thread: any, but not while another thread uses `opts`. Errors: none.
#[no_mangle]
pub unsafe extern "C" fn sio_options_free(opts: *mut sio_options) {
    ffi_boundary! {
        if !opts.is_null() {
            // SAFETY: `opts` came from `sio_options_new` and is freed once, per the contract.
            drop(unsafe { Box::from_raw(opts) });
        }
    }
}

/// Sets the Engine.IO path (default `/socket.io`; a trailing `/` is added when connecting).
///
/// Ownership: `path` is copied. Thread: any, one thread at a time per `opts`.
/// Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`.
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_path(opts: *mut sio_options, path: *const c_char) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`, strings NUL-terminated.
        to_code(unsafe { with_options(opts, |o| {
                o.path = str_arg(path, "path")?.to_owned();
                Ok(())
            }) })
    }
}

/// Adds a query parameter sent with every request (after those in the URL).
///
/// Ownership: `key` and `value` are copied. Thread: any, one thread at a time per `opts`.
/// Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`.
#[no_mangle]
pub unsafe extern "C" fn sio_options_add_query(
    opts: *mut sio_options,
    key: *const c_char,
    value: *const c_char,
) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`, strings NUL-terminated.
        to_code(unsafe { with_options(opts, |o| {
                let key = str_arg(key, "key")?;
                let value = str_arg(value, "value")?;
                o.query.push((key.to_owned(), value.to_owned()));
                Ok(())
            }) })
    }
}

/// Adds an HTTP header sent with the WebSocket handshake and every polling request (e.g.
/// `Authorization`).
///
/// Ownership: `name` and `value` are copied. Thread: any, one thread at a time per `opts`.
/// Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`, `SIO_ERR_INVALID` (not a valid header name or value).
#[no_mangle]
pub unsafe extern "C" fn sio_options_add_header(
    opts: *mut sio_options,
    name: *const c_char,
    value: *const c_char,
) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`, strings NUL-terminated.
        to_code(unsafe { with_options(opts, |o| {
                let name = str_arg(name, "name")?;
                let value = str_arg(value, "value")?;
                check_header(name, value)?;
                o.headers.push((name.to_owned(), value.to_owned()));
                Ok(())
            }) })
    }
}

/// Sets how long opening the connection may take (TCP, WebSocket handshake, Engine.IO OPEN);
/// default 20000 ms. After it, joining namespaces get connect_error `"timeout"`.
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`, `SIO_ERR_INVALID` (0).
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_connect_timeout(
    opts: *mut sio_options,
    timeout_ms: u32,
) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`, strings NUL-terminated.
        to_code(unsafe { with_options(opts, |o| {
                if timeout_ms == 0 {
                    return Err(Failure::new(sio_result::SIO_ERR_INVALID, "the connect timeout must be above 0"));
                }
                o.connect_timeout = Duration::from_millis(timeout_ms.into());
                Ok(())
            }) })
    }
}

/// The transports a client may use (`sio_options_set_transport`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sio_transport {
    /// HTTP long-polling first, then an upgrade to WebSocket when the server offers it: works
    /// through proxies that refuse WebSocket (the JS client's default, and ours).
    SIO_TRANSPORT_AUTO = 0,
    /// WebSocket only: one connection, lowest overhead.
    SIO_TRANSPORT_WEBSOCKET = 1,
    /// HTTP long-polling only.
    SIO_TRANSPORT_POLLING = 2,
}

/// Chooses the transports (a `sio_transport` value; default `SIO_TRANSPORT_AUTO`).
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`, `SIO_ERR_INVALID`
/// (not a `sio_transport` value).
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_transport(opts: *mut sio_options, transport: c_int) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, |o| {
            o.transport = match transport {
                0 => TransportMode::Auto,
                1 => TransportMode::WebSocket,
                2 => TransportMode::Polling,
                other => return Err(Failure::new(sio_result::SIO_ERR_INVALID, format!("{other} is not a sio_transport"))),
            };
            Ok(())
        }) })
    }
}

/// Sets the HTTP proxy both transports go through (with `CONNECT`): `http://host:port`, with
/// `user:password@` for basic authentication. NULL (the default) reads the environment as curl
/// does (`https_proxy`/`HTTPS_PROXY` for https and wss URLs, `http_proxy` for http and ws,
/// then `all_proxy`/`ALL_PROXY`; hosts in `no_proxy`/`NO_PROXY` are reached directly); `""`
/// means no proxy at all. The URL is checked by `sio_connect` (`SIO_ERR_URL`).
///
/// Ownership: `url` is copied. Thread: any, one thread at a time per `opts`.
/// Errors: `SIO_ERR_NULL` (`opts`), `SIO_ERR_UTF8`.
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_proxy(opts: *mut sio_options, url: *const c_char) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`, `url` NULL or a C string.
        to_code(unsafe { with_options(opts, |o| {
            o.proxy = match opt_str_arg(url, "url")? {
                None => Proxy::FromEnvironment,
                Some("") => Proxy::Direct,
                Some(u) => Proxy::Url(u.to_owned()),
            };
            Ok(())
        }) })
    }
}

/// Turns reconnection on (non-zero, the default) or off. With it on, a connection that is lost
/// (`transport close`, `transport error`, `ping timeout`, `parse error`) is opened again after
/// a backoff delay and every namespace that was joined is joined again (with its auth); emits
/// made meanwhile are held. A disconnect asked for by either side does not reconnect.
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_reconnection(opts: *mut sio_options, enabled: c_int) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, |o| {
            o.reconnection = enabled != 0;
            Ok(())
        }) })
    }
}

/// With `enabled` non-zero, a first connection that fails is retried as a lost one is: with
/// backoff, reported by the reconnect handler (`SIO_RECONNECT_ATTEMPT`, `SIO_RECONNECT_ERROR`
/// with the reason, then `SIO_RECONNECT_SUCCESS` and the connect handlers, or
/// `SIO_RECONNECT_FAILED`), and no connect_error for the failure. 0 (the default) fails fast:
/// the joining namespaces get connect_error. No effect with reconnection off.
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_retry_initial_connect(
    opts: *mut sio_options,
    enabled: c_int,
) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, |o| {
            o.retry_initial_connect = enabled != 0;
            Ok(())
        }) })
    }
}

/// Gives up reconnecting after `attempts` failed attempts in a row (0, the default: never).
/// Giving up is reported as `SIO_RECONNECT_FAILED`, and the client is then closed.
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_reconnection_attempts(
    opts: *mut sio_options,
    attempts: u32,
) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, |o| {
            o.reconnection_attempts = (attempts > 0).then_some(attempts);
            Ok(())
        }) })
    }
}

/// Sets the reconnection delays: `min_ms` before the first attempt (default 1000), doubling
/// after each failure up to `max_ms` (default 5000), each with the jitter of
/// `sio_options_set_randomization_factor`.
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`, `SIO_ERR_INVALID`
/// (`min_ms` > `max_ms`).
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_reconnection_delay(
    opts: *mut sio_options,
    min_ms: u32,
    max_ms: u32,
) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, |o| {
            if min_ms > max_ms {
                return Err(Failure::new(sio_result::SIO_ERR_INVALID, "the minimum delay is above the maximum"));
            }
            o.reconnection_delay = Duration::from_millis(min_ms.into());
            o.reconnection_delay_max = Duration::from_millis(max_ms.into());
            Ok(())
        }) })
    }
}

/// Sets the jitter of the reconnection delays, from 0 (none) to 1; default 0.5, as in the JS
/// client, so that clients dropped together do not all come back at the same instant.
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`, `SIO_ERR_INVALID`
/// (outside 0..1, or NaN).
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_randomization_factor(
    opts: *mut sio_options,
    factor: f64,
) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, |o| {
            if !(0.0..=1.0).contains(&factor) {
                return Err(Failure::new(sio_result::SIO_ERR_INVALID, "the randomization factor must be within 0..1"));
            }
            o.randomization_factor = factor;
            Ok(())
        }) })
    }
}

/// Sets the default time an emit with ack (`sio_emit_with_ack`, `sio_call`) waits for the reply
/// when it is given a negative timeout and its socket has no default of its own
/// (`sio_socket_set_ack_timeout`); 0 (the default) means no limit. The reply's callback then gets
/// `SIO_ERR_TIMEOUT`, and an emit still held for a disconnected namespace is dropped. With
/// `sio_options_set_retries` it is the time each try waits.
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_ack_timeout(opts: *mut sio_options, timeout_ms: u32) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, |o| {
            o.ack_timeout = (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms.into()));
            Ok(())
        }) })
    }
}

/// Sets how many emits each namespace may hold while it is not connected (disconnected,
/// reconnecting, joining), to be sent in order once it is; with `sio_options_set_retries`, also
/// how many may wait in its retry queue until acked. An emit beyond that fails with
/// `SIO_ERR_BUFFER_FULL` and is not queued. 0 means no limit; the default is 1000. Emits made
/// while the namespace is connected are never refused (those the I/O thread must hold because
/// the connection dropped meanwhile are held and counted, even beyond the limit).
///
/// The same number bounds the events a namespace holds that the server sent before its CONNECT
/// reply (delivered just before the connect handler; with connection state recovery, the
/// events missed while away): a server that sends more ends the session with the disconnect
/// reason `"receive buffer full"`, and the next session starts afresh (not recovered), so a
/// hostile server cannot make the client buffer without bound.
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_max_buffered(opts: *mut sio_options, packets: usize) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, |o| {
            o.max_buffered = packets;
            Ok(())
        }) })
    }
}

/// Sets the largest message the client takes from the server, in bytes (default 16 MiB): a
/// WebSocket message, or one packet of a polling response (text, or a binary attachment once
/// decoded; the response body as a whole may be twice as large, for base64 and batching). A
/// server that sends more is disconnected, the reason being `"message too large"` (a
/// connection being opened fails with a connect error instead); reconnection applies as after
/// any transport failure. The limit bounds what the client buffers: oversized data is refused
/// as its length becomes known, not after it arrived.
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`, `SIO_ERR_INVALID` (0).
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_max_message_size(
    opts: *mut sio_options,
    bytes: usize,
) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, |o| {
            if bytes == 0 {
                return Err(Failure::new(sio_result::SIO_ERR_INVALID, "the maximum message size must be above 0"));
            }
            o.max_message_size = bytes;
            Ok(())
        }) })
    }
}

/// At-least-once delivery, as the JS client's `retries` (default 0: off). With `retries` > 0,
/// every emit (`sio_emit`, `sio_emit_with_ack`, `sio_call`; not `sio_emit_volatile`) of a
/// namespace goes through a FIFO queue: one packet in flight at a time, always with an ack id
/// (the server must acknowledge every event, also those emitted without a callback), sent again,
/// with the same ack id, when its ack does not come within the ack timeout (the emit's own, else
/// `sio_socket_set_ack_timeout`'s, else `sio_options_set_ack_timeout`'s; with none, a try waits
/// as long as the connection lives), until it is acked or has been sent `retries` + 1 times. Its
/// ack callback then gets the reply, or `SIO_ERR_TIMEOUT`, and the next packet goes. The queue
/// waits while the namespace is not connected; on each (re)connect its head is sent again, which
/// counts as a try. A disconnect does not fail the queued emits; `sio_client_close` and
/// `sio_client_free` do (`SIO_ERR_CLOSED`). The server may receive a packet more than once
/// (its ack was lost): put an id of your own in the payload to deduplicate.
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_retries(opts: *mut sio_options, retries: u32) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, |o| {
            o.retries = retries;
            Ok(())
        }) })
    }
}

/// Sets how many binary attachments one packet from the server may announce (default 10, as
/// socket.io-parser's decoder). A server announcing more is disconnected, the reason being
/// `"too many attachments"`; reconnection applies as after any transport failure. Together
/// with `sio_options_set_max_message_size`, this bounds the memory one incoming packet takes.
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_max_attachments(opts: *mut sio_options, n: usize) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, |o| {
            o.max_attachments = n;
            Ok(())
        }) })
    }
}

/// Sets the read-coalescing window in microseconds (default 400; 0 turns it off). While the
/// server streams messages to the client at 8 or more per window (20,000 a second with the
/// default), the I/O thread reads them once per window instead of waking up for each one: far
/// less CPU under a stream (a thread wake-up costs much more than a small message), for at most
/// `window_us` of added latency on the streamed messages. Replies to what the client sends
/// (acks, answers to its emits) are never held, nor is slower traffic; emits go out at once
/// whatever the window. WebSocket only (long-polling reads as responses come).
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`, `SIO_ERR_INVALID`
/// (above 100000, i.e. 100 ms).
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_read_coalescing(
    opts: *mut sio_options,
    window_us: u32,
) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, |o| {
            if window_us > 100_000 {
                return Err(Failure::new(sio_result::SIO_ERR_INVALID, "the read-coalescing window is at most 100000 µs"));
            }
            o.read_coalescing = Duration::from_micros(window_us.into());
            Ok(())
        }) })
    }
}

/// Sets the most callbacks that may wait to run (events, ack replies, lifecycle notifications;
/// default 10000; 0: no limit). When the server sends faster than the callbacks run (a slow
/// handler, or a host that calls `sio_dispatch` too seldom), the client stops reading from the
/// server once this many wait, and reads again when half of them have run: memory stays
/// bounded, and TCP (or, over long-polling, the server's own buffer) holds the rest back.
/// Emits still go out meanwhile over WebSocket; over long-polling they wait too. A backlog that
/// keeps the client from reading longer than the server's ping interval + timeout ends in a
/// `"ping timeout"` disconnect, as any stalled connection does.
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_max_pending(opts: *mut sio_options, n: usize) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, |o| {
            o.max_pending = n;
            Ok(())
        }) })
    }
}

/// What a reconnect handler is told (`sio_on_reconnect`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sio_reconnect_event {
    /// Attempt `attempt` (from 1) starts.
    SIO_RECONNECT_ATTEMPT = 0,
    /// Attempt `attempt` succeeded; the namespaces are being joined again.
    SIO_RECONNECT_SUCCESS = 1,
    /// Attempt `attempt` failed; `error` says why.
    SIO_RECONNECT_ERROR = 2,
    /// The attempts are used up (`sio_options_set_reconnection_attempts`): the client is closed.
    SIO_RECONNECT_FAILED = 3,
}

/// Called on the dispatch thread as reconnection goes; `error` is NULL except with
/// `SIO_RECONNECT_ERROR`, borrowed until the callback returns.
pub type sio_reconnect_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        event: sio_reconnect_event,
        attempt: u32,
        error: *const c_char,
    ),
>;

/// Sets the handler told about reconnection (NULL removes it), replacing any earlier one.
///
/// Ownership: `userdata` is the caller's, passed to `callback`; `free_userdata` (may be NULL)
/// is called with it exactly once: when the handler is replaced or removed, when the client is
/// freed, or at once if this call fails or removes. Thread: any, including callbacks.
/// Errors: `SIO_ERR_NULL` (`client`).
#[no_mangle]
pub unsafe extern "C" fn sio_on_reconnect(
    client: *const sio_client,
    callback: sio_reconnect_cb,
    userdata: *mut c_void,
    free_userdata: sio_free_cb,
) -> sio_result {
    ffi_boundary! {
        to_code((|| {
            let ud = Userdata::new(userdata, free_userdata);
            // SAFETY: caller contract.
            let client = unsafe { obj_arg(client, "client") }?;
            let handler = callback.map(|cb| {
                let h: ReconnectHandler = Arc::new(move |event: &ReconnectEvent| {
                    use sio_reconnect_event::*;
                    let (kind, n, error) = match event {
                        ReconnectEvent::Attempt(n) => (SIO_RECONNECT_ATTEMPT, *n, None),
                        ReconnectEvent::Reconnected(n) => (SIO_RECONNECT_SUCCESS, *n, None),
                        ReconnectEvent::Error(n, why) => (SIO_RECONNECT_ERROR, *n, Some(cstring(why))),
                        ReconnectEvent::Failed(n) => (SIO_RECONNECT_FAILED, *n, None),
                    };
                    let error_ptr = error.as_ref().map_or(std::ptr::null(), |e| e.as_ptr());
                    // SAFETY: the host's callback with its own user data; strings borrowed.
                    unsafe { cb(ud.ptr(), kind, n, error_ptr) }
                });
                h
            });
            client.inner.on_reconnect(handler);
            Ok(())
        })())
    }
}

/// The protocol revisions a client may speak (`sio_options_set_protocol`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sio_protocol {
    /// Engine.IO v4 / Socket.IO v5 first, and v3 / v4 if the server turns out to be a
    /// socket.io 2.x server: the user never needs to know the server's version.
    SIO_PROTOCOL_AUTO = 0,
    /// Engine.IO v3 / Socket.IO v4: socket.io 2.x, 3.x/4.x with `allowEIO3`, python-socketio 4.
    SIO_PROTOCOL_V3 = 3,
    /// Engine.IO v4 / Socket.IO v5: socket.io 3.x and 4.x, python-socketio 5.
    SIO_PROTOCOL_V4 = 4,
}

/// Chooses the protocol revision (a `sio_protocol` value; default `SIO_PROTOCOL_AUTO`).
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`, `SIO_ERR_INVALID`
/// (not a `sio_protocol` value).
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_protocol(opts: *mut sio_options, protocol: c_int) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, |o| {
            o.protocol = match protocol {
                0 => ProtocolMode::Auto,
                3 => ProtocolMode::V3,
                4 => ProtocolMode::V4,
                other => return Err(Failure::new(sio_result::SIO_ERR_INVALID, format!("{other} is not a sio_protocol"))),
            };
            Ok(())
        }) })
    }
}

/// Trusts the CA certificates in the PEM file `path` (one or more) instead of the system's trust
/// store, for `https://` and `wss://` URLs. NULL goes back to the system's store (the default).
/// The file is read by `sio_connect`, which fails with `SIO_ERR_INVALID` (naming the file) if it
/// cannot be read or holds no certificate.
///
/// Ownership: `path` is copied. Thread: any, one thread at a time per `opts`.
/// Errors: `SIO_ERR_NULL` (`opts`), `SIO_ERR_UTF8`.
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_ca_file(opts: *mut sio_options, path: *const c_char) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`, strings NUL-terminated.
        to_code(unsafe { with_options(opts, |o| {
                o.tls.ca_file = opt_str_arg(path, "path")?.map(PathBuf::from);
                Ok(())
            }) })
    }
}

/// Sets the client certificate (PEM chain in `cert_file`) and its private key (PEM, PKCS#8,
/// PKCS#1 or SEC1, in `key_file`) presented to servers that ask for one (mutual TLS). Both NULL
/// removes it. The files are read by `sio_connect`, which fails with `SIO_ERR_INVALID` (naming
/// the file) if one cannot be read or the key is not usable.
///
/// Ownership: both paths are copied. Thread: any, one thread at a time per `opts`.
/// Errors: `SIO_ERR_NULL` (`opts`, or only one of the files), `SIO_ERR_UTF8`.
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_client_cert(
    opts: *mut sio_options,
    cert_file: *const c_char,
    key_file: *const c_char,
) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`, strings NUL-terminated.
        to_code(unsafe { with_options(opts, |o| {
                o.tls.client_cert = match (cert_file.is_null(), key_file.is_null()) {
                    (true, true) => None,
                    _ => Some((
                        PathBuf::from(str_arg(cert_file, "cert_file")?),
                        PathBuf::from(str_arg(key_file, "key_file")?),
                    )),
                };
                Ok(())
            }) })
    }
}

/// With `insecure` non-zero, TLS connections accept any server certificate for any host name:
/// no protection against a man in the middle. For testing only (self-signed servers); prefer
/// `sio_options_set_ca_file`. 0 (the default) verifies the certificate and the host name.
///
/// Thread: any, one thread at a time per `opts`. Errors: `SIO_ERR_NULL`.
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_insecure(opts: *mut sio_options, insecure: c_int) -> sio_result {
    ffi_boundary! {
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, |o| {
                o.tls.insecure = insecure != 0;
                Ok(())
            }) })
    }
}

/// Creates a client for `url` (`http://host:port/namespace?query`, or `ws://`, `https://`,
/// `wss://`) and starts its threads. Nothing is sent until a socket is connected with
/// `sio_socket_connect`, so register handlers first and no event is missed. The URL's path is
/// the namespace `sio_of(c, NULL, …)` returns, as in the JS client; its query is sent with every
/// request.
///
/// Ownership: `url` and `opts` are copied (`opts` may be NULL for the defaults, and may be freed
/// right after); `*out` is owned by the caller, free it with `sio_client_free`.
/// Thread: any. Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`, `SIO_ERR_URL` (unparsable URL, scheme
/// other than http/ws/https/wss), `SIO_ERR_INVALID` (a TLS file of the options cannot be used),
/// `SIO_ERR_IO`. `*out` is written only on success. TLS failures while connecting (e.g. an
/// untrusted certificate) come later, to the connect_error handlers.
#[no_mangle]
pub unsafe extern "C" fn sio_connect(
    url: *const c_char,
    opts: *const sio_options,
    out: *mut *mut sio_client,
) -> sio_result {
    ffi_boundary! {
        to_code((|| {
            if out.is_null() {
                return Err(Failure::new(sio_result::SIO_ERR_NULL, "out is NULL"));
            }
            // SAFETY: caller contract: `url` a C string, `opts` NULL or from `sio_options_new`.
            let url = unsafe { str_arg(url, "url") }?;
            let options = unsafe { opts.as_ref() }.map(|o| o.inner.clone()).unwrap_or_default();
            let client = Client::new(url, options)?;
            // SAFETY: `out` is non-NULL and writable per the contract.
            unsafe { *out = Box::into_raw(Box::new(sio_client { inner: client })) };
            Ok(())
        })())
    }
}

/// Leaves every namespace and closes the connection, for good: the disconnect handlers get
/// `"io client disconnect"`, and later emits and connects fail with `SIO_ERR_CLOSED`. Returns at
/// once; `sio_wait` returns when it is done. Closing twice is not an error.
///
/// Thread: any, including callbacks. Errors: `SIO_ERR_NULL`.
#[no_mangle]
pub unsafe extern "C" fn sio_client_close(client: *const sio_client) -> sio_result {
    ffi_boundary! {
        to_code((|| {
            // SAFETY: caller contract.
            let client = unsafe { obj_arg(client, "client") }?;
            Ok(client.inner.close()?)
        })())
    }
}

/// Blocks until the client is closed — no namespace joined or joining, and the callbacks that
/// report it have run — or `timeout_ms` passes (negative: no limit). A client whose sockets were
/// never connected is closed. This is how a program waits for the end of a session. With
/// `SIO_DISPATCH_MANUAL` it runs the callbacks that come meanwhile on the calling thread (as
/// `sio_dispatch` does), so it never waits for a dispatch that cannot happen; 0 as `timeout_ms`
/// runs those pending and tells whether the client is closed.
///
/// Thread: any but the dispatch thread. Errors: `SIO_ERR_NULL`, `SIO_ERR_TIMEOUT` (still open),
/// `SIO_ERR_IN_CALLBACK` (called from a callback, where it would deadlock), `SIO_ERR_CLOSED`
/// (manual dispatch: a callback it ran freed the client).
#[no_mangle]
pub unsafe extern "C" fn sio_wait(client: *const sio_client, timeout_ms: i64) -> sio_result {
    ffi_boundary! {
        to_code((|| {
            // SAFETY: caller contract.
            // A handle, not a borrow: a callback it runs (manual dispatch) may free the client.
            let dispatcher = unsafe { obj_arg(client, "client") }?.inner.dispatcher();
            let timeout = u64::try_from(timeout_ms).ok().map(Duration::from_millis);
            if dispatcher.wait(timeout)? {
                Ok(())
            } else {
                Err(Failure::new(sio_result::SIO_ERR_TIMEOUT, "the client is still open"))
            }
        })())
    }
}

/// Frees the client: stops its threads (without waiting for the server), finalizes every
/// handler's user data, and calls each pending ack callback with `SIO_ERR_CLOSED` (or its reply,
/// if it had arrived). When it returns, no callback of this client runs any more — except the
/// one that called it, if called from a callback. `sio_client_free(NULL)` does nothing. For a
/// clean goodbye call `sio_client_close` and `sio_wait` first.
///
/// Ownership: consumes `client`; its `sio_socket` pointers become invalid (inside a callback
/// they stay valid until it returns, and calls on them fail with `SIO_ERR_CLOSED`).
/// Thread: any, including the client's own callbacks (a running callback is waited for, so it
/// must not wait for this call). No other thread of the host may call into this client or its
/// sockets meanwhile. Errors: none.
#[no_mangle]
pub unsafe extern "C" fn sio_client_free(client: *mut sio_client) {
    ffi_boundary! {
        if !client.is_null() {
            // SAFETY: `client` came from `sio_connect` and is freed once, per the contract.
            drop(unsafe { Box::from_raw(client) });
        }
    }
}

/// The socket of namespace `nsp` (`"/chat"`; `"chat"` means the same; NULL: the URL's
/// namespace), created on the first call and the same pointer on later ones. It is not joined
/// until `sio_socket_connect`. `auth_json`, if not NULL, is a JSON object sent with the CONNECT
/// (replacing the auth of an earlier call).
///
/// Ownership: `*out` is borrowed from the client: valid until `sio_client_free`, never freed by
/// the caller. Thread: any, including callbacks. Errors: `SIO_ERR_NULL`, `SIO_ERR_UTF8`,
/// `SIO_ERR_JSON` (auth not a JSON object), `SIO_ERR_INVALID` (namespace contains `,`),
/// `SIO_ERR_CLOSED`. `*out` is written only on success.
#[no_mangle]
pub unsafe extern "C" fn sio_of(
    client: *const sio_client,
    nsp: *const c_char,
    auth_json: *const c_char,
    out: *mut *mut super::sio_socket,
) -> sio_result {
    ffi_boundary! {
        to_code((|| {
            // SAFETY: caller contract.
            let client = unsafe { obj_arg(client, "client") }?;
            if out.is_null() {
                return Err(Failure::new(sio_result::SIO_ERR_NULL, "out is NULL"));
            }
            let nsp = unsafe { opt_str_arg(nsp, "nsp") }?;
            let auth = unsafe { opt_str_arg(auth_json, "auth_json") }?;
            let socket = client.inner.socket(nsp, auth)?;
            // SAFETY: `out` is non-NULL; the client keeps the socket alive until it is freed.
            unsafe { *out = super::socket::to_c(&socket) };
            Ok(())
        })())
    }
}
