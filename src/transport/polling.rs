//! HTTP long-polling (`protocol.md` §1.6). A reader thread keeps at most one GET parked and a
//! writer thread sends at most one POST at a time; both are blocking `ureq` calls. The reader
//! reports to the I/O thread through an inbox and the waker; the writer takes the packets the
//! I/O thread queued from a shared outbox, batch after batch, without a round trip through the
//! I/O thread between two POSTs. The I/O thread never blocks on HTTP.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::{Condvar, Mutex};

use super::cookies::CookieJar;
use super::websocket::{Frame, TransportError};
use super::Waker;
use crate::engineio::payload::{self, Encoder, PayloadPacket, Revision, DEFAULT_MAX_PACKETS};
use crate::engineio::PacketType;

/// Builds a request URL from the revision, the session id (None: the handshake) and a cache
/// buster.
pub type UrlFn = Arc<dyn Fn(Revision, Option<&str>, &str) -> String + Send + Sync>;

/// How to make the requests of one session.
#[derive(Clone)]
pub struct Requests {
    pub agent: ureq::Agent,
    pub headers: Vec<(String, String)>,
    pub url: UrlFn,
    /// Largest packet taken from the server (text, or binary once decoded); a response body may
    /// be twice as large (base64, and several packets).
    pub max_message_size: usize,
}

