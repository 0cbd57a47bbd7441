//! cargo: resolve one small crate in a temporary project, with a temporary `CARGO_HOME`
//! holding the config written (the user's own registry cache is not touched).

use super::{Check, Cx, Job, Verdict};

/// The small crate the check resolves (a dependency of most of crates.io, no dependencies).
pub const CRATE: &str = "cfg-if";

/// Variables that would make cargo read another source than the file being checked.
const OVERRIDES: &[&str] = &[
    "CARGO_HOME",
    "CARGO_SOURCE_CRATES_IO_REPLACE_WITH",
    "CARGO_REGISTRIES_CRATES_IO_PROTOCOL",
    "CARGO_NET_OFFLINE",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
];

pub fn check(cx: &Cx<'_>, job: &Job<'_>) -> Check {
    let Some((_, config)) = job.first_text() else {
        return Check::probe("the cargo config was removed; checked with the probe instead");
    };
    let Some(cargo) = cx.ctx.find_program("cargo") else {
        return Check::probe("`cargo` is not installed here; checked with the probe instead");
    };
    let home = cx.dir.join("cargo-home");
    let project = cx.dir.join("project");
    let prepared = std::fs::create_dir_all(&home)
        .and_then(|()| std::fs::create_dir_all(project.join("src")))
        .and_then(|()| std::fs::write(home.join("config.toml"), &config))
        .and_then(|()| std::fs::write(project.join("src/lib.rs"), ""))
        .and_then(|()| {
            std::fs::write(
                project.join("Cargo.toml"),
                format!(
                    "[package]\nname = \"mirror-verify\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n{CRATE} = \"1\"\n\n[workspace]\n"
                ),
            )
        });
    if let Err(e) = prepared {
        return Check::probe(format!("could not prepare the cargo check ({e}); checked with the probe instead"));
    }
    let base = cx
        .cmd(&cargo)
        .env_remove(OVERRIDES)
        .env("CARGO_HOME", &home)
        .env("CARGO_NET_RETRY", "0")
        .env("CARGO_HTTP_TIMEOUT", cx.timeout.as_secs().max(1).to_string())
        .env("CARGO_TERM_COLOR", "never")
        .env("CARGO_TERM_PROGRESS_WHEN", "never")
        .env("GIT_TERMINAL_PROMPT", "0")
        .cwd(&project);
    if let Err(why) = cx.runs(base.clone(), "cargo") {
        return Check::probe(why);
    }
    let cmd = base.arg("generate-lockfile");
    let ran = cx.run(&cmd, "cargo-generate-lockfile");
    let locked = std::fs::read_to_string(project.join("Cargo.lock")).unwrap_or_default();
    let by = "cargo";
    if !ran.success() || !locked.contains(&format!("name = \"{CRATE}\"")) {
        // cargo's own explanation is its last `Caused by:` line.
        let why = ran
            .output
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty() && !l.starts_with("Caused by:"))
            .map_or_else(|| ran.ending(), str::to_owned);
        return Verdict::fail(
            by,
            &cmd,
            &ran,
            format!("`cargo generate-lockfile` could not resolve `{CRATE}` from the mirror: {why}"),
        );
    }
    Verdict::pass(by, &cmd, &ran, format!("`cargo generate-lockfile` resolved `{CRATE}` from the mirror's index"))
}
