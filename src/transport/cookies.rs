//! The cookies the server sets on HTTP responses (a load balancer's stickiness cookie, engine.io's
//! `io` cookie), kept for the client's lifetime and sent back on every later request of the
//! client, the WebSocket upgrade included. Sans-IO: the caller gives the clock.
//!
//! A client talks to one origin (one host and port), so cookies are kept per name and path
//! (RFC 6265 §5.3) without Domain scoping; Path and Secure decide whether one applies to a
//! request, Max-Age and Expires how long it lives. The jar is bounded against a server that
//! sets without end: at most `MAX_COOKIES` (the oldest goes), each at most `MAX_COOKIE_SIZE`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The most cookies kept; setting one more drops the oldest.
const MAX_COOKIES: usize = 50;
/// The largest cookie kept (name and value, in bytes; RFC 6265 §6.1's minimum); larger ones are
/// ignored.
const MAX_COOKIE_SIZE: usize = 4096;

/// The cookies of one client.
#[derive(Debug, Default)]
pub struct CookieJar {
    /// Oldest first.
    cookies: Vec<Stored>,
}

#[derive(Debug)]
struct Stored {
    name: String,
    value: String,
    path: String,
    secure: bool,
    /// `None`: until the client is freed (a session cookie).
    expires: Option<SystemTime>,
}

impl CookieJar {
    /// Takes the value of a `Set-Cookie` header of the response to a request for `request_path`.
    /// A malformed or oversized cookie is ignored; one that has expired removes the cookie of
    /// that name and path.
    pub fn store(&mut self, set_cookie: &str, request_path: &str, now: SystemTime) {
        let Ok(c) = cookie::Cookie::parse(set_cookie) else {
            return;
        };
        if c.name().len() + c.value().len() > MAX_COOKIE_SIZE {
            return;
        }
        let path = match c.path() {
            Some(p) if p.starts_with('/') => p.to_owned(),
            _ => default_path(request_path).to_owned(),
        };
        // Max-Age wins over Expires (§5.3 step 3); 0 or less, or a past date, deletes.
        let expires = match (c.max_age(), c.expires_datetime()) {
            (Some(age), _) => Some(match u64::try_from(age.whole_seconds()) {
                Ok(secs) if secs > 0 => now.checked_add(Duration::from_secs(secs)).unwrap_or(now),
                _ => UNIX_EPOCH,
            }),
            (None, Some(at)) => Some(match u64::try_from(at.unix_timestamp()) {
                Ok(secs) => UNIX_EPOCH + Duration::from_secs(secs),
                Err(_) => UNIX_EPOCH,
            }),
            (None, None) => None,
        };
        self.cookies.retain(|s| !(s.name == c.name() && s.path == path));
        if expires.is_some_and(|t| t <= now) {
            return;
        }
        if self.cookies.len() == MAX_COOKIES {
            self.cookies.remove(0);
        }
        self.cookies.push(Stored {
            name: c.name().to_owned(),
            value: c.value().to_owned(),
            path,
            secure: c.secure().unwrap_or(false),
            expires,
        });
    }

    /// The `Cookie` header for a request for `path` (`secure`: over TLS), or `None` when no
    /// cookie applies. Expired cookies are dropped here.
    pub fn header(&mut self, path: &str, secure: bool, now: SystemTime) -> Option<String> {
        self.cookies.retain(|s| s.expires.is_none_or(|t| t > now));
        let mut header = String::new();
        for s in self.cookies.iter().filter(|s| (secure || !s.secure) && path_matches(path, &s.path)) {
            if !header.is_empty() {
                header.push_str("; ");
            }
            header.push_str(&s.name);
            header.push('=');
            header.push_str(&s.value);
        }
        (!header.is_empty()).then_some(header)
    }
}

/// RFC 6265 §5.1.4: the directory of the request path, for a cookie without a Path.
fn default_path(request_path: &str) -> &str {
    match request_path.rfind('/') {
        Some(i) if i > 0 && request_path.starts_with('/') => &request_path[..i],
        _ => "/",
    }
}

