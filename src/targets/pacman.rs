//! pacman: the `Server =` lines of `/etc/pacman.d/mirrorlist`.
//!
//! pacman tries a repository's servers in file order and falls back to the next one when a
//! server fails (pacman 6.0.2 `--debug -Sy` walks the whole list, duplicates included). So
//! `use` writes the chosen server as the first active `Server =` line, in a two-line block
//! (a marker comment and the line) placed right after the file's leading comment header.
//! Every other line stays as it was: servers that were active stay active below the block, as
//! fallbacks. A block written by an earlier `use` is taken out first, so switching sites
//! never piles up blocks and the result depends only on the file without the block.
//!
//! A server that already stands as an active line elsewhere in the file is left alone: the
//! duplicate costs at most one more failed attempt when that server is down, while
//! commenting it out would change a line that is not ours (and a later switch to another
//! site could not tell that it has to come back).
//!
//! Only Arch Linux, Arch Linux ARM and the derivatives whose `/etc/pacman.d/mirrorlist` serves
//! Arch's own repositories are configured (EndeavourOS, CachyOS and Garuda keep their own
//! repositories in `endeavouros-mirrorlist`, `cachyos-mirrorlist` and `chaotic-mirrorlist`).
//! Manjaro, Manjaro ARM, Artix, SteamOS and any other Arch derivative list their own
//! repositories in that file, which no catalog site serves: putting an Arch server first there
//! would break the system, so they are refused (see [`unsupported`]).

use anyhow::Result;

use super::common::endpoint;
use super::{Bom, Current, Distro, FileEdit, Host, LineError, Request, Target, current_with, plan_with};
use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Pacman;

/// The file every repository section of a stock `pacman.conf` includes.
const MIRRORLIST: &str = "/etc/pacman.d/mirrorlist";

/// pacman reads a byte-order mark as text, and fails on it.
const BOM: Bom = Bom::Refuse("pacman");

/// How the marker comment starts; with [`MARKER_TAG`] it identifies a block written by `use`
/// (here and in the `[archlinuxcn]` section of `pacman.conf`).
const MARKER_PREFIX: &str = "## mirror: ";
const MARKER_TAG: &str = "(chosen by `mirror use`";

/// Directives pacman knows in a repository section besides `Server`. A mirrorlist rarely
/// holds them; they are kept as they are.
pub(crate) const KEPT_DIRECTIVES: &[&str] = &["CacheServer", "Include", "SigLevel", "Usage"];

/// Arch derivatives whose `/etc/pacman.d/mirrorlist` serves Arch Linux's own `core`, `extra`
/// and `multilib`: their `pacman.conf` includes it for those, and their own repositories from a
/// mirrorlist of their own.
const ARCH_REPOS: &[&str] = &["endeavouros", "cachyos", "garuda"];

/// Distributions that use pacman with repositories of their own in `/etc/pacman.d/mirrorlist`
/// but may not say `ID_LIKE=arch` (Artix often does not).
const OWN_REPOS: &[&str] = &["manjaro", "manjaro-arm", "artix", "steamos", "parabola", "hyperbola"];

/// Why pacman on this host is not configured: an Arch derivative whose mirrorlist lists its
/// own repositories. `None` for Arch Linux, Arch Linux ARM, the derivatives in [`ARCH_REPOS`],
/// and pacman on a distribution that is not pacman-based (building an Arch root from Debian).
pub fn unsupported(host: &Host) -> Option<String> {
    let id = host.id.as_str();
    let arch_like = host.id_like.iter().any(|l| l == "arch" || l == "manjaro");
    if matches!(id, "arch" | "archarm") || ARCH_REPOS.contains(&id) || !(arch_like || OWN_REPOS.contains(&id)) {
        return None;
    }
    Some(format!(
        "os-release says `ID={id}`, an Arch derivative whose pacman mirrorlist lists its own repositories, \
         which no site in the catalog serves"
    ))
}

/// The way out for [`unsupported`] hosts.
const UNSUPPORTED_HINT: &str = "switch that mirrorlist with the distribution's own tool (Manjaro: `sudo pacman-mirrors \
     --country China`), or leave pacman out by naming the other targets (`mirror use <SITE> pip uv cargo`); \
     nothing was changed";

/// The two server layouts: Arch Linux and Arch Linux ARM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `<archlinux>/$repo/os/$arch`.
    Arch,
    /// `<archlinuxarm>/$arch/$repo`.
    Arm,
}

impl Flavor {
    /// Arch Linux ARM on an `archarm` host (or an Arch-like one that is not x86); Arch Linux
    /// everywhere else, including pacman on other distributions (used to build Arch roots).
    pub fn of(host: &Host) -> Self {
        if host.distro() == Distro::ArchArm { Self::Arm } else { Self::Arch }
    }

    pub fn repo(self) -> Repo {
        match self {
            Self::Arch => Repo::Archlinux,
            Self::Arm => Repo::Archlinuxarm,
        }
    }

