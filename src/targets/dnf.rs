//! dnf and yum: the distribution's own sections of `/etc/yum.repos.d/*.repo`.
//!
//! Fedora, CentOS Stream, Rocky Linux, AlmaLinux and openEuler (os-release `ID`; a derivative
//! whose `ID_LIKE` names one of them keeps repositories of its own and is refused). A section
//! is the distribution's own when its `baseurl` (or the commented-out `#baseurl=` the stock
//! files carry) lies under one of its official roots or under the catalog URL of any site
//! for it; CentOS Stream's stock sections have only a metalink, whose `repo=` names the tree.
//! EPEL (`epel.repo`) is its own catalog repository: switched when the site serves it, else
//! kept on its server with a warning. Every other section (Docker CE, RPM Fusion, Cisco's
//! openh264, a company repository) is never touched, and neither is any key but `baseurl`,
//! `metalink` and `mirrorlist`: `gpgcheck`, `gpgkey`, `enabled` and the rest stay.
//!
//! For a mirror, `baseurl=` is set to the site (the commented-out one taken back into use
//! where there is one, else a new line under the metalink) and the active `metalink=` and
//! `mirrorlist=` lines are commented out, as the sites' help pages do it. `use upstream`
//! brings a commented-out metalink or mirrorlist back and comments `baseurl` out again
//! (pointing it at the official server); a section that never had one gets the official
//! server as its `baseurl`.

use std::collections::BTreeMap;

use anyhow::Result;

use super::repofile::{self, FromMetalink, Located, Placed, Rewrite};
use super::{Current, FileEdit, Host, Request, Target, edit};
use crate::catalog::{Catalog, Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Dnf;

const REPOS_D: &str = "/etc/yum.repos.d";

/// The distributions dnf is configured for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Fedora,
    CentosStream,
    Rocky,
    Almalinux,
    Openeuler,
}

impl Flavor {
    /// From os-release `ID`.
    pub fn of(host: &Host) -> Option<Self> {
        Some(match host.id.as_str() {
            "fedora" => Self::Fedora,
            "centos" => Self::CentosStream,
            "rocky" => Self::Rocky,
            "almalinux" => Self::Almalinux,
            "openeuler" => Self::Openeuler,
            _ => return None,
        })
    }

    /// The distribution probed for dnf on this host: its own, else Fedora (a machine that
    /// builds Fedora roots).
    pub fn probed(host: &Host) -> Self {
        Self::of(host).unwrap_or(Self::Fedora)
    }

    pub fn repo(self) -> Repo {
        match self {
            Self::Fedora => Repo::Fedora,
            Self::CentosStream => Repo::CentosStream,
            Self::Rocky => Repo::Rocky,
            Self::Almalinux => Repo::Almalinux,
            Self::Openeuler => Repo::Openeuler,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Fedora => "Fedora",
            Self::CentosStream => "CentOS Stream",
            Self::Rocky => "Rocky Linux",
            Self::Almalinux => "AlmaLinux",
            Self::Openeuler => "openEuler",
        }
    }

    /// Whether EPEL is built for it (the Enterprise Linux rebuilds).
    fn epel(self) -> bool {
        matches!(self, Self::CentosStream | Self::Rocky | Self::Almalinux)
    }
}

/// The official roots of a repository, as stock repo files and the distributions' docs name
/// them (`$contentdir` is Rocky's own dnf variable, `pub/rocky`).
fn official(repo: Repo) -> &'static [&'static str] {
    match repo {
        Repo::Fedora => &[
            "http://download.example/pub/fedora/linux",
            "https://download.fedoraproject.org/pub/fedora/linux",
            "https://dl.fedoraproject.org/pub/fedora/linux",
        ],
        Repo::Epel => &[
            "http://download.example/pub/epel",
            "https://download.fedoraproject.org/pub/epel",
            "https://dl.fedoraproject.org/pub/epel",
        ],
        Repo::CentosStream => &["https://mirror.stream.centos.org"],
        Repo::Rocky => &[
            "http://dl.rockylinux.org/$contentdir",
            "https://dl.rockylinux.org/pub/rocky",
            "https://download.rockylinux.org/pub/rocky",
        ],
        Repo::Almalinux => &["https://repo.almalinux.org/almalinux"],
        Repo::Openeuler => &["http://repo.openeuler.org", "https://repo.openeuler.org"],
        _ => &[],
    }
}

