//! What a mirror serves, found by probing it (`mirror site add`), and the site file that says so.
//!
//! [`LAYOUTS`] holds one entry per repository key of the catalog: the paths below a site's
//! URL where mirrors put that repository (most common first), and how to probe a candidate
//! (the plan of the package manager that uses it, from [`crate::probe::plan`]); the names
//! status feeds give it are [`signals::names_in_feeds`]. A new repository is one more entry;
//! a test fails until it has one.
//!
//! A discovery goes:
//!
//! 1. **Status feeds.** The site's own feeds ([`FEEDS`]: `mirrorz.json`, `tunasync.json`,
//!    `static/tunasync.json`, …) are read whole, at most 1 MiB each. One that parses lists
//!    the site's repositories and where they are (MirrorZ gives each mirror's `url`; tunasync
//!    serves a job at `/<name>`), and becomes the site's status feed. If no request got an
//!    HTTP answer at all, the URL is unreachable and nothing more is sent.
//! 2. **Rounds** of [`probe::discover`]: each round at most `--timeout` long, at most
//!    `Options::per_host` requests at once, every candidate judged by the same rules as
//!    `mirror bench` (status, format, suite). Round one tries each repository's most common
//!    path and the paths the feeds name; the next rounds try the other paths of what was not
//!    found, and conda's community channels under an `anaconda` root (all of them where
//!    `pkgs/main` answered, else `conda-forge` first and the rest only if it answered).
//! 3. **Findings.** A repository is found at the first candidate that answered correctly.
//!    Found over plain `http://`, the repositories whose clients trust what the server sends
//!    (all but the signed ones of [`Repo::http_ok`]) and the status feeds are left out
//!    unless `--allow-http`.
//!
//! [`render`] writes the site file: the same format as `mirrors/*.toml`, commented with the
//! date and what was probed, what was not found in `[lacks]` with the reason.

use std::fmt::Write as _;

use anyhow::Result;
use serde::Serialize;
use url::Url;

use crate::catalog::{Conda, Repo};
use crate::context::Context;
use crate::error::Problem;
use crate::probe::plan::{self, Check, HEAD_BYTES, Plan, Range, Sample, Step};
use crate::probe::signals::{self, Feed, FeedFormat};
use crate::probe::{self, Event, Options, ProbeResult, Status};
use crate::targets::Host;

/// Where mirrors put one repository, and how to probe a candidate.
pub struct Layout {
    pub repo: Repo,
    /// Who uses it, for messages (`apt`, `pip, uv and PDM`).
    pub users: &'static str,
    /// Paths below the site's URL, most common first. The first is tried at once, the others
    /// only when it fails. Empty for a registry, which lives at the root of its host.
    pub paths: &'static [&'static str],
    /// Where the repository root is below the path a feed gives (`simple` below `/pypi`).
    pub below_feed: &'static [&'static str],
    /// The probe of a candidate URL on this host.
    pub plan: fn(&str, &Host) -> Plan,
}

