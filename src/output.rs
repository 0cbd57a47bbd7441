//! All terminal output: data to stdout, talk to stderr, colour rules, progress bars, prompts.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::cli::{ColorChoice, GlobalArgs};
use crate::context::Context;
use crate::error::Problem;

/// Decides where and how things are printed.
#[derive(Debug, Clone)]
pub struct Printer {
    pub json: bool,
    pub quiet: bool,
    pub verbose: bool,
    color: bool,
    progress: bool,
    interactive: bool,
}

impl Printer {
    pub fn new(args: &GlobalArgs, ctx: &Context) -> Self {
        let stderr_tty = std::io::stderr().is_terminal();
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !ctx.no_color && std::io::stdout().is_terminal(),
        };
        Self {
            json: args.json,
            quiet: args.quiet,
            verbose: args.verbose,
            color,
            progress: stderr_tty && !args.no_progress && !ctx.no_progress && !args.json && !args.quiet,
            interactive: stderr_tty && std::io::stdin().is_terminal(),
        }
    }

    /// Data on stdout (tables, diffs). A closed pipe surfaces as an error `main` treats as success.
    pub fn data(&self, text: &str) -> Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
        Ok(())
    }

    /// The one JSON document of a `--json` run.
    pub fn json<T: Serialize>(&self, value: &T) -> Result<()> {
        let mut text = serde_json::to_string_pretty(value)?;
        text.push('\n');
        self.data(&text)
    }

    /// Talk on stderr (not under `-q`).
    pub fn talk(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// Detail shown only with `-v`.
    pub fn detail(&self, text: &str) {
        if self.verbose {
            eprintln!("{}", self.dim(text));
        }
    }

    /// A warning on stderr (shown even under `-q`).
    pub fn warn(&self, text: &str) {
        eprintln!("{}: {text}", self.paint("warning", "33"));
    }

    /// Whether prompts can be shown (stdin and stderr are terminals).
    pub fn interactive(&self) -> bool {
        self.interactive
    }

    /// Asks once; only on a terminal. Without one the caller must have `--yes`.
    pub fn confirm(&self, question: &str) -> Result<bool> {
        if !self.interactive {
            return Err(no_terminal());
        }
        let answer = dialoguer::Confirm::new().with_prompt(question).default(false).interact()?;
        Ok(answer)
    }

    /// Asks for a line of text on a terminal; `check` turns an answer into the value or says
    /// why it is not one (the question is asked again).
    pub fn ask(&self, question: &str, check: impl Fn(&str) -> Result<String, String>) -> Result<String> {
        if !self.interactive {
            return Err(no_terminal());
        }
        let answer: String = dialoguer::Input::new()
            .with_prompt(question)
            .validate_with(|text: &String| check(text).map(|_| ()))
            .interact_text()?;
        check(&answer).map_err(|why| Problem::bad(why).into())
    }

    /// Lets the user pick one of `items` on a terminal.
    pub fn pick(&self, prompt: &str, items: &[String]) -> Result<usize> {
        Ok(dialoguer::Select::new().with_prompt(prompt).items(items).default(0).interact()?)
    }

    /// A progress bar on stderr, hidden unless stderr is a terminal and progress is allowed.
    pub fn progress(&self, len: u64, what: &str) -> ProgressBar {
        let target = if self.progress { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(Some(len), target);
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_owned());
        bar
    }

    /// Wraps `text` in an ANSI colour when colour is on.
    pub fn paint(&self, text: &str, code: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint(text, "1")
    }

    pub fn dim(&self, text: &str) -> String {
        self.paint(text, "2")
    }

    pub fn green(&self, text: &str) -> String {
        self.paint(text, "32")
    }

    pub fn red(&self, text: &str) -> String {
        self.paint(text, "31")
    }

    pub fn yellow(&self, text: &str) -> String {
        self.paint(text, "33")
    }
}

/// The refusal to change files when there is no terminal to confirm on and no `--yes`.
pub fn no_terminal() -> anyhow::Error {
    Problem::bad("refusing to change files without confirmation: no terminal to ask on")
        .hint("pass `--yes` to proceed, or `--dry-run` to see the changes")
        .into()
}

/// A unified diff of one file, with `a/` and `b/` headers naming it (`/dev/null` for a file
/// that does not exist before or after).
pub fn unified_diff(path: &std::path::Path, before: Option<&[u8]>, after: Option<&[u8]>) -> String {
    let old = before.map(String::from_utf8_lossy).unwrap_or_default();
    let new = after.map(String::from_utf8_lossy).unwrap_or_default();
    let name = path.display().to_string();
    let a = if before.is_some() { format!("a{name}") } else { "/dev/null".to_owned() };
    let b = if after.is_some() { format!("b{name}") } else { "/dev/null".to_owned() };
    let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
    let mut text = diff.unified_diff().context_radius(3).header(&a, &b).to_string();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// Lays out rows as left-aligned columns separated by two spaces. `widths` are computed on the
/// visible text, so cells may carry colour codes.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let visible = |s: &str| strip_ansi(s).chars().count();
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(visible(cell));
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            text.push_str(cell);
            if i + 1 < cells.len() {
                text.push_str(&" ".repeat(widths[i] - visible(cell) + 2));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_on_visible_width() {
        let rows =
            vec![vec!["\x1b[32mok\x1b[0m".to_owned(), "x".to_owned()], vec!["failed".to_owned(), "y".to_owned()]];
        let t = table(&["status", "site"], &rows);
        assert_eq!(strip_ansi(&t), "status  site\nok      x\nfailed  y\n");
    }
}
