//! The journal: before `use` changes anything, it records each file's original bytes, mode,
//! owner and whether it existed, so `restore` can give back the exact bytes.
//!
//! System files are journaled under `<root>/var/lib/mirror/journal/`, user files under
//! `$XDG_STATE_HOME/mirror/journal/`. One `use` makes one entry id, present in one or both
//! folders. An entry is a folder `<id>/` holding `manifest.json` and the saved bytes; it is
//! readable only by its owner (mode 0700/0600).

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use nix::fcntl::Flock;
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
    /// Folders that did not exist before the `use` and that writing the file creates,
    /// deepest first: `restore` removes them again when they are empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created_dirs: Vec<PathBuf>,
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

    /// Drops the records of `targets` (whose files were put back: they failed their check)
    /// and their saved bytes, so that `restore` undoes only what stayed; a part left with no
    /// file is removed.
    pub fn forget(&mut self, targets: &[TargetKind], ctx: &Context) -> Result<()> {
        if targets.is_empty() {
            return Ok(());
        }
        for (dir, manifest) in &mut self.parts {
            let (gone, kept): (Vec<FileRecord>, Vec<FileRecord>) =
                manifest.files.drain(..).partition(|f| targets.iter().any(|t| f.is_for(*t)));
            manifest.files = kept;
            if gone.is_empty() {
                continue;
            }
            if !manifest.files.is_empty() {
                write_manifest(dir, manifest, owner_of_dir(dir, ctx).as_ref())?;
                for name in gone.iter().flat_map(|f| [&f.before, &f.after]).flatten() {
                    let _ = std::fs::remove_file(dir.join(name));
                }
            }
        }
        for (dir, manifest) in &self.parts {
            if manifest.files.is_empty() {
                std::fs::remove_dir_all(dir)
                    .with_context(|| format!("could not remove the journal folder `{}`", dir.display()))?;
            }
        }
        self.parts.retain(|(_, m)| !m.files.is_empty());
        Ok(())
    }

    /// The folders the `use` created for `path`, deepest first.
    pub fn created_dirs(&self, path: &Path) -> &[PathBuf] {
        self.files().find(|(_, f)| f.path == path).map_or(&[], |(_, f)| f.created_dirs.as_slice())
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
        let private =
            NewFile { owner: owner.as_ref(), mode: Some(0o600), exact: false, root: Some(&ctx.root), tag: Some(&id) };
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
                created_dirs: missing_dirs(f.path),
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

/// Locks the journal folders of `scopes` against another `mirror` changing the same files.
pub fn lock(ctx: &Context, scopes: impl Iterator<Item = Scope>) -> Result<Vec<Flock<File>>> {
    let mut scopes: Vec<Scope> = scopes.collect();
    scopes.sort_by_key(|s| matches!(s, Scope::User));
    scopes.dedup();
    scopes.into_iter().map(|scope| lock_one(ctx, scope)).collect()
}

fn lock_one(ctx: &Context, scope: Scope) -> Result<Flock<File>> {
    let journal = journal_dir(ctx, scope);
    let owner = match scope {
        Scope::System => None,
        Scope::User => ctx.sudo_user.as_ref(),
    };
    // The lock sits beside the journal folder (`.../mirror/lock`), not among its entries.
    fsx::lock(journal.parent().unwrap_or(&journal), owner)
}

/// Removes what runs of `mirror` that were killed outright left behind, and only what is
/// provably theirs: temporary files named after a journal entry (`.<file>.mirror-<id>-….tmp`)
/// beside a file that entry recorded or inside the entry's own folder, and entry folders
/// whose manifest was never written (a run killed while it journaled) that hold nothing but
/// journal files. A live temporary file exists only while its run holds the journal lock, so
/// they are removed under that lock; a journal another `mirror` holds, or one this user
/// cannot read, is left alone. Finding nothing takes no lock. Returns what was removed.
pub fn sweep(ctx: &Context) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    for scope in [Scope::System, Scope::User] {
        let (files, folders) = leftovers(ctx, scope);
        if files.is_empty() && folders.is_empty() {
            continue;
        }
        let Ok(_lock) = lock_one(ctx, scope) else { continue };
        for path in files {
            if std::fs::remove_file(&path).is_ok() {
                removed.push(path);
            }
        }
        for dir in folders {
            // Seen without the lock: the run that was writing it may have finished since.
            let id = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let unfinished = std::fs::symlink_metadata(dir.join("manifest.json")).is_err();
            if unfinished && holds_only_journal_files(&dir, &id) && std::fs::remove_dir_all(&dir).is_ok() {
                removed.push(dir);
            }
        }
    }
    removed
}

