//! apt: Debian and Ubuntu package sources.
//!
//! Reads `/etc/apt/sources.list` and `/etc/apt/sources.list.d/*.list` (one-line format) and
//! `*.sources` (deb822), finds the entries of the distribution archive and rewrites only their
//! URI. Third-party entries (PPAs, Docker, NodeSource, `file:`/`cdrom:`/`mirror+` URIs) are
//! never touched. Security suites go to the official server unless `--security` is given.
//! When no file names the archive at all (a minimal container), a `sources.list` is generated
//! from os-release.
//!
//! A URI of an entry is the distribution archive when one of these holds:
//!
//! - (a) **catalog URL**: it is a `debian`/`debian-security` (Debian) or `ubuntu`/`ubuntu-ports`
//!   (Ubuntu) URL of a site in the catalog (the request's site, `upstream` and every other site),
//!   with either scheme and with or without a final `/`.
//! - (b) **official host**: its host is an official server of the distribution
//!   (`deb.debian.org`, `security.debian.org`, `ftp.debian.org`, `ftp.<cc>.debian.org`,
//!   `httpredir.debian.org`; `archive.ubuntu.com`, `<anything>.archive.ubuntu.com`,
//!   `security.ubuntu.com`, `ports.ubuntu.com`) and its path ends in one of the archive trees
//!   above (or is `security.debian.org` with no path), whatever key the entry names.
//! - (c) **path**, for mirrors no catalog knows: its path ends in one of the archive trees, every
//!   component is one of the distribution's own (`main contrib non-free non-free-firmware`;
//!   `main restricted universe multiverse`), the host is not a known third party (Launchpad
//!   PPAs, Docker), **and** the entry sits in a file the distribution itself writes
//!   (`sources.list`; in `sources.list.d`: `debian.sources`, `ubuntu.sources`,
//!   `moved-from-main.sources` as `apt modernize-sources` converts `sources.list`, and the
//!   derivatives' `system.sources` (Pop!_OS) and `official-package-repositories.list`
//!   (Linux Mint)), **and** the entry names no key (`signed-by`/`Signed-By`), only keyring
//!   files whose path contains `debian-archive` (Debian) or `ubuntu-archive` (Ubuntu), or an
//!   inline key block (deb822; provisioning scripts inline the archive key there, third parties
//!   ship their own files). Any other file in `sources.list.d` (Raspberry Pi's `raspi.list`,
//!   Tailscale, WineHQ, …) is only ever changed by (a) or (b), and so is an entry signed by any
//!   other key, even in `sources.list`.
//!
//! Such an entry is rewritten when its suites belong to the host's release (the codename from
//! `/etc/os-release`, with `-updates`, `-backports`, `-security`, … and Debian's `stable`,
//! `testing`, `sid`, … aliases); one mixing those with other suites is refused. A `sources.list`
//! is generated only when no entry is the archive of the host's release and none is the archive
//! by (a)–(c) at all: an archive entry of another release (a release upgrade half done) stops
//! the command with an error naming its file and line, and nothing is written.
//!
//! Security suites on an official server are kept as they are. On a mirror they go back to the
//! official server (the catalog's `upstream` site; without one they stay where they are) unless
//! `--security` sends them to the site: Debian to `upstream`'s `debian-security`, Ubuntu on
//! ports architectures to its `ubuntu-ports`, Ubuntu on amd64/i386 to
//! `http://security.ubuntu.com/ubuntu` (in the scheme of `upstream`'s `ubuntu` URL) when that
//! `ubuntu` URL is an official Ubuntu server, else to the `ubuntu` URL itself. The generated
//! `sources.list` follows the same rule. A stanza holding both archive and security suites
//! needs one URL for both: on Ubuntu's official server that is the archive's
//! (`archive.ubuntu.com` serves the security suites too); otherwise it is refused (split it).
//!
//! The core is pure: [`render`] and [`generate`] take text and a [`Rewrite`] and return text.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use anyhow::Result;
use url::Url;

