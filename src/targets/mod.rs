//! The package managers `mirror` configures: one module per target.
//!
//! A target knows which files configure it, how to read the URL they point at now, and how to
//! render new contents for a site. Targets never write: they return [`FileEdit`]s, and
//! `crate::apply` writes them atomically behind a journal.

use std::fmt;
use std::io::ErrorKind;
use std::ops::Range;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use toml_edit::Document;

use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub mod apk;
pub mod apt;
pub mod arch;
pub mod archlinuxcn;
pub mod bun;
pub mod cargo;
pub mod common;
pub mod conda;
pub mod containerd;
pub mod dnf;
pub mod docker;
pub mod envfile;
pub mod go;
pub mod homebrew;
pub mod huggingface;
pub mod kvfile;
pub mod maven;
pub mod npm;
pub mod pacman;
pub mod pdm;
pub mod pip;
pub mod pixi;
pub mod pnpm;
pub mod podman;
pub mod repofile;
pub mod rubygems;
pub mod rustup;
pub mod uv;
pub mod yarn;
pub mod zypper;

/// A package manager `mirror` can configure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Apt,
    Pacman,
    Pip,
    Uv,
    Conda,
    Cargo,
    Docker,
    /// dnf and yum (Fedora, CentOS Stream, Rocky Linux, AlmaLinux, openEuler).
    #[value(alias = "yum")]
    Dnf,
    /// apk (Alpine Linux).
    Apk,
    /// zypper (openSUSE Leap and Tumbleweed).
    Zypper,
    /// podman, CRI-O and Buildah (`registries.conf`).
    Podman,
    /// containerd and nerdctl (`certs.d/docker.io/hosts.toml`).
    Containerd,
    /// The `[archlinuxcn]` repository of pacman.conf.
    Archlinuxcn,
    Npm,
    Pnpm,
    Yarn,
    Bun,
    Go,
    Rustup,
    Homebrew,
    Huggingface,
    Rubygems,
    Maven,
    Pdm,
    Pixi,
}

