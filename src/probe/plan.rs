//! Which requests a probe makes for one (site, target) on this host. Pure: no I/O.
//!
//! Every probe fetches small objects the package manager really fetches, plus the target's
//! own freshness signal, and names the bulk object the package manager downloads for the
//! throughput sample. URLs are built from the site's repository URL (`site.repo(..)`) and
//! the host (distribution, codename, architecture), never from the targets' own code. Some
//! bulk objects are only known from the probe's answers (a wheel linked from the simple
//! page, a `.crate` at `config.json`'s `dl`, a layer named by a manifest) and may live on
//! another host.
//!
//! | target | requests (the last one is timed for latency) | sample (bulk object) |
//! |---|---|---|
//! | apt, Debian | `project/trace/master` (optional), `dists/<S>-updates/InRelease` (first 4 KiB) | `dists/<S>/main/binary-<arch>/Packages.xz` |
//! | apt, Ubuntu | `dists/<S>/InRelease`, `dists/<S>-updates/InRelease` (first 4 KiB each) | same |
//! | pacman | `lastupdate` (optional), `lastsync` (only if `lastupdate` is missing), `core/os/x86_64/core.db` (first 4 KiB) | `extra/os/x86_64/extra.db` |
//! | pacman, ALARM | `<arch>/core/core.db`, `<arch>/extra/extra.db` (first 4 KiB each) | `<arch>/extra/extra.db` |
//! | pip, uv | `<busy>/` (last 2 KiB, for `<!--SERIAL n-->`), `pip/` (first 8 KiB) | the newest wheel the busy page's tail links (often on another host); the page when it links none |
//! | conda | `HEAD <channel>/<subdir>/repodata.json`, `HEAD <channel>/noarch/repodata.json` | `<channel>/<subdir>/repodata.json` |
//! | cargo | `config.json` (JSON with `dl`), `<busy crate>` index file (last 16 KiB) | the busy crate's newest `.crate` at `dl` (often another host); the index file when `dl` is unusable |
//! | docker, podman, containerd | `/v2/` (200 or 401 with `Docker-Distribution-Api-Version`), the `library/alpine:latest` manifest | its largest layer for the host's platform (with an anonymous token where the registry wants one) |
//! | dnf | `<tree>/repodata/repomd.xml` (whole, for `<revision>` and the primary's location) | the `primary.xml` it names |
//! | zypper | `<tree>/repodata/repomd.xml` | the `primary.xml` it names |
//! | apk | `<branch>/main/<arch>/APKINDEX.tar.gz` (first 4 KiB; `Last-Modified`) | `<branch>/community/<arch>/APKINDEX.tar.gz` |
//! | archlinuxcn | `lastupdate` (optional), `<arch>/archlinuxcn.db` (first 4 KiB) | `<arch>/archlinuxcn.db` |
//!
//! dnf's tree is the host's own (Fedora `updates/<release>`, CentOS Stream `<n>-stream/BaseOS`,
//! Rocky Linux and AlmaLinux `<major>/BaseOS`, openEuler `openEuler-<version>/update`), Fedora
//! rawhide on other hosts; zypper's is Leap's `update/leap/<version>/oss` or Tumbleweed's
//! `tumbleweed/repo/oss`; apk's branch is `v<major>.<minor>` of Alpine's `VERSION_ID`, else
//! `latest-stable`.
//!
//! On a host that is neither Debian nor Ubuntu (a laptop building Debian images, say), apt is
//! ranked on the Debian archive with the `stable` and `stable-updates` suite aliases, which
//! every Debian mirror carries and which never go out of date; a Debian host without a
//! codename (sid images) uses the same aliases. An Ubuntu host without a codename uses the
//! current LTS, `noble`.

use crate::catalog::{Conda, Repo, Site};
use crate::targets::{Distro, Host, TargetKind};

/// The busy PyPI project whose serial tells PyPI freshness (botocore releases every weekday).
pub const BUSY_PYPI_PROJECT: &str = "botocore";
/// A small simple page that is fetched for latency and to check the index looks right.
pub const SMALL_PYPI_PROJECT: &str = "pip";
/// The busy crate whose index file tells crates freshness (published several times a week).
pub const BUSY_CRATE: &str = "aws-sdk-s3";
/// Ubuntu release assumed when an Ubuntu host has no codename.
pub const UBUNTU_FALLBACK: &str = "noble";
/// Debian suite alias used when the host has no Debian codename.
pub const DEBIAN_FALLBACK: &str = "stable";

/// Seconds of PyPI history per serial number. PyPI's global serial grew by about 14,000 a
/// day in 2023-24 (20,485,085 on 2023-11-05, 22,781,647 on 2024-04-16, both quoted in
/// pypi/warehouse#12933), i.e. about 600 an hour: one serial ≈ 6 s.
pub const PYPI_SECONDS_PER_SERIAL: f64 = 6.0;

/// Bytes read from the start of a file when only its head matters.
pub const HEAD_BYTES: usize = 4 * 1024;

/// Probes that share a plan family are run once (pip and uv both use the PyPI index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    Apt,
    Pacman,
    Pypi,
    Conda,
    Cargo,
    Docker,
    Dnf,
    Zypper,
    Apk,
    Archlinuxcn,
    Npm,
    Go,
    Rustup,
    Homebrew,
    Huggingface,
    Rubygems,
    Maven,
}

impl Family {
    pub fn of(target: TargetKind) -> Self {
        match target {
            TargetKind::Apt => Self::Apt,
            TargetKind::Pacman => Self::Pacman,
            TargetKind::Pip | TargetKind::Uv => Self::Pypi,
            TargetKind::Conda => Self::Conda,
            TargetKind::Cargo => Self::Cargo,
            TargetKind::Docker | TargetKind::Podman | TargetKind::Containerd => Self::Docker,
            TargetKind::Dnf => Self::Dnf,
            TargetKind::Apk => Self::Apk,
            TargetKind::Zypper => Self::Zypper,
            TargetKind::Archlinuxcn => Self::Archlinuxcn,
            TargetKind::Npm | TargetKind::Pnpm | TargetKind::Yarn | TargetKind::Bun => Self::Npm,
            TargetKind::Go => Self::Go,
            TargetKind::Rustup => Self::Rustup,
            TargetKind::Homebrew => Self::Homebrew,
            TargetKind::Huggingface => Self::Huggingface,
            TargetKind::Rubygems => Self::Rubygems,
            TargetKind::Maven => Self::Maven,
            TargetKind::Pdm => Self::Pypi,
            TargetKind::Pixi => Self::Conda,
        }
    }
}

/// HTTP method of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
}

/// A `Range` request header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// The first n bytes (`bytes=0-(n-1)`).
    Head(usize),
    /// The last n bytes (`bytes=-n`).
    Tail(usize),
}

