//! cargo: source replacement for crates.io in `$CARGO_HOME/config.toml`.
//!
//! The file is `$CARGO_HOME/config.toml`; when the legacy `$CARGO_HOME/config` exists, cargo
//! reads that one (even when both exist), so it is the one edited. [`render`] uses
//! `toml_edit`, keeping comments, key order and every unrelated table (`[build]`,
//! `[target.*]`, `[net]`, `[http]`, …):
//!
//! - `[source.crates-io] replace-with = "mirror-<id>"`;
//! - `[source.mirror-<id>] registry = "sparse+<crates>/"` (the `sparse+` prefix and the
//!   trailing `/` are required). An existing table of that name keeps its other keys, except
//!   `git`, `branch`, `tag`, `rev`, `local-registry`, `directory` and `replace-with`, which
//!   would conflict with `registry`;
//! - `[registries.mirror-<id>] index = "sparse+<crates>/"`, so `cargo search --registry
//!   mirror-<id>` works.
//!
//! The `mirror-` prefix keeps `mirror`'s tables apart from the user's own: a `[source.tuna]`
//! written by hand (pointing wherever the user likes) is never changed. When crates.io is
//! already replaced, through the user's own tables, by exactly the site's index, nothing is
//! written. Switching sites and `use upstream` remove the `mirror-*` tables of earlier sites
//! that hold only what `mirror` writes there (`registry`, `index`) and that no other source
//! names; everything else stays. `use upstream` removes `replace-with` (and
//! `[source.crates-io]` when that leaves it empty) and writes no source for index.crates.io,
//! which is cargo's default.

use std::path::PathBuf;

use anyhow::Result;
use toml_edit::{Document, DocumentMut, Item, Table, TableLike, Value};

use super::common::{endpoint, exists, same_url, set_str};
use super::{Current, FileEdit, Host, LineError, Request, Target, current_from, parse_toml, plan_from};
use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Cargo;

/// The official sparse index, cargo's default.
const CRATES_IO: &str = "https://index.crates.io";

/// How the names of `mirror`'s own `[source.*]` and `[registries.*]` tables start.
const OWN_PREFIX: &str = "mirror-";

/// Keys of a `[source.<name>]` table that conflict with `registry`.
const CONFLICTING: &[&str] = &["git", "branch", "tag", "rev", "local-registry", "directory", "replace-with"];

/// What crates.io should resolve to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registry {
    /// cargo's default: no replacement.
    CratesIo,
    /// Replace crates.io with the sparse index `url` (no `sparse+`), under the source `name`.
    Mirror { name: String, url: String },
}

impl Registry {
    pub fn for_site(site: &Site) -> Option<Self> {
        let url = site.repo(Repo::Crates)?.trim_end_matches('/');
        if site.is_upstream() || url == CRATES_IO {
            return Some(Self::CratesIo);
        }
        Some(Self::Mirror { name: format!("{OWN_PREFIX}{}", site.id), url: url.to_owned() })
    }
}

/// The file cargo reads: legacy `config` when it exists, else `config.toml`.
fn path(ctx: &Context) -> PathBuf {
    let legacy = ctx.cargo_home.join("config");
    if exists(&legacy) { legacy } else { ctx.cargo_home.join("config.toml") }
}

impl Target for Cargo {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        exists(&path(ctx)) || ctx.has_program("cargo")
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Crates)
    }

    fn plan(&self, ctx: &Context, _host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let Some(want) = Registry::for_site(req.site) else {
            return Err(Problem::bad(format!("site `{}` has no crates.io index mirror", req.site.id)).into());
        };
        plan_from(ctx, path(ctx), |text| render(text, &want))
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        current_from(ctx, path(ctx), registry_url)
    }
}

