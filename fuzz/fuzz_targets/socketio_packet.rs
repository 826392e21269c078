//! One Socket.IO packet (the data of an Engine.IO message).

#![no_main]

use libfuzzer_sys::fuzz_target;
use sio::socketio::binary::placeholders;
use sio::socketio::packet::{self, PacketType};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(p) = packet::decode(text) else { return };
    // The client's strict encoding of a decoded packet decodes to the same packet.
    let mut out = String::new();
    packet::encode(&p, &mut out);
    assert_eq!(packet::decode(&out).as_ref(), Ok(&p), "{text:?} re-encoded as {out:?}");
    match p.ty {
        // What the client does with a decoded EVENT: its name and arguments must split.
        PacketType::Event | PacketType::BinaryEvent => {
            let payload = p.data.expect("an EVENT has a payload");
            let parts = packet::split_event(payload).expect("a decoded EVENT splits");
            assert!(!sio::socketio::is_reserved_event(&parts.name));
        }
        _ => {}
    }
    if p.ty.is_binary() {
        let _ = placeholders(p.data.unwrap_or("[]"));
    }
});
