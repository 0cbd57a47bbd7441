//! Failures tell the truth: one JSON document under `--json` for every failure, a named
//! target that is not here is an error, `restore` reports what it did, and each permission
//! problem gets the way out that fits it.

use crate::support::{Run, TestEnv, site_file};
use crate::use_restore::{DEBIAN_12_OS_RELEASE, as_nobody, configs, full_machine};

/// The run failed with `code`, and stdout is one JSON document whose `error` says so.
fn assert_json_error(run: &Run, code: i32, message: &str) -> serde_json::Value {
    assert_eq!(run.code, code, "{}", run.stderr);
    let doc = run.json();
    let error = &doc["error"];
    assert_eq!(error["exit"], code, "{doc}");
    let text = error["message"].as_str().unwrap_or_else(|| panic!("no message: {doc}"));
    assert!(text.contains(message), "expected {message:?} in {doc}");
    assert!(error["hint"].is_string() || error["hint"].is_null(), "{doc}");
    assert!(error.as_object().unwrap().keys().eq(["message", "hint", "exit"]), "{doc}");
    assert!(run.stderr.contains("error: "), "stderr still says it: {}", run.stderr);
    doc
}

#[test]
fn every_failure_under_json_prints_one_error_document() {
    let env = full_machine();
    let catalog =
        env.write("cat/debian-only.toml", site_file("debian-only", "debian = \"http://127.0.0.1:9/debian\"\n"));
    let catalog = catalog.to_str().unwrap();
    let cases: &[(&[&str], i32, &str)] = &[
        (&["use", "nosuch", "pip", "--yes", "--json"], 2, "unknown site `nosuch`"),
        (&["use", "tuna", "pip", "--json"], 2, "no terminal to ask on"),
        (&["use", "--json"], 2, "no site given"),
        (&["restore", "--json"], 1, "nothing to restore"),
        (&["restore", "--id", "nosuch", "--json"], 2, "no journal entry `nosuch`"),
        (&["list", "--json", "--catalog", "/nonexistent/catalog"], 2, "could not read catalog"),
        (&["bench", "pip", "--json", "--catalog", catalog], 1, "no usable mirror for pip"),
        // What clap refuses, before any command runs.
        (&["use", "tuna", "nosuchtool", "--json"], 2, "invalid value 'nosuchtool'"),
        (&["--json", "frobnicate"], 2, "unrecognized subcommand 'frobnicate'"),
        (&["bench", "--timeout", "soon", "--json"], 2, "`soon` is not a duration"),
        (&["list", "-q", "-v", "--json"], 2, "cannot be used with"),
    ];
    for (args, code, message) in cases {
        let before = configs(&env);
        let run = env.run(args);
        assert_json_error(&run, *code, message);
        assert_eq!(configs(&env), before, "{args:?}");
    }
    // clap's own lines after the message are the hint.
    let run = env.run(&["use", "tuna", "nosuchtool", "--json"]);
    assert!(run.json()["error"]["hint"].as_str().unwrap().contains("possible values"), "{}", run.stdout);
    // Without `--json` stdout stays empty, and `--help` is no error.
    assert_eq!(env.run(&["use", "tuna", "nosuchtool"]).stdout, "");
    assert_eq!(env.run(&["--json", "--help"]).code, 0);
}

#[test]
fn a_failure_with_a_partial_result_prints_both_in_one_document() {
    let env = full_machine();
    let mut cmd = env.cmd();
    cmd.env("MIRROR_TEST_FAIL_WRITE", "uv/uv.toml");
    let run = env.run_with(&mut cmd, &["use", "tuna", "pip", "uv", "--yes", "--json"]);
    let doc = assert_json_error(&run, 1, "could not write `");
    assert_eq!(doc["site"], "tuna");
    assert_eq!(doc["targets"].as_array().unwrap().len(), 2, "{doc}");

    let run = env.run(&["use", "bfsu", "pip", "conda", "--yes", "--json"]);
    let doc = assert_json_error(&run, 2, "cannot switch conda");
    assert!(doc["targets"].as_array().unwrap().iter().any(|t| t["status"] == "failed"), "{doc}");
}

