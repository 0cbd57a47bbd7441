//! The `.repo` files of dnf/yum (`/etc/yum.repos.d`) and zypper (`/etc/zypp/repos.d`): one
//! INI family, read the way libdnf's and libzypp's parsers read it, and edited line by line so
//! that every byte outside the changed lines stays as it was.
//!
//! Grammar: `[section]` headers; `key=value` lines (spaces around `=` allowed); `#` or `;`
//! comments; a line that starts with a space or tab continues the value of the key above it
//! (dnf's `baseurl` may list several URLs that way, or separated by spaces or commas). A key
//! outside any section, a section given twice, an unterminated header or a line that is none
//! of these is an error naming its line: `mirror` does not guess at a file the package
//! manager may read differently.
//!
//! The targets decide which sections are the distribution's own, from the root their
//! `baseurl` (or a commented-out `#baseurl=`) lies under; this module finds the URLs and
//! writes the changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::common::below;
use super::{LineError, read_config};
use crate::catalog::Repo;
use crate::context::Context;
use crate::error::Problem;

/// One line of a repo file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Blank,
    Comment,
    Header(String),
    /// `key = value`: the key (lowercase) and the byte range of the value in the line.
    Key(String, std::ops::Range<usize>),
    /// A continuation of the key above: the byte range of its text in the line.
    More(std::ops::Range<usize>),
}

#[derive(Debug, Clone)]
struct Line<'a> {
    /// The line without its `\n` (a `\r` stays).
    text: &'a str,
    kind: Kind,
}

/// A parsed repo file.
#[derive(Debug, Clone)]
pub struct RepoFile<'a> {
    lines: Vec<Line<'a>>,
    trailing_newline: bool,
    sections: Vec<Section>,
}

/// One `[section]`: its name and its lines (indexes into the file, the header excluded).
#[derive(Debug, Clone)]
pub struct Section {
    pub name: String,
    pub header: usize,
    pub body: std::ops::Range<usize>,
}

/// A `key=value` of a section, active or commented out (`#key=value`, `# key = value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The line of the key.
    pub line: usize,
    /// Continuation lines that belong to it.
    pub more: Vec<usize>,
    pub commented: bool,
    /// The URLs of the value (split on whitespace and commas).
    pub urls: Vec<String>,
}

const COMMENTABLE: &[&str] = &["baseurl", "metalink", "mirrorlist"];

fn strip_cr(line: &str) -> &str {
    line.strip_suffix('\r').unwrap_or(line)
}

/// A commented-out `key=value` for one of [`COMMENTABLE`]: the key and the value.
fn commented_setting(line: &str) -> Option<(&'static str, &str)> {
    let body = strip_cr(line).trim_start().strip_prefix('#')?.trim_start_matches('#').trim_start();
    let (key, value) = body.split_once('=')?;
    let key = key.trim();
    let value = value.trim();
    let known = COMMENTABLE.iter().find(|k| k.eq_ignore_ascii_case(key))?;
    (!value.is_empty()).then_some((*known, value))
}

