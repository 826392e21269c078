//! The C example `examples-c/siocat`, run as a program against `tests/server/server.js`:
//! its command-line interface (stdin commands, JSON lines on stdout, exit status), TLS options
//! (with certificates made by `rcgen`), proxy option (through `tests/server/proxy.js`) and
//! reconnection options (the server killed and started again on its port).
//!
//! Build it first: `cargo build && make -C examples-c`.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use common::certs::certs;
use common::{TestProxy, TestServer};
use serde_json::{json, Value};

/// Upper bound for anything to happen; tests normally take far less. Runs under a
/// `SIOCAT_RUNNER` (valgrind) get more time.
static T: std::sync::LazyLock<Duration> = std::sync::LazyLock::new(|| {
    // Sanitizer builds ($SIOCAT) and valgrind ($SIOCAT_RUNNER) are slower, more so on a busy
    // machine; a test only waits as long as it needs to.
    let slow = std::env::var_os("SIOCAT_RUNNER").is_some() || std::env::var_os("SIOCAT").is_some();
    Duration::from_secs(if slow { 30 } else { 10 })
});

/// The siocat binary: `examples-c/build/siocat`, or `$SIOCAT` (e.g. a sanitizer build).
fn siocat_path() -> PathBuf {
    let path = match std::env::var_os("SIOCAT") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("examples-c/build/siocat"),
    };
    if !path.is_file() {
        panic!("{} is missing: run `make -C examples-c` first", path.display());
    }
    path
}

/// The environment variables libsio reads a proxy from when none is given.
const PROXY_VARS: [&str; 7] =
    ["http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"];

/// A command running siocat, under `$SIOCAT_RUNNER` if set (e.g. `valgrind --error-exitcode=99`),
/// without the proxy variables of the test's environment (tests that want them set them).
fn siocat_command() -> Command {
    let mut cmd = match std::env::var("SIOCAT_RUNNER") {
        Ok(runner) if !runner.trim().is_empty() => {
            let mut words = runner.split_whitespace();
            let mut cmd = Command::new(words.next().unwrap_or_default());
            cmd.args(words).arg(siocat_path());
            cmd
        }
        _ => Command::new(siocat_path()),
    };
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// A running siocat with piped stdin and stdout. Dropping it kills it.
struct Siocat {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Each stdout line, parsed (Err: the line was not JSON).
    lines: Receiver<Result<Value, String>>,
    /// Lines received but not yet matched by `expect`.
    unmatched: Vec<Value>,
    /// Every line received, for failure messages.
    all: Vec<Value>,
}

impl Siocat {
    fn start(url: &str, args: &[&str]) -> Siocat {
        Siocat::start_with_env(url, args, &[])
    }

    /// Like [`start`](Self::start), with environment variables set for siocat.
    fn start_with_env(url: &str, args: &[&str], env: &[(&str, &str)]) -> Siocat {
        let mut child = siocat_command()
            .envs(env.iter().copied())
            .args(args)
            .arg(url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn siocat");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let parsed = serde_json::from_str::<Value>(&line).map_err(|_| line);
                if tx.send(parsed).is_err() {
                    break;
                }
            }
        });
        Siocat { child, stdin, lines, unmatched: Vec::new(), all: Vec::new() }
    }

    /// Writes one command line to siocat's stdin.
    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin already closed");
        writeln!(stdin, "{line}").expect("write to siocat");
        stdin.flush().expect("flush siocat's stdin");
    }

    fn close_stdin(&mut self) {
        drop(self.stdin.take());
    }

    /// The first output line (not matched before) satisfying `pred`, in any order.
    #[track_caller]
    fn expect(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.unmatched.iter().position(&pred) {
            return self.unmatched.remove(i);
        }
        let deadline = Instant::now() + *T;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(Ok(line)) => {
                    self.all.push(line.clone());
                    if pred(&line) {
                        return line;
                    }
                    self.unmatched.push(line);
                }
                Ok(Err(line)) => panic!("siocat printed a line that is not JSON: {line:?}"),
                Err(e) => {
                    let why = match e {
                        RecvTimeoutError::Timeout => "timed out",
                        RecvTimeoutError::Disconnected => "stdout closed",
                    };
                    let seen: Vec<String> = self.all.iter().map(|l| format!("  {l}")).collect();
                    panic!("expected {what} from siocat ({why}); its output so far:\n{}", seen.join("\n"));
                }
            }
        }
    }

    /// Waits for siocat to exit by itself.
    #[track_caller]
    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + *T;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!("siocat did not exit within {T:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Every line siocat printed (matched or not), reading until its stdout closes: call it
    /// once siocat has exited.
    #[track_caller]
    fn all_lines(&mut self) -> Vec<Value> {
        let deadline = Instant::now() + *T;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(Ok(line)) => {
                    self.all.push(line.clone());
                    self.unmatched.push(line);
                }
                Ok(Err(line)) => panic!("siocat printed a line that is not JSON: {line:?}"),
                Err(RecvTimeoutError::Disconnected) => return self.all.clone(),
                Err(RecvTimeoutError::Timeout) => panic!("siocat's stdout did not close within {T:?}"),
            }
        }
    }

    /// Closes stdin (EOF, i.e. quit) and checks that siocat exits with 0.
    #[track_caller]
    fn eof_exits_zero(&mut self) {
        self.close_stdin();
        let status = self.wait();
        assert!(status.success(), "siocat must exit 0 at EOF, got {status}");
    }
}

