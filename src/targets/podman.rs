//! podman, CRI-O and Buildah: the Docker Hub mirror in `/etc/containers/registries.conf`.
//!
//! containers-registries.conf(5), version 2: one `[[registry]]` whose `prefix` (or, without
//! one, `location`) is `docker.io` gets the site as its first `[[registry.mirror]]`
//! (`location` is the host and port; `insecure = true` for a plain-http mirror). The user's
//! own mirrors stay after it, in their order; the Docker Hub mirrors of other catalog sites
//! (what an earlier `use` put there) are taken out. A file without that registry gets one at
//! its end. `use upstream` takes the catalog's mirrors out again, and the registry table too
//! when nothing of the user's is left in it. Everything else (search registries, short-name
//! mode, other registries, comments) stays, byte for byte outside the edited tables.
//!
//! The version 1 format (`[registries.search]`) cannot be mixed with version 2 and is
//! refused, as are a `registry` key that is not an array of tables and a `docker.io`
//! registry given twice.

use anyhow::Result;
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use super::common::endpoint;
use super::{Current, FileEdit, Host, LineError, Request, Target, current_from, parse_toml, plan_from};
use crate::catalog::{Catalog, Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Podman;

const REGISTRIES_CONF: &str = "/etc/containers/registries.conf";
const HUB: &str = "docker.io";

/// A registry mirror URL as registries.conf spells it: `host[:port]`, and whether it is http.
pub fn location(url: &str) -> (String, bool) {
    let url = url.trim_end_matches('/');
    match url.split_once("://") {
        Some((scheme, rest)) => (rest.to_owned(), scheme.eq_ignore_ascii_case("http")),
        None => (url.to_owned(), false),
    }
}

fn str_of<'a>(t: &'a Table, key: &str) -> Option<&'a str> {
    t.get(key).and_then(Item::as_str)
}

fn is_hub(t: &Table) -> bool {
    match str_of(t, "prefix") {
        Some(p) => p == HUB,
        None => str_of(t, "location") == Some(HUB),
    }
}

/// Parses the file and finds the `docker.io` registry (its index in `[[registry]]`).
fn parse(text: &str) -> Result<(DocumentMut, Option<usize>), LineError> {
    parse_at(text).map(|(doc, hub, _)| (doc, hub))
}

/// As [`parse`], and where the `docker.io` registry's header starts in `text`.
fn parse_at(text: &str) -> Result<(DocumentMut, Option<usize>, Option<usize>), LineError> {
    let doc = parse_toml(text)?;
    if let Some(v1) = doc.get("registries") {
        return Err(LineError::spanned(
            text,
            v1.span(),
            "this is the version 1 format (`[registries.search]`), which `mirror` does not edit; convert the file to version 2 (containers-registries.conf(5))",
        ));
    }
    let mut hub = None;
    let mut hub_at = None;
    if let Some(item) = doc.get("registry") {
        let Some(aot) = item.as_array_of_tables() else {
            return Err(LineError::spanned(
                text,
                item.span(),
                "`registry` must be an array of tables (`[[registry]]`)",
            ));
        };
        for (i, t) in aot.iter().enumerate() {
            if is_hub(t) {
                if hub.is_some() {
                    return Err(LineError::spanned(
                        text,
                        t.span(),
                        "a second `[[registry]]` for `docker.io`; podman would refuse the file",
                    ));
                }
                hub = Some(i);
                hub_at = t.span().map(|s| s.start);
            }
            if let Some(m) = t.get("mirror")
                && !m.is_array_of_tables()
            {
                return Err(LineError::spanned(
                    text,
                    t.span(),
                    "`mirror` must be an array of tables (`[[registry.mirror]]`)",
                ));
            }
        }
    }
    Ok((doc.into_mut(), hub, hub_at))
}

