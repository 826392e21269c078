//! JSON text handed in by the caller or received from the server, checked without building a
//! tree: a hand-written scanner that accepts exactly what serde_json accepts (RFC 8259; string
//! escapes checked for form, not for surrogate pairing, as serde_json does when skipping a
//! value). It nests without recursion, so deep input cannot overflow the stack.

use std::fmt;

use crate::Error;

/// Why a text is not one JSON value, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// Byte offset of the first byte that does not fit (the length at an early end).
    pub offset: usize,
    pub what: &'static str,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.offset)
    }
}

/// `text` is exactly one JSON value, with optional whitespace around it.
pub(crate) fn validate(text: &str) -> Result<(), SyntaxError> {
    let mut s = Scanner::new(text);
    s.value()?;
    s.end()
}

/// A JSON array read in one pass: its first element's text, and the text from the second
/// element's start to the last element's end (empty with fewer than two elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ArrayScan<'a> {
    pub first: Option<&'a str>,
    pub rest: &'a str,
}

/// Validates that `text` is one JSON array and scans it (see [`ArrayScan`]). `Ok(None)`: valid
/// JSON, but not an array.
pub(crate) fn scan_array(text: &str) -> Result<Option<ArrayScan<'_>>, SyntaxError> {
    let mut s = Scanner::new(text);
    s.skip_ws();
    if s.peek() != Some(b'[') {
        return validate(text).map(|()| None);
    }
    s.pos += 1;
    s.skip_ws();
    let mut scan = ArrayScan { first: None, rest: "" };
    if s.peek() == Some(b']') {
        s.pos += 1;
        return s.end().map(|()| Some(scan));
    }
    let mut rest_start = None;
    loop {
        s.skip_ws();
        let start = s.pos;
        s.value()?;
        let element = &text[start..s.pos];
        match rest_start {
            None if scan.first.is_none() => scan.first = Some(element),
            None => {
                rest_start = Some(start);
                scan.rest = element;
            }
            Some(r) => scan.rest = &text[r..s.pos],
        }
        s.skip_ws();
        match s.next() {
            Some(b',') => {}
            Some(b']') => return s.end().map(|()| Some(scan)),
            _ => return Err(s.error_before("expected `,` or `]`")),
        }
    }
}

/// Nesting of the open arrays and objects: a bit each (1 = object), 64 in a word, the outer
/// words spilled to a vector (which allocates only past 64 levels).
#[derive(Default)]
struct Nesting {
    top: u64,
    depth: usize,
    spilled: Vec<u64>,
}

impl Nesting {
    fn push(&mut self, object: bool) {
        if self.depth > 0 && self.depth % 64 == 0 {
            self.spilled.push(self.top);
            self.top = 0;
        }
        self.top = (self.top << 1) | u64::from(object);
        self.depth += 1;
    }

    /// Whether the innermost open container is an object (`None` at top level).
    fn in_object(&self) -> Option<bool> {
        (self.depth > 0).then_some(self.top & 1 == 1)
    }

    fn pop(&mut self) {
        self.top >>= 1;
        self.depth -= 1;
        if self.depth > 0 && self.depth % 64 == 0 {
            self.top = self.spilled.pop().unwrap_or(0);
        }
    }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Scanner { bytes: text.as_bytes(), pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek();
        self.pos += 1;
        b
    }

    fn error(&self, what: &'static str) -> SyntaxError {
        SyntaxError { offset: self.pos.min(self.bytes.len()), what }
    }

    /// An error about the byte just taken with [`Scanner::next`].
    fn error_before(&self, what: &'static str) -> SyntaxError {
        SyntaxError { offset: (self.pos - 1).min(self.bytes.len()), what }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Only whitespace is left.
    fn end(&mut self) -> Result<(), SyntaxError> {
        self.skip_ws();
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters")),
        }
    }

