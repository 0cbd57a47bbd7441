//! Writing a set of file edits as one unit: journal first, then atomic writes; on a failure or
//! Ctrl-C part-way, every file already written is put back.

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;

use crate::context::{Context, Owner};
use crate::error::Problem;
use crate::fsx::{self, NewFile};
use crate::journal::{self, Entry, Pending, State};
use crate::targets::{FileEdit, Scope, TargetKind};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static HANDLER: Once = Once::new();

/// From now on, Ctrl-C no longer kills the process; it asks the writer to stop and roll back.
pub fn catch_interrupts() {
    HANDLER.call_once(|| {
        // If a handler cannot be set (another one exists), Ctrl-C keeps its default effect,
        // which can at worst stop between two atomic renames; the journal still holds every
        // original, so `mirror restore --force` repairs it.
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

/// Writes every changing edit behind a new journal entry and returns the entry id.
/// Nothing is written when nothing changes (`Ok(None)`).
pub fn apply(ctx: &Context, site: &str, work: &[TargetEdits]) -> Result<Option<String>> {
    let changes: Vec<(TargetKind, &FileEdit)> =
        work.iter().flat_map(|t| t.edits.iter().filter(|e| e.is_change()).map(move |e| (t.target, e))).collect();
    if changes.is_empty() {
        return Ok(None);
    }
    for (_, edit) in &changes {
        preflight(&edit.path)?;
    }
    catch_interrupts();

    let pending: Vec<Pending<'_>> = changes
        .iter()
        .map(|(target, e)| Pending {
            target: *target,
            path: &e.path,
            before: e.before.as_deref(),
            after: e.after.as_deref(),
        })
        .collect();
    let mut entry = journal::create(ctx, site, &pending)?;

    let mut written: Vec<&FileEdit> = Vec::new();
    for (target, edit) in &changes {
        if ctx.test_interrupt_after == Some(written.len()) {
            INTERRUPTED.store(true, Ordering::SeqCst);
        }
        if interrupted() {
            roll_back(ctx, &written, &mut entry)?;
            return Err(Problem::interrupted().into());
        }
        let owner = owner_for(ctx, *target);
        let injected = ctx.test_fail_write.as_deref().is_some_and(|end| edit.path.ends_with(end));
        let result = match &edit.after {
            _ if injected => Err(anyhow::anyhow!("injected failure (`MIRROR_TEST_FAIL_WRITE`)")),
            Some(bytes) => {
                fsx::write_atomic(&edit.path, bytes, NewFile { owner: owner.as_ref(), mode: None, exact: false })
            }
            None => fsx::remove(&edit.path),
        };
        if let Err(err) = result {
            let rollback = roll_back(ctx, &written, &mut entry);
            let err = err.context(Problem::failed(format!(
                "could not write `{}`; every file already written was put back",
                edit.path.display()
            )));
            return Err(match rollback {
                Ok(()) => err,
                Err(rb) => err.context(format!(
                    "and the roll-back failed too: {rb:#}; run `mirror restore --id {} --force`",
                    entry.id
                )),
            });
        }
        written.push(edit);
    }
    entry.set_state(State::Complete, ctx)?;
    if interrupted() {
        // Everything is written and journaled; honour the Ctrl-C by undoing it.
        roll_back(ctx, &written, &mut entry)?;
        return Err(Problem::interrupted().into());
    }
    Ok(Some(entry.id))
}

/// Puts back the original bytes of every file in `written`, newest first.
fn roll_back(ctx: &Context, written: &[&FileEdit], entry: &mut Entry) -> Result<()> {
    let mut first_error = None;
    for edit in written.iter().rev() {
        let result = match &edit.before {
            Some(bytes) => fsx::write_atomic(&edit.path, bytes, NewFile::default()),
            None => fsx::remove(&edit.path),
        };
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    entry.set_state(State::RolledBack, ctx)?;
    first_error.map_or(Ok(()), Err)
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
    let mut dir: PathBuf = path.parent().map(Path::to_path_buf).unwrap_or_default();
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
