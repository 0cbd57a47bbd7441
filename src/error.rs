//! Error classes that decide the exit code, and the hints shown with them.
//!
//! Code returns `anyhow::Error` everywhere. Where the exit code or a hint matters, the error
//! carries a [`Problem`] somewhere in its chain; `main` finds it and renders
//! `error: …`, `Caused by: …` and `hint: …` lines.

use std::fmt;
use std::path::Path;

/// Exit codes (spec §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success, including "already using it".
    Success,
    /// 1: the operation could not succeed.
    Failure,
    /// 2: usage, bad input or bad config.
    Usage,
    /// 128 + the signal number (130 SIGINT, 143 SIGTERM, 129 SIGHUP): stopped by that
    /// signal; everything already written was rolled back.
    Interrupted(i32),
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Failure => 1,
            Self::Usage => 2,
            Self::Interrupted(signal) => u8::try_from(128 + signal.clamp(1, 127)).unwrap_or(130),
        }
    }
}

/// The name of a signal `mirror` stops on.
pub fn signal_name(signal: i32) -> String {
    match signal {
        1 => "SIGHUP".into(),
        2 => "SIGINT".into(),
        15 => "SIGTERM".into(),
        n => format!("signal {n}"),
    }
}

/// The hint for a permission problem on a system file.
const SYSTEM_FILES_NEED_ROOT: &str = "system files need root: run the same command with `sudo`";

/// An error whose class (exit code) and way out (hint) are known.
#[derive(Debug)]
pub struct Problem {
    pub message: String,
    pub status: ExitStatus,
    pub hint: Option<String>,
    /// What went wrong after the problem itself (see [`note`]).
    pub notes: Vec<String>,
}

impl Problem {
    /// Bad input, bad config or wrong usage: exit 2.
    pub fn bad(message: impl Into<String>) -> Self {
        Self::new(ExitStatus::Usage, message)
    }

    /// The operation could not succeed: exit 1.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(ExitStatus::Failure, message)
    }

    /// A problem of any class.
    pub fn new(status: ExitStatus, message: impl Into<String>) -> Self {
        Self { message: message.into(), status, hint: None, notes: Vec::new() }
    }

    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A config file that cannot be parsed safely: names the file and, when known, the line.
    pub fn parse(path: &Path, line: Option<usize>, what: impl fmt::Display) -> Self {
        let at = line.map(|l| format!(" line {l}")).unwrap_or_default();
        Self::bad(format!("could not parse `{}`{at}: {what}", path.display()))
            .hint("fix or remove the line by hand, then run the command again; nothing was changed")
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

/// The exit status an error maps to: the first [`Problem`] in the chain decides; an error
/// without one is an operation that could not succeed (1).
pub fn status_of(err: &anyhow::Error) -> ExitStatus {
    if is_broken_pipe(err) {
        return ExitStatus::Success;
    }
    problems(err).first().map_or(ExitStatus::Failure, |p| p.status)
}

/// The [`Problem`]s in the chain, outermost first. A `Problem` used as context is found by
/// `anyhow`'s own downcast (context layers do not downcast through `chain()`).
fn problems(err: &anyhow::Error) -> Vec<&Problem> {
    let mut found: Vec<&Problem> = err.downcast_ref::<Problem>().into_iter().collect();
    for p in err.chain().filter_map(|e| e.downcast_ref::<Problem>()) {
        if !found.iter().any(|f| std::ptr::eq(*f, p)) {
            found.push(p);
        }
    }
    found
}

/// The hints carried anywhere in the chain, outermost first.
pub fn hints(err: &anyhow::Error) -> Vec<&str> {
    let mut hints: Vec<&str> = Vec::new();
    for hint in problems(err).into_iter().filter_map(|p| p.hint.as_deref()) {
        if !hints.contains(&hint) {
            hints.push(hint);
        }
    }
    hints
}

/// Whether the error is a closed stdout (`mirror list | head`): a quiet success.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().filter_map(|e| e.downcast_ref::<std::io::Error>()).any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Adds `note` to `err` without hiding it: the message, causes, exit code and hints stay those
/// of `err`; the note is shown below them (`note: …`). Used for what went wrong after the
/// error itself, such as a journal entry that could not be marked.
pub fn note(mut err: anyhow::Error, note: impl Into<String>) -> anyhow::Error {
    match err.downcast_mut::<Problem>() {
        Some(p) => {
            p.notes.push(note.into());
            err
        }
        None => {
            let message = err.to_string();
            let mut p = Problem::failed(message);
            p.notes.push(note.into());
            err.context(p)
        }
    }
}

/// The messages of the chain, outermost first (a `Problem` added as context for its notes
/// repeats the message below it, and is shown once).
fn messages(err: &anyhow::Error) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in err.chain() {
        let text = e.to_string();
        if out.last() != Some(&text) {
            out.push(text);
        }
    }
    out
}

/// The notes carried in the chain.
fn notes(err: &anyhow::Error) -> Vec<String> {
    problems(err).into_iter().flat_map(|p| p.notes.iter().cloned()).collect()
}

