//! The I/O thread: owns the Engine.IO session and every namespace's protocol state, turns
//! commands into frames and frames into callbacks for the dispatch thread.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use super::event::AckRequest;
use super::namespace::{Namespace, Status};
use super::shared::{AckResult, AckTarget, Command, Dispatch, Outgoing, Shared};
use super::Event;
use crate::engineio::{self, Handshake, Heartbeat};
use crate::socketio::binary::{Feed, Reassembler};
use crate::socketio::{self, PacketType};
use crate::transport::websocket::{Frame, TransportError};
use crate::transport::{poll, WebSocket};
use crate::Error;

/// A binary packet whose attachments are still arriving.
struct PendingBinary {
    ty: PacketType,
    ns: Option<usize>,
    id: Option<u64>,
    data: String,
    reassembler: Reassembler,
}

struct Session {
    ws: WebSocket,
    heartbeat: Heartbeat,
    binary: Option<PendingBinary>,
}

pub(crate) struct Io {
    shared: Arc<Shared>,
    namespaces: Vec<Namespace>,
    session: Option<Session>,
    /// Ack deadlines: (when, namespace, ack id). Entries whose ack is gone are skipped.
    timers: BinaryHeap<Reverse<(Instant, usize, u64)>>,
    commands: Vec<Command>,
    out: Vec<Dispatch>,
    /// Set when the session broke while handling something; acted on by the main loop.
    lost: Option<&'static str>,
    last_request: u64,
    settled: u64,
}

impl Io {
    pub fn new(shared: Arc<Shared>) -> Io {
        Io {
            shared,
            namespaces: Vec::new(),
            session: None,
            timers: BinaryHeap::new(),
            commands: Vec::new(),
            out: Vec::new(),
            lost: None,
            last_request: 0,
            settled: 0,
        }
    }

    pub fn run(mut self) {
        while !self.shared.shutdown.load(Ordering::Acquire) {
            self.process_commands();
            let wanted = self.namespaces.iter().any(Namespace::is_active);
            if wanted && self.session.is_none() {
                self.open_session();
                continue;
            }
            if !wanted {
                if let Some(s) = self.session.take() {
                    s.ws.close();
                }
            }
            if let Some(s) = &mut self.session {
                if let Err(e) = s.ws.flush() {
                    self.lost = Some(reason(&e));
                }
            }
            if let Some(why) = self.lost.take() {
                self.lose(why);
                continue;
            }
            if self.session.is_none() && self.last_request > self.settled {
                self.settled = self.last_request;
                self.out.push(Dispatch::Settled(self.settled));
            }
            self.shared.dispatch(&mut self.out);

            let (fd, want_write) = match &self.session {
                Some(s) => (Some(s.ws.fd()), s.ws.wants_write()),
                None => (None, false),
            };
            let deadline = self.next_deadline();
            let ready = match poll(fd, want_write, &self.shared.waker, deadline) {
                Ok(r) => r,
                Err(_) => {
                    self.lose("transport error");
                    continue;
                }
            };
            if ready.woken {
                self.shared.waker.reset();
            }
            if ready.readable {
                self.read_frames();
            }
            let now = Instant::now();
            if self.session.as_ref().is_some_and(|s| s.heartbeat.is_expired(now)) {
                self.lost.get_or_insert("ping timeout");
            }
            self.expire_acks(now);
        }
        self.stop();
    }

