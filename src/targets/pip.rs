//! pip: `index-url` in the user's `pip.conf`.
//!
//! The file is `$PIP_CONFIG_FILE` when set, else `$XDG_CONFIG_HOME/pip/pip.conf`; when only the
//! legacy `~/.pip/pip.conf` exists, that one is edited. pip reads the file with Python's
//! `configparser`, and [`render`] follows its rules line by line without re-serialising:
//!
//! - `index-url` (pip also accepts `index_url`, any case, or `--index-url`) is set in
//!   `[global]`, keeping the spelling the user wrote; `[global]` is created at the top of the
//!   file when missing. Command sections (`[install]`, `[download]`, …) override `[global]`, so
//!   an `index-url` already in any other section is replaced too (none is added there).
//! - `trusted-host` is only touched for plain `http://` index URLs, the only ones for which
//!   `mirror` adds one, in `[global]` and alike in every section whose `index-url` it replaces:
//!   the host of a replaced plain-http index goes (or gives its place to the new host), and a
//!   plain-http index gets its host (appended to the list, or a new line in `[global]`). A
//!   `trusted-host` written for an https index, or naming other hosts, stays.
//! - `[GLOBAL]`, `[Global]`, …: pip reads section names as written and ignores such a section,
//!   so the file is refused with the line named (adding a second `[global]` beside it would
//!   leave it misleading). Option names are case-insensitive to pip: `Index-Url` is set in place.
//! - A file starting with a UTF-8 byte-order mark is refused: pip cannot read it.
//! - Everything else (comments, blank lines, `extra-index-url`, `timeout`, `cert`, other
//!   sections) is kept byte for byte.
//!
//! Lines `configparser` would reject (a setting before any `[section]`, a line that is neither
//! a header, a `key = value` pair, a continuation, a comment nor blank, an unclosed `[`, a
//! duplicate section or key) are errors naming the line: pip refuses such a file as well.

use std::path::{Path, PathBuf};

use super::common::{endpoint, exists, split_eol};
use super::{Current, FileEdit, Host, LineError, Request, Target, edit, read_config};
use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;
use anyhow::Result;

pub struct Pip;

/// The files pip reads for this user, in the order `mirror` treats them.
struct Files {
    /// The file `mirror` writes `index-url` to.
    main: PathBuf,
    /// The legacy `~/.pip/pip.conf` when it exists next to the current file: pip still reads
    /// it, so an `index-url` it sets in a command section would win over ours.
    legacy: Option<PathBuf>,
}

fn files(ctx: &Context) -> Result<Files> {
    if let Some(file) = &ctx.pip_config_file {
        if file == Path::new("/dev/null") {
            return Err(Problem::bad("`PIP_CONFIG_FILE` is `/dev/null`, which makes pip ignore every config file")
                .hint("unset `PIP_CONFIG_FILE` (or point it at a file), then run the command again")
                .into());
        }
        return Ok(Files { main: file.clone(), legacy: None });
    }
    let current = ctx.config_home.join("pip/pip.conf");
    let legacy = ctx.home.join(".pip/pip.conf");
    Ok(match (exists(&current), exists(&legacy)) {
        (true, true) => Files { main: current, legacy: Some(legacy) },
        (false, true) => Files { main: legacy, legacy: None },
        _ => Files { main: current, legacy: None },
    })
}

impl Target for Pip {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        let file = match files(ctx) {
            Ok(f) => exists(&f.main),
            Err(_) => false,
        };
        file || ctx.has_program("pip") || ctx.has_program("pip3")
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Pypi)
    }

    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let Some(url) = self.endpoint(req.site, host) else {
            return Err(Problem::bad(format!("site `{}` has no PyPI mirror", req.site.id)).into());
        };
        let files = files(ctx)?;
        let before = read_config(ctx, &files.main)?;
        let after = render(before.as_deref(), &url).map_err(|e| e.into_problem(&files.main))?;
        let mut edits = vec![edit(files.main, before, after)];
        if let Some(legacy) = files.legacy
            && let Some(text) = read_config(ctx, &legacy)?
        {
            let parsed = parse(&text).map_err(|e| e.into_problem(&legacy))?;
            if parsed.sets_index_url() {
                let after = rewrite(&parsed, &url, false);
                edits.push(edit(legacy, Some(text), after));
            }
        }
        Ok(edits)
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        let Ok(files) = files(ctx) else {
            // `PIP_CONFIG_FILE=/dev/null`: pip reads no file and uses its default index.
            return Ok(Current::default());
        };
        let mut current = Current::default();
        for path in std::iter::once(files.main).chain(files.legacy) {
            let Some(text) = read_config(ctx, &path)? else {
                continue;
            };
            if current.url.is_none() {
                current.url = index_url(&text).map_err(|e| e.into_problem(&path))?;
            }
            current.files.push(path);
        }
        Ok(current)
    }
}

