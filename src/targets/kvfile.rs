//! `KEY=value` line files: the file Go's `go env -w` writes and Homebrew's `brew.env`.
//!
//! Both tools read one `KEY=value` per line, the value taken literally up to the end of the
//! line (no quotes, no `export`), and skip `#` comments and blank lines. [`set`] edits such
//! text line by line: a key's line is replaced in place, a removed key's line goes, a new key
//! is appended; every other line (comments, other keys, the line endings) stays byte for byte.
//! A line that is neither blank, a comment nor `KEY=value` is refused with its line number:
//! the tool would skip or misread it, and an edit next to it could not be trusted.

use super::LineError;
use super::common::split_eol;

/// How one kind of file is named in messages and what it allows.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// What the file is, for messages (`go env file`, `brew.env`).
    pub what: &'static str,
    /// Why a quoted value of a managed key is refused, when the tool takes quotes literally.
    pub literal_quotes: bool,
}

/// One line: its text without the line ending, the ending, and the key when it sets one.
#[derive(Debug)]
struct Line<'a> {
    text: &'a str,
    eol: &'a str,
    key: Option<&'a str>,
}

fn is_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse<'a>(text: &'a str, rules: &Rules) -> Result<Vec<Line<'a>>, LineError> {
    let mut lines = Vec::new();
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let (line, eol) = split_eol(raw);
        let trimmed = line.trim();
        let key = if trimmed.is_empty() || trimmed.starts_with('#') {
            None
        } else {
            let Some((key, _)) = line.split_once('=') else {
                return Err(LineError::at(
                    i + 1,
                    format!(
                        "`{trimmed}` is not a `KEY=value` line, a comment or blank; the {} holds only those",
                        rules.what
                    ),
                ));
            };
            if key.strip_prefix("export ").is_some() {
                return Err(LineError::at(
                    i + 1,
                    format!(
                        "`{trimmed}`: the {} takes `KEY=value` lines without `export`, and this line is skipped",
                        rules.what
                    ),
                ));
            }
            if !is_name(key) {
                return Err(LineError::at(
                    i + 1,
                    format!("`{key}` is not a variable name (letters, digits and `_`, with nothing around it)"),
                ));
            }
            Some(key)
        };
        lines.push(Line { text: line, eol, key });
    }
    Ok(lines)
}

/// The value of `key` in `text`, if set.
pub fn get(text: &str, key: &str, rules: &Rules) -> Result<Option<String>, LineError> {
    let lines = parse(text, rules)?;
    Ok(lines.iter().find(|l| l.key == Some(key)).map(|l| l.text[key.len() + 1..].to_owned()))
}

/// Sets (`Some`) or removes (`None`) each key. A managed key set twice, or set to a quoted
/// value when the tool takes quotes literally, is refused with its line. Idempotent.
pub fn set(input: Option<&str>, changes: &[(&str, Option<&str>)], rules: &Rules) -> Result<String, LineError> {
    let text = input.unwrap_or("");
    let lines = parse(text, rules)?;
    for (key, _) in changes {
        let mut at = lines.iter().enumerate().filter(|(_, l)| l.key == Some(*key)).map(|(i, _)| i);
        let first = at.next();
        if let Some(second) = at.next() {
            return Err(LineError::at(
                second + 1,
                format!(
                    "`{key}` is set twice (first on line {}); keep one of the lines",
                    first.unwrap_or_default() + 1
                ),
            ));
        }
        if let Some(i) = first {
            let value = &lines[i].text[key.len() + 1..];
            if rules.literal_quotes && (value.starts_with('"') || value.starts_with('\'')) {
                return Err(LineError::at(
                    i + 1,
                    format!(
                        "the value of `{key}` is quoted, and the quotes would be part of it; write `{key}=<value>` without quotes"
                    ),
                ));
            }
        }
    }
    let nl = lines.first().map_or("\n", |l| if l.eol == "\r\n" { "\r\n" } else { "\n" });
    let mut out = String::with_capacity(text.len() + 128);
    let mut done: Vec<&str> = Vec::new();
    for line in &lines {
        match line.key.and_then(|k| changes.iter().find(|(c, _)| *c == k)) {
            Some((key, Some(value))) => {
                out.push_str(&format!("{key}={value}"));
                out.push_str(if line.eol.is_empty() { nl } else { line.eol });
                done.push(key);
            }
            Some((key, None)) => done.push(key),
            None => {
                out.push_str(line.text);
                out.push_str(line.eol);
            }
        }
    }
    for (key, value) in changes {
        if let (false, Some(value)) = (done.contains(key), value) {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push_str(nl);
            }
            out.push_str(&format!("{key}={value}{nl}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Rules = Rules { what: "test file", literal_quotes: true };

    #[test]
    fn set_replaces_in_place_removes_and_appends() {
        let text = "# mine\nGOPRIVATE=corp.example\nGOPROXY=https://old,direct\n";
        let out = set(Some(text), &[("GOPROXY", Some("https://new,direct")), ("GOSUMDB", None)], &RULES).unwrap();
        assert_eq!(out, "# mine\nGOPRIVATE=corp.example\nGOPROXY=https://new,direct\n");
        let out = set(Some(&out), &[("GOPROXY", None), ("GOSUMDB", Some("x"))], &RULES).unwrap();
        assert_eq!(out, "# mine\nGOPRIVATE=corp.example\nGOSUMDB=x\n");
        assert_eq!(set(None, &[("A", Some("1"))], &RULES).unwrap(), "A=1\n");
        assert_eq!(set(Some("B=2"), &[("A", Some("1"))], &RULES).unwrap(), "B=2\nA=1\n");
        assert_eq!(set(Some("A=0\r\nB=2\r\n"), &[("A", Some("1"))], &RULES).unwrap(), "A=1\r\nB=2\r\n");
        assert_eq!(get("A=1\nB=x=y\n", "B", &RULES).unwrap().as_deref(), Some("x=y"));
    }

    #[test]
    fn malformed_lines_are_refused_with_their_line() {
        for (text, line, what) in [
            ("A=1\nnonsense\n", 2, "not a `KEY=value` line"),
            ("export A=1\n", 1, "without `export`"),
            (" A=1\n", 1, "not a variable name"),
            ("A=1\nA=2\n", 2, "set twice (first on line 1)"),
            ("A=\"x\"\n", 1, "quoted"),
        ] {
            let e = set(Some(text), &[("A", Some("1"))], &RULES).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e:?}");
            assert!(e.message.contains(what), "{text:?}: {e:?}");
        }
    }
}
