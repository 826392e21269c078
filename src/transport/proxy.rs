//! HTTP proxies: which one applies to a URL (the environment read as curl reads it), and the
//! `CONNECT` exchange that opens a tunnel through it. No I/O here: the transports do it.

use base64::Engine as _;

use crate::client::options::Proxy;
use crate::Error;

/// A proxy to tunnel through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyServer {
    pub host: String,
    pub port: u16,
    /// `user:password` for basic authentication (percent-decoded).
    pub credentials: Option<(String, String)>,
    /// The URL as given, for ureq.
    pub url: String,
}

impl ProxyServer {
    /// Parses `http://[user:password@]host[:port]` (a URL without scheme is http, as in curl;
    /// the port defaults to 1080, as in curl).
    pub fn parse(text: &str) -> Result<ProxyServer, Error> {
        let with_scheme = if text.contains("://") { text.to_owned() } else { format!("http://{text}") };
        let url =
            url::Url::parse(&with_scheme).map_err(|e| Error::InvalidUrl(format!("proxy {text}: {e}")))?;
        if url.scheme() != "http" {
            return Err(Error::InvalidUrl(format!("proxy {text}: only http:// proxies are supported")));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Error::InvalidUrl(format!("proxy {text}: no host")))?;
        let decode = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned())
        };
        let credentials = if url.username().is_empty() {
            None
        } else {
            let user = decode(url.username()).unwrap_or_default();
            let password = url.password().and_then(decode).unwrap_or_default();
            Some((user, password))
        };
        Ok(ProxyServer {
            host: host.trim_start_matches('[').trim_end_matches(']').to_owned(),
            port: url.port().unwrap_or(1080),
            credentials,
            url: with_scheme,
        })
    }

    /// The request that opens a tunnel to `host:port`.
    pub fn connect_request(&self, host: &str, port: u16) -> String {
        let target = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
        let mut req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
        if let Some((user, password)) = &self.credentials {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            req.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
        }
        req.push_str("\r\n");
        req
    }
}

/// Reads the proxy's answer to `CONNECT` from `buf`: `Ok(None)` while the header is incomplete,
/// `Ok(Some(n))` when the tunnel is open (`n` bytes of `buf` were the header), an error if the
/// proxy refused.
pub fn connect_response(buf: &[u8]) -> Result<Option<usize>, String> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        if buf.len() > 16 * 1024 {
            return Err("the proxy's answer to CONNECT is too long".into());
        }
        return Ok(None);
    };
    let head = String::from_utf8_lossy(&buf[..end]);
    let status_line = head.lines().next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let (version, code) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    if !version.starts_with("HTTP/1.") {
        return Err(format!("the proxy answered CONNECT with {status_line:?}"));
    }
    match code {
        "200" => Ok(Some(end + 4)),
        "407" => {
            Err("the proxy requires authentication (HTTP 407): give user:password in the proxy URL".into())
        }
        _ => Err(format!("the proxy refused CONNECT: {status_line}")),
    }
}

/// The proxy for a connection to `host` (`secure`: an https/wss URL), as `setting` says;
/// `env` reads an environment variable.
pub fn resolve(
    setting: &Proxy,
    secure: bool,
    host: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<ProxyServer>, Error> {
    match setting {
        Proxy::Direct => Ok(None),
        Proxy::Url(url) => ProxyServer::parse(url).map(Some),
        Proxy::FromEnvironment => {
            let var = |names: &[&str]| names.iter().find_map(|n| env(n).filter(|v| !v.trim().is_empty()));
            // curl reads `http_proxy` in lower case only (HTTP_PROXY can be set by CGI servers).
            let proxy = if secure { var(&["https_proxy", "HTTPS_PROXY"]) } else { var(&["http_proxy"]) }
                .or_else(|| var(&["all_proxy", "ALL_PROXY"]));
            let Some(proxy) = proxy else { return Ok(None) };
            if var(&["no_proxy", "NO_PROXY"]).is_some_and(|list| no_proxy_matches(&list, host)) {
                return Ok(None);
            }
            ProxyServer::parse(proxy.trim()).map(Some)
        }
    }
}

/// Whether `host` is in a `no_proxy` list as curl reads it: `*` matches everything; a name
/// matches itself and its subdomains (a leading `.` is ignored); an IP address matches itself
/// or a CIDR range.
pub fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let ip: Option<std::net::IpAddr> = host.parse().ok();
    list.split(',').map(str::trim).filter(|e| !e.is_empty()).any(|entry| {
        if entry == "*" {
            return true;
        }
        let entry = entry.trim_start_matches('.').to_ascii_lowercase();
        let entry = entry.trim_start_matches('[').trim_end_matches(']');
        if let (Some(ip), Some((net, bits))) = (ip, entry.split_once('/')) {
            return cidr_contains(net, bits, ip);
        }
        host == entry || host.ends_with(&format!(".{entry}"))
    })
}