impl Range {
    pub fn header(self) -> String {
        match self {
            Self::Head(n) => format!("bytes=0-{}", n.saturating_sub(1)),
            Self::Tail(n) => format!("bytes=-{n}"),
        }
    }

    pub fn bytes(self) -> usize {
        match self {
            Self::Head(n) | Self::Tail(n) => n,
        }
    }
}

/// How a step's answer is judged and what is read from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Debian `project/trace/master`: `Date:` and `Archive serial:`.
    Trace,
    /// An apt `InRelease` whose `Suite:` or `Codename:` is `suite`; `Date:` is read.
    InRelease { suite: String, origin: &'static str },
    /// A file holding unix seconds (Arch `lastupdate`, `lastsync`).
    Epoch { kind: &'static str },
    /// A compressed pacman database; `Last-Modified` is read when `kind` is set.
    PackageDb { kind: Option<String> },
    /// The head of a PEP 503 page of `project`.
    SimplePage { project: String },
    /// The tail of a PEP 503 page: `<!--SERIAL n-->` or `X-PyPI-Last-Serial`.
    SimpleSerial { project: String },
    /// `HEAD` of a conda `repodata.json`: JSON, with `Last-Modified` read when `kind` is set.
    Repodata { kind: Option<String> },
    /// A sparse index `config.json`: a JSON object with `dl`.
    CratesConfig,
    /// The tail of a sparse index file of crate `name`: JSON lines; `Last-Modified` and the
    /// last version are read.
    CrateIndex { name: String },
    /// A Docker registry `/v2/`: 200 or 401 with `Docker-Distribution-Api-Version`.
    Registry,
    /// An image manifest (GET: it names the layers to sample): 200 with
    /// `Docker-Content-Digest`, or 401 (the registry wants a token, as Docker Hub itself does);
    /// 404 means the mirror cannot serve it.
    Manifest { image: String },
    /// An rpm-md `repodata/repomd.xml`: `<revision>` (unix seconds, as createrepo writes it)
    /// or else `Last-Modified`, read as `kind`; the primary's location is a lead.
    Repomd { kind: String },
    /// An npm package document of `package`; its `modified` time (and `dist-tags.latest` as
    /// the token) is read when `fresh`.
    NpmDoc { package: String, fresh: bool },
    /// A Go module proxy's `@latest` of `module`: JSON with `Version` and `Time`.
    GoLatest { module: String },
    /// A Go module proxy's `@v/list`: one version per line.
    GoList,
    /// The head of rustup's `channel-rust-stable.toml`: its `date`, and a component to sample.
    RustupChannel,
    /// A `.sha256` file: a hex SHA-256 (and a file name).
    Sha256,
    /// `HEAD` of a JSON API file (Homebrew's `formula.jws.json`): JSON or a date;
    /// `Last-Modified` read when `kind` is set.
    ApiHead { kind: Option<String> },
    /// The Hugging Face Hub's API document of `model`: `lastModified` and `sha`.
    HfModel { model: String },
    /// A small JSON object (a model's `config.json`).
    JsonObject,
    /// A checksum database's signed tree head (`/latest`: `go.sum database tree`).
    SumdbLatest,
    /// A git remote's smart-HTTP ref advertisement (`info/refs?service=git-upload-pack`).
    GitRefs,
    /// The tail of a RubyGems compact index `/info/<name>`: the newest version;
    /// `Last-Modified` is read.
    GemInfo { name: String },
    /// The head of the compact index `/versions`: `created_at:`.
    GemVersions,
    /// A Maven `maven-metadata.xml` of `artifact` (`group:artifact`); `lastUpdated` (and the
    /// newest version as the token) read when `fresh`.
    MavenMetadata { artifact: String, fresh: bool },
}

/// What a throughput object starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleFormat {
    /// Any compressed file (xz, gzip, zstd, bzip2).
    Compressed,
    /// An HTML simple page.
    Html,
    /// JSON (a document or JSON lines).
    Json,
    /// A package archive: a zip (wheel) or a compressed tarball.
    Archive,
    /// An XML document.
    Xml,
    /// Text (UTF-8, not an HTML page).
    Text,
    /// A `.safetensors` file: an 8-byte header length, then a JSON header.
    Safetensors,
    /// A file starting with these bytes (RubyGems' `/versions`: `created_at:`).
    Prefix(&'static str),
}

/// The bulk object a probe samples for throughput.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sample {
    /// Nothing to sample.
    None,
    /// A fixed object (`Packages.xz`, `extra.db`, `repodata.json`).
    Fixed { what: &'static str, url: String, format: SampleFormat },
    /// The newest file the busy project's simple page links (read from the probe's answer);
    /// the page itself when it links none.
    PypiFile { page: String },
    /// The busy crate's newest `.crate`, at `config.json`'s `dl`; the index file when the
    /// probe did not learn both.
    Crate { index_file: String },
    /// The largest layer of the probe image for the host's platform.
    DockerBlob { registry: String, image: &'static str, arch: &'static str },
    /// The `primary.xml` that `repomd.xml` names; `repomd.xml` itself when it names none.
    Primary { repomd: String },
    /// The file the probe's answers named (`Leads::file`: a rustup component named by the
    /// channel manifest); `fallback` when they named none.
    Lead {
        what: &'static str,
        format: SampleFormat,
        fallback: String,
        fallback_what: &'static str,
        fallback_format: SampleFormat,
    },
}

/// One request of a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Short name used in reasons (`InRelease`, `lastupdate`, `config.json`, …).
    pub what: String,
    pub url: String,
    pub method: Method,
    pub range: Option<Range>,
    /// At most this many body bytes are read.
    pub limit: usize,
    /// The body must end within `limit` (a small file); a longer one is wrong content.
    pub whole: bool,
    /// A 404 or 410 here means "this signal is not published", not a failure.
    pub optional: bool,
    /// Run only when no reading of this kind was taken by an earlier step.
    pub fallback_for: Option<&'static str>,
    pub check: Check,
}

impl Step {
    fn get(what: &str, url: String, check: Check) -> Self {
        Self {
            what: what.to_owned(),
            url,
            method: Method::Get,
            range: None,
            limit: super::SMALL_BUDGET,
            whole: true,
            optional: false,
            fallback_for: None,
            check,
        }
    }

    /// A GET of the first or last bytes of `url` (the file may be longer).
    pub fn ranged(what: &str, url: String, range: Range, check: Check) -> Self {
        Self { range: Some(range), limit: range.bytes(), whole: false, ..Self::get(what, url, check) }
    }

    fn head(what: &str, url: String, check: Check) -> Self {
        Self { method: Method::Head, limit: 0, whole: false, ..Self::get(what, url, check) }
    }

    fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
}

