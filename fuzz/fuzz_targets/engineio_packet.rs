//! One Engine.IO text packet (a WebSocket text frame), and the handshake JSON of an OPEN packet.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sio::engineio::packet::{self, PacketType};
use sio::engineio::Handshake;

fuzz_target!(|data: &[u8]| {
    // Text frames reach the decoder as UTF-8 (the WebSocket layer checks it).
    let Ok(frame) = std::str::from_utf8(data) else { return };
    let Ok(p) = packet::decode(frame) else { return };
    // The packet encodes back to the very frame it came from.
    let mut out = String::new();
    packet::encode(p.ty, p.data, &mut out);
    assert_eq!(out, frame);
    if p.ty == PacketType::Open {
        let _ = Handshake::parse(p.data);
    }
});
