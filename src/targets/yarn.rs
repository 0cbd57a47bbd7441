//! Yarn: `registry "…"` in Yarn 1's `~/.yarnrc`, and `npmRegistryServer` in Yarn 2+'s
//! `~/.yarnrc.yml`.
//!
//! Yarn 1 reads only `.yarnrc` (and `.npmrc`), Yarn 2+ only `.yarnrc.yml`; which one runs
//! depends on the project (corepack), so the target edits each of the two files that exists,
//! and creates both when neither does. Both are edited line by line:
//!
//! - `.yarnrc` (Yarn 1's own lockfile syntax, `key value` per line): the top-level
//!   `registry` line gets the new URL (quoted, as `yarn config set` writes it), or one is
//!   appended. A quoted key (`"registry"`) counts too. Refused with the line: an unclosed
//!   quote, a `registry` without a value, and a `registry:` that opens a nested block.
//! - `.yarnrc.yml` (YAML, checked with a YAML parser first): the top-level
//!   `npmRegistryServer:` line gets the new URL as a double-quoted string, an inline comment
//!   kept; or one is appended. A key written any other way (quoted, in a flow mapping, its
//!   value on the next line) is refused with its line, as is a file that is not a YAML
//!   mapping. Yarn 2+ refuses plain `http://` registries unless the host is in
//!   `unsafeHttpWhitelist`; `mirror` says so when it writes one.

use std::path::PathBuf;

use anyhow::Result;

use super::common::{endpoint, exists, newline_of, split_eol, yaml_top_keys};
use super::{Bom, Current, FileEdit, Host, LineError, Request, Target, edit_of, read_config, read_from};
use crate::catalog::{Repo, Site};
use crate::context::Context;

pub struct Yarn;

fn classic(ctx: &Context) -> PathBuf {
    ctx.home.join(".yarnrc")
}

fn berry(ctx: &Context) -> PathBuf {
    ctx.home.join(".yarnrc.yml")
}

impl Target for Yarn {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.has_program("yarn") || ctx.has_program("yarnpkg") || exists(&classic(ctx)) || exists(&berry(ctx))
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Npm)
    }

    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let url = self.endpoint(req.site, host).ok_or_else(|| super::npm::not_served(req.site))?;
        let (c, b) = (classic(ctx), berry(ctx));
        let (c_text, b_text) = (read_config(ctx, &c)?, read_config(ctx, &b)?);
        let neither = c_text.is_none() && b_text.is_none();
        let mut edits = Vec::new();
        if c_text.is_some() || neither {
            edits.push(edit_of(c, c_text, Bom::Keep, |t, _| render_classic(t, &url))?);
        }
        if b_text.is_some() || neither {
            let mut e = edit_of(b.clone(), b_text, Bom::Keep, |t, _| render_berry(t, &url))?;
            if url.starts_with("http://") {
                e.notes.push(format!(
                    "`{}`: Yarn 2+ refuses a plain-http registry unless its host is in `unsafeHttpWhitelist`",
                    b.display()
                ));
            }
            edits.push(e);
        }
        Ok(edits)
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        let mut current = Current::default();
        for (path, read) in [
            (berry(ctx), berry_registry as fn(&str) -> Result<Option<String>, LineError>),
            (classic(ctx), classic_registry),
        ] {
            let Some(url) = read_from(ctx, &path, Bom::Keep, read)? else {
                continue;
            };
            if current.url.is_none() {
                current.url = url;
            }
            current.files.push(path);
        }
        Ok(current)
    }
}

/// Reads a Yarn 1 token (a quoted string or a bare word) at the start of `s`: the token and
/// the rest of the line, or an error for an unclosed quote.
fn token(s: &str, key: bool) -> Result<(String, &str), String> {
    if let Some(body) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, n)) = chars.next() {
                        out.push(n);
                    }
                }
                '"' => return Ok((out, &body[i + 1..])),
                c => out.push(c),
            }
        }
        return Err(format!("the string `{s}` has no closing `\"`"));
    }
    let end = s.find(|c: char| c.is_whitespace() || (key && c == ':')).unwrap_or(s.len());
    Ok((s[..end].to_owned(), &s[end..]))
}

