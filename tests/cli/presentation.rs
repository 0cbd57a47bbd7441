//! What a person sees: coloured diffs (only when colour is on), diff headers, the summary
//! before the question, the site picker, `status` warnings, URLs and where they come from.

use crate::support::TestEnv;
use crate::use_restore::{DEBIAN_12_OS_RELEASE, DEBIAN_SOURCES, full_machine};

const RED_REMOVAL: &str = "\x1b[31m-index-url = https://pypi.org/simple\x1b[0m";

#[test]
fn diffs_are_coloured_only_when_colour_is_on() {
    let env = full_machine();
    let run = env.run(&["use", "tuna", "pip", "--dry-run", "--color", "always"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(RED_REMOVAL), "{}", run.stdout);
    assert!(run.stdout.contains("\x1b[32m+index-url = https://mirrors.tuna"), "{}", run.stdout);

    // Not a terminal (and `NO_COLOR`): plain.
    let run = env.run(&["use", "tuna", "pip", "--dry-run"]);
    assert!(!run.stdout.contains('\x1b'), "{}", run.stdout);
    let run = env.run_with(env.cmd().env_remove("NO_COLOR"), &["use", "tuna", "pip", "--dry-run"]);
    assert!(!run.stdout.contains('\x1b'), "not a terminal: {}", run.stdout);
    // `--json`: never, whatever `--color` says.
    let run = env.run(&["use", "tuna", "pip", "--dry-run", "--color", "always", "--json"]);
    assert!(!run.stdout.contains('\x1b') && !run.stderr.contains('\x1b'), "{}{}", run.stdout, run.stderr);
    run.json();

    // A terminal: coloured, unless `NO_COLOR`.
    let mut cmd = env.std_cmd();
    cmd.env_remove("NO_COLOR");
    let (code, screen) = env.pty(&mut cmd, &["use", "tuna", "pip", "--dry-run"]).finish();
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains(RED_REMOVAL), "{screen}");
    let (_, screen) = env.pty(&mut env.std_cmd(), &["use", "tuna", "pip", "--dry-run"]).finish();
    assert!(screen.contains("-index-url") && !screen.contains(RED_REMOVAL), "{screen}");
}

