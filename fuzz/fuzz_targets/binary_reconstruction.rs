//! Binary reconstruction as the client does it: a BINARY_EVENT/BINARY_ACK header, then the
//! attachments that follow it. The input is the header's text, then each attachment, separated
//! by NUL bytes (a NUL cannot appear in the header's JSON).

#![no_main]

use libfuzzer_sys::fuzz_target;
use sio::socketio::binary::{placeholders, Feed, Reassembler};
use sio::socketio::packet;

/// The client's default limit on announced attachments.
const MAX_ATTACHMENTS: usize = 10;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0);
    let Some(Ok(header)) = parts.next().map(std::str::from_utf8) else { return };
    let Ok(p) = packet::decode(header) else { return };
    if !p.ty.is_binary() || p.attachments == 0 || p.attachments > MAX_ATTACHMENTS {
        return;
    }
    let json = p.data.unwrap_or("[]");
    let Ok(mut r) = Reassembler::new(json, p.attachments) else { return };
    let nums = placeholders(json).expect("the reassembler checked the placeholders");
    for (i, attachment) in parts.enumerate() {
        match r.push(attachment.to_vec()) {
            Feed::Pending => assert!(i + 1 < p.attachments, "complete after {} attachments", p.attachments),
            Feed::Complete(buffers) => {
                assert_eq!(buffers.len(), p.attachments);
                assert!(nums.iter().all(|&n| n < buffers.len()), "every placeholder has its buffer");
                return;
            }
        }
    }
});