    /// What follows the repository root in a `Server =` URL (`$repo`/`$arch` are literal:
    /// pacman expands them).
    fn suffix(self) -> &'static str {
        match self {
            Self::Arch => "/$repo/os/$arch",
            Self::Arm => "/$arch/$repo",
        }
    }

    /// The `Server =` URL for a repository root.
    pub fn server(self, root: &str) -> String {
        format!("{}{}", root.trim_end_matches('/'), self.suffix())
    }

    /// The comment header of a mirrorlist that `use` creates.
    fn header(self) -> [&'static str; 5] {
        let title = match self {
            Self::Arch => "## Arch Linux repository mirrorlist",
            Self::Arm => "## Arch Linux ARM repository mirrorlist",
        };
        ["##", title, "## Created by `mirror use`. pacman tries the servers in order: add fallbacks below", "##", ""]
    }
}

/// What one line of pacman.conf(5) syntax is (a mirrorlist, or a section of `pacman.conf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line<'a> {
    Blank,
    Comment,
    /// A `[section]` header.
    Header,
    /// An active `Server = URL` line, with its URL.
    Server(&'a str),
    /// Another `Key = value` directive, trimmed; the caller decides which it keeps.
    Directive(&'a str, &'a str),
    /// Text that is neither of these, trimmed.
    Stray(&'a str),
}

/// Classifies one line the way pacman reads it: trimmed, `#` starts a comment only at the
/// start of the line (pacman has no end-of-line comments), `key = value` with optional spaces.
/// A malformed header and a `Server =` that is not one URL are errors.
pub(crate) fn classify(line: &str, number: usize) -> Result<Line<'_>, LineError> {
    let t = line.trim();
    if t.is_empty() {
        return Ok(Line::Blank);
    }
    if t.starts_with('#') {
        return Ok(Line::Comment);
    }
    if t.starts_with('[') {
        if t.len() > 2 && t.ends_with(']') {
            return Ok(Line::Header);
        }
        return Err(LineError::at(number, format!("`{t}` is not a `[section]` header")));
    }
    let Some((key, value)) = t.split_once('=') else {
        return Ok(Line::Stray(t));
    };
    let (key, value) = (key.trim(), value.trim());
    if key != "Server" {
        return Ok(Line::Directive(key, value));
    }
    if value.is_empty() {
        return Err(LineError::at(number, "`Server =` has no URL"));
    }
    if value.contains(char::is_whitespace) {
        return Err(LineError::at(
            number,
            format!("the server URL `{value}` contains whitespace (pacman has no end-of-line comments)"),
        ));
    }
    Ok(Line::Server(value))
}

/// The URL of an active `Server =` line.
pub(crate) fn server_of(line: &str) -> Option<&str> {
    match classify(line, 0) {
        Ok(Line::Server(url)) => Some(url),
        _ => None,
    }
}

/// Checks one line of a mirrorlist: [`classify`], and only the directives pacman knows, with
/// a value.
fn parse_line(line: &str, number: usize) -> Result<Line<'_>, LineError> {
    let parsed = classify(line, number)?;
    match parsed {
        Line::Stray(t) => Err(LineError::at(number, format!("`{t}` is neither a comment nor a `Server = URL` line"))),
        Line::Directive(key, value) if KEPT_DIRECTIVES.contains(&key) => {
            if value.is_empty() {
                return Err(LineError::at(number, format!("`{key} =` has no value")));
            }
            Ok(parsed)
        }
        Line::Directive(key, _) => Err(LineError::at(
            number,
            format!("unknown directive `{key}`; a mirrorlist holds `Server = URL` lines and comments"),
        )),
        _ => Ok(parsed),
    }
}

/// Checks every line; returns the URL of the first active `Server =` line.
pub fn first_server(text: &str) -> Result<Option<&str>, LineError> {
    let mut first = None;
    for (i, line) in split(text).0.into_iter().enumerate() {
        if let Line::Server(url) = parse_line(line, i + 1)?
            && first.is_none()
        {
            first = Some(url);
        }
    }
    Ok(first)
}

/// The repository root of a `Server =` URL: the Arch or ARM suffix removed, no trailing `/`.
/// This is the form [`Target::endpoint`] uses.
pub fn server_root(url: &str) -> &str {
    let url =
        [Flavor::Arch.suffix(), Flavor::Arm.suffix()].iter().find_map(|suffix| url.strip_suffix(suffix)).unwrap_or(url);
    url.trim_end_matches('/')
}