/// Every repository key of the catalog, in its order.
pub const LAYOUTS: &[Layout] = &[
    Layout { repo: Repo::Debian, users: "apt", paths: &["debian"], below_feed: &[""], plan: debian_plan },
    Layout {
        repo: Repo::DebianSecurity,
        users: "apt (with `--security`)",
        paths: &["debian-security"],
        below_feed: &[""],
        plan: debian_security_plan,
    },
    Layout { repo: Repo::Ubuntu, users: "apt", paths: &["ubuntu"], below_feed: &[""], plan: ubuntu_plan },
    Layout {
        repo: Repo::UbuntuPorts,
        users: "apt",
        paths: &["ubuntu-ports"],
        below_feed: &[""],
        plan: ubuntu_ports_plan,
    },
    Layout {
        repo: Repo::Archlinux,
        users: "pacman",
        paths: &["archlinux"],
        below_feed: &[""],
        plan: |url, host| plan::plan_for_url(host, Repo::Archlinux, url),
    },
    Layout {
        repo: Repo::Archlinuxarm,
        users: "pacman",
        // SUSTech: `/archlinux-arm` (mirrors/sustech.toml).
        paths: &["archlinuxarm", "archlinux-arm"],
        below_feed: &[""],
        plan: |url, host| plan::plan_for_url(host, Repo::Archlinuxarm, url),
    },
    Layout {
        repo: Repo::Pypi,
        users: "pip, uv and PDM",
        // tunasync sites; USTC, Aliyun and Tencent; a bare proxy (devpi, a pypi.org-style host).
        paths: &["pypi/web/simple", "pypi/simple", "simple"],
        below_feed: &["web/simple", "simple"],
        plan: |url, host| plan::plan_for_url(host, Repo::Pypi, url),
    },
    Layout {
        repo: Repo::Anaconda,
        users: "conda and pixi",
        paths: &["anaconda"],
        below_feed: &[""],
        plan: |url, host| plan::plan_for_url(host, Repo::Anaconda, url),
    },
    Layout {
        repo: Repo::Crates,
        users: "cargo",
        paths: &["crates.io-index"],
        below_feed: &[""],
        plan: |url, host| plan::plan_for_url(host, Repo::Crates, url),
    },
    Layout {
        repo: Repo::Dockerhub,
        users: "docker",
        paths: &[],
        below_feed: &[""],
        plan: |url, host| plan::plan_for_url(host, Repo::Dockerhub, url),
    },
    // The RPM family: each tree probed for a release every mirror of it carries in 2026-12.
    Layout {
        repo: Repo::Fedora,
        users: "dnf (Fedora)",
        paths: &["fedora"],
        below_feed: &[""],
        plan: |url, host| rpm_plan(url, host, Repo::Fedora, "ID=fedora\nVERSION_ID=44\n"),
    },
    Layout {
        repo: Repo::Epel,
        users: "dnf (EPEL)",
        paths: &["epel"],
        below_feed: &[""],
        plan: |url, host| rpm_plan(url, host, Repo::Epel, "ID=rocky\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=9.5\n"),
    },
    Layout {
        repo: Repo::CentosStream,
        users: "dnf (CentOS Stream)",
        paths: &["centos-stream"],
        below_feed: &[""],
        plan: |url, host| rpm_plan(url, host, Repo::CentosStream, "ID=centos\nID_LIKE=\"rhel fedora\"\nVERSION_ID=9\n"),
    },
    Layout {
        repo: Repo::Rocky,
        users: "dnf (Rocky Linux)",
        paths: &["rocky"],
        below_feed: &[""],
        plan: |url, host| {
            rpm_plan(url, host, Repo::Rocky, "ID=rocky\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=9.5\n")
        },
    },
    Layout {
        repo: Repo::Almalinux,
        users: "dnf (AlmaLinux)",
        paths: &["almalinux"],
        below_feed: &[""],
        plan: |url, host| {
            rpm_plan(url, host, Repo::Almalinux, "ID=almalinux\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=9.5\n")
        },
    },
    Layout {
        repo: Repo::Openeuler,
        users: "dnf (openEuler)",
        paths: &["openeuler"],
        below_feed: &[""],
        plan: |url, host| {
            rpm_plan(url, host, Repo::Openeuler, "ID=openEuler\nVERSION=\"24.03 (LTS)\"\nVERSION_ID=24.03\n")
        },
    },
    Layout {
        repo: Repo::Alpine,
        users: "apk",
        paths: &["alpine"],
        below_feed: &[""],
        plan: |url, host| {
            let alpine = host_of("ID=alpine\n", Some("amd64"), host);
            plan::plan_for_url(&alpine, Repo::Alpine, url)
        },
    },
    Layout {
        repo: Repo::Opensuse,
        users: "zypper",
        paths: &["opensuse"],
        below_feed: &[""],
        plan: |url, host| {
            let tumbleweed = host_of("ID=opensuse-tumbleweed\nID_LIKE=\"opensuse suse\"\n", Some("amd64"), host);
            plan::plan_for_url(&tumbleweed, Repo::Opensuse, url)
        },
    },
    Layout {
        repo: Repo::Archlinuxcn,
        users: "pacman (archlinuxcn)",
        paths: &["archlinuxcn"],
        below_feed: &[""],
        plan: |url, host| {
            let arch = host_of("ID=arch\n", Some("amd64"), host);
            plan::plan_for_url(&arch, Repo::Archlinuxcn, url)
        },
    },
    Layout {
        repo: Repo::Kali,
        users: "apt (Kali)",
        paths: &["kali"],
        below_feed: &[""],
        plan: |url, host| {
            let kali = host_of("ID=kali\nID_LIKE=debian\nVERSION_CODENAME=kali-rolling\n", Some("amd64"), host);
            plan::plan_for_url(&kali, Repo::Kali, url)
        },
    },
    Layout {
        repo: Repo::Raspbian,
        users: "apt (Raspberry Pi OS, 32-bit)",
        paths: &["raspbian/raspbian", "raspbian"],
        below_feed: &["raspbian", ""],
        plan: |url, host| {
            let pi = host_of("ID=raspbian\nID_LIKE=debian\nVERSION_CODENAME=bookworm\n", Some("armhf"), host);
            plan::plan_for_url(&pi, Repo::Raspbian, url)
        },
    },
    Layout {
        repo: Repo::Raspberrypi,
        users: "apt (Raspberry Pi OS archive)",
        // USTC: `/archive.raspberrypi.org/debian` (ustclug/mirrorhelp source/raspberrypi.rst).
        paths: &["raspberrypi", "archive.raspberrypi.org/debian"],
        below_feed: &[""],
        plan: |url, host| {
            let pi = host_of("ID=debian\nVERSION_CODENAME=bookworm\n", Some("arm64"), host);
            plan::plan_for_url(&pi, Repo::Raspberrypi, url)
        },
    },
    // The developer registries. A dedicated proxy (npmmirror, goproxy.cn, hf-mirror.com,
    // gems.ruby-china.com) lives at the root of its host: the empty path.
    Layout {
        repo: Repo::Npm,
        users: "npm, pnpm, Yarn and Bun",
        // Tencent `/npm`; Huawei and Nexus `/repository/npm`; npmmirror at its root.
        paths: &["npm", "repository/npm", ""],
        below_feed: &[""],
        plan: |url, host| plan::plan_for_url(host, Repo::Npm, url),
    },
    Layout {
        repo: Repo::Goproxy,
        users: "go",
        // Aliyun `/goproxy`, Tencent `/go`, Huawei `/repository/goproxy`, goproxy.cn at its root.
        paths: &["goproxy", "go", "repository/goproxy", ""],
        below_feed: &[""],
        plan: |url, host| plan::plan_for_url(host, Repo::Goproxy, url),
    },
    Layout {
        repo: Repo::Gosumdb,
        users: "go (checksum database)",
        // goproxy.cn: `/sumdb/sum.golang.org`.
        paths: &["sumdb/sum.golang.org", "goproxy/sumdb/sum.golang.org"],
        below_feed: &[""],
        plan: |url, host| plan::plan_for_url(host, Repo::Gosumdb, url),
    },
    Layout {
        repo: Repo::Rustup,
        users: "rustup",
        // TUNA, NJU, ZJU `/rustup`; USTC, SJTUG `/rust-static`.
        paths: &["rustup", "rust-static"],
        below_feed: &[""],
        plan: |url, host| plan::plan_for_url(host, Repo::Rustup, url),
    },
    Layout {
        repo: Repo::HomebrewBottles,
        users: "Homebrew (bottles)",
        paths: &["homebrew-bottles"],
        below_feed: &[""],
        plan: |url, host| plan::plan_for_url(host, Repo::HomebrewBottles, url),
    },
    Layout {
        repo: Repo::HomebrewApi,
        users: "Homebrew (API)",
        paths: &["homebrew-bottles/api"],
        below_feed: &[""],
        plan: |url, host| plan::plan_for_url(host, Repo::HomebrewApi, url),
    },
    Layout {
        repo: Repo::HomebrewBrewGit,
        users: "Homebrew (brew.git)",
        // TUNA `/git/homebrew/brew.git`, USTC `/brew.git`.
        paths: &["git/homebrew/brew.git", "brew.git"],
        below_feed: &[""],
        plan: |url, host| plan::plan_for_url(host, Repo::HomebrewBrewGit, url),
    },
    Layout {
        repo: Repo::HomebrewCoreGit,
        users: "Homebrew (homebrew-core.git)",
        paths: &["git/homebrew/homebrew-core.git", "homebrew-core.git"],
        below_feed: &[""],
        plan: |url, host| plan::plan_for_url(host, Repo::HomebrewCoreGit, url),
    },
    Layout {
        repo: Repo::Huggingface,
        users: "the Hugging Face Hub",
        // hf-mirror.com at its root.
        paths: &["huggingface", "hf", ""],
        below_feed: &[""],
        plan: |url, host| plan::plan_for_url(host, Repo::Huggingface, url),
    },
    Layout {
        repo: Repo::Rubygems,
        users: "gem and Bundler",
        // TUNA `/rubygems`; gems.ruby-china.com at its root.
        paths: &["rubygems", ""],
        below_feed: &[""],
        plan: |url, host| plan::plan_for_url(host, Repo::Rubygems, url),
    },
    Layout {
        repo: Repo::Maven,
        users: "Maven",
        // Aliyun `/repository/public`, Huawei `/repository/maven`, Tencent's Nexus, a plain
        // `maven2` tree.
        paths: &["maven", "repository/public", "repository/maven", "nexus/repository/maven-public", "maven2"],
        below_feed: &[""],
        plan: |url, host| plan::plan_for_url(host, Repo::Maven, url),
    },
];

/// An RPM tree probed as dnf on the host that `os_release` describes would.
fn rpm_plan(url: &str, host: &Host, repo: Repo, os_release: &str) -> Plan {
    let rpm = host_of(os_release, Some("amd64"), host);
    plan::plan_for_url(&rpm, repo, url)
}

/// Community channels looked for under `<anaconda>/cloud`, most mirrored first (TUNA's and
/// SJTUG's lists, `shared/reference/formats.md` A5).
pub const CONDA_CHANNELS: &[&str] = &[
    "conda-forge",
    "bioconda",
    "pytorch",
    "nvidia",
    "rapidsai",
    "menpo",
    "fastai",
    "dglteam",
    "Paddle",
    "deepmodeling",
];

