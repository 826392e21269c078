//! The log callback: a client's log lines, routed into the host's logger.

use std::ffi::{c_char, c_int, c_void};
use std::sync::Arc;

use super::client::{sio_options, with_options};
use super::error::{to_code, Failure};
use super::{cstring, ffi_boundary, sio_free_cb, sio_result, Userdata};
use crate::client::options::{Level, LogFn, Logger};

/// How much a log line matters (`sio_options_set_log`), from the most to the least important.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum sio_log_level {
    /// No logging (as a maximum level only).
    SIO_LOG_OFF = 0,
    /// The client gives up on something: a reconnection that ran out of attempts.
    SIO_LOG_ERROR = 1,
    /// Something failed and the client copes: a lost connection, a refused namespace, a failed
    /// connection attempt or upgrade, a packet that cannot be parsed.
    SIO_LOG_WARN = 2,
    /// The life of a connection: opened (transport, session id), upgraded, closed (why),
    /// namespaces joined and left, reconnection attempts.
    SIO_LOG_INFO = 3,
    /// Details: handshake values, packets dropped (no handler, unknown namespace or ack id),
    /// ack timeouts, reconnection delays.
    SIO_LOG_DEBUG = 4,
    /// Every Engine.IO packet sent and received (its first 200 bytes).
    SIO_LOG_TRACE = 5,
}

/// Receives one log line: `message` is one line of text without a trailing newline, borrowed
/// until the callback returns.
pub type sio_log_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, level: sio_log_level, message: *const c_char)>;

/// Sends the log lines of the clients made with `opts`, up to `max_level` (a `sio_log_level`),
/// to `callback`. The log is off by default, and libsio never writes to stdout or stderr.
/// `SIO_LOG_OFF` or a NULL `callback` turns it off. A line below `max_level` costs nothing: it is
/// not even formatted.
///
/// The callback is called on whichever libsio thread logs — mostly the client's I/O thread,
/// also its dispatch thread, its HTTP long-polling threads, or the host's own thread inside a
/// libsio call — possibly on several at once for several clients. It must return quickly (the
/// network waits for it) and must not call libsio functions (it may run where a call would
/// deadlock), except `sio_result_str`.
///
/// Ownership: `userdata` is the caller's, passed to `callback`; `free_userdata` (may be NULL) is
/// called with it exactly once, when nothing uses it any more: after `opts` is freed or given
/// another log, and every client connected with these options is freed (and any `sio_ack` taken
/// from its events is sent or freed) — or at once if this call fails or turns the log off. Thread: any, one thread at a time per `opts`.
/// Errors: `SIO_ERR_NULL` (`opts`), `SIO_ERR_INVALID` (not a `sio_log_level` value).
#[no_mangle]
pub unsafe extern "C" fn sio_options_set_log(
    opts: *mut sio_options,
    max_level: c_int,
    callback: sio_log_cb,
    userdata: *mut c_void,
    free_userdata: sio_free_cb,
) -> sio_result {
    ffi_boundary! {
        let ud = Userdata::new(userdata, free_userdata);
        // Dropped unused (finalizing `ud` at once) when the call fails or turns the log off.
        let apply = move |o: &mut crate::Options| {
            let max = match max_level {
                0 => None,
                1 => Some(Level::Error),
                2 => Some(Level::Warn),
                3 => Some(Level::Info),
                4 => Some(Level::Debug),
                5 => Some(Level::Trace),
                other => return Err(Failure::new(sio_result::SIO_ERR_INVALID, format!("{other} is not a sio_log_level"))),
            };
            let sink = callback.filter(|_| max.is_some()).map(|cb| {
                let f: LogFn = Arc::new(move |level: Level, message: &str| {
                    let level = match level {
                        Level::Error => sio_log_level::SIO_LOG_ERROR,
                        Level::Warn => sio_log_level::SIO_LOG_WARN,
                        Level::Info => sio_log_level::SIO_LOG_INFO,
                        Level::Debug => sio_log_level::SIO_LOG_DEBUG,
                        Level::Trace => sio_log_level::SIO_LOG_TRACE,
                    };
                    let line = cstring(message);
                    // SAFETY: the host's callback with its own user data; the line is borrowed.
                    unsafe { cb(ud.ptr(), level, line.as_ptr()) }
                });
                f
            });
            o.log = Logger::new(max, sink);
            Ok(())
        };
        // SAFETY: caller contract: `opts` from `sio_options_new`.
        to_code(unsafe { with_options(opts, apply) })
    }
}
