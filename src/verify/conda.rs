//! conda: search one small package in the channels the file written configures, with a
//! temporary package cache (conda, mamba or micromamba, whichever is installed).

use super::{Check, Cx, Job, Verdict};

/// The small package searched for (in `pkgs/main` and conda-forge alike).
pub const PACKAGE: &str = "zlib";

/// Variables that would make conda read other channels than the file being checked.
const OVERRIDES: &[&str] = &[
    "CONDARC",
    "CONDA_CHANNELS",
    "CONDA_DEFAULT_CHANNELS",
    "CONDA_CHANNEL_ALIAS",
    "CONDA_CUSTOM_CHANNELS",
    "CONDA_OFFLINE",
    "CONDA_PKGS_DIRS",
    "MAMBA_ROOT_PREFIX",
];

pub fn check(cx: &Cx<'_>, job: &Job<'_>) -> Check {
    let Some((condarc, _)) = job.first_text() else {
        return Check::probe("the conda config was removed; checked with the probe instead");
    };
    let Some((name, conda)) =
        ["conda", "mamba", "micromamba"].iter().find_map(|n| cx.ctx.find_program(n).map(|p| (*n, p)))
    else {
        return Check::probe("neither `conda` nor `mamba` is installed here; checked with the probe instead");
    };
    let pkgs = cx.dir.join("pkgs");
    if let Err(e) = std::fs::create_dir_all(&pkgs) {
        return Check::probe(format!("could not prepare the conda check ({e}); checked with the probe instead"));
    }
    let base = cx
        .cmd(&conda)
        .env_remove(OVERRIDES)
        .env("CONDARC", condarc)
        .env("CONDA_PKGS_DIRS", &pkgs)
        .env("MAMBA_ROOT_PREFIX", cx.dir.join("root"))
        .env("CONDA_REMOTE_MAX_RETRIES", "0")
        .env("CONDA_REMOTE_READ_TIMEOUT_SECS", cx.timeout.as_secs().max(1).to_string());
    if let Err(why) = cx.runs(base.clone(), name) {
        return Check::probe(why);
    }
    let cmd = base.args(["search", "--json", PACKAGE]);
    let ran = cx.run(&cmd, "conda-search");
    if !ran.success() {
        let why = ran
            .output
            .lines()
            .map(str::trim)
            .find(|l| l.contains("Error") || l.contains("error"))
            .map_or_else(|| ran.ending(), str::to_owned);
        return Verdict::fail(name, &cmd, &ran, format!("`{name} search {PACKAGE}` failed: {why}"));
    }
    Verdict::pass(name, &cmd, &ran, format!("`{name} search {PACKAGE}` read the configured channels"))
}
