//! The callbacks registered on a namespace socket.

use std::sync::Arc;

use super::auth::AuthProvider;
use super::{Event, Socket};

/// Called with each event (catch-all, per-name and unhandled handlers).
pub type EventHandler = Arc<dyn Fn(&Event) + Send + Sync>;
/// Called when the namespace is connected, with the socket id the server gave it.
pub type ConnectHandler = Arc<dyn Fn(&Arc<Socket>, &str) + Send + Sync>;
/// Called when the namespace is disconnected, with the reason as the JS client spells it.
pub type DisconnectHandler = Arc<dyn Fn(&Arc<Socket>, &str) + Send + Sync>;
/// Called when joining the namespace failed: the message, and the data as JSON text (`null` if none).
pub type ConnectErrorHandler = Arc<dyn Fn(&Arc<Socket>, &str, &str) + Send + Sync>;

/// Every handler of one socket. Cloned out under the lock and called after it is released, so
/// that a handler may register or remove handlers.
#[derive(Default)]
pub(crate) struct Handlers {
    pub events: NamedHandlers,
    pub any: Option<EventHandler>,
    pub unhandled: Option<EventHandler>,
    pub connect: Option<ConnectHandler>,
    pub disconnect: Option<DisconnectHandler>,
    pub connect_error: Option<ConnectErrorHandler>,
    pub auth: Option<AuthProvider>,
}

impl Handlers {
    /// The handlers an event goes to, in call order: the catch-all, then the named handler or,
    /// without one, the unhandled-event handler.
    pub fn for_event(&self, name: &str) -> (Option<EventHandler>, Option<EventHandler>) {
        let specific = self.events.get(name).or(self.unhandled.as_ref());
        (self.any.clone(), specific.cloned())
    }
}

/// The per-name event handlers: a vector searched linearly, which for the few names a socket
/// handles beats hashing each incoming name.
#[derive(Default)]
pub(crate) struct NamedHandlers(Vec<(String, EventHandler)>);

impl NamedHandlers {
    pub fn get(&self, name: &str) -> Option<&EventHandler> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, h)| h)
    }

    /// Sets the handler for `name`; returns the one it replaces.
    pub fn insert(&mut self, name: &str, handler: EventHandler) -> Option<EventHandler> {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some((_, h)) => Some(std::mem::replace(h, handler)),
            None => {
                self.0.push((name.to_owned(), handler));
                None
            }
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<EventHandler> {
        let i = self.0.iter().position(|(n, _)| n == name)?;
        Some(self.0.swap_remove(i).1)
    }
}