/// Everything one probe of one (site, target) does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub repo: Repo,
    /// The repository URL being judged (what `use` would point the target at).
    pub url: String,
    /// Requests in order; the time to the answer of the last one is the latency.
    pub steps: Vec<Step>,
    /// The bulk object sampled for throughput.
    pub sample: Sample,
    /// Freshness kinds this plan may read, best first; the first one a site has is used.
    pub kinds: Vec<String>,
}

/// `host:port` of a URL (the scheme's default port when none is given): what the per-host
/// cap counts against.
pub fn host_key(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!("{}:{}", u.host_str().unwrap_or_default(), u.port_or_known_default().unwrap_or(0)),
        Err(_) => url.to_owned(),
    }
}

/// Which repository of a site serves `target` on this host, if any.
pub fn repo_for(target: TargetKind, host: &Host) -> Repo {
    match Family::of(target) {
        Family::Apt => crate::targets::apt::probed_repo(host),
        Family::Pacman => match host.distro() {
            Distro::ArchArm => Repo::Archlinuxarm,
            _ => Repo::Archlinux,
        },
        Family::Pypi => Repo::Pypi,
        Family::Conda => Repo::Anaconda,
        Family::Cargo => Repo::Crates,
        Family::Docker => Repo::Dockerhub,
        Family::Dnf => crate::targets::dnf::Flavor::probed(host).repo(),
        Family::Zypper => Repo::Opensuse,
        Family::Apk => Repo::Alpine,
        Family::Archlinuxcn => Repo::Archlinuxcn,
        Family::Npm => Repo::Npm,
        Family::Go => Repo::Goproxy,
        Family::Rustup => Repo::Rustup,
        Family::Homebrew => Repo::HomebrewBottles,
        Family::Huggingface => Repo::Huggingface,
        Family::Rubygems => Repo::Rubygems,
        Family::Maven => Repo::Maven,
    }
}

/// The probe of `site` for `target` on `host`, or `None` when the site does not serve the
/// target here.
pub fn plan(site: &Site, target: TargetKind, host: &Host) -> Option<Plan> {
    let repo = repo_for(target, host);
    let url = site.repo(repo)?;
    if repo == Repo::HomebrewBottles {
        // Homebrew fetches its formula index from the API host, which a site names apart.
        let api = site.repo(Repo::HomebrewApi).map_or_else(|| homebrew_api_of(url), str::to_owned);
        let (steps, sample, kinds) = homebrew(&api);
        return Some(Plan { repo, url: url.trim_end_matches('/').to_owned(), steps, sample, kinds });
    }
    Some(plan_with(host, repo, url, &site.conda))
}

/// The probe of a repository URL given directly (`status --check` of a configured URL).
/// `url` is a repository root as a site file would give it; `sparse+` and trailing slashes
/// are dropped, and a conda URL ending in `/pkgs/main` or `/cloud/<channel>` is understood.
pub fn plan_for_configured(target: TargetKind, host: &Host, url: &str) -> Plan {
    let repo = repo_for(target, host);
    let url = url.trim().trim_start_matches("sparse+").trim_end_matches('/');
    if repo == Repo::Anaconda {
        // Accept the anaconda root, a `pkgs/<x>` channel or a `.../<channel>` cloud channel.
        if let Some((root, _)) = url.rsplit_once("/pkgs/") {
            return plan_for_url(host, repo, root);
        }
        if let Some((cloud, channel)) = url.rsplit_once('/') {
            let looks_like_channel = !channel.is_empty()
                && channel.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                && url::Url::parse(cloud).is_ok_and(|u| u.path() != "/");
            if looks_like_channel && channel != "anaconda" {
                let conda = Conda { channels: vec![channel.to_owned()], pkgs: false, cloud: Some(cloud.to_owned()) };
                return plan_for_conda(host, url, &conda);
            }
        }
    }
    plan_for_url(host, repo, url)
}

/// The conda part of a site that says nothing more: `pkgs/main` is served.
const PKGS_MAIN: Conda = Conda { channels: Vec::new(), pkgs: true, cloud: None };

/// The probe of repository `repo` at `url` on `host` (for conda, of `pkgs/main`).
pub fn plan_for_url(host: &Host, repo: Repo, url: &str) -> Plan {
    plan_with(host, repo, url, &PKGS_MAIN)
}

/// The probe of the conda repository at `url` as a site file's `[conda]` gives it: `pkgs/main`,
/// or else a community channel below the cloud root (`conda.cloud`, by default `<url>/cloud`).
pub fn plan_for_conda(host: &Host, url: &str, conda: &Conda) -> Plan {
    plan_with(host, Repo::Anaconda, url, conda)
}

fn plan_with(host: &Host, repo: Repo, url: &str, conda: &Conda) -> Plan {
    let url = url.trim_end_matches('/').to_owned();
    let (steps, sample, kinds) = match repo {
        Repo::Debian | Repo::DebianSecurity => apt_debian(&url, host),
        Repo::Ubuntu | Repo::UbuntuPorts => apt_ubuntu(&url, host),
        Repo::Archlinux => pacman_arch(&url),
        Repo::Archlinuxarm => pacman_alarm(&url, host),
        Repo::Pypi => pypi(&url),
        Repo::Anaconda => conda_plan(&url, host, conda),
        Repo::Crates => crates(&url),
        Repo::Dockerhub => docker(&url, host),
        Repo::Fedora | Repo::Epel | Repo::CentosStream | Repo::Rocky | Repo::Almalinux | Repo::Openeuler => {
            rpm_plan(&url, repo, host)
        }
        Repo::Opensuse => zypper_plan(&url, host),
        Repo::Alpine => apk_plan(&url, host),
        Repo::Archlinuxcn => archlinuxcn_plan(&url, host),
        Repo::Kali | Repo::Raspbian | Repo::Raspberrypi => apt_derivative(&url, repo, host),
        Repo::Npm => npm(&url),
        Repo::Goproxy => go(&url),
        Repo::Gosumdb => gosumdb(&url),
        Repo::Rustup => rustup(&url),
        Repo::HomebrewBottles => homebrew(&homebrew_api_of(&url)),
        Repo::HomebrewApi => homebrew(&url),
        Repo::HomebrewBrewGit | Repo::HomebrewCoreGit => git_remote(&url),
        Repo::Huggingface => huggingface(&url),
        Repo::Rubygems => rubygems(&url),
        Repo::Maven => maven(&url),
    };
    Plan { repo, url, steps, sample, kinds }
}

type Parts = (Vec<Step>, Sample, Vec<String>);