fn cidr_contains(net: &str, bits: &str, ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else { return false };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) if bits <= 32 => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) if bits <= 128 => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    fn host_of(p: Option<ProxyServer>) -> Option<String> {
        p.map(|p| format!("{}:{}", p.host, p.port))
    }

    #[test]
    fn environment_as_curl_reads_it() {
        let e = env(&[("http_proxy", "p1:3128"), ("HTTPS_PROXY", "http://p2:8080"), ("ALL_PROXY", "p3")]);
        let r = |secure| host_of(resolve(&Proxy::FromEnvironment, secure, "example.com", &e).unwrap());
        assert_eq!(r(false).as_deref(), Some("p1:3128"));
        assert_eq!(r(true).as_deref(), Some("p2:8080"));
        // Upper-case HTTP_PROXY is ignored (as in curl); ALL_PROXY is the fallback.
        let e = env(&[("HTTP_PROXY", "bad:1"), ("ALL_PROXY", "p3")]);
        assert_eq!(
            host_of(resolve(&Proxy::FromEnvironment, false, "h", &e).unwrap()).as_deref(),
            Some("p3:1080")
        );
        assert_eq!(resolve(&Proxy::FromEnvironment, false, "h", env(&[])).unwrap(), None);
        // Explicit settings win over the environment.
        let e = env(&[("http_proxy", "p1:3128")]);
        assert_eq!(resolve(&Proxy::Direct, false, "h", &e).unwrap(), None);
        let explicit = resolve(&Proxy::Url("http://u:p%40ss@px:9".into()), false, "h", &e).unwrap().unwrap();
        assert_eq!((explicit.host.as_str(), explicit.port), ("px", 9));
        assert_eq!(explicit.credentials, Some(("u".into(), "p@ss".into())));
    }

    #[test]
    fn no_proxy_lists() {
        for (list, host, hit) in [
            ("*", "anything", true),
            ("example.com", "example.com", true),
            ("example.com", "api.example.com", true),
            (".example.com", "api.example.com", true),
            ("example.com", "notexample.com", false),
            ("localhost, 127.0.0.1", "127.0.0.1", true),
            ("10.0.0.0/8", "10.1.2.3", true),
            ("10.0.0.0/8", "11.1.2.3", false),
            ("::1", "[::1]", true),
            ("fd00::/8", "fd12::1", true),
            ("", "h", false),
        ] {
            assert_eq!(no_proxy_matches(list, host), hit, "{list:?} {host:?}");
        }
        let e = env(&[("http_proxy", "p1:3128"), ("no_proxy", "127.0.0.1")]);
        assert_eq!(resolve(&Proxy::FromEnvironment, false, "127.0.0.1", &e).unwrap(), None);
    }

    #[test]
    fn bad_proxy_urls() {
        assert!(ProxyServer::parse("https://p:1").is_err());
        assert!(ProxyServer::parse("http://").is_err());
        assert!(ProxyServer::parse("http://:8").is_err());
    }

    #[test]
    fn connect_exchange() {
        let p = ProxyServer::parse("http://user:pw@proxy:3128").unwrap();
        assert_eq!(
            p.connect_request("example.com", 443),
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: Basic dXNlcjpwdw==\r\n\r\n"
        );
        assert_eq!(p.connect_request("::1", 80).lines().next(), Some("CONNECT [::1]:80 HTTP/1.1"));
        assert_eq!(connect_response(b"HTTP/1.1 200 Connection established\r\n"), Ok(None));
        assert_eq!(connect_response(b"HTTP/1.1 200 OK\r\nX: y\r\n\r\nrest"), Ok(Some(25)));
        assert!(connect_response(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
            .unwrap_err()
            .contains("407"));
        assert!(connect_response(b"HTTP/1.0 403 Forbidden\r\n\r\n").unwrap_err().contains("403"));
        assert!(connect_response(b"SSH-2.0\r\n\r\n").is_err());
    }
}
