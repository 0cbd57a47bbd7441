//! conda: `default_channels`, `custom_channels` and `show_channel_urls` in `.condarc`.
//!
//! The file is `$CONDARC` when set, else `~/.condarc`. It is YAML; [`render`] first loads it
//! with yaml-rust2 (refusing what does not parse, or a top level that is not a mapping), then
//! rewrites it line by line so every comment and every key outside the three it owns stays
//! byte for byte. A top-level key's block is its line plus the indented lines, `- ` items and
//! inner comment or blank lines that follow it, up to its last content line.
//!
//! - `default_channels`: when the site serves `pkgs/*` (`pkgs = true`), the block list
//!   `<anaconda>/pkgs/main`, `/pkgs/r`, `/pkgs/msys2`. When it does not (USTC), the key is
//!   left exactly as the user has it: conda keeps using whatever `defaults` pointed at.
//! - `custom_channels`: every channel the site carries maps to its cloud root. Entries for
//!   other channels are kept, except well-known community channels the site does not carry
//!   whose value is not the official `https://conda.anaconda.org`: those were left by a
//!   previous mirror and are removed. Existing entries keep their order and comments; new
//!   ones are appended in the site's order.
//! - `show_channel_urls: true`.
//!
//! Missing keys are appended in that order. `channel_alias` and every other key are never
//! touched.
//!
//! Channel URLs written out in full in `channels` and `mirrored_channels` (as
//! `conda config --add channels https://…/anaconda/cloud/conda-forge/` leaves them) are moved
//! to the site when they are a catalog site's `<anaconda>/pkgs/{main,r,msys2}`,
//! `<anaconda>/cloud/<channel>` or `<cloud>/<channel>` (`http` or `https`, any trailing `/`
//! or subdir kept), or `…/anaconda/pkgs|cloud/…` on a catalog site's host; in place, quoting
//! kept. In `mirrored_channels` the official `conda.anaconda.org` URLs stay: there they are
//! the way back to upstream. A mirror URL that cannot be moved (the site lacks the channel,
//! the mirror is not in the catalog) and a `channel_alias` pointing at a mirror are left as
//! they are, with a warning.
//!
//! The file must be YAML that conda's parser (ruamel.yaml) reads: control characters such as
//! a vertical tab, and tabs where YAML allows only spaces, are refused with the line named,
//! as yaml-rust2 alone would load them. After rewriting, the result is loaded again and must
//! hold exactly the input's settings plus the new values; otherwise nothing is written. A
//! UTF-8 byte-order mark stays in front.

use std::path::PathBuf;

use anyhow::Result;
use yaml_rust2::{Yaml, YamlLoader, yaml::Hash};

use super::common::{self, endpoint, exists};
use super::{Current, FileEdit, Host, LineError, Request, Target, current_from, plan_noted};
use crate::catalog::{Catalog, Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Conda;

/// Where community channels live upstream.
const UPSTREAM_CLOUD: &str = "https://conda.anaconda.org";

/// Community channels that mirror sites carry under their cloud root. An entry for one of
/// them that the new site does not carry came from a previous mirror.
const KNOWN_CHANNELS: &[&str] = &[
    "atztogo",
    "auto",
    "biobakery",
    "bioconda",
    "c4aarch64",
    "caffe2",
    "conda-forge",
    "deepmodeling",
    "dglteam",
    "fastai",
    "fermi",
    "idaholab",
    "matsci",
    "menpo",
    "mordred-descriptor",
    "msys2",
    "numba",
    "nvidia",
    "ohmeta",
    "omnia",
    "Paddle",
    "plotly",
    "psi4",
    "pytorch",
    "pytorch-lts",
    "pytorch-test",
    "pytorch3d",
    "pyviz",
    "qiime2",
    "rapidsai",
    "rdkit",
    "simpleitk",
    "soumith",
    "stackless",
    "ursky",
    "viscid-hub",
];

/// The `pkgs/*` channels a site with `pkgs = true` serves.
const PKGS: [&str; 3] = ["main", "r", "msys2"];

/// What a site wants in `.condarc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Want {
    /// The site's id, for messages.
    pub id: String,
    /// `<anaconda>`, the root of `pkgs/*`.
    pub anaconda: String,
    /// `default_channels` to write, or `None` to leave the key alone (the site does not serve
    /// `pkgs/*`).
    pub default_channels: Option<Vec<String>>,
    /// The root under which the site serves `<channel>/`.
    pub cloud: String,
    /// The community channels the site carries.
    pub channels: Vec<String>,
    /// Whether every community channel is there (the official `conda.anaconda.org`).
    pub any_channel: bool,
}

impl Want {
    pub fn for_site(site: &Site) -> Option<Self> {
        let anaconda = site.repo(Repo::Anaconda)?.trim_end_matches('/');
        let cloud = site.conda_cloud()?.trim_end_matches('/').to_owned();
        let default_channels = site.conda.pkgs.then(|| PKGS.iter().map(|p| format!("{anaconda}/pkgs/{p}")).collect());
        Some(Self {
            id: site.id.clone(),
            anaconda: anaconda.to_owned(),
            default_channels,
            cloud,
            channels: site.conda.channels.clone(),
            any_channel: site.is_upstream(),
        })
    }

    /// The URL of a recognised channel on this site, or why the site does not have it.
    fn url_of(&self, layout: &Layout) -> Result<String, String> {
        match layout {
            Layout::Pkgs(name) if self.default_channels.is_some() && PKGS.contains(&name.as_str()) => {
                Ok(format!("{}/pkgs/{name}", self.anaconda))
            }
            Layout::Pkgs(_) if self.default_channels.is_some() => {
                Err(format!("`{}` serves only pkgs/main, pkgs/r and pkgs/msys2", self.id))
            }
            Layout::Pkgs(_) => Err(format!("`{}` does not serve `pkgs/*`", self.id)),
            Layout::Cloud(name) if self.any_channel || self.channels.contains(name) => {
                Ok(format!("{}/{name}", self.cloud))
            }
            Layout::Cloud(name) => Err(format!("`{}` does not carry `{name}`", self.id)),
        }
    }
}

/// A channel recognised in a URL: `…/anaconda/pkgs/<name>` or `…/anaconda/cloud/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Layout {
    Pkgs(String),
    Cloud(String),
}

/// What the catalog knows of one site, to recognise conda channel URLs written out in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// The official servers (`conda.anaconda.org` is no mirror).
    pub upstream: bool,
    /// `<anaconda>` and the cloud root, when the site serves conda.
    pub roots: Option<(String, String)>,
    /// The hosts of all its repositories: `…/anaconda/pkgs/…` or `…/anaconda/cloud/…` on one of
    /// them is the site's even when the catalog lists no conda mirror for it.
    pub hosts: Vec<String>,
}

impl Known {
    pub fn of(site: &Site) -> Self {
        let roots = site.repo(Repo::Anaconda).zip(site.conda_cloud()).map(|(a, c)| (a.to_owned(), c));
        let mut hosts: Vec<String> = Repo::ALL.iter().filter_map(|r| site.repo(*r)).filter_map(common::host).collect();
        hosts.sort();
        hosts.dedup();
        Self { upstream: site.is_upstream(), roots, hosts }
    }
}

/// A channel URL of a catalog site: the channel, the path after it (a subdir such as
/// `linux-64`), and whether the site is the official one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    layout: Layout,
    rest: Vec<String>,
    upstream: bool,
}

/// The channel a URL names on a catalog site; `None` when the URL is no catalog site's.
fn recognise(url: &str, known: &[Known]) -> Option<Found> {
    let found = recognise_in(url, known)?;
    Some(Found { layout: found.0, rest: found.1, upstream: found.2 })
}

