//! The error type of the Rust API; `ffi` maps each variant to a `sio_result` code.

use std::fmt;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An argument is malformed or out of range.
    InvalidArgument(String),
    /// A JSON argument is not valid JSON, or not of the required shape.
    InvalidJson(String),
    /// The URL cannot be parsed or uses an unsupported scheme.
    InvalidUrl(String),
    /// The event name is reserved (`connect`, `disconnect`, …).
    ReservedEvent(String),
    /// The operation did not complete in time.
    Timeout,
    /// The client was closed; nothing more can be sent.
    Closed,
    /// The namespace or connection went away before the reply came.
    Disconnected,
    /// The call would block the dispatch thread it was made from.
    InCallback(&'static str),
    /// The operating system refused a resource (thread, socket pair).
    Io(String),
    /// The namespace already holds as many emits as it may (`Options::max_buffered`).
    BufferFull,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument(m) => write!(f, "invalid argument: {m}"),
            Error::InvalidJson(m) => write!(f, "invalid JSON: {m}"),
            Error::InvalidUrl(m) => write!(f, "invalid URL: {m}"),
            Error::ReservedEvent(name) => write!(f, "\"{name}\" is a reserved event name"),
            Error::Timeout => f.write_str("operation has timed out"),
            Error::Closed => f.write_str("the client is closed"),
            Error::Disconnected => f.write_str("socket has been disconnected"),
            Error::InCallback(what) => {
                write!(f, "{what} cannot be called from a callback: it would deadlock")
            }
            Error::Io(m) => write!(f, "I/O error: {m}"),
            Error::BufferFull => f.write_str("the emit buffer is full"),
        }
    }
}

impl std::error::Error for Error {}
