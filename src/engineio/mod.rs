//! Engine.IO, sans-IO: the packet codec, the OPEN handshake and the heartbeat state machine.
//!
//! Nothing here touches a socket, a thread or the clock: callers pass bytes and `Instant`s in and
//! get packets and deadlines back.

pub mod handshake;
pub mod heartbeat;
pub mod packet;
pub mod payload;

pub use handshake::Handshake;
pub use heartbeat::{Beat, Heartbeat};
pub use packet::{Packet, PacketType};