use super::{Current, Distro, FileEdit, Host, Request, Target, edit, read_config};
use crate::catalog::{Catalog, Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Apt;

const SOURCES_LIST: &str = "/etc/apt/sources.list";
const SOURCES_LIST_D: &str = "/etc/apt/sources.list.d";
const OS_RELEASE: &str = "/etc/os-release";

impl Target for Apt {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.sys("/etc/apt").is_dir() || ctx.has_program("apt-get")
    }

    fn endpoint(&self, site: &Site, host: &Host) -> Option<String> {
        let repo = match host.distro() {
            Distro::Debian => Repo::Debian,
            Distro::Ubuntu if host.ubuntu_ports() => Repo::UbuntuPorts,
            Distro::Ubuntu => Repo::Ubuntu,
            _ => return None,
        };
        site.repo(repo).map(str::to_owned)
    }

    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let family = family(ctx, host)?;
        let mut rw = Rewrite::for_request(family, host, req, !has_ca_certificates(ctx));
        rw.distribution.known.extend(catalog_urls(ctx, family)?);
        let list_path = ctx.sys(SOURCES_LIST);
        let mut list_text = None;
        let mut edits = Vec::new();
        let (mut any_archive, mut any_security) = (false, false);
        // The first entry that is the archive but of another release: (file, line, suite).
        let mut stray: Option<(PathBuf, usize, String)> = None;
        for source in source_files(ctx)? {
            let Some(text) = read_config(&source.path)? else {
                continue;
            };
            if source.path == list_path {
                list_text = Some(text.clone());
            }
            let entries = parse(source.format, &text).map_err(|e| source.error(e, req))?;
            if stray.is_none() {
                stray = rw
                    .distribution
                    .stray(&text, &entries, source.place)
                    .map(|(line, suite)| (source.path.clone(), line, suite.to_owned()));
            }
            let mine = rw.distribution.classify_all(&text, &entries, source.place).map_err(|e| source.error(e, req))?;
            if mine.is_empty() {
                continue;
            }
            any_archive |= mine.iter().any(|c| c.roles.archive);
            any_security |= mine.iter().any(|c| c.roles.security);
            let after = render(source.format, source.place, &text, &rw).map_err(|e| source.error(e, req))?;
            edits.push(edit(source.path, Some(text), after));
        }
        if any_archive {
            return Ok(edits);
        }
        // The archive is there, but for another release than os-release names (a release
        // upgrade half done): generating would add a second release next to it.
        if let Some((path, line, suite)) = stray {
            let codename = rw.distribution.codename.as_deref().unwrap_or_default();
            let os_release = ctx.sys(OS_RELEASE);
            return Err(Problem::parse(
                &path,
                Some(line),
                format!(
                    "suite `{suite}` does not match `{codename}`, the codename in `{}`",
                    os_release.display()
                ),
            )
            .hint(format!(
                "finish the release upgrade first (`apt full-upgrade` brings `{}` up to date), or set the suite back to `{codename}`; nothing was changed",
                os_release.display()
            ))
            .into());
        }
        // Nothing names the distribution archive (a minimal container): write it into
        // `sources.list`, after what that file holds.
        let base = match edits.iter().position(|e| e.path == list_path) {
            Some(i) => edits.remove(i).after.map(|a| String::from_utf8(a).expect("rendered from text")),
            None => list_text.clone(),
        };
        let after = generate(base.as_deref(), &rw, !any_security).map_err(|e| match e {
            RenderError::Release(what) => Problem::bad(format!(
                "no apt source names the {} archive, and `{}` {what}",
                family.name(),
                ctx.sys(OS_RELEASE).display()
            ))
            .hint(format!(
                "`mirror` found no entry to rewrite and cannot write one here; edit `{}` by hand (see sources.list(5))",
                list_path.display()
            ))
            .into(),
            other => Source { path: list_path.clone(), format: Format::List, place: Place::Own }.error(other, req),
        })?;
        edits.insert(0, edit(list_path, list_text, after));
        Ok(edits)
    }

    fn current(&self, ctx: &Context, host: &Host) -> Result<Current> {
        let family = match host.distro() {
            Distro::Debian => Family::Debian,
            Distro::Ubuntu => Family::Ubuntu,
            _ => return Ok(Current::default()),
        };
        let distribution = Distribution {
            family,
            codename: host.codename.clone(),
            known: catalog_urls(ctx, family)?,
            derivative: derivative(family, host),
        };
        let mut current = Current::default();
        for source in source_files(ctx)? {
            let Some(text) = read_config(&source.path)? else {
                continue;
            };
            let entries = parse(source.format, &text).map_err(|e| source.parse_error(e))?;
            let mine = distribution.classify_all(&text, &entries, source.place).map_err(|e| source.parse_error(e))?;
            if mine.is_empty() {
                continue;
            }
            if current.url.is_none() {
                current.url = mine
                    .iter()
                    .find(|c| {
                        let e = &entries[c.entry];
                        c.roles.archive && e.enabled && e.types.iter().any(|t| t == "deb")
                    })
                    .map(|c| text[c.uri.clone()].trim_end_matches('/').to_owned());
            }
            current.files.push(source.path);
        }
        Ok(current)
    }
}

/// The two distributions apt is configured for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Debian,
    Ubuntu,
}

impl Family {
    fn name(self) -> &'static str {
        match self {
            Self::Debian => "Debian",
            Self::Ubuntu => "Ubuntu",
        }
    }

    /// The os-release `ID` of the distribution itself.
    fn id(self) -> &'static str {
        match self {
            Self::Debian => "debian",
            Self::Ubuntu => "ubuntu",
        }
    }

    /// The components of the distribution's own archive.
    fn components(self) -> &'static [&'static str] {
        match self {
            Self::Debian => &["main", "contrib", "non-free", "non-free-firmware"],
            Self::Ubuntu => &["main", "restricted", "universe", "multiverse"],
        }
    }

    /// The last path segments of the archive trees.
    fn trees(self) -> &'static [&'static str] {
        match self {
            Self::Debian => &["debian", "debian-security"],
            Self::Ubuntu => &["ubuntu", "ubuntu-ports"],
        }
    }

    fn repos(self) -> &'static [Repo] {
        match self {
            Self::Debian => &[Repo::Debian, Repo::DebianSecurity],
            Self::Ubuntu => &[Repo::Ubuntu, Repo::UbuntuPorts],
        }
    }

    /// What the path of the distribution's archive keyring contains
    /// (`/usr/share/keyrings/debian-archive-keyring.gpg`).
    fn keyring_marker(self) -> &'static str {
        match self {
            Self::Debian => "debian-archive",
            Self::Ubuntu => "ubuntu-archive",
        }
    }

    /// The official servers of the distribution.
    fn is_official_host(self, host: &str) -> bool {
        match self {
            Self::Debian => {
                matches!(host, "deb.debian.org" | "security.debian.org" | "ftp.debian.org" | "httpredir.debian.org")
                    || host
                        .strip_prefix("ftp.")
                        .and_then(|h| h.strip_suffix(".debian.org"))
                        .is_some_and(|cc| cc.len() == 2 && cc.bytes().all(|b| b.is_ascii_lowercase()))
            }
            Self::Ubuntu => {
                matches!(host, "archive.ubuntu.com" | "security.ubuntu.com" | "ports.ubuntu.com")
                    || host.strip_suffix(".archive.ubuntu.com").is_some_and(|sub| !sub.is_empty())
            }
        }
    }
}

