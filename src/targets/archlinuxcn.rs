//! archlinuxcn: the `Server =` of the `[archlinuxcn]` section of `/etc/pacman.conf`.
//!
//! The Arch Linux CN community repository is a section of `pacman.conf` the user adds
//! (`Server = https://repo.archlinuxcn.org/$arch`, or an `Include` of the
//! archlinuxcn-mirrorlist). As for pacman's mirrorlist, `use` puts the site first: a marker
//! comment and `Server = <archlinuxcn>/$arch` right under the section header, so pacman tries
//! it before the servers and includes that follow, which stay as fallbacks. A block an earlier
//! `use` wrote is taken out first. The section is never added when it is not there (it needs
//! the archlinuxcn-keyring), and nothing else in `pacman.conf` changes.

use anyhow::Result;

use super::common::endpoint;
use super::pacman::{self, Line};
use super::{Bom, Current, FileEdit, Host, LineError, Request, Target, current_with, plan_with, read_config};
use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Archlinuxcn;

const PACMAN_CONF: &str = "/etc/pacman.conf";
const SECTION: &str = "[archlinuxcn]";

/// `Server =` for a repository root.
pub fn server(root: &str) -> String {
    format!("{}/$arch", root.trim_end_matches('/'))
}

/// The lines of the `[archlinuxcn]` section (after its header), checked: `None` when the file
/// has no such section.
fn section(lines: &[&str]) -> Result<Option<std::ops::Range<usize>>, LineError> {
    let Some(header) = lines.iter().position(|l| l.trim() == SECTION) else {
        return Ok(None);
    };
    let end =
        lines[header + 1..].iter().position(|l| l.trim().starts_with('[')).map_or(lines.len(), |p| header + 1 + p);
    for (i, line) in lines.iter().enumerate().take(end).skip(header + 1) {
        match pacman::classify(line, i + 1)? {
            Line::Stray(t) => return Err(LineError::at(i + 1, format!("`{t}` is not `Key = value` in `{SECTION}`"))),
            Line::Directive(key, _) if !pacman::KEPT_DIRECTIVES.contains(&key) => {
                return Err(LineError::at(i + 1, format!("unknown directive `{key}` in `{SECTION}`")));
            }
            _ => {}
        }
    }
    Ok(Some(header + 1..end))
}

/// The first `Server` of the section, without `/$arch`.
pub fn first_server(text: &str) -> Result<Option<String>, LineError> {
    let lines: Vec<&str> = text.split('\n').collect();
    let Some(range) = section(&lines)? else { return Ok(None) };
    Ok(lines[range]
        .iter()
        .find_map(|l| pacman::server_of(l))
        .map(|u| u.trim_end_matches("/$arch").trim_end_matches('/').to_owned()))
}

/// Renders pacman.conf with `root` first in `[archlinuxcn]`, marked as chosen for `site_id`.
pub fn render(text: &str, site_id: &str, root: &str) -> Result<String, LineError> {
    let lines: Vec<&str> = text.split('\n').collect();
    let Some(range) = section(&lines)? else {
        return Err(LineError::new(None, format!("there is no `{SECTION}` section")));
    };
    let mut body = pacman::strip_blocks(&lines[range.clone()], false);
    let wanted = server(root);
    if !pacman::leads(&body, &wanted) {
        body.splice(0..0, pacman::marked_block(site_id, &wanted, pacman::cr_of(text)));
    }
    let mut out: Vec<String> = lines[..range.start].iter().map(|l| (*l).to_owned()).collect();
    out.extend(body);
    out.extend(lines[range.end..].iter().map(|l| (*l).to_owned()));
    Ok(out.join("\n"))
}