impl TargetKind {
    pub const ALL: [Self; 25] = [
        Self::Apt,
        Self::Pacman,
        Self::Pip,
        Self::Uv,
        Self::Conda,
        Self::Cargo,
        Self::Docker,
        Self::Dnf,
        Self::Apk,
        Self::Zypper,
        Self::Podman,
        Self::Containerd,
        Self::Archlinuxcn,
        Self::Npm,
        Self::Pnpm,
        Self::Yarn,
        Self::Bun,
        Self::Go,
        Self::Rustup,
        Self::Homebrew,
        Self::Huggingface,
        Self::Rubygems,
        Self::Maven,
        Self::Pdm,
        Self::Pixi,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Apt => "apt",
            Self::Pacman => "pacman",
            Self::Pip => "pip",
            Self::Uv => "uv",
            Self::Conda => "conda",
            Self::Cargo => "cargo",
            Self::Docker => "docker",
            Self::Dnf => "dnf",
            Self::Apk => "apk",
            Self::Zypper => "zypper",
            Self::Podman => "podman",
            Self::Containerd => "containerd",
            Self::Archlinuxcn => "archlinuxcn",
            Self::Npm => "npm",
            Self::Pnpm => "pnpm",
            Self::Yarn => "yarn",
            Self::Bun => "bun",
            Self::Go => "go",
            Self::Rustup => "rustup",
            Self::Homebrew => "homebrew",
            Self::Huggingface => "huggingface",
            Self::Rubygems => "rubygems",
            Self::Maven => "maven",
            Self::Pdm => "pdm",
            Self::Pixi => "pixi",
        }
    }

    /// The repositories that can serve this target (any one is enough).
    pub fn repos(self) -> &'static [Repo] {
        match self {
            Self::Apt => &[Repo::Debian, Repo::Ubuntu, Repo::UbuntuPorts, Repo::Kali, Repo::Raspbian],
            Self::Pacman => &[Repo::Archlinux, Repo::Archlinuxarm],
            Self::Pip | Self::Uv => &[Repo::Pypi],
            Self::Conda => &[Repo::Anaconda],
            Self::Cargo => &[Repo::Crates],
            Self::Docker => &[Repo::Dockerhub],
            Self::Dnf => &[Repo::Fedora, Repo::CentosStream, Repo::Rocky, Repo::Almalinux, Repo::Openeuler],
            Self::Apk => &[Repo::Alpine],
            Self::Zypper => &[Repo::Opensuse],
            Self::Podman | Self::Containerd => &[Repo::Dockerhub],
            Self::Archlinuxcn => &[Repo::Archlinuxcn],
            Self::Npm | Self::Pnpm | Self::Yarn | Self::Bun => &[Repo::Npm],
            Self::Go => &[Repo::Goproxy],
            Self::Rustup => &[Repo::Rustup],
            Self::Homebrew => &[Repo::HomebrewBottles],
            Self::Huggingface => &[Repo::Huggingface],
            Self::Rubygems => &[Repo::Rubygems],
            Self::Maven => &[Repo::Maven],
            Self::Pdm => &[Repo::Pypi],
            Self::Pixi => &[Repo::Anaconda],
        }
    }

    /// Whether a site serves this target on some host (for `mirror list`).
    pub fn served_by(self, site: &Site) -> bool {
        self.repos().iter().any(|r| site.repo(*r).is_some())
    }

    /// The implementation.
    pub fn target(self) -> &'static dyn Target {
        match self {
            Self::Apt => &apt::Apt,
            Self::Pacman => &pacman::Pacman,
            Self::Pip => &pip::Pip,
            Self::Uv => &uv::Uv,
            Self::Conda => &conda::Conda,
            Self::Cargo => &cargo::Cargo,
            Self::Docker => &docker::Docker,
            Self::Dnf => &dnf::Dnf,
            Self::Apk => &apk::Apk,
            Self::Zypper => &zypper::Zypper,
            Self::Podman => &podman::Podman,
            Self::Containerd => &containerd::Containerd,
            Self::Archlinuxcn => &archlinuxcn::Archlinuxcn,
            Self::Npm => &npm::Npm,
            Self::Pnpm => &pnpm::Pnpm,
            Self::Yarn => &yarn::Yarn,
            Self::Bun => &bun::Bun,
            Self::Go => &go::Go,
            Self::Rustup => &rustup::Rustup,
            Self::Homebrew => &homebrew::Homebrew,
            Self::Huggingface => &huggingface::Huggingface,
            Self::Rubygems => &rubygems::Rubygems,
            Self::Maven => &maven::Maven,
            Self::Pdm => &pdm::Pdm,
            Self::Pixi => &pixi::Pixi,
        }
    }

    /// Environment variables that take precedence over this target's config file.
    pub fn overriding_vars(self) -> &'static [&'static str] {
        match self {
            Self::Pip => &["PIP_INDEX_URL"],
            Self::Uv => &["UV_DEFAULT_INDEX", "UV_INDEX_URL", "UV_CONFIG_FILE", "UV_NO_CONFIG"],
            Self::Conda => &["CONDA_CHANNELS", "CONDA_DEFAULT_CHANNELS", "CONDA_CHANNEL_ALIAS"],
            Self::Cargo => &["CARGO_SOURCE_CRATES_IO_REPLACE_WITH"],
            Self::Apt | Self::Pacman | Self::Docker => &[],
            Self::Dnf | Self::Apk | Self::Zypper | Self::Podman | Self::Containerd | Self::Archlinuxcn => &[],
            Self::Npm => &["npm_config_registry", "NPM_CONFIG_REGISTRY"],
            Self::Pnpm => &["npm_config_registry", "NPM_CONFIG_REGISTRY"],
            Self::Yarn => &["YARN_REGISTRY", "YARN_NPM_REGISTRY_SERVER"],
            Self::Bun => &["BUN_CONFIG_REGISTRY", "NPM_CONFIG_REGISTRY"],
            Self::Go => &["GOPROXY", "GOSUMDB", "GOFLAGS"],
            Self::Rustup => rustup::VARS,
            Self::Homebrew => &[
                "HOMEBREW_API_DOMAIN",
                "HOMEBREW_BOTTLE_DOMAIN",
                "HOMEBREW_BREW_GIT_REMOTE",
                "HOMEBREW_CORE_GIT_REMOTE",
            ],
            Self::Huggingface => huggingface::VARS,
            Self::Rubygems => &["GEMRC", "BUNDLE_MIRROR__HTTPS://RUBYGEMS__ORG/"],
            Self::Maven => &[],
            Self::Pdm => &["PDM_PYPI_URL"],
            Self::Pixi => &["PIXI_HOME"],
        }
    }

    /// Of [`Self::overriding_vars`], those whose value is the repository URL itself (for
    /// `GOPROXY`, a list whose first proxy is): `status` shows and checks it instead of the
    /// file's. The others name a source, channels or a file, and set no URL of their own.
    pub fn url_vars(self) -> &'static [&'static str] {
        match self {
            Self::Pip => &["PIP_INDEX_URL"],
            Self::Uv => &["UV_DEFAULT_INDEX", "UV_INDEX_URL"],
            Self::Pdm => &["PDM_PYPI_URL"],
            Self::Npm | Self::Pnpm => &["npm_config_registry", "NPM_CONFIG_REGISTRY"],
            Self::Yarn => &["YARN_NPM_REGISTRY_SERVER", "YARN_REGISTRY"],
            Self::Bun => &["BUN_CONFIG_REGISTRY", "NPM_CONFIG_REGISTRY"],
            Self::Go => &["GOPROXY"],
            Self::Rustup => &[rustup::DIST],
            Self::Huggingface => &[huggingface::ENDPOINT],
            Self::Homebrew => &["HOMEBREW_BOTTLE_DOMAIN"],
            _ => &[],
        }
    }

    /// Of [`Self::overriding_vars`], those that override only part of what `mirror` writes,
    /// not where packages come from: with only these set, the file still decides the mirror
    /// (`heal` still heals it).
    pub fn partial_vars(self) -> &'static [&'static str] {
        match self {
            Self::Go => &["GOSUMDB", "GOFLAGS"],
            Self::Rustup => &[rustup::UPDATE],
            Self::Homebrew => &["HOMEBREW_API_DOMAIN", "HOMEBREW_BREW_GIT_REMOTE", "HOMEBREW_CORE_GIT_REMOTE"],
            // Bundler's; gem itself reads the file.
            Self::Rubygems => &["BUNDLE_MIRROR__HTTPS://RUBYGEMS__ORG/"],
            _ => &[],
        }
    }

    pub fn scope(self) -> Scope {
        match self {
            Self::Apt | Self::Pacman | Self::Docker => Scope::System,
            Self::Pip | Self::Uv | Self::Conda | Self::Cargo => Scope::User,
            Self::Dnf | Self::Apk | Self::Zypper | Self::Podman | Self::Containerd | Self::Archlinuxcn => Scope::System,
            Self::Npm
            | Self::Pnpm
            | Self::Yarn
            | Self::Bun
            | Self::Go
            | Self::Rustup
            | Self::Homebrew
            | Self::Huggingface
            | Self::Rubygems
            | Self::Maven
            | Self::Pdm
            | Self::Pixi => Scope::User,
        }
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whose files a target edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Under `--root` (`/etc/...`), owned by root.
    System,
    /// In the user's home, owned by the user (the invoking user under sudo).
    User,
}

