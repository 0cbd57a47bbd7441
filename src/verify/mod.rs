//! Checking a switch (`mirror use --verify`, `use best`, `heal`): after the new files are
//! written, each changed target is checked against them.
//!
//! When its package manager is installed, the package manager itself does the check, in a
//! way that leaves its own state alone (temporary lists, databases, caches and projects,
//! none of its hooks), fetching as little as it can; else `mirror`'s own probe checks the
//! URL written (`crate::probe::check_all`, the same rules as `status --check`).
//!
//! | target | check |
//! |---|---|
//! | apt | `apt-get update` of the sources files written, into temporary lists and cache, with every index target off (`Acquire::IndexTargets::…::DefaultEnabled "false"`): only the `InRelease` (or `Release` + `Release.gpg`) files are fetched and their signatures checked; update hooks are cleared. A failure counts when apt names the site's URLs (or the files themselves); another server's failure in the same file is a note |
//! | pacman | `pacman -Sy` of `[core]` from the first `Server` written, against a temporary database path, then `pacman -Sl core` reads it (needs root; else the probe) |
//! | archlinuxcn | the same for `[archlinuxcn]` |
//! | pip | `pip download` of one small wheel (`six`) into a temporary folder, no cache, no dependencies, binary only, with `PIP_CONFIG_FILE` the file written |
//! | uv | `uv pip compile` of one requirement (`six`) with no cache and no Python downloads, `UV_CONFIG_FILE` the file written |
//! | cargo | `cargo generate-lockfile` of a temporary project depending on one small crate (`cfg-if`), with a temporary `CARGO_HOME` holding the config written: the index is read, nothing is built or downloaded |
//! | conda | `conda search --json` (or `mamba`, `micromamba`) of one small package (`zlib`) with `CONDARC` the file written and a temporary package cache |
//! | npm | `npm config get registry` must name the mirror, then `npm view` of one small package (`is-number`) with `--userconfig` the `.npmrc` written and a temporary cache |
//! | docker | `docker info` says whether the daemon reports the mirror yet (it reads `daemon.json` when it starts or reloads: a note, not a failure), and the probe resolves an official image's manifest through the mirror |
//! | every other target (dnf, zypper, apk, podman, containerd, pnpm, Yarn, Bun, Go, rustup, Homebrew, Hugging Face, RubyGems, Maven, PDM, pixi, and any added later) | the probe of the URL written, as `bench` probes it: `repomd.xml`, `APKINDEX.tar.gz`, the registry's `/v2/` and an official manifest, a channel manifest, … (dnf's, zypper's and apk's own refreshes download whole package indexes) |
//!
//! A package manager that is installed but cannot run (`--version` fails), or cannot do the
//! check here (pacman without root, uv without a Python interpreter), hands over to the probe,
//! with a note saying so. Every check has a deadline (`--verify-timeout`; the probe: twice
//! `--timeout`), runs with stdin closed and in its own process group, and is stopped at once
//! when `mirror` is interrupted. Its time is reported.
//!
//! Clients run with `mirror`'s own environment (proxies, certificates), except the variables
//! that would override the file being checked (`PIP_INDEX_URL`, `UV_INDEX_URL`,
//! `CARGO_SOURCE_CRATES_IO_REPLACE_WITH`, `CONDA_CHANNELS`, …), and `LC_ALL=C` so that their
//! messages can be read. Under `--root` they are this machine's programs, given the root's
//! files (see `Context::find_program`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::probe::{self, Status};
use crate::targets::{Host, TargetKind};

mod apt;
mod cargo;
mod conda;
mod docker;
mod npm;
mod pacman;
mod python;
pub mod run;

use run::{Cmd, Ran};

/// How checks run.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// Longest one package manager's check may take (`--verify-timeout`).
    pub timeout: Duration,
    /// How the probe checks (`--timeout`, `--max-lag`).
    pub probe: probe::Options,
    /// The official servers: the probe's freshness baseline.
    pub reference: Option<&'a Site>,
}

