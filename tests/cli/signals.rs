//! Real signals and kills sent to a running `mirror`: SIGINT, SIGTERM and SIGHUP roll back
//! and exit 128 + the signal; after SIGKILL at any point a plain `mirror restore` undoes the
//! run; the next run removes what a killed one left behind, and only that.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use nix::sys::signal::Signal;

use crate::support::{Ended, TestEnv, Tree};
use crate::use_restore::{configs, full_machine};

const USER_TARGETS: &[&str] = &["use", "tuna", "pip", "uv", "cargo", "--yes", "--json"];
const EVERY_TARGET: &[&str] = &["use", "tuna", "apt", "pacman", "pip", "uv", "conda", "cargo", "--yes"];

fn journal_states(env: &TestEnv) -> Vec<String> {
    let run = env.run(&["restore", "--list", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()["entries"].as_array().unwrap().iter().map(|e| e["state"].as_str().unwrap().to_owned()).collect()
}

fn entry_dirs(env: &TestEnv) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for journal in ["home/.local/state/mirror/journal", "root/var/lib/mirror/journal"] {
        if let Ok(read) = std::fs::read_dir(env.path().join(journal)) {
            dirs.extend(read.map(|e| e.unwrap().path()));
        }
    }
    dirs
}

#[test]
fn sigterm_sighup_and_sigint_part_way_roll_back_and_exit_128_plus_the_signal() {
    for (signal, code, name) in
        [(Signal::SIGTERM, 143, "SIGTERM"), (Signal::SIGHUP, 129, "SIGHUP"), (Signal::SIGINT, 130, "SIGINT")]
    {
        let env = full_machine();
        let before = configs(&env);
        // Two of the three files are written when the signal comes.
        let running = env.paused(2, USER_TARGETS);
        assert_ne!(configs(&env), before, "{name}: the pause comes after real writes");
        running.signal(signal);
        let Ended { run, signal: killed } = running.finish();
        assert_eq!((run.code, killed), (code, None), "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("error: interrupted by {name}; every file already written was put back")),
            "{name}: {}",
            run.stderr
        );
        assert_eq!(configs(&env), before, "{name}: every file is as it was");
        let doc = run.json();
        assert_eq!(doc["error"]["exit"], code, "{name}: {doc}");
        for t in doc["targets"].as_array().unwrap() {
            assert_eq!(t["status"], "failed", "{name}: {t}");
            assert_eq!(t["reason"], format!("interrupted by {name}; put back"), "{name}: {t}");
        }
        assert_eq!(journal_states(&env), ["rolled-back"], "{name}");
    }
}

#[test]
fn a_signal_during_restore_leaves_the_files_as_the_use_left_them() {
    let env = full_machine();
    let before = configs(&env);
    assert_eq!(env.run(&USER_TARGETS[..6]).code, 0);
    let after_use = configs(&env);
    let running = env.paused(1, &["restore", "--yes"]);
    assert_ne!(configs(&env), after_use, "one file is restored when the signal comes");
    running.signal(Signal::SIGTERM);
    let Ended { run, .. } = running.finish();
    assert_eq!(run.code, 143, "{}", run.stderr);
    assert_eq!(configs(&env), after_use, "the restore was rolled back");
    let run = env.run(&["restore"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(configs(&env), before);
}

#[test]
fn a_signal_whose_roll_back_fails_keeps_its_exit_code_and_says_what_to_do() {
    let env = full_machine();
    let running = env.paused(2, USER_TARGETS);
    // uv.toml cannot be put back: a folder with something in it now stands where it was.
    let uv = env.path().join("home/.config/uv/uv.toml");
    std::fs::remove_file(&uv).unwrap();
    std::fs::create_dir_all(uv.join("in-the-way")).unwrap();
    running.signal(Signal::SIGINT);
    let Ended { run, .. } = running.finish();
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(
        run.stderr.contains("error: interrupted by SIGINT, and putting back the files already written failed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: fix that, then run `mirror restore`"), "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["error"]["exit"], 130);
    assert!(env.read("home/.config/pip/pip.conf").contains("pypi.org"), "the other file was put back");
    assert_eq!(journal_states(&env), ["pending"], "the entry stays for `mirror restore`");
    // Each target says what became of its files: uv's was not put back.
    let reason = |target: &str| {
        let t = doc["targets"].as_array().unwrap().iter().find(|t| t["target"] == target).unwrap();
        assert_eq!(t["status"], "failed", "{t}");
        t["reason"].as_str().unwrap().to_owned()
    };
    assert_eq!(reason("pip"), "interrupted by SIGINT; put back");
    assert_eq!(reason("cargo"), "interrupted by SIGINT; put back", "never written");
    let uv = reason("uv");
    assert!(
        uv.starts_with(&format!("interrupted by SIGINT; putting back `{}` failed", uv_path(&env)))
            && uv.contains("mirror restore"),
        "{uv}"
    );
    assert!(doc["journal"].is_string(), "the entry that still holds uv.toml: {doc}");
}

fn uv_path(env: &TestEnv) -> String {
    env.path().join("root/root/.config/uv/uv.toml").display().to_string()
}

/// Starts `mirror ARGS` paused at the test hook point `at` (`MIRROR_TEST_PAUSE_AT`).
fn paused_at(env: &TestEnv, at: &str, args: &[&str]) -> crate::support::Running {
    let mut cmd = env.std_cmd();
    cmd.env("MIRROR_TEST_PAUSE_AT", at);
    let running = env.spawn(&mut cmd, args);
    running.wait_for_stderr(&format!("test hook: paused at {at}"));
    running
}

#[test]
fn a_signal_while_the_journal_entry_is_marked_still_rolls_back() {
    let env = full_machine();
    let before = configs(&env);
    // Every file is written and the writer has looked for signals for the last time.
    let running = paused_at(&env, "marking", USER_TARGETS);
    let written = configs(&env);
    assert_eq!(written.len(), before.len());
    assert!(written.iter().filter(|(p, b)| before.get(*p) != Some(b)).count() == 3, "pip, uv and cargo are written");
    running.signal(Signal::SIGTERM);
    let Ended { run, signal } = running.finish();
    assert_eq!((run.code, signal), (143, None), "{}", run.stderr);
    assert!(
        run.stderr.contains("error: interrupted by SIGTERM; every file already written was put back"),
        "{}",
        run.stderr
    );
    assert_eq!(configs(&env), before);
    let doc = run.json();
    assert_eq!(doc["error"]["exit"], 143, "{doc}");
    assert!(doc["journal"].is_null(), "{doc}");
    for t in doc["targets"].as_array().unwrap() {
        assert_eq!(
            (t["status"].as_str(), t["reason"].as_str()),
            (Some("failed"), Some("interrupted by SIGTERM; put back")),
            "{t}"
        );
    }
    assert_eq!(journal_states(&env), ["rolled-back"]);
}

#[test]
fn a_signal_after_the_last_look_is_too_late_and_the_use_finishes() {
    let env = full_machine();
    let before = configs(&env);
    let running = paused_at(&env, "done", USER_TARGETS);
    running.signal(Signal::SIGINT);
    let Ended { run, signal } = running.finish();
    assert_eq!((run.code, signal), (0, None), "{}", run.stderr);
    assert!(
        run.stderr.contains("SIGINT came after every file was written and journaled; nothing was undone"),
        "{}",
        run.stderr
    );
    let doc = run.json();
    assert!(doc["journal"].is_string(), "{doc}");
    assert!(doc["targets"].as_array().unwrap().iter().all(|t| t["status"] == "changed"), "{doc}");
    assert_eq!(journal_states(&env), ["complete"]);
    let run = env.run(&["restore"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(configs(&env), before);
}

#[test]
fn a_signal_while_restore_marks_the_journal_leaves_the_files_as_the_use_left_them() {
    let env = full_machine();
    let before = configs(&env);
    assert_eq!(env.run(&USER_TARGETS[..6]).code, 0);
    let after_use = configs(&env);
    let running = paused_at(&env, "marking", &["restore", "--yes", "--json"]);
    assert_eq!(configs(&env), before, "every file is restored");
    running.signal(Signal::SIGHUP);
    let Ended { run, signal } = running.finish();
    assert_eq!((run.code, signal), (129, None), "{}", run.stderr);
    assert_eq!(run.json()["error"]["exit"], 129);
    assert_eq!(configs(&env), after_use, "the restore was rolled back");
    assert_eq!(journal_states(&env), ["complete"]);
    let run = env.run(&["restore"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(configs(&env), before);
}

#[test]
fn a_journal_entry_that_cannot_be_marked_does_not_hide_why_the_run_stopped() {
    let env = full_machine();
    let before = configs(&env);
    let running = env.paused(1, USER_TARGETS);
    let entry = entry_dirs(&env).pop().unwrap();
    std::fs::remove_file(entry.join("manifest.json")).unwrap();
    std::fs::create_dir_all(entry.join("manifest.json/in-the-way")).unwrap();
    running.signal(Signal::SIGTERM);
    let Ended { run, .. } = running.finish();
    assert_eq!(run.code, 143, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("test hook: paused after 1 writes")
            && run.stderr.contains("error: interrupted by SIGTERM; every file already written was put back"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("could not be marked rolled back"), "{}", run.stderr);
    assert_eq!(configs(&env), before);
}

#[test]
fn plain_restore_undoes_a_use_killed_at_every_point() {
    let files = 6; // apt, pacman, pip, uv, conda, cargo: one file each
    for after in 0..=files {
        let env = full_machine();
        let before = configs(&env);
        let running = env.paused(after, EVERY_TARGET);
        running.signal(Signal::SIGKILL);
        let ended = running.finish();
        assert_eq!(ended.signal, Some(9), "killed after {after} writes");
        assert_eq!(journal_states(&env), ["pending"], "killed after {after} writes");
        // Plain `restore` and `restore --force` both find the entry and undo it.
        let args: &[&str] = if after % 2 == 0 { &["restore", "--json"] } else { &["restore", "--force", "--json"] };
        let run = env.run(args);
        if after == 0 {
            // Killed before its first write: nothing of it to undo, and nothing before it.
            assert_eq!(run.code, 1, "{}", run.stderr);
            assert!(run.stderr.contains("was stopped before it wrote anything"), "{}", run.stderr);
            assert!(run.stderr.contains("nothing to restore"), "{}", run.stderr);
            assert_eq!(configs(&env), before);
            assert_eq!(journal_states(&env), ["rolled-back"]);
            continue;
        }
        assert_eq!(run.code, 0, "killed after {after} writes: {}", run.stderr);
        let actions: Vec<String> =
            run.json()["files"].as_array().unwrap().iter().map(|f| f["action"].as_str().unwrap().into()).collect();
        assert_eq!(actions.iter().filter(|a| *a == "restored").count(), after, "{actions:?}");
        assert_eq!(configs(&env), before, "killed after {after} writes");
        assert_eq!(journal_states(&env), ["restored"]);
    }
}

/// A tiny generator for kill times (no `rand` dependency for one loop).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below.max(1)
    }
}

/// Files whose names say they are temporary files of `mirror`, and journal entry folders
/// without a manifest.
fn leftovers(tree: &Tree) -> Vec<PathBuf> {
    tree.keys()
        .filter(|p| {
            if p.to_string_lossy().ends_with('/') {
                p.parent().is_some_and(|d| d.ends_with("mirror/journal"))
                    && !tree.contains_key(&p.join("manifest.json"))
            } else {
                p.file_name().is_some_and(|n| n.to_string_lossy().contains(".mirror-"))
            }
        })
        .cloned()
        .collect()
}

#[test]
fn random_kills_leave_old_or_new_files_and_restore_undoes_them() {
    // What a finished run writes, to tell old from new.
    let reference = full_machine();
    let before = configs(&reference);
    assert_eq!(reference.run(EVERY_TARGET).code, 0);
    let after = configs(&reference);
    let took = (0..3)
        .map(|_| {
            let env = full_machine();
            let started = std::time::Instant::now();
            assert_eq!(env.run(EVERY_TARGET).code, 0);
            u64::try_from(started.elapsed().as_micros()).unwrap_or(50_000)
        })
        .min()
        .unwrap_or(50_000);
    let seed = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().subsec_nanos();
    let mut lcg = Lcg(u64::from(seed));
    let (mut pending, mut finished, mut before_journal, mut temps) = (0, 0, 0, 0);
    for round in 0..40 {
        let env = full_machine();
        // Most of a run is starting up; the kills land from a third of the way in to its end.
        let wait = Duration::from_micros(took / 3 + lcg.next(took));
        let running = env.spawn(&mut env.std_cmd(), EVERY_TARGET);
        std::thread::sleep(wait);
        let _ = nix::sys::signal::kill(running.pid(), Signal::SIGKILL);
        let _ = running.finish();
        let now = configs(&env);
        for path in before.keys().chain(after.keys()) {
            assert!(
                now.get(path) == before.get(path) || now.get(path) == after.get(path),
                "round {round} (seed {seed}): `{}` is neither old nor new",
                path.display()
            );
        }
        for path in now.keys().filter(|p| !before.contains_key(*p) && !after.contains_key(*p)) {
            assert!(path.to_string_lossy().contains(".mirror-"), "round {round}: stray `{}`", path.display());
            temps += 1;
        }
        match journal_states(&env).first().map(String::as_str) {
            Some("pending") => pending += 1,
            Some("complete") => finished += 1,
            _ => before_journal += 1,
        }
        let run = env.run(&["restore"]);
        assert!(
            run.code == 0 || (run.code == 1 && run.stderr.contains("nothing to restore")),
            "round {round} (seed {seed}): {}",
            run.stderr
        );
        assert_eq!(configs(&env), before, "round {round} (seed {seed})");
        // That run of `mirror` removed whatever the killed one left behind.
        let left = leftovers(&env.tree());
        assert!(left.is_empty(), "round {round} (seed {seed}): {left:?}");
    }
    eprintln!(
        "killed before the journal: {before_journal}, part-way: {pending}, after it finished: {finished}; temporary files left: {temps}"
    );
}

#[test]
fn the_sweep_follows_links_inside_the_root_not_on_the_host() {
    let env = full_machine();
    let run = env.run(&["use", "tuna", "apt", "--yes", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let id = run.json()["journal"].as_str().unwrap().to_owned();
    // Since then the file became a link, absolute as in a chroot: inside the root it names
    // `<root><tmp>/srv/apt/debian.sources`; on the host, `<tmp>/srv/apt/debian.sources`.
    let apt = env.path().join("root/etc/apt/sources.list.d/debian.sources");
    let target = env.path().join("srv/apt/debian.sources");
    let inside = env.root().join(target.strip_prefix("/").unwrap());
    std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
    std::fs::rename(&apt, &inside).unwrap();
    std::os::unix::fs::symlink(&target, &apt).unwrap();
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(&target, "the host's own file\n").unwrap();
    let on_host = beside(&target, &format!(".debian.sources.mirror-{id}-Ab12Cd.tmp"));
    let in_root = beside(&inside, &format!(".debian.sources.mirror-{id}-Zz9yX8.tmp"));
    std::fs::write(&on_host, "not the machine's\n").unwrap();
    std::fs::write(&in_root, "x").unwrap();
    let run = env.run(&["list", "-v"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(on_host.exists(), "a file on the host, outside the root, was removed");
    assert!(!in_root.exists(), "the leftover beside the file the link names inside the root stays");
}

/// `name` beside `path`.
fn beside(path: &Path, name: &str) -> PathBuf {
    path.parent().unwrap().join(name)
}

#[test]
fn the_next_run_removes_what_a_killed_run_left_and_nothing_else() {
    let env = full_machine();
    let run = env.run(&["use", "tuna", "pip", "apt", "--yes", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let id = run.json()["journal"].as_str().unwrap().to_owned();
    let pip = env.path().join("home/.config/pip/pip.conf");
    let apt = env.path().join("root/etc/apt/sources.list.d/debian.sources");
    let user_journal = env.path().join("home/.local/state/mirror/journal");
    let system_journal = env.path().join("root/var/lib/mirror/journal");
    let ours = [
        beside(&pip, &format!(".pip.conf.mirror-{id}-Ab12Cd.tmp")),
        beside(&apt, &format!(".debian.sources.mirror-{id}-Zz9yX8.tmp")),
        user_journal.join(&id).join(format!(".manifest.json.mirror-{id}-q1w2e3.tmp")),
    ];
    // An entry folder a run killed while journaling left: id-shaped, journal files only.
    let unfinished = system_journal.join("20261130T235959-000000001");
    let not_ours = [
        beside(&pip, ".pip.conf.mirror-Ab12Cd.tmp"), // the name pattern alone
        beside(&pip, ".pip.conf.mirror-20200101T000000-000000000-Ab12Cd.tmp"), // an id the journal does not have
        beside(&pip, &format!(".other.conf.mirror-{id}-Ab12Cd.tmp")), // a file the entry did not record
        system_journal.join("20261130T235959-000000002/notes.txt"), // not a journal file
        system_journal.join("not-an-id/0.before"),
    ];
    for path in ours.iter().chain(&not_ours) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "x").unwrap();
    }
    for name in ["0.before", "0.after", ".1.before.mirror-20261130T235959-000000001-aaaaaa.tmp"] {
        std::fs::create_dir_all(&unfinished).unwrap();
        std::fs::write(unfinished.join(name), "x").unwrap();
    }
    let run = env.run(&["list", "-v"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for path in &ours {
        assert!(!path.exists(), "{} stays", path.display());
    }
    assert!(!unfinished.exists(), "the unfinished entry folder stays");
    assert!(run.stderr.contains("left by a `mirror` that was killed"), "{}", run.stderr);
    for path in &not_ours {
        assert!(path.exists(), "{} was removed", path.display());
    }
    // The finished entry is untouched and still restores.
    let run = env.run(&["restore"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(env.read("home/.config/pip/pip.conf").contains("pypi.org"));
}

#[test]
fn restore_removes_the_folders_use_created_and_only_those() {
    let env = TestEnv::new();
    let before = env.tree();
    assert_eq!(env.run(&["use", "tuna", "pip", "uv", "cargo", "--yes"]).code, 0);
    assert!(env.exists("home/.config/pip") && env.exists("home/.cargo") && env.exists("home/.config/uv"));
    // A file of the user's own in one of them keeps that folder.
    env.write("home/.config/uv/notes.txt", "mine\n");
    let run = env.run(&["restore"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!env.exists("home/.config/pip"), "made by `use`, empty again");
    assert!(!env.exists("home/.cargo"));
    assert!(env.exists("home/.config/uv/notes.txt"), "a folder holding a file of the user's stays");
    assert!(env.exists("home/.config"), "it was there before");
    let after = env.tree();
    for path in before.keys() {
        assert!(after.contains_key(path), "{} is gone", path.display());
    }
}