fn recognise_in(url: &str, known: &[Known]) -> Option<(Layout, Vec<String>, bool)> {
    for k in known {
        let Some((anaconda, cloud)) = &k.roots else { continue };
        if let Some((layout, rest)) = common::below(url, anaconda).and_then(|segs| layout_of(&segs)) {
            return Some((layout, rest, k.upstream));
        }
        if let Some([name, rest @ ..]) = common::below(url, cloud).as_deref() {
            return Some((Layout::Cloud(name.clone()), rest.to_vec(), k.upstream));
        }
    }
    let host = common::host(url)?;
    let site = known.iter().find(|k| k.hosts.contains(&host))?;
    mirror_path(url).map(|(layout, rest)| (layout, rest, site.upstream))
}

/// `…/anaconda/pkgs/<name>/…` or `…/anaconda/cloud/<name>/…` anywhere in a URL's path.
fn mirror_path(url: &str) -> Option<(Layout, Vec<String>)> {
    let segs: Vec<String> =
        url::Url::parse(url).ok()?.path_segments()?.filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let at = segs.iter().position(|s| s == "anaconda")?;
    layout_of(&segs[at + 1..])
}

/// `pkgs/<name>/…` or `cloud/<name>/…`: the channel and the path after it.
fn layout_of(segs: &[String]) -> Option<(Layout, Vec<String>)> {
    match segs {
        [kind, name, rest @ ..] if kind == "pkgs" => Some((Layout::Pkgs(name.clone()), rest.to_vec())),
        [kind, name, rest @ ..] if kind == "cloud" => Some((Layout::Cloud(name.clone()), rest.to_vec())),
        _ => None,
    }
}

/// What to do with one URL written in `channels` or `mirrored_channels`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Move {
    /// Not a mirror's URL (a private channel server, a local path): left alone silently.
    Keep,
    To(String),
    /// A mirror's URL the site cannot replace: left alone, with a warning saying why.
    Cannot(String),
}

/// `official` false: the official servers' URLs are kept (in a list of fallbacks, such as
/// `mirrored_channels`, they are the user's way back to upstream, not an earlier choice).
fn move_of(url: &str, want: &Want, known: &[Known], official: bool) -> Move {
    let Some(Found { layout, rest, upstream }) = recognise(url, known) else {
        return if mirror_path(url).is_some() {
            Move::Cannot("it looks like a mirror site the catalog does not know".into())
        } else {
            Move::Keep
        };
    };
    if upstream && !official {
        return Move::Keep;
    }
    match want.url_of(&layout) {
        Ok(mut new) => {
            for seg in &rest {
                new.push('/');
                new.push_str(seg);
            }
            if url.ends_with('/') {
                new.push('/');
            }
            if new == url { Move::Keep } else { Move::To(new) }
        }
        Err(why) => Move::Cannot(why),
    }
}

/// The file conda reads last (and `conda config` writes): `$CONDARC`, else `~/.condarc`.
fn path(ctx: &Context) -> Result<PathBuf> {
    let Some(file) = &ctx.condarc else {
        return Ok(ctx.home.join(".condarc"));
    };
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let read = matches!(name, ".condarc" | "condarc") || name.ends_with(".yml") || name.ends_with(".yaml");
    if !read {
        return Err(Problem::bad(format!(
            "`CONDARC` is `{}`, a file name conda ignores",
            file.display()
        ))
        .hint(
            "conda only reads `$CONDARC` when it is named `.condarc` or `condarc`, or ends in `.yml` or `.yaml`; rename it or unset `CONDARC`",
        )
        .into());
    }
    Ok(file.clone())
}

impl Target for Conda {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        path(ctx).is_ok_and(|p| exists(&p)) || ["conda", "mamba", "micromamba"].iter().any(|p| ctx.has_program(p))
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Anaconda)
    }

    fn plan(&self, ctx: &Context, _host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let Some(want) = Want::for_site(req.site) else {
            return Err(Problem::bad(format!("site `{}` has no Anaconda mirror", req.site.id)).into());
        };
        let known: Vec<Known> = Catalog::load(ctx)?.sites().map(Known::of).collect();
        plan_noted(ctx, path(ctx)?, |text, notes| {
            let (rewritten, found) = literal_channels(text.unwrap_or(""), &want, &known)?;
            *notes = found;
            render(text.map(|_| rewritten.as_str()), &want)
        })
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        current_from(ctx, path(ctx)?, repo_url)
    }
}

/// Loads the text: one document whose top level is a mapping (or nothing).
fn load(text: &str) -> Result<Hash, LineError> {
    check_yaml(text)?;
    let docs = YamlLoader::load_from_str(text).map_err(|e| LineError::at(e.marker().line().max(1), e.info()))?;
    if docs.len() > 1 {
        // The `---` that starts the second document.
        let mut seen = false;
        let mut line = 1;
        for (i, l) in text.lines().enumerate() {
            if l.starts_with("---") {
                if seen {
                    line = i + 1;
                    break;
                }
            } else if !l.trim().is_empty() && !l.trim_start().starts_with('#') {
                seen = true;
            }
        }
        return Err(LineError::at(line, "the file holds more than one YAML document"));
    }
    match docs.into_iter().next() {
        None | Some(Yaml::Null) => Ok(Hash::new()),
        Some(Yaml::Hash(h)) => Ok(h),
        Some(_) => {
            let line = text
                .lines()
                .position(|l| {
                    let t = l.trim();
                    !t.is_empty() && !t.starts_with('#') && !t.starts_with("---")
                })
                .map_or(1, |i| i + 1);
            Err(LineError::at(line, "the top level must be a mapping of settings (`key: value`)"))
        }
    }
}

/// The repository the file points conda at, in the form of [`Conda::endpoint`]: the
/// `conda-forge` custom channel's `<anaconda>/cloud` root when it has one, else the first
/// `default_channels` entry without `/pkgs/main`, else the `conda-forge` value as written.
pub fn repo_url(text: &str) -> Result<Option<String>, LineError> {
    let root = load(text)?;
    let get = |key: &str| root.get(&Yaml::String(key.into()));
    let forge = get("custom_channels")
        .and_then(|c| c.as_hash())
        .and_then(|c| c.get(&Yaml::String("conda-forge".into())))
        .and_then(Yaml::as_str)
        .map(|s| s.trim_end_matches('/'));
    if let Some(root) = forge.and_then(|f| f.strip_suffix("/cloud")) {
        return Ok(Some(root.to_owned()));
    }
    let first_default =
        get("default_channels").and_then(|d| d.as_vec()).and_then(|d| d.first()).and_then(Yaml::as_str).map(|s| {
            let s = s.trim_end_matches('/');
            s.strip_suffix("/pkgs/main").unwrap_or(s).to_owned()
        });
    Ok(first_default.or_else(|| forge.map(str::to_owned)))
}

/// Refuses text that conda's YAML parser (ruamel.yaml) refuses but yaml-rust2 would load:
/// characters YAML does not allow (a vertical tab, a bell, DEL, other control characters), and
/// tabs where YAML allows only spaces (indentation, around values, blank lines). Tabs stay
/// allowed in comments, quoted scalars, block scalars and flow collections, as in ruamel.
fn check_yaml(text: &str) -> Result<(), LineError> {
    for (i, line) in text.split('\n').enumerate() {
        if let Some(c) = line.chars().find(|&c| !printable(c)) {
            return Err(LineError::at(
                i + 1,
                format!("the file holds the control character U+{:04X}, which YAML does not allow", u32::from(c)),
            ));
        }
    }
    let mut flow = 0usize;
    let mut quote: Option<char> = None;
    // The indentation of the line that opened a block scalar (`key: |`), while in one.
    let mut block: Option<usize> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(parent) = block {
            if line.trim().is_empty() || indent > parent {
                continue;
            }
            block = None;
        }
        let tab = || LineError::at(i + 1, "a tab where YAML allows only spaces; use spaces");
        let mut prev: Option<char> = None;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match quote {
                Some('"') => match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => quote = None,
                    _ => {}
                },
                Some(_) => {
                    if c == '\'' {
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                        } else {
                            quote = None;
                        }
                    }
                }
                None => match c {
                    '#' if prev.is_none_or(char::is_whitespace) => break,
                    '"' | '\'' if prev.is_none_or(|p| p.is_whitespace() || "[{,:-?".contains(p)) => quote = Some(c),
                    '[' | '{' => flow += 1,
                    ']' | '}' => flow = flow.saturating_sub(1),
                    '\t' if flow == 0 => return Err(tab()),
                    _ => {}
                },
            }
            prev = Some(c);
        }
        if quote.is_none() && flow == 0 && opens_block_scalar(line) {
            block = Some(indent);
        }
    }
    Ok(())
}

