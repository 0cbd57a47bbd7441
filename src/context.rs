//! The one place that reads the environment.
//!
//! Everything the rest of the program needs from the process environment (paths, the invoking
//! user under sudo, overriding variables, the clock, the host architecture) is gathered here
//! into a [`Context`] once, and passed down. Tests build a `Context` by hand or run the binary
//! with a fake environment; no other module calls `std::env::var`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context as _, Result};

use crate::error::Problem;
use crate::fsx;
use crate::targets::TargetKind;

/// Names of the environment variables `mirror` itself reads.
pub mod vars {
    pub const MIRROR_ROOT: &str = "MIRROR_ROOT";
    pub const MIRROR_CATALOG: &str = "MIRROR_CATALOG";
    pub const MIRROR_NO_PROGRESS: &str = "MIRROR_NO_PROGRESS";
    /// Host architecture override in Debian spelling (`amd64`, `arm64`, …), for chroots of
    /// another architecture.
    pub const MIRROR_ARCH: &str = "MIRROR_ARCH";
    /// Test hook (debug builds only): fixed "now" as unix seconds, for deterministic freshness.
    pub const MIRROR_TEST_NOW: &str = "MIRROR_TEST_NOW";
    /// Test hook (debug builds only): the write of a file whose path ends with this fails.
    pub const MIRROR_TEST_FAIL_WRITE: &str = "MIRROR_TEST_FAIL_WRITE";
    /// Test hook (debug builds only): after this many files of a `use` or `restore` were
    /// written, say so on stderr and wait (up to 30 s) for a signal, so that tests can send a
    /// real one (or SIGKILL) at that point.
    pub const MIRROR_TEST_PAUSE_AFTER: &str = "MIRROR_TEST_PAUSE_AFTER";
    /// Test hook (debug builds only): waits there the same way at a named point of a `use` or
    /// `restore`: `marking` (every file written, the writer's last look for a signal behind
    /// it, the journal entry about to be marked) or `done` (the run committed: a signal is
    /// too late to undo anything).
    pub const MIRROR_TEST_PAUSE_AT: &str = "MIRROR_TEST_PAUSE_AT";
    /// Test hook (debug builds only): resolve host names with this DNS server (`IP:PORT`,
    /// a test resolver on loopback) instead of the system's configuration.
    pub const MIRROR_TEST_RESOLVER: &str = "MIRROR_TEST_RESOLVER";
    /// Test hook (debug builds only): under `--root`, read this shell's overriding variables
    /// (`PIP_INDEX_URL`, `GOPROXY`, …) as if the root were this machine, so that tests of
    /// what they do stay inside a test root.
    pub const MIRROR_TEST_SHELL_VARS: &str = "MIRROR_TEST_SHELL_VARS";
    pub const HOME: &str = "HOME";
    pub const XDG_CONFIG_HOME: &str = "XDG_CONFIG_HOME";
    pub const XDG_STATE_HOME: &str = "XDG_STATE_HOME";
    pub const CARGO_HOME: &str = "CARGO_HOME";
    pub const PIP_CONFIG_FILE: &str = "PIP_CONFIG_FILE";
    pub const CONDARC: &str = "CONDARC";
    /// Go's `go env -w` file (`go env GOENV`).
    pub const GOENV: &str = "GOENV";
    /// npm's user config file (`--userconfig`).
    pub const NPM_CONFIG_USERCONFIG: &str = "NPM_CONFIG_USERCONFIG";
    pub const NO_COLOR: &str = "NO_COLOR";
    pub const SUDO_USER: &str = "SUDO_USER";
    pub const PATH: &str = "PATH";
}

