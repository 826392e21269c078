//! The WebSocket transport (`protocol.md` §1.7): one Engine.IO packet per frame, over a
//! non-blocking TCP stream (with TLS for `wss://`) driven by the I/O thread's `poll(2)`.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};
use tungstenite::error::ProtocolError;
use tungstenite::handshake::client::Request;
use tungstenite::handshake::HandshakeError;
use tungstenite::http::{HeaderName, HeaderValue};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Bytes, Message, Utf8Bytes};

use super::proxy::{self, ProxyServer};
use super::tls::{self, Handshake, Stream};
use super::{poll, Waker};

/// Bytes read from the socket at a time. tungstenite zero-fills this much of its input buffer
/// before a read, so all of it is resident: with its default (128 KiB), 1,000 idle clients took
/// 172 MB, with 16 KiB 58 MB (`make bench`, "many"). Larger frames still arrive whole (the
/// buffer grows for them).
const READ_CHUNK: usize = 16 * 1024;

/// One frame from the server.
#[derive(Debug)]
pub enum Frame {
    Text(Utf8Bytes),
    Binary(Bytes),
}

/// How the transport failed; the text is for humans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The peer closed the connection (disconnect reason `transport close`).
    Closed(String),
    /// An I/O or protocol error (disconnect reason `transport error`).
    Failed(String),
    /// The server sent something undecodable (disconnect reason `parse error`).
    Malformed(String),
    /// The server sent a message over the size limit (disconnect reason `message too large`).
    TooLarge(String),
    /// The connect deadline passed.
    Timeout,
    /// The owner asked the I/O thread to stop while connecting.
    Aborted,
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransportError::Closed(m)
            | TransportError::Failed(m)
            | TransportError::Malformed(m)
            | TransportError::TooLarge(m) => f.write_str(m),
            TransportError::Timeout => f.write_str("timeout"),
            TransportError::Aborted => f.write_str("aborted"),
        }
    }
}

/// A connected WebSocket in non-blocking mode.
pub struct WebSocket {
    ws: tungstenite::WebSocket<Stream>,
    flush_pending: bool,
}

/// Longest single sleep while a handshake is in progress: the request write may (in theory)
/// block, and a non-blocking handshake does not say which direction it waits for.
const HANDSHAKE_SLICE: Duration = Duration::from_millis(20);

impl WebSocket {
    /// Opens a TCP connection, the TLS session for a `wss://` URL (with `tls`, which it
    /// requires) and performs the WebSocket handshake, giving up at `deadline`. Returns
    /// [`TransportError::Aborted`] as soon as `waker` fires and `abort()` is true. Messages
    /// (and frames) longer than `max_message_size` bytes are refused as they start to arrive.
    #[allow(clippy::too_many_arguments)]
    pub fn connect(
        url: &url::Url,
        headers: &[(String, String)],
        max_message_size: usize,
        tls: Option<&Arc<rustls::ClientConfig>>,
        proxy: Option<&ProxyServer>,
        deadline: Instant,
        waker: &Waker,
        abort: &dyn Fn() -> bool,
    ) -> Result<WebSocket, TransportError> {
        let host = url.host_str().ok_or_else(|| TransportError::Failed("URL has no host".into()))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = url.port_or_known_default().unwrap_or(80);
        let tcp = match proxy {
            None => tcp_connect(host, port, deadline, waker, abort)?,
            Some(p) => {
                let tcp = tcp_connect(&p.host, p.port, deadline, waker, abort)?;
                tunnel(tcp, p, host, port, deadline, waker, abort)?
            }
        };
        let stream = match (url.scheme(), tls) {
            ("wss" | "https", Some(config)) => tls_connect(url, config, tcp, deadline, waker, abort)?,
            ("wss" | "https", None) => {
                return Err(TransportError::Failed(format!("{url}: no TLS configuration")))
            }
            _ => Stream::Plain(tcp),
        };
        let request = build_request(url, headers)?;
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_CHUNK)
            .max_message_size(Some(max_message_size))
            .max_frame_size(Some(max_message_size));
        let mut attempt = tungstenite::client::client_with_config(request, stream, Some(config));
        loop {
            match attempt {
                Ok((ws, _response)) => return Ok(WebSocket { ws, flush_pending: false }),
                Err(HandshakeError::Failure(e)) => return Err(handshake_error(e)),
                Err(HandshakeError::Interrupted(mid)) => {
                    let stream = mid.get_ref().get_ref();
                    let slice = (Instant::now() + HANDSHAKE_SLICE).min(deadline);
                    wait(Some(stream.as_raw_fd()), stream.wants_write(), waker, slice, deadline, abort)?;
                    attempt = mid.handshake();
                }
            }
        }
    }

    /// Reads the next frame; `Ok(None)` when nothing more can be read now.
    pub fn read(&mut self) -> Result<Option<Frame>, TransportError> {
        loop {
            match self.ws.read() {
                Ok(Message::Text(t)) => return Ok(Some(Frame::Text(t))),
                Ok(Message::Binary(b)) => return Ok(Some(Frame::Binary(b))),
                Ok(Message::Close(frame)) => {
                    let why = frame.map(|f| format!("websocket closed by server ({}): {}", f.code, f.reason));
                    return Err(TransportError::Closed(
                        why.unwrap_or_else(|| "websocket closed by server".into()),
                    ));
                }
                // Pongs to WebSocket pings are queued by tungstenite and flushed with our writes.
                Ok(Message::Ping(_)) | Ok(Message::Pong(_)) | Ok(Message::Frame(_)) => {
                    self.flush_pending = true;
                    continue;
                }
                Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) => return Err(ws_error(e)),
            }
        }
    }

    /// Queues a text frame; [`WebSocket::flush`] sends it.
    pub fn write_text(&mut self, text: String) -> Result<(), TransportError> {
        self.write(Message::Text(text.into()))
    }

    /// Queues a binary frame; [`WebSocket::flush`] sends it.
    pub fn write_binary(&mut self, data: Vec<u8>) -> Result<(), TransportError> {
        self.write(Message::Binary(data.into()))
    }

    fn write(&mut self, msg: Message) -> Result<(), TransportError> {
        self.flush_pending = true;
        match self.ws.write(msg) {
            Ok(()) => Ok(()),
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(ws_error(e)),
        }
    }

    /// Writes out what is queued, as far as the socket takes it now.
    pub fn flush(&mut self) -> Result<(), TransportError> {
        match self.ws.flush() {
            Ok(()) => {
                self.flush_pending = false;
                Ok(())
            }
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(ws_error(e)),
        }
    }

    /// Whether queued bytes (frames, or TLS records) wait for the socket to become writable.
    pub fn wants_write(&self) -> bool {
        self.flush_pending || self.ws.get_ref().wants_write()
    }

    pub fn fd(&self) -> RawFd {
        self.ws.get_ref().as_raw_fd()
    }

    /// Sends a close frame if the socket takes it now, then drops the connection.
    pub fn close(mut self) {
        let _ = self.ws.close(None);
        let _ = self.ws.flush();
        self.ws.get_mut().close_notify();
    }
}