/// Top-level `registry` lines of a `.yarnrc`: (line index, value).
fn classic_lines(text: &str) -> Result<Vec<(usize, String)>, LineError> {
    let lines: Vec<&str> = text.split_inclusive('\n').map(|l| split_eol(l).0).collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') || line.starts_with([' ', '\t']) {
            continue;
        }
        let (key, rest) = token(t, true).map_err(|m| LineError::at(i + 1, m))?;
        if key != "registry" {
            continue;
        }
        let rest = rest.trim();
        let nested = lines.get(i + 1).is_some_and(|n| n.starts_with([' ', '\t']) && !n.trim().is_empty());
        if rest == ":" || (rest.is_empty() && nested) {
            return Err(LineError::at(
                i + 1,
                "`registry` opens a nested block here; Yarn 1 wants `registry \"<url>\"`",
            ));
        }
        let rest = rest.strip_prefix(':').map_or(rest, str::trim_start);
        if rest.is_empty() {
            return Err(LineError::at(i + 1, "`registry` has no value"));
        }
        let (value, tail) = token(rest, false).map_err(|m| LineError::at(i + 1, m))?;
        if !tail.trim().is_empty() && !tail.trim_start().starts_with('#') {
            return Err(LineError::at(i + 1, format!("`{t}` has more than one value after `registry`")));
        }
        found.push((i, value));
    }
    Ok(found)
}

/// The registry a `.yarnrc` sets (the last top-level one), without a trailing `/`.
pub fn classic_registry(text: &str) -> Result<Option<String>, LineError> {
    Ok(classic_lines(text)?.pop().map(|(_, v)| v.trim_end_matches('/').to_owned()))
}

/// Sets `registry` in `.yarnrc` text; `None` is a missing file.
pub fn render_classic(input: Option<&str>, url: &str) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    let found = classic_lines(text)?;
    let nl = newline_of(text);
    let new = format!("registry \"{url}\"");
    let mut out = String::new();
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let (line, eol) = split_eol(raw);
        if let Some((_, value)) = found.iter().find(|(k, _)| *k == i) {
            let keep_quoted = value == url && line.contains(&format!("\"{url}\""));
            out.push_str(if keep_quoted { line } else { &new });
            out.push_str(if eol.is_empty() { nl } else { eol });
        } else {
            out.push_str(raw);
        }
    }
    if found.is_empty() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(nl);
        }
        out.push_str(&new);
        out.push_str(nl);
    }
    Ok(out)
}

const KEY: &str = "npmRegistryServer";

/// The `npmRegistryServer` line of a `.yarnrc.yml`: (line index, start and end of the value).
fn berry_line(text: &str) -> Result<Option<(usize, usize, usize)>, LineError> {
    let keys = yaml_top_keys(text)?;
    let mut at = keys.iter().filter(|(k, _)| k == KEY).map(|(_, l)| *l);
    let Some(line_no) = at.next() else {
        return Ok(None);
    };
    if let Some(twice) = at.next() {
        return Err(LineError::at(twice, format!("`{KEY}` is set twice")));
    }
    let line = text.split_inclusive('\n').nth(line_no - 1).map(|l| split_eol(l).0).unwrap_or_default();
    let refuse = || {
        LineError::at(
            line_no,
            format!(
                "`{KEY}` is not written as `{KEY}: <url>` on one line at the top level, which is how `mirror` edits it"
            ),
        )
    };
    let rest = line.strip_prefix(KEY).and_then(|r| r.strip_prefix(':')).ok_or_else(refuse)?;
    let start = line.len() - rest.len() + (rest.len() - rest.trim_start().len());
    let value = &line[start..];
    let len = if let Some(q @ ('"' | '\'')) = value.chars().next() {
        value[1..].find(q).map(|i| i + 2).ok_or_else(refuse)?
    } else {
        let end = value.find(" #").unwrap_or(value.len());
        value[..end].trim_end().len()
    };
    if len == 0 {
        return Err(refuse());
    }
    Ok(Some((line_no - 1, start, start + len)))
}

fn yaml_unquote(v: &str) -> String {
    let v = v.trim();
    if let Some(inner) = v.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        return inner.replace("\\\"", "\"").replace("\\\\", "\\");
    }
    if let Some(inner) = v.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return inner.replace("''", "'");
    }
    v.to_owned()
}

/// The registry a `.yarnrc.yml` sets, without a trailing `/`.
pub fn berry_registry(text: &str) -> Result<Option<String>, LineError> {
    Ok(berry_line(text)?.map(|(i, s, e)| {
        let line = text.split_inclusive('\n').nth(i).unwrap_or_default();
        yaml_unquote(&line[s..e]).trim_end_matches('/').to_owned()
    }))
}

