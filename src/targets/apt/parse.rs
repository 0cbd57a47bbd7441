//! The two formats of apt sources: one-line `deb URI SUITE COMPONENTS` (`*.list`) and deb822
//! stanzas (`*.sources`). Entries keep the byte ranges of what the rewrite edits, so that
//! everything else stays byte for byte.

use std::ops::Range;

use super::{RenderError, uri};
use crate::targets::line_at;

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One-line `deb URI SUITE COMPONENTS` (`*.list`).
    List,
    /// deb822 stanzas (`*.sources`).
    Sources,
}

/// One source entry: a line of a `.list` file or a stanza of a `.sources` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    /// 1-based line of the line or of the stanza's first field.
    pub line: usize,
    pub types: Vec<String>,
    pub enabled: bool,
    /// Byte ranges of the URIs in the text.
    pub uris: Vec<Range<usize>>,
    pub suites: Vec<String>,
    pub components: Vec<String>,
    pub signed_by: SignedBy,
    /// The architectures it is limited to (`arch=`, `Architectures:`); empty: apt's default.
    pub archs: Vec<String>,
    /// The line, or the stanza from its first field to the end of its last one, with the
    /// final line break.
    pub span: Range<usize>,
    /// deb822: where the fields the rewrite edits are.
    pub stanza: Option<Stanza>,
}

/// Positions of the fields of a deb822 stanza that the rewrite edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Stanza {
    /// The value of `URIs:`, first word to last.
    pub uris: Range<usize>,
    /// The value of `Suites:`, first word to last.
    pub suites: Range<usize>,
    /// `Enabled:`: the start of its line, and its value.
    pub enabled: Option<(usize, Range<usize>)>,
}

/// The keys an entry names (`[signed-by=…]`, `Signed-By:`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) enum SignedBy {
    /// No key: any key apt trusts.
    #[default]
    Absent,
    /// Keyring files or fingerprints.
    Keys(Vec<String>),
    /// An ASCII-armoured key block in the field itself.
    Inline,
}

impl SignedBy {
    /// From the words of the value (keys are separated by blanks or commas).
    fn from_words<'a>(words: impl IntoIterator<Item = &'a str>) -> Self {
        let mut keys = Vec::new();
        for word in words {
            if word.starts_with("-----BEGIN") {
                return Self::Inline;
            }
            keys.extend(word.split(',').filter(|k| !k.is_empty()).map(str::to_owned));
        }
        if keys.is_empty() { Self::Absent } else { Self::Keys(keys) }
    }
}

/// The value of the last option `name` (`name=`, `name+=`, `name-=`) of a one-line entry.
fn option<'a>(options: &'a str, name: &str) -> Option<&'a str> {
    options
        .split_whitespace()
        .filter_map(|o| o.split_once('='))
        .filter(|(n, _)| n.trim_end_matches(['+', '-']).eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
        .next_back()
}

pub(super) fn parse(format: Format, text: &str) -> Result<Vec<Entry>, RenderError> {
    match format {
        Format::List => parse_list(text),
        Format::Sources => parse_sources(text),
    }
}

/// Lines with their 1-based number, byte offset and length with the line break, without
/// `\n` or `\r\n`.
fn lines(text: &str) -> impl Iterator<Item = (usize, usize, usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').enumerate().map(move |(i, raw)| {
        let start = offset;
        offset += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        (i + 1, start, raw.len(), line)
    })
}

pub(super) fn parse_error(line: usize, message: impl Into<String>) -> RenderError {
    RenderError::Parse { line, message: message.into() }
}

/// The next word of a one-line entry from byte `pos`: runs of non-blanks, where `[…]` and
/// `"…"` may hold blanks (apt's `ParseQuoteWord`; `cdrom:[Debian GNU/Linux 12]/`).
fn next_word(s: &str, pos: usize, line: usize) -> Result<Option<Range<usize>>, RenderError> {
    let bytes = s.as_bytes();
    let mut i = pos;
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    if i == bytes.len() {
        return Ok(None);
    }
    let start = i;
    while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
        let close = match bytes[i] {
            b'[' => Some(b']'),
            b'"' => Some(b'"'),
            _ => None,
        };
        if let Some(close) = close {
            let end = bytes[i + 1..]
                .iter()
                .position(|&b| b == close)
                .ok_or_else(|| parse_error(line, format!("unterminated `{}`", char::from(bytes[i]))))?;
            i += end + 1;
        }
        i += 1;
    }
    Ok(Some(start..i))
}

