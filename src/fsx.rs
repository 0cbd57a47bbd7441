//! Every write `mirror` makes goes through [`write_atomic`]: a temporary file in the same
//! folder, the old file's mode and owner, fsync, rename, fsync of the folder. A crash at any
//! instant leaves the old file or the new one, never a partial one.
//!
//! Paths of the machine being configured are resolved with [`resolve_in`], as a chroot would:
//! a link's absolute target is taken inside the root, and `..` never climbs out of it.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{self, File, Permissions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

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
    /// The root of the machine `path` belongs to (`None`: the host's `/`): a link at `path`
    /// is followed inside it.
    pub root: Option<&'a Path>,
    /// Put into the temporary file's name (`.<name>.mirror-<tag>-XXXXXX.tmp`): a journal entry
    /// id, so that a leftover of a killed run is provably `mirror`'s (see `journal::sweep`).
    pub tag: Option<&'a str>,
}

/// Replaces `path` with `data` atomically. An existing file keeps its mode and owner; a new
/// one gets `new.mode` (default 0644) and `new.owner`. Missing parent folders are created
/// for `new.owner`. When `path` is a symbolic link (a dotfile kept by stow, chezmoi or yadm),
/// the file it points to is replaced and the link stays; a dangling link is an error.
pub fn write_atomic(path: &Path, data: &[u8], new: NewFile<'_>) -> Result<()> {
    let resolved = resolve_in(new.root.unwrap_or(Path::new("/")), path)?;
    if let Some(d) = &resolved.dangling {
        return Err(d.problem().into());
    }
    let path = resolved.path.as_path();
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
    // Only root can give a folder away (as in `write_atomic`).
    if let Some(o) = owner
        && nix::unistd::geteuid().is_root()
    {
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

/// How many links one resolution may follow before it is taken for a loop (Linux's limit).
const MAX_LINKS: usize = 40;

/// A path resolved inside a root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The path with every link resolved; it names a file that is not a link, or nothing.
    pub path: PathBuf,
    /// Whether a link was followed on the way.
    pub via_link: bool,
    /// Set when the path does not exist because a link on the way points to nothing.
    pub dangling: Option<Dangling>,
}

/// A link whose target does not exist inside the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dangling {
    pub link: PathBuf,
    /// What the link holds, as written.
    pub target: PathBuf,
}

impl Dangling {
    /// The exit-2 error naming the link.
    pub fn problem(&self) -> Problem {
        Problem::bad(format!(
            "`{}` is a dangling link: it points to `{}`, which does not exist",
            self.link.display(),
            self.target.display()
        ))
        .hint("point the link at an existing file, or remove it; nothing was changed")
    }
}

/// Resolves `path` (absolute, or relative to the current folder) inside `root`, as the
/// kernel would after `chroot root`: a link's absolute target starts again at `root`, `..`
/// stops at `root`, and nothing outside `root` is ever looked at. With `root` = `/` this is
/// the host's own resolution; a path outside `root` is resolved on the host. A missing part
/// ends the walk: the rest is appended as written.
pub fn resolve_in(root: &Path, path: &Path) -> Result<Resolved> {
    let path = std::path::absolute(path).with_context(|| format!("could not resolve `{}`", path.display()))?;
    let root = std::path::absolute(root).with_context(|| format!("could not resolve `{}`", root.display()))?;
    let (root, inside) = match path.strip_prefix(&root) {
        Ok(inside) => (root, inside),
        Err(_) => (PathBuf::from("/"), path.strip_prefix("/").unwrap_or(&path)),
    };
    // Each part to walk, with the link it came from (for naming a dangling one).
    let mut todo: VecDeque<(OsString, Option<usize>)> = parts(inside).map(|p| (p, None)).collect();
    let mut links: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut at = root.clone();
    while let Some((part, from)) = todo.pop_front() {
        if part == ".." {
            if at != root {
                at.pop();
            }
            continue;
        }
        let next = at.join(&part);
        let meta = match fs::symlink_metadata(&next) {
            Ok(meta) => meta,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                let dangling = from.map(|i| Dangling { link: links[i].0.clone(), target: links[i].1.clone() });
                let mut rest = next;
                for (part, _) in todo {
                    if part == ".." {
                        if rest != root {
                            rest.pop();
                        }
                    } else {
                        rest.push(part);
                    }
                }
                return Ok(Resolved { path: rest, via_link: !links.is_empty(), dangling });
            }
            Err(e) => return Err(with_permission_hint(e, &next, "read")),
        };
        if !meta.file_type().is_symlink() {
            at = next;
            continue;
        }
        if links.len() == MAX_LINKS {
            return Err(Problem::bad(format!("`{}`: too many levels of links (a loop?)", path.display()))
                .hint("fix the links on the way to that file; nothing was changed")
                .into());
        }
        let target = fs::read_link(&next).map_err(|e| with_permission_hint(e, &next, "read the link"))?;
        if target.is_absolute() {
            at = root.clone();
        }
        let index = links.len();
        links.push((next, target.clone()));
        for part in parts(&target).rev() {
            todo.push_front((part, Some(index)));
        }
    }
    Ok(Resolved { path: at, via_link: !links.is_empty(), dangling: None })
}

