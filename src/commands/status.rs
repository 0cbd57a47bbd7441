//! `mirror status [TARGET...] [--check]`: what each package manager points at now.

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use super::{App, chosen_targets};
use crate::catalog::{Catalog, UPSTREAM};
use crate::cli::StatusArgs;
use crate::error::ExitStatus;
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
    pub url: Option<String>,
    pub site: Option<String>,
    pub overridden_by: Vec<String>,
    pub check: Option<serde_json::Value>,
    /// Set when the configuration could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What else is worth knowing: a file shared with another target, the shell environment.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
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
    if statuses.iter().any(|s| s.error.is_some()) {
        status = ExitStatus::Usage;
    }
    if app.args.json {
        app.out.json(&Report { targets: statuses })?;
    } else {
        print(app, &statuses)?;
    }
    Ok(status)
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
        site: None,
        overridden_by: Vec::new(),
        check: None,
        error: None,
        notes: Vec::new(),
    };
    match imp.current(&app.ctx, host) {
        Ok(current) => {
            status.overridden_by = imp.overridden_by(&app.ctx, target.overriding_vars(), &current);
            status.notes = imp.status_notes(&app.ctx, &current);
            status.files = current.files;
            status.url = current.url;
            status.site = match &status.url {
                Some(url) => catalog
                    .sites()
                    .find(|site| imp.endpoint(site, host).is_some_and(|e| same_url(&e, url)))
                    .map(|site| site.id.clone()),
                // No URL in the files: the package manager's own default, the official one.
                None if present && defaults_to_upstream(target) => Some(UPSTREAM.to_owned()),
                None => None,
            };
        }
        Err(e) => status.error = Some(crate::error::render(&e).trim_end().to_owned()),
    }
    status
}

/// Targets whose built-in default (no setting at all) is the official server.
fn defaults_to_upstream(target: TargetKind) -> bool {
    matches!(target, TargetKind::Pip | TargetKind::Uv | TargetKind::Conda | TargetKind::Cargo | TargetKind::Docker)
        || matches!(
            target,
            TargetKind::Npm
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
            let url =
                s.url.clone().unwrap_or_else(|| if s.error.is_some() { "(unreadable)".into() } else { String::new() });
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
            app.out.warn(&format!("{}: {e}", s.target));
        }
        for var in &s.overridden_by {
            app.out.warn(&format!("{}: `{var}` is set and takes precedence over the config file", s.target));
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
