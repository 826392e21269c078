//! HTTP long-polling payloads: several packets in one request or response body (`protocol.md` §1.6).
//!
//! EIO4 joins records with `\x1e` and carries binary as `b<base64>`; EIO3 prefixes every packet with
//! its length in UTF-16 code units (`<len>:<packet>`, binary as `b4<base64>`) and has a second,
//! binary-mode framing for `application/octet-stream` bodies.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::packet::{self, DecodeError, PacketType};

/// The EIO4 record separator.
const SEPARATOR: char = '\x1e';

/// At most this many packets per POST: python-engineio refuses bodies with more (§1.6.1).
pub(crate) const DEFAULT_MAX_PACKETS: usize = 16;

/// Engine.IO protocol revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revision {
    V3,
    V4,
}

impl Revision {
    /// The value of the `EIO` query parameter.
    pub fn number(self) -> u8 {
        match self {
            Revision::V3 => 3,
            Revision::V4 => 4,
        }
    }
}

/// One packet of a polling payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadPacket<'a> {
    /// A text packet: type + data (borrowed from the payload where possible).
    Text(PacketType, Cow<'a, str>),
    /// A binary message (its type is always `Message`).
    Binary(Vec<u8>),
}

impl PayloadPacket<'_> {
    /// The same packet, owning its data.
    pub fn into_owned(self) -> PayloadPacket<'static> {
        match self {
            PayloadPacket::Text(ty, data) => PayloadPacket::Text(ty, Cow::Owned(data.into_owned())),
            PayloadPacket::Binary(data) => PayloadPacket::Binary(data),
        }
    }
}

/// Why a payload could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError(pub &'static str);

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid Engine.IO payload: {}", self.0)
    }
}

impl std::error::Error for PayloadError {}

impl From<DecodeError> for PayloadError {
    fn from(e: DecodeError) -> Self {
        PayloadError(match e {
            DecodeError::Empty => "empty packet",
            DecodeError::UnknownType(_) => "unknown packet type",
        })
    }
}

/// Decodes a text-mode payload (a polling response with a text content type, or a POST body).
///
/// V4: records separated by `\x1e`; `b<base64>` is a binary message, anything else a text packet.
/// V3: `<len>:<packet>` repeated, `len` counting UTF-16 code units; `b4<base64>` is a binary message.
/// Any malformed packet fails the whole payload.
pub fn decode(rev: Revision, body: &str) -> Result<Vec<PayloadPacket<'_>>, PayloadError> {
    if body.is_empty() {
        return Err(PayloadError("empty payload"));
    }
    match rev {
        Revision::V4 => body.split(SEPARATOR).map(decode_v4_record).collect(),
        Revision::V3 => decode_v3(body),
    }
}

fn decode_v4_record(record: &str) -> Result<PayloadPacket<'_>, PayloadError> {
    match record.strip_prefix('b') {
        Some(b64) => base64_packet(b64),
        None => text_packet(record),
    }
}

fn text_packet(s: &str) -> Result<PayloadPacket<'_>, PayloadError> {
    let p = packet::decode(s)?;
    Ok(PayloadPacket::Text(p.ty, Cow::Borrowed(p.data)))
}

fn base64_packet(b64: &str) -> Result<PayloadPacket<'static>, PayloadError> {
    STANDARD.decode(b64).map(PayloadPacket::Binary).map_err(|_| PayloadError("invalid base64"))
}

/// One EIO3 packet: a text packet or `b<type digit><base64>` (type must be message).
fn decode_v3_packet(msg: &str) -> Result<PayloadPacket<'_>, PayloadError> {
    let Some(rest) = msg.strip_prefix('b') else {
        return text_packet(msg);
    };
    match rest.strip_prefix(char::from(PacketType::Message.as_char())) {
        Some(b64) => base64_packet(b64),
        None => Err(PayloadError("binary packet is not a message")),
    }
}

