//! Checks of JSON text handed in by the caller, without building a tree.

use serde::de::IgnoredAny;

use crate::Error;

fn check(text: &str, open: u8, what: &str) -> Result<(), Error> {
    serde_json::from_str::<IgnoredAny>(text)
        .map_err(|e| Error::InvalidJson(format!("{e}: {}", preview(text))))?;
    if text.trim_start().as_bytes().first() != Some(&open) {
        return Err(Error::InvalidJson(format!("expected {what}, got {}", preview(text))));
    }
    Ok(())
}

/// `text` is a JSON array.
pub(crate) fn check_array(text: &str) -> Result<(), Error> {
    check(text, b'[', "a JSON array")
}

/// `text` is a JSON object.
pub(crate) fn check_object(text: &str) -> Result<(), Error> {
    check(text, b'{', "a JSON object")
}

/// The placeholders `{"_placeholder":true,"num":N}` in `args` reference each of `count`
/// buffers, and nothing else.
pub(crate) fn check_placeholders(args: &str, count: usize) -> Result<(), Error> {
    if count == 0 && !args.contains("_placeholder") {
        return Ok(());
    }
    let nums = crate::socketio::binary::placeholders(args).map_err(|e| Error::InvalidJson(e.to_string()))?;
    let mut seen = vec![false; count];
    for n in nums {
        match seen.get_mut(n) {
            Some(s) => *s = true,
            None => return Err(Error::InvalidJson(format!("placeholder num {n} but only {count} buffers"))),
        }
    }
    match seen.iter().position(|s| !s) {
        Some(i) => Err(Error::InvalidJson(format!("buffer {i} is not referenced by any placeholder"))),
        None => Ok(()),
    }
}

fn preview(text: &str) -> String {
    let mut end = text.len().min(40);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if end < text.len() {
        format!("{}…", &text[..end])
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_and_objects() {
        assert!(check_array(" [1, {\"a\": [2]}] ").is_ok());
        assert!(check_array("[]").is_ok());
        assert!(check_array("{}").is_err());
        assert!(check_array("[1,").is_err());
        assert!(check_array("[1] x").is_err());
        assert!(check_object("{\"token\":\"x\"}").is_ok());
        assert!(check_object("[]").is_err());
        assert!(check_object("").is_err());
    }

    #[test]
    fn placeholders_must_match_the_buffers() {
        let ph = |n: usize| format!(r#"{{"_placeholder":true,"num":{n}}}"#);
        assert!(check_placeholders("[1]", 0).is_ok());
        assert!(check_placeholders(&format!("[{},{{\"a\":[{}]}}]", ph(1), ph(0)), 2).is_ok());
        assert!(check_placeholders(&format!("[{}]", ph(1)), 1).is_err(), "out of range");
        assert!(check_placeholders(&format!("[{}]", ph(0)), 2).is_err(), "buffer 1 unreferenced");
        assert!(check_placeholders("[]", 1).is_err());
        assert!(check_placeholders(&format!("[{}]", ph(0)), 0).is_err());
    }
}