fn urls_of(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

impl<'a> RepoFile<'a> {
    pub fn parse(text: &'a str) -> Result<Self, LineError> {
        let trailing_newline = text.ends_with('\n');
        let body = text.strip_suffix('\n').unwrap_or(text);
        let raw: Vec<&str> = if text.is_empty() { Vec::new() } else { body.split('\n').collect() };
        let mut lines = Vec::with_capacity(raw.len());
        let mut sections: Vec<Section> = Vec::new();
        // Whether the line above holds a value a continuation line may extend.
        let mut open_value = false;
        for (i, line) in raw.iter().enumerate() {
            let n = i + 1;
            let t = strip_cr(line);
            let trimmed = t.trim();
            let kind = if trimmed.is_empty() {
                open_value = false;
                Kind::Blank
            } else if trimmed.starts_with('#') || trimmed.starts_with(';') {
                Kind::Comment
            } else if t.starts_with([' ', '\t']) && open_value {
                let start = t.len() - t.trim_start().len();
                Kind::More(start..t.trim_end().len())
            } else if trimmed.starts_with('[') {
                let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) else {
                    return Err(LineError::at(n, format!("`{trimmed}` is not a `[section]` header")));
                };
                let name = name.trim();
                if name.is_empty() || name.contains(['[', ']']) {
                    return Err(LineError::at(n, format!("`{trimmed}` is not a `[section]` header")));
                }
                if let Some(first) = sections.iter().find(|s| s.name == name) {
                    return Err(LineError::at(
                        n,
                        format!("section `[{name}]` is given twice (also on line {})", first.header + 1),
                    ));
                }
                if let Some(last) = sections.last_mut() {
                    last.body.end = i;
                }
                sections.push(Section { name: name.to_owned(), header: i, body: i + 1..raw.len() });
                open_value = false;
                Kind::Header(name.to_owned())
            } else if let Some((key, _)) = t.split_once('=') {
                let key = key.trim();
                if key.is_empty() || key.contains(char::is_whitespace) {
                    return Err(LineError::at(n, format!("`{trimmed}` has no key before `=`")));
                }
                if sections.is_empty() {
                    return Err(LineError::at(
                        n,
                        format!("`{key}` comes before any `[section]`; every setting belongs to a repository"),
                    ));
                }
                let eq = t.find('=').expect("split above");
                let rest = &t[eq + 1..];
                let start = eq + 1 + (rest.len() - rest.trim_start().len());
                let end = t.trim_end().len().max(start);
                open_value = true;
                Kind::Key(key.to_ascii_lowercase(), start..end)
            } else {
                return Err(LineError::at(
                    n,
                    format!("`{trimmed}` is neither `key=value`, a `[section]` header nor a comment"),
                ));
            };
            lines.push(Line { text: line, kind });
        }
        Ok(Self { lines, trailing_newline, sections })
    }

    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// The value of `key` in `section` (the first one; continuation lines joined by a space).
    pub fn value(&self, section: &Section, key: &str) -> Option<String> {
        self.settings(section, key).into_iter().find(|s| !s.commented).map(|s| {
            let mut v = self.value_text(s.line).to_owned();
            for m in &s.more {
                v.push(' ');
                v.push_str(self.value_text(*m));
            }
            v
        })
    }

    fn value_text(&self, line: usize) -> &str {
        let l = &self.lines[line];
        match &l.kind {
            Kind::Key(_, r) | Kind::More(r) => &strip_cr(l.text)[r.clone()],
            _ => "",
        }
    }

    /// Every `key` of `section`, active and (for `baseurl`, `metalink`, `mirrorlist`)
    /// commented out, in file order.
    pub fn settings(&self, section: &Section, key: &str) -> Vec<Setting> {
        let mut out: Vec<Setting> = Vec::new();
        let mut current: Option<usize> = None;
        for i in section.body.clone() {
            match &self.lines[i].kind {
                Kind::Key(k, r) => {
                    current = None;
                    if k == key {
                        let text = &strip_cr(self.lines[i].text)[r.clone()];
                        out.push(Setting { line: i, more: Vec::new(), commented: false, urls: urls_of(text) });
                        current = Some(out.len() - 1);
                    }
                }
                Kind::More(r) => {
                    if let Some(c) = current {
                        out[c].more.push(i);
                        out[c].urls.extend(urls_of(&strip_cr(self.lines[i].text)[r.clone()]));
                    }
                }
                Kind::Comment => {
                    current = None;
                    if let Some((k, v)) = commented_setting(self.lines[i].text)
                        && k == key
                    {
                        out.push(Setting { line: i, more: Vec::new(), commented: true, urls: urls_of(v) });
                    }
                }
                Kind::Blank | Kind::Header(_) => current = None,
            }
        }
        out
    }

    /// The line ending the file uses.
    fn eol(&self) -> &'static str {
        if self.lines.iter().any(|l| l.text.ends_with('\r')) { "\r" } else { "" }
    }
}