/// Sets `npmRegistryServer` in `.yarnrc.yml` text; `None` is a missing file.
pub fn render_berry(input: Option<&str>, url: &str) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    let found = berry_line(text)?;
    let nl = newline_of(text);
    let quoted = format!("\"{}\"", url.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = String::new();
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        match found {
            Some((k, s, e)) if k == i => {
                let (line, eol) = split_eol(raw);
                let same = yaml_unquote(&line[s..e]) == url;
                out.push_str(&line[..s]);
                out.push_str(if same { &line[s..e] } else { &quoted });
                out.push_str(&line[e..]);
                out.push_str(if eol.is_empty() { nl } else { eol });
            }
            _ => out.push_str(raw),
        }
    }
    if found.is_none() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(nl);
        }
        out.push_str(&format!("{KEY}: {quoted}{nl}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::testing::{context, site};

    const URL: &str = "https://registry.npmmirror.com";

    /// What `yarn config set` leaves in `~/.yarnrc` (Yarn 1.22).
    const YARNRC: &str = "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\nlastUpdateCheck 1733011200000\nregistry \"https://registry.yarnpkg.com\"\n\"--install.frozen-lockfile\" true\n";

    /// A `~/.yarnrc.yml` of a Yarn 4 user.
    const YARNRC_YML: &str = "# Yarn 4 user settings\nenableTelemetry: false\nnpmRegistryServer: \"https://registry.yarnpkg.com\" # the default\nnpmScopes:\n  mycorp:\n    npmRegistryServer: \"https://npm.corp.example\"\n    npmAuthToken: \"${CORP_NPM_TOKEN}\"\nunsafeHttpWhitelist:\n  - \"*.corp.example\"\n";

    #[test]
    fn classic_registry_line_is_replaced() {
        let out = render_classic(Some(YARNRC), URL).unwrap();
        assert_eq!(out, YARNRC.replace("registry \"https://registry.yarnpkg.com\"", &format!("registry \"{URL}\"")));
        assert_eq!(render_classic(Some(&out), URL).unwrap(), out);
        assert_eq!(classic_registry(&out).unwrap().as_deref(), Some(URL));
        assert_eq!(render_classic(None, URL).unwrap(), format!("registry \"{URL}\"\n"));
        assert_eq!(classic_registry("\"registry\" https://a/\n").unwrap().as_deref(), Some("https://a"));
    }

    #[test]
    fn berry_key_is_replaced_and_scoped_ones_stay() {
        let out = render_berry(Some(YARNRC_YML), URL).unwrap();
        assert_eq!(
            out,
            YARNRC_YML.replace(
                "npmRegistryServer: \"https://registry.yarnpkg.com\" #",
                &format!("npmRegistryServer: \"{URL}\" #")
            )
        );
        assert!(out.contains("    npmRegistryServer: \"https://npm.corp.example\""));
        assert_eq!(render_berry(Some(&out), URL).unwrap(), out);
        assert_eq!(berry_registry(&out).unwrap().as_deref(), Some(URL));
        assert_eq!(
            render_berry(Some("enableTelemetry: false"), URL).unwrap(),
            format!("enableTelemetry: false\nnpmRegistryServer: \"{URL}\"\n")
        );
        assert_eq!(berry_registry("npmRegistryServer: https://a/ # x\n").unwrap().as_deref(), Some("https://a"));
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, line, what) in [
            ("lastUpdateCheck 1\nregistry \"https://a\n", 2, "no closing"),
            ("registry\n", 1, "no value"),
            ("registry:\n  foo bar\n", 1, "nested block"),
            ("registry a b\n", 1, "more than one value"),
        ] {
            let e = render_classic(Some(text), URL).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e:?}");
            assert!(e.message.contains(what), "{text:?}: {e:?}");
        }
        for (text, line, what) in [
            ("enableTelemetry: false\nnpmRegistryServer: [\n", 2, ""),
            ("\"npmRegistryServer\": \"https://a\"\n", 1, "on one line at the top level"),
            ("npmRegistryServer:\n  \"https://a\"\n", 1, "on one line"),
            ("npmRegistryServer: a\nnpmRegistryServer: b\n", 2, "twice"),
            ("- a\n- b\n", 1, "not a YAML mapping"),
        ] {
            let e = render_berry(Some(text), URL).unwrap_err();
            assert!(e.line.is_some_and(|l| l >= line.min(2) - 1 && l <= line + 1), "{text:?}: {e:?}");
            assert!(e.message.contains(what), "{text:?}: {e:?}");
        }
    }

    #[test]
    fn plan_edits_the_files_that_exist_or_creates_both() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path(), &[]);
        let mirror = site("npmmirror", "[repos]\nnpm = \"https://registry.npmmirror.com\"\n");
        let req = Request { site: &mirror, upstream: None, security: false };
        let edits = Yarn.plan(&ctx, &Host::default(), &req).unwrap();
        assert_eq!(edits.len(), 2);
        std::fs::write(dir.path().join("home/.yarnrc.yml"), YARNRC_YML).unwrap_or_else(|_| {
            std::fs::create_dir_all(dir.path().join("home")).unwrap();
            std::fs::write(dir.path().join("home/.yarnrc.yml"), YARNRC_YML).unwrap();
        });
        let edits = Yarn.plan(&ctx, &Host::default(), &req).unwrap();
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].path, dir.path().join("home/.yarnrc.yml"));
    }
}
