//! libsio against a second, independent server implementation: python-socketio 5.x on
//! aiohttp (`tests/server/python_server.py`), through the C ABI, over each transport.
//!
//! Needs `pip install -r tests/server/requirements.txt` once.

mod common;

use std::time::Duration;

use common::capi::*;
use common::TestServer;
use serde_json::{json, Value};
use sio::ffi::sio_transport::*;
use sio::ffi::*;

const TRANSPORTS: [sio_transport; 3] = [SIO_TRANSPORT_WEBSOCKET, SIO_TRANSPORT_POLLING, SIO_TRANSPORT_AUTO];

fn client(server: &TestServer, transport: sio_transport) -> Client {
    let opts = sio_options_new();
    unsafe { assert_eq!(sio_options_set_transport(opts, transport as i32), sio_result::SIO_OK) };
    let c = Client::connect_with(&server.url(), opts);
    unsafe { sio_options_free(opts) };
    c
}

fn event<'a>(ns: &'a str, name: &'a str) -> impl Fn(&Rec) -> bool + 'a {
    move |r| matches!(r, Rec::Event { ns: n, name: e, .. } if n == ns && e == name)
}

fn is_connect(ns: &str) -> impl Fn(&Rec) -> bool + '_ {
    move |r| matches!(r, Rec::Connect { ns: n, .. } if n == ns)
}

fn is_disconnect(ns: &str) -> impl Fn(&Rec) -> bool + '_ {
    move |r| matches!(r, Rec::Disconnect { ns: n, .. } if n == ns)
}

/// The `i` of each `name` event received on `ns`, in order.
fn indices(rec: &Recorder, ns: &str, name: &str) -> Vec<i64> {
    rec.records()
        .into_iter()
        .filter_map(|r| match r {
            Rec::Event { ns: n, name: e, args, .. } if n == ns && e == name => args[0]["i"].as_i64(),
            _ => None,
        })
        .collect()
}

/// The first argument of each server `event` record named `name` on `ns`, in order.
fn server_args(server: &TestServer, ns: &str, name: &str) -> Vec<Value> {
    server
        .records()
        .into_iter()
        .filter(|r| r["type"] == "event" && r["ns"] == ns && r["event"] == name)
        .map(|r| r["args"][0].clone())
        .collect()
}