/// Hosts whose paths can look like an archive tree but never are the distribution's.
const THIRD_PARTY_HOSTS: &[&str] = &[
    "ppa.launchpad.net",
    "ppa.launchpadcontent.net",
    "download.docker.com",
    // End-of-life releases live only here; mirrors do not carry them.
    "archive.debian.org",
    "old-releases.ubuntu.com",
];

/// The files in `sources.list.d` a distribution writes its own archive into: Debian's and
/// Ubuntu's deb822 files, what `apt modernize-sources` turns `sources.list` into, Pop!_OS's
/// and Linux Mint's. Debian and Ubuntu ship no `.list` file there.
const OWN_FILES: &[&str] = &[
    "debian.sources",
    "ubuntu.sources",
    "moved-from-main.sources",
    "system.sources",
    "official-package-repositories.list",
];

/// Whether the distribution wrote a sources file: rule (c) applies only in its own files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// `sources.list` or one of [`OWN_FILES`].
    Own,
    /// Any other file in `sources.list.d`, added by a package, an installer or the user.
    Added,
}

impl Place {
    /// The place of a file in `sources.list.d` named `name`.
    fn of(name: &str) -> Self {
        if OWN_FILES.contains(&name) { Self::Own } else { Self::Added }
    }
}

/// Debian's release aliases, which name the same archive as a codename.
const DEBIAN_ALIASES: &[&str] = &["stable", "oldstable", "oldoldstable", "testing", "unstable", "sid", "experimental"];

/// Suffixes of the suites that belong to a release (`bookworm-updates`, `buster/updates`).
const SUITE_SUFFIXES: &[&str] =
    &["", "-updates", "-backports", "-backports-sloppy", "-security", "-proposed", "-proposed-updates", "/updates"];

/// Which entries belong to the distribution archive.
#[derive(Debug, Clone)]
pub struct Distribution {
    pub family: Family,
    /// The host's release codename; `None` accepts any suite.
    pub codename: Option<String>,
    /// URLs of the catalog's sites that count as the archive whatever their path and file.
    pub known: Vec<String>,
    /// The os-release `ID` when the host is a derivative (`kali`, `linuxmint`): its own
    /// archive is unknown, so no sources are generated for it.
    pub derivative: Option<String>,
}

/// Whether an entry is served by the archive tree, the security tree, or both (a stanza
/// listing `bookworm` and `bookworm-security` for one URI).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Roles {
    archive: bool,
    security: bool,
}

/// One URI of an entry that belongs to the distribution.
#[derive(Debug, Clone)]
struct Classified {
    entry: usize,
    uri: Range<usize>,
    roles: Roles,
    ports: bool,
    official: bool,
}

/// The parts of a URI the rules look at.
struct UriParts {
    host: String,
    /// The last non-empty path segment.
    last: Option<String>,
}

fn uri_parts(uri: &str) -> Option<UriParts> {
    let lower = uri.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return None;
    }
    let url = Url::parse(uri).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    let last = url.path_segments().and_then(|mut segs| segs.rfind(|s| !s.is_empty()).map(str::to_owned));
    Some(UriParts { host, last })
}

/// `http://a/b/` and `https://a/b` name the same tree.
fn same_url(a: &str, b: &str) -> bool {
    fn norm(u: &str) -> &str {
        let u = u.trim_end_matches('/');
        u.strip_prefix("https://").or_else(|| u.strip_prefix("http://")).unwrap_or(u)
    }
    norm(a).eq_ignore_ascii_case(norm(b))
}

impl Distribution {
    fn suite_ok(&self, suite: &str) -> bool {
        if suite.ends_with('/') {
            return false;
        }
        let Some(codename) = &self.codename else {
            return true;
        };
        let mut bases = vec![codename.as_str()];
        if self.family == Family::Debian {
            bases.extend_from_slice(DEBIAN_ALIASES);
        }
        bases.iter().any(|base| suite.strip_prefix(base).is_some_and(|rest| SUITE_SUFFIXES.contains(&rest)))
    }