/// Facts about the system being configured, read once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Host {
    /// `ID` from os-release (`debian`, `ubuntu`, `arch`, `archarm`, …).
    pub id: String,
    /// `ID_LIKE` words.
    pub id_like: Vec<String>,
    /// `VERSION_CODENAME` (or `UBUNTU_CODENAME`).
    pub codename: Option<String>,
    /// `VERSION_ID`.
    pub version_id: Option<String>,
    /// `VERSION` (openEuler's names its folder: `22.03 (LTS-SP3)`).
    pub version: Option<String>,
    /// Architecture in Debian spelling (`amd64`, `arm64`, …).
    pub arch: String,
    /// The root's architecture could not be read (no dpkg database, no `Architecture` in
    /// pacman.conf, no ELF `/bin/sh`): `arch` is then only the one `mirror` was built for, and
    /// what depends on it (Ubuntu's `ubuntu` or `ubuntu-ports`) cannot be decided.
    pub arch_unknown: bool,
    /// Whether an os-release file was found at all.
    pub has_os_release: bool,
}

/// The Linux family that decides apt and pacman layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distro {
    Debian,
    Ubuntu,
    Arch,
    ArchArm,
    Other,
}

impl Host {
    /// Reads `<root>/etc/os-release` (or `<root>/usr/lib/os-release`), and the architecture:
    /// `MIRROR_ARCH`, else the host's without `--root`, else the root's own (see [`arch`]).
    pub fn detect(ctx: &Context) -> Result<Self> {
        let (arch, arch_unknown) = match &ctx.arch {
            Some(arch) => (arch.clone(), false),
            None => match arch::of_root(ctx) {
                Some((arch, _)) => (arch, false),
                None => (crate::context::debian_arch(std::env::consts::ARCH).to_owned(), true),
            },
        };
        let mut host = Self { arch, arch_unknown, ..Self::default() };
        for candidate in ["/etc/os-release", "/usr/lib/os-release"] {
            let path = ctx.sys(candidate);
            let Some(text) = read_config(ctx, &path)? else {
                continue;
            };
            host.parse_os_release(&text);
            host.has_os_release = true;
            break;
        }
        Ok(host)
    }

    /// Fills the fields from os-release text (shell-style `KEY=value`, optionally quoted).
    /// Derivatives name the release of the archive they use in `UBUNTU_CODENAME` (Mint, Pop!_OS)
    /// or `DEBIAN_CODENAME` (LMDE); that one wins over their own `VERSION_CODENAME`.
    pub fn parse_os_release(&mut self, text: &str) {
        let (mut own, mut ubuntu, mut debian) = (None, None, None);
        for line in text.lines() {
            let Some((key, value)) = line.trim().split_once('=') else { continue };
            let value = value.trim().trim_matches(|c| c == '"' || c == '\'').to_owned();
            let slot = match key.trim() {
                "ID" => {
                    self.id = value.to_lowercase();
                    continue;
                }
                "ID_LIKE" => {
                    self.id_like = value.split_whitespace().map(str::to_lowercase).collect();
                    continue;
                }
                "VERSION_ID" => {
                    self.version_id = Some(value);
                    continue;
                }
                "VERSION" => {
                    self.version = Some(value);
                    continue;
                }
                "VERSION_CODENAME" => &mut own,
                "UBUNTU_CODENAME" => &mut ubuntu,
                "DEBIAN_CODENAME" => &mut debian,
                _ => continue,
            };
            if !value.is_empty() {
                *slot = Some(value);
            }
        }
        let archive = match self.distro() {
            Distro::Ubuntu => ubuntu,
            Distro::Debian => debian,
            _ => None,
        };
        self.codename = archive.or(own);
    }

    pub fn is_like(&self, id: &str) -> bool {
        self.id == id || self.id_like.iter().any(|l| l == id)
    }

    pub fn distro(&self) -> Distro {
        if self.id == "ubuntu" {
            Distro::Ubuntu
        } else if self.id == "debian" {
            Distro::Debian
        } else if self.id == "archarm" || (self.is_like("arch") && !matches!(self.arch.as_str(), "amd64" | "i386")) {
            Distro::ArchArm
        } else if self.is_like("arch") {
            Distro::Arch
        } else if self.is_like("ubuntu") {
            Distro::Ubuntu
        } else if self.is_like("debian") {
            Distro::Debian
        } else {
            Distro::Other
        }
    }

