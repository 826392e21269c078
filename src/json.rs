//! Checks of JSON text handed in by the caller, without building a tree.

use serde::de::IgnoredAny;

use crate::Error;

fn check(text: &str, open: u8, what: &str) -> Result<(), Error> {
    serde_json::from_str::<IgnoredAny>(text)
        .map_err(|e| Error::InvalidJson(format!("{e}: {}", preview(text))))?;
    if text.trim_start().as_bytes().first() != Some(&open) {
        return Err(Error::InvalidJson(format!(
            "expected {what}, got {}",
            preview(text)
        )));
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
}
