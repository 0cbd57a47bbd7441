//! `mirror restore`: give back the exact bytes a `use` replaced.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use super::App;
use crate::apply::catch_interrupts;
use crate::cli::RestoreArgs;
use crate::context::Owner;
use crate::error::{ExitStatus, Problem};
use crate::fsx::{self, NewFile};
use crate::journal::{self, Entry, FileRecord, State};
use crate::output::{table, unified_diff};

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
    action: Action,
    /// The bytes the file must hold afterwards (`None`: the file must not exist).
    original: Option<Vec<u8>>,
    current: Option<Vec<u8>>,
}

pub fn run(app: &App, args: &RestoreArgs) -> Result<ExitStatus> {
    let entries = journal::list(&app.ctx)?;
    if args.list {
        return list(app, &entries);
    }
    let mut entry = pick(&entries, args.id.as_deref())?.clone();

    let mut steps = Vec::new();
    for (dir, record) in entry.files() {
        if !args.targets.is_empty() && !args.targets.contains(&record.target) {
            continue;
        }
        let original = record.before.as_deref().map(|b| Entry::blob(dir, b)).transpose()?;
        let written = record.after.as_deref().map(|a| Entry::blob(dir, a)).transpose()?;
        let current = read_current(&record.path)?;
        let action = if current == original {
            Action::Unchanged
        } else if current != written && !args.force {
            Action::Refused
        } else if original.is_none() {
            Action::Removed
        } else {
            Action::Restored
        };
        steps.push(Step { record: record.clone(), action, original, current });
    }
    if steps.is_empty() {
        return Err(Problem::bad(format!("journal entry `{}` has no files of the named targets", entry.id)).into());
    }

    let refused: Vec<&Step> = steps.iter().filter(|s| s.action == Action::Refused).collect();
    if !refused.is_empty() {
        let names: Vec<String> = refused.iter().map(|s| format!("`{}`", s.record.path.display())).collect();
        report(app, &entry.id, &steps)?;
        return Err(Problem::failed(format!(
            "not restoring: {} changed after `mirror use` (entry {}); nothing was changed",
            names.join(", "),
            entry.id
        ))
        .hint(format!(
            "look at the file first; `mirror restore --id {} --force` overwrites the edits with the original bytes",
            entry.id
        ))
        .into());
    }

    if app.args.dry_run {
        if !app.args.json {
            let diff: String = steps
                .iter()
                .filter(|s| s.action != Action::Unchanged)
                .map(|s| unified_diff(&s.record.path, s.current.as_deref(), s.original.as_deref()))
                .collect();
            app.out.data(&diff)?;
        }
        return report(app, &entry.id, &steps).map(|()| ExitStatus::Success);
    }
    let changes = steps.iter().filter(|s| s.action != Action::Unchanged).count();
    if changes > 0 && !app.args.yes && app.out.interactive() {
        for s in steps.iter().filter(|s| s.action != Action::Unchanged) {
            app.out.talk(&unified_diff(&s.record.path, s.current.as_deref(), s.original.as_deref()));
        }
        if !app.out.confirm("restore these files?")? {
            app.out.talk("nothing was changed");
            return Ok(ExitStatus::Failure);
        }
    }

    catch_interrupts();
    for step in &steps {
        put_back(step)?;
    }
    let all = args.targets.is_empty() || entry.targets().iter().all(|t| args.targets.contains(t));
    if all {
        entry.set_state(State::Restored, &app.ctx)?;
    }
    report(app, &entry.id, &steps)?;
    Ok(ExitStatus::Success)
}

fn put_back(step: &Step) -> Result<()> {
    match (&step.action, &step.original) {
        (Action::Unchanged | Action::Refused, _) => Ok(()),
        (_, None) => fsx::remove(&step.record.path),
        (_, Some(bytes)) => {
            let owner = match (step.record.uid, step.record.gid) {
                (Some(uid), Some(gid)) => Some(Owner { name: String::new(), uid, gid }),
                _ => None,
            };
            let new = NewFile { owner: owner.as_ref(), mode: step.record.mode, exact: true };
            fsx::write_atomic(&step.record.path, bytes, new)
        }
    }
}

fn read_current(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(crate::error::with_permission_hint(e, path, "read")),
    }
}

/// The entry to restore: `--id`, else the newest one that a `use` completed.
fn pick<'a>(entries: &'a [Entry], id: Option<&str>) -> Result<&'a Entry> {
    if let Some(id) = id {
        return entries.iter().find(|e| e.id == id).ok_or_else(|| {
            Problem::bad(format!("no journal entry `{id}`")).hint("list them with `mirror restore --list`").into()
        });
    }
    entries.iter().rev().find(|e| e.state() == State::Complete).ok_or_else(|| {
        let why = if entries.is_empty() {
            "no `mirror use` is recorded in the journal"
        } else {
            "every `mirror use` in the journal was already restored or rolled back"
        };
        Problem::failed(format!("nothing to restore: {why}"))
            .hint(
                "`mirror restore --list` shows every entry; `mirror use upstream` points back at the official servers",
            )
            .into()
    })
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
            files: e.files().map(|(_, f)| f.path.clone()).collect(),
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

fn report(app: &App, id: &str, steps: &[Step]) -> Result<()> {
    let files: Vec<FileReport> =
        steps.iter().map(|s| FileReport { path: s.record.path.clone(), action: s.action }).collect();
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