/// Changes to a repo file, applied all at once by [`Edits::apply`].
#[derive(Debug, Default, Clone)]
pub struct Edits {
    /// Lines replaced (`None`: removed).
    replace: Vec<(usize, Option<String>)>,
    /// Lines inserted after a line.
    insert: Vec<(usize, String)>,
}

impl Edits {
    /// The setting's lines with `url_map` applied to every URL it maps; the key, its spacing
    /// and the other URLs are kept. `commented` sets whether the line is commented out.
    pub fn set_urls(
        &mut self,
        file: &RepoFile<'_>,
        setting: &Setting,
        commented: bool,
        url_map: &dyn Fn(&str) -> Option<String>,
    ) {
        let eol = file.eol();
        let mut lines = vec![setting.line];
        lines.extend(&setting.more);
        for (n, &i) in lines.iter().enumerate() {
            let original = strip_cr(file.lines[i].text);
            let mut text = if setting.commented && n == 0 {
                // `#baseurl=…`, `# baseurl = …`: the line without its comment marks.
                original.trim_start().trim_start_matches('#').trim_start().to_owned()
            } else {
                original.to_owned()
            };
            let value_start = if n == 0 { text.find('=').map_or(0, |e| e + 1) } else { 0 };
            let (head, value) = text.split_at(value_start);
            let mut new_value = value.to_owned();
            for url in urls_of(value) {
                if let Some(new) = url_map(&url)
                    && new != url
                {
                    new_value = new_value.replacen(&url, &new, 1);
                }
            }
            text = format!("{head}{new_value}");
            if commented && n == 0 {
                text = format!("#{text}");
            }
            if text != original || (setting.commented && !commented && n == 0) {
                self.replace.push((i, Some(format!("{text}{eol}"))));
            }
        }
    }

    /// Comments the line out (`#` in front).
    pub fn comment(&mut self, file: &RepoFile<'_>, line: usize) {
        self.replace.push((line, Some(format!("#{}", file.lines[line].text))));
    }

    /// Takes the comment marks off a commented-out setting.
    pub fn uncomment(&mut self, file: &RepoFile<'_>, line: usize) {
        let text = file.lines[line].text.trim_start().trim_start_matches('#').trim_start();
        self.replace.push((line, Some(text.to_owned())));
    }

    /// Inserts `key=value` after `line`.
    pub fn insert_after(&mut self, file: &RepoFile<'_>, line: usize, text: &str) {
        self.insert.push((line, format!("{text}{}", file.eol())));
    }

    /// The file with the edits.
    pub fn apply(&self, file: &RepoFile<'_>) -> String {
        let mut out: Vec<String> = Vec::with_capacity(file.lines.len() + self.insert.len());
        for (i, line) in file.lines.iter().enumerate() {
            match self.replace.iter().rev().find(|(l, _)| *l == i) {
                Some((_, Some(new))) => out.push(new.clone()),
                Some((_, None)) => {}
                None => out.push(line.text.to_owned()),
            }
            for (_, text) in self.insert.iter().filter(|(l, _)| *l == i) {
                out.push(text.clone());
            }
        }
        let mut text = out.join("\n");
        if file.trailing_newline && !text.is_empty() {
            text.push('\n');
        }
        text
    }
}

/// Where a repository URL lies: the root it is under (as listed) and the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed<'r, T> {
    pub what: &'r T,
    /// Path segments below the root (`$releasever` and the like kept literally).
    pub rest: Vec<String>,
    pub slash: bool,
}

/// The root of `roots` that `url` lies under (the longest one), with the rest of its path.
pub fn place<'r, T>(url: &str, roots: &'r [(String, T)]) -> Option<Placed<'r, T>> {
    roots
        .iter()
        .filter_map(|(root, what)| below(url, root).map(|rest| (root.len(), Placed { what, rest, slash: false })))
        .max_by_key(|(len, _)| *len)
        .map(|(_, mut p)| {
            p.slash = url.ends_with('/');
            p
        })
}

