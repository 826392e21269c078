//! The I/O thread: owns the Engine.IO session and every namespace's protocol state, turns
//! commands into frames and frames into callbacks for the dispatch thread.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use parking_lot::Mutex;

use super::auth::AuthRequest;
use super::backoff::Backoff;
use super::coalesce::Coalescer;
use super::event::AckRequest;
use super::log::{excerpt, sio_log};
use super::namespace::{Namespace, Status};
use super::outbox::{Outbox, Step};
use super::shared::{AckResult, AckTarget, Command, Dispatch, Outgoing, ReconnectEvent, Shared};
use super::Event;
use crate::client::options::{ProtocolMode, TransportMode};
use crate::engineio::payload::Revision;
use crate::engineio::{self, Beat, Handshake, Heartbeat};
use crate::socketio::binary::{Feed, Reassembler};
use crate::socketio::{self, PacketType};
use crate::transport::cookies::CookieJar;
use crate::transport::polling::{cookie_middleware, Requests};
use crate::transport::{poll, Connection, Frame, Polling, TransportError, WebSocket};
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
    conn: Connection,
    heartbeat: Heartbeat,
    binary: Option<PendingBinary>,
    rev: Revision,
    /// The Engine.IO session id (Socket.IO v4 derives socket ids from it).
    sid: String,
    /// Socket.IO v4: the server connected `/` by itself (its `40` came before we asked).
    root_connected: bool,
    /// When to read a WebSocket that streams (polling reads as the server answers).
    coalescer: Coalescer,
}

pub(crate) struct Io {
    shared: Arc<Shared>,
    namespaces: Vec<Namespace>,
    session: Option<Session>,
    commands: Vec<Command>,
    /// What an outbox asked for (reused).
    steps: Vec<Step<AckTarget>>,
    out: Vec<Dispatch>,
    /// Set when the session broke while handling something; acted on by the main loop.
    lost: Option<&'static str>,
    last_request: u64,
    settled: u64,
    /// The HTTP client of the polling transport (connection pool), made on first use.
    agent: Option<ureq::Agent>,
    /// The cookies the server set (polling responses), sent on every request and upgrade.
    cookies: Arc<Mutex<CookieJar>>,
    /// The revision the next session opens with; in `auto` mode it becomes v3 for good once
    /// the server shows it is a socket.io 2.x server.
    revision: Revision,
    /// The current session must be replaced by a v3 one (auto mode met a v2 server).
    reopen_v3: bool,
    backoff: Backoff,
    /// While reconnecting: when the next attempt starts.
    reconnect_at: Option<Instant>,
    rng: u64,
    /// The last read stopped because the callbacks pending reached `max_pending`: what the
    /// transport holds already (and `poll` cannot see) is read as soon as they run down.
    read_cut: bool,
    /// Numbers the auth requests, so that a late answer to an old one is ignored.
    auth_requests: u64,
}

impl Io {
    pub fn new(shared: Arc<Shared>) -> Io {
        Io {
            shared: shared.clone(),
            namespaces: Vec::new(),
            session: None,
            commands: Vec::new(),
            steps: Vec::new(),
            out: Vec::new(),
            lost: None,
            last_request: 0,
            settled: 0,
            agent: None,
            cookies: Arc::default(),
            revision: if shared.options.protocol == ProtocolMode::V3 { Revision::V3 } else { Revision::V4 },
            reopen_v3: false,
            backoff: Backoff::new(
                shared.options.reconnection_delay,
                shared.options.reconnection_delay_max,
                shared.options.randomization_factor,
            ),
            reconnect_at: None,
            rng: seed(),
            read_cut: false,
            auth_requests: 0,
        }
    }

    pub fn run(self) {
        let shared = self.shared.clone();
        // Boxed: inline dispatch lends it to `Shared::lent_io` while callbacks run.
        let mut io = Box::new(self);
        while !shared.shutdown.load(Ordering::Acquire) {
            if !io.prepare() {
                continue;
            }
            let callbacks = !io.out.is_empty();
            shared.dispatch(&mut io.out);
            if callbacks && shared.is_inline() {
                match run_callbacks(&shared, io) {
                    // What they queued is taken on the next turn, before any sleep.
                    Some(back) => io = back,
                    None => return,
                }
                continue;
            }
            io.wait();
        }
        io.stop();
    }

    /// The first half of a turn of the main loop: commands, opening and closing the session,
    /// writing. False when the turn must start over (the session opened or was lost).
    fn prepare(&mut self) -> bool {
        self.process_commands();
        let wanted = self.namespaces.iter().any(Namespace::is_active);
        if !wanted {
            self.reconnect_at = None;
        }
        if wanted && self.session.is_none() && self.reconnect_at.is_none_or(|t| t <= Instant::now()) {
            self.open_session();
            return false;
        }
        if !wanted {
            if let Some(s) = self.session.take() {
                sio_log!(self.shared, Info, "connection closed: no namespace is joined");
                s.conn.close();
            }
        }
        if let Some(s) = &mut self.session {
            if let Err(e) = s.conn.flush() {
                self.lost = Some(reason(&e));
            }
        }
        if let Some(why) = self.lost.take() {
            self.lose(why);
            return false;
        }
        if self.session.is_none() && !wanted && self.last_request > self.settled {
            self.settled = self.last_request;
            self.out.push(Dispatch::Settled(self.settled));
        }
        true
    }

