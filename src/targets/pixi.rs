//! pixi: `[mirrors]` in its global `~/.pixi/config.toml` (`$PIXI_HOME/config.toml`), from the
//! catalog's `anaconda` repository.
//!
//! pixi (and rattler) replace the start of a channel URL with the first mirror listed for it.
//! For every community channel the site carries (`[conda] channels`) the key
//! `"https://conda.anaconda.org/<channel>"` gets `["<cloud>/<channel>"]`, and when the site
//! serves `pkgs/*`, `"https://repo.anaconda.com/pkgs/<main|r|msys2>"` gets
//! `["<anaconda>/pkgs/<…>"]`. Edited with `toml_edit`: comments, other tables and other
//! mirror entries (a company mirror of another host) stay; an official channel the new site
//! does not carry keeps its entry and is named in a warning. `use upstream` removes every
//! entry keyed by an official channel URL (and `[mirrors]` when that leaves it empty).
//! A `mirrors` that is not a table, or an entry that is not a list of strings, is refused
//! with its line.

use std::path::PathBuf;

use anyhow::Result;
use toml_edit::{Array, Item, Table, Value};

use super::common::exists;
use super::{Current, FileEdit, Host, LineError, Request, Target, current_from, parse_toml, plan_noted};
use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Pixi;

/// Where community channels live upstream.
const CONDA: &str = "https://conda.anaconda.org";
/// Where `pkgs/*` live upstream.
const PKGS: &str = "https://repo.anaconda.com/pkgs";
const PKGS_CHANNELS: [&str; 3] = ["main", "r", "msys2"];

fn path(ctx: &Context) -> PathBuf {
    ctx.home.join(".pixi/config.toml")
}

/// The mirror entries a site gives: (official channel URL, mirror URL).
pub fn entries(site: &Site) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(cloud) = site.conda_cloud() {
        for ch in &site.conda.channels {
            out.push((format!("{CONDA}/{ch}"), format!("{}/{ch}", cloud.trim_end_matches('/'))));
        }
    }
    if let (true, Some(root)) = (site.conda.pkgs, site.repo(Repo::Anaconda)) {
        for ch in PKGS_CHANNELS {
            out.push((format!("{PKGS}/{ch}"), format!("{}/pkgs/{ch}", root.trim_end_matches('/'))));
        }
    }
    out
}

impl Target for Pixi {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.has_program("pixi") || exists(&path(ctx))
    }

    /// The site's mirror of conda-forge, the channel pixi uses by default.
    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        site.repo(Repo::Anaconda)?;
        if site.is_upstream() {
            return Some(format!("{CONDA}/conda-forge"));
        }
        entries(site).into_iter().find(|(k, _)| k.ends_with("/conda-forge")).map(|(_, v)| v)
    }

    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        if self.endpoint(req.site, host).is_none() {
            return Err(Problem::bad(format!("site `{}` has no conda-forge mirror", req.site.id)).into());
        }
        let want = if req.site.is_upstream() { Vec::new() } else { entries(req.site) };
        plan_noted(ctx, path(ctx), |body, notes| render(body, &want, notes))
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        current_from(ctx, path(ctx), conda_forge)
    }
}

fn official(key: &str) -> bool {
    key.starts_with(&format!("{CONDA}/")) || key.starts_with(&format!("{PKGS}/"))
}

fn check(text: &str) -> Result<toml_edit::Document<&str>, LineError> {
    let doc = parse_toml(text)?;
    if let Some(m) = doc.get("mirrors") {
        let table = m
            .as_table_like()
            .ok_or_else(|| LineError::spanned(text, m.span(), "`mirrors` must be a table (`[mirrors]`)"))?;
        for (key, v) in table.iter() {
            let ok = v.as_array().is_some_and(|a| a.iter().all(|x| x.is_str()));
            if !ok {
                return Err(LineError::spanned(text, v.span(), format!("`mirrors.\"{key}\"` must be a list of URLs")));
            }
        }
    }
    Ok(doc)
}

/// The mirror of conda-forge the text gives, without a trailing `/`.
pub fn conda_forge(text: &str) -> Result<Option<String>, LineError> {
    let doc = check(text)?;
    let Some(m) = doc.get("mirrors").and_then(Item::as_table_like) else {
        return Ok(None);
    };
    let first = m
        .iter()
        .find(|(k, _)| k.trim_end_matches('/') == format!("{CONDA}/conda-forge"))
        .and_then(|(_, v)| v.as_array()?.get(0)?.as_str().map(str::to_owned));
    Ok(first.map(|u| u.trim_end_matches('/').to_owned()))
}