/// `root` followed by `rest` (and a final `/` when `slash`).
pub fn join(root: &str, rest: &[String], slash: bool) -> String {
    let mut out = root.trim_end_matches('/').to_owned();
    for seg in rest {
        out.push('/');
        out.push_str(seg);
    }
    if slash {
        out.push('/');
    }
    out
}

/// The `*.repo` files of a folder under the root, sorted by name, with their text; an empty
/// list when the folder does not exist.
pub fn read_dir_files(ctx: &Context, dir: &Path) -> Result<Vec<(PathBuf, String)>> {
    let mut names = Vec::new();
    match std::fs::read_dir(dir) {
        Ok(listing) => {
            for entry in listing {
                let entry = entry.map_err(|e| {
                    anyhow::Error::new(e).context(Problem::bad(format!("could not read `{}`", dir.display())))
                })?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(".repo") && !name.starts_with('.') {
                    names.push(name);
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(anyhow::Error::new(e).context(
                Problem::bad(format!("could not read `{}`", dir.display()))
                    .hint("run the same command with `sudo`, or fix the folder's permissions"),
            ));
        }
    }
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let path = dir.join(&name);
        if let Some(text) = read_config(ctx, &path)? {
            out.push((path, text));
        }
    }
    Ok(out)
}

/// Where a section's repository lies: the repository, the path below its root, and whether
/// the URL ends in `/`.
pub type Located = (Repo, Vec<String>, bool);

/// Finds a section's repository from a metalink or mirrorlist URL.
pub type FromMetalink = dyn Fn(&str) -> Option<Located>;

/// What a rewrite of repo files needs.
pub struct Rewrite<'r> {
    /// Every root a URL of the distribution's repositories may lie under (the official
    /// servers and every catalog site's URL), with the repository it is.
    pub roots: &'r [(String, Repo)],
    /// Where each repository goes; a repository not listed is left as it is.
    pub dest: &'r BTreeMap<Repo, String>,
    /// Whether `metalink=`/`mirrorlist=` lines are commented out for a mirror and brought back
    /// on `use upstream` (dnf).
    pub metalinks: bool,
    /// `use upstream`: where a commented-out metalink or mirrorlist is found, it comes back
    /// and `baseurl` is commented out.
    pub upstream: bool,
    /// The repository and path of a section that names no `baseurl` at all, from its metalink
    /// (CentOS Stream's stock files have only metalinks).
    pub from_metalink: &'r FromMetalink,
    /// Whether a URL placed under a root is the distribution's own (zypper: not the OBS
    /// `repositories/` tree, which mirrors do not carry).
    pub own: &'r dyn Fn(&Placed<'_, Repo>) -> bool,
    /// Why a section of the distribution is left alone (zypper: managed by a service).
    pub hands_off: &'r dyn Fn(&RepoFile<'_>, &Section) -> Option<String>,
}

/// What a rewrite found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub text: String,
    /// The repository of each of the distribution's sections.
    pub own: Vec<Repo>,
    /// Warnings: sections kept as they are, and why.
    pub notes: Vec<String>,
}

/// Whether a section is enabled (`enabled` absent means yes, for dnf and zypper).
pub fn enabled(file: &RepoFile<'_>, section: &Section) -> bool {
    file.value(section, "enabled").is_none_or(|v| !matches!(v.trim(), "0" | "no" | "false" | "False"))
}

/// Where a section's repository URL lies: from its active `baseurl`, else a commented-out
/// one, else its metalink or mirrorlist.
fn locate(file: &RepoFile<'_>, section: &Section, rw: &Rewrite<'_>) -> Option<Located> {
    let base = file.settings(section, "baseurl");
    let placed = |commented: bool| {
        base.iter()
            .filter(|s| s.commented == commented)
            .flat_map(|s| s.urls.iter())
            .find_map(|u| place(u, rw.roots).filter(|p| (rw.own)(p)))
            .map(|p| (*p.what, p.rest, p.slash))
    };
    placed(false).or_else(|| placed(true)).or_else(|| {
        ["metalink", "mirrorlist"]
            .iter()
            .flat_map(|k| file.settings(section, k))
            .flat_map(|s| s.urls)
            .find_map(|u| (rw.from_metalink)(&u))
    })
}

