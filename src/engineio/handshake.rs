//! The OPEN packet's handshake JSON (`protocol.md` §1.4).

use std::time::Duration;

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
    pub fn parse(data: &str) -> Result<Handshake, HandshakeError> {
        todo!()
    }
}
