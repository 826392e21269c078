//! Connection options and the resolution of a user URL into the Engine.IO endpoint.

use std::time::Duration;

use crate::Error;

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
}

impl Default for Options {
    fn default() -> Options {
        Options {
            path: "/socket.io".into(),
            query: Vec::new(),
            headers: Vec::new(),
            connect_timeout: Duration::from_secs(20),
        }
    }
}

/// Where the Engine.IO session lives, and the namespace the URL names.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub websocket: url::Url,
    pub namespace: String,
}

impl Endpoint {
    /// Resolves `http://host:port/nsp?k=v` with `opts` into the WebSocket URL of the session.
    pub fn resolve(url: &str, opts: &Options) -> Result<Endpoint, Error> {
        let parsed = url::Url::parse(url).map_err(|e| Error::InvalidUrl(format!("{url}: {e}")))?;
        let scheme = match parsed.scheme() {
            "http" | "ws" => "ws",
            "https" | "wss" => {
                return Err(Error::InvalidUrl(format!("{url}: TLS (https/wss) is not supported yet")))
            }
            other => return Err(Error::InvalidUrl(format!("{url}: unsupported scheme \"{other}\""))),
        };
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(Error::InvalidUrl(format!("{url}: no host")));
        }
        for (name, value) in &opts.headers {
            check_header(name, value)?;
        }
        let namespace = normalize_namespace(parsed.path())?;
        let mut ws = parsed.clone();
        ws.set_scheme(scheme).map_err(|()| Error::InvalidUrl(url.into()))?;
        ws.set_fragment(None);
        let path = opts.path.trim_end_matches('/');
        ws.set_path(&format!("{path}/"));
        {
            let mut q = ws.query_pairs_mut();
            q.clear();
            for (k, v) in parsed.query_pairs().chain(opts.query.iter().map(|(k, v)| (k.into(), v.into()))) {
                q.append_pair(&k, &v);
            }
            q.append_pair("EIO", "4").append_pair("transport", "websocket");
        }
        Ok(Endpoint { websocket: ws, namespace })
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
            ep.websocket.as_str(),
            "ws://127.0.0.1:3000/socket.io/?x=1&token=a+b&EIO=4&transport=websocket"
        );
    }

    #[test]
    fn root_url_and_custom_path() {
        let opts = Options { path: "/custom/".into(), ..Options::default() };
        let ep = Endpoint::resolve("ws://localhost", &opts).unwrap();
        assert_eq!(ep.namespace, "/");
        assert_eq!(ep.websocket.as_str(), "ws://localhost/custom/?EIO=4&transport=websocket");
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
