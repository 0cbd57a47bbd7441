//! containerd and nerdctl: Docker Hub's `hosts.toml` in `/etc/containerd/certs.d/docker.io/`.
//!
//! containerd's hosts-dir mechanism (docs/hosts.md): the `[host."<url>"]` tables of
//! `certs.d/docker.io/hosts.toml` are tried in file order before `server`. `use` puts the
//! site first, as `[host."<url>"]` with `capabilities = ["pull", "resolve"]`; the user's own
//! hosts stay after it and the Docker Hub mirrors of other catalog sites are taken out. A
//! missing file is created with `server = "https://registry-1.docker.io"`; `use upstream`
//! takes the catalog's hosts out, and removes the file again when only that line is left.
//! Edits are cuts and insertions of whole tables in the text: comments and the rest stay.
//!
//! nerdctl and `ctr --hosts-dir` read this folder as it is; containerd's CRI plugin (what
//! Kubernetes uses) only with `config_path = "/etc/containerd/certs.d"` in
//! `/etc/containerd/config.toml`, which `mirror` says when it is not set.

use anyhow::Result;
use toml_edit::Document;

use super::common::{endpoint, same_url};
use super::podman::{hub_mirror, known};
use super::{Current, FileEdit, Host, LineError, Request, Target, current_from, parse_toml, plan_from, read_config};
use crate::catalog::{Repo, Site};
use crate::context::Context;

pub struct Containerd;

const HOSTS_TOML: &str = "/etc/containerd/certs.d/docker.io/hosts.toml";
const CONFIG_TOML: &str = "/etc/containerd/config.toml";
const SERVER: &str = "https://registry-1.docker.io";

/// The file `use` creates, before its host table.
fn skeleton() -> String {
    format!("server = \"{SERVER}\"\n")
}

fn host_table(url: &str) -> String {
    format!("[host.{}]\n  capabilities = [\"pull\", \"resolve\"]\n", toml_edit::Value::from(url.trim_end_matches('/')))
}

/// The `[host."…"]` tables in file order: (URL, byte range of the table's lines).
fn hosts(text: &str) -> Result<Vec<(String, std::ops::Range<usize>)>, LineError> {
    let doc: Document<&str> = parse_toml(text)?;
    let Some(item) = doc.get("host") else { return Ok(Vec::new()) };
    let Some(table) = item.as_table() else {
        return Err(LineError::spanned(text, item.span(), "`host` must be a table of `[host.\"<url>\"]` tables"));
    };
    let mut out = Vec::new();
    for (url, t) in table.iter() {
        let Some(t) = t.as_table() else {
            return Err(LineError::spanned(text, t.span(), format!("`host.\"{url}\"` must be a table")));
        };
        let Some(start) = t.span().map(|s| s.start) else {
            return Err(LineError::new(
                None,
                format!("`host.\"{url}\"` is written inline; give it a `[host.\"{url}\"]` table"),
            ));
        };
        if !url.starts_with("http://") && !url.starts_with("https://") {
            return Err(LineError::at(
                super::line_at(text, start),
                format!("host `{url}` needs a scheme (`https://{url}`)"),
            ));
        }
        let start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        out.push((url.to_owned(), start..start));
    }
    // Each table runs to the next header.
    out.sort_by_key(|(_, r)| r.start);
    let starts: Vec<usize> = out.iter().map(|(_, r)| r.start).collect();
    for (i, (_, r)) in out.iter_mut().enumerate() {
        r.end = next_header(text, r.start).min(starts.get(i + 1).copied().unwrap_or(text.len()));
    }
    Ok(out)
}

/// Where the header after the one at `start` begins (or the end of the text).
fn next_header(text: &str, start: usize) -> usize {
    let mut offset = start;
    for (n, line) in text[start..].split_inclusive('\n').enumerate() {
        if n > 0 && line.trim_start().starts_with('[') {
            return offset;
        }
        offset += line.len();
    }
    text.len()
}

