//! Faults the real server cannot produce, from a raw fake server written here (a plain
//! `TcpListener`; tungstenite's server side for WebSocket, hand-written HTTP for polling):
//! garbage, truncated frames, wrong attachment counts, oversized messages, too many
//! attachments, a never-ending handshake and a slowloris trickle. Each test checks what the user
//! is told (disconnect reason or connect error), and that `sio_client_free` returns promptly.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::capi::*;
use sio::ffi::*;
use tungstenite::{Message, WebSocket};

/// A server on 127.0.0.1 that runs `conn` on every connection, each in its own thread.
struct FakeServer {
    port: u16,
    /// Connections accepted so far.
    accepted: Arc<AtomicUsize>,
}

impl FakeServer {
    fn start(conn: impl Fn(TcpStream, usize) + Send + Sync + 'static) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let conn = Arc::new(conn);
        let count = accepted.clone();
        std::thread::spawn(move || {
            for tcp in listener.incoming() {
                let Ok(tcp) = tcp else { return };
                let n = count.fetch_add(1, Ordering::SeqCst);
                let conn = conn.clone();
                std::thread::spawn(move || conn(tcp, n));
            }
        });
        FakeServer { port, accepted }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// An Engine.IO v4 OPEN packet.
fn open_packet(ping_interval: u64, ping_timeout: u64) -> String {
    format!(
        r#"0{{"sid":"fake","upgrades":[],"pingInterval":{ping_interval},"pingTimeout":{ping_timeout},"maxPayload":1000000}}"#
    )
}

const CONNECTED: &str = r#"40{"sid":"fake-socket"}"#;

/// A `{"_placeholder":true,"num":n}` object.
fn ph(n: usize) -> String {
    format!(r#"{{"_placeholder":true,"num":{n}}}"#)
}

// ---- WebSocket --------------------------------------------------------------------------------

type Ws = WebSocket<TcpStream>;

/// What a fake WebSocket server does once the client joined.
type WsFault = fn(&mut Ws);

/// A WebSocket server that opens a session (pings every `ping_interval` ms announced), accepts
/// the client's CONNECT for `/`, then runs `fault` with the session's number (0, 1, …).
fn ws_server(ping_interval: u64, fault: impl Fn(&mut Ws, usize) + Send + Sync + 'static) -> FakeServer {
    FakeServer::start(move |tcp, n| {
        let Some(mut ws) = accept_until_connect(tcp, ping_interval) else { return };
        if ws.send(Message::text(CONNECTED)).is_err() {
            return;
        }
        fault(&mut ws, n);
        drain(&mut ws);
    })
}

/// Accepts a WebSocket, opens a session (pings every `ping_interval` ms announced) and reads
/// until the client's CONNECT; `None` if the client went away first.
fn accept_until_connect(tcp: TcpStream, ping_interval: u64) -> Option<Ws> {
    let mut ws = tungstenite::accept(tcp).ok()?;
    ws.send(Message::text(open_packet(ping_interval, ping_interval))).ok()?;
    loop {
        match ws.read().ok()? {
            Message::Text(t) if t.starts_with("40") => return Some(ws),
            _ => {}
        }
    }
}

/// Reads until the client goes away.
fn drain(ws: &mut Ws) {
    while ws.read().is_ok() {}
}

fn text(ws: &mut Ws, t: &str) {
    ws.send(Message::text(t)).unwrap();
}

fn binary(ws: &mut Ws, b: &[u8]) {
    ws.send(Message::binary(b.to_vec())).unwrap();
}

/// Writes raw bytes past tungstenite (malformed frames).
fn raw(ws: &mut Ws, bytes: &[u8]) {
    ws.get_mut().write_all(bytes).unwrap();
}

/// The header of an unmasked, final WebSocket frame with `opcode` and a payload of `len` bytes.
fn frame_header(opcode: u8, len: u64) -> Vec<u8> {
    let mut h = vec![0x80 | opcode];
    match len {
        0..=125 => h.push(len as u8),
        126..=0xFFFF => {
            h.push(126);
            h.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            h.push(127);
            h.extend_from_slice(&len.to_be_bytes());
        }
    }
    h
}

// ---- polling ----------------------------------------------------------------------------------

/// What the fake polling server does with one GET of the session: writes a response (or not)
/// on the connection; false closes the connection.
type GetReply = Box<dyn FnOnce(&mut TcpStream) -> bool + Send>;

fn respond(tcp: &mut TcpStream, content_type: &str, body: &[u8]) -> bool {
    let head =
        format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n", body.len());
    tcp.write_all(head.as_bytes()).and_then(|()| tcp.write_all(body)).is_ok()
}

/// A GET answered with this text payload.
fn payload(body: &str) -> GetReply {
    let body = body.to_owned();
    Box::new(move |tcp| respond(tcp, "text/plain; charset=UTF-8", body.as_bytes()))
}

/// A GET answered with these bytes, whatever they are, and the connection closed.
fn raw_reply(bytes: Vec<u8>) -> GetReply {
    Box::new(move |tcp| {
        let _ = tcp.write_all(&bytes);
        false
    })
}

/// A long-polling server: the handshake GET gets an OPEN (pings every `ping_interval` ms
/// announced), the session's GETs get `replies` in turn, and GETs after those stay parked
/// until the client goes away. POSTs are answered `ok` and their bodies kept in `posts`.
fn polling_server(ping_interval: u64, replies: Vec<GetReply>) -> (FakeServer, Arc<Mutex<Vec<String>>>) {
    let replies = Arc::new(Mutex::new(replies.into_iter()));
    let posts = Arc::new(Mutex::new(Vec::new()));
    let kept = posts.clone();
    let server = FakeServer::start(move |tcp, _| {
        let mut reader = BufReader::new(tcp.try_clone().unwrap());
        let mut tcp = tcp;
        while let Some((method, target, body)) = read_request(&mut reader) {
            let open = method == "GET" && !target.contains("sid=");
            let keep_open = if open {
                respond(
                    &mut tcp,
                    "text/plain; charset=UTF-8",
                    open_packet(ping_interval, ping_interval).as_bytes(),
                )
            } else if method == "POST" {
                kept.lock().unwrap().push(body);
                respond(&mut tcp, "text/html", b"ok")
            } else {
                let next = replies.lock().unwrap().next();
                let Some(reply) = next else {
                    // Parked until the client goes away.
                    let _ = std::io::copy(&mut reader, &mut std::io::sink());
                    return;
                };
                reply(&mut tcp)
            };
            if !keep_open {
                let _ = tcp.shutdown(std::net::Shutdown::Both);
                return;
            }
        }
    });
    (server, posts)
}

/// One HTTP/1.1 request: method, target and body (by Content-Length); None at the end.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, String, String)> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|&n| n > 0)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok().filter(|&n| n > 0)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((method, target, String::from_utf8_lossy(&body).into_owned()))
}

// ---- the client -------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Transport {
    WebSocket,
    Polling,
}

/// A client of `server` over `transport` with reconnection off (unless `configure` turns it
/// on), joined to `/`; returns it with its recorder once the fake server's CONNECT reply came.
fn connect(
    server: &FakeServer,
    transport: Transport,
    configure: impl FnOnce(*mut sio_options),
) -> (Client, Arc<Recorder>) {
    let (c, rec) = start(server, transport, configure);
    rec.expect(T, "connect", |r| matches!(r, Rec::Connect { .. }));
    (c, rec)
}

/// As [`connect`], without waiting for the connection.
fn start(
    server: &FakeServer,
    transport: Transport,
    configure: impl FnOnce(*mut sio_options),
) -> (Client, Arc<Recorder>) {
    let opts = sio_options_new();
    let t = match transport {
        Transport::WebSocket => sio_transport::SIO_TRANSPORT_WEBSOCKET,
        Transport::Polling => sio_transport::SIO_TRANSPORT_POLLING,
    };
    unsafe {
        assert_eq!(sio_options_set_transport(opts, t as i32), sio_result::SIO_OK);
        assert_eq!(sio_options_set_reconnection(opts, 0), sio_result::SIO_OK);
        assert_eq!(sio_options_set_proxy(opts, cs("").as_ptr()), sio_result::SIO_OK);
    }
    configure(opts);
    let c = Client::connect_with(&server.url(), opts);
    unsafe { sio_options_free(opts) };
    let rec = Recorder::new(AckMode::Ignore);
    rec.attach_client(&c);
    c.join(&rec, "/", None);
    (c, rec)
}

/// Waits for the disconnect of `/` and returns its reason.
fn disconnect_reason(rec: &Recorder) -> String {
    match rec.expect(T, "disconnect", |r| matches!(r, Rec::Disconnect { .. })) {
        Rec::Disconnect { reason, .. } => reason,
        _ => unreachable!(),
    }
}

/// Waits for the connect error of `/` and returns its message.
fn connect_error(rec: &Recorder) -> String {
    match rec.expect(T, "connect_error", |r| matches!(r, Rec::ConnectError { .. })) {
        Rec::ConnectError { message, .. } => message,
        _ => unreachable!(),
    }
}

/// Frees the client and checks that it did not take long (the generous bound is for a loaded
/// machine; a hang would be minutes).
#[track_caller]
fn free_promptly(c: Client, what: &str) {
    let start = Instant::now();
    c.free();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(4), "{what}: sio_client_free took {took:?}");
}

