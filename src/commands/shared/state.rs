//! What each target points at now: its files, the URL the package manager really uses
//! (from an overriding variable, its file, or its built-in default) and the catalog site
//! that URL belongs to.

use std::path::PathBuf;

use serde::Serialize;

use super::App;
use crate::catalog::{Catalog, UPSTREAM};
use crate::error;
use crate::targets::common::same_tree;
use crate::targets::{Host, TargetKind};

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
#[derive(Debug, Clone, Serialize)]
pub struct ReadError {
    pub message: String,
    pub hint: Option<String>,
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
    let (url, from) = match (env_url(app, target, &status.overridden_by), from_file) {
        (Some((var, Ok(url))), _) => (Some(url), Some(var.to_owned())),
        // A variable that sets no server at all (`GOPROXY=direct`): nothing to show or check.
        (Some((var, Err(note))), _) => {
            status.notes.push(note);
            (None, Some(var.to_owned()))
        }
        (None, Some(url)) if !ignores_its_file(app, target) => (Some(url), Some("file".to_owned())),
        // No URL in the files: the package manager's own default, the official one.
        _ if present && defaults_to_upstream(target) => {
            let url = catalog.get(UPSTREAM).and_then(|up| imp.endpoint(up, host));
            let from = url.as_ref().map(|_| "default".to_owned());
            (url, from)
        }
        _ => (None, None),
    };
    status.site = url.as_ref().and_then(|url| site_of(catalog, host, target, url));
    status.url = url;
    status.url_from = from;
    status
}

/// The catalog site whose repository URL for `target` is `url` (scheme aside: a mirror
/// answers on http and https alike).
pub fn site_of(catalog: &Catalog, host: &Host, target: TargetKind, url: &str) -> Option<String> {
    let imp = target.target();
    catalog.sites().find(|site| imp.endpoint(site, host).is_some_and(|e| same_tree(&e, url))).map(|s| s.id.clone())
}

/// The repository URL a variable sets, which the package manager uses instead of its file's:
/// the first of the target's `overriding` variables (as the target reports them) whose value
/// is that URL, and the URL, or why there is none (`GOPROXY=direct` or `off`). Variables
/// that name something else (cargo's source name, conda's channels, a file) set none: the
/// URL shown stays the file's.
fn env_url(app: &App, target: TargetKind, overriding: &[String]) -> Option<(&'static str, Result<String, String>)> {
    use crate::targets::go;
    let vars = target.url_vars();
    vars.iter().filter(|v| overriding.iter().any(|o| o == *v)).find_map(|v| {
        let value = app.ctx.overrides.get(*v)?;
        if target != TargetKind::Go {
            return Some((*v, Ok(value.trim().trim_end_matches('/').to_owned())));
        }
        Some((
            *v,
            match go::first_proxy(value).as_deref() {
                Some("direct") => {
                    Err(format!("`{v}` is `{value}`: Go fetches modules from their origins, through no proxy"))
                }
                Some("off") => Err(format!("`{v}` is `{value}`: Go downloads no modules")),
                Some("") | None => Err(format!("`{v}` is `{value}`, which names no proxy first")),
                Some(url) => Ok(url.to_owned()),
            },
        ))
    })
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
