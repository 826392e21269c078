//! Auth produced on every (re)connect: the I/O thread asks the socket's auth provider (on the
//! dispatch thread) with an [`AuthRequest`], and the CONNECT goes out when it is answered.

use std::sync::Arc;

use super::shared::Command;
use super::Socket;
use crate::{json, Error};

/// Asked for the auth of each CONNECT of a namespace (token refresh). It answers the request
/// now or later, from any thread.
pub type AuthProvider = Arc<dyn Fn(&Arc<Socket>, AuthRequest) + Send + Sync>;

/// One request for auth, answered once with [`AuthRequest::reply`]. Dropped unanswered, it
/// refuses: the namespace gets connect_error and is not joined.
pub struct AuthRequest {
    socket: Arc<Socket>,
    /// Which request of the namespace this is: an answer to an older one is ignored.
    token: u64,
    answered: bool,
}

impl AuthRequest {
    pub(crate) fn new(socket: Arc<Socket>, token: u64) -> AuthRequest {
        AuthRequest { socket, token, answered: false }
    }

    /// The socket whose CONNECT waits for this auth.
    pub fn socket(&self) -> &Arc<Socket> {
        &self.socket
    }

    /// Answers with `auth`, a JSON object (`None`: no auth). On failure (not a JSON object, the
    /// client closed) the request is not used up; once answered, another reply fails.
    pub fn reply(&mut self, auth: Option<&str>) -> Result<(), Error> {
        if self.answered {
            return Err(Error::InvalidArgument("the auth request was already answered".into()));
        }
        if let Some(a) = auth {
            json::check_object(a)?;
        }
        self.send(Some(auth.map(str::to_owned)))
    }

    fn send(&mut self, auth: Option<Option<String>>) -> Result<(), Error> {
        let cmd = Command::Auth { ns: self.socket.index, token: self.token, auth };
        self.socket.shared.send(cmd)?;
        self.answered = true;
        Ok(())
    }
}

impl Drop for AuthRequest {
    fn drop(&mut self) {
        if !self.answered {
            // Refused; if the client is closed or freed there is nobody left to tell.
            let _ = self.send(None);
        }
    }
}
