//! `mirror`'s env file, for tools configured only through environment variables (spec §9):
//! rustup (`RUSTUP_DIST_SERVER`, `RUSTUP_UPDATE_ROOT`) and Hugging Face (`HF_ENDPOINT`).
//!
//! `mirror` owns `$XDG_CONFIG_HOME/mirror/env.sh` (POSIX sh, `export NAME='value'`) and
//! `env.fish` beside it (`set -gx NAME 'value'`), and puts one guarded line that sources the
//! file into the shell start-up files that exist: `~/.profile`, `~/.bash_profile`,
//! `~/.bashrc`, `~/.zshrc` (`~/.profile` is created when none of them exists, as rustup's
//! installer does) and `~/.config/fish/config.fish`. That is the convention rustup and conda
//! follow. Every one of these files is an ordinary edit: shown in the diff, journaled,
//! restored byte for byte.
//!
//! Variables are edited line by line; lines `mirror` does not manage (a comment, a variable
//! the user added) stay. When no variable is left, the env files are removed and the guarded
//! lines taken out again. A line of env.sh or env.fish that is not one `mirror` writes is
//! refused with its line number, and so is a start-up file whose guarded line was edited.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::common::exists;
use super::{FileEdit, LineError, edit, read_config};
use crate::context::Context;

/// The comment that marks the line `mirror` adds to a start-up file.
pub const MARK: &str = "# added by mirror";

/// Where the env files and the start-up files are.
pub struct Files {
    pub sh: PathBuf,
    pub fish: PathBuf,
    /// POSIX start-up files to hold the source line (those that exist; `~/.profile` if none).
    pub rcs: Vec<PathBuf>,
    /// fish's `config.fish`, when it exists.
    pub fish_rc: Option<PathBuf>,
}

pub fn files(ctx: &Context) -> Files {
    let dir = ctx.config_home.join("mirror");
    let existing: Vec<PathBuf> = [".profile", ".bash_profile", ".bashrc", ".zshrc"]
        .iter()
        .map(|f| ctx.home.join(f))
        .filter(|p| exists(p) || ctx.planned.get(p).is_some_and(|t| t.is_some()))
        .collect();
    let rcs = if existing.is_empty() { vec![ctx.home.join(".profile")] } else { existing };
    let fish_rc = Some(ctx.config_home.join("fish/config.fish")).filter(|p| exists(p));
    Files { sh: dir.join("env.sh"), fish: dir.join("env.fish"), rcs, fish_rc }
}

/// How a path is written in a start-up file: `$HOME/…` inside the home, else as it is.
fn shell_path(ctx: &Context, path: &Path) -> String {
    match path.strip_prefix(&ctx.home) {
        Ok(rel) => format!("$HOME/{}", rel.display()),
        Err(_) => path.display().to_string(),
    }
}

/// The guarded line for POSIX shells.
pub fn sh_line(ctx: &Context, sh: &Path) -> String {
    let p = shell_path(ctx, sh);
    format!("if [ -f \"{p}\" ]; then . \"{p}\"; fi {MARK}")
}

/// The guarded line for fish.
pub fn fish_line(ctx: &Context, fish: &Path) -> String {
    let p = shell_path(ctx, fish);
    format!("if test -f \"{p}\"; source \"{p}\"; end {MARK}")
}

/// The two shells' spellings of one variable line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shell {
    Sh,
    Fish,
}

fn quote(value: &str, shell: Shell) -> String {
    match shell {
        Shell::Sh => format!("'{}'", value.replace('\'', "'\\''")),
        Shell::Fish => format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'")),
    }
}

fn var_line(name: &str, value: &str, shell: Shell) -> String {
    match shell {
        Shell::Sh => format!("export {name}={}", quote(value, shell)),
        Shell::Fish => format!("set -gx {name} {}", quote(value, shell)),
    }
}

/// Reads a quoted or bare value as the shell would, if it is one of the forms `mirror` writes
/// or a plain one (`'…'`, `"…"` without expansions, or a bare word).
fn unquote(raw: &str, shell: Shell) -> Option<String> {
    let raw = raw.trim();
    if let Some(body) = raw.strip_prefix('\'') {
        let mut out = String::new();
        let mut rest = body;
        loop {
            match shell {
                Shell::Sh => {
                    let end = rest.find('\'')?;
                    out.push_str(&rest[..end]);
                    rest = &rest[end + 1..];
                    if rest.is_empty() {
                        return Some(out);
                    }
                    rest = rest.strip_prefix("\\''")?;
                    out.push('\'');
                }
                Shell::Fish => {
                    let mut chars = rest.char_indices();
                    loop {
                        let (i, c) = chars.next()?;
                        match c {
                            '\\' => {
                                let (_, n) = chars.next()?;
                                out.push(n);
                            }
                            '\'' => return rest[i + 1..].is_empty().then_some(out),
                            c => out.push(c),
                        }
                    }
                }
            }
        }
    } else if let Some(body) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        (!body.contains(['"', '$', '`', '\\'])).then(|| body.to_owned())
    } else {
        (!raw.is_empty() && !raw.contains(|c: char| c.is_whitespace() || "'\"$`\\;&|<>(){}*?#".contains(c)))
            .then(|| raw.to_owned())
    }
}