/// The Debian suite probed on this host, and its `-updates` companion.
pub fn debian_suites(host: &Host) -> (String, String) {
    let suite = match (host.distro(), &host.codename) {
        (Distro::Debian, Some(c)) if !c.is_empty() => c.clone(),
        _ => DEBIAN_FALLBACK.to_owned(),
    };
    // sid and experimental have no -updates suite.
    let updates = if matches!(suite.as_str(), "sid" | "unstable" | "experimental") {
        suite.clone()
    } else {
        format!("{suite}-updates")
    };
    (suite, updates)
}

fn apt_debian(url: &str, host: &Host) -> Parts {
    let (suite, updates) = debian_suites(host);
    let steps = vec![
        Step::get("trace", format!("{url}/project/trace/master"), Check::Trace).optional(),
        Step::ranged(
            "InRelease",
            format!("{url}/dists/{updates}/InRelease"),
            Range::Head(HEAD_BYTES),
            Check::InRelease { suite: updates.clone(), origin: "Debian" },
        ),
    ];
    let kinds = vec!["debian-trace".to_owned(), format!("inrelease:{updates}")];
    (steps, packages_xz(url, &suite, host), kinds)
}

fn apt_ubuntu(url: &str, host: &Host) -> Parts {
    let suite = host.codename.clone().filter(|c| !c.is_empty()).unwrap_or_else(|| UBUNTU_FALLBACK.to_owned());
    let updates = format!("{suite}-updates");
    let steps = vec![
        Step::ranged(
            "InRelease",
            format!("{url}/dists/{suite}/InRelease"),
            Range::Head(HEAD_BYTES),
            Check::InRelease { suite: suite.clone(), origin: "Ubuntu" },
        ),
        Step::ranged(
            "InRelease",
            format!("{url}/dists/{updates}/InRelease"),
            Range::Head(HEAD_BYTES),
            Check::InRelease { suite: updates.clone(), origin: "Ubuntu" },
        ),
    ];
    (steps, packages_xz(url, &suite, host), vec![format!("inrelease:{updates}")])
}

/// apt's biggest download of `apt-get update`: the main component's package list.
fn packages_xz(url: &str, suite: &str, host: &Host) -> Sample {
    Sample::Fixed {
        what: "Packages.xz",
        url: format!("{url}/dists/{suite}/main/binary-{}/Packages.xz", host.arch),
        format: SampleFormat::Compressed,
    }
}

fn pacman_arch(url: &str) -> Parts {
    let mut lastsync =
        Step::get("lastsync", format!("{url}/lastsync"), Check::Epoch { kind: "arch-lastsync" }).optional();
    lastsync.fallback_for = Some("arch-lastupdate");
    let steps = vec![
        Step::get("lastupdate", format!("{url}/lastupdate"), Check::Epoch { kind: "arch-lastupdate" }).optional(),
        lastsync,
        Step::ranged(
            "core.db",
            format!("{url}/core/os/x86_64/core.db"),
            Range::Head(HEAD_BYTES),
            Check::PackageDb { kind: Some("arch-core-db".into()) },
        ),
    ];
    let sample = Sample::Fixed {
        what: "extra.db",
        url: format!("{url}/extra/os/x86_64/extra.db"),
        format: SampleFormat::Compressed,
    };
    let kinds = ["arch-lastupdate", "arch-lastsync", "arch-core-db"].map(String::from).to_vec();
    (steps, sample, kinds)
}

/// Arch Linux ARM's name for the host architecture.
pub fn alarm_arch(debian_arch: &str) -> &'static str {
    match debian_arch {
        "armhf" | "armel" => "armv7h",
        _ => "aarch64",
    }
}

fn pacman_alarm(url: &str, host: &Host) -> Parts {
    let arch = alarm_arch(&host.arch);
    let kind = format!("alarm-core-db:{arch}");
    let steps = vec![
        Step::ranged(
            "core.db",
            format!("{url}/{arch}/core/core.db"),
            Range::Head(HEAD_BYTES),
            Check::PackageDb { kind: Some(kind.clone()) },
        ),
        Step::ranged(
            "extra.db",
            format!("{url}/{arch}/extra/extra.db"),
            Range::Head(HEAD_BYTES),
            Check::PackageDb { kind: None },
        ),
    ];
    let sample = Sample::Fixed {
        what: "extra.db",
        url: format!("{url}/{arch}/extra/extra.db"),
        format: SampleFormat::Compressed,
    };
    (steps, sample, vec![kind])
}

fn pypi(url: &str) -> Parts {
    let busy = format!("{url}/{BUSY_PYPI_PROJECT}/");
    let steps = vec![
        Step::ranged(
            "simple page",
            busy.clone(),
            Range::Tail(2 * 1024),
            Check::SimpleSerial { project: BUSY_PYPI_PROJECT.into() },
        ),
        Step::ranged(
            "simple page",
            format!("{url}/{SMALL_PYPI_PROJECT}/"),
            Range::Head(8 * 1024),
            Check::SimplePage { project: SMALL_PYPI_PROJECT.into() },
        ),
    ];
    (steps, Sample::PypiFile { page: busy }, vec!["pypi-serial".into()])
}

/// conda's name for the host platform.
pub fn conda_subdir(debian_arch: &str) -> &'static str {
    if cfg!(target_os = "macos") {
        return if debian_arch == "arm64" { "osx-arm64" } else { "osx-64" };
    }
    match debian_arch {
        "amd64" => "linux-64",
        "arm64" => "linux-aarch64",
        "ppc64el" => "linux-ppc64le",
        "s390x" => "linux-s390x",
        "i386" => "linux-32",
        "armhf" => "linux-armv7l",
        _ => "noarch",
    }
}

fn conda_plan(url: &str, host: &Host, conda: &Conda) -> Parts {
    let (channel_url, channel) = match (&conda.cloud, conda.pkgs) {
        (_, true) => (format!("{url}/pkgs/main"), "pkgs/main".to_owned()),
        (cloud, false) => {
            let channel = conda
                .channels
                .iter()
                .find(|c| *c == "conda-forge")
                .or(conda.channels.first())
                .map_or("conda-forge", String::as_str);
            let root = cloud.as_deref().map_or_else(|| format!("{url}/cloud"), |c| c.trim_end_matches('/').to_owned());
            (format!("{root}/{channel}"), channel.to_owned())
        }
    };
    let subdir = conda_subdir(&host.arch);
    let kind = format!("conda:{channel}/{subdir}");
    let steps = vec![
        Step::head(
            "repodata.json",
            format!("{channel_url}/{subdir}/repodata.json"),
            Check::Repodata { kind: Some(kind.clone()) },
        ),
        Step::head("repodata.json", format!("{channel_url}/noarch/repodata.json"), Check::Repodata { kind: None }),
    ];
    let sample = Sample::Fixed {
        what: "repodata.json",
        url: format!("{channel_url}/{subdir}/repodata.json"),
        format: SampleFormat::Json,
    };
    (steps, sample, vec![kind])
}

