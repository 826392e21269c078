//! Core client behaviour through the C ABI, against the real `socket.io` 4.x server.

mod common;

use std::time::Duration;

use common::capi::*;
use common::TestServer;
use serde_json::json;
use sio::ffi::*;

fn is_connect(ns: &str) -> impl Fn(&Rec) -> bool + '_ {
    move |r| matches!(r, Rec::Connect { ns: n, .. } if n == ns)
}

fn event<'a>(ns: &'a str, name: &'a str) -> impl Fn(&Rec) -> bool + 'a {
    move |r| matches!(r, Rec::Event { ns: n, name: e, .. } if n == ns && e == name)
}

#[test]
fn connects_and_gets_the_event_sent_on_connection() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    client.join(&rec, "/", None);
    let Rec::Connect { sid, .. } = rec.expect(T, "connect", is_connect("/")) else {
        unreachable!()
    };
    let seen = server.expect(T, |r| r["type"] == "connect" && r["ns"] == "/");
    assert_eq!(
        seen["sid"],
        sid.as_str(),
        "the connect callback carries the server's socket id"
    );
    // The server emits `welcome` inside its connection handler: it must not be lost.
    let Rec::Event { args, .. } = rec.expect(T, "welcome", event("/", "welcome")) else {
        unreachable!()
    };
    assert_eq!(args, json!([{ "ns": "/", "sid": sid }]));
}