    /// The URIs of the entries that belong to the distribution archive, in file order.
    fn classify_all(&self, text: &str, entries: &[Entry], place: Place) -> Result<Vec<Classified>, RenderError> {
        let mut out = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            for uri in &entry.uris {
                if let Some(c) = self.classify(&text[uri.clone()], entry, place)? {
                    out.push(Classified { entry: i, uri: uri.clone(), ..c });
                }
            }
        }
        Ok(out)
    }

    /// The first entry that rules (a)-(c) recognise as the archive but none of whose suites
    /// belongs to the host's release: its line and its first suite.
    fn stray<'e>(&self, text: &str, entries: &'e [Entry], place: Place) -> Option<(usize, &'e str)> {
        entries.iter().find_map(|entry| {
            let suites: Vec<&String> = entry.suites.iter().filter(|s| !s.ends_with('/')).collect();
            let stray = !suites.is_empty()
                && !suites.iter().any(|s| self.suite_ok(s))
                && entry.uris.iter().any(|uri| self.recognise(&text[uri.clone()], entry, place).is_some());
            stray.then(|| (entry.line, suites[0].as_str()))
        })
    }

    /// Whether the entry names no key, only the distribution's archive keyring, or an inline
    /// key block. An inline key counts: provisioning scripts inline the archive key, third
    /// parties ship their own files, and a stanza `mirror` moved to a mirror by rule (b) must
    /// stay recognisable for the next site.
    fn archive_key(&self, signed_by: &SignedBy) -> bool {
        match signed_by {
            SignedBy::Absent | SignedBy::Inline => true,
            SignedBy::Keys(keys) => keys.iter().all(|k| k.contains(self.family.keyring_marker())),
        }
    }

    /// Rules (a)-(c), whatever the suites: `uri` of `entry` is the distribution archive. Returns
    /// the URI's parts and whether its host is official.
    fn recognise(&self, uri: &str, entry: &Entry, place: Place) -> Option<(UriParts, bool)> {
        let parts = uri_parts(uri)?;
        let tree = parts.last.as_deref().is_some_and(|l| self.family.trees().contains(&l));
        let official = self.family.is_official_host(&parts.host);
        let by_url = self.known.iter().any(|k| same_url(k, uri));
        let by_host = official && (tree || (parts.host == "security.debian.org" && parts.last.is_none()));
        let by_path = tree
            && !entry.components.is_empty()
            && entry.components.iter().all(|c| self.family.components().contains(&c.as_str()))
            && !THIRD_PARTY_HOSTS.contains(&parts.host.as_str())
            && place == Place::Own
            && self.archive_key(&entry.signed_by);
        (by_url || by_host || by_path).then_some((parts, official))
    }

    fn classify(&self, uri: &str, entry: &Entry, place: Place) -> Result<Option<Classified>, RenderError> {
        let Some((parts, official)) = self.recognise(uri, entry, place) else {
            return Ok(None);
        };
        let (ok, other): (Vec<&String>, Vec<&String>) = entry.suites.iter().partition(|s| self.suite_ok(s));
        if ok.is_empty() {
            return Ok(None);
        }
        if let Some(odd) = other.first() {
            return Err(RenderError::Parse {
                line: entry.line,
                message: format!(
                    "stanza mixes suites of the {} archive with `{odd}`, which `mirror` does not recognise; split it",
                    self.family.name()
                ),
            });
        }
        let security_tree = matches!(parts.host.as_str(), "security.debian.org" | "security.ubuntu.com")
            || parts.last.as_deref() == Some("debian-security");
        let mut roles = Roles::default();
        for suite in &entry.suites {
            if security_tree || suite.ends_with("-security") || suite.ends_with("/updates") {
                roles.security = true;
            } else {
                roles.archive = true;
            }
        }
        let ports = self.family == Family::Ubuntu
            && (parts.host == "ports.ubuntu.com" || parts.last.as_deref() == Some("ubuntu-ports"));
        Ok(Some(Classified { entry: 0, uri: 0..0, roles, ports, official }))
    }
}

/// Why a destination URL is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The site of the request.
    Site,
    /// The site of the request, for security suites (`--security`).
    SiteSecurity,
    /// The official upstream, for security suites.
    Upstream,
}

/// Where a kind of entry goes: the repository URLs of one site.
#[derive(Debug, Clone)]
pub struct Dest {
    pub via: Via,
    pub urls: BTreeMap<Repo, String>,
    /// Ubuntu's security server for amd64 and i386, when the site is the official upstream.
    pub ubuntu_security: Option<String>,
}

/// The official server of Ubuntu's security suites outside `ubuntu-ports`.
const UBUNTU_SECURITY_HOST: &str = "security.ubuntu.com";