/// One target to check: the site it was switched to and the files written for it.
#[derive(Debug, Clone)]
pub struct Job<'a> {
    pub target: TargetKind,
    pub site: &'a Site,
    /// Each file written and what it holds now (`None`: the switch removed it).
    pub files: Vec<(PathBuf, Option<Vec<u8>>)>,
}

impl Job<'_> {
    /// The first file written that still exists, and its text.
    fn first_text(&self) -> Option<(&Path, String)> {
        self.files
            .iter()
            .find_map(|(p, bytes)| bytes.as_ref().map(|b| (p.as_path(), String::from_utf8_lossy(b).into_owned())))
    }

    /// Every repository URL of the site: what a client's messages are matched against.
    fn site_urls(&self) -> Vec<&str> {
        Repo::ALL.iter().filter_map(|r| self.site.repo(*r)).collect()
    }
}

/// Whether a check passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Passed,
    Failed,
}

/// The result of one target's check: `{"status","by","command","seconds","reason","output",
/// "notes"}` in `use --json` (and `heal --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub status: Outcome,
    /// What checked: the package manager (`apt-get`, `pip`, …), `probe`, or both
    /// (`docker info + probe`).
    pub by: String,
    /// What was run (the command line, or the probe and its URL).
    pub command: String,
    /// How long the check took.
    pub seconds: f64,
    pub reason: String,
    /// The last lines the check printed (the client's, or the probe's requests).
    pub output: Vec<String>,
    /// What else the check saw (another server's failure, why the probe was used, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.status == Outcome::Passed
    }

    fn new(status: Outcome, by: &str, cmd: &Cmd, ran: &Ran, reason: String) -> Self {
        Self {
            status,
            by: by.to_owned(),
            command: cmd.display(),
            seconds: 0.0,
            reason,
            output: ran.tail(),
            notes: Vec::new(),
        }
    }

    /// A finished client check that failed, and why.
    fn fail(by: &str, cmd: &Cmd, ran: &Ran, reason: String) -> Check {
        Check::Done(Self::new(Outcome::Failed, by, cmd, ran, reason))
    }

    /// A finished client check that passed, and what it saw.
    fn pass(by: &str, cmd: &Cmd, ran: &Ran, reason: String) -> Check {
        Check::Done(Self::new(Outcome::Passed, by, cmd, ran, reason))
    }

    fn with_notes(mut self, notes: Vec<String>) -> Self {
        self.notes.extend(notes);
        self
    }
}

/// What a client check came to.
enum Check {
    Done(Verdict),
    /// The probe decides: this client cannot check here (`notes` say why), or it checked
    /// only part (`by`: what it was, for the report).
    Probe {
        by: Option<String>,
        command: Option<String>,
        notes: Vec<String>,
    },
}

impl Check {
    fn probe(why: impl Into<String>) -> Self {
        Self::Probe { by: None, command: None, notes: vec![why.into()] }
    }
}

/// What a client check has to work with.
struct Cx<'a> {
    ctx: &'a Context,
    host: &'a Host,
    /// A private temporary folder, removed after the check.
    dir: PathBuf,
    deadline: Instant,
    timeout: Duration,
    stop: &'a dyn Fn() -> bool,
}

