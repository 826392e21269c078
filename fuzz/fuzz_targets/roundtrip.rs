//! The property the payload targets check: what decodes, encodes back (with the client's own
//! encoder) to a payload that decodes to the same packets.

use sio::engineio::payload::{self, Encoder, PayloadError, PayloadPacket, Revision};

pub fn check(rev: Revision, body: &str, decoded: Result<Vec<PayloadPacket<'_>>, PayloadError>) {
    let Ok(packets) = decoded else { return };
    if packets.is_empty() {
        return;
    }
    let mut enc = Encoder::new(rev, None, usize::MAX);
    for p in &packets {
        let added = match p {
            PayloadPacket::Text(ty, data) => enc.push_text(*ty, data),
            PayloadPacket::Binary(bytes) => enc.push_binary(bytes),
        };
        assert!(added, "no limit was set");
    }
    let again = enc.finish();
    assert_eq!(payload::decode(rev, &again).as_ref(), Ok(&packets), "{body:?} re-encoded as {again:?}");
}
