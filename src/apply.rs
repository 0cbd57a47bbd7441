//! Writing a set of files as one unit: every file still holds what was read, or nothing is
//! written; on a failure or Ctrl-C part-way, every file already written is put back.
//! `use` journals first and then calls [`apply`]; `restore` calls [`write_all`] directly.

use std::fs::File;
use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use nix::fcntl::Flock;

use crate::context::{Context, Owner};
use crate::error::Problem;
use crate::fsx::{self, NewFile};
use crate::journal::{self, Pending, State};
use crate::targets::{FileEdit, Scope, TargetKind};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static HANDLER: Once = Once::new();

/// From now on, Ctrl-C no longer kills the process; it asks the writer to stop and roll back.
pub fn catch_interrupts() {
    HANDLER.call_once(|| {
        // If no handler can be set, Ctrl-C keeps its default effect: it can at worst stop the
        // process between two atomic renames, and the journal entry stays `pending`, which
        // `mirror restore` then offers to undo with `--id <id> --force`.
        let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    });
}

fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// One target's edits.
#[derive(Debug, Clone)]
pub struct TargetEdits {
    pub target: TargetKind,
    pub edits: Vec<FileEdit>,
}

/// One file to bring from `before` to `after` (`None`: the file does not exist).
#[derive(Debug, Clone, Copy)]
pub struct Write<'a> {
    pub path: &'a Path,
    pub before: Option<&'a [u8]>,
    pub after: Option<&'a [u8]>,
    /// Mode and owner for the written file.
    pub new: NewFile<'a>,
}

/// Writes every changing edit behind a new journal entry and returns the entry id.
/// Nothing is written when nothing changes (`Ok(None)`).
pub fn apply(ctx: &Context, site: &str, work: &[TargetEdits]) -> Result<Option<String>> {
    let folded = fold(work);
    let changes: Vec<(TargetKind, &FileEdit)> = folded.iter().map(|(t, _, e)| (*t, e)).collect();
    if changes.is_empty() {
        return Ok(None);
    }
    for (_, edit) in &changes {
        preflight(&edit.path)?;
    }
    let _locks = lock_journals(ctx, changes.iter().map(|(t, _)| t.scope()))?;
    catch_interrupts();

    let pending: Vec<Pending<'_>> = changes
        .iter()
        .zip(&folded)
        .map(|((target, e), (_, also, _))| Pending {
            target: *target,
            also: also.clone(),
            path: &e.path,
            before: e.before.as_deref(),
            after: e.after.as_deref(),
        })
        .collect();
    let mut entry = journal::create(ctx, site, &pending)?;

    let owners: Vec<Option<Owner>> = changes.iter().map(|(target, _)| owner_for(ctx, *target)).collect();
    let writes: Vec<Write<'_>> = changes
        .iter()
        .zip(&owners)
        .map(|((_, e), owner)| Write {
            path: &e.path,
            before: e.before.as_deref(),
            after: e.after.as_deref(),
            new: NewFile { owner: owner.as_ref(), mode: None, exact: false, root: Some(&ctx.root) },
        })
        .collect();
    match write_all(ctx, &writes) {
        Ok(()) => {
            entry.set_state(State::Complete, ctx)?;
            Ok(Some(entry.id))
        }
        Err(err) => {
            entry.set_state(State::RolledBack, ctx)?;
            Err(err)
        }
    }
}

/// The changing edits, one per file: when several targets edit one file (each planned on
/// what the earlier ones will write, see `Context::planned`), the file goes from the first
/// one's `before` to the last one's `after`, journaled for the first target and the others.
fn fold(work: &[TargetEdits]) -> Vec<(TargetKind, Vec<TargetKind>, FileEdit)> {
    let mut out: Vec<(TargetKind, Vec<TargetKind>, FileEdit)> = Vec::new();
    for t in work {
        for e in t.edits.iter().filter(|e| e.is_change()) {
            match out.iter_mut().find(|(_, _, f)| f.path == e.path) {
                Some((first, also, f)) => {
                    f.after.clone_from(&e.after);
                    if *first != t.target && !also.contains(&t.target) {
                        also.push(t.target);
                    }
                }
                None => out.push((t.target, Vec::new(), e.clone())),
            }
        }
    }
    out.retain(|(_, _, e)| e.is_change());
    out
}