/// The `index-url` pip uses from this text: `[global]`'s, else `[DEFAULT]`'s, else the first
/// command section's; without a trailing `/`.
pub fn index_url(text: &str) -> Result<Option<String>, LineError> {
    let parsed = parse(text)?;
    let find = |pred: &dyn Fn(&str) -> bool| {
        parsed.keys("index-url").filter(|&i| parsed.section_name(i).is_some_and(pred)).last()
    };
    let line =
        find(&|s| s == "global").or_else(|| find(&|s| s == "DEFAULT")).or_else(|| parsed.keys("index-url").next());
    Ok(line.map(|i| parsed.value(i).trim_end_matches('/').to_owned()))
}

/// Sets `index-url` (and, for `http://`, `trusted-host`) in pip config text; `None` is a
/// missing file. Idempotent; see the module documentation for the rules.
pub fn render(input: Option<&str>, index_url: &str) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    let parsed = parse(text)?;
    // pip reads section names as written: `[GLOBAL]` is not `[global]`, and pip ignores it.
    // Adding a `[global]` beside it, or editing it, would both leave the file misleading.
    if let Some((name, at)) = parsed.sections.iter().find(|(s, _)| s != "global" && s.eq_ignore_ascii_case("global")) {
        return Err(LineError::at(
            at + 1,
            format!(
                "section `[{name}]` is not `[global]`: pip reads section names as written and ignores this one; rename it to `[global]`"
            ),
        ));
    }
    Ok(rewrite(&parsed, index_url, true))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Blank,
    Comment,
    Section(String),
    /// `key = value`: the normalised key and the byte offset where the value starts.
    Key {
        name: String,
        value_at: usize,
    },
    /// An indented line that continues the value of the key on line `key` (0-based).
    Continuation {
        key: usize,
    },
}

#[derive(Debug)]
struct Line<'a> {
    text: &'a str,
    eol: &'a str,
    kind: Kind,
    /// The section the line is in (index into `Parsed::sections`).
    section: Option<usize>,
}

#[derive(Debug)]
struct Parsed<'a> {
    lines: Vec<Line<'a>>,
    /// Section names with the index of their header line.
    sections: Vec<(String, usize)>,
}

impl Parsed<'_> {
    /// Key lines with this normalised name, in file order.
    fn keys<'s>(&'s self, name: &'s str) -> impl Iterator<Item = usize> + 's {
        self.lines
            .iter()
            .enumerate()
            .filter(move |(_, l)| matches!(&l.kind, Kind::Key { name: n, .. } if n == name))
            .map(|(i, _)| i)
    }

    fn section_name(&self, line: usize) -> Option<&str> {
        self.lines[line].section.map(|s| self.sections[s].0.as_str())
    }

    fn in_section(&self, line: usize, section: Option<usize>) -> bool {
        section.is_some() && self.lines[line].section == section
    }

    fn continuations(&self, key: usize) -> impl Iterator<Item = usize> + '_ {
        self.lines
            .iter()
            .enumerate()
            .skip(key + 1)
            .filter(move |(_, l)| l.kind == Kind::Continuation { key })
            .map(|(i, _)| i)
    }

    /// The value of a key as pip sees it: the first line's value and the continuation lines,
    /// joined with newlines.
    fn value(&self, key: usize) -> String {
        let Kind::Key { value_at, .. } = self.lines[key].kind else {
            return String::new();
        };
        let mut parts = vec![self.lines[key].text[value_at..].trim()];
        parts.extend(self.continuations(key).map(|i| self.lines[i].text.trim()));
        parts.join("\n").trim().to_owned()
    }

    fn sets_index_url(&self) -> bool {
        self.keys("index-url").next().is_some()
    }
}

/// pip's key normalisation: case-insensitive, `_` and `-` alike, a leading `--` dropped.
fn normalise(key: &str) -> String {
    let key = key.to_lowercase().replace('_', "-");
    key.strip_prefix("--").map(str::to_owned).unwrap_or(key)
}

