//! `mirror status [TARGET...] [--check]`: what each package manager points at now.

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use super::{App, chosen_targets};
use crate::catalog::{Catalog, UPSTREAM};
use crate::cli::StatusArgs;
use crate::error::{self, ExitStatus, Problem};
use crate::output::table;
use crate::targets::{Host, TargetKind};

#[derive(Debug, Serialize)]
struct Report {
    targets: Vec<TargetStatus>,
}

#[derive(Debug, Serialize)]
pub struct TargetStatus {
    pub target: TargetKind,
    pub present: bool,
    pub files: Vec<PathBuf>,
    /// The URL the package manager really uses: from an overriding variable, its file, or
    /// its built-in default (the official server).
    pub url: Option<String>,
    /// Where `url` comes from: `"file"`, `"default"`, or the variable's name (`PIP_INDEX_URL`).
    pub url_from: Option<String>,
    pub site: Option<String>,
    pub overridden_by: Vec<String>,
    pub check: Option<serde_json::Value>,
    /// Set when the configuration could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ReadError>,
    /// What else is worth knowing: a file shared with another target, the shell environment.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A configuration that could not be read: `{"message","hint"}`.
#[derive(Debug, Serialize)]
pub struct ReadError {
    pub message: String,
    pub hint: Option<String>,
}

pub fn run(app: &App, args: &StatusArgs) -> Result<ExitStatus> {
    let catalog = app.catalog()?;
    let host = app.host()?;
    let mut statuses: Vec<TargetStatus> =
        chosen_targets(&args.targets).into_iter().map(|t| read_status(app, &catalog, &host, t)).collect();
    let mut status = ExitStatus::Success;
    if args.check {
        status = super::best::check(app, &catalog, &host, &mut statuses)?;
    }
    let unreadable: Vec<&str> = statuses.iter().filter(|s| s.error.is_some()).map(|s| s.target.name()).collect();
    let unreadable = (!unreadable.is_empty()).then(|| {
        Problem::bad(format!("could not read the configuration of {}", unreadable.join(", ")))
            .hint("fix the file named above; the other targets are shown as they are")
    });
    if app.args.json {
        app.out.json(&Report { targets: statuses })?;
    } else {
        print(app, &statuses)?;
    }
    match unreadable {
        Some(problem) => Err(problem.into()),
        None => Ok(status),
    }
}

/// Reads one target's configuration and matches its URL to a catalog site.
pub fn read_status(app: &App, catalog: &Catalog, host: &Host, target: TargetKind) -> TargetStatus {
    let imp = target.target();
    let present = imp.present(&app.ctx, host);
    let mut status = TargetStatus {
        target,
        present,
        files: Vec::new(),
        url: None,
        url_from: None,
        site: None,
        overridden_by: Vec::new(),
        check: None,
        error: None,
        notes: Vec::new(),
    };
    let from_file = match imp.current(&app.ctx, host) {
        Ok(current) => {
            status.overridden_by = imp.overridden_by(&app.ctx, target.overriding_vars(), &current);
            status.notes = imp.status_notes(&app.ctx, &current);
            status.files = current.files;
            current.url
        }
        Err(e) => {
            let hints = error::hints(&e);
            let hint = (!hints.is_empty()).then(|| hints.join("\n"));
            status.error = Some(ReadError { message: error::one_line(&e), hint });
            return status;
        }
    };
    let (url, from) = match (env_url(app, target), from_file) {
        (Some((var, url)), _) => (Some(url), Some(var.to_owned())),
        (None, Some(url)) if !ignores_its_file(app, target) => (Some(url), Some("file".to_owned())),
        // No URL in the files: the package manager's own default, the official one.
        _ if present && defaults_to_upstream(target) => {
            let url = catalog.get(UPSTREAM).and_then(|up| imp.endpoint(up, host));
            let from = url.as_ref().map(|_| "default".to_owned());
            (url, from)
        }
        _ => (None, None),
    };
    status.site = url.as_ref().and_then(|url| {
        catalog.sites().find(|site| imp.endpoint(site, host).is_some_and(|e| same_url(&e, url))).map(|s| s.id.clone())
    });
    status.url = url;
    status.url_from = from;
    status
}

/// The index URL an environment variable sets, which the package manager uses instead of
/// its file's: the variable and its value.
fn env_url(app: &App, target: TargetKind) -> Option<(&'static str, String)> {
    let vars: &[&'static str] = match target {
        TargetKind::Pip => &["PIP_INDEX_URL"],
        TargetKind::Uv => &["UV_DEFAULT_INDEX", "UV_INDEX_URL"],
        _ => &[],
    };
    vars.iter().find_map(|v| app.ctx.overrides.get(*v).map(|url| (*v, url.trim_end_matches('/').to_owned())))
}

/// `UV_NO_CONFIG` makes uv read no configuration file at all.
fn ignores_its_file(app: &App, target: TargetKind) -> bool {
    target == TargetKind::Uv && app.ctx.overrides.contains_key("UV_NO_CONFIG")
}

/// Targets whose built-in default (no setting at all) is the official server.
fn defaults_to_upstream(target: TargetKind) -> bool {
    matches!(
        target,
        TargetKind::Pip
            | TargetKind::Uv
            | TargetKind::Conda
            | TargetKind::Cargo
            | TargetKind::Docker
            | TargetKind::Dnf
            | TargetKind::Podman
            | TargetKind::Containerd
            | TargetKind::Npm
            | TargetKind::Pnpm
            | TargetKind::Yarn
            | TargetKind::Bun
            | TargetKind::Go
            | TargetKind::Rustup
            | TargetKind::Homebrew
            | TargetKind::Huggingface
            | TargetKind::Rubygems
            | TargetKind::Maven
            | TargetKind::Pdm
            | TargetKind::Pixi
    )
}

/// URLs are the same site when they differ only in scheme, case of the host or a final `/`.
pub fn same_url(a: &str, b: &str) -> bool {
    fn norm(u: &str) -> String {
        let rest = u.split_once("://").map_or(u, |(_, r)| r);
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        format!("{}/{}", host.to_ascii_lowercase(), path.trim_end_matches('/'))
    }
    norm(a) == norm(b)
}

fn print(app: &App, statuses: &[TargetStatus]) -> Result<()> {
    let rows: Vec<Vec<String>> = statuses
        .iter()
        .map(|s| {
            let site = match (&s.site, &s.url, s.present) {
                (Some(id), _, _) => app.out.bold(id),
                (None, Some(_), _) => "(not in catalog)".to_owned(),
                (None, None, true) => "(not configured)".to_owned(),
                (None, None, false) => app.out.dim("(not present)"),
            };
            let from = match s.url_from.as_deref() {
                Some("file") | None => String::new(),
                Some("default") => format!("  {}", app.out.dim("(default)")),
                Some(var) => format!("  {}", app.out.dim(&format!("(from `{var}`)"))),
            };
            let health = s
                .check
                .as_ref()
                .and_then(|c| c.get("status"))
                .and_then(|v| v.as_str())
                .map(|st| match st {
                    "ok" => app.out.green(st),
                    "stale" | "throttled" => app.out.yellow(st),
                    _ => app.out.red(st),
                })
                .unwrap_or_default();
            let url = match &s.url {
                Some(url) => format!("{url}{from}"),
                None if s.error.is_some() => "(unreadable)".into(),
                None => String::new(),
            };
            vec![s.target.name().to_owned(), site, url, health]
        })
        .collect();
    let header: &[&str] = if statuses.iter().any(|s| s.check.is_some()) {
        &["TARGET", "SITE", "URL", "HEALTH"]
    } else {
        &["TARGET", "SITE", "URL"]
    };
    app.out.data(&table(header, &rows))?;
    for s in statuses {
        if let Some(e) = &s.error {
            app.out.warn(&format!("{}: {}", s.target, e.message));
            if let Some(hint) = &e.hint {
                app.out.talk(&format!("hint: {hint}"));
            }
        }
        for var in &s.overridden_by {
            let shown = if s.url_from.as_deref() == Some(var.as_str()) { "; the URL shown is its value" } else { "" };
            app.out.warn(&format!("{}: `{var}` is set and takes precedence over the config file{shown}", s.target));
        }
        for note in &s.notes {
            app.out.talk(&format!("{}: {note}", s.target));
        }
        if let Some(reason) = s.check.as_ref().and_then(|c| c.get("advice")).and_then(|v| v.as_str()) {
            app.out.talk(&format!("{}: {reason}", s.target));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::same_url;

    #[test]
    fn url_matching_ignores_scheme_case_and_slash() {
        assert!(same_url("https://Mirrors.TUNA.tsinghua.edu.cn/debian/", "http://mirrors.tuna.tsinghua.edu.cn/debian"));
        assert!(!same_url("https://m/debian", "https://m/debian-security"));
        assert!(!same_url("https://m/Debian", "https://m/debian"));
    }
}