/// Sleeps in `poll` until `fd` is ready or `until`; fails on abort or once `deadline` passed.
fn wait(
    fd: Option<RawFd>,
    want_write: bool,
    waker: &Waker,
    until: Instant,
    deadline: Instant,
    abort: &dyn Fn() -> bool,
) -> Result<(), TransportError> {
    let ready =
        poll(fd, want_write, waker, Some(until)).map_err(|e| TransportError::Failed(e.to_string()))?;
    if ready.woken {
        waker.reset();
    }
    if abort() {
        return Err(TransportError::Aborted);
    }
    if Instant::now() >= deadline {
        return Err(TransportError::Timeout);
    }
    Ok(())
}

/// Performs the TLS handshake over the connected non-blocking `tcp`, as interruptible as the
/// TCP connect.
fn tls_connect(
    url: &url::Url,
    config: &Arc<rustls::ClientConfig>,
    mut tcp: TcpStream,
    deadline: Instant,
    waker: &Waker,
    abort: &dyn Fn() -> bool,
) -> Result<Stream, TransportError> {
    let name = tls::server_name(url)?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let mut conn = rustls::ClientConnection::new(config.clone(), name)
        .map_err(|e| TransportError::Failed(format!("TLS with {host}: {e}")))?;
    loop {
        let want_write = match tls::handshake_step(&mut conn, &mut tcp, &host)? {
            Handshake::Done => break,
            Handshake::WantRead => false,
            Handshake::WantWrite => true,
        };
        wait(Some(tcp.as_raw_fd()), want_write, waker, deadline, deadline, abort)?;
    }
    Ok(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))))
}

/// Opens a tunnel to `host:port` through an HTTP proxy (`CONNECT`) on a connected `tcp`.
fn tunnel(
    mut tcp: TcpStream,
    proxy: &ProxyServer,
    host: &str,
    port: u16,
    deadline: Instant,
    waker: &Waker,
    abort: &dyn Fn() -> bool,
) -> Result<TcpStream, TransportError> {
    use std::io::{Read, Write};
    let failed = |e: io::Error| TransportError::Failed(format!("proxy {}:{}: {e}", proxy.host, proxy.port));
    let request = proxy.connect_request(host, port);
    let mut sent = 0;
    while sent < request.len() {
        match tcp.write(&request.as_bytes()[sent..]) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                wait(Some(tcp.as_raw_fd()), true, waker, deadline, deadline, abort)?;
            }
            Err(e) => return Err(failed(e)),
        }
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tcp.read(&mut buf) {
            Ok(0) => {
                return Err(TransportError::Failed("the proxy closed the connection during CONNECT".into()))
            }
            // Byte by byte is not needed: the proxy sends nothing after its answer until we speak.
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                wait(Some(tcp.as_raw_fd()), false, waker, deadline, deadline, abort)?;
                continue;
            }
            Err(e) => return Err(failed(e)),
        }
        match proxy::connect_response(&answer) {
            Ok(None) => {}
            Ok(Some(n)) if n == answer.len() => return Ok(tcp),
            Ok(Some(_)) => {
                return Err(TransportError::Failed("the proxy sent data after its CONNECT answer".into()))
            }
            Err(why) => return Err(TransportError::Failed(why)),
        }
    }
}

