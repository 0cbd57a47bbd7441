//! The journal: before `use` changes anything, it records each file's original bytes, mode,
//! owner and whether it existed, so `restore` can give back the exact bytes.
//!
//! System files are journaled under `<root>/var/lib/mirror/journal/`, user files under
//! `$XDG_STATE_HOME/mirror/journal/`. One `use` makes one entry id, present in one or both
//! folders. An entry is a folder `<id>/` holding `manifest.json` and the saved bytes; it is
//! readable only by its owner (mode 0700/0600).
//!
//! A record names its file inside the machine, not on the host (see [`FileRecord::path`]),
//! so that an entry made with `--root /mnt/build` is right when that image is booted, and
//! when the folder is moved: [`locate`] finds the file in the current root.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context as _, Result};
use nix::fcntl::Flock;
use serde::{Deserialize, Serialize};

use crate::context::{Context, Owner};
use crate::error::{self, Problem};
use crate::fsx::{self, NewFile, Resolved};
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
    /// The file, as the machine itself names it: a user's file in their home relative to
    /// that home (`~/.config/pip/pip.conf`), any other relative to the root
    /// (`etc/apt/sources.list`). Entries made by earlier versions hold absolute host paths
    /// (root prefix included); those are still read, and must lie inside the root. Use
    /// [`locate`] to find the file.
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
    /// deepest first, named as `path` is: `restore` removes them again when they are empty.
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
        for (_, manifest) in &mut self.parts {
            manifest.state = state;
        }
        self.save(ctx)
    }

    /// Writes every part's manifest as it is here (an entry cloned before [`Entry::set_state`]
    /// puts the states it had back).
    pub fn save(&self, ctx: &Context) -> Result<()> {
        for (dir, manifest) in &self.parts {
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

    /// The folders the `use` created for the file at `path` (as [`Located::file`] gives it),
    /// deepest first, in the current root.
    pub fn created_dirs(&self, ctx: &Context, path: &Path) -> Vec<PathBuf> {
        self.files()
            .find(|(_, f)| locate(ctx, &f.path).ok().flatten().is_some_and(|l| l.file() == path))
            .map_or_else(Vec::new, |(_, f)| f.located_dirs(ctx))
    }
}

impl FileRecord {
    /// [`FileRecord::created_dirs`] in the current root; any that is not inside it is left out.
    pub fn located_dirs(&self, ctx: &Context) -> Vec<PathBuf> {
        self.created_dirs.iter().filter_map(|d| locate(ctx, d).ok().flatten()).map(|l| l.real.path).collect()
    }
}

/// Where a record's file is in the current root (see [`locate`]).
#[derive(Debug, Clone)]
pub struct Located {
    /// The path as the record names it, in the current root (and home).
    pub path: PathBuf,
    /// `path` with every link on the way resolved inside the root.
    pub real: Resolved,
}

impl Located {
    /// The file to read and write: the real one; behind a dangling link the link itself,
    /// so that writing it names the link.
    pub fn file(&self) -> &Path {
        if self.real.dangling.is_some() { &self.path } else { &self.real.path }
    }
}

/// How a record names `path` (see [`FileRecord::path`]): relative to the home for a user's
/// file inside it, else relative to the root; a path outside the root (there is none under
/// `--root`, and every path is inside `/`) stays as it is.
fn record_path(ctx: &Context, scope: Scope, path: &Path) -> PathBuf {
    if scope == Scope::User
        && let Ok(rest) = path.strip_prefix(&ctx.home)
    {
        return if rest.as_os_str().is_empty() { PathBuf::from("~") } else { Path::new("~").join(rest) };
    }
    match path.strip_prefix(&ctx.root) {
        // A folder named `~` at the top of the root is not the home.
        Ok(rest) if rest.starts_with("~") => Path::new(".").join(rest),
        Ok(rest) => rest.to_path_buf(),
        Err(_) => path.to_path_buf(),
    }
}

/// Finds the file a record names (see [`FileRecord::path`]) in the current root: `~/…` in
/// the home the user-level targets act for, any other relative path in the root, and an
/// absolute one (an entry of an earlier version) as it is. `None` for a path outside the
/// root, or one that climbs with `..`: the journal of one machine never names another's
/// files (nor the host's, for an image that moved since).
pub fn locate(ctx: &Context, stored: &Path) -> Result<Option<Located>> {
    if stored.components().any(|c| c == Component::ParentDir) {
        return Ok(None);
    }
    let mut parts = stored.components().filter(|c| *c != Component::CurDir);
    let path = if stored.is_absolute() {
        stored.to_path_buf()
    } else if stored.starts_with("~") {
        parts.next();
        ctx.home.join(parts.collect::<PathBuf>())
    } else {
        ctx.root.join(parts.collect::<PathBuf>())
    };
    if !path.starts_with(&ctx.root) {
        return Ok(None);
    }
    let real = ctx.resolve(&path)?;
    Ok(Some(Located { path, real }))
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

/// Creates the entry for a `use` before anything is written. When that fails part-way (one
/// journal folder cannot be written), the parts already made are removed again: no entry
/// is left that `restore` would take for this run.
pub fn create(ctx: &Context, site: &str, files: &[Pending<'_>]) -> Result<Entry> {
    let mut made = Vec::new();
    create_parts(ctx, site, files, &mut made).map_err(|err| discard(err, &made))
}

/// Removes the entry folders in `made` after [`create`] failed; what cannot be removed is
/// noted on `err` (a part left with a manifest is `pending` with every file as it was,
/// which `restore` passes over).
fn discard(mut err: anyhow::Error, made: &[PathBuf]) -> anyhow::Error {
    for dir in made {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                err = error::note(
                    err,
                    format!(
                        "the unfinished journal folder `{}` could not be removed ({e}); no file was written",
                        dir.display()
                    ),
                );
            }
        }
    }
    err
}

fn create_parts(ctx: &Context, site: &str, files: &[Pending<'_>], made: &mut Vec<PathBuf>) -> Result<Entry> {
    let id = new_id();
    let created = ctx.now.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let mut by_dir: BTreeMap<PathBuf, Vec<&Pending<'_>>> = BTreeMap::new();
    for f in files {
        by_dir.entry(journal_dir(ctx, f.target.scope())).or_default().push(f);
    }
    let mut entry = Entry { id: id.clone(), parts: Vec::new() };
    for (dir, files) in by_dir {
        let part = create_part(ctx, &dir, &id, created, site, &files, made).map_err(|e| {
            e.context(Problem::failed(format!(
                "could not write the journal in `{}`, which `mirror` needs before it changes a file; nothing was changed",
                dir.display()
            )))
        })?;
        entry.parts.push(part);
    }
    Ok(entry)
}

/// One part of a new entry: the folder `<dir>/<id>/`, the saved bytes and the manifest.
fn create_part(
    ctx: &Context,
    dir: &Path,
    id: &str,
    created: u64,
    site: &str,
    files: &[&Pending<'_>],
    made: &mut Vec<PathBuf>,
) -> Result<(PathBuf, Manifest)> {
    let owner = owner_of_dir(dir, ctx);
    let entry_dir = dir.join(id);
    fsx::create_dirs(dir, owner.as_ref())?;
    set_private(dir, 0o700)?;
    fsx::create_dirs(&entry_dir, owner.as_ref())?;
    made.push(entry_dir.clone());
    set_private(&entry_dir, 0o700)?;
    let private =
        NewFile { owner: owner.as_ref(), mode: Some(0o600), exact: false, root: Some(&ctx.root), tag: Some(id) };
    let mut records = Vec::new();
    for (n, f) in files.iter().enumerate() {
        let meta = std::fs::metadata(f.path).ok();
        let save = |kind: &str, bytes: Option<&[u8]>| -> Result<Option<String>> {
            let Some(bytes) = bytes else { return Ok(None) };
            let name = format!("{n}.{kind}");
            fsx::write_atomic(&entry_dir.join(&name), bytes, private)?;
            Ok(Some(name))
        };
        let (before, after) = (save("before", f.before)?, save("after", f.after)?);
        let scope = f.target.scope();
        records.push(FileRecord {
            target: f.target,
            path: record_path(ctx, scope, f.path),
            existed: f.before.is_some(),
            mode: meta.as_ref().map(|m| m.mode() & 0o7777),
            uid: meta.as_ref().map(MetadataExt::uid),
            gid: meta.as_ref().map(MetadataExt::gid),
            before,
            after,
            created_dirs: missing_dirs(ctx, f.path).iter().map(|d| record_path(ctx, scope, d)).collect(),
            also: f.also.clone(),
        });
    }
    let manifest =
        Manifest { id: id.to_owned(), created, site: site.to_owned(), state: State::Pending, files: records };
    write_manifest(&entry_dir, &manifest, owner.as_ref())?;
    Ok((entry_dir, manifest))
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
            // Only inside the root: a record outside it names no file of this machine.
            let Ok(Some(located)) = locate(ctx, &record.path) else { continue };
            if scope == Scope::User && !user_path_allowed(ctx, &entry_dir, located.file()) {
                continue;
            }
            // Beside the file as the record names it and, for a file written through a link,
            // beside the link's target: both resolved inside the root, as the write did.
            let mut beside: Vec<(PathBuf, &std::ffi::OsStr)> = Vec::new();
            if let (Some(parent), Some(name)) = (located.path.parent(), located.path.file_name())
                && let Ok(dir) = ctx.resolve(parent)
            {
                beside.push((dir.path, name));
            }
            if let (Some(parent), Some(name)) = (located.real.path.parent(), located.real.path.file_name()) {
                beside.push((parent.to_path_buf(), name));
            }
            beside.dedup();
            for (dir, name) in beside.into_iter().filter(|(dir, _)| dir.starts_with(&ctx.root)) {
                temps(&dir, Some(&name.to_string_lossy()), &id, &mut files);
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
            || [&ctx.pip_config_file, &ctx.condarc, &ctx.goenv, &ctx.npm_userconfig]
                .iter()
                .any(|f| f.as_deref() == Some(path)))
}

/// The folders above `path` that do not exist yet, deepest first; the root itself is never
/// one of them (`restore` does not remove the machine's root).
fn missing_dirs(ctx: &Context, path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty() && *d != ctx.root && d.starts_with(&ctx.root)) {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::ffi::OsString;

    use super::*;
    use crate::context::Overrides;

    fn in_root(root: &Path) -> Context {
        let cli = Overrides { root: Some(root.to_path_buf()), ..Overrides::default() };
        Context::from_vars(&cli, |_| None).unwrap()
    }

    #[test]
    fn as_root_a_user_journal_names_only_that_users_config_files() {
        use std::os::unix::fs::chown;
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let (goenv, npmrc) = (dir.path().join("opt/go/env"), dir.path().join("srv/npmrc"));
        let vars: BTreeMap<&str, OsString> = [
            ("HOME", home.clone().into_os_string()),
            ("GOENV", goenv.clone().into_os_string()),
            ("NPM_CONFIG_USERCONFIG", npmrc.clone().into_os_string()),
        ]
        .into();
        let ctx = Context::from_vars(&Overrides::default(), |n| vars.get(n).cloned()).unwrap();
        let part = ctx.user_journal_dir().join("20261201-000000-1");
        std::fs::create_dir_all(&part).unwrap();
        let allowed = |path: &Path| user_path_allowed(&ctx, &part, path);
        let secret = dir.path().join("etc/shadow");
        if !nix::unistd::geteuid().is_root() {
            // Not root: a user's journal is theirs to restore, wherever it points.
            assert!(allowed(&secret));
            return;
        }
        // Root, and the part root's own: trusted.
        assert!(allowed(&secret));
        // The part belongs to a user, who could have written any path into it.
        chown(&part, Some(65534), Some(65534)).unwrap();
        for ok in [home.join(".config/pip/pip.conf"), home.join(".cargo/config.toml"), goenv, npmrc] {
            assert!(allowed(&ok), "{}", ok.display());
        }
        for refused in [secret, home.join("../etc/shadow"), dir.path().join("opt/go/other")] {
            assert!(!allowed(&refused), "{}", refused.display());
        }
    }

    #[test]
    fn records_name_files_inside_the_machine_and_are_found_in_the_current_root() {
        let dir = tempfile::tempdir().unwrap();
        let (build, booted) = (dir.path().join("build"), dir.path().join("booted"));
        std::fs::create_dir_all(&build).unwrap();
        let at_build = in_root(&build);
        let pip = build.join("root/.config/pip/pip.conf");
        assert_eq!(
            record_path(&at_build, Scope::System, &build.join("etc/apt/sources.list")),
            Path::new("etc/apt/sources.list")
        );
        assert_eq!(record_path(&at_build, Scope::User, &pip), Path::new("~/.config/pip/pip.conf"));
        assert_eq!(record_path(&at_build, Scope::User, &build.join("root")), Path::new("~"));
        assert_eq!(record_path(&at_build, Scope::System, &pip), Path::new("root/.config/pip/pip.conf"));
        assert_eq!(record_path(&at_build, Scope::System, &build.join("~/x")), Path::new("./~/x"), "not the home");
        let host = Context::from_vars(&Overrides::default(), |n| (n == "HOME").then(|| "/home/u".into())).unwrap();
        assert_eq!(
            record_path(&host, Scope::System, Path::new("/etc/apt/sources.list")),
            Path::new("etc/apt/sources.list")
        );
        assert_eq!(record_path(&host, Scope::User, Path::new("/home/u/.condarc")), Path::new("~/.condarc"));

        // The same records, in a root that is elsewhere now.
        std::fs::create_dir_all(booted.join("etc/apt")).unwrap();
        let at_booted = in_root(&booted);
        let found = |stored: &Path| locate(&at_booted, stored).unwrap().map(|l| l.file().to_path_buf());
        assert_eq!(found(Path::new("etc/apt/sources.list")), Some(booted.join("etc/apt/sources.list")));
        assert_eq!(found(Path::new("~/.config/pip/pip.conf")), Some(booted.join("root/.config/pip/pip.conf")));
        assert_eq!(found(Path::new("~")), Some(booted.join("root")));
        assert_eq!(found(Path::new("./~/x")), Some(booted.join("~/x")));
        // Entries of earlier versions hold host paths: inside the root, or refused.
        assert_eq!(found(&booted.join("etc/hosts")), Some(booted.join("etc/hosts")));
        assert_eq!(found(&build.join("etc/hosts")), None, "the root it was made for has moved");
        assert_eq!(found(Path::new("/etc/shadow")), None);
        assert_eq!(found(Path::new("~/../../etc/shadow")), None, "no climbing out of the home");
        assert_eq!(found(Path::new("etc/../../shadow")), None);
        // A link on the way is followed inside the root, as a chroot would.
        std::fs::create_dir_all(booted.join("srv/apt")).unwrap();
        std::fs::write(booted.join("srv/apt/sources.list"), "deb http://deb.debian.org/debian bookworm main\n")
            .unwrap();
        std::os::unix::fs::symlink("/srv/apt/sources.list", booted.join("etc/apt/sources.list")).unwrap();
        assert_eq!(found(Path::new("etc/apt/sources.list")), Some(booted.join("srv/apt/sources.list")));
        std::os::unix::fs::symlink("/srv/gone", booted.join("etc/apt/gone.list")).unwrap();
        assert_eq!(found(Path::new("etc/apt/gone.list")), Some(booted.join("etc/apt/gone.list")), "the dangling link");
    }

    #[test]
    fn a_journal_that_fails_part_way_leaves_no_part_behind() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let ctx = in_root(root);
        // The user part is made first; the system one cannot be: a file is in its way.
        std::fs::create_dir_all(root.join("var/lib/mirror")).unwrap();
        std::fs::write(root.join("var/lib/mirror/journal"), "in the way\n").unwrap();
        let (pip, apt) = (root.join("root/.config/pip/pip.conf"), root.join("etc/apt/sources.list"));
        let files = [
            Pending { target: TargetKind::Pip, also: Vec::new(), path: &pip, before: None, after: Some(b"[global]\n") },
            Pending {
                target: TargetKind::Apt,
                also: Vec::new(),
                path: &apt,
                before: Some(b"deb a b c\n"),
                after: Some(b"deb d b c\n"),
            },
        ];
        let err = create(&ctx, "tuna", &files).unwrap_err();
        let text = error::render(&err);
        assert!(
            text.contains(&format!("could not write the journal in `{}/var/lib/mirror/journal`", root.display())),
            "{text}"
        );
        assert!(text.contains("nothing was changed"), "{text}");
        let user = std::fs::read_dir(ctx.user_journal_dir()).unwrap().count();
        assert_eq!(user, 0, "the user part made before is gone");
        assert!(list(&ctx).unwrap().0.is_empty());
    }
}
