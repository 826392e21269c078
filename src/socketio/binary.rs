//! Binary attachments (`protocol.md` §2.7): placeholders in the JSON, buffers beside it.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::packet::DecodeError;

/// The `num` of every placeholder `{"_placeholder":true,"num":N}` in `json`, in visit order
/// (depth first, arrays by index, objects by key order in the text). Errors on a malformed
/// placeholder (non-integer `num`).
///
/// Like socket.io-parser, any object whose `_placeholder` is `true` is a placeholder (other keys
/// are ignored); its `num` must be a non-negative integer.
pub fn placeholders(json: &str) -> Result<Vec<usize>, DecodeError> {
    let mut nums = Vec::new();
    let mut de = serde_json::Deserializer::from_str(json);
    Walk { nums: &mut nums }.deserialize(&mut de).and_then(|_| de.end()).map_err(|e| {
        if e.is_data() {
            DecodeError("invalid attachment placeholder")
        } else {
            DecodeError("invalid JSON payload")
        }
    })?;
    Ok(nums)
}

/// What a walked value was, as far as placeholder detection cares.
enum Scalar {
    True,
    UInt(u64),
    Other,
}

/// Walks one JSON value in text order, appending placeholder nums to `nums`.
struct Walk<'v> {
    nums: &'v mut Vec<usize>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = Scalar;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(if v { Scalar::True } else { Scalar::Other })
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::UInt(v))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element_seed(Walk { nums: &mut *self.nums })?.is_some() {}
        Ok(Scalar::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        // Whether this object is a placeholder is known only at its end, so nested nums are
        // collected aside and kept only if it is not (a placeholder replaces the whole object).
        let mut nested = Vec::new();
        let mut is_placeholder = false;
        let mut num = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = map.next_value_seed(Walk { nums: &mut nested })?;
            // Duplicate keys: the last one wins, as with JSON.parse.
            match key {
                Key::Placeholder => is_placeholder = matches!(value, Scalar::True),
                Key::Num => num = Some(value),
                Key::Other => {}
            }
        }
        if is_placeholder {
            let n = match num {
                Some(Scalar::UInt(n)) => usize::try_from(n).ok(),
                _ => None,
            };
            let n = n.ok_or_else(|| de::Error::custom("invalid placeholder num"))?;
            self.nums.push(n);
        } else {
            self.nums.append(&mut nested);
        }
        Ok(Scalar::Other)
    }
}

enum Key {
    Placeholder,
    Num,
    Other,
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(match v {
            "_placeholder" => Key::Placeholder,
            "num" => Key::Num,
            _ => Key::Other,
        })
    }
}

