//! The OPEN packet's handshake JSON (`protocol.md` §1.4).

use std::time::Duration;

use serde::Deserialize;

/// What the server said in its OPEN packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// The Engine.IO session id.
    pub sid: String,
    /// Transports the client may upgrade to.
    pub upgrades: Vec<String>,
    pub ping_interval: Duration,
    pub ping_timeout: Duration,
    /// The largest payload the server accepts; `None` when the server does not say.
    pub max_payload: Option<u64>,
}

/// Why an OPEN payload was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeError(pub String);

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid handshake: {}", self.0)
    }
}

impl std::error::Error for HandshakeError {}

impl Handshake {
    /// Parses the data of an OPEN packet (the JSON after the `0`).
    ///
    /// Key order does not matter and unknown keys are ignored; `upgrades` defaults to empty and
    /// `maxPayload` (absent or `null`) to `None`. The times must be non-negative integers (ms).
    pub fn parse(data: &str) -> Result<Handshake, HandshakeError> {
        // serde's derived struct visitor would also accept a JSON array; require an object.
        if !data.trim_start_matches([' ', '\t', '\n', '\r']).starts_with('{') {
            return Err(HandshakeError("not a JSON object".into()));
        }
        let raw: RawHandshake = serde_json::from_str(data).map_err(|e| HandshakeError(e.to_string()))?;
        if raw.sid.is_empty() {
            return Err(HandshakeError("empty sid".into()));
        }
        Ok(Handshake {
            sid: raw.sid,
            upgrades: raw.upgrades,
            ping_interval: Duration::from_millis(raw.ping_interval),
            ping_timeout: Duration::from_millis(raw.ping_timeout),
            max_payload: raw.max_payload,
        })
    }
}

/// The wire shape of the OPEN JSON.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHandshake {
    sid: String,
    #[serde(default)]
    upgrades: Vec<String>,
    ping_interval: u64,
    ping_timeout: u64,
    #[serde(default)]
    max_payload: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn protocol_example() {
        let h = Handshake::parse(
            r#"{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#,
        )
        .unwrap();
        assert_eq!(
            h,
            Handshake {
                sid: "lv_VI97HAXpY6yYWAAAC".into(),
                upgrades: vec!["websocket".into()],
                ping_interval: ms(25000),
                ping_timeout: ms(20000),
                max_payload: Some(1_000_000),
            }
        );
    }

    #[test]
    fn websocket_only_and_eio3_shapes() {
        // WebSocket-only: no upgrades. engine.io 3.x: no maxPayload.
        let h = Handshake::parse(r#"{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":5000}"#)
            .unwrap();
        assert!(h.upgrades.is_empty());
        assert_eq!(h.ping_timeout, ms(5000));
        assert_eq!(h.max_payload, None);
    }

    #[test]
    fn key_order_unknown_keys_and_whitespace() {
        // python-engineio order (pingTimeout first), an unknown key, and spacing.
        let h = Handshake::parse(
            " { \"pingTimeout\": 20000, \"extra\": {\"x\": [1, 2]}, \"upgrades\": [\"websocket\"],\n\
             \"pingInterval\": 25000, \"sid\": \"s1\", \"maxPayload\": null } ",
        )
        .unwrap();
        assert_eq!(h.sid, "s1");
        assert_eq!(h.ping_interval, ms(25000));
        assert_eq!(h.ping_timeout, ms(20000));
        assert_eq!(h.max_payload, None);
        // Missing upgrades is tolerated.
        let h = Handshake::parse(r#"{"sid":"s","pingInterval":1,"pingTimeout":2}"#).unwrap();
        assert!(h.upgrades.is_empty());
    }

    #[test]
    fn rejects() {
        let bad = [
            "",
            "null",
            "[]",
            r#"["s",[],1,2]"#,
            r#"{"upgrades":[],"pingInterval":1,"pingTimeout":2}"#,
            r#"{"sid":"s","pingTimeout":2}"#,
            r#"{"sid":"s","pingInterval":1}"#,
            r#"{"sid":"","pingInterval":1,"pingTimeout":2}"#,
            r#"{"sid":1,"pingInterval":1,"pingTimeout":2}"#,
            r#"{"sid":"s","pingInterval":-1,"pingTimeout":2}"#,
            r#"{"sid":"s","pingInterval":1.5,"pingTimeout":2}"#,
            r#"{"sid":"s","pingInterval":"1","pingTimeout":2}"#,
            r#"{"sid":"s","pingInterval":1,"pingTimeout":2,"maxPayload":-5}"#,
            r#"{"sid":"s","pingInterval":1,"pingTimeout":2,"maxPayload":1e6}"#,
            r#"{"sid":"s","pingInterval":1,"pingTimeout":2,"upgrades":"websocket"}"#,
            r#"{"sid":"s","pingInterval":1,"pingTimeout":2} x"#,
            r#"{"sid":"s","pingInterval":1,"pingTimeout":2"#,
        ];
        for b in bad {
            assert!(Handshake::parse(b).is_err(), "{b}");
        }
    }

    #[test]
    fn huge_values_do_not_panic() {
        let h = Handshake::parse(&format!(
            r#"{{"sid":"s","pingInterval":{m},"pingTimeout":{m},"maxPayload":{m}}}"#,
            m = u64::MAX
        ))
        .unwrap();
        assert_eq!(h.ping_interval, ms(u64::MAX));
        assert!(
            Handshake::parse(r#"{"sid":"s","pingInterval":18446744073709551616,"pingTimeout":1}"#).is_err()
        );
    }
}