    /// The second half: sleeps until a frame, a command or a timer, and handles the frames and
    /// timers.
    fn wait(&mut self) {
        let (fd, want_write) = match &self.session {
            Some(s) => s.conn.poll_fd(),
            None => (None, false),
        };
        // A coalesced stream leaves the socket to fill until the hold ends (unless a write
        // waits for room in it); the waker still interrupts.
        let hold = match &self.session {
            Some(s) if !want_write => s.coalescer.hold_until(),
            _ => None,
        };
        // With `max_pending` callbacks waiting, nothing is read until half of them have run
        // (whoever brings them down wakes this thread): TCP then holds the server back.
        let paused = self.shared.pause_if_full();
        // Whatever arrived meanwhile is read as soon as they have run down (a polling report's
        // wake-up may be consumed during the pause).
        self.read_cut |= paused;
        let read_now = self.read_cut && !paused;
        let deadline = if read_now {
            Some(Instant::now())
        } else {
            [self.next_deadline(), hold].into_iter().flatten().min()
        };
        let socket = fd.filter(|_| hold.is_none() && !paused);
        let ready = match poll(socket, want_write, &self.shared.waker, deadline) {
            Ok(r) => r,
            Err(_) => {
                self.lose("transport error");
                return;
            }
        };
        if ready.woken {
            self.shared.waker.reset();
        }
        let woke_at = Instant::now();
        let hold_over = hold.is_some_and(|t| t <= woke_at);
        // Polling reports arrive through the waker, WebSocket frames through the socket.
        if ready.readable || hold_over || read_now || (ready.woken && hold.is_none() && !paused) {
            let messages = self.read_frames((woke_at, SystemTime::now()));
            if let Some(s) = &mut self.session {
                if ready.readable || hold_over {
                    s.coalescer.read(woke_at, messages);
                }
            }
        }
        let now = Instant::now();
        match self.session.as_mut().map(|s| s.heartbeat.poll(now)) {
            Some(Beat::Dead) => {
                self.lost.get_or_insert("ping timeout");
            }
            Some(Beat::SendPing) => self.write("2".to_owned()),
            Some(Beat::Idle) | None => {}
        }
        if self.reopen_v3 {
            self.reopen_v3 = false;
            self.reopen_as_v3();
        }
        self.expire_acks(now);
    }

    fn next_deadline(&self) -> Option<Instant> {
        let ping = self.session.as_ref().map(|s| s.heartbeat.next_wakeup());
        let ack = self.namespaces.iter().filter_map(|n| n.outbox.next_deadline()).min();
        [ping, ack, self.reconnect_at].into_iter().flatten().min()
    }

    // ---- commands -------------------------------------------------------------------------

    fn process_commands(&mut self) {
        let mut commands = std::mem::take(&mut self.commands);
        self.shared.take_commands(&mut commands);
        if commands.iter().any(|c| matches!(c, Command::Emit { .. })) {
            self.check_heartbeat();
        }
        for cmd in commands.drain(..) {
            self.command(cmd);
        }
        self.commands = commands;
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Register(socket) => {
                debug_assert_eq!(socket.index, self.namespaces.len());
                self.namespaces.push(Namespace::new(socket, self.shared.options.retries));
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
            Command::Emit { ns, emit } => self.outbox(ns, |o, out| o.emit(emit, Instant::now(), out)),
            Command::Volatile { ns, packet } => {
                if self.namespaces[ns].status == Status::Connected && self.writable() {
                    self.send(packet);
                }
            }
            Command::Ack { ns, connection, packet } => {
                let n = &self.namespaces[ns];
                if n.status == Status::Connected && n.connection == connection {
                    self.send(packet);
                } else {
                    sio_log!(self.shared, Debug, "ack reply for {} dropped: not connected", n.socket.nsp);
                }
            }
            Command::Close { seq } => {
                self.last_request = seq;
                for ns in 0..self.namespaces.len() {
                    self.leave(ns, true);
                    self.outbox(ns, Outbox::close);
                }
            }
            Command::Auth { ns, token, auth } => self.on_auth(ns, token, auth),
        }
    }

    /// Before an emit, as the JS client's `_hasPingExpired`: a session whose ping deadline has
    /// passed on either clock (the process may have been suspended, which stops the monotonic
    /// one) is lost now, so that the emit is held for the next session instead of written to a
    /// dead one.
    fn check_heartbeat(&mut self) {
        let now = (Instant::now(), SystemTime::now());
        if self.session.as_ref().is_some_and(|s| s.heartbeat.expired(now.0, now.1)) {
            self.lose("ping timeout");
        }
    }

    /// The auth provider answered request `token`: the CONNECT goes out, or with no answer the
    /// namespace is refused. Answers to requests of an older session or join are ignored.
    fn on_auth(&mut self, ns: usize, token: u64, auth: Option<Option<String>>) {
        let n = &mut self.namespaces[ns];
        if n.auth_request != Some(token) {
            return;
        }
        n.auth_request = None;
        match auth {
            Some(auth) => self.write_connect(ns, auth.as_deref()),
            None => {
                n.status = Status::Idle;
                let message = "no auth: the auth request was freed without a reply";
                self.out.push(Dispatch::ConnectError(n.socket.clone(), message.into(), "null".into()));
            }
        }
    }