fn decode_v3(body: &str) -> Result<Vec<PayloadPacket<'_>>, PayloadError> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let (len, after) = rest.split_once(':').ok_or(PayloadError("missing ':' after length"))?;
        let units = parse_len(len.as_bytes())?;
        let end = utf16_prefix(after, units)?;
        // engine.io-parser 2.x skips empty packets (`0:`).
        if end > 0 {
            out.push(decode_v3_packet(&after[..end])?);
        }
        rest = &after[end..];
    }
    Ok(out)
}

/// A decimal length: one or more ASCII digits, no overflow.
fn parse_len(digits: &[u8]) -> Result<usize, PayloadError> {
    if digits.is_empty() {
        return Err(PayloadError("empty length"));
    }
    digits.iter().try_fold(0usize, |n, &d| {
        if !d.is_ascii_digit() {
            return Err(PayloadError("length is not a decimal number"));
        }
        n.checked_mul(10)
            .and_then(|n| n.checked_add(usize::from(d - b'0')))
            .ok_or(PayloadError("length too large"))
    })
}

/// The byte length of the prefix of `s` that is exactly `units` UTF-16 code units long.
fn utf16_prefix(s: &str, units: usize) -> Result<usize, PayloadError> {
    let mut count = 0;
    for (i, c) in s.char_indices() {
        if count == units {
            return Ok(i);
        }
        count += c.len_utf16();
        if count > units {
            return Err(PayloadError("length splits a surrogate pair"));
        }
    }
    if count == units {
        Ok(s.len())
    } else {
        Err(PayloadError("packet shorter than its length"))
    }
}

/// Decodes an EIO3 binary-mode payload (`application/octet-stream`).
///
/// Per packet: `<0x00 string | 0x01 binary> <length digits, one byte each, 0-9> 0xFF <bytes>`. A
/// string packet is the UTF-8 text packet (length in bytes); a binary packet is the type byte (must be
/// 4, message) followed by the data.
pub fn decode_binary_v3(body: &[u8]) -> Result<Vec<PayloadPacket<'static>>, PayloadError> {
    if body.is_empty() {
        return Err(PayloadError("empty payload"));
    }
    let mut out = Vec::new();
    let mut rest = body;
    while let Some((&kind, tail)) = rest.split_first() {
        let ff = tail.iter().position(|&b| b == 0xFF).ok_or(PayloadError("missing 0xFF after length"))?;
        let (digits, tail) = tail.split_at(ff);
        let tail = &tail[1..];
        if digits.is_empty() {
            return Err(PayloadError("empty length"));
        }
        let len = digits.iter().try_fold(0usize, |n, &d| {
            if d > 9 {
                return Err(PayloadError("length digit out of range"));
            }
            n.checked_mul(10)
                .and_then(|n| n.checked_add(usize::from(d)))
                .ok_or(PayloadError("length too large"))
        })?;
        if len > tail.len() {
            return Err(PayloadError("packet shorter than its length"));
        }
        let (msg, tail) = tail.split_at(len);
        out.push(match kind {
            0x00 => {
                let s = std::str::from_utf8(msg).map_err(|_| PayloadError("invalid UTF-8"))?;
                decode_v3_packet(s)?.into_owned()
            }
            0x01 => match msg.split_first() {
                Some((&4, data)) => PayloadPacket::Binary(data.to_vec()),
                Some(_) => return Err(PayloadError("binary packet is not a message")),
                None => return Err(PayloadError("empty packet")),
            },
            _ => return Err(PayloadError("unknown packet kind")),
        });
        rest = tail;
    }
    Ok(out)
}

/// Incremental encoder for a POST body (text mode), honouring the server's limits.
#[derive(Debug, Clone)]
pub struct Encoder {
    rev: Revision,
    max_payload: Option<u64>,
    max_packets: usize,
    body: String,
    count: usize,
}

impl Encoder {
    /// `max_payload`: the server's `maxPayload` in bytes (None = unlimited); `max_packets`: at most this
    /// many packets per body (`DEFAULT_MAX_PACKETS` suits every server).
    pub fn new(rev: Revision, max_payload: Option<u64>, max_packets: usize) -> Encoder {
        Encoder { rev, max_payload, max_packets, body: String::new(), count: 0 }
    }

