//! uv: the default index in the user's `uv.toml`.
//!
//! The file is `$XDG_CONFIG_HOME/uv/uv.toml` (`~/.config/uv/uv.toml`). uv reads neither
//! pip.conf nor `PIP_INDEX_URL`. [`render`] edits the file with `toml_edit`, so comments,
//! key order and formatting are kept:
//!
//! - the `[[index]]` entry with `default = true` gets the new `url` (its `name` and other keys
//!   are kept);
//! - the deprecated top-level `index-url` and `[pip] index-url` are set too where present, so
//!   no older setting keeps pointing at another index;
//! - when none of the three exists, `[[index]]` with `name = "mirror"`, the `url` and
//!   `default = true` is appended. Other (named, non-default) indexes are left alone.

use std::path::PathBuf;

use anyhow::Result;
use toml_edit::{ArrayOfTables, Document, DocumentMut, InlineTable, Item, Table, TableLike, Value, value};

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
        path(ctx).symlink_metadata().is_ok() || ctx.has_program("uv")
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        site.repo(Repo::Pypi).map(|u| u.trim_end_matches('/').to_owned())
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

/// Sets a string, keeping the value's comments and spacing; an equal value is left as
/// written (quote style included).
fn set_str(table: &mut dyn TableLike, key: &str, new: &str) {
    match table.get_mut(key) {
        Some(Item::Value(v)) => {
            if v.as_str() == Some(new) {
                return;
            }
            let decor = v.decor().clone();
            *v = Value::from(new);
            *v.decor_mut() = decor;
        }
        _ => {
            table.insert(key, value(new));
        }
    }
}

/// Points uv's default index at `index_url`; `None` is a missing file. Idempotent; see the
/// module documentation for the rules.
pub fn render(input: Option<&str>, index_url: &str) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    let doc = parse_toml(text)?;
    check(&doc, text)?;
    let mut doc: DocumentMut = doc.into_mut();

    let mut found = false;
    if doc.contains_key("index-url") {
        set_str(doc.as_table_mut(), "index-url", index_url);
        found = true;
    }
    if let Some(pip) = doc.get_mut("pip").and_then(Item::as_table_like_mut)
        && pip.contains_key("index-url")
    {
        set_str(pip, "index-url", index_url);
        found = true;
    }
    match doc.get_mut("index") {
        Some(Item::ArrayOfTables(aot)) => {
            if let Some(table) = aot.iter_mut().find(|t| is_default(*t)) {
                set_str(table, "url", index_url);
                found = true;
            } else if !found {
                aot.push(new_index(index_url));
                found = true;
            }
        }
        Some(Item::Value(Value::Array(array))) => {
            let default = array.iter_mut().find_map(|v| match v {
                Value::InlineTable(t) if is_default(t) => Some(t),
                _ => None,
            });
            if let Some(table) = default {
                set_str(table, "url", index_url);
                found = true;
            } else if !found {
                array.push(new_index(index_url).into_inline_table());
                found = true;
            }
        }
        _ => {}
    }
    if !found {
        let mut aot = ArrayOfTables::new();
        aot.push(new_index(index_url));
        doc.insert("index", Item::ArrayOfTables(aot));
    }
    Ok(doc.to_string())
}

fn new_index(url: &str) -> Table {
    let mut table = Table::new();
    table.insert("name", value("mirror"));
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

    const TUNA: &str = "https://mirrors.tuna.tsinghua.edu.cn/pypi/web/simple";
    const USTC: &str = "https://mirrors.ustc.edu.cn/pypi/simple";
    const PYPI: &str = "https://pypi.org/simple";

    fn site(id: &str, repos: &str) -> Site {
        testing::site(id, &format!("[repos]\n{repos}\n"))
    }

    fn ok(input: Option<&str>, url: &str) -> String {
        render(input, url).unwrap()
    }

    fn fixtures() -> [(&'static str, &'static str); 5] {
        [
            ("uv.toml", FULL),
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
        let out = ok(Some("[pip]\nindex-url = 'https://old/simple/'\n"), USTC);
        assert_eq!(out, format!("[pip]\nindex-url = \"{USTC}\"\n"));
    }

    #[test]
    fn default_index_keeps_name_keys_and_comments() {
        let text = "[[index]]\nname = \"corp\"  # ours\nurl = \"https://old/simple\"   # was old\ndefault = true\nauthenticate = \"never\"\n";
        assert_eq!(
            ok(Some(text), TUNA),
            format!(
                "[[index]]\nname = \"corp\"  # ours\nurl = \"{TUNA}\"   # was old\ndefault = true\nauthenticate = \"never\"\n"
            )
        );
        // A default entry without a url gets one.
        assert_eq!(
            ok(Some("[[index]]\nname = \"x\"\ndefault = true\n"), TUNA),
            format!("[[index]]\nname = \"x\"\ndefault = true\nurl = \"{TUNA}\"\n")
        );
        // The same value in another quote style is left as written.
        let literal = format!("[[index]]\nname = \"x\"\nurl = '{TUNA}'\ndefault = true\n");
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