/// Classifies every line the way `configparser.RawConfigParser` (what pip uses) reads it.
fn parse(text: &str) -> Result<Parsed<'_>, LineError> {
    let mut lines: Vec<Line<'_>> = Vec::new();
    let mut sections: Vec<(String, usize)> = Vec::new();
    let mut section: Option<usize> = None;
    let mut key: Option<usize> = None;
    let mut key_names: Vec<String> = Vec::new();
    let mut indent_level = 0;
    if text.starts_with('\u{feff}') {
        return Err(LineError::at(
            1,
            "the file starts with a UTF-8 byte-order mark, which pip cannot read (\"File contains no section headers\"); save it without one",
        ));
    }

    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let (line, eol) = split_eol(raw);
        let n = i + 1;
        let trimmed = line.trim();
        let indent = line.len() - line.trim_start().len();
        let kind = if trimmed.starts_with('#') || trimmed.starts_with(';') {
            Kind::Comment
        } else if trimmed.is_empty() {
            Kind::Blank
        } else if let Some(k) = key.filter(|_| indent > indent_level) {
            Kind::Continuation { key: k }
        } else {
            indent_level = indent;
            if trimmed.starts_with('[') {
                let Some(close) = trimmed.rfind(']').filter(|&c| c >= 2) else {
                    return Err(LineError::at(
                        n,
                        format!("`{trimmed}` is not a section header: it has no closing `]`"),
                    ));
                };
                let name = &trimmed[1..close];
                if name != "DEFAULT" && sections.iter().any(|(s, _)| s == name) {
                    return Err(LineError::at(n, format!("section `[{name}]` appears twice; pip refuses such a file")));
                }
                sections.push((name.to_owned(), i));
                section = Some(sections.len() - 1);
                key = None;
                key_names.clear();
                Kind::Section(name.to_owned())
            } else {
                let not_setting = || {
                    LineError::at(
                        n,
                        format!("`{trimmed}` is neither a `[section]` header, a `key = value` setting nor a comment"),
                    )
                };
                let delim = trimmed.find(['=', ':']).ok_or_else(not_setting)?;
                let raw_key = trimmed[..delim].trim_end();
                // configparser would take `index-url https://x` as the key `index-url https`
                // with the value `//x`; no pip option has a space in its name.
                if raw_key.contains(char::is_whitespace) {
                    return Err(not_setting());
                }
                if raw_key.is_empty() {
                    return Err(LineError::at(n, "a setting has no name before the `=`"));
                }
                if section.is_none() {
                    return Err(LineError::at(n, format!("`{raw_key}` is set before any `[section]` header")));
                }
                let lower = raw_key.to_lowercase();
                if key_names.contains(&lower) {
                    return Err(LineError::at(
                        n,
                        format!(
                            "`{raw_key}` is set twice in `[{}]`; pip refuses such a file",
                            sections[section.unwrap_or_default()].0
                        ),
                    ));
                }
                key_names.push(lower);
                key = Some(i);
                let after = indent + delim + 1;
                let value_at = after + (line[after..].len() - line[after..].trim_start().len());
                Kind::Key { name: normalise(raw_key), value_at }
            }
        };
        lines.push(Line { text: line, eol, kind, section });
    }
    Ok(Parsed { lines, sections })
}

/// `host[:port]` of a URL, the form `trusted-host` takes.
fn host_of(url: &str) -> Option<String> {
    super::common::host(url)
}