/// Rewrites one repo file (`name` is how notes name it).
pub fn rewrite(name: &str, text: &str, rw: &Rewrite<'_>) -> Result<Outcome, LineError> {
    let file = RepoFile::parse(text)?;
    let mut edits = Edits::default();
    let mut out = Outcome::default();
    for section in file.sections() {
        let Some((repo, rest, slash)) = locate(&file, section, rw) else { continue };
        out.own.push(repo);
        if let Some(why) = (rw.hands_off)(&file, section) {
            out.notes.push(format!("`{name}` [{}]: kept as it is: {why}", section.name));
            continue;
        }
        let Some(dest) = rw.dest.get(&repo) else {
            out.notes
                .push(format!("`{name}` [{}]: kept on its server: the site does not serve `{repo}`", section.name));
            continue;
        };
        let map = |u: &str| {
            place(u, rw.roots).filter(|p| *p.what == repo && (rw.own)(p)).map(|p| join(dest, &p.rest, p.slash))
        };
        let base = file.settings(section, "baseurl");
        let metas: Vec<Setting> = ["metalink", "mirrorlist"].iter().flat_map(|k| file.settings(section, k)).collect();
        let active_meta = metas.iter().any(|m| !m.commented);
        if rw.metalinks && rw.upstream {
            if let Some(m) = metas.iter().find(|m| m.commented).filter(|_| !active_meta) {
                // Back to the metalink the stock file had; baseurl is commented out again.
                edits.uncomment(&file, m.line);
                for b in base.iter().filter(|b| !b.commented) {
                    edits.set_urls(&file, b, true, &map);
                }
                continue;
            }
            if active_meta && base.iter().all(|b| b.commented) {
                continue;
            }
        }
        if base.iter().any(|b| !b.commented) {
            for b in base.iter().filter(|b| !b.commented) {
                edits.set_urls(&file, b, false, &map);
            }
        } else if let Some(b) = base.iter().find(|b| b.urls.iter().any(|u| map(u).is_some())) {
            edits.set_urls(&file, b, false, &map);
        } else if let Some(m) = metas.first() {
            edits.insert_after(&file, m.line, &format!("baseurl={}", join(dest, &rest, slash)));
        }
        if rw.metalinks && !rw.upstream {
            for m in metas.iter().filter(|m| !m.commented) {
                edits.comment(&file, m.line);
            }
        }
    }
    out.text = edits.apply(&file);
    Ok(out)
}

/// The root the first enabled section of `main` reads from: a root of `roots` as listed, or
/// `None` when that section has no `baseurl` (its metalink, the package manager's default).
/// `Ok(None)` also when no section of `main` is found.
pub fn current(text: &str, rw: &Rewrite<'_>, main: Repo) -> Result<Option<Option<String>>, LineError> {
    let file = RepoFile::parse(text)?;
    for section in file.sections() {
        let Some((repo, _, _)) = locate(&file, section, rw) else { continue };
        if repo != main || !enabled(&file, section) {
            continue;
        }
        let url =
            file.settings(section, "baseurl").iter().filter(|b| !b.commented).flat_map(|b| b.urls.iter()).find_map(
                |u| {
                    rw.roots
                        .iter()
                        .filter(|(root, r)| *r == main && below(u, root).is_some())
                        .max_by_key(|(root, _)| root.len())
                        .map(|(root, _)| root.trim_end_matches('/').to_owned())
                },
            );
        return Ok(Some(url));
    }
    Ok(None)
}

