//! The log callback through the C ABI: the lines a session produces, their levels, silence when
//! off, and the user data finalizer.

mod common;

use std::ffi::{c_char, c_int, c_void};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::capi::*;
use common::TestServer;
use sio::ffi::*;
use sio_log_level::*;
use sio_result::*;

/// The lines a log callback received.
#[derive(Default)]
struct Log {
    lines: Mutex<Vec<(sio_log_level, String)>>,
    finalized: AtomicUsize,
}

impl Log {
    fn lines(&self) -> Vec<(sio_log_level, String)> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits for a line at `level` starting with `prefix`.
    fn expect(&self, level: sio_log_level, prefix: &str) -> String {
        let deadline = Instant::now() + T;
        loop {
            let found = self.lines().into_iter().find(|(l, m)| *l == level && m.starts_with(prefix));
            if let Some((_, m)) = found {
                return m;
            }
            assert!(Instant::now() < deadline, "no {level:?} line {prefix:?} in {:#?}", self.lines());
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

unsafe extern "C" fn on_log(ud: *mut c_void, level: sio_log_level, message: *const c_char) {
    let log = unsafe { &*(ud as *const Log) };
    log.lines.lock().unwrap().push((level, text(message)));
}

unsafe extern "C" fn release(ud: *mut c_void) {
    let log = unsafe { Arc::from_raw(ud as *const Log) };
    log.finalized.fetch_add(1, Ordering::SeqCst);
}

/// Options logging up to `level` into `log` (its user data finalized into `log.finalized`).
fn logging_options(log: &Arc<Log>, level: sio_log_level) -> *mut sio_options {
    let opts = sio_options_new();
    let ud = Arc::into_raw(log.clone()) as *mut c_void;
    let r = unsafe { sio_options_set_log(opts, level as c_int, Some(on_log), ud, Some(release)) };
    assert_eq!(r, SIO_OK, "{}", last_error());
    opts
}

fn client_with(url: &str, opts: *mut sio_options, configure: impl FnOnce(*mut sio_options)) -> Client {
    configure(opts);
    let c = Client::connect_with(url, opts);
    unsafe { sio_options_free(opts) };
    c
}

#[test]
fn a_session_logs_its_connection_namespaces_and_close_with_levels() {
    let server = TestServer::start(&[]);
    let log = Arc::new(Log::default());
    let rec = Recorder::new(AckMode::Echo);
    let c = client_with(&server.url(), logging_options(&log, SIO_LOG_DEBUG), |_| {});
    c.join(&rec, "/", None);
    c.join(&rec, "/admin", None);
    rec.expect(T, "refused", |r| matches!(r, Rec::ConnectError { .. }));
    rec.expect(T, "connect", |r| matches!(r, Rec::Connect { .. }));
    assert_eq!(unsafe { sio_client_close(c.ptr) }, SIO_OK);
    assert_eq!(c.wait(10_000), SIO_OK);

    log.expect(SIO_LOG_INFO, "connecting to 127.0.0.1 (Auto, EIO 4)");
    let hs = log.expect(SIO_LOG_DEBUG, "handshake: ");
    assert!(hs.contains("ping_interval"), "{hs}");
    // Auto: polling first, upgraded to WebSocket before the session is used.
    log.expect(SIO_LOG_INFO, "connected over websocket (upgraded from polling): session ");
    log.expect(SIO_LOG_DEBUG, "joining /admin");
    log.expect(SIO_LOG_INFO, "joined / (socket ");
    let refused = log.expect(SIO_LOG_WARN, "/admin refused: not authorized");
    assert!(refused.contains("401"), "the server's data goes along: {refused}");
    log.expect(SIO_LOG_INFO, "leaving /");
    log.expect(SIO_LOG_INFO, "connection closed: no namespace is joined");
    for (level, line) in log.lines() {
        assert!(level != SIO_LOG_TRACE && level != SIO_LOG_OFF, "{level:?} {line}");
        assert!(!line.contains('\n') && !line.is_empty(), "{line:?}");
    }
    drop(c);
    assert_eq!(log.finalized.load(Ordering::SeqCst), 1);
}

#[test]
fn levels_filter_lines_and_trace_shows_packets() {
    let server = TestServer::start(&[]);
    for (max, transport) in [(SIO_LOG_INFO, 1), (SIO_LOG_TRACE, 2)] {
        let log = Arc::new(Log::default());
        let rec = Recorder::new(AckMode::Echo);
        let c = client_with(&server.url(), logging_options(&log, max), |o| unsafe {
            sio_options_set_transport(o, transport);
        });
        let s = c.join(&rec, "/", None);
        emit(s, "echo", r#"["hi"]"#);
        rec.expect(T, "echo", |r| matches!(r, Rec::Event { name, .. } if name == "echo"));
        log.expect(SIO_LOG_INFO, "joined /");
        if max == SIO_LOG_TRACE {
            log.expect(SIO_LOG_TRACE, "recv 40{\"sid\"");
            log.expect(SIO_LOG_TRACE, r#"send 42["echo","hi"]"#);
            log.expect(SIO_LOG_TRACE, r#"recv 42["echo","hi"]"#);
            log.expect(SIO_LOG_INFO, "connected over polling");
        } else {
            let lines = log.lines();
            assert!(lines.iter().all(|(l, _)| *l <= SIO_LOG_INFO), "above INFO: {lines:#?}");
            log.expect(SIO_LOG_INFO, "connected over websocket");
        }
    }
}

#[test]
fn lost_connections_and_reconnection_are_logged() {
    let server = TestServer::start(&[]);
    let log = Arc::new(Log::default());
    let rec = Recorder::new(AckMode::Echo);
    let c = client_with(&server.url(), logging_options(&log, SIO_LOG_DEBUG), |o| unsafe {
        sio_options_set_reconnection_delay(o, 50, 100);
        sio_options_set_reconnection_attempts(o, 2);
    });
    let s = c.join(&rec, "/", None);
    emit(s, "close", "[]");
    log.expect(SIO_LOG_WARN, "connection lost: transport close");
    log.expect(SIO_LOG_DEBUG, "next reconnection attempt in ");
    log.expect(SIO_LOG_INFO, "reconnection attempt 1");
    log.expect(SIO_LOG_INFO, "reconnected at attempt 1");
    rec.expect_n(T, "second connect", 2, |r| matches!(r, Rec::Connect { .. }));
    // With the server gone, the two attempts fail and the client gives up.
    drop(server);
    log.expect(SIO_LOG_WARN, "connection failed: ");
    log.expect(SIO_LOG_ERROR, "reconnection failed: 2 attempts made");
    assert_eq!(c.wait(10_000), SIO_OK);
}

/// A fake Engine.IO v4 polling server (a fault the real one cannot produce): the handshake, the
/// CONNECT reply for `/`, then an event for a namespace nobody joined, an ack nobody waits
/// for, and a packet that does not parse.
fn bad_packets_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let gets = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let gets = gets.clone();
            std::thread::spawn(move || serve(stream, &gets));
        }
    });
    port
}

fn serve(stream: TcpStream, gets: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
            if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let body = if request.starts_with("POST") {
            "ok".to_owned()
        } else {
            match gets.fetch_add(1, Ordering::SeqCst) {
                0 => r#"0{"sid":"fake","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
                    .to_owned(),
                1 => r#"40{"sid":"s1"}"#.to_owned(),
                2 => "42/nope,[\"x\"]\u{1e}437[\"r\"]\u{1e}49".to_owned(),
                _ => {
                    std::thread::sleep(Duration::from_millis(200));
                    "6".to_owned()
                }
            }
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if out.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

#[test]
fn dropped_packets_and_parse_errors_are_logged() {
    let port = bad_packets_server();
    let log = Arc::new(Log::default());
    let rec = Recorder::new(AckMode::Echo);
    let c =
        client_with(&format!("http://127.0.0.1:{port}"), logging_options(&log, SIO_LOG_DEBUG), |o| unsafe {
            sio_options_set_transport(o, 2);
            sio_options_set_reconnection(o, 0);
        });
    c.join(&rec, "/", None);
    rec.expect(T, "parse error", |r| matches!(r, Rec::Disconnect { reason, .. } if reason == "parse error"));
    log.expect(SIO_LOG_DEBUG, "dropped an event for a namespace not joined");
    log.expect(SIO_LOG_DEBUG, "dropped ack 7 on /: none waits");
    log.expect(SIO_LOG_WARN, "parse error (");
    log.expect(SIO_LOG_WARN, "connection lost: parse error");
}

#[test]
fn the_log_is_silent_when_off_and_user_data_is_finalized_once() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);

    // Turned off: the user data is finalized at once and nothing is ever logged, not even errors.
    let log = Arc::new(Log::default());
    let opts = logging_options(&log, SIO_LOG_OFF);
    assert_eq!(log.finalized.load(Ordering::SeqCst), 1);
    let c = client_with("http://127.0.0.1:1", opts, |_| {});
    c.join(&rec, "/", None);
    rec.expect(T, "refused", |r| matches!(r, Rec::ConnectError { .. }));
    drop(c);
    assert!(log.lines().is_empty(), "{:#?}", log.lines());

    // Shared by the options and two clients: finalized once, when the last of them goes.
    let log = Arc::new(Log::default());
    let opts = logging_options(&log, SIO_LOG_INFO);
    let a = Client::connect_with(&server.url(), opts);
    let b = Client::connect_with(&server.url(), opts);
    unsafe { sio_options_free(opts) };
    a.join(&rec, "/", None);
    log.expect(SIO_LOG_INFO, "joined /");
    drop(a);
    assert_eq!(log.finalized.load(Ordering::SeqCst), 0);
    drop(b);
    assert_eq!(log.finalized.load(Ordering::SeqCst), 1);

    // Replaced, or refused: the old or the refused user data is finalized at once.
    let log = Arc::new(Log::default());
    let opts = logging_options(&log, SIO_LOG_INFO);
    unsafe { sio_options_set_log(opts, SIO_LOG_WARN as c_int, None, null_mut(), None) };
    assert_eq!(log.finalized.load(Ordering::SeqCst), 1);
    let ud = Arc::into_raw(log.clone()) as *mut c_void;
    assert_eq!(unsafe { sio_options_set_log(opts, 6, Some(on_log), ud, Some(release)) }, SIO_ERR_INVALID);
    assert_eq!(log.finalized.load(Ordering::SeqCst), 2);
    let ud = Arc::into_raw(log.clone()) as *mut c_void;
    let r = unsafe { sio_options_set_log(null_mut(), 3, Some(on_log), ud, Some(release)) };
    assert_eq!(r, SIO_ERR_NULL);
    assert_eq!(log.finalized.load(Ordering::SeqCst), 3);
    unsafe { sio_options_free(opts) };
}
