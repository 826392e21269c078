//! The C++ wrapper `include/sio.hpp`, through `tests/cpp/wrapper_test.cpp`: built with g++
//! (`-std=c++17 -Wall -Wextra -Werror -pedantic`, once with exceptions and once with
//! `-fno-exceptions`), linked to `libsio.so`, and run against the real server, one case per test.
//! The program checks what the wrapper hands it and exits 1 otherwise; each test then checks what
//! the server received.
//!
//! `SIO_CPP_SANITIZE=address,undefined` builds it with sanitizers, and `SIO_CPP_RUNNER` runs it
//! under a program (e.g. `valgrind --error-exitcode=99`); `scripts/check-examples.sh` does both.
//! `$CXX` picks the compiler (default `g++`).

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{LazyLock, OnceLock};
use std::time::Duration;

use common::TestServer;
use serde_json::{json, Value};

/// Upper bound for the server's records to arrive; runs under sanitizers or valgrind get more.
static T: LazyLock<Duration> = LazyLock::new(|| {
    let slow = std::env::var_os("SIO_CPP_RUNNER").is_some() || std::env::var_os("SIO_CPP_SANITIZE").is_some();
    Duration::from_secs(if slow { 60 } else { 20 })
});

#[derive(Clone, Copy, Debug, PartialEq)]
enum Build {
    Exceptions,
    NoExceptions,
}

const BUILDS: [Build; 2] = [Build::Exceptions, Build::NoExceptions];

/// Where the `libsio.so` of this build is: `target/debug/deps`, beside this test's executable
/// (`cargo test` builds the cdylib there, but copies it to `target/debug` only on `cargo build`).
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let dir = exe.parent().expect("target/debug/deps").to_path_buf();
    assert!(dir.join("libsio.so").is_file(), "{} is missing", dir.join("libsio.so").display());
    dir
}

/// The test program, compiled once per build per test run.
fn program(build: Build) -> &'static Path {
    static BUILT: [OnceLock<PathBuf>; 2] = [OnceLock::new(), OnceLock::new()];
    BUILT[build as usize].get_or_init(|| compile(build))
}

