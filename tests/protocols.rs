//! Engine.IO v3 / Socket.IO v4 against a real socket.io 2.x server and a 4.x server with
//! `allowEIO3`, over every transport; the protocol is found automatically or forced.

mod common;

use common::capi::*;
use common::TestServer;
use serde_json::json;
use sio::ffi::sio_protocol::*;
use sio::ffi::sio_transport::*;
use sio::ffi::*;

fn client(server: &TestServer, transport: sio_transport, protocol: sio_protocol) -> Client {
    let opts = sio_options_new();
    unsafe {
        assert_eq!(sio_options_set_transport(opts, transport as i32), sio_result::SIO_OK);
        assert_eq!(sio_options_set_protocol(opts, protocol as i32), sio_result::SIO_OK);
    }
    let c = Client::connect_with(&server.url(), opts);
    unsafe { sio_options_free(opts) };
    c
}

fn event<'a>(ns: &'a str, name: &'a str) -> impl Fn(&Rec) -> bool + 'a {
    move |r| matches!(r, Rec::Event { ns: n, name: e, .. } if n == ns && e == name)
}

fn session(server: &TestServer, transport: sio_transport, protocol: sio_protocol) {
    let rec = Recorder::new(AckMode::Echo);
    let c = client(server, transport, protocol);
    let root = c.join(&rec, "/", None);
    let admin = c.join(&rec, "/admin", Some(r#"{"token":"secret"}"#));
    // Both joined; the socket ids are the server's.
    for ns in ["/", "/admin"] {
        let Rec::Connect { sid, .. } =
            rec.expect(T, "connect", |r| matches!(r, Rec::Connect { ns: n, .. } if n == ns))
        else {
            unreachable!()
        };
        server.expect(T, |r| r["type"] == "connect" && r["ns"] == ns && r["sid"] == sid.as_str());
    }
    rec.expect(T, "welcome", event("/admin", "welcome"));
    // Unicode both ways (v3 polling counts lengths in UTF-16 units).
    let args = json!(["emoji 🎉🚀 CJK 中文字 €", { "deep": [[{ "x": "𝄞" }]] }, 42, null]);
    assert_eq!(emit(admin, "echo", &args.to_string()), sio_result::SIO_OK);
    let got = server.expect(T, |r| r["type"] == "event" && r["event"] == "echo" && r["ns"] == "/admin");
    assert_eq!(got["args"], args);
    let Rec::Event { args: back, .. } = rec.expect(T, "echo back", event("/admin", "echo")) else {
        unreachable!()
    };
    assert_eq!(back, args);
    // Many events, in order.
    emit(root, "emit_n", r#"[300, "tick"]"#);
    rec.expect(T, "ticks", event("/", "emit_n_done"));
    let ticks: Vec<i64> = rec
        .records()
        .into_iter()
        .filter_map(|r| match r {
            Rec::Event { name, args, .. } if name == "tick" => args[0]["i"].as_i64(),
            _ => None,
        })
        .collect();
    assert_eq!(ticks, (0..300).collect::<Vec<_>>());
    // Binary both ways, in an ack too.
    let data = [0u8, 1, 2, 254, 255];
    let bufs = [sio_buffer { data: data.as_ptr(), len: data.len() }];
    let mut reply = std::ptr::null_mut();
    let r = unsafe {
        sio_call(
            root,
            cs("binary").as_ptr(),
            cs(r#"["b", {"raw": {"_placeholder":true,"num":0}}]"#).as_ptr(),
            bufs.as_ptr(),
            1,
            5000,
            &mut reply,
        )
    };
    assert_eq!(r, sio_result::SIO_OK, "{}", last_error());
    assert_eq!(unsafe { sio_event_buffer_count(reply) }, 1);
    let mut len = 0;
    let p = unsafe { sio_event_buffer(reply, 0, &mut len) };
    assert_eq!(unsafe { std::slice::from_raw_parts(p, len) }, &data);
    unsafe { sio_event_free(reply) };
    let Rec::Event { buffers, .. } = rec.expect(T, "binary event", event("/", "binary")) else {
        unreachable!()
    };
    assert_eq!(buffers, vec![data.to_vec()]);
    // The server's ack request, answered.
    emit(admin, "ask", r#"["q", 1]"#);
    let reply =
        server.expect(T, |r| (r["type"] == "ask_reply" || r["type"] == "ask_timeout") && r["ns"] == "/admin");
    assert_eq!(reply["args"], json!(["q", 1]));
    // Leaving one namespace keeps the other.
    assert_eq!(unsafe { sio_socket_disconnect(admin) }, sio_result::SIO_OK);
    server.expect(T, |r| r["type"] == "disconnect" && r["ns"] == "/admin");
    emit(root, "echo", r#"["still"]"#);
    rec.expect(T, "echo on /", event("/", "echo"));
    assert_eq!(unsafe { sio_client_close(c.ptr) }, sio_result::SIO_OK);
    assert_eq!(c.wait(5000), sio_result::SIO_OK);
    assert_eq!(rec.count(|r| matches!(r, Rec::ConnectError { .. })), 0, "{:?}", rec.records());
}

fn refused(server: &TestServer, protocol: sio_protocol) {
    let rec = Recorder::new(AckMode::Echo);
    let c = client(server, SIO_TRANSPORT_AUTO, protocol);
    c.join(&rec, "/", None);
    c.join(&rec, "/admin", Some(r#"{"token":"wrong"}"#));
    let err = rec.expect(T, "connect_error", |r| matches!(r, Rec::ConnectError { .. }));
    let Rec::ConnectError { ns, message, .. } = err else { unreachable!() };
    assert_eq!((ns.as_str(), message.as_str()), ("/admin", "not authorized"));
    rec.expect(T, "connect /", |r| matches!(r, Rec::Connect { ns, .. } if ns == "/"));
}

#[test]
fn socket_io_2_found_automatically_over_each_transport() {
    let server = TestServer::start(&["--v2"]);
    for transport in [SIO_TRANSPORT_WEBSOCKET, SIO_TRANSPORT_POLLING, SIO_TRANSPORT_AUTO] {
        session(&server, transport, SIO_PROTOCOL_AUTO);
    }
    refused(&server, SIO_PROTOCOL_AUTO);
    for r in server.records().iter().filter(|r| r["type"] == "engine_connection") {
        // The first attempt of each connection may have been v4; the sessions used are v3.
        assert!(r["query"]["EIO"] == "3" || r["query"]["EIO"] == "4", "{r}");
    }
}

#[test]
fn socket_io_2_with_v3_forced() {
    let server = TestServer::start(&["--v2"]);
    session(&server, SIO_TRANSPORT_AUTO, SIO_PROTOCOL_V3);
    assert!(server
        .records()
        .iter()
        .filter(|r| r["type"] == "engine_connection")
        .all(|r| r["query"]["EIO"] == "3"));
    server.expect(T, |r| r["type"] == "upgrade" && r["transport"] == "websocket");
}

#[test]
fn socket_io_4_with_allow_eio3_over_each_transport() {
    let server = TestServer::start(&["--allow-eio3"]);
    for transport in [SIO_TRANSPORT_WEBSOCKET, SIO_TRANSPORT_POLLING, SIO_TRANSPORT_AUTO] {
        session(&server, transport, SIO_PROTOCOL_V3);
    }
    refused(&server, SIO_PROTOCOL_V3);
    assert!(server
        .records()
        .iter()
        .filter(|r| r["type"] == "engine_connection")
        .all(|r| r["query"]["EIO"] == "3"));
    // Auto mode on the same server speaks v4.
    session(&server, SIO_TRANSPORT_AUTO, SIO_PROTOCOL_AUTO);
    assert!(server.records().iter().any(|r| r["type"] == "engine_connection" && r["query"]["EIO"] == "4"));
}

#[test]
fn v2_server_heartbeat_is_client_driven() {
    // The 2.x server expects our pings: without them it would close the session after
    // pingInterval + pingTimeout (500 ms here).
    let server = TestServer::start(&["--v2", "--ping-interval", "200", "--ping-timeout", "300"]);
    for transport in [SIO_TRANSPORT_WEBSOCKET, SIO_TRANSPORT_POLLING] {
        let rec = Recorder::new(AckMode::Echo);
        let c = client(&server, transport, SIO_PROTOCOL_AUTO);
        let s = c.join(&rec, "/", None);
        rec.expect(T, "connect", |r| matches!(r, Rec::Connect { .. }));
        std::thread::sleep(std::time::Duration::from_millis(1500));
        emit(s, "echo", r#"["alive"]"#);
        rec.expect(T, "echo", event("/", "echo"));
        assert_eq!(rec.count(|r| matches!(r, Rec::Disconnect { .. })), 0, "{:?}", rec.records());
    }
    // (Auto mode's first, v4 attempt over WebSocket is closed by us: "transport close".)
    let timeouts: Vec<_> = server.records().into_iter().filter(|r| r["reason"] == "ping timeout").collect();
    assert!(timeouts.is_empty(), "{timeouts:?}");
}