    /// Ubuntu publishes amd64 and i386 in `ubuntu`, everything else in `ubuntu-ports`.
    pub fn ubuntu_ports(&self) -> bool {
        !matches!(self.arch.as_str(), "amd64" | "i386")
    }
}

/// A file a target wants to have: what it holds now and what it should hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEdit {
    pub path: PathBuf,
    /// Current bytes; `None` when the file does not exist.
    pub before: Option<Vec<u8>>,
    /// Wanted bytes; `None` to remove the file.
    pub after: Option<Vec<u8>>,
    /// Warnings for the user about this file: settings the target saw but could not move.
    pub notes: Vec<String>,
}

impl FileEdit {
    pub fn is_change(&self) -> bool {
        self.before != self.after
    }

    /// The same edit with these warnings.
    pub fn with_notes(mut self, notes: Vec<String>) -> Self {
        self.notes = notes;
        self
    }
}

/// What a `use` asks of one target.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub site: &'a Site,
    /// The official servers from the catalog (where apt's security suites go back to without
    /// `--security`), when the catalog has an `upstream` site.
    pub upstream: Option<&'a Site>,
    /// Also move the security suites to the site (apt).
    pub security: bool,
}

/// What a target points at now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Current {
    /// The files that configure it (existing ones), most important first.
    pub files: Vec<PathBuf>,
    /// The repository URL in use, in the same form as [`Target::endpoint`], if one is set.
    /// `None` with files present means "the package manager's default".
    pub url: Option<String>,
}

/// One package manager.
pub trait Target: Sync {
    /// Whether this package manager is on the system (installed, or its config exists).
    fn present(&self, ctx: &Context, host: &Host) -> bool;

    /// What [`Target::present`] looks for, as "not on this system" names it. Only system-level
    /// targets are ever absent (user-level ones are configured before the tool is installed),
    /// and each says its own.
    fn looked_for(&self) -> &'static str {
        "no config file and no program"
    }

    /// The repository URL of `site` this target would use on this host, in the comparable form
    /// that [`Current::url`] uses, or `None` when the site does not serve it here.
    fn endpoint(&self, site: &Site, host: &Host) -> Option<String>;

    /// Reads the current configuration and renders what it should become for `req`.
    /// Reads files, writes nothing. Edits whose `before == after` mean "already so"; their
    /// `notes` are what the user should be told (shown on stderr).
    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>>;

    /// What the configuration points at now.
    fn current(&self, ctx: &Context, host: &Host) -> Result<Current>;

    /// Which of the set variables among `vars` (this target's [`TargetKind::overriding_vars`])
    /// take precedence over what `current` read. Targets configured through `mirror`'s env
    /// file (spec §9) count a variable only when it differs from the file's value.
    fn overridden_by(&self, ctx: &Context, vars: &[&str], _current: &Current) -> Vec<String> {
        vars.iter().filter(|v| ctx.overrides.contains_key(**v)).map(|v| (*v).to_owned()).collect()
    }

    /// What `status` should also say about this target (shared files, the shell environment).
    fn status_notes(&self, _ctx: &Context, _current: &Current) -> Vec<String> {
        Vec::new()
    }
}

/// Reads a config file for editing. `Ok(None)` when it does not exist. Links are followed
/// inside the root (as in a chroot); a dangling one is an error naming it. Refuses non-regular
/// files, unreadable files and binary content with a clear error (exit 2). An edit of a link
/// is written through to its target (see [`write_through_links`]).
pub fn read_config(ctx: &Context, path: &Path) -> Result<Option<String>> {
    if let Some(planned) = ctx.planned.get(path) {
        return Ok(planned);
    }
    let resolved = ctx.resolve(path)?;
    if let Some(dangling) = resolved.dangling {
        return Err(dangling.problem().into());
    }
    let meta = match std::fs::metadata(&resolved.path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unreadable(path, e)),
    };
    if !meta.is_file() {
        return Err(Problem::bad(format!("`{}` is not a regular file", path.display())).into());
    }
    let bytes = std::fs::read(&resolved.path).map_err(|e| unreadable(path, e))?;
    if bytes.contains(&0) {
        return Err(Problem::parse(path, None, "the file holds binary data, not text").into());
    }
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let line = e.as_bytes()[..e.utf8_error().valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        Problem::parse(path, Some(line), "the file is not valid UTF-8 text").into()
    })
}

fn unreadable(path: &Path, e: std::io::Error) -> anyhow::Error {
    let hint = if e.kind() == ErrorKind::PermissionDenied {
        "run the same command with `sudo`, or fix the file's permissions"
    } else {
        "check the file and its folder"
    };
    anyhow::Error::new(e).context(Problem::bad(format!("could not read `{}`", path.display())).hint(hint))
}

/// A config file reached through a link, which is written through to `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThroughLink {
    pub link: PathBuf,
    pub target: PathBuf,
}

