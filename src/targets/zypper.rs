//! zypper: the `baseurl=` of openSUSE's own repositories in `/etc/zypp/repos.d/*.repo`.
//!
//! openSUSE Leap and Tumbleweed (os-release `ID=opensuse-leap`, `opensuse-tumbleweed`, or
//! `ID_LIKE` naming `opensuse`). A repository is openSUSE's own when its `baseurl` lies in
//! the distribution trees (`distribution/`, `update/`, `tumbleweed/`, `ports/`, `source/`,
//! `debug/`, `history/`) under `download.opensuse.org` (or `cdn.opensuse.org`,
//! `downloadcontent.opensuse.org`) or a catalog site's `opensuse` URL. The Open Build Service
//! projects under `repositories/` (home projects, devel projects), which mirrors do not
//! carry, and every other repository (Packman, codecs.opensuse.org's openh264, NVIDIA) are
//! never touched, nor any key but `baseurl`: `gpgkey`, `autorefresh`, `priority` stay.
//! A repository a zypp service manages (`service=`) is left alone with a warning: the next
//! `zypper refresh-services` would put its URL back. `use upstream` writes
//! `download.opensuse.org` back (itself the redirector to openSUSE's mirrors).

use std::collections::BTreeMap;

use anyhow::Result;

use super::repofile::{self, Located, Placed, RepoFile, Rewrite, Section};
use super::{Current, FileEdit, Host, Request, Target, edit};
use crate::catalog::{Catalog, Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Zypper;

const REPOS_D: &str = "/etc/zypp/repos.d";

/// openSUSE's own servers.
const OFFICIAL: &[&str] =
    &["http://download.opensuse.org", "http://cdn.opensuse.org", "https://downloadcontent.opensuse.org"];

/// The trees of download.opensuse.org that the distribution's repositories use and that
/// mirror sites carry.
const TREES: &[&str] = &["distribution", "update", "tumbleweed", "ports", "source", "debug", "history"];

/// Whether the host is openSUSE (Leap, Tumbleweed, Slowroll, MicroOS).
pub fn is_opensuse(host: &Host) -> bool {
    host.id.starts_with("opensuse") || host.is_like("opensuse")
}

fn own(p: &Placed<'_, Repo>) -> bool {
    p.rest.first().is_some_and(|t| TREES.contains(&t.as_str()))
}

fn no_metalink(_: &str) -> Option<Located> {
    None
}

fn managed(file: &RepoFile<'_>, section: &Section) -> Option<String> {
    file.value(section, "service").map(|service| {
        format!(
            "it belongs to the zypp service `{}`, and `zypper refresh-services` would put its URL back; switch the service's URL instead",
            service.trim()
        )
    })
}

fn roots(catalog: &Catalog) -> Vec<(String, Repo)> {
    OFFICIAL
        .iter()
        .map(|r| ((*r).to_owned(), Repo::Opensuse))
        .chain(catalog.sites().filter_map(|s| s.repo(Repo::Opensuse).map(|u| (u.to_owned(), Repo::Opensuse))))
        .collect()
}

fn rewrite_for<'r>(roots: &'r [(String, Repo)], dest: &'r BTreeMap<Repo, String>) -> Rewrite<'r> {
    Rewrite {
        roots,
        dest,
        metalinks: false,
        upstream: false,
        from_metalink: &no_metalink,
        own: &own,
        hands_off: &managed,
    }
}

impl Target for Zypper {
    fn present(&self, ctx: &Context, host: &Host) -> bool {
        let has_repos = std::fs::read_dir(ctx.sys(REPOS_D))
            .is_ok_and(|d| d.flatten().any(|e| e.file_name().to_string_lossy().ends_with(".repo")));
        has_repos || (is_opensuse(host) && ctx.has_program("zypper"))
    }

    fn looked_for(&self) -> &'static str {
        "no `.repo` file in `/etc/zypp/repos.d/`, and no `zypper` program on openSUSE"
    }

    fn endpoint(&self, site: &Site, host: &Host) -> Option<String> {
        if !is_opensuse(host) {
            return None;
        }
        site.repo(Repo::Opensuse).map(str::to_owned)
    }

    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        if !is_opensuse(host) {
            return Err(Problem::bad(format!("cannot configure zypper: the root's os-release says `ID={}`", host.id))
                .hint("`mirror` configures zypper on openSUSE Leap and Tumbleweed; SUSE Linux Enterprise takes its packages from SUSE's own servers")
                .into());
        }
        let url = req.site.repo(Repo::Opensuse).ok_or_else(|| {
            Problem::bad(format!("site `{}` does not serve `opensuse`", req.site.id))
                .hint("`mirror list zypper` shows the sites that do")
        })?;
        let roots = roots(&Catalog::load(ctx)?);
        let dest = BTreeMap::from([(Repo::Opensuse, url.to_owned())]);
        let rw = rewrite_for(&roots, &dest);
        let dir = ctx.sys(REPOS_D);
        let mut edits = Vec::new();
        let mut notes = Vec::new();
        for (path, text) in repofile::read_dir_files(ctx, &dir)? {
            let out = repofile::rewrite(&path.display().to_string(), &text, &rw).map_err(|e| e.into_problem(&path))?;
            notes.extend(out.notes);
            if !out.own.is_empty() {
                edits.push(edit(path, Some(text), out.text));
            }
        }
        if edits.is_empty() {
            return Err(Problem::bad(format!("no file in `{}` names an openSUSE repository `mirror` recognises", dir.display()))
                .hint("`mirror` switches repositories whose `baseurl` is under download.opensuse.org or a catalog site; add them with `zypper ar` or reinstall `openSUSE-release`; nothing was changed")
                .into());
        }
        edits[0].notes = notes;
        Ok(edits)
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        let roots = roots(&Catalog::load(ctx)?);
        let dest = BTreeMap::new();
        repofile::current_of(ctx, &ctx.sys(REPOS_D), &rewrite_for(&roots, &dest), Repo::Opensuse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::testing::{root_context, write};

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!("../../tests/fixtures/zypper/", $name))
        };
    }

    const LEAP: &[(&str, &str)] = &[
        ("home_user.repo", fixture!("leap156/home_user.repo")),
        ("repo-backports-update.repo", fixture!("leap156/repo-backports-update.repo")),
        ("repo-openh264.repo", fixture!("leap156/repo-openh264.repo")),
        ("repo-oss.repo", fixture!("leap156/repo-oss.repo")),
        ("repo-update.repo", fixture!("leap156/repo-update.repo")),
    ];
    const TUMBLEWEED: &[(&str, &str)] = &[
        ("openSUSE:repo-oss.repo", fixture!("tumbleweed/openSUSE:repo-oss.repo")),
        ("repo-non-oss.repo", fixture!("tumbleweed/repo-non-oss.repo")),
        ("repo-oss.repo", fixture!("tumbleweed/repo-oss.repo")),
        ("repo-update.repo", fixture!("tumbleweed/repo-update.repo")),
    ];
    const LEAP_OS: &str = "NAME=\"openSUSE Leap\"\nVERSION=\"15.6\"\nID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\nVERSION_ID=\"15.6\"\n";
    const TW_OS: &str = "NAME=\"openSUSE Tumbleweed\"\nID=\"opensuse-tumbleweed\"\nID_LIKE=\"opensuse suse\"\nVERSION_ID=\"20240610\"\n";

    fn host(os: &str) -> Host {
        let mut h = Host { arch: "amd64".into(), ..Host::default() };
        h.parse_os_release(os);
        h
    }

    fn site(id: &str) -> Site {
        Catalog::builtin().unwrap().get(id).unwrap().clone()
    }

    fn root(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            write(dir.path(), &format!("etc/zypp/repos.d/{name}"), text);
        }
        dir
    }

    fn apply(dir: &tempfile::TempDir, os: &str, id: &str) -> Vec<FileEdit> {
        let (s, up) = (site(id), site("upstream"));
        let edits = Zypper
            .plan(&root_context(dir.path()), &host(os), &Request { site: &s, upstream: Some(&up), security: false })
            .unwrap();
        for e in edits.iter().filter(|e| e.is_change()) {
            std::fs::write(&e.path, e.after.as_ref().unwrap()).unwrap();
        }
        edits
    }

    fn read(dir: &tempfile::TempDir, name: &str) -> String {
        std::fs::read_to_string(dir.path().join("etc/zypp/repos.d").join(name)).unwrap()
    }

    #[test]
    fn leap_repositories_go_to_the_site_and_obs_and_codecs_stay() {
        let dir = root(LEAP);
        let edits = apply(&dir, LEAP_OS, "tuna");
        let changed: Vec<String> = edits
            .iter()
            .filter(|e| e.is_change())
            .map(|e| e.path.file_name().unwrap().to_string_lossy().into())
            .collect();
        assert_eq!(changed, ["repo-backports-update.repo", "repo-oss.repo", "repo-update.repo"]);
        assert_eq!(
            read(&dir, "repo-oss.repo"),
            LEAP[3].1.replace("http://download.opensuse.org/", "https://mirrors.tuna.tsinghua.edu.cn/opensuse/")
        );
        assert!(
            read(&dir, "repo-update.repo")
                .contains("baseurl=https://mirrors.tuna.tsinghua.edu.cn/opensuse/update/leap/$releasever/oss\n")
        );
        for (name, text) in [LEAP[0], LEAP[2]] {
            assert_eq!(read(&dir, name), text, "{name}");
        }
        let current = Zypper.current(&root_context(dir.path()), &host(LEAP_OS)).unwrap();
        assert_eq!(current.url, Zypper.endpoint(&site("tuna"), &host(LEAP_OS)));
        // Twice: nothing; to another site and back to upstream: the stock files again.
        assert!(apply(&dir, LEAP_OS, "tuna").iter().all(|e| !e.is_change()));
        apply(&dir, LEAP_OS, "ustc");
        assert!(
            read(&dir, "repo-oss.repo").contains("baseurl=https://mirrors.ustc.edu.cn/opensuse/distribution/leap/")
        );
        apply(&dir, LEAP_OS, "upstream");
        for (name, text) in LEAP {
            assert_eq!(read(&dir, name), *text, "{name} after upstream");
        }
    }

    #[test]
    fn tumbleweed_service_repositories_are_left_with_a_warning() {
        let dir = root(TUMBLEWEED);
        let edits = apply(&dir, TW_OS, "nju");
        assert!(
            read(&dir, "repo-update.repo").contains("baseurl=https://mirror.nju.edu.cn/opensuse/update/tumbleweed/\n")
        );
        assert_eq!(read(&dir, "openSUSE:repo-oss.repo"), TUMBLEWEED[0].1);
        let notes: Vec<&String> = edits.iter().flat_map(|e| &e.notes).collect();
        assert!(
            notes
                .iter()
                .any(|n| n.contains("[openSUSE:repo-oss]: kept as it is: it belongs to the zypp service `openSUSE`")),
            "{notes:?}"
        );
    }

    #[test]
    fn malformed_files_and_other_systems_are_refused() {
        let dir = root(&[("repo-oss.repo", LEAP[3].1), ("z.repo", fixture!("malformed.repo"))]);
        let (s, ctx) = (site("tuna"), root_context(dir.path()));
        let req = Request { site: &s, upstream: None, security: false };
        for err in
            [Zypper.plan(&ctx, &host(LEAP_OS), &req).unwrap_err(), Zypper.current(&ctx, &host(LEAP_OS)).unwrap_err()]
        {
            let text = crate::error::render(&err);
            assert!(text.contains("z.repo` line 6: section `[repo-oss]` is given twice (also on line 1)"), "{text}");
            assert_eq!(crate::error::status_of(&err).code(), 2);
        }
        assert_eq!(read(&dir, "repo-oss.repo"), LEAP[3].1);
        let e = crate::error::render(&Zypper.plan(&ctx, &host("ID=\"sles\"\nID_LIKE=\"suse\"\n"), &req).unwrap_err());
        assert!(e.contains("cannot configure zypper: the root's os-release says `ID=sles`"), "{e}");
        assert_eq!(Zypper.endpoint(&s, &host("ID=debian\n")), None);
        let bfsu_only = root(&[("home_user.repo", LEAP[0].1)]);
        let e = crate::error::render(&Zypper.plan(&root_context(bfsu_only.path()), &host(LEAP_OS), &req).unwrap_err());
        assert!(e.contains("names an openSUSE repository"), "{e}");
    }

    #[test]
    fn present_when_configured_or_installed_on_opensuse() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!Zypper.present(&root_context(dir.path()), &host(LEAP_OS)));
        write(dir.path(), "usr/bin/zypper", "");
        assert!(Zypper.present(&root_context(dir.path()), &host(LEAP_OS)));
        assert!(!Zypper.present(&root_context(dir.path()), &host("ID=debian\n")));
        let dir = root(LEAP);
        assert!(Zypper.present(&root_context(dir.path()), &host("ID=debian\n")));
    }
}