fn parse_list(text: &str) -> Result<Vec<Entry>, RenderError> {
    let mut entries = Vec::new();
    for (no, start, len, line) in lines(text) {
        let content = line.split('#').next().unwrap_or_default();
        if content.trim().is_empty() {
            continue;
        }
        let ty_range = next_word(content, 0, no)?.expect("not blank");
        let ty = &content[ty_range.clone()];
        if ty != "deb" && ty != "deb-src" {
            return Err(parse_error(no, format!("expected `deb` or `deb-src`, found `{ty}`")));
        }
        let mut pos = ty_range.end;
        let rest = &content[pos..];
        let mut options = "";
        if rest.trim_start().starts_with('[') {
            let open = pos + (rest.len() - rest.trim_start().len());
            let close = content[open..].find(']').ok_or_else(|| parse_error(no, "unterminated `[` in the options"))?;
            options = &content[open + 1..open + close];
            pos = open + close + 1;
        }
        let uri = next_word(content, pos, no)?.ok_or_else(|| parse_error(no, format!("`{ty}` line has no URI")))?;
        uri::check(&content[uri.clone()]).map_err(|e| parse_error(no, e))?;
        let suite = next_word(content, uri.end, no)?
            .ok_or_else(|| parse_error(no, format!("`{ty}` line has no suite after `{}`", &content[uri.clone()])))?;
        let mut components = Vec::new();
        let mut pos = suite.end;
        while let Some(word) = next_word(content, pos, no)? {
            components.push(content[word.clone()].to_owned());
            pos = word.end;
        }
        let suite_text = &content[suite];
        if suite_text.ends_with('/') && !components.is_empty() {
            return Err(parse_error(
                no,
                format!("suite `{suite_text}` is an exact path (it ends in `/`) and takes no components"),
            ));
        }
        if !suite_text.ends_with('/') && components.is_empty() {
            return Err(parse_error(
                no,
                format!("suite `{suite_text}` needs components (like `main`), or a `/` at its end for an exact path"),
            ));
        }
        entries.push(Entry {
            line: no,
            types: vec![ty.to_owned()],
            enabled: true,
            uris: std::iter::once(start + uri.start..start + uri.end).collect(),
            suites: vec![suite_text.to_owned()],
            components,
            signed_by: option(options, "signed-by").map(|v| SignedBy::from_words([v])).unwrap_or_default(),
            archs: option(options, "arch")
                .map(|v| v.split(',').filter(|a| !a.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default(),
            span: start..start + len,
            stanza: None,
        });
    }
    Ok(entries)
}

/// A field of a deb822 stanza.
struct Field {
    name: String,
    line: usize,
    /// Where its first line starts.
    start: usize,
    /// Where its last line ends, after the line break.
    end: usize,
    /// Byte ranges of the whitespace-separated words of the value, over all its lines.
    words: Vec<Range<usize>>,
}

impl Field {
    /// The value from its first word to its last (empty, after the colon, when it has none).
    fn value(&self) -> Range<usize> {
        match (self.words.first(), self.words.last()) {
            (Some(a), Some(b)) => a.start..b.end,
            _ => self.start + self.name.len() + 1..self.start + self.name.len() + 1,
        }
    }
}

fn words(line: &str, offset: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        let rest = &line[pos..];
        let skip = rest.len() - rest.trim_start().len();
        let start = pos + skip;
        if start >= line.len() {
            return None;
        }
        let len = line[start..].find(char::is_whitespace).unwrap_or(line.len() - start);
        pos = start + len;
        Some(offset + start..offset + start + len)
    })
}

fn parse_sources(text: &str) -> Result<Vec<Entry>, RenderError> {
    let mut entries = Vec::new();
    let mut stanza: Vec<Field> = Vec::new();
    for (no, start, len, line) in lines(text) {
        if line.trim().is_empty() {
            if !stanza.is_empty() {
                entries.push(finish_stanza(text, std::mem::take(&mut stanza))?);
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let field = stanza
                .last_mut()
                .ok_or_else(|| parse_error(no, "continuation line (it starts with a blank) outside a field"))?;
            field.words.extend(words(line, start));
            field.end = start + len;
            continue;
        }
        let Some((name, value)) =
            line.split_once(':').filter(|(name, _)| !name.is_empty() && !name.contains(char::is_whitespace))
        else {
            return Err(parse_error(no, format!("expected `Field: value`, found `{}`", line.trim())));
        };
        let lower = name.to_ascii_lowercase();
        if stanza.iter().any(|f| f.name == lower) {
            return Err(parse_error(no, format!("field `{name}` appears twice in one stanza")));
        }
        let value_start = start + name.len() + 1;
        stanza.push(Field {
            name: lower,
            line: no,
            start,
            end: start + len,
            words: words(value, value_start).collect(),
        });
    }
    if !stanza.is_empty() {
        entries.push(finish_stanza(text, stanza)?);
    }
    Ok(entries)
}

fn finish_stanza(text: &str, stanza: Vec<Field>) -> Result<Entry, RenderError> {
    let line = stanza[0].line;
    let get = |name: &str| stanza.iter().find(|f| f.name == name);
    let strings = |f: &Field| -> Vec<String> { f.words.iter().map(|r| text[r.clone()].to_owned()).collect() };
    let require = |name: &str, shown: &str| {
        get(name)
            .filter(|f| !f.words.is_empty())
            .ok_or_else(|| parse_error(line, format!("stanza has no `{shown}` field")))
    };
    let types = strings(require("types", "Types")?);
    let uris_field = require("uris", "URIs")?;
    for uri in &uris_field.words {
        uri::check(&text[uri.clone()]).map_err(|e| parse_error(line_at(text, uri.start), e))?;
    }
    let suites_field = require("suites", "Suites")?;
    let suites = strings(suites_field);
    let components = get("components").map(strings).unwrap_or_default();
    let signed_by =
        get("signed-by").map(|f| SignedBy::from_words(f.words.iter().map(|r| &text[r.clone()]))).unwrap_or_default();
    let enabled_field = get("enabled");
    let enabled = enabled_field.and_then(|f| f.words.first()).is_none_or(|w| {
        !matches!(text[w.clone()].to_ascii_lowercase().as_str(), "no" | "false" | "off" | "without" | "disable")
    });
    let archs = get("architectures").map(strings).unwrap_or_default();
    let end = stanza.iter().map(|f| f.end).max().expect("a stanza has a field");
    Ok(Entry {
        line,
        types,
        enabled,
        uris: uris_field.words.clone(),
        suites,
        components,
        signed_by,
        archs,
        span: stanza[0].start..end,
        stanza: Some(Stanza {
            uris: uris_field.value(),
            suites: suites_field.value(),
            enabled: enabled_field.map(|f| (f.start, f.value())),
        }),
    })
}