/// Checks the shape of what this target reads or writes: `source` and `registries` as
/// `[…]` tables, the named entries as tables, `replace-with` as a string.
fn check(doc: &Document<&str>, text: &str, names: &[&str]) -> Result<(), LineError> {
    let wrong = |item: &Item, what: String| LineError::spanned(text, item.span(), what);
    for parent in ["source", "registries"] {
        let Some(item) = doc.get(parent) else {
            continue;
        };
        let table = match item {
            Item::Table(t) => t,
            Item::Value(Value::InlineTable(_)) => {
                return Err(wrong(
                    item,
                    format!(
                        "`{parent}` is an inline table; write it as `[{parent}.<name>]` tables so it can be edited safely"
                    ),
                ));
            }
            _ => {
                return Err(wrong(item, format!("`{parent}` must be a table (`[{parent}.<name>]`)")));
            }
        };
        let children: Vec<&str> = if parent == "source" {
            std::iter::once("crates-io").chain(names.iter().copied()).collect()
        } else {
            names.to_vec()
        };
        for name in children {
            let Some(child) = table.get(name) else {
                continue;
            };
            let child_table =
                child.as_table_like().ok_or_else(|| wrong(child, format!("`{parent}.{name}` must be a table")))?;
            if parent == "source"
                && let Some(r) = child_table.get("replace-with")
                && !r.is_str()
            {
                return Err(wrong(r, format!("`source.{name}.replace-with` must be a string")));
            }
        }
    }
    Ok(())
}

/// The child table `name` of `parent`, created (as a `[parent.name]` table) when missing.
fn child<'a>(parent: &'a mut Table, name: &str) -> &'a mut dyn TableLike {
    let item = parent.entry(name).or_insert_with(|| Item::Table(Table::new()));
    item.as_table_like_mut().expect("checked to be a table before editing")
}

/// A top-level table that holds only sub-tables: created implicit, so no bare `[source]`
/// header is written.
fn parent<'a>(doc: &'a mut DocumentMut, name: &str) -> &'a mut Table {
    doc.entry(name)
        .or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        })
        .as_table_mut()
        .expect("checked to be a table before editing")
}

/// Whether a source or registry name is one of `mirror`'s own.
fn is_own(name: &str) -> bool {
    name.starts_with(OWN_PREFIX)
}

/// The names of `mirror`'s own tables under `parent` (`source` or `registries`).
fn own_names<'d>(doc: &'d Document<&str>, parent: &str) -> Vec<&'d str> {
    doc.get(parent)
        .and_then(Item::as_table_like)
        .map(|t| t.iter().map(|(k, _)| k).filter(|k| is_own(k)).collect())
        .unwrap_or_default()
}

/// Points crates.io at `want` in cargo config text; `None` is a missing file. Idempotent; see
/// the module documentation for the rules.
pub fn render(input: Option<&str>, want: &Registry) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    let doc = parse_toml(text)?;
    let mut names: Vec<&str> = own_names(&doc, "source");
    names.extend(own_names(&doc, "registries"));
    if let Registry::Mirror { name, .. } = want {
        names.push(name);
    }
    check(&doc, text, &names)?;
    // crates.io already resolves to the site's index through the user's own tables.
    let first_hop = doc
        .get("source")
        .and_then(|s| s.get("crates-io"))
        .and_then(|c| c.get("replace-with"))
        .and_then(Item::as_str)
        .map(str::to_owned);
    let resolved = registry_url(text)?;
    let mut doc = doc.into_mut();
    let keep = match want {
        Registry::Mirror { url, .. }
            if resolved.as_deref().is_some_and(|r| same_url(r, url))
                && first_hop.as_deref().is_some_and(|h| !is_own(h)) =>
        {
            None
        }
        Registry::Mirror { name, url } => {
            let index = format!("sparse+{url}/");
            let source = parent(&mut doc, "source");
            set_str(child(source, "crates-io"), "replace-with", name);
            let own = child(source, name);
            set_str(own, "registry", &index);
            for key in CONFLICTING {
                own.remove(key);
            }
            let registries = parent(&mut doc, "registries");
            set_str(child(registries, name), "index", &index);
            Some(name.as_str())
        }
        Registry::CratesIo => {
            if let Some(source) = doc.get_mut("source").and_then(Item::as_table_mut)
                && let Some(crates_io) = source.get_mut("crates-io").and_then(Item::as_table_like_mut)
            {
                crates_io.remove("replace-with");
                if crates_io.is_empty()
                    && let Some(removed) = source.remove("crates-io")
                {
                    keep_comments_of(&mut doc, &removed);
                }
            }
            None
        }
    };
    remove_stale(&mut doc, keep);
    let out = doc.to_string();
    // A table removed from the top must not leave the file starting with a blank line.
    if !text.starts_with(['\n', '\r']) && out.starts_with(['\n', '\r']) {
        return Ok(out.trim_start_matches(['\n', '\r']).to_owned());
    }
    Ok(out)
}