/// Applies the edits. `add` false only replaces `index-url` where it is set (the legacy file
/// next to the current one); nothing is added and `trusted-host` is left alone.
fn rewrite(parsed: &Parsed<'_>, url: &str, add: bool) -> String {
    let nl = parsed.lines.first().map_or("\n", |l| match l.eol {
        "\r\n" => "\r\n",
        _ => "\n",
    });
    // New text per original line (`None`: deleted), and lines inserted after a line.
    let mut out: Vec<Option<String>> = parsed.lines.iter().map(|l| Some(l.text.to_owned())).collect();
    let mut inserted: Vec<Vec<String>> = vec![Vec::new(); parsed.lines.len()];
    let mut top: Vec<String> = Vec::new();

    let global = parsed.sections.iter().position(|(s, _)| s == "global");

    let set_value = |i: usize, value: &str| -> String {
        let line = &parsed.lines[i];
        let Kind::Key { value_at, .. } = line.kind else { unreachable!("only key lines get values") };
        let prefix = &line.text[..value_at];
        if line.text[value_at..].trim().is_empty() {
            format!("{} {value}", prefix.trim_end())
        } else {
            format!("{prefix}{value}")
        }
    };

    for i in parsed.keys("index-url") {
        out[i] = Some(set_value(i, url));
        for c in parsed.continuations(i) {
            out[c] = None;
        }
    }
    if !add {
        return join(parsed, out, inserted, top, nl);
    }

    // Where `trusted-host` goes if it has to be added: right after `[global] index-url`.
    enum At {
        Top,
        After(usize),
    }
    let index_line = format!("index-url = {url}");
    let index_at = match global {
        None => {
            top.push("[global]".into());
            top.push(index_line);
            At::Top
        }
        Some(g) => match parsed.keys("index-url").filter(|&i| parsed.in_section(i, Some(g))).last() {
            Some(i) => At::After(i),
            None => {
                // After the section's last setting, before trailing comments and blanks.
                let header = parsed.sections[g].1;
                let last = (header..parsed.lines.len())
                    .take_while(|&i| i == header || parsed.lines[i].section == Some(g))
                    .filter(|&i| matches!(parsed.lines[i].kind, Kind::Key { .. } | Kind::Continuation { .. }))
                    .last()
                    .unwrap_or(header);
                inserted[last].push(index_line);
                At::After(last)
            }
        },
    };

    // `trusted-host`, in `[global]` and in every section whose index is replaced: the host of
    // the old index goes when that index was plain http (where `mirror` adds one), and a
    // plain-http index gets its host. Hosts for https indexes, and other hosts, stay.
    let new_host = url.starts_with("http://").then(|| host_of(url)).flatten();
    let mut sections: Vec<usize> = parsed.keys("index-url").filter_map(|i| parsed.lines[i].section).collect();
    sections.extend(global);
    sections.sort_unstable();
    sections.dedup();
    for section in sections {
        let old_host = parsed
            .keys("index-url")
            .filter(|&i| parsed.in_section(i, Some(section)))
            .last()
            .map(|i| parsed.value(i))
            .filter(|old| old.starts_with("http://"))
            .and_then(|old| host_of(&old));
        if old_host == new_host {
            continue;
        }
        let keys: Vec<usize> = parsed.keys("trusted-host").filter(|&i| parsed.in_section(i, Some(section))).collect();
        let listed = |host: &str| keys.iter().any(|&i| parsed.value(i).split_whitespace().any(|h| h == host));
        let mut swapped = false;
        if let Some(old) = &old_host
            && listed(old)
        {
            // The new host takes the old one's place, unless it is listed already.
            let with = new_host.as_deref().filter(|h| !listed(h));
            swapped = with.is_some();
            for &i in &keys {
                swap_host(parsed, &mut out, i, (old, with), &set_value);
            }
        }
        let mut add_line = None;
        if let Some(host) = &new_host
            && !listed(host)
            && !swapped
        {
            match keys.first() {
                Some(&i) => match parsed.continuations(i).last() {
                    // A list written one host per line gets one more line.
                    Some(c) => {
                        let line = parsed.lines[c].text;
                        let indent = &line[..line.len() - line.trim_start().len()];
                        inserted[c].push(format!("{indent}{host}"));
                    }
                    None => {
                        let text = out[i].take().unwrap_or_default();
                        out[i] = Some(if parsed.value(i).is_empty() {
                            set_value(i, host)
                        } else {
                            format!("{} {host}", text.trim_end())
                        });
                    }
                },
                None if Some(section) == global => add_line = Some(format!("trusted-host = {host}")),
                None => {}
            }
        }
        if let (Some(line), At::After(i)) = (&add_line, &index_at) {
            inserted[*i].insert(0, line.clone());
        }
    }
    if global.is_none()
        && let Some(host) = &new_host
    {
        top.push(format!("trusted-host = {host}"));
    }
    if !top.is_empty() && parsed.lines.iter().any(|l| l.kind != Kind::Blank) {
        top.push(String::new());
    }
    join(parsed, out, inserted, top, nl)
}

/// Takes `host` out of the `trusted-host` value on line `key` (its first line and its
/// continuation lines), or puts `with` in its place; lines left without a host are deleted.
fn swap_host(
    parsed: &Parsed<'_>,
    out: &mut [Option<String>],
    key: usize,
    (host, with): (&str, Option<&str>),
    set_value: &dyn Fn(usize, &str) -> String,
) {
    let Kind::Key { value_at, .. } = parsed.lines[key].kind else {
        return;
    };
    let without = |text: &str| -> Option<Vec<String>> {
        let words: Vec<&str> = text.split_whitespace().collect();
        words.contains(&host).then(|| {
            words.into_iter().filter_map(|w| if w == host { with } else { Some(w) }).map(str::to_owned).collect()
        })
    };
    let conts: Vec<usize> = parsed.continuations(key).collect();
    let mut left = 0;
    let mut removed = false;
    for &c in &conts {
        match without(parsed.lines[c].text) {
            Some(rest) if rest.is_empty() => {
                out[c] = None;
                removed = true;
            }
            Some(rest) => {
                let line = parsed.lines[c].text;
                let indent = &line[..line.len() - line.trim_start().len()];
                out[c] = Some(format!("{indent}{}", rest.join(" ")));
                left += rest.len();
                removed = true;
            }
            None => left += parsed.lines[c].text.split_whitespace().count(),
        }
    }
    let first = &parsed.lines[key].text[value_at..];
    match without(first) {
        Some(rest) if rest.is_empty() && left == 0 => {
            out[key] = None;
            for &c in &conts {
                out[c] = None;
            }
        }
        Some(rest) if rest.is_empty() => out[key] = Some(parsed.lines[key].text[..value_at].trim_end().to_owned()),
        Some(rest) => out[key] = Some(set_value(key, &rest.join(" "))),
        None if removed && left == 0 && first.trim().is_empty() => out[key] = None,
        None => {}
    }
}