/// Runs `fault` on a fresh WebSocket session and checks the disconnect reason.
#[track_caller]
fn ws_case(what: &str, expected: &str, configure: fn(*mut sio_options), fault: WsFault) {
    let server = ws_server(25_000, move |ws, _| fault(ws));
    let (c, rec) = connect(&server, Transport::WebSocket, configure);
    assert_eq!(disconnect_reason(&rec), expected, "{what} (websocket)");
    assert_eq!(rec.count(|r| matches!(r, Rec::Event { .. })), 0, "{what}: nothing delivered");
    free_promptly(c, what);
}

/// Serves `replies` to the GETs of a fresh polling session and checks the disconnect reason.
#[track_caller]
fn polling_case(what: &str, expected: &str, configure: fn(*mut sio_options), replies: Vec<GetReply>) {
    let mut all = vec![payload(CONNECTED)];
    all.extend(replies);
    let (server, _) = polling_server(25_000, all);
    let (c, rec) = connect(&server, Transport::Polling, configure);
    assert_eq!(disconnect_reason(&rec), expected, "{what} (polling)");
    assert_eq!(rec.count(|r| matches!(r, Rec::Event { .. })), 0, "{what}: nothing delivered");
    free_promptly(c, what);
}

fn defaults(_: *mut sio_options) {}