/// Removes `mirror`'s tables other than `keep` that hold only what `mirror` writes there and
/// that no source replaces itself with; a parent left empty goes too.
fn remove_stale(doc: &mut DocumentMut, keep: Option<&str>) {
    for (parent, ours) in [("source", "registry"), ("registries", "index")] {
        let Some(table) = doc.get(parent).and_then(Item::as_table) else {
            continue;
        };
        let named: Vec<String> =
            table.iter().filter_map(|(_, v)| v.get("replace-with").and_then(Item::as_str).map(str::to_owned)).collect();
        let stale: Vec<String> = table
            .iter()
            .filter(|(k, v)| {
                is_own(k)
                    && Some(*k) != keep
                    && !named.iter().any(|n| n == k)
                    && v.as_table_like().is_some_and(|t| t.iter().all(|(key, _)| key == ours))
            })
            .map(|(k, _)| k.to_owned())
            .collect();
        let mut removed = Vec::new();
        if let Some(table) = doc.get_mut(parent).and_then(Item::as_table_mut) {
            for name in &stale {
                removed.extend(table.remove(name));
            }
            if table.is_empty() && !stale.is_empty() {
                doc.remove(parent);
            }
        }
        for item in &removed {
            keep_comments_of(doc, item);
        }
    }
}

/// Moves the comments written above a removed `[table]` header onto the next table, so a
/// file's header comment survives `use upstream`.
fn keep_comments_of(doc: &mut DocumentMut, removed: &Item) {
    use toml_edit::visit::{Visit, visit_table};
    use toml_edit::visit_mut::{VisitMut, visit_table_mut};

    struct Next {
        after: isize,
        found: Option<isize>,
    }
    impl Visit<'_> for Next {
        fn visit_table(&mut self, node: &Table) {
            if let Some(p) = node.position()
                && p > self.after
                && self.found.is_none_or(|f| p < f)
            {
                self.found = Some(p);
            }
            visit_table(self, node);
        }
    }
    struct Prepend<'a> {
        at: isize,
        comments: &'a str,
    }
    impl VisitMut for Prepend<'_> {
        fn visit_table_mut(&mut self, node: &mut Table) {
            if node.position() == Some(self.at) {
                let own = node
                    .decor()
                    .prefix()
                    .and_then(|p| p.as_str())
                    .unwrap_or_default()
                    .trim_start_matches(['\n', '\r'])
                    .to_owned();
                node.decor_mut().set_prefix(format!("{}{own}", self.comments));
            }
            visit_table_mut(self, node);
        }
    }

    let Some(table) = removed.as_table() else {
        return;
    };
    let (Some(at), Some(prefix)) = (table.position(), table.decor().prefix().and_then(|p| p.as_str())) else {
        return;
    };
    if !prefix.contains('#') {
        return;
    }
    let mut next = Next { after: at, found: None };
    next.visit_document(doc);
    if let Some(found) = next.found {
        Prepend { at: found, comments: prefix }.visit_document_mut(doc);
    }
}

