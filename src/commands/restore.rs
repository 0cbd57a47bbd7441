//! `mirror restore`: give back the exact bytes a `use` replaced.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use super::shared::App;
use crate::apply::{self, Write, catch_interrupts, read_bytes, write_all};
use crate::cli::RestoreArgs;
use crate::context::Owner;
use crate::error::{ExitStatus, Problem};
use crate::fsx::NewFile;
use crate::journal::{self, Entry, FileRecord, State};
use crate::output::{table, unified_diff};
use crate::targets::{Scope, TargetKind};

#[derive(Debug, Serialize)]
struct Report {
    journal: String,
    files: Vec<FileReport>,
}

#[derive(Debug, Serialize)]
struct FileReport {
    path: PathBuf,
    action: Action,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Action {
    Restored,
    Removed,
    Unchanged,
    Refused,
}

#[derive(Debug, Serialize)]
struct Listing {
    entries: Vec<ListedEntry>,
}

#[derive(Debug, Serialize)]
struct ListedEntry {
    id: String,
    created: u64,
    site: String,
    state: State,
    targets: Vec<crate::targets::TargetKind>,
    files: Vec<PathBuf>,
}

/// One file to put back and what was recorded of it.
struct Step {
    record: FileRecord,
    /// Where the file is in the current root (see [`journal::locate`]); for a record outside
    /// the root, what it says.
    path: PathBuf,
    /// Whether the record names a file outside the current root (refused, even with `--force`).
    outside: bool,
    /// The folders the `use` created for it, in the current root.
    created_dirs: Vec<PathBuf>,
    /// Who the restored file belongs to.
    owner: Option<Owner>,
    action: Action,
    /// The bytes the file must hold afterwards (`None`: the file must not exist).
    original: Option<Vec<u8>>,
    current: Option<Vec<u8>>,
}

pub fn run(app: &App, args: &RestoreArgs) -> Result<ExitStatus> {
    let (entries, warnings) = journal::list(&app.ctx)?;
    for w in &warnings {
        app.out.warn(w);
    }
    if args.list {
        return list(app, &entries);
    }
    let mut entry = match args.id.as_deref() {
        Some(id) => by_id(&entries, id)?,
        None => latest(app, &entries, &args.targets)?,
    }
    .clone();
    if entry.state() == State::Pending {
        app.out
            .talk(&format!("the `mirror use` of entry {} was stopped part-way; putting back what it wrote", entry.id));
    }

    let mut steps = Vec::new();
    for (dir, record) in entry.files() {
        if !args.targets.is_empty() && !args.targets.iter().any(|t| record.is_for(*t)) {
            continue;
        }
        let Some(located) = journal::locate(&app.ctx, &record.path)? else {
            steps.push(Step {
                record: record.clone(),
                path: record.path.clone(),
                outside: true,
                created_dirs: Vec::new(),
                owner: None,
                action: Action::Refused,
                original: None,
                current: None,
            });
            continue;
        };
        let path = located.file().to_path_buf();
        let owner = trusted_owner(app, dir, record, &path)?;
        let original = record.before.as_deref().map(|b| Entry::blob(dir, b)).transpose()?;
        let written = record.after.as_deref().map(|a| Entry::blob(dir, a)).transpose()?;
        let current = read_bytes(&path)?;
        // A `use` that was stopped part-way left each file either as it was (unchanged) or
        // as it wrote it: both are what the journal recorded.
        let action = if current == original {
            Action::Unchanged
        } else if current != written && !args.force {
            Action::Refused
        } else if original.is_none() {
            Action::Removed
        } else {
            Action::Restored
        };
        let created_dirs = record.located_dirs(&app.ctx);
        steps.push(Step {
            record: record.clone(),
            path,
            outside: false,
            created_dirs,
            owner,
            action,
            original,
            current,
        });
    }

    let outside: Vec<String> = steps.iter().filter(|s| s.outside).map(|s| format!("`{}`", s.path.display())).collect();
    if !outside.is_empty() {
        let error = Problem::bad(format!(
            "not restoring: the journal entry {} names files outside the root `{}`: {}; nothing was changed",
            entry.id,
            app.ctx.root.display(),
            outside.join(", ")
        ))
        .hint(format!(
            "the entry was made for a root that was at another place then (an earlier `mirror` recorded host paths): \
             restore it with `--root` at that place, or take the original bytes from its journal folder (`{}`) by hand",
            entry.parts.first().map(|(dir, _)| dir.display().to_string()).unwrap_or_default()
        ));
        report(app, &entry.id, &steps, |s| if s.outside { Action::Refused } else { Action::Unchanged })?;
        return Err(error.into());
    }

    let refused: Vec<&Step> = steps.iter().filter(|s| s.action == Action::Refused).collect();
    if !refused.is_empty() {
        let names: Vec<String> = refused.iter().map(|s| format!("`{}`", s.path.display())).collect();
        let error = Problem::failed(format!(
            "not restoring: {} changed after `mirror use` (entry {}); nothing was changed",
            names.join(", "),
            entry.id
        ))
        .hint(format!(
            "look at the file first; `mirror restore --id {} --force` overwrites the edits with the original bytes",
            entry.id
        ));
        // What happened: the refused files are named, every other one was left as it is.
        report(
            app,
            &entry.id,
            &steps,
            |s| if s.action == Action::Refused { Action::Refused } else { Action::Unchanged },
        )?;
        return Err(error.into());
    }

    if app.args.dry_run {
        if !app.args.json {
            let diff: String = steps
                .iter()
                .filter(|s| s.action != Action::Unchanged)
                .map(|s| app.out.diff(&unified_diff(&s.path, s.current.as_deref(), s.original.as_deref())))
                .collect();
            app.out.data(&diff)?;
        }
        return report(app, &entry.id, &steps, |s| s.action).map(|()| ExitStatus::Success);
    }
    let changes = steps.iter().filter(|s| s.action != Action::Unchanged).count();
    if changes > 0 && !app.args.yes && app.out.interactive() {
        for s in steps.iter().filter(|s| s.action != Action::Unchanged) {
            app.out.talk(&app.out.diff_err(&unified_diff(&s.path, s.current.as_deref(), s.original.as_deref())));
        }
        if !app.out.confirm("restore these files?")? {
            report(app, &entry.id, &steps, |_| Action::Unchanged)?;
            return Err(Problem::failed("not restoring: declined at the prompt; nothing was changed").into());
        }
    }

    // All or nothing: a failure or a signal part-way puts back what was already restored.
    let _locks = journal::lock(&app.ctx, steps.iter().map(|s| s.record.target.scope()))?;
    let interrupts = catch_interrupts();
    let id = entry.id.clone();
    let writes: Vec<Write<'_>> = steps
        .iter()
        .filter(|s| s.action != Action::Unchanged)
        .map(|s| Write {
            path: &s.path,
            before: s.current.as_deref(),
            after: s.original.as_deref(),
            new: NewFile {
                owner: s.owner.as_ref(),
                mode: s.record.mode,
                exact: true,
                root: Some(&app.ctx.root),
                tag: Some(&id),
            },
            scope: s.record.target.scope(),
            created_dirs: &s.created_dirs,
        })
        .collect();
    if let Err(failed) = write_all(&app.ctx, &writes) {
        drop(interrupts);
        report(app, &entry.id, &steps, undone(&failed.left))?;
        return Err(failed.error);
    }
    let all = args.targets.is_empty() || entry.targets().iter().all(|t| args.targets.contains(t));
    let unmarked = entry.clone();
    apply::test_pause_at(&app.ctx, "marking");
    let marked = if all { entry.set_state(State::Restored, &app.ctx) } else { Ok(()) };
    // The last look: a signal while the entry was marked still undoes the restore.
    if let Some(signal) = interrupts.last_look() {
        let failed = apply::undo(&writes, signal);
        let mut error = failed.error;
        if all && marked.is_ok() && failed.left.is_empty() {
            if let Err(e) = unmarked.save(&app.ctx) {
                let note = format!(
                    "the journal entry {id} could not be given its state back ({e:#}): it says restored, \
                     although its files are as the `use` left them; `mirror restore --id {id}` restores them"
                );
                error = crate::error::note(error, note);
            }
        }
        drop(interrupts);
        report(app, &entry.id, &steps, undone(&failed.left))?;
        return Err(error);
    }
    interrupts.commit(&app.ctx);
    if let Err(e) = marked {
        app.out.warn(&format!(
            "the files are restored, but the journal entry {} could not be marked restored: {e:#}",
            entry.id
        ));
    }
    report(app, &entry.id, &steps, |s| s.action)?;
    Ok(ExitStatus::Success)
}

/// The owner to give a restored file. A user's journal is writable by that user, so when
/// root restores from it (`sudo mirror restore`), a record is trusted only for a user-level
/// target's file inside that user's own config locations, and the file goes to the user.
fn trusted_owner(app: &App, dir: &Path, record: &FileRecord, path: &Path) -> Result<Option<Owner>> {
    let recorded = match (record.uid, record.gid) {
        (Some(uid), Some(gid)) => Some(Owner { name: String::new(), uid, gid }),
        _ => None,
    };
    let part_owner = std::fs::metadata(dir).map(|m| m.uid()).unwrap_or(0);
    if !nix::unistd::geteuid().is_root() || part_owner == 0 {
        return Ok(recorded);
    }
    let ctx = &app.ctx;
    if record.target.scope() != Scope::User || !journal::user_path_allowed(ctx, dir, path) {
        return Err(Problem::bad(format!(
            "refusing to restore `{}` as root from the journal entry in `{}`, which another user can write",
            path.display(),
            dir.display()
        ))
        .hint("restore user files without `sudo`")
        .into());
    }
    let user = ctx.sudo_user.clone().unwrap_or(Owner { name: String::new(), uid: part_owner, gid: part_owner });
    Ok(Some(user))
}

/// The entry `--id` names.
fn by_id<'a>(entries: &'a [Entry], id: &str) -> Result<&'a Entry> {
    entries.iter().find(|e| e.id == id).ok_or_else(|| {
        Problem::bad(format!("no journal entry `{id}`")).hint("list them with `mirror restore --list`").into()
    })
}