/// The user on whose behalf user-level files are written (the invoking user under sudo, or
/// the user whose home inside `--root` is configured).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// Everything `mirror` knows about where it runs. Built once in `main`.
///
/// Without `--root`, user-level files follow the environment (`HOME`, `XDG_*`, `CARGO_HOME`,
/// `PIP_CONFIG_FILE`, `CONDARC`). Under `--root` those variables describe the host, not the
/// machine being configured, so they are not read: the home is root's (`<root>/root`) or,
/// with `--user NAME`, the one `<root>/etc/passwd` gives NAME, with the default locations
/// inside it. Every path is resolved inside the root (see [`crate::fsx::resolve_in`]).
#[derive(Debug, Clone)]
pub struct Context {
    /// Prefix for system files (`/` normally, `--root` for chroots, images and tests).
    pub root: PathBuf,
    /// Home directory of the user the user-level targets act for.
    pub home: PathBuf,
    /// `$XDG_CONFIG_HOME`, else `~/.config`.
    pub config_home: PathBuf,
    /// `$XDG_STATE_HOME`, else `~/.local/state`.
    pub state_home: PathBuf,
    /// `$CARGO_HOME`, else `~/.cargo`.
    pub cargo_home: PathBuf,
    /// `$PIP_CONFIG_FILE` when set.
    pub pip_config_file: Option<PathBuf>,
    /// `$CONDARC` when set.
    pub condarc: Option<PathBuf>,
    /// `$GOENV` when set (Go's `go env -w` file).
    pub goenv: Option<PathBuf>,
    /// `$NPM_CONFIG_USERCONFIG` when set (npm's user `.npmrc`).
    pub npm_userconfig: Option<PathBuf>,
    /// Whether `XDG_CONFIG_HOME` itself is set (Homebrew reads `~/.homebrew/brew.env` otherwise).
    pub xdg_config_set: bool,
    /// Who must own the user-level files when that is not simply the running user: the
    /// invoking user under sudo (`SUDO_USER`), or under `--root` the user whose home is
    /// configured (root, or `--user`), with the uid and gid of the root's `etc/passwd`.
    pub sudo_user: Option<Owner>,
    /// `--catalog` / `MIRROR_CATALOG`: replaces the built-in catalog.
    pub catalog: Option<PathBuf>,
    /// The variables that override a package manager's config file
    /// (`TargetKind::overriding_vars`) that are set.
    pub overrides: BTreeMap<String, String>,
    /// Directories of `$PATH`, used to tell whether a package manager is installed.
    pub path: Vec<PathBuf>,
    /// Architecture in Debian spelling: `MIRROR_ARCH`, else the one `mirror` was built for.
    /// `None` under `--root`: the root's own files tell (see `targets::Host::detect`).
    pub arch: Option<String>,
    /// The current time (fixed under tests).
    pub now: SystemTime,
    /// `MIRROR_NO_PROGRESS` is set.
    pub no_progress: bool,
    /// `NO_COLOR` is set and not empty.
    pub no_color: bool,
    /// Fault injection for tests (see [`vars::MIRROR_TEST_FAIL_WRITE`]).
    pub test_fail_write: Option<String>,
    /// Test hook (see [`vars::MIRROR_TEST_PAUSE_AFTER`]).
    pub test_pause_after: Option<usize>,
    /// Test hook (see [`vars::MIRROR_TEST_PAUSE_AT`]).
    pub test_pause_at: Option<String>,
    /// A test resolver (see [`vars::MIRROR_TEST_RESOLVER`]).
    pub test_resolver: Option<std::net::SocketAddr>,
    /// Files an earlier target of the same `use` plans to write, which later targets read
    /// instead of the disk (see [`Planned`]).
    pub planned: Planned,
    /// The catalog once it has loaded: every command reads it once, however many targets ask.
    pub loaded_catalog: crate::catalog::Loaded,
}

/// What the targets planned so far in one `use`: several targets may edit one file (rustup
/// and Hugging Face `mirror`'s env file and the shell start-up files, npm and pnpm
/// `~/.npmrc`); each later one builds on what the earlier ones will write.
#[derive(Debug, Clone, Default)]
pub struct Planned(std::sync::Arc<std::sync::Mutex<BTreeMap<PathBuf, Option<String>>>>);

impl Planned {
    /// The text planned for `path`: `Some(None)` when it is to be removed.
    pub fn get(&self, path: &Path) -> Option<Option<String>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(path).cloned()
    }

    /// Records what `path` is to hold (`None`: removed).
    pub fn set(&self, path: &Path, text: Option<String>) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(path.to_path_buf(), text);
    }
}

/// Values given on the command line that take precedence over the environment.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub root: Option<PathBuf>,
    pub catalog: Option<PathBuf>,
    /// `--user`: whose home inside `--root`.
    pub user: Option<String>,
}

