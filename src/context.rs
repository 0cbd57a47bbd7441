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

/// Names of the environment variables `mirror` itself reads.
pub mod vars {
    pub const MIRROR_ROOT: &str = "MIRROR_ROOT";
    pub const MIRROR_CATALOG: &str = "MIRROR_CATALOG";
    pub const MIRROR_NO_PROGRESS: &str = "MIRROR_NO_PROGRESS";
    /// Host architecture override in Debian spelling (`amd64`, `arm64`, …), for chroots of
    /// another architecture.
    pub const MIRROR_ARCH: &str = "MIRROR_ARCH";
    /// Fixed "now" as unix seconds; used by tests to make freshness deterministic.
    pub const MIRROR_TEST_NOW: &str = "MIRROR_TEST_NOW";
    /// Test hook (debug builds only): the write of a file whose path ends with this fails.
    pub const MIRROR_TEST_FAIL_WRITE: &str = "MIRROR_TEST_FAIL_WRITE";
    /// Test hook (debug builds only): after this many files of a `use` or `restore` were
    /// written, say so on stderr and wait (up to 30 s) for a signal, so that tests can send a
    /// real one (or SIGKILL) at that point.
    pub const MIRROR_TEST_PAUSE_AFTER: &str = "MIRROR_TEST_PAUSE_AFTER";
    pub const HOME: &str = "HOME";
    pub const XDG_CONFIG_HOME: &str = "XDG_CONFIG_HOME";
    pub const XDG_STATE_HOME: &str = "XDG_STATE_HOME";
    pub const CARGO_HOME: &str = "CARGO_HOME";
    pub const PIP_CONFIG_FILE: &str = "PIP_CONFIG_FILE";
    pub const CONDARC: &str = "CONDARC";
    pub const NO_COLOR: &str = "NO_COLOR";
    pub const SUDO_USER: &str = "SUDO_USER";
    pub const PATH: &str = "PATH";
}

/// Environment variables that override what a package manager reads from its config file
/// (the union of `TargetKind::overriding_vars`). `status` reports the ones that are set.
pub const OVERRIDING_VARS: &[&str] = &[
    "PIP_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_INDEX_URL",
    "UV_CONFIG_FILE",
    "UV_NO_CONFIG",
    "CONDA_CHANNELS",
    "CONDA_DEFAULT_CHANNELS",
    "CONDA_CHANNEL_ALIAS",
    "CARGO_SOURCE_CRATES_IO_REPLACE_WITH",
];

/// The user on whose behalf user-level files are written (the invoking user under sudo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// Everything `mirror` knows about where it runs. Built once in `main`.
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
    /// Under sudo: the invoking user, who must keep owning their files.
    pub sudo_user: Option<Owner>,
    /// `--catalog` / `MIRROR_CATALOG`: replaces the built-in catalog.
    pub catalog: Option<PathBuf>,
    /// Overriding variables that are set (see [`OVERRIDING_VARS`]).
    pub overrides: BTreeMap<String, String>,
    /// Directories of `$PATH`, used to tell whether a package manager is installed.
    pub path: Vec<PathBuf>,
    /// Host architecture in Debian spelling.
    pub arch: String,
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
}

/// Values given on the command line that take precedence over the environment.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub root: Option<PathBuf>,
    pub catalog: Option<PathBuf>,
}

impl Context {
    /// Reads the process environment.
    pub fn from_env(cli: &Overrides) -> Result<Self> {
        Self::from_vars(cli, |name| std::env::var_os(name))
    }

