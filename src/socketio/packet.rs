//! Socket.IO packets (`protocol.md` §2.2–2.4): `<type>[<n>-][<nsp>,][<id>][<json>]`.
//!
//! Decoding borrows from the input and validates the JSON payload for the packet's type, leniently
//! where real servers deviate (`protocol.md` §6); encoding is strict, like the JS encoder.

use std::borrow::Cow;
use std::fmt;

use crate::json::ArrayScan;

/// The Socket.IO packet type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    Connect,
    Disconnect,
    Event,
    Ack,
    ConnectError,
    BinaryEvent,
    BinaryAck,
}

/// A decoded (or to-be-encoded) packet. `data` is raw JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    pub ty: PacketType,
    /// The namespace; `"/"` when the packet names none.
    pub nsp: &'a str,
    /// The ack id, if any.
    pub id: Option<u64>,
    /// Number of binary attachments that follow (BINARY_EVENT / BINARY_ACK only, else 0).
    pub attachments: usize,
    /// The JSON payload, if any.
    pub data: Option<&'a str>,
}

/// An EVENT payload split into its name and arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventParts<'a> {
    /// The event name (a JSON number name is given as its decimal text).
    pub name: Cow<'a, str>,
    /// The arguments' text between the array's brackets, as in the input: `1,{"a":2}` for
    /// `["e",1,{"a":2}]`, empty for `["e"]`. Borrowed, so that the caller builds its own copy once.
    pub args_inner: &'a str,
}

impl EventParts<'_> {
    /// The arguments as a JSON array text, e.g. `[1,{"a":2}]` or `[]`.
    pub fn args(&self) -> String {
        format!("[{}]", self.args_inner)
    }
}

/// Why a Socket.IO packet could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub &'static str);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid Socket.IO packet: {}", self.0)
    }
}

impl std::error::Error for DecodeError {}

impl PacketType {
    pub fn as_char(self) -> u8 {
        match self {
            PacketType::Connect => b'0',
            PacketType::Disconnect => b'1',
            PacketType::Event => b'2',
            PacketType::Ack => b'3',
            PacketType::ConnectError => b'4',
            PacketType::BinaryEvent => b'5',
            PacketType::BinaryAck => b'6',
        }
    }

    pub fn from_char(c: u8) -> Option<PacketType> {
        Some(match c {
            b'0' => PacketType::Connect,
            b'1' => PacketType::Disconnect,
            b'2' => PacketType::Event,
            b'3' => PacketType::Ack,
            b'4' => PacketType::ConnectError,
            b'5' => PacketType::BinaryEvent,
            b'6' => PacketType::BinaryAck,
            _ => return None,
        })
    }

    /// BINARY_EVENT or BINARY_ACK.
    pub fn is_binary(self) -> bool {
        matches!(self, PacketType::BinaryEvent | PacketType::BinaryAck)
    }
}

/// Most digits accepted in an attachment count (python-socketio's limit).
const MAX_ATTACHMENT_DIGITS: usize = 10;

/// Decodes a Socket.IO packet (the data of an Engine.IO `message`, without the `4`).
///
/// Mirrors socket.io-parser's `decodeString`, but accepts a DISCONNECT payload and a string
/// CONNECT_ERROR payload (python-socketio), and a namespace without the trailing comma.
pub fn decode(text: &str) -> Result<Packet<'_>, DecodeError> {
    decode_split(text).map(|(packet, _)| packet)
}

/// [`decode`], and for an EVENT / BINARY_EVENT its payload split as [`split_event`] does, from
/// the same single scan that validates it.
pub fn decode_split(text: &str) -> Result<(Packet<'_>, Option<EventParts<'_>>), DecodeError> {
    let bytes = text.as_bytes();
    let &first = bytes.first().ok_or(DecodeError("empty packet"))?;
    let ty = PacketType::from_char(first).ok_or(DecodeError("unknown packet type"))?;
    // Every index below follows ASCII bytes only, so slicing there stays on char boundaries.
    let mut i = 1;

    let mut attachments = 0;
    if ty.is_binary() {
        let end = i + digit_run(bytes.get(i..).unwrap_or(&[]));
        if bytes.get(end) != Some(&b'-') {
            return Err(DecodeError("illegal attachment count"));
        }
        let digits = text.get(i..end).unwrap_or("");
        if digits.is_empty() {
            return Err(DecodeError("missing attachment count"));
        }
        if digits.len() > MAX_ATTACHMENT_DIGITS {
            return Err(DecodeError("attachment count too long"));
        }
        attachments = digits.parse::<usize>().map_err(|_| DecodeError("attachment count out of range"))?;
        i = end + 1;
    }

    let mut nsp = "/";
    if bytes.get(i) == Some(&b'/') {
        let rest = text.get(i..).unwrap_or("");
        match rest.find(',') {
            Some(comma) => {
                nsp = rest.get(..comma).unwrap_or("/");
                i += comma + 1;
            }
            None => {
                nsp = rest;
                i = bytes.len();
            }
        }
    }

    let mut id = None;
    let id_len = digit_run(bytes.get(i..).unwrap_or(&[]));
    if id_len > 0 {
        let digits = text.get(i..i + id_len).unwrap_or("");
        id = Some(digits.parse::<u64>().map_err(|_| DecodeError("ack id out of range"))?);
        i += id_len;
    }

    let data = match text.get(i..) {
        Some("") | None => None,
        Some(rest) => Some(rest),
    };
    let event = validate(ty, id, data)?;
    Ok((Packet { ty, nsp, id, attachments, data }, event))
}

