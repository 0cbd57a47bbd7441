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
    /// 130: interrupted; everything already written was rolled back.
    Interrupted,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Failure => 1,
            Self::Usage => 2,
            Self::Interrupted => 130,
        }
    }
}

/// An error whose class (exit code) and way out (hint) are known.
#[derive(Debug)]
pub struct Problem {
    pub message: String,
    pub status: ExitStatus,
    pub hint: Option<String>,
}

impl Problem {
    /// Bad input, bad config or wrong usage: exit 2.
    pub fn bad(message: impl Into<String>) -> Self {
        Self { message: message.into(), status: ExitStatus::Usage, hint: None }
    }

    /// The operation could not succeed: exit 1.
    pub fn failed(message: impl Into<String>) -> Self {
        Self { message: message.into(), status: ExitStatus::Failure, hint: None }
    }

    /// Interrupted by the user: exit 130.
    pub fn interrupted() -> Self {
        Self {
            message: "interrupted; every file already written was rolled back".into(),
            status: ExitStatus::Interrupted,
            hint: None,
        }
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

/// Renders an error for stderr: `error: …`, indented `Caused by:` lines, then `hint:` lines.
pub fn render(err: &anyhow::Error) -> String {
    let mut out = format!("error: {err}\n");
    for cause in err.chain().skip(1) {
        out.push_str(&format!("  Caused by: {cause}\n"));
    }
    for hint in hints(err) {
        out.push_str(&format!("\nhint: {hint}\n"));
    }
    out
}

/// Permission errors on system files get the sudo hint.
pub fn with_permission_hint(err: std::io::Error, path: &Path, verb: &str) -> anyhow::Error {
    let denied = err.kind() == std::io::ErrorKind::PermissionDenied;
    let e = anyhow::Error::new(err).context(format!("could not {verb} `{}`", path.display()));
    if denied {
        e.context(
            Problem::failed(format!("permission denied on `{}`", path.display()))
                .hint("system files need root: run the same command with `sudo`"),
        )
    } else {
        e
    }
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
    fn broken_pipe_is_success() {
        let e = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe)).context("writing");
        assert_eq!(status_of(&e), ExitStatus::Success);
    }
}
