//! Writing a set of files as one unit: every file still holds what was read, or nothing is
//! written; on a failure or Ctrl-C part-way, every file already written is put back.
//! `use` and `heal` call [`apply_judged`]: it journals first, writes, has each target's new
//! files checked before the journal entry is complete and puts back the ones that fail;
//! `restore` calls [`write_all`] directly.
//!
//! Signals: from the lock until the journal entry says how the run ended, SIGINT, SIGTERM
//! and SIGHUP put back every file and the run exits 128 + N ([`Interrupts`]). The last look
//! for one is after the entry is marked; one that comes later is too late to undo anything:
//! the run finishes normally and says so ([`late_signal`]).

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

use crate::context::{Context, Owner};
use crate::error::{self, ExitStatus, Problem};
use crate::fsx::{self, NewFile};
use crate::journal::{self, Entry, Pending, State};
use crate::targets::{FileEdit, Scope, TargetKind};

/// The signals that stop a writer, which then rolls back (exit 128 + the signal's number).
const SIGNALS: [i32; 3] = [SIGINT, SIGTERM, SIGHUP];

/// The last signal caught inside a critical section (0: none).
static CAUGHT: AtomicUsize = AtomicUsize::new(0);
/// Outside a critical section a signal has its default effect (the process ends).
static DEFAULT_EFFECT: AtomicBool = AtomicBool::new(true);
/// Set once a run is committed ([`Interrupts::commit`]): a signal is then only noted.
static LATE: AtomicBool = AtomicBool::new(false);
static HANDLERS: Once = Once::new();

/// While this guard lives, SIGINT, SIGTERM and SIGHUP no longer end the process: they ask
/// [`write_all`] to stop and put back what it wrote, and the holder looks once more
/// ([`Interrupts::last_look`]) after the journal entry is marked. Then either the run is
/// undone, or it is committed ([`Interrupts::commit`]): a signal from then on is too late to
/// undo anything and no longer ends the process either, which finishes normally (its files
/// are new and journaled; [`late_signal`] tells). Dropping the guard without committing (a
/// run that failed or was put back) gives the signals their default effect again; one that
/// came meanwhile is part of the failure already on its way out.
#[must_use = "signals are caught only while the guard lives"]
pub struct Interrupts(());

/// Starts a critical section (see [`Interrupts`]).
pub fn catch_interrupts() -> Interrupts {
    HANDLERS.call_once(|| {
        for signal in SIGNALS {
            // The order matters: outside a critical section the first action ends the process
            // the way the signal's default would; inside, the second one records the signal.
            // If a handler cannot be set the signal keeps its default effect: it can at worst
            // stop the process between two atomic renames, and the journal entry stays
            // `pending`, which a plain `mirror restore` then undoes.
            let _ = signal_hook::flag::register_conditional_default(signal, &DEFAULT_EFFECT)
                .and_then(|_| signal_hook::flag::register_usize(signal, &CAUGHT, signal as usize));
        }
    });
    CAUGHT.store(0, Ordering::SeqCst);
    LATE.store(false, Ordering::SeqCst);
    DEFAULT_EFFECT.store(false, Ordering::SeqCst);
    Interrupts(())
}

impl Interrupts {
    /// The last look for a signal, once the journal entry is marked: `Some` asks the holder
    /// to put back what stays written.
    pub fn last_look(&self) -> Option<i32> {
        take_signal()
    }

    /// Ends the critical section of a run whose files stay written: from now on a signal is
    /// only recorded, for [`late_signal`], and the process finishes normally.
    pub fn commit(self, ctx: &Context) {
        LATE.store(true, Ordering::SeqCst);
        std::mem::forget(self);
        test_pause_at(ctx, "done");
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        DEFAULT_EFFECT.store(true, Ordering::SeqCst);
        CAUGHT.store(0, Ordering::SeqCst);
    }
}

/// A signal that came after a run was committed ([`Interrupts::commit`]): it undid nothing.
pub fn late_signal() -> Option<i32> {
    if LATE.load(Ordering::SeqCst) { take_signal() } else { None }
}

/// The signal caught since the last look, if any.
fn take_signal() -> Option<i32> {
    match CAUGHT.swap(0, Ordering::SeqCst) {
        0 => None,
        n => i32::try_from(n).ok(),
    }
}