/// What the repo files of `dir` point at: the files holding the distribution's sections,
/// the one read first, and the root of `main` in it (see [`current`]).
pub fn current_of(ctx: &Context, dir: &Path, rw: &Rewrite<'_>, main: Repo) -> Result<super::Current> {
    let mut out = super::Current::default();
    let mut seen = false;
    for (path, text) in read_dir_files(ctx, dir)? {
        let found = current(&text, rw, main).map_err(|e| e.into_problem(&path))?;
        let file = RepoFile::parse(&text).map_err(|e| e.into_problem(&path))?;
        let own = file.sections().iter().any(|s| locate(&file, s, rw).is_some());
        match found {
            Some(url) if !seen => {
                seen = true;
                out.url = url;
                out.files.insert(0, path);
            }
            _ if own => out.files.push(path),
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# comment\n[a]\nname=A\nbaseurl=http://x/a/\n  http://y/a/\n#metalink=https://m/?repo=a\n\n[b]\n; other\nbaseurl = https://z/b\n";

    #[test]
    fn settings_and_values() {
        let f = RepoFile::parse(TEXT).unwrap();
        let names: Vec<&str> = f.sections().iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let a = &f.sections()[0];
        assert_eq!(f.value(a, "baseurl").as_deref(), Some("http://x/a/ http://y/a/"));
        let base = f.settings(a, "baseurl");
        assert_eq!(base.len(), 1);
        assert_eq!(base[0].urls, ["http://x/a/", "http://y/a/"]);
        let meta = f.settings(a, "metalink");
        assert!(meta[0].commented);
        assert_eq!(f.value(&f.sections()[1], "baseurl").as_deref(), Some("https://z/b"));
    }

    #[test]
    fn edits_keep_every_other_byte() {
        let f = RepoFile::parse(TEXT).unwrap();
        let a = &f.sections()[0];
        let mut e = Edits::default();
        let base = &f.settings(a, "baseurl")[0];
        e.set_urls(&f, base, false, &|u| u.strip_prefix("http://x/").map(|r| format!("https://m/{r}")));
        e.uncomment(&f, f.settings(a, "metalink")[0].line);
        let out = e.apply(&f);
        assert_eq!(out, TEXT.replace("http://x/a/", "https://m/a/").replace("#metalink", "metalink"));
        assert_eq!(Edits::default().apply(&f), TEXT);
        let crlf = TEXT.replace('\n', "\r\n");
        let f = RepoFile::parse(&crlf).unwrap();
        let mut e = Edits::default();
        e.comment(&f, f.settings(&f.sections()[1], "baseurl")[0].line);
        e.insert_after(&f, 2, "x=1");
        assert_eq!(
            e.apply(&f),
            crlf.replace("name=A\r\n", "name=A\r\nx=1\r\n").replace("baseurl = https", "#baseurl = https")
        );
    }

    #[test]
    fn malformed_lines_name_the_line() {
        for (text, line, what) in [
            ("name=x\n", 1, "comes before any `[section]`"),
            ("[a]\nname=x\n[a]\n", 3, "section `[a]` is given twice (also on line 1)"),
            ("[a\n", 1, "is not a `[section]` header"),
            ("[]\n", 1, "is not a `[section]` header"),
            ("[a]\nbaseurl http://x/\n", 2, "neither `key=value`"),
            ("[a]\n=x\n", 2, "has no key before `=`"),
        ] {
            let e = RepoFile::parse(text).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}");
            assert!(e.message.contains(what), "{text:?}: {}", e.message);
        }
    }

    #[test]
    fn roots_and_joins() {
        let roots = vec![
            ("http://download.example/pub/fedora/linux".to_owned(), 1),
            ("http://download.example/pub".to_owned(), 2),
        ];
        let p =
            place("https://download.example/pub/fedora/linux/releases/$releasever/Everything/$basearch/os/", &roots)
                .unwrap();
        assert_eq!(*p.what, 1);
        assert!(p.slash);
        assert_eq!(
            join("https://m/fedora/", &p.rest, p.slash),
            "https://m/fedora/releases/$releasever/Everything/$basearch/os/"
        );
        assert_eq!(place("http://elsewhere/x", &roots), None);
    }
}