/// Collects the attachments that follow a binary packet's header.
#[derive(Debug)]
pub struct Reassembler {
    expected: usize,
    buffers: Vec<Vec<u8>>,
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
        if placeholders(json)?.iter().any(|&n| n >= expected) {
            return Err(DecodeError("attachment placeholder out of range"));
        }
        // `expected` comes from the wire: do not trust it for a preallocation.
        Ok(Reassembler { expected, buffers: Vec::with_capacity(expected.min(16)) })
    }

    /// Adds the next attachment.
    ///
    /// Returns [`Feed::Complete`] on the `expected`-th push (on the first one if `expected` is
    /// 0, which callers should deliver without a reassembler). The reassembler is then empty; it
    /// is not meant to be fed again.
    pub fn push(&mut self, attachment: Vec<u8>) -> Feed {
        self.buffers.push(attachment);
        if self.buffers.len() >= self.expected {
            Feed::Complete(std::mem::take(&mut self.buffers))
        } else {
            Feed::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ph(n: &str) -> String {
        format!(r#"{{"_placeholder":true,"num":{n}}}"#)
    }

    #[test]
    fn protocol_examples() {
        assert_eq!(placeholders(&format!(r#"["baz",{}]"#, ph("0"))), Ok(vec![0]));
        assert_eq!(placeholders(&format!(r#"["baz",{},{}]"#, ph("0"), ph("1"))), Ok(vec![0, 1]));
        assert_eq!(placeholders(&format!("[{}]", ph("0"))), Ok(vec![0]));
        assert_eq!(placeholders(r#"["a",1,{"b":[true,null,"x"]}]"#), Ok(vec![]));
    }

    #[test]
    fn cpp_order_one_then_zero() {
        // socket.io-client-cpp's test: placeholders appear with num 1 before num 0.
        let json = format!(r#"["bin",{},{}]"#, ph("1"), ph("0"));
        assert_eq!(placeholders(&json), Ok(vec![1, 0]));
        let mut r = Reassembler::new(&json, 2).unwrap();
        assert_eq!(r.push(vec![1]), Feed::Pending);
        // Buffers come back in arrival order, which is `num` order.
        assert_eq!(r.push(vec![2]), Feed::Complete(vec![vec![1], vec![2]]));
    }

    #[test]
    fn text_order_nesting_and_escapes() {
        // Keys are visited in text order (not sorted), depth first.
        let json = format!(
            r#"{{"z":{},"a":[{},{{"deep":{{"x":[{}]}}}}],"m":{}}}"#,
            ph("3"),
            ph("0"),
            ph("2"),
            ph("1")
        );
        assert_eq!(placeholders(&json), Ok(vec![3, 0, 2, 1]));
        // Key order inside the placeholder and extra keys do not matter; escaped keys count.
        assert_eq!(placeholders(r#"[{"num":4,"_placeholder":true}]"#), Ok(vec![4]));
        assert_eq!(placeholders(r#"[{"_placeholder":true,"num":2,"x":"y"}]"#), Ok(vec![2]));
        assert_eq!(placeholders(r#"[{"\u005fplaceholder":true,"n\u0075m":5}]"#), Ok(vec![5]));
        // A placeholder replaces its whole object: nested ones are not visited.
        assert_eq!(
            placeholders(&format!(r#"[{{"_placeholder":true,"num":0,"inner":{}}}]"#, ph("7"))),
            Ok(vec![0])
        );
        // The placeholder at the top level, and whitespace.
        assert_eq!(placeholders(" { \"_placeholder\" : true , \"num\" : 0 } "), Ok(vec![0]));
    }

    #[test]
    fn not_placeholders() {
        for json in [
            r#"[{"_placeholder":false,"num":0}]"#,
            r#"[{"_placeholder":1,"num":0}]"#,
            r#"[{"_placeholder":"true","num":0}]"#,
            r#"[{"num":0}]"#,
            r#"[{"_placeholder":null}]"#,
            r#"["_placeholder",true,"num",0]"#,
        ] {
            assert_eq!(placeholders(json), Ok(vec![]), "{json}");
        }
        // Nested placeholders in a non-placeholder object still count.
        assert_eq!(placeholders(&format!(r#"[{{"_placeholder":false,"x":{}}}]"#, ph("0"))), Ok(vec![0]));
        // Last duplicate key wins.
        assert_eq!(placeholders(r#"[{"_placeholder":true,"_placeholder":false,"num":0}]"#), Ok(vec![]));
    }

    #[test]
    fn bad_placeholders() {
        for n in ["-1", "1.5", "1.0", "1e0", "\"0\"", "null", "true", "[0]", "{}", "18446744073709551616"] {
            assert_eq!(
                placeholders(&format!("[{}]", ph(n))),
                Err(DecodeError("invalid attachment placeholder")),
                "num {n}"
            );
        }
        assert_eq!(
            placeholders(r#"[{"_placeholder":true}]"#),
            Err(DecodeError("invalid attachment placeholder"))
        );
        for bad in ["", "[", "[1,]", "[1] 2", "{\"a\"}", "nul"] {
            assert_eq!(placeholders(bad), Err(DecodeError("invalid JSON payload")), "{bad:?}");
        }
    }

    #[test]
    fn reassembler() {
        let json = format!(r#"["baz",{},{}]"#, ph("0"), ph("1"));
        let mut r = Reassembler::new(&json, 2).unwrap();
        assert_eq!(r.push(vec![1, 2]), Feed::Pending);
        assert_eq!(r.push(vec![3, 4]), Feed::Complete(vec![vec![1, 2], vec![3, 4]]));

        let mut r = Reassembler::new(&format!(r#"["baz",{}]"#, ph("0")), 1).unwrap();
        assert_eq!(r.push(vec![1, 2, 3, 4]), Feed::Complete(vec![vec![1, 2, 3, 4]]));

        // More attachments announced than referenced is allowed.
        let mut r = Reassembler::new(&format!("[{}]", ph("0")), 3).unwrap();
        assert_eq!(r.push(vec![]), Feed::Pending);
        assert_eq!(r.push(vec![]), Feed::Pending);
        assert_eq!(r.push(vec![9]), Feed::Complete(vec![vec![], vec![], vec![9]]));

        // num out of range.
        assert!(Reassembler::new(&format!("[{}]", ph("1")), 1).is_err());
        assert!(Reassembler::new(&format!("[{}]", ph("0")), 0).is_err());
        assert!(Reassembler::new(&format!("[{}]", ph("-1")), 5).is_err());
        assert!(Reassembler::new("[", 1).is_err());

        // expected == 0: complete on the first push.
        let mut r = Reassembler::new(r#"["a"]"#, 0).unwrap();
        assert_eq!(r.push(vec![7]), Feed::Complete(vec![vec![7]]));

        // A huge announced count does not preallocate.
        let mut r = Reassembler::new(r#"["a"]"#, usize::MAX).unwrap();
        assert_eq!(r.push(vec![1]), Feed::Pending);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(placeholders(&deep).is_err());
    }

    proptest! {
        #[test]
        fn placeholders_never_panic(s in any::<String>()) {
            let _ = placeholders(&s);
            let _ = Reassembler::new(&s, 3);
        }

        #[test]
        fn finds_generated_placeholders(nums in prop::collection::vec(0usize..1000, 0..8)) {
            // Interleave placeholders with noise, nesting every other one.
            let mut parts = vec![r#""ev""#.to_string()];
            for (i, n) in nums.iter().enumerate() {
                let p = ph(&n.to_string());
                parts.push(if i % 2 == 0 { p } else { format!(r#"{{"k":[1,{p}],"_placeholder":false}}"#) });
                parts.push(r#"{"num":3}"#.into());
            }
            let json = format!("[{}]", parts.join(","));
            prop_assert_eq!(placeholders(&json), Ok(nums));
        }
    }
}
