//! Connection state recovery (socket.io 4.6+ `connectionStateRecovery`, server `--recovery`)
//! through the C ABI: the connection is cut, the server emits while the client is away, and
//! on reconnection the session is recovered: same socket id, the missed events delivered
//! before the connect handler, `sio_socket_recovered` true. A fresh connection is not.

mod common;

use common::capi::*;
use common::TestServer;
use serde_json::json;

fn client(url: &str) -> Client {
    reconnecting_client(url, |_| {})
}

fn connect(r: &Rec) -> Option<(String, bool)> {
    match r {
        Rec::Connect { sid, recovered, .. } => Some((sid.clone(), *recovered)),
        _ => None,
    }
}

#[test]
fn events_missed_while_away_arrive_before_the_recovered_connect() {
    let server = TestServer::start(&["--recovery"]);
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server.url());
    let s = c.join(&rec, "/", None);
    let first = rec.expect(T, "connect", |r| connect(r).is_some());
    let (sid, recovered) = connect(&first).unwrap();
    assert!(!recovered, "a fresh connection is not recovered");
    // The server's events carry its offset as an extra last argument, left in place.
    let welcome = rec.expect(T, "welcome", |r| matches!(r, Rec::Event { name, .. } if name == "welcome"));
    let Rec::Event { args, .. } = welcome else { unreachable!() };
    assert_eq!(args[0], json!({ "ns": "/", "sid": sid }));
    assert!(args.as_array().is_some_and(|a| a.len() == 2 && a[1].is_string()), "{args}");

    emit(s, "away", r#"[3,"missed"]"#);
    rec.expect(
        T,
        "disconnect",
        |r| matches!(r, Rec::Disconnect { reason, .. } if reason == "transport close"),
    );
    server.expect(T, |r| r["type"] == "emitted_away");
    let second = rec.expect_n(T, "connect again", 2, |r| connect(r).is_some());
    assert_eq!(connect(&second), Some((sid.clone(), true)), "recovered, with the same socket id");
    server.expect(T, |r| r["type"] == "connect" && r["recovered"] == true && r["sid"] == sid.as_str());

    // The missed events, in order, each once, all before the connect handler.
    let records = rec.records();
    let reconnected_at = records.iter().position(|r| *r == second).unwrap();
    let missed: Vec<(usize, serde_json::Value)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r {
            Rec::Event { name, args, .. } if name == "missed" => Some((i, args[0].clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        missed.iter().map(|m| m.1.clone()).collect::<Vec<_>>(),
        vec![json!({"i":0}), json!({"i":1}), json!({"i":2})]
    );
    assert!(missed.iter().all(|(i, _)| *i < reconnected_at), "{records:#?}");

    // The recovered session works, and a new client is not recovered.
    emit(s, "echo", "[1]");
    rec.expect(T, "echo", |r| matches!(r, Rec::Event { name, .. } if name == "echo"));
    let rec2 = Recorder::new(AckMode::Echo);
    let c2 = client(&server.url());
    c2.join(&rec2, "/", None);
    let fresh = rec2.expect(T, "connect", |r| connect(r).is_some());
    assert!(!connect(&fresh).unwrap().1);
}