/// RFC 6265 §5.1.4: whether a cookie for `cookie_path` goes with a request for `request_path`.
fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    match request_path.strip_prefix(cookie_path) {
        Some(rest) => rest.is_empty() || cookie_path.ends_with('/') || rest.starts_with('/'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "/socket.io/";

    fn t(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
    }

    fn jar(set: &[&str]) -> CookieJar {
        let mut jar = CookieJar::default();
        for s in set {
            jar.store(s, PATH, t(0));
        }
        jar
    }

    #[test]
    fn sends_back_what_the_server_set_in_order_and_replaces_by_name() {
        let mut j = jar(&["io=abc; Path=/; HttpOnly; SameSite=Lax", "lb=node-2", "io=def; Path=/"]);
        assert_eq!(j.header(PATH, false, t(1)).as_deref(), Some("lb=node-2; io=def"));
    }

    #[test]
    fn nothing_to_send_is_none() {
        assert_eq!(CookieJar::default().header(PATH, false, t(0)), None);
        assert_eq!(jar(&["", "=x", "no-equals-sign"]).header(PATH, false, t(0)), None);
    }

    #[test]
    fn max_age_and_expires_bound_the_life_and_max_age_wins() {
        let mut j = jar(&[
            "short=1; Max-Age=10",
            "dated=1; Expires=Wed, 21 Oct 2065 07:28:00 GMT",
            "both=1; Max-Age=10; Expires=Wed, 21 Oct 2065 07:28:00 GMT",
        ]);
        assert_eq!(j.header(PATH, false, t(9)).as_deref(), Some("short=1; dated=1; both=1"));
        assert_eq!(j.header(PATH, false, t(10)).as_deref(), Some("dated=1"));
        assert_eq!(j.header(PATH, false, UNIX_EPOCH + Duration::from_secs(3_100_000_000)), None);
    }

    #[test]
    fn an_expired_cookie_deletes_its_namesake() {
        let mut j = jar(&["a=1", "b=2", "a=; Max-Age=0", "b=; Expires=Thu, 01 Jan 1970 00:00:00 GMT"]);
        assert_eq!(j.header(PATH, false, t(0)), None);
        let mut j = jar(&["a=1", "a=2; Max-Age=-5"]);
        assert_eq!(j.header(PATH, false, t(0)), None);
    }

    #[test]
    fn path_and_secure_decide_where_a_cookie_goes() {
        let mut j =
            jar(&["root=1; Path=/", "here=1; Path=/socket.io", "other=1; Path=/admin", "tls=1; Secure"]);
        assert_eq!(j.header(PATH, false, t(0)).as_deref(), Some("root=1; here=1"));
        assert_eq!(j.header(PATH, true, t(0)).as_deref(), Some("root=1; here=1; tls=1"));
        assert_eq!(j.header("/socket.iox/", false, t(0)).as_deref(), Some("root=1"));
        assert_eq!(j.header("/admin/x", false, t(0)).as_deref(), Some("root=1; other=1"));
    }

    #[test]
    fn without_a_path_a_cookie_is_for_the_request_directory() {
        assert_eq!(default_path("/socket.io/"), "/socket.io");
        assert_eq!(default_path("/engine"), "/");
        assert_eq!(default_path("relative"), "/");
        let mut j = CookieJar::default();
        j.store("a=1", "/a/b/c", t(0));
        j.store("same=1; Path=relative", "/a/b", t(0));
        assert_eq!(j.header("/a/b/x", false, t(0)).as_deref(), Some("a=1; same=1"));
        assert_eq!(j.header("/a/x", false, t(0)).as_deref(), Some("same=1"));
        assert_eq!(j.header("/", false, t(0)), None);
    }

    #[test]
    fn the_jar_is_bounded_in_count_and_size() {
        let mut j = CookieJar::default();
        for i in 0..MAX_COOKIES + 5 {
            j.store(&format!("c{i}=v"), PATH, t(0));
        }
        let header = j.header(PATH, false, t(0)).unwrap();
        assert_eq!(header.split("; ").count(), MAX_COOKIES);
        assert!(header.starts_with("c5=v; c6=v"), "{header}");
        j.store(&format!("big={}", "x".repeat(MAX_COOKIE_SIZE)), PATH, t(0));
        assert!(!j.header(PATH, false, t(0)).unwrap().contains("big="));
    }
}