/// Points every changing edit of a file reached through links (a dotfile kept by stow,
/// chezmoi or yadm, a `sources.list.d` entry linked from elsewhere) at the file itself, so it
/// is journaled and written there and the link stays. Refuses, before anything is written, a
/// target that cannot be written: one in the Nix store or on a read-only file system, two
/// edits of one file, and under sudo a user file the invoking user does not own.
pub fn write_through_links<'a>(
    ctx: &Context,
    edits: impl IntoIterator<Item = (Scope, &'a mut FileEdit)>,
) -> Result<Vec<ThroughLink>> {
    let mut through: Vec<ThroughLink> = Vec::new();
    for (scope, e) in edits {
        if !e.is_change() {
            continue;
        }
        let resolved = ctx.resolve(&e.path)?;
        if let Some(dangling) = resolved.dangling {
            return Err(dangling.problem().into());
        }
        if !resolved.via_link {
            continue;
        }
        let target = resolved.path;
        link_target_writable(ctx, scope, &e.path, &target)?;
        if let Some(other) = through.iter().find(|t| t.target == target) {
            return Err(Problem::bad(format!(
                "`{}` and `{}` are links to the same file, `{}`",
                other.link.display(),
                e.path.display(),
                target.display()
            ))
            .hint("keep one of the links; nothing was changed")
            .into());
        }
        through.push(ThroughLink { link: e.path.clone(), target: target.clone() });
        e.path = target;
    }
    Ok(through)
}

/// Whether the file a link at `link` leads to can be replaced.
fn link_target_writable(ctx: &Context, scope: Scope, link: &Path, target: &Path) -> Result<()> {
    let refuse = |why: String, hint: &str| -> Result<()> {
        Err(Problem::bad(format!("`{}` is a link to `{}`, {why}", link.display(), target.display()))
            .hint(format!("{hint}; nothing was changed"))
            .into())
    };
    let in_root = target.strip_prefix(&ctx.root).unwrap_or(target);
    if Path::new("/").join(in_root).starts_with("/nix/store") {
        return refuse(
            "which is in the Nix store and read-only".into(),
            "the file is managed by Nix (home-manager, NixOS): set the mirror in that configuration and switch to it, or replace the link with a regular copy of the file and run `mirror` again",
        );
    }
    let dir = target.ancestors().skip(1).find(|d| d.is_dir()).unwrap_or(Path::new("/"));
    if nix::sys::statvfs::statvfs(dir).is_ok_and(|v| v.flags().contains(nix::sys::statvfs::FsFlags::ST_RDONLY)) {
        return refuse(
            format!("which is on a read-only file system (`{}`)", dir.display()),
            "change the file where it is managed, or replace the link with a regular copy of the file",
        );
    }
    if scope == Scope::User && nix::unistd::access(dir, nix::unistd::AccessFlags::W_OK).is_err() {
        return refuse(
            format!("and its folder `{}` cannot be written", dir.display()),
            "make that folder writable, or replace the link with a regular copy of the file",
        );
    }
    // Under sudo, a link in the user's home must not lead root to write a file the user
    // could not write themselves.
    if let (true, Scope::User, Some(user)) = (ctx.is_real_root(), scope, &ctx.sudo_user) {
        let owner = target.ancestors().find_map(|p| std::fs::metadata(p).ok()).map(|m| m.uid());
        if owner != Some(user.uid) {
            return refuse(
                format!("which `{}` does not own", user.name),
                "under `sudo`, `mirror` writes only files of the invoking user; run it without `sudo` for user files",
            );
        }
    }
    Ok(())
}

/// An edit of `path` from its current text (if any) to `after` (`None` to have no file).
pub fn edit(path: PathBuf, before: Option<String>, after: impl Into<Option<String>>) -> FileEdit {
    FileEdit {
        path,
        before: before.map(String::into_bytes),
        after: after.into().map(String::into_bytes),
        notes: Vec::new(),
    }
}

/// What a target's client makes of a UTF-8 byte-order mark, which some Windows editors put at
/// the start of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bom {
    /// Skips it, as most do: the text is read after it, and it stays in front of the file,
    /// outside every edit.
    Keep,
    /// Reads it as text and fails (pacman, apk): a file that starts with one is refused,
    /// naming the client.
    Refuse(&'static str),
}

impl Bom {
    /// The text to parse: what follows the mark.
    pub fn body(self, text: &str) -> Result<&str, LineError> {
        match (text.strip_prefix(common::BOM), self) {
            (None, _) => Ok(text),
            (Some(body), Self::Keep) => Ok(body),
            (Some(_), Self::Refuse(client)) => Err(LineError::at(
                1,
                format!(
                    "the file starts with a UTF-8 byte-order mark, which {client} cannot read; save it without one"
                ),
            )),
        }
    }

    /// Renders `text` (`None`: no file) without its mark and puts the mark back in front of
    /// the result.
    pub fn render<R: Into<Option<String>>>(
        self,
        text: Option<&str>,
        render: impl FnOnce(Option<&str>) -> Result<R, LineError>,
    ) -> Result<Option<String>, LineError> {
        let Some(text) = text else {
            return render(None).map(Into::into);
        };
        let body = self.body(text)?;
        let mark = &text[..text.len() - body.len()];
        Ok(render(Some(body))?.into().map(|out| format!("{mark}{out}")))
    }
}

