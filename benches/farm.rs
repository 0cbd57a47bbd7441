//! `cargo bench --bench farm`: the release binary against the test mirror farm.
//!
//! Scenarios (medians over several runs; `FARM_RUNS` overrides the run count):
//! 1. `bench apt` over 30 sites where latency does not predict throughput (`farm::thirty`):
//!    the eleven nearest are the slowest, the true best is 155 ms away, 3 sites hang, 2 are
//!    stale.
//! 2. `bench pacman` with a far (430 ms) but healthy official server and near mirrors
//!    (`farm::far_upstream`): the true best is 120 ms away; the official server must be
//!    reported `slow`, never `failed`.
//! 3. `bench` of all seven targets over 15 sites each (`farm::fifteen`), the true best 146 ms
//!    away for every target.
//! 4. `bench` of every target `mirror` knows over the same 15 sites: a run ends within about
//!    twice `--timeout` however many targets it ranks.
//! 5. `mirror list` and `mirror use tuna --dry-run` (no network).
//!
//! Budgets: the true best in every run of every scenario; scenario 1 median < 2 s; < 8 MiB
//! read per target (what the client read, from `-v`); scenario 3 median < 4 s; scenario 4
//! median < 6 s (twice the default `--timeout`); scenario 5 median < 20 ms. A missed budget is printed and the benchmark exits 1.
//!
//! The farm is the one in `tests/farm/`; `CARGO_BIN_EXE_mirror` is the binary built with the
//! bench profile (release settings).
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/farm/mod.rs"]
mod farm;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use farm::{Farm, far_upstream, fifteen, thirty};
use mirror::targets::TargetKind;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("etc/apt")).unwrap();
        std::fs::write(root.join("etc/os-release"), "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n")
            .unwrap();
        // Something for `use tuna --dry-run` to rewrite.
        std::fs::write(
            root.join("etc/apt/sources.list"),
            "deb http://deb.debian.org/debian bookworm main\ndeb http://deb.debian.org/debian bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n",
        )
        .unwrap();
        let home = root.join("root");
        std::fs::create_dir_all(home.join(".config/pip")).unwrap();
        std::fs::write(home.join(".config/pip/pip.conf"), "[global]\nindex-url = https://pypi.org/simple\n").unwrap();
        Self { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn cmd(&self, catalog: Option<&Path>, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mirror"));
        cmd.args(args).arg("--root").arg(self.path("root"));
        if let Some(c) = catalog {
            cmd.arg("--catalog").arg(c);
        }
        farm::hermetic(&mut cmd, self.dir.path(), "amd64");
        cmd
    }

    fn time(&self, catalog: Option<&Path>, args: &[&str]) -> (Output, Duration) {
        let mut cmd = self.cmd(catalog, args);
        let began = Instant::now();
        let out = cmd.output().expect("run mirror");
        (out, began.elapsed())
    }
}