/// Where sites publish their status feeds, below their URL (each seen on a built-in site:
/// TUNA, BFSU and NYIST `static/tunasync.json`, NJU `.mirrorz/tunasync.json`, HUST
/// `status.json`, HIT `jobs`, USTC `static/json/mirrorz.json`, ZJU `api/mirrorz.json`,
/// SUSTech `mirrorz/mirrorz.json`, LZU `.mirrorz.json`, ISCAS `.mirrorz/mirrorz.json`).
pub const FEEDS: &[(&str, FeedFormat)] = &[
    ("mirrorz.json", FeedFormat::Mirrorz),
    ("tunasync.json", FeedFormat::Tunasync),
    ("static/tunasync.json", FeedFormat::Tunasync),
    (".mirrorz.json", FeedFormat::Mirrorz),
    (".mirrorz/mirrorz.json", FeedFormat::Mirrorz),
    ("mirrorz/mirrorz.json", FeedFormat::Mirrorz),
    ("static/json/mirrorz.json", FeedFormat::Mirrorz),
    ("api/mirrorz.json", FeedFormat::Mirrorz),
    (".mirrorz/tunasync.json", FeedFormat::Tunasync),
    ("status.json", FeedFormat::Tunasync),
    ("jobs", FeedFormat::Tunasync),
];

/// The URL of a mirror site as the user gave it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteUrl {
    /// Without a trailing slash: `https://mirror.example/mirrors`.
    pub base: String,
    /// Scheme, host and port: where a registry would be.
    pub origin: String,
}

impl SiteUrl {
    /// An absolute http(s) URL with a host, no credentials, query or fragment.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: String| -> anyhow::Error {
            Problem::bad(format!("`{text}` is not a mirror URL: {why}"))
                .hint("give the site's root, e.g. `https://mirrors.example.edu/` (the folder that holds `debian/`, `pypi/`, …)")
                .into()
        };
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("it contains whitespace or control characters".into()));
        }
        let url = Url::parse(text).map_err(|e| bad(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad(format!("the scheme is `{}`, not http or https", url.scheme())));
        }
        let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
            return Err(bad("it has no host".into()));
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("credentials do not belong in a site file".into()));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("it has a query or fragment".into()));
        }
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let origin = format!("{}://{host}{port}", url.scheme());
        let base = format!("{origin}{}", url.path().trim_end_matches('/'));
        Ok(Self { base, origin })
    }

    fn join(&self, path: &str) -> String {
        if path.is_empty() { self.base.clone() } else { format!("{}/{}", self.base, path.trim_matches('/')) }
    }
}

/// Where a found repository goes in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Answered correctly; written.
    Found,
    /// Nothing answered correctly; written to `[lacks]` with the reason.
    NotFound,
    /// Answered over plain http, which the repository's users must not trust without
    /// `--allow-http`; written to `[lacks]`.
    LeftOut,
}

/// One probe of a discovery, for `--json` and `-v`.
#[derive(Debug, Clone, Serialize)]
pub struct Tried {
    pub url: String,
    pub status: Status,
    pub reason: String,
    #[serde(skip)]
    pub details: Vec<String>,
}

/// What was found out about one repository (or one status feed).
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The key in the site file: `debian`, …, or `status.tunasync`.
    pub key: String,
    pub verdict: Verdict,
    /// Where it answered (for `left_out` too).
    pub url: Option<String>,
    /// Why: what answered, or why nothing did.
    pub reason: String,
    /// The status feeds that list it.
    pub listed_in: Vec<String>,
    pub tried: Vec<Tried>,
    /// For `anaconda`: `pkgs/main` answered, and the channels that did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conda: Option<CondaFound>,
}

/// The conda part of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CondaFound {
    pub pkgs: bool,
    pub channels: Vec<String>,
}

/// Everything a discovery found out.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub site: SiteUrl,
    /// One per [`LAYOUTS`] entry, in order, then one per feed format found.
    pub findings: Vec<Finding>,
    /// The site's name in its `mirrorz.json`, if one was read.
    pub name: Option<String>,
    /// How many requests were planned (the probes' and the feeds'), for the file.
    pub probed: usize,
}

impl Discovery {
    /// Whether anything can be written.
    pub fn any_found(&self) -> bool {
        self.findings.iter().any(|f| f.verdict == Verdict::Found && !f.key.starts_with("status."))
    }

    pub fn finding(&self, key: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.key == key)
    }
}

/// One candidate of a round.
#[derive(Debug, Clone)]
struct Candidate {
    repo: Repo,
    /// The repository root judged (for a conda channel, the anaconda root).
    url: String,
    /// A conda community channel below `url`.
    channel: Option<String>,
    plan: Plan,
}

/// Finds what the mirror at `site` serves (see the module docs). Errors only when the URL
/// cannot be reached at all (exit 1).
pub fn discover(
    ctx: &Context,
    host: &Host,
    site: &SiteUrl,
    allow_http: bool,
    opts: &Options,
    progress: &dyn Fn(Event),
) -> Result<Discovery> {
    let feed_urls: Vec<String> = FEEDS.iter().map(|(path, _)| site.join(path)).collect();
    let fetched = probe::fetch(ctx, &feed_urls, opts);
    if !fetched.iter().any(|f| f.answered) {
        let why = fetched.first().and_then(|f| f.body.as_ref().err()).cloned().unwrap_or_default();
        return Err(Problem::failed(format!("could not reach `{}`: {why}; nothing was written", site.base))
            .hint("check the URL and the network (proxy settings `HTTPS_PROXY`, `NO_PROXY`), or raise `--timeout`")
            .into());
    }
    let reads = read_feeds(site, &fetched);
    let feeds: Vec<FeedRead> = reads.iter().filter_map(|r| r.as_ref().ok().cloned()).collect();

    let mut done: Vec<(Candidate, ProbeResult)> = Vec::new();
    loop {
        let round = next_round(site, host, &feeds, &done);
        if round.is_empty() {
            break;
        }
        let plans: Vec<Plan> = round.iter().map(|c| c.plan.clone()).collect();
        let results = probe::discover(ctx, &plans, opts, progress);
        done.extend(round.into_iter().zip(results));
    }

    let mut findings: Vec<Finding> = LAYOUTS.iter().map(|l| judge(l, &done, &feeds, allow_http)).collect();
    findings.extend(feed_findings(&fetched, &reads, &feeds, allow_http));
    let name = feeds.iter().find_map(|f| f.name.clone());
    let probed = done.iter().map(|(c, _)| c.plan.steps.len()).sum::<usize>() + feed_urls.len();
    Ok(Discovery { site: site.clone(), findings, name, probed })
}

/// A repository a status feed lists: its name there and, when the feed tells, its URL.
type Listed = (String, Option<String>);

/// A status feed that parsed.
#[derive(Debug, Clone)]
struct FeedRead {
    url: String,
    format: FeedFormat,
    entries: Vec<Listed>,
    name: Option<String>,
}

/// What each of [`FEEDS`] gave: the feed, or why there is none (not fetched, or not a feed).
fn read_feeds(site: &SiteUrl, fetched: &[probe::Fetched]) -> Vec<Result<FeedRead, String>> {
    fetched
        .iter()
        .zip(FEEDS)
        .map(|(f, (_, format))| {
            let text = f.body.as_ref().map_err(Clone::clone)?;
            let (entries, name) = parse_feed(*format, text, site)?;
            Ok(FeedRead { url: f.url.clone(), format: *format, entries, name })
        })
        .collect()
}