fn tcp_connect(
    host: &str,
    port: u16,
    deadline: Instant,
    waker: &Waker,
    abort: &dyn Fn() -> bool,
) -> Result<TcpStream, TransportError> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| TransportError::Failed(format!("cannot resolve {host}: {e}")))?
        .collect();
    let mut last = TransportError::Failed(format!("no address for {host}"));
    for addr in addrs {
        match connect_one(addr, deadline, waker, abort) {
            Ok(s) => return Ok(s),
            Err(e @ (TransportError::Aborted | TransportError::Timeout)) => return Err(e),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn connect_one(
    addr: SocketAddr,
    deadline: Instant,
    waker: &Waker,
    abort: &dyn Fn() -> bool,
) -> Result<TcpStream, TransportError> {
    let fail = |e: io::Error| TransportError::Failed(format!("cannot connect to {addr}: {e}"));
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP)).map_err(fail)?;
    socket.set_nonblocking(true).map_err(fail)?;
    socket.set_tcp_nodelay(true).map_err(fail)?;
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock => {
            loop {
                let fd = socket.as_raw_fd();
                let ready = poll(Some(fd), true, waker, Some(deadline)).map_err(fail)?;
                if ready.woken {
                    waker.reset();
                    if abort() {
                        return Err(TransportError::Aborted);
                    }
                }
                if ready.writable {
                    if let Some(e) = socket.take_error().map_err(fail)? {
                        return Err(fail(e));
                    }
                    break;
                }
                if Instant::now() >= deadline {
                    return Err(TransportError::Timeout);
                }
            }
        }
        Err(e) => return Err(fail(e)),
    }
    Ok(socket.into())
}

fn build_request(url: &url::Url, headers: &[(String, String)]) -> Result<Request, TransportError> {
    use tungstenite::client::IntoClientRequest;
    let mut request =
        url.as_str().into_client_request().map_err(|e| TransportError::Failed(e.to_string()))?;
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| TransportError::Failed(format!("header {name}: {e}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|e| TransportError::Failed(format!("header {name}: {e}")))?;
        request.headers_mut().append(name, value);
    }
    Ok(request)
}

fn handshake_error(e: tungstenite::Error) -> TransportError {
    match e {
        tungstenite::Error::Http(response) => {
            let body = response
                .body()
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let body = body.trim();
            TransportError::Failed(if body.is_empty() {
                format!("websocket handshake refused: HTTP {}", response.status())
            } else {
                format!(
                    "websocket handshake refused: HTTP {}: {body}",
                    response.status()
                )
            })
        }
        tungstenite::Error::Protocol(tungstenite::error::ProtocolError::HandshakeIncomplete) => TransportError::Failed(
            "websocket handshake failed: the server closed the connection without answering (is the path right?)".into(),
        ),
        other => ws_error(other),
    }
}

fn ws_error(e: tungstenite::Error) -> TransportError {
    match e {
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
            TransportError::Closed("websocket closed".into())
        }
        tungstenite::Error::Io(e)
            if matches!(
                e.kind(),
                io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
            ) =>
        {
            TransportError::Closed(format!("connection lost: {e}"))
        }
        tungstenite::Error::Io(e) if e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) => {
            let inner = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>());
            TransportError::Failed(format!(
                "TLS error: {}",
                inner.map_or_else(|| e.to_string(), tls::describe)
            ))
        }
        tungstenite::Error::Protocol(tungstenite::error::ProtocolError::ResetWithoutClosingHandshake) => {
            TransportError::Closed("connection reset by server".into())
        }
        tungstenite::Error::Capacity(e) => TransportError::TooLarge(format!("websocket: {e}")),
        tungstenite::Error::Utf8(e) => TransportError::Malformed(format!("websocket: text frame: {e}")),
        tungstenite::Error::Protocol(
            e @ (ProtocolError::NonZeroReservedBits
            | ProtocolError::MaskedFrameFromServer
            | ProtocolError::FragmentedControlFrame
            | ProtocolError::ControlFrameTooBig
            | ProtocolError::UnknownControlFrameType(_)
            | ProtocolError::UnknownDataFrameType(_)
            | ProtocolError::UnexpectedContinueFrame
            | ProtocolError::ExpectedFragment(_)
            | ProtocolError::InvalidOpcode(_)
            | ProtocolError::InvalidCloseSequence),
        ) => TransportError::Malformed(format!("websocket: malformed frame: {e}")),
        other => TransportError::Failed(format!("websocket error: {other}")),
    }
}
