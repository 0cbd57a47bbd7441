//! apt: Debian, Ubuntu, Kali and Raspberry Pi OS package sources.
//!
//! Reads `/etc/apt/sources.list` and `/etc/apt/sources.list.d/*.list` (one-line format) and
//! `*.sources` (deb822), finds the entries of the distribution archive and rewrites only the
//! server in their URI. Third-party entries (PPAs, Docker, NodeSource, `file:`/`cdrom:` URIs)
//! are never touched. Security suites go to the official server unless `--security` is given.
//! When no file names any source at all (a minimal container), a `sources.list` is generated
//! from os-release.
//!
//! The distribution ([`Family`]) is os-release's `ID`, then `ID_LIKE`: Debian, Ubuntu, Kali
//! (`kali`, the `kali-*` branches of one archive) or Raspbian (Raspberry Pi OS 32-bit). On
//! Raspberry Pi OS, which is Raspbian or Debian with `sources.list.d/raspi.list` (the 64-bit
//! one says `ID=debian`), the Raspberry Pi archive (`archive.raspberrypi.com/debian`, catalog
//! key `raspberrypi`) is an archive too ([`Archive::RaspberryPi`]): moved to the site with the
//! distribution's own when the site serves it, else left as it is, with a warning.
//!
//! A URI of an entry is an archive when one of these holds for the server it reads from (see
//! [`uri`]: the URL itself, the same through Tor, or the upstream named after a package
//! cache's address):
//!
//! - (a) **catalog URL**: it is a URL of the archive's repositories (`debian`/`debian-security`,
//!   `ubuntu`/`ubuntu-ports`, `kali`, `raspbian`, `raspberrypi`) on a site in the catalog (the
//!   request's site, `upstream` and every other site), compared by [`same_tree`] (either
//!   scheme, with or without a final `/`).
//! - (b) **official host**: its host is an official server of the archive (`deb.debian.org`,
//!   `security.debian.org`, `ftp.debian.org`, `ftp.<cc>.debian.org`, `httpredir.debian.org`;
//!   `archive.ubuntu.com`, `<anything>.archive.ubuntu.com`, `security.ubuntu.com`,
//!   `ports.ubuntu.com`; `http.kali.org`, `kali.download`; `raspbian.raspberrypi.com` and
//!   `.org`, `archive.raspbian.org`, `mirrordirector.raspbian.org`;
//!   `archive.raspberrypi.com` and `.org`) and its path ends in one of the archive's trees
//!   (`debian`, `debian-security`, `ubuntu`, `ubuntu-ports`, `kali`, `raspbian`; or is
//!   `security.debian.org` with no path), whatever key the entry names.
//! - (c) **path**, for mirrors no catalog knows: its path ends in one of the archive trees, every
//!   component is one of the archive's own (`main contrib non-free non-free-firmware`;
//!   `main restricted universe multiverse`; Raspbian's `rpi`; Raspberry Pi's `main ui
//!   untested`, tree `/debian` or `/raspberrypi`), the host is not a known third party
//!   (Launchpad PPAs, Docker, the end-of-life archives), **and** the entry sits in a file the
//!   distribution itself writes (`sources.list`; in `sources.list.d`: `debian.sources`,
//!   `ubuntu.sources`, `moved-from-main.sources` as `apt modernize-sources` converts
//!   `sources.list`, and the derivatives' `system.sources` (Pop!_OS) and
//!   `official-package-repositories.list` (Linux Mint); for the Raspberry Pi archive only
//!   `raspi.list` and `raspi.sources`), **and** the entry names no key (`signed-by`/
//!   `Signed-By`), only keyring files whose path contains the archive's (`debian-archive`,
//!   `ubuntu-archive`, `kali-archive`, `raspbian-archive`, `raspberrypi-archive`), or an inline
//!   key block (deb822; provisioning scripts inline the archive key there, third parties ship
//!   their own files). Any other file in `sources.list.d` (Tailscale, WineHQ, …) is only ever
//!   changed by (a) or (b), and so is an entry signed by any other key, even in `sources.list`.
//!   The Raspberry Pi archive's (a) and (b) are tried first (its mirrors' trees end in
//!   `/debian` too), its (c) last.
//!
//! Some archive entries are kept as they are, and said so: a Tor onion service, a package cache
//! that picks its upstream itself. One that takes its servers from a mirror list (apt's
//! `mirror` method, Debian's cloud images) stops the command: `mirror` does not edit the list.
//!
//! Such an entry is rewritten when its suites belong to the host's release (the codename from
//! `/etc/os-release`, with `-updates`, `-backports`, `-security`, `-proposed-updates`, … and
//! Debian's `stable`, `testing`, `sid`, `proposed-updates`, … aliases; Kali's branches
//! `kali-rolling`, `kali-last-snapshot`, `kali-experimental`, …); one mixing those with
//! other suites is refused, and so is any enabled archive entry of another release (a release
//! upgrade half done): the command stops naming its file and line, and nothing is written.
//!
//! Security suites (Debian's and Ubuntu's; Kali and Raspbian have none of their own) on an
//! official server are kept as they are. On a mirror they go back to the
//! official server (the catalog's `upstream` site; without one they stay where they are) unless
//! `--security` sends them to the site: Debian to `upstream`'s `debian-security`, Ubuntu on
//! ports architectures to its `ubuntu-ports`, Ubuntu on amd64/i386 to
//! `http://security.ubuntu.com/ubuntu` (in the scheme of `upstream`'s `ubuntu` URL) when that
//! `ubuntu` URL is an official Ubuntu server, else to the `ubuntu` URL itself. A deb822 stanza
//! holding archive and security suites that must go to different servers is split in two,
//! the security suites in a copy below it. URIs that become the same are written once, and an
//! entry that becomes a duplicate of an earlier one is disabled (see [`render`]).
//!
//! The scheme: an entry that used https keeps it where the new server serves https (a site
//! whose URL is https, or `deb.debian.org` and `security.debian.org`); else it gets the site's
//! scheme, except http where the site is https but the root has no CA certificates.
//!
//! The core is pure: [`render::render_all`] and [`generate`] take text and a [`Rewrite`] and
//! return text.

mod parse;
mod render;
mod uri;

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use url::Url;

