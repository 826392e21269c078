//! libsio: a Socket.IO client (Socket.IO v5 over Engine.IO v4) with a C ABI.
//!
//! Layers, from the wire up (see `../shared/design.md`):
//! - [`engineio`] and [`socketio`]: sans-IO codecs and state machines;
//! - [`transport`]: blocking, non-async WebSocket I/O;
//! - [`client`]: the runtime (one Engine.IO session, namespaces, the I/O and dispatch threads);
//! - [`ffi`]: the C ABI, which only translates.

pub mod client;
pub mod engineio;
mod error;
mod json;
pub mod socketio;
pub mod transport;

pub use client::{Client, Event, Options, Responder, Socket};
pub use error::Error;
pub mod ffi;
