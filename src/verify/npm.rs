//! npm: look one small package up (`npm view`) through the registry the `.npmrc` written
//! names, with a temporary cache.

use super::{Check, Cx, Job, Verdict, names_site, urls_in};

/// The small package looked up (the probe's small package too).
pub const PACKAGE: &str = crate::probe::plan::SMALL_NPM_PACKAGE;

/// Variables that would make npm read another registry or config than the file checked.
const OVERRIDES: &[&str] = &[
    "npm_config_registry",
    "NPM_CONFIG_REGISTRY",
    "npm_config_userconfig",
    "NPM_CONFIG_USERCONFIG",
    "npm_config_offline",
    "NPM_CONFIG_OFFLINE",
    "npm_config_prefer_offline",
    "NPM_CONFIG_PREFER_OFFLINE",
    "npm_config_cache",
    "NPM_CONFIG_CACHE",
];

pub fn check(cx: &Cx<'_>, job: &Job<'_>) -> Check {
    let Some((npmrc, _)) = job.first_text() else {
        return Check::probe("the `.npmrc` was removed; checked with the probe instead");
    };
    let Some(npm) = cx.ctx.find_program("npm") else {
        return Check::probe("`npm` is not installed here; checked with the probe instead");
    };
    let ms = (cx.timeout.as_millis().max(1000)).to_string();
    let base = cx
        .cmd(&npm)
        .env_remove(OVERRIDES)
        .arg("--userconfig")
        .arg(npmrc)
        .arg("--cache")
        .arg(cx.dir.join("cache"))
        .args(["--fetch-retries=0", &format!("--fetch-timeout={ms}"), "--no-update-notifier"]);
    if let Err(why) = cx.runs(cx.cmd(&npm), "npm") {
        return Check::probe(why);
    }
    let by = "npm";
    // What npm reads from the file: the registry must be the mirror.
    let config = base.clone().args(["config", "get", "registry"]);
    let got = cx.run(&config, "npm-config");
    let registry = got.output.lines().rev().find(|l| l.contains("://")).unwrap_or_default().trim().to_owned();
    if !got.success() || !urls_in(&registry).any(|u| names_site(u, &job.site_urls())) {
        let what = if registry.is_empty() { got.ending() } else { registry };
        return Verdict::fail(by, &config, &got, format!("npm does not use the mirror: its registry is {what}"));
    }
    let cmd = base.args(["view", PACKAGE, "version", "--prefer-online"]);
    let ran = cx.run(&cmd, "npm-view");
    let version = ran
        .output
        .lines()
        .map(str::trim)
        .find(|l| l.split('.').count() == 3 && l.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
    match version {
        Some(v) if ran.success() => {
            Verdict::pass(by, &cmd, &ran, format!("`npm view {PACKAGE}` found version {v} on the mirror"))
        }
        _ => {
            let why = ran
                .output
                .lines()
                .map(str::trim)
                .find(|l| {
                    l.starts_with("npm error") && l.contains("://") || l.starts_with("npm ERR!") && l.contains("://")
                })
                .map_or_else(|| ran.ending(), str::to_owned);
            Verdict::fail(by, &cmd, &ran, format!("`npm view {PACKAGE}` on the mirror failed: {why}"))
        }
    }
}
