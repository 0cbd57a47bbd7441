//! Every write `mirror` makes goes through [`write_atomic`]: a temporary file in the same
//! folder, the old file's mode and owner, fsync, rename, fsync of the folder. A crash at any
//! instant leaves the old file or the new one, never a partial one.

use std::fs::{self, File, Permissions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context as _, Result};

use nix::fcntl::{Flock, FlockArg};

use crate::context::Owner;
use crate::error::{Problem, with_permission_hint};

/// Who should own a file `mirror` creates, and with which mode.
#[derive(Debug, Clone, Copy, Default)]
pub struct NewFile<'a> {
    /// Owner for a new file or folder (`None`: the running user).
    pub owner: Option<&'a Owner>,
    /// Mode for a new file; an existing file keeps its own.
    pub mode: Option<u32>,
    /// Apply `mode` and `owner` even when the file exists (restore puts them back).
    pub exact: bool,
    /// Put into the temporary file's name (`.<name>.mirror-<tag>-XXXXXX.tmp`): a journal entry
    /// id, so that a leftover of a killed run is provably `mirror`'s (see `journal::sweep`).
    pub tag: Option<&'a str>,
}

/// Replaces `path` with `data` atomically. An existing file keeps its mode and owner; a new
/// one gets `new.mode` (default 0644) and `new.owner`. Missing parent folders are created
/// for `new.owner`.
pub fn write_atomic(path: &Path, data: &[u8], new: NewFile<'_>) -> Result<()> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    create_dirs(parent, new.owner)?;
    let existing = match fs::metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(with_permission_hint(e, path, "read")),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tag = new.tag.map(|t| format!("{t}-")).unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.mirror-{tag}"))
        .suffix(".tmp")
        .tempfile_in(parent)
        .map_err(|e| with_permission_hint(e, path, "write"))?;

    let (mode, uid, gid) = match &existing {
        Some(m) if !new.exact => (m.mode() & 0o7777, Some(m.uid()), Some(m.gid())),
        Some(m) => (
            new.mode.unwrap_or(m.mode() & 0o7777),
            Some(new.owner.map_or(m.uid(), |o| o.uid)),
            Some(new.owner.map_or(m.gid(), |o| o.gid)),
        ),
        None => (new.mode.unwrap_or(0o644), new.owner.map(|o| o.uid), new.owner.map(|o| o.gid)),
    };
    let file = tmp.as_file_mut();
    file.write_all(data).map_err(|e| with_permission_hint(e, path, "write"))?;
    file.set_permissions(Permissions::from_mode(mode))
        .with_context(|| format!("could not set the mode of `{}`", path.display()))?;
    // Only root can give a file away; anyone else writes files they own, as before.
    if nix::unistd::geteuid().is_root() {
        let current = file.metadata()?;
        if uid.is_some_and(|u| u != current.uid()) || gid.is_some_and(|g| g != current.gid()) {
            std::os::unix::fs::fchown(&*file, uid, gid)
                .with_context(|| format!("could not give `{}` its owner back", path.display()))?;
        }
    }
    file.sync_all().map_err(|e| with_permission_hint(e, path, "write"))?;
    tmp.persist(path).map_err(|e| with_permission_hint(e.error, path, "replace"))?;
    sync_dir(parent);
    Ok(())
}

/// Removes `path` (used by restore when the file did not exist before). Missing is fine.
pub fn remove(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => {
            if let Some(parent) = path.parent() {
                sync_dir(parent);
            }
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(with_permission_hint(e, path, "remove")),
    }
}

/// Creates `dir` and its missing parents; new folders are given to `owner`.
pub fn create_dirs(dir: &Path, owner: Option<&Owner>) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dirs(parent, owner)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::AlreadyExists && dir.is_dir() => return Ok(()),
        Err(e) => return Err(with_permission_hint(e, dir, "create the folder")),
    }
    if let Some(o) = owner {
        std::os::unix::fs::chown(dir, Some(o.uid), Some(o.gid))
            .with_context(|| format!("could not give `{}` to `{}`", dir.display(), o.name))?;
    }
    Ok(())
}

/// An exclusive lock on `<dir>/lock`, held until the guard is dropped. Another `mirror`
/// holding it makes this fail at once (no waiting behind a prompt).
pub fn lock(dir: &Path, owner: Option<&Owner>) -> Result<Flock<File>> {
    create_dirs(dir, owner)?;
    let path = dir.join("lock");
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| with_permission_hint(e, &path, "open"))?;
    if let Some(o) = owner
        && nix::unistd::geteuid().is_root()
    {
        std::os::unix::fs::fchown(&file, Some(o.uid), Some(o.gid))
            .with_context(|| format!("could not give `{}` to `{}`", path.display(), o.name))?;
    }
    Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, errno)| {
        if errno == nix::errno::Errno::EWOULDBLOCK {
            Problem::failed(format!("another `mirror` is changing files right now (`{}` is locked)", path.display()))
                .hint("wait for it to finish, then run the command again")
                .into()
        } else {
            anyhow::Error::new(std::io::Error::from(errno)).context(format!("could not lock `{}`", path.display()))
        }
    })
}

fn sync_dir(dir: &Path) {
    // Best effort: makes the rename durable; some file systems refuse to open folders.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_keeping_mode_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sources.list");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"new", NewFile::default()).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o640);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["sources.list"]);
    }

    #[test]
    fn exact_puts_mode_back_on_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pip.conf");
        std::fs::write(&path, "edited").unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(0o600)).unwrap();
        write_atomic(&path, b"original", NewFile { mode: Some(0o644), exact: true, ..NewFile::default() }).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o644);
        assert_eq!(std::fs::read(&path).unwrap(), b"original");
    }

    #[test]
    fn a_second_lock_on_a_folder_fails_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock(dir.path(), None).unwrap();
        let e = lock(dir.path(), None).unwrap_err();
        assert!(format!("{e}").contains("another `mirror` is changing files"), "{e}");
        drop(held);
        assert!(lock(dir.path(), None).is_ok());
    }

    #[test]
    fn creates_folders_and_new_files_with_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/pip.conf");
        write_atomic(&path, b"x", NewFile { mode: Some(0o600), ..NewFile::default() }).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        remove(&path).unwrap();
        remove(&path).unwrap();
        assert!(!path.exists());
    }
}