/// The edit of the file at `path` from its current text `before`: `render` turns the text
/// (`None` when the file does not exist; after its byte-order mark, see [`Bom`]) into the
/// wanted one (`None` to have no file) and may leave notes for the user, which come back on
/// the edit, each naming the file. An error names the file.
pub fn edit_of<R: Into<Option<String>>>(
    path: PathBuf,
    before: Option<String>,
    bom: Bom,
    render: impl FnOnce(Option<&str>, &mut Vec<String>) -> Result<R, LineError>,
) -> Result<FileEdit> {
    let mut notes = Vec::new();
    let after = bom.render(before.as_deref(), |body| render(body, &mut notes)).map_err(|e| e.into_problem(&path))?;
    let notes = notes.into_iter().map(|n| format!("`{}`: {n}", path.display())).collect();
    Ok(edit(path, before, after).with_notes(notes))
}

/// The edit of a target's one config file at `path`, read now (see [`edit_of`]).
pub fn plan_with<R: Into<Option<String>>>(
    ctx: &Context,
    path: PathBuf,
    bom: Bom,
    render: impl FnOnce(Option<&str>, &mut Vec<String>) -> Result<R, LineError>,
) -> Result<Vec<FileEdit>> {
    let before = read_config(ctx, &path)?;
    Ok(vec![edit_of(path, before, bom, render)?])
}

/// The edit of a target's one config file at `path`: `render` turns its current text (`None`
/// when the file does not exist) into the wanted one. A UTF-8 byte-order mark stays in front.
pub fn plan_from<R: Into<Option<String>>>(
    ctx: &Context,
    path: PathBuf,
    render: impl FnOnce(Option<&str>) -> Result<R, LineError>,
) -> Result<Vec<FileEdit>> {
    plan_with(ctx, path, Bom::Keep, |text, _| render(text))
}

/// As [`plan_from`], for a `render` that also says what the user should know: its notes come
/// back on the edit, each naming the file.
pub fn plan_noted<R: Into<Option<String>>>(
    ctx: &Context,
    path: PathBuf,
    render: impl FnOnce(Option<&str>, &mut Vec<String>) -> Result<R, LineError>,
) -> Result<Vec<FileEdit>> {
    plan_with(ctx, path, Bom::Keep, render)
}

/// Reads the config file at `path` and hands its text (after a byte-order mark, see [`Bom`])
/// to `read`: `None` when the file does not exist. An error names the file.
pub fn read_from<T>(
    ctx: &Context,
    path: &Path,
    bom: Bom,
    read: impl FnOnce(&str) -> Result<T, LineError>,
) -> Result<Option<T>> {
    let Some(text) = read_config(ctx, path)? else {
        return Ok(None);
    };
    Ok(Some(bom.body(&text).and_then(read).map_err(|e| e.into_problem(path))?))
}

/// What a target with one config file at `path` points at now: `read` finds the URL in its
/// text (after a byte-order mark, see [`Bom`]).
pub fn current_with(
    ctx: &Context,
    path: PathBuf,
    bom: Bom,
    read: impl FnOnce(&str) -> Result<Option<String>, LineError>,
) -> Result<Current> {
    match read_from(ctx, &path, bom, read)? {
        Some(url) => Ok(Current { files: vec![path], url }),
        None => Ok(Current::default()),
    }
}

/// [`current_with`] for a client that skips a byte-order mark.
pub fn current_from(
    ctx: &Context,
    path: PathBuf,
    read: impl FnOnce(&str) -> Result<Option<String>, LineError>,
) -> Result<Current> {
    current_with(ctx, path, Bom::Keep, read)
}

/// A config file that cannot be read or edited safely: what is wrong, and on which line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number, when known.
    pub line: Option<usize>,
    pub message: String,
}

impl LineError {
    pub fn new(line: Option<usize>, message: impl Into<String>) -> Self {
        Self { line, message: message.into() }
    }

    /// An error on a known line (1-based).
    pub fn at(line: usize, message: impl Into<String>) -> Self {
        Self::new(Some(line), message)
    }

    /// An error at the byte range `span` of `text`, when there is one.
    pub fn spanned(text: &str, span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        Self::new(span.map(|s| line_at(text, s.start)), message)
    }

