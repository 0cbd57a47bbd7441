//! uv: the default index in the user's `uv.toml`.
//!
//! The file is `$XDG_CONFIG_HOME/uv/uv.toml` (`~/.config/uv/uv.toml`). uv reads neither
//! pip.conf nor `PIP_INDEX_URL`. [`render`] edits the file with `toml_edit`, so comments,
//! key order and formatting are kept:
//!
//! - the first `[[index]]` with `default = true` is `mirror`'s: it gets the new `url`, and a
//!   `name` other than `mirror` becomes `mirror` (a default index still called `aliyun` after
//!   `use tuna` would be wrong; uv does not let a project refer to a user-level index by name).
//!   Its other keys and comments are kept;
//! - the deprecated top-level `index-url`, which uv still uses for every command, is set where
//!   present; without it and without a default `[[index]]`, `[[index]]` with
//!   `name = "mirror"`, the `url` and `default = true` is appended. A `[pip] index-url` alone does not count: only the `uv pip`
//!   commands read it, so `uv add`, `uv lock` and `uv sync` would stay on PyPI;
//! - `[pip] index-url` is set to the same URL where present. uv 0.13 prefers the default
//!   `[[index]]` even for `uv pip`, so the key is shadowed, but no setting keeps naming the
//!   old index.
//!
//! Other (named, non-default) indexes are left alone; one that is named `mirror` while another
//! is the default is refused. A UTF-8 byte-order mark stays in front.

use std::path::PathBuf;

use anyhow::Result;
use toml_edit::{ArrayOfTables, Document, DocumentMut, InlineTable, Item, Table, TableLike, Value, value};

use super::common::{endpoint, exists, set_str};
use super::{Current, FileEdit, Host, LineError, Request, Target, current_from, parse_toml, plan_from};
use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Uv;

fn path(ctx: &Context) -> PathBuf {
    ctx.config_home.join("uv/uv.toml")
}

impl Target for Uv {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        exists(&path(ctx)) || ctx.has_program("uv")
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

/// Checks that the keys this target reads or writes have the types uv expects.
fn check(doc: &Document<&str>, text: &str) -> Result<(), LineError> {
    let wrong = |item: &Item, what: String| LineError::spanned(text, item.span(), what);
    let string = |item: &Item, name: &str| {
        if item.is_str() { Ok(()) } else { Err(wrong(item, format!("`{name}` must be a string"))) }
    };
    if let Some(item) = doc.get("index-url") {
        string(item, "index-url")?;
    }
    if let Some(pip) = doc.get("pip") {
        let table = pip.as_table_like().ok_or_else(|| wrong(pip, "`pip` must be a table (`[pip]`)".into()))?;
        if let Some(item) = table.get("index-url") {
            string(item, "pip.index-url")?;
        }
    }
    let entry = |table: &dyn TableLike| -> Result<(), LineError> {
        if let Some(url) = table.get("url") {
            string(url, "index.url")?;
        }
        if let Some(default) = table.get("default")
            && !default.is_bool()
        {
            return Err(wrong(default, "`index.default` must be `true` or `false`".into()));
        }
        Ok(())
    };
    match doc.get("index") {
        None => {}
        Some(Item::ArrayOfTables(aot)) => {
            for table in aot.iter() {
                entry(table)?;
            }
        }
        Some(item @ Item::Value(Value::Array(array))) => {
            for v in array.iter() {
                let Value::InlineTable(table) = v else {
                    return Err(wrong(item, "`index` must be an array of tables (`[[index]]`)".into()));
                };
                entry(table)?;
            }
        }
        Some(item) => {
            return Err(wrong(item, "`index` must be an array of tables (`[[index]]`)".into()));
        }
    }
    Ok(())
}

fn is_default(table: &dyn TableLike) -> bool {
    table.get("default").and_then(Item::as_bool) == Some(true)
}

/// The name of `mirror`'s own index.
const NAME: &str = "mirror";

/// Points the default index at `url` and calls it `mirror` (an unnamed one stays unnamed).
fn take_over(table: &mut dyn TableLike, url: &str) {
    set_str(table, "url", url);
    if table.get("name").is_some() {
        set_str(table, "name", NAME);
    }
}

/// Refuses an `[[index]]` named `mirror` that is not the default while another one is.
fn check_names(doc: &Document<&str>, text: &str) -> Result<(), LineError> {
    let entries: Vec<(&dyn TableLike, Option<std::ops::Range<usize>>)> = match doc.get("index") {
        Some(Item::ArrayOfTables(aot)) => aot.iter().map(|t| (t as &dyn TableLike, t.span())).collect(),
        Some(item @ Item::Value(Value::Array(array))) => {
            array.iter().filter_map(Value::as_inline_table).map(|t| (t as &dyn TableLike, item.span())).collect()
        }
        _ => Vec::new(),
    };
    let default = entries.iter().position(|(t, _)| is_default(*t));
    let named = entries.iter().position(|(t, _)| t.get("name").and_then(Item::as_str) == Some(NAME));
    match (default, named) {
        (Some(d), Some(n)) if d != n => Err(LineError::spanned(
            text,
            entries[n].1.clone(),
            format!(
                "an `[[index]]` named `{NAME}` is not the default index, and another one is; `mirror` gives the default index that name, so rename this one"
            ),
        )),
        _ => Ok(()),
    }
}

/// Points uv's default index at `index_url`; `None` is a missing file. Idempotent; see the
/// module documentation for the rules.
pub fn render(input: Option<&str>, index_url: &str) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    let doc = parse_toml(text)?;
    check(&doc, text)?;
    check_names(&doc, text)?;
    let mut doc: DocumentMut = doc.into_mut();