pub use parse::Format;
use parse::{Entry, SignedBy};
pub use render::{Input, Notes, Outcome, render, render_all};
use uri::Form;

use super::common::same_tree;
use super::{Current, Distro, FileEdit, Host, Request, Target, edit, read_config};
use crate::catalog::{Catalog, Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Apt;

const SOURCES_LIST: &str = "/etc/apt/sources.list";
const SOURCES_LIST_D: &str = "/etc/apt/sources.list.d";
const OS_RELEASE: &str = "/etc/os-release";
const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

impl Target for Apt {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.sys("/etc/apt").is_dir() || ctx.has_program("apt-get")
    }

    fn looked_for(&self) -> &'static str {
        "no `/etc/apt/` and no `apt-get` program"
    }

    fn endpoint(&self, site: &Site, host: &Host) -> Option<String> {
        let family = Family::of(host)?;
        // `ubuntu` or `ubuntu-ports` depends on the architecture: never guess it.
        if family == Family::Ubuntu && host.arch_unknown {
            return None;
        }
        site.repo(probed_repo(host)).map(str::to_owned)
    }

    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let family = family(ctx, host)?;
        let sources = read_sources(ctx)?;
        let mut rw = Rewrite::for_request(family, host, req, raspberry_pi(family, &sources), !has_ca_certificates(ctx));
        let catalog = Catalog::load(ctx)?;
        rw.distribution.known.extend(catalog_urls(&catalog, family.repos()));
        if let Some(known) = &mut rw.distribution.raspberry_pi {
            known.extend(catalog_urls(&catalog, &[Repo::Raspberrypi]));
        }
        let inputs: Vec<Input<'_>> = sources.iter().map(Source::input).collect();
        let mut outcome = render_all(&inputs, &rw).map_err(|(i, e)| sources[i].error(e, req, &rw, ctx))?;
        let mut edits = Vec::new();
        for (i, source) in sources.iter().enumerate() {
            if outcome.archive_files[i] || outcome.texts[i] != source.text {
                edits.push(edit(source.path.clone(), Some(source.text.clone()), outcome.texts[i].clone()));
            }
        }
        if !outcome.any_archive {
            no_archive(ctx, &rw, &sources, &outcome)?;
            // Nothing names the distribution archive (a minimal container): write it into
            // `sources.list`, after what that file holds.
            let list_path = ctx.sys(SOURCES_LIST);
            let before = sources.iter().find(|s| s.path == list_path).map(|s| s.text.clone());
            let base = match edits.iter().position(|e| e.path == list_path) {
                Some(i) => edits.remove(i).after.map(|a| String::from_utf8(a).expect("rendered from text")),
                None => before.clone(),
            };
            let after = generate(base.as_deref(), &rw, !outcome.any_security, &mut outcome.notes)
                .map_err(|e| generate_error(e, ctx, &rw, &sources, &outcome, req))?;
            edits.insert(0, edit(list_path, before, after));
        }
        // What the user should be told (an entry kept as it is, a stanza split in two, http
        // for lack of CA certificates) travels on the edits; with nothing to change, on an
        // unchanged edit of the first file read.
        let warnings = warnings(ctx, outcome.notes);
        if !warnings.is_empty() {
            match edits.first_mut() {
                Some(first) => first.notes.extend(warnings),
                None => {
                    if let Some(s) = sources.first() {
                        edits.push(edit(s.path.clone(), Some(s.text.clone()), s.text.clone()).with_notes(warnings));
                    }
                }
            }
        }
        Ok(edits)
    }

    fn current(&self, ctx: &Context, host: &Host) -> Result<Current> {
        let mut current = Current::default();
        for (source, entries, mine) in distribution_sources(ctx, host)? {
            if current.url.is_none() {
                current.url = mine
                    .iter()
                    .find(|c| c.own() && c.roles.archive && is_live_deb(&entries[c.entry]))
                    .map(|c| c.server(&source.text[entries[c.entry].uris[c.index].clone()]));
            }
            current.files.push(source.path);
        }
        Ok(current)
    }
}

/// Whether apt reads the distribution's security suites from `site` now (as `use --security`
/// leaves them): a live `deb` entry in the security role on one of the site's trees.
pub fn security_on(ctx: &Context, host: &Host, site: &Site) -> Result<bool> {
    let trees: Vec<&str> =
        [Repo::DebianSecurity, Repo::Ubuntu, Repo::UbuntuPorts].iter().filter_map(|r| site.repo(*r)).collect();
    if trees.is_empty() || site.is_upstream() {
        return Ok(false);
    }
    Ok(distribution_sources(ctx, host)?.iter().any(|(source, entries, mine)| {
        mine.iter().any(|c| {
            let e = &entries[c.entry];
            let server = c.server(&source.text[e.uris[c.index].clone()]);
            c.roles.security && is_live_deb(e) && trees.iter().any(|t| same_tree(&server, t))
        })
    }))
}

fn is_live_deb(e: &Entry) -> bool {
    e.enabled && e.types.iter().any(|t| t == "deb")
}

/// A sources file, its entries, and the URIs of them that belong to the distribution.
type SourceEntries = (Source, Vec<Entry>, Vec<Classified>);

/// The sources that hold entries of this host's distribution.
fn distribution_sources(ctx: &Context, host: &Host) -> Result<Vec<SourceEntries>> {
    let Some(family) = Family::of(host) else {
        return Ok(Vec::new());
    };
    let sources = read_sources(ctx)?;
    let catalog = Catalog::load(ctx)?;
    let distribution = Distribution {
        family,
        codename: host.codename.clone(),
        known: catalog_urls(&catalog, family.repos()),
        derivative: derivative(family, host),
        raspberry_pi: raspberry_pi(family, &sources).then(|| catalog_urls(&catalog, &[Repo::Raspberrypi])),
    };
    let mut out = Vec::new();
    for source in sources {
        let entries = parse::parse(source.format, &source.text).map_err(|e| source.parse_error(e))?;
        let mine =
            distribution.classify_all(&source.text, &entries, source.place).map_err(|e| source.parse_error(e))?;
        if !mine.is_empty() {
            out.push((source, entries, mine));
        }
    }
    Ok(out)
}