/// Test hook (`MIRROR_TEST_PAUSE_AFTER`): waits here, after `written` files, for a signal.
fn test_pause(ctx: &Context, written: usize) {
    if ctx.test_pause_after == Some(written) {
        wait_for_signal(&format!("after {written} writes"));
    }
}

/// Test hook (`MIRROR_TEST_PAUSE_AT`): waits here, at the point named `at`, for a signal.
pub fn test_pause_at(ctx: &Context, at: &str) {
    if ctx.test_pause_at.as_deref() == Some(at) {
        wait_for_signal(&format!("at {at}"));
    }
}

#[allow(clippy::print_stderr)]
fn wait_for_signal(point: &str) {
    eprintln!("test hook: paused {point} (pid {})", std::process::id());
    let until = Instant::now() + Duration::from_secs(30);
    while CAUGHT.load(Ordering::SeqCst) == 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
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
    /// Mode, owner and temporary-file tag for the written file.
    pub new: NewFile<'a>,
    /// Whose file it is (decides the hint when it cannot be written).
    pub scope: Scope,
    /// Folders a `use` created for this file, deepest first: removed (when empty) whenever
    /// the file ends up absent, so that undoing a `use` leaves no empty folders behind.
    pub created_dirs: &'a [PathBuf],
}

/// A [`write_all`] that stopped: the error, and the files already written that could not be
/// put back (when there are any, the journal entry must stay as it is, for `mirror restore`).
#[derive(Debug)]
pub struct Failed {
    pub error: anyhow::Error,
    pub left: Vec<PathBuf>,
}

impl Failed {
    /// Whether every file already written was put back.
    pub fn rolled_back(&self) -> bool {
        self.left.is_empty()
    }
}

impl From<Failed> for anyhow::Error {
    fn from(f: Failed) -> Self {
        f.error
    }
}

/// What putting files back did not do: the files that could not be put back (or were left
/// because something else changed them), and the first error.
#[derive(Debug)]
struct Left {
    paths: Vec<PathBuf>,
    first: anyhow::Error,
}

impl Left {
    fn add(left: &mut Option<Self>, path: &Path, error: anyhow::Error) {
        match left {
            Some(l) => l.paths.push(path.to_path_buf()),
            None => *left = Some(Self { paths: vec![path.to_path_buf()], first: error }),
        }
    }
}

/// An [`apply_judged`] that stopped, and what became of its files: every changed target's
/// files are put back, but for those in `kept` (still written, in the journal entry
/// `journal`) and the files in `left` (putting them back failed).
#[derive(Debug)]
pub struct Stopped {
    pub error: anyhow::Error,
    /// Files this run wrote that should have been put back and were not.
    pub left: Vec<PathBuf>,
    /// Targets whose new files stay, deliberately: they passed their check, and only the
    /// putting back of a rejected target failed.
    pub kept: Vec<TargetKind>,
    /// The targets `judge` rejected (and those sharing a file with one).
    pub rejected: Vec<TargetKind>,
    /// The journal entry that still records files this run left written (`mirror restore`
    /// finishes the job), if any.
    pub journal: Option<String>,
}

impl Stopped {
    /// Stopped before anything was written.
    fn early(error: anyhow::Error) -> Self {
        Self { error, left: Vec::new(), kept: Vec::new(), rejected: Vec::new(), journal: None }
    }
}

impl From<Stopped> for anyhow::Error {
    fn from(s: Stopped) -> Self {
        s.error
    }
}

/// What [`apply_judged`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// The journal entry of what stays written (`None` when nothing changed, or when every
    /// changed target was put back: the entry is then marked rolled back).
    pub journal: Option<String>,
    /// The targets whose files were put back: those `judge` rejected, and those that share
    /// a file with one of them.
    pub rejected: Vec<TargetKind>,
}

