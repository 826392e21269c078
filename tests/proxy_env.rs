//! The proxy environment variables, read as curl reads them. One test in its own process:
//! the environment is global.

mod common;

use common::capi::*;
use common::{TestProxy, TestServer};

#[test]
fn http_proxy_and_no_proxy_from_the_environment() {
    let server = TestServer::start(&[]);
    let proxy = TestProxy::start(&[]);
    let echo = || {
        let rec = Recorder::new(AckMode::Echo);
        let c = Client::connect(&server.url());
        let s = c.join(&rec, "/", None);
        emit(s, "echo", "[1]");
        rec.expect(T, "echo", |r| matches!(r, Rec::Event { name, .. } if name == "echo"));
    };
    let tunnels = || proxy.records().iter().filter(|r| r["type"] == "connect").count();
    // SAFETY (set_var): this test binary has this one test, so no other thread reads the
    // environment meanwhile (the libsio threads of earlier clients are gone).
    unsafe {
        std::env::remove_var("no_proxy");
        std::env::remove_var("NO_PROXY");
        std::env::set_var("http_proxy", proxy.url());
    }
    echo();
    assert!(tunnels() >= 1, "http_proxy is used for http:// URLs");
    let before = tunnels();
    unsafe { std::env::set_var("no_proxy", "example.com, 127.0.0.0/8") };
    echo();
    assert_eq!(tunnels(), before, "no_proxy sends 127.0.0.1 direct");
    unsafe {
        std::env::remove_var("no_proxy");
        std::env::remove_var("http_proxy");
        std::env::set_var("HTTP_PROXY", proxy.url());
    }
    echo();
    assert_eq!(tunnels(), before, "upper-case HTTP_PROXY is ignored, as by curl");
    unsafe { std::env::remove_var("HTTP_PROXY") };
}