impl Dest {
    pub fn from_site(site: &Site, via: Via) -> Self {
        let urls: BTreeMap<Repo, String> = [Repo::Debian, Repo::DebianSecurity, Repo::Ubuntu, Repo::UbuntuPorts]
            .into_iter()
            .filter_map(|r| site.repo(r).map(|u| (r, u.trim_end_matches('/').to_owned())))
            .collect();
        // The `upstream` site's `ubuntu` URL is the archive server; security has its own.
        let ubuntu_security = urls
            .get(&Repo::Ubuntu)
            .filter(|_| site.is_upstream())
            .and_then(|u| Url::parse(u).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .filter(|u| u.host_str().is_some_and(|h| Family::Ubuntu.is_official_host(&h.to_ascii_lowercase())))
            .map(|u| format!("{}://{UBUNTU_SECURITY_HOST}/ubuntu", u.scheme()));
        Self { via, urls, ubuntu_security }
    }

    fn get(&self, repo: Repo) -> Result<&str, RenderError> {
        self.urls.get(&repo).map(String::as_str).ok_or(RenderError::Missing { repo, via: self.via })
    }

    /// The URL for security suites from `repo`; `alone`: the entry holds no archive suite (a
    /// stanza with both keeps the archive's URL, which serves both).
    fn security(&self, repo: Repo, alone: bool) -> Result<&str, RenderError> {
        match &self.ubuntu_security {
            Some(url) if repo == Repo::Ubuntu && alone => Ok(url),
            _ => self.get(repo),
        }
    }
}

/// Where the security suites go.
#[derive(Debug, Clone)]
pub enum Security {
    /// Leave them as they are (no `--security` and no official upstream to send them to).
    Untouched,
    /// The official server; entries already on an official host are kept as they are.
    Official(Dest),
    /// The site (`--security`).
    Site(Dest),
}

/// Everything the pure core needs to rewrite apt sources.
#[derive(Debug, Clone)]
pub struct Rewrite {
    pub distribution: Distribution,
    /// Ubuntu on an architecture served by `ubuntu-ports`.
    pub host_ports: bool,
    /// Where the archive suites go.
    pub archive: Dest,
    pub security: Security,
    /// Write `http://` where the URL is `https://` (no CA certificates on the system).
    pub plain_http: bool,
}

impl Rewrite {
    fn for_request(family: Family, host: &Host, req: &Request<'_>, plain_http: bool) -> Self {
        let mut known = Vec::new();
        for site in std::iter::once(req.site).chain(req.upstream) {
            for repo in family.repos() {
                if let Some(url) = site.repo(*repo) {
                    known.push(url.to_owned());
                }
            }
        }
        let security = if req.security {
            Security::Site(Dest::from_site(req.site, Via::SiteSecurity))
        } else if let Some(upstream) = req.upstream {
            Security::Official(Dest::from_site(upstream, Via::Upstream))
        } else {
            Security::Untouched
        };
        Self {
            distribution: Distribution {
                family,
                codename: host.codename.clone(),
                known,
                derivative: derivative(family, host),
            },
            host_ports: family == Family::Ubuntu && host.ubuntu_ports(),
            archive: Dest::from_site(req.site, Via::Site),
            security,
            plain_http,
        }
    }

    fn repo_for(&self, security: bool, ports: bool) -> Repo {
        match (self.distribution.family, security) {
            (Family::Debian, false) => Repo::Debian,
            (Family::Debian, true) => Repo::DebianSecurity,
            (Family::Ubuntu, _) if ports || self.host_ports => Repo::UbuntuPorts,
            (Family::Ubuntu, _) => Repo::Ubuntu,
        }
    }

    fn finish(&self, url: &str, slash: bool) -> String {
        let url = url.trim_end_matches('/');
        let url = match url.strip_prefix("https://") {
            Some(rest) if self.plain_http => format!("http://{rest}"),
            _ => url.to_owned(),
        };
        if slash { format!("{url}/") } else { url }
    }

    /// The URL an archive entry should use.
    fn archive_url(&self, c: &Classified, slash: bool) -> Result<String, RenderError> {
        let url = self.archive.get(self.repo_for(false, c.ports))?;
        Ok(self.finish(url, slash))
    }

    /// The URL a security entry should use (`None`: keep it as it is).
    fn security_url(&self, c: &Classified, slash: bool) -> Result<Option<String>, RenderError> {
        let dest = match &self.security {
            Security::Untouched => return Ok(None),
            Security::Official(_) if c.official => return Ok(None),
            Security::Official(dest) | Security::Site(dest) => dest,
        };
        let url = dest.security(self.repo_for(true, c.ports), !c.roles.archive)?;
        Ok(Some(self.finish(url, slash)))
    }
}

/// What the pure core can fail with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// The text is not a valid sources file.
    Parse { line: usize, message: String },
    /// A site lacks a repository an entry needs.
    Missing { repo: Repo, via: Via },
    /// The release cannot be generated for (no or an outdated codename).
    Release(String),
}

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One-line `deb URI SUITE COMPONENTS` (`*.list`).
    List,
    /// deb822 stanzas (`*.sources`).
    Sources,
}

/// One source entry: a line of a `.list` file or a stanza of a `.sources` file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// 1-based line of the line or of the stanza's first field.
    line: usize,
    types: Vec<String>,
    enabled: bool,
    /// Byte ranges of the URIs in the text.
    uris: Vec<Range<usize>>,
    suites: Vec<String>,
    components: Vec<String>,
    signed_by: SignedBy,
}

/// The keys an entry names (`[signed-by=…]`, `Signed-By:`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum SignedBy {
    /// No key: any key apt trusts.
    #[default]
    Absent,
    /// Keyring files or fingerprints.
    Keys(Vec<String>),
    /// An ASCII-armoured key block in the field itself.
    Inline,
}

impl SignedBy {
    /// From the words of the value (keys are separated by blanks or commas).
    fn from_words<'a>(words: impl IntoIterator<Item = &'a str>) -> Self {
        let mut keys = Vec::new();
        for word in words {
            if word.starts_with("-----BEGIN") {
                return Self::Inline;
            }
            keys.extend(word.split(',').filter(|k| !k.is_empty()).map(str::to_owned));
        }
        if keys.is_empty() { Self::Absent } else { Self::Keys(keys) }
    }

    /// From the options of a one-line entry (`arch=amd64 signed-by=/usr/share/keyrings/x.gpg`).
    fn from_options(options: &str) -> Self {
        options
            .split_whitespace()
            .filter_map(|o| o.split_once('='))
            .filter(|(name, _)| name.trim_end_matches(['+', '-']).eq_ignore_ascii_case("signed-by"))
            .map(|(_, value)| Self::from_words([value]))
            .next_back()
            .unwrap_or_default()
    }
}