/// What the HTTP threads report.
enum Report {
    Payload(Vec<PayloadPacket<'static>>),
    Failed(TransportError),
}

#[derive(Default)]
struct Inbox {
    reports: VecDeque<Report>,
    /// Text packets of the last payload not yet handed out.
    pending: VecDeque<Frame>,
}

impl Inbox {
    /// Nothing received is waiting for the I/O thread.
    fn is_empty(&self) -> bool {
        self.pending.is_empty() && !self.reports.iter().any(|r| matches!(r, Report::Payload(_)))
    }
}

struct State {
    inbox: Mutex<Inbox>,
    /// The I/O thread took everything from `inbox`: the reader may GET the next payload.
    taken: Condvar,
    /// Packets for the writer thread.
    outbox: Mutex<Outbox>,
    /// The outbox has packets while the writer is idle, or polling stops.
    outbox_ready: Condvar,
    /// Set once the reader may start polling (after the handshake and any upgrade attempt).
    polling: Mutex<Option<String>>,
    polling_ready: Condvar,
    stop: AtomicBool,
    waker: Arc<Waker>,
    /// The revision spoken; a v4 attempt turns v3 when the server answers the handshake in v3.
    v3: AtomicBool,
    /// The handshake GET has returned (from then on, every request ends within a second of a
    /// close).
    handshake_done: AtomicBool,
    /// How many HTTP threads are running, and their exits.
    live: Mutex<usize>,
    ended: Condvar,
}

impl State {
    fn report(&self, r: Report) {
        self.inbox.lock().reports.push_back(r);
        self.waker.wake();
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    fn rev(&self) -> Revision {
        if self.v3.load(Ordering::Acquire) {
            Revision::V3
        } else {
            Revision::V4
        }
    }
}

/// Packets waiting for a POST, and whether one is being sent.
#[derive(Default)]
struct Outbox {
    queue: VecDeque<Queued>,
    in_flight: bool,
}

/// A packet waiting for the next POST.
enum Queued {
    /// Its type, and the whole text packet as written (`<type digit><data>`).
    Text(PacketType, String),
    Binary(Vec<u8>),
}

/// A long-polling session as the I/O thread sees it.
pub struct Polling {
    state: Arc<State>,
    requests: Requests,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// A fresh cache-busting value for the `t` query parameter.
fn cache_buster() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{:x}{:x}", nanos as u64, COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn http_error(what: &str, e: ureq::Error) -> TransportError {
    match e {
        ureq::Error::Timeout(_) => TransportError::Failed(format!("{what} timed out")),
        ureq::Error::BodyExceedsLimit(n) => {
            TransportError::TooLarge(format!("{what}: the response body exceeds {n} bytes"))
        }
        e => TransportError::Failed(format!("{what} failed: {e}")),
    }
}

/// A GET response body: text, or an Engine.IO v3 binary-mode payload.
enum Body {
    Text(String),
    Binary(Vec<u8>),
}

fn get(
    requests: &Requests,
    rev: Revision,
    sid: Option<&str>,
    timeout: Option<Duration>,
) -> Result<Body, TransportError> {
    let url = (requests.url)(rev, sid, &cache_buster());
    let mut req = requests.agent.get(&url);
    for (k, v) in &requests.headers {
        req = req.header(k, v);
    }
    let mut resp =
        req.config().timeout_global(timeout).build().call().map_err(|e| http_error("polling GET", e))?;
    let status = resp.status();
    let binary = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/octet-stream"));
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(body_limit(requests.max_message_size))
        .read_to_vec()
        .map_err(|e| http_error("polling GET", e))?;
    if status != 200 {
        let text = String::from_utf8_lossy(&bytes);
        return Err(TransportError::Failed(format!(
            "polling GET: HTTP {}: {}",
            status.as_u16(),
            text.trim()
        )));
    }
    if binary {
        return Ok(Body::Binary(bytes));
    }
    String::from_utf8(bytes)
        .map(Body::Text)
        .map_err(|_| TransportError::Malformed("polling GET: the payload is not UTF-8".into()))
}

/// The largest response body read: room for one message of `max_message_size` in base64, or
/// for several smaller ones.
fn body_limit(max_message_size: usize) -> u64 {
    u64::try_from(max_message_size).unwrap_or(u64::MAX).saturating_mul(2)
}

fn post(
    requests: &Requests,
    rev: Revision,
    sid: &str,
    body: String,
    timeout: Duration,
) -> Result<(), TransportError> {
    let url = (requests.url)(rev, Some(sid), &cache_buster());
    let mut req = requests.agent.post(&url).header("Content-Type", "text/plain;charset=UTF-8");
    for (k, v) in &requests.headers {
        req = req.header(k, v);
    }
    let mut resp = req
        .config()
        .timeout_global(Some(timeout))
        .build()
        .send(body)
        .map_err(|e| http_error("polling POST", e))?;
    let status = resp.status();
    // Read to the end (`ok`) even on success: only then does the connection go back to the
    // agent's pool, instead of a new connection (and a resolver thread) for every POST.
    let text = resp.body_mut().with_config().limit(MAX_ERROR_BODY).read_to_string().unwrap_or_default();
    if status != 200 {
        return Err(TransportError::Failed(format!(
            "polling POST: HTTP {}: {}",
            status.as_u16(),
            text.trim()
        )));
    }
    Ok(())
}

impl Polling {
    /// Starts the handshake GET on the reader thread; its payload (the OPEN packet first) comes
    /// out of [`Polling::read`]. The reader then waits for [`Polling::start`].
    pub fn open(
        requests: Requests,
        waker: Arc<Waker>,
        timeout: Duration,
        rev: Revision,
    ) -> Result<Polling, TransportError> {
        let state = Arc::new(State {
            inbox: Mutex::new(Inbox::default()),
            taken: Condvar::new(),
            outbox: Mutex::new(Outbox::default()),
            outbox_ready: Condvar::new(),
            polling: Mutex::new(None),
            polling_ready: Condvar::new(),
            stop: AtomicBool::new(false),
            waker,
            v3: AtomicBool::new(rev == Revision::V3),
            handshake_done: AtomicBool::new(false),
            live: Mutex::new(0),
            ended: Condvar::new(),
        });
        let (st, req) = (state.clone(), requests.clone());
        let reader = spawn("sio-poll-get", &state, move || reader(&st, &req, timeout))?;
        Ok(Polling { threads: vec![reader], state, requests })
    }

    /// Starts polling session `sid` (GETs and POSTs), each request allowed `timeout` (longer
    /// than the server's ping interval + timeout, so that a parked GET is never cut short).
    pub fn start(
        &mut self,
        sid: &str,
        max_payload: Option<u64>,
        timeout: Duration,
    ) -> Result<(), TransportError> {
        *self.state.polling.lock() = Some(sid.to_owned());
        self.state.polling_ready.notify_all();
        let (st, req, sid) = (self.state.clone(), self.requests.clone(), sid.to_owned());
        self.threads.push(spawn("sio-poll-post", &self.state, move || {
            writer(&st, &req, &sid, max_payload, timeout)
        })?);
        Ok(())
    }

    /// The revision spoken: the one asked for, or v3 if a v3 server answered the handshake.
    pub fn revision(&self) -> Revision {
        self.state.rev()
    }

