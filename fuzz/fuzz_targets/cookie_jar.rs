//! The cookie jar fed what a server may send: the input is `Set-Cookie` header values separated
//! by newlines (a header value cannot hold one), stored in turn at advancing times, each
//! followed by the `Cookie` header the next request would carry.

#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use sio::transport::cookies::CookieJar;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut jar = CookieJar::default();
    for (i, set_cookie) in text.split('\n').enumerate() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000 + 60 * i as u64);
        jar.store(set_cookie, "/socket.io/", now);
        let Some(header) = jar.header("/socket.io/", i % 2 == 0, now) else { continue };
        // Names and values end at `;`: one `; ` per cookie after the first, 50 cookies at most.
        assert!(header.split("; ").count() <= 50, "{header:?}");
        // Only what came in goes out: no line break unless the input had one (a header value
        // never has).
        if !text.contains('\r') {
            assert!(!header.contains(['\r', '\n']), "{header:?}");
        }
    }
});
