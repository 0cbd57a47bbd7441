//! The journal: before `use` changes anything, it records each file's original bytes, mode,
//! owner and whether it existed, so `restore` can give back the exact bytes.
//!
//! System files are journaled under `<root>/var/lib/mirror/journal/`, user files under
//! `$XDG_STATE_HOME/mirror/journal/`. One `use` makes one entry id, present in one or both
//! folders. An entry is a folder `<id>/` holding `manifest.json` and the saved bytes; it is
//! readable only by its owner (mode 0700/0600).

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use crate::context::{Context, Owner};
use crate::error::Problem;
use crate::fsx::{self, NewFile};
use crate::targets::{Scope, TargetKind};

/// The state of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Written before the first change; the `use` has not finished.
    Pending,
    /// The `use` finished; `restore` may undo it.
    Complete,
    /// The `use` failed or was interrupted and every file was put back.
    RolledBack,
    /// `restore` gave the original bytes back.
    Restored,
}

/// One file as it was before a `use` and as the `use` left it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileRecord {
    pub target: TargetKind,
    pub path: PathBuf,
    pub existed: bool,
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// Saved original bytes, relative to the entry folder.
    pub before: Option<String>,
    /// Saved bytes the `use` wrote (absent when it removed the file).
    pub after: Option<String>,
    /// Other targets whose edits of this one file the `use` wrote together with `target`'s
    /// (`mirror`'s env file for rustup and Hugging Face, `~/.npmrc` for npm and pnpm).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<TargetKind>,
}

impl FileRecord {
    /// Whether this file was changed for `target`.
    pub fn is_for(&self, target: TargetKind) -> bool {
        self.target == target || self.also.contains(&target)
    }
}

/// `manifest.json` of one entry in one journal folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub id: String,
    /// Unix seconds.
    pub created: u64,
    /// What the `use` pointed at (`tuna`, `best`, …).
    pub site: String,
    pub state: State,
    pub files: Vec<FileRecord>,
}

/// A journal entry as found on disk: the manifests of the same id from both folders.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub parts: Vec<(PathBuf, Manifest)>,
}

impl Entry {
    pub fn created(&self) -> u64 {
        self.parts.iter().map(|(_, m)| m.created).min().unwrap_or(0)
    }

    pub fn site(&self) -> &str {
        self.parts.first().map_or("", |(_, m)| m.site.as_str())
    }

    /// The entry's state: the least advanced of its parts.
    pub fn state(&self) -> State {
        let states: Vec<State> = self.parts.iter().map(|(_, m)| m.state).collect();
        for s in [State::Pending, State::RolledBack, State::Complete] {
            if states.contains(&s) {
                return s;
            }
        }
        State::Restored
    }

    pub fn files(&self) -> impl Iterator<Item = (&Path, &FileRecord)> {
        self.parts.iter().flat_map(|(dir, m)| m.files.iter().map(move |f| (dir.as_path(), f)))
    }

    pub fn targets(&self) -> Vec<TargetKind> {
        let mut t: Vec<TargetKind> =
            self.files().flat_map(|(_, f)| std::iter::once(f.target).chain(f.also.iter().copied())).collect();
        t.sort();
        t.dedup();
        t
    }

    /// Reads the saved bytes named by `name` in the part folder `dir`.
    pub fn blob(dir: &Path, name: &str) -> Result<Vec<u8>> {
        let path = dir.join(name);
        std::fs::read(&path).with_context(|| format!("could not read the journal file `{}`", path.display()))
    }

    /// Sets the state of every part.
    pub fn set_state(&mut self, state: State, ctx: &Context) -> Result<()> {
        for (dir, manifest) in &mut self.parts {
            manifest.state = state;
            write_manifest(dir, manifest, owner_of_dir(dir, ctx).as_ref())?;
        }
        Ok(())
    }
}

/// A file about to be changed, with its current and wanted bytes.
pub struct Pending<'a> {
    pub target: TargetKind,
    /// Other targets whose edits of the same file are folded into this one.
    pub also: Vec<TargetKind>,
    pub path: &'a Path,
    pub before: Option<&'a [u8]>,
    pub after: Option<&'a [u8]>,
}

