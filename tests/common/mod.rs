//! Shared harness for the integration tests: runs the Node.js Socket.IO server
//! in `tests/server/server.js` (or, with [`TestServer::start_python`], the
//! python-socketio one in `tests/server/python_server.py`) and collects the JSON
//! records it prints.
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

/// How long the server may take to print its `listening` record.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Records {
    list: Vec<Value>,
    /// The server's stdout has ended (it exited or crashed): nothing more will arrive.
    closed: bool,
}

type Shared = Arc<(Mutex<Records>, Condvar)>;

/// A running test server (`server.js` or `python_server.py`). Dropping it stops it.
pub struct TestServer {
    child: Child,
    /// Kept open for the server's whole life: the server exits when its stdin ends,
    /// so it also dies if the test process exits without running `Drop`.
    stdin: Option<ChildStdin>,
    reader: Option<JoinHandle<()>>,
    shared: Shared,
    port: u16,
    /// Serves HTTPS (`--tls-cert`), as its `listening` record says.
    tls: bool,
}

impl TestServer {
    /// Starts `node tests/server/server.js` with extra `args` (e.g.
    /// `["--ping-interval", "300"]`) on a free port, and waits until it listens.
    pub fn start(args: &[&str]) -> TestServer {
        let dir = server_dir();
        if !dir.join("node_modules").join("socket.io").is_dir() {
            panic!(
                "{} is missing: run `npm ci` in tests/server (needs Node.js)",
                dir.join("node_modules").display()
            );
        }

        let child = Command::new("node")
            .arg(dir.join("server.js"))
            .args(args)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `node` (is Node.js installed?): {e}"));
        TestServer::attach(child)
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
    fn attach(mut child: Child) -> TestServer {
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("child stdout is piped");
        let shared: Shared = Arc::default();
        let reader = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("test-server-stdout".into())
                .spawn(move || read_records(stdout, &shared))
                .expect("spawn stdout reader thread")
        };

        let mut server = TestServer { child, stdin, reader: Some(reader), shared, port: 0, tls: false };
        let listening = server.expect(STARTUP_TIMEOUT, |r| r["type"] == "listening");
        server.port = listening["port"]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or_else(|| panic!("bad `listening` record: {listening}"));
        server.tls = listening["tls"] == true;
        server
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
        self.child.id()
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

    /// Like [`wait_for`](Self::wait_for), but panics, listing the records seen so
    /// far, if no matching record arrives.
    #[track_caller]
    pub fn expect(&self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        match self.wait_for(timeout, pred) {
            Some(record) => record,
            None => {
                let records = lock_records(&self.shared.0);
                let status = if records.closed { "server exited" } else { "timed out" };
                let seen: Vec<String> = records.list.iter().map(|r| format!("  {r}")).collect();
                panic!(
                    "expected server record not seen ({status} after waiting up to {timeout:?}); \
                     {} record(s) so far:\n{}",
                    seen.len(),
                    seen.join("\n")
                );
            }
        }
    }

    /// Snapshot of all records received so far, in arrival order.
    pub fn records(&self) -> Vec<Value> {
        lock_records(&self.shared.0).list.clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
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
fn read_records(stdout: impl std::io::Read, shared: &Shared) {
    let (lock, cvar) = &**shared;
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        match serde_json::from_str::<Value>(&line) {
            Ok(record) => {
                lock_records(lock).list.push(record);
                cvar.notify_all();
            }
            Err(_) => eprintln!("[test server] {line}"),
        }
    }
    lock_records(lock).closed = true;
    cvar.notify_all();
}