    /// Builds a context from any variable source (the process environment or a test map).
    pub fn from_vars(cli: &Overrides, get: impl Fn(&str) -> Option<OsString>) -> Result<Self> {
        let var = |name: &str| get(name).filter(|v| !v.is_empty());
        let var_path = |name: &str| var(name).map(PathBuf::from);

        let root = cli.root.clone().or_else(|| var_path(vars::MIRROR_ROOT)).unwrap_or_else(|| "/".into());
        let catalog = cli.catalog.clone().or_else(|| var_path(vars::MIRROR_CATALOG));

        let sudo_user = match var(vars::SUDO_USER) {
            Some(name) if nix::unistd::geteuid().is_root() => lookup_user(&name.to_string_lossy())?,
            _ => None,
        };

        // Under sudo, HOME is often reset to root's; the user-level files belong to the
        // invoking user, so take their home from the password database then.
        let env_home = var_path(vars::HOME);
        let home = match (&sudo_user, env_home) {
            (Some(user), home) if home.as_deref().is_none_or(|h| h == Path::new("/root")) => {
                user_home(&user.name).context("could not find the home directory of `SUDO_USER`")?
            }
            (_, Some(home)) => home,
            (_, None) => dirs::home_dir().context("could not find the home directory: `HOME` is not set")?,
        };
        let config_home = var_path(vars::XDG_CONFIG_HOME).unwrap_or_else(|| home.join(".config"));
        let state_home = var_path(vars::XDG_STATE_HOME).unwrap_or_else(|| home.join(".local/state"));
        let cargo_home = var_path(vars::CARGO_HOME).unwrap_or_else(|| home.join(".cargo"));

        let overrides = OVERRIDING_VARS
            .iter()
            .filter_map(|name| var(name).map(|v| ((*name).to_owned(), v.to_string_lossy().into_owned())))
            .collect();

        let path = var(vars::PATH).map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
        let arch = var(vars::MIRROR_ARCH)
            .map(|a| a.to_string_lossy().into_owned())
            .unwrap_or_else(|| debian_arch(std::env::consts::ARCH).to_owned());

        let now = match var(vars::MIRROR_TEST_NOW) {
            Some(v) => {
                let secs: u64 = v.to_string_lossy().parse().context("`MIRROR_TEST_NOW` must be unix seconds")?;
                SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
            }
            None => SystemTime::now(),
        };

        Ok(Self {
            root,
            home,
            config_home,
            state_home,
            cargo_home,
            pip_config_file: var_path(vars::PIP_CONFIG_FILE),
            condarc: var_path(vars::CONDARC),
            sudo_user,
            catalog,
            overrides,
            path,
            arch,
            now,
            no_progress: var(vars::MIRROR_NO_PROGRESS).is_some(),
            no_color: var(vars::NO_COLOR).is_some(),
            // Fault injection exists only in debug builds (the tests); a release binary ignores it.
            test_fail_write: var(vars::MIRROR_TEST_FAIL_WRITE)
                .filter(|_| cfg!(debug_assertions))
                .map(|v| v.to_string_lossy().into_owned()),
            test_pause_after: var(vars::MIRROR_TEST_PAUSE_AFTER)
                .filter(|_| cfg!(debug_assertions))
                .and_then(|v| v.to_string_lossy().parse().ok()),
        })
    }

    /// A system path (`/etc/...`) under the root.
    pub fn sys(&self, absolute: &str) -> PathBuf {
        self.root.join(absolute.trim_start_matches('/'))
    }

    /// Whether `mirror` acts on the real system (no `--root`).
    pub fn is_real_root(&self) -> bool {
        self.root == Path::new("/")
    }

    /// Directory of user-added site files.
    pub fn user_catalog_dir(&self) -> PathBuf {
        self.config_home.join("mirror/mirrors")
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

    /// Whether an executable named `name` is on `PATH` (or, under `--root`, in the root's
    /// usual binary directories).
    pub fn has_program(&self, name: &str) -> bool {
        if !self.is_real_root() {
            return ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"]
                .iter()
                .any(|dir| self.sys(dir).join(name).is_file());
        }
        self.path.iter().any(|dir| dir.join(name).is_file())
    }
}

fn lookup_user(name: &str) -> Result<Option<Owner>> {
    let user = nix::unistd::User::from_name(name).with_context(|| format!("could not look up `SUDO_USER` `{name}`"))?;
    Ok(user.map(|u| Owner { name: u.name, uid: u.uid.as_raw(), gid: u.gid.as_raw() }))
}

fn user_home(name: &str) -> Option<PathBuf> {
    nix::unistd::User::from_name(name).ok().flatten().map(|u| u.dir)
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
            ("MIRROR_ROOT", "/r"),
            ("PIP_INDEX_URL", "https://p/simple"),
            ("MIRROR_ARCH", "arm64"),
            ("MIRROR_TEST_NOW", "1000"),
        ]);
        assert_eq!(c.config_home, Path::new("/x"));
        assert_eq!(c.cargo_home, Path::new("/h/.cargo"));
        assert_eq!(c.sys("/etc/apt/sources.list"), Path::new("/r/etc/apt/sources.list"));
        assert_eq!(c.overrides.get("PIP_INDEX_URL").map(String::as_str), Some("https://p/simple"));
        assert_eq!(c.arch, "arm64");
        assert_eq!(c.now, SystemTime::UNIX_EPOCH + Duration::from_secs(1000));
    }

    #[test]
    fn command_line_beats_environment() {
        let map: BTreeMap<&str, &str> = [("HOME", "/h"), ("MIRROR_ROOT", "/env")].into();
        let cli = Overrides { root: Some("/cli".into()), catalog: None };
        let c = Context::from_vars(&cli, |n| map.get(n).map(Into::into)).unwrap();
        assert_eq!(c.root, Path::new("/cli"));
    }

    #[test]
    fn bad_test_clock_is_an_error() {
        let map: BTreeMap<&str, &str> = [("HOME", "/h"), ("MIRROR_TEST_NOW", "soon")].into();
        assert!(Context::from_vars(&Overrides::default(), |n| map.get(n).map(Into::into)).is_err());
    }
}