    /// Skips one value (with whitespace before it), nested containers included.
    fn value(&mut self) -> Result<(), SyntaxError> {
        let mut nesting = Nesting::default();
        loop {
            self.skip_ws();
            match self.next() {
                Some(b'[') => {
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                    } else {
                        nesting.push(false);
                        continue;
                    }
                }
                Some(b'{') => {
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                    } else {
                        nesting.push(true);
                        self.key()?;
                        continue;
                    }
                }
                Some(b'"') => self.string()?,
                Some(b @ (b'-' | b'0'..=b'9')) => self.number(b)?,
                Some(b't') => self.literal(b"rue")?,
                Some(b'f') => self.literal(b"alse")?,
                Some(b'n') => self.literal(b"ull")?,
                Some(_) => return Err(self.error_before("expected a value")),
                None => return Err(self.error("unexpected end")),
            }
            // A value ended: close the containers it ends, up to the next element.
            while let Some(object) = nesting.in_object() {
                self.skip_ws();
                match (self.next(), object) {
                    (Some(b','), true) => {
                        self.key()?;
                        break;
                    }
                    (Some(b','), false) => break,
                    (Some(b']'), false) | (Some(b'}'), true) => nesting.pop(),
                    (None, _) => return Err(self.error("unexpected end")),
                    _ => return Err(self.error_before("expected `,` or the container's end")),
                }
            }
            if nesting.depth == 0 {
                return Ok(());
            }
        }
    }

    /// An object key and its colon.
    fn key(&mut self) -> Result<(), SyntaxError> {
        self.skip_ws();
        if self.next() != Some(b'"') {
            return Err(self.error_before("expected a string key"));
        }
        self.string()?;
        self.skip_ws();
        if self.next() != Some(b':') {
            return Err(self.error_before("expected `:`"));
        }
        Ok(())
    }

    /// The rest of a string after its opening quote.
    fn string(&mut self) -> Result<(), SyntaxError> {
        loop {
            let plain = self.bytes[self.pos.min(self.bytes.len())..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            let Some(plain) = plain else {
                self.pos = self.bytes.len();
                return Err(self.error("unterminated string"));
            };
            self.pos += plain;
            match self.next() {
                Some(b'"') => return Ok(()),
                Some(b'\\') => self.escape()?,
                _ => return Err(self.error_before("control character in a string")),
            }
        }
    }

    /// The rest of an escape after its backslash.
    fn escape(&mut self) -> Result<(), SyntaxError> {
        match self.next() {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(()),
            Some(b'u') => {
                for _ in 0..4 {
                    if !self.next().is_some_and(|b| b.is_ascii_hexdigit()) {
                        return Err(self.error_before("invalid \\u escape"));
                    }
                }
                Ok(())
            }
            _ => Err(self.error_before("invalid escape")),
        }
    }

    /// The rest of a number after its first byte `first` (`-` or a digit).
    fn number(&mut self, first: u8) -> Result<(), SyntaxError> {
        let first = if first == b'-' { self.next() } else { Some(first) };
        match first {
            Some(b'0') => {}
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error_before("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.some_digits()?;
        }
        Ok(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    /// One or more digits.
    fn some_digits(&mut self) -> Result<(), SyntaxError> {
        if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
            return Err(self.error("invalid number"));
        }
        self.digits();
        Ok(())
    }

    /// The rest of `true`, `false` or `null` after its first byte.
    fn literal(&mut self, rest: &[u8]) -> Result<(), SyntaxError> {
        if self.bytes.get(self.pos..self.pos + rest.len()) != Some(rest) {
            return Err(self.error("invalid literal"));
        }
        self.pos += rest.len();
        Ok(())
    }
}

fn check(text: &str, open: u8, what: &str) -> Result<(), Error> {
    validate(text).map_err(|e| Error::InvalidJson(format!("{e}: {}", preview(text))))?;
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

    // ---- the scanner against serde_json's verdict ----

    use proptest::prelude::*;
    use serde_json::value::RawValue;
    use serde_json::Value;

    fn serde_accepts(text: &str) -> bool {
        serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
    }

    /// What `scan_array` should find, by serde_json.
    fn serde_scan(text: &str) -> Option<(Option<String>, String)> {
        let elements = serde_json::from_str::<Vec<&RawValue>>(text).ok()?;
        let offset = |v: &RawValue| v.get().as_ptr() as usize - text.as_ptr() as usize;
        let rest = match (elements.get(1), elements.last()) {
            (Some(second), Some(last)) => text[offset(second)..offset(last) + last.get().len()].to_owned(),
            _ => String::new(),
        };
        Some((elements.first().map(|v| v.get().to_owned()), rest))
    }

    fn agrees(text: &str) -> Result<(), TestCaseError> {
        prop_assert_eq!(validate(text).is_ok(), serde_accepts(text), "validate {:?}", text);
        let ours = scan_array(text).ok().flatten().map(|s| (s.first.map(str::to_owned), s.rest.to_owned()));
        prop_assert_eq!(ours, serde_scan(text), "scan_array {:?}", text);
        Ok(())
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            "[a-z\"\\\\/\u{0}-\u{1f}é🎉]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-z\"]{0,4}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Valid JSON text, compact or pretty, then maybe damaged at one place.
    fn arb_text() -> impl Strategy<Value = String> {
        let valid = || {
            (arb_json(), any::<bool>()).prop_map(|(v, pretty)| {
                if pretty {
                    serde_json::to_string_pretty(&v).unwrap()
                } else {
                    v.to_string()
                }
            })
        };
        let token = "[\\[\\]{}\",:0-9eE.+\\-\\\\utrfalsn \t\r\n\u{0}\u{1f}x]";
        prop_oneof![
            valid(),
            (valid(), any::<prop::sample::Index>(), token, 0..3u8).prop_map(|(mut t, at, tok, how)| {
                let mut i = at.index(t.len() + 1);
                while !t.is_char_boundary(i) {
                    i -= 1;
                }
                match how {
                    0 => t.insert_str(i, &tok),
                    1 if i < t.len() => {
                        t.remove(i);
                    }
                    _ => t.truncate(i),
                }
                t
            }),
            prop::string::string_regex(&format!("{token}{{0,24}}")).unwrap(),
            prop::collection::vec(any::<u8>(), 0..32).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn scanner_agrees_with_serde_json(text in arb_text()) {
            agrees(&text)?;
        }

        #[test]
        fn scanner_agrees_on_arrays(text in arb_text()) {
            agrees(&format!("[{text}]"))?;
            agrees(&format!("[\"e\",{text}]"))?;
        }
    }

    #[test]
    fn scanner_examples() {
        for text in [
            "0",
            "-0",
            "1.5e+3",
            "-12E-0",
            "\"\\u00e9\\ud800\"",
            " [ ] ",
            "{ }",
            "[[],{}]",
            "{\"a\":{\"b\":[1,2]}}",
            "",
            " ",
            "01",
            "1.",
            ".5",
            "1e",
            "-",
            "+1",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\"}",
            "{1:2}",
            "[1 2]",
            "\"\\x\"",
            "\"\\u12g4\"",
            "\"\t\"",
            "tru",
            "nulll",
            "[\"a\"",
            "]",
            "[}",
            "{]",
            "1 2",
        ] {
            agrees(text).unwrap();
        }
    }

    #[test]
    fn deep_nesting_is_scanned_without_recursion() {
        for depth in [63, 64, 65, 128, 129, 1_000_000] {
            let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            agrees(&arrays).unwrap();
            let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            assert!(validate(&objects).is_ok(), "{depth}");
            let mixed = format!("{}1{}", "[{\"a\":".repeat(depth), "}]".repeat(depth));
            assert!(validate(&mixed).is_ok(), "{depth}");
            assert!(validate(&mixed[..mixed.len() - 1]).is_err(), "{depth}");
            let wrong = format!("{}1{}", "[{\"a\":".repeat(depth), "]}".repeat(depth));
            assert!(validate(&wrong).is_err(), "{depth}");
        }
    }
}