/// YAML's printable characters (its `c-printable`).
fn printable(c: char) -> bool {
    matches!(c, '\t' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        || c >= '\u{10000}'
}

/// Whether a line ends with a block scalar indicator (`|`, `>-`, `|2`, …) after `: ` or `- `.
fn opens_block_scalar(line: &str) -> bool {
    let body = match line.find(" #") {
        Some(at) => &line[..at],
        None => line,
    };
    let Some(last) = body.trim_end().rsplit([' ', '\t']).next() else {
        return false;
    };
    let mut chars = last.chars();
    matches!(chars.next(), Some('|' | '>'))
        && chars.all(|c| matches!(c, '+' | '-' | '1'..='9'))
        && body.trim_end().len() > last.len()
}

/// Rewrites the channel URLs written out in full in `channels` and `mirrored_channels` to the
/// site's, where they are a catalog site's `…/anaconda/pkgs/<x>` or `…/anaconda/cloud/<ch>`
/// and the site serves that channel. Returns the text and a warning per URL of a mirror that
/// it cannot move (the site lacks the channel, or the mirror is not in the catalog).
pub fn literal_channels(text: &str, want: &Want, known: &[Known]) -> Result<(String, Vec<String>), LineError> {
    let root = load(text)?;
    let listed = |v: &Yaml| -> Vec<String> {
        match v {
            Yaml::Array(items) => items.iter().filter_map(Yaml::as_str).map(str::to_owned).collect(),
            Yaml::String(s) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    let mut notes: Vec<String> = Vec::new();
    let mut expected = root.clone();
    let mut out = text.to_owned();
    for key in ["channels", "mirrored_channels"] {
        let urls: Vec<String> = match root.get(&string(key)) {
            Some(Yaml::Hash(mirrored)) if key == "mirrored_channels" => mirrored.values().flat_map(listed).collect(),
            Some(v) if key == "channels" => listed(v),
            _ => continue,
        };
        let mut moves: Vec<(String, String)> = Vec::new();
        for url in &urls {
            match move_of(url, want, known, key == "channels") {
                Move::Keep => {}
                Move::To(new) => {
                    if !moves.iter().any(|(old, _)| old == url) {
                        moves.push((url.clone(), new));
                    }
                }
                Move::Cannot(why) => {
                    let note = format!("`{key}` names `{url}`, left as it is: {why}");
                    if !notes.contains(&note) {
                        notes.push(note);
                    }
                }
            }
        }
        if !moves.is_empty() {
            expected.insert(string(key), moved(&root[&string(key)], &moves));
            out = replace_in_blocks(&out, &[key], &moves);
        }
    }
    if let Some(alias) = root.get(&string("channel_alias")).and_then(Yaml::as_str)
        && !common::same_url(alias, &want.cloud)
        && recognise(&format!("{}/x", alias.trim_end_matches('/')), known).is_some_and(|f| !f.upstream)
    {
        notes.push(format!(
            "`channel_alias` is `{alias}`, a mirror: every channel not in `custom_channels` still comes from there; set it by hand"
        ));
    }
    let same = |got: &Hash| got.len() == expected.len() && expected.iter().all(|(k, v)| got.get(k) == Some(v));
    if out != text && !load(&out).is_ok_and(|got| same(&got)) {
        return Err(LineError::new(
            None,
            "the channel URLs in `channels` or `mirrored_channels` could not be rewritten without changing other settings; set them by hand",
        ));
    }
    Ok((out, notes))
}

/// A value with the moved URLs replaced, at any depth.
fn moved(v: &Yaml, moves: &[(String, String)]) -> Yaml {
    match v {
        Yaml::String(s) => moves.iter().find(|(old, _)| old == s).map_or_else(|| v.clone(), |(_, new)| string(new)),
        Yaml::Array(items) => Yaml::Array(items.iter().map(|i| moved(i, moves)).collect()),
        Yaml::Hash(h) => Yaml::Hash(h.iter().map(|(k, v)| (k.clone(), moved(v, moves))).collect()),
        other => other.clone(),
    }
}

/// Replaces each old URL by its new one inside the blocks of the top-level `keys`, outside
/// comments, where it stands as a whole scalar (not as part of a longer one).
fn replace_in_blocks(text: &str, keys: &[&str], moves: &[(String, String)]) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let classes: Vec<Class> = lines.iter().map(|l| classify(l.trim_end_matches(['\n', '\r']))).collect();
    let mut out = String::with_capacity(text.len());
    let mut end: Option<usize> = None;
    for (i, line) in lines.iter().enumerate() {
        if let Class::Key(k, _) = &classes[i] {
            end = keys.contains(&k.as_str()).then(|| block_end(&classes, i));
        }
        match end {
            Some(e) if i <= e && classes[i] != Class::Comment => out.push_str(&replace_urls(line, moves)),
            _ => out.push_str(line),
        }
    }
    out
}

fn replace_urls(line: &str, moves: &[(String, String)]) -> String {
    let code = comment_start(line).unwrap_or(line.len());
    let before_ok = |c: Option<char>| c.is_none_or(|c| c.is_whitespace() || "[,\"'".contains(c));
    let after_ok = |c: Option<char>| c.is_none_or(|c| c.is_whitespace() || ",]\"'".contains(c));
    let mut out = line[..code].to_owned();
    for (old, new) in moves {
        let mut at = 0;
        while let Some(found) = out[at..].find(old.as_str()) {
            let start = at + found;
            let end = start + old.len();
            if before_ok(out[..start].chars().next_back()) && after_ok(out[end..].chars().next()) {
                out.replace_range(start..end, new);
                at = start + new.len();
            } else {
                at = end;
            }
        }
    }
    out.push_str(&line[code..]);
    out
}

/// Where a line's comment starts: a `#` at the start or after white space, outside quotes.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut prev: Option<char> = None;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '#' && prev.is_none_or(char::is_whitespace) => return Some(i),
            None if (c == '"' || c == '\'') && prev.is_none_or(|p| p.is_whitespace() || "[{,:-".contains(p)) => {
                quote = Some(c);
            }
            None => {}
        }
        prev = Some(c);
    }
    None
}

/// The last line (0-based) of the block of the top-level key on line `k`: its last indented
/// line or `- ` item before the next key.
fn block_end(classes: &[Class], k: usize) -> usize {
    let mut end = k;
    for (j, class) in classes.iter().enumerate().skip(k + 1) {
        match class {
            Class::Blank | Class::Comment => {}
            Class::Indented | Class::Item => end = j,
            _ => break,
        }
    }
    end
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Class {
    Blank,
    Comment,
    /// Starts with a space or tab.
    Indented,
    /// A `- ` item at column 0 (a block sequence under the key above).
    Item,
    /// `---`, `...` or a `%` directive.
    Marker,
    /// A top-level `key:`; the byte offset just after the `:`.
    Key(String, usize),
    /// Anything else at column 0 (flow mappings, complex keys, …).
    Other,
}

fn classify(line: &str) -> Class {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        Class::Blank
    } else if trimmed.starts_with('#') {
        Class::Comment
    } else if line.starts_with([' ', '\t']) {
        Class::Indented
    } else if line == "-" || line.starts_with("- ") || line.starts_with("-\t") {
        Class::Item
    } else if line.starts_with("---") || line.starts_with("...") || line.starts_with('%') {
        Class::Marker
    } else {
        match parse_key(line) {
            Some((key, after)) => Class::Key(key, after),
            None => Class::Other,
        }
    }
}