impl Drop for Siocat {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is(kind: &'static str, ns: &'static str) -> impl Fn(&Value) -> bool {
    move |l| l["type"] == kind && (l["ns"] == ns || ns.is_empty())
}

fn is_event(ns: &'static str, name: &'static str) -> impl Fn(&Value) -> bool {
    move |l| l["type"] == "event" && l["ns"] == ns && l["event"] == name
}

/// Starts a server and siocat, and waits for siocat's connect line on `/`.
fn connected(args: &[&str]) -> (TestServer, Siocat) {
    connected_to(&[], args)
}

/// Like [`connected`], with a server started with `server_args` (e.g. `["--v2"]`).
fn connected_to(server_args: &[&str], args: &[&str]) -> (TestServer, Siocat) {
    let server = TestServer::start(server_args);
    let mut cat = Siocat::start(&server.url(), args);
    cat.expect("connect on /", is("connect", "/"));
    (server, cat)
}

/// Runs siocat with `args` (and a URL nobody listens on) and returns its exit status and
/// stderr; for command lines it must refuse before connecting.
fn run_to_exit(args: &[&str]) -> (ExitStatus, String) {
    run_to_exit_url("http://127.0.0.1:9", args)
}

/// Like [`run_to_exit`], with `url`.
fn run_to_exit_url(url: &str, args: &[&str]) -> (ExitStatus, String) {
    let out = siocat_command().args(args).arg(url).stdin(Stdio::null()).output().expect("run siocat");
    (out.status, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Emits `echo [n]` and checks that it comes back, printed and recorded.
#[track_caller]
fn echo_works(server: &TestServer, cat: &mut Siocat, n: i64) {
    cat.send(&format!("emit / echo [{n}]"));
    let line = cat.expect("echo", is_event("/", "echo"));
    assert_eq!(line["args"], json!([n]));
    server.expect(*T, |r| r["type"] == "event" && r["event"] == "echo" && r["args"] == json!([n]));
}

#[test]
fn connect_line_carries_the_servers_sid() {
    let server = TestServer::start(&[]);
    let mut cat = Siocat::start(&server.url(), &[]);
    let line = cat.expect("connect on /", is("connect", "/"));
    let seen = server.expect(*T, |r| r["type"] == "connect" && r["ns"] == "/");
    assert_eq!(line["sid"], seen["sid"], "{line}");
    assert!(line["sid"].as_str().is_some_and(|s| !s.is_empty()), "{line}");
    assert_eq!(line["recovered"], false, "a fresh connection: {line}");
    // The server's welcome event, sent in its connection handler, is printed too.
    let welcome = cat.expect("welcome", is_event("/", "welcome"));
    assert_eq!(welcome["args"], json!([{ "ns": "/", "sid": seen["sid"] }]));
    assert!(welcome.get("ack").is_none(), "no ack was asked: {welcome}");
    cat.eof_exits_zero();
}

#[test]
fn joins_every_namespace_given_with_ns() {
    let server = TestServer::start(&[]);
    let mut cat = Siocat::start(&server.url(), &["--ns", "/a", "--ns", "/b"]);
    for ns in ["/a", "/b"] {
        let line = cat.expect(ns, |l| l["type"] == "connect" && l["ns"] == ns);
        let seen = server.expect(*T, |r| r["type"] == "connect" && r["ns"] == ns);
        assert_eq!(line["sid"], seen["sid"]);
    }
    cat.eof_exits_zero();
    assert!(
        !server.records().iter().any(|r| r["type"] == "connect" && r["ns"] == "/"),
        "/ was not asked for"
    );
}

#[test]
fn auth_is_sent_when_joining() {
    let server = TestServer::start(&[]);
    let mut cat = Siocat::start(&server.url(), &["--auth", r#"{"token":"secret"}"#, "--ns", "/admin"]);
    cat.expect("connect on /admin", is("connect", "/admin"));
    let seen = server.expect(*T, |r| r["type"] == "connect" && r["ns"] == "/admin");
    assert_eq!(seen["auth"], json!({ "token": "secret" }));
    cat.eof_exits_zero();
}

#[test]
fn refused_namespace_prints_connect_error_and_fails() {
    let server = TestServer::start(&[]);
    let mut cat = Siocat::start(&server.url(), &["--ns", "/admin"]);
    let line = cat.expect("connect_error on /admin", is("connect_error", "/admin"));
    assert_eq!(line["message"], "not authorized");
    assert_eq!(line["data"], json!({ "code": 401 }));
    // The only namespace failed: siocat exits by itself, without waiting for stdin.
    let status = cat.wait();
    assert!(!status.success(), "exit status must be non-zero, got {status}");
    server.expect(*T, |r| r["type"] == "refused");
}

#[test]
fn refused_namespace_next_to_an_accepted_one_is_not_fatal() {
    let server = TestServer::start(&[]);
    let mut cat = Siocat::start(&server.url(), &["--ns", "/admin", "--ns", "/a"]);
    cat.expect("connect_error on /admin", is("connect_error", "/admin"));
    cat.expect("connect on /a", is("connect", "/a"));
    cat.send("call /a ack [1] 2000");
    cat.expect("ack", is("ack", "/a"));
    cat.eof_exits_zero();
}

#[test]
fn query_and_header_reach_the_server() {
    let (server, mut cat) = connected(&["--query", "k=v", "--header", "X-Test: 1"]);
    let engine = server.expect(*T, |r| r["type"] == "engine_connection");
    assert_eq!(engine["query"]["k"], "v", "{engine}");
    assert_eq!(engine["headers"]["x-test"], "1", "{engine}");
    cat.eof_exits_zero();
}

#[test]
fn emit_sends_nested_json_and_unicode() {
    let (server, mut cat) = connected(&[]);
    let args = json!([
        { "nested": { "list": [1, 2.5, null, true, false], "empty": {} } },
        "héllo wörld ☃ 🚀",
        "quote \" backslash \\ newline \n tab \t",
        []
    ]);
    cat.send(&format!("emit / echo {args}"));
    let seen = server.expect(*T, |r| r["type"] == "event" && r["event"] == "echo");
    assert_eq!(seen["args"], args);
    assert_eq!(seen["ack"], false);
    let line = cat.expect("echo event", is_event("/", "echo"));
    assert_eq!(line["args"], args);
    cat.eof_exits_zero();
}

#[test]
fn event_name_with_characters_to_escape_is_printed_as_valid_json() {
    let (server, mut cat) = connected(&[]);
    // The server broadcasts `["we\"ird\\name", 1]` as event `we"ird\name`.
    cat.send(r#"emit / broadcast ["we\"ird\\name",1]"#);
    server.expect(*T, |r| r["type"] == "event" && r["event"] == "broadcast");
    let line = cat.expect("broadcast", |l| l["type"] == "event" && l["event"] == "we\"ird\\name");
    assert_eq!(line["args"], json!([1]));
    cat.eof_exits_zero();
}

#[test]
fn call_prints_the_ack() {
    let (server, mut cat) = connected(&[]);
    cat.send(r#"call / ack [1,{"two":[2]},"три"] 2000"#);
    let line = cat.expect("ack line", is("ack", "/"));
    assert_eq!(line["event"], "ack");
    assert_eq!(line["args"], json!([1, { "two": [2] }, "три"]));
    let seen = server.expect(*T, |r| r["type"] == "event" && r["event"] == "ack");
    assert_eq!(seen["ack"], true);
    cat.eof_exits_zero();
}

#[test]
fn call_without_reply_prints_ack_timeout_even_after_eof() {
    let (server, mut cat) = connected(&[]);
    cat.send("call / never [] 300");
    server.expect(*T, |r| r["type"] == "event" && r["event"] == "never");
    // EOF right away: siocat still waits for the pending call to time out.
    cat.close_stdin();
    let line = cat.expect("ack_timeout", is("ack_timeout", "/"));
    assert_eq!(line, json!({ "type": "ack_timeout", "ns": "/", "event": "never" }));
    let status = cat.wait();
    assert!(status.success(), "{status}");
}

#[test]
fn server_ack_request_is_answered_with_the_events_args() {
    let (server, mut cat) = connected(&[]);
    cat.send(r#"emit / ask ["q",1]"#);
    let line = cat.expect("question", is_event("/", "question"));
    assert_eq!(line["args"], json!(["q", 1]));
    assert_eq!(line["ack"], true);
    let reply = server.expect(*T, |r| r["type"] == "ask_reply" || r["type"] == "ask_timeout");
    assert_eq!(reply, json!({ "type": "ask_reply", "ns": "/", "args": ["q", 1] }));
    cat.eof_exits_zero();
}

#[test]
fn disconnect_command_leaves_the_namespace() {
    let (server, mut cat) = connected(&[]);
    cat.send("disconnect /");
    let line = cat.expect("disconnect", is("disconnect", "/"));
    assert_eq!(line["reason"], "io client disconnect");
    server.expect(*T, |r| r["type"] == "disconnect" && r["ns"] == "/");
    // An emit joins it again.
    cat.send("emit / echo [2]");
    cat.expect("second connect", is("connect", "/"));
    let echo = cat.expect("echo", is_event("/", "echo"));
    assert_eq!(echo["args"], json!([2]));
    cat.eof_exits_zero();
}

#[test]
fn server_kick_prints_io_server_disconnect() {
    let (_server, mut cat) = connected(&[]);
    cat.send("emit / kick []");
    let line = cat.expect("disconnect", is("disconnect", "/"));
    assert_eq!(line["reason"], "io server disconnect");
    cat.eof_exits_zero();
}

#[test]
fn emit_on_another_namespace_joins_it() {
    let (server, mut cat) = connected(&[]);
    cat.send("emit /b echo [3]");
    cat.expect("connect on /b", is("connect", "/b"));
    let echo = cat.expect("echo on /b", is_event("/b", "echo"));
    assert_eq!(echo["args"], json!([3]));
    server.expect(*T, |r| r["type"] == "event" && r["ns"] == "/b" && r["event"] == "echo");
    cat.eof_exits_zero();
}

#[test]
fn bad_lines_print_errors_and_siocat_keeps_going() {
    let (server, mut cat) = connected(&[]);
    for bad in
        ["bogus", "emit / x [1,", "emit / connect []", "disconnect /nowhere", "call /", "call / ack [1] -5"]
    {
        cat.send(bad);
        let line = cat.expect("error line", |l| l["type"] == "error");
        let message = line["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "{bad:?} gave {line}");
        assert_eq!(line.as_object().map(|o| o.len()), Some(2), "{line}");
    }
    cat.send("call / ack [7] 2000");
    let ack = cat.expect("ack", is("ack", "/"));
    assert_eq!(ack["args"], json!([7]));
    // None of the bad lines reached the server (its record of the good one may still be in
    // flight: wait for it first).
    server.expect(*T, |r| r["type"] == "event" && r["event"] == "ack");
    let events: Vec<Value> =
        server.records().into_iter().filter(|r| r["type"] == "event").map(|r| r["event"].clone()).collect();
    assert_eq!(events, vec![json!("ack")]);
    cat.eof_exits_zero();
}

#[test]
fn quit_command_exits_zero() {
    let (_server, mut cat) = connected(&[]);
    cat.send("quit");
    cat.expect("disconnect", is("disconnect", "/"));
    let status = cat.wait();
    assert!(status.success(), "{status}");
}

#[test]
fn connection_refused_exits_non_zero() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("local_addr").port()
    }; // closed again: nothing listens there
    let mut cat = Siocat::start(&format!("http://127.0.0.1:{port}"), &[]);
    let line = cat.expect("connect_error", is("connect_error", "/"));
    assert!(line["message"].as_str().is_some_and(|m| !m.is_empty()), "{line}");
    let status = cat.wait();
    assert!(!status.success(), "exit status must be non-zero, got {status}");
}

#[test]
fn help_exits_zero() {
    let out = siocat_command().arg("--help").output().expect("run siocat --help");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("usage: siocat"));
}

#[test]
fn help_lists_transport_and_eio() {
    let out = siocat_command().arg("--help").output().expect("run siocat --help");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for word in ["--transport", "websocket", "polling", "--eio", "_binary"] {
        assert!(help.contains(word), "--help does not mention {word}:\n{help}");
    }
}

#[test]
fn transport_polling_connects_and_echoes_without_upgrading() {
    let (server, mut cat) = connected(&["--transport", "polling"]);
    let engine = server.expect(*T, |r| r["type"] == "engine_connection");
    assert_eq!(engine["transport"], "polling", "{engine}");
    echo_works(&server, &mut cat, 1);
    cat.send("call / ack [2] 2000");
    assert_eq!(cat.expect("ack", is("ack", "/"))["args"], json!([2]));
    cat.eof_exits_zero();
    assert!(!server.records().iter().any(|r| r["type"] == "upgrade"), "{:?}", server.records());
}

#[test]
fn transport_websocket_connects_and_echoes() {
    let (server, mut cat) = connected(&["--transport", "websocket"]);
    let engine = server.expect(*T, |r| r["type"] == "engine_connection");
    assert_eq!(engine["transport"], "websocket", "{engine}");
    echo_works(&server, &mut cat, 1);
    cat.eof_exits_zero();
    assert!(!server.records().iter().any(|r| r["type"] == "upgrade"), "{:?}", server.records());
}

#[test]
fn transport_auto_starts_with_polling_and_upgrades() {
    let (server, mut cat) = connected(&["--transport", "auto"]);
    let engine = server.expect(*T, |r| r["type"] == "engine_connection");
    assert_eq!(engine["transport"], "polling", "{engine}");
    let upgrade = server.expect(*T, |r| r["type"] == "upgrade");
    assert_eq!(upgrade["transport"], "websocket", "{upgrade}");
    echo_works(&server, &mut cat, 1);
    cat.eof_exits_zero();
}

#[test]
fn eio_3_connects_to_a_server_allowing_eio3() {
    let (server, mut cat) = connected_to(&["--allow-eio3"], &["--eio", "3"]);
    let engine = server.expect(*T, |r| r["type"] == "engine_connection");
    assert_eq!(engine["query"]["EIO"], "3", "{engine}");
    echo_works(&server, &mut cat, 1);
    cat.eof_exits_zero();
}

#[test]
fn eio_4_is_refused_by_a_socket_io_2_server() {
    let server = TestServer::start(&["--v2"]);
    let mut cat = Siocat::start(&server.url(), &["--eio", "4"]);
    cat.expect("connect_error on /", is("connect_error", "/"));
    let status = cat.wait();
    assert!(!status.success(), "exit status must be non-zero, got {status}");
}

#[test]
fn eio_auto_works_with_a_socket_io_2_server() {
    let (server, mut cat) = connected_to(&["--v2"], &["--eio", "auto"]);
    let seen = server.expect(*T, |r| r["type"] == "connect" && r["ns"] == "/");
    let welcome = cat.expect("welcome", is_event("/", "welcome"));
    assert_eq!(welcome["args"], json!([{ "ns": "/", "sid": seen["sid"] }]));
    echo_works(&server, &mut cat, 1);
    cat.send(r#"call / ack ["v2"] 2000"#);
    assert_eq!(cat.expect("ack", is("ack", "/"))["args"], json!(["v2"]));
    cat.eof_exits_zero();
}

#[test]
fn bad_transport_or_eio_values_exit_2() {
    for args in [
        &["--transport", "tcp"][..],
        &["--transport", "WebSocket"],
        &["--transport", ""],
        &["--transport"],
        &["--eio", "5"],
        &["--eio", "v3"],
        &["--eio", "3.0"],
        &["--eio", ""],
        &["--eio"],
    ] {
        let (status, stderr) = run_to_exit(args);
        assert_eq!(status.code(), Some(2), "{args:?}: {status}, stderr: {stderr}");
        assert!(stderr.contains("usage: siocat"), "{args:?}: {stderr}");
    }
}

#[test]
fn binary_args_are_sent_and_printed_as_base64() {
    let (server, mut cat) = connected(&[]);
    let args = json!([{ "_binary": "AQID" }, { "nested": [{ "_binary": "" }] }]);
    cat.send(&format!("emit / echo {args}"));
    let seen = server.expect(*T, |r| r["type"] == "event" && r["event"] == "echo");
    assert_eq!(seen["args"], args);
    // The server's echo re-emits the Buffers: siocat prints them as _binary objects again.
    let line = cat.expect("echo event", is_event("/", "echo"));
    assert_eq!(line["args"], args);
    cat.eof_exits_zero();
}

#[test]
fn binary_objects_may_have_whitespace_and_strings_stay_strings() {
    let (server, mut cat) = connected(&[]);
    cat.send(r#"emit / echo [ { "_binary" : "AQI=" } , "{\"_binary\":\"AQI=\"}", {"_binary":"\/w=="}, {"_binary":"AQI=","x":1}]"#);
    let expected = json!([{ "_binary": "AQI=" }, "{\"_binary\":\"AQI=\"}", { "_binary": "/w==" }, { "_binary": "AQI=", "x": 1 }]);
    let seen = server.expect(*T, |r| r["type"] == "event" && r["event"] == "echo");
    assert_eq!(seen["args"], expected);
    let line = cat.expect("echo event", is_event("/", "echo"));
    assert_eq!(line["args"], expected);
    cat.eof_exits_zero();
}

#[test]
fn call_with_binary_prints_the_binary_ack() {
    let (server, mut cat) = connected(&[]);
    cat.send(r#"call / binary [{"_binary":"/wA="}] 2000"#);
    let line = cat.expect("ack line", is("ack", "/"));
    assert_eq!(line, json!({ "type": "ack", "ns": "/", "event": "binary", "args": [{ "_binary": "/wA=" }] }));
    let seen = server.expect(*T, |r| r["type"] == "event" && r["event"] == "binary");
    assert_eq!(seen["args"], json!([{ "_binary": "/wA=" }]));
    assert_eq!(seen["ack"], true);
    let event = cat.expect("binary event", is_event("/", "binary"));
    assert_eq!(event["args"], json!([{ "_binary": "/wA=" }]));
    cat.eof_exits_zero();
}

#[test]
fn binary_of_every_length_round_trips() {
    let (server, mut cat) = connected(&[]);
    // 0..=7 bytes cover every padding case, plus one buffer of 100 kB; then 10 small buffers
    // in nested places (the server's parser refuses more than 10 per packet).
    let mut lengths: Vec<Value> = (0..8u8)
        .map(|n| {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(97).wrapping_add(200)).collect();
            json!({ "_binary": base64(&bytes) })
        })
        .collect();
    let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    lengths.push(json!({ "_binary": base64(&big) }));
    let many = json!([{ "a": (0..5u8).map(|i| json!({ "_binary": base64(&[i]) })).collect::<Vec<_>>() },
                      "_binary",
                      { "b": { "c": (5..10u8).map(|i| json!([{ "_binary": base64(&[i, i]) }])).collect::<Vec<_>>() } }]);
    for args in [Value::Array(lengths), many] {
        cat.send(&format!("call / binary {args} 5000"));
        let line = cat.expect("ack line", is("ack", "/"));
        assert_eq!(line["args"], args);
        let seen = server.expect(*T, |r| r["type"] == "event" && r["event"] == "binary" && r["args"] == args);
        assert_eq!(seen["ack"], true);
    }
    cat.eof_exits_zero();
}

#[test]
fn server_ack_request_with_binary_is_answered_with_the_binary() {
    let (server, mut cat) = connected(&[]);
    cat.send(r#"emit / ask [{"_binary":"AQI="}]"#);
    let line = cat.expect("question", is_event("/", "question"));
    assert_eq!(line["args"], json!([{ "_binary": "AQI=" }]));
    assert_eq!(line["ack"], true);
    let reply = server.expect(*T, |r| r["type"] == "ask_reply" || r["type"] == "ask_timeout");
    assert_eq!(reply, json!({ "type": "ask_reply", "ns": "/", "args": [{ "_binary": "AQI=" }] }));
    cat.eof_exits_zero();
}

#[test]
fn binary_works_over_every_transport_and_protocol() {
    for (server_args, args) in [
        (&[][..], &["--transport", "polling"][..]),
        (&[], &["--transport", "websocket"]),
        (&["--allow-eio3"], &["--eio", "3", "--transport", "polling"]),
        (&["--allow-eio3"], &["--eio", "3", "--transport", "websocket"]),
        (&["--v2"], &["--eio", "auto"]),
        (&["--v2"], &["--eio", "3", "--transport", "polling"]),
    ] {
        let what = format!("server {server_args:?}, siocat {args:?}");
        let (server, mut cat) = connected_to(server_args, args);
        cat.send(r#"emit / echo [{"_binary":"AQID"},{"nested":[{"_binary":""}]}]"#);
        let line = cat.expect("echo event", is_event("/", "echo"));
        assert_eq!(line["args"], json!([{ "_binary": "AQID" }, { "nested": [{ "_binary": "" }] }]), "{what}");
        cat.send(r#"call / binary ["x",{"_binary":"/wA="}] 2000"#);
        let ack = cat.expect("ack line", is("ack", "/"));
        assert_eq!(ack["args"], json!(["x", { "_binary": "/wA=" }]), "{what}");
        cat.send(r#"emit / ask [{"_binary":"AQI="},2]"#);
        let reply = server.expect(*T, |r| r["type"] == "ask_reply" || r["type"] == "ask_timeout");
        assert_eq!(reply["args"], json!([{ "_binary": "AQI=" }, 2]), "{what}: {reply}");
        cat.eof_exits_zero();
    }
}

#[test]
fn invalid_base64_prints_an_error_and_siocat_keeps_going() {
    let (server, mut cat) = connected(&[]);
    for bad in [
        r#"emit / echo [{"_binary":"A"}]"#,
        r#"emit / echo [1,{"x":{"_binary":"!!!!"}}]"#,
        r#"emit / echo [{"_binary":"AQ=I"}]"#,
        r#"emit / echo [{"_binary":"AQI=="}]"#,
        r#"emit / echo [{"_binary":"AQ\nI="}]"#,
        r#"call / ack [{"_binary":"AQID"},{"_binary":"*"}] 2000"#,
    ] {
        cat.send(bad);
        let line = cat.expect("error line", |l| l["type"] == "error");
        let message = line["message"].as_str().unwrap_or_default();
        assert!(message.contains("base64"), "{bad:?} gave {line}");
        assert_eq!(line.as_object().map(|o| o.len()), Some(2), "{line}");
    }
    cat.send(r#"call / ack [{"_binary":"AQID"}] 2000"#);
    let ack = cat.expect("ack", is("ack", "/"));
    assert_eq!(ack["args"], json!([{ "_binary": "AQID" }]));
    server.expect(*T, |r| r["type"] == "event" && r["event"] == "ack");
    let events: Vec<Value> =
        server.records().into_iter().filter(|r| r["type"] == "event").map(|r| r["event"].clone()).collect();
    assert_eq!(events, vec![json!("ack")], "no bad line reached the server");
    cat.eof_exits_zero();
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let v = chunk.iter().enumerate().fold(0u32, |v, (i, &b)| v | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---- TLS: --cacert, --cert/--key, --insecure ----

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Expects a connect_error line on `/` whose message contains `word` (case-insensitive), then
/// siocat's exit with a non-zero status; returns the line.
#[track_caller]
fn fails_with(cat: &mut Siocat, word: &str) -> Value {
    let line = cat.expect("connect_error on /", is("connect_error", "/"));
    let message = line["message"].as_str().unwrap_or_default().to_lowercase();
    assert!(message.contains(word), "connect_error should mention {word:?}: {line}");
    let status = cat.wait();
    assert!(!status.success(), "exit status must be non-zero, got {status}");
    line
}

#[test]
fn cacert_trusts_the_tls_servers_certificate() {
    let c = certs();
    let server = TestServer::start_tls(&c.server_cert, &c.server_key, None);
    assert!(server.url().starts_with("https://"), "{}", server.url());
    let mut cat = Siocat::start(&server.url(), &["--cacert", path(&c.ca)]);
    cat.expect("connect on /", is("connect", "/"));
    echo_works(&server, &mut cat, 1);
    cat.eof_exits_zero();
}

#[test]
fn cacert_works_over_websocket_and_polling_with_wss_urls() {
    let c = certs();
    let server = TestServer::start_tls(&c.server_cert, &c.server_key, None);
    for transport in ["websocket", "polling"] {
        let url = format!("wss://localhost:{}", server.port());
        let mut cat = Siocat::start(&url, &["--cacert", path(&c.ca), "--transport", transport]);
        cat.expect("connect on /", is("connect", "/"));
        echo_works(&server, &mut cat, 2);
        cat.eof_exits_zero();
    }
}

#[test]
fn untrusted_tls_certificate_is_a_connect_error() {
    let c = certs();
    let server = TestServer::start_tls(&c.server_cert, &c.server_key, None);
    let mut cat = Siocat::start(&server.url(), &[]);
    fails_with(&mut cat, "certificate");
    assert!(!server.records().iter().any(|r| r["type"] == "connect"), "{:?}", server.records());
}

#[test]
fn insecure_accepts_an_untrusted_certificate() {
    let c = certs();
    let server = TestServer::start_tls(&c.server_cert, &c.server_key, None);
    let mut cat = Siocat::start(&server.url(), &["--insecure"]);
    cat.expect("connect on /", is("connect", "/"));
    echo_works(&server, &mut cat, 3);
    cat.eof_exits_zero();
}

#[test]
fn cert_and_key_answer_a_server_requiring_a_client_certificate() {
    let c = certs();
    let server = TestServer::start_tls(&c.server_cert, &c.server_key, Some(&c.ca));
    let mut cat = Siocat::start(
        &server.url(),
        &["--cacert", path(&c.ca), "--cert", path(&c.client_cert), "--key", path(&c.client_key)],
    );
    cat.expect("connect on /", is("connect", "/"));
    echo_works(&server, &mut cat, 4);
    cat.eof_exits_zero();

    // Without them the server ends the handshake: connect_error, and a non-zero exit.
    let mut cat = Siocat::start(&server.url(), &["--cacert", path(&c.ca)]);
    fails_with(&mut cat, "");
}

#[test]
fn unreadable_or_unusable_tls_files_exit_2() {
    let c = certs();
    let url = "https://127.0.0.1:9";
    let missing = c.ca.with_file_name("missing-ca.pem");
    let not_a_key = path(&c.ca);
    for (args, named) in [
        (vec!["--cacert", path(&missing)], path(&missing)),
        (vec!["--cacert", path(&c.ca), "--cert", path(&c.client_cert), "--key", not_a_key], not_a_key),
        (
            vec!["--cacert", path(&c.ca), "--cert", path(&missing), "--key", path(&c.client_key)],
            path(&missing),
        ),
    ] {
        let (status, stderr) = run_to_exit_url(url, &args);
        assert_eq!(status.code(), Some(2), "{args:?}: {status}, stderr: {stderr}");
        // sio_connect refused the options: "siocat: URL: message", the message naming the file.
        assert!(stderr.contains(&format!("siocat: {url}: ")), "{args:?}: {stderr}");
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
}

#[test]
fn cert_and_key_go_together() {
    let c = certs();
    for args in [
        &["--cert", path(&c.client_cert)][..],
        &["--key", path(&c.client_key)],
        &["--cacert", path(&c.ca), "--key", path(&c.client_key), "--insecure"],
        &["--cert"],
        &["--cacert"],
        &["--proxy"],
    ] {
        let (status, stderr) = run_to_exit(args);
        assert_eq!(status.code(), Some(2), "{args:?}: {status}, stderr: {stderr}");
        assert!(stderr.contains("usage: siocat"), "{args:?}: {stderr}");
    }
    let (_, stderr) = run_to_exit(&["--cert", path(&c.client_cert)]);
    assert!(stderr.contains("--key"), "{stderr}");
}

#[test]
fn help_lists_tls_and_proxy_options() {
    let out = siocat_command().arg("--help").output().expect("run siocat --help");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for word in ["--cacert", "--cert", "--key", "--insecure", "--proxy"] {
        assert!(help.contains(word), "--help does not mention {word}:\n{help}");
    }
}

// ---- Proxy: --proxy, through tests/server/proxy.js ----

/// A proxy record of a tunnel (CONNECT) to `port` on 127.0.0.1.
fn is_tunnel_to(port: u16) -> impl Fn(&Value) -> bool {
    move |r| r["type"] == "connect" && r["target"] == format!("127.0.0.1:{port}")
}

/// A proxy record of a tunnel or plain request to `port` on 127.0.0.1.
fn is_proxied_to(port: u16) -> impl Fn(&Value) -> bool {
    move |r| {
        is_tunnel_to(port)(r)
            || (r["type"] == "request"
                && r["url"].as_str().is_some_and(|u| u.starts_with(&format!("http://127.0.0.1:{port}/"))))
    }
}

/// The proxy URL with `user:password@`.
fn with_credentials(proxy: &TestProxy, credentials: &str) -> String {
    format!("http://{credentials}@127.0.0.1:{}", proxy.port())
}

/// Everything the proxy recorded besides `listening`.
fn proxied(proxy: &TestProxy) -> Vec<Value> {
    proxy.records().into_iter().filter(|r| r["type"] != "listening").collect()
}

#[test]
fn proxy_tunnels_the_websocket_transport() {
    let proxy = TestProxy::start(&[]);
    let server = TestServer::start(&[]);
    let mut cat = Siocat::start(&server.url(), &["--proxy", &proxy.url(), "--transport", "websocket"]);
    cat.expect("connect on /", is("connect", "/"));
    let tunnel = proxy.expect(*T, is_tunnel_to(server.port()));
    assert_eq!(tunnel["auth"], false, "{tunnel}");
    echo_works(&server, &mut cat, 1);
    cat.eof_exits_zero();
}

#[test]
fn proxy_carries_the_polling_transport() {
    let proxy = TestProxy::start(&[]);
    let server = TestServer::start(&[]);
    let mut cat = Siocat::start(&server.url(), &["--proxy", &proxy.url(), "--transport", "polling"]);
    cat.expect("connect on /", is("connect", "/"));
    proxy.expect(*T, is_proxied_to(server.port()));
    echo_works(&server, &mut cat, 2);
    cat.send("call / ack [3] 2000");
    assert_eq!(cat.expect("ack", is("ack", "/"))["args"], json!([3]));
    cat.eof_exits_zero();
    let records = proxied(&proxy);
    assert!(records.iter().all(is_proxied_to(server.port())), "only to the server: {records:?}");
}

#[test]
fn proxy_tunnels_tls() {
    let c = certs();
    let proxy = TestProxy::start(&[]);
    let server = TestServer::start_tls(&c.server_cert, &c.server_key, None);
    for transport in ["websocket", "polling"] {
        let args = ["--proxy", &proxy.url(), "--cacert", path(&c.ca), "--transport", transport];
        let mut cat = Siocat::start(&server.url(), &args);
        cat.expect("connect on /", is("connect", "/"));
        echo_works(&server, &mut cat, 3);
        cat.eof_exits_zero();
    }
    // https: only tunnels, never a plain request the proxy could read.
    proxy.expect(*T, is_tunnel_to(server.port()));
    let records = proxied(&proxy);
    assert!(records.iter().all(is_tunnel_to(server.port())), "{records:?}");
}

#[test]
fn proxy_credentials_in_the_url_are_sent() {
    let proxy = TestProxy::start(&["--auth", "u:p"]);
    let server = TestServer::start(&[]);
    for transport in ["websocket", "polling"] {
        let args = ["--proxy", &with_credentials(&proxy, "u:p"), "--transport", transport];
        let mut cat = Siocat::start(&server.url(), &args);
        cat.expect("connect on /", is("connect", "/"));
        echo_works(&server, &mut cat, 4);
        cat.eof_exits_zero();
    }
    let accepted = proxy.expect(*T, is_proxied_to(server.port()));
    assert_eq!(accepted["auth"], true, "{accepted}");
    let refused: Vec<Value> = proxied(&proxy).into_iter().filter(|r| r["type"] == "refused").collect();
    assert!(refused.is_empty(), "{refused:?}");
}

#[test]
fn proxy_refusing_the_credentials_is_a_connect_error() {
    let proxy = TestProxy::start(&["--auth", "u:p"]);
    let server = TestServer::start(&[]);
    for (proxy_url, reason) in
        [(proxy.url(), "no credentials"), (with_credentials(&proxy, "u:wrong"), "wrong credentials")]
    {
        for transport in ["websocket", "polling"] {
            let mut cat = Siocat::start(&server.url(), &["--proxy", &proxy_url, "--transport", transport]);
            fails_with(&mut cat, "proxy");
            proxy.expect(*T, |r| r["type"] == "refused" && r["reason"] == reason);
        }
    }
    assert!(
        !server.records().iter().any(|r| r["type"] == "engine_connection"),
        "nothing reached the server: {:?}",
        server.records()
    );
}

#[test]
fn proxy_not_listening_is_a_connect_error() {
    let server = TestServer::start(&[]);
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("local_addr").port()
    }; // closed again: nothing listens there
    let mut cat = Siocat::start(&server.url(), &["--proxy", &format!("http://127.0.0.1:{port}")]);
    fails_with(&mut cat, "");
    assert!(!server.records().iter().any(|r| r["type"] == "engine_connection"), "{:?}", server.records());
}

#[test]
fn proxy_from_the_environment_unless_proxy_is_empty() {
    let proxy = TestProxy::start(&[]);
    let server = TestServer::start(&[]);
    let env = [("http_proxy", proxy.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();

    // http_proxy is used for an http:// URL ...
    let mut cat = Siocat::start_with_env(&server.url(), &["--transport", "websocket"], &env);
    cat.expect("connect on /", is("connect", "/"));
    proxy.expect(*T, is_tunnel_to(server.port()));
    echo_works(&server, &mut cat, 5);
    cat.eof_exits_zero();
    let before = proxied(&proxy).len();

    // ... but --proxy '' means no proxy at all, and no_proxy lists hosts reached directly.
    for (args, extra) in [(&["--proxy", ""][..], None), (&[], Some(("no_proxy", "127.0.0.1")))] {
        let mut env = env.clone();
        env.extend(extra);
        let mut cat =
            Siocat::start_with_env(&server.url(), &[args, &["--transport", "websocket"]].concat(), &env);
        cat.expect("connect on /", is("connect", "/"));
        echo_works(&server, &mut cat, 6);
        cat.eof_exits_zero();
        assert_eq!(proxied(&proxy).len(), before, "{args:?} {extra:?}: {:?}", proxied(&proxy));
    }
}

#[test]
fn empty_proxy_connects_directly() {
    let (server, mut cat) = connected(&["--proxy", ""]);
    echo_works(&server, &mut cat, 7);
    cat.eof_exits_zero();
}

#[test]
fn bad_proxy_url_exits_2() {
    for proxy in ["ftp://127.0.0.1:3128", "http://", "http://[::1"] {
        let (status, stderr) = run_to_exit(&["--proxy", proxy]);
        assert_eq!(status.code(), Some(2), "{proxy:?}: {status}, stderr: {stderr}");
        assert!(stderr.contains("siocat: http://127.0.0.1:9: "), "{proxy:?}: {stderr}");
    }
}

// ---- Reconnection: --no-reconnect, --reconnect-delay(-max), --reconnect-attempts ----

/// Fast reconnection attempts, for the tests.
const FAST: [&str; 4] = ["--reconnect-delay", "50", "--reconnect-delay-max", "200"];

/// The lines about the connection's life (connect, disconnect, reconnect_*), in order.
fn lifecycle(lines: &[Value]) -> Vec<Value> {
    lines
        .iter()
        .filter(|l| {
            let t = l["type"].as_str().unwrap_or_default();
            t == "connect" || t == "disconnect" || t.starts_with("reconnect")
        })
        .cloned()
        .collect()
}

fn is_reconnect_line(l: &Value) -> bool {
    l["type"].as_str().is_some_and(|t| t.starts_with("reconnect"))
}

#[test]
fn reconnects_to_a_restarted_server_and_sends_what_was_typed_meanwhile() {
    let server = TestServer::start(&[]);
    let port = server.port().to_string();
    let mut cat = Siocat::start(&server.url(), &FAST);
    let first = cat.expect("connect on /", is("connect", "/"));

    drop(server); // killed
    let line = cat.expect("disconnect", is("disconnect", "/"));
    assert_eq!(line["reason"], "transport close", "{line}");
    cat.expect("attempt 1", |l| l["type"] == "reconnect_attempt" && l["attempt"] == 1);
    // Typed while the server is down: held by libsio, sent after the reconnection.
    cat.send("emit / echo [1]");
    cat.expect("attempt 2", |l| l["type"] == "reconnect_attempt" && l["attempt"] == 2);
    let server = TestServer::start(&["--port", &port]);

    let reconnect = cat.expect("reconnect", is("reconnect", ""));
    let n = reconnect["attempt"].as_u64().unwrap_or_default();
    assert!(n >= 2, "{reconnect}");
    assert_eq!(reconnect.as_object().map(|o| o.len()), Some(2), "{reconnect}");
    let second = cat.expect("connect on / again", is("connect", "/"));
    let seen = server.expect(*T, |r| r["type"] == "connect" && r["ns"] == "/");
    assert_eq!(second["sid"], seen["sid"], "the restarted server's session");
    assert_ne!(second["sid"], first["sid"]);
    let echo = cat.expect("echo", is_event("/", "echo"));
    assert_eq!(echo["args"], json!([1]));
    server.expect(*T, |r| r["type"] == "event" && r["event"] == "echo" && r["args"] == json!([1]));

    // In order: disconnect, attempts 1..=n, reconnect n, connect (exactly these lines).
    let mut expected = vec![first, json!({ "type": "disconnect", "ns": "/", "reason": "transport close" })];
    expected.extend((1..=n).map(|i| json!({ "type": "reconnect_attempt", "attempt": i })));
    expected.push(json!({ "type": "reconnect", "attempt": n }));
    expected.push(second);
    assert_eq!(lifecycle(&cat.all), expected);

    echo_works(&server, &mut cat, 2);
    cat.eof_exits_zero();
    let echoes = server.records().iter().filter(|r| r["type"] == "event" && r["event"] == "echo").count();
    assert_eq!(echoes, 2, "the held emit arrived once: {:?}", server.records());
}

#[test]
fn a_recovered_session_says_so_after_the_events_missed_meanwhile() {
    let server = TestServer::start(&["--recovery"]);
    let mut cat = Siocat::start(&server.url(), &FAST);
    let first = cat.expect("connect on /", is("connect", "/"));
    assert_eq!(first["recovered"], false, "{first}");
    cat.expect("welcome", is_event("/", "welcome")); // its offset makes the session recoverable
    cat.send(r#"emit / away [2,"missed"]"#);
    cat.expect("disconnect", is("disconnect", "/"));
    let second = cat.expect("connect on / again", |l| l["type"] == "connect" && *l != first);
    assert_eq!(second["recovered"], true, "{second}");
    assert_eq!(second["sid"], first["sid"], "the same session");
    let lines = cat.all.clone();
    let missed: Vec<&Value> = lines.iter().filter(|l| l["event"] == "missed").collect();
    assert_eq!(
        missed.iter().map(|l| l["args"][0].clone()).collect::<Vec<_>>(),
        vec![json!({"i":0}), json!({"i":1})]
    );
    let at = |l: &Value| lines.iter().position(|x| x == l).unwrap_or(usize::MAX);
    assert!(
        missed.iter().all(|l| at(l) < at(&second)),
        "missed events come before the connect line: {lines:#?}"
    );
    cat.eof_exits_zero();
}

#[test]
fn reconnect_attempts_run_out_and_siocat_exits_zero() {
    let server = TestServer::start(&[]);
    let args = [&FAST[..], &["--reconnect-attempts", "2"]].concat();
    let mut cat = Siocat::start(&server.url(), &args);
    let first = cat.expect("connect on /", is("connect", "/"));
    drop(server); // never comes back
    cat.expect("disconnect", is("disconnect", "/"));
    // A call made meanwhile cannot be answered: siocat does not wait for its long timeout.
    cat.send("call / ack [1] 60000");
    cat.expect("reconnect_failed", is("reconnect_failed", ""));
    // Stdin is still open: siocat exits by itself, as at EOF.
    let status = cat.wait();
    assert!(status.success(), "siocat must exit 0 after reconnect_failed, got {status}");
    let lines = cat.all_lines();
    assert_eq!(
        lifecycle(&lines),
        vec![
            first,
            json!({ "type": "disconnect", "ns": "/", "reason": "transport close" }),
            json!({ "type": "reconnect_attempt", "attempt": 1 }),
            json!({ "type": "reconnect_attempt", "attempt": 2 }),
            json!({ "type": "reconnect_failed" }),
        ]
    );
    // The call ended with an error line (the client closed), not an ack.
    let error = cat.expect("error for the call", |l| l["type"] == "error");
    assert!(error["message"].as_str().is_some_and(|m| m.contains("ack")), "{error}");
    assert!(!lines.iter().any(|l| l["type"] == "ack" || l["type"] == "ack_timeout"), "{lines:?}");
}

#[test]
fn no_reconnect_prints_the_disconnect_and_nothing_more() {
    let server = TestServer::start(&[]);
    let args = [&["--no-reconnect"][..], &FAST].concat();
    let mut cat = Siocat::start(&server.url(), &args);
    cat.expect("connect on /", is("connect", "/"));
    drop(server);
    let line = cat.expect("disconnect", is("disconnect", "/"));
    assert_eq!(line["reason"], "transport close", "{line}");
    // Attempts would start within 100 ms; siocat keeps running until stdin ends.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(cat.child.try_wait().expect("try_wait").is_none(), "siocat exited before EOF");
    cat.eof_exits_zero();
    let lines = cat.all_lines();
    assert!(!lines.iter().any(is_reconnect_line), "{lines:?}");
}

#[test]
fn bad_reconnection_values_exit_2() {
    for args in [
        &["--reconnect-delay", "x"][..],
        &["--reconnect-delay", "-1"],
        &["--reconnect-delay", "1.5"],
        &["--reconnect-delay", ""],
        &["--reconnect-delay", "4294967296"],
        &["--reconnect-delay"],
        &["--reconnect-delay-max", "ms"],
        &["--reconnect-delay-max"],
        &["--reconnect-delay", "300", "--reconnect-delay-max", "200"],
        &["--reconnect-delay", "6000"],    // more than the default max, 5000
        &["--reconnect-delay-max", "999"], // less than the default delay, 1000
        &["--reconnect-attempts", "0"],
        &["--reconnect-attempts", "-1"],
        &["--reconnect-attempts", "two"],
        &["--reconnect-attempts", "4294967296"],
        &["--reconnect-attempts", ""],
        &["--reconnect-attempts"],
        &["--no-reconnect", "yes"], // takes no value: "yes" is a second URL
    ] {
        let (status, stderr) = run_to_exit(args);
        assert_eq!(status.code(), Some(2), "{args:?}: {status}, stderr: {stderr}");
        assert!(stderr.contains("usage: siocat"), "{args:?}: {stderr}");
    }
    // Good values: the first connection fails (nobody listens), status 1.
    for args in [
        &["--no-reconnect"][..],
        &["--reconnect-delay", "0", "--reconnect-delay-max", "0", "--reconnect-attempts", "1"],
        &["--reconnect-delay", "5000"],
        &["--reconnect-delay-max", "1000", "--reconnect-attempts", "4294967295"],
    ] {
        let (status, stderr) = run_to_exit(args);
        assert_eq!(status.code(), Some(1), "{args:?}: {status}, stderr: {stderr}");
    }
}

#[test]
fn help_lists_reconnection_options_and_lines() {
    let out = siocat_command().arg("--help").output().expect("run siocat --help");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for word in [
        "--no-reconnect",
        "--reconnect-delay MS",
        "--reconnect-delay-max MS",
        "--reconnect-attempts N",
        "\"reconnect_attempt\"",
        "\"reconnect\"",
        "\"reconnect_failed\"",
    ] {
        assert!(help.contains(word), "--help does not mention {word}:\n{help}");
    }
}

// ---- Delivery: --ack-timeout, --retries ----

#[test]
fn ack_timeout_is_the_default_of_calls_without_their_own() {
    let (server, mut cat) = connected(&["--ack-timeout", "1000"]);
    cat.send("call / never []");
    let line = cat.expect("ack_timeout", is("ack_timeout", "/"));
    assert_eq!(line, json!({ "type": "ack_timeout", "ns": "/", "event": "never" }));
    cat.send("call / ack [1]");
    assert_eq!(cat.expect("ack", is("ack", "/"))["args"], json!([1]));
    // A call's own timeout wins.
    cat.send("call / never [] 60000");
    cat.send("call / ack [2]");
    assert_eq!(cat.expect("ack", is("ack", "/"))["args"], json!([2]));
    std::thread::sleep(Duration::from_millis(1500));
    cat.send("quit");
    let status = cat.wait();
    assert!(status.success(), "{status}");
    let lines = cat.all_lines();
    assert_eq!(lines.iter().filter(|l| l["type"] == "ack_timeout").count(), 1, "{lines:?}");
    server.expect(*T, |r| r["type"] == "event" && r["args"] == json!([2]));
}

#[test]
fn retries_send_again_until_the_server_acks() {
    let (server, mut cat) = connected(&["--retries", "2", "--ack-timeout", "700"]);
    // The server's "flaky" event withholds its ack for the first k receptions of [id, k].
    cat.send("emit / flaky [0,1]");
    cat.send("call / flaky [1,2]");
    let line = cat.expect("ack", is("ack", "/"));
    assert_eq!(line["event"], "flaky");
    assert_eq!(line["args"][0], 1);
    assert_eq!(line["args"], json!([1, 3]), "acked at the 3rd reception, the last try");
    cat.send("call / flaky [2,5]");
    let line = cat.expect("ack_timeout", is("ack_timeout", "/"));
    assert_eq!(line, json!({ "type": "ack_timeout", "ns": "/", "event": "flaky" }));
    cat.eof_exits_zero();
    // Every emit, in order, each sent until acked: 0 twice (three times if its ack was late),
    // 1 and 2 three times (the tries of --retries 2), each time asking for an ack.
    let flaky: Vec<Value> = server.records().into_iter().filter(|r| r["event"] == "flaky").collect();
    let ids: Vec<i64> = flaky.iter().filter_map(|r| r["args"][0].as_i64()).collect();
    let count = |id| ids.iter().filter(|&&i| i == id).count();
    assert!(ids.windows(2).all(|w| w[0] <= w[1]), "FIFO: {ids:?}");
    assert!((2..=3).contains(&count(0)) && count(1) == 3 && count(2) == 3, "{ids:?}");
    assert!(flaky.iter().all(|r| r["ack"] == true), "{flaky:?}");
}

#[test]
fn bad_delivery_values_exit_2() {
    for args in [
        &["--ack-timeout", "0"][..],
        &["--ack-timeout", "-1"],
        &["--ack-timeout", "4294967296"],
        &["--ack-timeout"],
        &["--retries", "-1"],
        &["--retries", "x"],
        &["--retries"],
    ] {
        let (status, stderr) = run_to_exit(args);
        assert_eq!(status.code(), Some(2), "{args:?}: {status}, stderr: {stderr}");
        assert!(stderr.contains("usage: siocat"), "{args:?}: {stderr}");
    }
    for args in [&["--ack-timeout", "1", "--retries", "0"][..], &["--retries", "4294967295"]] {
        let (status, stderr) = run_to_exit(args);
        assert_eq!(status.code(), Some(1), "{args:?}: {status}, stderr: {stderr}");
    }
    let out = siocat_command().arg("--help").output().expect("run siocat --help");
    let help = String::from_utf8_lossy(&out.stdout);
    for word in ["--ack-timeout MS", "--retries N", "[TIMEOUT_MS]"] {
        assert!(help.contains(word), "--help does not mention {word}:\n{help}");
    }
}
