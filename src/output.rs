//! All terminal output: data to stdout, talk to stderr, colour rules, progress bars, prompts.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::cell::RefCell;
use std::io::{IsTerminal, Write};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::cli::{ColorChoice, GlobalArgs};
use crate::context::Context;
use crate::error::{self, ExitStatus, Problem};

/// Decides where and how things are printed.
#[derive(Debug, Clone)]
pub struct Printer {
    pub json: bool,
    pub quiet: bool,
    pub verbose: bool,
    /// Colour on stdout.
    color: bool,
    /// Colour on stderr.
    color_err: bool,
    progress: bool,
    interactive: bool,
    /// The one JSON document of a `--json` run, printed by [`Printer::finish`].
    document: RefCell<Option<serde_json::Value>>,
}

impl Printer {
    pub fn new(args: &GlobalArgs, ctx: &Context) -> Self {
        let stderr_tty = std::io::stderr().is_terminal();
        // `always` and `never` decide; `auto` colours a terminal unless `NO_COLOR` is set.
        // `--json` output is never coloured, and neither is the talk beside it.
        let color_for = |terminal: bool| {
            !args.json
                && match args.color {
                    ColorChoice::Always => true,
                    ColorChoice::Never => false,
                    ColorChoice::Auto => !ctx.no_color && terminal,
                }
        };
        Self {
            json: args.json,
            quiet: args.quiet,
            verbose: args.verbose,
            color: color_for(std::io::stdout().is_terminal()),
            color_err: color_for(stderr_tty),
            progress: stderr_tty && !args.no_progress && !ctx.no_progress && !args.json && !args.quiet,
            interactive: stderr_tty && std::io::stdin().is_terminal(),
            document: RefCell::new(None),
        }
    }

    /// Data on stdout (tables, diffs). A closed pipe surfaces as an error `main` treats as success.
    pub fn data(&self, text: &str) -> Result<()> {
        print_document(text)
    }

    /// Sets the one JSON document of a `--json` run (the command's result, complete or
    /// partial); it is printed when the command ends, by [`Printer::finish`].
    pub fn json<T: Serialize>(&self, value: &T) -> Result<()> {
        *self.document.borrow_mut() = Some(serde_json::to_value(value)?);
        Ok(())
    }