#[test]
fn diff_headers_are_a_and_b_then_the_path() {
    let env = TestEnv::new();
    env.write("root/etc/os-release", DEBIAN_12_OS_RELEASE);
    env.write("root/etc/apt/sources.list.d/debian.sources", DEBIAN_SOURCES);
    // A relative `--root`, as in `mirror --root fr use …`.
    let run = env.run_with(env.cmd().env_remove("MIRROR_ROOT"), &["--root", "root", "use", "tuna", "apt", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The root is made absolute when the run starts; the headers are `a/` and `b/` and the path.
    let file = env.path().join("root/etc/apt/sources.list.d/debian.sources");
    let shown = file.to_string_lossy().trim_start_matches('/').to_owned();
    assert!(run.stdout.starts_with(&format!("--- a/{shown}\n+++ b/{shown}\n")), "{}", run.stdout);
}

#[test]
fn the_question_comes_after_a_summary_of_what_changes_and_what_is_skipped() {
    let env = full_machine();
    let before = env.tree();
    // docker is here, and tuna has no Docker Hub mirror.
    let mut pty = env.pty(&mut env.std_cmd(), &["use", "tuna"]);
    let screen = pty.wait_for("apply these changes?");
    pty.send("n");
    let (code, _) = pty.finish();
    assert_eq!(code, 1, "{screen}");
    let summary = screen.find("`mirror use tuna` will:").unwrap_or_else(|| panic!("no summary:\n{screen}"));
    let first_diff = screen.find("--- a/").unwrap_or_else(|| panic!("no diff:\n{screen}"));
    assert!(summary < first_diff, "the summary comes first:\n{screen}");
    let lines: Vec<&str> = screen[summary..first_diff].lines().collect();
    let row = |t: &str| lines.iter().find(|l| l.starts_with(t)).unwrap_or_else(|| panic!("no {t} in {lines:?}"));
    assert!(row("pip").contains("will change") && row("pip").contains("pip.conf"), "{lines:?}");
    assert!(row("cargo").contains("will change"), "{lines:?}");
    assert!(row("docker").contains("skipped") && row("docker").contains("does not serve docker"), "{lines:?}");
    // Why, from tuna's `[lacks]`.
    assert!(row("docker").contains("(TUNA has never offered one"), "{lines:?}");
    assert_eq!(env.tree(), before, "declined: nothing changed");
}

#[test]
fn the_picker_names_each_site_once_and_marks_the_current_one() {
    let env = full_machine();
    assert_eq!(env.run(&["use", "ustc", "pip", "cargo", "--yes"]).code, 0);
    let after = env.tree();
    let mut pty = env.pty(&mut env.std_cmd(), &["use"]);
    pty.wait_for("point package managers at");
    let screen = pty.wait_for("zju");
    assert!(screen.contains("aliyun — Alibaba Cloud (Aliyun), CN"), "{screen}");
    assert!(!screen.contains(") (CN)"), "{screen}");
    assert!(screen.contains("ustc — ") && screen.contains("[current: pip cargo]"), "{screen}");
    // The cursor starts on the current site: Enter picks it; pip and cargo are on it already.
    pty.send("\r");
    let screen = pty.wait_for("apply these changes?");
    let summary = &screen[screen.find("`mirror use ustc` will:").unwrap_or_else(|| panic!("{screen}"))..];
    let row = |t: &str| summary.lines().find(|l| l.starts_with(t)).unwrap_or_else(|| panic!("no {t}:\n{summary}"));
    assert!(row("pip").contains("unchanged") && row("cargo").contains("unchanged"), "{summary}");
    pty.send("n");
    let (code, screen) = pty.finish();
    assert_eq!(code, 1, "{screen}");
    assert_eq!(env.tree(), after, "declined: nothing changed");
}

#[test]
fn status_warns_once_per_unreadable_config_with_the_hint_apart() {
    let env = full_machine();
    env.write("home/.config/pip/pip.conf", "index-url = x\n[global]\n");
    let run = env.run(&["status"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: pip: could not parse `[TMP]/home/.config/pip/pip.conf` line 1"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("warning: pip: error:"), "{}", run.stderr);
    assert!(run.stderr.contains("\nhint: fix or remove the line by hand"), "{}", run.stderr);
    let run = env.run(&["status", "--json"]);
    assert_eq!(run.code, 2);
    let doc = run.json();
    let pip = doc["targets"].as_array().unwrap().iter().find(|t| t["target"] == "pip").unwrap().clone();
    let message = pip["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("could not parse `") && !message.contains("hint"), "{pip}");
    assert!(pip["error"]["hint"].as_str().unwrap().starts_with("fix or remove the line"), "{pip}");
    assert_eq!(doc["error"]["exit"], 2, "{doc}");
}

#[test]
fn status_shows_the_url_each_package_manager_really_uses_and_where_it_comes_from() {
    let env = TestEnv::new();
    env.write("root/etc/os-release", DEBIAN_12_OS_RELEASE);
    env.write("home/.config/pip/pip.conf", "[global]\ntimeout = 60\n");
    env.write("home/.condarc", "ssl_verify: true\n");
    env.write("home/.cargo/config.toml", "[build]\njobs = 2\n");
    let run = env.run(&["status", "pip", "conda", "cargo", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    for (t, url) in [
        ("pip", "https://pypi.org/simple"),
        ("conda", "https://repo.anaconda.com"),
        ("cargo", "https://index.crates.io"),
    ] {
        let s = doc["targets"].as_array().unwrap().iter().find(|x| x["target"] == t).unwrap();
        assert!(s["url"].as_str().is_some_and(|u| u.starts_with(url)), "{t}: {s}");
        assert_eq!(s["url_from"], "default", "{t}: {s}");
        assert_eq!(s["site"], "upstream", "{t}: {s}");
    }
    let run = env.run(&["status", "pip"]);
    assert!(run.stdout.contains("https://pypi.org/simple  (default)"), "{}", run.stdout);

    // `PIP_INDEX_URL` wins over the file, even with no pip here at all: on this machine, not
    // in a root, whose package managers do not see this shell's variables. (The test root
    // stands for this machine with `MIRROR_TEST_SHELL_VARS`, so nothing outside it is read.)
    std::fs::remove_file(env.path().join("home/.config/pip/pip.conf")).unwrap();
    let tuna = "https://mirrors.tuna.tsinghua.edu.cn/pypi/web/simple/";
    let run = env.run_with(env.cmd().env("PIP_INDEX_URL", tuna), &["status", "pip", "--json"]);
    let pip = run.json()["targets"][0].clone();
    assert!(pip["url_from"] != "PIP_INDEX_URL" && pip["overridden_by"] == serde_json::json!([]), "{pip}");
    let host = || {
        let mut cmd = env.cmd();
        cmd.env("MIRROR_TEST_SHELL_VARS", "1").env("PIP_INDEX_URL", tuna);
        cmd
    };
    let run = env.run_with(&mut host(), &["status", "pip", "--json"]);
    let pip = run.json()["targets"][0].clone();
    assert_eq!(pip["url"], tuna.trim_end_matches('/'), "{pip}");
    assert_eq!(pip["url_from"], "PIP_INDEX_URL", "{pip}");
    assert_eq!(pip["site"], "tuna", "{pip}");
    let run = env.run_with(&mut host(), &["status", "pip"]);
    assert!(run.stdout.contains("tuna") && !run.stdout.contains("(not present)"), "{}", run.stdout);
    assert!(run.stdout.contains("(from `PIP_INDEX_URL`)"), "{}", run.stdout);
}
