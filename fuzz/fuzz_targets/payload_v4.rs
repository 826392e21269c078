//! An Engine.IO v4 polling payload (`\x1e`-separated records, binary as `b<base64>`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use sio::engineio::payload::{self, Revision};

mod roundtrip;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else { return };
    roundtrip::check(Revision::V4, body, payload::decode(Revision::V4, body));
});
