//! npm: `registry=` in the user's `~/.npmrc` (`$NPM_CONFIG_USERCONFIG` when set).
//!
//! npm reads the file with its `ini` parser: `key=value` lines (spaces around `=` allowed),
//! `;` and `#` comments, `[section]` headers (whose keys npm does not use for the registry).
//! [`render`] edits it line by line without re-serialising:
//!
//! - every top-level `registry` line gets the new URL, keeping its spacing and an inline
//!   comment after it; without one, `registry=<url>` is added at the end of the top-level
//!   part (before the first section);
//! - scoped registries (`@scope:registry=`), auth lines (`//host/:_authToken=`) and every
//!   other line stay byte for byte, line endings and a byte-order mark included.
//!
//! Refused with the line named: a `[section` without its `]`, a `registry` line without `=`
//! (npm reads it as `registry=true`), `registry[]=` (an array), and a quoted value whose
//! quote is not closed.
//!
//! pnpm reads `~/.npmrc` too, so the pnpm target uses [`render`] and [`registry`] as well.

use std::path::PathBuf;

use anyhow::Result;

use super::common::{endpoint, exists, split_eol, unquote};
use super::{Current, FileEdit, Host, LineError, Request, Target, current_from, plan_from};
use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Npm;

/// The user `.npmrc`.
pub fn path(ctx: &Context) -> PathBuf {
    ctx.npm_userconfig.clone().unwrap_or_else(|| ctx.home.join(".npmrc"))
}

/// The registry URL of a site as npm writes it: with a trailing `/`.
pub fn registry_url(site: &Site) -> Option<String> {
    endpoint(site, Repo::Npm).map(|u| format!("{u}/"))
}

/// The error for a site without an npm registry.
pub fn not_served(site: &Site) -> anyhow::Error {
    Problem::bad(format!("site `{}` has no npm registry mirror", site.id)).into()
}

impl Target for Npm {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        exists(&path(ctx)) || ctx.has_program("npm")
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Npm)
    }

    fn plan(&self, ctx: &Context, _host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let url = registry_url(req.site).ok_or_else(|| not_served(req.site))?;
        plan_from(ctx, path(ctx), |text| render(text, &url))
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        current_from(ctx, path(ctx), registry)
    }
}

#[derive(Debug)]
struct Line<'a> {
    text: &'a str,
    eol: &'a str,
    /// A top-level `registry` line: where its value starts and ends (an inline comment after).
    registry: Option<(usize, usize)>,
    /// The line opens a `[section]`.
    section: bool,
}

/// Where a value ends: a closing quote for a quoted one, else an inline ` ;`/` #` comment or
/// the end of the line (trailing spaces excluded).
fn value_end(line: &str, start: usize, n: usize) -> Result<usize, LineError> {
    let rest = &line[start..];
    if let Some(q @ ('"' | '\'')) = rest.chars().next() {
        return match rest[1..].find(q) {
            Some(i) => Ok(start + i + 2),
            None => Err(LineError::at(n, format!("the quoted value `{}` has no closing {q}", rest.trim()))),
        };
    }
    let comment = [" ;", " #", "\t;", "\t#"].iter().filter_map(|c| rest.find(c)).min();
    let end = comment.unwrap_or(rest.len());
    Ok(start + rest[..end].trim_end().len())
}

fn parse(text: &str) -> Result<Vec<Line<'_>>, LineError> {
    let mut lines = Vec::new();
    let mut top = true;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let n = i + 1;
        let (line, eol) = split_eol(raw);
        let t = line.trim();
        let mut parsed = Line { text: line, eol, registry: None, section: false };
        if t.is_empty() || t.starts_with(';') || t.starts_with('#') {
        } else if t.starts_with('[') {
            if !t.ends_with(']') {
                return Err(LineError::at(n, format!("`{t}` is not a section header: it has no closing `]`")));
            }
            parsed.section = true;
            top = false;
        } else {
            let (key, has_eq) = match line.split_once('=') {
                Some((k, _)) => (k.trim(), true),
                None => (t, false),
            };
            if key == "registry[]" {
                return Err(LineError::at(
                    n,
                    "`registry[]` makes the registry a list, which npm cannot use; write `registry=<url>`",
                ));
            }
            if key == "registry" && top {
                if !has_eq {
                    return Err(LineError::at(
                        n,
                        "`registry` has no `=` and no value (npm reads it as `registry=true`)",
                    ));
                }
                let eq = line.find('=').unwrap_or_default() + 1;
                let start = eq + (line[eq..].len() - line[eq..].trim_start().len());
                let end = value_end(line, start, n)?;
                parsed.registry = Some((start, end));
            }
        }
        lines.push(parsed);
    }
    Ok(lines)
}

