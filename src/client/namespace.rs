//! One namespace as the I/O thread sees it: its state, its outbox (emits held until it is
//! connected, acks waited for), and the events received before its CONNECT reply. No I/O here.

use std::sync::Arc;

use super::outbox::Outbox;
use super::shared::AckTarget;
use super::{Event, Socket};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Not joined and not joining.
    Idle,
    /// Joining; `sent` once the CONNECT packet is on the wire.
    Connecting {
        sent: bool,
    },
    Connected,
}

pub(crate) struct Namespace {
    pub socket: Arc<Socket>,
    pub status: Status,
    /// Counts successful connects, so that a late answer to a server ack is not sent to a newer
    /// connection.
    pub connection: u64,
    pub outbox: Outbox<AckTarget>,
    /// Events that arrived before the CONNECT reply; delivered just before `connect`.
    pub receive_buffer: Vec<Event>,
}

impl Namespace {
    /// `retries`: see [`Outbox`].
    pub fn new(socket: Arc<Socket>, retries: u32) -> Namespace {
        Namespace {
            outbox: Outbox::new(socket.gauge.clone(), retries),
            socket,
            status: Status::Idle,
            connection: 0,
            receive_buffer: Vec::new(),
        }
    }

    /// Joined or joining: the Engine.IO session is needed.
    pub fn is_active(&self) -> bool {
        self.status != Status::Idle
    }
}
