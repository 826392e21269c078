//! Shared harness for the integration tests: runs the Node.js Socket.IO server
//! in `tests/server/server.js` (or, with [`TestServer::start_python`], the
//! python-socketio one in `tests/server/python_server.py`) and collects the JSON
//! records it prints; [`TestProxy`] does the same for the HTTP proxy in
//! `tests/server/proxy.js`.
//!
//! Use it with `mod common;` in a test file. Needs Node.js and, once,
//! `npm ci` in `tests/server`; the Python server needs Python 3 and, once,
//! `pip install -r tests/server/requirements.txt` (`$PYTHON` picks the interpreter,
//! default `python3`).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod capi;
pub mod certs;
pub mod cut_proxy;

/// How long the server may take to print its `listening` record.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Records {
    list: Vec<Value>,
    /// The child's stdout has ended (it exited or crashed): nothing more will arrive.
    closed: bool,
}

type Shared = Arc<(Mutex<Records>, Condvar)>;

/// A child process printing JSON records on stdout (a test server or the proxy), whose
/// first record is `{"type":"listening","port":N,…}`. Dropping it stops it.
struct RecordingChild {
    /// What it is, for failure messages: "server", "proxy".
    what: &'static str,
    child: Child,
    /// Kept open for the child's whole life: it exits when its stdin ends, so it
    /// also dies if the test process exits without running `Drop`.
    stdin: Option<ChildStdin>,
    reader: Option<JoinHandle<()>>,
    shared: Shared,
}