    /// The exit-2 error naming the file and the line.
    pub fn into_problem(self, path: &Path) -> Problem {
        Problem::parse(path, self.line, self.message)
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// The 1-based line of a byte offset (an offset past the end counts as the end).
pub fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Parses TOML for editing with `toml_edit`, keeping spans; an error names its line.
pub fn parse_toml(text: &str) -> Result<Document<&str>, LineError> {
    Document::parse(text).map_err(|e| LineError::spanned(text, e.span(), e.message().trim()))
}

/// Builders shared by the targets' unit tests.
#[cfg(test)]
pub mod testing {
    use std::collections::BTreeMap;
    use std::ffi::OsString;
    use std::path::Path;

    use crate::catalog::{Origin, Site, parse_site};
    use crate::context::{Context, Overrides};

    /// A site `id` from the text that follows its required header (`allow_http`, `[repos]`,
    /// `[conda]`, …).
    pub fn site(id: &str, rest: &str) -> Site {
        let text =
            format!("id = \"{id}\"\nname = \"{id}\"\nhomepage = \"https://{id}.example/\"\nregion = \"CN\"\n{rest}");
        parse_site(Path::new(&format!("x/{id}.toml")), &text, Origin::Builtin).unwrap()
    }

    /// A context whose `--root` is `root` itself, with `HOME=<root>/home` and no programs on `PATH`.
    pub fn root_context(root: &Path) -> Context {
        let map: BTreeMap<&str, OsString> =
            [("HOME", root.join("home").into_os_string()), ("PATH", OsString::from("/nonexistent"))].into();
        let overrides = Overrides { root: Some(root.to_path_buf()), ..Overrides::default() };
        Context::from_vars(&overrides, |name| map.get(name).cloned()).unwrap()
    }

    /// Writes `text` at `root/rel`, creating folders, and returns the path.
    pub fn write(root: &Path, rel: &str, text: &str) -> std::path::PathBuf {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A context for a user whose environment is `HOME=<dir>/home` plus `vars`, on a fake
    /// machine whose system files are under `<dir>/root`. Made by hand: `mirror` itself never
    /// reads the environment's user paths under `--root` (they describe the host).
    pub fn context(dir: &Path, vars: &[(&str, String)]) -> Context {
        let mut map: BTreeMap<String, OsString> = BTreeMap::new();
        map.insert("HOME".into(), dir.join("home").into());
        for (k, v) in vars {
            map.insert((*k).into(), v.into());
        }
        let mut ctx = Context::from_vars(&Overrides::default(), |n| map.get(n).cloned()).unwrap();
        ctx.root = dir.join("root");
        ctx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_and_partial_variables_are_overriding_ones_and_never_both() {
        for t in TargetKind::ALL {
            let all = t.overriding_vars();
            for v in t.url_vars().iter().chain(t.partial_vars()) {
                assert!(all.contains(v), "{t}: `{v}` is not in overriding_vars");
            }
            assert!(t.url_vars().iter().all(|v| !t.partial_vars().contains(v)), "{t}");
        }
    }

    #[test]
    fn every_system_target_says_what_it_looked_for() {
        let default = TargetKind::Npm.target().looked_for();
        for t in TargetKind::ALL.into_iter().filter(|t| t.scope() == Scope::System) {
            assert_ne!(t.target().looked_for(), default, "{t}");
        }
    }

    fn host(text: &str, arch: &str) -> Host {
        let mut h = Host { arch: arch.into(), ..Host::default() };
        h.parse_os_release(text);
        h
    }

    #[test]
    fn os_release_families() {
        let deb = host(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
            "amd64",
        );
        assert_eq!((deb.distro(), deb.codename.as_deref()), (Distro::Debian, Some("bookworm")));
        let ubu = host("ID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=noble\nUBUNTU_CODENAME=noble\n", "arm64");
        assert_eq!(ubu.distro(), Distro::Ubuntu);
        assert!(ubu.ubuntu_ports());
        let mint = host(
            "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\nVERSION_CODENAME=virginia\nUBUNTU_CODENAME=jammy\n",
            "amd64",
        );
        assert_eq!((mint.distro(), mint.codename.as_deref()), (Distro::Ubuntu, Some("jammy")));
        let lmde = host("ID=linuxmint\nID_LIKE=debian\nVERSION_CODENAME=faye\nDEBIAN_CODENAME=bookworm\n", "amd64");
        assert_eq!((lmde.distro(), lmde.codename.as_deref()), (Distro::Debian, Some("bookworm")));
        assert_eq!(host("ID=arch\n", "amd64").distro(), Distro::Arch);
        assert_eq!(host("ID=archarm\nID_LIKE=arch\n", "arm64").distro(), Distro::ArchArm);
        assert_eq!(host("ID=fedora\n", "amd64").distro(), Distro::Other);
    }

    #[test]
    fn line_errors_name_the_line() {
        assert_eq!(line_at("a\nb\nc", 2), 2);
        assert_eq!(line_at("a\n", 99), 2, "an offset past the end counts as the end");
        assert_eq!(LineError::at(3, "bad").to_string(), "line 3: bad");
        assert_eq!(LineError::new(None, "bad").to_string(), "bad");
        let e = LineError::spanned("a = 1\nb = [\n", Some(6..7), "bad").into_problem(Path::new("/x.toml"));
        let e = crate::error::render(&e.into());
        assert!(e.contains("could not parse `/x.toml` line 2: bad"), "{e}");
        assert_eq!(parse_toml("a = 1\nb = [\n").unwrap_err().line, Some(2));
    }

    #[test]
    fn the_byte_order_mark_stays_outside_the_edit() {
        let upper = |t: Option<&str>| -> Result<String, LineError> { Ok(t.unwrap_or("new").to_uppercase()) };
        assert_eq!(Bom::Keep.render(Some("\u{feff}a = 1"), upper), Ok(Some("\u{feff}A = 1".into())));
        assert_eq!(Bom::Keep.render(Some("a"), upper), Ok(Some("A".into())));
        assert_eq!(Bom::Keep.render(None, upper), Ok(Some("NEW".into())));
        assert_eq!(Bom::Keep.render(Some("\u{feff}a"), |_| Ok(None)), Ok(None), "no file: no mark either");
        assert_eq!(Bom::Keep.body("\u{feff}a = 1"), Ok("a = 1"));
        let e = Bom::Refuse("pacman").render(Some("\u{feff}a"), upper).unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("starts with a UTF-8 byte-order mark, which pacman cannot read"), "{e}");
        assert_eq!(Bom::Refuse("pacman").body("a\u{feff}"), Ok("a\u{feff}"), "only a leading mark counts");
        assert_eq!(Bom::Refuse("pacman").render(Some("a"), upper), Ok(Some("A".into())));
    }

    #[test]
    fn plans_keep_the_mark_and_name_the_file_in_notes_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = testing::root_context(dir.path());
        let path = testing::write(dir.path(), "f.conf", "\u{feff}a = 1\n");
        let edits = plan_noted(&ctx, path.clone(), |text, notes| {
            notes.push("kept `b`".into());
            Ok(text.unwrap().replace('1', "2"))
        })
        .unwrap();
        assert_eq!(edits[0].after.as_deref(), Some("\u{feff}a = 2\n".as_bytes()));
        assert_eq!(edits[0].before.as_deref(), Some("\u{feff}a = 1\n".as_bytes()));
        assert_eq!(edits[0].notes, [format!("`{}`: kept `b`", path.display())]);
        let current = current_from(&ctx, path.clone(), |text| Ok(Some(text.to_owned()))).unwrap();
        assert_eq!(current.url.as_deref(), Some("a = 1\n"));
        let e = plan_with(&ctx, path.clone(), Bom::Refuse("apk"), |text, _| Ok(text.unwrap().to_owned())).unwrap_err();
        let e = crate::error::render(&e);
        assert!(
            e.contains(&format!(
                "could not parse `{}` line 1: the file starts with a UTF-8 byte-order mark, which apk cannot read",
                path.display()
            )),
            "{e}"
        );
        let missing = dir.path().join("none.conf");
        assert_eq!(current_with(&ctx, missing.clone(), Bom::Refuse("apk"), |_| Ok(None)).unwrap(), Current::default());
        let edits = plan_from(&ctx, missing, |text| Ok(text.map(str::to_owned))).unwrap();
        assert_eq!((edits[0].before.as_deref(), edits[0].after.as_deref(), edits[0].is_change()), (None, None, false));
    }

    #[test]
    fn read_config_refuses_binary_and_reads_links_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = testing::root_context(dir.path());
        let file = dir.path().join("f");
        assert!(read_config(&ctx, &file).unwrap().is_none());
        std::fs::write(&file, b"a\0b").unwrap();
        let e = crate::error::render(&read_config(&ctx, &file).unwrap_err());
        assert!(e.contains("binary data"), "{e}");
        std::fs::write(&file, b"ok\n\xff").unwrap();
        let e = crate::error::render(&read_config(&ctx, &file).unwrap_err());
        assert!(e.contains("line 2") && e.contains("UTF-8"), "{e}");
        std::fs::write(&file, b"ok\n").unwrap();
        let link = dir.path().join("l");
        std::os::unix::fs::symlink("/f", &link).unwrap();
        assert_eq!(read_config(&ctx, &link).unwrap().as_deref(), Some("ok\n"), "`/f` is the root's own `f`");
        let dangling = dir.path().join("d");
        std::os::unix::fs::symlink("/etc/hostname", &dangling).unwrap();
        let e = crate::error::render(&read_config(&ctx, &dangling).unwrap_err());
        assert!(e.contains("is a dangling link: it points to `/etc/hostname`, which does not exist"), "{e}");
        assert!(read_config(&ctx, dir.path()).is_err());
    }

    #[test]
    fn edits_through_links_go_to_the_file_and_unwritable_targets_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = testing::root_context(dir.path());
        let target = testing::write(dir.path(), "root/dotfiles/pip/.config/pip/pip.conf", "[global]\n");
        std::fs::create_dir_all(dir.path().join("root/.config/pip")).unwrap();
        let link = dir.path().join("root/.config/pip/pip.conf");
        std::os::unix::fs::symlink("../../dotfiles/pip/.config/pip/pip.conf", &link).unwrap();
        let change = || edit(link.clone(), Some("[global]\n".into()), "[global]\nindex-url = x\n".to_owned());

        let mut edits = [change(), edit(dir.path().join("plain"), None, "x".to_owned())];
        let through = write_through_links(&ctx, edits.iter_mut().map(|e| (Scope::User, e))).unwrap();
        assert_eq!(through, [ThroughLink { link: link.clone(), target: target.clone() }]);
        assert_eq!(edits[0].path, target, "the edit now names the file itself");
        assert_eq!(edits[1].path, dir.path().join("plain"), "a plain file is left alone");

        let mut same = [change(), change()];
        let e =
            crate::error::render(&write_through_links(&ctx, same.iter_mut().map(|e| (Scope::User, e))).unwrap_err());
        assert!(e.contains("are links to the same file"), "{e}");

        // home-manager: an absolute link into the store (inside the root, as everything).
        let store = testing::write(dir.path(), "nix/store/9x8ry2ab-home-manager-files/.config/pip/pip.conf", "");
        std::fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(Path::new("/").join(store.strip_prefix(dir.path()).unwrap()), &link).unwrap();
        let mut nix = [change()];
        let e = crate::error::render(&write_through_links(&ctx, nix.iter_mut().map(|e| (Scope::User, e))).unwrap_err());
        assert!(e.contains("which is in the Nix store and read-only"), "{e}");
        assert!(e.contains("hint: the file is managed by Nix"), "{e}");
    }
}