    /// Whether a packet of `bytes` UTF-8 bytes and `units` UTF-16 units fits in the body.
    /// The first packet always fits: an oversize packet is sent alone.
    fn fits(&self, bytes: usize, units: usize) -> bool {
        if self.count == 0 {
            return true;
        }
        if self.count >= self.max_packets {
            return false;
        }
        let Some(max) = self.max_payload else {
            return true;
        };
        let framing = match self.rev {
            Revision::V4 => 1,
            Revision::V3 => decimal_digits(units) + 1,
        };
        let added = (bytes as u64).saturating_add(framing);
        (self.body.len() as u64).saturating_add(added) <= max
    }

    /// Writes the framing before a packet.
    fn begin(&mut self, units: usize) {
        match self.rev {
            Revision::V4 if self.count > 0 => self.body.push(SEPARATOR),
            Revision::V4 => {}
            // Writing to a String cannot fail.
            Revision::V3 => _ = write!(self.body, "{units}:"),
        }
        self.count += 1;
    }

    /// Adds a text packet; returns false (adding nothing) if it would exceed a limit.
    ///
    /// On V4, `data` must not contain `\x1e` (the protocol assumes it never does).
    pub fn push_text(&mut self, ty: PacketType, data: &str) -> bool {
        let bytes = 1 + data.len();
        let units = match self.rev {
            Revision::V4 => 0,
            Revision::V3 => 1 + data.encode_utf16().count(),
        };
        if !self.fits(bytes, units) {
            return false;
        }
        self.begin(units);
        packet::encode(ty, data, &mut self.body);
        true
    }

    /// Adds a binary message (V4 `b<base64>`, V3 `b4<base64>`); false if it would exceed a limit.
    pub fn push_binary(&mut self, data: &[u8]) -> bool {
        let prefix = match self.rev {
            Revision::V4 => "b",
            Revision::V3 => "b4",
        };
        // Base64 is ASCII: bytes and UTF-16 units agree.
        let len = prefix.len() + data.len().div_ceil(3) * 4;
        if !self.fits(len, len) {
            return false;
        }
        self.begin(len);
        self.body.push_str(prefix);
        STANDARD.encode_string(data, &mut self.body);
        true
    }

    /// Whether no packet was added yet.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The number of packets added.
    pub fn len(&self) -> usize {
        self.count
    }

    /// The body: V4 records joined by `\x1e`, V3 `<len>:<packet>` concatenated.
    pub fn finish(self) -> String {
        self.body
    }
}