/// One whole session: namespaces with auth, echo (event and ack), many events each way,
/// binary both ways, the server's ack request, kick, and a clean close.
fn session(server: &TestServer, transport: sio_transport) {
    let rec = Recorder::new(AckMode::Echo);
    let c = client(server, transport);
    let root = c.join(&rec, "/", None);
    let admin = c.join(&rec, "/admin", Some(r#"{"token":"secret"}"#));

    // Both joined; the socket ids are the server's, auth arrived, welcome came after connect.
    for ns in ["/", "/admin"] {
        let Rec::Connect { sid, .. } = rec.expect(T, "connect", is_connect(ns)) else { unreachable!() };
        let got = server.expect(T, |r| r["type"] == "connect" && r["ns"] == ns && r["sid"] == sid.as_str());
        let auth = if ns == "/admin" { json!({ "token": "secret" }) } else { json!({}) };
        assert_eq!(got["auth"], auth, "{got}");
        assert_eq!(got["query"]["EIO"], "4", "{got}");
        let Rec::Event { args, .. } = rec.expect(T, "welcome", event(ns, "welcome")) else { unreachable!() };
        assert_eq!(args, json!([{ "ns": ns, "sid": sid }]));
    }

    // Nested JSON and unicode both ways, as an event and as an ack.
    let args = json!([
        "emoji 🎉🚀👩‍👩‍👧 CJK 中文字 日本語 한국어 €",
        { "deep": [[{ "x": "𝄞", "y": [1, 2.5, -3, true, false, null] }]], "empty": {}, "list": [] },
        42,
        null
    ]);
    assert_eq!(rec.emit_with_ack(admin, "echo", &args.to_string(), 5000, "echo"), sio_result::SIO_OK);
    let got = server.expect(T, |r| r["type"] == "event" && r["event"] == "echo" && r["ns"] == "/admin");
    assert_eq!(got["args"], args);
    assert_eq!(got["ack"], true);
    let Rec::Event { args: back, .. } = rec.expect(T, "echo back", event("/admin", "echo")) else {
        unreachable!()
    };
    assert_eq!(back, args);
    let ack = rec.expect(T, "echo ack", |r| matches!(r, Rec::Ack { tag, .. } if tag == "echo"));
    assert_eq!(ack, Rec::Ack { tag: "echo".into(), status: sio_result::SIO_OK, args: Some(args) });

    // Many server events, in order.
    emit(root, "emit_n", r#"[200, "tick"]"#);
    let Rec::Event { args: done, .. } = rec.expect(T, "ticks", event("/", "emit_n_done")) else {
        unreachable!()
    };
    assert_eq!(done, json!([200]));
    assert_eq!(indices(&rec, "/", "tick"), (0..200).collect::<Vec<_>>());

    // A burst of client events, in order (over polling: several POSTs of at most 16 packets,
    // python-engineio refuses more).
    for i in 0..100 {
        assert_eq!(emit(root, "n", &json!([{ "i": i }]).to_string()), sio_result::SIO_OK);
    }
    server.expect(T, |r| r["type"] == "event" && r["event"] == "n" && r["args"] == json!([{ "i": 99 }]));
    let got: Vec<_> = server_args(server, "/", "n").iter().map(|a| a["i"].as_i64().unwrap()).collect();
    assert_eq!(got, (0..100).collect::<Vec<_>>());

    // Binary both ways, in an ack too.
    let data = [0u8, 1, 2, 127, 128, 254, 255];
    let bufs = [sio_buffer { data: data.as_ptr(), len: data.len() }];
    let mut reply = std::ptr::null_mut();
    let r = unsafe {
        sio_call(
            root,
            cs("binary").as_ptr(),
            cs(r#"["b", {"raw": {"_placeholder":true,"num":0}, "n": 1}]"#).as_ptr(),
            bufs.as_ptr(),
            1,
            5000,
            &mut reply,
        )
    };
    assert_eq!(r, sio_result::SIO_OK, "{}", last_error());
    assert_eq!(json(&text(unsafe { sio_event_args(reply) }))[0], "b");
    assert_eq!(unsafe { sio_event_buffer_count(reply) }, 1);
    let mut len = 0;
    let p = unsafe { sio_event_buffer(reply, 0, &mut len) };
    assert_eq!(unsafe { std::slice::from_raw_parts(p, len) }, &data);
    unsafe { sio_event_free(reply) };
    let got = server.expect(T, |r| r["type"] == "event" && r["event"] == "binary");
    assert_eq!(got["args"], json!(["b", { "raw": { "_binary": "AAECf4D+/w==" }, "n": 1 }]));
    assert_eq!(got["ack"], true);
    let Rec::Event { args: ev_args, buffers, .. } = rec.expect(T, "binary event", event("/", "binary"))
    else {
        unreachable!()
    };
    assert_eq!(buffers, vec![data.to_vec()]);
    assert_eq!(ev_args[1]["n"], 1);

    // The server's ack request, answered by the recorder with the same arguments.
    emit(admin, "ask", r#"["q", {"k": "ü"}]"#);
    let reply =
        server.expect(T, |r| (r["type"] == "ask_reply" || r["type"] == "ask_timeout") && r["ns"] == "/admin");
    assert_eq!(reply["type"], "ask_reply");
    assert_eq!(reply["args"], json!(["q", { "k": "ü" }]));

    // Kicked out of /admin; / stays.
    emit(admin, "kick", "[]");
    let r = rec.expect(T, "kick", is_disconnect("/admin"));
    assert_eq!(r, Rec::Disconnect { ns: "/admin".into(), reason: "io server disconnect".into() });
    server.expect(T, |r| r["type"] == "disconnect" && r["ns"] == "/admin");
    emit(root, "echo", r#"["still"]"#);
    rec.expect_n(T, "echo on /", 1, event("/", "echo"));

    // Clean close: the server sees the namespace leave.
    assert_eq!(unsafe { sio_client_close(c.ptr) }, sio_result::SIO_OK);
    assert_eq!(c.wait(5000), sio_result::SIO_OK);
    let r = rec.expect(T, "close /", is_disconnect("/"));
    assert_eq!(r, Rec::Disconnect { ns: "/".into(), reason: "io client disconnect".into() });
    let gone = server.expect(T, |r| r["type"] == "disconnect" && r["ns"] == "/");
    assert_eq!(gone["reason"], "client disconnect", "the namespace was left with a DISCONNECT packet");
    assert_eq!(
        rec.count(|r| matches!(r, Rec::ConnectError { .. } | Rec::Failed(_))),
        0,
        "{:?}",
        rec.records()
    );
}

#[test]
fn websocket_only() {
    let server = TestServer::start_python(&[]);
    session(&server, SIO_TRANSPORT_WEBSOCKET);
    let engine = server.expect(T, |r| r["type"] == "engine_connection");
    assert_eq!(engine["transport"], "websocket");
    assert_eq!(engine["query"]["EIO"], "4");
    assert!(server.records().iter().all(|r| r["type"] != "upgrade"));
}

#[test]
fn polling_only() {
    let server = TestServer::start_python(&[]);
    session(&server, SIO_TRANSPORT_POLLING);
    let engine = server.expect(T, |r| r["type"] == "engine_connection");
    assert_eq!(engine["transport"], "polling");
    assert!(server.records().iter().all(|r| r["type"] != "upgrade"), "polling only must never upgrade");
}

#[test]
fn auto_starts_with_polling_and_upgrades() {
    let server = TestServer::start_python(&[]);
    session(&server, SIO_TRANSPORT_AUTO);
    let engine = server.expect(T, |r| r["type"] == "engine_connection");
    assert_eq!(engine["transport"], "polling");
    server.expect(T, |r| r["type"] == "upgrade" && r["transport"] == "websocket");
    let engines = server.records().iter().filter(|r| r["type"] == "engine_connection").count();
    assert_eq!(engines, 1, "the upgrade keeps the Engine.IO session");
}

#[test]
fn refused_namespace_reports_the_servers_message_and_data() {
    let server = TestServer::start_python(&[]);
    for transport in TRANSPORTS {
        let rec = Recorder::new(AckMode::Echo);
        let c = client(&server, transport);
        c.join(&rec, "/", None);
        c.join(&rec, "/admin", Some(r#"{"token":"wrong"}"#));
        let err = rec.expect(T, "connect_error", |r| matches!(r, Rec::ConnectError { .. }));
        assert_eq!(
            err,
            Rec::ConnectError {
                ns: "/admin".into(),
                message: "not authorized".into(),
                data: json!({ "code": 401 })
            }
        );
        rec.expect(T, "connect /", is_connect("/"));
        let refused = server.expect(T, |r| r["type"] == "refused");
        assert_eq!(refused["auth"], json!({ "token": "wrong" }));
        // No auth at all is refused too.
        let c2 = client(&server, transport);
        let rec2 = Recorder::new(AckMode::Echo);
        c2.join(&rec2, "/admin", None);
        let err = rec2.expect(T, "connect_error", |r| matches!(r, Rec::ConnectError { .. }));
        assert!(
            matches!(err, Rec::ConnectError { ref message, .. } if message == "not authorized"),
            "{err:?}"
        );
        assert_eq!(rec.count(|r| matches!(r, Rec::Connect { ns, .. } if ns == "/admin")), 0);
    }
    assert!(server.records().iter().all(|r| !(r["type"] == "connect" && r["ns"] == "/admin")));
}

#[test]
fn polling_burst_of_emits_is_split_into_posts_the_server_accepts() {
    // python-engineio rejects a POST body of more than 16 packets ("Too many packets in
    // payload") and closes the session: every event must still arrive, once, in order.
    let server = TestServer::start_python(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server, SIO_TRANSPORT_POLLING);
    let s = c.join(&rec, "/", None);
    let a = c.join(&rec, "/a", None);
    // Queued before the connection is even open, then more once connected.
    for i in 0..50 {
        assert_eq!(emit(s, "burst", &format!(r#"[{{"i":{i}}}]"#)), sio_result::SIO_OK);
    }
    rec.expect(T, "connect", is_connect("/"));
    rec.expect(T, "connect /a", is_connect("/a"));
    for i in 50..100 {
        assert_eq!(emit(s, "burst", &format!(r#"[{{"i":{i}}}]"#)), sio_result::SIO_OK);
        assert_eq!(emit(a, "burst", &format!(r#"[{{"i":{i}}}]"#)), sio_result::SIO_OK);
    }
    server.expect(T, |r| r["type"] == "event" && r["ns"] == "/" && r["args"] == json!([{ "i": 99 }]));
    server.expect(T, |r| r["type"] == "event" && r["ns"] == "/a" && r["args"] == json!([{ "i": 99 }]));
    let got: Vec<_> = server_args(&server, "/", "burst").iter().map(|a| a["i"].as_i64().unwrap()).collect();
    assert_eq!(got, (0..100).collect::<Vec<_>>());
    let got: Vec<_> = server_args(&server, "/a", "burst").iter().map(|a| a["i"].as_i64().unwrap()).collect();
    assert_eq!(got, (50..100).collect::<Vec<_>>());
    assert_eq!(server.records().iter().filter(|r| r["type"] == "engine_connection").count(), 1);
    assert!(server.records().iter().all(|r| r["type"] != "disconnect"), "{:?}", server.records());
    assert_eq!(rec.count(|r| matches!(r, Rec::Disconnect { .. })), 0, "{:?}", rec.records());
}

#[test]
fn server_close_and_kick_are_reported_over_each_transport() {
    let server = TestServer::start_python(&[]);
    for transport in TRANSPORTS {
        let rec = Recorder::new(AckMode::Echo);
        let c = client(&server, transport);
        let s = c.join(&rec, "/", None);
        rec.expect(T, "connect", is_connect("/"));
        emit(s, "kick", "[]");
        let r = rec.expect(T, "kick", |r| matches!(r, Rec::Disconnect { .. }));
        assert_eq!(r, Rec::Disconnect { ns: "/".into(), reason: "io server disconnect".into() });
        assert_eq!(c.wait(5000), sio_result::SIO_OK, "no namespace left: the client is closed");
        // Join again, then the server closes the whole Engine.IO connection.
        assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
        rec.expect_n(T, "connect again", 2, is_connect("/"));
        emit(s, "close", "[]");
        let Rec::Disconnect { ns, reason } =
            rec.expect_n(T, "close", 2, |r| matches!(r, Rec::Disconnect { .. }))
        else {
            unreachable!()
        };
        assert_eq!(ns, "/");
        if transport == SIO_TRANSPORT_WEBSOCKET {
            assert_eq!(reason, "transport close");
        } else {
            // python-engineio queues the CLOSE packet for the next poll but answers 400
            // ("Session is disconnected") to a GET that arrives after close(): a poll that
            // was not yet pending when the server closed sees the 400 instead of CLOSE.
            assert!(reason == "transport close" || reason == "transport error", "{transport:?}: {reason}");
        }
        // The connection was lost, not left: the client reconnects and joins `/` again.
        rec.expect_n(T, "reconnected", 3, is_connect("/"));
        assert_eq!(unsafe { sio_client_close(c.ptr) }, sio_result::SIO_OK);
        assert_eq!(c.wait(5000), sio_result::SIO_OK);
    }
    // The server's record of our last close may still be on its way.
    let reasons = || -> Vec<_> {
        server
            .records()
            .into_iter()
            .filter(|r| r["type"] == "disconnect")
            .map(|r| r["reason"].clone())
            .collect()
    };
    let deadline = std::time::Instant::now() + T;
    while reasons().len() < 9 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let reasons = reasons();
    // Per transport: kick, close (both "server disconnect"), then our close of the reconnected
    // session ("client disconnect").
    let per_transport = [json!("server disconnect"), json!("server disconnect"), json!("client disconnect")];
    let expected: Vec<_> = per_transport.iter().cycle().take(9).cloned().collect();
    assert_eq!(reasons, expected, "python-socketio's reason names");
}

#[test]
fn broadcast_reaches_every_client_in_the_namespace() {
    let server = TestServer::start_python(&[]);
    let recs: Vec<_> = (0..3).map(|_| Recorder::new(AckMode::Echo)).collect();
    let clients: Vec<_> = TRANSPORTS.iter().map(|&t| client(&server, t)).collect();
    let sockets: Vec<_> = clients.iter().zip(&recs).map(|(c, rec)| c.join(rec, "/b", None)).collect();
    for rec in &recs {
        rec.expect(T, "connect /b", is_connect("/b"));
    }
    emit(sockets[0], "broadcast", r#"["news", {"headline": "📰"}, 2]"#);
    for rec in &recs {
        let Rec::Event { args, .. } = rec.expect(T, "news", event("/b", "news")) else { unreachable!() };
        assert_eq!(args, json!([{ "headline": "📰" }, 2]));
    }
}

#[test]
fn acks_both_ways_and_unacknowledged_events() {
    let server = TestServer::start_python(&[]);
    for (round, transport) in TRANSPORTS.into_iter().enumerate() {
        let rec = Recorder::new(AckMode::Keep);
        let c = client(&server, transport);
        let s = c.join(&rec, "/", None);
        rec.expect(T, "connect", is_connect("/"));
        // Our ack request, answered by the server's return value.
        assert_eq!(rec.emit_with_ack(s, "ack", r#"[1, "two", [3]]"#, 5000, "a"), sio_result::SIO_OK);
        let r = rec.expect(T, "ack", |r| matches!(r, Rec::Ack { tag, .. } if tag == "a"));
        assert_eq!(
            r,
            Rec::Ack { tag: "a".into(), status: sio_result::SIO_OK, args: Some(json!([1, "two", [3]])) }
        );
        // No arguments: an empty ack.
        assert_eq!(rec.emit_with_ack(s, "ack", "[]", 5000, "empty"), sio_result::SIO_OK);
        let r = rec.expect(T, "empty ack", |r| matches!(r, Rec::Ack { tag, .. } if tag == "empty"));
        assert_eq!(r, Rec::Ack { tag: "empty".into(), status: sio_result::SIO_OK, args: Some(json!([])) });
        // An event the server never acks times out.
        assert_eq!(rec.emit_with_ack(s, "unknown", &format!("[{round}]"), 300, "never"), sio_result::SIO_OK);
        let r = rec.expect(T, "timeout", |r| matches!(r, Rec::Ack { tag, .. } if tag == "never"));
        assert_eq!(r, Rec::Ack { tag: "never".into(), status: sio_result::SIO_ERR_TIMEOUT, args: None });
        let got = server
            .expect(T, |r| r["type"] == "event" && r["event"] == "unknown" && r["args"] == json!([round]));
        assert_eq!(got["ack"], true);
        // Without an ack request, the server records none.
        emit(s, "unknown", &format!(r#"["no ack", {round}]"#));
        let got = server.expect(T, |r| r["type"] == "event" && r["args"] == json!(["no ack", round]));
        assert_eq!(got["ack"], false);
        // The server's question, answered later from another thread.
        emit(s, "ask", r#"["later?"]"#);
        let question = rec.expect(T, "question", event("/", "question"));
        assert!(matches!(question, Rec::Event { ack: true, .. }), "{question:?}");
        let acks = rec.take_acks();
        assert_eq!(acks.len(), 1);
        let ack = acks.into_iter().next().unwrap();
        std::thread::spawn(move || {
            let ack = ack;
            let answer = json!(["yes", round]).to_string();
            assert_eq!(
                unsafe { sio_ack_send(ack.0, cs(&answer).as_ptr(), std::ptr::null(), 0) },
                sio_result::SIO_OK
            );
        })
        .join()
        .unwrap();
        let reply = server.expect(T, |r| r["type"] == "ask_reply" && r["args"][1] == round);
        assert_eq!(reply["args"], json!(["yes", round]));
        assert_eq!(unsafe { sio_client_close(c.ptr) }, sio_result::SIO_OK);
        assert_eq!(c.wait(5000), sio_result::SIO_OK);
    }
    assert!(server.records().iter().all(|r| r["type"] != "ask_timeout"));
}

#[test]
fn heartbeat_over_each_transport_keeps_the_session() {
    // python-engineio advertises whole seconds only (`int(seconds) * 1000`): 1 s here.
    let server = TestServer::start_python(&["--ping-interval", "1000", "--ping-timeout", "1000"]);
    for transport in TRANSPORTS {
        let rec = Recorder::new(AckMode::Echo);
        let c = client(&server, transport);
        let s = c.join(&rec, "/", None);
        let Rec::Connect { sid, .. } = rec.expect(T, "connect", is_connect("/")) else { unreachable!() };
        std::thread::sleep(Duration::from_millis(3500));
        emit(s, "echo", r#"["alive"]"#);
        rec.expect(T, "echo", event("/", "echo"));
        assert_eq!(rec.count(|r| matches!(r, Rec::Disconnect { .. })), 0, "{:?}", rec.records());
        assert_eq!(unsafe { sio_client_close(c.ptr) }, sio_result::SIO_OK);
        assert_eq!(c.wait(5000), sio_result::SIO_OK);
        // Left by the client, not by a ping timeout.
        let gone = server.expect(T, |r| r["type"] == "disconnect" && r["sid"] == sid.as_str());
        assert_eq!(gone["reason"], "client disconnect", "{transport:?}");
    }
    // One session per client: no reconnection.
    let records = server.records();
    assert_eq!(records.iter().filter(|r| r["type"] == "engine_connection").count(), 3, "{records:?}");
    assert_eq!(records.iter().filter(|r| r["type"] == "disconnect").count(), 3, "{records:?}");
}
