//! RubyGems and Bundler: `:sources:` in `~/.gemrc`, and Bundler's mirror of rubygems.org in
//! `~/.bundle/config` (`BUNDLE_MIRROR__HTTPS://RUBYGEMS__ORG/`).
//!
//! `gem` takes its sources from `.gemrc`; Bundler ignores them and fetches what a Gemfile's
//! `source "https://rubygems.org"` names, unless a mirror for that source is configured, which
//! is what `bundle config set --global mirror.https://rubygems.org <url>` writes. Both files
//! are YAML, checked with a YAML parser and edited line by line:
//!
//! - `.gemrc`: the top-level `:sources:` list is replaced by the one site URL (with a
//!   trailing `/`, as `gem sources --add` writes it); comment lines in the list stay, after
//!   it; other keys (`gem: --no-document`, `:backtrace:`) stay. Without `:sources:`, the list
//!   is appended. A `:sources:` that is not a list is refused with its line.
//! - `~/.bundle/config` (edited when it exists or `bundle` is installed): the mirror key's
//!   line is set (or added); `use upstream` removes it. Other settings stay.

use std::path::PathBuf;

use anyhow::Result;

use super::common::{endpoint, exists, newline_of, split_eol, unquote, yaml_top_keys};
use super::{Bom, Current, FileEdit, Host, LineError, Request, Target, edit_of, plan_from, read_config, read_from};
use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Rubygems;

/// Bundler's key for a mirror of rubygems.org.
pub const BUNDLE_KEY: &str = "BUNDLE_MIRROR__HTTPS://RUBYGEMS__ORG/";

fn gemrc(ctx: &Context) -> PathBuf {
    ctx.home.join(".gemrc")
}

fn bundle_config(ctx: &Context) -> PathBuf {
    ctx.home.join(".bundle/config")
}

impl Target for Rubygems {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.has_program("gem") || ctx.has_program("bundle") || exists(&gemrc(ctx)) || exists(&bundle_config(ctx))
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Rubygems)
    }

    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let Some(url) = self.endpoint(req.site, host) else {
            return Err(Problem::bad(format!("site `{}` has no RubyGems mirror", req.site.id)).into());
        };
        let url = format!("{url}/");
        let path = gemrc(ctx);
        let mut edits = plan_from(ctx, path, |t| render_gemrc(t, &url))?;
        let bundle = bundle_config(ctx);
        let before = read_config(ctx, &bundle)?;
        if before.is_some() || ctx.has_program("bundle") {
            let mirror = (!req.site.is_upstream()).then_some(url.as_str());
            if before.is_some() || mirror.is_some() {
                edits.push(edit_of(bundle, before, Bom::Keep, |t, _| render_bundle(t, mirror))?);
            }
        }
        Ok(edits)
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        let mut current = Current::default();
        if let Some(url) = read_from(ctx, &gemrc(ctx), Bom::Keep, source)? {
            current.url = url;
            current.files.push(gemrc(ctx));
        }
        if let Some(bundle) = read_from(ctx, &bundle_config(ctx), Bom::Keep, bundle_mirror)? {
            current.url = current.url.or(bundle);
            current.files.push(bundle_config(ctx));
        }
        Ok(current)
    }
}

/// The `:sources:` block of a `.gemrc`: its first line index, the index after it, the items.
struct Block {
    start: usize,
    end: usize,
    items: Vec<String>,
    comments: Vec<String>,
}

