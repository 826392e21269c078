//! Result codes, their names, and the thread-local last-error message.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, CString};

use crate::Error;

/// The result of every fallible call. `SIO_OK` is 0; numbers are never reused.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sio_result {
    /// Success.
    SIO_OK = 0,
    /// A required pointer argument is NULL.
    SIO_ERR_NULL = 1,
    /// A string argument is not valid UTF-8.
    SIO_ERR_UTF8 = 2,
    /// A JSON argument is invalid, or not an array / object where one is required.
    SIO_ERR_JSON = 3,
    /// An argument is malformed or out of range (namespace, header, option).
    SIO_ERR_INVALID = 4,
    /// The URL cannot be parsed or its scheme is not supported.
    SIO_ERR_URL = 5,
    /// The event name is reserved (`connect`, `connect_error`, `disconnect`, `disconnecting`,
    /// `newListener`, `removeListener`).
    SIO_ERR_RESERVED_EVENT = 6,
    /// No reply came in time.
    SIO_ERR_TIMEOUT = 7,
    /// The client is closed (`sio_client_close` or `sio_client_free` was called).
    SIO_ERR_CLOSED = 8,
    /// The namespace was disconnected before the reply came.
    SIO_ERR_DISCONNECTED = 9,
    /// The call blocks and was made from a callback, where it would deadlock.
    SIO_ERR_IN_CALLBACK = 10,
    /// The operating system refused a resource (a thread, a socket pair).
    SIO_ERR_IO = 11,
    /// A bug in libsio: an internal panic was caught at the boundary.
    SIO_ERR_PANIC = 12,
    /// The namespace already holds as many emits as it may (`sio_options_set_max_buffered`):
    /// this one was not queued.
    SIO_ERR_BUFFER_FULL = 13,
}

use sio_result::*;

/// A failed call: its code and the message for `sio_last_error`.
#[derive(Debug)]
pub(crate) struct Failure {
    code: sio_result,
    message: String,
}

impl Failure {
    pub fn new(code: sio_result, message: impl Into<String>) -> Failure {
        Failure { code, message: message.into() }
    }

    pub fn code(&self) -> sio_result {
        self.code
    }

    /// Records the message for this thread and gives the code.
    pub fn report(self) -> sio_result {
        set_last_error(&self.message);
        self.code
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        let code = match &e {
            Error::InvalidArgument(_) => SIO_ERR_INVALID,
            Error::InvalidJson(_) => SIO_ERR_JSON,
            Error::InvalidUrl(_) => SIO_ERR_URL,
            Error::ReservedEvent(_) => SIO_ERR_RESERVED_EVENT,
            Error::Timeout => SIO_ERR_TIMEOUT,
            Error::Closed => SIO_ERR_CLOSED,
            Error::Disconnected => SIO_ERR_DISCONNECTED,
            Error::InCallback(_) => SIO_ERR_IN_CALLBACK,
            Error::Io(_) => SIO_ERR_IO,
            Error::BufferFull => SIO_ERR_BUFFER_FULL,
        };
        Failure::new(code, e.to_string())
    }
}

/// Turns the outcome of a body into a result code, recording the message of a failure.
pub(crate) fn to_code(r: Result<(), Failure>) -> sio_result {
    match r {
        Ok(()) => SIO_OK,
        Err(f) => f.report(),
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

pub(crate) fn set_last_error(message: &str) {
    let c = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = c);
}

/// What an exported function returns when its body panicked.
pub(crate) trait PanicValue {
    fn panic_value() -> Self;
}

impl PanicValue for sio_result {
    fn panic_value() -> Self {
        SIO_ERR_PANIC
    }
}

impl<T> PanicValue for *const T {
    fn panic_value() -> Self {
        std::ptr::null()
    }
}

impl<T> PanicValue for *mut T {
    fn panic_value() -> Self {
        std::ptr::null_mut()
    }
}

impl PanicValue for () {
    fn panic_value() -> Self {}
}

/// A file descriptor: -1.
impl PanicValue for c_int {
    fn panic_value() -> Self {
        -1
    }
}

impl PanicValue for usize {
    fn panic_value() -> Self {
        0
    }
}

impl PanicValue for bool {
    fn panic_value() -> Self {
        false
    }
}

pub(crate) fn panicked<T: PanicValue>() -> T {
    set_last_error("internal error: libsio panicked (this is a bug; please report it)");
    T::panic_value()
}

/// The static, human-readable name of a result code, e.g. `"SIO_ERR_JSON: invalid JSON"`.
///
/// Ownership: the string is static; do not free it. Thread: any. Errors: an unknown code gives
/// `"unknown result code"`.
#[no_mangle]
pub extern "C" fn sio_result_str(code: c_int) -> *const c_char {
    let s: &'static [u8] = match code {
        0 => b"SIO_OK: success\0",
        1 => b"SIO_ERR_NULL: a required pointer argument is NULL\0",
        2 => b"SIO_ERR_UTF8: a string argument is not valid UTF-8\0",
        3 => b"SIO_ERR_JSON: invalid JSON argument\0",
        4 => b"SIO_ERR_INVALID: invalid argument\0",
        5 => b"SIO_ERR_URL: invalid or unsupported URL\0",
        6 => b"SIO_ERR_RESERVED_EVENT: reserved event name\0",
        7 => b"SIO_ERR_TIMEOUT: operation has timed out\0",
        8 => b"SIO_ERR_CLOSED: the client is closed\0",
        9 => b"SIO_ERR_DISCONNECTED: socket has been disconnected\0",
        10 => b"SIO_ERR_IN_CALLBACK: blocking call made from a callback\0",
        11 => b"SIO_ERR_IO: the operating system refused a resource\0",
        12 => b"SIO_ERR_PANIC: internal error in libsio\0",
        13 => b"SIO_ERR_BUFFER_FULL: the emit buffer is full\0",
        _ => b"unknown result code\0",
    };
    s.as_ptr().cast()
}

/// The message of the last failed call on this thread (`""` if none failed yet).
///
/// Ownership: borrowed; valid until the next libsio call on this thread fails. Thread: any;
/// each thread has its own message. Errors: none.
#[no_mangle]
pub extern "C" fn sio_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}
