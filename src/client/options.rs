//! Connection options and the resolution of a user URL into the Engine.IO endpoint.

use std::time::Duration;

pub use super::log::{Level, LogFn, Logger};
pub use crate::transport::tls::TlsOptions;
use crate::Error;

/// Which transports a client uses (`protocol.md` §1.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransportMode {
    /// HTTP long-polling first, then an upgrade to WebSocket if the server offers it (the JS
    /// client's default).
    #[default]
    Auto,
    /// WebSocket only.
    WebSocket,
    /// HTTP long-polling only.
    Polling,
}

/// Which Engine.IO / Socket.IO protocol revision to speak (`protocol.md` §2.1, §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProtocolMode {
    /// Engine.IO v4 + Socket.IO v5 first; Engine.IO v3 + Socket.IO v4 when the server turns out
    /// to be a socket.io 2.x server.
    #[default]
    Auto,
    /// Engine.IO v3 + Socket.IO v4 only (socket.io 2.x, or 3.x/4.x with `allowEIO3`).
    V3,
    /// Engine.IO v4 + Socket.IO v5 only (socket.io 3.x and 4.x).
    V4,
}

/// Which HTTP proxy to go through (both transports, with `CONNECT`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Proxy {
    /// As curl does: `https_proxy`/`HTTPS_PROXY` for TLS URLs, `http_proxy` for the others,
    /// `all_proxy`/`ALL_PROXY` otherwise, and never for hosts listed in `no_proxy`/`NO_PROXY`.
    #[default]
    FromEnvironment,
    /// No proxy, whatever the environment says.
    Direct,
    /// This proxy: `http://[user:password@]host[:port]`.
    Url(String),
}

/// Who runs the callbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DispatchMode {
    /// A dispatch thread of the client's own.
    #[default]
    Thread,
    /// The host, on its own threads, through the client's [`crate::client::Dispatcher`]:
    /// `dispatch` and `dispatch_wait`; `fd` tells when to.
    Manual,
    /// The client's I/O thread, right after each batch of frames and timers it handled: no
    /// thread hand-off, so the lowest latency, but a slow callback delays the heartbeat and all
    /// the I/O of the client.
    Inline,
}

/// How to reach the server. `Default` gives the JS client's defaults.
#[derive(Debug, Clone)]
pub struct Options {
    /// The Engine.IO path (`/socket.io` by default); a trailing `/` is added.
    pub path: String,
    /// Query parameters added to every request, after those of the URL.
    pub query: Vec<(String, String)>,
    /// Extra HTTP headers sent with the WebSocket handshake.
    pub headers: Vec<(String, String)>,
    /// Time allowed for the Engine.IO handshake of a connection (TCP, WebSocket and OPEN).
    pub connect_timeout: Duration,
    /// Which transports to use.
    pub transport: TransportMode,
    /// Which protocol revision to speak.
    pub protocol: ProtocolMode,
    /// The HTTP proxy.
    pub proxy: Proxy,
    /// Certificate verification and client certificate for `https://` and `wss://` URLs.
    pub tls: TlsOptions,
    /// Reconnect after the connection is lost (not after a disconnect asked for by either side).
    pub reconnection: bool,
    /// A failed first connection is retried like a lost one (with reconnection on); otherwise
    /// the namespaces get connect_error at once.
    pub retry_initial_connect: bool,
    /// Give up after this many failed attempts in a row (`None`: never).
    pub reconnection_attempts: Option<u32>,
    /// The first delay before reconnecting; it doubles with each failed attempt…
    pub reconnection_delay: Duration,
    /// …up to this.
    pub reconnection_delay_max: Duration,
    /// Jitter applied to each delay (0 to 1; 0: none).
    pub randomization_factor: f64,
    /// How long an emit with ack waits for the reply when it gives no timeout of its own
    /// (`None`: as long as the namespace stays connected).
    pub ack_timeout: Option<Duration>,
    /// How many emits a namespace holds while it is not connected (and, with `retries`, in its
    /// FIFO until acked) before emits fail with [`Error::BufferFull`]; also how many events from
    /// the server it holds before its CONNECT reply (more end the session: `receive buffer
    /// full`); 0: no limit.
    pub max_buffered: usize,
    /// With n > 0, every emit (but volatile ones) goes through a FIFO, one in flight at a time,
    /// and is sent again up to n times when no ack comes within the ack timeout (`protocol.md`
    /// §3.7).
    pub retries: u32,
    /// Who runs the callbacks.
    pub dispatch: DispatchMode,
    /// Where log lines go (nowhere by default).
    pub log: Logger,
    /// Largest message taken from the server, in bytes: a WebSocket message, a packet of a
    /// polling payload (text, or a binary attachment once decoded). A polling response body may
    /// be twice as large (base64 and batching). A server that sends more is disconnected with
    /// the reason `message too large`.
    pub max_message_size: usize,
    /// Most binary attachments one packet from the server may announce (socket.io-parser's
    /// default is 10); more disconnects it with the reason `too many attachments`.
    pub max_attachments: usize,
    /// While the server streams 8 messages or more per this window, the I/O thread reads them
    /// once per window instead of once per message (see `coalesce.rs`); zero reads every
    /// message as soon as it arrives. Never delays a reply to something sent.
    pub read_coalescing: Duration,
    /// Most callbacks waiting to run (events, acks, lifecycle notifications): when the server
    /// sends faster than they run, the client stops reading from it at this many, until half of
    /// them have run; 0: no limit.
    pub max_pending: usize,
}

