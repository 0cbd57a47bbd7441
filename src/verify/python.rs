//! pip and uv: fetch one small package through the index the file written names.

use super::{Check, Cx, Job, Verdict, names_site, urls_in};

/// The small package the checks fetch: an 11 KiB pure-Python wheel every PyPI mirror has.
pub const PACKAGE: &str = "six";

/// Variables that would make pip look elsewhere than the file being checked.
const PIP_OVERRIDES: &[&str] = &[
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_NO_INDEX",
    "PIP_CONFIG_FILE",
    "PIP_REQUIRE_VIRTUALENV",
    "PIP_NO_CACHE_DIR",
    "PIP_ONLY_BINARY",
    "PIP_NO_BINARY",
];

/// The same for uv.
const UV_OVERRIDES: &[&str] = &[
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_NO_INDEX",
    "UV_NO_CONFIG",
    "UV_CONFIG_FILE",
    "UV_OFFLINE",
    "UV_NO_CACHE",
    "UV_CACHE_DIR",
];

pub fn pip(cx: &Cx<'_>, job: &Job<'_>) -> Check {
    let Some((conf, _)) = job.first_text() else {
        return Check::probe("pip.conf was removed; checked with the probe instead");
    };
    let base = match ["pip3", "pip"].iter().find_map(|p| cx.ctx.find_program(p)) {
        Some(pip) => cx.cmd(&pip),
        None => match cx.ctx.find_program("python3") {
            Some(py) if cx.runs(cx.cmd(&py).args(["-m", "pip"]), "python3-pip").is_ok() => {
                cx.cmd(&py).args(["-m", "pip"])
            }
            _ => return Check::probe("pip is not installed here; checked with the probe instead"),
        },
    };
    let base = base.env_remove(PIP_OVERRIDES).env("PIP_CONFIG_FILE", conf).env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
    if let Err(why) = cx.runs(base.clone(), "pip") {
        return Check::probe(why);
    }
    let dl = cx.dir.join("dl");
    let secs = cx.timeout.as_secs().max(1).to_string();
    let cmd = base
        .args(["download", "--no-cache-dir", "--no-deps", "--only-binary", ":all:", "--no-input", "--retries", "0"])
        .args(["--timeout", &secs, "--dest"])
        .arg(&dl)
        .arg(PACKAGE);
    let ran = cx.run(&cmd, "pip-download");
    let by = "pip";
    // pip says where it looks first: that must be the mirror.
    let looking = ran.output.lines().find(|l| l.starts_with("Looking in indexes:")).map(str::to_owned);
    let site = job.site_urls();
    if let Some(line) = &looking
        && !urls_in(line).any(|u| names_site(u.trim_end_matches(','), &site))
    {
        return Verdict::fail(by, &cmd, &ran, format!("pip does not use the mirror: {line}"));
    }
    let got = std::fs::read_dir(&dl).map(|d| d.flatten().count()).unwrap_or(0);
    if !ran.success() || got == 0 {
        let why = last_error(&ran.output).unwrap_or_else(|| ran.ending());
        return Verdict::fail(by, &cmd, &ran, format!("`pip download {PACKAGE}` from the mirror failed: {why}"));
    }
    Verdict::pass(by, &cmd, &ran, format!("`pip download {PACKAGE}` fetched it from the mirror"))
}

pub fn uv(cx: &Cx<'_>, job: &Job<'_>) -> Check {
    let Some((conf, _)) = job.first_text() else {
        return Check::probe("uv.toml was removed; checked with the probe instead");
    };
    let Some(uv) = cx.ctx.find_program("uv") else {
        return Check::probe("`uv` is not installed here; checked with the probe instead");
    };
    let base = cx
        .cmd(&uv)
        .env_remove(UV_OVERRIDES)
        .env("UV_CONFIG_FILE", conf)
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("UV_HTTP_RETRIES", "0")
        .env("UV_HTTP_TIMEOUT", cx.timeout.as_secs().max(1).to_string())
        .env("UV_NO_PROGRESS", "1");
    if let Err(why) = cx.runs(base.clone(), "uv") {
        return Check::probe(why);
    }
    let requirements = cx.dir.join("requirements.in");
    if let Err(e) = std::fs::write(&requirements, format!("{PACKAGE}\n")) {
        return Check::probe(format!("could not prepare the uv check ({e}); checked with the probe instead"));
    }
    let cmd = base
        .args(["pip", "compile", "--no-cache", "--no-python-downloads", "--emit-index-url", "--no-header"])
        .arg(&requirements);
    let ran = cx.run(&cmd, "uv-compile");
    let by = "uv";
    if ran.output.contains("No interpreter found") {
        return Check::probe(
            "`uv pip compile` found no Python interpreter to resolve with; checked with the probe instead",
        );
    }
    if !ran.success() {
        let why = last_error(&ran.output).unwrap_or_else(|| ran.ending());
        return Verdict::fail(by, &cmd, &ran, format!("`uv pip compile {PACKAGE}` from the mirror failed: {why}"));
    }
    let site = job.site_urls();
    let index = ran.output.lines().find_map(|l| l.strip_prefix("--index-url ")).map(str::trim);
    match index {
        Some(url) if names_site(url, &site) => {
            Verdict::pass(by, &cmd, &ran, format!("`uv pip compile {PACKAGE}` resolved it from the mirror"))
        }
        other => Verdict::fail(
            by,
            &cmd,
            &ran,
            format!("uv does not use the mirror: it resolved from {}", other.unwrap_or("an index it does not name")),
        ),
    }
}

/// The last line of a client's output that reads as an error.
fn last_error(output: &str) -> Option<String> {
    output
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with("ERROR:") || l.starts_with("error:") || l.starts_with("cause:") || l.starts_with("E:"))
        .map(|l| l.to_owned())
}