/// The sparse-index path of a crate (`1/a`, `2/ab`, `3/a/abc`, `se/rd/serde`).
pub fn crate_path(name: &str) -> String {
    let name = name.to_lowercase();
    match name.len() {
        1 => format!("1/{name}"),
        2 => format!("2/{name}"),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    }
}

fn crates(url: &str) -> Parts {
    let busy = format!("{url}/{}", crate_path(BUSY_CRATE));
    let steps = vec![
        Step::get("config.json", format!("{url}/config.json"), Check::CratesConfig),
        Step::ranged("index file", busy.clone(), Range::Tail(16 * 1024), Check::CrateIndex { name: BUSY_CRATE.into() }),
    ];
    (steps, Sample::Crate { index_file: busy }, vec![format!("crates:{BUSY_CRATE}")])
}

/// The official image whose manifest a Docker Hub mirror must serve, and whose largest layer
/// is the throughput sample (alpine: the most pulled base image, a layer of a few MB).
pub const PROBE_IMAGE: &str = "library/alpine";

/// The platform name registries use for the host architecture (Debian spelling in).
pub fn oci_arch(debian_arch: &str) -> &'static str {
    match debian_arch {
        "arm64" => "arm64",
        "armhf" | "armel" => "arm",
        "i386" => "386",
        "ppc64el" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        _ => "amd64",
    }
}

fn docker(url: &str, host: &Host) -> Parts {
    let v2 = format!("{url}/v2/");
    let registry = Step { whole: false, limit: HEAD_BYTES, ..Step::get("/v2/", v2, Check::Registry) };
    // `/v2/` opens the connection and proves a registry answers; the manifest of an official
    // image, timed warm like the other targets' last step, proves the mirror can serve pulls
    // (a closed or empty mirror still answers `/v2/`) and names the layers to sample.
    let manifest = Step {
        whole: true,
        ..Step::get(
            "manifest",
            format!("{url}/v2/{PROBE_IMAGE}/manifests/latest"),
            Check::Manifest { image: PROBE_IMAGE.to_owned() },
        )
    };
    let sample = Sample::DockerBlob { registry: url.to_owned(), image: PROBE_IMAGE, arch: oci_arch(&host.arch) };
    (vec![registry, manifest], sample, Vec::new())
}

/// rpm's name for the host architecture.
pub fn rpm_arch(debian_arch: &str) -> &'static str {
    match debian_arch {
        "arm64" => "aarch64",
        "ppc64el" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "i386" => "i686",
        _ => "x86_64",
    }
}

/// The major release of a `VERSION_ID` (`9.4` → `9`).
fn major(version: Option<&str>) -> Option<String> {
    let v = version?.split('.').next()?.trim();
    (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())).then(|| v.to_owned())
}

/// A `repomd.xml` step and its primary as the sample, for the tree `tree` under `url`.
fn repomd(url: &str, tree: &str) -> Parts {
    let repomd = format!("{url}/{tree}/repodata/repomd.xml");
    let kind = format!("repomd:{tree}");
    let step = Step::get("repomd.xml", repomd.clone(), Check::Repomd { kind: kind.clone() });
    (vec![step], Sample::Primary { repomd }, vec![kind])
}

/// The tree dnf reads most on this host (see the module docs).
pub fn rpm_tree(repo: Repo, host: &Host) -> String {
    use crate::targets::dnf::Flavor;
    let arch = rpm_arch(&host.arch);
    let own = Flavor::of(host).is_some_and(|f| f.repo() == repo);
    let version = if own { host.version_id.as_deref() } else { None };
    match repo {
        Repo::Fedora => match version.filter(|v| v.bytes().all(|b| b.is_ascii_digit())) {
            Some(v) => format!("updates/{v}/Everything/{arch}"),
            None => format!("development/rawhide/Everything/{arch}/os"),
        },
        Repo::Epel => format!("{}/Everything/{arch}", major(host.version_id.as_deref()).unwrap_or_else(|| "9".into())),
        Repo::CentosStream => format!("{}-stream/BaseOS/{arch}/os", major(version).unwrap_or_else(|| "9".into())),
        Repo::Rocky | Repo::Almalinux => format!("{}/BaseOS/{arch}/os", major(version).unwrap_or_else(|| "9".into())),
        _ => {
            // openEuler: `VERSION="22.03 (LTS-SP3)"` is the folder `openEuler-22.03-LTS-SP3`.
            let release = host
                .version
                .as_deref()
                .filter(|_| own)
                .map(|v| v.replace(" (", "-").replace(')', "").replace(' ', "-"))
                .unwrap_or_else(|| "24.03-LTS".into());
            format!("openEuler-{release}/update/{arch}")
        }
    }
}

fn rpm_plan(url: &str, repo: Repo, host: &Host) -> Parts {
    repomd(url, &rpm_tree(repo, host))
}

fn zypper_plan(url: &str, host: &Host) -> Parts {
    let tree = match (host.id.as_str(), host.version_id.as_deref()) {
        ("opensuse-leap", Some(v)) if !v.is_empty() => format!("update/leap/{v}/oss"),
        _ => "tumbleweed/repo/oss".to_owned(),
    };
    repomd(url, &tree)
}

/// Alpine's name for the host architecture.
pub fn apk_arch(debian_arch: &str) -> &'static str {
    match debian_arch {
        "arm64" => "aarch64",
        "armhf" => "armv7",
        "armel" => "armhf",
        "i386" => "x86",
        "ppc64el" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        _ => "x86_64",
    }
}

/// The Alpine branch of this host: `v3.20` for `VERSION_ID=3.20.3`, `edge` for a
/// development snapshot, `latest-stable` elsewhere.
pub fn apk_branch(host: &Host) -> String {
    match host.version_id.as_deref().filter(|_| host.id == "alpine") {
        Some(v) if v.contains("_alpha") => "edge".into(),
        Some(v) => {
            let mut parts = v.split('.');
            match (parts.next(), parts.next()) {
                (Some(a), Some(b)) if a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit()) => format!("v{a}.{b}"),
                _ => "latest-stable".into(),
            }
        }
        None => "latest-stable".into(),
    }
}

fn apk_plan(url: &str, host: &Host) -> Parts {
    let (branch, arch) = (apk_branch(host), apk_arch(&host.arch));
    let kind = format!("apkindex:{branch}/main/{arch}");
    let steps = vec![Step::ranged(
        "APKINDEX.tar.gz",
        format!("{url}/{branch}/main/{arch}/APKINDEX.tar.gz"),
        Range::Head(HEAD_BYTES),
        Check::PackageDb { kind: Some(kind.clone()) },
    )];
    let sample = Sample::Fixed {
        what: "APKINDEX.tar.gz",
        url: format!("{url}/{branch}/community/{arch}/APKINDEX.tar.gz"),
        format: SampleFormat::Compressed,
    };
    (steps, sample, vec![kind])
}