impl Cx<'_> {
    /// Runs `cmd` for what is left of the check's time; its output goes to `<dir>/<name>.log`.
    fn run(&self, cmd: &Cmd, name: &str) -> Ran {
        let left = self.deadline.saturating_duration_since(Instant::now());
        let mut ran = run::run(cmd, &self.dir.join(format!("{name}.log")), left, self.stop);
        if let run::End::TimedOut(_) = ran.end {
            ran.end = run::End::TimedOut(self.timeout);
        }
        ran
    }

    /// A plain command: `LC_ALL=C` (its messages are read), no terminal prompts.
    fn cmd(&self, program: &Path) -> Cmd {
        Cmd::new(program).quiet_env("LC_ALL", "C").quiet_env("DEBIAN_FRONTEND", "noninteractive").cwd(&self.dir)
    }

    /// Runs `<program> --version`: `Err` (why the probe checks instead) when the program is
    /// installed but does not run.
    fn runs(&self, cmd: Cmd, name: &str) -> Result<(), String> {
        let cmd = cmd.arg("--version");
        let ran = self.run(&cmd, &format!("{name}-version"));
        if ran.success() {
            return Ok(());
        }
        let last = ran.tail().last().cloned().map(|l| format!(": {l}")).unwrap_or_default();
        Err(format!("`{}` does not run here ({}{last}); checked with the probe instead", cmd.display(), ran.ending()))
    }
}

/// The client check of a target, when it has one. A target without one (every target added
/// after these) is checked by the probe.
fn client_check(target: TargetKind) -> Option<fn(&Cx<'_>, &Job<'_>) -> Check> {
    match target {
        TargetKind::Apt => Some(apt::check),
        TargetKind::Pacman => Some(pacman::check),
        TargetKind::Archlinuxcn => Some(pacman::check_archlinuxcn),
        TargetKind::Pip => Some(python::pip),
        TargetKind::Uv => Some(python::uv),
        TargetKind::Cargo => Some(cargo::check),
        TargetKind::Conda => Some(conda::check),
        TargetKind::Docker => Some(docker::check),
        TargetKind::Npm => Some(npm::check),
        _ => None,
    }
}

/// Checks every job, in order; `stop` is looked at between checks and while a client runs
/// (a check cut short by it fails, and says so).
pub fn verify(
    ctx: &Context,
    host: &Host,
    jobs: &[Job<'_>],
    opts: &Options<'_>,
    stop: &dyn Fn() -> bool,
) -> Vec<Verdict> {
    let mut verdicts: Vec<Option<Verdict>> = vec![None; jobs.len()];
    let mut probed: Vec<Probed> = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let began = Instant::now();
        let check = match (stop(), client_check(job.target)) {
            (true, _) => Check::Done(stopped(job)),
            (false, Some(client)) => match private_dir() {
                Ok(dir) => {
                    let cx = Cx {
                        ctx,
                        host,
                        dir: dir.path().to_path_buf(),
                        deadline: began + opts.timeout,
                        timeout: opts.timeout,
                        stop,
                    };
                    client(&cx, job)
                }
                Err(e) => {
                    Check::probe(format!("no temporary folder for the check ({e}); checked with the probe instead"))
                }
            },
            (false, None) => Check::Probe { by: None, command: None, notes: Vec::new() },
        };
        match check {
            Check::Done(mut v) => {
                v.seconds = secs(began.elapsed());
                verdicts[i] = Some(v);
            }
            Check::Probe { by, command, notes } => {
                probed.push(Probed { job: i, by, command, notes, took: began.elapsed() });
            }
        }
    }
    if !probed.is_empty() {
        let urls: Vec<(TargetKind, String)> =
            probed.iter().map(|p| (jobs[p.job].target, written_url(ctx, host, &jobs[p.job]))).collect();
        let began = Instant::now();
        let results = if stop() { Vec::new() } else { probe::check_all(ctx, host, &urls, opts.reference, &opts.probe) };
        let took = began.elapsed();
        for (k, Probed { job: i, by, command, notes, took: before }) in probed.into_iter().enumerate() {
            let url = &urls[k].1;
            let mut v = match results.get(k) {
                Some(result) => from_probe(result, url),
                None => stopped(&jobs[i]),
            };
            if let Some(by) = by {
                v.by = format!("{by} + probe");
            }
            if let Some(command) = command {
                v.command = format!("{command}; {}", v.command);
            }
            v.notes.splice(0..0, notes);
            v.seconds = secs(before + took);
            verdicts[i] = Some(v);
        }
    }
    verdicts.into_iter().map(|v| v.expect("every job has a verdict")).collect()
}

