//! A hermetic environment per test: a temporary root, home and state folder; an environment
//! holding nothing from the host (no `PIP_*`, `SSL_*`, proxies, real `HOME`).
//!
//! The machine is `<tmp>/root` (`MIRROR_ROOT`), so its user files are in root's home inside
//! it, `<tmp>/root/root`; `<tmp>/home` is a link to that folder, and output names it
//! `[TMP]/home`. `HOME` and `XDG_*` point there too, as they would inside the machine.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use tempfile::TempDir;

pub struct TestEnv {
    dir: TempDir,
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not one JSON document ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr)
        })
    }
}

impl TestEnv {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new().prefix("mirror-test-").tempdir().unwrap();
        for sub in ["root/etc", "root/root/.config", "root/root/.local/state", "bin"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        std::os::unix::fs::symlink("root/root", dir.path().join("home")).unwrap();
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn root(&self) -> PathBuf {
        self.path().join("root")
    }

    pub fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    /// The binary with a clean environment: only what a test sets is there.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.std_cmd())
    }

    /// [`TestEnv::cmd`] as a `std` command, for tests that spawn the process and signal it.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mirror"));
        cmd.env_clear()
            .env("PATH", self.path().join("bin"))
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("XDG_STATE_HOME", self.home().join(".local/state"))
            .env("CARGO_HOME", self.home().join(".cargo"))
            .env("MIRROR_ROOT", self.root())
            .env("MIRROR_NO_PROGRESS", "1")
            .env("NO_COLOR", "1")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("LC_ALL", "C")
            .current_dir(self.path());
        cmd
    }

    /// Runs `mirror ARGS` and captures the outcome.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(&mut self.cmd(), args)
    }

    pub fn run_with(&self, cmd: &mut Command, args: &[&str]) -> Run {
        let out = cmd.args(args).output().unwrap();
        let tmp = self.path().display().to_string();
        let home =
            |bytes: &[u8]| String::from_utf8_lossy(bytes).replace(&format!("{tmp}/root/root"), &format!("{tmp}/home"));
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: home(&out.stdout),
            stderr: home(&out.stderr).replace(&tmp, "[TMP]"),
        }
    }

    /// Starts `mirror ARGS` with `MIRROR_TEST_PAUSE_AFTER=after` and returns once it waits
    /// there, after `after` files were written, for the test to send it a signal.
    pub fn paused(&self, after: usize, args: &[&str]) -> Running {
        let mut cmd = self.std_cmd();
        cmd.env("MIRROR_TEST_PAUSE_AFTER", after.to_string());
        let running = self.spawn(&mut cmd, args);
        running.wait_for_stderr("test hook: paused");
        running
    }

    /// Starts `mirror ARGS` with pipes for stdout and stderr.
    pub fn spawn(&self, cmd: &mut std::process::Command, args: &[&str]) -> Running {
        let mut child =
            cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let (tx, lines) = channel();
        let stderr = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines, seen: Mutex::new(Vec::new()), reader, tmp: self.path().display().to_string() }
    }

    /// Runs `mirror ARGS` on a pseudo-terminal (stdin, stdout and stderr), as a person would.
    pub fn pty(&self, cmd: &mut std::process::Command, args: &[&str]) -> Pty {
        let size = nix::pty::Winsize { ws_row: 50, ws_col: 160, ws_xpixel: 0, ws_ypixel: 0 };
        let pty = nix::pty::openpty(&size, None).unwrap();
        let slave = std::fs::File::from(pty.slave);
        cmd.args(args)
            .env("TERM", "xterm")
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        let child = cmd.spawn().unwrap();
        // The parent's copies of the slave are gone with `cmd`'s: the master reads EOF (EIO)
        // once the child has exited.
        drop(std::mem::replace(cmd, std::process::Command::new("true")));
        let master = std::fs::File::from(pty.master);
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reading = master.try_clone().unwrap();
        let sink = Arc::clone(&screen);
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reading.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Pty { child, master, screen, reader }
    }

    /// Writes a file below the temporary folder (`root/etc/...`, `home/...`).
    pub fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path().join(rel).exists()
    }

    /// Every file below the temporary folder with its bytes: compare two of these to prove
    /// that nothing changed.
    pub fn tree(&self) -> Tree {
        let mut out = BTreeMap::new();
        walk(self.path(), self.path(), &mut out);
        Tree(out)
    }
}

/// A snapshot of files; `==` compares bytes, `Debug` lists only the paths.
#[derive(PartialEq, Eq, Clone)]
pub struct Tree(pub BTreeMap<PathBuf, Vec<u8>>);

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (path, bytes) in &self.0 {
            writeln!(f, "{} ({} bytes)", path.display(), bytes.len())?;
        }
        Ok(())
    }
}

