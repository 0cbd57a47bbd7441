//! pacman and archlinuxcn: `pacman -Sy` of one repository from the first `Server` written,
//! against a temporary database path, then `pacman -Sl` reads the database it fetched.

use std::path::Path;

use super::{Check, Cx, Job, Outcome, Verdict};
use crate::targets::pacman::Flavor;

pub fn check(cx: &Cx<'_>, job: &Job<'_>) -> Check {
    let Some((_, text)) = job.first_text() else {
        return Check::probe("the mirrorlist was removed; checked with the probe instead");
    };
    let server = match crate::targets::pacman::first_server(&text) {
        Ok(Some(server)) => server.to_owned(),
        _ => return Check::probe("no `Server =` line in the mirrorlist written; checked with the probe instead"),
    };
    let arch = match Flavor::of(cx.host) {
        Flavor::Arch => "x86_64",
        Flavor::Arm => crate::probe::plan::alarm_arch(&cx.host.arch),
    };
    // `core` alone: its database is small (extra's is megabytes) and proves the layout.
    sync(cx, &server, "core", arch)
}

pub fn check_archlinuxcn(cx: &Cx<'_>, job: &Job<'_>) -> Check {
    let Some((_, text)) = job.first_text() else {
        return Check::probe("pacman.conf was removed; checked with the probe instead");
    };
    let root = match crate::targets::archlinuxcn::first_server(&text) {
        Ok(Some(root)) => root,
        _ => return Check::probe("no `Server =` line in `[archlinuxcn]`; checked with the probe instead"),
    };
    let arch = if cx.host.arch == "arm64" { "aarch64" } else { "x86_64" };
    sync(cx, &crate::targets::archlinuxcn::server(&root), "archlinuxcn", arch)
}

fn sync(cx: &Cx<'_>, server: &str, repo: &str, arch: &str) -> Check {
    let Some(pacman) = cx.ctx.find_program("pacman") else {
        return Check::probe("`pacman` is not installed here; checked with the probe instead");
    };
    if !nix::unistd::geteuid().is_root() {
        return Check::probe("`pacman -Sy` needs root; checked with the probe instead");
    }
    if let Err(why) = cx.runs(cx.cmd(&pacman), "pacman") {
        return Check::probe(why);
    }
    let conf = match write_conf(&cx.dir, server, repo, arch) {
        Ok(conf) => conf,
        Err(e) => {
            return Check::probe(format!("could not prepare the pacman check ({e}); checked with the probe instead"));
        }
    };
    let by = "pacman";
    let base = || cx.cmd(&pacman).arg("--config").arg(&conf).arg("--noconfirm");
    let cmd = base().arg("-Sy");
    let ran = cx.run(&cmd, "pacman-sy");
    let shown = format!("`pacman -Sy` of [{repo}] from `{server}`");
    if !ran.success() || has_error(&ran.output) {
        let why = first_error(&ran.output).unwrap_or_else(|| ran.ending());
        return Verdict::fail(by, &cmd, &ran, format!("{shown} failed: {why}"));
    }
    let list = base().args(["-Sl", repo]);
    let listed = cx.run(&list, "pacman-sl");
    let packages = listed.output.lines().filter(|l| l.starts_with(&format!("{repo} "))).count();
    if !listed.success() || has_error(&listed.output) || packages == 0 {
        let why = first_error(&listed.output).unwrap_or_else(|| "it lists no package".into());
        return Verdict::fail(by, &list, &listed, format!("{shown} fetched a database pacman cannot read: {why}"));
    }
    let mut v =
        Verdict::new(Outcome::Passed, by, &cmd, &ran, format!("{shown} synced a database of {packages} packages"));
    v.command = format!("{}; {}", cmd.display(), list.display());
    Check::Done(v)
}

/// A pacman.conf of private folders with one repository served by `server` (`$repo` and
/// `$arch` left for pacman). Signatures are not checked: the private keyring is empty.
fn write_conf(dir: &Path, server: &str, repo: &str, arch: &str) -> std::io::Result<std::path::PathBuf> {
    for sub in ["root", "db", "cache", "gnupg", "hooks"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    let d = dir.display();
    let conf = dir.join("pacman.conf");
    std::fs::write(
        &conf,
        format!(
            "# `mirror use --verify`: sync one repository into private folders.\n[options]\nRootDir = {d}/root\nDBPath = {d}/db/\nCacheDir = {d}/cache/\nLogFile = {d}/pacman.log\nGPGDir = {d}/gnupg/\nHookDir = {d}/hooks/\nArchitecture = {arch}\nSigLevel = Never\n\n[{repo}]\nServer = {server}\n"
        ),
    )?;
    Ok(conf)
}

fn has_error(output: &str) -> bool {
    output.lines().any(|l| l.starts_with("error:"))
}

fn first_error(output: &str) -> Option<String> {
    output.lines().find(|l| l.starts_with("error:")).map(|l| l.trim_start_matches("error:").trim().to_owned())
}
