//! Thread-safety stress tests: the C program `tests/c/stress.c` (see its header) run against
//! `tests/server/server.js`. The program checks what a C host sees (every ack callback and
//! every userdata finalizer exactly once, no callback after the free, bounded runtime); this
//! file checks what the server recorded: each emitter thread's emits arrive in order, without
//! duplicates, with their binary buffers intact, and every acknowledged one among them.
//!
//! The program is compiled here against the test's own libsio (`cc`), unless `$SIO_STRESS`
//! names a build (scripts/check-stress.sh passes ThreadSanitizer and ASan+UBSan builds);
//! `$SIO_STRESS_RUNNER` runs it under a tool (valgrind) and shrinks the workload. Each scenario
//! runs with a dispatch thread and with inline dispatch (callbacks on the I/O thread).

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::TestServer;
use serde_json::{json, Value};

/// Emitter threads, disruption cycles and steps per round, as in stress.c.
const EMITTERS: i64 = 8;
const CYCLES: usize = 12;
const STEPS: i64 = 40;

/// A run under a tool (valgrind) is slow: less work, more time.
fn under_runner() -> bool {
    std::env::var("SIO_STRESS_RUNNER").is_ok_and(|r| !r.trim().is_empty())
}

/// The stress program: `$SIO_STRESS`, or compiled once from tests/c/stress.c.
fn program() -> &'static Path {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        if let Some(path) = std::env::var_os("SIO_STRESS") {
            return PathBuf::from(path);
        }
        // libsio.so lies next to this test's executable (target/<profile>/deps).
        let deps = std::env::current_exe().expect("test executable").parent().expect("deps dir").to_owned();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stress");
        let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
            .args(["-std=c11", "-g", "-Wall", "-Wextra", "-Werror", "-pedantic"])
            .arg("-I")
            .arg(root.join("include"))
            .arg(root.join("tests/c/stress.c"))
            .arg("-o")
            .arg(&out)
            .arg(format!("-L{}", deps.display()))
            .arg(format!("-Wl,-rpath,{}", deps.display()))
            .args(["-lsio", "-lpthread"])
            .status()
            .expect("run cc (a C compiler is needed)");
        assert!(status.success(), "compiling tests/c/stress.c failed");
        out
    })
}

/// What one run of the program printed.
struct Report {
    acked: HashSet<(i64, i64)>,
    stats: HashMap<String, i64>,
}

/// Runs `stress URL scenario count` with `STRESS_DISPATCH=dispatch` (`""`: a dispatch thread,
/// `"inline"`), which must exit 0 within `limit`.
fn run(server: &TestServer, scenario: &str, count: u32, dispatch: &str) -> Report {
    let runner = std::env::var("SIO_STRESS_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut cmd = match words.next() {
        Some(tool) => {
            let mut c = Command::new(tool);
            c.args(words).arg(program());
            c
        }
        None => Command::new(program()),
    };
    let limit = Duration::from_secs(if under_runner() { 150 } else { 90 });
    let mut child = cmd
        .args([server.url(), scenario.to_owned(), count.to_string()])
        .env("STRESS_TIMEOUT", limit.as_secs().to_string())
        .env("STRESS_DISPATCH", dispatch)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program().display()));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).map(|_| s)
    });
    // The program ends itself (SIGALRM) after `limit`; this is the backstop.
    let deadline = Instant::now() + limit + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the stress program") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("stress {scenario} hung");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = out.join().expect("stdout reader").expect("read stdout");
    let err = err.join().expect("stderr reader").expect("read stderr");
    assert!(status.success(), "stress {scenario} failed ({status}):\n{err}");
    assert!(out.ends_with("ok\n"), "stress {scenario} did not finish:\n{out}\n{err}");
    let mut report = Report { acked: HashSet::new(), stats: HashMap::new() };
    for line in out.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        match words.as_slice() {
            ["acked", t, i] => {
                report.acked.insert((t.parse().unwrap(), i.parse().unwrap()));
            }
            ["stat", name, n] => {
                report.stats.insert((*name).to_owned(), n.parse().unwrap());
            }
            _ => {}
        }
    }
    report
}

/// The 16 bytes of emitter `t`'s `i`th binary buffer, as stress.c makes them.
fn pattern(t: i64, i: i64) -> Vec<u8> {
    (0..16).map(|k| ((t * 31 + i * 7 + k) & 0xff) as u8).collect()
}

fn binary(bytes: &[u8]) -> Value {
    json!({ "_binary": base64::engine::general_purpose::STANDARD.encode(bytes) })
}