/// Sets the mirror entries `want` (empty: `use upstream`); `None` is a missing file.
pub fn render(input: Option<&str>, want: &[(String, String)], notes: &mut Vec<String>) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    let mut doc = check(text)?.into_mut();
    if want.is_empty() {
        if let Some(m) = doc.get_mut("mirrors").and_then(Item::as_table_like_mut) {
            let keys: Vec<String> = m.iter().map(|(k, _)| k.to_owned()).filter(|k| official(k)).collect();
            for k in keys {
                m.remove(&k);
            }
            if m.is_empty() {
                doc.remove("mirrors");
            }
        }
        return Ok(doc.to_string());
    }
    let mirrors = doc.entry("mirrors").or_insert_with(|| Item::Table(Table::new()));
    let mirrors = mirrors.as_table_like_mut().expect("checked to be a table");
    for (key, url) in want {
        let same = mirrors.get(key).and_then(Item::as_array).is_some_and(|a| {
            a.len() == 1 && a.get(0).and_then(Value::as_str).is_some_and(|u| u.trim_end_matches('/') == url)
        });
        if !same {
            let mut list = Array::new();
            list.push(url.as_str());
            match mirrors.get_mut(key) {
                Some(Item::Value(v)) => {
                    let decor = v.decor().clone();
                    *v = Value::Array(list);
                    *v.decor_mut() = decor;
                }
                _ => {
                    mirrors.insert(key, Item::Value(Value::Array(list)));
                }
            }
        }
    }
    let stale: Vec<String> = mirrors
        .iter()
        .map(|(k, _)| k.to_owned())
        .filter(|k| official(k) && !want.iter().any(|(w, _)| w == k))
        .collect();
    if !stale.is_empty() {
        notes.push(format!(
            "the site does not carry these channels, whose mirrors are left as they are: {}",
            stale.join(", ")
        ));
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::testing::site;

    /// A pixi global config as its docs show one.
    const CONFIG: &str = "# pixi global configuration\ndefault-channels = [\"conda-forge\"]\ntls-no-verify = false\n\n[mirrors]\n# the company's proxy of PyPI packages\n\"https://pypi.org/simple\" = [\"https://pypi.corp.example/simple\"]\n\n[repodata-config]\ndisable-zstd = false\n";

    fn ustc() -> Site {
        site(
            "ustc",
            "[repos]\nanaconda = \"https://mirrors.ustc.edu.cn/anaconda\"\n[conda]\npkgs = false\nchannels = [\"conda-forge\", \"bioconda\"]\n",
        )
    }

    #[test]
    fn channels_of_the_site_are_mirrored_and_upstream_removes_them() {
        let want = entries(&ustc());
        let out = render(Some(CONFIG), &want, &mut Vec::new()).unwrap();
        assert!(out.starts_with("# pixi global configuration\ndefault-channels"), "{out}");
        assert!(out.contains("\"https://pypi.org/simple\" = [\"https://pypi.corp.example/simple\"]\n\"https://conda.anaconda.org/conda-forge\" = [\"https://mirrors.ustc.edu.cn/anaconda/cloud/conda-forge\"]\n\"https://conda.anaconda.org/bioconda\" = [\"https://mirrors.ustc.edu.cn/anaconda/cloud/bioconda\"]\n"), "{out}");
        assert!(out.contains("[repodata-config]\ndisable-zstd = false\n"), "{out}");
        assert_eq!(render(Some(&out), &want, &mut Vec::new()).unwrap(), out, "idempotent");
        assert_eq!(
            conda_forge(&out).unwrap().as_deref(),
            Some("https://mirrors.ustc.edu.cn/anaconda/cloud/conda-forge")
        );
        assert_eq!(Pixi.endpoint(&ustc(), &Host::default()), conda_forge(&out).unwrap());
        let back = render(Some(&out), &[], &mut Vec::new()).unwrap();
        assert_eq!(back, CONFIG);
        assert_eq!(render(None, &[], &mut Vec::new()).unwrap(), "");
    }

    #[test]
    fn a_channel_the_new_site_lacks_is_named() {
        let tuna = site(
            "tuna",
            "[repos]\nanaconda = \"https://mirrors.tuna.tsinghua.edu.cn/anaconda\"\n[conda]\nchannels = [\"conda-forge\", \"pytorch\"]\n",
        );
        let out = render(None, &entries(&tuna), &mut Vec::new()).unwrap();
        assert!(out.contains("\"https://repo.anaconda.com/pkgs/main\" = [\"https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main\"]"), "{out}");
        let mut notes = Vec::new();
        render(Some(&out), &entries(&ustc()), &mut notes).unwrap();
        assert!(notes[0].contains("https://conda.anaconda.org/pytorch"), "{notes:?}");
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, line) in [("mirrors = 1\n", 1), ("[mirrors]\n\"https://a\" = \"https://b\"\n", 2), ("[mirrors\n", 1)]
        {
            assert_eq!(
                render(Some(text), &entries(&ustc()), &mut Vec::new()).unwrap_err().line,
                Some(line),
                "{text:?}"
            );
        }
    }
}