fn median<T: Copy + Ord>(mut v: Vec<T>) -> T {
    v.sort_unstable();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn mib(b: u64) -> String {
    format!("{:.2} MiB", b as f64 / f64::from(1 << 20))
}

/// (target, best, statuses by site) of a `bench --json` document.
type Ranked = Vec<(String, Option<String>, Vec<(String, String)>)>;

fn ranked(out: &Output) -> Ranked {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    v["targets"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    let rows = t["results"]
                        .as_array()
                        .map_or_else(Vec::new, |rs| rs.iter().map(|r| (s(&r["site"]), s(&r["status"]))).collect());
                    (s(&t["target"]), t["best"].as_str().map(str::to_owned), rows)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The bytes the client says it read (`-v`: `probing read 2.3 MiB in 94 requests in 812 ms`).
fn bytes_read(out: &Output) -> Option<u64> {
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().find_map(|l| l.strip_prefix("probing read "))?;
    let amount = line.split(" in ").next()?;
    let (n, unit) = amount.split_once(' ')?;
    let n: f64 = n.parse().ok()?;
    let scale = match unit {
        "MiB" => f64::from(1 << 20),
        "KiB" => 1024.0,
        "bytes" => 1.0,
        _ => return None,
    };
    Some((n * scale) as u64)
}

struct Line {
    scenario: String,
    runs: usize,
    wall: Duration,
    worst: Duration,
    /// Median bytes the client read, per target.
    bytes: Option<u64>,
    best: String,
    budget: String,
    missed: Vec<String>,
}

/// For a target: the site that must be best, and sites that must have a status.
type Truth<'a> = &'a dyn Fn(&str) -> (&'static str, &'static [(&'static str, &'static str)]);

/// Runs `args` (a `bench --json -v`) `runs` times against `farm`; `truth` says, for a
/// target, which site must be best and which site must have which status.
fn scenario(
    env: &Env,
    farm: &Farm,
    name: &str,
    runs: usize,
    args: &[&str],
    truth: Truth<'_>,
    wall_budget: Duration,
) -> Line {
    let (mut walls, mut bytes, mut right, mut asked) = (Vec::new(), Vec::new(), 0, 0);
    let mut missed = Vec::new();
    for run in 0..runs {
        let (out, took) = env.time(Some(farm.catalog()), args);
        walls.push(took);
        let targets = ranked(&out);
        if let Some(b) = bytes_read(&out) {
            bytes.push(b / targets.len().max(1) as u64);
        }
        for (target, best, rows) in &targets {
            let (want, statuses) = truth(target);
            asked += 1;
            let statuses_ok =
                statuses.iter().all(|(site, status)| rows.iter().any(|(s, st)| s == site && st == status));
            if best.as_deref() == Some(want) && statuses_ok {
                right += 1;
            } else {
                eprintln!("{name}, run {run}: {target} picked {best:?} (want {want}); {rows:?}");
            }
        }
        if targets.is_empty() {
            eprintln!("{name}, run {run}: no report: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let wall = median(walls.clone());
    let byte = (!bytes.is_empty()).then(|| median(bytes.clone()));
    if right != asked || asked == 0 {
        missed.push(format!("true best in {right}/{asked} target runs"));
    }
    if wall >= wall_budget {
        missed.push(format!("median wall {} ≥ {}", ms(wall), ms(wall_budget)));
    }
    match byte {
        Some(b) if b >= 8 << 20 => missed.push(format!("{} read per target ≥ 8 MiB", mib(b))),
        None => missed.push("the client did not say what it read".into()),
        _ => {}
    }
    Line {
        scenario: name.into(),
        runs,
        wall,
        worst: *walls.iter().max().unwrap(),
        bytes: byte,
        best: format!("{right}/{asked}"),
        budget: format!("< {}, < 8 MiB/target, true best always", ms(wall_budget)),
        missed,
    }
}

fn main() {
    let runs: usize = std::env::var("FARM_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let env = Env::new();
    let mut lines = Vec::new();

    {
        let farm = Farm::start(&thirty());
        let truth = |_: &str| ("s11", &[("s01", "stale"), ("s09", "failed")][..]);
        lines.push(scenario(
            &env,
            &farm,
            "bench apt, 30 sites (nearest slowest, 3 hang, 2 stale)",
            runs,
            &["bench", "apt", "--json", "-v"],
            &truth,
            Duration::from_secs(2),
        ));
    }
    {
        let farm = Farm::start(&far_upstream());
        let truth = |_: &str| ("mid", &[("upstream", "slow"), ("near2", "stale"), ("dead", "failed")][..]);
        lines.push(scenario(
            &env,
            &farm,
            "bench pacman, far healthy upstream (430 ms)",
            runs,
            &["bench", "pacman", "--json", "-v"],
            &truth,
            Duration::from_secs(2),
        ));
    }
    {
        let farm = Farm::start(&fifteen());
        let truth = |_: &str| ("s05", &[("s07", "failed")][..]);
        lines.push(scenario(
            &env,
            &farm,
            "bench (7 targets), 15 sites each",
            runs.div_ceil(4).max(3),
            &["bench", "apt", "pacman", "pip", "uv", "conda", "cargo", "docker", "--json", "-v"],
            &truth,
            Duration::from_secs(4),
        ));
    }
    {
        let farm = Farm::start(&fifteen());
        let truth = |_: &str| ("s05", &[("s07", "failed")][..]);
        let mut args = vec!["bench", "--json", "-v"];
        args.extend(TargetKind::ALL.iter().map(|t| t.name()));
        lines.push(scenario(
            &env,
            &farm,
            &format!("bench (all {} targets), 15 sites each", TargetKind::ALL.len()),
            runs.div_ceil(4).max(3),
            &args,
            &truth,
            Duration::from_secs(6),
        ));
    }

    // No network: the built-in catalog.
    for (name, args) in [("list", vec!["list"]), ("use tuna --dry-run", vec!["use", "tuna", "--dry-run"])] {
        let mut walls = Vec::new();
        let mut codes = Vec::new();
        for _ in 0..runs {
            let (out, took) = env.time(None, &args);
            walls.push(took);
            codes.push(out.status.code().unwrap_or(-1));
        }
        let wall = median(walls.clone());
        let code = median(codes.clone());
        let mut missed = Vec::new();
        if wall >= Duration::from_millis(20) {
            missed.push(format!("median wall {} ≥ 20 ms", ms(wall)));
        }
        if code != 0 {
            missed.push(format!("exit {code}"));
        }
        lines.push(Line {
            scenario: format!("mirror {name} (no network)"),
            runs,
            wall,
            worst: *walls.iter().max().unwrap(),
            bytes: None,
            best: format!("exit {code}"),
            budget: "< 20 ms".into(),
            missed,
        });
    }

    println!();
    println!("| scenario | runs | median wall | worst | median read per target | right / result | budget | met |");
    println!("|---|---|---|---|---|---|---|---|");
    for l in &lines {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            l.scenario,
            l.runs,
            ms(l.wall),
            ms(l.worst),
            l.bytes.map_or("-".into(), mib),
            l.best,
            l.budget,
            if l.missed.is_empty() { "yes".to_owned() } else { format!("NO: {}", l.missed.join("; ")) }
        );
    }
    let missed: Vec<&Line> = lines.iter().filter(|l| !l.missed.is_empty()).collect();
    if !missed.is_empty() {
        eprintln!();
        for l in &missed {
            eprintln!("budget missed: {}: {}", l.scenario, l.missed.join("; "));
        }
        std::process::exit(1);
    }
}