/// The sparse index crates.io resolves to per this text (following `replace-with`), without
/// `sparse+` and the trailing `/`; `None` when crates.io is not replaced.
pub fn registry_url(text: &str) -> Result<Option<String>, LineError> {
    let doc = parse_toml(text)?;
    check(&doc, text, &[])?;
    let Some(source) = doc.get("source").and_then(Item::as_table_like) else {
        return Ok(None);
    };
    let replace_with = |t: &dyn TableLike| t.get("replace-with").and_then(Item::as_str).map(str::to_owned);
    let mut name = source.get("crates-io").and_then(Item::as_table_like).and_then(replace_with);
    // Follow a short chain of replacements (cargo allows them), never a loop.
    for _ in 0..8 {
        let Some(n) = name.take() else {
            return Ok(None);
        };
        let Some(table) = source.get(&n).and_then(Item::as_table_like) else {
            return Ok(None);
        };
        let found = table.get("registry").or_else(|| table.get("git")).and_then(Item::as_str);
        if let Some(url) = found {
            let url = url.strip_prefix("sparse+").unwrap_or(url);
            return Ok(Some(url.trim_end_matches('/').to_owned()));
        }
        name = replace_with(table);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::catalog::{Origin, parse_site};
    use crate::targets::testing;

    const FULL: &str = include_str!("../../tests/fixtures/cargo/config.toml");
    const USTC_CFG: &str = include_str!("../../tests/fixtures/cargo/ustc.toml");
    const GIT: &str = include_str!("../../tests/fixtures/cargo/git-index.toml");
    const DOTTED: &str = include_str!("../../tests/fixtures/cargo/dotted.toml");
    const MALFORMED: &str = include_str!("../../tests/fixtures/cargo/malformed.toml");
    const OWN_TUNA: &str = include_str!("../../tests/fixtures/cargo/own-tuna.toml");

    const TUNA_URL: &str = "https://mirrors.tuna.tsinghua.edu.cn/crates.io-index";
    const USTC_URL: &str = "https://mirrors.ustc.edu.cn/crates.io-index";

    fn site(id: &str, crates: &str) -> Site {
        testing::site(id, &format!("[repos]\ncrates = \"{crates}\"\n"))
    }

    fn tuna() -> Registry {
        Registry::for_site(&site("tuna", &format!("{TUNA_URL}/"))).unwrap()
    }

    fn ustc() -> Registry {
        Registry::for_site(&site("ustc", &format!("{USTC_URL}/"))).unwrap()
    }

    fn upstream() -> Registry {
        Registry::for_site(&site("upstream", "https://index.crates.io/")).unwrap()
    }

    fn ok(input: Option<&str>, want: &Registry) -> String {
        render(input, want).unwrap()
    }

    fn fixtures() -> [(&'static str, &'static str); 6] {
        [
            ("config.toml", FULL),
            ("ustc.toml", USTC_CFG),
            ("git-index.toml", GIT),
            ("dotted.toml", DOTTED),
            ("own-tuna.toml", OWN_TUNA),
            ("empty", ""),
        ]
    }

    #[test]
    fn registry_for_sites() {
        assert_eq!(upstream(), Registry::CratesIo);
        assert_eq!(
            Registry::for_site(&site("corp", "https://crates.corp.example/index")),
            Some(Registry::Mirror { name: "mirror-corp".into(), url: "https://crates.corp.example/index".into() })
        );
        // A private index.crates.io entry under another id is upstream too.
        assert_eq!(Registry::for_site(&site("official", "https://index.crates.io")), Some(Registry::CratesIo));
        let named = Registry::for_site(&site("crates-io", "https://c.example/index/")).unwrap();
        assert_eq!(named, Registry::Mirror { name: "mirror-crates-io".into(), url: "https://c.example/index".into() });
        assert_eq!(
            ok(None, &named),
            "[source.crates-io]\nreplace-with = \"mirror-crates-io\"\n\n[source.mirror-crates-io]\nregistry = \"sparse+https://c.example/index/\"\n\n[registries.mirror-crates-io]\nindex = \"sparse+https://c.example/index/\"\n"
        );
    }

    #[test]
    fn snapshots() {
        insta::assert_snapshot!("full_tuna", ok(Some(FULL), &tuna()));
        insta::assert_snapshot!("ustc_tuna", ok(Some(USTC_CFG), &tuna()));
        insta::assert_snapshot!("ustc_upstream", ok(Some(USTC_CFG), &upstream()));
        insta::assert_snapshot!("git_index_tuna", ok(Some(GIT), &tuna()));
        insta::assert_snapshot!("dotted_ustc", ok(Some(DOTTED), &ustc()));
        insta::assert_snapshot!("empty_ustc", ok(None, &ustc()));
        insta::assert_snapshot!("own_tuna_ustc", ok(Some(OWN_TUNA), &ustc()));
    }

    #[test]
    fn every_fixture_is_idempotent_and_reads_back() {
        for (name, text) in fixtures() {
            for (want, url) in [(tuna(), Some(TUNA_URL)), (ustc(), Some(USTC_URL)), (upstream(), None)] {
                let once = ok(Some(text), &want);
                assert_eq!(ok(Some(&once), &want), once, "{name} {want:?}");
                assert_eq!(registry_url(&once).unwrap().as_deref(), url, "{name}");
            }
        }
    }

    #[test]
    fn already_on_ustc_is_unchanged() {
        // Through the user's own `[source.ustc]`, from USTC's help page: nothing to write.
        assert_eq!(ok(Some(USTC_CFG), &ustc()), USTC_CFG);
        assert_eq!(registry_url(USTC_CFG).unwrap().as_deref(), Some(USTC_URL));
    }

    #[test]
    fn switching_sites_leaves_nothing_of_the_first_behind() {
        for (name, text) in fixtures() {
            let direct = ok(Some(text), &ustc());
            let via = ok(Some(&ok(Some(text), &tuna())), &ustc());
            assert_eq!(registry_url(&via).unwrap(), registry_url(&direct).unwrap(), "{name}");
            assert!(!via.contains("mirror-tuna"), "{name}: {via}");
            // USTC's own help-page setup is already right directly; through tuna, `mirror`'s
            // table takes over and the user's stays, inert.
            if name != "ustc.toml" {
                assert_eq!(via, direct, "{name}");
            }
            // And back to upstream removes all `mirror` wrote.
            let back = ok(Some(&ok(Some(&via), &tuna())), &upstream());
            assert_eq!(back, ok(Some(text), &upstream()), "{name}");
        }
        // A file that never had a replacement comes back byte for byte.
        assert_eq!(ok(Some(&ok(Some(FULL), &tuna())), &upstream()), FULL);
        assert_eq!(ok(Some(&ok(Some(""), &tuna())), &upstream()), "");
    }

    #[test]
    fn the_users_own_tables_are_never_overwritten() {
        // A hand-written `[source.tuna]` that points at BFSU, and a registry of that name:
        // `use tuna` writes `mirror-tuna` beside them and leaves them byte for byte.
        let out = ok(Some(OWN_TUNA), &tuna());
        assert!(out.contains("[source.tuna]\n# BFSU is faster from the office\nregistry = \"sparse+https://mirrors.bfsu.edu.cn/crates.io-index/\"\n"), "{out}");
        assert!(out.contains("replace-with = \"mirror-tuna\""), "{out}");
        assert_eq!(registry_url(&out).unwrap().as_deref(), Some(TUNA_URL));
        // Upstream: only the replacement goes; the user's tables stay.
        let back = ok(Some(&out), &upstream());
        assert!(back.contains("[source.tuna]") && back.contains("[registries.tuna]"), "{back}");
        assert!(!back.contains("mirror-tuna") && !back.contains("replace-with"), "{back}");
        // A `mirror-*` table holding more than `mirror` writes there is not removed.
        let text = "[source.crates-io]\nreplace-with = \"mirror-tuna\"\n\n[source.mirror-tuna]\nregistry = \"sparse+https://mirrors.tuna.tsinghua.edu.cn/crates.io-index/\"\n\n[registries.mirror-tuna]\nindex = \"sparse+https://mirrors.tuna.tsinghua.edu.cn/crates.io-index/\"\ntoken = \"keep-me\"\n";
        let out = ok(Some(text), &ustc());
        assert!(out.contains("[registries.mirror-tuna]\nindex = \"sparse+https://mirrors.tuna.tsinghua.edu.cn/crates.io-index/\"\ntoken = \"keep-me\"\n"), "{out}");
        assert!(!out.contains("[source.mirror-tuna]"), "{out}");
        // Nor one that another source still replaces itself with.
        let text = "[source.crates-io]\nreplace-with = \"mirror-tuna\"\n\n[source.vendored]\nreplace-with = \"mirror-tuna\"\n\n[source.mirror-tuna]\nregistry = \"sparse+https://x/\"\n";
        assert!(ok(Some(text), &ustc()).contains("[source.mirror-tuna]"));
    }

    #[test]
    fn upstream_removes_only_the_replacement() {
        let out = ok(Some(USTC_CFG), &upstream());
        assert!(out.starts_with("# set up following"), "{out}");
        assert!(!out.contains("replace-with"), "{out}");
        assert!(!out.contains("[source.crates-io]"), "{out}");
        assert!(out.contains("[source.ustc]"), "{out}");
        assert!(!out.contains("index.crates.io"), "{out}");
        assert_eq!(ok(Some(FULL), &upstream()), FULL);
        assert_eq!(ok(None, &upstream()), "");
        let text = "[build]\njobs = 1\n\n# mirror\n[source.crates-io]\nreplace-with = \"x\"\n\n# x marks the spot\n[source.x]\nregistry = \"sparse+https://x/\"\n";
        assert_eq!(
            ok(Some(text), &upstream()),
            "[build]\njobs = 1\n\n# mirror\n# x marks the spot\n[source.x]\nregistry = \"sparse+https://x/\"\n"
        );
        let text = "[source.crates-io]\nreplace-with = \"x\"\n\n[source.x]\nregistry = \"sparse+https://x/\"\n";
        assert_eq!(ok(Some(text), &upstream()), "[source.x]\nregistry = \"sparse+https://x/\"\n");
        // Other keys in [source.crates-io] keep the table.
        let text = "[source.crates-io]\nreplace-with = \"x\"\n# why\nprotocol = \"sparse\"\n";
        assert_eq!(ok(Some(text), &upstream()), "[source.crates-io]\n# why\nprotocol = \"sparse\"\n");
    }

    #[test]
    fn own_source_table_keeps_other_keys_and_loses_conflicts() {
        let text = "[source.mirror-tuna]\n# old git mirror\ngit = \"https://x/crates.io-index.git\"\nbranch = \"master\"\n\n[registries.mirror-tuna]\nindex = \"https://x/crates.io-index.git\"\ntoken = \"keep-me\"\n";
        let out = ok(Some(text), &tuna());
        assert!(!out.contains("git ="), "{out}");
        assert!(!out.contains("branch"), "{out}");
        assert!(out.contains("token = \"keep-me\""), "{out}");
        assert_eq!(registry_url(&out).unwrap().as_deref(), Some(TUNA_URL));
        // Inline child tables are edited in place.
        let text = "[source]\ncrates-io = { replace-with = \"ustc\" }\nustc = { registry = \"sparse+https://mirrors.ustc.edu.cn/crates.io-index/\" }\n";
        let out = ok(Some(text), &ustc());
        assert!(out.starts_with(text), "{out}");
        let out = ok(Some(text), &tuna());
        assert!(out.starts_with("[source]\ncrates-io = { replace-with = \"mirror-tuna\" }\n"), "{out}");
    }

    #[test]
    fn a_byte_order_mark_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path());
        let home = dir.path().join("cargo");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join("config.toml"), format!("\u{feff}{FULL}")).unwrap();
        let site = site("tuna", &format!("{TUNA_URL}/"));
        let edits = plan(&ctx, &site).unwrap();
        let after = String::from_utf8(edits[0].after.clone().unwrap()).unwrap();
        assert_eq!(after, format!("\u{feff}{}", ok(Some(FULL), &tuna())));
        std::fs::write(home.join("config.toml"), &after).unwrap();
        assert_eq!(Cargo.current(&ctx, &Host::default()).unwrap().url.as_deref(), Some(TUNA_URL));
        assert!(!plan(&ctx, &site).unwrap()[0].is_change());
    }

    #[test]
    fn current_follows_chains() {
        let text = "[source.crates-io]\nreplace-with = \"a\"\n[source.a]\nreplace-with = \"b\"\n[source.b]\nregistry = \"sparse+https://b.example/index/\"\n";
        assert_eq!(registry_url(text).unwrap().as_deref(), Some("https://b.example/index"));
        let looped = "[source.crates-io]\nreplace-with = \"a\"\n[source.a]\nreplace-with = \"a\"\n";
        assert_eq!(registry_url(looped).unwrap(), None);
        assert_eq!(registry_url("[build]\njobs = 1\n").unwrap(), None);
        assert_eq!(
            registry_url(GIT).unwrap().as_deref(),
            Some("https://mirrors.tuna.tsinghua.edu.cn/git/crates.io-index.git")
        );
    }

    #[test]
    fn malformed_and_wrong_types_name_the_line() {
        for (text, line, what) in [
            (MALFORMED, 5, "invalid"),
            ("# c\nsource = 1\n[build]\njobs = 1\n", 2, "`source` must be a table"),
            ("source = { crates-io = { replace-with = \"x\" } }\n", 1, "`source` is an inline table"),
            ("[source.crates-io]\n\nreplace-with = 1\n", 3, "`source.crates-io.replace-with` must be a string"),
            ("[source]\ncrates-io = 5\n", 2, "`source.crates-io` must be a table"),
            ("[source]\nmirror-tuna = \"x\"\n", 2, "`source.mirror-tuna` must be a table"),
            ("registries = [1]\n", 1, "`registries` must be a table"),
            ("[registries]\nmirror-tuna = 1\n", 2, "`registries.mirror-tuna` must be a table"),
        ] {
            let e = render(Some(text), &tuna()).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e:?}");
            assert!(e.message.contains(what), "{text:?}: {e:?}");
        }
        assert_eq!(registry_url(MALFORMED).unwrap_err().line, Some(5));
    }

    // --- plan / current / present against a fake home ---

    fn context(dir: &Path) -> Context {
        testing::context(dir, &[("CARGO_HOME", dir.join("cargo").display().to_string())])
    }

    fn plan(ctx: &Context, site: &Site) -> Result<Vec<FileEdit>> {
        Cargo.plan(ctx, &Host::default(), &Request { site, upstream: None, security: false })
    }

    #[test]
    fn plan_current_and_the_legacy_file() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path());
        let h = Host::default();
        let home = dir.path().join("cargo");
        assert!(!Cargo.present(&ctx, &h));
        assert_eq!(Cargo.current(&ctx, &h).unwrap(), Current::default());

        let tuna = site("tuna", &format!("{TUNA_URL}/"));
        let edits = plan(&ctx, &tuna).unwrap();
        assert_eq!(edits[0].path, home.join("config.toml"));
        assert_eq!(edits[0].before, None);
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join("config.toml"), edits[0].after.as_ref().unwrap()).unwrap();
        assert!(Cargo.present(&ctx, &h));
        let cur = Cargo.current(&ctx, &h).unwrap();
        assert_eq!(cur.url, Cargo.endpoint(&tuna, &h));
        assert!(!plan(&ctx, &tuna).unwrap()[0].is_change());

        // The legacy `config` is what cargo reads when it exists, even next to config.toml.
        std::fs::write(home.join("config"), USTC_CFG).unwrap();
        let cur = Cargo.current(&ctx, &h).unwrap();
        assert_eq!(cur.files, [home.join("config")]);
        assert_eq!(cur.url.as_deref(), Some(USTC_URL));
        let edits = plan(&ctx, &tuna).unwrap();
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].path, home.join("config"));

        let upstream = site("upstream", "https://index.crates.io/");
        assert_eq!(Cargo.endpoint(&upstream, &h).as_deref(), Some("https://index.crates.io"));
        let bare = parse_site(
            Path::new("x/bare.toml"),
            "id = \"bare\"\nname = \"b\"\nhomepage = \"https://b/\"\nregion = \"CN\"\n",
            Origin::Builtin,
        )
        .unwrap();
        assert_eq!(Cargo.endpoint(&bare, &h), None);
        assert!(plan(&ctx, &bare).is_err());

        std::fs::write(home.join("config"), MALFORMED).unwrap();
        let e = crate::error::render(&plan(&ctx, &tuna).unwrap_err());
        assert!(e.contains(&format!("could not parse `{}` line 5", home.join("config").display())), "{e}");
    }

    #[test]
    fn every_builtin_site_renders_and_reads_back() {
        let catalog = crate::catalog::Catalog::builtin().unwrap();
        for site in catalog.sites() {
            let Some(endpoint) = Cargo.endpoint(site, &Host::default()) else {
                continue;
            };
            let want = Registry::for_site(site).unwrap();
            for (name, text) in fixtures() {
                let out = ok(Some(text), &want);
                assert_eq!(ok(Some(&out), &want), out, "{} {name}", site.id);
                let url = registry_url(&out).unwrap();
                if site.is_upstream() {
                    assert_eq!(url, None, "{name}");
                    assert!(!out.contains("index.crates.io"), "{out}");
                } else {
                    assert_eq!(url, Some(endpoint.clone()), "{} {name}", site.id);
                }
            }
        }
    }

    #[test]
    fn installed_cargo_is_present() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path());
        let bin = dir.path().join("root/usr/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("cargo"), "").unwrap();
        assert!(Cargo.present(&ctx, &Host::default()));
    }
}
