//! Engine.IO packets as they travel in one WebSocket frame (`protocol.md` §1.3, §1.7).

use std::fmt;

/// The Engine.IO packet type: the digit that starts every text packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    Open,
    Close,
    Ping,
    Pong,
    Message,
    Upgrade,
    Noop,
}

/// A decoded text packet, borrowing its data from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    pub ty: PacketType,
    /// Everything after the type digit (may be empty).
    pub data: &'a str,
}

/// Why a frame is not an Engine.IO packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    Empty,
    UnknownType(u8),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => f.write_str("empty Engine.IO packet"),
            DecodeError::UnknownType(b) => write!(f, "unknown Engine.IO packet type {:?}", *b as char),
        }
    }
}

impl std::error::Error for DecodeError {}

impl PacketType {
    /// The ASCII digit of this type (`b'0'`..=`b'6'`).
    pub fn as_char(self) -> u8 {
        todo!()
    }

    /// The type for an ASCII digit, if it is one of the seven.
    pub fn from_char(c: u8) -> Option<PacketType> {
        todo!()
    }
}

/// Decodes one text packet (a WebSocket text frame, or one record of a polling payload).
pub fn decode(frame: &str) -> Result<Packet<'_>, DecodeError> {
    todo!()
}

/// Appends the text encoding of a packet (`<digit><data>`) to `out`.
pub fn encode(ty: PacketType, data: &str, out: &mut String) {
    todo!()
}