/// Creates the entry for a `use` before anything is written.
pub fn create(ctx: &Context, site: &str, files: &[Pending<'_>]) -> Result<Entry> {
    let id = new_id();
    let created = ctx.now.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let mut by_dir: BTreeMap<PathBuf, Vec<&Pending<'_>>> = BTreeMap::new();
    for f in files {
        by_dir.entry(journal_dir(ctx, f.target.scope())).or_default().push(f);
    }
    let mut entry = Entry { id: id.clone(), parts: Vec::new() };
    for (dir, files) in by_dir {
        let owner = owner_of_dir(&dir, ctx);
        let entry_dir = dir.join(&id);
        fsx::create_dirs(&dir, owner.as_ref())?;
        set_private(&dir, 0o700)?;
        fsx::create_dirs(&entry_dir, owner.as_ref())?;
        set_private(&entry_dir, 0o700)?;
        let private = NewFile { owner: owner.as_ref(), mode: Some(0o600), exact: false, root: Some(&ctx.root) };
        let mut records = Vec::new();
        for (n, f) in files.iter().enumerate() {
            let meta = std::fs::metadata(f.path).ok();
            let before = match f.before {
                Some(bytes) => {
                    let name = format!("{n}.before");
                    fsx::write_atomic(&entry_dir.join(&name), bytes, private)?;
                    Some(name)
                }
                None => None,
            };
            let after = match f.after {
                Some(bytes) => {
                    let name = format!("{n}.after");
                    fsx::write_atomic(&entry_dir.join(&name), bytes, private)?;
                    Some(name)
                }
                None => None,
            };
            records.push(FileRecord {
                target: f.target,
                path: f.path.to_path_buf(),
                existed: f.before.is_some(),
                mode: meta.as_ref().map(|m| m.mode() & 0o7777),
                uid: meta.as_ref().map(MetadataExt::uid),
                gid: meta.as_ref().map(MetadataExt::gid),
                before,
                after,
                also: f.also.clone(),
            });
        }
        let manifest =
            Manifest { id: id.clone(), created, site: site.to_owned(), state: State::Pending, files: records };
        write_manifest(&entry_dir, &manifest, owner.as_ref())?;
        entry.parts.push((entry_dir, manifest));
    }
    Ok(entry)
}

/// Every entry in both journal folders, oldest first, and warnings about folders that could
/// not be read (the system journal without root).
pub fn list(ctx: &Context) -> Result<(Vec<Entry>, Vec<String>)> {
    let mut by_id: BTreeMap<String, Vec<(PathBuf, Manifest)>> = BTreeMap::new();
    let mut warnings = Vec::new();
    for dir in [ctx.system_journal_dir(), ctx.user_journal_dir()] {
        let read = match std::fs::read_dir(&dir) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                warnings.push(format!(
                    "could not read the journal `{}` ({e}); entries for system files need `sudo mirror restore`",
                    dir.display()
                ));
                continue;
            }
        };
        for item in read.flatten() {
            let entry_dir = item.path();
            let manifest_path = entry_dir.join("manifest.json");
            let text = match std::fs::read_to_string(&manifest_path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    warnings.push(format!("could not read `{}` ({e})", manifest_path.display()));
                    continue;
                }
            };
            let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
                Problem::bad(format!("journal file `{}` is damaged: {e}", manifest_path.display()))
                    .hint("move that entry folder away to ignore it")
            })?;
            by_id.entry(manifest.id.clone()).or_default().push((entry_dir, manifest));
        }
    }
    Ok((by_id.into_iter().map(|(id, parts)| Entry { id, parts }).collect(), warnings))
}

/// Whether `dir` is a part of the user journal (as opposed to the system one).
pub fn is_user_part(ctx: &Context, dir: &Path) -> bool {
    dir.starts_with(ctx.user_journal_dir())
}

fn journal_dir(ctx: &Context, scope: Scope) -> PathBuf {
    match scope {
        Scope::System => ctx.system_journal_dir(),
        Scope::User => ctx.user_journal_dir(),
    }
}

/// User journal folders belong to the invoking user under sudo.
fn owner_of_dir(dir: &Path, ctx: &Context) -> Option<Owner> {
    if is_user_part(ctx, dir) { ctx.sudo_user.clone() } else { None }
}

fn write_manifest(entry_dir: &Path, manifest: &Manifest, owner: Option<&Owner>) -> Result<()> {
    let mut text = serde_json::to_string_pretty(manifest)?;
    text.push('\n');
    fsx::write_atomic(
        &entry_dir.join("manifest.json"),
        text.as_bytes(),
        NewFile { owner, mode: Some(0o600), exact: false, root: None },
    )
}

fn set_private(dir: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("could not make `{}` private", dir.display()))
}

/// Ids sort in the order entries were made: `20261123T101500-<nanoseconds>` of the real
/// clock (not the fixed test clock, so that entries made in one second still sort).
fn new_id() -> String {
    let now = chrono::Utc::now();
    format!("{}-{:09}", now.format("%Y%m%dT%H%M%S"), now.timestamp_subsec_nanos())
}
