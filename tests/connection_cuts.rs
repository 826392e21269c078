//! A proxy between the client and the real server cuts every TCP connection while the client
//! is emitting a numbered stream, over each transport. Without retries delivery is at most
//! once: the server gets the numbers in order with none twice; those emitted while the client
//! knew it was disconnected, and after it reconnected, all arrive; the client reports the
//! disconnect and the reconnection.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::capi::*;
use common::cut_proxy::CutProxy;
use common::TestServer;
use sio::ffi::sio_reconnect_event::*;
use sio::ffi::*;

/// How many numbers the client emits after it reported the reconnection.
const AFTER: usize = 200;
/// Gives up if the reconnection has not come after this many numbers.
const MAX: usize = 50_000;

/// A socket pointer the emitting thread may use (sio_socket is usable from any thread).
struct SendSocket(*mut sio_socket);
// SAFETY: the header allows every sio_socket function from any thread.
unsafe impl Send for SendSocket {}

fn cut_mid_stream(transport: sio_transport) {
    let server = TestServer::start(&[]);
    let proxy = CutProxy::start(server.port());
    let opts = sio_options_new();
    unsafe {
        assert_eq!(sio_options_set_transport(opts, transport as i32), sio_result::SIO_OK);
        assert_eq!(sio_options_set_reconnection_delay(opts, 50, 200), sio_result::SIO_OK);
        assert_eq!(sio_options_set_proxy(opts, cs("").as_ptr()), sio_result::SIO_OK);
    }
    let c = Client::connect_with(&proxy.url(), opts);
    unsafe { sio_options_free(opts) };
    let rec = Recorder::new(AckMode::Ignore);
    rec.attach_client(&c);
    let socket = c.join(&rec, "/", None);
    rec.expect(T, "connect", |r| matches!(r, Rec::Connect { .. }));

    // The first number emitted after the client reported the disconnect, and after it
    // reported the reconnection (MAX until then). The stream goes on for AFTER numbers after
    // the reconnection; the thread returns how many it emitted.
    let after_disconnect = Arc::new(AtomicUsize::new(MAX));
    let after_reconnect = Arc::new(AtomicUsize::new(MAX));
    let emitter = {
        let (rec, socket) = (rec.clone(), SendSocket(socket));
        let (after_disconnect, after_reconnect) = (after_disconnect.clone(), after_reconnect.clone());
        std::thread::spawn(move || {
            let socket = socket;
            for i in 0..MAX {
                if i >= after_reconnect.load(Ordering::SeqCst) + AFTER {
                    return i;
                }
                if rec.count(|r| matches!(r, Rec::Disconnect { .. })) > 0 {
                    let _ = after_disconnect.compare_exchange(MAX, i, Ordering::SeqCst, Ordering::SeqCst);
                }
                if rec.count(|r| matches!(r, Rec::Reconnect { event: SIO_RECONNECT_SUCCESS, .. })) > 0 {
                    let _ = after_reconnect.compare_exchange(MAX, i, Ordering::SeqCst, Ordering::SeqCst);
                }
                assert_eq!(emit(socket.0, "n", &format!("[{i}]")), sio_result::SIO_OK, "emit {i}");
                std::thread::sleep(Duration::from_millis(2));
            }
            MAX
        })
    };

    // Mid-stream: once the server has some of it.
    server.expect(T, |r| r["type"] == "event" && r["args"][0].as_u64().is_some_and(|n| n >= 50));
    proxy.cut();
    let reason = match rec.expect(T, "disconnect", |r| matches!(r, Rec::Disconnect { .. })) {
        Rec::Disconnect { reason, .. } => reason,
        _ => unreachable!(),
    };
    assert!(reason == "transport close" || reason == "transport error", "{transport:?}: {reason}");
    rec.expect(T, "reconnected", |r| matches!(r, Rec::Reconnect { event: SIO_RECONNECT_SUCCESS, .. }));
    let n = emitter.join().expect("the emitting thread");
    let (d, r) = (after_disconnect.load(Ordering::SeqCst), after_reconnect.load(Ordering::SeqCst));
    assert!(d <= r && r < n, "{transport:?}: the stream went on after the reconnection ({d}, {r}, {n})");

    server.expect(T, |rec| rec["type"] == "event" && rec["args"][0] == n - 1);
    let got: Vec<usize> = server.event_numbers("n").into_iter().map(|n| n as usize).collect();
    assert!(got.windows(2).all(|w| w[0] < w[1]), "{transport:?}: in order, none twice: {got:?}");
    let missing: Vec<usize> = (d..n).filter(|i| got.binary_search(i).is_err()).collect();
    assert!(missing.is_empty(), "{transport:?}: emitted after the disconnect but lost: {missing:?}");
    assert!(proxy.accepted() >= 2, "the client came back through the proxy");
    assert_eq!(rec.count(|r| matches!(r, Rec::Connect { .. })), 2, "{:?}", rec.records());
    eprintln!(
        "{transport:?}: {} of {n} arrived; lost between the cut and the disconnect: {}",
        got.len(),
        n - got.len()
    );
    c.free();
}

#[test]
fn websocket_connections_cut_mid_stream() {
    cut_mid_stream(sio_transport::SIO_TRANSPORT_WEBSOCKET);
}

#[test]
fn polling_connections_cut_mid_stream() {
    cut_mid_stream(sio_transport::SIO_TRANSPORT_POLLING);
}