    /// The next packet received, as a WebSocket-like frame; `Ok(None)` when none is waiting.
    pub fn read(&mut self) -> Result<Option<Frame>, TransportError> {
        loop {
            let mut inbox = self.state.inbox.lock();
            if let Some(frame) = inbox.pending.pop_front() {
                return Ok(Some(frame));
            }
            match inbox.reports.pop_front() {
                None => {
                    self.state.taken.notify_one();
                    return Ok(None);
                }
                Some(Report::Failed(e)) => return Err(e),
                Some(Report::Payload(packets)) => {
                    inbox.pending.extend(packets.into_iter().map(|p| match p {
                        PayloadPacket::Text(ty, data) => {
                            let mut text = String::with_capacity(data.len() + 1);
                            text.push(char::from(ty.as_char()));
                            text.push_str(&data);
                            Frame::Text(text.into())
                        }
                        PayloadPacket::Binary(data) => Frame::Binary(data.into()),
                    }));
                }
            }
        }
    }

    /// Queues an Engine.IO text packet (`<type digit><data>`).
    pub fn write_text(&mut self, text: String) -> Result<(), TransportError> {
        let ty = text.bytes().next().and_then(PacketType::from_char).unwrap_or(PacketType::Message);
        self.state.outbox.lock().queue.push_back(Queued::Text(ty, text));
        Ok(())
    }

    /// Queues a binary message.
    pub fn write_binary(&mut self, data: Vec<u8>) -> Result<(), TransportError> {
        self.state.outbox.lock().queue.push_back(Queued::Binary(data));
        Ok(())
    }

    /// No POST in flight and nothing queued for the next one.
    pub fn writable(&self) -> bool {
        let outbox = self.state.outbox.lock();
        !outbox.in_flight && outbox.queue.is_empty()
    }

    /// Wakes the writer thread if packets wait and it is idle (it goes on by itself from one
    /// POST to the next while there are).
    pub fn flush(&mut self) -> Result<(), TransportError> {
        let outbox = self.state.outbox.lock();
        if !outbox.in_flight && !outbox.queue.is_empty() {
            self.state.outbox_ready.notify_one();
        }
        Ok(())
    }

    /// Ends the session: tells the server (a `1` packet, which also ends its parked GET), then
    /// waits a moment for the HTTP threads (see [`Polling::drop`]).
    pub fn close(self) {
        self.state.outbox.lock().queue.clear();
        let sid = self.state.polling.lock().clone();
        self.stop_threads();
        if let Some(sid) = sid {
            let rev = self.state.rev();
            let body = match rev {
                Revision::V4 => "1",
                Revision::V3 => "1:1",
            };
            let _ = post(&self.requests, rev, &sid, body.into(), CLOSE_TIMEOUT);
        }
    }