/// The variable a line sets, with its value; `Ok(None)` for comments and blank lines.
fn parse_line(line: &str, shell: Shell) -> Result<Option<(String, String)>, String> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return Ok(None);
    }
    let parsed = match shell {
        Shell::Sh => t.strip_prefix("export ").and_then(|rest| {
            let (name, value) = rest.trim_start().split_once('=')?;
            Some((name.to_owned(), unquote(value, shell)?))
        }),
        Shell::Fish => t.strip_prefix("set -gx ").and_then(|rest| {
            let (name, value) = rest.trim_start().split_once(' ')?;
            Some((name.to_owned(), unquote(value, shell)?))
        }),
    };
    match parsed {
        Some((name, value)) if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            Ok(Some((name, value)))
        }
        _ => Err(match shell {
            Shell::Sh => format!("`{t}` is not a line `mirror` writes here (`export NAME='value'`)"),
            Shell::Fish => format!("`{t}` is not a line `mirror` writes here (`set -gx NAME 'value'`)"),
        }),
    }
}

/// The variables of an env file, in order.
fn vars_of(text: &str, shell: Shell) -> Result<Vec<(String, String)>, LineError> {
    let mut vars = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(v) = parse_line(line, shell).map_err(|m| LineError::at(i + 1, m))? {
            vars.push(v);
        }
    }
    Ok(vars)
}

/// Sets (`Some`) or removes (`None`) variables in one env file's text; `None` as the result
/// when no variable is left (the file goes).
fn render(input: Option<&str>, changes: &[(&str, Option<&str>)], shell: Shell) -> Result<Option<String>, LineError> {
    let text = input.unwrap_or("");
    vars_of(text, shell)?;
    let mut out = String::new();
    let mut done: Vec<&str> = Vec::new();
    let mut left = 0;
    for line in text.split_inclusive('\n') {
        let name = parse_line(line.trim_end(), shell).ok().flatten().map(|(n, _)| n);
        match name.as_deref().and_then(|n| changes.iter().find(|(c, _)| *c == n)) {
            Some((name, Some(value))) if !done.contains(name) => {
                out.push_str(&var_line(name, value, shell));
                out.push('\n');
                done.push(name);
                left += 1;
            }
            Some((name, _)) => done.push(name),
            None => {
                out.push_str(line);
                left += usize::from(name.is_some());
            }
        }
    }
    for (name, value) in changes {
        if let (false, Some(value)) = (done.contains(name), value) {
            if out.is_empty() {
                out.push_str(HEADER);
            } else if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&var_line(name, value, shell));
            out.push('\n');
            left += 1;
        }
    }
    Ok((left > 0).then_some(out))
}

const HEADER: &str = "# Written by `mirror` for tools configured only through environment variables.\n\
# Your shell start-up files source it; `mirror restore` or `mirror use upstream` takes it back.\n";

/// Adds (`want`) or removes the guarded line of a start-up file. A line that carries the mark
/// but is not the one `mirror` writes is refused.
fn rc_render(input: Option<&str>, line: &str, want: bool) -> Result<Option<String>, LineError> {
    let text = input.unwrap_or("");
    let mut has = false;
    let mut out = String::new();
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let trimmed = raw.trim_end_matches(['\n', '\r']);
        if trimmed.trim_end().ends_with(MARK) {
            if trimmed.trim() != line {
                return Err(LineError::at(
                    i + 1,
                    format!(
                        "this line carries `{MARK}` but is not the line `mirror` writes (`{line}`); put it back or delete it"
                    ),
                ));
            }
            has = true;
            if !want {
                continue;
            }
        }
        out.push_str(raw);
    }
    if want && !has {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
    }
    if input.is_none() && !want {
        return Ok(None);
    }
    Ok(Some(out))
}