/// The locations of a registry's mirrors.
fn mirrors(t: &Table) -> Vec<String> {
    t.get("mirror")
        .and_then(Item::as_array_of_tables)
        .map(|a| a.iter().filter_map(|m| str_of(m, "location").map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn mirror_table(url: &str) -> Table {
    let (loc, http) = location(url);
    let mut t = Table::new();
    t.insert("location", value(loc));
    if http {
        t.insert("insecure", value(true));
    }
    t
}

/// Renders registries.conf with `mirror` first for docker.io (`None`: upstream). `known`:
/// the catalog's Docker Hub mirror URLs.
pub fn render(input: Option<&str>, mirror: Option<&str>, known: &[String]) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    let (mut doc, hub, hub_at) = parse_at(text)?;
    let known: Vec<String> = known.iter().map(|k| location(k).0).collect();
    let ours = mirror.map(location).map(|(l, _)| l);
    let done = match (&hub, &ours) {
        (Some(i), Some(loc)) => {
            let t = doc["registry"].as_array_of_tables().and_then(|a| a.get(*i)).expect("found above");
            let m = mirrors(t);
            m.first() == Some(loc) && m.iter().skip(1).all(|l| !known.contains(l) && l != loc)
        }
        (None, None) => true,
        (Some(i), None) => {
            let t = doc["registry"].as_array_of_tables().and_then(|a| a.get(*i)).expect("found above");
            mirrors(t).iter().all(|l| !known.contains(l))
        }
        (None, Some(_)) => false,
    };
    if done {
        return Ok(text.to_owned());
    }
    let keep =
        |m: &Table| str_of(m, "location").is_none_or(|l| !known.contains(&l.to_owned()) && Some(l) != ours.as_deref());
    match hub {
        Some(i) => {
            let aot = doc["registry"].as_array_of_tables_mut().expect("checked");
            let t = aot.get_mut(i).expect("found above");
            let old: Vec<Table> = t
                .get("mirror")
                .and_then(Item::as_array_of_tables)
                .map(|a| a.iter().filter(|m| keep(m)).cloned().collect())
                .unwrap_or_default();
            let mut list = ArrayOfTables::new();
            if let Some(m) = mirror {
                list.push(mirror_table(m));
            }
            for m in old {
                list.push(m);
            }
            let bare = t.iter().all(|(k, _)| matches!(k, "prefix" | "location" | "mirror"))
                && str_of(t, "location").is_none_or(|l| l == HUB);
            if list.is_empty() && bare {
                // The table `use` added: cut its lines out of the text, so that comments
                // around it stay where they are.
                return hub_at.and_then(|at| cut_table(text, at)).ok_or_else(|| {
                    LineError::new(None, "the `docker.io` registry could not be taken out safely; remove it by hand")
                });
            } else if list.is_empty() {
                t.remove("mirror");
            } else {
                t.insert("mirror", Item::ArrayOfTables(list));
            }
        }
        None => {
            // Appended as text after everything the file holds (a stock file is all
            // comments, which toml_edit would keep after a table it adds).
            let (loc, http) = location(mirror.expect("checked above"));
            let insecure = if http { "insecure = true\n" } else { "" };
            let block = format!(
                "[[registry]]\nprefix = \"{HUB}\"\nlocation = \"{HUB}\"\n\n[[registry.mirror]]\nlocation = {}\n{insecure}",
                toml_edit::Value::from(loc.as_str())
            );
            let sep = match text {
                "" => "",
                t if t.ends_with("\n\n") => "",
                t if t.ends_with('\n') => "\n",
                _ => "\n\n",
            };
            let out = format!("{text}{sep}{block}");
            return match parse(&out) {
                Ok((_, Some(_))) => Ok(out),
                _ => Err(LineError::new(
                    None,
                    "the file could not be extended safely; add the `docker.io` registry by hand",
                )),
            };
        }
    }
    let mut out = doc.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// `text` without the `[[registry]]` whose header starts at byte `at`: its lines up to the
/// next header that is not one of its `[[registry.mirror]]`, and the blank line before it.
/// `None` when the result does not parse without a `docker.io` registry.
fn cut_table(text: &str, at: usize) -> Option<String> {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut end = text.len();
    let mut offset = start;
    for (n, line) in text[start..].split_inclusive('\n').enumerate() {
        let t = line.trim();
        if n > 0 && t.starts_with('[') && !t.starts_with("[[registry.mirror]]") {
            end = offset;
            break;
        }
        offset += line.len();
    }
    let mut head = &text[..start];
    if head.ends_with("\n\n") {
        head = &head[..head.len() - 1];
    } else if end == text.len() && head.ends_with('\n') && head.len() > 1 {
        head = head.trim_end_matches('\n');
        let out = format!("{head}\n");
        return matches!(parse(&out), Ok((_, None))).then_some(out);
    }
    let out = format!("{head}{}", &text[end..]);
    matches!(parse(&out), Ok((_, None))).then_some(out)
}

/// The first Docker Hub mirror, as an `https://` (or, when insecure, `http://`) URL.
pub fn first_mirror(text: &str) -> Result<Option<String>, LineError> {
    let (doc, hub) = parse(text)?;
    let Some(i) = hub else { return Ok(None) };
    let t = doc["registry"].as_array_of_tables().and_then(|a| a.get(i)).expect("found above");
    Ok(t.get("mirror").and_then(Item::as_array_of_tables).and_then(|a| a.iter().next()).and_then(|m| {
        let loc = str_of(m, "location")?;
        let http = m.get("insecure").and_then(Item::as_bool) == Some(true);
        Some(format!("{}://{}", if http { "http" } else { "https" }, loc.trim_end_matches('/')))
    }))
}

/// The catalog's Docker Hub mirrors (what `use` may have put in a file before).
pub fn known(ctx: &Context) -> Result<Vec<String>> {
    Ok(Catalog::load(ctx)?
        .sites()
        .filter(|s| !s.is_upstream())
        .filter_map(|s| s.repo(Repo::Dockerhub).map(str::to_owned))
        .collect())
}

/// The mirror a request sets for Docker Hub: `None` for the official registry.
pub fn hub_mirror<'a>(req: &Request<'a>, target: &str) -> Result<Option<&'a str>> {
    if req.site.is_upstream() {
        return Ok(None);
    }
    req.site.repo(Repo::Dockerhub).map(Some).ok_or_else(|| {
        Problem::bad(format!("site `{}` has no Docker Hub mirror (`dockerhub`)", req.site.id))
            .hint(format!("`mirror list {target}` shows the sites that have one"))
            .into()
    })
}

impl Target for Podman {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.sys("/etc/containers").is_dir() || ["podman", "buildah", "crio"].iter().any(|p| ctx.has_program(p))
    }

    fn looked_for(&self) -> &'static str {
        "no `/etc/containers/` and no `podman`, `buildah` or `crio` program"
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Dockerhub)
    }

    fn plan(&self, ctx: &Context, _host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let mirror = hub_mirror(req, "podman")?;
        let known = known(ctx)?;
        plan_from(ctx, ctx.sys(REGISTRIES_CONF), |text| render(text, mirror, &known))
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        current_from(ctx, ctx.sys(REGISTRIES_CONF), first_mirror)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::testing::{root_context, write};

    const STOCK: &str = include_str!("../../tests/fixtures/podman/registries.conf");
    const FEDORA: &str = include_str!("../../tests/fixtures/podman/fedora.conf");

    fn known() -> Vec<String> {
        vec!["https://docker.m.daocloud.io".into(), "https://docker.1ms.run".into()]
    }

    #[test]
    fn a_registry_for_docker_hub_is_added_and_taken_out_again() {
        let out = render(Some(STOCK), Some("https://docker.m.daocloud.io"), &known()).unwrap();
        assert!(out.starts_with(STOCK), "the stock file stays in front:\n{out}");
        assert_eq!(
            &out[STOCK.len()..],
            "\n[[registry]]\nprefix = \"docker.io\"\nlocation = \"docker.io\"\n\n[[registry.mirror]]\nlocation = \"docker.m.daocloud.io\"\n"
        );
        assert_eq!(first_mirror(&out).unwrap().as_deref(), Some("https://docker.m.daocloud.io"));
        assert_eq!(render(Some(&out), Some("https://docker.m.daocloud.io"), &known()).unwrap(), out, "twice");
        let other = render(Some(&out), Some("https://docker.1ms.run"), &known()).unwrap();
        assert_eq!(other, render(Some(STOCK), Some("https://docker.1ms.run"), &known()).unwrap());
        let back = render(Some(&out), None, &known()).unwrap();
        assert_eq!(back, STOCK, "upstream takes the table out again");
        assert_eq!(
            render(None, Some("http://127.0.0.1:5000"), &[]).unwrap(),
            "[[registry]]\nprefix = \"docker.io\"\nlocation = \"docker.io\"\n\n[[registry.mirror]]\nlocation = \"127.0.0.1:5000\"\ninsecure = true\n"
        );
    }

    #[test]
    fn the_users_own_mirrors_and_other_registries_stay() {
        let out = render(Some(FEDORA), Some("https://docker.1ms.run"), &known()).unwrap();
        insta::assert_snapshot!(out);
        let (doc, hub) = parse(&out).unwrap();
        let t = doc["registry"].as_array_of_tables().unwrap().get(hub.unwrap()).unwrap();
        assert_eq!(mirrors(t), ["docker.1ms.run", "hub.corp.example:5000"], "daocloud (catalog) out, the user's kept");
        assert!(out.contains("unqualified-search-registries = [\"registry.fedoraproject.org\", \"registry.access.redhat.com\", \"docker.io\"]"));
        assert!(out.contains("[[registry]]\nlocation = \"quay.io\"\n"), "{out}");
        let back = render(Some(&out), None, &known()).unwrap();
        let (doc, hub) = parse(&back).unwrap();
        let t = doc["registry"].as_array_of_tables().unwrap().get(hub.unwrap()).unwrap();
        assert_eq!(mirrors(t), ["hub.corp.example:5000"]);
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, line, what) in [
            ("[registries.search]\nregistries = ['docker.io']\n", Some(1), "version 1 format"),
            ("registry = 1\n", Some(1), "must be an array of tables"),
            (
                "[[registry]]\nprefix = \"docker.io\"\n[[registry]]\nprefix = \"docker.io\"\n",
                Some(3),
                "a second `[[registry]]` for `docker.io`",
            ),
            ("[[registry]]\nprefix = \"docker.io\"\nmirror = \"x\"\n", Some(1), "`mirror` must be an array of tables"),
            ("unqualified-search-registries = [\"docker.io\"\n", Some(1), ""),
        ] {
            let e = render(Some(text), Some("https://docker.1ms.run"), &known()).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {}", e.message);
            assert!(e.message.contains(what), "{text:?}: {}", e.message);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "etc/containers/registries.conf", "registry = 1\n");
        let e = Podman.current(&root_context(dir.path()), &Host::default()).unwrap_err();
        assert!(crate::error::render(&e).contains(&format!("could not parse `{}` line 1", path.display())));
    }

    #[test]
    fn a_byte_order_mark_stays_in_front() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("\u{feff}{STOCK}");
        write(dir.path(), "etc/containers/registries.conf", &text);
        let ctx = root_context(dir.path());
        let site = crate::catalog::Catalog::builtin().unwrap().get("daocloud").unwrap().clone();
        let edits =
            Podman.plan(&ctx, &Host::default(), &Request { site: &site, upstream: None, security: false }).unwrap();
        let after = String::from_utf8(edits[0].after.clone().unwrap()).unwrap();
        let hub = site.repo(Repo::Dockerhub).unwrap();
        assert_eq!(after, format!("\u{feff}{}", render(Some(STOCK), Some(hub), &super::known(&ctx).unwrap()).unwrap()));
        std::fs::write(dir.path().join("etc/containers/registries.conf"), &after).unwrap();
        assert_eq!(Podman.current(&ctx, &Host::default()).unwrap().url.as_deref(), Some(hub.trim_end_matches('/')));
    }

    #[test]
    fn present_when_configured_or_installed() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!Podman.present(&root_context(dir.path()), &Host::default()));
        write(dir.path(), "usr/bin/podman", "");
        assert!(Podman.present(&root_context(dir.path()), &Host::default()));
    }
}