/// Length of the run of ASCII digits at the start of `b`.
fn digit_run(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// The first significant byte of a JSON text (JSON whitespace skipped).
fn first_byte(json: &str) -> Option<u8> {
    json.bytes().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// Checks that `json` is exactly one well-formed JSON value.
fn check_json(json: &str) -> Result<(), DecodeError> {
    crate::json::validate(json).map_err(|_| DecodeError("invalid JSON payload"))
}

/// The per-type payload rules (`protocol.md` §2.3, leniencies from §6); an EVENT's payload
/// comes back split.
fn validate<'a>(
    ty: PacketType,
    id: Option<u64>,
    data: Option<&'a str>,
) -> Result<Option<EventParts<'a>>, DecodeError> {
    match ty {
        PacketType::Connect => {
            if let Some(d) = data {
                check_json(d)?;
                if first_byte(d) != Some(b'{') {
                    return Err(DecodeError("CONNECT payload must be an object"));
                }
            }
        }
        // Strict decoders want no payload; python-socketio sends `41{"message":…}`.
        PacketType::Disconnect => {
            if let Some(d) = data {
                check_json(d)?;
            }
        }
        PacketType::Event | PacketType::BinaryEvent => {
            let d = data.ok_or(DecodeError("missing EVENT payload"))?;
            let parts = split_event(d)?;
            // A number's text is never a reserved name.
            if crate::socketio::is_reserved_event(&parts.name) {
                return Err(DecodeError("reserved event name"));
            }
            return Ok(Some(parts));
        }
        PacketType::Ack | PacketType::BinaryAck => {
            if id.is_none() {
                return Err(DecodeError("ACK without id"));
            }
            let d = data.ok_or(DecodeError("missing ACK payload"))?;
            check_json(d)?;
            if first_byte(d) != Some(b'[') {
                return Err(DecodeError("ACK payload must be an array"));
            }
        }
        PacketType::ConnectError => {
            let d = data.ok_or(DecodeError("missing CONNECT_ERROR payload"))?;
            check_json(d)?;
            if !matches!(first_byte(d), Some(b'{' | b'"')) {
                return Err(DecodeError("CONNECT_ERROR payload must be an object or a string"));
            }
        }
    }
    Ok(None)
}

/// Appends the strict encoding of `p` to `out`.
///
/// Like the JS encoder, the namespace is written only when it is neither `"/"` nor empty; it
/// must start with `/` and contain no `,`. `data` is written verbatim.
pub fn encode(p: &Packet<'_>, out: &mut String) {
    use std::fmt::Write;
    out.push(char::from(p.ty.as_char()));
    if p.ty.is_binary() {
        let _ = write!(out, "{}-", p.attachments);
    }
    push_nsp_id(p.nsp, p.id, out);
    if let Some(d) = p.data {
        out.push_str(d);
    }
}

fn push_nsp_id(nsp: &str, id: Option<u64>, out: &mut String) {
    use std::fmt::Write;
    if !nsp.is_empty() && nsp != "/" {
        out.push_str(nsp);
        out.push(',');
    }
    if let Some(id) = id {
        let _ = write!(out, "{id}");
    }
}

/// Validates an EVENT / BINARY_EVENT payload and splits it into name and args.
///
/// The name is borrowed unless it contains escapes; the args keep each element's original text.
pub fn split_event(data: &str) -> Result<EventParts<'_>, DecodeError> {
    let scan = scan_array(data)?;
    let first = scan.first.ok_or(DecodeError("empty EVENT payload"))?;
    let name = match event_name(first)? {
        Some(name) => name,
        None => Cow::Borrowed(first),
    };
    Ok(EventParts { name, args_inner: scan.rest })
}

