//! Running a package manager for a check: never interactive (no terminal, stdin closed), in
//! its own process group, with a deadline, stopped at once when `mirror` is told to stop
//! (SIGINT, SIGTERM, SIGHUP). Its stdout and stderr go, interleaved as it wrote them, to one
//! file in the check's temporary folder, of which the last lines are kept.

use std::ffi::{OsStr, OsString};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// Lines of a client's output kept for the report.
pub const TAIL_LINES: usize = 12;
/// At most this much of a client's output is read back (the end of it).
const TAIL_BYTES: u64 = 64 * 1024;

/// A command to run for a check.
#[derive(Debug, Clone)]
pub struct Cmd {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// Set for the child (its environment is `mirror`'s own, with these changes).
    pub env: Vec<(OsString, OsString)>,
    /// Set for the child, and not shown in [`Cmd::display`] (`LC_ALL=C` and the like).
    pub quiet_env: Vec<(OsString, OsString)>,
    /// Removed from the child's environment (variables that would override the config being
    /// checked).
    pub env_remove: Vec<OsString>,
    pub cwd: Option<PathBuf>,
}

impl Cmd {
    pub fn new(program: &Path) -> Self {
        Self {
            program: program.to_path_buf(),
            args: Vec::new(),
            env: Vec::new(),
            quiet_env: Vec::new(),
            env_remove: Vec::new(),
            cwd: None,
        }
    }

    #[must_use]
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    #[must_use]
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    #[must_use]
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// An environment setting that is plumbing, not worth showing in the report.
    #[must_use]
    pub fn quiet_env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.quiet_env.push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    #[must_use]
    pub fn env_remove<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, keys: I) -> Self {
        self.env_remove.extend(keys.into_iter().map(|k| k.as_ref().to_owned()));
        self
    }

    #[must_use]
    pub fn cwd(mut self, dir: &Path) -> Self {
        self.cwd = Some(dir.to_path_buf());
        self
    }

    /// The command line as a person would type it (program name, arguments quoted where
    /// needed; the environment changes in front).
    pub fn display(&self) -> String {
        let quote = |s: &OsStr| {
            let s = s.to_string_lossy();
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:=@+,%{}$".contains(&b)) {
                s.into_owned()
            } else {
                format!("'{}'", s.replace('\'', r"'\''"))
            }
        };
        let name = self.program.file_name().unwrap_or(self.program.as_os_str());
        let mut words: Vec<String> =
            self.env.iter().map(|(k, v)| format!("{}={}", k.to_string_lossy(), quote(v))).collect();
        words.push(quote(name));
        words.extend(self.args.iter().map(|a| quote(a)));
        words.join(" ")
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// It exited with this code (`None`: killed by a signal of its own).
    Exited(Option<i32>),
    /// It did not finish within the deadline and was stopped.
    TimedOut(Duration),
    /// `mirror` was told to stop; the client was stopped.
    Stopped,
    /// It could not be started.
    NotStarted(String),
}

/// What a run gave.
#[derive(Debug, Clone)]
pub struct Ran {
    pub end: End,
    /// Its stdout and stderr, interleaved (the last [`TAIL_BYTES`] of it).
    pub output: String,
}

impl Ran {
    pub fn success(&self) -> bool {
        self.end == End::Exited(Some(0))
    }

    /// The last [`TAIL_LINES`] non-empty lines of its output.
    pub fn tail(&self) -> Vec<String> {
        tail(&self.output)
    }

    /// How it ended, in words (`exit status 100`, `no answer within 60 s`, …).
    pub fn ending(&self) -> String {
        match &self.end {
            End::Exited(Some(code)) => format!("exit status {code}"),
            End::Exited(None) => "killed by a signal".into(),
            End::TimedOut(after) => format!("did not finish within {}", crate::probe::rank::human_ms(*after)),
            End::Stopped => "stopped: `mirror` was interrupted".into(),
            End::NotStarted(why) => format!("could not be started: {why}"),
        }
    }
}

/// The last [`TAIL_LINES`] non-empty lines of `text`.
pub fn tail(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().map(str::trim_end).filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].iter().map(|l| (*l).to_owned()).collect()
}

