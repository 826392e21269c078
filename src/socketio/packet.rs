//! Socket.IO packets (`protocol.md` §2.2–2.4): `<type>[<n>-][<nsp>,][<id>][<json>]`.
//!
//! Decoding borrows from the input and validates the JSON payload for the packet's type, leniently
//! where real servers deviate (`protocol.md` §6); encoding is strict, like the JS encoder.

use std::borrow::Cow;
use std::fmt;

/// The Socket.IO packet type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    Connect,
    Disconnect,
    Event,
    Ack,
    ConnectError,
    BinaryEvent,
    BinaryAck,
}

/// A decoded (or to-be-encoded) packet. `data` is raw JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    pub ty: PacketType,
    /// The namespace; `"/"` when the packet names none.
    pub nsp: &'a str,
    /// The ack id, if any.
    pub id: Option<u64>,
    /// Number of binary attachments that follow (BINARY_EVENT / BINARY_ACK only, else 0).
    pub attachments: usize,
    /// The JSON payload, if any.
    pub data: Option<&'a str>,
}

/// An EVENT payload split into its name and arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventParts<'a> {
    /// The event name (a JSON number name is given as its decimal text).
    pub name: Cow<'a, str>,
    /// The arguments as a JSON array text, e.g. `[1,{"a":2}]` or `[]`.
    pub args: Cow<'a, str>,
}

/// Why a Socket.IO packet could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub &'static str);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid Socket.IO packet: {}", self.0)
    }
}

impl std::error::Error for DecodeError {}

impl PacketType {
    pub fn as_char(self) -> u8 {
        todo!()
    }

    pub fn from_char(c: u8) -> Option<PacketType> {
        todo!()
    }

    /// BINARY_EVENT or BINARY_ACK.
    pub fn is_binary(self) -> bool {
        todo!()
    }
}

/// Decodes a Socket.IO packet (the data of an Engine.IO `message`, without the `4`).
pub fn decode(text: &str) -> Result<Packet<'_>, DecodeError> {
    todo!()
}

/// Appends the strict encoding of `p` to `out`.
pub fn encode(p: &Packet<'_>, out: &mut String) {
    todo!()
}

/// Splits an EVENT / BINARY_EVENT payload (already validated by [`decode`]) into name and args.
pub fn split_event(data: &str) -> Result<EventParts<'_>, DecodeError> {
    todo!()
}

/// Appends an EVENT packet for `name` with `args` (a valid JSON array text) to `out`, without
/// re-parsing `args`: `2[<nsp>,][<id>]["<name>",<args...>]`.
pub fn encode_event(nsp: &str, id: Option<u64>, name: &str, args: &str, out: &mut String) {
    todo!()
}
