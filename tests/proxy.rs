//! Both transports through a real HTTP proxy (npm `proxy`), with and without basic auth,
//! through the C ABI.

mod common;

use common::capi::*;
use common::{TestProxy, TestServer};
use serde_json::json;
use sio::ffi::sio_transport::*;
use sio::ffi::*;

fn client(server: &TestServer, transport: sio_transport, proxy: &str) -> Client {
    let opts = sio_options_new();
    unsafe {
        assert_eq!(sio_options_set_transport(opts, transport as i32), sio_result::SIO_OK);
        assert_eq!(sio_options_set_proxy(opts, cs(proxy).as_ptr()), sio_result::SIO_OK);
    }
    let c = Client::connect_with(&server.url(), opts);
    unsafe { sio_options_free(opts) };
    c
}

fn echo_through(server: &TestServer, transport: sio_transport, proxy: &str) {
    let rec = Recorder::new(AckMode::Echo);
    let c = client(server, transport, proxy);
    let s = c.join(&rec, "/", None);
    emit(s, "echo", r#"["through the proxy", {"ü": [1]}]"#);
    let Rec::Event { args, .. } =
        rec.expect(T, "echo", |r| matches!(r, Rec::Event { name, .. } if name == "echo"))
    else {
        unreachable!()
    };
    assert_eq!(args, json!(["through the proxy", { "ü": [1] }]));
    assert_eq!(unsafe { sio_client_close(c.ptr) }, sio_result::SIO_OK);
    assert_eq!(c.wait(5000), sio_result::SIO_OK);
}

#[test]
fn every_transport_tunnels_through_the_proxy() {
    let server = TestServer::start(&[]);
    let proxy = TestProxy::start(&[]);
    let target = format!("127.0.0.1:{}", server.port());
    for transport in [SIO_TRANSPORT_WEBSOCKET, SIO_TRANSPORT_POLLING, SIO_TRANSPORT_AUTO] {
        echo_through(&server, transport, &proxy.url());
    }
    let tunnels = proxy.records().into_iter().filter(|r| r["type"] == "connect").collect::<Vec<_>>();
    assert!(tunnels.len() >= 3, "{tunnels:?}");
    assert!(tunnels.iter().all(|r| r["target"] == target.as_str() && r["auth"] == false), "{tunnels:?}");
}

#[test]
fn basic_auth_is_sent_and_a_refusal_is_a_connect_error() {
    let server = TestServer::start(&[]);
    let proxy = TestProxy::start(&["--auth", "alice:s3cr:t"]);
    let with_auth = proxy.url().replace("http://", "http://alice:s3cr%3At@");
    for transport in [SIO_TRANSPORT_WEBSOCKET, SIO_TRANSPORT_POLLING] {
        echo_through(&server, transport, &with_auth);
    }
    assert!(proxy.records().iter().filter(|r| r["type"] == "connect").all(|r| r["auth"] == true));
    for (transport, url) in [
        (SIO_TRANSPORT_WEBSOCKET, proxy.url()),
        (SIO_TRANSPORT_POLLING, proxy.url()),
        (SIO_TRANSPORT_WEBSOCKET, proxy.url().replace("http://", "http://alice:wrong@")),
    ] {
        let rec = Recorder::new(AckMode::Echo);
        let c = client(&server, transport, &url);
        c.join(&rec, "/", None);
        let Rec::ConnectError { message, .. } =
            rec.expect(T, "connect_error", |r| matches!(r, Rec::ConnectError { .. }))
        else {
            unreachable!()
        };
        assert!(message.contains("407"), "{message}");
        assert_eq!(c.wait(5000), sio_result::SIO_OK);
    }
    proxy.expect(T, |r| r["type"] == "refused" && r["reason"] == "wrong credentials");
}

#[test]
fn an_empty_proxy_url_goes_direct_and_a_bad_one_is_refused() {
    let server = TestServer::start(&[]);
    let proxy = TestProxy::start(&[]);
    echo_through(&server, SIO_TRANSPORT_AUTO, "");
    assert!(proxy.records().iter().all(|r| r["type"] == "listening"), "{:?}", proxy.records());
    let opts = sio_options_new();
    unsafe { assert_eq!(sio_options_set_proxy(opts, cs("socks5://p:1").as_ptr()), sio_result::SIO_OK) };
    let mut c = std::ptr::null_mut();
    let r = unsafe { sio_connect(cs(&server.url()).as_ptr(), opts, &mut c) };
    unsafe { sio_options_free(opts) };
    assert_eq!(r, sio_result::SIO_ERR_URL);
    assert!(last_error().contains("proxy"), "{}", last_error());
}