impl std::ops::Deref for Tree {
    type Target = BTreeMap<PathBuf, Vec<u8>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl IntoIterator for Tree {
    type Item = (PathBuf, Vec<u8>);
    type IntoIter = std::collections::btree_map::IntoIter<PathBuf, Vec<u8>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let rel = path.strip_prefix(base).unwrap().to_path_buf();
        if meta.is_dir() {
            out.insert(rel.join(""), Vec::new());
            walk(base, &path, out);
        } else if meta.file_type().is_symlink() {
            out.insert(rel, std::fs::read_link(&path).unwrap().into_os_string().into_encoded_bytes());
        } else {
            out.insert(rel, std::fs::read(&path).unwrap_or_default());
        }
    }
}

/// A loopback-only site file for `--catalog` tests.
pub fn site_file(id: &str, repos: &str) -> String {
    format!(
        "id = \"{id}\"\nname = \"test site {id}\"\nhomepage = \"https://{id}.example/\"\nregion = \"XX\"\nbase = \"https://{id}.example\"\n\n[repos]\n{repos}"
    )
}

/// A `mirror` process a test started (see [`TestEnv::spawn`]).
pub struct Running {
    pub child: Child,
    lines: Receiver<String>,
    seen: Mutex<Vec<String>>,
    reader: std::thread::JoinHandle<()>,
    tmp: String,
}

impl Running {
    pub fn pid(&self) -> nix::unistd::Pid {
        nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).unwrap())
    }

    /// Sends `signal` to the process.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(self.pid(), signal).unwrap();
    }

    /// Waits (up to 30 s) for a line of stderr holding `needle`.
    pub fn wait_for_stderr(&self, needle: &str) {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            match self.lines.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    let found = line.contains(needle);
                    self.seen.lock().unwrap().push(line);
                    if found {
                        return;
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    panic!("no {needle:?} on stderr; it said:\n{}", self.seen.lock().unwrap().join("\n"))
                }
            }
        }
    }

    /// Waits for the process to end. `code` is -1 when a signal ended it (`signal` says which).
    pub fn finish(mut self) -> Ended {
        let mut stdout = String::new();
        self.child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
        let status = self.child.wait().unwrap();
        self.reader.join().unwrap();
        let mut lines = self.seen.into_inner().unwrap();
        lines.extend(self.lines.try_iter());
        let stderr = lines.join("\n").replace(&self.tmp, "[TMP]");
        Ended { run: Run { code: status.code().unwrap_or(-1), stdout, stderr }, signal: status.signal() }
    }
}

/// How a [`Running`] process ended.
#[derive(Debug)]
pub struct Ended {
    pub run: Run,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
}

/// A `mirror` process on a pseudo-terminal (see [`TestEnv::pty`]).
pub struct Pty {
    pub child: Child,
    master: std::fs::File,
    screen: Arc<Mutex<Vec<u8>>>,
    reader: std::thread::JoinHandle<()>,
}

impl Pty {
    /// Everything the process has shown so far.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    /// Waits (up to 30 s, and not past the process's end) until the screen holds `needle`,
    /// and returns it.
    pub fn wait_for(&mut self, needle: &str) -> String {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            let ended = self.child.try_wait().unwrap().is_some();
            if ended {
                // Whatever it printed last may still be on its way.
                std::thread::sleep(Duration::from_millis(100));
            }
            let screen = self.screen();
            assert!(
                screen.contains(needle) || (!ended && Instant::now() < until),
                "no {needle:?} on the terminal; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Types `keys`.
    pub fn send(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).unwrap();
        self.master.flush().unwrap();
    }

    /// Waits for the process to end: its exit code and everything it showed.
    pub fn finish(mut self) -> (i32, String) {
        let until = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > until {
                let _ = self.child.kill();
                panic!("still running after 30 s; the terminal shows:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        drop(self.master);
        self.reader.join().unwrap();
        let screen = String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned();
        (status.code().unwrap_or(-1), screen)
    }
}

/// Whether CI asked for every test to run (`MIRROR_REQUIRE_ROOT_TESTS=1`, set by `.ci/run`):
/// there a test that cannot run here (not root, a tool it checks with missing) fails instead
/// of skipping.
pub fn root_tests_required() -> bool {
    std::env::var_os("MIRROR_REQUIRE_ROOT_TESTS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Skips a test that cannot run here (prints `skipped: <why>`), or fails it when `required`.
pub fn skip(required: bool, why: &str) {
    assert!(!required, "cannot run: {why} (`MIRROR_REQUIRE_ROOT_TESTS` is set, so this is a failure)");
    eprintln!("skipped: {why}");
}

/// Whether the tests run as root.
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Root, or skip (see [`skip`]): returns whether the test can go on.
pub fn need_root(why: &str) -> bool {
    if is_root() {
        return true;
    }
    skip(root_tests_required(), why);
    false
}