fn archlinuxcn_plan(url: &str, host: &Host) -> Parts {
    let arch = if host.arch == "arm64" { "aarch64" } else { "x86_64" };
    let steps = vec![
        Step::get("lastupdate", format!("{url}/lastupdate"), Check::Epoch { kind: "archlinuxcn-lastupdate" })
            .optional(),
        Step::ranged(
            "archlinuxcn.db",
            format!("{url}/{arch}/archlinuxcn.db"),
            Range::Head(HEAD_BYTES),
            Check::PackageDb { kind: Some("archlinuxcn-db".into()) },
        ),
    ];
    let sample = Sample::Fixed {
        what: "archlinuxcn.db",
        url: format!("{url}/{arch}/archlinuxcn.db"),
        format: SampleFormat::Compressed,
    };
    (steps, sample, vec!["archlinuxcn-lastupdate".into(), "archlinuxcn-db".into()])
}

/// The Debian derivatives' archives: Kali's `kali-rolling`, Raspbian's and Raspberry Pi's
/// release (Debian's codename on the host, else `bookworm`).
fn apt_derivative(url: &str, repo: Repo, host: &Host) -> Parts {
    let (suite, origin) = match repo {
        Repo::Kali => (host.codename.clone().unwrap_or_else(|| "kali-rolling".into()), "Kali"),
        Repo::Raspbian => (host.codename.clone().unwrap_or_else(|| "bookworm".into()), "Raspbian"),
        _ => (host.codename.clone().unwrap_or_else(|| "bookworm".into()), "Raspberry Pi Foundation"),
    };
    let steps = vec![Step::ranged(
        "InRelease",
        format!("{url}/dists/{suite}/InRelease"),
        Range::Head(HEAD_BYTES),
        Check::InRelease { suite: suite.clone(), origin },
    )];
    (steps, packages_xz(url, &suite, host), vec![format!("inrelease:{suite}")])
}

/// A busy npm package whose document tells freshness (published several times a week).
pub const BUSY_NPM_PACKAGE: &str = "electron-to-chromium";
/// A small npm package document, fetched for latency.
pub const SMALL_NPM_PACKAGE: &str = "is-number";
/// An npm tarball of a few MB that never changes: the throughput sample.
pub const NPM_TARBALL: (&str, &str) = ("typescript", "5.6.3");

fn npm(url: &str) -> Parts {
    // The abbreviated document of the busy package is about 1 MiB (2,000 releases).
    let doc = |pkg: &str, fresh: bool| Step {
        limit: 3 << 20,
        ..Step::get("package document", format!("{url}/{pkg}"), Check::NpmDoc { package: pkg.to_owned(), fresh })
    };
    let (name, version) = NPM_TARBALL;
    let sample = Sample::Fixed {
        what: "package tarball",
        url: format!("{url}/{name}/-/{name}-{version}.tgz"),
        format: SampleFormat::Compressed,
    };
    (vec![doc(BUSY_NPM_PACKAGE, true), doc(SMALL_NPM_PACKAGE, false)], sample, vec![format!("npm:{BUSY_NPM_PACKAGE}")])
}

/// A Go module with releases most days (its `@latest` tells freshness).
pub const BUSY_GO_MODULE: &str = "github.com/aws/aws-sdk-go-v2/service/s3";
/// A module whose version list is fetched for latency, and one of its zips sampled.
pub const GO_SAMPLE: (&str, &str) = ("golang.org/x/text", "v0.21.0");

/// A module path as the proxy protocol escapes it (capitals as `!` + lower case).
pub fn go_escape(path: &str) -> String {
    path.chars()
        .map(|c| if c.is_ascii_uppercase() { format!("!{}", c.to_ascii_lowercase()) } else { c.to_string() })
        .collect()
}

fn go(url: &str) -> Parts {
    let (module, version) = GO_SAMPLE;
    let steps = vec![
        Step::get(
            "@latest",
            format!("{url}/{}/@latest", go_escape(BUSY_GO_MODULE)),
            Check::GoLatest { module: BUSY_GO_MODULE.into() },
        ),
        Step::get("@v/list", format!("{url}/{}/@v/list", go_escape(module)), Check::GoList),
    ];
    let sample = Sample::Fixed {
        what: "module zip",
        url: format!("{url}/{}/@v/{version}.zip", go_escape(module)),
        format: SampleFormat::Archive,
    };
    (steps, sample, vec![format!("go:{BUSY_GO_MODULE}")])
}

/// rustup's default dist server, which mirrors stand in for in component URLs.
pub const RUSTUP_UPSTREAM: &str = "https://static.rust-lang.org";

fn rustup(url: &str) -> Parts {
    let channel = format!("{url}/dist/channel-rust-stable.toml");
    let steps = vec![
        Step::ranged("channel manifest", channel.clone(), Range::Head(16 * 1024), Check::RustupChannel),
        Step::get("channel checksum", format!("{channel}.sha256"), Check::Sha256),
    ];
    let sample = Sample::Lead {
        what: "component",
        format: SampleFormat::Compressed,
        fallback: channel,
        fallback_what: "channel manifest",
        fallback_format: SampleFormat::Text,
    };
    (steps, sample, vec!["rustup:stable".into()])
}

/// Homebrew's official bottle and API hosts.
pub const HOMEBREW_UPSTREAM_BOTTLES: &str = "https://ghcr.io/v2/homebrew/core";
pub const HOMEBREW_UPSTREAM_API: &str = "https://formulae.brew.sh/api";

/// The API folder that goes with a bottle domain: `<bottles>/api` on the mirror sites.
pub fn homebrew_api_of(bottles: &str) -> String {
    let bottles = bottles.trim_end_matches('/');
    if bottles == HOMEBREW_UPSTREAM_BOTTLES { HOMEBREW_UPSTREAM_API.to_owned() } else { format!("{bottles}/api") }
}

fn homebrew(api: &str) -> Parts {
    let api = api.trim_end_matches('/');
    let steps = vec![
        Step::head(
            "formula.jws.json",
            format!("{api}/formula.jws.json"),
            Check::ApiHead { kind: Some("homebrew-api".into()) },
        ),
        Step::head("cask.jws.json", format!("{api}/cask.jws.json"), Check::ApiHead { kind: None }),
    ];
    let sample =
        Sample::Fixed { what: "formula.jws.json", url: format!("{api}/formula.jws.json"), format: SampleFormat::Json };
    (steps, sample, vec!["homebrew-api".into()])
}

/// A popular model whose Hub metadata is read, and whose weights are sampled.
pub const HF_MODEL: &str = "google-bert/bert-base-uncased";