    if let Some(pip) = doc.get_mut("pip").and_then(Item::as_table_like_mut)
        && pip.contains_key("index-url")
    {
        set_str(pip, "index-url", index_url);
    }
    let mut found = false;
    match doc.get_mut("index") {
        Some(Item::ArrayOfTables(aot)) => {
            let ours = aot.iter().position(|t| is_default(t)).or_else(|| aot.iter().position(|t| named_ours(t)));
            if let Some(table) = ours.and_then(|i| aot.get_mut(i)) {
                take_over(table, index_url);
                if !is_default(table) {
                    table.insert("default", value(true));
                }
                found = true;
            }
        }
        Some(Item::Value(Value::Array(array))) => {
            let ours = array
                .iter()
                .position(|v| v.as_inline_table().is_some_and(|t| is_default(t)))
                .or_else(|| array.iter().position(|v| v.as_inline_table().is_some_and(|t| named_ours(t))));
            if let Some(Value::InlineTable(table)) = ours.and_then(|i| array.get_mut(i)) {
                take_over(table, index_url);
                if !is_default(table) {
                    table.insert("default", Value::from(true));
                }
                found = true;
            }
        }
        _ => {}
    }
    // The deprecated top-level key is set wherever it is; alone, it is the default index.
    if doc.contains_key("index-url") {
        set_str(doc.as_table_mut(), "index-url", index_url);
        found = true;
    }
    if !found {
        match doc.get_mut("index") {
            Some(Item::ArrayOfTables(aot)) => aot.push(new_index(index_url)),
            Some(Item::Value(Value::Array(array))) => array.push(new_index(index_url).into_inline_table()),
            _ => {
                let mut aot = ArrayOfTables::new();
                aot.push(new_index(index_url));
                doc.insert("index", Item::ArrayOfTables(aot));
            }
        }
    }
    Ok(doc.to_string())
}

fn named_ours(table: &dyn TableLike) -> bool {
    table.get("name").and_then(Item::as_str) == Some(NAME)
}

fn new_index(url: &str) -> Table {
    let mut table = Table::new();
    table.insert("name", value(NAME));
    table.insert("url", value(url));
    table.insert("default", value(true));
    table
}