    fn stop_threads(&self) {
        self.state.stop.store(true, Ordering::Release);
        self.state.polling_ready.notify_all();
        // Under the locks the reader and the writer check `stop` with, so that they cannot
        // miss this.
        drop(self.state.outbox.lock());
        self.state.outbox_ready.notify_all();
        drop(self.state.inbox.lock());
        self.state.taken.notify_all();
    }
}

/// Largest POST response body read (`ok`, or an error message).
const MAX_ERROR_BODY: u64 = 64 << 10;

/// How long closing waits for the server to take the `1` packet, and then for the HTTP
/// threads to end.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

impl Drop for Polling {
    /// Stops the HTTP threads and joins them; one still blocked in a request after
    /// `CLOSE_TIMEOUT` (a server that answers nothing) is left to end with its request's own
    /// timeout: it holds nothing of the client but the inbox it reports to.
    fn drop(&mut self) {
        self.stop_threads();
        if !self.state.handshake_done.load(Ordering::Acquire) {
            // The handshake GET cannot be interrupted: do not make the owner wait for it.
            return;
        }
        let deadline = std::time::Instant::now() + CLOSE_TIMEOUT;
        let mut live = self.state.live.lock();
        while *live > 0 {
            if self.state.ended.wait_until(&mut live, deadline).timed_out() {
                return;
            }
        }
        drop(live);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Starts one of the HTTP threads, counted in `state.live` until it ends.
fn spawn(
    name: &str,
    state: &Arc<State>,
    body: impl FnOnce() + Send + 'static,
) -> Result<std::thread::JoinHandle<()>, TransportError> {
    struct Live(Arc<State>);
    impl Drop for Live {
        fn drop(&mut self) {
            *self.0.live.lock() -= 1;
            self.0.ended.notify_all();
        }
    }
    *state.live.lock() += 1;
    let live = Live(state.clone());
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let _live = live;
            body();
        })
        .map_err(|e| TransportError::Failed(format!("cannot start a thread: {e}")))
}

/// The reader thread: the handshake GET, then (once started) one parked GET after another.
fn reader(state: &State, requests: &Requests, timeout: Duration) {
    let handshake = get(requests, state.rev(), None, Some(timeout));
    state.handshake_done.store(true, Ordering::Release);
    if !deliver(state, handshake, requests.max_message_size) {
        return;
    }
    let (sid, timeout) = {
        let mut polling = state.polling.lock();
        loop {
            if state.stopped() {
                return;
            }
            if let Some(sid) = polling.clone() {
                break (sid, timeout);
            }
            state.polling_ready.wait(&mut polling);
        }
    };
    while !state.stopped() {
        // One payload at a time: the next GET waits until the I/O thread took this one, so a
        // client that stops reading (its callbacks fell behind) leaves the rest on the server.
        {
            let mut inbox = state.inbox.lock();
            while !state.stopped() && !inbox.is_empty() {
                state.taken.wait(&mut inbox);
            }
        }
        if !deliver(state, get(requests, state.rev(), Some(&sid), Some(timeout)), requests.max_message_size) {
            return;
        }
    }
}

/// Decodes and reports one GET's payload; false when polling must stop (error or close).
fn deliver(state: &State, body: Result<Body, TransportError>, max_message_size: usize) -> bool {
    if state.stopped() {
        return false;
    }
    let decoded = body.and_then(|b| match b {
        Body::Text(text) => {
            let owned = |ps: Vec<PayloadPacket<'_>>| {
                ps.into_iter().map(PayloadPacket::into_owned).collect::<Vec<_>>()
            };
            match payload::decode(state.rev(), &text) {
                Ok(ps) => Ok(owned(ps)),
                // `96:0{…`: a v3 (socket.io 2.x) server answered; speak v3 from now on.
                Err(_) if state.rev() == Revision::V4 && looks_like_v3(&text) => {
                    state.v3.store(true, Ordering::Release);
                    payload::decode(Revision::V3, &text)
                        .map(owned)
                        .map_err(|e| TransportError::Malformed(e.to_string()))
                }
                Err(e) => Err(TransportError::Malformed(e.to_string())),
            }
        }
        Body::Binary(bytes) => {
            payload::decode_binary_v3(&bytes).map_err(|e| TransportError::Malformed(e.to_string()))
        }
    });
    let decoded = decoded.and_then(|packets| match packets.iter().map(packet_size).max() {
        Some(size) if size > max_message_size => Err(TransportError::TooLarge(format!(
            "polling GET: a packet of {size} bytes (the limit is {max_message_size})"
        ))),
        _ => Ok(packets),
    });
    match decoded {
        Ok(packets) => {
            let closing = packets.iter().any(|p| matches!(p, PayloadPacket::Text(PacketType::Close, _)));
            state.report(Report::Payload(packets));
            !closing
        }
        Err(e) => {
            state.report(Report::Failed(e));
            false
        }
    }
}

/// The size of a packet as a WebSocket would carry it (type digit + text, or the raw bytes).
fn packet_size(p: &PayloadPacket<'_>) -> usize {
    match p {
        PayloadPacket::Text(_, data) => 1 + data.len(),
        PayloadPacket::Binary(data) => data.len(),
    }
}

/// An Engine.IO v3 payload (`96:0{…`) where a v4 one was expected: a v3 (socket.io 2.x) server.
fn looks_like_v3(body: &str) -> bool {
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && body.as_bytes().get(digits) == Some(&b':')
}

/// The writer thread: one POST at a time, as the I/O thread hands them over.
fn writer(state: &State, requests: &Requests, sid: &str, max_payload: Option<u64>, timeout: Duration) {
    loop {
        let body = {
            let mut outbox = state.outbox.lock();
            outbox.in_flight = false;
            while outbox.queue.is_empty() {
                if state.stopped() {
                    return;
                }
                state.outbox_ready.wait(&mut outbox);
            }
            if state.stopped() {
                return;
            }
            outbox.in_flight = true;
            let mut enc = Encoder::new(state.rev(), max_payload, DEFAULT_MAX_PACKETS);
            while let Some(queued) = outbox.queue.front() {
                let fits = match queued {
                    Queued::Text(ty, text) => enc.push_text(*ty, text.get(1..).unwrap_or_default()),
                    Queued::Binary(b) => enc.push_binary(b),
                };
                if !fits {
                    break;
                }
                outbox.queue.pop_front();
            }
            enc.finish()
        };
        if let Err(e) = post(requests, state.rev(), sid, body, timeout) {
            state.report(Report::Failed(e));
            return;
        }
    }
}

/// ureq's TLS settings for `opts`: the trust and client certificate of
/// [`super::tls::client_config`], for HTTPS requests (ureq 3 takes no rustls `ClientConfig`).
pub fn tls_config(opts: &super::tls::TlsOptions) -> Result<ureq::tls::TlsConfig, crate::Error> {
    use super::tls;
    use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig, TlsProvider};
    let owned = |c: &rustls::pki_types::CertificateDer<'_>| Certificate::from_der(c.as_ref()).to_owned();
    let roots = match &opts.ca_file {
        Some(path) => RootCerts::from(tls::load_ca_certs(path)?.iter().map(owned).collect::<Vec<_>>()),
        None => {
            let native = tls::native_root_certs();
            if native.is_empty() {
                RootCerts::WebPki
            } else {
                RootCerts::from(native.iter().map(owned).collect::<Vec<_>>())
            }
        }
    };
    let client_cert = match &opts.client_cert {
        None => None,
        Some((cert, key)) => {
            // Validates both files (errors name them); ureq reads the key from PEM itself.
            let (chain, _) = tls::load_client_identity(cert, key)?;
            let pem = std::fs::read(key).map_err(|e| {
                crate::Error::InvalidArgument(format!("private key file {}: {e}", key.display()))
            })?;
            let key = PrivateKey::from_pem(&pem).map_err(|e| {
                crate::Error::InvalidArgument(format!("private key file {}: {e}", key.display()))
            })?;
            let chain: Vec<_> = chain.iter().map(owned).collect();
            Some(ClientCert::new_with_certs(&chain, key))
        }
    };
    Ok(TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
        .root_certs(roots)
        .client_cert(client_cert)
        .disable_verification(opts.insecure)
        .build())
}