fn huggingface(url: &str) -> Parts {
    let steps = vec![
        Step::get("model info", format!("{url}/api/models/{HF_MODEL}"), Check::HfModel { model: HF_MODEL.into() }),
        Step::get("config.json", format!("{url}/{HF_MODEL}/resolve/main/config.json"), Check::JsonObject),
    ];
    let sample = Sample::Fixed {
        what: "model.safetensors",
        url: format!("{url}/{HF_MODEL}/resolve/main/model.safetensors"),
        format: SampleFormat::Safetensors,
    };
    (steps, sample, vec![format!("hf:{HF_MODEL}")])
}

/// A proxy of the checksum database: its signed tree head. Nothing to sample (the
/// database answers lookups of a few hundred bytes).
fn gosumdb(url: &str) -> Parts {
    (vec![Step::get("latest", format!("{url}/latest"), Check::SumdbLatest)], Sample::None, Vec::new())
}

/// A git remote (Homebrew's `brew.git`, `homebrew-core.git`): its ref advertisement, as `git
/// fetch` asks for it first. Not sampled: a clone is not what `mirror` measures.
fn git_remote(url: &str) -> Parts {
    let refs = Step {
        whole: false,
        limit: HEAD_BYTES,
        ..Step::get("info/refs", format!("{url}/info/refs?service=git-upload-pack"), Check::GitRefs)
    };
    (vec![refs], Sample::None, Vec::new())
}

/// A gem released most weeks (its compact index file tells freshness).
pub const BUSY_GEM: &str = "aws-sdk-core";

fn rubygems(url: &str) -> Parts {
    let steps = vec![
        Step::ranged(
            "compact index",
            format!("{url}/info/{BUSY_GEM}"),
            Range::Tail(16 * 1024),
            Check::GemInfo { name: BUSY_GEM.into() },
        ),
        Step::ranged("versions", format!("{url}/versions"), Range::Head(HEAD_BYTES), Check::GemVersions),
    ];
    let sample =
        Sample::Fixed { what: "versions", url: format!("{url}/versions"), format: SampleFormat::Prefix("created_at:") };
    (steps, sample, vec![format!("gems:{BUSY_GEM}")])
}

/// An artifact released most days (its `maven-metadata.xml` tells freshness), and a jar of it.
pub const BUSY_MAVEN: (&str, &str) = ("software.amazon.awssdk", "s3");
pub const MAVEN_JAR_VERSION: &str = "2.29.0";
/// A small metadata file fetched for latency.
pub const SMALL_MAVEN: (&str, &str) = ("junit", "junit");