    /// Leaves a namespace on the user's request: `41` if the server knows of us, then
    /// `io client disconnect` if it was connected.
    fn leave(&mut self, ns: usize, by_client: bool) {
        let n = &mut self.namespaces[ns];
        let was = n.status;
        n.status = Status::Idle;
        n.auth_request = None;
        n.forget_session();
        sio_log!(self.shared, Info, "leaving {}", n.socket.nsp);
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
        self.out.push(Dispatch::Disconnect(n.socket.clone(), why));
        self.outbox(ns, Outbox::disconnected);
    }

    /// Runs `f` on the outbox of namespace `ns` and carries out what it asks for.
    fn outbox<R>(
        &mut self,
        ns: usize,
        f: impl FnOnce(&mut Outbox<AckTarget>, &mut Vec<Step<AckTarget>>) -> R,
    ) -> R {
        let mut steps = std::mem::take(&mut self.steps);
        let r = f(&mut self.namespaces[ns].outbox, &mut steps);
        for step in steps.drain(..) {
            match step {
                Step::Send(packet) => self.send(packet),
                Step::Fail(target, e) => self.complete_ack(target, Err(e)),
            }
        }
        self.steps = steps;
        r
    }

    /// Whether a volatile emit can go now: the WebSocket wrote out everything queued, or no
    /// polling POST is in flight or waiting.
    fn writable(&mut self) -> bool {
        let Some(s) = &mut self.session else { return false };
        match s.conn.flush() {
            Ok(()) => s.conn.writable(),
            Err(e) => {
                self.lost.get_or_insert(reason(&e));
                false
            }
        }
    }

    fn complete_ack(&mut self, target: AckTarget, result: AckResult) {
        match target {
            AckTarget::Direct(f) => f(result),
            AckTarget::Dispatch(f) => self.out.push(Dispatch::Ack(f, result)),
        }
    }

