//! An Engine.IO v3 binary-mode polling payload (`application/octet-stream`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use sio::engineio::payload;

fuzz_target!(|data: &[u8]| {
    let _ = payload::decode_binary_v3(data);
});