/// Renders the mirrorlist with `server` (a full `Server =` URL) as the first active server,
/// marked as chosen by `use` for `site_id`. `None` or a blank input creates a new list.
pub fn render(input: Option<&str>, site_id: &str, server: &str, flavor: Flavor) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    first_server(text)?;
    let eol = cr_of(text);
    let (lines, mut trailing_newline) = split(text);
    let mut lines: Vec<String> = if lines.iter().all(|l| l.trim().is_empty()) {
        trailing_newline = true;
        flavor.header().iter().map(|l| format!("{l}{eol}")).collect()
    } else {
        strip_blocks(&lines, true)
    };

    // Already first without our block (the official server of a stock list, the winner of a
    // reflector run): nothing to add.
    if !leads(&lines, server) {
        insert_block(&mut lines, &mut trailing_newline, site_id, server, eol);
    }

    let mut out = lines.join("\n");
    if trailing_newline {
        out.push('\n');
    }
    Ok(out)
}

/// Inserts the marker and the `Server =` line where [`insert_at`] says, with a blank line
/// between the block and what follows it.
fn insert_block(lines: &mut Vec<String>, trailing_newline: &mut bool, site_id: &str, server: &str, eol: &str) {
    let at = insert_at(lines);
    let mut block = Vec::with_capacity(4);
    if at > 0 && !lines[at - 1].trim().is_empty() {
        block.push(eol.to_owned());
    }
    block.extend(marked_block(site_id, server, eol));
    if at < lines.len() {
        block.push(eol.to_owned());
    } else {
        *trailing_newline = true;
    }
    lines.splice(at..at, block);
}

/// Lines without their `\n` (a `\r` stays on the line), and whether the text ended with `\n`.
fn split(text: &str) -> (Vec<&str>, bool) {
    if text.is_empty() {
        return (Vec::new(), false);
    }
    let trailing = text.ends_with('\n');
    let body = text.strip_suffix('\n').unwrap_or(text);
    (body.split('\n').collect(), trailing)
}

/// What ends a line of a text split at `\n`: `\r` when the text uses CRLF, for the lines an
/// edit adds.
pub(crate) fn cr_of(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r" } else { "" }
}

/// The two lines `use` writes for `site_id`: the marker comment and `Server = <server>`, each
/// ending in `eol` (see [`cr_of`]).
pub(crate) fn marked_block(site_id: &str, server: &str, eol: &str) -> [String; 2] {
    [
        format!("{MARKER_PREFIX}{site_id} {MARKER_TAG}; the servers below are kept as fallbacks){eol}"),
        format!("Server = {server}{eol}"),
    ]
}

pub(crate) fn is_marker(line: &str) -> bool {
    let t = line.trim();
    t.starts_with(MARKER_PREFIX) && t.contains(MARKER_TAG)
}

/// Whether the first active `Server =` of `lines` is `server` already (trailing `/` aside).
pub(crate) fn leads(lines: &[String], server: &str) -> bool {
    lines.iter().find_map(|l| server_of(l)).is_some_and(|url| url.trim_end_matches('/') == server.trim_end_matches('/'))
}

/// A commented-out server, such as `#Server = …` or `# Server = …`.
fn is_commented_server(line: &str) -> bool {
    let Some(body) = line.trim().strip_prefix('#') else {
        return false;
    };
    body.trim_start_matches('#')
        .trim_start()
        .strip_prefix("Server")
        .is_some_and(|rest| rest.trim_start().starts_with('='))
}

/// Removes every block an earlier `use` wrote: the marker, the `Server =` line under it and,
/// with `separated` (a mirrorlist's block stands apart), the blank line that separated the
/// block from what follows.
pub(crate) fn strip_blocks(lines: &[&str], separated: bool) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        if is_marker(lines[i]) {
            i += 1;
            if i < lines.len() && server_of(lines[i]).is_some() {
                i += 1;
            }
            if separated && i < lines.len() && lines[i].trim().is_empty() {
                i += 1;
            }
            continue;
        }
        out.push(lines[i].to_owned());
        i += 1;
    }
    out
}

/// Where the block goes: after the blank line that ends the leading comment header, that is
/// after the last blank line before the first server line (active or commented out) or other
/// directive. Without such a blank line: at the top when the file has servers, else at the end.
fn insert_at(lines: &[String]) -> usize {
    let content = lines
        .iter()
        .position(|l| {
            let t = l.trim();
            !t.is_empty() && (!t.starts_with('#') || is_commented_server(t))
        })
        .unwrap_or(lines.len());
    match lines[..content].iter().rposition(|l| l.trim().is_empty()) {
        Some(blank) => blank + 1,
        None if content < lines.len() => 0,
        None => lines.len(),
    }
}