/// Writes each file in order. Before each write the file must still hold `before`: if
/// something else changed it since it was read, the run stops. On any failure, or Ctrl-C
/// (after [`catch_interrupts`]), every file already written gets its `before` back.
pub fn write_all(ctx: &Context, writes: &[Write<'_>]) -> Result<()> {
    let mut written: Vec<&Write<'_>> = Vec::new();
    for w in writes {
        if ctx.test_interrupt_after == Some(written.len()) {
            INTERRUPTED.store(true, Ordering::SeqCst);
        }
        let result = if interrupted() { Err(Problem::interrupted().into()) } else { write_one(ctx, w) };
        if let Err(err) = result {
            return Err(match roll_back(&written) {
                Ok(()) => err,
                Err(rb) => err.context(format!("and putting back the files already written failed too: {rb:#}")),
            });
        }
        written.push(w);
    }
    if interrupted() {
        // Everything is written; honour the Ctrl-C by undoing it.
        roll_back(&written)?;
        return Err(Problem::interrupted().into());
    }
    Ok(())
}

fn write_one(ctx: &Context, w: &Write<'_>) -> Result<()> {
    let now = read_bytes(w.path)?;
    if now.as_deref() != w.before {
        return Err(Problem::failed(format!(
            "`{}` changed while `mirror` was working; every file already written was put back",
            w.path.display()
        ))
        .hint("run the command again")
        .into());
    }
    let injected = ctx.test_fail_write.as_deref().is_some_and(|end| w.path.ends_with(end));
    let result = match w.after {
        _ if injected => Err(anyhow::anyhow!("injected failure (`MIRROR_TEST_FAIL_WRITE`)")),
        Some(bytes) => fsx::write_atomic(w.path, bytes, w.new),
        None => fsx::remove(w.path),
    };
    result.map_err(|err| {
        err.context(Problem::failed(format!(
            "could not write `{}`; every file already written was put back",
            w.path.display()
        )))
    })
}

/// Puts back the `before` bytes of every file in `written`, newest first.
fn roll_back(written: &[&Write<'_>]) -> Result<()> {
    let mut first_error = None;
    for w in written.iter().rev() {
        let result = match w.before {
            Some(bytes) => fsx::write_atomic(w.path, bytes, NewFile { root: w.new.root, ..NewFile::default() }),
            None => fsx::remove(w.path),
        };
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// The bytes of `path` now; `None` when it does not exist.
pub fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(crate::error::with_permission_hint(e, path, "read")),
    }
}

/// Locks the journal folders of `scopes` against another `mirror` changing the same files.
pub fn lock_journals(ctx: &Context, scopes: impl Iterator<Item = Scope>) -> Result<Vec<Flock<File>>> {
    let mut scopes: Vec<Scope> = scopes.collect();
    scopes.sort_by_key(|s| matches!(s, Scope::User));
    scopes.dedup();
    scopes
        .into_iter()
        .map(|scope| {
            let (journal, owner) = match scope {
                Scope::System => (ctx.system_journal_dir(), None),
                Scope::User => (ctx.user_journal_dir(), ctx.sudo_user.as_ref()),
            };
            // The lock sits beside the journal folder (`.../mirror/lock`), not among its entries.
            fsx::lock(journal.parent().unwrap_or(&journal), owner)
        })
        .collect()
}

/// User files are written for the invoking user under sudo.
pub fn owner_for(ctx: &Context, target: TargetKind) -> Option<Owner> {
    match target.scope() {
        Scope::User => ctx.sudo_user.clone(),
        Scope::System => None,
    }
}

/// Fails early, before anything is written, when a file's folder cannot be written.
fn preflight(path: &Path) -> Result<()> {
    let mut dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    while !dir.as_os_str().is_empty() && !dir.exists() {
        dir = dir.parent().map(Path::to_path_buf).unwrap_or_default();
    }
    if dir.as_os_str().is_empty() || !dir.is_dir() {
        return Ok(()); // the write itself will report what is wrong
    }
    match nix::unistd::access(&dir, nix::unistd::AccessFlags::W_OK) {
        Ok(()) => Ok(()),
        Err(_) => Err(Problem::failed(format!("permission denied: cannot write `{}`", path.display()))
            .hint("system files need root: run the same command with `sudo`; nothing was changed")
            .into()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::ffi::OsString;

    use super::*;
    use crate::context::Overrides;

    fn ctx(home: &Path) -> Context {
        let map: BTreeMap<&str, OsString> = [("HOME", home.as_os_str().to_owned())].into();
        Context::from_vars(&Overrides::default(), |n| map.get(n).cloned()).unwrap()
    }

    #[test]
    fn a_file_changed_since_it_was_read_stops_the_run_and_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, "a0").unwrap();
        std::fs::write(&b, "edited meanwhile").unwrap();
        let writes = [
            Write { path: &a, before: Some(b"a0"), after: Some(b"a1"), new: NewFile::default() },
            Write { path: &b, before: Some(b"b0"), after: Some(b"b1"), new: NewFile::default() },
        ];
        let err = write_all(&ctx(dir.path()), &writes).unwrap_err();
        assert!(format!("{err}").contains("changed while `mirror` was working"), "{err}");
        assert_eq!(std::fs::read(&a).unwrap(), b"a0", "the first file was put back");
        assert_eq!(std::fs::read(&b).unwrap(), b"edited meanwhile", "the other edit is kept");
    }

    #[test]
    fn a_created_file_is_removed_on_roll_back() {
        let dir = tempfile::tempdir().unwrap();
        let (new, bad) = (dir.path().join("new"), dir.path().join("bad"));
        std::fs::write(&bad, "x").unwrap();
        let writes = [
            Write { path: &new, before: None, after: Some(b"n"), new: NewFile::default() },
            Write { path: &bad, before: None, after: Some(b"y"), new: NewFile::default() },
        ];
        assert!(write_all(&ctx(dir.path()), &writes).is_err());
        assert!(!new.exists());
    }
}