/// The default [`Options::max_message_size`]: 16 MiB, tungstenite's own frame limit (and so what
/// WebSocket sessions already had).
const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 << 20;

/// The default [`Options::max_attachments`], socket.io-parser's (4.2.6+) default `maxAttachments`.
const DEFAULT_MAX_ATTACHMENTS: usize = 10;

/// The default [`Options::max_pending`].
const DEFAULT_MAX_PENDING: usize = 10_000;

/// The default [`Options::read_coalescing`].
const DEFAULT_READ_COALESCING: Duration = Duration::from_micros(400);

impl Default for Options {
    fn default() -> Options {
        Options {
            path: "/socket.io".into(),
            query: Vec::new(),
            headers: Vec::new(),
            connect_timeout: Duration::from_secs(20),
            transport: TransportMode::default(),
            protocol: ProtocolMode::default(),
            proxy: Proxy::default(),
            reconnection: true,
            retry_initial_connect: false,
            reconnection_attempts: None,
            reconnection_delay: Duration::from_millis(1000),
            reconnection_delay_max: Duration::from_millis(5000),
            randomization_factor: 0.5,
            ack_timeout: None,
            max_buffered: 1000,
            retries: 0,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_attachments: DEFAULT_MAX_ATTACHMENTS,
            read_coalescing: DEFAULT_READ_COALESCING,
            max_pending: DEFAULT_MAX_PENDING,
            tls: TlsOptions::default(),
            dispatch: DispatchMode::default(),
            log: Logger::default(),
        }
    }
}

/// Where the Engine.IO session lives, and the namespace the URL names.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    /// `http(s)://host:port/<engine path>/?<user query>`: what every request URL starts from.
    base: url::Url,
    pub namespace: String,
}

impl Endpoint {
    /// Resolves `http://host:port/nsp?k=v` (or `ws://`, `https://`, `wss://`) with `opts`.
    pub fn resolve(url: &str, opts: &Options) -> Result<Endpoint, Error> {
        let parsed = url::Url::parse(url).map_err(|e| Error::InvalidUrl(format!("{url}: {e}")))?;
        let scheme = match parsed.scheme() {
            "http" | "ws" => "http",
            "https" | "wss" => "https",
            other => return Err(Error::InvalidUrl(format!("{url}: unsupported scheme \"{other}\""))),
        };
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(Error::InvalidUrl(format!("{url}: no host")));
        }
        for (name, value) in &opts.headers {
            check_header(name, value)?;
        }
        let namespace = normalize_namespace(parsed.path())?;
        let mut base = parsed.clone();
        base.set_scheme(scheme).map_err(|()| Error::InvalidUrl(url.into()))?;
        base.set_fragment(None);
        base.set_path(&format!("{}/", opts.path.trim_end_matches('/')));
        {
            let mut q = base.query_pairs_mut();
            q.clear();
            for (k, v) in parsed.query_pairs().chain(opts.query.iter().map(|(k, v)| (k.into(), v.into()))) {
                q.append_pair(&k, &v);
            }
        }
        Ok(Endpoint { base, namespace })
    }

    /// The server's host name or address.
    pub fn host(&self) -> &str {
        self.base.host_str().unwrap_or_default()
    }

    /// Whether the server is reached over TLS.
    pub fn is_secure(&self) -> bool {
        self.base.scheme() == "https"
    }

    /// The URL of one request: Engine.IO revision `eio`, `transport` (`"websocket"`, with a
    /// `ws(s)` scheme, or `"polling"`), and the session id once there is one. `extra` query
    /// pairs follow (e.g. the cache buster `t`).
    pub fn url(&self, eio: u8, transport: &str, sid: Option<&str>, extra: &[(&str, &str)]) -> url::Url {
        let mut url = self.base.clone();
        if transport == "websocket" {
            // Infallible: http(s) and ws(s) are all "special" schemes.
            let _ = url.set_scheme(if self.is_secure() { "wss" } else { "ws" });
        }
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("EIO", if eio == 3 { "3" } else { "4" }).append_pair("transport", transport);
            if let Some(sid) = sid {
                q.append_pair("sid", sid);
            }
            for (k, v) in extra {
                q.append_pair(k, v);
            }
        }
        url
    }
}