    fn expire_acks(&mut self, now: Instant) {
        for ns in 0..self.namespaces.len() {
            if self.namespaces[ns].outbox.next_deadline().is_some_and(|t| t <= now) {
                self.outbox(ns, |o, out| o.expire(now, out));
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
        sio_log!(self.shared, Trace, "send {}", excerpt(&packet.text, 200));
        s.coalescer.wrote();
        let mut result = s.conn.write_text(packet.text);
        let prefix = s.rev == Revision::V3 && matches!(s.conn, Connection::WebSocket(_));
        for mut a in packet.attachments {
            if prefix {
                // Engine.IO v3 WebSocket binary frames start with the message type byte.
                a.insert(0, 4);
            }
            result = result.and_then(|()| s.conn.write_binary(a));
        }
        if let Err(e) = result {
            self.lost.get_or_insert(reason(&e));
        }
    }

    /// Joins namespace `ns` on the current session: sends its CONNECT with its auth, or first
    /// asks its auth provider (on the dispatch thread) and sends it when the answer comes.
    fn send_connect(&mut self, ns: usize) {
        let Some(s) = &self.session else { return };
        let (rev, root_connected) = (s.rev, s.root_connected);
        let n = &mut self.namespaces[ns];
        sio_log!(self.shared, Debug, "joining {}", n.socket.nsp);
        if rev == Revision::V3 && n.socket.nsp == "/" {
            // Socket.IO v4: `/` is joined by the server itself.
            n.status = Status::Connecting { sent: true };
            if root_connected {
                self.on_connect_reply(ns, None);
            }
            return;
        }
        if n.auth_request.is_some() {
            return;
        }
        if n.socket.handlers.lock().auth.is_some() {
            self.auth_requests += 1;
            n.auth_request = Some(self.auth_requests);
            let request = AuthRequest::new(n.socket.clone(), self.auth_requests);
            self.out.push(Dispatch::Auth(n.socket.clone(), request));
            return;
        }
        let auth = n.socket.auth.lock().clone();
        self.write_connect(ns, auth.as_deref());
    }

    /// Sends the CONNECT of namespace `ns` with `auth` (and the session to recover, if any).
    fn write_connect(&mut self, ns: usize, auth: Option<&str>) {
        let Some(s) = &self.session else { return };
        let rev = s.rev;
        let n = &mut self.namespaces[ns];
        n.status = Status::Connecting { sent: true };
        let frame = match rev {
            Revision::V4 => {
                let data = n.connect_data(auth);
                packet_frame(PacketType::Connect, &n.socket.nsp, data.as_deref())
            }
            // Socket.IO v4: auth travels as a query string on the namespace.
            Revision::V3 => {
                let nsp = match auth.map(auth_query) {
                    Some(q) if !q.is_empty() => format!("{}?{q}", n.socket.nsp),
                    _ => n.socket.nsp.clone(),
                };
                packet_frame(PacketType::Connect, &nsp, None)
            }
        };
        self.write(frame);
    }

    /// Opens the Engine.IO session with the configured transports (and, in `auto` mode, upgrades
    /// polling to WebSocket when the server offers it); on failure every joining namespace gets
    /// `connect_error`.
    fn open_session(&mut self) {
        let attempt = self.reconnect_at.take().map(|_| self.backoff.attempts());
        if let Some(n) = attempt {
            sio_log!(self.shared, Info, "reconnection attempt {n}");
            self.out.push(Dispatch::Reconnect(ReconnectEvent::Attempt(n)));
        }
        let (mode, v) = (self.shared.options.transport, self.revision.number());
        sio_log!(self.shared, Info, "connecting to {} ({mode:?}, EIO {v})", self.shared.endpoint.host());
        let shared = self.shared.clone();
        let abort = || shared.shutdown.load(Ordering::Acquire) || shared.closing.load(Ordering::Acquire);
        let deadline = Instant::now() + shared.options.connect_timeout;
        match self.open_transport(deadline, &abort) {
            Ok((conn, hs, early)) => {
                sio_log!(self.shared, Debug, "handshake: {hs:?}");
                let (now, wall) = (Instant::now(), SystemTime::now());
                let heartbeat = match self.revision {
                    Revision::V4 => Heartbeat::new(hs.ping_interval, hs.ping_timeout, now, wall),
                    Revision::V3 => Heartbeat::new_v3(hs.ping_interval, hs.ping_timeout, now, wall),
                };
                let (rev, sid) = (self.revision, hs.sid);
                sio_log!(self.shared, Info, "connected over {}: session {sid}", transport_name(&conn, mode));
                self.session = Some(Session {
                    conn,
                    heartbeat,
                    binary: None,
                    rev,
                    sid,
                    root_connected: false,
                    coalescer: Coalescer::new(self.shared.options.read_coalescing),
                });
                for ns in 0..self.namespaces.len() {
                    if matches!(self.namespaces[ns].status, Status::Connecting { .. }) {
                        self.send_connect(ns);
                    }
                }
                // After the CONNECTs: a v2 server's `40` for `/` may have come with the OPEN.
                for frame in early {
                    self.on_frame(frame, (now, wall));
                }
                // That `40` without sid (auto mode) asks for a v3 session: nothing else will
                // come on this one to wake the main loop.
                if std::mem::take(&mut self.reopen_v3) {
                    self.reopen_as_v3();
                    return;
                }
                if let Some(n) = attempt {
                    sio_log!(self.shared, Info, "reconnected at attempt {n}");
                    self.backoff.reset();
                    self.out.push(Dispatch::Reconnect(ReconnectEvent::Reconnected(n)));
                }
            }
            Err(TransportError::Aborted) => {}
            Err(e) => {
                let message = match e {
                    TransportError::Timeout => "timeout".to_owned(),
                    other => other.to_string(),
                };
                sio_log!(self.shared, Warn, "connection failed: {message}");
                if let Some(n) = attempt {
                    self.out.push(Dispatch::Reconnect(ReconnectEvent::Error(n, message)));
                    self.schedule_reconnect();
                    return;
                }
                let options = &self.shared.options;
                if options.retry_initial_connect && options.reconnection {
                    // As a lost connection: attempts with backoff (their errors say why).
                    self.backoff.reset();
                    self.schedule_reconnect();
                    return;
                }
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

    /// Opens the configured transports with the current revision.
    fn open_transport(
        &mut self,
        deadline: Instant,
        abort: &dyn Fn() -> bool,
    ) -> Result<(Connection, Handshake, Vec<Frame>), TransportError> {
        match self.shared.options.transport {
            TransportMode::WebSocket => {
                let mut conn = self.open_websocket(None, deadline, abort)?;
                let hs = read_open(&mut conn, deadline, &self.shared, abort)?;
                // Frames that came in the same read as the OPEN: the socket will not say so.
                let mut early = Vec::new();
                while let Some(frame) = conn.read()? {
                    early.push(frame);
                }
                Ok((conn, hs, early))
            }
            TransportMode::Polling | TransportMode::Auto => self.open_polling(deadline, abort),
        }
    }

    /// Auto mode met a socket.io 2.x server on a v4 session: drop it quietly (nobody was told
    /// of it yet) and open a v3 one for the same namespaces.
    fn reopen_as_v3(&mut self) {
        sio_log!(self.shared, Info, "the server is socket.io 2.x: connecting again in Engine.IO v3");
        self.revision = Revision::V3;
        if let Some(s) = self.session.take() {
            s.conn.close();
        }
        for n in &mut self.namespaces {
            n.auth_request = None;
            if matches!(n.status, Status::Connecting { .. }) {
                n.status = Status::Connecting { sent: false };
            }
        }
    }

    fn open_websocket(
        &self,
        sid: Option<&str>,
        deadline: Instant,
        abort: &dyn Fn() -> bool,
    ) -> Result<Connection, TransportError> {
        let shared = &self.shared;
        let url = shared.endpoint.url(self.revision.number(), "websocket", sid, &[]);
        let mut headers = shared.options.headers.clone();
        // Cookies the server set on polling requests (load-balancer stickiness) go along.
        let secure = url.scheme() == "wss";
        if let Some(cookies) = self.cookies.lock().header(url.path(), secure, SystemTime::now()) {
            headers.push(("Cookie".into(), cookies));
        }
        let ws = WebSocket::connect(
            &url,
            &headers,
            shared.options.max_message_size,
            shared.tls.as_ref(),
            shared.proxy.as_ref(),
            deadline,
            &shared.waker,
            abort,
        )?;
        Ok(Connection::WebSocket(ws))
    }

    /// The polling handshake, then (in `auto` mode) the upgrade probe (`protocol.md` §1.8, done
    /// before polling starts, as python-engineio does: no GET is parked, so no noop dance).
    /// Returns the connection, the handshake, and the frames that came with the OPEN packet.
    fn open_polling(
        &mut self,
        deadline: Instant,
        abort: &dyn Fn() -> bool,
    ) -> Result<(Connection, Handshake, Vec<Frame>), TransportError> {
        let shared = self.shared.clone();
        let endpoint = shared.endpoint.clone();
        let rev = self.revision;
        let requests = Requests {
            agent: self.http_agent(),
            headers: shared.options.headers.clone(),
            url: Arc::new(move |rev, sid, t| match rev {
                Revision::V4 => endpoint.url(4, "polling", sid, &[("t", t)]).to_string(),
                // Base64 binary in text payloads, so that binary-mode payloads are the exception.
                Revision::V3 => endpoint.url(3, "polling", sid, &[("t", t), ("b64", "1")]).to_string(),
            }),
            max_message_size: shared.options.max_message_size,
        };
        let timeout = deadline.saturating_duration_since(Instant::now());
        let mut conn = Connection::Polling(Polling::open(requests, shared.waker.clone(), timeout, rev)?);
        let hs = read_open(&mut conn, deadline, &shared, abort)?;
        if let Connection::Polling(p) = &conn {
            if p.revision() != self.revision && shared.options.protocol == ProtocolMode::V4 {
                return Err(TransportError::Failed(
                    "the server speaks Engine.IO v3 (socket.io 2.x) but protocol v4 was asked for".into(),
                ));
            }
            // In auto mode, a socket.io 2.x server answering a v4 handshake in v3: keep its
            // session, in v3.
            self.revision = p.revision();
        }
        let mut early = Vec::new();
        while let Some(frame) = conn.read()? {
            early.push(frame);
        }
        if shared.options.transport == TransportMode::Auto && hs.upgrades.iter().any(|u| u == "websocket") {
            match self.probe(&hs.sid, deadline, abort) {
                Ok(ws) => return Ok((ws, hs, early)),
                Err(TransportError::Aborted) => return Err(TransportError::Aborted),
                // The session stays on polling, with nothing lost.
                Err(e) => {
                    sio_log!(self.shared, Warn, "upgrade to websocket failed ({e}): staying on polling")
                }
            }
        }
        if let Connection::Polling(p) = &mut conn {
            let request_timeout = hs.ping_interval + hs.ping_timeout + std::time::Duration::from_secs(5);
            p.start(&hs.sid, hs.max_payload, request_timeout)?;
        }
        Ok((conn, hs, early))
    }

    /// Opens a WebSocket for session `sid` and upgrades to it: `2probe`, `3probe`, `5`.
    fn probe(
        &self,
        sid: &str,
        deadline: Instant,
        abort: &dyn Fn() -> bool,
    ) -> Result<Connection, TransportError> {
        let mut ws = self.open_websocket(Some(sid), deadline, abort)?;
        ws.write_text("2probe".into())?;
        ws.flush()?;
        match next_frame(&mut ws, deadline, &self.shared, abort)? {
            Frame::Text(t) if t.as_str() == "3probe" => {}
            _ => return Err(TransportError::Failed("the upgrade probe was not answered".into())),
        }
        ws.write_text("5".into())?;
        ws.flush()?;
        Ok(ws)
    }

    /// The HTTP agent of this client (connection pool; it keeps the client's cookies), made on
    /// first use.
    fn http_agent(&mut self) -> ureq::Agent {
        self.agent
            .get_or_insert_with(|| {
                let config = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_connect(Some(self.shared.options.connect_timeout))
                    .proxy(self.shared.http_proxy.clone())
                    .tls_config(self.shared.http_tls.clone())
                    .middleware(cookie_middleware(self.cookies.clone()))
                    .build();
                ureq::Agent::with_parts(
                    config,
                    ureq::unversioned::transport::DefaultConnector::default(),
                    crate::transport::polling::Resolver::default(),
                )
            })
            .clone()
    }

    /// The session broke: every namespace learns why; with reconnection on, the joined ones
    /// are joined again on a new session after a backoff delay (emits meanwhile are held).
    fn lose(&mut self, why: &'static str) {
        sio_log!(self.shared, Warn, "connection lost: {why}");
        if let Some(s) = self.session.take() {
            s.conn.close();
        }
        let reconnect = self.shared.options.reconnection;
        for ns in 0..self.namespaces.len() {
            // A new session asks the auth provider again.
            self.namespaces[ns].auth_request = None;
            match self.namespaces[ns].status {
                Status::Connected => {
                    self.disconnected(ns, why);
                    if reconnect {
                        self.namespaces[ns].status = Status::Connecting { sent: false };
                    }
                }
                Status::Connecting { .. } if reconnect => {
                    self.namespaces[ns].status = Status::Connecting { sent: false };
                }
                Status::Connecting { .. } => {
                    let n = &mut self.namespaces[ns];
                    n.status = Status::Idle;
                    self.out.push(Dispatch::ConnectError(n.socket.clone(), why.to_owned(), "null".into()));
                }
                Status::Idle => {}
            }
        }
        if reconnect && self.namespaces.iter().any(Namespace::is_active) {
            self.backoff.reset();
            self.schedule_reconnect();
        }
    }

    /// Plans the next reconnection attempt, or gives up when the attempts are used up.
    fn schedule_reconnect(&mut self) {
        let made = self.backoff.attempts();
        if self.shared.options.reconnection_attempts.is_some_and(|max| made >= max) {
            sio_log!(self.shared, Error, "reconnection failed: {made} attempts made");
            self.out.push(Dispatch::Reconnect(ReconnectEvent::Failed(made)));
            self.backoff.reset();
            for n in &mut self.namespaces {
                n.status = Status::Idle;
            }
            return;
        }
        let r = self.random();
        let delay = self.backoff.next_delay(r);
        sio_log!(self.shared, Debug, "next reconnection attempt in {delay:?}");
        self.reconnect_at = Some(Instant::now() + delay);
    }

    /// A uniform number in [0, 1) for the backoff jitter (xorshift; no need for more).
    fn random(&mut self) -> f64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Reads and handles what has arrived (at `at`: one clock reading for them all); returns
    /// how many frames.
    fn read_frames(&mut self, at: (Instant, SystemTime)) -> usize {
        let mut frames = 0;
        self.read_cut = false;
        loop {
            if self.shared.backlog_full(self.out.len()) {
                self.read_cut = true;
                return frames;
            }
            let Some(s) = &mut self.session else { return frames };
            match s.conn.read() {
                Ok(Some(frame)) => self.on_frame(frame, at),
                Ok(None) => return frames,
                Err(e) => {
                    self.lost.get_or_insert(reason(&e));
                    return frames;
                }
            }
            frames += 1;
            if self.lost.is_some() {
                return frames;
            }
        }
    }

    fn on_frame(&mut self, frame: Frame, at: (Instant, SystemTime)) {
        match frame {
            Frame::Text(text) => self.on_text(&text, at),
            Frame::Binary(data) => self.on_binary(data.into(), at),
        }
    }

    fn on_text(&mut self, text: &str, (now, wall): (Instant, SystemTime)) {
        sio_log!(self.shared, Trace, "recv {}", excerpt(text, 200));
        let Ok(packet) = engineio::packet::decode(text) else {
            sio_log!(self.shared, Warn, "bad Engine.IO packet: {}", excerpt(text, 200));
            self.lost.get_or_insert("parse error");
            return;
        };
        if let Some(s) = &mut self.session {
            s.heartbeat.on_packet(now, wall);
            if packet.ty == engineio::PacketType::Pong {
                s.heartbeat.on_pong(now);
            }
        }
        match packet.ty {
            engineio::PacketType::Ping => {
                if let Some(s) = &mut self.session {
                    s.heartbeat.on_ping(now, wall);
                }
                self.write("3".to_owned());
            }
            engineio::PacketType::Message => {
                if let Err(e) = self.on_message(packet.data) {
                    sio_log!(self.shared, Warn, "parse error ({}): {}", e.0, excerpt(text, 200));
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

    fn on_binary(&mut self, mut data: Vec<u8>, (now, wall): (Instant, SystemTime)) {
        let Some(s) = &mut self.session else { return };
        sio_log!(self.shared, Trace, "recv binary, {} bytes", data.len());
        s.heartbeat.on_packet(now, wall);
        if s.rev == Revision::V3 && matches!(s.conn, Connection::WebSocket(_)) {
            // Engine.IO v3 WebSocket binary frames start with the message type byte.
            if data.first() != Some(&4) {
                self.lost.get_or_insert("parse error");
                return;
            }
            data.remove(0);
        }
        let Some(pending) = &mut s.binary else {
            sio_log!(self.shared, Warn, "parse error: a binary frame no packet expects");
            self.lost.get_or_insert("parse error");
            return;
        };
        if let Feed::Complete(buffers) = pending.reassembler.push(data) {
            if let Some(p) = s.binary.take() {
                if p.ty == PacketType::BinaryAck {
                    return self.deliver_ack(p.ns, p.id, &p.data, buffers);
                }
                // `decode` split it already; a binary event is split again here, once it is whole.
                match socketio::packet::split_event(&p.data) {
                    Ok(parts) => self.deliver_event(p.ns, p.id, parts, buffers),
                    Err(_) => {
                        self.lost.get_or_insert("parse error");
                    }
                }
            }
        }
    }

    fn on_message(&mut self, text: &str) -> Result<(), socketio::packet::DecodeError> {
        if self.session.as_ref().is_some_and(|s| s.binary.is_some()) {
            return Err(socketio::packet::DecodeError("text packet while attachments were expected"));
        }
        let (p, event) = socketio::packet::decode_split(text)?;
        let ns = self.namespaces.iter().position(|n| n.socket.nsp == p.nsp);
        match p.ty {
            PacketType::Connect => {
                if p.nsp == "/" {
                    if let Some(s) = &mut self.session {
                        s.root_connected = true;
                    }
                }
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
                    sio_log!(self.shared, Info, "{} disconnected by the server", p.nsp);
                    self.namespaces[ns].forget_session();
                    self.disconnected(ns, "io server disconnect");
                }
            }
            PacketType::BinaryEvent | PacketType::BinaryAck if p.attachments > 0 => {
                let data = p.data.unwrap_or("[]");
                if p.attachments > self.shared.options.max_attachments {
                    self.lost.get_or_insert("too many attachments");
                    return Ok(());
                }
                let reassembler = Reassembler::new(data, p.attachments)?;
                if let Some(s) = &mut self.session {
                    s.binary =
                        Some(PendingBinary { ty: p.ty, ns, id: p.id, data: data.to_owned(), reassembler });
                }
            }
            PacketType::Ack | PacketType::BinaryAck => {
                self.deliver_ack(ns, p.id, p.data.unwrap_or("[]"), Vec::new())
            }
            PacketType::Event | PacketType::BinaryEvent => {
                if let Some(parts) = event {
                    self.deliver_event(ns, p.id, parts, Vec::new());
                }
            }
        }
        Ok(())
    }

    fn on_connect_reply(&mut self, ns: usize, data: Option<&str>) {
        #[derive(serde::Deserialize)]
        struct Reply {
            sid: String,
            /// Connection state recovery is on: the session to recover after a reconnection.
            pid: Option<String>,
        }
        if !matches!(self.namespaces[ns].status, Status::Connecting { sent: true }) {
            return;
        }
        let Some(session) = &self.session else { return };
        let (sid, pid) = match data.and_then(|d| serde_json::from_str::<Reply>(d).ok()) {
            Some(reply) => (reply.sid, reply.pid),
            // Socket.IO v4 sends no id: the JS 2.x client derives it from the Engine.IO sid.
            None if session.rev == Revision::V3 => match self.namespaces[ns].socket.nsp.as_str() {
                "/" => (session.sid.clone(), None),
                nsp => (format!("{nsp}#{}", session.sid), None),
            },
            None if self.shared.options.protocol == ProtocolMode::Auto => {
                // A socket.io 2.x server answered a v4 client: start again in v3.
                self.reopen_v3 = true;
                return;
            }
            None => {
                let n = &mut self.namespaces[ns];
                n.status = Status::Idle;
                let message =
                    "the CONNECT reply has no sid: is this a socket.io 2.x server? (protocol is set to v4)";
                self.out.push(Dispatch::ConnectError(n.socket.clone(), message.into(), "null".into()));
                return;
            }
        };
        let n = &mut self.namespaces[ns];
        sio_log!(self.shared, Info, "joined {} (socket {sid})", n.socket.nsp);
        n.status = Status::Connected;
        n.connection += 1;
        // The server sends the same pid back when it restored the session (JS: `recovered`).
        let recovered = pid.is_some() && pid == n.pid;
        if !recovered {
            n.offset = None;
        }
        n.pid = pid;
        // With a recovered session: the events missed meanwhile, which came before the reply.
        self.out.extend(n.receive_buffer.drain(..).map(Dispatch::Event));
        self.out.push(Dispatch::Connect(n.socket.clone(), sid, recovered));
        self.outbox(ns, |o, out| o.connected(Instant::now(), out));
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
        sio_log!(self.shared, Warn, "{} refused: {message} {detail}", n.socket.nsp);
        self.out.push(Dispatch::ConnectError(n.socket.clone(), message, detail));
    }

    /// Hands an EVENT (split by `decode`, with its attachments) to the dispatch thread.
    fn deliver_event(
        &mut self,
        ns: Option<usize>,
        id: Option<u64>,
        parts: socketio::packet::EventParts<'_>,
        buffers: Vec<Vec<u8>>,
    ) {
        let Some(ns) = ns else {
            return sio_log!(self.shared, Debug, "dropped an event for a namespace not joined");
        };
        let n = &mut self.namespaces[ns];
        if id.is_none() {
            n.note_offset(parts.args_inner);
        }
        let ack = id.map(|id| AckRequest { id, connection: n.connection });
        let event = Event::new(n.socket.clone(), &parts.name, parts.args_inner, buffers, ack);
        match n.status {
            Status::Connected => self.out.push(Dispatch::Event(event)),
            Status::Connecting { .. } => {
                let max = self.shared.options.max_buffered;
                if max != 0 && n.receive_buffer.len() >= max {
                    // A hostile server (or a recovery replay larger than the limit): hold no
                    // more; the next session starts afresh instead of replaying the same again.
                    n.receive_buffer.clear();
                    n.forget_session();
                    self.lost.get_or_insert("receive buffer full");
                } else {
                    n.receive_buffer.push(event);
                }
            }
            Status::Idle => {
                sio_log!(self.shared, Debug, "event on {} dropped: not joined", n.socket.nsp)
            }
        }
    }

    /// Hands an ACK (with its attachments) to whoever waits for it.
    fn deliver_ack(&mut self, ns: Option<usize>, id: Option<u64>, data: &str, buffers: Vec<Vec<u8>>) {
        let Some(ns) = ns else {
            return sio_log!(self.shared, Debug, "dropped an ack for a namespace not joined");
        };
        let Some(target) = id.and_then(|id| self.outbox(ns, |o, out| o.ack(id, Instant::now(), out))) else {
            let nsp = &self.namespaces[ns].socket.nsp;
            return sio_log!(self.shared, Debug, "dropped ack {} on {nsp}: none waits", id.unwrap_or(0));
        };
        // `decode` checked that an ACK's payload is an array.
        let inner = data.trim().strip_prefix('[').and_then(|d| d.strip_suffix(']')).unwrap_or_default();
        let reply = Event::new(self.namespaces[ns].socket.clone(), "", inner, buffers, None);
        self.complete_ack(target, Ok(reply));
    }

    /// Freeing: close the socket, and give every ack still waiting `Closed` (the client's drop
    /// runs the callbacks the dispatch thread did not). On the I/O thread, or in the drop when an
    /// inline callback frees the client.
    pub fn stop(mut self) {
        if let Some(s) = self.session.take() {
            s.conn.close();
        }
        self.shared.take_commands(&mut self.commands);
        let mut orphans: Vec<AckTarget> = Vec::new();
        for cmd in self.commands.drain(..) {
            if let Command::Emit { emit, .. } = cmd {
                orphans.extend(emit.reply);
            }
        }
        for n in &mut self.namespaces {
            n.outbox.close(&mut self.steps);
        }
        for step in self.steps.drain(..) {
            if let Step::Fail(target, _) = step {
                orphans.push(target);
            }
        }
        for target in orphans {
            self.complete_ack(target, Err(Error::Closed));
        }
        self.shared.dispatch(&mut self.out);
    }
}

/// Inline dispatch: runs the queued callbacks on this (the I/O) thread, its state lent to
/// [`Shared::lent_io`] meanwhile; `None` if one of them freed the client, which stopped it.
fn run_callbacks(shared: &Shared, io: Box<Io>) -> Option<Box<Io>> {
    *shared.lent_io.lock() = Some(io);
    super::dispatch::run_queued(shared);
    shared.lent_io.lock().take()
}

/// Waits for the next frame of a connection being opened.
fn next_frame(
    conn: &mut Connection,
    deadline: Instant,
    shared: &Shared,
    abort: &dyn Fn() -> bool,
) -> Result<Frame, TransportError> {
    loop {
        if let Some(frame) = conn.read()? {
            return Ok(frame);
        }
        let (fd, _) = conn.poll_fd();
        let ready = poll(fd, false, &shared.waker, Some(deadline))
            .map_err(|e| TransportError::Failed(e.to_string()))?;
        if ready.woken {
            shared.waker.reset();
        }
        if abort() {
            return Err(TransportError::Aborted);
        }
        if !ready.readable && !ready.woken && Instant::now() >= deadline {
            return Err(TransportError::Timeout);
        }
    }
}

/// Waits for the OPEN packet that starts every session.
fn read_open(
    conn: &mut Connection,
    deadline: Instant,
    shared: &Shared,
    abort: &dyn Fn() -> bool,
) -> Result<Handshake, TransportError> {
    let Frame::Text(text) = next_frame(conn, deadline, shared, abort)? else {
        return Err(TransportError::Failed("expected the Engine.IO OPEN packet, got binary".into()));
    };
    let p = engineio::packet::decode(&text).map_err(|e| TransportError::Failed(e.to_string()))?;
    if p.ty != engineio::PacketType::Open {
        return Err(TransportError::Failed(format!("expected the Engine.IO OPEN packet, got {:?}", p.ty)));
    }
    Handshake::parse(p.data).map_err(|e| TransportError::Failed(e.to_string()))
}

/// A seed for the jitter that differs between clients and processes.
fn seed() -> u64 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let local = 0u8;
    (nanos as u64) ^ ((&local as *const u8 as u64) << 17) | 1
}

/// Socket.IO v4 namespace auth: the auth object as a query string (`token=abc&n=1`); string
/// values as they are, others as JSON text.
fn auth_query(auth: &str) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(auth) else {
        return String::new();
    };
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in map {
        match v {
            serde_json::Value::String(s) => q.append_pair(&k, &s),
            other => q.append_pair(&k, &other.to_string()),
        };
    }
    q.finish()
}

/// `4` + a Socket.IO packet without ack id or attachments.
fn packet_frame(ty: PacketType, nsp: &str, data: Option<&str>) -> String {
    let mut frame = String::with_capacity(4 + nsp.len() + data.map_or(0, str::len));
    frame.push('4');
    socketio::packet::encode(&socketio::Packet { ty, nsp, id: None, attachments: 0, data }, &mut frame);
    frame
}

/// The transport's name, for the log.
fn transport_name(conn: &Connection, mode: TransportMode) -> &'static str {
    match (conn, mode) {
        (Connection::WebSocket(_), TransportMode::Auto) => "websocket (upgraded from polling)",
        (Connection::WebSocket(_), _) => "websocket",
        (Connection::Polling(_), _) => "polling",
    }
}

/// The disconnect reason for a transport failure: the JS client's, or `message too large`.
fn reason(e: &TransportError) -> &'static str {
    match e {
        TransportError::Closed(_) => "transport close",
        TransportError::Malformed(_) => "parse error",
        TransportError::TooLarge(_) => "message too large",
        _ => "transport error",
    }
}
