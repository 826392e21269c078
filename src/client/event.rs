//! What callbacks receive: an event (or an ack's reply) and the means to answer the server.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::shared::{Command, Outgoing, Shared};
use super::Socket;
use crate::socketio::{Packet, PacketType};
use crate::Error;

/// An event from the server, or the reply to an emit with ack (whose name is empty).
///
/// The name and the arguments are kept NUL-terminated in one buffer so that the C ABI can lend
/// them without copying.
pub struct Event {
    socket: Arc<Socket>,
    /// `name \0 args \0`
    text: String,
    name_len: usize,
    buffers: Vec<Vec<u8>>,
    ack: Option<AckRequest>,
    ack_taken: AtomicBool,
}

/// The server asked for an acknowledgement with this id, on this connection of the namespace.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AckRequest {
    pub id: u64,
    pub connection: u64,
}

impl Event {
    /// `args_inner` is the text between the brackets of the arguments array.
    pub(crate) fn new(
        socket: Arc<Socket>,
        name: &str,
        args_inner: &str,
        buffers: Vec<Vec<u8>>,
        ack: Option<AckRequest>,
    ) -> Event {
        let mut text = String::with_capacity(name.len() + args_inner.len() + 4);
        text.push_str(name);
        text.push('\0');
        text.push('[');
        text.push_str(args_inner);
        text.push(']');
        text.push('\0');
        Event { socket, text, name_len: name.len(), buffers, ack, ack_taken: AtomicBool::new(false) }
    }

    /// The event name; empty for an ack reply.
    pub fn name(&self) -> &str {
        &self.text[..self.name_len]
    }

    /// The arguments, a JSON array. Binary arguments appear as placeholders
    /// `{"_placeholder":true,"num":N}` whose `N` indexes [`Event::buffers`].
    pub fn args(&self) -> &str {
        &self.text[self.name_len + 1..self.text.len() - 1]
    }

    /// `name\0` as a C string.
    pub(crate) fn name_with_nul(&self) -> &str {
        &self.text[..=self.name_len]
    }

    /// `args\0` as a C string.
    pub(crate) fn args_with_nul(&self) -> &str {
        &self.text[self.name_len + 1..]
    }

    /// The binary attachments, in placeholder `num` order.
    pub fn buffers(&self) -> &[Vec<u8>] {
        &self.buffers
    }

    /// The namespace socket the event arrived on.
    pub fn socket(&self) -> &Arc<Socket> {
        &self.socket
    }

    /// Whether the server asked for an acknowledgement.
    pub fn wants_ack(&self) -> bool {
        self.ack.is_some()
    }

    /// Takes the right to answer the server's ack request; `None` if the server asked for none
    /// or it was already taken. The [`Responder`] may be used from any thread.
    pub fn take_ack(&self) -> Option<Responder> {
        let ack = self.ack?;
        if self.ack_taken.swap(true, Ordering::AcqRel) {
            return None;
        }
        Some(Responder { socket: self.socket.clone(), ack })
    }
}

/// The right to answer one ack request of the server, once.
pub struct Responder {
    socket: Arc<Socket>,
    ack: AckRequest,
}

impl Responder {
    /// Sends the acknowledgement with `args` (a JSON array) and binary `buffers` referenced by
    /// placeholders in it. If the namespace has reconnected or left since the request, nothing is
    /// sent (the server no longer waits for it).
    pub fn send(self, args: &str, buffers: Vec<Vec<u8>>) -> Result<(), Error> {
        let packet = self.packet(args, buffers)?;
        self.send_packet(packet)
    }

    /// Checks and encodes the answer without using up the responder.
    pub(crate) fn packet(&self, args: &str, buffers: Vec<Vec<u8>>) -> Result<Outgoing, Error> {
        crate::json::check_array(args)?;
        crate::json::check_placeholders(args, buffers.len())?;
        let mut text = String::with_capacity(args.len() + self.socket.nsp.len() + 24);
        text.push('4');
        let ty = if buffers.is_empty() { PacketType::Ack } else { PacketType::BinaryAck };
        let nsp = &self.socket.nsp;
        let packet =
            Packet { ty, nsp, id: Some(self.ack.id), attachments: buffers.len(), data: Some(args.trim()) };
        crate::socketio::packet::encode(&packet, &mut text);
        Ok(Outgoing { text, attachments: buffers })
    }

    /// Queues the answer. Takes `&self` so that a caller whose send failed keeps the responder
    /// (the C ABI frees its handle only on success).
    pub(crate) fn send_packet(&self, packet: Outgoing) -> Result<(), Error> {
        let shared: &Shared = &self.socket.shared;
        shared.send(Command::Ack { ns: self.socket.index, connection: self.ack.connection, packet })
    }
}