/// Runs `cmd` with its output in `log` (a file in the check's temporary folder), for at most
/// `timeout`, polling `stop` while it runs.
pub fn run(cmd: &Cmd, log: &Path, timeout: Duration, stop: &dyn Fn() -> bool) -> Ran {
    let began = Instant::now();
    let not_started = |why: String| Ran { end: End::NotStarted(why), output: String::new() };
    let file = match std::fs::File::create(log) {
        Ok(f) => f,
        Err(e) => return not_started(format!("could not create `{}`: {e}", log.display())),
    };
    let (out, err) = match (file.try_clone(), file.try_clone()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return not_started(e.to_string()),
    };
    let mut command = Command::new(&cmd.program);
    command.args(&cmd.args).stdin(Stdio::null()).stdout(out).stderr(err).process_group(0);
    for key in &cmd.env_remove {
        command.env_remove(key);
    }
    for (k, v) in cmd.quiet_env.iter().chain(&cmd.env) {
        command.env(k, v);
    }
    if let Some(dir) = &cmd.cwd {
        command.current_dir(dir);
    }
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => return not_started(e.to_string()),
    };
    drop(command);
    let group = i32::try_from(child.id()).ok().map(Pid::from_raw);
    let end = loop {
        match child.try_wait() {
            Ok(Some(status)) => break End::Exited(status.code()),
            Ok(None) => {}
            Err(e) => break End::NotStarted(e.to_string()),
        }
        let ending = if stop() {
            Some(End::Stopped)
        } else if began.elapsed() >= timeout {
            Some(End::TimedOut(timeout))
        } else {
            None
        };
        if let Some(end) = ending {
            // The whole group: apt's download methods, pip's subprocesses.
            if let Some(g) = group {
                let _ = killpg(g, Signal::SIGTERM);
                let grace = Instant::now();
                while grace.elapsed() < Duration::from_millis(500) && matches!(child.try_wait(), Ok(None)) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                let _ = killpg(g, Signal::SIGKILL);
            }
            let _ = child.kill();
            let _ = child.wait();
            break end;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ran { end, output: read_tail(log) }
}

/// The end of a log file, as text.
fn read_tail(path: &Path) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else { return String::new() };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len > TAIL_BYTES {
        let _ = f.seek(SeekFrom::Start(len - TAIL_BYTES));
    }
    let mut bytes = Vec::new();
    let _ = f.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Cmd {
        Cmd::new(Path::new("/bin/sh")).arg("-c").arg(script)
    }

    #[test]
    fn output_is_interleaved_and_its_tail_kept() {
        let dir = tempfile::tempdir().unwrap();
        let script = "for i in $(seq 1 20); do echo out $i; echo err $i >&2; done; exit 3";
        let ran = run(&sh(script), &dir.path().join("log"), Duration::from_secs(10), &|| false);
        assert_eq!(ran.end, End::Exited(Some(3)));
        assert_eq!(ran.ending(), "exit status 3");
        let tail = ran.tail();
        assert_eq!(tail.len(), TAIL_LINES);
        assert_eq!(tail.last().map(String::as_str), Some("err 20"));
        assert_eq!(tail[tail.len() - 2], "out 20");
    }

    #[test]
    fn a_hanging_client_is_stopped_at_its_deadline_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("child.pid");
        let script = format!("sleep 30 & echo $! > {}; wait", pidfile.display());
        let began = Instant::now();
        let ran = run(&sh(&script), &dir.path().join("log"), Duration::from_millis(300), &|| false);
        assert_eq!(ran.end, End::TimedOut(Duration::from_millis(300)));
        assert!(began.elapsed() < Duration::from_secs(5), "{:?}", began.elapsed());
        let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
        // The grandchild went with its group (dead, or a zombie waiting for init to reap it).
        std::thread::sleep(Duration::from_millis(100));
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = state.rsplit_once(") ").map(|(_, rest)| rest.chars().next()).unwrap_or_default();
        assert!(matches!(state, None | Some('Z' | 'X')), "the background `sleep` was left running ({state:?})");
    }

    #[test]
    fn a_stop_request_ends_the_client_and_a_missing_program_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let ran = run(&sh("sleep 30"), &dir.path().join("log"), Duration::from_secs(30), &|| true);
        assert_eq!(ran.end, End::Stopped);
        let ran =
            run(&Cmd::new(Path::new("/nonexistent/apt-get")), &dir.path().join("log"), Duration::from_secs(1), &|| {
                false
            });
        assert!(matches!(ran.end, End::NotStarted(_)), "{:?}", ran.end);
    }

    #[test]
    fn the_command_line_reads_as_typed() {
        let cmd = Cmd::new(Path::new("/usr/bin/pip3")).env("PIP_CONFIG_FILE", "/h/pip.conf").args([
            "download",
            "-d",
            "/t/dl dir",
        ]);
        assert_eq!(cmd.display(), "PIP_CONFIG_FILE=/h/pip.conf pip3 download -d '/t/dl dir'");
    }
}