fn decimal_digits(mut n: usize) -> u64 {
    let mut digits = 1;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use PacketType::*;

    fn text(ty: PacketType, data: &str) -> PayloadPacket<'_> {
        PayloadPacket::Text(ty, Cow::Borrowed(data))
    }

    fn bin(data: &[u8]) -> PayloadPacket<'static> {
        PayloadPacket::Binary(data.to_vec())
    }

    const HANDSHAKE_V3: &str =
        r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}"#;
    const HEADER: &str = r#"51-["a",{"_placeholder":true,"num":0}]"#;

    #[test]
    fn v4_golden() {
        let cases: Vec<(&str, Vec<PayloadPacket>)> = vec![
            ("4hello\x1e2\x1e4world", vec![text(Message, "hello"), text(Ping, ""), text(Message, "world")]),
            ("4hello\x1ebAQIDBA==", vec![text(Message, "hello"), bin(&[1, 2, 3, 4])]),
            (
                "42[\"hello\"]\x1e42[\"world\"]",
                vec![text(Message, "2[\"hello\"]"), text(Message, "2[\"world\"]")],
            ),
            (
                "451-[\"a\",{\"_placeholder\":true,\"num\":0}]\x1ebAQIDBA==",
                vec![text(Message, HEADER), bin(&[1, 2, 3, 4])],
            ),
            ("4hello", vec![text(Message, "hello")]),
            ("6", vec![text(Noop, "")]),
            ("b", vec![bin(&[])]),
        ];
        for (body, packets) in cases {
            assert_eq!(decode(Revision::V4, body).as_ref(), Ok(&packets), "{body:?}");
            let mut enc = Encoder::new(Revision::V4, None, DEFAULT_MAX_PACKETS);
            for p in &packets {
                assert!(match p {
                    PayloadPacket::Text(ty, data) => enc.push_text(*ty, data),
                    PayloadPacket::Binary(data) => enc.push_binary(data),
                });
            }
            assert_eq!(enc.len(), packets.len());
            assert_eq!(enc.finish(), body);
        }
    }

    #[test]
    fn v4_rejects() {
        for body in [
            "",
            "bAQIDBA",      // missing padding
            "bAQ!DBA==",    // not base64
            "4hello\x1eb$", // invalid base64 after a good record
            "7",
            "x",
            "4hello\x1e",   // empty trailing record
            "\x1e4hello",   // empty leading record
            "4a\x1e\x1e4b", // empty record in the middle
        ] {
            assert!(decode(Revision::V4, body).is_err(), "{body:?}");
        }
        assert_eq!(decode(Revision::V4, "9"), Err(PayloadError("unknown packet type")));
        assert_eq!(decode(Revision::V4, ""), Err(PayloadError("empty payload")));
    }

    #[test]
    fn v3_golden() {
        let chat = "42[\"chat\",\"🎉\"]";
        assert_eq!(chat.encode_utf16().count(), 15);
        assert_eq!(chat.len(), 17);
        assert_eq!(HANDSHAKE_V3.encode_utf16().count(), 96);
        assert_eq!(HEADER.len() + 1, 39);

        let handshake = format!("96:{HANDSHAKE_V3}2:40");
        let header_body = format!("39:4{HEADER}10:b4AQIDBA==");
        let cases: Vec<(&str, Vec<PayloadPacket>)> = vec![
            ("6:4hello6:4world", vec![text(Message, "hello"), text(Message, "world")]),
            ("2:4€", vec![text(Message, "€")]),
            ("15:42[\"chat\",\"🎉\"]", vec![text(Message, "2[\"chat\",\"🎉\"]")]),
            ("1:2", vec![text(Ping, "")]),
            ("1:3", vec![text(Pong, "")]),
            ("1:6", vec![text(Noop, "")]),
            (&handshake, vec![text(Open, &HANDSHAKE_V3[1..]), text(Message, "0")]),
            ("6:4hello10:b4AQIDBA==", vec![text(Message, "hello"), bin(&[1, 2, 3, 4])]),
            (&header_body, vec![text(Message, HEADER), bin(&[1, 2, 3, 4])]),
            ("2:b4", vec![bin(&[])]),
        ];
        for (body, packets) in cases {
            assert_eq!(decode(Revision::V3, body).as_ref(), Ok(&packets), "{body:?}");
            let mut enc = Encoder::new(Revision::V3, None, DEFAULT_MAX_PACKETS);
            for p in &packets {
                assert!(match p {
                    PayloadPacket::Text(ty, data) => enc.push_text(*ty, data),
                    PayloadPacket::Binary(data) => enc.push_binary(data),
                });
            }
            assert_eq!(enc.finish(), body);
        }
        // engine.io-parser 2.x skips empty packets; leading zeros are still a decimal number.
        assert_eq!(decode(Revision::V3, "0:1:2"), Ok(vec![text(Ping, "")]));
        assert_eq!(decode(Revision::V3, "06:4hello"), Ok(vec![text(Message, "hello")]));
    }

    #[test]
    fn v3_rejects() {
        for body in [
            "",
            "5:4hello",                  // length mismatch: the rest is not a packet
            "7:4hello",                  // length runs past the end
            "6:4hello6:4worl",           // truncated
            "6:4hello6",                 // dangling length
            "a:4hello",                  // non-digit length
            "-1:4",                      // non-digit length
            " 1:2",                      // non-digit length
            ":4hello",                   // empty length
            "4hello",                    // no length at all
            "1:x",                       // unknown type
            "1:7",                       // unknown type
            "2:4🎉",                     // count lands inside a surrogate pair
            "3:42🎉",                    // likewise, after other text
            "99999999999999999999999:4", // overflow
            "10:b2AQIDBA==",             // binary packet that is not a message
            "1:b",                       // binary packet without a type
            "9:b4AQIDBA",                // invalid base64
        ] {
            assert!(decode(Revision::V3, body).is_err(), "{body:?}");
        }
        assert_eq!(decode(Revision::V3, "2:4🎉"), Err(PayloadError("length splits a surrogate pair")));
        assert_eq!(decode(Revision::V3, "7:4hello"), Err(PayloadError("packet shorter than its length")));
    }

    #[test]
    fn v3_binary_golden() {
        let body = [
            0x00, 0x06, 0xFF, 0x34, 0x68, 0x65, 0x6C, 0x6C, 0x6F, 0x01, 0x05, 0xFF, 0x04, 0x01, 0x02, 0x03,
            0x04,
        ];
        assert_eq!(
            decode_binary_v3(&body),
            Ok(vec![text(Message, "hello").into_owned(), bin(&[1, 2, 3, 4])])
        );
        // Multi-digit length (12 bytes) and a multi-byte character.
        let mut body = vec![0x00, 1, 2, 0xFF];
        body.extend_from_slice("4€€€xy".as_bytes());
        assert_eq!(body.len(), 4 + 12);
        assert_eq!(decode_binary_v3(&body), Ok(vec![text(Message, "€€€xy").into_owned()]));
        assert_eq!(decode_binary_v3(&[0x01, 1, 0xFF, 4]), Ok(vec![bin(&[])]));
    }

    #[test]
    fn v3_binary_rejects() {
        let cases: &[&[u8]] = &[
            &[],
            &[0x02, 0x01, 0xFF, b'2'],       // unknown kind
            &[0x00, 0x01, b'2'],             // no 0xFF
            &[0x00, 0xFF, b'2'],             // empty length
            &[0x00, b'1', 0xFF, b'2'],       // ASCII digit instead of a value 0-9
            &[0x00, 0x02, 0xFF, b'2'],       // truncated
            &[0x00, 0x00, 0xFF],             // empty string packet
            &[0x00, 0x01, 0xFF, b'9'],       // unknown type
            &[0x00, 0x02, 0xFF, 0xC3, 0x28], // invalid UTF-8
            &[0x01, 0x00, 0xFF],             // empty binary packet
            &[0x01, 0x02, 0xFF, 0x02, 0x01], // binary packet that is not a message
            &[0x00, 0x01, 0xFF, b'2', 0x00], // trailing garbage
            &[0x01, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 0xFF, 4],
        ];
        for body in cases {
            assert!(decode_binary_v3(body).is_err(), "{body:02X?}");
        }
    }

    #[test]
    fn packet_cap() {
        for rev in [Revision::V3, Revision::V4] {
            let mut enc = Encoder::new(rev, None, DEFAULT_MAX_PACKETS);
            assert!(enc.is_empty());
            for _ in 0..16 {
                assert!(enc.push_text(Message, "x"));
            }
            assert!(!enc.push_text(Message, "x"));
            assert!(!enc.push_binary(&[1]));
            assert_eq!(enc.len(), 16);
            assert_eq!(decode(rev, &enc.finish()).map(|v| v.len()), Ok(16));
        }
        // A zero cap still lets one packet through.
        let mut enc = Encoder::new(Revision::V4, None, 0);
        assert!(enc.push_text(Ping, ""));
        assert!(!enc.push_text(Ping, ""));
    }

    #[test]
    fn max_payload_v4() {
        // "4hello" = 6 bytes; "\x1e4world" = 7 more.
        let mut enc = Encoder::new(Revision::V4, Some(13), DEFAULT_MAX_PACKETS);
        assert!(enc.push_text(Message, "hello"));
        assert!(enc.push_text(Message, "world"));
        assert!(!enc.push_text(Ping, ""));
        assert_eq!(enc.finish(), "4hello\x1e4world");

        let mut enc = Encoder::new(Revision::V4, Some(12), DEFAULT_MAX_PACKETS);
        assert!(enc.push_text(Message, "hello"));
        assert!(!enc.push_text(Message, "world"));
        // "\x1ebAQIDBA==" = 10 bytes: 16 total.
        assert!(!enc.push_binary(&[1, 2, 3, 4]));
        assert!(enc.push_text(Ping, "")); // "\x1e2" = 8 total
        assert_eq!(enc.len(), 2);

        // Bytes, not chars: "4€" is 4 bytes.
        let mut enc = Encoder::new(Revision::V4, Some(9), DEFAULT_MAX_PACKETS);
        assert!(enc.push_text(Message, "€"));
        assert!(enc.push_text(Message, "€")); // 4 + 1 + 4 = 9
        assert!(!enc.push_text(Ping, ""));

        // An oversize first packet is accepted alone.
        let mut enc = Encoder::new(Revision::V4, Some(3), DEFAULT_MAX_PACKETS);
        assert!(enc.push_binary(&[0; 100]));
        assert!(!enc.push_text(Ping, ""));
        assert_eq!(enc.len(), 1);
        let mut enc = Encoder::new(Revision::V4, Some(0), DEFAULT_MAX_PACKETS);
        assert!(enc.push_text(Message, "too long"));
        assert!(!enc.push_text(Ping, ""));
    }

    #[test]
    fn max_payload_v3() {
        // "6:4hello" = 8 bytes, "10:b4AQIDBA==" = 13 bytes.
        let mut enc = Encoder::new(Revision::V3, Some(21), DEFAULT_MAX_PACKETS);
        assert!(enc.push_text(Message, "hello"));
        assert!(enc.push_binary(&[1, 2, 3, 4]));
        assert!(!enc.push_text(Ping, ""));
        assert_eq!(enc.finish(), "6:4hello10:b4AQIDBA==");

        let mut enc = Encoder::new(Revision::V3, Some(20), DEFAULT_MAX_PACKETS);
        assert!(enc.push_text(Message, "hello"));
        assert!(!enc.push_binary(&[1, 2, 3, 4]));
        assert!(enc.push_text(Ping, "")); // "1:2" = 11 total
        assert_eq!(enc.finish(), "6:4hello1:2");

        // The limit counts bytes although the prefix counts UTF-16 units: "3:4中文" is 2 + 1 + 6 = 9 bytes.
        let mut enc = Encoder::new(Revision::V3, Some(17), DEFAULT_MAX_PACKETS);
        assert!(enc.push_text(Message, "中文"));
        assert!(!enc.push_text(Message, "中文"));
        assert!(enc.push_text(Message, "abcde")); // "6:4abcde" = 8 → 17
        assert_eq!(enc.finish(), "3:4中文6:4abcde");
    }

    #[test]
    fn v3_utf16_lengths() {
        let mut enc = Encoder::new(Revision::V3, None, DEFAULT_MAX_PACKETS);
        assert!(enc.push_text(Message, "中文"));
        assert!(enc.push_text(Message, "🎉"));
        assert!(enc.push_text(Message, "a🎉中"));
        assert!(enc.push_text(Message, &"€".repeat(12)));
        let body = enc.finish();
        assert_eq!(body, format!("3:4中文3:4🎉5:4a🎉中13:4{}", "€".repeat(12)));
        assert_eq!(
            decode(Revision::V3, &body),
            Ok(vec![
                text(Message, "中文"),
                text(Message, "🎉"),
                text(Message, "a🎉中"),
                PayloadPacket::Text(Message, Cow::Owned("€".repeat(12))),
            ])
        );
    }

    #[test]
    fn decode_borrows() {
        let body = "4hello";
        let packets = decode(Revision::V4, body).unwrap_or_default();
        assert!(matches!(&packets[..], [PayloadPacket::Text(Message, Cow::Borrowed("hello"))]));
        let packets = decode(Revision::V3, "6:4hello").unwrap_or_default();
        assert!(matches!(&packets[..], [PayloadPacket::Text(Message, Cow::Borrowed("hello"))]));
    }

    #[test]
    fn error_display() {
        assert_eq!(PayloadError("empty payload").to_string(), "invalid Engine.IO payload: empty payload");
    }

    const ALL: [PacketType; 7] = [Open, Close, Ping, Pong, Message, Upgrade, Noop];

    fn data() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "[a-z€🎉😀中文\"\\[\\]{}:0-9b]{0,24}",]
    }

    fn packet(rev: Revision) -> impl Strategy<Value = PayloadPacket<'static>> {
        prop_oneof![
            (0usize..7, data()).prop_map(move |(i, s)| {
                let s = match rev {
                    Revision::V4 => s.replace(SEPARATOR, ""),
                    Revision::V3 => s,
                };
                PayloadPacket::Text(ALL[i], Cow::Owned(s))
            }),
            proptest::collection::vec(any::<u8>(), 0..48).prop_map(PayloadPacket::Binary),
        ]
    }

    fn packets() -> impl Strategy<Value = (Revision, Vec<PayloadPacket<'static>>)> {
        prop_oneof![Just(Revision::V3), Just(Revision::V4)]
            .prop_flat_map(|rev| (Just(rev), proptest::collection::vec(packet(rev), 1..24)))
    }

    fn push(enc: &mut Encoder, p: &PayloadPacket) -> bool {
        match p {
            PayloadPacket::Text(ty, data) => enc.push_text(*ty, data),
            PayloadPacket::Binary(data) => enc.push_binary(data),
        }
    }

    proptest! {
        #[test]
        fn roundtrip((rev, input) in packets()) {
            let mut enc = Encoder::new(rev, None, usize::MAX);
            for p in &input {
                prop_assert!(push(&mut enc, p));
            }
            prop_assert_eq!(enc.len(), input.len());
            let body = enc.finish();
            prop_assert_eq!(decode(rev, &body), Ok(input));
        }

        #[test]
        fn split_roundtrip((rev, input) in packets(), max in 0u64..200, cap in 1usize..20) {
            let mut decoded = Vec::new();
            let mut rest = &input[..];
            while !rest.is_empty() {
                let mut enc = Encoder::new(rev, Some(max), cap);
                let n = rest.iter().take_while(|p| push(&mut enc, p)).count();
                prop_assert!(n >= 1 && n <= cap);
                prop_assert_eq!(enc.len(), n);
                let body = enc.finish();
                prop_assert!(n == 1 || body.len() as u64 <= max);
                // Greedy: the next packet really did not fit.
                if let Some(next) = rest.get(n) {
                    let mut all = Encoder::new(rev, None, usize::MAX);
                    for p in rest[..n].iter().chain([next]) {
                        push(&mut all, p);
                    }
                    prop_assert!(n == cap || all.finish().len() as u64 > max);
                }
                let packets = decode(rev, &body).map_err(|e| TestCaseError::fail(e.to_string()))?;
                decoded.extend(packets.into_iter().map(PayloadPacket::into_owned));
                rest = &rest[n..];
            }
            prop_assert_eq!(decoded, input);
        }

        #[test]
        fn decode_never_panics(s in any::<String>()) {
            let _ = decode(Revision::V4, &s);
            let _ = decode(Revision::V3, &s);
        }

        #[test]
        fn decode_v3_never_panics(s in "([0-9]{1,3}:)?[0-9b€🎉a-z:]{0,12}([0-9]{1,2}:[0-9b€🎉A-Z=]{0,8}){0,3}") {
            let _ = decode(Revision::V3, &s);
        }

        #[test]
        fn decode_binary_never_panics(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_binary_v3(&b);
        }

        #[test]
        fn decode_binary_structured_never_panics(
            parts in proptest::collection::vec(
                (0u8..3, proptest::collection::vec(0u8..11, 0..3), proptest::collection::vec(any::<u8>(), 0..12)),
                0..4,
            )
        ) {
            let mut body = Vec::new();
            for (kind, digits, data) in parts {
                body.push(kind);
                body.extend(digits);
                body.push(0xFF);
                body.extend(data);
            }
            let _ = decode_binary_v3(&body);
        }
    }
}