/// The args of every `event` record named `name`, in arrival order.
fn events(server: &TestServer, name: &str) -> Vec<Value> {
    server
        .records()
        .into_iter()
        .filter(|r| r["type"] == "event" && r["event"] == name)
        .map(|r| r["args"].clone())
        .collect()
}

#[test]
fn eight_threads_emit_while_another_disconnects_reconnects_and_frees() {
    emitters("");
}

#[test]
fn eight_threads_emit_while_another_disconnects_reconnects_and_frees_inline() {
    emitters("inline");
}

fn emitters(dispatch: &str) {
    let server = TestServer::start(&[]);
    let per_thread = if under_runner() { 40 } else { 200 };
    let report = run(&server, "emitters", per_thread, dispatch);

    // Per thread, what arrived is in the order it was emitted, once each (emits in flight when
    // a connection breaks may be lost; nothing is duplicated or reordered).
    let mut seen: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for args in events(&server, "ack") {
        let (t, i) = (args[0].as_i64().unwrap(), args[1].as_i64().unwrap());
        assert!((0..EMITTERS).contains(&t), "unknown emitter in {args}");
        if i % 3 == 2 {
            assert_eq!(args[2], binary(&pattern(t, i)), "binary emit {t}/{i} arrived altered");
        } else {
            assert_eq!(args.as_array().unwrap().len(), 2, "emit {t}/{i}: {args}");
        }
        seen.entry(t).or_default().push(i);
    }
    for (t, list) in &seen {
        for pair in list.windows(2) {
            assert!(pair[0] < pair[1], "emitter {t}: {} arrived after {}", pair[1], pair[0]);
        }
    }
    assert_eq!(seen.len() as i64, EMITTERS, "some emitter's emits never arrived");
    // What the server acknowledged, it received.
    for (t, i) in &report.acked {
        assert!(seen[t].binary_search(i).is_ok(), "emit {t}/{i} was acknowledged but not recorded");
    }
    assert!(report.stats["emits"] >= EMITTERS * i64::from(per_thread), "{:?}", report.stats);
    assert!(!report.acked.is_empty(), "no emit was acknowledged");
    // Each disruption ended in a new join (the controller waited for each).
    let joins = server.records().iter().filter(|r| r["type"] == "connect").count();
    assert!(joins > CYCLES, "{joins} joins for {CYCLES} disruptions");
    assert!(report.stats["echo_acks"] > 0, "{:?}", report.stats);
}

#[test]
fn callbacks_emit_ack_later_replace_handlers_disconnect_and_free_the_client() {
    callbacks("");
}

#[test]
fn callbacks_emit_ack_later_replace_handlers_disconnect_and_free_the_client_inline() {
    callbacks("inline");
}

fn callbacks(dispatch: &str) {
    let server = TestServer::start(&[]);
    let rounds = if under_runner() { 4 } else { 8 };
    let report = run(&server, "callbacks", rounds, dispatch);

    // Each round's steps arrived in order, once each.
    let mut steps: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for args in events(&server, "ack") {
        if let (Some(round), Some(step)) = (args[0].as_i64(), args[1].as_i64()) {
            steps.entry(round).or_default().push(step);
        }
    }
    assert_eq!(steps.len(), rounds as usize, "rounds seen by the server: {:?}", steps.keys());
    for (round, list) in &steps {
        assert_eq!(list[0], 1, "round {round} starts at step {}", list[0]);
        for pair in list.windows(2) {
            assert!(pair[0] < pair[1], "round {round}: step {} arrived after {}", pair[1], pair[0]);
        }
        assert!(*list.last().unwrap() >= STEPS - 1, "round {round} ended at step {:?}", list.last());
    }

    // The answers the worker thread sent late: each to a question asked, once, as sent.
    let asked: HashSet<i64> = events(&server, "ask").iter().filter_map(|a| a[0].as_i64()).collect();
    let mut answered = HashSet::new();
    for r in server.records().iter().filter(|r| r["type"] == "ask_reply") {
        let n = r["args"][0].as_i64().expect("a numbered answer");
        assert!(asked.contains(&n), "an answer to {n}, which was never asked");
        assert!(answered.insert(n), "{n} answered twice");
        let mut want = vec![json!(n), json!("later")];
        if n % 2 == 1 {
            want.push(binary(&[1, 2, 3, 4]));
        }
        assert_eq!(r["args"], Value::Array(want), "answer to {n}");
    }
    assert!(!answered.is_empty() && answered.len() as i64 <= report.stats["answered"], "{:?}", report.stats);
    // In every round one answer was held until after the free, and refused then.
    assert_eq!(report.stats["answered_after_free"], i64::from(rounds), "{:?}", report.stats);
}