    fn next_deadline(&self) -> Option<Instant> {
        let ping = self.session.as_ref().map(|s| s.heartbeat.deadline());
        let ack = self.timers.peek().map(|Reverse((t, _, _))| *t);
        match (ping, ack) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ---- commands -------------------------------------------------------------------------

    fn process_commands(&mut self) {
        let mut commands = std::mem::take(&mut self.commands);
        self.shared.take_commands(&mut commands);
        for cmd in commands.drain(..) {
            self.command(cmd);
        }
        self.commands = commands;
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Register(socket) => {
                debug_assert_eq!(socket.index, self.namespaces.len());
                self.namespaces.push(Namespace::new(socket));
            }
            Command::Connect { ns, seq } => {
                self.last_request = seq;
                let n = &mut self.namespaces[ns];
                if n.status == Status::Idle {
                    n.status = Status::Connecting { sent: false };
                    if self.session.is_some() {
                        self.send_connect(ns);
                    }
                }
            }
            Command::Disconnect { ns } => self.leave(ns, true),
            Command::Emit { ns, packet, ack } => {
                let n = &mut self.namespaces[ns];
                let id = ack.map(|(id, pending)| {
                    if let Some(t) = pending.deadline {
                        self.timers.push(Reverse((t, ns, id)));
                    }
                    n.acks.insert(id, pending);
                    id
                });
                if n.status == Status::Connected && self.session.is_some() {
                    self.send(packet);
                } else {
                    n.send_buffer.push_back((packet, id));
                }
            }
            Command::Ack { ns, connection, packet } => {
                let n = &self.namespaces[ns];
                if n.status == Status::Connected && n.connection == connection {
                    self.send(packet);
                }
            }
            Command::Close { seq } => {
                self.last_request = seq;
                for ns in 0..self.namespaces.len() {
                    self.leave(ns, true);
                }
            }
        }
    }

    /// Leaves a namespace on the user's request: `41` if the server knows of us, then
    /// `io client disconnect` if it was connected.
    fn leave(&mut self, ns: usize, by_client: bool) {
        let n = &mut self.namespaces[ns];
        let was = n.status;
        n.status = Status::Idle;
        if matches!(was, Status::Connected | Status::Connecting { sent: true }) && self.session.is_some() {
            let frame = packet_frame(PacketType::Disconnect, &self.namespaces[ns].socket.nsp, None);
            self.write(frame);
        }
        if was == Status::Connected && by_client {
            self.disconnected(ns, "io client disconnect");
        }
    }

    /// Reports a connected namespace as disconnected and fails the acks that were in flight.
    fn disconnected(&mut self, ns: usize, why: &'static str) {
        let n = &mut self.namespaces[ns];
        n.status = Status::Idle;
        let failed = n.take_sent_acks();
        self.out.push(Dispatch::Disconnect(n.socket.clone(), why));
        for pending in failed {
            self.complete_ack(pending.target, Err(Error::Disconnected));
        }
    }

    fn complete_ack(&mut self, target: AckTarget, result: AckResult) {
        match target {
            AckTarget::Direct(f) => f(result),
            AckTarget::Dispatch(f) => self.out.push(Dispatch::Ack(f, result)),
        }
    }

    fn expire_acks(&mut self, now: Instant) {
        while let Some(Reverse((t, ns, id))) = self.timers.peek().copied() {
            if t > now {
                break;
            }
            self.timers.pop();
            let n = &mut self.namespaces[ns];
            if let Some(pending) = n.acks.remove(&id) {
                n.send_buffer.retain(|(_, a)| *a != Some(id));
                self.complete_ack(pending.target, Err(Error::Timeout));
            }
        }
    }

    // ---- session ----------------------------------------------------------------------------

    /// Queues a text packet (control packets: CONNECT, DISCONNECT, pong).
    fn write(&mut self, frame: String) {
        self.send(Outgoing { text: frame, attachments: Vec::new() });
    }

    /// Queues a packet and its attachments back to back: the I/O thread is the only writer,
    /// so nothing can come between them.
    fn send(&mut self, packet: Outgoing) {
        let Some(s) = &mut self.session else { return };
        let mut result = s.ws.write_text(packet.text);
        for a in packet.attachments {
            result = result.and_then(|()| s.ws.write_binary(a));
        }
        if let Err(e) = result {
            self.lost.get_or_insert(reason(&e));
        }
    }

