//! `cargo bench --bench farm`: the release binary against the test mirror farm.
//!
//! Scenarios (medians over several runs; `FARM_RUNS` overrides the run count):
//! 1. `bench apt` over 30 sites with time to first byte 5-400 ms, 3 that accept and hang,
//!    2 stale by 3 days: wall time, bytes the farm sent, and whether the true best (fresh,
//!    highest bandwidth) was picked. Budget: < 1.5 s, true best ≥ 19/20, < 4 MiB.
//! 2. `bench` (every target: 19, in 13 probe families) over 15 sites each. Budget: < 3 s.
//! 3. `mirror list` and `mirror use tuna --dry-run` (no network). Budget: < 20 ms each.
//!
//! The farm is the one in `tests/farm/`; `CARGO_BIN_EXE_mirror` is the binary built with
//! the bench profile (release settings).
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/farm/mod.rs"]
mod farm;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use farm::{Farm, fifteen, thirty};

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
        let home = root.join("root"); // root's home inside `--root`, where user files are
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

fn bests(out: &Output) -> Vec<(String, Option<String>)> {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    v["targets"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .map(|t| (t["target"].as_str().unwrap_or_default().to_owned(), t["best"].as_str().map(str::to_owned)))
                .collect()
        })
        .unwrap_or_default()
}

struct Line {
    scenario: String,
    runs: usize,
    wall: Duration,
    worst: Duration,
    bytes: Option<u64>,
    best: String,
    budget: String,
    met: bool,
}

fn main() {
    let runs: usize = std::env::var("FARM_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let env = Env::new();
    let mut lines = Vec::new();

    // 1. One target, 30 sites.
    {
        let farm = Farm::start(&thirty());
        let (mut walls, mut bytes, mut picked) = (Vec::new(), Vec::new(), 0);
        for _ in 0..runs {
            farm.reset_bytes();
            let (out, took) = env.time(Some(farm.catalog()), &["bench", "apt", "--json"]);
            std::thread::sleep(Duration::from_millis(50)); // let the farm count the last bytes
            walls.push(took);
            bytes.push(farm.bytes_sent());
            let b = bests(&out);
            // The farm's true best (`farm::thirty`): fresh, 40 MB/s, a middling latency.
            if b.first().and_then(|(_, b)| b.as_deref()) == Some("s11") {
                picked += 1;
            } else {
                eprintln!("run picked {b:?}: {}", String::from_utf8_lossy(&out.stderr));
            }
        }
        let (wall, byte) = (median(walls.clone()), median(bytes.clone()));
        lines.push(Line {
            scenario: "bench apt, 30 sites (3 hang, 2 stale)".into(),
            runs,
            wall,
            worst: *walls.iter().max().unwrap(),
            bytes: Some(byte),
            best: format!("{picked}/{runs}"),
            budget: "< 1.5 s, ≥ 95% best, < 4 MiB".into(),
            met: wall < Duration::from_millis(1500) && picked * 20 >= runs * 19 && byte < 4 << 20,
        });
    }

    // 2. Every target, 15 sites each.
    {
        let farm = Farm::start(&fifteen());
        let n = runs.div_ceil(4).max(3);
        let (mut walls, mut bytes, mut picked, mut asked) = (Vec::new(), Vec::new(), 0, 0);
        for _ in 0..n {
            farm.reset_bytes();
            let (out, took) = env.time(Some(farm.catalog()), &["bench", "--json"]);
            std::thread::sleep(Duration::from_millis(50));
            walls.push(took);
            bytes.push(farm.bytes_sent());
            for (target, best) in bests(&out) {
                // The farm's true best (`farm::fifteen`) for every target, Docker included
                // (it is ranked on a layer's throughput too).
                let truth = "s05";
                asked += 1;
                if best.as_deref() == Some(truth) {
                    picked += 1;
                } else {
                    eprintln!("{target} picked {best:?}");
                }
            }
        }
        let wall = median(walls.clone());
        lines.push(Line {
            scenario: "bench (all 19 targets), 15 sites each".into(),
            runs: n,
            wall,
            worst: *walls.iter().max().unwrap(),
            bytes: Some(median(bytes)),
            best: format!("{picked}/{asked}"),
            budget: "< 3 s".into(),
            met: wall < Duration::from_secs(3),
        });
    }

    // 3. No network: the built-in catalog.
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
        lines.push(Line {
            scenario: format!("mirror {name} (no network)"),
            runs,
            wall,
            worst: *walls.iter().max().unwrap(),
            bytes: None,
            best: format!("exit {code}"),
            budget: "< 20 ms".into(),
            met: wall < Duration::from_millis(20) && code == 0,
        });
    }

    println!();
    println!("| scenario | runs | median wall | worst | median bytes sent | picked / result | budget | met |");
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
            if l.met { "yes" } else { "NO" }
        );
    }
}