/// A mapping key at the start of `s` (plain, `'single'` or `"double"` quoted, the latter
/// without escapes): the key and the byte offset just after its `:`.
fn parse_key(s: &str) -> Option<(String, usize)> {
    let (key, rest_at) = match s.chars().next()? {
        '"' => {
            let end = s[1..].find('"')? + 1;
            let key = &s[1..end];
            if key.contains('\\') {
                return None;
            }
            (key.to_owned(), end + 1)
        }
        '\'' => {
            let mut key = String::new();
            let mut chars = s.char_indices().skip(1).peekable();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().is_some_and(|&(_, n)| n == '\'') {
                        key.push('\'');
                        chars.next();
                    } else {
                        end = Some(i + 1);
                        break;
                    }
                } else {
                    key.push(c);
                }
            }
            (key, end?)
        }
        c if "?{[&*!|>'\"%@`,#-".contains(c) => return None,
        _ => {
            let colon = s
                .match_indices(':')
                .map(|(i, _)| i)
                .find(|&i| s[i + 1..].is_empty() || s[i + 1..].starts_with([' ', '\t']))?;
            let key = s[..colon].trim_end();
            if key.contains(" #") || key.contains("\t#") {
                return None;
            }
            return Some((key.to_owned(), colon + 1));
        }
    };
    let rest = &s[rest_at..];
    let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let rest = &rest[spaces..];
    if !rest.starts_with(':') || !(rest.len() == 1 || rest[1..].starts_with([' ', '\t'])) {
        return None;
    }
    Some((key, rest_at + spaces + 1))
}

/// Whether a key line holds nothing after the `:` but perhaps a comment (its value is the
/// indented block below).
fn is_block_style(line: &str, after: usize) -> bool {
    let rest = line[after..].trim();
    rest.is_empty() || rest.starts_with('#')
}

/// A scalar as YAML text: plain when that reads back as the same value, else double-quoted.
fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => {
            let plain = !s.is_empty()
                && !s.contains(['\n', '\r', '\t'])
                && YamlLoader::load_from_str(&format!("k: {s}"))
                    .ok()
                    .and_then(|d| d.into_iter().next())
                    .and_then(|d| d.as_hash().and_then(|h| h.get(&Yaml::String("k".into())).cloned()))
                    .is_some_and(|v| v == *value);
            if plain {
                Some(s.clone())
            } else {
                let mut out = String::from("\"");
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                        c => out.push(c),
                    }
                }
                out.push('"');
                Some(out)
            }
        }
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Real(r) => Some(r.clone()),
        Yaml::Boolean(b) => Some(b.to_string()),
        Yaml::Null => Some("null".into()),
        _ => None,
    }
}

fn string(s: &str) -> Yaml {
    Yaml::String(s.to_owned())
}

/// One edit: lines `start..end` (0-based, end exclusive) become `lines`.
#[derive(Debug)]
struct Splice {
    start: usize,
    end: usize,
    lines: Vec<String>,
}

/// What happens to one existing `custom_channels` entry.
#[derive(Debug, Clone, PartialEq)]
enum Fate {
    Keep,
    Set,
    Drop,
}

/// Points `.condarc` text at a site; `None` is a missing file. Idempotent; see the module
/// documentation for the rules.
pub fn render(input: Option<&str>, want: &Want) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    let root = load(text)?;
    let lines: Vec<(&str, &str)> = text
        .split_inclusive('\n')
        .map(|raw| match raw.strip_suffix("\r\n") {
            Some(t) => (t, "\r\n"),
            None => match raw.strip_suffix('\n') {
                Some(t) => (t, "\n"),
                None => (raw, ""),
            },
        })
        .collect();
    let classes: Vec<Class> = lines.iter().map(|(l, _)| classify(l)).collect();
    let nl = lines.first().map_or("\n", |(_, eol)| if *eol == "\r\n" { "\r\n" } else { "\n" });

    // The top-level keys as lines must be exactly the keys the loader saw, in order;
    // anything else is a layout this line editor does not understand.
    if let Some(i) = classes.iter().position(|c| *c == Class::Other) {
        return Err(LineError::at(
            i + 1,
            "unsupported layout: top-level settings must be `key: value` lines at column 0",
        ));
    }
    let keys: Vec<(usize, &str, usize)> = classes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c {
            Class::Key(k, after) => Some((i, k.as_str(), *after)),
            _ => None,
        })
        .collect();
    let loaded: Vec<Option<&str>> = root.keys().map(Yaml::as_str).collect();
    let listed: Vec<Option<&str>> = keys.iter().map(|(_, k, _)| Some(*k)).collect();
    if loaded != listed {
        return Err(LineError::new(
            keys.first().map(|(i, _, _)| i + 1),
            "unsupported layout: top-level settings must be `key: value` lines at column 0",
        ));
    }
    let block_end = |k: usize| block_end(&classes, k);
    let find = |name: &str| keys.iter().find(|(_, k, _)| *k == name).copied();

    let mut splices: Vec<Splice> = Vec::new();
    let mut append: Vec<String> = Vec::new();
    let mut expected = root.clone();

    // default_channels
    if let Some(defaults) = &want.default_channels {
        let desired = Yaml::Array(defaults.iter().map(|d| string(d)).collect());
        let items: Vec<String> =
            defaults.iter().map(|d| format!("  - {}", scalar(&string(d)).unwrap_or_default())).collect();
        match find("default_channels") {
            Some((k, _, after)) => {
                if root.get(&string("default_channels")) != Some(&desired) {
                    let end = block_end(k) + 1;
                    if is_block_style(lines[k].0, after) {
                        splices.push(Splice { start: k + 1, end, lines: items });
                    } else {
                        let mut block = vec!["default_channels:".to_owned()];
                        block.extend(items);
                        splices.push(Splice { start: k, end, lines: block });
                    }
                }
            }
            None => {
                append.push("default_channels:".into());
                append.extend(items);
            }
        }
        expected.insert(string("default_channels"), desired);
    }

    // custom_channels
    let existing = match root.get(&string("custom_channels")) {
        None | Some(Yaml::Null) => Hash::new(),
        Some(Yaml::Hash(h)) => h.clone(),
        Some(_) => {
            let line = find("custom_channels").map_or(1, |(k, _, _)| k + 1);
            return Err(LineError::at(line, "`custom_channels` must be a mapping of channel names to URLs"));
        }
    };
    let cloud = string(&want.cloud);
    let fates: Vec<Fate> = existing
        .iter()
        .map(|(k, v)| match k.as_str() {
            Some(name) if want.channels.iter().any(|c| c == name) => Fate::Set,
            Some(name)
                if KNOWN_CHANNELS.contains(&name)
                    && v.as_str().map(|s| s.trim_end_matches('/')) != Some(UPSTREAM_CLOUD) =>
            {
                Fate::Drop
            }
            _ => Fate::Keep,
        })
        .collect();
    let mut desired = Hash::new();
    for ((k, v), fate) in existing.iter().zip(&fates) {
        match fate {
            Fate::Keep => {
                desired.insert(k.clone(), v.clone());
            }
            Fate::Set => {
                desired.insert(k.clone(), cloud.clone());
            }
            Fate::Drop => {}
        }
    }
    let added: Vec<&String> = want.channels.iter().filter(|c| !existing.contains_key(&string(c))).collect();
    for c in &added {
        desired.insert(string(c), cloud.clone());
    }
    let regenerate = |desired: &Hash| -> Result<Vec<String>, LineError> {
        if desired.is_empty() {
            return Ok(vec!["custom_channels: {}".into()]);
        }
        let mut block = vec!["custom_channels:".to_owned()];
        for (k, v) in desired {
            let (Some(k), Some(v)) = (scalar(k), scalar(v)) else {
                return Err(LineError::new(
                    find("custom_channels").map(|(k, _, _)| k + 1),
                    "`custom_channels` holds an entry that is not a plain `name: url`",
                ));
            };
            block.push(format!("  {k}: {v}"));
        }
        Ok(block)
    };
    let current = root.get(&string("custom_channels"));
    let unchanged = match current {
        Some(Yaml::Hash(h)) => *h == desired,
        _ => false,
    };
    match find("custom_channels") {
        Some(_) if unchanged => {}
        Some((k, _, after)) => {
            let end = block_end(k);
            let edits = if is_block_style(lines[k].0, after) && !desired.is_empty() {
                let plan = EntryPlan { existing: &existing, fates: &fates, cloud: &want.cloud, added: &added };
                entry_splices(&lines, &classes, (k, end), &plan)
            } else {
                None
            };
            match edits {
                Some(edits) => splices.extend(edits),
                None => splices.push(Splice { start: k, end: end + 1, lines: regenerate(&desired)? }),
            }
        }
        None => append.extend(regenerate(&desired)?),
    }
    expected.insert(string("custom_channels"), Yaml::Hash(desired));

    // show_channel_urls
    let yes = Yaml::Boolean(true);
    match find("show_channel_urls") {
        Some((k, _, _)) => {
            if root.get(&string("show_channel_urls")) != Some(&yes) {
                splices.push(Splice { start: k, end: block_end(k) + 1, lines: vec!["show_channel_urls: true".into()] });
            }
        }
        None => append.push("show_channel_urls: true".into()),
    }
    expected.insert(string("show_channel_urls"), yes);

    // Appended keys go before a closing `...`, if the file has one.
    let append_at = classes
        .iter()
        .enumerate()
        .rev()
        .find(|(i, c)| **c == Class::Marker && lines[*i].0.starts_with("..."))
        .map_or(lines.len(), |(i, _)| i);
    if !append.is_empty() {
        splices.push(Splice { start: append_at, end: append_at, lines: append });
    }

    let out = apply(&lines, splices, nl);
    verify(&out, &expected)?;
    Ok(out)
}