/// The repositories a feed lists, with their URLs where it gives them (MirrorZ `url`, a
/// tunasync job's `/<name>`), and the site's name (MirrorZ). Errors say why the text is not
/// a feed of `format`.
fn parse_feed(format: FeedFormat, text: &str, site: &SiteUrl) -> Result<(Vec<Listed>, Option<String>), String> {
    let feed = Feed::parse(format, text)?;
    let entries = feed
        .entries
        .into_iter()
        .filter_map(|e| {
            let name = e.name?;
            match format {
                FeedFormat::Tunasync => {
                    let url = valid_path_segment(&name).then(|| site.join(&name))?;
                    Some((name, Some(url)))
                }
                FeedFormat::Mirrorz => Some((name, e.url.as_deref().and_then(|u| feed_url(site, u)))),
            }
        })
        .collect();
    Ok((entries, feed.site_name.as_deref().map(one_line).filter(|n| !n.is_empty())))
}

/// A tunasync job name usable as a path segment.
fn valid_path_segment(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// A MirrorZ `url`: a path below the site (`/debian`), or an absolute URL on the same host.
fn feed_url(site: &SiteUrl, url: &str) -> Option<String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    if let Some(path) = url.strip_prefix('/') {
        let path = path.trim_end_matches('/');
        return (!path.split('/').any(|s| s == "..")).then(|| site.join(path));
    }
    let parsed = SiteUrl::parse(url).ok()?;
    (parsed.origin == site.origin).then_some(parsed.base)
}

/// The candidates of the next round, given what is done (see the module docs).
fn next_round(site: &SiteUrl, host: &Host, feeds: &[FeedRead], done: &[(Candidate, ProbeResult)]) -> Vec<Candidate> {
    let tried = |repo: Repo, url: &str, channel: Option<&str>| {
        done.iter().any(|(c, _)| c.repo == repo && c.url == url && c.channel.as_deref() == channel)
    };
    let ok = |repo: Repo, url: &str, channel: Option<&str>| {
        done.iter().any(|(c, r)| c.repo == repo && c.url == url && c.channel.as_deref() == channel && answered_right(r))
    };
    let mut round: Vec<Candidate> = Vec::new();
    let push = |repo: Repo, url: String, channel: Option<String>, plan: Plan, round: &mut Vec<Candidate>| {
        if !tried(repo, &url, channel.as_deref())
            && !round.iter().any(|c| c.repo == repo && c.url == url && c.channel == channel)
        {
            round.push(Candidate { repo, url, channel, plan });
        }
    };
    let first_round = done.is_empty();
    for layout in LAYOUTS {
        let urls = candidate_urls(layout, site, feeds);
        let found = urls.iter().any(|u| ok(layout.repo, u, None));
        // Round one: the most common path and what the feeds name; then the rest.
        let wanted: Vec<&String> = if first_round {
            let listed = feed_urls(layout, site, feeds);
            urls.iter().take(1).chain(urls.iter().filter(|u| listed.contains(u))).collect()
        } else if found {
            Vec::new()
        } else {
            urls.iter().collect()
        };
        for url in wanted {
            push(layout.repo, url.clone(), None, (layout.plan)(url, host), &mut round);
        }
    }
    if !first_round {
        conda_channels(host, done, &ok, &mut |url, ch, plan| {
            push(Repo::Anaconda, url, Some(ch), plan, &mut round);
        });
    }
    round
}

/// Conda channels to probe next under each anaconda root probed: all of them where
/// `pkgs/main` answered (only those roots, if any did), else `conda-forge`, and the rest
/// where it answered.
fn conda_channels(
    host: &Host,
    done: &[(Candidate, ProbeResult)],
    ok: &dyn Fn(Repo, &str, Option<&str>) -> bool,
    add: &mut dyn FnMut(String, String, Plan),
) {
    let roots: Vec<&str> = done
        .iter()
        .filter(|(c, _)| c.repo == Repo::Anaconda && c.channel.is_none())
        .map(|(c, _)| c.url.as_str())
        .collect();
    let with_pkgs: Vec<&str> = roots.iter().copied().filter(|r| ok(Repo::Anaconda, r, None)).collect();
    let roots = if with_pkgs.is_empty() { roots } else { with_pkgs };
    for root in roots {
        let all = ok(Repo::Anaconda, root, None) || ok(Repo::Anaconda, root, Some(CONDA_CHANNELS[0]));
        let channels = if all { CONDA_CHANNELS } else { &CONDA_CHANNELS[..1] };
        for ch in channels {
            add(root.to_owned(), (*ch).to_owned(), channel_plan(root, ch, host));
        }
    }
}