    fn send_connect(&mut self, ns: usize) {
        let n = &mut self.namespaces[ns];
        n.status = Status::Connecting { sent: true };
        let auth = n.socket.auth.lock().clone();
        let frame = packet_frame(PacketType::Connect, &n.socket.nsp, auth.as_deref());
        self.write(frame);
    }

    /// Opens the WebSocket and reads the OPEN packet; on failure every joining namespace gets
    /// `connect_error`.
    fn open_session(&mut self) {
        let shared = self.shared.clone();
        let abort = || shared.shutdown.load(Ordering::Acquire) || shared.closing.load(Ordering::Acquire);
        let deadline = Instant::now() + shared.options.connect_timeout;
        let opened = WebSocket::connect(
            &shared.endpoint.url(4, "websocket", None, &[]),
            &shared.options.headers,
            shared.tls.as_ref(),
            deadline,
            &shared.waker,
            &abort,
        )
        .and_then(|ws| read_open(ws, deadline, &shared, &abort));
        match opened {
            Ok((ws, hs)) => {
                let heartbeat = Heartbeat::new(hs.ping_interval, hs.ping_timeout, Instant::now());
                self.session = Some(Session { ws, heartbeat, binary: None });
                for ns in 0..self.namespaces.len() {
                    if matches!(self.namespaces[ns].status, Status::Connecting { .. }) {
                        self.send_connect(ns);
                    }
                }
            }
            Err(TransportError::Aborted) => {}
            Err(e) => {
                let message = match e {
                    TransportError::Timeout => "timeout".to_owned(),
                    other => other.to_string(),
                };
                for n in &mut self.namespaces {
                    if matches!(n.status, Status::Connecting { .. }) {
                        n.status = Status::Idle;
                        self.out.push(Dispatch::ConnectError(
                            n.socket.clone(),
                            message.clone(),
                            "null".into(),
                        ));
                    }
                }
            }
        }
    }

    /// The session broke: every namespace learns why.
    fn lose(&mut self, why: &'static str) {
        if let Some(s) = self.session.take() {
            s.ws.close();
        }
        for ns in 0..self.namespaces.len() {
            match self.namespaces[ns].status {
                Status::Connected => self.disconnected(ns, why),
                Status::Connecting { .. } => {
                    let n = &mut self.namespaces[ns];
                    n.status = Status::Idle;
                    self.out.push(Dispatch::ConnectError(n.socket.clone(), why.to_owned(), "null".into()));
                }
                Status::Idle => {}
            }
        }
    }

    fn read_frames(&mut self) {
        loop {
            let Some(s) = &mut self.session else { return };
            match s.ws.read() {
                Ok(Some(Frame::Text(text))) => self.on_text(&text),
                Ok(Some(Frame::Binary(data))) => self.on_binary(data.into()),
                Ok(None) => return,
                Err(e) => {
                    self.lost.get_or_insert(reason(&e));
                    return;
                }
            }
            if self.lost.is_some() {
                return;
            }
        }
    }

    fn on_text(&mut self, text: &str) {
        let Ok(packet) = engineio::packet::decode(text) else {
            self.lost.get_or_insert("transport error");
            return;
        };
        match packet.ty {
            engineio::PacketType::Ping => {
                if let Some(s) = &mut self.session {
                    s.heartbeat.on_ping(Instant::now());
                }
                self.write("3".to_owned());
            }
            engineio::PacketType::Message => {
                if let Err(e) = self.on_message(packet.data) {
                    let _ = e;
                    self.lost.get_or_insert("parse error");
                }
            }
            engineio::PacketType::Close => {
                self.lost.get_or_insert("transport close");
            }
            engineio::PacketType::Open
            | engineio::PacketType::Pong
            | engineio::PacketType::Upgrade
            | engineio::PacketType::Noop => {}
        }
    }

    fn on_binary(&mut self, data: Vec<u8>) {
        let Some(s) = &mut self.session else { return };
        let Some(pending) = &mut s.binary else {
            self.lost.get_or_insert("parse error");
            return;
        };
        if let Feed::Complete(buffers) = pending.reassembler.push(data) {
            if let Some(p) = s.binary.take() {
                self.deliver(p.ty, p.ns, p.id, &p.data, buffers);
            }
        }
    }