/// Renders hosts.toml with `mirror` first (`None`: upstream). `Ok(None)`: no file.
pub fn render(input: Option<&str>, mirror: Option<&str>, known: &[String]) -> Result<Option<String>, LineError> {
    let Some(text) = input.filter(|t| !t.trim().is_empty()) else {
        return Ok(mirror.map(|m| format!("{}\n{}", skeleton(), host_table(m))));
    };
    let list = hosts(text)?;
    let is_known = |u: &str| known.iter().any(|k| same_url(k, u)) || mirror.is_some_and(|m| same_url(m, u));
    if let Some(m) = mirror
        && list.first().is_some_and(|(u, _)| same_url(u, m))
        && list.iter().skip(1).all(|(u, _)| !is_known(u))
    {
        return Ok(Some(text.to_owned()));
    }
    if mirror.is_none() && list.iter().all(|(u, _)| !is_known(u)) {
        return Ok(Some(text.to_owned()));
    }
    // Cut the catalog's tables, from the last one backwards.
    let mut out = text.to_owned();
    let mut first_kept = None;
    for (u, r) in list.iter().rev() {
        if is_known(u) {
            out.replace_range(r.clone(), "");
        }
    }
    for (u, r) in &list {
        if !is_known(u) {
            let cut_before: usize =
                list.iter().filter(|(k, c)| is_known(k) && c.start < r.start).map(|(_, c)| c.len()).sum();
            first_kept = Some(r.start - cut_before);
            break;
        }
    }
    if let Some(m) = mirror {
        let table = host_table(m);
        match first_kept {
            Some(at) => out.insert_str(at, &format!("{table}\n")),
            None => {
                if !out.ends_with('\n') {
                    out.push('\n');
                }
                if !out.ends_with("\n\n") {
                    out.push('\n');
                }
                out.push_str(&table);
            }
        }
    }
    let cleaned = out.trim_end().to_owned() + "\n";
    if mirror.is_none() && cleaned == skeleton() {
        return Ok(None);
    }
    let order: Vec<String> = hosts(&out).map_err(|_| unsafe_edit())?.into_iter().map(|(u, _)| u).collect();
    let mut want: Vec<String> = mirror.map(|m| m.trim_end_matches('/').to_owned()).into_iter().collect();
    want.extend(list.iter().filter(|(u, _)| !is_known(u)).map(|(u, _)| u.clone()));
    if order != want {
        return Err(unsafe_edit());
    }
    Ok(Some(out))
}

fn unsafe_edit() -> LineError {
    LineError::new(None, "the file could not be edited safely; set the `[host.\"<url>\"]` table by hand")
}

/// The first host, else `None` (the `server`, Docker Hub itself).
pub fn first_host(text: &str) -> Result<Option<String>, LineError> {
    Ok(hosts(text)?.into_iter().next().map(|(u, _)| u.trim_end_matches('/').to_owned()))
}