/// Whether the test hooks (`MIRROR_TEST_*`) work: only in debug builds, the ones the test
/// suite runs. An installed (release) `mirror` ignores them.
const TEST_HOOKS: bool = cfg!(debug_assertions);

/// Where the usual system-wide binaries are, for telling what is installed under `--root`.
const SYSTEM_BIN_DIRS: &[&str] = &["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/// Where installers put tools outside `PATH` (and outside sudo's `secure_path`): conda
/// images' `/opt/conda`, Go's tarball (`/usr/local/go`), Debian's Go, Homebrew on Linux.
const EXTRA_BIN_DIRS: &[&str] =
    &["/opt/conda/bin", "/usr/local/go/bin", "/usr/lib/go/bin", "/home/linuxbrew/.linuxbrew/bin", "/opt/homebrew/bin"];

/// Where user installers put tools, relative to the home: rustup (`~/.cargo/bin`, or
/// `$CARGO_HOME/bin`), uv's installer, pipx and micromamba's (`~/.local/bin`), `pixi global`
/// (`~/.pixi/bin`), the conda distributions' default prefixes, Bun's installer (`~/.bun/bin`),
/// Homebrew in the home (`~/.linuxbrew/bin`), pnpm's and Yarn's installers, and `go install`.
const USER_BIN_DIRS: &[&str] = &[
    ".cargo/bin",
    ".local/bin",
    ".pixi/bin",
    "miniconda3/bin",
    "miniforge3/bin",
    "mambaforge/bin",
    "anaconda3/bin",
    ".bun/bin",
    ".linuxbrew/bin",
    ".local/share/pnpm",
    ".yarn/bin",
    "go/bin",
];

impl Context {
    /// Reads the process environment.
    pub fn from_env(cli: &Overrides) -> Result<Self> {
        Self::from_vars(cli, |name| std::env::var_os(name))
    }

    /// Builds a context from any variable source (the process environment or a test map).
    pub fn from_vars(cli: &Overrides, get: impl Fn(&str) -> Option<OsString>) -> Result<Self> {
        Self::build(cli, get, TEST_HOOKS)
    }

    fn build(cli: &Overrides, get: impl Fn(&str) -> Option<OsString>, test_hooks: bool) -> Result<Self> {
        let var = |name: &str| get(name).filter(|v| !v.is_empty());
        let var_path = |name: &str| var(name).map(PathBuf::from);
        let hook = |name: &str| var(name).filter(|_| test_hooks);

        let root = cli.root.clone().or_else(|| var_path(vars::MIRROR_ROOT)).unwrap_or_else(|| "/".into());
        let root = std::path::absolute(&root).with_context(|| format!("could not resolve `{}`", root.display()))?;
        let catalog = cli.catalog.clone().or_else(|| var_path(vars::MIRROR_CATALOG));
        let real_root = root == Path::new("/");

        let user = if real_root {
            if let Some(name) = &cli.user {
                return Err(Problem::bad(format!("`--user {name}` needs `--root`"))
                    .hint("`--user` picks a home inside the machine given with `--root`; on this machine, run `mirror` as that user (or with `sudo` from that user)")
                    .into());
            }
            UserFiles::from_env(&var_path)?
        } else {
            UserFiles::in_root(&root, cli.user.as_deref())?
        };

        // The variables that override a package manager's file describe this shell, not the
        // machine under `--root`: there they are not read.
        let overrides = if real_root || hook(vars::MIRROR_TEST_SHELL_VARS).is_some() {
            TargetKind::ALL
                .iter()
                .flat_map(|t| t.overriding_vars())
                .filter_map(|name| var(name).map(|v| ((*name).to_owned(), v.to_string_lossy().into_owned())))
                .collect()
        } else {
            BTreeMap::new()
        };

        let path = var(vars::PATH).map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
        let arch = match var(vars::MIRROR_ARCH) {
            Some(a) => Some(a.to_string_lossy().into_owned()),
            None if real_root => Some(debian_arch(std::env::consts::ARCH).to_owned()),
            None => None,
        };

        let now = match hook(vars::MIRROR_TEST_NOW) {
            Some(v) => {
                let secs: u64 = v.to_string_lossy().parse().context("`MIRROR_TEST_NOW` must be unix seconds")?;
                SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
            }
            None => SystemTime::now(),
        };

        let resolved = |p: PathBuf| resolved(&root, p);
        Ok(Self {
            home: resolved(user.home),
            config_home: resolved(user.config_home),
            state_home: resolved(user.state_home),
            cargo_home: resolved(user.cargo_home),
            pip_config_file: user.pip_config_file.map(resolved),
            condarc: user.condarc.map(resolved),
            goenv: user.goenv.map(resolved),
            npm_userconfig: user.npm_userconfig.map(resolved),
            xdg_config_set: user.xdg_config_set,
            sudo_user: user.owner,
            root,
            catalog,
            overrides,
            path,
            arch,
            now,
            no_progress: var(vars::MIRROR_NO_PROGRESS).is_some(),
            no_color: var(vars::NO_COLOR).is_some(),
            // Fault injection exists only in debug builds (the tests); a release binary ignores it.
            test_fail_write: hook(vars::MIRROR_TEST_FAIL_WRITE).map(|v| v.to_string_lossy().into_owned()),
            test_pause_after: hook(vars::MIRROR_TEST_PAUSE_AFTER).and_then(|v| v.to_string_lossy().parse().ok()),
            test_pause_at: hook(vars::MIRROR_TEST_PAUSE_AT).map(|v| v.to_string_lossy().into_owned()),
            test_resolver: hook(vars::MIRROR_TEST_RESOLVER)
                .map(|v| v.to_string_lossy().parse().context("`MIRROR_TEST_RESOLVER` must be IP:PORT"))
                .transpose()?,
            planned: Planned::default(),
            loaded_catalog: Default::default(),
        })
    }

    /// A system path (`/etc/...`) under the root, with every link on the way resolved inside
    /// the root. A dangling link is left as it is, so that reading it names it.
    pub fn sys(&self, absolute: &str) -> PathBuf {
        resolved(&self.root, self.root.join(absolute.trim_start_matches('/')))
    }

    /// Resolves `path` inside the root (see [`fsx::resolve_in`]).
    pub fn resolve(&self, path: &Path) -> Result<fsx::Resolved> {
        fsx::resolve_in(&self.root, path)
    }

    /// Whether `mirror` acts on the real system (no `--root`).
    pub fn is_real_root(&self) -> bool {
        self.root == Path::new("/")
    }

    /// Directory of user-added site files.
    pub fn user_catalog_dir(&self) -> PathBuf {
        self.config_home.join("mirror/mirrors")
    }

    /// `mirror`'s own settings (see `config.rs`).
    pub fn user_config_file(&self) -> PathBuf {
        self.config_home.join("mirror/config.toml")
    }

    /// Journal directory for system files.
    pub fn system_journal_dir(&self) -> PathBuf {
        self.sys("/var/lib/mirror/journal")
    }

    /// Journal directory for user files.
    pub fn user_journal_dir(&self) -> PathBuf {
        self.state_home.join("mirror/journal")
    }

    /// Where `bench` keeps its last results.
    pub fn bench_cache(&self) -> PathBuf {
        self.state_home.join("mirror/bench.json")
    }

    /// Whether an executable named `name` is installed: on `PATH` (under `--root`, in the
    /// root's usual binary directories), or where installers put tools that `PATH` may not
    /// show (under sudo, `secure_path` hides the invoking user's): in the home the user-level
    /// targets act for (`~/.cargo/bin`, `~/.local/bin`, `~/miniconda3/bin`, …) and
    /// `/opt/conda/bin`.
    pub fn has_program(&self, name: &str) -> bool {
        let system: Vec<PathBuf> = if self.is_real_root() {
            self.path.clone()
        } else {
            SYSTEM_BIN_DIRS.iter().map(|dir| self.root.join(dir.trim_start_matches('/'))).collect()
        };
        system
            .into_iter()
            .chain(self.installer_dirs())
            .any(|dir| self.resolve(&dir.join(name)).is_ok_and(|r| r.path.is_file()))
    }

    /// Where installers put tools that `PATH` may not show: `/opt/conda/bin` and the like (in
    /// the root), `~/.cargo/bin`, `~/.local/bin`, `~/miniconda3/bin`, … (in the home the
    /// user-level targets act for).
    fn installer_dirs(&self) -> impl Iterator<Item = PathBuf> + '_ {
        let extra = EXTRA_BIN_DIRS.iter().map(|dir| self.root.join(dir.trim_start_matches('/')));
        let user = std::iter::once(self.cargo_home.join("bin")).chain(USER_BIN_DIRS.iter().map(|d| self.home.join(d)));
        extra.chain(user)
    }

    /// The executable `name` that `mirror use --verify` runs to check a target's new
    /// config: on `PATH`, or (without `--root`) where installers put tools `PATH` may not
    /// show, as [`Context::has_program`] looks. Under `--root` it is this machine's own
    /// program (from `PATH`), which is given the root's files: the root's programs may not
    /// run outside it.
    pub fn find_program(&self, name: &str) -> Option<PathBuf> {
        let mut dirs = self.path.clone();
        if self.is_real_root() {
            dirs.extend(self.installer_dirs());
        }
        dirs.into_iter().map(|dir| dir.join(name)).find(|p| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    }
}

/// `path` resolved inside `root`; as it is when a link on the way dangles or it cannot be
/// resolved (reading it then says why).
fn resolved(root: &Path, path: PathBuf) -> PathBuf {
    match fsx::resolve_in(root, &path) {
        Ok(r) if r.dangling.is_none() => r.path,
        _ => path,
    }
}

/// Where the user-level files are, and who owns them.
struct UserFiles {
    home: PathBuf,
    config_home: PathBuf,
    state_home: PathBuf,
    cargo_home: PathBuf,
    pip_config_file: Option<PathBuf>,
    condarc: Option<PathBuf>,
    goenv: Option<PathBuf>,
    npm_userconfig: Option<PathBuf>,
    xdg_config_set: bool,
    owner: Option<Owner>,
}

impl UserFiles {
    /// The default locations in `home`.
    fn in_home(home: PathBuf, owner: Option<Owner>) -> Self {
        Self {
            config_home: home.join(".config"),
            state_home: home.join(".local/state"),
            cargo_home: home.join(".cargo"),
            home,
            pip_config_file: None,
            condarc: None,
            goenv: None,
            npm_userconfig: None,
            xdg_config_set: false,
            owner,
        }
    }

    /// This machine: the environment says where. Under sudo, the files are the invoking
    /// user's, and a variable is trusted only when what it names belongs to that user.
    fn from_env(var_path: &impl Fn(&str) -> Option<PathBuf>) -> Result<Self> {
        let sudo_user = match var_path(vars::SUDO_USER) {
            Some(name) if nix::unistd::geteuid().is_root() => Some(sudo_account(&name.to_string_lossy())?),
            _ => None,
        };
        let Some(account) = sudo_user else {
            let home = match var_path(vars::HOME) {
                Some(home) => home,
                None => dirs::home_dir().context("could not find the home directory: `HOME` is not set")?,
            };
            let mut files = Self::in_home(home, None);
            files.apply_env(var_path, |_| true);
            return Ok(files);
        };
        // sudo keeps or resets `HOME` depending on its configuration: use it only when it is
        // the user's own home.
        let home = match var_path(vars::HOME) {
            Some(home) if home == account.home || owner_uid(&home) == Some(account.owner.uid) => home,
            _ if account.home.is_dir() => account.home.clone(),
            _ => {
                return Err(Problem::bad(format!(
                    "the home folder of `SUDO_USER` `{}`, `{}`, does not exist",
                    account.owner.name,
                    account.home.display()
                ))
                .hint("run `mirror` from a user that has a home, or unset `SUDO_USER` to configure root's own files")
                .into());
            }
        };
        let uid = account.owner.uid;
        let mut files = Self::in_home(home, Some(account.owner));
        files.apply_env(var_path, |path| owner_uid(path) == Some(uid));
        Ok(files)
    }

    /// `XDG_CONFIG_HOME`, `XDG_STATE_HOME`, `CARGO_HOME`, `PIP_CONFIG_FILE`, `CONDARC`, each
    /// when set and `trusted`.
    fn apply_env(&mut self, var_path: &impl Fn(&str) -> Option<PathBuf>, trusted: impl Fn(&Path) -> bool) {
        let get = |name: &str| var_path(name).filter(|p| trusted(p));
        if let Some(p) = get(vars::XDG_CONFIG_HOME) {
            self.config_home = p;
            self.xdg_config_set = true;
        }
        if let Some(p) = get(vars::XDG_STATE_HOME) {
            self.state_home = p;
        }
        if let Some(p) = get(vars::CARGO_HOME) {
            self.cargo_home = p;
        }
        self.pip_config_file = get(vars::PIP_CONFIG_FILE);
        self.condarc = get(vars::CONDARC);
        self.goenv = get(vars::GOENV).filter(|p| p != Path::new("off"));
        self.npm_userconfig = get(vars::NPM_CONFIG_USERCONFIG);
    }

    /// The machine under `root`: the home of `user` (default root) per `<root>/etc/passwd`.
    fn in_root(root: &Path, user: Option<&str>) -> Result<Self> {
        let account = root_account(root, user.unwrap_or("root"), user.is_some())?;
        let home = root.join(account.home.strip_prefix("/").unwrap_or(&account.home));
        Ok(Self::in_home(home, Some(account.owner)))
    }
}

/// A user account: who, and where their home is.
struct Account {
    owner: Owner,
    home: PathBuf,
}

/// `SUDO_USER` from this machine's user database.
fn sudo_account(name: &str) -> Result<Account> {
    let user = nix::unistd::User::from_name(name).with_context(|| format!("could not look up `SUDO_USER` `{name}`"))?;
    let Some(u) = user else {
        return Err(Problem::bad(format!("`SUDO_USER` is `{name}`, but this machine has no such user"))
            .hint("run `mirror` through `sudo` from your own account, or unset `SUDO_USER` to configure root's own files; nothing was changed")
            .into());
    };
    Ok(Account { owner: Owner { name: u.name, uid: u.uid.as_raw(), gid: u.gid.as_raw() }, home: u.dir })
}

/// `name` from `<root>/etc/passwd`. Root needs no entry (an image may have no passwd yet);
/// a user named with `--user` must have one.
fn root_account(root: &Path, name: &str, named: bool) -> Result<Account> {
    let literal = root.join("etc/passwd");
    let passwd = fsx::resolve_in(root, &literal)?;
    if let Some(d) = passwd.dangling {
        return Err(d.problem().into());
    }
    let text = match std::fs::read_to_string(&passwd.path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(crate::error::with_permission_hint(e, &literal, "read")),
    };
    if let Some(text) = &text {
        for (n, line) in text.lines().enumerate() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.first() != Some(&name) {
                continue;
            }
            let id = |i: usize| fields.get(i).and_then(|f| f.parse::<u32>().ok());
            let (Some(uid), Some(gid), Some(home)) = (id(2), id(3), fields.get(5).filter(|h| h.starts_with('/')))
            else {
                return Err(Problem::parse(
                    &literal,
                    Some(n + 1),
                    format!("the entry of `{name}` is not `name:x:uid:gid:gecos:home:shell`"),
                )
                .into());
            };
            return Ok(Account { owner: Owner { name: name.to_owned(), uid, gid }, home: PathBuf::from(home) });
        }
    }
    if !named {
        return Ok(Account { owner: Owner { name: "root".into(), uid: 0, gid: 0 }, home: "/root".into() });
    }
    let why = if text.is_some() { "has no user" } else { "does not exist, so it names no user" };
    Err(Problem::bad(format!("`{}` {why} `{name}`", literal.display()))
        .hint("name a user of that machine with `--user`, or leave `--user` out to configure root's home there; nothing was changed")
        .into())
}