fn maven(url: &str) -> Parts {
    let meta = |(g, a): (&str, &str), fresh: bool| Step {
        limit: 1 << 20,
        ..Step::get(
            "maven-metadata.xml",
            format!("{url}/{}/{a}/maven-metadata.xml", g.replace('.', "/")),
            Check::MavenMetadata { artifact: format!("{g}:{a}"), fresh },
        )
    };
    let (g, a) = BUSY_MAVEN;
    let sample = Sample::Fixed {
        what: "jar",
        url: format!("{url}/{}/{a}/{MAVEN_JAR_VERSION}/{a}-{MAVEN_JAR_VERSION}.jar", g.replace('.', "/")),
        format: SampleFormat::Archive,
    };
    (vec![meta(BUSY_MAVEN, true), meta(SMALL_MAVEN, false)], sample, vec![format!("maven:{g}:{a}")])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Origin, parse_site};
    use std::path::Path;

    fn host(os: &str, arch: &str) -> Host {
        let mut h = Host { arch: arch.into(), ..Host::default() };
        h.parse_os_release(os);
        h
    }

    fn site() -> Site {
        parse_site(
            Path::new("x/tuna.toml"),
            r#"
id = "tuna"
name = "T"
homepage = "https://m.example/"
region = "CN"
base = "https://m.example"
[repos]
debian = "{base}/debian"
ubuntu = "{base}/ubuntu"
ubuntu-ports = "{base}/ubuntu-ports"
archlinux = "{base}/archlinux/"
archlinuxarm = "{base}/archlinuxarm"
pypi = "{base}/pypi/web/simple"
anaconda = "{base}/anaconda"
crates = "{base}/crates.io-index/"
"#,
            Origin::Builtin,
        )
        .unwrap()
    }

    fn sample_url(p: &Plan) -> &str {
        match &p.sample {
            Sample::Fixed { url, .. } => url,
            other => panic!("not a fixed sample: {other:?}"),
        }
    }

    fn urls(p: &Plan) -> Vec<&str> {
        p.steps.iter().map(|s| s.url.as_str()).collect()
    }

    #[test]
    fn debian_host_uses_codename_and_arch() {
        let h = host("ID=debian\nVERSION_CODENAME=bookworm\n", "arm64");
        let p = plan(&site(), TargetKind::Apt, &h).unwrap();
        assert_eq!(p.url, "https://m.example/debian");
        assert_eq!(
            urls(&p),
            [
                "https://m.example/debian/project/trace/master",
                "https://m.example/debian/dists/bookworm-updates/InRelease"
            ]
        );
        assert_eq!(sample_url(&p), "https://m.example/debian/dists/bookworm/main/binary-arm64/Packages.xz");
        assert_eq!(p.steps[1].range, Some(Range::Head(HEAD_BYTES)));
        assert!(p.steps[0].optional && !p.steps[1].optional);
    }

    #[test]
    fn debian_without_codename_and_other_hosts_use_stable() {
        for os in ["ID=debian\n", "ID=fedora\nVERSION_CODENAME=f40\n", ""] {
            let p = plan(&site(), TargetKind::Apt, &host(os, "amd64")).unwrap();
            assert_eq!(p.steps[1].url, "https://m.example/debian/dists/stable-updates/InRelease", "{os}");
        }
        let sid = host("ID=debian\nVERSION_CODENAME=sid\n", "amd64");
        let p = plan(&site(), TargetKind::Apt, &sid).unwrap();
        assert_eq!(p.steps[1].url, "https://m.example/debian/dists/sid/InRelease");
    }

    #[test]
    fn kali_and_raspbian_hosts_probe_their_own_archives() {
        let with = |keys: &str| {
            parse_site(
                Path::new("x/m.toml"),
                &format!("id = \"m\"\nname = \"M\"\nhomepage = \"https://m.example/\"\nregion = \"CN\"\nbase = \"https://m.example\"\n[repos]\ndebian = \"{{base}}/debian\"\n{keys}"),
                Origin::Builtin,
            )
            .unwrap()
        };
        let full = with("kali = \"{base}/kali\"\nraspbian = \"{base}/raspbian/raspbian\"\n");
        let kali = host("ID=kali\nID_LIKE=debian\nVERSION_CODENAME=kali-rolling\n", "amd64");
        let p = plan(&full, TargetKind::Apt, &kali).unwrap();
        assert_eq!((p.repo, p.url.as_str()), (Repo::Kali, "https://m.example/kali"));
        assert_eq!(urls(&p), ["https://m.example/kali/dists/kali-rolling/InRelease"]);
        assert_eq!(sample_url(&p), "https://m.example/kali/dists/kali-rolling/main/binary-amd64/Packages.xz");
        let pi = host("ID=raspbian\nID_LIKE=debian\nVERSION_CODENAME=bookworm\n", "armhf");
        let p = plan(&full, TargetKind::Apt, &pi).unwrap();
        assert_eq!(p.repo, Repo::Raspbian);
        assert_eq!(urls(&p), ["https://m.example/raspbian/raspbian/dists/bookworm/InRelease"]);
        assert_eq!(sample_url(&p), "https://m.example/raspbian/raspbian/dists/bookworm/main/binary-armhf/Packages.xz");
        // A site that has Debian only does not serve apt on them.
        assert!(plan(&with(""), TargetKind::Apt, &kali).is_none());
        assert!(plan(&with(""), TargetKind::Apt, &pi).is_none());
    }

    #[test]
    fn ubuntu_picks_ports_by_arch() {
        let os = "ID=ubuntu\nVERSION_CODENAME=noble\n";
        let p = plan(&site(), TargetKind::Apt, &host(os, "amd64")).unwrap();
        assert_eq!(p.repo, Repo::Ubuntu);
        assert_eq!(
            urls(&p),
            [
                "https://m.example/ubuntu/dists/noble/InRelease",
                "https://m.example/ubuntu/dists/noble-updates/InRelease"
            ]
        );
        let p = plan(&site(), TargetKind::Apt, &host(os, "arm64")).unwrap();
        assert_eq!(p.repo, Repo::UbuntuPorts);
        assert_eq!(sample_url(&p), "https://m.example/ubuntu-ports/dists/noble/main/binary-arm64/Packages.xz");
        let mint = host("ID=linuxmint\nID_LIKE=ubuntu\n", "amd64");
        let p = plan(&site(), TargetKind::Apt, &mint).unwrap();
        assert_eq!(p.steps[0].url, "https://m.example/ubuntu/dists/noble/InRelease");
    }

    #[test]
    fn pacman_arch_and_alarm() {
        let p = plan(&site(), TargetKind::Pacman, &host("ID=arch\n", "amd64")).unwrap();
        assert_eq!(
            urls(&p),
            [
                "https://m.example/archlinux/lastupdate",
                "https://m.example/archlinux/lastsync",
                "https://m.example/archlinux/core/os/x86_64/core.db"
            ]
        );
        assert_eq!(p.steps[1].fallback_for, Some("arch-lastupdate"));
        let p = plan(&site(), TargetKind::Pacman, &host("ID=archarm\nID_LIKE=arch\n", "armhf")).unwrap();
        assert_eq!(p.repo, Repo::Archlinuxarm);
        assert_eq!(p.steps[0].url, "https://m.example/archlinuxarm/armv7h/core/core.db");
        // Debian hosts still rank the x86_64 Arch tree (container images, laptops).
        let p = plan(&site(), TargetKind::Pacman, &host("ID=debian\n", "amd64")).unwrap();
        assert_eq!(p.repo, Repo::Archlinux);
    }

    #[test]
    fn pypi_conda_cargo_docker() {
        let h = host("ID=debian\n", "amd64");
        let p = plan(&site(), TargetKind::Uv, &h).unwrap();
        assert_eq!(p, plan(&site(), TargetKind::Pip, &h).unwrap(), "uv is probed as pip");
        assert_eq!(urls(&p), ["https://m.example/pypi/web/simple/botocore/", "https://m.example/pypi/web/simple/pip/"]);
        assert_eq!(p.steps[0].range, Some(Range::Tail(2048)));
        let p = plan(&site(), TargetKind::Conda, &h).unwrap();
        assert_eq!(
            urls(&p),
            [
                "https://m.example/anaconda/pkgs/main/linux-64/repodata.json",
                "https://m.example/anaconda/pkgs/main/noarch/repodata.json"
            ]
        );
        assert_eq!(p.kinds, ["conda:pkgs/main/linux-64"]);
        assert!(p.steps.iter().all(|s| s.method == Method::Head));
        let p = plan(&site(), TargetKind::Cargo, &h).unwrap();
        assert_eq!(p.url, "https://m.example/crates.io-index");
        assert_eq!(
            urls(&p),
            ["https://m.example/crates.io-index/config.json", "https://m.example/crates.io-index/aw/s-/aws-sdk-s3"]
        );
        assert!(plan(&site(), TargetKind::Docker, &h).is_none());
    }

    #[test]
    fn conda_without_pkgs_uses_a_cloud_channel() {
        let s = parse_site(
            Path::new("x/ustc.toml"),
            "id = \"ustc\"\nname = \"U\"\nhomepage = \"https://u/\"\nregion = \"CN\"\n[repos]\nanaconda = \"https://u/anaconda\"\n[conda]\npkgs = false\nchannels = [\"bioconda\", \"conda-forge\"]\n",
            Origin::Builtin,
        )
        .unwrap();
        let p = plan(&s, TargetKind::Conda, &host("", "arm64")).unwrap();
        assert_eq!(p.steps[0].url, "https://u/anaconda/cloud/conda-forge/linux-aarch64/repodata.json");
        assert_eq!(p.kinds, ["conda:conda-forge/linux-aarch64"]);
    }

    #[test]
    fn configured_urls_are_normalised() {
        let h = host("ID=debian\n", "amd64");
        let p = plan_for_configured(TargetKind::Cargo, &h, "sparse+https://m/crates.io-index/");
        assert_eq!(p.steps[0].url, "https://m/crates.io-index/config.json");
        let p = plan_for_configured(TargetKind::Conda, &h, "https://m/anaconda/pkgs/main");
        assert_eq!(p.steps[0].url, "https://m/anaconda/pkgs/main/linux-64/repodata.json");
        let p = plan_for_configured(TargetKind::Conda, &h, "https://m/anaconda/cloud/conda-forge");
        assert_eq!(p.steps[0].url, "https://m/anaconda/cloud/conda-forge/linux-64/repodata.json");
        let p = plan_for_configured(TargetKind::Docker, &h, "https://hub.example/");
        assert_eq!(p.steps[0].url, "https://hub.example/v2/");
        assert_eq!(host_key(&p.url), "hub.example:443");
    }

    #[test]
    fn crate_paths() {
        assert_eq!(crate_path("a"), "1/a");
        assert_eq!(crate_path("ab"), "2/ab");
        assert_eq!(crate_path("abc"), "3/a/abc");
        assert_eq!(crate_path("Serde"), "se/rd/serde");
    }
}