fn join(
    parsed: &Parsed<'_>,
    out: Vec<Option<String>>,
    inserted: Vec<Vec<String>>,
    top: Vec<String>,
    nl: &str,
) -> String {
    let mut lines: Vec<(String, &str)> = top.into_iter().map(|l| (l, nl)).collect();
    for ((line, orig), extra) in out.into_iter().zip(&parsed.lines).zip(inserted) {
        if let Some(line) = line {
            lines.push((line, orig.eol));
        }
        lines.extend(extra.into_iter().map(|l| (l, nl)));
    }
    let count = lines.len();
    let mut text = String::new();
    for (i, (line, eol)) in lines.into_iter().enumerate() {
        text.push_str(&line);
        text.push_str(if eol.is_empty() && i + 1 < count { nl } else { eol });
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::testing::{self, context};

    const FULL: &str = include_str!("../../tests/fixtures/pip/pip.conf");
    const LEGACY: &str = include_str!("../../tests/fixtures/pip/legacy-pip.conf");
    const UNDERSCORE: &str = include_str!("../../tests/fixtures/pip/index_url.conf");
    const NO_GLOBAL: &str = include_str!("../../tests/fixtures/pip/no-global.conf");
    const HTTP: &str = include_str!("../../tests/fixtures/pip/http-trusted.conf");
    const DEVPI: &str = include_str!("../../tests/fixtures/pip/devpi-both-sections.conf");
    const UPPER_GLOBAL: &str = include_str!("../../tests/fixtures/pip/upper-global.conf");

    const TUNA: &str = "https://mirrors.tuna.tsinghua.edu.cn/pypi/web/simple";
    const USTC: &str = "https://mirrors.ustc.edu.cn/pypi/simple";
    const PYPI: &str = "https://pypi.org/simple";
    const LAN: &str = "http://10.0.0.5:8080/simple";

    fn site(id: &str, repos: &str) -> Site {
        testing::site(id, &format!("allow_http = true\n[repos]\n{repos}\n"))
    }

    fn tuna() -> Site {
        site("tuna", &format!("pypi = \"{TUNA}/\""))
    }

    fn upstream() -> Site {
        site("upstream", &format!("pypi = \"{PYPI}\""))
    }

    fn ok(input: Option<&str>, url: &str) -> String {
        render(input, url).unwrap()
    }

    fn fixtures() -> [(&'static str, &'static str); 6] {
        [
            ("pip.conf", FULL),
            ("devpi-both-sections.conf", DEVPI),
            ("legacy-pip.conf", LEGACY),
            ("index_url.conf", UNDERSCORE),
            ("no-global.conf", NO_GLOBAL),
            ("http-trusted.conf", HTTP),
        ]
    }

    #[test]
    fn full_config_keeps_everything_but_the_index() {
        let out = ok(Some(FULL), TUNA);
        insta::assert_snapshot!("full_tuna", out);
        assert_eq!(index_url(&out).unwrap().as_deref(), Some(TUNA));
    }

    #[test]
    fn legacy_and_underscore_spellings() {
        insta::assert_snapshot!("legacy_ustc", ok(Some(LEGACY), USTC));
        let out = ok(Some(UNDERSCORE), USTC);
        insta::assert_snapshot!("underscore_ustc", out);
        assert!(out.contains(&format!("index_url = {USTC}\n")), "{out}");
        assert!(!out.contains("index-url"), "{out}");
    }

    #[test]
    fn missing_global_section_is_created_at_the_top() {
        insta::assert_snapshot!("no_global_tuna", ok(Some(NO_GLOBAL), TUNA));
        assert_eq!(ok(None, TUNA), format!("[global]\nindex-url = {TUNA}\n"));
        assert_eq!(ok(Some(""), TUNA), format!("[global]\nindex-url = {TUNA}\n"));
        assert_eq!(ok(Some("# only a comment\n"), TUNA), format!("[global]\nindex-url = {TUNA}\n\n# only a comment\n"));
        assert_eq!(ok(Some("[global]\ntimeout = 5"), TUNA), format!("[global]\ntimeout = 5\nindex-url = {TUNA}\n"));
    }

    #[test]
    fn every_fixture_is_idempotent_and_site_order_does_not_matter() {
        for (name, text) in fixtures() {
            for url in [TUNA, USTC, PYPI, LAN] {
                let once = ok(Some(text), url);
                assert_eq!(ok(Some(&once), url), once, "{name} {url}");
                assert_eq!(index_url(&once).unwrap().as_deref(), Some(url), "{name}");
                for first in [TUNA, USTC, PYPI, LAN] {
                    let via = ok(Some(&ok(Some(text), first)), url);
                    // A user's own `trusted-host` line is kept, so going through http
                    // leaves a different (equivalent) line than going there directly.
                    let styled = text.contains("trusted-host") && (first == LAN || url == LAN);
                    if !styled || first == url {
                        assert_eq!(via, once, "{name}: {first} then {url}");
                    }
                }
            }
        }
    }

    #[test]
    fn upstream_writes_pypi() {
        let out = ok(Some(FULL), PYPI);
        insta::assert_snapshot!("full_upstream", out);
        let ctx_site = upstream();
        assert_eq!(Pip.endpoint(&ctx_site, &Host::default()).as_deref(), Some(PYPI));
    }

    #[test]
    fn command_sections_are_replaced_but_never_added() {
        let text = "[global]\ntimeout = 5\n\n[install]\nindex-url = https://old/simple\n    \n[freeze]\ntimeout = 10\n";
        let out = ok(Some(text), USTC);
        assert_eq!(
            out,
            format!(
                "[global]\ntimeout = 5\nindex-url = {USTC}\n\n[install]\nindex-url = {USTC}\n    \n[freeze]\ntimeout = 10\n"
            )
        );
        // Without a [global] index, `current` reads the command section.
        assert_eq!(
            index_url("[install]\nindex-url = https://old/simple/\n").unwrap().as_deref(),
            Some("https://old/simple")
        );
    }

    #[test]
    fn trusted_host_only_for_http() {
        let out = ok(Some("[global]\nindex-url = https://old/simple\n"), LAN);
        assert_eq!(out, format!("[global]\nindex-url = {LAN}\ntrusted-host = 10.0.0.5:8080\n"));
        // Back to https: the host we added goes again.
        assert_eq!(ok(Some(&out), TUNA), format!("[global]\nindex-url = {TUNA}\n"));
        // A user's own trusted-host is kept, and the http host is added to it.
        let own = "[global]\nindex-url = https://old/simple\ntrusted-host = pypi.corp.example\n";
        let out = ok(Some(own), LAN);
        assert!(out.contains("trusted-host = pypi.corp.example 10.0.0.5:8080\n"), "{out}");
        assert_eq!(ok(Some(own), TUNA), own.replace("https://old/simple", TUNA));
        // Missing [global]: both lines in the new section.
        assert_eq!(ok(None, LAN), format!("[global]\nindex-url = {LAN}\ntrusted-host = 10.0.0.5:8080\n"));
        insta::assert_snapshot!("http_trusted_lan", ok(Some(HTTP), LAN));
        insta::assert_snapshot!("http_trusted_tuna", ok(Some(HTTP), TUNA));
    }

    #[test]
    fn trusted_host_is_handled_alike_in_every_section() {
        // Leaving the plain-http devpi: its host goes from [global] and [install] alike.
        let out = ok(Some(DEVPI), TUNA);
        assert_eq!(
            out,
            format!(
                "# the team's devpi cache, plain http inside the office\n[global]\nindex-url = {TUNA}\ntimeout = 30\n\n[install]\nindex-url = {TUNA}\n"
            )
        );
        // To another plain-http index: both sections trust the new host instead.
        let out = ok(Some(DEVPI), LAN);
        assert_eq!(out.matches("trusted-host = 10.0.0.5:8080\n").count(), 2, "{out}");
        assert!(!out.contains("devpi.office.lan"), "{out}");
        // A trusted-host written for an https index (Aliyun's help page) is the user's, not
        // `mirror`'s: it stays, in [global] as in [install].
        let out = ok(Some(LEGACY), USTC);
        assert!(out.contains("trusted-host=mirrors.aliyun.com\n"), "{out}");
        let text = "[global]\nindex-url = https://mirrors.aliyun.com/pypi/simple/\ntrusted-host = mirrors.aliyun.com\n\n[install]\nindex-url = https://mirrors.aliyun.com/pypi/simple/\ntrusted-host = mirrors.aliyun.com\n";
        assert_eq!(ok(Some(text), TUNA), text.replace("https://mirrors.aliyun.com/pypi/simple/", TUNA));
        // A host `mirror` appended to the user's list is the only one taken out again.
        let text = "[global]\nindex-url = https://old/simple\ntrusted-host =\n    pypi.corp.example\n";
        let lan = ok(Some(text), LAN);
        assert_eq!(
            lan,
            format!("[global]\nindex-url = {LAN}\ntrusted-host =\n    pypi.corp.example\n    10.0.0.5:8080\n")
        );
        assert_eq!(ok(Some(&lan), TUNA), text.replace("https://old/simple", TUNA));
        let text = "[global]\nindex-url = https://old/simple\ntrusted-host = pypi.corp.example\n";
        let lan = ok(Some(text), LAN);
        assert_eq!(lan, format!("[global]\nindex-url = {LAN}\ntrusted-host = pypi.corp.example 10.0.0.5:8080\n"));
        assert_eq!(ok(Some(&lan), TUNA), text.replace("https://old/simple", TUNA));
    }

    #[test]
    fn other_spellings_of_global_and_index_url() {
        // `Index-Url` is `index-url` to pip: set in place, no second key or section.
        let text = "[global]\nIndex-Url = https://pypi.tuna.tsinghua.edu.cn/simple\nTimeout = 60\n";
        assert_eq!(ok(Some(text), USTC), format!("[global]\nIndex-Url = {USTC}\nTimeout = 60\n"));
        // `[GLOBAL]` is a section pip ignores: refused, naming it, rather than adding a
        // second `[global]` beside it.
        for text in [UPPER_GLOBAL, "[global]\ntimeout = 5\n\n[Global]\nindex-url = https://x/simple\n"] {
            let e = err(text);
            assert!(e.message.contains("is not `[global]`: pip reads section names as written"), "{e:?}");
            assert!(e.message.contains("rename it to `[global]`"), "{e:?}");
        }
        assert_eq!(err(UPPER_GLOBAL).line, Some(1));
    }

    #[test]
    fn a_byte_order_mark_is_refused_as_pip_refuses_it() {
        let e = err(&format!("\u{feff}{FULL}"));
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("byte-order mark, which pip cannot read"), "{e:?}");
        assert!(index_url(&format!("\u{feff}{FULL}")).is_err());
    }

    #[test]
    fn continuation_lines_follow_configparser() {
        // An indented line after a key continues its value; the whole value is replaced.
        let text = "[global]\nindex-url =\n    https://old/simple\nextra-index-url =\n    https://a/simple\n    https://b/simple\n";
        let out = ok(Some(text), TUNA);
        assert_eq!(
            out,
            format!("[global]\nindex-url = {TUNA}\nextra-index-url =\n    https://a/simple\n    https://b/simple\n")
        );
        // `[install]` indented under a key is part of that value, not a section.
        let text = "[global]\nextra-index-url = https://a/simple\n  [install]\n";
        assert_eq!(
            ok(Some(text), TUNA),
            format!("[global]\nextra-index-url = https://a/simple\n  [install]\nindex-url = {TUNA}\n")
        );
    }

    #[test]
    fn crlf_and_colon_style_are_kept() {
        let text = "[global]\r\nindex-url: https://old/simple\r\ntimeout: 5\r\n";
        assert_eq!(ok(Some(text), USTC), format!("[global]\r\nindex-url: {USTC}\r\ntimeout: 5\r\n"));
        let text = "[global]\r\ntimeout: 5";
        assert_eq!(ok(Some(text), USTC), format!("[global]\r\ntimeout: 5\r\nindex-url = {USTC}\r\n"));
    }

    fn err(text: &str) -> LineError {
        render(Some(text), TUNA).unwrap_err()
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, line, what) in [
            ("index-url = https://x/simple\n[global]\n", 1, "before any `[section]`"),
            ("[global]\ntimeout = 5\njust some words\n", 3, "neither a `[section]`"),
            ("# c\n[global\nindex-url = x\n", 2, "no closing `]`"),
            ("[global]\n= 5\n", 2, "no name"),
            ("[global]\n[install]\n[global]\n", 3, "appears twice"),
            ("[global]\nTimeout = 5\ntimeout = 6\n", 3, "set twice"),
        ] {
            let e = err(text);
            assert_eq!(e.line, Some(line), "{text:?}: {e:?}");
            assert!(e.message.contains(what), "{text:?}: {e:?}");
        }
        let e = err(include_str!("../../tests/fixtures/pip/malformed.conf"));
        assert_eq!(e.line, Some(4), "{e:?}");
        let rendered = crate::error::render(&e.into_problem(Path::new("/home/u/.config/pip/pip.conf")).into());
        assert!(rendered.contains("could not parse `/home/u/.config/pip/pip.conf` line 4"), "{rendered}");
    }

    // --- plan / current / present against a fake home ---

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn plan(ctx: &Context, site: &Site) -> Result<Vec<FileEdit>> {
        Pip.plan(ctx, &Host::default(), &Request { site, upstream: None, security: false })
    }

    fn after(e: &FileEdit) -> String {
        String::from_utf8(e.after.clone().unwrap()).unwrap()
    }

    #[test]
    fn plan_creates_the_xdg_file_when_there_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path(), &[]);
        assert!(!Pip.present(&ctx, &Host::default()));
        let edits = plan(&ctx, &tuna()).unwrap();
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].path, dir.path().join("home/.config/pip/pip.conf"));
        assert_eq!(edits[0].before, None);
        assert_eq!(after(&edits[0]), format!("[global]\nindex-url = {TUNA}\n"));
        let cur = Pip.current(&ctx, &Host::default()).unwrap();
        assert_eq!(cur, Current::default());
        // Installed pip counts as present.
        write(&dir.path().join("root/usr/bin/pip3"), "");
        assert!(Pip.present(&ctx, &Host::default()));
    }

    #[test]
    fn plan_follows_xdg_config_home_then_legacy() {
        let dir = tempfile::tempdir().unwrap();
        let xdg = dir.path().join("xdg");
        let ctx = context(dir.path(), &[("XDG_CONFIG_HOME", xdg.display().to_string())]);
        let legacy = dir.path().join("home/.pip/pip.conf");
        write(&legacy, LEGACY);
        assert!(Pip.present(&ctx, &Host::default()));
        let edits = plan(&ctx, &tuna()).unwrap();
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].path, legacy);
        write(&legacy, &after(&edits[0]));
        let cur = Pip.current(&ctx, &Host::default()).unwrap();
        assert_eq!(cur.files, std::slice::from_ref(&legacy));
        assert_eq!(cur.url.as_deref(), Some(TUNA));
        assert_eq!(cur.url, Pip.endpoint(&tuna(), &Host::default()));

        // With both files, the current one gets [global]; the legacy one is only touched
        // where it sets an index itself (its [install] section would win otherwise).
        let main = xdg.join("pip/pip.conf");
        write(&main, "[global]\ntimeout = 5\n");
        let edits = plan(&ctx, &upstream()).unwrap();
        assert_eq!(edits.len(), 2);
        assert_eq!(edits[0].path, main);
        assert_eq!(after(&edits[0]), format!("[global]\ntimeout = 5\nindex-url = {PYPI}\n"));
        assert_eq!(edits[1].path, legacy);
        assert!(!after(&edits[1]).contains("tuna"), "{}", after(&edits[1]));
        // A legacy file without any index is not part of the plan.
        write(&legacy, "[global]\ntimeout = 60\n");
        assert_eq!(plan(&ctx, &upstream()).unwrap().len(), 1);
    }

    #[test]
    fn pip_config_file_wins_and_dev_null_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("elsewhere.ini");
        write(&file, UNDERSCORE);
        let ctx = context(dir.path(), &[("PIP_CONFIG_FILE", file.display().to_string())]);
        let edits = plan(&ctx, &tuna()).unwrap();
        assert_eq!(edits[0].path, file);
        assert!(edits[0].is_change());

        let ctx = context(dir.path(), &[("PIP_CONFIG_FILE", "/dev/null".into())]);
        let e = crate::error::render(&plan(&ctx, &tuna()).unwrap_err());
        assert!(e.contains("`PIP_CONFIG_FILE` is `/dev/null`"), "{e}");
        assert!(e.contains("hint: unset `PIP_CONFIG_FILE`"), "{e}");
        assert_eq!(Pip.current(&ctx, &Host::default()).unwrap(), Current::default());
    }

    #[test]
    fn plan_refuses_a_malformed_file_and_sites_without_pypi() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path(), &[]);
        let path = dir.path().join("home/.config/pip/pip.conf");
        write(&path, "[global]\nindex-url https://x/simple\n");
        let e = crate::error::render(&plan(&ctx, &tuna()).unwrap_err());
        assert!(e.contains(&format!("could not parse `{}` line 2", path.display())), "{e}");
        assert!(Pip.current(&ctx, &Host::default()).is_err());
        let bare = site("bare", "debian = \"https://b.example/debian\"");
        assert_eq!(Pip.endpoint(&bare, &Host::default()), None);
        assert!(plan(&ctx, &bare).is_err());
    }

    #[test]
    fn every_builtin_site_renders_and_reads_back() {
        let catalog = crate::catalog::Catalog::builtin().unwrap();
        for site in catalog.sites() {
            let Some(url) = Pip.endpoint(site, &Host::default()) else {
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
    fn unchanged_when_already_set() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path(), &[]);
        let path = dir.path().join("home/.config/pip/pip.conf");
        write(&path, &ok(Some(FULL), TUNA));
        let edits = plan(&ctx, &tuna()).unwrap();
        assert!(!edits[0].is_change());
    }
}