fn compile(build: Build) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sanitize = std::env::var("SIO_CPP_SANITIZE").unwrap_or_default();
    let mut name = String::from("wrapper_test");
    if build == Build::NoExceptions {
        name.push_str("-no-exceptions");
    }
    if !sanitize.is_empty() {
        name.push_str("-sanitized");
    }
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let lib = lib_dir();
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "g++".into());
    let mut cmd = Command::new(&cxx);
    cmd.args(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"])
        .arg(format!("-I{}", root.join("include").display()))
        .arg(root.join("tests/cpp/wrapper_test.cpp"))
        .arg("-o")
        .arg(&out)
        .arg(format!("-L{}", lib.display()))
        .args(["-lsio", "-lpthread"])
        .arg(format!("-Wl,-rpath,{}", lib.display()));
    if build == Build::NoExceptions {
        cmd.arg("-fno-exceptions");
    }
    if !sanitize.is_empty() {
        cmd.arg(format!("-fsanitize={sanitize}")).arg("-fno-omit-frame-pointer");
    }
    let result =
        cmd.output().unwrap_or_else(|e| panic!("cannot run `{cxx}` (is a C++ compiler installed?): {e}"));
    assert!(
        result.status.success(),
        "compiling tests/cpp/wrapper_test.cpp failed:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    out
}

/// Runs `wrapper_test CASE URL` (under `$SIO_CPP_RUNNER` if set) and returns its stdout;
/// panics, showing its output, unless it exits with 0.
fn run(build: Build, case: &str, server: &TestServer) -> String {
    run_url(build, case, &server.url())
}

/// `run` with any URL (e.g. where nothing listens).
fn run_url(build: Build, case: &str, url: &str) -> String {
    let runner = std::env::var("SIO_CPP_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut cmd = match words.next() {
        Some(first) => {
            let mut cmd = Command::new(first);
            cmd.args(words).arg(program(build));
            cmd
        }
        None => Command::new(program(build)),
    };
    let out = cmd.args([case, url]).output().expect("run wrapper_test");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "wrapper_test {case} ({build:?}) failed with {}:\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The `sid KEY SID` lines of the program's output.
fn sids(stdout: &str) -> HashMap<String, String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("sid "))
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The args of every event named `name` the server received so far.
fn event_args(server: &TestServer, name: &str) -> Vec<Value> {
    server
        .records()
        .iter()
        .filter(|r| r["type"] == "event" && r["event"] == name)
        .map(|r| r["args"].clone())
        .collect()
}

fn count(server: &TestServer, kind: &str) -> usize {
    server.records().iter().filter(|r| r["type"] == kind).count()
}

/// Waits until the server saw namespace `ns` of the client with socket id `sid` disconnect: all
/// that client sent on it before has been recorded.
fn expect_disconnect(server: &TestServer, sid: &str) {
    server.expect(*T, |r| r["type"] == "disconnect" && r["sid"] == sid);
}

/// The socket id of the (only) connect record of `ns`.
fn connected_sid(server: &TestServer, ns: &str) -> String {
    let r = server.expect(*T, |r| r["type"] == "connect" && r["ns"] == ns);
    r["sid"].as_str().expect("sid").to_owned()
}

#[test]
fn joins_namespaces_with_auth_and_reports_a_refusal() {
    for build in BUILDS {
        let server = TestServer::start(&[]);
        let sids = sids(&run(build, "connect", &server));
        for ns in ["/", "/a", "/admin"] {
            let sid = &sids[ns];
            let r =
                server.expect(*T, |r| r["type"] == "connect" && r["ns"] == ns && r["sid"] == sid.as_str());
            let auth = if ns == "/admin" { json!({"token": "secret"}) } else { json!({}) };
            assert_eq!(r["auth"], auth, "the auth of {ns}");
            expect_disconnect(&server, sid);
        }
        server.expect(*T, |r| r["type"] == "refused" && r["ns"] == "/admin" && r["auth"] == json!({}));
        assert_eq!(
            count(&server, "engine_connection"),
            2,
            "one connection per client, shared by its namespaces"
        );
    }
}

#[test]
fn emits_and_acks_both_ways() {
    for build in BUILDS {
        let server = TestServer::start(&[]);
        run(build, "emit", &server);
        expect_disconnect(&server, &connected_sid(&server, "/"));
        assert_eq!(event_args(&server, "hello"), [json!([1, "two", {"three": 3}])]);
        assert_eq!(event_args(&server, "no args"), [json!([])]);
        let acked: Vec<Value> = server
            .records()
            .into_iter()
            .filter(|r| r["type"] == "event" && r["event"] == "ack")
            .map(|r| json!([r["args"], r["ack"]]))
            .collect();
        assert_eq!(
            acked,
            [json!([["x", {"y": null}], true]), json!([[7], true]), json!([["from a handler"], true])],
            "emit_with_ack, call, and emit_with_ack from a handler (the call there was refused)"
        );
        let replies: Vec<Value> = server
            .records()
            .into_iter()
            .filter(|r| r["type"] == "ask_reply")
            .map(|r| r["args"].clone())
            .collect();
        assert_eq!(
            replies,
            [json!(["answer", 42, {"_binary": "AQID"}])],
            "the ack answered once, from another thread"
        );
    }
}

#[test]
fn sends_and_receives_binary() {
    for build in BUILDS {
        let server = TestServer::start(&[]);
        run(build, "binary", &server);
        expect_disconnect(&server, &connected_sid(&server, "/"));
        assert_eq!(
            event_args(&server, "binary"),
            [
                json!(["file", {"_binary": "AAEC/w=="}, {"nested": [{"_binary": "dGV4dA=="}]}, {"_binary": ""}]),
                json!([{"_binary": "CQgH"}]),
            ],
            "both buffers-carrying emits, and not the one with an unreferenced buffer"
        );
    }
}

#[test]
fn handlers_keep_their_captures_until_replaced_or_freed() {
    for build in BUILDS {
        let server = TestServer::start(&[]);
        run(build, "handlers", &server);
        expect_disconnect(&server, &connected_sid(&server, "/"));
        // 6 and 7: the exception thrown by a handler, and the event after it (not without exceptions).
        let (echoes, lates) = match build {
            Build::Exceptions => (vec![1, 2, 3, 4, 6], vec![5, 7, 8]),
            Build::NoExceptions => (vec![1, 2, 3, 4], vec![5, 8]),
        };
        assert_eq!(server.event_numbers("echo"), echoes);
        let late: Vec<Value> = event_args(&server, "broadcast").into_iter().map(|a| a[1].clone()).collect();
        assert_eq!(
            late,
            lates.into_iter().map(Value::from).collect::<Vec<_>>(),
            "the moved client still sends"
        );
    }
}

#[test]
fn destroying_a_client_destroys_each_handler_once() {
    for build in BUILDS {
        let server = TestServer::start(&[]);
        let sids = sids(&run(build, "lifetime", &server));
        // Freed without sio_client_close: the server sees the connections drop.
        for key in ["/", "/a", "/b", "self-freed"] {
            let sid = &sids[key];
            server.expect(*T, |r| {
                r["type"] == "disconnect" && r["sid"] == sid.as_str() && r["reason"] == "transport close"
            });
        }
        assert_eq!(count(&server, "engine_connection"), 2, "two clients");
        assert!(event_args(&server, "after").is_empty(), "no emit after the client freed itself");
    }
}

#[test]
fn errors_carry_the_code_and_the_message() {
    for build in BUILDS {
        let server = TestServer::start(&[]);
        let stdout = run(build, "errors", &server);
        let message = stdout.lines().find_map(|l| l.strip_prefix("message ")).expect("a message line");
        assert!(message.starts_with("invalid JSON"), "sio_last_error's text, kept by the error: {message}");
        expect_disconnect(&server, &connected_sid(&server, "/"));
        let events = count(&server, "event");
        assert_eq!(events, 0, "no refused emit reached the server");
    }
}

#[test]
fn reconnects_after_the_server_drops_the_connection() {
    for build in BUILDS {
        let server = TestServer::start(&[]);
        let sids = sids(&run(build, "reconnect", &server));
        let (first, second) = (&sids["1"], &sids["2"]);
        assert_ne!(first, second);
        server.expect(*T, |r| {
            r["type"] == "disconnect" && r["sid"] == first.as_str() && r["reason"] == "forced close"
        });
        let after = server.expect(*T, |r| r["type"] == "event" && r["event"] == "after");
        assert_eq!(after["sid"], second.as_str(), "sent on the new connection");
        assert_eq!(count(&server, "engine_connection"), 2);
    }
}

#[test]
fn the_auth_handler_gives_a_fresh_token_for_every_connect() {
    for build in BUILDS {
        let server = TestServer::start(&[]);
        let sids = sids(&run(build, "auth", &server));
        let (first, second) = (&sids["1"], &sids["2"]);
        server.expect(*T, |r| {
            r["type"] == "disconnect"
                && r["sid"] == second.as_str()
                && r["reason"] == "server namespace disconnect"
        });
        let joins: Vec<Value> = server
            .records()
            .into_iter()
            .filter(|r| r["type"] == "connect" && r["ns"] == "/admin")
            .map(|r| json!([r["sid"], r["auth"]]))
            .collect();
        assert_eq!(
            joins,
            [json!([first, {"token": "secret", "gen": 1}]), json!([second, {"token": "secret", "gen": 2}])],
            "one token per connect, the second after the reconnection; none for the refused third"
        );
        assert_eq!(count(&server, "refused"), 0, "the unanswered request sent no CONNECT");
    }
}

#[test]
fn manual_dispatch_runs_every_handler_on_the_callers_thread() {
    for build in BUILDS {
        let server = TestServer::start(&[]);
        let sids = sids(&run(build, "dispatch", &server));
        expect_disconnect(&server, &sids["/"]);
        assert_eq!(server.event_numbers("echo"), [1, 2, 3], "emitted by the handlers");
        let acks: Vec<Value> = event_args(&server, "ack");
        assert_eq!(acks, [json!([1]), json!([2]), json!([3])]);
        assert!(
            server.records().iter().filter(|r| r["event"] == "ack").all(|r| r["ack"] == true),
            "each with an ack request"
        );
    }
}

#[test]
fn bounded_volatile_and_retried_emits() {
    for build in BUILDS {
        let server = TestServer::start(&[]);
        let sids = sids(&run(build, "delivery", &server));
        expect_disconnect(&server, &sids["/a"]);
        assert_eq!(
            server.event_numbers("n"),
            [0, 1, 2, 5, 6, 7, 8, 9],
            "the held emits once, in order; the refused ones never"
        );
        assert_eq!(server.event_numbers("v"), [1], "the volatile emit made before joining was dropped");
        assert_eq!(event_args(&server, "nobody"), [json!([])]);
        server.expect(*T, |r| r["type"] == "disconnect" && r["ns"] == "/b");
        let flaky = event_args(&server, "flaky");
        let receptions = |id: i64| flaky.iter().filter(|a| a[0] == id).count();
        assert_eq!((receptions(1), receptions(2)), (3, 4), "sent until acked, or 1 + 3 retries");
        let acked: Vec<Value> = server
            .records()
            .into_iter()
            .filter(|r| r["type"] == "flaky_ack")
            .map(|r| r["receptions"].clone())
            .collect();
        assert_eq!(acked, [json!(3)]);
    }
}

#[test]
fn logs_a_session_to_the_handler() {
    for build in BUILDS {
        let server = TestServer::start(&[]);
        let stdout = run(build, "log", &server);
        let sid = connected_sid(&server, "/");
        assert_eq!(sids(&stdout)["/"], sid);
        let lines: Vec<&str> = stdout.lines().filter_map(|l| l.strip_prefix("log ")).collect();
        let has = |prefix: String| lines.iter().any(|l| l.starts_with(&prefix));
        let (info, debug) =
            (sio::ffi::sio_log_level::SIO_LOG_INFO as i32, sio::ffi::sio_log_level::SIO_LOG_DEBUG as i32);
        assert!(has(format!("{info} joined / (socket {sid}")), "{lines:#?}");
        assert!(has(format!("{debug} handshake: ")), "{lines:#?}");
        assert!(has(format!("{info} connection closed: no namespace is joined")), "{lines:#?}");
        let trace = sio::ffi::sio_log_level::SIO_LOG_TRACE as i32;
        assert!(!has(format!("{trace} ")), "nothing above the level: {lines:#?}");
    }
}

#[test]
fn a_recovered_session_keeps_its_id_and_gets_the_missed_events() {
    for build in BUILDS {
        let server = TestServer::start(&["--recovery"]);
        let sids = sids(&run(build, "recovery", &server));
        let sid = &sids["/"];
        expect_disconnect(&server, sid);
        let connects: Vec<Value> = server
            .records()
            .into_iter()
            .filter(|r| r["type"] == "connect")
            .map(|r| json!([r["sid"], r["recovered"]]))
            .collect();
        assert_eq!(connects, [json!([sid, false]), json!([sid, true])]);
        server.expect(*T, |r| r["type"] == "emitted_away" && r["count"] == 2);
    }
}

#[test]
fn a_failed_first_connection_is_retried_when_asked() {
    let port = TestServer::start(&[]).port(); // stopped: nothing listens there
    for build in BUILDS {
        run_url(build, "initial", &format!("http://127.0.0.1:{port}"));
    }
}

#[test]
fn receive_limits_and_read_coalescing_options() {
    for build in BUILDS {
        let server = TestServer::start(&[]);
        let sids = sids(&run(build, "limits", &server));
        for (key, sent) in [("small", ["emit_n", "echo", "echo"]), ("widest", ["emit_n", "binary", "binary"])]
        {
            let sid = &sids[key];
            expect_disconnect(&server, sid); // dropped by the client on the reply past its limit
            let events: Vec<Value> = server
                .records()
                .into_iter()
                .filter(|r| r["type"] == "event" && r["sid"] == sid.as_str())
                .map(|r| r["event"].clone())
                .collect();
            assert_eq!(events, sent, "what the {key} client sent");
        }
    }
}