/// Checks that `name: value` can be sent as an HTTP header.
pub(crate) fn check_header(name: &str, value: &str) -> Result<(), Error> {
    use tungstenite::http::{HeaderName, HeaderValue};
    HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| Error::InvalidArgument(format!("invalid header name {name:?}")))?;
    HeaderValue::from_str(value)
        .map_err(|_| Error::InvalidArgument(format!("invalid value for header {name}")))?;
    Ok(())
}

/// `chat` and `/chat` name the same namespace; the empty name is `/`.
pub(crate) fn normalize_namespace(nsp: &str) -> Result<String, Error> {
    if nsp.contains(',') {
        return Err(Error::InvalidArgument(format!("namespace \"{nsp}\" contains ','")));
    }
    Ok(if nsp.starts_with('/') { nsp.to_owned() } else { format!("/{nsp}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_path_is_the_namespace_and_query_is_merged() {
        let opts = Options { query: vec![("token".into(), "a b".into())], ..Options::default() };
        let ep = Endpoint::resolve("http://127.0.0.1:3000/admin?x=1", &opts).unwrap();
        assert_eq!(ep.namespace, "/admin");
        assert_eq!(
            ep.url(4, "websocket", None, &[]).as_str(),
            "ws://127.0.0.1:3000/socket.io/?x=1&token=a+b&EIO=4&transport=websocket"
        );
        assert_eq!(
            ep.url(3, "polling", Some("s1d"), &[("t", "x")]).as_str(),
            "http://127.0.0.1:3000/socket.io/?x=1&token=a+b&EIO=3&transport=polling&sid=s1d&t=x"
        );
    }

    #[test]
    fn root_url_and_custom_path() {
        let opts = Options { path: "/custom/".into(), ..Options::default() };
        let ep = Endpoint::resolve("ws://localhost", &opts).unwrap();
        assert_eq!(ep.namespace, "/");
        assert_eq!(
            ep.url(4, "websocket", None, &[]).as_str(),
            "ws://localhost/custom/?EIO=4&transport=websocket"
        );
    }

    #[test]
    fn https_and_wss_are_secure() {
        for url in ["https://example.test/", "wss://example.test:8443/"] {
            let ep = Endpoint::resolve(url, &Options::default()).unwrap();
            assert!(ep.is_secure(), "{url}");
            assert_eq!(ep.url(4, "websocket", None, &[]).scheme(), "wss");
            assert_eq!(ep.url(4, "polling", None, &[]).scheme(), "https");
        }
        let ep = Endpoint::resolve("wss://example.test/", &Options::default()).unwrap();
        assert_eq!(ep.url(4, "websocket", None, &[]).port_or_known_default(), Some(443));
        assert!(!Endpoint::resolve("ws://example.test/", &Options::default()).unwrap().is_secure());
    }

    #[test]
    fn bad_urls_are_rejected() {
        for url in ["", "localhost:3000", "ftp://x/", "http://"] {
            assert!(
                matches!(Endpoint::resolve(url, &Options::default()), Err(Error::InvalidUrl(_))),
                "{url}"
            );
        }
    }

    #[test]
    fn namespaces_get_a_leading_slash() {
        assert_eq!(normalize_namespace("chat").unwrap(), "/chat");
        assert_eq!(normalize_namespace("").unwrap(), "/");
        assert!(normalize_namespace("/a,b").is_err());
    }
}