/// The edits that set (`Some`) or remove (`None`) the variables `changes`: the env files and
/// the start-up files' guarded lines. Unchanged files come back with `before == after`.
pub fn plan(ctx: &Context, changes: &[(&str, Option<&str>)]) -> Result<Vec<FileEdit>> {
    let f = files(ctx);
    let sh_before = read_config(ctx, &f.sh)?;
    let fish_before = read_config(ctx, &f.fish)?;
    let sh_after = render(sh_before.as_deref(), changes, Shell::Sh).map_err(|e| e.into_problem(&f.sh))?;
    let fish_after = render(fish_before.as_deref(), changes, Shell::Fish).map_err(|e| e.into_problem(&f.fish))?;
    let keep = sh_after.is_some();
    let mut edits = vec![edit(f.sh.clone(), sh_before, sh_after), edit(f.fish.clone(), fish_before, fish_after)];
    let sh_line = sh_line(ctx, &f.sh);
    for rc in &f.rcs {
        let before = read_config(ctx, rc)?;
        let after = rc_render(before.as_deref(), &sh_line, keep).map_err(|e| e.into_problem(rc))?;
        edits.push(edit(rc.clone(), before, after));
    }
    if let Some(rc) = &f.fish_rc {
        let before = read_config(ctx, rc)?;
        let after = rc_render(before.as_deref(), &fish_line(ctx, &f.fish), keep).map_err(|e| e.into_problem(rc))?;
        edits.push(edit(rc.clone(), before, after));
    }
    // A missing file that stays missing is no edit at all.
    edits.retain(|e| e.before.is_some() || e.after.is_some());
    Ok(edits)
}

/// Variables with their values, in file order.
pub type Vars = Vec<(String, String)>;

/// The variables env.sh sets now, and the file when it exists.
pub fn current(ctx: &Context) -> Result<(Option<PathBuf>, Vars)> {
    let f = files(ctx);
    let Some(text) = read_config(ctx, &f.sh)? else {
        return Ok((None, Vec::new()));
    };
    let vars = vars_of(&text, Shell::Sh).map_err(|e| e.into_problem(&f.sh))?;
    Ok((Some(f.sh), vars))
}

/// What a target whose mirror is env.sh's `name` points at now: the file, and the value
/// without a trailing `/`.
pub fn current_url(ctx: &Context, name: &str) -> Result<super::Current> {
    let (file, vars) = current(ctx)?;
    let url = value(&vars, name).map(|v| v.trim_end_matches('/').to_owned());
    Ok(super::Current { files: file.into_iter().collect(), url })
}

/// [`overridden_by`] and [`notes`] for env.sh as it is now (nothing when it cannot be read:
/// [`current_url`] says why).
pub fn overridden_now(ctx: &Context, names: &[&str]) -> Vec<String> {
    current(ctx).map(|(_, vars)| overridden_by(ctx, names, &vars)).unwrap_or_default()
}

/// See [`overridden_now`].
pub fn notes_now(ctx: &Context, names: &[&str]) -> Vec<String> {
    current(ctx).map(|(_, vars)| notes(ctx, names, &vars)).unwrap_or_default()
}

/// The value env.sh gives `name`.
pub fn value<'a>(vars: &'a [(String, String)], name: &str) -> Option<&'a str> {
    vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// The variables among `names` set in the environment to something else than env.sh says.
pub fn overridden_by(ctx: &Context, names: &[&str], vars: &[(String, String)]) -> Vec<String> {
    names
        .iter()
        .filter(|n| ctx.overrides.get(**n).is_some_and(|v| Some(v.as_str()) != value(vars, n)))
        .map(|n| (*n).to_owned())
        .collect()
}