/// The distributions apt is configured for: Debian, Ubuntu, and Kali and Raspbian, which
/// have archives of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Debian,
    Ubuntu,
    Kali,
    /// Raspberry Pi OS 32-bit (os-release `ID=raspbian`); the 64-bit one is Debian.
    Raspbian,
}

impl Family {
    /// The family of the host's apt: os-release `ID`, then `ID_LIKE` (Kali and Raspbian first,
    /// as their derivatives also say `debian`); `None` for a host that is none of them.
    pub fn of(host: &Host) -> Option<Self> {
        if host.is_like("kali") {
            return Some(Self::Kali);
        }
        if host.is_like("raspbian") {
            return Some(Self::Raspbian);
        }
        match host.distro() {
            Distro::Debian => Some(Self::Debian),
            Distro::Ubuntu => Some(Self::Ubuntu),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Debian => "Debian",
            Self::Ubuntu => "Ubuntu",
            Self::Kali => "Kali",
            Self::Raspbian => "Raspbian",
        }
    }

    /// The os-release `ID` of the distribution itself.
    fn id(self) -> &'static str {
        match self {
            Self::Debian => "debian",
            Self::Ubuntu => "ubuntu",
            Self::Kali => "kali",
            Self::Raspbian => "raspbian",
        }
    }

    /// The components of the distribution's own archive.
    fn components(self) -> &'static [&'static str] {
        match self {
            Self::Debian | Self::Kali => &["main", "contrib", "non-free", "non-free-firmware"],
            Self::Ubuntu => &["main", "restricted", "universe", "multiverse"],
            Self::Raspbian => &["main", "contrib", "non-free", "rpi"],
        }
    }

    /// The last path segments of the archive trees.
    fn trees(self) -> &'static [&'static str] {
        match self {
            Self::Debian => &["debian", "debian-security"],
            Self::Ubuntu => &["ubuntu", "ubuntu-ports"],
            Self::Kali => &["kali"],
            Self::Raspbian => &["raspbian"],
        }
    }

    fn repos(self) -> &'static [Repo] {
        match self {
            Self::Debian => &[Repo::Debian, Repo::DebianSecurity],
            Self::Ubuntu => &[Repo::Ubuntu, Repo::UbuntuPorts],
            Self::Kali => &[Repo::Kali],
            Self::Raspbian => &[Repo::Raspbian],
        }
    }

    /// What the path of the distribution's archive keyring contains
    /// (`/usr/share/keyrings/debian-archive-keyring.gpg`).
    fn keyring_marker(self) -> &'static str {
        match self {
            Self::Debian => "debian-archive",
            Self::Ubuntu => "ubuntu-archive",
            Self::Kali => "kali-archive",
            Self::Raspbian => "raspbian-archive",
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
            // The redirector and Kali's CDN.
            Self::Kali => matches!(host, "http.kali.org" | "kali.download"),
            Self::Raspbian => matches!(
                host,
                "raspbian.raspberrypi.com"
                    | "raspbian.raspberrypi.org"
                    | "archive.raspbian.org"
                    | "mirrordirector.raspbian.org"
            ),
        }
    }

    /// Whether the distribution has security suites on a server of their own.
    fn has_security(self) -> bool {
        matches!(self, Self::Debian | Self::Ubuntu)
    }
}

/// An archive the rules recognise: the distribution's own, or the Raspberry Pi archive
/// (`archive.raspberrypi.com/debian`) that Raspberry Pi OS reads beside it from `raspi.list`,
/// on Raspbian and on the 64-bit, Debian-based Raspberry Pi OS alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Archive {
    Own(Family),
    RaspberryPi,
}

/// The official servers of the Raspberry Pi archive (`.org` until bookworm).
const RASPBERRY_PI_HOSTS: &[&str] = &["archive.raspberrypi.com", "archive.raspberrypi.org"];

impl Archive {
    fn name(self) -> &'static str {
        match self {
            Self::Own(f) => f.name(),
            Self::RaspberryPi => "Raspberry Pi",
        }
    }

    fn components(self) -> &'static [&'static str] {
        match self {
            Self::Own(f) => f.components(),
            // `ui` and `untested` were there up to buster.
            Self::RaspberryPi => &["main", "ui", "untested"],
        }
    }

    /// The last path segments of the tree: `archive.raspberrypi.com/debian`, a mirror's
    /// `/raspberrypi` (TUNA) or `/archive.raspberrypi.org/debian` (USTC).
    fn trees(self) -> &'static [&'static str] {
        match self {
            Self::Own(f) => f.trees(),
            Self::RaspberryPi => &["debian", "raspberrypi"],
        }
    }

    fn keyring_marker(self) -> &'static str {
        match self {
            Self::Own(f) => f.keyring_marker(),
            Self::RaspberryPi => "raspberrypi-archive",
        }
    }

    fn is_official_host(self, host: &str) -> bool {
        match self {
            Self::Own(f) => f.is_official_host(host),
            Self::RaspberryPi => RASPBERRY_PI_HOSTS.contains(&host),
        }
    }

    /// The files whose entries rule (c) may recognise.
    fn place(self) -> Place {
        match self {
            Self::Own(_) => Place::Own,
            Self::RaspberryPi => Place::RaspberryPi,
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
    "old.kali.org",
    "legacy.raspbian.org",
];

/// Official servers known to serve https although the catalog names them with `http://`.
const HTTPS_HOSTS: &[&str] = &["deb.debian.org", "security.debian.org"];

/// Ubuntu's mirror-list service (`mirror://mirrors.ubuntu.com/mirrors.txt`).
const UBUNTU_MIRROR_LISTS: &str = "mirrors.ubuntu.com";

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

/// The files in `sources.list.d` Raspberry Pi OS writes the Raspberry Pi archive into
/// (`raspi.sources` since trixie). On a Debian host, one of them makes it Raspberry Pi OS.
const RASPBERRY_PI_FILES: &[&str] = &["raspi.list", "raspi.sources"];

/// Whether the distribution wrote a sources file: rule (c) applies only in its own files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// `sources.list` or one of [`OWN_FILES`].
    Own,
    /// One of [`RASPBERRY_PI_FILES`]: the Raspberry Pi archive's own file.
    RaspberryPi,
    /// Any other file in `sources.list.d`, added by a package, an installer or the user.
    Added,
}

