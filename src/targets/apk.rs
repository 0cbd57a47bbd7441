//! apk (Alpine Linux): the official lines of `/etc/apk/repositories`.
//!
//! apk reads one repository a line: an optional `@tag`, then a URL or an absolute path;
//! `#` starts a comment line. A line whose URL lies under `dl-cdn.alpinelinux.org/alpine`
//! (or another `dl-*.alpinelinux.org`, or a catalog site's `alpine` URL) gets the site's
//! root in front of the same `<version>/<repository>` (`v3.20/main`, `edge/testing`); its tag
//! stays. Comments, local paths and every other server are kept as they are. `use upstream`
//! writes `https://dl-cdn.alpinelinux.org/alpine` back.

use anyhow::Result;

use super::common::below;
use super::repofile::{join, place};
use super::{Bom, Current, FileEdit, Host, LineError, Request, Target, current_with, plan_with};
use crate::catalog::{Catalog, Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Apk;

const REPOSITORIES: &str = "/etc/apk/repositories";

/// apk reads a byte-order mark as part of the first repository.
const BOM: Bom = Bom::Refuse("apk");

/// Whether the host is Alpine or says it is like Alpine (postmarketOS).
fn is_alpine(host: &Host) -> bool {
    host.is_like("alpine")
}

/// Alpine's own hosts: `dl-cdn`, `dl-master`, `dl-2`, `dl-4`, ….
fn official(url: &url::Url) -> bool {
    url.host_str().is_some_and(|h| h.starts_with("dl-") && h.ends_with(".alpinelinux.org"))
        && url.path().trim_start_matches('/').split('/').next() == Some("alpine")
}

/// One line: the byte range of its repository (after an optional `@tag`), or `None` for a comment or
/// blank line.
fn parse_line(line: &str, n: usize) -> Result<Option<std::ops::Range<usize>>, LineError> {
    let t = line.trim_end_matches('\r');
    let trimmed = t.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    let mut words = trimmed.split_whitespace();
    let mut repo = words.next().expect("not blank");
    if repo.starts_with('@') {
        repo = words.next().ok_or_else(|| LineError::at(n, format!("tag `{repo}` names no repository after it")))?;
    }
    if let Some(extra) = words.next() {
        return Err(LineError::at(
            n,
            format!("`{extra}` follows the repository `{repo}`; a line holds one repository"),
        ));
    }
    let is_url = url::Url::parse(repo).is_ok_and(|u| matches!(u.scheme(), "http" | "https" | "ftp" | "file"));
    if !(is_url || repo.starts_with('/')) {
        return Err(LineError::at(n, format!("`{repo}` is neither a URL nor an absolute path")));
    }
    let start = t.find(repo).expect("a word of the line");
    Ok(Some(start..start + repo.len()))
}

/// Checks every line; returns the root of the first official (or catalog) line.
pub fn first_root(text: &str, known: &Known) -> Result<Option<String>, LineError> {
    let mut first = None;
    for (i, line) in text.split('\n').enumerate() {
        if let Some(r) = parse_line(line, i + 1)?
            && first.is_none()
        {
            first = root_of(&line[r], known).map(|(root, _, _)| root);
        }
    }
    Ok(first)
}

/// The catalog's `alpine` URLs, each with itself without a trailing `/` (what [`place`] finds).
pub type Known = [(String, String)];

/// The root a repository URL lies under (official or catalog), and the rest of its path.
fn root_of(repo: &str, known: &Known) -> Option<(String, Vec<String>, bool)> {
    if let Some(p) = place(repo, known) {
        return Some((p.what.clone(), p.rest, p.slash));
    }
    let u = url::Url::parse(repo).ok()?;
    if !official(&u) {
        return None;
    }
    let root = format!("{}://{}/alpine", u.scheme(), u.host_str()?);
    below(repo, &root).map(|rest| (root, rest, repo.ends_with('/')))
}

/// Renders the file with every official line pointed at `dest`. `known`: the catalog's
/// `alpine` URLs. An error when no line is official (there is nothing to switch).
pub fn render(text: &str, dest: &str, known: &Known) -> Result<String, LineError> {
    let mut out = Vec::new();
    let mut any = false;
    for (i, line) in text.split('\n').enumerate() {
        let Some(r) = parse_line(line, i + 1)? else {
            out.push(line.to_owned());
            continue;
        };
        match root_of(&line[r.clone()], known) {
            Some((_, rest, slash)) if !rest.is_empty() => {
                any = true;
                out.push(format!("{}{}{}", &line[..r.start], join(dest, &rest, slash), &line[r.end..]));
            }
            _ => out.push(line.to_owned()),
        }
    }
    if !any {
        return Err(LineError::new(
            None,
            "no line names an Alpine repository (dl-cdn.alpinelinux.org or a catalog site); add `https://dl-cdn.alpinelinux.org/alpine/<version>/main` and run again",
        ));
    }
    Ok(out.join("\n"))
}

fn known(ctx: &Context) -> Result<Vec<(String, String)>> {
    Ok(Catalog::load(ctx)?
        .sites()
        .filter_map(|s| s.repo(Repo::Alpine).map(|u| (u.to_owned(), u.trim_end_matches('/').to_owned())))
        .collect())
}

impl Target for Apk {
    fn present(&self, ctx: &Context, host: &Host) -> bool {
        ctx.sys(REPOSITORIES).exists() || (is_alpine(host) && ctx.has_program("apk"))
    }

    fn looked_for(&self) -> &'static str {
        "no `/etc/apk/repositories`, and no `apk` program on Alpine"
    }

    fn endpoint(&self, site: &Site, host: &Host) -> Option<String> {
        if !is_alpine(host) {
            return None;
        }
        site.repo(Repo::Alpine).map(str::to_owned)
    }

    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        if !is_alpine(host) {
            return Err(Problem::bad(format!("cannot configure apk: the root's os-release says `ID={}`", host.id))
                .hint("`mirror` configures apk on Alpine Linux and distributions with `ID_LIKE=alpine`")
                .into());
        }
        let dest = req.site.repo(Repo::Alpine).ok_or_else(|| {
            Problem::bad(format!("site `{}` does not serve `alpine`", req.site.id))
                .hint("`mirror list apk` shows the sites that do")
        })?;
        let known = known(ctx)?;
        let path = ctx.sys(REPOSITORIES);
        plan_with(ctx, path, BOM, |text, _| match text {
            Some(text) => render(text, dest, &known),
            None => Err(LineError::new(None, "the file does not exist; apk has no repositories to switch")),
        })
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        let known = known(ctx)?;
        current_with(ctx, ctx.sys(REPOSITORIES), BOM, |text| first_root(text, &known))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::testing::{root_context, write};

    const DOCKER: &str = include_str!("../../tests/fixtures/apk/alpine320-docker.repositories");
    const SETUP: &str = include_str!("../../tests/fixtures/apk/alpine320-setup.repositories");
    const MALFORMED: &str = include_str!("../../tests/fixtures/apk/malformed.repositories");
    const ALPINE_OS: &str = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine Linux v3.20\"\n";

    fn host() -> Host {
        let mut h = Host { arch: "amd64".into(), ..Host::default() };
        h.parse_os_release(ALPINE_OS);
        h
    }

    fn site(id: &str) -> Site {
        Catalog::builtin().unwrap().get(id).unwrap().clone()
    }

    fn apply(root: &std::path::Path, id: &str) -> FileEdit {
        let (s, up) = (site(id), site("upstream"));
        let e = Apk
            .plan(&root_context(root), &host(), &Request { site: &s, upstream: Some(&up), security: false })
            .unwrap()
            .remove(0);
        std::fs::write(&e.path, e.after.as_ref().unwrap()).unwrap();
        e
    }

    #[test]
    fn official_lines_move_and_everything_else_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "etc/apk/repositories", SETUP);
        apply(dir.path(), "tuna");
        let out = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            out,
            SETUP
                .replace(
                    "\nhttp://dl-cdn.alpinelinux.org/alpine/v3.20/",
                    "\nhttps://mirrors.tuna.tsinghua.edu.cn/alpine/v3.20/"
                )
                .replace("@testing https://dl-cdn.alpinelinux.org/", "@testing https://mirrors.tuna.tsinghua.edu.cn/")
        );
        assert!(out.contains("#http://dl-cdn.alpinelinux.org/alpine/edge/main"), "comments stay");
        assert!(out.contains("\n/home/builder/packages/main\nhttps://packages.example.com/alpine/v3.20/main\n"));
        let current = Apk.current(&root_context(dir.path()), &host()).unwrap();
        assert_eq!(current.url, Apk.endpoint(&site("tuna"), &host()));
        // Twice: unchanged; another site: as directly; upstream: https on dl-cdn.
        assert!(!apply(dir.path(), "tuna").is_change());
        apply(dir.path(), "ustc");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            SETUP
                .replace("http://dl-cdn.alpinelinux.org/alpine/v3.20", "https://mirrors.ustc.edu.cn/alpine/v3.20")
                .replace("@testing https://dl-cdn.alpinelinux.org/", "@testing https://mirrors.ustc.edu.cn/")
        );
        apply(dir.path(), "upstream");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), SETUP.replace("\nhttp://dl-cdn", "\nhttps://dl-cdn"));

        let docker = tempfile::tempdir().unwrap();
        let path = write(docker.path(), "etc/apk/repositories", DOCKER);
        apply(docker.path(), "nju");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            DOCKER.replace("dl-cdn.alpinelinux.org", "mirror.nju.edu.cn")
        );
        apply(docker.path(), "upstream");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), DOCKER);
    }

    #[test]
    fn malformed_lines_name_the_line_and_nothing_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "etc/apk/repositories", MALFORMED);
        let (s, ctx) = (site("tuna"), root_context(dir.path()));
        let req = Request { site: &s, upstream: None, security: false };
        for err in [Apk.plan(&ctx, &host(), &req).unwrap_err(), Apk.current(&ctx, &host()).unwrap_err()] {
            let text = crate::error::render(&err);
            assert!(text.contains("repositories` line 2: tag `@testing` names no repository after it"), "{text}");
            assert_eq!(crate::error::status_of(&err).code(), 2);
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), MALFORMED);
        for (text, line, what) in [
            ("main community\n", 1, "`community` follows the repository `main`"),
            ("# ok\nv3.20/main\n", 2, "is neither a URL nor an absolute path"),
            ("/local\n", 0, "no line names an Alpine repository"),
        ] {
            let e = render(text, "https://m/alpine", &[]).unwrap_err();
            assert_eq!(e.line.unwrap_or(0), line, "{text:?}");
            assert!(e.message.contains(what), "{text:?}: {}", e.message);
        }
        let e = crate::error::render(&Apk.plan(&ctx, &Host::default(), &req).unwrap_err());
        assert!(e.contains("cannot configure apk"), "{e}");
    }

    #[test]
    fn a_byte_order_mark_is_refused_and_nothing_changes() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("\u{feff}{DOCKER}");
        let path = write(dir.path(), "etc/apk/repositories", &text);
        let (s, ctx) = (site("tuna"), root_context(dir.path()));
        let req = Request { site: &s, upstream: None, security: false };
        for err in [Apk.plan(&ctx, &host(), &req).unwrap_err(), Apk.current(&ctx, &host()).unwrap_err()] {
            let text = crate::error::render(&err);
            assert!(
                text.contains(
                    "repositories` line 1: the file starts with a UTF-8 byte-order mark, which apk cannot read"
                ),
                "{text}"
            );
            assert_eq!(crate::error::status_of(&err).code(), 2);
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }

    #[test]
    fn present_and_endpoint() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!Apk.present(&root_context(dir.path()), &host()));
        write(dir.path(), "etc/apk/repositories", DOCKER);
        assert!(Apk.present(&root_context(dir.path()), &host()));
        assert_eq!(
            Apk.endpoint(&site("tuna"), &host()).as_deref(),
            Some("https://mirrors.tuna.tsinghua.edu.cn/alpine")
        );
        assert_eq!(Apk.endpoint(&site("tuna"), &Host::default()), None);
        assert_eq!(Apk.endpoint(&site("bfsu"), &host()), None);
    }
}