/// Appends `s` as a JSON string literal, escaped as `JSON.stringify` and serde_json do.
fn push_json_string(s: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Appends an EVENT packet for `name` with `args` (a valid JSON array text) to `out`, without
/// re-parsing `args`: `2[<nsp>,][<id>]["<name>",<args...>]`, or with `attachments` > 0 a
/// BINARY_EVENT `5<attachments>-…` whose placeholders the caller has checked. [`event_len`]
/// says how many bytes it appends, for a caller that sizes `out` exactly.
///
/// `args` may have surrounding whitespace; a text that is not bracketed is sent as one argument.
pub fn encode_event(
    nsp: &str,
    id: Option<u64>,
    attachments: usize,
    name: &str,
    args: &str,
    out: &mut String,
) {
    let inner = args_inner(args);
    if attachments > 0 {
        use std::fmt::Write;
        let _ = write!(out, "{}{attachments}-", char::from(PacketType::BinaryEvent.as_char()));
    } else {
        out.push(char::from(PacketType::Event.as_char()));
    }
    push_nsp_id(nsp, id, out);
    out.push('[');
    push_json_string(name, out);
    if !inner.is_empty() {
        out.push(',');
        out.push_str(inner);
    }
    out.push(']');
}

/// How many bytes [`encode_event`] appends for these arguments.
pub fn event_len(nsp: &str, id: Option<u64>, attachments: usize, name: &str, args: &str) -> usize {
    let ty = if attachments > 0 { 2 + decimal_len(attachments as u64) } else { 1 };
    let nsp = if nsp.is_empty() || nsp == "/" { 0 } else { nsp.len() + 1 };
    let inner = args_inner(args);
    let args = if inner.is_empty() { 0 } else { 1 + inner.len() };
    ty + nsp + id.map_or(0, decimal_len) + 2 + json_string_len(name) + args
}

/// The elements of an args array text, without its brackets and surrounding whitespace (or the
/// whole trimmed text if it is not bracketed).
fn args_inner(args: &str) -> &str {
    let trimmed = trim_json_ws(args);
    trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')).map(trim_json_ws).unwrap_or(trimmed)
}

fn decimal_len(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// The length of `s` written by [`push_json_string`].
fn json_string_len(s: &str) -> usize {
    let escapes: usize = s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
            0..=0x1f => 5,
            _ => 0,
        })
        .sum();
    s.len() + escapes + 2
}

fn trim_json_ws(s: &str) -> &str {
    // By bytes: `trim_matches` with a char set decodes UTF-8 and costs more than the encoding.
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let bytes = s.as_bytes();
    let start = bytes.iter().position(|b| !ws(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !ws(b)).map_or(start, |i| i + 1);
    // ASCII bytes bound both ends, so both are char boundaries.
    &s[start..end]
}

/// The event name of a first array element (scanned, so well-formed): `Some(name)` for a string, `None` for a number
/// (whose text is the name); anything else is an error.
fn event_name(first: &str) -> Result<Option<Cow<'_, str>>, DecodeError> {
    match first.as_bytes().first() {
        // Scanned already: without a backslash, the text between the quotes is the name.
        Some(b'"') if !first.contains('\\') => Ok(Some(Cow::Borrowed(&first[1..first.len() - 1]))),
        Some(b'"') => {
            let mut de = serde_json::Deserializer::from_str(first);
            let name = serde::Deserializer::deserialize_str(&mut de, CowStr)
                .map_err(|_| DecodeError("invalid event name"))?;
            Ok(Some(name))
        }
        Some(b'-' | b'0'..=b'9') => Ok(None),
        _ => Err(DecodeError("event name must be a string or a number")),
    }
}

/// Deserializes a JSON string, borrowing it when it has no escapes.
struct CowStr;

