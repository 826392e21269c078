//! One namespace as the I/O thread sees it: its state, its outbox (emits held until it is
//! connected, acks waited for), and the events received before its CONNECT reply. No I/O here.

use std::sync::Arc;

use super::outbox::Outbox;
use super::shared::AckTarget;
use super::{Event, Socket};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Not joined and not joining.
    Idle,
    /// Joining; `sent` once the CONNECT packet is on the wire.
    Connecting {
        sent: bool,
    },
    Connected,
}

pub(crate) struct Namespace {
    pub socket: Arc<Socket>,
    pub status: Status,
    /// Counts successful connects, so that a late answer to a server ack is not sent to a newer
    /// connection.
    pub connection: u64,
    pub outbox: Outbox<AckTarget>,
    /// Events that arrived before the CONNECT reply; delivered just before `connect`.
    pub receive_buffer: Vec<Event>,
    /// The auth request the CONNECT waits for (its token), while the provider has not answered.
    pub auth_request: Option<u64>,
    /// Connection state recovery: the private session id of the last CONNECT reply…
    pub pid: Option<String>,
    /// …and the offset of the last event received since (see [`Namespace::note_offset`]).
    pub offset: Option<String>,
}

impl Namespace {
    /// `retries`: see [`Outbox`].
    pub fn new(socket: Arc<Socket>, retries: u32) -> Namespace {
        Namespace {
            outbox: Outbox::new(socket.gauge.clone(), retries),
            socket,
            status: Status::Idle,
            connection: 0,
            receive_buffer: Vec::new(),
            auth_request: None,
            pid: None,
            offset: None,
        }
    }

    /// Forgets the session to recover (the namespace was left on purpose).
    pub fn forget_session(&mut self) {
        self.pid = None;
        self.offset = None;
    }

    /// An event without ack id arrived (`args_inner`: its arguments without the brackets). With
    /// a session to recover, a last argument that is a string is the server's offset, as the JS
    /// client takes it (it stays in the arguments the handlers see).
    pub fn note_offset(&mut self, args_inner: &str) {
        if self.pid.is_none() {
            return;
        }
        let array = format!("[{args_inner}]");
        let args = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(&array);
        if let Some(offset) =
            args.ok().and_then(|a| a.last().and_then(|v| serde_json::from_str(v.get()).ok()))
        {
            self.offset = Some(offset);
        }
    }

    /// The data of a CONNECT carrying `auth` (a JSON object): with a session to recover,
    /// `{"pid":…,"offset":…}` followed by the auth's keys, as the JS client sends it.
    pub fn connect_data(&self, auth: Option<&str>) -> Option<String> {
        let Some(pid) = &self.pid else { return auth.map(str::to_owned) };
        let mut data = serde_json::Map::new();
        data.insert("pid".into(), pid.clone().into());
        if let Some(offset) = &self.offset {
            data.insert("offset".into(), offset.clone().into());
        }
        if let Some(Ok(serde_json::Value::Object(fields))) = auth.map(serde_json::from_str) {
            data.extend(fields);
        }
        Some(serde_json::Value::Object(data).to_string())
    }

    /// Joined or joining: the Engine.IO session is needed.
    pub fn is_active(&self) -> bool {
        self.status != Status::Idle
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn namespace() -> Namespace {
        let client = crate::Client::new("http://127.0.0.1:9", crate::Options::default()).unwrap();
        Namespace::new(client.socket(Some("/"), None).unwrap(), 0)
    }

    #[test]
    fn offsets_are_noted_only_with_a_session_to_recover() {
        let mut n = namespace();
        n.note_offset(r#"{"i":0},"off1""#);
        assert_eq!(n.offset, None, "no pid: the server does not recover, strings are just strings");
        n.pid = Some("p".into());
        n.note_offset(r#"{"i":0},"off1""#);
        assert_eq!(n.offset.as_deref(), Some("off1"));
        n.note_offset(r#""off2",{"i":1}"#);
        n.note_offset("");
        n.note_offset("not json");
        assert_eq!(n.offset.as_deref(), Some("off1"), "only a last string argument is an offset");
        n.note_offset(r#""a\"b""#);
        assert_eq!(n.offset.as_deref(), Some("a\"b"));
        n.forget_session();
        assert_eq!((n.pid, n.offset), (None, None));
    }

    #[test]
    fn connect_data_carries_pid_and_offset_before_the_auth() {
        let mut n = namespace();
        assert_eq!(n.connect_data(None), None);
        assert_eq!(n.connect_data(Some(r#"{"token":"t"}"#)).as_deref(), Some(r#"{"token":"t"}"#));
        n.pid = Some("p1".into());
        let data = |n: &Namespace, auth| {
            serde_json::from_str::<serde_json::Value>(&n.connect_data(auth).unwrap()).unwrap()
        };
        assert_eq!(data(&n, None), serde_json::json!({ "pid": "p1" }), "no event yet: no offset");
        n.offset = Some("o1".into());
        assert_eq!(
            data(&n, Some(r#"{"token":"t"}"#)),
            serde_json::json!({ "pid": "p1", "offset": "o1", "token": "t" })
        );
    }
}