impl Place {
    /// The place of a file in `sources.list.d` named `name`.
    fn of(name: &str) -> Self {
        if OWN_FILES.contains(&name) {
            Self::Own
        } else if RASPBERRY_PI_FILES.contains(&name) {
            Self::RaspberryPi
        } else {
            Self::Added
        }
    }
}

/// Kali's branches: suites of one archive whatever the release (`kali-rolling` is the
/// codename its os-release gives).
const KALI_SUITES: &[&str] =
    &["kali-rolling", "kali-last-snapshot", "kali-experimental", "kali-bleeding-edge", "kali-dev"];

/// Debian's release aliases, which name the same archive as a codename.
const DEBIAN_ALIASES: &[&str] = &["stable", "oldstable", "oldoldstable", "testing", "unstable", "sid", "experimental"];

/// Suites of the Debian archive that are aliases on their own, whatever the release:
/// `proposed-updates` is `stable-proposed-updates`, `rc-buggy` is `experimental`.
const DEBIAN_SUITES: &[&str] = &["proposed-updates", "rc-buggy"];

/// Suffixes of the suites that belong to a release (`bookworm-updates`, `buster/updates`).
const SUITE_SUFFIXES: &[&str] =
    &["", "-updates", "-backports", "-backports-sloppy", "-security", "-proposed", "-proposed-updates", "/updates"];

/// Debian releases before buster: their archives left the mirrors for `archive.debian.org`.
const DEBIAN_OUTDATED: &[&str] = &["stretch", "jessie", "wheezy", "squeeze", "lenny", "etch", "sarge", "woody"];

/// The release a suite belongs to (`wheezy/updates` → `wheezy`).
fn release_of(suite: &str) -> &str {
    SUITE_SUFFIXES.iter().filter(|s| !s.is_empty()).find_map(|s| suite.strip_suffix(s)).unwrap_or(suite)
}

/// Whether a suite is one of the security suites (`-security`, `buster/updates`).
fn is_security_suite(suite: &str) -> bool {
    suite.ends_with("-security") || suite.ends_with("/updates")
}

/// Which entries belong to the distribution archive.
#[derive(Debug, Clone)]
pub struct Distribution {
    pub family: Family,
    /// The host's release codename; `None` accepts any suite.
    pub codename: Option<String>,
    /// URLs of the catalog's sites that count as the archive whatever their path and file.
    pub known: Vec<String>,
    /// The os-release `ID` when the host is a derivative (`linuxmint`, `pop`): its own
    /// archive is unknown, so no sources are generated for it.
    pub derivative: Option<String>,
    /// On Raspberry Pi OS (Raspbian, or Debian with `raspi.list`): the catalog's URLs of the
    /// Raspberry Pi archive, which is recognised and switched beside the distribution's own.
    pub raspberry_pi: Option<Vec<String>>,
}

/// Whether an entry is served by the archive tree, the security tree, or both (a stanza
/// listing `bookworm` and `bookworm-security` for one URI).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Roles {
    archive: bool,
    security: bool,
}

/// Why an archive URI is kept as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pin {
    /// A Tor onion service: another server would change what the user chose it for.
    Onion,
    /// A package cache that picks the upstream itself.
    Cache,
    /// apt's `mirror` method: the servers are in a list `mirror` does not edit.
    MirrorList,
}

/// One URI of an entry that belongs to the distribution.
#[derive(Debug, Clone)]
struct Classified {
    entry: usize,
    /// Which of the entry's URIs.
    index: usize,
    archive: Archive,
    roles: Roles,
    ports: bool,
    official: bool,
    form: Form,
    pin: Option<Pin>,
}

impl Classified {
    /// The server the URI reads from (behind Tor or a cache), as [`Target::endpoint`] spells
    /// it; `uri` as written when it names none.
    fn server(&self, uri: &str) -> String {
        let server = match &self.form {
            Form::Direct { url, .. } | Form::Cached { upstream: url, .. } | Form::CacheRemap { url } => url.as_str(),
            Form::MirrorList { .. } | Form::Other => uri,
        };
        server.trim_end_matches('/').to_owned()
    }

    /// Whether the URI is the distribution's own archive (not the Raspberry Pi archive).
    fn own(&self) -> bool {
        matches!(self.archive, Archive::Own(_))
    }
}

/// The parts of a URL the rules look at.
struct UriParts {
    host: String,
    /// The last non-empty path segment.
    last: Option<String>,
}

impl UriParts {
    /// The parts of a URL with a host.
    fn of(url: &Url) -> Option<Self> {
        url.host_str()?;
        Some(Self::any(url))
    }

    /// The parts of any URL (a `file:` URL has an empty host).
    fn any(url: &Url) -> Self {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let last = url.path_segments().and_then(|mut segs| segs.rfind(|s| !s.is_empty()).map(str::to_owned));
        Self { host, last }
    }
}

/// A URI the rules recognise as an archive, whatever its suites.
struct Recognised {
    archive: Archive,
    form: Form,
    parts: UriParts,
    official: bool,
    pin: Option<Pin>,
}

impl Distribution {
    fn suite_ok(&self, archive: Archive, suite: &str) -> bool {
        if suite.ends_with('/') {
            return false;
        }
        let debian = archive == Archive::Own(Family::Debian);
        if debian && DEBIAN_SUITES.contains(&suite) {
            return true;
        }
        if archive == Archive::Own(Family::Kali) {
            return KALI_SUITES.contains(&suite) || self.codename.as_deref().is_none_or(|c| c == suite);
        }
        let Some(codename) = &self.codename else {
            return true;
        };
        let mut bases = vec![codename.as_str()];
        if debian {
            bases.extend_from_slice(DEBIAN_ALIASES);
        }
        bases.iter().any(|base| suite.strip_prefix(base).is_some_and(|rest| SUITE_SUFFIXES.contains(&rest)))
    }