/// The leftovers [`sweep`] removes in one journal: temporary files, and entry folders.
fn leftovers(ctx: &Context, scope: Scope) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let (mut files, mut folders) = (Vec::new(), Vec::new());
    let Ok(read) = std::fs::read_dir(journal_dir(ctx, scope)) else { return (files, folders) };
    for item in read.flatten() {
        let entry_dir = item.path();
        let id = item.file_name().to_string_lossy().into_owned();
        if !is_id(&id) || !item.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let manifest = match std::fs::read_to_string(entry_dir.join("manifest.json")) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if holds_only_journal_files(&entry_dir, &id) {
                    folders.push(entry_dir);
                }
                continue;
            }
            Ok(text) => match serde_json::from_str::<Manifest>(&text) {
                Ok(m) if m.id == id => m,
                _ => continue,
            },
            Err(_) => continue,
        };
        temps(&entry_dir, None, &id, &mut files);
        for record in &manifest.files {
            if scope == Scope::User && !user_path_allowed(ctx, &entry_dir, &record.path) {
                continue;
            }
            let Some(name) = record.path.file_name().map(|n| n.to_string_lossy().into_owned()) else { continue };
            let mut dirs: Vec<PathBuf> = record.path.parent().map(Path::to_path_buf).into_iter().collect();
            // A file written through a link has its temporary file beside the link's target.
            if let Ok(real) = std::fs::canonicalize(&record.path)
                && let Some(parent) = real.parent()
                && !dirs.iter().any(|d| d == parent)
            {
                dirs.push(parent.to_path_buf());
            }
            for dir in dirs {
                temps(&dir, Some(&name), &id, &mut files);
            }
        }
    }
    (files, folders)
}

/// Whether `name` is a temporary file of journal entry `id`, for the file `file` (any file
/// when `None`).
fn is_temp_of(name: &str, file: Option<&str>, id: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else { return false };
    let marker = format!(".mirror-{id}-");
    let Some(at) = rest.find(&marker) else { return false };
    rest.ends_with(".tmp") && file.is_none_or(|f| &rest[..at] == f)
}

/// The temporary files of entry `id` (for `file`, or any) in `dir`.
fn temps(dir: &Path, file: Option<&str>, id: &str, out: &mut Vec<PathBuf>) {
    let Ok(read) = std::fs::read_dir(dir) else { return };
    for item in read.flatten() {
        let name = item.file_name().to_string_lossy().into_owned();
        if is_temp_of(&name, file, id) && item.file_type().is_ok_and(|t| t.is_file()) {
            out.push(item.path());
        }
    }
}

/// An entry folder without a manifest is removed only when everything in it is what
/// [`create`] writes: `N.before`, `N.after` and its temporary files.
fn holds_only_journal_files(dir: &Path, id: &str) -> bool {
    let Ok(read) = std::fs::read_dir(dir) else { return false };
    read.flatten().all(|item| {
        let name = item.file_name().to_string_lossy().into_owned();
        let blob = name
            .strip_suffix(".before")
            .or_else(|| name.strip_suffix(".after"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        item.file_type().is_ok_and(|t| t.is_file()) && (blob || is_temp_of(&name, None, id))
    })
}

/// Whether `name` has the shape of an entry id (see [`new_id`]).
fn is_id(name: &str) -> bool {
    let b = name.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    b.len() == 25 && digits(0..8) && b[8] == b'T' && digits(9..15) && b[15] == b'-' && digits(16..25)
}

/// Whether a record of the user journal part `dir` may name `path` when root acts on it: a
/// user's journal is writable by that user, so as root (`sudo mirror …`) only a file inside
/// that user's own config locations is trusted.
pub fn user_path_allowed(ctx: &Context, dir: &Path, path: &Path) -> bool {
    let part_owner = std::fs::metadata(dir).map(|m| m.uid()).unwrap_or(0);
    if !nix::unistd::geteuid().is_root() || part_owner == 0 {
        return true;
    }
    is_user_part(ctx, dir)
        && !path.components().any(|c| c == std::path::Component::ParentDir)
        && ([&ctx.home, &ctx.config_home, &ctx.cargo_home].iter().any(|base| path.starts_with(base))
            || [&ctx.pip_config_file, &ctx.condarc].iter().any(|f| f.as_deref() == Some(path)))
}

/// The folders above `path` that do not exist yet, deepest first.
fn missing_dirs(path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
        if d.symlink_metadata().is_ok() {
            break;
        }
        out.push(d.to_path_buf());
        dir = d.parent();
    }
    out
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
        NewFile { owner, mode: Some(0o600), exact: false, root: None, tag: Some(&manifest.id) },
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