/// Writes every changing edit behind a new journal entry (nothing, and no entry, when
/// nothing changes); once everything is written (still inside the critical section: a
/// signal puts back every file), `judge` gets the changed targets and returns those to put
/// back.
/// It may take a while (a package manager's check): it should look at [`signal_pending`]
/// and stop early. The rejected targets' files get their old bytes back and leave the
/// journal entry, so that `mirror restore` undoes only what stayed; when every target is
/// rejected the entry is marked rolled back. A signal until the entry is marked puts every
/// file back (exit 128 + N); after that the run is committed (see [`Interrupts`]).
pub fn apply_judged(
    ctx: &Context,
    site: &str,
    work: &[TargetEdits],
    judge: &mut dyn FnMut(&[TargetKind]) -> Vec<TargetKind>,
) -> Result<Applied, Stopped> {
    let folded = fold(work);
    let changes: Vec<(TargetKind, &FileEdit)> = folded.iter().map(|(t, _, e)| (*t, e)).collect();
    if changes.is_empty() {
        return Ok(Applied::default());
    }
    for (target, edit) in &changes {
        preflight(&edit.path, target.scope()).map_err(Stopped::early)?;
    }
    let _locks = journal::lock(ctx, changes.iter().map(|(t, _)| t.scope())).map_err(Stopped::early)?;
    let interrupts = catch_interrupts();

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
    let mut entry = journal::create(ctx, site, &pending).map_err(Stopped::early)?;
    let created: Vec<Vec<PathBuf>> = changes.iter().map(|(_, e)| entry.created_dirs(ctx, &e.path)).collect();

    let id = entry.id.clone();
    let owners: Vec<Option<Owner>> = changes.iter().map(|(target, _)| owner_for(ctx, *target)).collect();
    let writes: Vec<Write<'_>> = changes
        .iter()
        .zip(&owners)
        .zip(&created)
        .map(|(((target, e), owner), created_dirs)| Write {
            path: &e.path,
            before: e.before.as_deref(),
            after: e.after.as_deref(),
            new: NewFile { owner: owner.as_ref(), root: Some(&ctx.root), tag: Some(&id), ..NewFile::default() },
            scope: target.scope(),
            created_dirs,
        })
        .collect();
    if let Err(failed) = write_all(ctx, &writes) {
        let left = failed.left.clone();
        let error = mark_failed(ctx, &mut entry, failed);
        let journal = (!left.is_empty()).then(|| id.clone());
        return Err(Stopped { error, left, kept: Vec::new(), rejected: Vec::new(), journal });
    }

    let mut targets: Vec<TargetKind> = Vec::new();
    for (t, also, _) in &folded {
        for a in std::iter::once(t).chain(also) {
            if !targets.contains(a) {
                targets.push(*a);
            }
        }
    }
    let mut rejected: Vec<TargetKind> = judge(&targets).into_iter().filter(|t| targets.contains(t)).collect();
    // A file several targets edited goes back as a whole: the others go back with it.
    loop {
        let more: Vec<TargetKind> = folded
            .iter()
            .filter(|(t, also, _)| std::iter::once(t).chain(also).any(|x| rejected.contains(x)))
            .flat_map(|(t, also, _)| std::iter::once(*t).chain(also.iter().copied()))
            .filter(|x| !rejected.contains(x))
            .collect();
        if more.is_empty() {
            break;
        }
        rejected.extend(more);
        rejected.sort();
        rejected.dedup();
    }
    let signal = take_signal();
    // The writer's last look is behind; the journal entry is marked next.
    test_pause_at(ctx, "marking");
    let undo: Vec<&Write<'_>> = folded
        .iter()
        .zip(&writes)
        .filter(|((target, _, _), _)| signal.is_some() || rejected.contains(target))
        .map(|(_, w)| w)
        .collect();
    let stopped = |error, left, kept, journal| Stopped { error, left, kept, rejected: rejected.clone(), journal };
    let applied = match (signal, put_back(&undo)) {
        // A signal while the targets were checked: every file goes back, as for one while
        // they were written.
        (Some(signal), put_back) => {
            let failed = Stop::signal(signal).after_roll_back(put_back);
            let left = failed.left.clone();
            let error = mark_failed(ctx, &mut entry, failed);
            let journal = (!left.is_empty()).then(|| id.clone());
            return Err(stopped(error, left, Vec::new(), journal));
        }
        // Some files of a rejected target could not be put back: the entry keeps every file,
        // so `mirror restore` can finish the job.
        (None, Err(left)) => {
            let error = left.first.context(
                Problem::failed(format!(
                    "putting back the files of {} failed",
                    rejected.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
                ))
                .hint(format!("fix that, then run `mirror restore --id {id}`: it puts back every file of this run")),
            );
            let error = match entry.set_state(State::Complete, ctx) {
                Ok(()) => error,
                Err(mark) => {
                    error::note(error, format!("the journal entry {id} could not be marked complete ({mark:#})"))
                }
            };
            let kept = targets.iter().filter(|t| !rejected.contains(t)).copied().collect();
            return Err(stopped(error, left.paths, kept, Some(id.clone())));
        }
        (None, Ok(())) if targets.iter().all(|t| rejected.contains(t)) => {
            entry.set_state(State::RolledBack, ctx).map(|()| Applied { journal: None, rejected: rejected.clone() })
        }
        (None, Ok(())) => entry
            .forget(&rejected, ctx)
            .and_then(|()| entry.set_state(State::Complete, ctx))
            .map(|()| Applied { journal: Some(id.clone()), rejected: rejected.clone() }),
    };
    let applied = match applied {
        Ok(applied) => applied,
        // The entry could not be marked: it stays pending, and `mirror restore` undoes it.
        Err(e) => {
            let kept = targets.iter().filter(|t| !rejected.contains(t)).copied().collect();
            return Err(stopped(e, Vec::new(), kept, Some(id.clone())));
        }
    };

    // The last look: a signal while the entry was marked still puts back what stays.
    let Some(signal) = interrupts.last_look() else {
        interrupts.commit(ctx);
        return Ok(applied);
    };
    let stays: Vec<&Write<'_>> = folded
        .iter()
        .zip(&writes)
        .filter(|((target, _, _), _)| applied.journal.is_some() && !rejected.contains(target))
        .map(|(_, w)| w)
        .collect();
    let failed = Stop::signal(signal).after_roll_back(put_back(&stays));
    let left = failed.left.clone();
    // Put back, the entry is rolled back (unless it already is: every target was rejected);
    // else it stays complete, for `mirror restore`.
    let error = if applied.journal.is_some() { mark_failed(ctx, &mut entry, failed) } else { failed.error };
    let journal = (!left.is_empty()).then(|| id.clone());
    Err(stopped(error, left, Vec::new(), journal))
}

