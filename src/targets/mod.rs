//! The package managers `mirror` configures: one module per target.
//!
//! A target knows which files configure it, how to read the URL they point at now, and how to
//! render new contents for a site. Targets never write: they return [`FileEdit`]s, and
//! `crate::apply` writes them atomically behind a journal.

use std::fmt;
use std::io::ErrorKind;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use toml_edit::Document;

use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub mod apt;
pub mod cargo;
pub mod common;
pub mod conda;
pub mod docker;
pub mod pacman;
pub mod pip;
pub mod uv;

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
}

impl TargetKind {
    pub const ALL: [Self; 7] = [Self::Apt, Self::Pacman, Self::Pip, Self::Uv, Self::Conda, Self::Cargo, Self::Docker];

    pub fn name(self) -> &'static str {
        match self {
            Self::Apt => "apt",
            Self::Pacman => "pacman",
            Self::Pip => "pip",
            Self::Uv => "uv",
            Self::Conda => "conda",
            Self::Cargo => "cargo",
            Self::Docker => "docker",
        }
    }

    /// The repositories that can serve this target (any one is enough).
    pub fn repos(self) -> &'static [Repo] {
        match self {
            Self::Apt => &[Repo::Debian, Repo::Ubuntu, Repo::UbuntuPorts],
            Self::Pacman => &[Repo::Archlinux, Repo::Archlinuxarm],
            Self::Pip | Self::Uv => &[Repo::Pypi],
            Self::Conda => &[Repo::Anaconda],
            Self::Cargo => &[Repo::Crates],
            Self::Docker => &[Repo::Dockerhub],
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
        }
    }

    pub fn scope(self) -> Scope {
        match self {
            Self::Apt | Self::Pacman | Self::Docker => Scope::System,
            Self::Pip | Self::Uv | Self::Conda | Self::Cargo => Scope::User,
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
    /// Architecture in Debian spelling (`amd64`, `arm64`, …).
    pub arch: String,
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
    /// Reads `<root>/etc/os-release` (or `<root>/usr/lib/os-release`).
    pub fn detect(ctx: &Context) -> Result<Self> {
        let mut host = Self { arch: ctx.arch.clone(), ..Self::default() };
        for candidate in ["/etc/os-release", "/usr/lib/os-release"] {
            let path = ctx.sys(candidate);
            let Some(text) = read_config(&path)? else {
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

    /// The repository URL of `site` this target would use on this host, in the comparable form
    /// that [`Current::url`] uses, or `None` when the site does not serve it here.
    fn endpoint(&self, site: &Site, host: &Host) -> Option<String>;

    /// Reads the current configuration and renders what it should become for `req`.
    /// Reads files, writes nothing. Edits whose `before == after` mean "already so".
    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>>;

    /// What the configuration points at now.
    fn current(&self, ctx: &Context, host: &Host) -> Result<Current>;
}

/// Reads a config file for editing. `Ok(None)` when it does not exist. Refuses non-regular
/// files, unreadable files and binary content with a clear error (exit 2). A symbolic link is
/// read through (a third-party file in `sources.list.d` may be one); replacing a link is
/// refused separately, by [`refuse_links`], before anything is written.
pub fn read_config(path: &Path) -> Result<Option<String>> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound && std::fs::symlink_metadata(path).is_err() => return Ok(None),
        Err(e) => return Err(unreadable(path, e)),
    };
    if !meta.is_file() {
        return Err(Problem::bad(format!("`{}` is not a regular file", path.display())).into());
    }
    let bytes = std::fs::read(path).map_err(|e| unreadable(path, e))?;
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

/// Refuses edits that would replace a symbolic link: the link would become a plain file and
/// the file it points to would silently keep the old contents.
pub fn refuse_links<'a>(edits: impl IntoIterator<Item = &'a FileEdit>) -> Result<()> {
    for e in edits.into_iter().filter(|e| e.is_change()) {
        if std::fs::symlink_metadata(&e.path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Problem::bad(format!("`{}` is a symbolic link; `mirror` does not replace links", e.path.display()))
                .hint("edit the file the link points to by hand, or replace the link with a regular file; nothing was changed")
                .into());
        }
    }
    Ok(())
}

/// An edit of `path` from its current text (if any) to `after`.
pub fn edit(path: PathBuf, before: Option<String>, after: String) -> FileEdit {
    FileEdit { path, before: before.map(String::into_bytes), after: Some(after.into_bytes()), notes: Vec::new() }
}

/// The edit of a target's one config file at `path`: `render` turns its current text (`None`
/// when the file does not exist) into the wanted one.
pub fn plan_from(
    path: PathBuf,
    render: impl FnOnce(Option<&str>) -> Result<String, LineError>,
) -> Result<Vec<FileEdit>> {
    let before = read_config(&path)?;
    let after = render(before.as_deref()).map_err(|e| e.into_problem(&path))?;
    Ok(vec![edit(path, before, after)])
}

/// What a target with one config file at `path` points at now: `read` finds the URL in its text.
pub fn current_from(path: PathBuf, read: impl FnOnce(&str) -> Result<Option<String>, LineError>) -> Result<Current> {
    let Some(text) = read_config(&path)? else {
        return Ok(Current::default());
    };
    let url = read(&text).map_err(|e| e.into_problem(&path))?;
    Ok(Current { files: vec![path], url })
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
        Context::from_vars(&Overrides { root: Some(root.to_path_buf()), catalog: None }, |name| map.get(name).cloned())
            .unwrap()
    }

    /// Writes `text` at `root/rel`, creating folders, and returns the path.
    pub fn write(root: &Path, rel: &str, text: &str) -> std::path::PathBuf {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A context for a fake machine in `dir`: `--root <dir>/root`, `HOME=<dir>/home`, plus `vars`.
    pub fn context(dir: &Path, vars: &[(&str, String)]) -> Context {
        let mut map: BTreeMap<String, OsString> = BTreeMap::new();
        map.insert("HOME".into(), dir.join("home").into());
        for (k, v) in vars {
            map.insert((*k).into(), v.into());
        }
        let overrides = Overrides { root: Some(dir.join("root")), catalog: None };
        Context::from_vars(&overrides, |n| map.get(n).cloned()).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn read_config_refuses_binary_and_reads_links_through() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        assert!(read_config(&file).unwrap().is_none());
        std::fs::write(&file, b"a\0b").unwrap();
        let e = crate::error::render(&read_config(&file).unwrap_err());
        assert!(e.contains("binary data"), "{e}");
        std::fs::write(&file, b"ok\n\xff").unwrap();
        let e = crate::error::render(&read_config(&file).unwrap_err());
        assert!(e.contains("line 2") && e.contains("UTF-8"), "{e}");
        let link = dir.path().join("l");
        std::fs::write(&file, b"ok\n").unwrap();
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read_config(&link).unwrap().as_deref(), Some("ok\n"), "links are read through");
        let change = edit(link.clone(), Some("ok\n".into()), "new\n".into());
        let e = crate::error::render(&refuse_links(&[change]).unwrap_err());
        assert!(e.contains("symbolic link"), "{e}");
        assert!(refuse_links(&[edit(link, Some("ok\n".into()), "ok\n".into())]).is_ok(), "an unchanged link is fine");
        let dangling = dir.path().join("d");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(read_config(&dangling).is_err(), "a dangling link is not a missing file");
        assert!(read_config(dir.path()).is_err());
    }
}