/// What `status` says about the shell: whether this environment already has env.sh's values.
pub fn notes(ctx: &Context, names: &[&str], vars: &[(String, String)]) -> Vec<String> {
    let f = files(ctx);
    names
        .iter()
        .filter_map(|n| {
            let file = value(vars, n)?;
            Some(match ctx.overrides.get(*n) {
                Some(v) if v == file => format!("`{n}` is `{file}` (from `{}`, active in this shell)", f.sh.display()),
                Some(v) => format!("`{n}` is `{file}` in `{}`, but `{v}` in this shell", f.sh.display()),
                None => format!(
                    "`{n}` is `{file}` in `{}`; this shell does not have it yet: open a new shell, or run `. {}`",
                    f.sh.display(),
                    f.sh.display()
                ),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::testing::context;

    #[test]
    fn values_round_trip_through_both_shells() {
        for value in ["https://m.example/rustup", "it's", "a\\b", "$HOME"] {
            for shell in [Shell::Sh, Shell::Fish] {
                let line = var_line("X", value, shell);
                assert_eq!(parse_line(&line, shell), Ok(Some(("X".into(), value.into()))), "{line}");
            }
        }
        assert_eq!(parse_line("export X=\"https://a\"", Shell::Sh), Ok(Some(("X".into(), "https://a".into()))));
        assert_eq!(parse_line("export X=https://a", Shell::Sh), Ok(Some(("X".into(), "https://a".into()))));
    }

    #[test]
    fn lines_mirror_does_not_write_are_refused() {
        for (text, line) in [
            ("export A='x'\nalias ll='ls -l'\n", 2),
            ("export A=\"$(curl evil)\"\n", 1),
            ("export A='unterminated\n", 1),
            ("A=1\n", 1),
        ] {
            let e = render(Some(text), &[("A", Some("y"))], Shell::Sh).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}");
            assert!(e.message.contains("not a line `mirror` writes"), "{e:?}");
        }
        let e = render(Some("set -x A 1\n"), &[("A", None)], Shell::Fish).unwrap_err();
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn render_sets_removes_and_gives_up_the_file_when_empty() {
        let one = render(None, &[("A", Some("1"))], Shell::Sh).unwrap().unwrap();
        assert_eq!(one, format!("{HEADER}export A='1'\n"));
        let two = render(Some(&one), &[("B", Some("2"))], Shell::Sh).unwrap().unwrap();
        assert_eq!(two, format!("{HEADER}export A='1'\nexport B='2'\n"));
        assert_eq!(render(Some(&two), &[("B", Some("2"))], Shell::Sh).unwrap().as_deref(), Some(two.as_str()));
        let back = render(Some(&two), &[("B", None)], Shell::Sh).unwrap().unwrap();
        assert_eq!(back, one);
        assert_eq!(render(Some(&back), &[("A", None)], Shell::Sh).unwrap(), None, "no variable left: the file goes");
        // A variable of the user's own keeps the file.
        let own = format!("{one}export MINE='x'\n");
        assert_eq!(render(Some(&own), &[("A", None)], Shell::Sh).unwrap(), Some(format!("{HEADER}export MINE='x'\n")));
    }

    #[test]
    fn start_up_files_get_one_guarded_line() {
        let line =
            "if [ -f \"$HOME/.config/mirror/env.sh\" ]; then . \"$HOME/.config/mirror/env.sh\"; fi # added by mirror";
        let bashrc = "# ~/.bashrc\n[ -z \"$PS1\" ] && return\nalias ll='ls -l'";
        let with = rc_render(Some(bashrc), line, true).unwrap().unwrap();
        assert_eq!(with, format!("{bashrc}\n{line}\n"));
        assert_eq!(rc_render(Some(&with), line, true).unwrap().unwrap(), with, "idempotent");
        assert_eq!(rc_render(Some(&with), line, false).unwrap().unwrap(), format!("{bashrc}\n"));
        assert_eq!(rc_render(None, line, false).unwrap(), None);
        let edited = with.replace("; fi", "; true; fi");
        let e = rc_render(Some(&edited), line, true).unwrap_err();
        assert_eq!(e.line, Some(4));
    }

    #[test]
    fn plan_writes_both_env_files_and_the_start_up_files_that_exist() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = context(dir.path(), &[]);
        let home = dir.path().join("home");
        std::fs::create_dir_all(home.join(".config/fish")).unwrap();
        std::fs::write(home.join(".bashrc"), "# bashrc\n").unwrap();
        std::fs::write(home.join(".zshrc"), "# zshrc\n").unwrap();
        std::fs::write(home.join(".config/fish/config.fish"), "set -g fish_greeting\n").unwrap();
        let edits = plan(&ctx, &[("HF_ENDPOINT", Some("https://hf-mirror.com"))]).unwrap();
        let paths: Vec<&Path> = edits.iter().map(|e| e.path.as_path()).collect();
        assert_eq!(
            paths,
            [
                home.join(".config/mirror/env.sh"),
                home.join(".config/mirror/env.fish"),
                home.join(".bashrc"),
                home.join(".zshrc"),
                home.join(".config/fish/config.fish")
            ]
        );
        let fish = String::from_utf8(edits[1].after.clone().unwrap()).unwrap();
        assert!(fish.ends_with("set -gx HF_ENDPOINT 'https://hf-mirror.com'\n"), "{fish}");
        let rc = String::from_utf8(edits[4].after.clone().unwrap()).unwrap();
        assert!(rc.ends_with("if test -f \"$HOME/.config/mirror/env.fish\"; source \"$HOME/.config/mirror/env.fish\"; end # added by mirror\n"), "{rc}");
        // Removing a variable that is not there, with no env file: nothing at all.
        let none = plan(&ctx, &[("HF_ENDPOINT", None)]).unwrap();
        assert!(none.iter().all(|e| !e.is_change()), "{none:?}");
        // No start-up file at all: ~/.profile is created.
        let bare = tempfile::tempdir().unwrap();
        let ctx = context(bare.path(), &[]);
        let edits = plan(&ctx, &[("A", Some("1"))]).unwrap();
        assert!(edits.iter().any(|e| e.path == bare.path().join("home/.profile") && e.before.is_none()));
    }
}
