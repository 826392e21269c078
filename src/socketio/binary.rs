//! Binary attachments (`protocol.md` §2.7): placeholders in the JSON, buffers beside it.

use super::packet::DecodeError;

/// The `num` of every placeholder `{"_placeholder":true,"num":N}` in `json`, in visit order
/// (depth first, arrays by index, objects by key order in the text). Errors on a malformed
/// placeholder (non-integer `num`).
pub fn placeholders(json: &str) -> Result<Vec<usize>, DecodeError> {
    todo!()
}

/// Collects the attachments that follow a binary packet's header.
#[derive(Debug)]
pub struct Reassembler {
    /* fields are the implementer's */
}

/// What feeding a frame to the [`Reassembler`] gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Feed {
    /// More attachments are expected.
    Pending,
    /// All attachments have arrived, in `num` order.
    Complete(Vec<Vec<u8>>),
}

impl Reassembler {
    /// Starts collecting `expected` attachments for a header whose JSON is `json`; checks that
    /// every placeholder's `num` is below `expected`.
    pub fn new(json: &str, expected: usize) -> Result<Reassembler, DecodeError> {
        todo!()
    }

    /// Adds the next attachment.
    pub fn push(&mut self, attachment: Vec<u8>) -> Feed {
        todo!()
    }
}