/// The entry to restore without `--id`: the newest one a `use` wrote to (holding one of the
/// named targets, if any), whether it finished or was stopped part-way. A pending entry
/// whose files (of those targets) all still hold what they held before is passed over with
/// a note: its `use` was stopped before it wrote anything, so undoing the last change means
/// undoing the entry before it. One whose files all do is marked rolled back, which it is.
fn latest<'a>(app: &App, entries: &'a [Entry], targets: &[TargetKind]) -> Result<&'a Entry> {
    let relevant = |e: &&Entry| targets.is_empty() || e.targets().iter().any(|t| targets.contains(t));
    let candidates =
        entries.iter().rev().filter(relevant).filter(|e| matches!(e.state(), State::Complete | State::Pending));
    for entry in candidates {
        if entry.state() == State::Pending && untouched(app, entry, targets) {
            pass_over(app, entry, targets);
            continue;
        }
        return Ok(entry);
    }
    let why = if entries.is_empty() {
        "no `mirror use` is recorded in the journal"
    } else {
        "every `mirror use` in the journal was already restored or rolled back"
    };
    Err(Problem::failed(format!("nothing to restore: {why}"))
        .hint("`mirror restore --list` shows every entry; `mirror use upstream` points back at the official servers")
        .into())
}

/// Whether every file of `entry` (of `targets`, or all) still holds what it held before the
/// `use`; a file that cannot be found or read does not.
fn untouched(app: &App, entry: &Entry, targets: &[TargetKind]) -> bool {
    entry.files().filter(|(_, f)| targets.is_empty() || targets.iter().any(|t| f.is_for(*t))).all(|(dir, f)| {
        let Ok(Some(located)) = journal::locate(&app.ctx, &f.path) else { return false };
        let before = f.before.as_deref().map(|b| Entry::blob(dir, b)).transpose();
        matches!((before, read_bytes(located.file())), (Ok(before), Ok(now)) if before == now)
    })
}