#[test]
fn a_named_system_target_that_is_not_here_is_an_error_saying_what_is_missing() {
    let env = TestEnv::new();
    env.write("root/etc/os-release", DEBIAN_12_OS_RELEASE);
    env.write("home/.config/pip/pip.conf", "[global]\ntimeout = 60\n");
    let before = env.tree();
    for args in [
        &["use", "huawei", "pacman", "--yes", "--json"][..],
        &["use", "huawei", "pacman", "pip", "--yes", "--json"],
        // `best` says so before probing anything.
        &["use", "best", "pacman", "--yes", "--json"],
    ] {
        let run = env.run(args);
        let doc = assert_json_error(&run, 2, "pacman is not on this system");
        assert!(
            run.stderr
                .contains("no `/etc/pacman.conf`, no `/etc/pacman.d/` and no `pacman` program under `[TMP]/root`"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("hint: install the package manager first"), "{}", run.stderr);
        let pacman = doc["targets"].as_array().unwrap().iter().find(|t| t["target"] == "pacman").unwrap().clone();
        assert_eq!(pacman["status"], "failed", "{doc}");
        assert_eq!(env.tree(), before, "{args:?}: no mirrorlist, nothing else either");
    }
    for (target, missing) in [
        ("docker", "no `/etc/docker/`"),
        ("apt", "no `/etc/apt/`"),
        ("dnf", "no `.repo` file in `/etc/yum.repos.d/`"),
        ("archlinuxcn", "no `[archlinuxcn]` section in `/etc/pacman.conf`"),
        ("podman", "no `/etc/containers/` and no `podman`, `buildah` or `crio` program"),
    ] {
        let run = env.run(&["use", "upstream", target, "--yes"]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains(missing), "{target}: {}", run.stderr);
    }
    // A user-level config waits in the home for its tool: cargo is named, not installed.
    let run = env.run(&["use", "tuna", "cargo", "--yes"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(env.exists("home/.cargo/config.toml"));
}

#[test]
fn restore_with_a_refused_file_reports_the_others_as_left_alone() {
    let env = full_machine();
    assert_eq!(env.run(&["use", "tuna", "pip", "cargo", "uv", "--yes"]).code, 0);
    let edited = format!("{}# edited by hand\n", env.read("home/.config/pip/pip.conf"));
    env.write("home/.config/pip/pip.conf", &edited);
    let before = env.tree();
    let run = env.run(&["restore", "--json"]);
    let doc = assert_json_error(&run, 1, "not restoring");
    for f in doc["files"].as_array().unwrap() {
        let expected = if f["path"].as_str().unwrap().ends_with("pip.conf") { "refused" } else { "unchanged" };
        assert_eq!(f["action"], expected, "{f}");
    }
    assert_eq!(env.tree(), before);
    let run = env.run(&["restore"]);
    assert!(!run.stdout.contains("restored") && !run.stdout.contains("removed"), "{}", run.stdout);
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
}

#[test]
fn an_unwritable_user_file_gets_the_hint_for_user_files() {
    let env = full_machine();
    let Some(mut nobody) = as_nobody(&env) else { return };
    // The home, its files and folders are root's: `nobody` can read pip.conf, not replace it.
    let before = configs(&env);
    let run = env.run_with(&mut nobody, &["use", "tuna", "pip", "--yes"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("permission denied: cannot write `[TMP]/home/.config/pip/pip.conf`"), "{}", run.stderr);
    assert!(run.stderr.contains("is a file of your own, and you cannot write it"), "{}", run.stderr);
    assert!(!run.stderr.contains("system files need root"), "{}", run.stderr);
    assert_eq!(configs(&env), before);
}
