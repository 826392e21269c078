//! One namespace as the I/O thread sees it: its state, the emits held until it is connected, and
//! the acks it waits for. No I/O here.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::shared::{Outgoing, PendingAck};
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
    /// Emits waiting for the CONNECT reply: the packet and its ack id.
    pub send_buffer: VecDeque<(Outgoing, Option<u64>)>,
    /// Events that arrived before the CONNECT reply; delivered just before `connect`.
    pub receive_buffer: Vec<Event>,
    pub acks: HashMap<u64, PendingAck>,
}

impl Namespace {
    pub fn new(socket: Arc<Socket>) -> Namespace {
        Namespace {
            socket,
            status: Status::Idle,
            connection: 0,
            send_buffer: VecDeque::new(),
            receive_buffer: Vec::new(),
            acks: HashMap::new(),
        }
    }

    /// Joined or joining: the Engine.IO session is needed.
    pub fn is_active(&self) -> bool {
        self.status != Status::Idle
    }

    /// Removes the acks whose packets already left (those still buffered wait for the next
    /// connection, as in the JS client); the caller reports them as disconnected.
    pub fn take_sent_acks(&mut self) -> Vec<PendingAck> {
        let buffered: Vec<u64> = self.send_buffer.iter().filter_map(|(_, id)| *id).collect();
        let sent: Vec<u64> = self.acks.keys().copied().filter(|id| !buffered.contains(id)).collect();
        sent.into_iter().filter_map(|id| self.acks.remove(&id)).collect()
    }
}