    /// The URIs of the entries that belong to the distribution archive, in file order.
    fn classify_all(&self, text: &str, entries: &[Entry], place: Place) -> Result<Vec<Classified>, RenderError> {
        let mut out = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            for (index, uri) in entry.uris.iter().enumerate() {
                if let Some(c) = self.classify(&text[uri.clone()], entry, place)? {
                    out.push(Classified { entry: i, index, ..c });
                }
            }
        }
        Ok(out)
    }

    /// The first enabled entry that rules (a)-(c) recognise as an archive but none of whose
    /// suites belongs to the host's release: its line and its first suite.
    fn stray<'e>(&self, text: &str, entries: &'e [Entry], place: Place) -> Option<(usize, &'e str)> {
        entries.iter().filter(|e| e.enabled).find_map(|entry| {
            let suites: Vec<&String> = entry.suites.iter().filter(|s| !s.ends_with('/')).collect();
            let stray = !suites.is_empty()
                && entry
                    .uris
                    .iter()
                    .filter_map(|uri| self.recognise(&text[uri.clone()], entry, place))
                    .any(|r| !suites.iter().any(|s| self.suite_ok(r.archive, s)));
            stray.then(|| (entry.line, suites[0].as_str()))
        })
    }

    /// Whether the entry names no key, only the archive's keyring, or an inline key block.
    /// An inline key counts: provisioning scripts inline the archive key, third parties ship
    /// their own files, and a stanza `mirror` moved to a mirror by rule (b) must stay
    /// recognisable for the next site.
    fn archive_key(archive: Archive, signed_by: &SignedBy) -> bool {
        match signed_by {
            SignedBy::Absent | SignedBy::Inline => true,
            SignedBy::Keys(keys) => keys.iter().all(|k| k.contains(archive.keyring_marker())),
        }
    }

    /// The conditions of rule (c) besides the path: the archive's own components, file and
    /// key.
    fn own_archive(archive: Archive, entry: &Entry, place: Place) -> bool {
        !entry.components.is_empty()
            && entry.components.iter().all(|c| archive.components().contains(&c.as_str()))
            && place == archive.place()
            && Self::archive_key(archive, &entry.signed_by)
    }

    fn is_tree(archive: Archive, last: Option<&str>) -> bool {
        last.is_some_and(|l| archive.trees().contains(&l))
    }

    /// The catalog URLs of `archive` (rule (a)).
    fn known(&self, archive: Archive) -> &[String] {
        match archive {
            Archive::Own(_) => &self.known,
            Archive::RaspberryPi => self.raspberry_pi.as_deref().unwrap_or_default(),
        }
    }

    /// Whether `host` serves the distribution's archive: an official server or a catalog site.
    fn archive_host(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.family.is_official_host(&host)
            || self.known.iter().any(|k| Url::parse(k).ok().and_then(|u| u.host_str().map(|h| h == host)) == Some(true))
    }

    /// Rules (a)-(c), whatever the suites: `uri` of `entry` is an archive. The Raspberry Pi
    /// archive's catalog URLs and servers come first (its mirrors' trees often end in
    /// `/debian`), rule (c) of each archive holds only in that archive's own files.
    fn recognise(&self, uri: &str, entry: &Entry, place: Place) -> Option<Recognised> {
        let own = Archive::Own(self.family);
        if self.raspberry_pi.is_none() {
            return self.recognise_as(own, uri, entry, place, true);
        }
        let pi = Archive::RaspberryPi;
        self.recognise_as(pi, uri, entry, place, false)
            .or_else(|| self.recognise_as(own, uri, entry, place, true))
            .or_else(|| self.recognise_as(pi, uri, entry, place, true))
    }

    /// Rules (a) and (b) for `archive`, and rule (c) when `by_path`.
    fn recognise_as(
        &self,
        archive: Archive,
        uri: &str,
        entry: &Entry,
        place: Place,
        by_path: bool,
    ) -> Option<Recognised> {
        let known = self.known(archive);
        // A catalog URL is the archive itself, even when its path starts with a host name
        // (USTC's `/archive.raspberrypi.org/debian`), not a cache in front of that host.
        let is_known = known.iter().any(|k| same_tree(k, uri));
        let form = uri::form(uri, |h| {
            !is_known
                && match archive {
                    Archive::Own(_) => self.archive_host(h),
                    Archive::RaspberryPi => archive.is_official_host(&h.to_ascii_lowercase()),
                }
        });
        let path_rule = |tree: bool| by_path && tree && Self::own_archive(archive, entry, place);
        let (parts, pin) = match &form {
            Form::Direct { url, .. } | Form::Cached { upstream: url, .. } => {
                let parts = UriParts::of(url)?;
                let tree = Self::is_tree(archive, parts.last.as_deref());
                let official = archive.is_official_host(&parts.host);
                let by_url = known.iter().any(|k| same_tree(k, url.as_str()));
                let by_host = official && (tree || (parts.host == "security.debian.org" && parts.last.is_none()));
                let by_path = path_rule(tree) && !THIRD_PARTY_HOSTS.contains(&parts.host.as_str());
                if !(by_url || by_host || by_path) {
                    return None;
                }
                let pin = parts.host.ends_with(".onion").then_some(Pin::Onion);
                (parts, pin)
            }
            Form::CacheRemap { url } => {
                let parts = UriParts::of(url)?;
                if !path_rule(Self::is_tree(archive, parts.last.as_deref())) {
                    return None;
                }
                (parts, Some(Pin::Cache))
            }
            Form::MirrorList { list } => {
                let url = Url::parse(list).ok()?;
                let mut parts = UriParts::any(&url);
                // The list's name tells the tree: `/etc/apt/mirrors/debian-security.list`.
                parts.last = parts.last.map(|l| l.trim_end_matches(".list").trim_end_matches(".txt").to_owned());
                let ubuntu_lists = archive == Archive::Own(Family::Ubuntu) && parts.host == UBUNTU_MIRROR_LISTS;
                if !path_rule(Self::is_tree(archive, parts.last.as_deref()) || ubuntu_lists) {
                    return None;
                }
                (parts, Some(Pin::MirrorList))
            }
            Form::Other => return None,
        };
        let official = archive.is_official_host(&parts.host);
        Some(Recognised { archive, form, parts, official, pin })
    }

    fn classify(&self, uri: &str, entry: &Entry, place: Place) -> Result<Option<Classified>, RenderError> {
        let Some(Recognised { archive, form, parts, official, pin }) = self.recognise(uri, entry, place) else {
            return Ok(None);
        };
        let (ok, other): (Vec<&String>, Vec<&String>) = entry.suites.iter().partition(|s| self.suite_ok(archive, s));
        if ok.is_empty() {
            return Ok(None);
        }
        if let Some(odd) = other.first() {
            return Err(RenderError::Parse {
                line: entry.line,
                message: format!(
                    "stanza mixes suites of the {} archive with `{odd}`, which `mirror` does not recognise; split it",
                    archive.name()
                ),
            });
        }
        let has_security = matches!(archive, Archive::Own(f) if f.has_security());
        let security_tree = has_security
            && (matches!(parts.host.as_str(), "security.debian.org" | "security.ubuntu.com")
                || parts.last.as_deref() == Some("debian-security"));
        let mut roles = Roles::default();
        for suite in &entry.suites {
            if has_security && (security_tree || is_security_suite(suite)) {
                roles.security = true;
            } else {
                roles.archive = true;
            }
        }
        let ports = archive == Archive::Own(Family::Ubuntu)
            && (parts.host == "ports.ubuntu.com" || parts.last.as_deref() == Some("ubuntu-ports"));
        Ok(Some(Classified { entry: 0, index: 0, archive, roles, ports, official, form, pin }))
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
    /// The site's id.
    pub site: String,
    pub via: Via,
    pub urls: BTreeMap<Repo, String>,
    /// Ubuntu's security server for amd64 and i386, when the site is the official upstream.
    pub ubuntu_security: Option<String>,
}