fn sources_block(text: &str) -> Result<Option<Block>, LineError> {
    let keys = yaml_top_keys(text)?;
    let mut at = keys.iter().filter(|(k, _)| k == ":sources").map(|(_, l)| *l);
    let Some(line_no) = at.next() else {
        return Ok(None);
    };
    if let Some(twice) = at.next() {
        return Err(LineError::at(twice, "`:sources:` is set twice"));
    }
    let lines: Vec<&str> = text.split_inclusive('\n').map(|l| split_eol(l).0).collect();
    let start = line_no - 1;
    let head = lines.get(start).copied().unwrap_or_default();
    let refuse = |n: usize, why: &str| LineError::at(n, format!("`:sources:` {why}; `gem` wants a list of URLs"));
    let rest = head
        .strip_prefix(":sources:")
        .ok_or_else(|| refuse(line_no, "is not written as `:sources:` at the start of a line"))?;
    let rest = rest.split(" #").next().unwrap_or_default().trim();
    if !rest.is_empty() {
        let Some(inner) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) else {
            return Err(refuse(line_no, "is not a list"));
        };
        let items = inner.split(',').map(|i| unquote(i).to_owned()).filter(|s| !s.is_empty()).collect();
        return Ok(Some(Block { start, end: start + 1, items, comments: Vec::new() }));
    }
    let mut end = start + 1;
    let (mut items, mut comments) = (Vec::new(), Vec::new());
    while let Some(line) = lines.get(end) {
        let t = line.trim_start();
        if let Some(item) = t.strip_prefix("- ").or_else(|| (t == "-").then_some("")) {
            items.push(unquote(item.split(" #").next().unwrap_or_default()).to_owned());
        } else if t.starts_with('#') {
            comments.push((*line).to_owned());
        } else if t.is_empty() || !line.starts_with([' ', '\t']) {
            break;
        } else {
            return Err(refuse(end + 1, "holds something other than list items"));
        }
        end += 1;
    }
    if items.is_empty() {
        return Err(refuse(line_no, "has no list under it"));
    }
    Ok(Some(Block { start, end, items, comments }))
}

/// The first source of a `.gemrc`, without a trailing `/`.
pub fn source(text: &str) -> Result<Option<String>, LineError> {
    Ok(sources_block(text)?.and_then(|b| b.items.into_iter().next()).map(|s| s.trim_end_matches('/').to_owned()))
}

/// Makes `url` the only source in `.gemrc` text; `None` is a missing file. Idempotent.
pub fn render_gemrc(input: Option<&str>, url: &str) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    let block = sources_block(text)?;
    let nl = newline_of(text);
    let mut new = format!(":sources:{nl}- {url}{nl}");
    let mut out = String::new();
    match block {
        Some(b) => {
            if b.items == [url] && b.end > b.start + 1 {
                return Ok(text.to_owned());
            }
            for c in &b.comments {
                new.push_str(c);
                new.push_str(nl);
            }
            for (i, raw) in text.split_inclusive('\n').enumerate() {
                if i == b.start {
                    out.push_str(&new);
                } else if i < b.start || i >= b.end {
                    out.push_str(raw);
                }
            }
        }
        None => {
            out.push_str(text);
            if !out.is_empty() && !out.ends_with('\n') {
                out.push_str(nl);
            }
            out.push_str(&new);
        }
    }
    Ok(out)
}

/// The mirror of rubygems.org in Bundler's config, without a trailing `/`.
pub fn bundle_mirror(text: &str) -> Result<Option<String>, LineError> {
    Ok(bundle_line(text)?.map(|(_, v)| v.trim_end_matches('/').to_owned()))
}

fn bundle_line(text: &str) -> Result<Option<(usize, String)>, LineError> {
    let keys = yaml_top_keys(text)?;
    let Some(&(_, line_no)) = keys.iter().find(|(k, _)| k == BUNDLE_KEY) else {
        return Ok(None);
    };
    let line = text.split_inclusive('\n').nth(line_no - 1).map(|l| split_eol(l).0).unwrap_or_default();
    let value = line.strip_prefix(BUNDLE_KEY).and_then(|r| r.strip_prefix(':')).ok_or_else(|| {
        LineError::at(line_no, format!("`{BUNDLE_KEY}` is not written as `{BUNDLE_KEY}: \"<url>\"` on one line"))
    })?;
    Ok(Some((line_no - 1, unquote(value).to_owned())))
}

