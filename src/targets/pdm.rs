//! PDM: `[pypi] url` in its global `config.toml` (`$XDG_CONFIG_HOME/pdm/config.toml`), from
//! the catalog's `pypi` repository.
//!
//! Edited with `toml_edit`; comments, other keys (`verify_ssl`, `[pypi.<name>]` sources) and
//! tables stay. A `pypi` or `pypi.url` of the wrong type is refused with its line.

use std::path::PathBuf;

use anyhow::Result;
use toml_edit::{Item, Table};

use super::common::{endpoint, exists, set_str};
use super::{Current, FileEdit, Host, LineError, Request, Target, current_from, parse_toml, plan_from};
use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Pdm;

fn path(ctx: &Context) -> PathBuf {
    ctx.config_home.join("pdm/config.toml")
}

impl Target for Pdm {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.has_program("pdm") || exists(&path(ctx))
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Pypi)
    }

    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let Some(url) = self.endpoint(req.site, host) else {
            return Err(Problem::bad(format!("site `{}` has no PyPI mirror", req.site.id)).into());
        };
        plan_from(ctx, path(ctx), |text| render(text, &url))
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        current_from(ctx, path(ctx), index_url)
    }
}

fn check(text: &str) -> Result<toml_edit::Document<&str>, LineError> {
    let doc = parse_toml(text)?;
    if let Some(pypi) = doc.get("pypi") {
        let table = pypi
            .as_table_like()
            .ok_or_else(|| LineError::spanned(text, pypi.span(), "`pypi` must be a table (`[pypi]`)"))?;
        if let Some(url) = table.get("url").filter(|u| !u.is_str()) {
            return Err(LineError::spanned(text, url.span(), "`pypi.url` must be a string"));
        }
    }
    Ok(doc)
}

/// The index PDM uses per this text, without a trailing `/`.
pub fn index_url(text: &str) -> Result<Option<String>, LineError> {
    let doc = check(text)?;
    Ok(doc.get("pypi").and_then(|p| p.get("url")).and_then(Item::as_str).map(|u| u.trim_end_matches('/').to_owned()))
}

/// Sets `[pypi] url`; `None` is a missing file. Idempotent.
pub fn render(input: Option<&str>, url: &str) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    let mut doc = check(text)?.into_mut();
    let pypi = doc.entry("pypi").or_insert_with(|| Item::Table(Table::new()));
    set_str(pypi.as_table_like_mut().expect("checked to be a table"), "url", url);
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://mirrors.tuna.tsinghua.edu.cn/pypi/web/simple";

    /// What `pdm config` leaves after a few settings (PDM 2.x writes dotted keys as tables).
    const CONFIG: &str = "check_update = false\n\n[pypi]\nurl = \"https://pypi.org/simple\"\nverify_ssl = true\n\n[pypi.corp]\nurl = \"https://pypi.corp.example/simple\"\nusername = \"ci\"\n\n[python]\nuse_venv = true\n";

    #[test]
    fn url_is_replaced_and_named_sources_stay() {
        let out = render(Some(CONFIG), URL).unwrap();
        assert_eq!(out, CONFIG.replacen("https://pypi.org/simple", URL, 1));
        assert_eq!(render(Some(&out), URL).unwrap(), out);
        assert_eq!(index_url(&out).unwrap().as_deref(), Some(URL));
        assert_eq!(render(None, URL).unwrap(), format!("[pypi]\nurl = \"{URL}\"\n"));
        assert_eq!(render(Some("pypi.url = \"x\"\n"), URL).unwrap(), format!("pypi.url = \"{URL}\"\n"));
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, line) in [("[pypi]\nurl = 1\n", 2), ("pypi = \"x\"\n", 1), ("[pypi]\nurl = \n", 2)] {
            assert_eq!(render(Some(text), URL).unwrap_err().line, Some(line), "{text:?}");
        }
    }
}