fn small_limits(o: *mut sio_options) {
    unsafe {
        assert_eq!(sio_options_set_max_message_size(o, 1024), sio_result::SIO_OK);
        assert_eq!(sio_options_set_max_attachments(o, 2), sio_result::SIO_OK);
    }
}

// ---- the tests --------------------------------------------------------------------------------

/// The harness itself: what a well-behaved fake server sends arrives (events, binary), so the
/// failures below are the faults' doing. Also: frames sent in the same write as the OPEN
/// packet are not left unread.
#[test]
fn a_well_behaved_fake_server_is_understood() {
    let server = ws_server(25_000, |ws, _| {
        text(ws, r#"42["hello",1]"#);
        text(ws, &format!(r#"452-["bin",{},{}]"#, ph(1), ph(0)));
        binary(ws, &[1, 2]);
        binary(ws, &[3]);
    });
    let (c, rec) = connect(&server, Transport::WebSocket, small_limits);
    rec.expect(T, "hello", |r| matches!(r, Rec::Event { name, .. } if name == "hello"));
    let bin = rec.expect(T, "bin", |r| matches!(r, Rec::Event { name, .. } if name == "bin"));
    let Rec::Event { buffers, .. } = bin else { unreachable!() };
    assert_eq!(buffers, vec![vec![1, 2], vec![3]]);
    free_promptly(c, "well-behaved websocket");

    let (server, posts) = polling_server(
        25_000,
        vec![payload(CONNECTED), payload(&format!("42[\"hello\",1]\x1e451-[\"bin\",{}]\x1ebAQI=", ph(0)))],
    );
    let (c, rec) = connect(&server, Transport::Polling, small_limits);
    let bin = rec.expect(T, "bin", |r| matches!(r, Rec::Event { name, .. } if name == "bin"));
    let Rec::Event { buffers, .. } = bin else { unreachable!() };
    assert_eq!(buffers, vec![vec![1, 2]]);
    assert!(posts.lock().unwrap().iter().any(|p| p == "40"), "the client sent its CONNECT");
    free_promptly(c, "well-behaved polling");

    // The OPEN packet and the CONNECT reply in one TCP write (a fast server).
    let server = FakeServer::start(|tcp, _| {
        let mut ws = tungstenite::accept(tcp).unwrap();
        ws.write(Message::text(open_packet(25_000, 25_000))).unwrap();
        ws.write(Message::text(CONNECTED)).unwrap();
        ws.write(Message::text(r#"42["early"]"#)).unwrap();
        ws.flush().unwrap();
        drain(&mut ws);
    });
    let (c, rec) = start(&server, Transport::WebSocket, defaults);
    rec.expect(T, "early event", |r| matches!(r, Rec::Event { name, .. } if name == "early"));
    free_promptly(c, "fast server");
}

/// A socket.io 2.x server over WebSocket sends its `40` (without sid) right after the OPEN
/// packet, in the same write: in auto mode the client must switch to v3 at once, not when
/// something else happens to arrive.
#[test]
fn a_v2_style_connect_right_after_the_open_packet_switches_to_v3_at_once() {
    let server = FakeServer::start(|tcp, _| {
        let mut ws = tungstenite::accept(tcp).unwrap();
        ws.write(Message::text(open_packet(25_000, 25_000))).unwrap();
        ws.write(Message::text("40")).unwrap();
        ws.flush().unwrap();
        drain(&mut ws);
    });
    let (c, rec) = start(&server, Transport::WebSocket, defaults);
    let connect = rec.expect(T, "connect", |r| matches!(r, Rec::Connect { .. }));
    // Socket.IO v4 has no socket id: the client uses the Engine.IO sid, as the 2.x client did.
    assert_eq!(connect, Rec::Connect { ns: "/".into(), sid: "fake".into(), recovered: false });
    assert_eq!(server.accepted.load(Ordering::SeqCst), 2, "a v4 attempt, then the v3 session");
    free_promptly(c, "v2-style server");
}

#[test]
fn garbage_is_a_parse_error() {
    let cases: [(&str, WsFault); 9] = [
        ("unknown Engine.IO type", |ws| text(ws, "x!")),
        ("empty Engine.IO packet", |ws| text(ws, "")),
        ("unknown Socket.IO type", |ws| text(ws, "49garbage")),
        ("bad JSON", |ws| text(ws, r#"42["ev",1"#)),
        ("reserved event name", |ws| text(ws, r#"42["connect"]"#)),
        ("placeholder out of range", |ws| text(ws, &format!(r#"451-["ev",{}]"#, ph(5)))),
        ("binary without a header", |ws| binary(ws, &[1, 2, 3])),
        // Opcode 3 is reserved.
        ("invalid WebSocket opcode", |ws| raw(ws, &[0x83, 0x00])),
        ("text frame not UTF-8", |ws| raw(ws, &[0x81, 0x02, 0xFF, 0xFE])),
    ];
    for (what, fault) in cases {
        ws_case(what, "parse error", defaults, fault);
    }

    polling_case("garbage payload", "parse error", defaults, vec![payload("garbage")]);
    polling_case("bad base64", "parse error", defaults, vec![payload("4hello\x1ebnot base64!")]);
    polling_case("bad JSON", "parse error", defaults, vec![payload(r#"42["ev""#)]);
    polling_case(
        "payload not UTF-8",
        "parse error",
        defaults,
        vec![Box::new(|tcp| respond(tcp, "text/plain", &[b'4', 0xFF, 0xFE]))],
    );
}

#[test]
fn truncated_frames() {
    // Half a frame, then the connection closes.
    ws_case("frame cut short", "transport close", defaults, |ws| {
        raw(ws, &frame_header(0x1, 100));
        raw(ws, b"42[\"never");
        ws.get_mut().shutdown(std::net::Shutdown::Both).unwrap();
    });
    // Half an HTTP body, then the connection closes.
    let mut cut = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n".to_vec();
    cut.extend_from_slice(b"42[\"never");
    polling_case("body cut short", "transport error", defaults, vec![raw_reply(cut)]);
    // A complete body holding half a packet.
    polling_case("packet cut short", "parse error", defaults, vec![payload("42[\"ne")]);

    // Half a frame, and then nothing: the heartbeat ends it.
    let server = ws_server(300, |ws, _| {
        raw(ws, &frame_header(0x1, 100));
        raw(ws, b"42[");
    });
    let (c, rec) = connect(&server, Transport::WebSocket, defaults);
    assert_eq!(disconnect_reason(&rec), "ping timeout");
    free_promptly(c, "half a frame, then silence");
}

#[test]
fn wrong_attachment_counts_are_parse_errors() {
    ws_case("fewer attachments than announced", "parse error", defaults, |ws| {
        text(ws, &format!(r#"452-["ev",{},{}]"#, ph(0), ph(1)));
        binary(ws, &[1]);
        text(ws, r#"42["next"]"#);
    });
    // The first event is whole and is delivered; the stray attachment then ends the session.
    let server = ws_server(25_000, |ws, _| {
        text(ws, &format!(r#"451-["ev",{}]"#, ph(0)));
        binary(ws, &[1]);
        binary(ws, &[2]);
    });
    let (c, rec) = connect(&server, Transport::WebSocket, defaults);
    assert_eq!(disconnect_reason(&rec), "parse error");
    assert_eq!(rec.count(|r| matches!(r, Rec::Event { buffers, .. } if buffers == &[vec![1]])), 1);
    free_promptly(c, "more attachments than announced");

    polling_case(
        "fewer attachments than announced",
        "parse error",
        defaults,
        vec![payload(&format!("452-[\"ev\",{},{}]\x1ebAQ==\x1e42[\"next\"]", ph(0), ph(1)))],
    );
    polling_case("binary without a header", "parse error", defaults, vec![payload("bAQ==")]);
}

#[test]
fn oversized_messages_disconnect_with_message_too_large() {
    // Limit 1024 bytes: a text message and an attachment above it.
    ws_case("text over the limit", "message too large", small_limits, |ws| {
        text(ws, &format!(r#"42["big","{}"]"#, "x".repeat(2000)));
    });
    ws_case("attachment over the limit", "message too large", small_limits, |ws| {
        text(ws, &format!(r#"451-["big",{}]"#, ph(0)));
        binary(ws, &[7; 2000]);
    });
    // A frame announcing a terabyte: refused from its header, nothing allocated for it.
    ws_case("a terabyte announced", "message too large", defaults, |ws| {
        raw(ws, &frame_header(0x2, 1 << 40));
        raw(ws, &[0; 64]);
    });

    polling_case(
        "packet over the limit",
        "message too large",
        small_limits,
        vec![payload(&format!(r#"42["big","{}"]"#, "x".repeat(1500)))],
    );
    polling_case(
        "attachment over the limit",
        "message too large",
        small_limits,
        vec![payload(&format!("451-[\"big\",{}]\x1eb{}", ph(0), "AAAA".repeat(400)))],
    );
    // A body that never ends: reading stops at twice the limit.
    let endless: GetReply = Box::new(|tcp| {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1099511627776\r\n\r\n";
        if tcp.write_all(head.as_bytes()).is_err() {
            return false;
        }
        let chunk = [b'x'; 4096];
        while tcp.write_all(&chunk).is_ok() {}
        false
    });
    polling_case("endless body", "message too large", small_limits, vec![endless]);
}

/// The session is lost like after a transport failure: with reconnection on, the client comes
/// back (and this time the server behaves).
#[test]
fn reconnection_applies_after_a_message_too_large() {
    let server = ws_server(25_000, |ws, session| {
        if session == 0 {
            text(ws, &format!(r#"42["big","{}"]"#, "x".repeat(2000)));
        } else {
            text(ws, r#"42["fine"]"#);
        }
    });
    let (c, rec) = connect(&server, Transport::WebSocket, |o| {
        small_limits(o);
        unsafe {
            assert_eq!(sio_options_set_reconnection(o, 1), sio_result::SIO_OK);
            assert_eq!(sio_options_set_reconnection_delay(o, 50, 100), sio_result::SIO_OK);
        }
    });
    assert_eq!(disconnect_reason(&rec), "message too large");
    rec.expect(T, "reconnect", |r| {
        matches!(r, Rec::Reconnect { event: sio_reconnect_event::SIO_RECONNECT_SUCCESS, .. })
    });
    rec.expect(T, "fine", |r| matches!(r, Rec::Event { name, .. } if name == "fine"));
    assert_eq!(rec.count(|r| matches!(r, Rec::Connect { .. })), 2);
    assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
    free_promptly(c, "reconnected");
}

#[test]
fn too_many_attachments() {
    ws_case("3 attachments, 2 allowed", "too many attachments", small_limits, |ws| {
        text(ws, &format!(r#"453-["ev",{},{},{}]"#, ph(0), ph(1), ph(2)));
    });
    // The default allows 10, as socket.io-parser does.
    ws_case("11 attachments", "too many attachments", defaults, |ws| {
        text(ws, &format!(r#"4511-["ev",{}]"#, ph(0)));
    });
    // Announced but never sent: refused before anything is buffered for them.
    polling_case(
        "a billion attachments",
        "too many attachments",
        defaults,
        vec![payload(&format!("451000000000-[\"ev\",{}]", ph(0)))],
    );
    // A count of more than 10 digits is not even a number to the decoder.
    ws_case("a count of 11 digits", "parse error", defaults, |ws| {
        text(ws, &format!(r#"4599999999999-["ev",{}]"#, ph(0)));
    });
}

/// A server that floods a namespace with events before answering its CONNECT: the client
/// holds at most `max_buffered` of them, then ends the session ("receive buffer full"); with
/// no reconnection, the join fails with that reason and nothing is delivered.
#[test]
fn events_before_the_connect_reply_are_bounded() {
    let server = FakeServer::start(|tcp, _| {
        let Some(mut ws) = accept_until_connect(tcp, 25_000) else { return };
        // Endless events for `/`, never a CONNECT reply: stops when the client goes away.
        for i in 0.. {
            if ws.send(Message::text(format!(r#"42["flood",{i}]"#))).is_err() {
                return;
            }
        }
    });
    let (c, rec) = start(&server, Transport::WebSocket, |o| unsafe {
        assert_eq!(sio_options_set_max_buffered(o, 50), sio_result::SIO_OK);
    });
    assert_eq!(connect_error(&rec), "receive buffer full");
    assert_eq!(rec.count(|r| matches!(r, Rec::Event { .. } | Rec::Connect { .. })), 0, "nothing delivered");
    free_promptly(c, "a flood before the connect reply");
}

/// Servers that accept the connection and never finish the handshake: the connect timeout
/// ends the attempt (connect_error "timeout") and the client frees promptly.
#[test]
fn a_never_ending_handshake_times_out() {
    let timeout = |o: *mut sio_options| unsafe {
        assert_eq!(sio_options_set_connect_timeout(o, 500), sio_result::SIO_OK);
    };
    // Reads the request and answers nothing.
    let silent = || {
        FakeServer::start(|mut tcp, _| {
            let _ = std::io::copy(&mut tcp, &mut std::io::sink());
        })
    };
    for transport in [Transport::WebSocket, Transport::Polling] {
        let server = silent();
        let (c, rec) = start(&server, transport, timeout);
        let message = connect_error(&rec);
        assert!(message.contains("time"), "{transport:?}: {message}");
        free_promptly(c, "silent server");
    }
    // The WebSocket handshake completes, the Engine.IO OPEN never comes.
    let server = FakeServer::start(|tcp, _| {
        if let Ok(mut ws) = tungstenite::accept(tcp) {
            drain(&mut ws);
        }
    });
    let (c, rec) = start(&server, Transport::WebSocket, timeout);
    assert_eq!(connect_error(&rec), "timeout");
    free_promptly(c, "no OPEN");

    // Also when the client is freed while it is still waiting.
    for transport in [Transport::WebSocket, Transport::Polling] {
        let server = silent();
        let (c, _rec) = start(&server, transport, |_| {});
        let deadline = Instant::now() + T;
        while server.accepted.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        free_promptly(c, "freed while connecting");
    }
}

/// A response delivered a byte at a time, forever: the connect timeout bounds the handshake,
/// the heartbeat bounds an open session.
#[test]
fn a_slowloris_server_is_cut_off() {
    /// Writes `head`, then one byte of `filler` every 20 ms until the client goes away.
    fn trickle(tcp: &mut TcpStream, head: &[u8], filler: u8) {
        for &b in head.iter().chain(std::iter::repeat(&filler)) {
            if tcp.write_all(&[b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let timeout = |o: *mut sio_options| unsafe {
        assert_eq!(sio_options_set_connect_timeout(o, 800), sio_result::SIO_OK);
    };

    // The HTTP answer to the WebSocket upgrade, or to the polling handshake, never ends (an
    // endless header).
    for transport in [Transport::WebSocket, Transport::Polling] {
        let server = FakeServer::start(|mut tcp, _| {
            let mut request = [0u8; 1024];
            let _ = tcp.read(&mut request);
            trickle(&mut tcp, b"HTTP/1.1 200 OK\r\nX-Slow: ", b'a');
        });
        let started = Instant::now();
        let (c, rec) = start(&server, transport, timeout);
        let message = connect_error(&rec);
        assert!(message.contains("time"), "{transport:?}: {message}");
        assert!(started.elapsed() < Duration::from_secs(8), "{transport:?}: bounded by the connect timeout");
        free_promptly(c, "slow handshake");
    }

    // An open session whose next message trickles in: no ping gets through, so the heartbeat
    // (300 + 300 ms here) declares the connection dead.
    let server = ws_server(300, |ws, _| {
        let mut head = frame_header(0x1, 1 << 20);
        head.extend_from_slice(b"42[\"slow\",\"");
        trickle(ws.get_mut(), &head, b'z');
    });
    let (c, rec) = connect(&server, Transport::WebSocket, defaults);
    assert_eq!(disconnect_reason(&rec), "ping timeout");
    free_promptly(c, "slow websocket message");

    let slow_get: GetReply = Box::new(|tcp| {
        let head =
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000000\r\n\r\n42[\"slow\",\"";
        trickle(tcp, head.as_bytes(), b'z');
        false
    });
    let (server, _) = polling_server(300, vec![payload(CONNECTED), slow_get]);
    let (c, rec) = connect(&server, Transport::Polling, defaults);
    assert_eq!(disconnect_reason(&rec), "ping timeout");
    free_promptly(c, "slow polling response");
}

#[test]
fn limit_options_are_checked() {
    let opts = sio_options_new();
    unsafe {
        assert_eq!(sio_options_set_max_message_size(opts, 0), sio_result::SIO_ERR_INVALID);
        assert!(last_error().contains("maximum message size"), "{}", last_error());
        assert_eq!(sio_options_set_max_message_size(opts, 1), sio_result::SIO_OK);
        assert_eq!(sio_options_set_max_attachments(opts, 0), sio_result::SIO_OK);
        assert_eq!(sio_options_set_max_message_size(std::ptr::null_mut(), 1), sio_result::SIO_ERR_NULL);
        assert_eq!(sio_options_set_max_attachments(std::ptr::null_mut(), 1), sio_result::SIO_ERR_NULL);
        sio_options_free(opts);
    }
}