/// The repositories a site's URLs are taken from.
const DEST_REPOS: &[Repo] = &[
    Repo::Debian,
    Repo::DebianSecurity,
    Repo::Ubuntu,
    Repo::UbuntuPorts,
    Repo::Kali,
    Repo::Raspbian,
    Repo::Raspberrypi,
];

/// The official server of Ubuntu's security suites outside `ubuntu-ports`.
const UBUNTU_SECURITY_HOST: &str = "security.ubuntu.com";

impl Dest {
    pub fn from_site(site: &Site, via: Via) -> Self {
        let urls: BTreeMap<Repo, String> = DEST_REPOS
            .iter()
            .copied()
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
        Self { site: site.id.clone(), via, urls, ubuntu_security }
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
    /// The root has no CA certificates: apt cannot verify https servers there.
    pub no_ca_certificates: bool,
}

impl Rewrite {
    /// The rewrite for `req` on `host`; `raspberry_pi`: the host is Raspberry Pi OS (see
    /// [`raspberry_pi`]).
    fn for_request(
        family: Family,
        host: &Host,
        req: &Request<'_>,
        raspberry_pi: bool,
        no_ca_certificates: bool,
    ) -> Self {
        let urls = |repos: &[Repo]| -> Vec<String> {
            std::iter::once(req.site)
                .chain(req.upstream)
                .flat_map(|site| repos.iter().filter_map(|r| site.repo(*r).map(str::to_owned)))
                .collect()
        };
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
                known: urls(family.repos()),
                derivative: derivative(family, host),
                raspberry_pi: raspberry_pi.then(|| urls(&[Repo::Raspberrypi])),
            },
            host_ports: family == Family::Ubuntu && host.ubuntu_ports(),
            archive: Dest::from_site(req.site, Via::Site),
            security,
            no_ca_certificates,
        }
    }

    fn repo_for(&self, security: bool, ports: bool) -> Repo {
        match (self.distribution.family, security) {
            (Family::Debian, false) => Repo::Debian,
            (Family::Debian, true) => Repo::DebianSecurity,
            (Family::Ubuntu, _) if ports || self.host_ports => Repo::UbuntuPorts,
            (Family::Ubuntu, _) => Repo::Ubuntu,
            (Family::Kali, _) => Repo::Kali,
            (Family::Raspbian, _) => Repo::Raspbian,
        }
    }

    /// The catalog URL an archive URI goes to; `None` keeps it as it is (the Raspberry Pi
    /// archive, when the site does not serve it: it is not required).
    fn archive_dest(&self, c: &Classified) -> Result<Option<&str>, RenderError> {
        match c.archive {
            Archive::Own(_) => self.archive.get(self.repo_for(false, c.ports)).map(Some),
            Archive::RaspberryPi => Ok(self.archive.urls.get(&Repo::Raspberrypi).map(String::as_str)),
        }
    }

    /// The catalog URL a security URI goes to (`None`: keep it as it is); `alone`: in an entry
    /// without archive suites (see [`Dest::security`]).
    fn security_dest(&self, c: &Classified, alone: bool) -> Result<Option<&str>, RenderError> {
        let dest = match &self.security {
            Security::Untouched => return Ok(None),
            Security::Official(_) if c.official => return Ok(None),
            Security::Official(dest) | Security::Site(dest) => dest,
        };
        dest.security(self.repo_for(true, c.ports), alone).map(Some)
    }

    /// `original`, the URI of `c`, pointed at `dest` (a catalog URL) in the same way: the
    /// transport or cache in front, the final `/`, and https where it used https and `dest`
    /// serves it. A change from https to http is told in `notes` with `at` (file and line).
    fn point(&self, c: &Classified, original: &str, dest: &str, notes: &mut Notes, at: &str) -> String {
        let was_https = c.form.upstream().is_some_and(|u| u.scheme() == "https");
        let (dest_https, host, rest) = split_url(dest);
        let can_https = dest_https || HTTPS_HOSTS.contains(&host.as_str());
        let tls = c.form.tls_by_apt();
        let https = if was_https {
            can_https
        } else if dest_https && tls && self.no_ca_certificates {
            notes.http_for_lack_of_ca = true;
            false
        } else {
            dest_https
        };
        if https && tls && self.no_ca_certificates {
            notes.https_without_ca = true;
        }
        let slash = if original.ends_with('/') { "/" } else { "" };
        let new = c.form.with(https, &format!("{rest}{slash}"));
        if was_https && !https && new != original {
            notes.warn(format!(
                "{at}: `{original}` becomes `{new}`, plain http: `{host}` serves no https that `mirror` knows of"
            ));
        }
        new
    }

    /// A catalog URL for a generated entry: the site's scheme, but http without CA
    /// certificates.
    fn fresh(&self, dest: &str, notes: &mut Notes) -> String {
        let (https, _, rest) = split_url(dest);
        if https && self.no_ca_certificates {
            notes.http_for_lack_of_ca = true;
            return format!("http://{rest}");
        }
        format!("{}://{rest}", if https { "https" } else { "http" })
    }
}

