//! Engine.IO packets as they travel in one WebSocket frame (`protocol.md` §1.3, §1.7).

use std::fmt;

/// The Engine.IO packet type: the digit that starts every text packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    Open,
    Close,
    Ping,
    Pong,
    Message,
    Upgrade,
    Noop,
}

/// A decoded text packet, borrowing its data from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    pub ty: PacketType,
    /// Everything after the type digit (may be empty).
    pub data: &'a str,
}

/// Why a frame is not an Engine.IO packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    Empty,
    UnknownType(u8),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => f.write_str("empty Engine.IO packet"),
            DecodeError::UnknownType(b) => {
                write!(f, "unknown Engine.IO packet type {:?}", *b as char)
            }
        }
    }
}

impl std::error::Error for DecodeError {}

impl PacketType {
    /// The ASCII digit of this type (`b'0'`..=`b'6'`).
    pub fn as_char(self) -> u8 {
        match self {
            PacketType::Open => b'0',
            PacketType::Close => b'1',
            PacketType::Ping => b'2',
            PacketType::Pong => b'3',
            PacketType::Message => b'4',
            PacketType::Upgrade => b'5',
            PacketType::Noop => b'6',
        }
    }

    /// The type for an ASCII digit, if it is one of the seven.
    pub fn from_char(c: u8) -> Option<PacketType> {
        Some(match c {
            b'0' => PacketType::Open,
            b'1' => PacketType::Close,
            b'2' => PacketType::Ping,
            b'3' => PacketType::Pong,
            b'4' => PacketType::Message,
            b'5' => PacketType::Upgrade,
            b'6' => PacketType::Noop,
            _ => return None,
        })
    }
}

/// Decodes one text packet (a WebSocket text frame, or one record of a polling payload).
pub fn decode(frame: &str) -> Result<Packet<'_>, DecodeError> {
    let &first = frame.as_bytes().first().ok_or(DecodeError::Empty)?;
    let ty = PacketType::from_char(first).ok_or(DecodeError::UnknownType(first))?;
    // The type is an ASCII digit, so index 1 is a char boundary.
    let data = frame.get(1..).unwrap_or("");
    Ok(Packet { ty, data })
}

/// Appends the text encoding of a packet (`<digit><data>`) to `out`.
pub fn encode(ty: PacketType, data: &str, out: &mut String) {
    out.reserve(1 + data.len());
    out.push(char::from(ty.as_char()));
    out.push_str(data);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALL: [PacketType; 7] = [
        PacketType::Open,
        PacketType::Close,
        PacketType::Ping,
        PacketType::Pong,
        PacketType::Message,
        PacketType::Upgrade,
        PacketType::Noop,
    ];

    fn enc(ty: PacketType, data: &str) -> String {
        let mut out = String::new();
        encode(ty, data, &mut out);
        out
    }

    #[test]
    fn type_digits() {
        for (i, ty) in ALL.iter().enumerate() {
            assert_eq!(ty.as_char(), b'0' + i as u8);
            assert_eq!(PacketType::from_char(b'0' + i as u8), Some(*ty));
        }
        assert_eq!(PacketType::from_char(b'7'), None);
        assert_eq!(PacketType::from_char(b'b'), None);
    }

    #[test]
    fn golden_frames() {
        let cases: &[(&str, PacketType, &str)] = &[
            ("2", PacketType::Ping, ""),
            ("3", PacketType::Pong, ""),
            ("2probe", PacketType::Ping, "probe"),
            ("3probe", PacketType::Pong, "probe"),
            ("5", PacketType::Upgrade, ""),
            ("6", PacketType::Noop, ""),
            ("1", PacketType::Close, ""),
            ("4", PacketType::Message, ""),
            ("4hello", PacketType::Message, "hello"),
            ("4€🎉", PacketType::Message, "€🎉"),
            ("42[\"foo\"]", PacketType::Message, "2[\"foo\"]"),
            (
                "0{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}",
                PacketType::Open,
                "{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}",
            ),
        ];
        for &(frame, ty, data) in cases {
            assert_eq!(decode(frame), Ok(Packet { ty, data }), "{frame}");
            assert_eq!(enc(ty, data), frame);
        }
    }

    #[test]
    fn rejects() {
        assert_eq!(decode(""), Err(DecodeError::Empty));
        assert_eq!(decode("7"), Err(DecodeError::UnknownType(b'7')));
        assert_eq!(decode("abc"), Err(DecodeError::UnknownType(b'a')));
        // A binary record of a polling payload is not a text packet.
        assert_eq!(decode("bAQIDBA=="), Err(DecodeError::UnknownType(b'b')));
        assert_eq!(decode("€"), Err(DecodeError::UnknownType(0xE2)));
    }

    proptest! {
        #[test]
        fn roundtrip(i in 0usize..7, data in any::<String>()) {
            let ty = ALL[i];
            let frame = enc(ty, &data);
            prop_assert_eq!(decode(&frame), Ok(Packet { ty, data: &data }));
        }

        #[test]
        fn decode_never_panics(s in any::<String>()) {
            let _ = decode(&s);
        }
    }
}