/// Says that `entry` is passed over and, when none of its files was written, marks it
/// rolled back. That is done under the journal lock, and only when the lock is free: the
/// pending entry of a `use` that is still running (it holds the lock) is not marked, and
/// the restore itself then stops at the lock.
fn pass_over(app: &App, entry: &Entry, targets: &[TargetKind]) {
    let whole = untouched(app, entry, &[]);
    let what = if whole {
        "before it wrote anything".to_owned()
    } else {
        let names: Vec<&str> = targets.iter().map(|t| t.name()).collect();
        format!("before it wrote the files of {}", names.join(", "))
    };
    app.out.talk(&format!(
        "the `mirror use` of entry {} was stopped {what}: nothing of it to undo; passing over it",
        entry.id
    ));
    if !whole || app.args.dry_run {
        return;
    }
    let scopes = entry
        .parts
        .iter()
        .map(|(dir, _)| if journal::is_user_part(&app.ctx, dir) { Scope::User } else { Scope::System });
    let Ok(_locks) = journal::lock(&app.ctx, scopes) else { return };
    if untouched(app, entry, &[]) {
        let mut entry = entry.clone();
        if let Err(e) = entry.set_state(State::RolledBack, &app.ctx) {
            app.out.warn(&format!("the journal entry {} could not be marked rolled back: {e:#}", entry.id));
        }
    }
}

