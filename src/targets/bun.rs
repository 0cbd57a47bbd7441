//! Bun: `[install] registry` in the global `bunfig.toml` (`~/.bunfig.toml`, or
//! `$XDG_CONFIG_HOME/.bunfig.toml` when only that one exists).
//!
//! Edited with `toml_edit`: comments, key order and other tables stay. `registry` may be a
//! string or an inline table (`{ url = "…", token = "…" }`), whose `url` is set and whose
//! other keys stay. A `registry` of another type, or an `install` that is not a table, is
//! refused with its line.

use std::path::PathBuf;

use anyhow::Result;
use toml_edit::{Item, Table, Value};

use super::common::{endpoint, exists, set_str};
use super::{Current, FileEdit, Host, LineError, Request, Target, current_from, parse_toml, plan_from};
use crate::catalog::{Repo, Site};
use crate::context::Context;

pub struct Bun;

fn path(ctx: &Context) -> PathBuf {
    let home = ctx.home.join(".bunfig.toml");
    let xdg = ctx.config_home.join(".bunfig.toml");
    if !exists(&home) && exists(&xdg) { xdg } else { home }
}

impl Target for Bun {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.has_program("bun") || exists(&path(ctx))
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Npm)
    }

    fn plan(&self, ctx: &Context, _host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let url = super::npm::registry_url(req.site).ok_or_else(|| super::npm::not_served(req.site))?;
        plan_from(ctx, path(ctx), |text| render(text, &url))
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        current_from(ctx, path(ctx), registry)
    }
}

fn check(text: &str) -> Result<toml_edit::Document<&str>, LineError> {
    let doc = parse_toml(text)?;
    if let Some(install) = doc.get("install") {
        let table = install
            .as_table_like()
            .ok_or_else(|| LineError::spanned(text, install.span(), "`install` must be a table (`[install]`)"))?;
        if let Some(r) = table.get("registry") {
            let ok = r.is_str() || r.as_inline_table().is_some_and(|t| t.get("url").is_none_or(Value::is_str));
            if !ok {
                return Err(LineError::spanned(
                    text,
                    r.span(),
                    "`install.registry` must be a URL string or `{ url = \"…\" }`",
                ));
            }
        }
    }
    Ok(doc)
}

/// The default registry of a bunfig, without a trailing `/`.
pub fn registry(text: &str) -> Result<Option<String>, LineError> {
    let doc = check(text)?;
    let Some(r) = doc.get("install").and_then(|i| i.get("registry")) else {
        return Ok(None);
    };
    let url = r.as_str().or_else(|| r.as_inline_table().and_then(|t| t.get("url")).and_then(Value::as_str));
    Ok(url.map(|u| u.trim_end_matches('/').to_owned()))
}

/// Sets `[install] registry` in bunfig text; `None` is a missing file. Idempotent.
pub fn render(input: Option<&str>, url: &str) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    let mut doc = check(text)?.into_mut();
    let install = doc.entry("install").or_insert_with(|| Item::Table(Table::new()));
    let install = install.as_table_like_mut().expect("checked to be a table");
    match install.get_mut("registry") {
        Some(Item::Value(Value::InlineTable(t))) => set_str(t, "url", url),
        _ => set_str(install, "registry", url),
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://registry.npmmirror.com/";

    /// A `~/.bunfig.toml` with the settings Bun's docs show.
    const BUNFIG: &str = "# Bun global settings\ntelemetry = false\n\n[install]\n# install dev dependencies too\ndev = true\nexact = true\n\n[install.scopes]\nmycorp = { token = \"$CORP_NPM_TOKEN\", url = \"https://npm.corp.example/\" }\n\n[run]\nbun = true\n";

    #[test]
    fn registry_is_added_to_install_and_replaced_later() {
        let out = render(Some(BUNFIG), URL).unwrap();
        assert!(out.starts_with(&BUNFIG[..BUNFIG.find("\n[install.scopes]").unwrap()]), "{out}");
        assert!(out.contains(&format!("exact = true\nregistry = \"{URL}\"\n")), "{out}");
        assert!(out.contains("mycorp = { token"), "{out}");
        assert_eq!(render(Some(&out), URL).unwrap(), out);
        assert_eq!(registry(&out).unwrap().as_deref(), Some("https://registry.npmmirror.com"));
        let table = "[install]\nregistry = { url = \"https://old/\", token = \"t\" }\n";
        assert_eq!(
            render(Some(table), URL).unwrap(),
            format!("[install]\nregistry = {{ url = \"{URL}\", token = \"t\" }}\n")
        );
        assert_eq!(render(None, URL).unwrap(), format!("[install]\nregistry = \"{URL}\"\n"));
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, line) in [("[install]\nregistry = 5\n", 2), ("install = 1\n", 1), ("[install\n", 1)] {
            assert_eq!(render(Some(text), URL).unwrap_err().line, Some(line), "{text:?}");
        }
    }
}