/// How long a host name's addresses are reused before they are looked up again.
const RESOLVE_TTL: Duration = Duration::from_secs(5);

/// The polling agent's name resolver. ureq's own starts a thread for every request that has a
/// timeout (each of ours), even when a pooled connection serves it; this one answers an IP
/// literal at once and reuses the last lookup of a host name for `RESOLVE_TTL`, handing only
/// the rest to ureq's.
#[derive(Debug, Default)]
pub struct Resolver {
    last: Mutex<Option<(String, std::time::Instant, ureq::unversioned::resolver::ResolvedSocketAddrs)>>,
}

impl ureq::unversioned::resolver::Resolver for Resolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        use std::net::{IpAddr, SocketAddr};
        let (host, port) = match (uri.host(), uri.port_u16(), uri.scheme_str()) {
            (Some(h), Some(p), _) => (h, p),
            (Some(h), None, Some("https")) => (h, 443),
            (Some(h), None, _) => (h, 80),
            (None, ..) => {
                return ureq::unversioned::resolver::DefaultResolver::default().resolve(uri, config, timeout)
            }
        };
        if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            let mut addrs = self.empty();
            addrs.push(SocketAddr::new(ip, port));
            return Ok(addrs);
        }
        let key = format!("{host}:{port}");
        if let Some((k, at, addrs)) = &*self.last.lock() {
            if *k == key && at.elapsed() < RESOLVE_TTL {
                return Ok(addrs.clone());
            }
        }
        let addrs = ureq::unversioned::resolver::DefaultResolver::default().resolve(uri, config, timeout)?;
        *self.last.lock() = Some((key, std::time::Instant::now(), addrs.clone()));
        Ok(addrs)
    }
}

/// The polling agent's cookie handling: every request carries what `jar` holds for it, and every
/// response's `Set-Cookie` headers go into it. (ureq's own jar parses the request URL twice per
/// request: a fifth of the client's instructions per polling message; this jar has one origin
/// to serve.)
pub fn cookie_middleware(jar: Arc<Mutex<CookieJar>>) -> impl ureq::middleware::Middleware {
    use ureq::http::header::{HeaderValue, COOKIE, SET_COOKIE};
    move |mut req: ureq::http::Request<ureq::SendBody>, next: ureq::middleware::MiddlewareNext| {
        let path = req.uri().path().to_owned();
        let secure = req.uri().scheme_str() == Some("https");
        if let Some(cookies) = jar.lock().header(&path, secure, SystemTime::now()) {
            if let Ok(value) = HeaderValue::from_str(&cookies) {
                req.headers_mut().insert(COOKIE, value);
            }
        }
        let resp = next.handle(req)?;
        let mut set = resp.headers().get_all(SET_COOKIE).iter().peekable();
        if set.peek().is_some() {
            let (mut jar, now) = (jar.lock(), SystemTime::now());
            for value in set.filter_map(|v| v.to_str().ok()) {
                jar.store(value, &path, now);
            }
        }
        Ok(resp)
    }
}