fn parse(format: Format, text: &str) -> Result<Vec<Entry>, RenderError> {
    match format {
        Format::List => parse_list(text),
        Format::Sources => parse_sources(text),
    }
}

/// Lines with their 1-based number and byte offset, without `\n` or `\r\n`.
fn lines(text: &str) -> impl Iterator<Item = (usize, usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').enumerate().map(move |(i, raw)| {
        let start = offset;
        offset += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        (i + 1, start, line)
    })
}

fn parse_error(line: usize, message: impl Into<String>) -> RenderError {
    RenderError::Parse { line, message: message.into() }
}

/// The next word of a one-line entry from byte `pos`: runs of non-blanks, where `[…]` and
/// `"…"` may hold blanks (apt's `ParseQuoteWord`; `cdrom:[Debian GNU/Linux 12]/`).
fn next_word(s: &str, pos: usize, line: usize) -> Result<Option<Range<usize>>, RenderError> {
    let bytes = s.as_bytes();
    let mut i = pos;
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    if i == bytes.len() {
        return Ok(None);
    }
    let start = i;
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
        let close = match bytes[i] {
            b'[' => Some(b']'),
            b'"' => Some(b'"'),
            _ => None,
        };
        if let Some(close) = close {
            let end = bytes[i + 1..]
                .iter()
                .position(|&b| b == close)
                .ok_or_else(|| parse_error(line, format!("unterminated `{}`", char::from(bytes[i]))))?;
            i += end + 1;
        }
        i += 1;
    }
    Ok(Some(start..i))
}

fn parse_list(text: &str) -> Result<Vec<Entry>, RenderError> {
    let mut entries = Vec::new();
    for (no, start, line) in lines(text) {
        let content = line.split('#').next().unwrap_or_default();
        if content.trim().is_empty() {
            continue;
        }
        let ty_range = next_word(content, 0, no)?.expect("not blank");
        let ty = &content[ty_range.clone()];
        if ty != "deb" && ty != "deb-src" {
            return Err(parse_error(no, format!("expected `deb` or `deb-src`, found `{ty}`")));
        }
        let mut pos = ty_range.end;
        let rest = &content[pos..];
        let mut signed_by = SignedBy::Absent;
        if rest.trim_start().starts_with('[') {
            let open = pos + (rest.len() - rest.trim_start().len());
            let close = content[open..].find(']').ok_or_else(|| parse_error(no, "unterminated `[` in the options"))?;
            signed_by = SignedBy::from_options(&content[open + 1..open + close]);
            pos = open + close + 1;
        }
        let uri = next_word(content, pos, no)?.ok_or_else(|| parse_error(no, format!("`{ty}` line has no URI")))?;
        let suite = next_word(content, uri.end, no)?
            .ok_or_else(|| parse_error(no, format!("`{ty}` line has no suite after `{}`", &content[uri.clone()])))?;
        let mut components = Vec::new();
        let mut pos = suite.end;
        while let Some(word) = next_word(content, pos, no)? {
            components.push(content[word.clone()].to_owned());
            pos = word.end;
        }
        let suite_text = &content[suite];
        if suite_text.ends_with('/') && !components.is_empty() {
            return Err(parse_error(
                no,
                format!("suite `{suite_text}` is an exact path (it ends in `/`) and takes no components"),
            ));
        }
        if !suite_text.ends_with('/') && components.is_empty() {
            return Err(parse_error(
                no,
                format!("suite `{suite_text}` needs components (like `main`), or a `/` at its end for an exact path"),
            ));
        }
        entries.push(Entry {
            line: no,
            types: vec![ty.to_owned()],
            enabled: true,
            uris: std::iter::once(start + uri.start..start + uri.end).collect(),
            suites: vec![suite_text.to_owned()],
            components,
            signed_by,
        });
    }
    Ok(entries)
}

/// A field of a deb822 stanza.
struct Field {
    name: String,
    line: usize,
    /// Byte ranges of the whitespace-separated words of the value, over all its lines.
    words: Vec<Range<usize>>,
}

fn words(line: &str, offset: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        let rest = &line[pos..];
        let skip = rest.len() - rest.trim_start().len();
        let start = pos + skip;
        if start >= line.len() {
            return None;
        }
        let len = line[start..].find(char::is_whitespace).unwrap_or(line.len() - start);
        pos = start + len;
        Some(offset + start..offset + start + len)
    })
}

