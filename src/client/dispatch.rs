//! The dispatch thread: runs the user's callbacks one at a time, in arrival order.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::shared::{Dispatch, Shared};

pub(crate) fn run(shared: Arc<Shared>) {
    shared.become_dispatch_thread();
    while let Some(item) = shared.next_dispatch() {
        if shared.shutdown.load(Ordering::Acquire) {
            // Freeing: the client's drop takes care of what is left (acks are completed there).
            shared.requeue(item);
            return;
        }
        // A panicking Rust handler must not take the thread (and every later callback) down.
        let _ = catch_unwind(AssertUnwindSafe(|| call(&shared, item)));
    }
}

fn call(shared: &Shared, item: Dispatch) {
    match item {
        Dispatch::Event(event) => {
            let (any, specific) = event.socket().handlers.lock().for_event(event.name());
            if let Some(h) = any {
                h(&event);
            }
            if let Some(h) = specific {
                h(&event);
            }
        }
        Dispatch::Connect(socket, sid, recovered) => {
            *socket.sid.lock() = Some(sid.clone());
            socket.recovered.store(recovered, Ordering::Release);
            let h = socket.handlers.lock().connect.clone();
            if let Some(h) = h {
                h(&socket, &sid);
            }
        }
        Dispatch::Disconnect(socket, reason) => {
            *socket.sid.lock() = None;
            let h = socket.handlers.lock().disconnect.clone();
            if let Some(h) = h {
                h(&socket, reason);
            }
        }
        Dispatch::ConnectError(socket, message, data) => {
            let h = socket.handlers.lock().connect_error.clone();
            if let Some(h) = h {
                h(&socket, &message, &data);
            }
        }
        Dispatch::Auth(socket, mut request) => {
            let provider = socket.handlers.lock().auth.clone();
            match provider {
                Some(p) => p(&socket, request),
                // Removed since the I/O thread asked: the auth given to the socket, if any.
                None => {
                    let auth = socket.auth.lock().clone();
                    let _ = request.reply(auth.as_deref());
                }
            }
        }
        Dispatch::Ack(f, result) => f(result),
        Dispatch::Reconnect(event) => {
            let h = shared.reconnect_handler.lock().clone();
            if let Some(h) = h {
                h(&event);
            }
        }
        Dispatch::Settled(seq) => shared.settle(seq),
    }
}