fn list(app: &App, entries: &[Entry]) -> Result<ExitStatus> {
    let listed: Vec<ListedEntry> = entries
        .iter()
        .rev()
        .map(|e| ListedEntry {
            id: e.id.clone(),
            created: e.created(),
            site: e.site().to_owned(),
            state: e.state(),
            targets: e.targets(),
            files: e
                .files()
                .map(|(_, f)| match journal::locate(&app.ctx, &f.path) {
                    Ok(Some(located)) => located.file().to_path_buf(),
                    _ => f.path.clone(),
                })
                .collect(),
        })
        .collect();
    if app.args.json {
        app.out.json(&Listing { entries: listed })?;
        return Ok(ExitStatus::Success);
    }
    if listed.is_empty() {
        app.out.talk("the journal is empty");
        return Ok(ExitStatus::Success);
    }
    let rows: Vec<Vec<String>> = listed
        .iter()
        .map(|e| {
            let when = chrono::DateTime::from_timestamp(i64::try_from(e.created).unwrap_or(0), 0)
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default();
            let state =
                serde_json::to_value(e.state).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            let targets: Vec<&str> = e.targets.iter().map(|t| t.name()).collect();
            vec![e.id.clone(), when, e.site.clone(), state, targets.join(" ")]
        })
        .collect();
    app.out.data(&table(&["ID", "WHEN", "SITE", "STATE", "TARGETS"], &rows))?;
    Ok(ExitStatus::Success)
}

/// What became of each file when a restore was undone: those that could not be put back
/// hold the restored bytes.
fn undone(left: &[PathBuf]) -> impl Fn(&Step) -> Action + '_ {
    move |s| if left.contains(&s.path) { s.action } else { Action::Unchanged }
}

/// Reports each step with the action `done` says happened to it.
fn report(app: &App, id: &str, steps: &[Step], done: impl Fn(&Step) -> Action) -> Result<()> {
    let files: Vec<FileReport> = steps.iter().map(|s| FileReport { path: s.path.clone(), action: done(s) }).collect();
    if app.args.json {
        return app.out.json(&Report { journal: id.to_owned(), files });
    }
    let rows: Vec<Vec<String>> = files
        .iter()
        .map(|f| {
            let action = match f.action {
                Action::Restored if app.args.dry_run => "would restore",
                Action::Removed if app.args.dry_run => "would remove",
                Action::Restored => "restored",
                Action::Removed => "removed",
                Action::Unchanged => "unchanged",
                Action::Refused => "refused (changed since)",
            };
            vec![action.to_owned(), f.path.display().to_string()]
        })
        .collect();
    app.out.data(&table(&["ACTION", "FILE"], &rows))
}