fn parse_sources(text: &str) -> Result<Vec<Entry>, RenderError> {
    let mut entries = Vec::new();
    let mut stanza: Vec<Field> = Vec::new();
    for (no, start, line) in lines(text) {
        if line.trim().is_empty() {
            if !stanza.is_empty() {
                entries.push(finish_stanza(text, std::mem::take(&mut stanza))?);
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let field = stanza
                .last_mut()
                .ok_or_else(|| parse_error(no, "continuation line (it starts with a blank) outside a field"))?;
            field.words.extend(words(line, start));
            continue;
        }
        let Some((name, value)) =
            line.split_once(':').filter(|(name, _)| !name.is_empty() && !name.contains(char::is_whitespace))
        else {
            return Err(parse_error(no, format!("expected `Field: value`, found `{}`", line.trim())));
        };
        let name = name.to_ascii_lowercase();
        if stanza.iter().any(|f| f.name == name) {
            return Err(parse_error(no, format!("field `{}` appears twice in one stanza", &line[..name.len()])));
        }
        let value_start = start + name.len() + 1;
        stanza.push(Field { name, line: no, words: words(value, value_start).collect() });
    }
    if !stanza.is_empty() {
        entries.push(finish_stanza(text, stanza)?);
    }
    Ok(entries)
}

fn finish_stanza(text: &str, stanza: Vec<Field>) -> Result<Entry, RenderError> {
    let line = stanza[0].line;
    let get = |name: &str| stanza.iter().find(|f| f.name == name);
    let strings = |f: &Field| -> Vec<String> { f.words.iter().map(|r| text[r.clone()].to_owned()).collect() };
    let require = |name: &str, shown: &str| {
        get(name)
            .filter(|f| !f.words.is_empty())
            .ok_or_else(|| parse_error(line, format!("stanza has no `{shown}` field")))
    };
    let types = strings(require("types", "Types")?);
    let uris = require("uris", "URIs")?.words.clone();
    let suites = strings(require("suites", "Suites")?);
    let components = get("components").map(strings).unwrap_or_default();
    let signed_by =
        get("signed-by").map(|f| SignedBy::from_words(f.words.iter().map(|r| &text[r.clone()]))).unwrap_or_default();
    let enabled = get("enabled").and_then(|f| f.words.first()).is_none_or(|w| {
        !matches!(text[w.clone()].to_ascii_lowercase().as_str(), "no" | "false" | "off" | "without" | "disable")
    });
    Ok(Entry { line, types, enabled, uris, suites, components, signed_by })
}

/// Rewrites the URIs of the distribution archive's entries in `text` (a `.list` or `.sources`
/// file at `place`) for `rw`. Everything else is kept byte for byte.
pub fn render(format: Format, place: Place, text: &str, rw: &Rewrite) -> Result<String, RenderError> {
    let entries = parse(format, text)?;
    let mut replacements: Vec<(Range<usize>, String)> = Vec::new();
    for c in rw.distribution.classify_all(text, &entries, place)? {
        let original = &text[c.uri.clone()];
        let slash = original.ends_with('/');
        let archive = if c.roles.archive { Some(rw.archive_url(&c, slash)?) } else { None };
        let security = if c.roles.security {
            Some(rw.security_url(&c, slash)?.unwrap_or_else(|| original.to_owned()))
        } else {
            None
        };
        let new = match (archive, security) {
            (Some(a), Some(s)) if a != s => {
                return Err(parse_error(entries[c.entry].line, "stanza mixes security and archive suites; split it"));
            }
            (Some(url), _) | (None, Some(url)) => url,
            (None, None) => continue,
        };
        if new != original {
            replacements.push((c.uri, new));
        }
    }
    let mut out = text.to_owned();
    for (range, new) in replacements.into_iter().rev() {
        out.replace_range(range, &new);
    }
    Ok(out)
}

/// Debian releases before buster: their archives left the mirrors.
const DEBIAN_OUTDATED: &[&str] = &["stretch", "jessie", "wheezy", "squeeze", "lenny", "etch", "sarge", "woody"];

/// The one-line entries for the distribution, from os-release, appended to `existing` (a
/// `sources.list` without archive entries, kept as it is) or as a new file. `with_security`:
/// also write the security suite (false when some file already has it).
pub fn generate(existing: Option<&str>, rw: &Rewrite, with_security: bool) -> Result<String, RenderError> {
    let family = rw.distribution.family;
    if let Some(id) = &rw.distribution.derivative {
        return Err(RenderError::Release(format!(
            "says `ID={id}`, a derivative whose own archive `mirror` does not know"
        )));
    }
    let codename =
        rw.distribution.codename.as_deref().ok_or_else(|| RenderError::Release("sets no `VERSION_CODENAME`".into()))?;
    if family == Family::Debian && DEBIAN_OUTDATED.contains(&codename) {
        return Err(RenderError::Release(format!(
            "names release `{codename}`, which left the mirrors for archive.debian.org"
        )));
    }
    let components = match (family, codename) {
        (Family::Debian, "buster" | "bullseye") => "main contrib non-free",
        (Family::Debian, _) => "main contrib non-free non-free-firmware",
        (Family::Ubuntu, _) => "main restricted universe multiverse",
    };
    let unstable = family == Family::Debian && matches!(codename, "sid" | "unstable");
    let archive = rw.finish(rw.archive.get(rw.repo_for(false, false))?, false);
    let mut suites = vec![codename.to_owned()];
    if !unstable {
        suites.push(format!("{codename}-updates"));
    }
    if family == Family::Ubuntu {
        suites.push(format!("{codename}-backports"));
    }
    let security_suite = match codename {
        _ if unstable || !with_security => None,
        "buster" => Some(format!("{codename}/updates")),
        _ => Some(format!("{codename}-security")),
    };

    let mut out = String::from("# generated by mirror from /etc/os-release\n");
    for suite in &suites {
        out.push_str(&format!("deb {archive} {suite} {components}\n"));
    }
    if let Some(suite) = security_suite {
        let dest = match &rw.security {
            Security::Official(dest) | Security::Site(dest) => Some(dest),
            Security::Untouched => None,
        };
        match dest {
            Some(dest) => {
                let url = rw.finish(dest.security(rw.repo_for(true, false), true)?, false);
                out.push_str(&format!("deb {url} {suite} {components}\n"));
            }
            None => out.push_str(&format!(
                "# `{suite}` is left out: the catalog has no official upstream for security updates; add it by hand or use --security\n"
            )),
        }
    }

    Ok(match existing {
        None | Some("") => out,
        Some(text) => {
            let mut text = text.to_owned();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            if !text.ends_with("\n\n") {
                text.push('\n');
            }
            text + &out
        }
    })
}

/// A sources file apt reads.
struct Source {
    path: PathBuf,
    format: Format,
    place: Place,
}

impl Source {
    fn parse_error(&self, e: RenderError) -> anyhow::Error {
        match e {
            RenderError::Parse { line, message } => Problem::parse(&self.path, Some(line), message).into(),
            RenderError::Missing { repo, .. } => Problem::bad(format!("no URL for `{repo}`")).into(),
            RenderError::Release(what) => Problem::bad(what).into(),
        }
    }

    fn error(&self, e: RenderError, req: &Request<'_>) -> anyhow::Error {
        match e {
            RenderError::Missing { repo, via } => missing(repo, via, req),
            other => self.parse_error(other),
        }
    }
}

fn missing(repo: Repo, via: Via, req: &Request<'_>) -> anyhow::Error {
    let id = &req.site.id;
    match via {
        Via::Site => Problem::bad(format!("site `{id}` does not serve `{repo}`"))
            .hint("pick a site that does; `mirror list apt` shows which sites serve apt"),
        Via::SiteSecurity => Problem::bad(format!("site `{id}` does not serve `{repo}`, which `--security` needs"))
            .hint("drop `--security` to keep security updates on the official server"),
        Via::Upstream => {
            Problem::bad(format!("the `upstream` site does not serve `{repo}`, where security updates go"))
                .hint(format!("add `{repo}` to the `upstream` site file, or use `--security` to take them from `{id}`"))
        }
    }
    .into()
}

/// `sources.list`, then `sources.list.d/*.list` and `*.sources` sorted by name (files whose
/// names apt ignores are skipped).
fn source_files(ctx: &Context) -> Result<Vec<Source>> {
    let mut files = vec![Source { path: ctx.sys(SOURCES_LIST), format: Format::List, place: Place::Own }];
    let dir = ctx.sys(SOURCES_LIST_D);
    let listing = match std::fs::read_dir(&dir) {
        Ok(listing) => listing,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        Err(e) => {
            return Err(anyhow::Error::new(e).context(
                Problem::bad(format!("could not read `{}`", dir.display()))
                    .hint("run the same command with `sudo`, or fix the folder's permissions"),
            ));
        }
    };
    let mut found = Vec::new();
    for entry in listing {
        let entry = entry
            .map_err(|e| anyhow::Error::new(e).context(Problem::bad(format!("could not read `{}`", dir.display()))))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let format = if name.ends_with(".list") {
            Format::List
        } else if name.ends_with(".sources") {
            Format::Sources
        } else {
            continue;
        };
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)) {
            continue;
        }
        found.push((name, format));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    files.extend(found.into_iter().map(|(name, format)| Source {
        path: dir.join(&name),
        format,
        place: Place::of(&name),
    }));
    Ok(files)
}