/// The index uv uses by default per this text: the `[[index]]` with `default = true`, else the
/// deprecated `index-url`, else `[pip] index-url`; without a trailing `/`.
pub fn index_url(text: &str) -> Result<Option<String>, LineError> {
    let doc = parse_toml(text)?;
    check(&doc, text)?;
    let url_of =
        |t: &dyn TableLike| is_default(t).then(|| t.get("url").and_then(Item::as_str)).flatten().map(str::to_owned);
    let default = match doc.get("index") {
        Some(Item::ArrayOfTables(aot)) => aot.iter().find_map(|t| url_of(t)),
        Some(Item::Value(Value::Array(array))) => {
            array.iter().filter_map(Value::as_inline_table).find_map(|t: &InlineTable| url_of(t))
        }
        _ => None,
    };
    let url = default.or_else(|| doc.get("index-url").and_then(Item::as_str).map(str::to_owned)).or_else(|| {
        doc.get("pip")
            .and_then(Item::as_table_like)
            .and_then(|p| p.get("index-url"))
            .and_then(Item::as_str)
            .map(str::to_owned)
    });
    Ok(url.map(|u| u.trim_end_matches('/').to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::testing::{self, context};

    const FULL: &str = include_str!("../../tests/fixtures/uv/uv.toml");
    const DEPRECATED: &str = include_str!("../../tests/fixtures/uv/deprecated.toml");
    const NAMED: &str = include_str!("../../tests/fixtures/uv/named-index.toml");
    const INLINE: &str = include_str!("../../tests/fixtures/uv/inline-index.toml");
    const MALFORMED: &str = include_str!("../../tests/fixtures/uv/malformed.toml");
    const PIP_ONLY: &str = include_str!("../../tests/fixtures/uv/pip-only.toml");

    const TUNA: &str = "https://mirrors.tuna.tsinghua.edu.cn/pypi/web/simple";
    const USTC: &str = "https://mirrors.ustc.edu.cn/pypi/simple";
    const PYPI: &str = "https://pypi.org/simple";

    fn site(id: &str, repos: &str) -> Site {
        testing::site(id, &format!("[repos]\n{repos}\n"))
    }

    fn ok(input: Option<&str>, url: &str) -> String {
        render(input, url).unwrap()
    }

    fn fixtures() -> [(&'static str, &'static str); 6] {
        [
            ("uv.toml", FULL),
            ("pip-only.toml", PIP_ONLY),
            ("deprecated.toml", DEPRECATED),
            ("named-index.toml", NAMED),
            ("inline-index.toml", INLINE),
            ("empty", ""),
        ]
    }

    #[test]
    fn snapshots() {
        insta::assert_snapshot!("full_ustc", ok(Some(FULL), USTC));
        insta::assert_snapshot!("deprecated_tuna", ok(Some(DEPRECATED), TUNA));
        insta::assert_snapshot!("named_tuna", ok(Some(NAMED), TUNA));
        insta::assert_snapshot!("inline_tuna", ok(Some(INLINE), TUNA));
        insta::assert_snapshot!("full_upstream", ok(Some(FULL), PYPI));
    }

    #[test]
    fn missing_file_gets_one_default_index() {
        let expected = format!("[[index]]\nname = \"mirror\"\nurl = \"{TUNA}\"\ndefault = true\n");
        assert_eq!(ok(None, TUNA), expected);
        assert_eq!(ok(Some(""), TUNA), expected);
        assert_eq!(ok(Some("native-tls = true"), TUNA), format!("native-tls = true\n\n{expected}"));
    }

    #[test]
    fn every_fixture_is_idempotent_reads_back_and_site_order_does_not_matter() {
        for (name, text) in fixtures() {
            for url in [TUNA, USTC, PYPI] {
                let once = ok(Some(text), url);
                assert_eq!(ok(Some(&once), url), once, "{name} {url}");
                assert_eq!(index_url(&once).unwrap().as_deref(), Some(url), "{name}");
                for first in [TUNA, USTC, PYPI] {
                    assert_eq!(ok(Some(&ok(Some(text), first)), url), once, "{name}: {first} then {url}");
                }
            }
        }
    }

    #[test]
    fn deprecated_keys_are_set_and_no_index_is_added() {
        let out = ok(Some(DEPRECATED), USTC);
        assert!(!out.contains("\n[[index]]"), "{out}");
        assert!(out.contains(&format!("index-url = \"{USTC}\"")), "{out}");
        let inline = "index = [{ name = \"a\", url = \"https://a/simple\" }]\n";
        assert_eq!(
            ok(Some(inline), USTC),
            format!(
                "index = [{{ name = \"a\", url = \"https://a/simple\" }}, {{ name = \"mirror\", url = \"{USTC}\", default = true }}]\n"
            )
        );
    }

    #[test]
    fn every_key_naming_an_index_follows() {
        let text = "index-url = \"https://old.example/simple\"\n\n[[index]]\nname = \"aliyun\"\nurl = \"https://mirrors.aliyun.com/pypi/simple/\"\ndefault = true\n";
        let out = ok(Some(text), TUNA);
        assert!(!out.contains("old.example") && !out.contains("aliyun"), "{out}");
    }

    #[test]
    fn a_pip_section_alone_gets_a_default_index_too() {
        // `[pip] index-url` is read by `uv pip` only: `uv add`, `uv lock` and `uv sync` need
        // the default `[[index]]`.
        let out = ok(Some(PIP_ONLY), TUNA);
        assert_eq!(
            out,
            format!(
                "# ~/.config/uv/uv.toml, written from a \"uv 换源\" blog post\n[pip]\nindex-url = \"{TUNA}\"\nextra-index-url = [\"https://download.pytorch.org/whl/cu121\"]\n\n[[index]]\nname = \"mirror\"\nurl = \"{TUNA}\"\ndefault = true\n"
            )
        );
        let out = ok(Some("[pip]\nindex-url = 'https://old/simple/'\n"), USTC);
        assert_eq!(
            out,
            format!(
                "[pip]\nindex-url = \"{USTC}\"\n\n[[index]]\nname = \"mirror\"\nurl = \"{USTC}\"\ndefault = true\n"
            )
        );
        assert_eq!(index_url(&out).unwrap().as_deref(), Some(USTC));
    }

    #[test]
    fn the_default_index_is_called_mirror_after_any_site() {
        for url in [TUNA, PYPI] {
            let out = ok(Some(FULL), url);
            assert!(
                out.contains(&format!(
                    "[[index]]\nname = \"mirror\"\nurl = \"{url}\"   # fast from Hangzhou\ndefault = true\n"
                )),
                "{out}"
            );
            assert!(!out.contains("aliyun\""), "{out}");
            // The corp index is not the default one: it keeps its name.
            assert!(out.contains("name = \"corp\""), "{out}");
        }
        // An unnamed default index stays unnamed.
        let text = "[[index]]\nurl = \"https://mirrors.tuna.tsinghua.edu.cn/pypi/web/simple/\"\ndefault = true\n";
        assert_eq!(ok(Some(text), USTC), format!("[[index]]\nurl = \"{USTC}\"\ndefault = true\n"));
        // A non-default index named `mirror` next to another default one is refused.
        let text = "[[index]]\nname = \"aliyun\"\nurl = \"https://a/simple\"\ndefault = true\n\n[[index]]\nname = \"mirror\"\nurl = \"https://b/simple\"\nexplicit = true\n";
        let e = render(Some(text), TUNA).unwrap_err();
        assert_eq!(e.line, Some(6), "{e:?}");
        assert!(e.message.contains("named `mirror` is not the default index"), "{e:?}");
        // Alone, it is `mirror`'s: it becomes the default.
        let text = "[[index]]\nname = \"mirror\"\nurl = \"https://b/simple\"\n";
        assert_eq!(ok(Some(text), TUNA), format!("[[index]]\nname = \"mirror\"\nurl = \"{TUNA}\"\ndefault = true\n"));
    }

    #[test]
    fn a_byte_order_mark_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let xdg = dir.path().join("xdg");
        let ctx = context(dir.path(), &[("XDG_CONFIG_HOME", xdg.display().to_string())]);
        let file = xdg.join("uv/uv.toml");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, format!("\u{feff}{FULL}")).unwrap();
        let tuna = site("tuna", &format!("pypi = \"{TUNA}\""));
        let edits = plan(&ctx, &tuna).unwrap();
        let after = String::from_utf8(edits[0].after.clone().unwrap()).unwrap();
        assert_eq!(after, format!("\u{feff}{}", ok(Some(FULL), TUNA)));
        std::fs::write(&file, &after).unwrap();
        assert_eq!(Uv.current(&ctx, &Host::default()).unwrap().url.as_deref(), Some(TUNA));
        assert!(!plan(&ctx, &tuna).unwrap()[0].is_change());
    }

    #[test]
    fn default_index_keeps_keys_and_comments() {
        let text = "[[index]]\nname = \"corp\"  # ours\nurl = \"https://old/simple\"   # was old\ndefault = true\nauthenticate = \"never\"\n";
        assert_eq!(
            ok(Some(text), TUNA),
            format!(
                "[[index]]\nname = \"mirror\"  # ours\nurl = \"{TUNA}\"   # was old\ndefault = true\nauthenticate = \"never\"\n"
            )
        );
        // A default entry without a url gets one.
        assert_eq!(
            ok(Some("[[index]]\nname = \"x\"\ndefault = true\n"), TUNA),
            format!("[[index]]\nname = \"mirror\"\ndefault = true\nurl = \"{TUNA}\"\n")
        );
        // The same value in another quote style is left as written.
        let literal = format!("[[index]]\nname = \"mirror\"\nurl = '{TUNA}'\ndefault = true\n");
        assert_eq!(ok(Some(&literal), TUNA), literal);
    }

    #[test]
    fn malformed_and_wrong_types_name_the_line() {
        for (text, line, what) in [
            (MALFORMED, 4, "invalid"),
            ("a = 1\nindex-url = 5\n", 2, "`index-url` must be a string"),
            ("index = \"https://x\"\n", 1, "`index` must be an array of tables"),
            ("[index]\nurl = \"x\"\n", 1, "`index` must be an array of tables"),
            ("index = [1]\n", 1, "`index` must be an array of tables"),
            ("\n[[index]]\nname = \"a\"\nurl = 5\n", 4, "`index.url` must be a string"),
            ("[[index]]\nurl = \"x\"\ndefault = \"yes\"\n", 3, "`index.default`"),
            ("pip = 1\n", 1, "`pip` must be a table"),
            ("[pip]\n\nindex-url = true\n", 3, "`pip.index-url` must be a string"),
        ] {
            let e = render(Some(text), TUNA).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e:?}");
            assert!(e.message.contains(what), "{text:?}: {e:?}");
            assert_eq!(index_url(text).unwrap_err(), e);
        }
    }

    // --- plan / current / present against a fake home ---

    fn plan(ctx: &Context, site: &Site) -> Result<Vec<FileEdit>> {
        Uv.plan(ctx, &Host::default(), &Request { site, upstream: None, security: false })
    }

    #[test]
    fn plan_and_current_in_a_fake_home() {
        let dir = tempfile::tempdir().unwrap();
        let xdg = dir.path().join("xdg");
        let ctx = context(dir.path(), &[("XDG_CONFIG_HOME", xdg.display().to_string())]);
        let h = Host::default();
        assert!(!Uv.present(&ctx, &h));
        assert_eq!(Uv.current(&ctx, &h).unwrap(), Current::default());

        let tuna = site("tuna", &format!("pypi = \"{TUNA}/\""));
        let edits = plan(&ctx, &tuna).unwrap();
        let file = xdg.join("uv/uv.toml");
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].path, file);
        assert_eq!(edits[0].before, None);

        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, edits[0].after.as_ref().unwrap()).unwrap();
        assert!(Uv.present(&ctx, &h));
        let cur = Uv.current(&ctx, &h).unwrap();
        assert_eq!(cur.files, std::slice::from_ref(&file));
        assert_eq!(cur.url, Uv.endpoint(&tuna, &h));
        assert!(!plan(&ctx, &tuna).unwrap()[0].is_change());

        let upstream = site("upstream", &format!("pypi = \"{PYPI}\""));
        assert_eq!(Uv.endpoint(&upstream, &h).as_deref(), Some(PYPI));
        let back = plan(&ctx, &upstream).unwrap();
        assert!(String::from_utf8_lossy(back[0].after.as_ref().unwrap()).contains(PYPI));

        let bare = site("bare", "debian = \"https://b.example/debian\"");
        assert_eq!(Uv.endpoint(&bare, &h), None);
        assert!(plan(&ctx, &bare).is_err());

        std::fs::write(&file, MALFORMED).unwrap();
        let e = crate::error::render(&plan(&ctx, &tuna).unwrap_err());
        assert!(e.contains(&format!("could not parse `{}` line 4", file.display())), "{e}");
        assert!(Uv.current(&ctx, &h).is_err());
    }

    #[test]
    fn every_builtin_site_renders_and_reads_back() {
        let catalog = crate::catalog::Catalog::builtin().unwrap();
        for site in catalog.sites() {
            let Some(url) = Uv.endpoint(site, &Host::default()) else {
                continue;
            };
            for (name, text) in fixtures() {
                let out = ok(Some(text), &url);
                assert_eq!(ok(Some(&out), &url), out, "{} {name}", site.id);
                assert_eq!(index_url(&out).unwrap(), Some(url.clone()), "{}", site.id);
            }
        }
    }

    #[test]
    fn installed_uv_is_present() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path(), &[]);
        let bin = dir.path().join("root/usr/local/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("uv"), "").unwrap();
        assert!(Uv.present(&ctx, &Host::default()));
    }
}