    fn on_message(&mut self, text: &str) -> Result<(), socketio::packet::DecodeError> {
        if self.session.as_ref().is_some_and(|s| s.binary.is_some()) {
            return Err(socketio::packet::DecodeError("text packet while attachments were expected"));
        }
        let p = socketio::packet::decode(text)?;
        let ns = self.namespaces.iter().position(|n| n.socket.nsp == p.nsp);
        match p.ty {
            PacketType::Connect => {
                if let Some(ns) = ns {
                    self.on_connect_reply(ns, p.data);
                }
            }
            PacketType::ConnectError => {
                if let Some(ns) = ns {
                    self.on_connect_error(ns, p.data.unwrap_or("null"));
                }
            }
            PacketType::Disconnect => {
                if let Some(ns) = ns.filter(|&ns| self.namespaces[ns].status == Status::Connected) {
                    self.disconnected(ns, "io server disconnect");
                }
            }
            PacketType::Event | PacketType::Ack => {
                self.deliver(p.ty, ns, p.id, p.data.unwrap_or("[]"), Vec::new())
            }
            PacketType::BinaryEvent | PacketType::BinaryAck => {
                let data = p.data.unwrap_or("[]");
                if p.attachments == 0 {
                    self.deliver(p.ty, ns, p.id, data, Vec::new());
                } else {
                    let reassembler = Reassembler::new(data, p.attachments)?;
                    if let Some(s) = &mut self.session {
                        s.binary = Some(PendingBinary {
                            ty: p.ty,
                            ns,
                            id: p.id,
                            data: data.to_owned(),
                            reassembler,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn on_connect_reply(&mut self, ns: usize, data: Option<&str>) {
        #[derive(serde::Deserialize)]
        struct Reply {
            sid: String,
        }
        if !matches!(self.namespaces[ns].status, Status::Connecting { sent: true }) {
            return;
        }
        let Some(reply) = data.and_then(|d| serde_json::from_str::<Reply>(d).ok()) else {
            let n = &mut self.namespaces[ns];
            n.status = Status::Idle;
            let message = "the CONNECT reply has no sid: is this a Socket.IO v2 server?";
            self.out.push(Dispatch::ConnectError(n.socket.clone(), message.into(), "null".into()));
            return;
        };
        let n = &mut self.namespaces[ns];
        n.status = Status::Connected;
        n.connection += 1;
        let buffered = std::mem::take(&mut n.send_buffer);
        self.out.extend(n.receive_buffer.drain(..).map(Dispatch::Event));
        self.out.push(Dispatch::Connect(n.socket.clone(), reply.sid));
        for (packet, _) in buffered {
            self.send(packet);
        }
    }

    fn on_connect_error(&mut self, ns: usize, data: &str) {
        let n = &mut self.namespaces[ns];
        if !matches!(n.status, Status::Connecting { .. }) {
            return;
        }
        n.status = Status::Idle;
        let (message, detail) = match serde_json::from_str::<serde_json::Value>(data) {
            Ok(serde_json::Value::String(s)) => (s, "null".to_owned()),
            Ok(serde_json::Value::Object(mut o)) => {
                let message = match o.remove("message") {
                    Some(serde_json::Value::String(s)) => s,
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                (message, o.remove("data").map_or_else(|| "null".to_owned(), |d| d.to_string()))
            }
            _ => (data.to_owned(), "null".to_owned()),
        };
        self.out.push(Dispatch::ConnectError(n.socket.clone(), message, detail));
    }

    /// Hands an EVENT or ACK (with its attachments) to the dispatch thread.
    fn deliver(
        &mut self,
        ty: PacketType,
        ns: Option<usize>,
        id: Option<u64>,
        data: &str,
        buffers: Vec<Vec<u8>>,
    ) {
        let Some(ns) = ns else { return };
        let n = &mut self.namespaces[ns];
        match ty {
            PacketType::Event | PacketType::BinaryEvent => {
                let Ok(parts) = socketio::packet::split_event(data) else {
                    self.lost.get_or_insert("parse error");
                    return;
                };
                let ack = id.map(|id| AckRequest { id, connection: n.connection });
                let event = Event::new(n.socket.clone(), &parts.name, parts.args_inner, buffers, ack);
                match n.status {
                    Status::Connected => self.out.push(Dispatch::Event(event)),
                    Status::Connecting { .. } => n.receive_buffer.push(event),
                    Status::Idle => {}
                }
            }
            _ => {
                let Some(pending) = id.and_then(|id| n.acks.remove(&id)) else {
                    return;
                };
                // `decode` checked that an ACK's payload is an array.
                let inner =
                    data.trim().strip_prefix('[').and_then(|d| d.strip_suffix(']')).unwrap_or_default();
                let reply = Event::new(n.socket.clone(), "", inner, buffers, None);
                self.complete_ack(pending.target, Ok(reply));
            }
        }
    }

    /// Freeing: close the socket, and give every ack still waiting `Closed` (the client's drop
    /// runs the callbacks the dispatch thread did not).
    fn stop(mut self) {
        if let Some(s) = self.session.take() {
            s.ws.close();
        }
        self.shared.take_commands(&mut self.commands);
        let mut orphans: Vec<AckTarget> = Vec::new();
        for cmd in self.commands.drain(..) {
            if let Command::Emit { ack: Some((_, pending)), .. } = cmd {
                orphans.push(pending.target);
            }
        }
        for n in &mut self.namespaces {
            orphans.extend(n.acks.drain().map(|(_, pending)| pending.target));
        }
        for target in orphans {
            self.complete_ack(target, Err(Error::Closed));
        }
        self.shared.dispatch(&mut self.out);
    }
}

/// Waits for the OPEN packet that starts every WebSocket-only session.
fn read_open(
    mut ws: WebSocket,
    deadline: Instant,
    shared: &Shared,
    abort: &dyn Fn() -> bool,
) -> Result<(WebSocket, Handshake), TransportError> {
    loop {
        match ws.read()? {
            Some(Frame::Text(text)) => {
                let p = engineio::packet::decode(&text).map_err(|e| TransportError::Failed(e.to_string()))?;
                if p.ty != engineio::PacketType::Open {
                    return Err(TransportError::Failed(format!(
                        "expected the Engine.IO OPEN packet, got {:?}",
                        p.ty
                    )));
                }
                let hs = Handshake::parse(p.data).map_err(|e| TransportError::Failed(e.to_string()))?;
                return Ok((ws, hs));
            }
            Some(Frame::Binary(_)) => {
                return Err(TransportError::Failed("expected the Engine.IO OPEN packet, got binary".into()))
            }
            None => {
                let ready = poll(Some(ws.fd()), false, &shared.waker, Some(deadline))
                    .map_err(|e| TransportError::Failed(e.to_string()))?;
                if ready.woken {
                    shared.waker.reset();
                }
                if abort() {
                    return Err(TransportError::Aborted);
                }
                if !ready.readable && Instant::now() >= deadline {
                    return Err(TransportError::Timeout);
                }
            }
        }
    }
}

/// `4` + a Socket.IO packet without ack id or attachments.
fn packet_frame(ty: PacketType, nsp: &str, data: Option<&str>) -> String {
    let mut frame = String::with_capacity(4 + nsp.len() + data.map_or(0, str::len));
    frame.push('4');
    socketio::packet::encode(&socketio::Packet { ty, nsp, id: None, attachments: 0, data }, &mut frame);
    frame
}

/// The JS client's disconnect reason for a transport failure.
fn reason(e: &TransportError) -> &'static str {
    match e {
        TransportError::Closed(_) => "transport close",
        _ => "transport error",
    }
}