impl Target for Pacman {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.sys("/etc/pacman.conf").exists() || ctx.sys("/etc/pacman.d").is_dir() || ctx.has_program("pacman")
    }

    fn looked_for(&self) -> &'static str {
        "no `/etc/pacman.conf`, no `/etc/pacman.d/` and no `pacman` program"
    }

    fn endpoint(&self, site: &Site, host: &Host) -> Option<String> {
        if unsupported(host).is_some() {
            return None;
        }
        endpoint(site, Flavor::of(host).repo())
    }

    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        if let Some(why) = unsupported(host) {
            return Err(Problem::bad(format!("cannot configure pacman: {why}")).hint(UNSUPPORTED_HINT).into());
        }
        let flavor = Flavor::of(host);
        let root = req.site.repo(flavor.repo()).ok_or_else(|| {
            Problem::bad(format!("site `{}` does not serve `{}`", req.site.id, flavor.repo()))
                .hint("`mirror list pacman` shows the sites that do")
        })?;
        plan_with(ctx, ctx.sys(MIRRORLIST), BOM, |text, _| render(text, &req.site.id, &flavor.server(root), flavor))
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        current_with(ctx, ctx.sys(MIRRORLIST), BOM, |text| {
            Ok(first_server(text)?.map(|url| server_root(url).to_owned()))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::catalog::{Origin, parse_site};
    use crate::targets::testing::{root_context as ctx, write};

    const STOCK: &str = include_str!("../../tests/fixtures/pacman/stock.mirrorlist");
    const REFLECTOR: &str = include_str!("../../tests/fixtures/pacman/reflector.mirrorlist");
    const ALARM: &str = include_str!("../../tests/fixtures/pacman/alarm.mirrorlist");
    const MALFORMED: &str = include_str!("../../tests/fixtures/pacman/malformed.mirrorlist");
    const MANJARO_LIST: &str = include_str!("../../tests/fixtures/pacman/manjaro.mirrorlist");
    const MANJARO: &str = include_str!("../../tests/fixtures/pacman/manjaro.os-release");
    const MANJARO_ARM: &str = include_str!("../../tests/fixtures/pacman/manjaro-arm.os-release");
    const ENDEAVOUROS: &str = include_str!("../../tests/fixtures/pacman/endeavouros.os-release");
    const ARTIX: &str = include_str!("../../tests/fixtures/pacman/artix.os-release");

    fn site(id: &str, repos: &str) -> Site {
        let text = format!(
            "id = \"{id}\"\nname = \"{id}\"\nhomepage = \"https://{id}.example/\"\nregion = \"CN\"\n[repos]\n{repos}"
        );
        parse_site(Path::new(&format!("x/{id}.toml")), &text, Origin::Builtin).unwrap()
    }

    fn tuna() -> Site {
        site(
            "tuna",
            "archlinux = \"https://mirrors.tuna.tsinghua.edu.cn/archlinux\"\n\
             archlinuxarm = \"https://mirrors.tuna.tsinghua.edu.cn/archlinuxarm\"\n",
        )
    }

    fn ustc() -> Site {
        site(
            "ustc",
            "archlinux = \"https://mirrors.ustc.edu.cn/archlinux/\"\n\
             archlinuxarm = \"https://mirrors.ustc.edu.cn/archlinuxarm\"\n",
        )
    }

    fn upstream() -> Site {
        site(
            "upstream",
            "archlinux = \"https://geo.mirror.pkgbuild.com\"\n\
             archlinuxarm = \"http://mirror.archlinuxarm.org\"\n\
             pypi = \"https://pypi.org/simple\"\n",
        )
    }

    fn arch() -> Host {
        host("ID=arch\n", "amd64")
    }

    fn alarm() -> Host {
        host("ID=archarm\nID_LIKE=arch\n", "arm64")
    }

    fn host(os_release: &str, arch: &str) -> Host {
        let mut h = Host { arch: arch.into(), has_os_release: true, ..Host::default() };
        h.parse_os_release(os_release);
        h
    }

    /// Renders `input` for `site` the way `plan` does.
    fn apply(input: Option<&str>, site: &Site, flavor: Flavor) -> String {
        let root = site.repo(flavor.repo()).unwrap();
        render(input, &site.id, &flavor.server(root), flavor).unwrap()
    }

    fn active_servers(text: &str) -> Vec<&str> {
        split(text)
            .0
            .into_iter()
            .filter_map(|l| match parse_line(l, 0) {
                Ok(Line::Server(url)) => Some(url),
                _ => None,
            })
            .collect()
    }

    /// Every input the idempotence and switching tests run over, with its flavor.
    fn inputs() -> Vec<(&'static str, Option<&'static str>, Flavor)> {
        vec![
            ("stock", Some(STOCK), Flavor::Arch),
            ("reflector", Some(REFLECTOR), Flavor::Arch),
            ("alarm", Some(ALARM), Flavor::Arm),
            ("missing", None, Flavor::Arch),
            ("missing-arm", None, Flavor::Arm),
            ("empty", Some(""), Flavor::Arch),
            ("blank", Some("\n  \n"), Flavor::Arch),
            ("no-header", Some("Server = https://a.example/$repo/os/$arch\n"), Flavor::Arch),
            ("comments-only", Some("## my mirrors\n"), Flavor::Arch),
            ("no-newline", Some("# mine\n\nServer=https://a.example/$repo/os/$arch"), Flavor::Arch),
            ("crlf", Some("## list\r\n\r\nServer = https://a.example/$repo/os/$arch\r\n"), Flavor::Arch),
            (
                "section",
                Some("# extra\n\n[custom]\nServer = https://c.example/$arch\nInclude = /etc/pacman.d/other\n"),
                Flavor::Arch,
            ),
        ]
    }

    #[test]
    fn stock_list_gets_the_chosen_server_first() {
        let out = apply(Some(STOCK), &tuna(), Flavor::Arch);
        insta::assert_snapshot!(out);
        assert_eq!(
            active_servers(&out),
            [
                "https://mirrors.tuna.tsinghua.edu.cn/archlinux/$repo/os/$arch",
                "https://geo.mirror.pkgbuild.com/$repo/os/$arch",
                "https://mirrors.ustc.edu.cn/archlinux/$repo/os/$arch",
            ]
        );
    }

    #[test]
    fn reflector_list_keeps_its_header_and_servers() {
        insta::assert_snapshot!(apply(Some(REFLECTOR), &ustc(), Flavor::Arch));
    }

    #[test]
    fn alarm_list_uses_the_arm_layout() {
        let out = apply(Some(ALARM), &tuna(), Flavor::Arm);
        insta::assert_snapshot!(out);
        assert_eq!(active_servers(&out)[0], "https://mirrors.tuna.tsinghua.edu.cn/archlinuxarm/$arch/$repo");
    }

    #[test]
    fn missing_file_is_created_with_a_header() {
        insta::assert_snapshot!("missing_arch", apply(None, &tuna(), Flavor::Arch));
        insta::assert_snapshot!("missing_arm", apply(None, &tuna(), Flavor::Arm));
        for blank in ["", "\n", " \n\n"] {
            assert_eq!(apply(Some(blank), &tuna(), Flavor::Arch), apply(None, &tuna(), Flavor::Arch));
        }
    }

    #[test]
    fn upstream_writes_the_official_server() {
        let out = apply(Some(REFLECTOR), &upstream(), Flavor::Arch);
        insta::assert_snapshot!(out);
        assert_eq!(first_server(&out).unwrap(), Some("https://geo.mirror.pkgbuild.com/$repo/os/$arch"));
        let arm = apply(None, &upstream(), Flavor::Arm);
        assert_eq!(first_server(&arm).unwrap(), Some("http://mirror.archlinuxarm.org/$arch/$repo"));
    }

    #[test]
    fn a_server_that_already_leads_needs_no_block() {
        // The stock list already starts with the official server, the ALARM list with the
        // official ARM one, the reflector list with JLU.
        assert_eq!(apply(Some(STOCK), &upstream(), Flavor::Arch), STOCK);
        assert_eq!(apply(Some(ALARM), &upstream(), Flavor::Arm), ALARM);
        let jlu = site("jlu", "archlinux = \"https://mirrors.jlu.edu.cn/archlinux\"\n");
        assert_eq!(apply(Some(REFLECTOR), &jlu, Flavor::Arch), REFLECTOR);
        // So going back to upstream after a switch gives back the original bytes.
        for (input, flavor) in [(STOCK, Flavor::Arch), (ALARM, Flavor::Arm)] {
            let switched = apply(Some(input), &tuna(), flavor);
            assert_ne!(switched, input);
            assert_eq!(apply(Some(&switched), &upstream(), flavor), input);
        }
    }

    #[test]
    fn rendering_is_idempotent() {
        for (name, input, flavor) in inputs() {
            for site in [tuna(), ustc(), upstream()] {
                let once = apply(input, &site, flavor);
                let twice = apply(Some(&once), &site, flavor);
                assert_eq!(once, twice, "{name} for {}", site.id);
            }
        }
    }

    #[test]
    fn switching_sites_equals_choosing_directly() {
        for (name, input, flavor) in inputs() {
            let direct = apply(input, &ustc(), flavor);
            let via_tuna = apply(Some(&apply(input, &tuna(), flavor)), &ustc(), flavor);
            assert_eq!(via_tuna, direct, "{name}");
            let back = apply(Some(&apply(input, &upstream(), flavor)), &ustc(), flavor);
            assert_eq!(back, direct, "{name} via upstream");
        }
    }

    #[test]
    fn only_the_block_is_added() {
        for (name, input, flavor) in inputs() {
            let Some(input) = input.filter(|i| !i.trim().is_empty()) else {
                continue;
            };
            let out = apply(Some(input), &tuna(), flavor);
            let mut lines: Vec<&str> = out.lines().collect();
            let at = lines.iter().position(|l| is_marker(l)).unwrap();
            assert!(lines[at + 1].starts_with("Server = https://mirrors.tuna"), "{name}");
            lines.drain(at..at + 2);
            let non_blank = |l: &&str| !l.trim().is_empty();
            let left: Vec<&str> = lines.into_iter().filter(non_blank).collect();
            let kept: Vec<&str> = input.lines().filter(non_blank).collect();
            assert_eq!(left, kept, "{name}");
        }
    }

    #[test]
    fn current_reads_back_the_endpoint() {
        for (name, input, flavor) in inputs() {
            let host = if flavor == Flavor::Arm { alarm() } else { arch() };
            for site in [tuna(), ustc(), upstream()] {
                let out = apply(input, &site, flavor);
                let url = first_server(&out).unwrap().map(server_root);
                assert_eq!(url.map(str::to_owned), Pacman.endpoint(&site, &host), "{name}");
            }
        }
        assert_eq!(first_server(STOCK).unwrap().map(server_root), Some("https://geo.mirror.pkgbuild.com"));
        assert_eq!(first_server(ALARM).unwrap().map(server_root), Some("http://mirror.archlinuxarm.org"));
        assert_eq!(first_server("#Server = https://a/$repo/os/$arch\n"), Ok(None));
    }

    #[test]
    fn a_server_already_listed_stays_where_it_is() {
        // TUNA is the second active server of the reflector list: it is not moved or
        // commented out, pacman just meets it twice.
        let out = apply(Some(REFLECTOR), &tuna(), Flavor::Arch);
        let tuna_url = "https://mirrors.tuna.tsinghua.edu.cn/archlinux/$repo/os/$arch";
        let servers = active_servers(&out);
        assert_eq!(servers[0], tuna_url);
        assert_eq!(servers[2], tuna_url);
        assert_eq!(servers.len(), 6);
        assert_eq!(apply(Some(&out), &tuna(), Flavor::Arch), out);
    }

    #[test]
    fn a_hand_edited_block_is_replaced() {
        let edited = apply(Some(STOCK), &tuna(), Flavor::Arch).replace(
            "\nServer = https://mirrors.tuna.tsinghua.edu.cn/archlinux/$repo/os/$arch",
            "\nServer=https://mine.example/$repo/os/$arch",
        );
        assert!(edited.contains("\nServer=https://mine.example/"));
        assert_eq!(apply(Some(&edited), &ustc(), Flavor::Arch), apply(Some(STOCK), &ustc(), Flavor::Arch));
        // Two blocks (say, pasted from another machine) collapse into one.
        let block = "## mirror: nju (chosen by `mirror use`; the servers below are kept as fallbacks)\nServer = https://mirror.nju.edu.cn/archlinux/$repo/os/$arch\n\n";
        let doubled = format!("{block}{}", apply(Some(STOCK), &tuna(), Flavor::Arch));
        assert_eq!(apply(Some(&doubled), &ustc(), Flavor::Arch), apply(Some(STOCK), &ustc(), Flavor::Arch));
    }

    #[test]
    fn layout_details_are_kept() {
        let out = apply(Some("## list\r\n\r\nServer = https://a.example/$repo/os/$arch\r\n"), &tuna(), Flavor::Arch);
        assert_eq!(
            out,
            "## list\r\n\r\n## mirror: tuna (chosen by `mirror use`; the servers below are kept as fallbacks)\r\nServer = https://mirrors.tuna.tsinghua.edu.cn/archlinux/$repo/os/$arch\r\n\r\nServer = https://a.example/$repo/os/$arch\r\n"
        );
        let out = apply(Some("# mine\n\nServer=https://a.example/$repo/os/$arch"), &tuna(), Flavor::Arch);
        assert!(out.ends_with("\n\nServer=https://a.example/$repo/os/$arch"), "{out}");
        let out = apply(Some("## my mirrors\n"), &tuna(), Flavor::Arch);
        assert_eq!(
            out,
            "## my mirrors\n\n## mirror: tuna (chosen by `mirror use`; the servers below are kept as fallbacks)\nServer = https://mirrors.tuna.tsinghua.edu.cn/archlinux/$repo/os/$arch\n"
        );
        let out = apply(Some("Server = https://a.example/$repo/os/$arch\n"), &tuna(), Flavor::Arch);
        assert!(out.starts_with("## mirror: tuna"), "{out}");
    }

    #[test]
    fn accepted_line_forms() {
        let text = "# c\n  Server=https://a/$repo/os/$arch  \nServer   =   https://b/x\n[core]\n\
                    Include = /etc/pacman.d/x\nCacheServer = http://cache/$repo/os/$arch\n\
                    SigLevel = Optional\nUsage = Sync\n";
        assert_eq!(first_server(text), Ok(Some("https://a/$repo/os/$arch")));
        assert_eq!(active_servers(text), ["https://a/$repo/os/$arch", "https://b/x"]);
    }

    #[test]
    fn malformed_lines_name_the_line() {
        let cases = [
            (MALFORMED, 10, "neither a comment nor a `Server = URL` line"),
            (
                "Server = https://a/$repo/os/$arch # fast\n",
                1,
                "contains whitespace (pacman has no end-of-line comments)",
            ),
            ("# ok\nServer =\n", 2, "`Server =` has no URL"),
            ("\n\nserver = https://a/\n", 3, "unknown directive `server`"),
            ("MirrorList = x\n", 1, "unknown directive `MirrorList`"),
            ("[core\n", 1, "not a `[section]` header"),
            ("Include =\n", 1, "`Include =` has no value"),
        ];
        for (text, line, what) in cases {
            let err = first_server(text).unwrap_err();
            assert_eq!(err.line, Some(line), "{text:?}");
            assert!(err.message.contains(what), "{text:?}: {}", err.message);
            let err = render(Some(text), "tuna", "https://t/$repo/os/$arch", Flavor::Arch).unwrap_err();
            assert_eq!(err.line, Some(line));
        }
    }

    #[test]
    fn endpoint_follows_the_host() {
        let tuna = tuna();
        assert_eq!(Pacman.endpoint(&tuna, &arch()).as_deref(), Some("https://mirrors.tuna.tsinghua.edu.cn/archlinux"));
        assert_eq!(
            Pacman.endpoint(&tuna, &alarm()).as_deref(),
            Some("https://mirrors.tuna.tsinghua.edu.cn/archlinuxarm")
        );
        assert_eq!(Pacman.endpoint(&ustc(), &arch()).as_deref(), Some("https://mirrors.ustc.edu.cn/archlinux"));
        // pacman on another distribution (pacstrap from Debian) uses the Arch layout.
        assert_eq!(
            Pacman.endpoint(&tuna, &host("ID=debian\n", "amd64")).as_deref(),
            Some("https://mirrors.tuna.tsinghua.edu.cn/archlinux")
        );
        // An Arch derivative on arm64 that uses Arch's repositories is Arch Linux ARM.
        assert_eq!(
            Pacman.endpoint(&tuna, &host(ENDEAVOUROS, "arm64")).as_deref(),
            Some("https://mirrors.tuna.tsinghua.edu.cn/archlinuxarm")
        );
        let arch_only = site("zju", "archlinux = \"https://mirrors.zju.edu.cn/archlinux\"\n");
        assert!(Pacman.endpoint(&arch_only, &arch()).is_some());
        assert_eq!(Pacman.endpoint(&arch_only, &alarm()), None);
        let pypi_only = site("pypi", "pypi = \"https://p.example/simple\"\n");
        assert_eq!(Pacman.endpoint(&pypi_only, &arch()), None);
    }

    #[test]
    fn arch_derivatives_with_their_own_repositories_are_refused() {
        let tuna = tuna();
        for (os_release, arch) in [
            (MANJARO, "amd64"),
            (MANJARO_ARM, "arm64"),
            (ARTIX, "amd64"),
            ("NAME=\"SteamOS\"\nID=steamos\nID_LIKE=arch\n", "amd64"),
            ("ID=rebornos\nID_LIKE=arch\n", "amd64"),
        ] {
            let h = host(os_release, arch);
            assert_eq!(Pacman.endpoint(&tuna, &h), None, "{os_release}");
            let why = unsupported(&h).unwrap();
            assert!(why.contains(&format!("`ID={}`", h.id)) && why.contains("its own repositories"), "{why}");
        }
        // Arch itself, ALARM, the derivatives that use Arch's repositories through the
        // mirrorlist, and pacman on a distribution that is not pacman-based.
        for (os_release, arch) in [
            ("ID=arch\n", "amd64"),
            ("ID=archarm\nID_LIKE=arch\n", "arm64"),
            (ENDEAVOUROS, "amd64"),
            ("NAME=\"CachyOS Linux\"\nID=cachyos\nID_LIKE=arch\n", "amd64"),
            ("NAME=\"Garuda Linux\"\nID=garuda\nID_LIKE=arch\n", "amd64"),
            ("ID=debian\n", "amd64"),
            ("", "amd64"),
        ] {
            let h = host(os_release, arch);
            assert_eq!(unsupported(&h), None, "{os_release}");
            assert!(Pacman.endpoint(&tuna, &h).is_some(), "{os_release}");
        }

        // A Manjaro root: plan refuses, naming why and the way out; the list is untouched.
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "etc/pacman.d/mirrorlist", MANJARO_LIST);
        let req = Request { site: &tuna, upstream: None, security: false };
        let err = Pacman.plan(&ctx(dir.path()), &host(MANJARO, "amd64"), &req).unwrap_err();
        let text = crate::error::render(&err);
        assert!(text.contains("cannot configure pacman: os-release says `ID=manjaro`"), "{text}");
        assert!(text.contains("hint: switch that mirrorlist with the distribution's own tool"), "{text}");
        assert_eq!(crate::error::status_of(&err).code(), 2);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), MANJARO_LIST);
        // Reading what it points at still works (status shows the Manjaro server).
        let current = Pacman.current(&ctx(dir.path()), &host(MANJARO, "amd64")).unwrap();
        assert_eq!(current.url.as_deref(), Some("https://mirrors.tuna.tsinghua.edu.cn/manjaro/stable/$repo/$arch"));
    }

    #[test]
    fn present_when_configured_or_installed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert!(!Pacman.present(&ctx(root), &arch()));
        write(root, "etc/pacman.conf", "[options]\n");
        assert!(Pacman.present(&ctx(root), &arch()));

        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc/pacman.d")).unwrap();
        assert!(Pacman.present(&ctx(dir.path()), &arch()));

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "usr/bin/pacman", "");
        assert!(Pacman.present(&ctx(dir.path()), &arch()));
    }

    #[test]
    fn plan_and_current_use_the_mirrorlist_under_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let ctx = ctx(root);
        let host = arch();
        assert_eq!(Pacman.current(&ctx, &host).unwrap(), Current::default());

        let (tuna, upstream) = (tuna(), upstream());
        let req = Request { site: &tuna, upstream: Some(&upstream), security: false };
        let edits = Pacman.plan(&ctx, &host, &req).unwrap();
        let path = root.join("etc/pacman.d/mirrorlist");
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].path, path);
        assert_eq!(edits[0].before, None);
        assert!(!path.exists(), "plan never writes");

        write(root, "etc/pacman.d/mirrorlist", STOCK);
        let current = Pacman.current(&ctx, &host).unwrap();
        assert_eq!(current.files, std::slice::from_ref(&path));
        assert_eq!(current.url.as_deref(), Some("https://geo.mirror.pkgbuild.com"));

        let edits = Pacman.plan(&ctx, &host, &req).unwrap();
        assert!(edits[0].is_change());
        std::fs::write(&path, edits[0].after.as_ref().unwrap()).unwrap();
        assert_eq!(Pacman.current(&ctx, &host).unwrap().url, Pacman.endpoint(&tuna, &host));
        let again = Pacman.plan(&ctx, &host, &req).unwrap();
        assert!(!again[0].is_change(), "applying the same site twice changes nothing");
    }

    #[test]
    fn plan_errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let ctx = ctx(root);
        let path = write(root, "etc/pacman.d/mirrorlist", MALFORMED);
        let tuna = tuna();
        let req = Request { site: &tuna, upstream: None, security: false };
        for err in [Pacman.plan(&ctx, &arch(), &req).unwrap_err(), Pacman.current(&ctx, &arch()).unwrap_err()] {
            let text = crate::error::render(&err);
            assert!(text.contains(&format!("could not parse `{}` line 10:", path.display())), "{text}");
            assert_eq!(crate::error::status_of(&err).code(), 2);
        }

        let pypi_only = site("pypi", "pypi = \"https://p.example/simple\"\n");
        let req = Request { site: &pypi_only, upstream: None, security: false };
        let text = crate::error::render(&Pacman.plan(&ctx, &arch(), &req).unwrap_err());
        assert!(text.contains("site `pypi` does not serve `archlinux`"), "{text}");
    }

    #[test]
    fn a_byte_order_mark_is_refused_and_nothing_changes() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("\u{feff}{STOCK}");
        let path = write(dir.path(), "etc/pacman.d/mirrorlist", &text);
        let tuna = tuna();
        let req = Request { site: &tuna, upstream: None, security: false };
        let ctx = ctx(dir.path());
        for err in [Pacman.plan(&ctx, &arch(), &req).unwrap_err(), Pacman.current(&ctx, &arch()).unwrap_err()] {
            let text = crate::error::render(&err);
            assert!(
                text.contains(&format!(
                    "could not parse `{}` line 1: the file starts with a UTF-8 byte-order mark, which pacman cannot read",
                    path.display()
                )),
                "{text}"
            );
            assert_eq!(crate::error::status_of(&err).code(), 2);
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }

    /// The real parser agrees, when `pacman-conf` is installed: the rendered list parses and
    /// yields the chosen server first, then the old ones in order.
    #[test]
    fn pacman_conf_reads_the_rendered_list() {
        let dir = tempfile::tempdir().unwrap();
        let list = write(dir.path(), "mirrorlist", &apply(Some(STOCK), &tuna(), Flavor::Arch));
        let conf = write(
            dir.path(),
            "pacman.conf",
            &format!("[options]\nArchitecture = x86_64\n\n[core]\nInclude = {}\n", list.display()),
        );
        let output = match std::process::Command::new("pacman-conf")
            .arg("--config")
            .arg(&conf)
            .args(["--repo", "core", "Server"])
            .output()
        {
            Ok(output) => output,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => panic!("{e}"),
        };
        assert!(output.status.success(), "{output:?}");
        assert!(output.stderr.is_empty(), "{output:?}");
        assert_eq!(
            String::from_utf8(output.stdout).unwrap(),
            "https://mirrors.tuna.tsinghua.edu.cn/archlinux/core/os/x86_64\n\
             https://geo.mirror.pkgbuild.com/core/os/x86_64\n\
             https://mirrors.ustc.edu.cn/archlinux/core/os/x86_64\n"
        );
    }
}
