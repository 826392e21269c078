//! An Engine.IO v3 text polling payload (`<UTF-16 length>:<packet>`, binary as `b4<base64>`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use sio::engineio::payload::{self, Revision};

mod roundtrip;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else { return };
    roundtrip::check(Revision::V3, body, payload::decode(Revision::V3, body));
});