/// Whether a signal came inside the critical section since the last look (it is still
/// honoured: [`apply_judged`] puts every file back afterwards).
pub fn signal_pending() -> bool {
    CAUGHT.load(Ordering::SeqCst) != 0
}

/// Gives the files in `written` their `before` bytes again, newest first, after they were
/// written as `after` (a target that failed its check). A file that no longer holds what was
/// written (something changed it meanwhile) is left alone, and that is an error.
fn put_back(written: &[&Write<'_>]) -> Result<(), Left> {
    let mut left = None;
    for w in written.iter().rev() {
        match read_bytes(w.path) {
            Ok(now) if now.as_deref() == w.after => {}
            Ok(_) => {
                let e = anyhow::anyhow!("`{}` changed while `mirror` was checking it; left as it is", w.path.display());
                Left::add(&mut left, w.path, e);
                continue;
            }
            Err(e) => {
                Left::add(&mut left, w.path, e);
                continue;
            }
        }
        if let Err(e) = roll_back(&[w]) {
            Left::add(&mut left, w.path, e.first);
        }
    }
    left.map_or(Ok(()), Err)
}

/// Puts back every file of `writes`, all of which [`write_all`] wrote, after a signal that
/// came once they were (`restore`'s last look): the error to exit with.
pub fn undo(writes: &[Write<'_>], signal: i32) -> Failed {
    let all: Vec<&Write<'_>> = writes.iter().collect();
    Stop::signal(signal).after_roll_back(put_back(&all))
}

/// Marks the journal entry after a run stopped and put its files back: rolled back, or (when
/// putting back failed) left as it is for `mirror restore`. Returns the error to stop with:
/// a failure to mark the entry never hides the one that stopped the run.
fn mark_failed(ctx: &Context, entry: &mut Entry, failed: Failed) -> anyhow::Error {
    if !failed.rolled_back() {
        return failed.error;
    }
    match entry.set_state(State::RolledBack, ctx) {
        Ok(()) => failed.error,
        Err(mark) => error::note(
            failed.error,
            format!(
                "the journal entry {} could not be marked rolled back ({mark:#}); `mirror restore` will find its files already as they were",
                entry.id
            ),
        ),
    }
}

/// Why [`write_all`] stopped, before the files already written are put back.
struct Stop {
    status: ExitStatus,
    what: String,
    hint: Option<String>,
    source: Option<anyhow::Error>,
}

impl Stop {
    fn signal(signal: i32) -> Self {
        let what = format!("interrupted by {}", error::signal_name(signal));
        Self { status: ExitStatus::Interrupted(signal), what, hint: None, source: None }
    }

    /// The error once the files already written were put back (`rolled_back` is the outcome
    /// of that); the class of the first failure decides the exit code either way.
    fn after_roll_back(self, rolled_back: Result<(), Left>) -> Failed {
        let (message, hint, left) = match rolled_back {
            Ok(()) => (format!("{}; every file already written was put back", self.what), self.hint, Vec::new()),
            Err(Left { paths, first }) => (
                format!("{}, and putting back the files already written failed: {first:#}", self.what),
                Some("fix that, then run `mirror restore`: it puts back every file the journal recorded".to_owned()),
                paths,
            ),
        };
        // A hint given deeper down (`sudo`, or the one for user files) is kept.
        let hint = hint.or_else(|| self.source.as_ref().and_then(|s| error::hints(s).first().map(|h| (*h).to_owned())));
        let mut problem = Problem::new(self.status, message);
        problem.hint = hint;
        let error = match self.source {
            Some(source) => source.context(problem),
            None => problem.into(),
        };
        Failed { error, left }
    }
}

/// The changing edits, one per file: when several targets edit one file (each planned on
/// what the earlier ones will write, see `Context::planned`), the file goes from the first
/// one's `before` to the last one's `after`, journaled for the first target and the others.
/// A file the later targets bring back to its `before` is left out.
pub fn fold(work: &[TargetEdits]) -> Vec<(TargetKind, Vec<TargetKind>, FileEdit)> {
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
/// something else changed it since it was read, the run stops. On any failure, or a signal
/// (inside [`catch_interrupts`]), every file already written gets its `before` back.
pub fn write_all(ctx: &Context, writes: &[Write<'_>]) -> Result<(), Failed> {
    let mut written: Vec<&Write<'_>> = Vec::new();
    for w in writes {
        test_pause(ctx, written.len());
        let result = match take_signal() {
            Some(signal) => Err(Stop::signal(signal)),
            None => write_one(ctx, w),
        };
        if let Err(stop) = result {
            return Err(stop.after_roll_back(roll_back(&written)));
        }
        written.push(w);
    }
    test_pause(ctx, written.len());
    // Everything is written; a signal that came meanwhile is honoured by undoing it.
    if let Some(signal) = take_signal() {
        return Err(Stop::signal(signal).after_roll_back(roll_back(&written)));
    }
    Ok(())
}

fn write_one(ctx: &Context, w: &Write<'_>) -> Result<(), Stop> {
    let failed = |what: String, hint: Option<&str>, source: Option<anyhow::Error>| Stop {
        status: ExitStatus::Failure,
        what,
        hint: hint.map(str::to_owned),
        source,
    };
    let now =
        read_bytes(w.path).map_err(|e| failed(format!("could not read `{}`", w.path.display()), None, Some(e)))?;
    if now.as_deref() != w.before {
        let what = format!("`{}` changed while `mirror` was working", w.path.display());
        return Err(failed(what, Some("run the command again"), None));
    }
    let injected = ctx.test_fail_write.as_deref().is_some_and(|end| w.path.ends_with(end));
    let result = match w.after {
        _ if injected => Err(anyhow::anyhow!("injected failure (`MIRROR_TEST_FAIL_WRITE`)")),
        Some(bytes) => fsx::write_atomic(w.path, bytes, w.new),
        None => fsx::remove(w.path).map(|()| prune(w.created_dirs)),
    };
    result.map_err(|err| {
        let err = if w.scope == Scope::User { error::for_user_file(err, w.path) } else { err };
        failed(format!("could not write `{}`", w.path.display()), None, Some(err))
    })
}

/// Puts back the `before` bytes of every file in `written`, newest first.
fn roll_back(written: &[&Write<'_>]) -> Result<(), Left> {
    let mut left = None;
    for w in written.iter().rev() {
        let result = match w.before {
            Some(bytes) => {
                fsx::write_atomic(w.path, bytes, NewFile { root: w.new.root, tag: w.new.tag, ..NewFile::default() })
            }
            None => fsx::remove(w.path).map(|()| prune(w.created_dirs)),
        };
        if let Err(e) = result {
            Left::add(&mut left, w.path, e);
        }
    }
    left.map_or(Ok(()), Err)
}

/// Removes the folders in `dirs` (deepest first) that are empty; a folder that holds
/// anything stays, and so do the ones above it.
pub fn prune(dirs: &[PathBuf]) {
    for dir in dirs {
        if std::fs::remove_dir(dir).is_err() {
            break;
        }
    }
}

/// The bytes of `path` now; `None` when it does not exist.
pub fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(crate::error::with_permission_hint(e, path, "read")),
    }
}

/// User files are written for the invoking user under sudo.
pub fn owner_for(ctx: &Context, target: TargetKind) -> Option<Owner> {
    match target.scope() {
        Scope::User => ctx.sudo_user.clone(),
        Scope::System => None,
    }
}

/// Fails early, before anything is written, when a file's folder cannot be written.
fn preflight(path: &Path, scope: Scope) -> Result<()> {
    let mut dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    while !dir.as_os_str().is_empty() && !dir.exists() {
        dir = dir.parent().map(Path::to_path_buf).unwrap_or_default();
    }
    if dir.as_os_str().is_empty() || !dir.is_dir() {
        return Ok(()); // the write itself will report what is wrong
    }
    match nix::unistd::access(&dir, nix::unistd::AccessFlags::W_OK) {
        Ok(()) => Ok(()),
        Err(_) => {
            let hint = match scope {
                Scope::System => "system files need root: run the same command with `sudo`".to_owned(),
                Scope::User => error::user_file_hint(path),
            };
            Err(Problem::failed(format!("permission denied: cannot write `{}`; nothing was changed", path.display()))
                .hint(hint)
                .into())
        }
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

    fn write<'a>(path: &'a Path, before: Option<&'a [u8]>, after: Option<&'a [u8]>) -> Write<'a> {
        Write { path, before, after, new: NewFile::default(), scope: Scope::User, created_dirs: &[] }
    }

    #[test]
    fn a_file_changed_since_it_was_read_stops_the_run_and_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, "a0").unwrap();
        std::fs::write(&b, "edited meanwhile").unwrap();
        let writes = [write(&a, Some(b"a0"), Some(b"a1")), write(&b, Some(b"b0"), Some(b"b1"))];
        let failed = write_all(&ctx(dir.path()), &writes).unwrap_err();
        assert!(failed.rolled_back());
        let err = failed.error;
        assert!(format!("{err}").contains("changed while `mirror` was working"), "{err}");
        assert!(format!("{err}").contains("every file already written was put back"), "{err}");
        assert_eq!(std::fs::read(&a).unwrap(), b"a0", "the first file was put back");
        assert_eq!(std::fs::read(&b).unwrap(), b"edited meanwhile", "the other edit is kept");
    }

    #[test]
    fn a_created_file_and_its_new_folders_are_removed_on_roll_back() {
        let dir = tempfile::tempdir().unwrap();
        let new_dirs = [dir.path().join("x/y"), dir.path().join("x")];
        let new = dir.path().join("x/y/new");
        let bad = dir.path().join("bad");
        std::fs::write(&bad, "x").unwrap();
        let mut first = write(&new, None, Some(b"n"));
        first.created_dirs = &new_dirs;
        let writes = [first, write(&bad, None, Some(b"y"))];
        assert!(write_all(&ctx(dir.path()), &writes).is_err());
        assert!(!new.exists());
        assert!(!dir.path().join("x").exists(), "the folders made for it are gone too");
    }

    #[test]
    fn a_failed_roll_back_keeps_the_first_error_its_class_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&b, "b0").unwrap();
        // `a` is created, then cannot be removed again: a folder with something in it
        // stands where the file was.
        let stop = Stop::signal(SIGTERM);
        std::fs::create_dir_all(a.join("inside")).unwrap();
        let failed = stop.after_roll_back(roll_back(&[&write(&a, None, Some(b"a1"))]));
        assert_eq!(failed.left, [a], "the file that could not be put back");
        assert_eq!(error::status_of(&failed.error).code(), 143, "still the signal's exit code");
        let text = error::render(&failed.error);
        assert!(
            text.starts_with("error: interrupted by SIGTERM, and putting back the files already written failed"),
            "{text}"
        );
        assert!(text.contains("hint: fix that, then run `mirror restore`"), "{text}");
    }

    fn edits(dir: &Path) -> Vec<TargetEdits> {
        [(TargetKind::Pip, "pip.conf"), (TargetKind::Cargo, "config.toml")]
            .into_iter()
            .map(|(target, name)| {
                let path = dir.join(name);
                std::fs::write(&path, format!("{name} before\n")).unwrap();
                let edit = crate::targets::edit(path, Some(format!("{name} before\n")), format!("{name} after\n"));
                TargetEdits { target, edits: vec![edit] }
            })
            .collect()
    }

    #[test]
    fn a_rejected_target_is_put_back_and_leaves_the_journal_entry() {
        let dir = tempfile::tempdir().unwrap();
        let c = ctx(dir.path());
        let work = edits(dir.path());
        let mut judged = Vec::new();
        let applied = apply_judged(&c, "tuna", &work, &mut |targets| {
            judged = targets.to_vec();
            // Both files are written while the targets are judged.
            assert_eq!(std::fs::read_to_string(dir.path().join("config.toml")).unwrap(), "config.toml after\n");
            vec![TargetKind::Cargo]
        })
        .unwrap();
        assert_eq!(judged, [TargetKind::Pip, TargetKind::Cargo]);
        assert_eq!(applied.rejected, [TargetKind::Cargo]);
        assert_eq!(std::fs::read_to_string(dir.path().join("pip.conf")).unwrap(), "pip.conf after\n");
        assert_eq!(std::fs::read_to_string(dir.path().join("config.toml")).unwrap(), "config.toml before\n");
        let (entries, _) = journal::list(&c).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(Some(entries[0].id.clone()), applied.journal);
        assert_eq!((entries[0].state(), entries[0].targets()), (State::Complete, vec![TargetKind::Pip]));

        // Every target rejected: nothing stays, and the entry is rolled back.
        let work = edits(dir.path());
        let applied = apply_judged(&c, "tuna", &work, &mut |targets| targets.to_vec()).unwrap();
        assert_eq!(applied.journal, None);
        assert_eq!(std::fs::read_to_string(dir.path().join("pip.conf")).unwrap(), "pip.conf before\n");
        let (entries, _) = journal::list(&c).unwrap();
        assert_eq!(entries.last().unwrap().state(), State::RolledBack);
    }

    #[test]
    fn a_file_edited_while_it_was_checked_is_not_overwritten_and_the_entry_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let c = ctx(dir.path());
        let work = edits(dir.path());
        let cargo = dir.path().join("config.toml");
        let stopped = apply_judged(&c, "tuna", &work, &mut |_| {
            std::fs::write(&cargo, "edited by hand\n").unwrap();
            vec![TargetKind::Cargo]
        })
        .unwrap_err();
        // What became of each file: pip's stays, as the entry says; cargo's is left.
        assert_eq!(
            (stopped.kept.as_slice(), stopped.rejected.as_slice()),
            ([TargetKind::Pip].as_slice(), [TargetKind::Cargo].as_slice())
        );
        assert_eq!(stopped.left, std::slice::from_ref(&cargo));
        let text = error::render(&stopped.error);
        assert!(text.starts_with("error: putting back the files of cargo failed"), "{text}");
        assert!(text.contains("changed while `mirror` was checking it; left as it is"), "{text}");
        assert!(text.contains("hint: fix that, then run `mirror restore --id "), "{text}");
        assert_eq!(std::fs::read_to_string(&cargo).unwrap(), "edited by hand\n");
        let (entries, _) = journal::list(&c).unwrap();
        assert_eq!(
            (entries[0].state(), entries[0].targets()),
            (State::Complete, vec![TargetKind::Pip, TargetKind::Cargo])
        );
        assert_eq!(stopped.journal, Some(entries[0].id.clone()));
    }

    #[test]
    fn a_journal_entry_that_cannot_be_marked_does_not_hide_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let c = ctx(dir.path());
        // A part folder below a plain file: its manifest cannot be written.
        std::fs::write(dir.path().join("file"), "").unwrap();
        let manifest = journal::Manifest {
            id: "20261201T000000-000000000".into(),
            created: 0,
            site: "tuna".into(),
            state: State::Pending,
            files: Vec::new(),
        };
        let mut entry = Entry { id: manifest.id.clone(), parts: vec![(dir.path().join("file/part"), manifest)] };
        let first = Stop {
            status: ExitStatus::Failure,
            what: "could not write `pip.conf`".into(),
            hint: None,
            source: Some(anyhow::anyhow!("disk full")),
        };
        let err = mark_failed(&c, &mut entry, first.after_roll_back(Ok(())));
        let text = error::render(&err);
        assert!(
            text.starts_with(
                "error: could not write `pip.conf`; every file already written was put back\n  Caused by: disk full\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("note: the journal entry 20261201T000000-000000000 could not be marked rolled back"),
            "{text}"
        );
        assert_eq!(error::status_of(&err).code(), 1);
    }
}