/// CentOS Stream's metalinks (`https://mirrors.centos.org/metalink?repo=centos-baseos-$stream&…`)
/// and the tree each names under `mirror.stream.centos.org`.
fn centos_metalink(url: &str) -> Option<Located> {
    let u = url::Url::parse(url).ok()?;
    if u.host_str()? != "mirrors.centos.org" {
        return None;
    }
    let name = u.query_pairs().find(|(k, _)| k == "repo")?.1.into_owned();
    let name = name.strip_prefix("centos-")?.strip_suffix("-$stream")?;
    let seg = |s: &str| s.split('/').map(str::to_owned).collect::<Vec<_>>();
    if let Some(sig) = name.strip_prefix("extras-sig-extras-common") {
        return Some(match sig {
            "" => (Repo::CentosStream, seg("SIGs/$stream/extras/$basearch/extras-common"), true),
            "-source" => (Repo::CentosStream, seg("SIGs/$stream/extras/source/extras-common"), true),
            _ => return None,
        });
    }
    let (tree, kind) = match name.rsplit_once('-') {
        Some((tree, kind @ ("debug" | "source"))) => (tree, kind),
        _ => (name, ""),
    };
    let tree = match tree {
        "baseos" => "BaseOS",
        "appstream" => "AppStream",
        "crb" => "CRB",
        "highavailability" => "HighAvailability",
        "nfv" => "NFV",
        "rt" => "RT",
        "resilientstorage" => "ResilientStorage",
        _ => return None,
    };
    let path = match kind {
        "debug" => format!("$stream/{tree}/$basearch/debug/tree"),
        "source" => format!("$stream/{tree}/source/tree"),
        _ => format!("$stream/{tree}/$basearch/os"),
    };
    Some((Repo::CentosStream, seg(&path), true))
}

fn no_metalink(_: &str) -> Option<Located> {
    None
}

fn any_path(_: &Placed<'_, Repo>) -> bool {
    true
}

fn never(_: &repofile::RepoFile<'_>, _: &repofile::Section) -> Option<String> {
    None
}

/// Every root a URL of the flavor's repositories (and EPEL's) may lie under.
fn roots(flavor: Flavor, catalog: &Catalog) -> Vec<(String, Repo)> {
    let mut repos = vec![flavor.repo()];
    if flavor.epel() {
        repos.push(Repo::Epel);
    }
    let mut out = Vec::new();
    for repo in repos {
        out.extend(official(repo).iter().map(|r| ((*r).to_owned(), repo)));
        out.extend(catalog.sites().filter_map(|s| s.repo(repo).map(|u| (u.to_owned(), repo))));
    }
    out
}

/// The rewrite of `flavor`'s sections to `dest` (`upstream`: `use upstream`).
fn rewrite_for<'r>(
    flavor: Flavor,
    roots: &'r [(String, Repo)],
    dest: &'r BTreeMap<Repo, String>,
    upstream: bool,
) -> Rewrite<'r> {
    let from_metalink: &FromMetalink = if flavor == Flavor::CentosStream { &centos_metalink } else { &no_metalink };
    Rewrite { roots, dest, metalinks: true, upstream, from_metalink, own: &any_path, hands_off: &never }
}