/// The registry the text sets at the top level (the last one, as npm reads it), without a
/// trailing `/`.
pub fn registry(text: &str) -> Result<Option<String>, LineError> {
    let lines = parse(text)?;
    Ok(lines
        .iter()
        .rev()
        .find_map(|l| l.registry.map(|(s, e)| unquote(&l.text[s..e]).trim_end_matches('/').to_owned())))
}

/// Sets the top-level `registry` to `url` in `.npmrc` text; `None` is a missing file.
/// Idempotent; see the module documentation for the rules.
pub fn render(input: Option<&str>, url: &str) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    let lines = parse(text)?;
    let nl = lines.first().map_or("\n", |l| if l.eol == "\r\n" { "\r\n" } else { "\n" });
    let found = lines.iter().any(|l| l.registry.is_some());
    let first_section = lines.iter().position(|l| l.section);
    let mut out = String::with_capacity(text.len() + url.len() + 16);
    let new_line = format!("registry={url}{nl}");
    for (i, l) in lines.iter().enumerate() {
        if !found && Some(i) == first_section {
            out.push_str(&new_line);
        }
        match l.registry {
            Some((s, e)) => {
                out.push_str(&l.text[..s]);
                out.push_str(url);
                out.push_str(&l.text[e..]);
                out.push_str(if l.eol.is_empty() { nl } else { l.eol });
            }
            None => {
                out.push_str(l.text);
                out.push_str(l.eol);
            }
        }
    }
    if !found && first_section.is_none() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(nl);
        }
        out.push_str(&new_line);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIRROR: &str = "https://registry.npmmirror.com/";

    /// A developer's `~/.npmrc` as npm and a few `npm config set` calls leave it.
    pub const REAL: &str = "; npm user config\nregistry=https://registry.npmjs.org/\n@mycorp:registry=https://npm.corp.example/\n//npm.corp.example/:_authToken=${CORP_NPM_TOKEN}\n//registry.npmjs.org/:_authToken=npm_XXXXXXXXXXXXXXXXXXXXXXXX\nsave-exact=true\nfund=false\ninit-author-name=Jane Doe\n";

    #[test]
    fn registry_is_replaced_in_place_and_nothing_else_moves() {
        let out = render(Some(REAL), MIRROR).unwrap();
        assert_eq!(out, REAL.replace("registry=https://registry.npmjs.org/\n@", &format!("registry={MIRROR}\n@")));
        assert_eq!(registry(&out).unwrap().as_deref(), Some("https://registry.npmmirror.com"));
        assert_eq!(render(Some(&out), MIRROR).unwrap(), out, "idempotent");
        // The scoped registry is not the default one.
        assert_eq!(registry("@x:registry=https://a/\n").unwrap(), None);
    }

    #[test]
    fn spacing_quotes_comments_and_crlf_are_kept() {
        let text = "registry = \"https://old.example/\" ; set by hand\r\nfund=false\r\n";
        assert_eq!(render(Some(text), MIRROR).unwrap(), format!("registry = {MIRROR} ; set by hand\r\nfund=false\r\n"));
        assert_eq!(registry(text).unwrap().as_deref(), Some("https://old.example"));
    }

    #[test]
    fn a_missing_registry_is_added_before_the_first_section() {
        assert_eq!(render(None, MIRROR).unwrap(), format!("registry={MIRROR}\n"));
        assert_eq!(render(Some("fund=false"), MIRROR).unwrap(), format!("fund=false\nregistry={MIRROR}\n"));
        let text = "fund=false\n[npm-pkg]\nregistry=ignored\n";
        assert_eq!(
            render(Some(text), MIRROR).unwrap(),
            format!("fund=false\nregistry={MIRROR}\n[npm-pkg]\nregistry=ignored\n")
        );
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, line, what) in [
            ("fund=false\n[section\n", 2, "no closing `]`"),
            ("registry\n", 1, "has no `=`"),
            ("registry[]=https://a/\n", 1, "a list"),
            ("save=true\nregistry=\"https://a/\n", 2, "no closing \""),
        ] {
            let e = render(Some(text), MIRROR).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e:?}");
            assert!(e.message.contains(what), "{text:?}: {e:?}");
        }
    }
}