/// The owner of `path`, or of the nearest folder above it that exists.
fn owner_uid(path: &Path) -> Option<u32> {
    path.ancestors().find_map(|p| std::fs::metadata(p).ok()).map(|m| std::os::unix::fs::MetadataExt::uid(&m))
}

/// Maps Rust's architecture names to Debian's.
pub fn debian_arch(rust_arch: &str) -> &str {
    match rust_arch {
        "x86_64" => "amd64",
        "x86" => "i386",
        "aarch64" => "arm64",
        "arm" => "armhf",
        "powerpc64" => "ppc64el",
        "riscv64" => "riscv64",
        "s390x" => "s390x",
        "loongarch64" => "loong64",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(pairs: &[(&str, &str)]) -> Context {
        let map: BTreeMap<String, OsString> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        Context::from_vars(&Overrides::default(), |n| map.get(n).cloned()).unwrap()
    }

    #[test]
    fn defaults_follow_home() {
        let c = ctx(&[("HOME", "/h")]);
        assert_eq!(c.config_home, Path::new("/h/.config"));
        assert_eq!(c.state_home, Path::new("/h/.local/state"));
        assert_eq!(c.cargo_home, Path::new("/h/.cargo"));
        assert_eq!(c.root, Path::new("/"));
        assert!(c.pip_config_file.is_none());
    }

    #[test]
    fn explicit_vars_win_and_empty_ones_are_ignored() {
        let c = ctx(&[
            ("HOME", "/h"),
            ("XDG_CONFIG_HOME", "/x"),
            ("CARGO_HOME", ""),
            ("PIP_INDEX_URL", "https://p/simple"),
            ("MIRROR_ARCH", "arm64"),
            ("MIRROR_TEST_NOW", "1000"),
        ]);
        assert_eq!(c.config_home, Path::new("/x"));
        assert_eq!(c.cargo_home, Path::new("/h/.cargo"));
        assert_eq!(c.overrides.get("PIP_INDEX_URL").map(String::as_str), Some("https://p/simple"));
        assert_eq!(c.arch.as_deref(), Some("arm64"));
        assert_eq!(c.now, SystemTime::UNIX_EPOCH + Duration::from_secs(1000));
    }

    #[test]
    fn command_line_beats_environment() {
        let map: BTreeMap<&str, &str> = [("HOME", "/h"), ("MIRROR_ROOT", "/env")].into();
        let cli = Overrides { root: Some("/cli".into()), ..Overrides::default() };
        let c = Context::from_vars(&cli, |n| map.get(n).map(Into::into)).unwrap();
        assert_eq!(c.root, Path::new("/cli"));
    }

    /// The host's user paths, all set, none of which `--root` may use.
    const HOST_VARS: &[(&str, &str)] = &[
        ("HOME", "/home/builder"),
        ("XDG_CONFIG_HOME", "/home/builder/.config"),
        ("XDG_STATE_HOME", "/home/builder/.local/state"),
        ("CARGO_HOME", "/home/builder/.cargo"),
        ("PIP_CONFIG_FILE", "/home/builder/pip.conf"),
        ("CONDARC", "/home/builder/.condarc"),
    ];

    #[test]
    fn under_root_the_hosts_user_paths_are_not_used() {
        let mut vars = HOST_VARS.to_vec();
        vars.push(("MIRROR_ROOT", "/srv/chroot"));
        let c = ctx(&vars);
        assert_eq!(c.sys("/etc/apt/sources.list"), Path::new("/srv/chroot/etc/apt/sources.list"));
        assert_eq!(c.home, Path::new("/srv/chroot/root"), "root's home inside the root");
        assert_eq!(c.config_home, Path::new("/srv/chroot/root/.config"));
        assert_eq!(c.state_home, Path::new("/srv/chroot/root/.local/state"));
        assert_eq!(c.cargo_home, Path::new("/srv/chroot/root/.cargo"));
        assert_eq!((c.pip_config_file, c.condarc), (None, None));
        assert_eq!(c.sudo_user, Some(Owner { name: "root".into(), uid: 0, gid: 0 }));
        assert_eq!(c.arch, None, "the root's own files tell its architecture, not this machine");
    }

    /// `etc/passwd` of a stock Ubuntu 24.04 cloud image, plus one user.
    const UBUNTU_PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
        bin:x:2:2:bin:/bin:/usr/sbin/nologin\nsys:x:3:3:sys:/dev:/usr/sbin/nologin\n\
        nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n\
        systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin\n\
        ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\ndev:x:1001:1002:,,,:/srv/dev:/bin/bash\n";

    fn in_root(root: &Path, user: Option<&str>) -> Result<Context> {
        let map: BTreeMap<&str, &str> = HOST_VARS.iter().copied().collect();
        let cli = Overrides { root: Some(root.to_path_buf()), user: user.map(str::to_owned), ..Overrides::default() };
        Context::from_vars(&cli, |n| map.get(n).map(Into::into))
    }

    #[test]
    fn user_picks_a_home_and_owner_from_the_roots_passwd() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("etc/passwd"), UBUNTU_PASSWD).unwrap();
        let c = in_root(root, Some("ubuntu")).unwrap();
        assert_eq!(c.home, root.join("home/ubuntu"));
        assert_eq!(c.cargo_home, root.join("home/ubuntu/.cargo"));
        assert_eq!(c.sudo_user, Some(Owner { name: "ubuntu".into(), uid: 1000, gid: 1000 }));
        let dev = in_root(root, Some("dev")).unwrap();
        assert_eq!((dev.home, dev.sudo_user.map(|o| o.gid)), (root.join("srv/dev"), Some(1002)), "home as passwd says");

        let e = crate::error::render(&in_root(root, Some("alice")).unwrap_err());
        assert!(e.contains(&format!("`{}/etc/passwd` has no user `alice`", root.display())), "{e}");
        assert!(e.contains("hint: name a user of that machine with `--user`"), "{e}");
        std::fs::write(
            root.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/bash\nubuntu:x:oops:1000::/home/ubuntu:/bin/sh\n",
        )
        .unwrap();
        let e = crate::error::render(&in_root(root, Some("ubuntu")).unwrap_err());
        assert!(e.contains("line 2"), "{e}");

        std::fs::remove_file(root.join("etc/passwd")).unwrap();
        assert_eq!(in_root(root, None).unwrap().home, root.join("root"), "an image without passwd still has root");
        let e = crate::error::render(&in_root(root, Some("ubuntu")).unwrap_err());
        assert!(e.contains("does not exist, so it names no user `ubuntu`"), "{e}");
    }

    #[test]
    fn user_without_root_is_an_error() {
        let map: BTreeMap<&str, &str> = [("HOME", "/h")].into();
        let cli = Overrides { user: Some("ubuntu".into()), ..Overrides::default() };
        let e = crate::error::render(&Context::from_vars(&cli, |n| map.get(n).map(Into::into)).unwrap_err());
        assert!(e.contains("`--user ubuntu` needs `--root`"), "{e}");
    }

    #[test]
    fn the_roots_passwd_is_read_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("usr/share/base-passwd")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("usr/share/base-passwd/passwd"), UBUNTU_PASSWD).unwrap();
        // An absolute link: inside the root it names the root's own file, not the host's.
        std::os::unix::fs::symlink("/usr/share/base-passwd/passwd", root.join("etc/passwd")).unwrap();
        assert_eq!(in_root(&root, Some("ubuntu")).unwrap().home, root.join("home/ubuntu"));
    }

    /// Every test hook, set.
    const HOOKS: &[(&str, &str)] = &[
        ("HOME", "/h"),
        ("MIRROR_TEST_NOW", "1000"),
        ("MIRROR_TEST_FAIL_WRITE", "pip.conf"),
        ("MIRROR_TEST_PAUSE_AFTER", "1"),
        ("MIRROR_TEST_PAUSE_AT", "marking"),
        ("MIRROR_TEST_RESOLVER", "127.0.0.1:53"),
    ];

    #[test]
    fn test_hooks_work_only_when_enabled() {
        let map: BTreeMap<&str, &str> = HOOKS.iter().copied().collect();
        let get = |n: &str| map.get(n).map(Into::into);
        let off = Context::build(&Overrides::default(), get, false).unwrap();
        assert_ne!(off.now, SystemTime::UNIX_EPOCH + Duration::from_secs(1000), "the clock is the real one");
        assert_eq!((off.test_fail_write, off.test_pause_after, off.test_resolver), (None, None, None));
        assert_eq!(off.test_pause_at, None);
        let on = Context::build(&Overrides::default(), get, true).unwrap();
        assert_eq!(on.now, SystemTime::UNIX_EPOCH + Duration::from_secs(1000));
        assert_eq!((on.test_fail_write.as_deref(), on.test_pause_after), (Some("pip.conf"), Some(1)));
        assert_eq!(on.test_pause_at.as_deref(), Some("marking"));
        assert_eq!(on.test_resolver, Some("127.0.0.1:53".parse().unwrap()));
        let built = Context::from_vars(&Overrides::default(), get).unwrap();
        assert_eq!(built.test_fail_write.is_some(), cfg!(debug_assertions));
    }

    #[test]
    fn bad_test_clock_is_an_error() {
        let map: BTreeMap<&str, &str> = [("HOME", "/h"), ("MIRROR_TEST_NOW", "soon")].into();
        assert!(Context::from_vars(&Overrides::default(), |n| map.get(n).map(Into::into)).is_err());
    }
}
