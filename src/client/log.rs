//! The client's log: one-line messages with a level, handed to the host's sink. Off unless the
//! host sets a sink; a disabled level costs one comparison (the message is never formatted).

use std::fmt;
use std::sync::Arc;

/// How much a log line matters, from the most to the least important.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

/// Receives each enabled line; called on whichever libsio thread logs (mostly the I/O thread).
pub type LogFn = Arc<dyn Fn(Level, &str) + Send + Sync>;

/// Where a client's log lines go, and up to which level.
#[derive(Clone, Default)]
pub struct Logger {
    max: Option<Level>,
    sink: Option<LogFn>,
}

impl Logger {
    /// Lines up to `max` go to `sink`; `None` for either turns the log off.
    pub fn new(max: Option<Level>, sink: Option<LogFn>) -> Logger {
        match (max, sink) {
            (Some(max), Some(sink)) => Logger { max: Some(max), sink: Some(sink) },
            _ => Logger::default(),
        }
    }

    pub fn enabled(&self, level: Level) -> bool {
        self.max.is_some_and(|max| level <= max)
    }

    /// Formats and hands over one line (call through `sio_log!`, which checks the level first).
    pub fn write(&self, level: Level, args: fmt::Arguments<'_>) {
        if let Some(sink) = &self.sink {
            match args.as_str() {
                Some(s) => sink(level, s),
                None => sink(level, &args.to_string()),
            }
        }
    }
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logger").field("max", &self.max).field("sink", &self.sink.is_some()).finish()
    }
}

/// `sio_log!(shared, Info, "format", args…)`: logs one line to the logger of `shared` (anything
/// with `options.log`) if `Info` is enabled, formatting nothing otherwise.
macro_rules! sio_log {
    ($shared:expr, $level:ident, $($arg:tt)+) => {{
        let logger: &$crate::client::log::Logger = &$shared.options.log;
        if logger.enabled($crate::client::log::Level::$level) {
            logger.write($crate::client::log::Level::$level, format_args!($($arg)+));
        }
    }};
}
pub(crate) use sio_log;

/// At most `max` bytes of `text` (cut at a character boundary), for logging packets.
pub(crate) fn excerpt(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// What `sio_log!` logs through (the client's `Shared` in the crate).
    struct Holder {
        options: crate::Options,
    }

    #[test]
    fn only_enabled_levels_reach_the_sink_and_disabled_ones_are_not_formatted() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let log = Logger::new(
            Some(Level::Info),
            Some(Arc::new(move |l, m: &str| sink.lock().unwrap().push((l, m.to_owned())))),
        );
        let logger = Holder { options: crate::Options { log, ..crate::Options::default() } };
        struct Bomb;
        impl fmt::Display for Bomb {
            fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
                panic!("formatted a disabled line")
            }
        }
        sio_log!(logger, Debug, "{}", Bomb);
        sio_log!(logger, Warn, "w {}", 1);
        sio_log!(logger, Info, "plain");
        assert_eq!(
            *lines.lock().unwrap(),
            vec![(Level::Warn, "w 1".to_owned()), (Level::Info, "plain".to_owned())]
        );
        let log = Logger::new(None, Some(Arc::new(|_, _: &str| panic!("logged while off"))));
        let off = Holder { options: crate::Options { log, ..crate::Options::default() } };
        sio_log!(off, Error, "x");
    }

    #[test]
    fn excerpts_cut_at_character_boundaries() {
        assert_eq!(excerpt("abc", 10), "abc");
        assert_eq!(excerpt("aéb", 2), "a");
        assert_eq!(excerpt("abcdef", 3), "abc");
    }
}