/// A job the probe decides: what the client part of its check was, its notes and its time.
struct Probed {
    job: usize,
    by: Option<String>,
    command: Option<String>,
    notes: Vec<String>,
    took: Duration,
}

/// The URL the target's files point at now (what the probe checks), read back from them;
/// the site's own when they name none (the package manager's default, after `use upstream`).
fn written_url(ctx: &Context, host: &Host, job: &Job<'_>) -> String {
    let imp = job.target.target();
    imp.current(ctx, host).ok().and_then(|c| c.url).or_else(|| imp.endpoint(job.site, host)).unwrap_or_default()
}

/// The verdict of the probe of `url`: it passes when the mirror answered as the package
/// manager expects (`ok` or `slow`); a `stale` one passes, saying so in its reason (it
/// works, and `mirror heal` would move it); `failed` and `throttled` fail.
fn from_probe(result: &probe::ProbeResult, url: &str) -> Verdict {
    let (status, reason) = match result.status {
        Status::Ok | Status::Slow => (Outcome::Passed, format!("the probe of {url}: {}", result.reason)),
        Status::Stale => (Outcome::Passed, format!("the probe of {url} answered, but the mirror is {}", result.reason)),
        Status::Throttled | Status::Failed => (Outcome::Failed, format!("the probe of {url}: {}", result.reason)),
    };
    Verdict {
        status,
        by: "probe".into(),
        command: format!("mirror's probe of {url}"),
        seconds: 0.0,
        reason,
        output: run::tail(&result.details.join("\n")),
        notes: Vec::new(),
    }
}

/// A check that did not run, or was cut short, because `mirror` was interrupted.
fn stopped(job: &Job<'_>) -> Verdict {
    Verdict {
        status: Outcome::Failed,
        by: "-".into(),
        command: String::new(),
        seconds: 0.0,
        reason: format!("{}: not checked: `mirror` was interrupted", job.target),
        output: Vec::new(),
        notes: Vec::new(),
    }
}

fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 100.0).round() / 100.0
}

/// A temporary folder only this process can enter.
fn private_dir() -> std::io::Result<tempfile::TempDir> {
    tempfile::Builder::new().prefix("mirror-verify-").tempdir()
}

/// Whether a URL in a client's message lies under one of the site's URLs (http and https
/// alike; a transport prefix such as `tor+` ignored).
fn names_site(url: &str, site_urls: &[&str]) -> bool {
    let url = url.trim_matches(|c: char| c == '\'' || c == '"' || c == ',' || c == ':' || c == '(' || c == ')');
    let url = match url.split_once("://") {
        Some((scheme, rest)) => format!("{}://{rest}", scheme.rsplit('+').next().unwrap_or(scheme)),
        None => return false,
    };
    site_urls.iter().any(|s| crate::targets::common::below(&url, s).is_some())
}

/// The URLs (`scheme://…` words) in a line of a client's output.
fn urls_in(line: &str) -> impl Iterator<Item = &str> {
    line.split_whitespace().filter(|w| w.contains("://"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_matched_to_the_site_by_url() {
        let site = ["http://127.0.0.1:8080/loop/debian", "https://m.example/ubuntu"];
        assert!(names_site("'http://127.0.0.1:8080/loop/debian", &site));
        assert!(names_site("http://127.0.0.1:8080/loop/debian/dists/bookworm/InRelease", &site));
        assert!(names_site("tor+http://127.0.0.1:8080/loop/debian", &site));
        assert!(names_site("http://M.example/ubuntu/dists/noble/InRelease:", &site), "http and https alike");
        assert!(!names_site("http://127.0.0.1:8080/loop/debian-security", &site));
        assert!(!names_site("http://deb.debian.org/debian", &site));
        assert_eq!(urls_in("E: Failed to fetch http://a/b  Could not connect").collect::<Vec<_>>(), ["http://a/b"]);
    }
}