/// What to do with the `custom_channels` entries: their fates (in order), the value for the
/// site's channels, and the channels to add.
#[derive(Clone, Copy)]
struct EntryPlan<'a> {
    existing: &'a Hash,
    fates: &'a [Fate],
    cloud: &'a str,
    added: &'a [&'a String],
}

/// Line edits inside a block-style `custom_channels` mapping, or `None` when its layout is
/// not one entry per line at one indentation (then the block is regenerated).
fn entry_splices(
    lines: &[(&str, &str)],
    classes: &[Class],
    (key, end): (usize, usize),
    plan: &EntryPlan<'_>,
) -> Option<Vec<Splice>> {
    let EntryPlan { existing, fates, cloud, added } = *plan;
    struct Entry {
        line: usize,
        last: usize,
        colon: usize,
        name: String,
    }
    let mut entries: Vec<Entry> = Vec::new();
    let mut indent: Option<usize> = None;
    for j in key + 1..=end {
        match classes[j] {
            Class::Blank | Class::Comment => continue,
            Class::Indented => {}
            _ => return None,
        }
        let line = lines[j].0;
        if line.starts_with('\t') {
            return None;
        }
        let n = line.len() - line.trim_start_matches(' ').len();
        match indent {
            None => indent = Some(n),
            Some(i) if n > i => {
                entries.last_mut()?.last = j;
                continue;
            }
            Some(i) if n < i => return None,
            Some(_) => {}
        }
        let (name, after) = parse_key(&line[n..])?;
        entries.push(Entry { line: j, last: j, colon: n + after, name });
    }
    let names: Vec<Option<&str>> = existing.keys().map(Yaml::as_str).collect();
    if names != entries.iter().map(|e| Some(e.name.as_str())).collect::<Vec<_>>() {
        return None;
    }
    let cloud_text = scalar(&string(cloud))?;
    let mut splices = Vec::new();
    for ((entry, fate), value) in entries.iter().zip(fates).zip(existing.values()) {
        match fate {
            Fate::Keep => {}
            Fate::Set if value.as_str() == Some(cloud) => {}
            Fate::Set => {
                let key_text = &lines[entry.line].0[..entry.colon];
                splices.push(Splice {
                    start: entry.line,
                    end: entry.last + 1,
                    lines: vec![format!("{key_text} {cloud_text}")],
                });
            }
            Fate::Drop => splices.push(Splice { start: entry.line, end: entry.last + 1, lines: Vec::new() }),
        }
    }
    let pad = " ".repeat(indent.unwrap_or(2));
    let mut new_lines = Vec::new();
    for name in added {
        new_lines.push(format!("{pad}{}: {cloud_text}", scalar(&string(name))?));
    }
    if !new_lines.is_empty() {
        splices.push(Splice { start: end + 1, end: end + 1, lines: new_lines });
    }
    Some(splices)
}

fn apply(lines: &[(&str, &str)], mut splices: Vec<Splice>, nl: &str) -> String {
    splices.sort_by_key(|s| (s.start, s.end));
    let mut out: Vec<(String, &str)> = Vec::new();
    let mut i = 0;
    for splice in splices {
        while i < splice.start {
            out.push((lines[i].0.to_owned(), lines[i].1));
            i += 1;
        }
        out.extend(splice.lines.into_iter().map(|l| (l, nl)));
        i = i.max(splice.end);
    }
    while i < lines.len() {
        out.push((lines[i].0.to_owned(), lines[i].1));
        i += 1;
    }
    let count = out.len();
    let mut text = String::new();
    for (n, (line, eol)) in out.into_iter().enumerate() {
        text.push_str(&line);
        text.push_str(if eol.is_empty() && n + 1 < count { nl } else { eol });
    }
    text
}