/// Every URL worth trying for `layout`: its paths, then what the feeds name.
fn candidate_urls(layout: &Layout, site: &SiteUrl, feeds: &[FeedRead]) -> Vec<String> {
    let mut urls: Vec<String> = if layout.paths.is_empty() {
        vec![site.origin.clone()]
    } else {
        layout.paths.iter().map(|p| site.join(p)).collect()
    };
    for url in feed_urls(layout, site, feeds) {
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    urls
}

/// Most candidate URLs the feeds may add for one repository: a feed naming a thousand
/// places for `pypi` does not make a thousand probes.
pub const MAX_FEED_URLS: usize = 4;

/// The URLs the feeds give `layout`'s repository (the registry's host root, for Docker Hub),
/// at most [`MAX_FEED_URLS`].
fn feed_urls(layout: &Layout, site: &SiteUrl, feeds: &[FeedRead]) -> Vec<String> {
    let names = signals::names_in_feeds(layout.repo);
    let mut urls = Vec::new();
    for feed in feeds {
        for (name, url) in &feed.entries {
            let Some(url) = url.as_ref().filter(|_| names.contains(&name.as_str())) else {
                continue;
            };
            let found: Vec<String> = if layout.paths.is_empty() {
                vec![site.origin.clone()]
            } else {
                layout
                    .below_feed
                    .iter()
                    .map(|b| if b.is_empty() { url.clone() } else { format!("{url}/{b}") })
                    .collect()
            };
            for u in found {
                if !urls.contains(&u) && urls.len() < MAX_FEED_URLS {
                    urls.push(u);
                }
            }
        }
    }
    urls
}

fn answered_right(r: &ProbeResult) -> bool {
    matches!(r.status, Status::Ok | Status::Stale)
}

/// The finding for one layout, from every candidate probed.
fn judge(layout: &Layout, done: &[(Candidate, ProbeResult)], feeds: &[FeedRead], allow_http: bool) -> Finding {
    let key = layout.repo.key().to_owned();
    let names = signals::names_in_feeds(layout.repo);
    let listed_in: Vec<String> = feeds
        .iter()
        .filter(|f| f.entries.iter().any(|(n, _)| names.contains(&n.as_str())))
        .map(|f| f.url.clone())
        .collect();
    let mine: Vec<&(Candidate, ProbeResult)> = done.iter().filter(|(c, _)| c.repo == layout.repo).collect();
    let tried: Vec<Tried> = mine
        .iter()
        .map(|(c, r)| Tried {
            url: c.channel.as_ref().map_or_else(|| c.url.clone(), |ch| format!("{}/cloud/{ch}", c.url)),
            status: r.status,
            reason: r.reason.clone(),
            details: r.details.clone(),
        })
        .collect();
    let ok = |c: &Candidate, channel: Option<&str>| {
        mine.iter().any(|(d, r)| d.url == c.url && d.channel.as_deref() == channel && answered_right(r))
    };
    let mut roots = mine.iter().map(|(c, _)| c).filter(|c| c.channel.is_none());
    let channels_at = |c: &Candidate| -> Vec<String> {
        CONDA_CHANNELS.iter().filter(|ch| ok(c, Some(ch))).map(|ch| (*ch).to_string()).collect()
    };
    let found = if layout.repo == Repo::Anaconda {
        // The first root where `pkgs/main` answered, else the first with a channel.
        roots.clone().find(|c| ok(c, None)).or_else(|| roots.find(|c| !channels_at(c).is_empty()))
    } else {
        roots.find(|c| ok(c, None))
    };
    let conda = found
        .filter(|_| layout.repo == Repo::Anaconda)
        .map(|c| CondaFound { pkgs: ok(c, None), channels: channels_at(c) });
    let users = layout.users;
    let (verdict, url, reason) = match found {
        Some(c) if c.url.starts_with("http://") && !layout.repo.http_ok() && !allow_http => (
            Verdict::LeftOut,
            Some(c.url.clone()),
            format!(
                "served over plain http, and {users} would trust whatever it returns: left out without `--allow-http`"
            ),
        ),
        Some(c) => {
            let latency = mine
                .iter()
                .find(|(d, r)| d.url == c.url && d.channel.is_none() && answered_right(r))
                .and_then(|(_, r)| r.latency_ms)
                .map(|ms| format!(" in {ms} ms"))
                .unwrap_or_default();
            let mut steps: Vec<&str> = Vec::new();
            for step in &c.plan.steps {
                if !steps.contains(&step.what.as_str()) {
                    steps.push(&step.what);
                }
            }
            let what = match &conda {
                Some(cf) => format!("{users}: {}", conda_summary(cf)),
                None => format!("{users}: {} answered{latency}", steps.join(", ")),
            };
            (Verdict::Found, Some(c.url.clone()), what)
        }
        None => (Verdict::NotFound, None, why_not(&mine)),
    };
    let reason = if listed_in.is_empty() || verdict != Verdict::NotFound {
        reason
    } else {
        format!("listed by the site's status feed, but {reason}")
    };
    Finding { key, verdict, url, reason, listed_in, tried, conda }
}

fn conda_summary(c: &CondaFound) -> String {
    let channels = match c.channels.len() {
        0 => "no community channel".to_owned(),
        1 => format!("channel {}", c.channels[0]),
        _ => format!("channels {}", c.channels.join(", ")),
    };
    if c.pkgs { format!("pkgs/main and {channels}") } else { format!("{channels} (no pkgs/main)") }
}

/// Why nothing answered correctly: the reasons, each with the paths that gave it.
fn why_not(tried: &[&(Candidate, ProbeResult)]) -> String {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (c, r) in tried {
        let reason = match r.status {
            Status::Slow => format!("no full answer within the time ({})", r.reason),
            _ => r.reason.clone(),
        };
        let at = c.channel.as_ref().map_or_else(|| c.url.clone(), |ch| format!("{}/cloud/{ch}", c.url));
        match groups.iter_mut().find(|(g, _)| *g == reason) {
            Some((_, urls)) => urls.push(at),
            None => groups.push((reason, vec![at])),
        }
    }
    if groups.is_empty() {
        return "not probed".into();
    }
    let many = groups.len() > 1 || groups[0].1.len() > 1;
    groups
        .into_iter()
        .map(|(reason, urls)| if many { format!("{reason} (at {})", urls.join(", ")) } else { reason })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One finding per feed format: the first feed of it that parsed, else why none did.
/// `reads`: what each of [`FEEDS`] gave; `feeds`: those that parsed.
fn feed_findings(
    fetched: &[probe::Fetched],
    reads: &[Result<FeedRead, String>],
    feeds: &[FeedRead],
    allow_http: bool,
) -> Vec<Finding> {
    [FeedFormat::Tunasync, FeedFormat::Mirrorz]
        .into_iter()
        .map(|format| {
            let key = format!("status.{}", format.key());
            let tried: Vec<Tried> = fetched
                .iter()
                .zip(reads)
                .zip(FEEDS)
                .filter(|(_, (_, f))| *f == format)
                .map(|((f, read), _)| {
                    let (status, reason) = match read {
                        Ok(r) => {
                            (Status::Ok, format!("a {} feed listing {} repositories", format.key(), r.entries.len()))
                        }
                        Err(why) => (Status::Failed, why.clone()),
                    };
                    Tried { url: f.url.clone(), status, reason, details: Vec::new() }
                })
                .collect();
            let (verdict, url, reason) = match feeds.iter().find(|f| f.format == format) {
                Some(f) if f.url.starts_with("http://") && !allow_http => (
                    Verdict::LeftOut,
                    Some(f.url.clone()),
                    "served over plain http: left out without `--allow-http`".to_owned(),
                ),
                Some(f) => (Verdict::Found, Some(f.url.clone()), format!("lists {} repositories", f.entries.len())),
                None => (Verdict::NotFound, None, format!("no {} at {}", format.what(), tried_paths(format))),
            };
            Finding { key, verdict, url, reason, listed_in: Vec::new(), tried, conda: None }
        })
        .collect()
}

fn tried_paths(format: FeedFormat) -> String {
    FEEDS.iter().filter(|(_, f)| *f == format).map(|(p, _)| *p).collect::<Vec<_>>().join(", ")
}

/// Who fetches `repos` (and, with `feed`, a status feed) from a site, for what `--allow-http`
/// warns of: `pip, uv and PDM; conda and pixi; mirror's freshness check (the status feed)`.
pub fn trusting_http(repos: &[Repo], feed: bool) -> String {
    let mut who: Vec<&str> = LAYOUTS.iter().filter(|l| repos.contains(&l.repo)).map(|l| l.users).collect();
    if feed {
        who.push("mirror's freshness check (the status feed)");
    }
    who.join("; ")
}

/// A host of `os_release` with this machine's architecture, or `arch`.
fn host_of(os_release: &str, arch: Option<&str>, host: &Host) -> Host {
    let mut h = Host { arch: arch.unwrap_or(&host.arch).to_owned(), has_os_release: true, ..Host::default() };
    h.parse_os_release(os_release);
    h
}

/// Debian: the `stable` suite and its `-updates` (every Debian mirror carries the aliases),
/// whatever this machine runs.
fn debian_plan(url: &str, host: &Host) -> Plan {
    let debian = host_of("ID=debian\n", None, host);
    let mut p = plan::plan_for_url(&debian, Repo::Debian, url);
    p.steps.insert(0, inrelease(url, plan::DEBIAN_FALLBACK, "Debian"));
    p
}

/// The Debian security archive: `dists/stable-security/InRelease`.
fn debian_security_plan(url: &str, _host: &Host) -> Plan {
    let url = url.trim_end_matches('/');
    Plan {
        repo: Repo::DebianSecurity,
        url: url.to_owned(),
        steps: vec![inrelease(url, "stable-security", "Debian")],
        sample: Sample::None,
        kinds: Vec::new(),
    }
}

/// Ubuntu's current LTS in the amd64 tree.
fn ubuntu_plan(url: &str, host: &Host) -> Plan {
    let ubuntu = host_of(&format!("ID=ubuntu\nVERSION_CODENAME={}\n", plan::UBUNTU_FALLBACK), Some("amd64"), host);
    plan::plan_for_url(&ubuntu, Repo::Ubuntu, url)
}

/// Ubuntu's current LTS in the ports tree (arm64 and the rest).
fn ubuntu_ports_plan(url: &str, host: &Host) -> Plan {
    let ports = host_of(&format!("ID=ubuntu\nVERSION_CODENAME={}\n", plan::UBUNTU_FALLBACK), Some("arm64"), host);
    plan::plan_for_url(&ports, Repo::UbuntuPorts, url)
}

fn inrelease(url: &str, suite: &str, origin: &'static str) -> Step {
    Step::ranged(
        "InRelease",
        format!("{}/dists/{suite}/InRelease", url.trim_end_matches('/')),
        Range::Head(HEAD_BYTES),
        Check::InRelease { suite: suite.to_owned(), origin },
    )
}

/// A conda community channel under `<root>/cloud`.
fn channel_plan(root: &str, channel: &str, host: &Host) -> Plan {
    let cloud = format!("{}/cloud", root.trim_end_matches('/'));
    let conda = Conda { channels: vec![channel.to_owned()], pkgs: false, cloud: Some(cloud) };
    plan::plan_for_conda(host, root, &conda)
}

/// What the probe of a layout requests, relative to the candidate (for the file's comment).
fn probed_paths(layout: &Layout, host: &Host) -> String {
    let url = "https://x.invalid/r";
    let p = (layout.plan)(url, host);
    p.steps
        .iter()
        .map(|s| s.url.strip_prefix(&format!("{url}/")).unwrap_or(&s.url).to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the file is written from, beside the discovery.
#[derive(Debug, Clone)]
pub struct FileInput<'a> {
    pub id: &'a str,
    pub region: &'a str,
    pub allow_http: bool,
    /// `YYYY-MM-DD`.
    pub date: &'a str,
    /// The command line that wrote it, for the comment.
    pub command: &'a str,
}

/// The site file for a discovery (see the module docs). Only what was found goes in
/// `[repos]`; what was not, and why, goes in `[lacks]`.
pub fn render(d: &Discovery, input: &FileInput<'_>, host: &Host) -> String {
    let base = &d.site.base;
    let rel = |url: &str| match url.strip_prefix(base.as_str()) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("{{base}}{rest}"),
        _ => url.to_owned(),
    };
    let found = |f: &&Finding| f.verdict == Verdict::Found;
    let width = d.findings.iter().map(|f| f.key.len()).max().unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(out, "# `{}`: written by `{}` on {}.", input.id, one_line(input.command), input.date);
    let _ = writeln!(
        out,
        "# mirror {} probed {base} (up to {} requests: each repository's usual paths, with the requests",
        env!("CARGO_PKG_VERSION"),
        d.probed
    );
    let _ = writeln!(out, "# its package manager makes, and the site's status feeds). What it found:");
    for layout in LAYOUTS {
        let Some(f) = d.finding(layout.repo.key()) else { continue };
        let what = match f.verdict {
            Verdict::Found if let Some(c) = &f.conda => format!(
                "{}: {}; {} and the same below cloud/<channel>",
                rel(f.url.as_deref().unwrap_or_default()),
                conda_summary(c),
                probed_paths(layout, host)
            ),
            Verdict::Found => format!("{}: {}", rel(f.url.as_deref().unwrap_or_default()), probed_paths(layout, host)),
            Verdict::NotFound => "not found".to_owned(),
            Verdict::LeftOut => "left out (plain http)".to_owned(),
        };
        let _ = writeln!(out, "#   {:width$}  {}", f.key, one_line(&what));
    }
    for f in d.findings.iter().filter(|f| f.key.starts_with("status.")) {
        let what = match (f.verdict, f.url.as_deref()) {
            (Verdict::Found, Some(u)) => rel(u),
            (Verdict::LeftOut, Some(u)) => format!("{} (left out: plain http)", rel(u)),
            _ => "none found".to_owned(),
        };
        let _ = writeln!(out, "#   {:width$}  {}", f.key, one_line(&what));
    }
    let _ = writeln!(
        out,
        "# Probe again with `mirror site add {} <URL> --force`; the format is in mirrors/README.md.",
        input.id
    );
    let _ = writeln!(out);
    let name = d.name.clone().unwrap_or_else(|| format!("{} ({})", input.id, host_name(base)));
    let _ = writeln!(out, "id = {}", quote(input.id));
    let _ = writeln!(out, "name = {}", quote(&name));
    let _ = writeln!(out, "homepage = {}", quote(&format!("{base}/")));
    let _ = writeln!(out, "region = {}", quote(input.region));
    let _ = writeln!(out, "base = {}", quote(base));
    let _ = writeln!(out, "checked = {}", quote(input.date));
    // What needs `allow_http`: plain-http findings that are not signed repositories.
    let (mut trusting, mut feed) = (Vec::new(), false);
    for f in d.findings.iter().filter(found).filter(|f| f.url.as_deref().is_some_and(|u| u.starts_with("http://"))) {
        match LAYOUTS.iter().find(|l| l.repo.key() == f.key) {
            Some(l) if !l.repo.http_ok() => trusting.push(l.repo),
            Some(_) => {}
            None => feed = true,
        }
    }
    if input.allow_http && (feed || !trusting.is_empty()) {
        let who = trusting_http(&trusting, feed);
        let _ = writeln!(out, "# `--allow-http`: over plain http, trusting whatever this site returns: {who}.");
        let _ = writeln!(out, "# Keep it so only on a network you trust.");
        let _ = writeln!(out, "allow_http = true");
    }
    let _ = writeln!(out, "\n[repos]");
    for layout in LAYOUTS {
        if let Some(f) = d.finding(layout.repo.key()).filter(found) {
            let _ = writeln!(out, "{} = {}", f.key, quote(&rel(f.url.as_deref().unwrap_or_default())));
        }
    }
    if let Some(c) = d.finding(Repo::Anaconda.key()).filter(found).and_then(|f| f.conda.as_ref()) {
        let channels: Vec<String> = c.channels.iter().map(|ch| quote(ch)).collect();
        let _ = writeln!(out, "\n[conda]\npkgs = {}\nchannels = [{}]", c.pkgs, channels.join(", "));
    }
    let feeds: Vec<&Finding> = d.findings.iter().filter(|f| f.key.starts_with("status.")).filter(found).collect();
    if !feeds.is_empty() {
        let _ = writeln!(out, "\n[status]");
        for f in feeds {
            let key = f.key.trim_start_matches("status.");
            let _ = writeln!(out, "{key} = {}", quote(&rel(f.url.as_deref().unwrap_or_default())));
        }
    }
    let lacking: Vec<&Finding> =
        d.findings.iter().filter(|f| !f.key.starts_with("status.") && f.verdict != Verdict::Found).collect();
    if !lacking.is_empty() {
        let _ = writeln!(out, "\n[lacks]");
        for f in lacking {
            let why = match f.verdict {
                Verdict::LeftOut => format!("found on {} but {}", input.date, f.reason),
                _ => format!("not found on {}: {}", input.date, f.reason),
            };
            let _ = writeln!(out, "{} = {}", f.key, quote(&one_line(&why)));
        }
    }
    out
}

fn host_name(url: &str) -> String {
    Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_else(|| url.to_owned())
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// Text from the network on one line: control characters become spaces, at most 300
/// characters.
fn one_line(text: &str) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let flat = flat.trim();
    if flat.chars().count() > 300 {
        format!("{}…", flat.chars().take(300).collect::<String>())
    } else {
        flat.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Origin, parse_site};
    use std::path::Path;

    fn host() -> Host {
        Host { arch: "amd64".into(), ..Host::default() }
    }

    fn layout(repo: Repo) -> &'static Layout {
        LAYOUTS.iter().find(|l| l.repo == repo).unwrap()
    }

    fn site(url: &str) -> SiteUrl {
        SiteUrl::parse(url).unwrap()
    }

    #[test]
    fn every_repository_has_one_layout() {
        for repo in Repo::ALL {
            let n = LAYOUTS.iter().filter(|l| l.repo == repo).count();
            assert_eq!(n, 1, "`{repo}` needs exactly one entry in `discover::LAYOUTS`");
        }
        for layout in LAYOUTS {
            let p = (layout.plan)("https://m.example/x", &host());
            assert_eq!((p.repo, p.url.as_str()), (layout.repo, "https://m.example/x"), "{}", layout.repo);
            assert!(!p.steps.is_empty());
        }
    }

    #[test]
    fn apt_layouts_use_fixed_suites_whatever_the_host() {
        let arch = Host { id: "arch".into(), arch: "amd64".into(), ..Host::default() };
        let urls =
            |repo: Repo| (layout(repo).plan)("https://m/r", &arch).steps.into_iter().map(|s| s.url).collect::<Vec<_>>();
        assert_eq!(
            urls(Repo::Debian),
            [
                "https://m/r/dists/stable/InRelease",
                "https://m/r/project/trace/master",
                "https://m/r/dists/stable-updates/InRelease"
            ]
        );
        assert_eq!(urls(Repo::DebianSecurity), ["https://m/r/dists/stable-security/InRelease"]);
        assert_eq!(
            urls(Repo::Ubuntu),
            ["https://m/r/dists/noble/InRelease", "https://m/r/dists/noble-updates/InRelease"]
        );
        assert_eq!(urls(Repo::UbuntuPorts), urls(Repo::Ubuntu));
        assert_eq!(probed_paths(layout(Repo::DebianSecurity), &arch), "dists/stable-security/InRelease");
    }

    #[test]
    fn site_urls_are_checked() {
        let s = site("https://Mirrors.Example.edu:8443/mirror/");
        assert_eq!(
            (s.base.as_str(), s.origin.as_str()),
            ("https://mirrors.example.edu:8443/mirror", "https://mirrors.example.edu:8443")
        );
        assert_eq!(s.join("debian"), "https://mirrors.example.edu:8443/mirror/debian");
        assert_eq!(site("http://10.0.0.5").base, "http://10.0.0.5");
        for (bad, why) in [
            ("mirror.example", "relative URL"),
            ("ftp://m.example/", "scheme is `ftp`"),
            ("https://u:p@m.example/", "credentials"),
            ("https://m.example/?x=1", "query or fragment"),
            ("https://m.example/ debian", "whitespace"),
            ("file:///srv/mirror", "scheme is `file`"),
        ] {
            let e = crate::error::render(&SiteUrl::parse(bad).unwrap_err());
            assert!(e.contains(&format!("`{bad}` is not a mirror URL")) && e.contains(why), "{bad}: {e}");
            assert!(e.contains("hint: give the site's root"), "{e}");
        }
    }

    const TUNASYNC: &str = r#"[{"name":"debian","status":"success","last_update_ts":1786190000},{"name":"archlinux-arm","status":"success","last_update_ts":1786190000},{"name":"pypi","status":"failed","last_update_ts":1786100000},{"name":"../etc","status":"success"}]"#;
    const MIRRORZ: &str = r#"{"version":1.7,"site":{"url":"https://m.example","abbr":"M","name":"Example\nLab Mirror"},"info":[],"mirrors":[{"cname":"crates.io-index","url":"/crates-io","status":"S1786177925"},{"cname":"ubuntu","url":"https://other.example/ubuntu","status":"S1"},{"cname":"pypi","url":"https://m.example/repository/pypi/","status":"S1"}]}"#;

    #[test]
    fn feeds_name_repositories_and_where_they_are() {
        let s = site("https://m.example/");
        let (entries, name) = parse_feed(FeedFormat::Tunasync, TUNASYNC, &s).unwrap();
        let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["debian", "archlinux-arm", "pypi"], "a name that is no path segment is dropped");
        assert_eq!(name, None);
        let (entries, name) = parse_feed(FeedFormat::Mirrorz, MIRRORZ, &s).unwrap();
        assert_eq!(name.as_deref(), Some("Example Lab Mirror"));
        assert_eq!(entries[0], ("crates.io-index".into(), Some("https://m.example/crates-io".into())));
        assert_eq!(entries[1].1, None, "another host is not this site");
        assert_eq!(entries[2].1.as_deref(), Some("https://m.example/repository/pypi"));
        assert!(parse_feed(FeedFormat::Tunasync, "<html></html>", &s).unwrap_err().contains("not JSON"));
        assert!(parse_feed(FeedFormat::Mirrorz, "[]", &s).unwrap_err().contains("no `mirrors`"));

        let feeds = vec![
            FeedRead {
                url: s.join("static/tunasync.json"),
                format: FeedFormat::Tunasync,
                entries: parse_feed(FeedFormat::Tunasync, TUNASYNC, &s).unwrap().0,
                name: None,
            },
            FeedRead {
                url: s.join("mirrorz.json"),
                format: FeedFormat::Mirrorz,
                entries: parse_feed(FeedFormat::Mirrorz, MIRRORZ, &s).unwrap().0,
                name: None,
            },
        ];
        assert_eq!(
            candidate_urls(layout(Repo::Pypi), &s, &feeds),
            [
                "https://m.example/pypi/web/simple",
                "https://m.example/pypi/simple",
                "https://m.example/simple",
                "https://m.example/repository/pypi/web/simple",
                "https://m.example/repository/pypi/simple",
            ]
        );
        assert_eq!(
            candidate_urls(layout(Repo::Crates), &s, &feeds),
            ["https://m.example/crates.io-index", "https://m.example/crates-io"]
        );
        assert_eq!(candidate_urls(layout(Repo::Dockerhub), &s, &feeds), ["https://m.example"]);

        // Round one: the first path of each, and every path a feed names.
        let round = next_round(&s, &host(), &feeds, &[]);
        let urls = |repo: Repo| round.iter().filter(|c| c.repo == repo).map(|c| c.url.as_str()).collect::<Vec<_>>();
        assert_eq!(urls(Repo::Archlinuxarm), ["https://m.example/archlinuxarm", "https://m.example/archlinux-arm"]);
        assert_eq!(
            urls(Repo::Pypi),
            [
                "https://m.example/pypi/web/simple",
                "https://m.example/pypi/simple",
                "https://m.example/repository/pypi/web/simple",
                "https://m.example/repository/pypi/simple"
            ]
        );
        assert_eq!(urls(Repo::Ubuntu), ["https://m.example/ubuntu"]);
        assert!(round.iter().all(|c| c.channel.is_none()), "channels come after the anaconda root");

        // A feed naming a thousand places for one repository adds only a few candidates.
        let many = FeedRead {
            url: s.join("mirrorz.json"),
            format: FeedFormat::Mirrorz,
            entries: (0..1000).map(|i| ("crates.io-index".to_owned(), Some(s.join(&format!("c{i}"))))).collect(),
            name: None,
        };
        assert_eq!(feed_urls(layout(Repo::Crates), &s, &[many]).len(), MAX_FEED_URLS);
        assert_eq!(feed_url(&s, "/../../etc"), None);
        assert_eq!(feed_url(&s, "/deb ian"), None);
    }

    fn result(status: Status, reason: &str) -> ProbeResult {
        ProbeResult {
            site: String::new(),
            url: String::new(),
            status,
            latency_ms: Some(3).filter(|_| status == Status::Ok),
            throughput_bps: None,
            lag_seconds: None,
            reason: reason.into(),
            details: Vec::new(),
        }
    }

    /// Plays rounds against `answers`: (candidate URL or `<root>/cloud/<channel>`, ok).
    fn play(s: &SiteUrl, answers: &[&str]) -> Vec<(Candidate, ProbeResult)> {
        let mut done = Vec::new();
        for _ in 0..10 {
            let round = next_round(s, &host(), &[], &done);
            if round.is_empty() {
                return done;
            }
            for c in round {
                let at = c.channel.as_ref().map_or_else(|| c.url.clone(), |ch| format!("{}/cloud/{ch}", c.url));
                let r = if answers.contains(&at.as_str()) {
                    result(Status::Ok, "latency 3 ms")
                } else {
                    result(Status::Failed, "HTTP 404 for simple page")
                };
                done.push((c, r));
            }
        }
        panic!("rounds never end");
    }

    #[test]
    fn later_rounds_try_other_paths_and_conda_channels() {
        let s = site("https://m.example");
        // USTC's shape: `/pypi/simple`, conda-forge and bioconda without pkgs/main.
        let done = play(
            &s,
            &[
                "https://m.example/pypi/simple",
                "https://m.example/anaconda/cloud/conda-forge",
                "https://m.example/anaconda/cloud/bioconda",
            ],
        );
        let pypi = judge(layout(Repo::Pypi), &done, &[], false);
        assert_eq!((pypi.verdict, pypi.url.as_deref()), (Verdict::Found, Some("https://m.example/pypi/simple")));
        assert_eq!(pypi.tried.len(), 3, "all three paths were tried: {:?}", pypi.tried);
        let conda = judge(layout(Repo::Anaconda), &done, &[], false);
        assert_eq!(
            conda.conda,
            Some(CondaFound { pkgs: false, channels: vec!["conda-forge".into(), "bioconda".into()] })
        );
        assert_eq!(conda.reason, "conda and pixi: channels conda-forge, bioconda (no pkgs/main)");
        let debian = judge(layout(Repo::Debian), &done, &[], false);
        assert_eq!((debian.verdict, debian.reason.as_str()), (Verdict::NotFound, "HTTP 404 for simple page"));

        // Nothing under `/anaconda`: one channel is asked after pkgs/main, no more.
        let done = play(&s, &[]);
        let asked: Vec<&str> = done.iter().filter_map(|(c, _)| c.channel.as_deref()).collect();
        assert_eq!(asked, ["conda-forge"]);
        let pypi = judge(layout(Repo::Pypi), &done, &[], false);
        assert_eq!(
            pypi.reason,
            "HTTP 404 for simple page (at https://m.example/pypi/web/simple, https://m.example/pypi/simple, https://m.example/simple)"
        );

        // pkgs/main: every channel is asked at once, in the second round.
        let done = play(&s, &["https://m.example/anaconda", "https://m.example/anaconda/cloud/pytorch"]);
        let conda = judge(layout(Repo::Anaconda), &done, &[], false);
        assert_eq!(conda.conda, Some(CondaFound { pkgs: true, channels: vec!["pytorch".into()] }));
        assert_eq!(done.iter().filter(|(c, _)| c.channel.is_some()).count(), CONDA_CHANNELS.len());
    }

    #[test]
    fn plain_http_is_left_out_for_pip_but_not_for_apt() {
        let s = site("http://10.0.0.5");
        let done = play(&s, &["http://10.0.0.5/debian", "http://10.0.0.5/pypi/web/simple"]);
        let debian = judge(layout(Repo::Debian), &done, &[], false);
        assert_eq!(debian.verdict, Verdict::Found);
        let pypi = judge(layout(Repo::Pypi), &done, &[], false);
        assert_eq!(pypi.verdict, Verdict::LeftOut);
        assert!(pypi.reason.contains("left out without `--allow-http`"), "{}", pypi.reason);
        assert_eq!(judge(layout(Repo::Pypi), &done, &[], true).verdict, Verdict::Found);
    }

    #[test]
    fn the_file_is_a_valid_site_file() {
        let s = site("http://10.0.0.5/mirror");
        let done = play(
            &s,
            &["http://10.0.0.5/mirror/debian", "http://10.0.0.5/mirror/pypi/simple", "http://10.0.0.5/mirror/anaconda"],
        );
        for allow_http in [false, true] {
            let mut findings: Vec<Finding> = LAYOUTS.iter().map(|l| judge(l, &done, &[], allow_http)).collect();
            findings.push(Finding {
                key: "status.tunasync".into(),
                verdict: if allow_http { Verdict::Found } else { Verdict::LeftOut },
                url: Some("http://10.0.0.5/mirror/static/tunasync.json".into()),
                reason: String::new(),
                listed_in: Vec::new(),
                tried: Vec::new(),
                conda: None,
            });
            let d = Discovery { site: s.clone(), findings, name: Some("Lab \"one\"".into()), probed: 30 };
            let input = FileInput {
                id: "lab",
                region: "CN",
                allow_http,
                date: "2026-08-08",
                command: "mirror site add lab http://10.0.0.5/mirror",
            };
            let text = render(&d, &input, &host());
            let parsed =
                parse_site(Path::new("lab.toml"), &text, Origin::Builtin).unwrap_or_else(|e| panic!("{e:#}\n{text}"));
            assert_eq!(parsed.repo(Repo::Debian), Some("http://10.0.0.5/mirror/debian"));
            assert_eq!(parsed.name, "Lab \"one\"");
            assert_eq!(parsed.checked.as_deref(), Some("2026-08-08"));
            assert!(text.contains("debian = \"{base}/debian\""), "{text}");
            let debian = text.lines().find(|l| l.starts_with("#   debian ")).unwrap_or_default();
            assert!(
                debian.ends_with(
                    " {base}/debian: dists/stable/InRelease, project/trace/master, dists/stable-updates/InRelease"
                ),
                "{text}"
            );
            assert!(parsed.lacks(Repo::Ubuntu).is_some_and(|w| w.starts_with("not found on 2026-08-08: ")), "{text}");
            if allow_http {
                assert_eq!(parsed.repo(Repo::Pypi), Some("http://10.0.0.5/mirror/pypi/simple"));
                assert!(
                    parsed.allow_http
                        && text.contains(
                            "# `--allow-http`: over plain http, trusting whatever this site returns: pip, uv and PDM; \
                             conda and pixi; mirror's freshness check (the status feed).\n"
                        ),
                    "{text}"
                );
                assert_eq!(parsed.status.tunasync.as_deref(), Some("http://10.0.0.5/mirror/static/tunasync.json"));
                assert_eq!((parsed.conda.pkgs, parsed.conda.channels.len()), (true, 0));
            } else {
                assert_eq!(parsed.repo(Repo::Pypi), None);
                assert!(parsed.lacks(Repo::Pypi).is_some_and(|w| w.contains("`--allow-http`")), "{text}");
                assert!(!parsed.allow_http && parsed.status.tunasync.is_none(), "{text}");
                assert!(!text.contains("[conda]"), "{text}");
            }
        }
    }

    #[test]
    fn network_text_is_kept_on_one_line() {
        assert_eq!(one_line(" a\nb\u{7}c "), "a b c");
        assert_eq!(one_line(&"x".repeat(400)).chars().count(), 301);
    }
}