/// A catalog URL's scheme (https or not), lowercase host and what follows `scheme://`,
/// without a final `/`.
fn split_url(url: &str) -> (bool, String, String) {
    let url = url.trim_end_matches('/');
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let host = rest.split(['/', ':']).next().unwrap_or_default().to_ascii_lowercase();
    (scheme.eq_ignore_ascii_case("https"), host, rest.to_owned())
}

/// What the pure core can fail with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// The text is not a valid sources file.
    Parse { line: usize, message: String },
    /// The entry cannot be rewritten safely; `hint` is the way out.
    Refused { line: usize, message: String, hint: String },
    /// An enabled archive entry of another release than the host's.
    Stray { line: usize, suite: String },
    /// A site lacks a repository an entry needs.
    Missing { repo: Repo, via: Via },
    /// The release cannot be generated for (no or an outdated codename).
    Release(String),
}

/// The one-line entries for the distribution, from os-release, appended to `existing` (a
/// `sources.list` without archive entries, kept as it is) or as a new file. `with_security`:
/// also write the security suite (false when some file already has it).
pub fn generate(
    existing: Option<&str>,
    rw: &Rewrite,
    with_security: bool,
    notes: &mut Notes,
) -> Result<String, RenderError> {
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
    // What the distribution's installer writes: Kali's one branch, Raspbian's one suite.
    let components = match (family, codename) {
        (Family::Debian, "buster" | "bullseye") => "main contrib non-free",
        (Family::Debian | Family::Kali, _) => "main contrib non-free non-free-firmware",
        (Family::Ubuntu, _) => "main restricted universe multiverse",
        (Family::Raspbian, _) => "main contrib non-free rpi",
    };
    let single = !matches!(family, Family::Debian | Family::Ubuntu)
        || (family == Family::Debian && matches!(codename, "sid" | "unstable"));
    let archive = rw.fresh(rw.archive.get(rw.repo_for(false, false))?, notes);
    let mut suites = vec![codename.to_owned()];
    if !single {
        suites.push(format!("{codename}-updates"));
    }
    if family == Family::Ubuntu {
        suites.push(format!("{codename}-backports"));
    }
    let security_suite = match codename {
        _ if single || !with_security => None,
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
                let url = rw.fresh(dest.security(rw.repo_for(true, false), true)?, notes);
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

/// A sources file apt reads, with its text.
struct Source {
    path: PathBuf,
    format: Format,
    place: Place,
    text: String,
}

impl Source {
    fn input(&self) -> Input<'_> {
        Input { name: self.path.display().to_string(), format: self.format, place: self.place, text: &self.text }
    }

    fn parse_error(&self, e: RenderError) -> anyhow::Error {
        match e {
            RenderError::Parse { line, message } => Problem::parse(&self.path, Some(line), message).into(),
            RenderError::Refused { line, message, hint } => {
                Problem::bad(format!("`{}` line {line}: {message}", self.path.display())).hint(hint).into()
            }
            RenderError::Stray { line, suite } => Problem::bad(format!(
                "`{}` line {line}: suite `{suite}` is not the host's release",
                self.path.display()
            ))
            .into(),
            RenderError::Missing { repo, .. } => Problem::bad(format!("no URL for `{repo}`")).into(),
            RenderError::Release(what) => Problem::bad(what).into(),
        }
    }

    fn error(&self, e: RenderError, req: &Request<'_>, rw: &Rewrite, ctx: &Context) -> anyhow::Error {
        match e {
            RenderError::Missing { repo, via } => missing(repo, via, req),
            // The archive is there, but for another release than os-release names (a release
            // upgrade half done): switching only part of it would hide that.
            RenderError::Stray { line, suite } => {
                let codename = rw.distribution.codename.as_deref().unwrap_or_default();
                let os_release = ctx.sys(OS_RELEASE);
                Problem::parse(
                    &self.path,
                    Some(line),
                    format!(
                        "suite `{suite}` does not match `{codename}`, the codename in `{}`",
                        os_release.display()
                    ),
                )
                .hint(format!(
                    "finish the release upgrade first (`apt full-upgrade` brings `{}` up to date, then every entry names `{codename}`), or set this entry's suite to `{codename}`; nothing was changed",
                    os_release.display()
                ))
                .into()
            }
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

/// No entry names the archive: an error when entries of the distribution's own files name
/// something else (they are its archive, or what stands for it), or when the host is a
/// derivative that has entries; `Ok` when generating a `sources.list` is right.
fn no_archive(ctx: &Context, rw: &Rewrite, sources: &[Source], outcome: &Outcome) -> Result<()> {
    let family = rw.distribution.family;
    let os_release = ctx.sys(OS_RELEASE);
    let first = outcome.unknown_own.as_ref().or(match &rw.distribution.derivative {
        Some(_) => outcome.first_entries.iter().flatten().next(),
        None => None,
    });
    let Some((i, line, uri)) = first else { return Ok(()) };
    let path = sources[*i].path.display();
    let (message, hint) = match &rw.distribution.derivative {
        Some(id) => (
            format!(
                "`{uri}` is not the {} archive, and `{}` says `ID={id}`, a derivative whose own archive `mirror` does not know",
                family.name(),
                os_release.display()
            ),
            match sources[*i].place {
                Place::Own => format!(
                    "`mirror` switches only {}'s own archive; point the entries of `{path}` at a mirror of `{id}` by hand; nothing was changed",
                    family.name()
                ),
                Place::RaspberryPi | Place::Added => format!(
                    "`mirror` switches only {}'s own archive, and writes sources only for {} itself; add the entries of `{id}`'s archive by hand (see sources.list(5)); nothing was changed",
                    family.name(),
                    family.name()
                ),
            },
        ),
        None => (
            format!("`{uri}` is not a {} archive `mirror` recognises, and no entry names one", family.name()),
            format!(
                "`mirror` switches entries whose URI ends in {} or is a URL of a catalog site (`mirror list apt`); point this one at such a URL by hand, or describe its site in `~/.config/mirror/mirrors/<id>.toml`; nothing was changed",
                family.trees().iter().map(|t| format!("`/{t}`")).collect::<Vec<_>>().join(" or ")
            ),
        ),
    };
    Err(Problem::bad(format!("`{path}` line {line}: {message}")).hint(hint).into())
}

/// Why a `sources.list` cannot be generated.
fn generate_error(
    e: RenderError,
    ctx: &Context,
    rw: &Rewrite,
    sources: &[Source],
    outcome: &Outcome,
    req: &Request<'_>,
) -> anyhow::Error {
    let list_path = ctx.sys(SOURCES_LIST);
    match e {
        RenderError::Release(what) => {
            let read: Vec<String> = outcome
                .first_entries
                .iter()
                .flatten()
                .map(|(i, line, uri)| format!("`{}` line {line} names `{uri}`", sources[*i].path.display()))
                .collect();
            let read = if read.is_empty() { "apt has no entries at all".to_owned() } else { read.join("; ") };
            let hint = match &rw.distribution.derivative {
                Some(id) => format!(
                    "add the entries of `{id}`'s own archive by hand (see sources.list(5)); nothing was changed"
                ),
                None => format!(
                    "`mirror` found no entry to rewrite and cannot write one here; write the entries into `{}` by hand (see sources.list(5))",
                    list_path.display()
                ),
            };
            Problem::bad(format!(
                "no apt source names the {} archive ({read}), and `{}` {what}",
                rw.distribution.family.name(),
                ctx.sys(OS_RELEASE).display()
            ))
            .hint(hint)
            .into()
        }
        other => Source { path: list_path, format: Format::List, place: Place::Own, text: String::new() }
            .error(other, req, rw, ctx),
    }
}

/// What to tell the user besides the edits: the notes of the rewrite, and CA certificates.
fn warnings(ctx: &Context, notes: Notes) -> Vec<String> {
    let bundle = ctx.sys(CA_BUNDLE);
    let mut out = notes.warnings;
    if notes.https_without_ca {
        out.push(format!(
            "no CA certificates under the root (`{}`): apt there cannot verify the https servers its sources name; install `ca-certificates`",
            bundle.display()
        ));
    }
    if notes.http_for_lack_of_ca {
        out.push(format!(
            "no CA certificates under the root (`{}`): wrote `http://` where the site serves https; install `ca-certificates` and run `mirror use` again for https",
            bundle.display()
        ));
    }
    out
}

/// `sources.list`, then `sources.list.d/*.list` and `*.sources` sorted by name (files whose
/// names apt ignores are skipped), with their text; files that do not exist are left out.
fn read_sources(ctx: &Context) -> Result<Vec<Source>> {
    let mut files = vec![(ctx.sys(SOURCES_LIST), Format::List, Place::Own)];
    let dir = ctx.sys(SOURCES_LIST_D);
    match std::fs::read_dir(&dir) {
        Ok(listing) => {
            let mut found = Vec::new();
            for entry in listing {
                let entry = entry.map_err(|e| {
                    anyhow::Error::new(e).context(Problem::bad(format!("could not read `{}`", dir.display())))
                })?;
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
            files.extend(found.into_iter().map(|(name, format)| (dir.join(&name), format, Place::of(&name))));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(anyhow::Error::new(e).context(
                Problem::bad(format!("could not read `{}`", dir.display()))
                    .hint("run the same command with `sudo`, or fix the folder's permissions"),
            ));
        }
    }
    let mut sources = Vec::new();
    for (path, format, place) in files {
        if let Some(text) = read_config(ctx, &path)? {
            sources.push(Source { path, format, place, text });
        }
    }
    Ok(sources)
}

fn family(ctx: &Context, host: &Host) -> Result<Family> {
    Family::of(host).ok_or_else(|| {
        let path = ctx.sys(OS_RELEASE);
        let says = if host.has_os_release {
            format!("`{}` says `ID={}`", path.display(), host.id)
        } else {
            format!("`{}` is missing", path.display())
        };
        Problem::bad(format!("apt's distro is not Debian, Ubuntu, Kali or Raspbian: {says}"))
            .hint("`mirror` configures apt on Debian, Ubuntu, Kali, Raspberry Pi OS and distributions with `ID_LIKE=debian` or `ID_LIKE=ubuntu`")
            .into()
    })
}

/// The repository `bench` ranks and `status` names for apt on this host: the distribution's
/// own archive (`ubuntu-ports` off amd64 and i386), Debian's on a host that is none of them
/// (a laptop building images). The Raspberry Pi archive beside Raspberry Pi OS's own is
/// switched with it but not ranked.
pub fn probed_repo(host: &Host) -> Repo {
    match Family::of(host) {
        Some(Family::Ubuntu) if host.ubuntu_ports() => Repo::UbuntuPorts,
        Some(Family::Ubuntu) => Repo::Ubuntu,
        Some(Family::Kali) => Repo::Kali,
        Some(Family::Raspbian) => Repo::Raspbian,
        Some(Family::Debian) | None => Repo::Debian,
    }
}

/// Whether the host is Raspberry Pi OS, whose apt also reads the Raspberry Pi archive:
/// Raspbian, or Debian with `raspi.list` (the 64-bit Raspberry Pi OS says `ID=debian`).
fn raspberry_pi(family: Family, sources: &[Source]) -> bool {
    family == Family::Raspbian || (family == Family::Debian && sources.iter().any(|s| s.place == Place::RaspberryPi))
}

/// The URLs of `repos` on every site in the catalog in effect (rule (a)): an entry `mirror`
/// moved to one site stays recognisable when the next command names another, in any file.
fn catalog_urls(catalog: &Catalog, repos: &[Repo]) -> Vec<String> {
    catalog.sites().flat_map(|site| repos.iter().filter_map(|r| site.repo(*r).map(str::to_owned))).collect()
}

/// The os-release `ID` of a derivative (`ID_LIKE=debian`), `None` for the distribution itself.
fn derivative(family: Family, host: &Host) -> Option<String> {
    (host.id != family.id()).then(|| host.id.clone())
}

/// Whether apt can verify https servers: without CA certificates it cannot, and a minimal
/// image often has none.
fn has_ca_certificates(ctx: &Context) -> bool {
    ctx.sys(CA_BUNDLE).is_file() || ctx.sys("/usr/share/ca-certificates").is_dir()
}

#[cfg(test)]
mod tests;
