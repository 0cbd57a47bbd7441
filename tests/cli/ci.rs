//! `.ci/run` in a sandbox with a stand-in `cargo` and installer: the real-client install
//! step always runs and stops CI when it fails, and the tests then run with the switches that
//! turn a skip into a failure.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::skip;

/// Runs a copy of `.ci/run` whose installer is `installer` (not executable, as a file that
/// lost its execute bit is) and whose `cargo` logs each call with the switches it sees:
/// the exit code, the log and what the script printed.
fn ci_with_installer(installer: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let ci = dir.path().join(".ci");
    std::fs::create_dir_all(&ci).unwrap();
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/run"), ci.join("run")).unwrap();
    std::fs::write(ci.join("realclients-install.sh"), installer).unwrap();
    std::fs::set_permissions(ci.join("realclients-install.sh"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.path().join("cargo.log");
    std::fs::write(
        bin.join("cargo"),
        format!(
            "#!/bin/sh\necho \"cargo $* realclients=${{MIRROR_REALCLIENTS:-}} root=${{MIRROR_REQUIRE_ROOT_TESTS:-}}\" >> '{}'\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(bin.join("cargo"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = std::process::Command::new("bash")
        .arg(ci.join("run"))
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    let shown = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), calls, shown)
}

#[test]
fn ci_installs_the_real_clients_even_without_the_execute_bit_and_requires_every_test() {
    let (code, calls, stderr) = ci_with_installer("export MIRROR_RC_VENV=/opt/venv\n");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("install the real clients"), "{stderr}");
    let test =
        calls.lines().find(|l| l.starts_with("cargo test")).unwrap_or_else(|| panic!("no `cargo test`: {calls}"));
    assert!(test.contains("realclients=require"), "{test}");
    assert!(test.contains("root=1"), "{test}");
}

#[test]
fn ci_stops_when_installing_the_real_clients_fails() {
    let (code, calls, stderr) = ci_with_installer("echo 'apt-get: no network' >&2\nreturn 1\n");
    assert_ne!(code, 0, "{stderr}");
    assert!(stderr.contains("error: installing the real clients failed"), "{stderr}");
    assert!(!calls.contains("cargo test"), "the tests must not run without the clients: {calls}");
}

#[test]
fn a_skipped_root_test_fails_when_root_tests_are_required() {
    skip(false, "not required: only says so");
    let required = std::panic::catch_unwind(|| skip(true, "needs root"));
    assert!(required.is_err(), "a skip must fail when `MIRROR_REQUIRE_ROOT_TESTS` is set");
}