impl Target for Containerd {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.sys("/etc/containerd").is_dir() || ["containerd", "nerdctl"].iter().any(|p| ctx.has_program(p))
    }

    fn looked_for(&self) -> &'static str {
        "no `/etc/containerd/` and no `containerd` or `nerdctl` program"
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Dockerhub)
    }

    fn plan(&self, ctx: &Context, _host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let mirror = hub_mirror(req, "containerd")?;
        let known = known(ctx)?;
        let mut edits = plan_from(ctx, ctx.sys(HOSTS_TOML), |text| render(text, mirror, &known))?;
        let mut notes = Vec::new();
        let config = ctx.sys(CONFIG_TOML);
        if mirror.is_some()
            && let Some(text) = read_config(ctx, &config)?
            && !text.contains("config_path")
        {
            notes.push(format!(
                "`{}` sets no `config_path`: nerdctl and `ctr --hosts-dir /etc/containerd/certs.d` use the mirror, containerd's CRI plugin (Kubernetes) only with `config_path = \"/etc/containerd/certs.d\"` under its `registry` table",
                config.display()
            ));
        }
        edits[0].notes = notes;
        Ok(edits)
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        current_from(ctx, ctx.sys(HOSTS_TOML), first_host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::testing::{root_context, write};

    const STOCK: &str = include_str!("../../tests/fixtures/containerd/hosts.toml");
    const HUB: &str = "https://docker.m.daocloud.io";
    const ONE: &str = "https://docker.1ms.run";

    fn known() -> Vec<String> {
        vec![HUB.into(), ONE.into()]
    }

    #[test]
    fn a_new_file_and_back() {
        let out = render(None, Some(HUB), &known()).unwrap().unwrap();
        assert_eq!(
            out,
            "server = \"https://registry-1.docker.io\"\n\n[host.\"https://docker.m.daocloud.io\"]\n  capabilities = [\"pull\", \"resolve\"]\n"
        );
        assert_eq!(first_host(&out).unwrap().as_deref(), Some(HUB));
        assert_eq!(render(Some(&out), Some(HUB), &known()).unwrap().as_deref(), Some(out.as_str()), "twice");
        assert_eq!(render(Some(&out), None, &known()).unwrap(), None, "upstream: no file, as before");
        assert_eq!(render(None, None, &known()).unwrap(), None);
    }

    #[test]
    fn the_users_hosts_stay_after_the_site() {
        let out = render(Some(STOCK), Some(ONE), &known()).unwrap().unwrap();
        insta::assert_snapshot!(out);
        let order: Vec<String> = hosts(&out).unwrap().into_iter().map(|(u, _)| u).collect();
        assert_eq!(order, [ONE, "https://registry.corp.example:5000"], "daocloud out, ours first, the user's after");
        assert!(out.starts_with("# Docker Hub through the company proxy"), "{out}");
        assert!(out.contains("  ca = \"/etc/containerd/certs.d/docker.io/corp-ca.crt\"\n"), "{out}");
        let direct =
            render(Some(&render(Some(STOCK), Some(HUB), &known()).unwrap().unwrap()), Some(ONE), &known()).unwrap();
        assert_eq!(direct.as_deref(), Some(out.as_str()));
        let back = render(Some(&out), None, &known()).unwrap().unwrap();
        let order: Vec<String> = hosts(&back).unwrap().into_iter().map(|(u, _)| u).collect();
        assert_eq!(order, ["https://registry.corp.example:5000"]);
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, line, what) in [
            ("server = \"https://registry-1.docker.io\"\nhost = 1\n", Some(2), "`host` must be a table"),
            ("[host.\"docker.m.daocloud.io\"]\ncapabilities = [\"pull\"]\n", Some(1), "needs a scheme"),
            ("[host.\"https://a\"\n", Some(1), ""),
            ("host = { \"https://a\" = { capabilities = [\"pull\"] } }\n", Some(1), "`host` must be a table"),
        ] {
            let e = render(Some(text), Some(ONE), &known()).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {}", e.message);
            assert!(e.message.contains(what), "{text:?}: {}", e.message);
        }
    }

    #[test]
    fn a_byte_order_mark_stays_in_front() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("\u{feff}{STOCK}");
        write(dir.path(), "etc/containerd/certs.d/docker.io/hosts.toml", &text);
        let ctx = root_context(dir.path());
        let site = crate::catalog::Catalog::builtin().unwrap().get("daocloud").unwrap().clone();
        let edits =
            Containerd.plan(&ctx, &Host::default(), &Request { site: &site, upstream: None, security: false }).unwrap();
        let after = String::from_utf8(edits[0].after.clone().unwrap()).unwrap();
        let hub = site.repo(Repo::Dockerhub).unwrap();
        assert_eq!(
            after,
            format!("\u{feff}{}", render(Some(STOCK), Some(hub), &super::known(&ctx).unwrap()).unwrap().unwrap())
        );
    }

    #[test]
    fn cri_without_config_path_is_told() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "etc/containerd/config.toml",
            "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n",
        );
        let site = crate::catalog::Catalog::builtin().unwrap().get("daocloud").unwrap().clone();
        let edits = Containerd
            .plan(
                &root_context(dir.path()),
                &Host::default(),
                &Request { site: &site, upstream: None, security: false },
            )
            .unwrap();
        assert!(edits[0].notes[0].contains("sets no `config_path`"), "{:?}", edits[0].notes);
        assert!(Containerd.present(&root_context(dir.path()), &Host::default()));
    }
}
