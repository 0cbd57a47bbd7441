//! A hermetic environment per test: a temporary root, home and state folder; an environment
//! holding nothing from the host (no `PIP_*`, `SSL_*`, proxies, real `HOME`).
//!
//! The machine is `<tmp>/root` (`MIRROR_ROOT`), so its user files are in root's home inside
//! it, `<tmp>/root/root`; `<tmp>/home` is a link to that folder, and output names it
//! `[TMP]/home`. `HOME` and `XDG_*` point there too, as they would inside the machine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

pub struct TestEnv {
    dir: TempDir,
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("stdout is not one JSON document ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr)
        })
    }
}

impl TestEnv {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new().prefix("mirror-test-").tempdir().unwrap();
        for sub in ["root/etc", "root/root/.config", "root/root/.local/state", "bin"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        std::os::unix::fs::symlink("root/root", dir.path().join("home")).unwrap();
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn root(&self) -> PathBuf {
        self.path().join("root")
    }

    pub fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    /// The binary with a clean environment: only what a test sets is there.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mirror"));
        cmd.env_clear()
            .env("PATH", self.path().join("bin"))
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("XDG_STATE_HOME", self.home().join(".local/state"))
            .env("CARGO_HOME", self.home().join(".cargo"))
            .env("MIRROR_ROOT", self.root())
            .env("MIRROR_NO_PROGRESS", "1")
            .env("NO_COLOR", "1")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("LC_ALL", "C")
            .current_dir(self.path());
        cmd
    }

    /// Runs `mirror ARGS` and captures the outcome.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(&mut self.cmd(), args)
    }

    pub fn run_with(&self, cmd: &mut Command, args: &[&str]) -> Run {
        let out = cmd.args(args).output().unwrap();
        let tmp = self.path().display().to_string();
        let home =
            |bytes: &[u8]| String::from_utf8_lossy(bytes).replace(&format!("{tmp}/root/root"), &format!("{tmp}/home"));
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: home(&out.stdout),
            stderr: home(&out.stderr).replace(&tmp, "[TMP]"),
        }
    }

    /// Writes a file below the temporary folder (`root/etc/...`, `home/...`).
    pub fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path().join(rel).exists()
    }

    /// Every file below the temporary folder with its bytes: compare two of these to prove
    /// that nothing changed.
    pub fn tree(&self) -> Tree {
        let mut out = BTreeMap::new();
        walk(self.path(), self.path(), &mut out);
        Tree(out)
    }
}

/// A snapshot of files; `==` compares bytes, `Debug` lists only the paths.
#[derive(PartialEq, Eq, Clone)]
pub struct Tree(pub BTreeMap<PathBuf, Vec<u8>>);

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (path, bytes) in &self.0 {
            writeln!(f, "{} ({} bytes)", path.display(), bytes.len())?;
        }
        Ok(())
    }
}

impl std::ops::Deref for Tree {
    type Target = BTreeMap<PathBuf, Vec<u8>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl IntoIterator for Tree {
    type Item = (PathBuf, Vec<u8>);
    type IntoIter = std::collections::btree_map::IntoIter<PathBuf, Vec<u8>>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let rel = path.strip_prefix(base).unwrap().to_path_buf();
        if meta.is_dir() {
            out.insert(rel.join(""), Vec::new());
            walk(base, &path, out);
        } else if meta.file_type().is_symlink() {
            out.insert(rel, std::fs::read_link(&path).unwrap().into_os_string().into_encoded_bytes());
        } else {
            out.insert(rel, std::fs::read(&path).unwrap_or_default());
        }
    }
}

/// A loopback-only site file for `--catalog` tests.
pub fn site_file(id: &str, repos: &str) -> String {
    format!(
        "id = \"{id}\"\nname = \"test site {id}\"\nhomepage = \"https://{id}.example/\"\nregion = \"XX\"\nbase = \"https://{id}.example\"\n\n[repos]\n{repos}"
    )
}