/// The rewritten text must load as exactly the settings intended.
fn verify(out: &str, expected: &Hash) -> Result<(), LineError> {
    let failed = || {
        LineError::new(
            None,
            "the file could not be rewritten without changing other settings; set `default_channels` and `custom_channels` by hand",
        )
    };
    let got = load(out).map_err(|_| failed())?;
    let same = got.len() == expected.len() && expected.iter().all(|(k, v)| got.get(k) == Some(v));
    if same { Ok(()) } else { Err(failed()) }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::catalog::{Origin, parse_site};
    use crate::targets::testing::{self, context};

    const FULL: &str = include_str!("../../tests/fixtures/conda/condarc");
    const FLOW: &str = include_str!("../../tests/fixtures/conda/flow.condarc");
    const USTC_STYLE: &str = include_str!("../../tests/fixtures/conda/ustc-style.condarc");
    const MINIMAL: &str = include_str!("../../tests/fixtures/conda/minimal.condarc");
    const MALFORMED: &str = include_str!("../../tests/fixtures/conda/malformed.condarc");
    const LITERAL: &str = include_str!("../../tests/fixtures/conda/literal-channels.condarc");
    const CONFIG_ADD: &str = include_str!("../../tests/fixtures/conda/config-add.condarc");
    const MIRRORED: &str = include_str!("../../tests/fixtures/conda/mirrored.condarc");
    const TAB_AFTER_DASH: &str = include_str!("../../tests/fixtures/conda/tab-after-dash.condarc");
    const VERTICAL_TAB: &str = include_str!("../../tests/fixtures/conda/vertical-tab.condarc");

    fn site(id: &str, anaconda: &str, conda: &str) -> Site {
        testing::site(id, &format!("[repos]\nanaconda = \"{anaconda}\"\n{conda}\n"))
    }

    fn tuna() -> Site {
        site(
            "tuna",
            "https://mirrors.tuna.tsinghua.edu.cn/anaconda",
            "[conda]\npkgs = true\nchannels = [\"bioconda\", \"conda-forge\", \"menpo\", \"pytorch\", \"simpleitk\"]",
        )
    }

    fn ustc() -> Site {
        site(
            "ustc",
            "https://mirrors.ustc.edu.cn/anaconda",
            "[conda]\npkgs = false\nchannels = [\"conda-forge\", \"bioconda\"]",
        )
    }

    fn sjtug() -> Site {
        site(
            "sjtug",
            "https://mirror.sjtu.edu.cn/anaconda",
            "[conda]\nchannels = [\"bioconda\", \"conda-forge\", \"pytorch\"]",
        )
    }

    fn upstream() -> Site {
        site(
            "upstream",
            "https://repo.anaconda.com",
            "[conda]\npkgs = true\ncloud = \"https://conda.anaconda.org\"\nchannels = [\"conda-forge\", \"bioconda\", \"pytorch\"]",
        )
    }

    fn ok(input: Option<&str>, site: &Site) -> String {
        render(input, &Want::for_site(site).unwrap()).unwrap()
    }

    fn fixtures() -> [(&'static str, &'static str); 5] {
        [
            ("condarc", FULL),
            ("flow.condarc", FLOW),
            ("ustc-style.condarc", USTC_STYLE),
            ("minimal.condarc", MINIMAL),
            ("empty", ""),
        ]
    }

    #[test]
    fn snapshots() {
        insta::assert_snapshot!("full_tuna", ok(Some(FULL), &tuna()));
        insta::assert_snapshot!("full_ustc", ok(Some(FULL), &ustc()));
        insta::assert_snapshot!("full_upstream", ok(Some(FULL), &upstream()));
        insta::assert_snapshot!("flow_tuna", ok(Some(FLOW), &tuna()));
        insta::assert_snapshot!("ustc_style_tuna", ok(Some(USTC_STYLE), &tuna()));
        insta::assert_snapshot!("minimal_ustc", ok(Some(MINIMAL), &ustc()));
        insta::assert_snapshot!("empty_tuna", ok(None, &tuna()));
    }

    #[test]
    fn every_fixture_is_idempotent_and_reads_back() {
        let sites = [tuna(), ustc(), sjtug(), upstream()];
        for (name, text) in fixtures() {
            for site in &sites {
                let once = ok(Some(text), site);
                assert_eq!(ok(Some(&once), site), once, "{name} {}", site.id);
                let url = repo_url(&once).unwrap();
                if site.id != "ustc" {
                    assert_eq!(url, Conda.endpoint(site, &Host::default()), "{name}");
                } else {
                    assert_eq!(url.as_deref(), Some("https://mirrors.ustc.edu.cn/anaconda"), "{name}");
                }
            }
        }
    }

    /// The settings of a rendered file, with `custom_channels` as a sorted list (conda reads
    /// it as a map, so its order does not matter).
    fn settings(text: &str) -> Vec<(String, String)> {
        let root = load(text).unwrap();
        let mut out: Vec<(String, String)> = root
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Yaml::Hash(h) if k.as_str() == Some("custom_channels") => {
                        let mut e: Vec<String> = h.iter().map(|e| format!("{e:?}")).collect();
                        e.sort();
                        e.join(",")
                    }
                    v => format!("{v:?}"),
                };
                (format!("{k:?}"), v)
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn site_order_does_not_matter_where_defaults_are_rewritten() {
        // Every second site here rewrites default_channels, so the settings do not depend
        // on the way there. Entries keep their place and new ones go last in the site's
        // order, so the bytes are equal too when the second site carries no channel the
        // first one dropped and adds at most one (as with the full fixture).
        let sites = [tuna(), sjtug(), upstream()];
        for (name, text) in fixtures() {
            for first in sites.iter().chain([&ustc()]) {
                for second in &sites {
                    let via = ok(Some(&ok(Some(text), first)), second);
                    let direct = ok(Some(text), second);
                    let what = format!("{name}: {} then {}", first.id, second.id);
                    assert_eq!(settings(&via), settings(&direct), "{what}");
                    let subset = second.conda.channels.iter().all(|c| first.conda.channels.contains(c));
                    if subset && name == "condarc" {
                        assert_eq!(via, direct, "{what}");
                    }
                }
            }
        }
    }

    #[test]
    fn tuna_then_ustc_differs_from_ustc_only_in_defaults() {
        // USTC does not serve pkgs/*, so `default_channels` stays where it was.
        for (name, text) in fixtures() {
            let via = ok(Some(&ok(Some(text), &tuna())), &ustc());
            let direct = ok(Some(text), &ustc());
            let strip = |s: Vec<(String, String)>| -> Vec<(String, String)> {
                s.into_iter().filter(|(k, _)| !k.contains("default_channels")).collect()
            };
            assert_eq!(strip(settings(&via)), strip(settings(&direct)), "{name}");
            let via = load(&via).unwrap();
            let defaults = via.get(&string("default_channels")).unwrap();
            assert_eq!(defaults[0].as_str(), Some("https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main"), "{name}");
        }
    }

    #[test]
    fn custom_channels_rules() {
        let text = "custom_channels:\n  pytorch: https://old.example/anaconda/cloud   # old\n  # ours\n  lab: https://conda.lab.example\n  nvidia: https://conda.anaconda.org/\n  menpo:\n    https://old.example/anaconda/cloud\n  conda-forge: 'https://old.example/anaconda/cloud'\n";
        let out = ok(Some(text), &ustc());
        assert_eq!(
            out,
            "custom_channels:\n  # ours\n  lab: https://conda.lab.example\n  nvidia: https://conda.anaconda.org/\n  conda-forge: https://mirrors.ustc.edu.cn/anaconda/cloud\n  bioconda: https://mirrors.ustc.edu.cn/anaconda/cloud\nshow_channel_urls: true\n"
        );
        // Already right: not a byte changes, quoting included.
        let quoted = "custom_channels:\n  \"conda-forge\": 'https://mirrors.ustc.edu.cn/anaconda/cloud'\n  bioconda: https://mirrors.ustc.edu.cn/anaconda/cloud # yes\nshow_channel_urls: true\n";
        assert_eq!(ok(Some(quoted), &ustc()), quoted);
        // Four-space entries keep their indentation.
        let wide = "custom_channels:\n    conda-forge: https://x/cloud\n";
        assert_eq!(
            ok(Some(wide), &ustc()),
            "custom_channels:\n    conda-forge: https://mirrors.ustc.edu.cn/anaconda/cloud\n    bioconda: https://mirrors.ustc.edu.cn/anaconda/cloud\nshow_channel_urls: true\n"
        );
        // Null and empty-flow values are replaced by a block.
        for empty in ["custom_channels:\n", "custom_channels: {}\n", "custom_channels: ~ # none\n"] {
            assert!(
                ok(Some(empty), &ustc()).starts_with(
                    "custom_channels:\n  conda-forge: https://mirrors.ustc.edu.cn/anaconda/cloud\n  bioconda:"
                ),
                "{empty:?}"
            );
        }
    }

    #[test]
    fn default_channels_left_alone_without_pkgs() {
        let text = "default_channels: [https://my.example/pkgs/main]   # mine\n";
        let out = ok(Some(text), &ustc());
        assert!(out.starts_with(text), "{out}");
        // A site with pkgs writes the block list, in place.
        let out = ok(Some(text), &tuna());
        assert!(
            out.starts_with("default_channels:\n  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main\n  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/r\n  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/msys2\ncustom_channels:"),
            "{out}"
        );
        // A block-style key keeps its comment; indentless items are replaced.
        let text = "channels:\n- defaults\ndefault_channels: # from the mirror\n- https://old/pkgs/main\n- https://old/pkgs/r\nssl_verify: true\n";
        let out = ok(Some(text), &sjtug());
        assert!(
            out.starts_with("channels:\n- defaults\ndefault_channels: # from the mirror\n  - https://mirror.sjtu.edu.cn/anaconda/pkgs/main\n  - https://mirror.sjtu.edu.cn/anaconda/pkgs/r\n  - https://mirror.sjtu.edu.cn/anaconda/pkgs/msys2\nssl_verify: true\ncustom_channels:\n"),
            "{out}"
        );
    }

    #[test]
    fn crlf_document_markers_and_missing_final_newline() {
        let text = "channels:\r\n  - defaults\r\nshow_channel_urls: false";
        assert_eq!(
            ok(Some(text), &ustc()),
            "channels:\r\n  - defaults\r\nshow_channel_urls: true\r\ncustom_channels:\r\n  conda-forge: https://mirrors.ustc.edu.cn/anaconda/cloud\r\n  bioconda: https://mirrors.ustc.edu.cn/anaconda/cloud\r\n"
        );
        let text = "---\nchannels: [conda-forge]\n...\n";
        assert_eq!(
            ok(Some(text), &ustc()),
            "---\nchannels: [conda-forge]\ncustom_channels:\n  conda-forge: https://mirrors.ustc.edu.cn/anaconda/cloud\n  bioconda: https://mirrors.ustc.edu.cn/anaconda/cloud\nshow_channel_urls: true\n...\n"
        );
    }

    #[test]
    fn anchors_the_rewrite_would_break_are_refused() {
        let text = "default_channels: &d\n  - https://old/pkgs/main\nmirrored: *d\n";
        let e = render(Some(text), &Want::for_site(&tuna()).unwrap()).unwrap_err();
        assert_eq!(e.line, None);
        assert!(e.message.contains("without changing other settings"), "{e:?}");
        // Untouched keys may use anchors freely.
        let text = "envs_dirs: &e\n  - /data/envs\npkgs_dirs: *e\n";
        assert!(ok(Some(text), &ustc()).starts_with(text));
    }

    #[test]
    fn upstream_is_written_explicitly() {
        let out = ok(Some(FULL), &upstream());
        assert!(out.contains("  - https://repo.anaconda.com/pkgs/main\n"), "{out}");
        assert!(out.contains("  conda-forge: https://conda.anaconda.org\n"), "{out}");
        assert_eq!(repo_url(&out).unwrap().as_deref(), Some("https://repo.anaconda.com"));
    }

    #[test]
    fn malformed_and_wrong_types_name_the_line() {
        for (text, line, what) in [
            (MALFORMED, 5, ""),
            ("channels:\n  - defaults\n  bad: 1\n", 3, ""),
            ("- a\n- b\n", 1, "top level must be a mapping"),
            ("# c\njust words\n", 2, "top level must be a mapping"),
            ("a: 1\n---\nb: 2\n", 2, "more than one YAML document"),
            ("a: 1\na: 2\n", 2, "duplicated key"),
            ("ssl_verify: true\ncustom_channels: [a, b]\n", 2, "`custom_channels` must be a mapping"),
            ("{channels: [a], ssl_verify: true}\n", 1, "unsupported layout"),
            ("channels: [a,\nb]\n", 2, "indentation"),
            ("? channels\n: [a]\n", 1, "unsupported layout"),
        ] {
            let e = render(Some(text), &Want::for_site(&tuna()).unwrap()).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e:?}");
            assert!(e.message.contains(what), "{text:?}: {e:?}");
        }
        assert_eq!(repo_url(MALFORMED).unwrap_err().line, Some(5));
    }

    fn aliyun() -> Site {
        site(
            "aliyun",
            "https://mirrors.aliyun.com/anaconda",
            "[conda]\npkgs = true\nchannels = [\"conda-forge\", \"bioconda\", \"menpo\", \"pytorch\", \"simpleitk\"]",
        )
    }

    /// The catalog these tests know: BFSU serves no conda here, but its host is known.
    fn known() -> Vec<Known> {
        let bfsu = testing::site("bfsu", "[repos]\npypi = \"https://mirrors.bfsu.edu.cn/pypi/web/simple\"\n");
        [tuna(), ustc(), sjtug(), upstream(), aliyun(), bfsu].iter().map(Known::of).collect()
    }

    /// Both passes, as `plan` runs them.
    fn full(input: &str, site: &Site) -> (String, Vec<String>) {
        let want = Want::for_site(site).unwrap();
        let (text, notes) = literal_channels(input, &want, &known()).unwrap();
        (render(Some(&text), &want).unwrap(), notes)
    }

    #[test]
    fn mirror_urls_written_in_channels_follow_the_site() {
        let (out, notes) = full(LITERAL, &tuna());
        let channels = |text: &str| -> Vec<String> {
            load(text).unwrap()[&string("channels")]
                .as_vec()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            channels(&out),
            [
                "https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main/",
                "https://mirrors.bfsu.edu.cn/anaconda/pkgs/free/",
                "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/conda-forge/",
                "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/bioconda/",
                "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch/",
                "https://conda.lab.example.org/labtools",
                "defaults",
            ]
        );
        // The commented-out line is not touched; `pkgs/free` is not served: a warning.
        assert!(out.contains("  # - https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch/linux-64/\n"), "{out}");
        assert_eq!(
            notes,
            [
                "`channels` names `https://mirrors.bfsu.edu.cn/anaconda/pkgs/free/`, left as it is: `tuna` serves only pkgs/main, pkgs/r and pkgs/msys2"
            ]
        );
        insta::assert_snapshot!("literal_tuna", out);

        // Upstream gets the official URLs, so conda really leaves the mirrors.
        let (out, _) = full(LITERAL, &upstream());
        assert_eq!(
            channels(&out)[..5],
            [
                "https://repo.anaconda.com/pkgs/main/",
                "https://mirrors.bfsu.edu.cn/anaconda/pkgs/free/",
                "https://conda.anaconda.org/conda-forge/",
                "https://conda.anaconda.org/bioconda/",
                "https://conda.anaconda.org/pytorch/",
            ]
        );
        // USTC serves no pkgs/* and not pytorch: those stay, each with a warning.
        let (out, notes) = full(LITERAL, &ustc());
        assert_eq!(channels(&out)[2], "https://mirrors.ustc.edu.cn/anaconda/cloud/conda-forge/");
        assert_eq!(channels(&out)[4], "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch/");
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].contains("`ustc` does not serve `pkgs/*`"), "{notes:?}");
        assert!(notes[2].contains("`ustc` does not carry `pytorch`"), "{notes:?}");
        // Applying the same site twice changes nothing; switching equals choosing directly.
        for site in [tuna(), ustc(), upstream(), aliyun()] {
            let (once, _) = full(LITERAL, &site);
            assert_eq!(full(&once, &site).0, once, "{}", site.id);
        }
        let via = full(&full(LITERAL, &upstream()).0, &tuna()).0;
        assert_eq!(channels(&via), channels(&full(LITERAL, &tuna()).0));
    }

    #[test]
    fn conda_config_add_channels_over_http_move_to_https() {
        // `conda config --add channels http://mirrors.aliyun.com/…`: the http spelling of a
        // catalog site is that site.
        let (out, notes) = full(CONFIG_ADD, &tuna());
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("`tuna` does not carry `msys2`"), "{notes:?}");
        let t = "https://mirrors.tuna.tsinghua.edu.cn/anaconda";
        assert!(
            out.starts_with(&format!(
                "channels:\n  - {t}/cloud/menpo/\n  - {t}/cloud/bioconda/\n  - http://mirrors.aliyun.com/anaconda/cloud/msys2/\n  - {t}/cloud/conda-forge/\n  - {t}/pkgs/main/\n  - defaults\n"
            )),
            "{out}"
        );
    }

    #[test]
    fn mirrored_channels_follow_the_site_and_keep_the_official_fallback() {
        let (out, notes) = full(MIRRORED, &tuna());
        assert!(notes.is_empty(), "{notes:?}");
        assert!(out.starts_with("# miniforge's default, with a closer mirror in front\nchannels: [conda-forge]\nmirrored_channels:\n  conda-forge:\n    - https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/conda-forge\n    - https://conda.anaconda.org/conda-forge\n    - https://prefix.dev/conda-forge\n  bioconda: ['https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/bioconda']\nchannel_priority: strict\n"), "{out}");
        assert_eq!(full(&out, &tuna()).0, out);
        // `channel_alias` pointing at a mirror cannot be moved safely: a warning.
        let text = "channel_alias: https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud\nchannels: [conda-forge]\n";
        let (out, notes) = full(text, &ustc());
        assert!(out.starts_with(text), "{out}");
        assert!(
            notes[0].contains("`channel_alias` is `https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud`, a mirror"),
            "{notes:?}"
        );
        assert!(full("channel_alias: https://conda.anaconda.org\n", &ustc()).1.is_empty());
        // A mirror the catalog does not know: left, with a warning; a private server: left.
        let text = "channels:\n  - https://mirrors.sustech.edu.cn/anaconda/cloud/conda-forge\n  - https://conda.corp.example/internal\n";
        let (out, notes) = full(text, &tuna());
        assert!(out.starts_with(text), "{out}");
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("a mirror site the catalog does not know"), "{notes:?}");
    }

    #[test]
    fn yaml_that_conda_refuses_is_refused() {
        // What ruamel.yaml 0.19 (conda's parser) refuses and yaml-rust2 would load.
        for (text, line, what) in [
            (TAB_AFTER_DASH, 2, "a tab where YAML allows only spaces"),
            (VERTICAL_TAB, 4, "control character U+000B"),
            ("a: b\u{7}c\n", 1, "U+0007"),
            ("a: b\u{7f}c\n", 1, "U+007F"),
            ("a: 1\t\n", 1, "a tab"),
            ("a: b\tc\n", 1, "a tab"),
            ("channels: [a]\t# c\n", 1, "a tab"),
            ("a: 1\n\t\nb: 2\n", 2, "a tab"),
            ("\ta: 1\n", 1, "a tab"),
            ("channels:\n\t- defaults\n", 2, "a tab"),
        ] {
            let e = render(Some(text), &Want::for_site(&tuna()).unwrap()).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e:?}");
            assert!(e.message.contains(what), "{text:?}: {e:?}");
            assert!(repo_url(text).is_err(), "{text:?}");
        }
        // What ruamel accepts stays accepted: tabs in comments, quotes, flow and block scalars.
        for text in [
            "#\ta comment\na: 1\n",
            "a: 1 #\tc\n",
            "a: \"b\tc\"\n",
            "a: 'b\tc'\n",
            "a: [b,\tc]\n",
            "a: |\n  x\ty\nb: 2\n",
            "a: >-\n  x\ty\n",
            "a: 1\r\nb: 2\r\n",
            "a: \"it's\ta\"\n",
        ] {
            assert!(load(text).is_ok(), "{text:?}: {:?}", load(text));
        }
    }

    #[test]
    fn a_byte_order_mark_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path(), &[]);
        let file = dir.path().join("home/.condarc");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, format!("\u{feff}{FULL}")).unwrap();
        let edits = plan(&ctx, &tuna()).unwrap();
        let after = String::from_utf8(edits[0].after.clone().unwrap()).unwrap();
        assert_eq!(after, format!("\u{feff}{}", ok(Some(FULL), &tuna())));
        std::fs::write(&file, &after).unwrap();
        assert_eq!(Conda.current(&ctx, &Host::default()).unwrap().url, Conda.endpoint(&tuna(), &Host::default()));
        assert!(!plan(&ctx, &tuna()).unwrap()[0].is_change());
    }

    // --- plan / current / present against a fake home ---

    fn plan(ctx: &Context, site: &Site) -> Result<Vec<FileEdit>> {
        Conda.plan(ctx, &Host::default(), &Request { site, upstream: None, security: false })
    }

    #[test]
    fn plan_current_and_condarc_variable() {
        let dir = tempfile::tempdir().unwrap();
        let h = Host::default();
        let ctx = context(dir.path(), &[]);
        assert!(!Conda.present(&ctx, &h));
        assert_eq!(Conda.current(&ctx, &h).unwrap(), Current::default());
        let edits = plan(&ctx, &tuna()).unwrap();
        let file = dir.path().join("home/.condarc");
        assert_eq!(edits[0].path, file);
        assert_eq!(edits[0].before, None);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, edits[0].after.as_ref().unwrap()).unwrap();
        assert!(Conda.present(&ctx, &h));
        let cur = Conda.current(&ctx, &h).unwrap();
        assert_eq!(cur.files, std::slice::from_ref(&file));
        assert_eq!(cur.url, Conda.endpoint(&tuna(), &h));
        assert!(!plan(&ctx, &tuna()).unwrap()[0].is_change());

        let rc = dir.path().join("conf/conda.yml");
        let ctx = context(dir.path(), &[("CONDARC", rc.display().to_string())]);
        assert_eq!(plan(&ctx, &ustc()).unwrap()[0].path, rc);

        let bad = dir.path().join("conf/condarc.txt");
        let ctx = context(dir.path(), &[("CONDARC", bad.display().to_string())]);
        let e = crate::error::render(&plan(&ctx, &ustc()).unwrap_err());
        assert!(e.contains("a file name conda ignores"), "{e}");
        assert!(!Conda.present(&ctx, &h));

        let ctx = context(dir.path(), &[]);
        std::fs::write(&file, MALFORMED).unwrap();
        let e = crate::error::render(&plan(&ctx, &tuna()).unwrap_err());
        assert!(e.contains(&format!("could not parse `{}` line 5", file.display())), "{e}");

        let bare = parse_site(
            Path::new("x/bare.toml"),
            "id = \"bare\"\nname = \"b\"\nhomepage = \"https://b/\"\nregion = \"CN\"\n",
            Origin::Builtin,
        )
        .unwrap();
        assert_eq!(Conda.endpoint(&bare, &h), None);
        assert!(plan(&ctx, &bare).is_err());
    }

    #[test]
    fn every_builtin_site_renders_and_reads_back() {
        let catalog = crate::catalog::Catalog::builtin().unwrap();
        for site in catalog.sites() {
            let Some(endpoint) = Conda.endpoint(site, &Host::default()) else {
                continue;
            };
            for (name, text) in fixtures() {
                let out = ok(Some(text), site);
                assert_eq!(ok(Some(&out), site), out, "{} {name}", site.id);
                let root = load(&out).unwrap();
                let custom = root[&string("custom_channels")].as_hash().unwrap();
                for channel in &site.conda.channels {
                    assert!(custom.contains_key(&string(channel)), "{} {channel}", site.id);
                }
                let url = repo_url(&out).unwrap();
                if site.conda.pkgs || site.conda.channels.iter().any(|c| c == "conda-forge") {
                    assert_eq!(url, Some(endpoint.clone()), "{} {name}", site.id);
                }
            }
        }
    }

    #[test]
    fn installed_mamba_is_present() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path(), &[]);
        let bin = dir.path().join("root/usr/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("micromamba"), "").unwrap();
        assert!(Conda.present(&ctx, &Host::default()));
    }
}