fn unsupported(host: &Host) -> Problem {
    let what = if host.has_os_release { format!("`ID={}`", host.id) } else { "no os-release".to_owned() };
    let hint = if host.is_like("rhel") && host.id == "rhel" {
        "Red Hat Enterprise Linux takes its packages from Red Hat's CDN through `subscription-manager`, which no mirror site serves"
    } else {
        "`mirror` configures dnf on Fedora, CentOS Stream, Rocky Linux, AlmaLinux and openEuler; a derivative keeps repositories of its own"
    };
    Problem::bad(format!("cannot configure dnf: the root's os-release says {what}")).hint(hint)
}

impl Target for Dnf {
    fn present(&self, ctx: &Context, host: &Host) -> bool {
        let has_repos = std::fs::read_dir(ctx.sys(REPOS_D))
            .is_ok_and(|d| d.flatten().any(|e| e.file_name().to_string_lossy().ends_with(".repo")));
        has_repos
            || (Flavor::of(host).is_some() && ["dnf", "dnf5", "yum", "microdnf"].iter().any(|p| ctx.has_program(p)))
    }

    fn looked_for(&self) -> &'static str {
        "no `.repo` file in `/etc/yum.repos.d/`, and no `dnf`, `dnf5`, `yum` or `microdnf` program on \
         Fedora, CentOS Stream, Rocky, AlmaLinux or openEuler"
    }

    fn endpoint(&self, site: &Site, host: &Host) -> Option<String> {
        site.repo(Flavor::of(host)?.repo()).map(str::to_owned)
    }

    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let flavor = Flavor::of(host).ok_or_else(|| unsupported(host))?;
        let main = req.site.repo(flavor.repo()).ok_or_else(|| {
            Problem::bad(format!("site `{}` does not serve `{}`", req.site.id, flavor.repo()))
                .hint("`mirror list dnf` shows the sites that do")
        })?;
        let catalog = Catalog::load(ctx)?;
        let roots = roots(flavor, &catalog);
        let mut dest = BTreeMap::from([(flavor.repo(), main.to_owned())]);
        if flavor.epel()
            && let Some(epel) = req.site.repo(Repo::Epel)
        {
            dest.insert(Repo::Epel, epel.to_owned());
        }
        let rw = rewrite_for(flavor, &roots, &dest, req.site.is_upstream());
        let dir = ctx.sys(REPOS_D);
        let mut edits = Vec::new();
        let mut found = false;
        let mut notes = Vec::new();
        for (path, text) in repofile::read_dir_files(ctx, &dir)? {
            let name = path.display().to_string();
            let out = repofile::rewrite(&name, &text, &rw).map_err(|e| e.into_problem(&path))?;
            found |= out.own.contains(&flavor.repo());
            notes.extend(out.notes);
            if !out.own.is_empty() {
                edits.push(edit(path, Some(text), out.text));
            }
        }
        if !found {
            return Err(Problem::bad(format!(
                "no file in `{}` names a {} repository `mirror` recognises",
                dir.display(),
                flavor.name()
            ))
            .hint(format!(
                "`mirror` switches sections whose `baseurl` (or commented-out `#baseurl=`) is under an official {} server or a catalog site; reinstall the stock repo files (`dnf reinstall {}-repos`) or point them at a mirror by hand; nothing was changed",
                flavor.name(),
                match flavor {
                    Flavor::Fedora => "fedora",
                    Flavor::CentosStream => "centos-stream",
                    Flavor::Rocky => "rocky",
                    Flavor::Almalinux => "almalinux",
                    Flavor::Openeuler => "openEuler",
                }
            ))
            .into());
        }
        if let Some(first) = edits.first_mut() {
            first.notes = notes;
        }
        Ok(edits)
    }

    fn current(&self, ctx: &Context, host: &Host) -> Result<Current> {
        let Some(flavor) = Flavor::of(host) else {
            return Ok(Current::default());
        };
        let catalog = Catalog::load(ctx)?;
        let roots = roots(flavor, &catalog);
        let dest = BTreeMap::new();
        let rw = rewrite_for(flavor, &roots, &dest, false);
        repofile::current_of(ctx, &ctx.sys(REPOS_D), &rw, flavor.repo())
    }
}

#[cfg(test)]
mod tests;