impl RecordingChild {
    /// Collects the records of a just-spawned child (stdin and stdout piped) and waits for
    /// its `listening` record, which it returns with the child.
    fn attach(what: &'static str, mut child: Child) -> (RecordingChild, Value) {
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("child stdout is piped");
        let shared: Shared = Arc::default();
        let reader = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("test-{what}-stdout"))
                .spawn(move || read_records(what, stdout, &shared))
                .expect("spawn stdout reader thread")
        };
        let rc = RecordingChild { what, child, stdin, reader: Some(reader), shared };
        let listening = rc.expect(STARTUP_TIMEOUT, |r| r["type"] == "listening");
        (rc, listening)
    }

    fn wait_for(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        let (lock, cvar) = &*self.shared;
        let mut records = lock_records(lock);
        let mut checked = 0;
        loop {
            if let Some(found) = records.list[checked..].iter().find(|r| pred(r)) {
                return Some(found.clone());
            }
            checked = records.list.len();
            if records.closed {
                return None;
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            records = cvar.wait_timeout(records, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    #[track_caller]
    fn expect(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        match self.wait_for(timeout, pred) {
            Some(record) => record,
            None => {
                let records = lock_records(&self.shared.0);
                let what = self.what;
                let status = if records.closed { "exited" } else { "timed out" };
                let seen: Vec<String> = records.list.iter().map(|r| format!("  {r}")).collect();
                panic!(
                    "expected {what} record not seen ({what} {status} after waiting up to {timeout:?}); \
                     {} record(s) so far:\n{}",
                    seen.len(),
                    seen.join("\n")
                );
            }
        }
    }

    fn records(&self) -> Vec<Value> {
        lock_records(&self.shared.0).list.clone()
    }
}

impl Drop for RecordingChild {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// The port of a `listening` record.
fn listening_port(listening: &Value) -> u16 {
    listening["port"]
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .unwrap_or_else(|| panic!("bad `listening` record: {listening}"))
}

/// Panics, saying what to run, if `npm ci` was not run in tests/server.
fn check_node_modules(package: &str) {
    let dir = server_dir();
    if !dir.join("node_modules").join(package).is_dir() {
        panic!(
            "{} is missing: run `npm ci` in tests/server (needs Node.js)",
            dir.join("node_modules").join(package).display()
        );
    }
}

/// Spawns `node tests/server/SCRIPT ARGS` with stdin and stdout piped.
fn spawn_node(script: &str, args: &[&str]) -> Child {
    let dir = server_dir();
    Command::new("node")
        .arg(dir.join(script))
        .args(args)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `node` (is Node.js installed?): {e}"))
}

/// A running test server (`server.js` or `python_server.py`). Dropping it stops it.
pub struct TestServer {
    proc: RecordingChild,
    port: u16,
    /// Serves HTTPS (`--tls-cert`), as its `listening` record says.
    tls: bool,
}

impl TestServer {
    /// Starts `node tests/server/server.js` with extra `args` (e.g.
    /// `["--ping-interval", "300"]`) on a free port, and waits until it listens.
    pub fn start(args: &[&str]) -> TestServer {
        check_node_modules("socket.io");
        TestServer::attach(spawn_node("server.js", args))
    }

    /// Starts the python-socketio server, `python3 tests/server/python_server.py`, with
    /// the same `args` as [`start`](Self::start) (`--ping-interval`, `--ping-timeout`,
    /// `--port`; plus `--debug` to log every packet to stderr). Its records have the
    /// same shapes (see the differences listed at the top of python_server.py).
    /// Panics, saying what to install, if Python or its packages are missing.
    pub fn start_python(args: &[&str]) -> TestServer {
        let dir = server_dir();
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        const INSTALL: &str = "pip install -r tests/server/requirements.txt";
        const CHECK: &str = "import socketio, engineio, aiohttp, importlib.metadata as m\n\
                             assert m.version('python-socketio').startswith('5.')";
        let check = Command::new(&python)
            .args(["-c", CHECK])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap_or_else(|e| panic!("cannot run `{python}` (is Python 3 installed? set $PYTHON): {e}"));
        if !check.success() {
            panic!(
                "the Python test server needs python-socketio 5.x, python-engineio and aiohttp \
                 (not importable by `{python}`): run `{INSTALL}`"
            );
        }
        let child = Command::new(&python)
            .arg(dir.join("python_server.py"))
            .args(args)
            .current_dir(&dir)
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `{python}` (is Python 3 installed?): {e}"));
        TestServer::attach(child)
    }

    /// Collects the records of a just-spawned server and waits for its `listening` record.
    fn attach(child: Child) -> TestServer {
        let (proc, listening) = RecordingChild::attach("server", child);
        TestServer { proc, port: listening_port(&listening), tls: listening["tls"] == true }
    }

    /// Starts the server over HTTPS with the PEM certificate chain `cert` and key `key`; with
    /// `client_ca`, it requires a client certificate signed by that CA.
    pub fn start_tls(cert: &Path, key: &Path, client_ca: Option<&Path>) -> TestServer {
        let path = |p: &Path| p.to_str().expect("UTF-8 path").to_owned();
        let mut args = vec!["--tls-cert".to_owned(), path(cert), "--tls-key".to_owned(), path(key)];
        if let Some(ca) = client_ca {
            args.extend(["--tls-ca".to_owned(), path(ca)]);
        }
        TestServer::start(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// The server's process id (to freeze it with SIGSTOP).
    pub fn pid(&self) -> u32 {
        self.proc.child.id()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT` (`https://` when the server uses TLS)
    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}", if self.tls { "https" } else { "http" }, self.port)
    }

    /// Waits until a record satisfying `pred` arrives (or returns it at once if one
    /// already arrived); returns a clone of the first such record. Returns `None`
    /// after `timeout`, or as soon as the server has exited.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        self.proc.wait_for(timeout, pred)
    }

    /// Like [`wait_for`](Self::wait_for), but panics, listing the records seen so
    /// far, if no matching record arrives.
    #[track_caller]
    pub fn expect(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        self.proc.expect(timeout, pred)
    }

    /// Snapshot of all records received so far, in arrival order.
    pub fn records(&self) -> Vec<Value> {
        self.proc.records()
    }

    /// The first argument (an integer) of every `event` named `name` received so far, in order.
    pub fn event_numbers(&self, name: &str) -> Vec<i64> {
        self.records()
            .iter()
            .filter(|r| r["type"] == "event" && r["event"] == name)
            .filter_map(|r| r["args"][0].as_i64())
            .collect()
    }
}

/// A running HTTP proxy, `node tests/server/proxy.js` (the npm package `proxy`): CONNECT
/// tunnels and plain proxied requests, each recorded (see the top of proxy.js):
/// `{"type":"connect","target":"127.0.0.1:PORT","auth":BOOL}`,
/// `{"type":"request","method":…,"url":…,"auth":BOOL}`, and with `--auth USER:PASSWORD`
/// `{"type":"refused","reason":…}` for requests answered 407. Dropping it stops it.
pub struct TestProxy {
    proc: RecordingChild,
    port: u16,
}

impl TestProxy {
    /// Starts the proxy with extra `args` (`["--auth", "user:password"]` to require basic
    /// authentication) on a free port of 127.0.0.1, and waits until it listens.
    pub fn start(args: &[&str]) -> TestProxy {
        check_node_modules("proxy");
        let (proc, listening) = RecordingChild::attach("proxy", spawn_node("proxy.js", args));
        TestProxy { proc, port: listening_port(&listening) }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// As [`TestServer::wait_for`], for the proxy's records.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        self.proc.wait_for(timeout, pred)
    }

    /// As [`TestServer::expect`], for the proxy's records.
    #[track_caller]
    pub fn expect(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        self.proc.expect(timeout, pred)
    }

    /// Snapshot of all records received so far, in arrival order.
    pub fn records(&self) -> Vec<Value> {
        self.proc.records()
    }
}

fn server_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("server")
}

/// Locks even if a panicking test thread poisoned the mutex.
fn lock_records(lock: &Mutex<Records>) -> MutexGuard<'_, Records> {
    lock.lock().unwrap_or_else(|e| e.into_inner())
}

/// Background thread: one JSON record per stdout line; anything else goes to stderr.
fn read_records(what: &str, stdout: impl std::io::Read, shared: &Shared) {
    let (lock, cvar) = &**shared;
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        match serde_json::from_str::<Value>(&line) {
            Ok(record) => {
                lock_records(lock).list.push(record);
                cvar.notify_all();
            }
            Err(_) => eprintln!("[test {what}] {line}"),
        }
    }
    lock_records(lock).closed = true;
    cvar.notify_all();
}