/// The whole error on one line (`message: cause: cause`), notes last, for `--json`.
pub fn one_line(err: &anyhow::Error) -> String {
    let mut text = messages(err).join(": ");
    for note in notes(err) {
        text.push_str(&format!("; note: {note}"));
    }
    text
}

/// Renders an error for stderr: `error: …`, indented `Caused by:` lines, `note:` lines, then
/// `hint:` lines.
pub fn render(err: &anyhow::Error) -> String {
    let messages = messages(err);
    let mut out = format!("error: {}\n", messages.first().map_or("", String::as_str));
    for cause in messages.iter().skip(1) {
        out.push_str(&format!("  Caused by: {cause}\n"));
    }
    for note in notes(err) {
        out.push_str(&format!("note: {note}\n"));
    }
    for hint in hints(err) {
        out.push_str(&format!("\nhint: {hint}\n"));
    }
    out
}

/// The `{"message","hint","exit"}` object of spec §6 for `--json`.
pub fn json(err: &anyhow::Error) -> serde_json::Value {
    let hints = hints(err);
    serde_json::json!({
        "message": one_line(err),
        "hint": if hints.is_empty() { None } else { Some(hints.join("\n")) },
        "exit": status_of(err).code(),
    })
}

/// Permission errors get a `hint:`: by default the one for system files (`sudo`); writers of
/// user files replace it with [`for_user_file`].
pub fn with_permission_hint(err: std::io::Error, path: &Path, verb: &str) -> anyhow::Error {
    let denied = err.kind() == std::io::ErrorKind::PermissionDenied;
    let e = anyhow::Error::new(err).context(format!("could not {verb} `{}`", path.display()));
    if denied {
        e.context(Problem::failed(format!("permission denied on `{}`", path.display())).hint(SYSTEM_FILES_NEED_ROOT))
    } else {
        e
    }
}

/// The way out when a file in the user's own home cannot be written: not `sudo` (that would
/// leave a root-owned file there), but the file's owner and mode.
pub fn user_file_hint(path: &Path) -> String {
    format!(
        "`{}` is a file of your own, and you cannot write it (or its folder): check the owner and mode with `ls -l`; \
         one that an earlier `sudo` left owned by root needs `sudo chown \"$USER\"` on it",
        path.display()
    )
}

/// Gives a permission error on a user-level file the hint for user files.
pub fn for_user_file(mut err: anyhow::Error, path: &Path) -> anyhow::Error {
    if let Some(p) = err.downcast_mut::<Problem>()
        && p.hint.as_deref() == Some(SYSTEM_FILES_NEED_ROOT)
    {
        p.hint = Some(user_file_hint(path));
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::anyhow;

    #[test]
    fn problem_anywhere_in_chain_decides_status() {
        let e = anyhow::Error::new(Problem::bad("bad catalog")).context("while loading");
        assert_eq!(status_of(&e), ExitStatus::Usage);
        assert_eq!(status_of(&anyhow!("plain")), ExitStatus::Failure);
    }

    #[test]
    fn render_lists_causes_then_hints() {
        let e =
            anyhow::Error::new(Problem::bad("unknown key `x`").hint("remove it")).context("could not load `a.toml`");
        let text = render(&e);
        assert_eq!(text, "error: could not load `a.toml`\n  Caused by: unknown key `x`\n\nhint: remove it\n");
    }

    #[test]
    fn problem_given_as_context_decides_status_and_hint() {
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let e = anyhow::Error::new(io).context(Problem::bad("could not read `x`").hint("look")).context("outer");
        assert_eq!(status_of(&e), ExitStatus::Usage);
        assert_eq!(hints(&e), ["look"]);
    }

    #[test]
    fn a_note_keeps_the_error_its_status_and_hint() {
        let e = anyhow::Error::new(Problem::new(ExitStatus::Interrupted(15), "interrupted by SIGTERM").hint("look"));
        let e = note(e, "the journal entry could not be marked");
        assert_eq!(status_of(&e).code(), 143);
        assert_eq!(
            render(&e),
            "error: interrupted by SIGTERM\nnote: the journal entry could not be marked\n\nhint: look\n"
        );
        assert_eq!(one_line(&e), "interrupted by SIGTERM; note: the journal entry could not be marked");
        assert_eq!(json(&e)["exit"], 143);
        assert_eq!(json(&e)["hint"], "look");
    }

    #[test]
    fn signals_map_to_128_plus_their_number() {
        assert_eq!(ExitStatus::Interrupted(2).code(), 130);
        assert_eq!(ExitStatus::Interrupted(15).code(), 143);
        assert_eq!(ExitStatus::Interrupted(1).code(), 129);
    }

    #[test]
    fn user_files_get_their_own_permission_hint() {
        let path = Path::new("/home/u/.config/pip/pip.conf");
        let io = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let e = for_user_file(with_permission_hint(io, path, "write"), path);
        let hints = hints(&e);
        assert_eq!(hints.len(), 1);
        assert!(hints[0].contains("a file of your own") && !hints[0].contains("system files"), "{hints:?}");
    }

    #[test]
    fn broken_pipe_is_success() {
        let e = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe)).context("writing");
        assert_eq!(status_of(&e), ExitStatus::Success);
    }
}
