//! Socket.IO v5, sans-IO: the packet codec and binary attachment reassembly.

pub mod binary;
pub mod packet;

pub use packet::{Packet, PacketType};

/// Event names a client may neither emit nor receive (`protocol.md` §2.9).
pub const RESERVED_EVENTS: [&str; 6] =
    ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];

/// Whether `name` is one of [`RESERVED_EVENTS`].
pub fn is_reserved_event(name: &str) -> bool {
    RESERVED_EVENTS.contains(&name)
}