impl Target for Archlinuxcn {
    /// Present when `pacman.conf` has the section (the repository is something a user adds).
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        read_config(ctx, &ctx.sys(PACMAN_CONF)).ok().flatten().is_some_and(|t| t.lines().any(|l| l.trim() == SECTION))
    }

    fn looked_for(&self) -> &'static str {
        "no `[archlinuxcn]` section in `/etc/pacman.conf`"
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Archlinuxcn)
    }

    fn plan(&self, ctx: &Context, _host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let root = req.site.repo(Repo::Archlinuxcn).ok_or_else(|| {
            Problem::bad(format!("site `{}` does not serve `archlinuxcn`", req.site.id))
                .hint("`mirror list archlinuxcn` shows the sites that do")
        })?;
        let path = ctx.sys(PACMAN_CONF);
        if !self.present(ctx, _host) && read_config(ctx, &path)?.is_some() {
            return Err(Problem::bad(format!("`{}` has no `{SECTION}` section", path.display()))
                .hint("add the repository first (`[archlinuxcn]` with a `Server =` line, then `pacman -Sy archlinuxcn-keyring`); `mirror` does not add it; nothing was changed")
                .into());
        }
        // pacman reads a byte-order mark as text and fails on it, as it does in a mirrorlist.
        plan_with(ctx, path, Bom::Refuse("pacman"), |text, _| match text {
            Some(text) => render(text, &req.site.id, root),
            None => Err(LineError::new(None, "the file does not exist; pacman is not set up under this root")),
        })
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        current_with(ctx, ctx.sys(PACMAN_CONF), Bom::Refuse("pacman"), first_server)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::targets::testing::{root_context, write};

    const CONF: &str = include_str!("../../tests/fixtures/pacman/archlinuxcn.pacman.conf");

    fn site(id: &str) -> Site {
        Catalog::builtin().unwrap().get(id).unwrap().clone()
    }

    fn apply(text: &str, id: &str) -> String {
        render(text, id, site(id).repo(Repo::Archlinuxcn).unwrap()).unwrap()
    }

    #[test]
    fn the_site_goes_first_in_the_section_and_nothing_else_changes() {
        let out = apply(CONF, "tuna");
        let added = "[archlinuxcn]\n## mirror: tuna (chosen by `mirror use`; the servers below are kept as fallbacks)\nServer = https://mirrors.tuna.tsinghua.edu.cn/archlinuxcn/$arch\n";
        assert_eq!(out, CONF.replace("[archlinuxcn]\n", added));
        assert_eq!(first_server(&out).unwrap().as_deref(), Some("https://mirrors.tuna.tsinghua.edu.cn/archlinuxcn"));
        assert_eq!(apply(&out, "tuna"), out, "twice");
        assert_eq!(apply(&out, "sjtug"), apply(CONF, "sjtug"), "switching = choosing directly");
        assert!(apply(CONF, "sjtug").contains("Server = https://mirror.sjtu.edu.cn/archlinux-cn/$arch\n"));
        assert_eq!(apply(&out, "upstream"), CONF, "upstream: the official server is first already");
        assert_eq!(first_server(CONF).unwrap().as_deref(), Some("https://repo.archlinuxcn.org"));
    }

    #[test]
    fn a_byte_order_mark_is_refused_as_pacman_refuses_it() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("\u{feff}{CONF}");
        let path = write(dir.path(), "etc/pacman.conf", &text);
        let ctx = root_context(dir.path());
        let s = site("tuna");
        let req = Request { site: &s, upstream: None, security: false };
        let want =
            "line 1: the file starts with a UTF-8 byte-order mark, which pacman cannot read; save it without one";
        let e = crate::error::render(&Archlinuxcn.plan(&ctx, &Host::default(), &req).unwrap_err());
        assert!(e.contains(&format!("`{}` {want}", path.display())), "{e}");
        let e = crate::error::render(&Archlinuxcn.current(&ctx, &Host::default()).unwrap_err());
        assert!(e.contains(want), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "nothing written");
    }

    #[test]
    fn crlf_and_a_blank_line_under_the_header_are_kept() {
        let crlf = CONF.replace("[archlinuxcn]\n", "[archlinuxcn]\n\n").replace('\n', "\r\n");
        let out = apply(&crlf, "tuna");
        let added = "[archlinuxcn]\r\n## mirror: tuna (chosen by `mirror use`; the servers below are kept as fallbacks)\r\nServer = https://mirrors.tuna.tsinghua.edu.cn/archlinuxcn/$arch\r\n\r\n";
        assert_eq!(out, crlf.replace("[archlinuxcn]\r\n\r\n", added));
        assert_eq!(apply(&out, "tuna"), out, "twice");
        assert_eq!(apply(&out, "upstream"), crlf, "the blank line under the header stays");
        let spaced = CONF.replace("Server = https://repo.archlinuxcn.org/$arch", "Server = https://a/$arch # fast");
        let e = first_server(&spaced).unwrap_err();
        assert_eq!(e.line, Some(CONF.lines().count()));
        assert!(e.message.contains("contains whitespace"), "{e}");
    }

    #[test]
    fn malformed_sections_name_the_line_and_a_missing_section_is_not_added() {
        let bad = CONF.replace("SigLevel = Optional TrustAll", "Sever = https://x/$arch");
        let e = render(&bad, "tuna", "https://t/archlinuxcn").unwrap_err();
        assert!(e.message.contains("unknown directive `Sever`"), "{e}");
        assert_eq!(e.line, Some(CONF.lines().position(|l| l.starts_with("SigLevel = Optional TrustAll")).unwrap() + 1));
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "etc/pacman.conf",
            "[options]\nArchitecture = auto\n\n[core]\nInclude = /etc/pacman.d/mirrorlist\n",
        );
        let s = site("tuna");
        let ctx = root_context(dir.path());
        assert!(!Archlinuxcn.present(&ctx, &Host::default()));
        let e = Archlinuxcn
            .plan(&ctx, &Host::default(), &Request { site: &s, upstream: None, security: false })
            .unwrap_err();
        let text = crate::error::render(&e);
        assert!(text.contains("has no `[archlinuxcn]` section") && text.contains("does not add it"), "{text}");
        assert_eq!(crate::error::status_of(&e).code(), 2);
        std::fs::write(&path, &bad).unwrap();
        let e = crate::error::render(&Archlinuxcn.current(&ctx, &Host::default()).unwrap_err());
        assert!(e.contains("could not parse") && e.contains("unknown directive `Sever`"), "{e}");
    }
}