fn family(ctx: &Context, host: &Host) -> Result<Family> {
    match host.distro() {
        Distro::Debian => Ok(Family::Debian),
        Distro::Ubuntu => Ok(Family::Ubuntu),
        _ => {
            let path = ctx.sys(OS_RELEASE);
            let says = if host.has_os_release {
                format!("`{}` says `ID={}`", path.display(), host.id)
            } else {
                format!("`{}` is missing", path.display())
            };
            Err(
                Problem::bad(format!("apt's distro is not Debian or Ubuntu: {says}"))
                    .hint("`mirror` configures apt on Debian, Ubuntu and distributions with `ID_LIKE=debian` or `ID_LIKE=ubuntu`")
                    .into(),
            )
        }
    }
}

/// The archive URLs of every site in the catalog in effect (rule (a)): an entry `mirror` moved
/// to one site stays recognisable when the next command names another, in any file.
fn catalog_urls(ctx: &Context, family: Family) -> Result<Vec<String>> {
    let catalog = Catalog::load(ctx)?;
    Ok(catalog
        .sites()
        .flat_map(|site| family.repos().iter().filter_map(|r| site.repo(*r).map(str::to_owned)))
        .collect())
}

/// The os-release `ID` of a derivative (`ID_LIKE=debian`), `None` for Debian or Ubuntu itself.
fn derivative(family: Family, host: &Host) -> Option<String> {
    (host.id != family.id()).then(|| host.id.clone())
}

/// Whether apt can verify https servers: without CA certificates it cannot, and a minimal
/// image often has none.
fn has_ca_certificates(ctx: &Context) -> bool {
    ctx.sys("/etc/ssl/certs/ca-certificates.crt").is_file() || ctx.sys("/usr/share/ca-certificates").is_dir()
}

#[cfg(test)]
mod tests;