impl<'de> serde::de::Visitor<'de> for CowStr {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// Validates that `json` is one JSON array and scans it (see [`ArrayScan`]).
fn scan_array(json: &str) -> Result<ArrayScan<'_>, DecodeError> {
    match crate::json::scan_array(json) {
        Ok(Some(scan)) => Ok(scan),
        Ok(None) => Err(DecodeError("payload must be an array")),
        Err(_) => Err(DecodeError("invalid JSON payload")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};
    use PacketType::*;

    fn pkt<'a>(
        ty: PacketType,
        nsp: &'a str,
        id: Option<u64>,
        attachments: usize,
        data: Option<&'a str>,
    ) -> Packet<'a> {
        Packet { ty, nsp, id, attachments, data }
    }

    fn enc(p: &Packet<'_>) -> String {
        let mut out = String::new();
        encode(p, &mut out);
        out
    }

    /// Decodes `text` (the EIO message data), expects `want`, and checks the strict re-encoding.
    fn golden(text: &str, want: Packet<'_>) {
        assert_eq!(decode(text), Ok(want.clone()), "decode {text:?}");
        assert_eq!(enc(&want), text, "encode {want:?}");
    }

    #[test]
    fn type_digits() {
        let all = [Connect, Disconnect, Event, Ack, ConnectError, BinaryEvent, BinaryAck];
        for (i, ty) in all.iter().enumerate() {
            assert_eq!(ty.as_char(), b'0' + i as u8);
            assert_eq!(PacketType::from_char(b'0' + i as u8), Some(*ty));
            assert_eq!(ty.is_binary(), i >= 5);
        }
        assert_eq!(PacketType::from_char(b'7'), None);
    }

    #[test]
    fn golden_connect() {
        golden("0", pkt(Connect, "/", None, 0, None));
        golden(r#"0{"token":"123"}"#, pkt(Connect, "/", None, 0, Some(r#"{"token":"123"}"#)));
        golden("0/admin,", pkt(Connect, "/admin", None, 0, None));
        golden(r#"0/admin,{"token":"abc"}"#, pkt(Connect, "/admin", None, 0, Some(r#"{"token":"abc"}"#)));
        golden(
            r#"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#,
            pkt(Connect, "/", None, 0, Some(r#"{"sid":"wZX3oN0bSVIhsaknAAAI"}"#)),
        );
        golden(
            r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA","pid":"…"}"#,
            pkt(Connect, "/admin", None, 0, Some(r#"{"sid":"oSO0OpakMV_3jnilAAAA","pid":"…"}"#)),
        );
        golden(
            r#"0/custom,{"sid":"-G5j-67EZFp-q59rADQM"}"#,
            pkt(Connect, "/custom", None, 0, Some(r#"{"sid":"-G5j-67EZFp-q59rADQM"}"#)),
        );
    }

    #[test]
    fn golden_connect_error() {
        golden(
            r#"4{"message":"Not authorized"}"#,
            pkt(ConnectError, "/", None, 0, Some(r#"{"message":"Not authorized"}"#)),
        );
        golden(
            r#"4/random,{"message":"Invalid namespace"}"#,
            pkt(ConnectError, "/random", None, 0, Some(r#"{"message":"Invalid namespace"}"#)),
        );
        golden(
            r#"4{"message":"Auth failed","data":{"code":42}}"#,
            pkt(ConnectError, "/", None, 0, Some(r#"{"message":"Auth failed","data":{"code":42}}"#)),
        );
        // SIO4 / python-socketio / socket.io-client-cpp string shapes.
        golden(r#"4"error""#, pkt(ConnectError, "/", None, 0, Some(r#""error""#)));
        golden(r#"4/nsp,"error""#, pkt(ConnectError, "/nsp", None, 0, Some(r#""error""#)));
        golden(
            r#"4/admin,"Not authorized""#,
            pkt(ConnectError, "/admin", None, 0, Some(r#""Not authorized""#)),
        );
    }

    #[test]
    fn golden_disconnect() {
        golden("1", pkt(Disconnect, "/", None, 0, None));
        golden("1/admin,", pkt(Disconnect, "/admin", None, 0, None));
        // python-socketio `always_connect` mode.
        golden(r#"1{"message":"x"}"#, pkt(Disconnect, "/", None, 0, Some(r#"{"message":"x"}"#)));
        golden(r#"1/chat,{"message":"x"}"#, pkt(Disconnect, "/chat", None, 0, Some(r#"{"message":"x"}"#)));
    }

    #[test]
    fn golden_events_and_acks() {
        golden(r#"2["foo"]"#, pkt(Event, "/", None, 0, Some(r#"["foo"]"#)));
        golden(
            r#"2/admin,["bar",1,{"a":true}]"#,
            pkt(Event, "/admin", None, 0, Some(r#"["bar",1,{"a":true}]"#)),
        );
        golden(r#"212["foo"]"#, pkt(Event, "/", Some(12), 0, Some(r#"["foo"]"#)));
        golden(r#"20["foo"]"#, pkt(Event, "/", Some(0), 0, Some(r#"["foo"]"#)));
        golden(r#"3/admin,13["bar"]"#, pkt(Ack, "/admin", Some(13), 0, Some(r#"["bar"]"#)));
        golden("312[]", pkt(Ack, "/", Some(12), 0, Some("[]")));
        golden(
            r#"2["message",1,"2",{"3":[true]}]"#,
            pkt(Event, "/", None, 0, Some(r#"["message",1,"2",{"3":[true]}]"#)),
        );
        golden(
            r#"2456["message-with-ack",1,"2",{"3":[false]}]"#,
            pkt(Event, "/", Some(456), 0, Some(r#"["message-with-ack",1,"2",{"3":[false]}]"#)),
        );
        golden(r#"3456[1,"2",{"3":[false]}]"#, pkt(Ack, "/", Some(456), 0, Some(r#"[1,"2",{"3":[false]}]"#)));
        golden(r#"2/admin,1["tellme"]"#, pkt(Event, "/admin", Some(1), 0, Some(r#"["tellme"]"#)));
        // rust-socketio's golden packet.
        golden(r#"3/nsp,1001["event","text"]"#, pkt(Ack, "/nsp", Some(1001), 0, Some(r#"["event","text"]"#)));
        // Numeric event name (JS server >= 3.1).
        golden("2[42,true]", pkt(Event, "/", None, 0, Some("[42,true]")));
        golden("2[-1.5e3]", pkt(Event, "/", None, 0, Some("[-1.5e3]")));
        golden(&format!("2{}[\"x\"]", u64::MAX), pkt(Event, "/", Some(u64::MAX), 0, Some(r#"["x"]"#)));
    }

    #[test]
    fn golden_binary() {
        let ph0 = r#"{"_placeholder":true,"num":0}"#;
        let ph1 = r#"{"_placeholder":true,"num":1}"#;
        let d = format!(r#"["baz",{ph0}]"#);
        golden(&format!("51-{d}"), pkt(BinaryEvent, "/", None, 1, Some(&d)));
        let d = format!(r#"["baz",{ph0},{ph1}]"#);
        golden(&format!("52-/admin,{d}"), pkt(BinaryEvent, "/admin", None, 2, Some(&d)));
        let d = format!(r#"["foo",{ph0}]"#);
        golden(&format!("51-14{d}"), pkt(BinaryEvent, "/", Some(14), 1, Some(&d)));
        let d = format!(r#"["bar",{ph0}]"#);
        golden(&format!("61-15{d}"), pkt(BinaryAck, "/", Some(15), 1, Some(&d)));
        let d = format!("[{ph0}]");
        golden(&format!("61-/admin,1{d}"), pkt(BinaryAck, "/admin", Some(1), 1, Some(&d)));
        let d = format!(r#"["message",{ph0},{ph1}]"#);
        golden(&format!("52-789{d}"), pkt(BinaryEvent, "/", Some(789), 2, Some(&d)));
        let d = format!("[{ph0},{ph1}]");
        golden(&format!("62-789{d}"), pkt(BinaryAck, "/", Some(789), 2, Some(&d)));
        // `0-` is always written for binary types.
        golden(r#"50-["a"]"#, pkt(BinaryEvent, "/", None, 0, Some(r#"["a"]"#)));
        golden("60-3[]", pkt(BinaryAck, "/", Some(3), 0, Some("[]")));
        golden(r#"59999999999-["a"]"#, pkt(BinaryEvent, "/", None, 9_999_999_999, Some(r#"["a"]"#)));
    }

    #[test]
    fn lenient_namespace_without_comma() {
        assert_eq!(decode("0/custom"), Ok(pkt(Connect, "/custom", None, 0, None)));
        assert_eq!(decode("1/custom"), Ok(pkt(Disconnect, "/custom", None, 0, None)));
        assert_eq!(decode("0/random"), Ok(pkt(Connect, "/random", None, 0, None)));
        // Encoding is strict: always with the comma.
        assert_eq!(enc(&pkt(Connect, "/custom", None, 0, None)), "0/custom,");
        // SIO4 query in the namespace.
        assert_eq!(decode("0/admin?token=abc&x=1,"), Ok(pkt(Connect, "/admin?token=abc&x=1", None, 0, None)));
        // An explicit "/" namespace is accepted, and never written.
        assert_eq!(decode(r#"2/,["a"]"#), Ok(pkt(Event, "/", None, 0, Some(r#"["a"]"#))));
        assert_eq!(enc(&pkt(Event, "", None, 0, Some("[1]"))), "2[1]");
    }

    #[test]
    fn data_keeps_input_whitespace() {
        let p = decode("2/a,7 [ \"x\" , 1 ]\n").unwrap();
        assert_eq!(p.nsp, "/a");
        assert_eq!(p.id, Some(7));
        assert_eq!(p.data, Some(" [ \"x\" , 1 ]\n"));
        assert_eq!(decode("0 {}").unwrap().data, Some(" {}"));
    }

    #[test]
    fn rejections() {
        let bad = [
            "",
            "abc",
            "7",
            "9[\"a\"]",
            "-1",
            // §4.2 invalid examples (`4abc`, `42{}`, `42abc[…]` without the EIO `4`).
            "2{}",
            "2abc[\"a\"]",
            "2",
            "2[]",
            "2[\"connect\"]",
            "2[\"connect_error\"]",
            "2[\"disconnect\",1]",
            "2[\"disconnecting\"]",
            "2[\"newListener\"]",
            "2[\"removeListener\"]",
            "2[\"conn\\u0065ct\"]",
            "2[null]",
            "2[true]",
            "2[{}]",
            "2[[\"a\"]]",
            "2\"foo\"",
            "2[\"a\"] x",
            "2[\"a\"]]",
            "2[\"a\"",
            "2[\"a\",]",
            "2 ",
            "2/admin,",
            "2/admin,12",
            "3[\"x\"]",
            "3",
            "312",
            "312{}",
            "3/admin,[1]",
            "4",
            "4/admin,",
            "41",
            "4[\"x\"]",
            "4null",
            "0[]",
            "0\"x\"",
            "0{",
            "0{}{}",
            "1{",
            "1x",
            "5-[\"a\"]",
            "5[\"a\"]",
            "51[\"a\"]",
            "5a-[\"a\"]",
            "5+1-[\"a\"]",
            "5 1-[\"a\"]",
            "512345678901-[\"a\"]",
            "599999999999-[\"a\"]",
            "51-[]",
            "51-[\"connect\"]",
            "61-[]",
            "6-1[]",
            "2184467440737095516160[\"a\"]",
            "2[\"a\"\u{0}]",
            "2[\"\u{1}\"]",
        ];
        for b in bad {
            assert!(decode(b).is_err(), "accepted {b:?}: {:?}", decode(b));
        }
        assert_eq!(decode(""), Err(DecodeError("empty packet")));
        assert_eq!(decode("abc"), Err(DecodeError("unknown packet type")));
        assert_eq!(decode("2[\"connect\"]"), Err(DecodeError("reserved event name")));
        assert_eq!(decode("3[\"x\"]"), Err(DecodeError("ACK without id")));
        assert_eq!(decode("512345678901-[\"a\"]"), Err(DecodeError("attachment count too long")));
    }

    #[test]
    fn deep_nesting_does_not_crash() {
        // serde_json skips (ignores) nested values iteratively: deep but valid JSON is accepted.
        let deep = format!("2[\"a\",{}{}]", "[".repeat(100_000), "]".repeat(100_000));
        let p = decode(&deep).unwrap();
        assert_eq!(split_event(p.data.unwrap()).unwrap().args().len(), 200_002);
        let deep = format!("2[\"a\",{}]", "[".repeat(100_000));
        assert!(decode(&deep).is_err());
        let deep = format!("0{}", "{\"a\":".repeat(100_000));
        assert!(decode(&deep).is_err());
    }

    #[test]
    fn split_event_examples() {
        let parts = split_event(r#"["a",1,{"b":2}]"#).unwrap();
        assert_eq!(parts.name, "a");
        assert!(matches!(parts.name, Cow::Borrowed(_)));
        assert_eq!(parts.args(), r#"[1,{"b":2}]"#);

        let parts = split_event(r#"["a"]"#).unwrap();
        assert_eq!((&*parts.name, &*parts.args()), ("a", "[]"));

        let parts = split_event(r#" [ "q\"uo\\te\u00e9" , [ 1 , 2 ] , "x" ] "#).unwrap();
        assert_eq!(parts.name, "q\"uo\\teé");
        assert!(matches!(parts.name, Cow::Owned(_)));
        assert_eq!(parts.args(), r#"[[ 1 , 2 ] , "x"]"#);

        let parts = split_event("[42,null]").unwrap();
        assert_eq!((&*parts.name, &*parts.args()), ("42", "[null]"));
        let parts = split_event("[-1.5e3]").unwrap();
        assert_eq!((&*parts.name, &*parts.args()), ("-1.5e3", "[]"));

        // Element text is kept, not re-serialized.
        let parts = split_event(r#"["n",1.0e0,"\u0041",{"b":1,"a":2}]"#).unwrap();
        assert_eq!(parts.args(), r#"[1.0e0,"\u0041",{"b":1,"a":2}]"#);

        // Binary header payloads split the same way.
        let parts = split_event(r#"["baz",{"_placeholder":true,"num":0}]"#).unwrap();
        assert_eq!(parts.args(), r#"[{"_placeholder":true,"num":0}]"#);

        for bad in ["", "[]", "{}", "[null]", "[{}]", "[\"a\"", "[\"a\"] 1", "\"a\""] {
            assert!(split_event(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn encode_event_examples() {
        let ev = |nsp, id, name, args| {
            let mut out = String::new();
            encode_event(nsp, id, 0, name, args, &mut out);
            out
        };
        assert_eq!(ev("/", None, "foo", "[]"), r#"2["foo"]"#);
        assert_eq!(ev("/", None, "foo", "[ ]"), r#"2["foo"]"#);
        assert_eq!(ev("/", None, "foo", " \n[\t]\r "), r#"2["foo"]"#);
        assert_eq!(ev("/admin", None, "bar", r#"[1,{"a":true}]"#), r#"2/admin,["bar",1,{"a":true}]"#);
        assert_eq!(ev("/", Some(12), "foo", "[]"), r#"212["foo"]"#);
        assert_eq!(ev("/", Some(0), "foo", "[]"), r#"20["foo"]"#);
        assert_eq!(ev("/admin", Some(1), "tellme", "[]"), r#"2/admin,1["tellme"]"#);
        assert_eq!(ev("/", None, "a", " [ 1 , 2 ] "), r#"2["a",1 , 2]"#);
        assert_eq!(ev("/", None, "q\"\\\n\u{1}é🎉", "[]"), "2[\"q\\\"\\\\\\n\\u0001é🎉\"]");
        // Not bracketed: sent as one argument.
        assert_eq!(ev("/", None, "a", " 5 "), r#"2["a",5]"#);
        assert_eq!(ev("/", None, "a", ""), r#"2["a"]"#);
        // Appends.
        let mut out = String::from("4");
        encode_event("/", None, 0, "x", "[1]", &mut out);
        assert_eq!(out, r#"42["x",1]"#);
        // With attachments: a BINARY_EVENT, as in protocol.md §2.4.
        let ph = r#"[{"_placeholder":true,"num":0}]"#;
        let mut out = String::new();
        encode_event("/", None, 1, "baz", ph, &mut out);
        assert_eq!(out, r#"51-["baz",{"_placeholder":true,"num":0}]"#);
        let mut out = String::new();
        encode_event("/admin", Some(14), 2, "foo", "[]", &mut out);
        assert_eq!(out, r#"52-/admin,14["foo"]"#);
    }

    #[test]
    fn event_len_is_what_encode_event_appends() {
        let name = "q\"\\\n\r\t\u{8}\u{c}\u{1}é";
        for (nsp, id, attachments, args) in [
            ("/", None, 0, "[]"),
            ("", Some(0), 0, " [ 1 , 2 ] "),
            ("/admin", Some(9), 1, "[{\"_placeholder\":true,\"num\":0}]"),
            ("/a", Some(10), 12, "7"),
            ("/a", Some(u64::MAX), 0, "[\"x\"]"),
        ] {
            let mut out = String::new();
            encode_event(nsp, id, attachments, name, args, &mut out);
            assert_eq!(event_len(nsp, id, attachments, name, args), out.len(), "{out}");
        }
    }

    // ---- property tests ----

    fn arb_string() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "[a-z\"\\\\/ \u{0}-\u{1f}é€🎉\u{2028}]{0,12}",]
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e300f64..1e300).prop_map(Value::from),
            arb_string().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(arb_string(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn arb_object() -> impl Strategy<Value = Value> {
        prop::collection::btree_map(arb_string(), arb_json(), 0..5)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
    }

    fn arb_event_name() -> impl Strategy<Value = Value> {
        prop_oneof![
            arb_string()
                .prop_filter("reserved", |s| !crate::socketio::is_reserved_event(s))
                .prop_map(Value::String),
            any::<i64>().prop_map(Value::from),
            (-1e10f64..1e10).prop_map(Value::from),
        ]
    }

    fn arb_args() -> impl Strategy<Value = Vec<Value>> {
        prop::collection::vec(arb_json(), 0..5)
    }

    fn arb_type() -> impl Strategy<Value = PacketType> {
        prop::sample::select(vec![Connect, Disconnect, Event, Ack, ConnectError, BinaryEvent, BinaryAck])
    }

    /// A payload valid for `ty`, as JSON text.
    fn arb_data(ty: PacketType) -> BoxedStrategy<Option<String>> {
        match ty {
            Connect | Disconnect => prop::option::of(arb_object().prop_map(|v| v.to_string())).boxed(),
            Event | BinaryEvent => (arb_event_name(), arb_args())
                .prop_map(|(name, mut args)| {
                    args.insert(0, name);
                    Some(Value::Array(args).to_string())
                })
                .boxed(),
            Ack | BinaryAck => arb_args().prop_map(|a| Some(Value::Array(a).to_string())).boxed(),
            ConnectError => prop_oneof![
                arb_object().prop_map(|v| Some(v.to_string())),
                arb_string().prop_map(|s| Some(Value::String(s).to_string())),
            ]
            .boxed(),
        }
    }

    #[derive(Debug, Clone)]
    struct Owned {
        ty: PacketType,
        nsp: String,
        id: Option<u64>,
        attachments: usize,
        data: Option<String>,
    }

    fn arb_packet() -> impl Strategy<Value = Owned> {
        arb_type().prop_flat_map(|ty| {
            let nsp = prop_oneof![Just("/".to_string()), "/[a-z0-9_-]{1,10}"];
            let id = match ty {
                Ack | BinaryAck => any::<u64>().prop_map(Some).boxed(),
                _ => prop::option::of(any::<u64>()).boxed(),
            };
            let attachments = if ty.is_binary() { (0usize..=9_999_999_999).boxed() } else { Just(0).boxed() };
            (nsp, id, attachments, arb_data(ty)).prop_map(move |(nsp, id, attachments, data)| Owned {
                ty,
                nsp,
                id,
                attachments,
                data,
            })
        })
    }

    fn arb_wireish() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "[0-9]{0,3}-?(/[a-z,]{0,4})?[0-9]{0,22}[\\[\\]{}\",:0-9a-z -]{0,16}",]
    }

    proptest! {
        #[test]
        fn event_names_are_escaped_like_serde_json(name in "\\PC*|[\"\\\\\u{0}-\u{1f}a\u{7f}é🎉]{0,12}") {
            let mut out = String::new();
            push_json_string(&name, &mut out);
            prop_assert_eq!(out, serde_json::to_string(&name).unwrap());
        }

        #[test]
        fn roundtrip(o in arb_packet()) {
            let p = Packet {
                ty: o.ty,
                nsp: &o.nsp,
                id: o.id,
                attachments: o.attachments,
                data: o.data.as_deref(),
            };
            let text = enc(&p);
            prop_assert_eq!(decode(&text), Ok(p));
        }

        #[test]
        fn decode_never_panics(s in arb_wireish()) {
            if let Ok(p) = decode(&s) {
                if matches!(p.ty, Event | BinaryEvent) {
                    prop_assert!(split_event(p.data.unwrap_or("")).is_ok());
                }
                // Re-encoding and decoding again gives the same packet.
                let text = enc(&p);
                prop_assert_eq!(decode(&text), Ok(p));
            }
        }

        #[test]
        fn split_never_panics(s in arb_wireish()) {
            let _ = split_event(&s);
        }

        #[test]
        fn event_roundtrip(
            nsp in prop_oneof![Just("/".to_string()), "/[a-z0-9_-]{1,10}"],
            id in prop::option::of(any::<u64>()),
            name in arb_string().prop_filter("reserved", |s| !crate::socketio::is_reserved_event(s)),
            args in arb_args(),
            pretty in any::<bool>(),
            pad in "[ \t\r\n]{0,3}",
        ) {
            let args_value = Value::Array(args);
            let args_text = if pretty {
                serde_json::to_string_pretty(&args_value).unwrap()
            } else {
                args_value.to_string()
            };
            let args_text = format!("{pad}{args_text}{pad}");
            let mut out = String::new();
            encode_event(&nsp, id, 0, &name, &args_text, &mut out);
            prop_assert_eq!(event_len(&nsp, id, 0, &name, &args_text), out.len());
            let p = decode(&out).unwrap();
            prop_assert_eq!(p.ty, Event);
            prop_assert_eq!(p.nsp, nsp.as_str());
            prop_assert_eq!(p.id, id);
            let parts = split_event(p.data.unwrap()).unwrap();
            prop_assert_eq!(&*parts.name, name.as_str());
            // Compare parses of text (serde_json's float parsing is not exactly round-trip).
            let got: Value = serde_json::from_str(&parts.args()).unwrap();
            let want: Value = serde_json::from_str(&args_text).unwrap();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn json_helper_sanity() {
        // The generators' JSON is what serde_json prints; make sure decode accepts a sample.
        let v = json!(["ev", "q\"\\", {"k": [1, -2.5, null]}]);
        let text = format!("2{v}");
        assert!(decode(&text).is_ok());
    }
}
