//! Checking a switch (`use --verify`), healing (`heal`) and following a ranking made
//! elsewhere (`use best --from`), against the farm of fake mirrors in `tests/farm/`: the real
//! binary, a hermetic environment whose `PATH` holds no package manager (so checks use the
//! probe), or a package manager of the test's own where a test is about running one (a
//! shell script: its deadline, a signal, what it is given). Real package managers are in
//! `tests/realclients.rs`.

mod farm;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use farm::{DAY, Farm, Mode, NOW, Spec};
use serde_json::Value;

const DEBIAN: &str =
    "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";

/// A fake machine: `<tmp>/root` (system files), root's home inside it (`<tmp>/home` links
/// there), and `<tmp>/bin`, the whole `PATH`.
struct Machine {
    dir: tempfile::TempDir,
}

/// What a run printed and how it ended.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }

    /// The row of `target` in a `use` or `heal` document.
    fn row(&self, target: &str) -> Value {
        let doc = self.json();
        doc["targets"]
            .as_array()
            .and_then(|t| t.iter().find(|r| r["target"] == target).cloned())
            .unwrap_or_else(|| panic!("no {target} row: {doc:#}\nstderr:\n{}", self.stderr))
    }
}

impl Machine {
    fn debian() -> Self {
        let dir = tempfile::Builder::new().prefix("mirror-heal-").tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("root/root")).unwrap();
        std::fs::create_dir_all(dir.path().join("root/etc")).unwrap();
        std::fs::write(dir.path().join("root/etc/os-release"), DEBIAN).unwrap();
        std::os::unix::fs::symlink("root/root", dir.path().join("home")).unwrap();
        Self { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `text` at `rel` (folders created) and returns its path.
    fn put(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// A package manager of the test's own on `PATH`: a shell script.
    fn client(&self, name: &str, script: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.put(&format!("bin/{name}"), &format!("#!/bin/sh\nPATH=/usr/bin:/bin\n{script}"));
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn cmd(&self, catalog: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mirror"));
        cmd.args(args).arg("--catalog").arg(catalog).arg("--root").arg(self.path("root"));
        farm::hermetic(&mut cmd, self.dir.path(), "amd64");
        cmd.stdin(Stdio::null());
        cmd
    }

    fn run_cmd(&self, cmd: &mut Command) -> Run {
        let out = cmd.output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn run(&self, catalog: &Path, args: &[&str]) -> Run {
        self.run_cmd(&mut self.cmd(catalog, args))
    }

    /// The states of the journal entries, newest first, and their targets.
    fn journal(&self, catalog: &Path) -> Vec<(String, Vec<String>)> {
        let run = self.run(catalog, &["restore", "--list", "--json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.json()["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let targets = e["targets"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect();
                (e["state"].as_str().unwrap().to_owned(), targets)
            })
            .collect()
    }

    /// A Debian 12 container's stock `debian.sources` and a user's pip.conf and cargo
    /// config, from the fixtures.
    fn stock(&self) {
        self.put("root/etc/apt/sources.list.d/debian.sources", &fixture("apt/debian12-container.sources"));
        self.put(PIP, &fixture("pip/pip.conf"));
        self.put(CARGO, &fixture("cargo/config.toml"));
    }
}

const APT: &str = "root/etc/apt/sources.list.d/debian.sources";
const PIP: &str = "home/.config/pip/pip.conf";
const CARGO: &str = "home/.cargo/config.toml";

fn fixture(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)).unwrap()
}

/// The official servers (fresh: the freshness baseline) and three good mirrors.
fn sites() -> Vec<Spec> {
    vec![
        Spec::new("upstream").ttfb(100).mbps(5),
        Spec::new("alpha").mbps(40),
        Spec::new("beta").ttfb(50).mbps(20),
        Spec::new("gamma").ttfb(100).mbps(10),
    ]
}

// ---------------------------------------------------------------------------------------------
// use --verify, checked by the probe

#[test]
fn every_way_a_mirror_breaks_is_caught_and_the_files_stay_byte_for_byte() {
    let farm = Farm::start(&[
        Spec::new("upstream"),
        Spec::new("e500").mode(Mode::Status(500)),
        Spec::new("html").mode(Mode::WrongContent),
        Spec::new("refuse").mode(Mode::Refuse),
        // A Debian mirror without `bookworm-updates`, and without PyPI.
        Spec::new("nosuite").only(&["debian/dists/bookworm/", "debian/project/"]),
    ]);
    let m = Machine::debian();
    m.stock();
    let before = [m.read(APT), m.read(PIP)];
    for (site, why) in
        [("e500", "HTTP 500"), ("html", "wrong content"), ("refuse", "connection refused"), ("nosuite", "HTTP 404")]
    {
        let run = m.run(farm.catalog(), &["use", site, "apt", "pip", "--verify", "--yes", "--json"]);
        assert_eq!(run.code, 1, "{site}: {}", run.stderr);
        for target in ["apt", "pip"] {
            let row = run.row(target);
            assert_eq!(row["status"], "failed", "{site} {target}: {row:#}");
            let check = &row["verify"];
            assert_eq!(check["status"], "failed", "{site} {target}: {row:#}");
            assert_eq!(check["by"], "probe", "{site} {target}: {row:#}");
            assert!(check["command"].as_str().unwrap().starts_with("mirror's probe of http://127.0.0.1:"), "{row:#}");
            assert!(check["seconds"].as_f64().is_some(), "{row:#}");
            assert!(!check["output"].as_array().unwrap().is_empty(), "the probe's requests are shown: {row:#}");
            assert!(check["notes"][0].as_str().unwrap().contains("is not installed here"), "{row:#}");
            if target == "apt" || site != "nosuite" {
                assert!(check["reason"].as_str().unwrap().contains(why), "{site} {target}: {row:#}");
            }
            assert!(row["reason"].as_str().unwrap().ends_with("; put back"), "{row:#}");
        }
        assert_eq!([m.read(APT), m.read(PIP)], before, "{site}: the files are byte-identical");
        assert!(run.json()["journal"].is_null(), "{site}");
        assert!(run.json()["error"]["message"].as_str().unwrap().contains("failed its check and was put back"));
        assert!(run.stderr.contains("the check failed"), "{}", run.stderr);
    }
    // Each run is journaled as rolled back: there is nothing to restore.
    let journal = m.journal(farm.catalog());
    assert_eq!(journal.len(), 4);
    assert!(journal.iter().all(|(state, _)| state == "rolled-back"), "{journal:?}");
    let run = m.run(farm.catalog(), &["restore", "--yes"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("nothing to restore"), "{}", run.stderr);
}

#[test]
fn a_failing_target_is_put_back_and_the_others_stay() {
    // `half` serves PyPI but not crates.io: cargo's check fails, pip's passes.
    let farm = Farm::start(&[Spec::new("upstream"), Spec::new("half").only(&["pypi/"])]);
    let m = Machine::debian();
    m.stock();
    let run = m.run(farm.catalog(), &["use", "half", "pip", "cargo", "--verify", "--yes", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (pip, cargo) = (run.row("pip"), run.row("cargo"));
    assert_eq!(
        (pip["status"].as_str(), pip["verify"]["status"].as_str()),
        (Some("changed"), Some("passed")),
        "{pip:#}"
    );
    assert_eq!(cargo["status"], "failed", "{cargo:#}");
    assert!(cargo["verify"]["reason"].as_str().unwrap().contains("HTTP 404 for config.json"), "{cargo:#}");
    assert_eq!(m.read(CARGO), fixture("cargo/config.toml").as_bytes(), "cargo's config is put back");
    assert!(String::from_utf8(m.read(PIP)).unwrap().contains("/pypi/web/simple"), "pip stays switched");
    let message = run.json()["error"]["message"].as_str().unwrap().to_owned();
    assert_eq!(message, "the new config of cargo failed its check and was put back; the other targets stay switched");
    assert!(run.stderr.contains("pip: checked by probe in"), "{}", run.stderr);

    // The journal entry holds only what stayed: restore undoes pip, cargo is left alone.
    assert_eq!(m.journal(farm.catalog()), [("complete".to_owned(), vec!["pip".to_owned()])]);
    let run = m.run(farm.catalog(), &["restore", "--yes", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["files"].as_array().unwrap().len(), 1, "{}", run.stdout);
    assert_eq!(m.read(PIP), fixture("pip/pip.conf").as_bytes());
    assert_eq!(m.read(CARGO), fixture("cargo/config.toml").as_bytes());
}

#[test]
fn a_good_mirror_passes_and_a_dry_run_checks_nothing() {
    let farm = Farm::start(&sites());
    let m = Machine::debian();
    m.stock();
    let run = m.run(farm.catalog(), &["use", "alpha", "apt", "pip", "--verify", "--yes", "--dry-run", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.row("apt")["verify"].is_null() && run.row("pip")["verify"].is_null(), "{}", run.stdout);
    assert_eq!(m.read(PIP), fixture("pip/pip.conf").as_bytes());

    let run = m.run(farm.catalog(), &["use", "alpha", "apt", "pip", "--verify", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for target in ["apt", "pip"] {
        assert!(run.stderr.contains(&format!("{target}: checked by probe in ")), "{}", run.stderr);
    }
    assert!(
        run.stderr.contains("note: `apt-get` is not installed here; checked with the probe instead"),
        "{}",
        run.stderr
    );
    let apt = String::from_utf8(m.read(APT)).unwrap();
    assert!(apt.contains(&format!("URIs: {}/debian\n", farm.base("alpha"))), "{apt}");
    // Without `--verify` nothing is checked (`use SITE` does not check by default).
    let run = m.run(farm.catalog(), &["use", "beta", "pip", "--yes", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.row("pip")["verify"].is_null());
}

#[test]
fn use_best_checks_the_site_it_picks_unless_told_not_to() {
    let farm = Farm::start(&sites());
    let m = Machine::debian();
    m.stock();
    let run = m.run(farm.catalog(), &["bench", "pip", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["targets"][0]["best"], "alpha");
    // alpha breaks after the bench: `use best` reuses the ranking, and its check finds out.
    farm.set_mode("alpha", Mode::Status(503));
    let run = m.run(farm.catalog(), &["use", "best", "pip", "--yes", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let pip = run.row("pip");
    assert_eq!(pip["verify"]["status"], "failed", "{pip:#}");
    assert!(pip["verify"]["reason"].as_str().unwrap().contains("HTTP 503"), "{pip:#}");
    assert_eq!(m.read(PIP), fixture("pip/pip.conf").as_bytes());
    // `--no-verify` writes anyway.
    let run = m.run(farm.catalog(), &["use", "best", "pip", "--yes", "--json", "--no-verify"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.row("pip")["verify"].is_null());
    assert_ne!(m.read(PIP), fixture("pip/pip.conf").as_bytes());
    let run = m.run(farm.catalog(), &["use", "best", "pip", "--verify", "--no-verify"]);
    assert_eq!(run.code, 2, "the two contradict: {}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// use --verify, checked by a package manager (a script of the test's own)

/// A `pip3` that answers `--version` and does `download` as `script` says.
fn pip3(m: &Machine, script: &str) {
    m.client("pip3", &format!("case \"$1\" in --version) echo 'pip 24.0 (python 3.12)'; exit 0;; esac\n{script}\n"));
}

#[test]
fn a_client_gets_the_file_written_no_terminal_and_its_last_lines_are_reported() {
    let farm = Farm::start(&sites());
    let m = Machine::debian();
    m.stock();
    let seen = m.path("seen");
    pip3(
        &m,
        &format!(
            "{{ echo \"args=$*\"; echo \"config=$PIP_CONFIG_FILE\"; echo \"index=${{PIP_INDEX_URL-unset}}\"; \
             echo \"lang=$LC_ALL\"; echo \"stdin=$(readlink /proc/$$/fd/0)\"; }} > {}\n\
             echo 'Looking in indexes: {}/pypi/web/simple'\necho 'Collecting six'\n\
             echo 'ERROR: Could not find a version that satisfies the requirement six (from versions: none)' >&2\n\
             echo 'ERROR: No matching distribution found for six' >&2\nexit 1",
            seen.display(),
            farm.base("alpha")
        ),
    );
    let mut cmd = m.cmd(farm.catalog(), &["use", "alpha", "pip", "--verify", "--yes", "--json"]);
    // An overriding variable must not reach the check: the file is what is checked.
    cmd.env("PIP_INDEX_URL", "https://elsewhere.example/simple");
    let run = m.run_cmd(&mut cmd);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let check = run.row("pip")["verify"].clone();
    assert_eq!(check["by"], "pip", "{check:#}");
    let command = check["command"].as_str().unwrap();
    assert!(command.starts_with("PIP_CONFIG_FILE="), "{command}");
    assert!(command.contains(" pip3 download --no-cache-dir --no-deps --only-binary :all: --no-input"), "{command}");
    assert_eq!(
        check["reason"],
        "`pip download six` from the mirror failed: ERROR: No matching distribution found for six"
    );
    assert_eq!(check["output"].as_array().unwrap().last().unwrap(), "ERROR: No matching distribution found for six");
    let seen = std::fs::read_to_string(&seen).unwrap();
    let pip_conf = std::fs::canonicalize(m.path(PIP)).unwrap();
    assert!(seen.contains(&format!("config={}\n", pip_conf.display())), "{seen}");
    assert!(seen.contains("index=unset\n"), "{seen}");
    assert!(seen.contains("lang=C\n"), "{seen}");
    assert!(seen.contains("stdin=/dev/null\n"), "no terminal to ask on: {seen}");
    assert!(seen.contains("args=download --no-cache-dir --no-deps --only-binary :all:"), "{seen}");
    assert_eq!(m.read(PIP), fixture("pip/pip.conf").as_bytes());
    assert!(run.stderr.contains("  | ERROR: No matching distribution found for six"), "{}", run.stderr);

    // A client that says it downloaded from the mirror passes.
    pip3(
        &m,
        &format!(
            "echo 'Looking in indexes: {}/pypi/web/simple'\nwhile [ $# -gt 1 ]; do [ \"$1\" = --dest ] && d=$2; shift; done\n\
             mkdir -p \"$d\" && touch \"$d/six-1.17.0-py2.py3-none-any.whl\"",
            farm.base("alpha")
        ),
    );
    let run = m.run(farm.catalog(), &["use", "alpha", "pip", "--verify", "--yes", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.row("pip")["verify"]["reason"], "`pip download six` fetched it from the mirror");
    // One that reads another index than the file's fails, whatever it downloaded.
    pip3(&m, "echo 'Looking in indexes: https://pypi.org/simple'\nexit 0");
    let run = m.run(farm.catalog(), &["use", "beta", "pip", "--verify", "--yes", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.row("pip")["verify"]["reason"],
        "pip does not use the mirror: Looking in indexes: https://pypi.org/simple"
    );
}

#[test]
fn a_client_that_hangs_is_stopped_at_its_deadline_and_its_target_put_back() {
    let farm = Farm::start(&sites());
    let m = Machine::debian();
    m.stock();
    pip3(&m, "sleep 30");
    let began = Instant::now();
    let run = m.run(farm.catalog(), &["use", "alpha", "pip", "--verify", "--verify-timeout", "1s", "--yes", "--json"]);
    assert!(began.elapsed() < Duration::from_secs(15), "{:?}", began.elapsed());
    assert_eq!(run.code, 1, "{}", run.stderr);
    let check = run.row("pip")["verify"].clone();
    assert!(check["reason"].as_str().unwrap().ends_with("did not finish within 1.0 s"), "{check:#}");
    assert_eq!(m.read(PIP), fixture("pip/pip.conf").as_bytes());
}

#[test]
fn sigterm_during_a_check_stops_the_client_and_puts_every_file_back() {
    let farm = Farm::start(&sites());
    let m = Machine::debian();
    m.stock();
    let started = m.path("started");
    pip3(&m, &format!("echo $$ > {}\nsleep 30", started.display()));
    let mut child = m
        .cmd(farm.catalog(), &["use", "alpha", "pip", "cargo", "--verify", "--yes"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let began = Instant::now();
    while !started.exists() {
        assert!(began.elapsed() < Duration::from_secs(20), "the check never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Both files are written by now; the check of pip is running.
    assert_ne!(m.read(PIP), fixture("pip/pip.conf").as_bytes());
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("interrupted by SIGTERM; every file already written was put back"), "{stderr}");
    assert_eq!(m.read(PIP), fixture("pip/pip.conf").as_bytes());
    assert_eq!(m.read(CARGO), fixture("cargo/config.toml").as_bytes());
    assert_eq!(m.journal(farm.catalog())[0].0, "rolled-back");
    let pid = std::fs::read_to_string(&started).unwrap().trim().to_owned();
    std::thread::sleep(Duration::from_millis(200));
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    assert!(!state.contains(") S ") && !state.contains(") R "), "the client was left running: {state}");
}

// ---------------------------------------------------------------------------------------------
// heal

/// pip on alpha, cargo on beta, apt on alpha.
fn configured(m: &Machine, farm: &Farm) {
    m.stock();
    for (site, targets) in [("alpha", &["pip", "apt"][..]), ("beta", &["cargo"])] {
        let mut args = vec!["use", site];
        args.extend_from_slice(targets);
        args.push("--yes");
        let run = m.run(farm.catalog(), &args);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
}

fn files(m: &Machine) -> [Vec<u8>; 3] {
    [m.read(APT), m.read(PIP), m.read(CARGO)]
}

#[test]
fn heal_moves_only_the_target_whose_site_died_and_a_second_heal_changes_nothing() {
    let farm = Farm::start(&sites());
    let m = Machine::debian();
    configured(&m, &farm);
    let journal = m.journal(farm.catalog()).len();

    // Everything healthy: nothing to do.
    let run = m.run(farm.catalog(), &["heal", "pip", "cargo", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for target in ["pip", "cargo"] {
        assert_eq!(run.row(target)["action"], "healthy", "{}", run.stdout);
    }
    assert!(run.json()["journal"].is_null());

    // alpha's PyPI goes away; apt on alpha still works there.
    farm.set_mode("alpha", Mode::Status(502));
    let before = files(&m);
    let run = m.run(farm.catalog(), &["heal", "--json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let pip = run.row("pip");
    assert_eq!(pip["action"], "healed", "{pip:#}");
    assert_eq!(pip["before"]["site"], "alpha");
    assert_eq!(pip["before"]["status"], "failed");
    assert_eq!(pip["after"]["site"], "beta", "the best healthy site: {pip:#}");
    assert!(pip["why"].as_str().unwrap().starts_with("failed: HTTP 502"), "{pip:#}");
    // The new site's status, as its probe row gives it (`ok` here; `slow` when no site is ok).
    assert!(pip["why"].as_str().unwrap().contains("; beta is ok: "), "{pip:#}");
    assert_eq!(pip["verify"]["status"], "passed", "switched, and checked: {pip:#}");
    // apt is on alpha too, and alpha answers 502 for it as well: it moves too. cargo stays.
    assert_eq!(run.row("apt")["action"], "healed");
    assert_eq!(run.row("cargo")["action"], "healthy");
    assert_eq!(run.row("docker")["action"], "skipped");
    let after = files(&m);
    assert_ne!(after[1], before[1]);
    assert!(String::from_utf8_lossy(&after[1]).contains(&farm.base("beta")));
    assert_eq!(after[2], before[2], "cargo's config is untouched");
    // One journal entry for the heal: `mirror restore` undoes it.
    let entries = m.journal(farm.catalog());
    assert_eq!(entries.len(), journal + 1);
    assert_eq!(entries[0], ("complete".to_owned(), vec!["apt".to_owned(), "pip".to_owned()]));

    // A second heal finds everything healthy and changes nothing.
    let run = m.run(farm.catalog(), &["heal", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(["apt", "pip", "cargo"].iter().all(|t| run.row(t)["action"] == "healthy"), "{}", run.stdout);
    assert_eq!(files(&m), after);
    assert_eq!(m.journal(farm.catalog()).len(), journal + 1);

    let run = m.run(farm.catalog(), &["restore", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(files(&m), before, "restore undoes the heal");
}

#[test]
fn heal_moves_a_target_whose_site_went_stale_and_says_so() {
    let farm = Farm::start(&sites());
    let m = Machine::debian();
    configured(&m, &farm);
    farm.set_lag("beta", 3 * DAY);
    let before = files(&m);
    let run = m.run(farm.catalog(), &["heal"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let line = run.stdout.lines().find(|l| l.starts_with("cargo")).unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(line.contains("healed") && line.contains("beta") && line.contains("alpha"), "{line}");
    assert!(line.contains("stale: 3d"), "{line}");
    assert!(run.stdout.lines().any(|l| l.starts_with("pip") && l.contains("healthy")), "{}", run.stdout);
    let after = files(&m);
    assert_eq!((&after[0], &after[1]), (&before[0], &before[1]), "apt and pip stay on alpha");
    assert!(String::from_utf8_lossy(&after[2]).contains(&farm.base("alpha")), "cargo moved to alpha");
    assert!(run.stderr.contains("journal "), "{}", run.stderr);
}

#[test]
fn heal_keeps_apts_security_suites_on_the_mirror_when_they_were_there() {
    let farm = Farm::start(&sites());
    let m = Machine::debian();
    m.stock();
    let run = m.run(farm.catalog(), &["use", "alpha", "apt", "--security", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let apt = String::from_utf8(m.read(APT)).unwrap();
    assert!(apt.contains(&format!("URIs: {}/debian-security\n", farm.base("alpha"))), "{apt}");
    farm.set_mode("alpha", Mode::Status(502));
    let run = m.run(farm.catalog(), &["heal", "apt", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.row("apt")["after"]["site"], "beta");
    let apt = String::from_utf8(m.read(APT)).unwrap();
    assert!(apt.contains(&format!("URIs: {}/debian\n", farm.base("beta"))), "{apt}");
    assert!(apt.contains(&format!("URIs: {}/debian-security\n", farm.base("beta"))), "security follows: {apt}");

    // Security on the official server stays there when heal moves the archive.
    farm.set_mode("alpha", Mode::Normal);
    let m = Machine::debian();
    m.stock();
    assert_eq!(m.run(farm.catalog(), &["use", "alpha", "apt", "--yes"]).code, 0);
    farm.set_mode("alpha", Mode::Status(502));
    let run = m.run(farm.catalog(), &["heal", "apt"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let apt = String::from_utf8(m.read(APT)).unwrap();
    assert!(apt.contains("URIs: http://deb.debian.org/debian-security\n"), "{apt}");
    assert!(apt.contains(&format!("URIs: {}/debian\n", farm.base("beta"))), "{apt}");
    assert!(!apt.contains(&format!("{}/debian-security", farm.base("beta"))), "{apt}");

    // Written by hand, each stanza under a comment: security is on alpha all the same.
    let m = Machine::debian();
    let alpha = farm.base("alpha");
    let keyring = "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg";
    m.put(
        APT,
        &format!(
            "# The archive, from our mirror\nTypes: deb\nURIs: {alpha}/debian\nSuites: bookworm bookworm-updates\n\
             Components: main\n{keyring}\n\n# Security updates, from the same mirror\nTypes: deb\n\
             URIs: {alpha}/debian-security\nSuites: bookworm-security\nComponents: main\n{keyring}\n"
        ),
    );
    let run = m.run(farm.catalog(), &["heal", "apt", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let apt = String::from_utf8(m.read(APT)).unwrap();
    assert!(apt.contains(&format!("URIs: {}/debian-security\n", farm.base("beta"))), "security follows: {apt}");
    assert!(apt.contains("# Security updates, from the same mirror\n"), "{apt}");
}

#[test]
fn heal_under_dry_run_says_what_it_would_do_and_writes_nothing() {
    let farm = Farm::start(&sites());
    let m = Machine::debian();
    configured(&m, &farm);
    farm.set_mode("beta", Mode::Refuse);
    let before = files(&m);
    let entries = m.journal(farm.catalog()).len();
    let run = m.run(farm.catalog(), &["heal", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("+++ b"), "the diff: {}", run.stdout);
    assert!(run.stdout.lines().any(|l| l.starts_with("cargo") && l.contains("would heal")), "{}", run.stdout);
    assert_eq!(files(&m), before);
    assert_eq!(m.journal(farm.catalog()).len(), entries);
}

#[test]
fn heal_leaves_a_mirror_outside_the_catalog_alone_and_fails_when_it_is_dead() {
    let farm = Farm::start(&sites());
    let m = Machine::debian();
    m.stock();
    // The user's own index, which no site file names: dead (nothing listens there).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let own = format!("# my own index\n[global]\nindex-url = http://127.0.0.1:{port}/simple\n");
    m.put(PIP, &own);
    let run = m.run(farm.catalog(), &["heal", "pip", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let pip = run.row("pip");
    assert_eq!(pip["action"], "pinned", "{pip:#}");
    assert_eq!(pip["before"]["status"], "failed");
    assert!(pip["before"]["site"].is_null());
    assert!(pip["why"].as_str().unwrap().contains("not in the catalog, so it is left as it is"), "{pip:#}");
    assert_eq!(m.read(PIP), own.as_bytes());
    assert_eq!(run.json()["error"]["message"], "could not heal pip");

    // A healthy one of the user's own is left alone too, and that is success.
    let own = format!("[global]\nindex-url = {}/pypi/web/simple/\n", farm.base("gamma"));
    m.put(PIP, &own);
    let catalog = m.path("catalog");
    std::fs::create_dir_all(&catalog).unwrap();
    for id in ["upstream", "alpha", "beta"] {
        std::fs::copy(farm.catalog().join(format!("{id}.toml")), catalog.join(format!("{id}.toml"))).unwrap();
    }
    let run = m.run(&catalog, &["heal", "pip", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.row("pip")["action"], "pinned");
    assert_eq!(run.row("pip")["before"]["status"], "ok");
    assert_eq!(m.read(PIP), own.as_bytes());
}

#[test]
fn heal_fails_when_no_healthy_site_is_left_or_the_new_config_fails_its_check() {
    let farm = Farm::start(&sites());
    let m = Machine::debian();
    configured(&m, &farm);
    farm.set_mode("alpha", Mode::Status(500));
    farm.set_mode("gamma", Mode::Status(500));
    farm.set_lag("beta", 3 * DAY);
    let before = files(&m);
    // cargo's site is stale, and the only sites it may go to are broken.
    let run = m.run(farm.catalog(), &["heal", "cargo", "--json", "--site", "alpha,gamma"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let cargo = run.row("cargo");
    assert_eq!(cargo["action"], "failed", "{cargo:#}");
    assert_eq!(cargo["before"]["status"], "stale", "{cargo:#}");
    assert!(cargo["why"].as_str().unwrap().contains("no healthy site to move to (best try: "), "{cargo:#}");
    assert!(cargo["after"].is_null());
    assert_eq!(files(&m), before);

    // A healthy site (gamma), but the package manager's own check of the new config fails:
    // the switch is put back.
    farm.set_mode("gamma", Mode::Normal);
    pip3(&m, "echo 'ERROR: HTTP error 403 while getting six' >&2\nexit 1");
    let run = m.run(farm.catalog(), &["heal", "pip", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let pip = run.row("pip");
    assert_eq!(pip["action"], "failed", "{pip:#}");
    assert_eq!(pip["verify"]["by"], "pip", "{pip:#}");
    assert_eq!(pip["verify"]["status"], "failed", "{pip:#}");
    assert!(pip["why"].as_str().unwrap().ends_with("; put back"), "{pip:#}");
    assert!(pip["after"].is_null(), "put back, it is where it was: {pip:#}");
    assert_eq!(files(&m), before);
    assert_eq!(m.journal(farm.catalog())[0].0, "rolled-back");
}

#[test]
fn heal_named_targets_that_are_not_here_is_an_error_and_defaults_are_left_alone() {
    let farm = Farm::start(&sites());
    let m = Machine::debian();
    let run = m.run(farm.catalog(), &["heal", "pacman"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot heal pacman: pacman is not on this system: no `/etc/pacman.conf`"),
        "{}",
        run.stderr
    );
    // pip with a pip.conf that names no index uses its default, the official one: not a
    // mirror to heal.
    m.put(PIP, "[global]\ntimeout = 60\n");
    let run = m.run(farm.catalog(), &["heal", "pip", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.row("pip")["action"], "skipped");
    assert!(run.row("pip")["why"].as_str().unwrap().contains("no mirror configured"));
}

/// A user's `~/.npmrc`: a scoped registry with its token, and npm's own settings.
const NPMRC: &str = "; npm user config\nregistry=https://registry.npmjs.org/\n@mycorp:registry=https://npm.corp.example/\n//npm.corp.example/:_authToken=${CORP_NPM_TOKEN}\nsave-exact=true\nfund=false\n";

#[test]
fn heal_leaves_alone_a_file_that_an_environment_variable_overrides() {
    let farm = Farm::start(&sites());
    let m = Machine::debian();
    m.stock();
    m.put("home/.npmrc", NPMRC);
    let run = m.run(farm.catalog(), &["use", "beta", "cargo", "npm", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // beta dies; but this shell points cargo and npm elsewhere, so their files have no effect:
    // rewriting them would heal nothing.
    farm.set_mode("beta", Mode::Status(502));
    let before = (m.read(CARGO), m.read("home/.npmrc"));
    let journal = m.journal(farm.catalog()).len();
    // The variables describe this shell, so they count only on this machine, not in a root
    // (the test root stands for this machine with `MIRROR_TEST_SHELL_VARS`).
    let mut cmd = m.cmd(farm.catalog(), &["heal", "cargo", "npm", "--json"]);
    cmd.env("MIRROR_TEST_SHELL_VARS", "1")
        .env("CARGO_SOURCE_CRATES_IO_REPLACE_WITH", "corp")
        .env("npm_config_registry", "https://npm.corp.example/");
    let run = m.run_cmd(&mut cmd);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for (target, var) in [("cargo", "CARGO_SOURCE_CRATES_IO_REPLACE_WITH"), ("npm", "npm_config_registry")] {
        let row = run.row(target);
        assert_eq!(row["action"], "skipped", "{row:#}");
        assert_eq!(row["why"], format!("`{var}` overrides its config file: left alone"), "{row:#}");
        assert!(row["before"]["status"].is_null(), "not probed: {row:#}");
        assert!(row["after"].is_null(), "{row:#}");
    }
    assert!(run.json()["journal"].is_null());
    assert_eq!((m.read(CARGO), m.read("home/.npmrc")), before, "byte-identical");
    assert_eq!(m.journal(farm.catalog()).len(), journal);

    // Without the variables, the same heal moves both.
    let run = m.run(farm.catalog(), &["heal", "cargo", "npm", "--json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        (run.row("cargo")["action"].as_str(), run.row("npm")["action"].as_str()),
        (Some("healed"), Some("healed"))
    );

    // Variables that set other things than the mirror (Go's `GOFLAGS`, `GOSUMDB`) leave the
    // file in charge of it: Go is healed all the same.
    let run = m.run(farm.catalog(), &["use", "beta", "go", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut cmd = m.cmd(farm.catalog(), &["heal", "go", "--json"]);
    cmd.env("MIRROR_TEST_SHELL_VARS", "1").env("GOFLAGS", "-mod=mod").env("GOSUMDB", "off");
    let run = m.run_cmd(&mut cmd);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let go = run.row("go");
    assert_eq!(go["action"], "healed", "{go:#}");
    assert_ne!(go["after"]["site"], "beta", "{go:#}");
}

#[test]
fn heal_moves_to_a_third_party_mirror_only_when_allowed() {
    let farm = Farm::start(&sites());
    let m = Machine::debian();
    configured(&m, &farm);
    // A catalog where gamma is run by a third party.
    let catalog = m.path("catalog");
    std::fs::create_dir_all(&catalog).unwrap();
    for entry in std::fs::read_dir(farm.catalog()).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.file_name().unwrap() == "gamma.toml" {
            text = text.replacen("\nregion", "\nthird_party = true\nregion", 1);
        }
        std::fs::write(catalog.join(path.file_name().unwrap()), text).unwrap();
    }
    // pip's alpha dies; so do the official servers and beta: gamma is all that is left.
    for id in ["alpha", "upstream", "beta"] {
        farm.set_mode(id, Mode::Status(502));
    }
    let before = m.read(PIP);
    let run = m.run(&catalog, &["heal", "pip", "--json"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let pip = run.row("pip");
    assert_eq!(pip["action"], "failed", "{pip:#}");
    let why = pip["why"].as_str().unwrap();
    assert!(why.contains("third-party mirrors not considered without `--allow-third-party`: gamma"), "{why}");
    assert_eq!(m.read(PIP), before, "nothing changed");

    // Allowed on the command line, or once in the user's config.
    let run = m.run(&catalog, &["heal", "pip", "--json", "--allow-third-party"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.row("pip")["after"]["site"], "gamma", "{}", run.stdout);
    assert!(String::from_utf8(m.read(PIP)).unwrap().contains(&farm.base("gamma")));
    m.put(PIP, &String::from_utf8(before.clone()).unwrap());
    m.put("home/.config/mirror/config.toml", "allow_third_party = true\n");
    let run = m.run(&catalog, &["heal", "pip", "--json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.row("pip")["after"]["site"], "gamma", "{}", run.stdout);
}

#[test]
fn heal_with_a_config_it_cannot_read_heals_the_rest_and_exits_2() {
    let farm = Farm::start(&sites());
    let m = Machine::debian();
    configured(&m, &farm);
    // cargo's beta dies; pip's file is broken by hand.
    farm.set_mode("beta", Mode::Status(502));
    let broken = "[global\nindex-url = https://pypi.org/simple\n";
    m.put(PIP, broken);
    let run = m.run(farm.catalog(), &["heal", "--json"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let pip = run.row("pip");
    assert_eq!(pip["action"], "failed", "{pip:#}");
    assert!(
        pip["why"]
            .as_str()
            .unwrap()
            .ends_with("pip.conf` line 1: `[global` is not a section header: it has no closing `]`"),
        "{pip:#}"
    );
    assert_eq!(m.read(PIP), broken.as_bytes(), "byte-identical");
    assert_eq!(run.row("cargo")["action"], "healed", "the others are healed: {}", run.stdout);
    let error = &run.json()["error"];
    assert_eq!(error["message"], "could not read the configuration of pip", "{error:#}");
    assert!(error["hint"].as_str().unwrap().contains("the other targets were healed"), "{error:#}");
}

// ---------------------------------------------------------------------------------------------
// use best --from FILE

/// `bench --json pip cargo` on one machine, kept in a file on another.
fn ranking(farm: &Farm, targets: &[&str]) -> (Machine, PathBuf) {
    let a = Machine::debian();
    let mut args = vec!["bench", "--json"];
    args.extend_from_slice(targets);
    let run = a.run(farm.catalog(), &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["measured_at"], "2026-08-08T14:13:20Z", "the farm's clock: {doc:#}");
    let b = Machine::debian();
    b.stock();
    let file = b.put("ranking.json", &run.stdout);
    (b, file)
}

fn requests(farm: &Farm) -> usize {
    ["upstream", "alpha", "beta", "gamma"].iter().map(|id| farm.requests(id).len()).sum()
}

#[test]
fn use_best_from_a_ranking_made_elsewhere_probes_nothing() {
    let farm = Farm::start(&sites());
    let (m, file) = ranking(&farm, &["pip", "cargo"]);
    let file = file.to_str().unwrap();
    let asked = requests(&farm);
    let run = m.run(farm.catalog(), &["use", "best", "pip", "cargo", "--from", file, "--no-verify", "--yes", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.row("pip")["reason"], "now alpha");
    assert_eq!(run.row("cargo")["reason"], "now alpha");
    assert_eq!(requests(&farm), asked, "no site was probed");
    // Checked by default, as any `use best`: the site chosen is asked (with the official
    // server, the freshness baseline), no other.
    m.stock();
    let count = |id: &str| farm.requests(id).len();
    let (alpha, beta, gamma) = (count("alpha"), count("beta"), count("gamma"));
    let run = m.run(farm.catalog(), &["use", "best", "pip", "--from", file, "--yes", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.row("pip")["verify"]["status"], "passed");
    assert!(count("alpha") > alpha);
    assert_eq!((count("beta"), count("gamma")), (beta, gamma), "no other site was asked");
    // From stdin.
    m.stock();
    let mut cmd = m.cmd(farm.catalog(), &["use", "best", "pip", "--from", "-", "--no-verify", "--yes", "--json"]);
    cmd.stdin(std::fs::File::open(file).unwrap());
    let run = m.run_cmd(&mut cmd);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.row("pip")["reason"], "now alpha");
}

#[test]
fn a_ranking_made_on_another_kind_of_system_is_refused() {
    let farm = Farm::start(&sites());
    // apt benched on Ubuntu ranks the sites' `ubuntu` trees; this machine runs Debian.
    let ubuntu = Machine::debian();
    ubuntu.put("root/etc/os-release", "ID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=noble\n");
    let run = ubuntu.run(farm.catalog(), &["bench", "apt", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let m = Machine::debian();
    m.stock();
    let file = m.put("ranking.json", &run.stdout);
    let before = m.read(APT);
    let run = m.run(
        farm.catalog(),
        &["use", "best", "apt", "--from", file.to_str().unwrap(), "--no-verify", "--yes", "--json"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let message = run.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("does not fit this machine"), "{message}");
    let alpha = farm.base("alpha");
    assert!(
        message.contains(&format!("apt: `alpha` was ranked at `{alpha}/ubuntu`, and is `{alpha}/debian` here")),
        "{message}"
    );
    assert_eq!(m.read(APT), before, "nothing changed");
}

#[test]
fn a_ranking_that_does_not_fit_is_refused_saying_what_differs() {
    let farm = Farm::start(&sites());
    let (m, file) = ranking(&farm, &["pip"]);
    let path = file.to_str().unwrap().to_owned();
    let text = std::fs::read_to_string(&file).unwrap();
    let refused = |args: &[&str], catalog: &Path, needle: &str| {
        let mut all = vec!["use", "best"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--no-verify", "--yes", "--json"]);
        let run = m.run(catalog, &all);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        let message = run.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains(needle), "{args:?}: {message}");
        assert_eq!(m.read(PIP), fixture("pip/pip.conf").as_bytes(), "{args:?}: nothing changed");
        assert_eq!(m.read(CARGO), fixture("cargo/config.toml").as_bytes(), "{args:?}: nothing changed");
    };
    let catalog = farm.catalog().to_path_buf();
    refused(&["pip", "cargo", "--from", &path], &catalog, "does not rank cargo (it ranks pip)");

    // This machine's catalog lacks a site the ranking has, and gives another its URL elsewhere.
    let mine = m.path("catalog");
    std::fs::create_dir_all(&mine).unwrap();
    for id in ["upstream", "alpha", "gamma"] {
        std::fs::copy(catalog.join(format!("{id}.toml")), mine.join(format!("{id}.toml"))).unwrap();
    }
    let gamma = mine.join("gamma.toml");
    let moved = std::fs::read_to_string(&gamma).unwrap().replace("{base}/pypi/web/simple", "{base}/pypi/simple");
    std::fs::write(&gamma, moved).unwrap();
    refused(&["pip", "--from", &path], &mine, "pip: site `beta` is not in this catalog");
    refused(
        &["pip", "--from", &path],
        &mine,
        &format!("pip: `gamma` was ranked at `{0}/pypi/web/simple`, and is `{0}/pypi/simple` here", farm.base("gamma")),
    );

    // Too old by its own clock; accepted with a longer `--max-age`.
    let mut cmd = m.cmd(&catalog, &["use", "best", "pip", "--from", &path, "--no-verify", "--yes", "--json"]);
    cmd.env("MIRROR_TEST_NOW", (NOW + 2 * DAY + 3600).to_string());
    let run = m.run_cmd(&mut cmd);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.json()["error"]["message"],
        format!("`{path}` was measured at 2026-08-08T14:13:20Z, 2d 1h ago: older than `--max-age` 1d 0h")
    );
    assert!(run.stderr.contains("`--max-age 3d`"), "{}", run.stderr);
    let mut cmd = m.cmd(&catalog, &["use", "best", "pip", "--from", &path, "--max-age", "3d", "--no-verify", "--yes"]);
    cmd.env("MIRROR_TEST_NOW", (NOW + 2 * DAY).to_string());
    assert_eq!(m.run_cmd(&mut cmd).code, 0);
    m.stock();

    for (name, body, needle) in [
        ("no-time.json", text.replace("\"measured_at\"", "\"measured\""), "has no `measured_at`"),
        ("bad-time.json", text.replace("2026-08-08T14:13:20Z", "yesterday"), "not an RFC 3339 time"),
        (
            "future.json",
            text.replace("2026-08-08T14:13:20Z", "2026-08-09T14:13:20Z"),
            "the clocks of the two machines differ",
        ),
        ("text.json", "probably not json\n".to_owned(), "is not the JSON `mirror bench --json` writes"),
        (
            "failed.json",
            r#"{"targets":[],"error":{"message":"no usable mirror for pip","hint":null,"exit":1}}"#.to_owned(),
            "holds a `mirror bench` run that failed (\"no usable mirror for pip\")",
        ),
        (
            "shape.json",
            r#"{"measured_at":"2026-08-08T14:13:20Z","targets":[{"target":"pip"}]}"#.to_owned(),
            "is not the document",
        ),
    ] {
        let file = m.put(name, &body);
        refused(&["pip", "--from", file.to_str().unwrap()], &catalog, needle);
    }
    refused(
        &["pip", "--from", "/nonexistent/ranking.json"],
        &catalog,
        "could not read the ranking `/nonexistent/ranking.json`",
    );
    // The hint never suggests writing over the file given (here, a file that is not a ranking).
    let passwd = m.put("passwd", "root:x:0:0:root:/root:/bin/sh\n");
    let run = m.run(&catalog, &["use", "best", "pip", "--from", passwd.to_str().unwrap(), "--yes", "--json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let hint = run.json()["error"]["hint"].as_str().unwrap().to_owned();
    assert!(hint.contains("`mirror bench --json > ranking.json`") && !hint.contains("passwd"), "{hint}");
    assert_eq!(m.read("passwd"), b"root:x:0:0:root:/root:/bin/sh\n");
    let run = m.run(&catalog, &["use", "alpha", "pip", "--from", &path, "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("only `mirror use best` follows"), "{}", run.stderr);
}

#[test]
fn the_docker_check_says_whether_the_daemon_reports_the_mirror_and_probes_a_manifest() {
    let farm = Farm::start(&sites());
    let m = Machine::debian();
    let daemon_json = "{\n  \"log-driver\": \"json-file\"\n}\n";
    m.put("root/etc/docker/daemon.json", daemon_json);
    let reported = m.path("docker-args");
    m.client(
        "docker",
        &format!(
            "echo \"$*\" > {}\ncase \"$1\" in info) echo '[\"{}/\"]';; *) exit 1;; esac",
            reported.display(),
            farm.base("alpha")
        ),
    );
    let run = m.run(farm.catalog(), &["use", "alpha", "docker", "--verify", "--yes", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let check = run.row("docker")["verify"].clone();
    assert_eq!(check["by"], "docker info + probe", "{check:#}");
    assert_eq!(
        check["notes"][0].as_str().unwrap(),
        format!("the Docker daemon reports the mirror (`docker info`: {}/)", farm.base("alpha"))
    );
    assert!(
        check["output"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("/v2/library/alpine/manifests/latest")),
        "{check:#}"
    );
    assert_eq!(std::fs::read_to_string(&reported).unwrap().trim(), "info --format {{json .RegistryConfig.Mirrors}}");

    // A daemon that is not running: a note; the manifest through a registry with no image
    // fails the check.
    let farm = Farm::start(&[Spec::new("upstream"), Spec::new("empty").mode(Mode::EmptyRegistry)]);
    m.put("root/etc/docker/daemon.json", daemon_json);
    m.client("docker", "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 1");
    let run = m.run(farm.catalog(), &["use", "empty", "docker", "--verify", "--yes", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let check = run.row("docker")["verify"].clone();
    assert!(
        check["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("the Docker daemon did not answer `docker info` (Cannot connect"),
        "{check:#}"
    );
    assert!(check["reason"].as_str().unwrap().contains("manifest"), "{check:#}");
    assert_eq!(m.read("root/etc/docker/daemon.json"), daemon_json.as_bytes());
}

// ---------------------------------------------------------------------------------------------
// contrib/: the systemd units and the cron line

#[test]
fn the_contrib_units_run_heal_daily_after_the_network_with_a_random_delay() {
    use clap::Parser;
    let contrib = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib");
    let read = |name: &str| std::fs::read_to_string(contrib.join(name)).unwrap();
    let (service, timer, cron) = (read("mirror-heal.service"), read("mirror-heal.timer"), read("mirror-heal.cron"));
    let lines = |text: &str| -> Vec<String> { text.lines().map(str::trim).map(str::to_owned).collect() };
    let service_lines = lines(&service);
    for wanted in [
        "Type=oneshot",
        "ExecStart=/usr/local/bin/mirror heal",
        "Wants=network-online.target",
        "After=network-online.target",
    ] {
        assert!(service_lines.iter().any(|l| l == wanted), "mirror-heal.service lacks `{wanted}`");
    }
    let timer_lines = lines(&timer);
    for wanted in ["OnCalendar=daily", "RandomizedDelaySec=1h", "Persistent=true", "WantedBy=timers.target"] {
        assert!(timer_lines.iter().any(|l| l == wanted), "mirror-heal.timer lacks `{wanted}`");
    }
    // The cron line: five time fields, the user, then a random delay and `mirror heal`.
    let entry = cron.lines().find(|l| !l.starts_with('#') && !l.trim().is_empty()).unwrap();
    let fields: Vec<&str> = entry.split_whitespace().collect();
    assert_eq!(&fields[..6], ["17", "3", "*", "*", "*", "root"], "{entry}");
    let command = entry.split("&& ").nth(1).unwrap().split(" >").next().unwrap();
    let words: Vec<&str> = command.split_whitespace().map(|w| w.rsplit('/').next().unwrap()).collect();
    assert_eq!(words[..2], ["mirror", "heal"], "{entry}");
    mirror::cli::Cli::try_parse_from(&words).unwrap_or_else(|e| panic!("`{command}` does not parse: {e}"));
    assert!(entry.contains("sleep \"$(shuf -i 0-3600 -n 1)\""), "{entry}");

    // systemd itself reads the units (with this build as the program they run).
    let Ok(out) = Command::new("systemd-analyze").arg("--version").output() else {
        farm::skip("no `systemd-analyze` to check contrib/mirror-heal.{service,timer} with");
        return;
    };
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_mirror");
    std::fs::write(dir.path().join("mirror-heal.service"), service.replace("/usr/local/bin/mirror", exe)).unwrap();
    std::fs::write(dir.path().join("mirror-heal.timer"), &timer).unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(dir.path().join("mirror-heal.service"))
        .arg(dir.path().join("mirror-heal.timer"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "systemd-analyze verify: {stderr}");
}

#[test]
fn targets_that_share_a_file_go_back_together_when_one_fails_its_check() {
    // rustup and Hugging Face are both set in `mirror`'s env file (spec §9); `half` serves
    // rustup's channel but no Hugging Face.
    let farm = Farm::start(&[Spec::new("upstream"), Spec::new("half").only(&["rustup/"])]);
    let m = Machine::debian();
    let profile = m.put("home/.profile", "# ~/.profile\nexport EDITOR=vi\n");
    let run = m.run(farm.catalog(), &["use", "half", "rustup", "huggingface", "--verify", "--yes", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (rustup, hf) = (run.row("rustup"), run.row("huggingface"));
    assert_eq!(rustup["verify"]["status"], "passed", "{rustup:#}");
    assert_eq!(rustup["status"], "failed", "{rustup:#}");
    assert_eq!(rustup["reason"], "its check passed, but it shares a file with a target whose check failed; put back");
    assert_eq!(hf["verify"]["status"], "failed", "{hf:#}");
    assert_eq!(std::fs::read_to_string(&profile).unwrap(), "# ~/.profile\nexport EDITOR=vi\n");
    assert!(!m.path("home/.config/mirror/env.sh").exists(), "the env file is gone again");
    assert_eq!(m.journal(farm.catalog())[0].0, "rolled-back");
}
