//! TLS (`https://`, `wss://`) through the C ABI, against the real `socket.io` server over HTTPS:
//! certificate and host name verification, a custom CA, the insecure flag, mutual TLS.
//! Certificates are made at test time with `rcgen`.

mod common;

use std::path::Path;

use common::capi::*;
use common::certs::certs;
use common::TestServer;
use serde_json::json;
use sio::ffi::*;

/// Options built through the C ABI; freed on drop.
struct Opts(*mut sio_options);

impl Opts {
    fn new() -> Opts {
        Opts(sio_options_new())
    }

    fn ca(self, path: &Path) -> Opts {
        let r = unsafe { sio_options_set_ca_file(self.0, cs(path.to_str().unwrap()).as_ptr()) };
        assert_eq!(r, sio_result::SIO_OK, "{}", last_error());
        self
    }

    fn client_cert(self, cert: &Path, key: &Path) -> Opts {
        let (cert, key) = (cs(cert.to_str().unwrap()), cs(key.to_str().unwrap()));
        let r = unsafe { sio_options_set_client_cert(self.0, cert.as_ptr(), key.as_ptr()) };
        assert_eq!(r, sio_result::SIO_OK, "{}", last_error());
        self
    }

    fn insecure(self) -> Opts {
        assert_eq!(unsafe { sio_options_set_insecure(self.0, 1) }, sio_result::SIO_OK);
        self
    }
}

impl Drop for Opts {
    fn drop(&mut self) {
        unsafe { sio_options_free(self.0) };
    }
}

fn is_connect(r: &Rec) -> bool {
    matches!(r, Rec::Connect { .. })
}

fn is_connect_error(r: &Rec) -> bool {
    matches!(r, Rec::ConnectError { .. })
}

/// Joins `/` over `url` with `opts` and returns the client once connected.
fn connected(url: &str, opts: &Opts) -> (Client, *mut sio_socket, std::sync::Arc<Recorder>) {
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect_with(url, opts.0);
    let socket = client.join(&rec, "/", None);
    rec.expect(T, "connect", is_connect);
    (client, socket, rec)
}

/// Joins `/` over `url` with `opts`, expects connect_error and returns its message; the client
/// must then be closed.
fn refused(url: &str, opts: &Opts) -> String {
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect_with(url, opts.0);
    client.join(&rec, "/", None);
    let Rec::ConnectError { message, .. } = rec.expect(T, "connect_error", is_connect_error) else {
        unreachable!()
    };
    assert_eq!(client.wait(10_000), sio_result::SIO_OK, "the client ends closed");
    assert_eq!(rec.count(is_connect), 0);
    message
}

#[test]
fn trusted_through_the_ca_file_connects_and_echoes() {
    let c = certs();
    let server = TestServer::start_tls(&c.server_cert, &c.server_key, None);
    assert!(server.url().starts_with("https://"));
    let (_client, socket, rec) = connected(&server.url(), &Opts::new().ca(&c.ca));
    assert_eq!(emit(socket, "echo", r#"["over TLS",{"n":1}]"#), sio_result::SIO_OK);
    let Rec::Event { args, .. } =
        rec.expect(T, "echo", |r| matches!(r, Rec::Event { name, .. } if name == "echo"))
    else {
        unreachable!()
    };
    assert_eq!(args, json!(["over TLS", { "n": 1 }]));

    // Larger than many TLS records and rustls' buffers: everything decrypted must be read even
    // though poll(2) no longer sees it on the socket.
    let big = "x".repeat(300_000);
    assert_eq!(emit(socket, "echo", &json!([big]).to_string()), sio_result::SIO_OK);
    let Rec::Event { args, .. } =
        rec.expect_n(T, "big echo", 2, |r| matches!(r, Rec::Event { name, .. } if name == "echo"))
    else {
        unreachable!()
    };
    assert_eq!(args[0].as_str().map(str::len), Some(big.len()));
    server.expect(T, |r| r["type"] == "engine_connection");
}

#[test]
fn wss_url_and_host_name_are_verified_too() {
    let c = certs();
    let server = TestServer::start_tls(&c.server_cert, &c.server_key, None);
    connected(&format!("wss://localhost:{}", server.port()), &Opts::new().ca(&c.ca));
}

#[test]
fn untrusted_certificate_is_a_connect_error() {
    let c = certs();
    let server = TestServer::start_tls(&c.server_cert, &c.server_key, None);
    let message = refused(&server.url(), &Opts::new());
    assert!(message.contains("certificate"), "{message}");
}

#[test]
fn insecure_flag_accepts_an_untrusted_certificate() {
    let c = certs();
    let server = TestServer::start_tls(&c.server_cert, &c.server_key, None);
    connected(&server.url(), &Opts::new().insecure());
}

#[test]
fn certificate_for_another_host_is_a_connect_error() {
    let c = certs();
    let server = TestServer::start_tls(&c.other_cert, &c.other_key, None);
    let message = refused(&server.url(), &Opts::new().ca(&c.ca));
    assert!(message.contains("certificate") && message.contains("127.0.0.1"), "{message}");
}

#[test]
fn mutual_tls_needs_the_client_certificate() {
    let c = certs();
    let server = TestServer::start_tls(&c.server_cert, &c.server_key, Some(&c.ca));
    connected(&server.url(), &Opts::new().ca(&c.ca).client_cert(&c.client_cert, &c.client_key));
    let message = refused(&server.url(), &Opts::new().ca(&c.ca));
    // TLS 1.3: the server's alert comes after the client's handshake, or the connection is reset.
    assert!(!message.is_empty());
}

#[test]
fn close_interrupts_a_stalled_tls_handshake() {
    // A server that accepts and never answers the ClientHello.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let opts = Opts::new().insecure();
    unsafe { sio_options_set_connect_timeout(opts.0, 60_000) };
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect_with(&url, opts.0);
    client.join(&rec, "/", None);
    let (_conn, _) = listener.accept().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    let started = std::time::Instant::now();
    assert_eq!(unsafe { sio_client_close(client.ptr) }, sio_result::SIO_OK);
    assert_eq!(client.wait(5_000), sio_result::SIO_OK);
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(rec.count(is_connect), 0);
}

#[test]
fn unreadable_tls_files_fail_sio_connect() {
    let c = certs();
    let missing = c.ca.with_file_name("missing-ca.pem");
    let mut out = std::ptr::null_mut();
    let url = cs("https://127.0.0.1:1");
    let opts = Opts::new().ca(&missing);
    assert_eq!(unsafe { sio_connect(url.as_ptr(), opts.0, &mut out) }, sio_result::SIO_ERR_INVALID);
    assert!(out.is_null());
    let message = last_error();
    assert!(message.contains(missing.to_str().unwrap()), "{message}");

    // A key that is not a key, and only one of the two client files.
    let opts = Opts::new().ca(&c.ca).client_cert(&c.client_cert, &c.ca);
    assert_eq!(unsafe { sio_connect(url.as_ptr(), opts.0, &mut out) }, sio_result::SIO_ERR_INVALID);
    assert!(last_error().contains(c.ca.to_str().unwrap()), "{}", last_error());
    let cert = cs(c.client_cert.to_str().unwrap());
    let r = unsafe { sio_options_set_client_cert(opts.0, cert.as_ptr(), std::ptr::null()) };
    assert_eq!(r, sio_result::SIO_ERR_NULL);
}