/// Sets (`Some`) or removes Bundler's mirror of rubygems.org; `None` is a missing file.
pub fn render_bundle(input: Option<&str>, mirror: Option<&str>) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    let found = bundle_line(text)?;
    let nl = newline_of(text);
    let new = mirror.map(|m| format!("{BUNDLE_KEY}: \"{m}\"{nl}"));
    let mut out = String::new();
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        match &found {
            Some((k, value)) if *k == i => {
                if mirror == Some(value.as_str()) {
                    out.push_str(raw);
                } else if let Some(n) = &new {
                    out.push_str(n);
                }
            }
            _ => out.push_str(raw),
        }
    }
    if let (None, Some(n)) = (&found, &new) {
        if out.is_empty() {
            out.push_str(&format!("---{nl}"));
        } else if !out.ends_with('\n') {
            out.push_str(nl);
        }
        out.push_str(n);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://gems.ruby-china.com/";

    /// A `~/.gemrc` as `gem sources --add … --remove …` and a hand-added `gem:` line leave it.
    const GEMRC: &str = "---\n:backtrace: false\n:bulk_threshold: 1000\n:sources:\n- https://rubygems.org/\n# - https://gems.corp.example/\n:update_sources: true\n:verbose: true\ngem: --no-document\n";

    /// `~/.bundle/config` after `bundle config set --global jobs 4` and a mirror.
    const BUNDLE: &str = "---\nBUNDLE_JOBS: \"4\"\nBUNDLE_MIRROR__HTTPS://RUBYGEMS__ORG/: \"https://mirrors.tuna.tsinghua.edu.cn/rubygems/\"\n";

    #[test]
    fn gemrc_sources_become_the_site() {
        let out = render_gemrc(Some(GEMRC), URL).unwrap();
        assert_eq!(out, GEMRC.replace("- https://rubygems.org/\n", &format!("- {URL}\n")));
        assert_eq!(render_gemrc(Some(&out), URL).unwrap(), out);
        assert_eq!(source(&out).unwrap().as_deref(), Some("https://gems.ruby-china.com"));
        let two = "---\n:sources:\n  - https://a/\n  - https://b/\ngem: --no-document\n";
        assert_eq!(render_gemrc(Some(two), URL).unwrap(), format!("---\n:sources:\n- {URL}\ngem: --no-document\n"));
        assert_eq!(render_gemrc(Some(":sources: [\"https://a/\"]\n"), URL).unwrap(), format!(":sources:\n- {URL}\n"));
        assert_eq!(render_gemrc(None, URL).unwrap(), format!(":sources:\n- {URL}\n"));
        assert_eq!(
            render_gemrc(Some("gem: --no-document"), URL).unwrap(),
            format!("gem: --no-document\n:sources:\n- {URL}\n")
        );
    }

    #[test]
    fn bundle_mirror_is_set_and_removed() {
        let out = render_bundle(Some(BUNDLE), Some(URL)).unwrap();
        assert_eq!(out, BUNDLE.replace("https://mirrors.tuna.tsinghua.edu.cn/rubygems/", URL));
        assert_eq!(render_bundle(Some(&out), Some(URL)).unwrap(), out);
        assert_eq!(bundle_mirror(&out).unwrap().as_deref(), Some("https://gems.ruby-china.com"));
        assert_eq!(render_bundle(Some(&out), None).unwrap(), "---\nBUNDLE_JOBS: \"4\"\n");
        assert_eq!(render_bundle(None, Some(URL)).unwrap(), format!("---\n{BUNDLE_KEY}: \"{URL}\"\n"));
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, line, what) in [
            ("---\n:sources: https://rubygems.org/\n", 2, "is not a list"),
            ("---\n:sources:\n", 2, "no list"),
            ("---\n:sources:\n- https://a/\n  foo: bar\n", 4, ""),
            ("---\n:sources: [a\n", 2, ""),
            ("- a\n", 1, "not a YAML mapping"),
        ] {
            let e = render_gemrc(Some(text), URL).unwrap_err();
            assert!(e.line.is_some_and(|l| l.abs_diff(line) <= 1), "{text:?}: {e:?}");
            assert!(e.message.contains(what), "{text:?}: {e:?}");
        }
        let e = render_bundle(Some("---\nBUNDLE_JOBS: [\n"), Some(URL)).unwrap_err();
        assert!(e.line.is_some(), "{e:?}");
    }
}