    /// Ends a run: under `--json`, prints its one document on stdout, and when the command
    /// failed, with `"error": {"message","hint","exit"}` added to whatever partial result it
    /// set (spec §6), so that a script never reads an empty stream.
    pub fn finish(&self, result: &Result<ExitStatus>) -> Result<()> {
        let document = self.document.borrow_mut().take();
        if !self.json {
            return Ok(());
        }
        let document = match result {
            Ok(_) => document,
            Err(err) if error::is_broken_pipe(err) => None,
            Err(err) => Some(with_error(document, err)),
        };
        match document {
            Some(doc) => {
                let mut text = serde_json::to_string_pretty(&doc)?;
                text.push('\n');
                self.data(&text)
            }
            None => Ok(()),
        }
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
            eprintln!("{}", self.paint_err(text, "2"));
        }
    }

    /// A warning on stderr (shown even under `-q`).
    pub fn warn(&self, text: &str) {
        eprintln!("{}: {text}", self.paint_err("warning", "33"));
    }

    /// A unified diff for stdout, coloured when stdout gets colour.
    pub fn diff(&self, text: &str) -> String {
        colour_diff(text, self.color)
    }

    /// A unified diff for stderr (the prompt), coloured when stderr gets colour.
    pub fn diff_err(&self, text: &str) -> String {
        colour_diff(text, self.color_err)
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

    /// Lets the user pick one of `items` on a terminal, starting at `default`.
    pub fn pick(&self, prompt: &str, items: &[String], default: usize) -> Result<usize> {
        Ok(dialoguer::Select::new().with_prompt(prompt).items(items).default(default).interact()?)
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

    /// Wraps `text` in an ANSI colour when colour is on (for stdout).
    pub fn paint(&self, text: &str, code: &str) -> String {
        paint(text, code, self.color)
    }

    /// Wraps `text` in an ANSI colour when colour is on for stderr.
    pub fn paint_err(&self, text: &str, code: &str) -> String {
        paint(text, code, self.color_err)
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

fn paint(text: &str, code: &str, on: bool) -> String {
    if on { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
}

/// `document` (an object, or a new one) with the `error` object of `err` added.
fn with_error(document: Option<serde_json::Value>, err: &anyhow::Error) -> serde_json::Value {
    let mut map = match document {
        Some(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    map.insert("error".into(), error::json(err));
    serde_json::Value::Object(map)
}

/// Prints a whole document on stdout, flushed: what [`Printer::data`] does, and what prints
/// errors before a [`Printer`] exists.
pub fn print_document(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The JSON document for an error that happened before a command could start (the
/// environment could not be read, the command line could not be parsed).
pub fn error_document(err: &anyhow::Error) -> String {
    let mut text = serde_json::to_string_pretty(&with_error(None, err)).unwrap_or_default();
    text.push('\n');
    text
}

/// The `{"error":{…}}` document for a command line clap refused (exit 2): its first line is
/// the message, the lines after it (possible values, tips) the hint.
pub fn usage_error_document(err: &clap::Error) -> String {
    let rendered = err.render().to_string();
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let message = lines.next().unwrap_or_default().trim_start_matches("error: ").to_owned();
    let mut problem = Problem::bad(message);
    let rest: Vec<&str> = lines.collect();
    if !rest.is_empty() {
        problem = problem.hint(rest.join("\n"));
    }
    error_document(&problem.into())
}

/// Colours the lines of a unified diff: headers bold, hunks cyan, removals red, additions green.
fn colour_diff(text: &str, on: bool) -> String {
    if !on {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for line in text.split_inclusive('\n') {
        let (body, end) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
        let code = if body.starts_with("--- ") || body.starts_with("+++ ") {
            Some("1")
        } else if body.starts_with("@@") {
            Some("36")
        } else if body.starts_with('-') {
            Some("31")
        } else if body.starts_with('+') {
            Some("32")
        } else {
            None
        };
        match code {
            Some(code) => out.push_str(&paint(body, code, true)),
            None => out.push_str(body),
        }
        out.push_str(end);
    }
    out
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
    // `a/` and `b/` and the path without its leading `/`, as git writes them.
    let name = path.display().to_string();
    let name = name.trim_start_matches('/');
    let a = if before.is_some() { format!("a/{name}") } else { "/dev/null".to_owned() };
    let b = if after.is_some() { format!("b/{name}") } else { "/dev/null".to_owned() };
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
    fn diff_headers_name_the_path_under_a_and_b() {
        let d = unified_diff(std::path::Path::new("/etc/pacman.d/mirrorlist"), Some(b"a\n"), Some(b"b\n"));
        assert!(d.starts_with("--- a/etc/pacman.d/mirrorlist\n+++ b/etc/pacman.d/mirrorlist\n"), "{d}");
        let d = unified_diff(std::path::Path::new("fr/root/.cargo/config.toml"), None, Some(b"b\n"));
        assert!(d.starts_with("--- /dev/null\n+++ b/fr/root/.cargo/config.toml\n"), "{d}");
    }

    #[test]
    fn diffs_are_coloured_line_by_line_only_when_asked() {
        let d = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n same\n";
        assert_eq!(colour_diff(d, false), d);
        let c = colour_diff(d, true);
        assert!(c.contains("\x1b[31m-old\x1b[0m\n") && c.contains("\x1b[32m+new\x1b[0m\n"), "{c:?}");
        assert!(c.contains("\x1b[1m--- a/x\x1b[0m\n") && c.contains("\x1b[36m@@ -1 +1 @@\x1b[0m"), "{c:?}");
        assert!(c.ends_with("\n same\n"), "{c:?}");
        assert_eq!(strip_ansi(&c), d);
    }

    #[test]
    fn table_aligns_on_visible_width() {
        let rows =
            vec![vec!["\x1b[32mok\x1b[0m".to_owned(), "x".to_owned()], vec!["failed".to_owned(), "y".to_owned()]];
        let t = table(&["status", "site"], &rows);
        assert_eq!(strip_ansi(&t), "status  site\nok      x\nfailed  y\n");
    }
}