/// The names and `..` of a path (`/` and `.` dropped).
fn parts(path: &Path) -> impl DoubleEndedIterator<Item = OsString> + '_ {
    path.components().filter_map(|c| match c {
        Component::Normal(name) => Some(name.to_owned()),
        Component::ParentDir => Some("..".into()),
        Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
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

    /// The links of a merged-/usr Ubuntu 24.04 image, under `root`.
    fn ubuntu_image(root: &Path) {
        use std::os::unix::fs::symlink;
        for dir in ["usr/bin", "usr/lib", "etc", "var/lib/dpkg"] {
            fs::create_dir_all(root.join(dir)).unwrap();
        }
        fs::write(root.join("usr/lib/os-release"), "ID=ubuntu\n").unwrap();
        fs::write(root.join("usr/bin/dash"), "").unwrap();
        symlink("usr/bin", root.join("bin")).unwrap();
        symlink("usr/lib", root.join("lib")).unwrap();
        symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
        symlink("dash", root.join("usr/bin/sh")).unwrap();
        symlink("/usr/share/zoneinfo/Etc/UTC", root.join("etc/localtime")).unwrap();
    }

    #[test]
    fn links_resolve_inside_the_root_as_in_a_chroot() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        ubuntu_image(root);
        let r = |p: &str| resolve_in(root, &root.join(p)).unwrap();
        assert_eq!(r("etc/os-release").path, root.join("usr/lib/os-release"));
        assert!(r("etc/os-release").via_link);
        assert_eq!(r("bin/sh").path, root.join("usr/bin/dash"), "a link to a folder, then a relative link");
        assert_eq!(r("etc/passwd"), Resolved { path: root.join("etc/passwd"), via_link: false, dangling: None });
        assert_eq!(r("usr/../../../../etc/os-release").path, root.join("usr/lib/os-release"), "`..` stops at the root");

        // An absolute target starts again at the root; on the host it would name the host's file.
        std::os::unix::fs::symlink("/usr/lib/os-release", root.join("etc/abs")).unwrap();
        assert_eq!(r("etc/abs").path, root.join("usr/lib/os-release"));
        std::os::unix::fs::symlink("../../../../../../etc/hostname", root.join("etc/climb")).unwrap();
        assert_eq!(r("etc/climb").path, root.join("etc/hostname"), "a relative target cannot climb out either");

        let localtime = r("etc/localtime");
        assert_eq!(localtime.path, root.join("usr/share/zoneinfo/Etc/UTC"));
        let dangling = localtime.dangling.expect("no zoneinfo in this image");
        assert_eq!(
            (dangling.link, dangling.target),
            (root.join("etc/localtime"), "/usr/share/zoneinfo/Etc/UTC".into())
        );
        assert_eq!(r("etc/apt/sources.list").dangling, None, "a missing file behind no link is only missing");

        std::os::unix::fs::symlink("loop-b", root.join("etc/loop-a")).unwrap();
        std::os::unix::fs::symlink("loop-a", root.join("etc/loop-b")).unwrap();
        let e = resolve_in(root, &root.join("etc/loop-a")).unwrap_err();
        assert!(format!("{e}").contains("too many levels of links"), "{e}");
    }

    #[test]
    fn writes_go_through_a_link_and_keep_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let target = root.join("home/u/dotfiles/pip/.config/pip/pip.conf");
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::create_dir_all(root.join("home/u/.config/pip")).unwrap();
        fs::write(&target, "old").unwrap();
        fs::set_permissions(&target, Permissions::from_mode(0o600)).unwrap();
        let link = root.join("home/u/.config/pip/pip.conf");
        // Absolute, as chezmoi's symlink mode writes them: taken inside the root.
        std::os::unix::fs::symlink("/home/u/dotfiles/pip/.config/pip/pip.conf", &link).unwrap();
        write_atomic(&link, b"new", NewFile { root: Some(root), ..NewFile::default() }).unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays");
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert_eq!(fs::metadata(&target).unwrap().mode() & 0o777, 0o600, "the target keeps its mode");
        let names: Vec<_> = fs::read_dir(target.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["pip.conf"], "the temporary file was beside the target");

        fs::remove_file(&target).unwrap();
        let e = write_atomic(&link, b"x", NewFile { root: Some(root), ..NewFile::default() }).unwrap_err();
        assert!(format!("{e}").contains("is a dangling link"), "{e}");
        assert!(!target.exists(), "nothing is created behind a dangling link");
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
