//! docker: `registry-mirrors` in `/etc/docker/daemon.json`.
//!
//! dockerd tries the registry mirrors in order and falls back to Docker Hub. `use <site>` puts
//! the site's mirror first and keeps the other mirrors after it, in their order, except the
//! Docker Hub mirrors of other catalog sites (what an earlier `use` put first), so switching
//! sites never piles them up. `use upstream` removes the key: without one dockerd pulls from
//! Docker Hub itself.
//!
//! The file is validated with serde_json, then only the text of that one key's value is
//! replaced (or the one member added at the end of the object, or removed): every other byte
//! (indentation, inline arrays and objects, key order, a byte-order mark) stays as it was. The
//! new list keeps the list's own layout (one line, or one item per line). The result is parsed
//! again and must hold exactly the old settings plus the new list; otherwise nothing is
//! written.
//!
//! dockerd refuses to start on a file that is not a JSON object, on a non-list
//! `registry-mirrors` and on an empty file (20.10: `EOF`); it keeps the last of two equal
//! keys. `mirror` refuses all of these except the empty file, which it replaces.

use std::collections::HashMap;
use std::ops::Range;

use anyhow::Result;
use serde_json::{Map, Value};

use super::common::{endpoint, same_url};
use super::{Current, FileEdit, Host, LineError, Request, Target, current_from, line_at, plan_from};
use crate::catalog::{Repo, Site};
use crate::context::Context;

pub struct Docker;

const DAEMON_JSON: &str = "/etc/docker/daemon.json";
const KEY: &str = "registry-mirrors";

/// Renders daemon.json with `mirror` first in `registry-mirrors` (the other mirrors kept after
/// it, except those in `known`, the catalog's Docker Hub mirrors), or without the key when
/// `mirror` is `None` (Docker Hub itself). `Ok(None)`: no file is needed (it does not exist
/// and nothing has to be set).
pub fn render(input: Option<&str>, mirror: Option<&str>, known: &[String]) -> Result<Option<String>, LineError> {
    let Some(body) = input else {
        return Ok(mirror.map(fresh));
    };
    if body.trim().is_empty() {
        // dockerd does not start on an empty file; `{}` means the same and is valid.
        return Ok(Some(mirror.map_or_else(|| "{}\n".to_owned(), fresh)));
    }
    let map = parse(body)?;
    let current = mirrors(&map);
    let object = Object::scan(body);
    let at = object.members.iter().position(|m| object.key(body, m) == KEY);
    let mut expected = map.clone();
    let out = match mirror {
        None if current.is_empty() => return Ok(Some(body.to_owned())),
        None => {
            expected.shift_remove(KEY);
            object.remove(body, at.expect("a non-empty list has its key"))
        }
        Some(m) => {
            // The mirror as the file spells it, when it is listed already.
            let first = current.iter().find(|c| same_url(c, m)).map_or(m, String::as_str);
            let mut wanted = vec![first.to_owned()];
            wanted.extend(current.iter().filter(|e| !same_url(e, m) && !known.iter().any(|k| same_url(k, e))).cloned());
            let done = wanted.len() == current.len() && wanted.iter().zip(&current).all(|(w, c)| same_url(w, c));
            if done {
                return Ok(Some(body.to_owned()));
            }
            expected.insert(KEY.to_owned(), Value::from(wanted.clone()));
            match at {
                Some(i) => object.set_list(body, i, &current, &wanted),
                None => object.append(body, &list_text(&wanted)),
            }
        }
    };
    verify(&out, &expected)?;
    Ok(Some(out))
}

/// A new daemon.json holding only the mirror, in the layout of Docker's documentation.
fn fresh(mirror: &str) -> String {
    format!("{{\n  \"{KEY}\": {}\n}}\n", list_text(&[mirror.to_owned()]))
}

/// A list of URLs on one line: `["https://a", "https://b"]`.
fn list_text(urls: &[String]) -> String {
    let items: Vec<String> = urls.iter().map(|u| json_string(u)).collect();
    format!("[{}]", items.join(", "))
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serializes")
}

/// The first registry mirror, trimmed of `/`, or `None` when there is none.
pub fn first_mirror(body: &str) -> Result<Option<String>, LineError> {
    if body.trim().is_empty() {
        return Ok(None);
    }
    let map = parse(body)?;
    Ok(mirrors(&map).first().map(|m| m.trim_end_matches('/').to_owned()))
}

/// The mirrors listed (checked to be strings by [`parse`]; `null` counts as none, as in dockerd).
fn mirrors(map: &Map<String, Value>) -> Vec<String> {
    match map.get(KEY) {
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

/// The edited text must parse as exactly the settings intended, in the same key order.
fn verify(out: &str, expected: &Map<String, Value>) -> Result<(), LineError> {
    let got = parse(out).ok();
    let same = got.is_some_and(|got| got.iter().eq(expected.iter()));
    if same {
        Ok(())
    } else {
        Err(LineError::new(
            None,
            format!("the file could not be edited without changing other settings; set `{KEY}` by hand"),
        ))
    }
}

/// One `"key": value` member of the top-level object: byte ranges of the key (quotes
/// included) and of the value.
#[derive(Debug, Clone)]
struct Member {
    key: Range<usize>,
    value: Range<usize>,
}

/// Where the top-level object and its members are in text that serde_json has accepted.
#[derive(Debug)]
struct Object {
    open: usize,
    close: usize,
    members: Vec<Member>,
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// The end of the string that starts at `i` (just after its closing quote).
fn skip_string(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// The end of the value that starts at `i`.
fn skip_value(b: &[u8], i: usize) -> usize {
    match b[i] {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = skip_string(b, j);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            j
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                j += 1;
            }
            j
        }
    }
}

/// The items of the array at `range`.
fn items(body: &str, range: &Range<usize>) -> Vec<Range<usize>> {
    let b = body.as_bytes();
    let mut out = Vec::new();
    let mut i = skip_ws(b, range.start + 1);
    while i < range.end - 1 {
        let end = skip_value(b, i);
        out.push(i..end);
        i = skip_ws(b, end);
        if b[i] == b',' {
            i = skip_ws(b, i + 1);
        }
    }
    out
}

impl Object {
    /// Scans valid JSON whose top level is an object.
    fn scan(body: &str) -> Self {
        let b = body.as_bytes();
        let open = skip_ws(b, 0);
        let mut members = Vec::new();
        let mut i = skip_ws(b, open + 1);
        while b[i] != b'}' {
            let key_end = skip_string(b, i);
            let value_start = skip_ws(b, skip_ws(b, key_end) + 1);
            let value_end = skip_value(b, value_start);
            members.push(Member { key: i..key_end, value: value_start..value_end });
            i = skip_ws(b, value_end);
            if b[i] == b',' {
                i = skip_ws(b, i + 1);
            }
        }
        Self { open, close: i, members }
    }

    fn key(&self, body: &str, m: &Member) -> String {
        serde_json::from_str(&body[m.key.clone()]).unwrap_or_default()
    }

    /// The text with member `i`'s list (the strings `current`, or `null`) replaced by `wanted`,
    /// in the list's own layout; items already there keep their text.
    fn set_list(&self, body: &str, i: usize, current: &[String], wanted: &[String]) -> String {
        let value = &self.members[i].value;
        let old = if body[value.clone()].starts_with('[') { items(body, value) } else { Vec::new() };
        let texts: Vec<String> = wanted
            .iter()
            .map(|w| match current.iter().position(|c| same_url(c, w)) {
                Some(j) if j < old.len() => body[old[j].clone()].to_owned(),
                _ => json_string(w),
            })
            .collect();
        let list = match (old.first(), old.last()) {
            (Some(first), Some(last)) => {
                let prefix = &body[value.start + 1..first.start];
                let suffix = &body[last.end..value.end - 1];
                let sep = match old.get(1) {
                    Some(second) => body[first.end..second.start].to_owned(),
                    None if prefix.contains('\n') => format!(",{prefix}"),
                    // A compact file (`"key":[…]`) gets a compact list.
                    None if &body[self.members[i].key.end..value.start] == ":" => ",".to_owned(),
                    None => ", ".to_owned(),
                };
                format!("[{prefix}{}{suffix}]", texts.join(&sep))
            }
            _ => format!("[{}]", texts.join(", ")),
        };
        format!("{}{list}{}", &body[..value.start], &body[value.end..])
    }

    /// The text with a `registry-mirrors` member holding `list` added after the last member,
    /// spaced like the members before it.
    fn append(&self, body: &str, list: &str) -> String {
        let Some(last) = self.members.last() else {
            let nl = if body.contains("\r\n") { "\r\n" } else { "\n" };
            return format!("{}{{{nl}  \"{KEY}\": {list}{nl}}}{}", &body[..self.open], &body[self.close + 1..]);
        };
        let n = self.members.len();
        let sep = if n >= 2 {
            body[self.members[n - 2].value.end..last.key.start].to_owned()
        } else {
            format!(",{}", &body[self.open + 1..last.key.start])
        };
        let colon = &body[last.key.end..last.value.start];
        format!("{}{sep}\"{KEY}\"{colon}{list}{}", &body[..last.value.end], &body[last.value.end..])
    }

    /// The text without member `i` (and the comma that joined it to its neighbour).
    fn remove(&self, body: &str, i: usize) -> String {
        let m = &self.members;
        let cut = if m.len() == 1 {
            self.open + 1..self.close
        } else if i > 0 {
            m[i - 1].value.end..m[i].value.end
        } else {
            m[0].key.start..m[1].key.start
        };
        format!("{}{}", &body[..cut.start], &body[cut.end..])
    }
}

/// Parses a non-blank daemon.json: valid JSON, an object at the top, no key given twice in
/// any object, and `registry-mirrors` (if present) a list of strings.
fn parse(body: &str) -> Result<Map<String, Value>, LineError> {
    let value: Value = serde_json::from_str(body).map_err(|e| {
        let text = e.to_string();
        let what = text.rfind(" at line ").map_or(text.as_str(), |at| &text[..at]);
        LineError::at(e.line().max(1), format!("invalid JSON: {what} (column {})", e.column()))
    })?;
    let keys = scan_keys(body)?;
    let Value::Object(map) = value else {
        let line = line_at(body, body.len() - body.trim_start().len());
        return Err(LineError::at(
            line,
            format!("the top level must be a JSON object `{{ … }}`, not {}", kind(&value)),
        ));
    };
    match map.get(KEY) {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
        Some(other) => {
            let line = keys.get(KEY).copied().unwrap_or(1);
            let what = match other {
                Value::Array(_) => "a list with an item that is not a string".to_owned(),
                other => kind(other).to_owned(),
            };
            return Err(LineError::at(
                line,
                format!("`{KEY}` must be a list of URLs like `[\"https://mirror.example\"]`, not {what}"),
            ));
        }
    }
    Ok(map)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "`null`",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// An object being scanned: the keys seen (with their lines), and whether the next string is
/// a key.
struct Frame {
    keys: Option<HashMap<String, usize>>,
    expect_key: bool,
}

/// Walks valid JSON text and refuses a key given twice in one object (serde_json and dockerd
/// keep the last one silently, so a rewrite would drop the other). Returns the top-level
/// keys with their line numbers.
fn scan_keys(body: &str) -> Result<HashMap<String, usize>, LineError> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut top = HashMap::new();
    let mut line = 1;
    let mut chars = body.char_indices();
    while let Some((start, c)) = chars.next() {
        match c {
            '\n' => line += 1,
            '{' => stack.push(Frame { keys: Some(HashMap::new()), expect_key: true }),
            '[' => stack.push(Frame { keys: None, expect_key: false }),
            '}' | ']' => {
                let done = stack.pop();
                if stack.is_empty()
                    && let Some(Frame { keys: Some(keys), .. }) = done
                {
                    top = keys;
                }
            }
            ',' => {
                if let Some(frame) = stack.last_mut() {
                    frame.expect_key = frame.keys.is_some();
                }
            }
            '"' => {
                let mut end = body.len();
                while let Some((i, d)) = chars.next() {
                    if d == '\\' {
                        chars.next();
                    } else if d == '"' {
                        end = i + 1;
                        break;
                    }
                }
                let Some(frame) = stack.last_mut() else {
                    continue;
                };
                let Some(keys) = frame.keys.as_mut().filter(|_| frame.expect_key) else {
                    continue;
                };
                frame.expect_key = false;
                let key: String = serde_json::from_str(&body[start..end]).unwrap_or_default();
                if let Some(first) = keys.get(&key) {
                    return Err(LineError::at(
                        line,
                        format!(
                            "key `{key}` is given twice in one object (also on line {first}); dockerd would use only the last"
                        ),
                    ));
                }
                keys.insert(key, line);
            }
            _ => {}
        }
    }
    Ok(top)
}

impl Target for Docker {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.sys("/etc/docker").is_dir() || ctx.has_program("dockerd") || ctx.has_program("docker")
    }

    fn looked_for(&self) -> &'static str {
        "no `/etc/docker/` and no `docker` or `dockerd` program"
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Dockerhub)
    }

    fn plan(&self, ctx: &Context, _host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let mirror = super::podman::hub_mirror(req, "docker")?;
        let known = super::podman::known(ctx)?;
        plan_from(ctx, ctx.sys(DAEMON_JSON), |text| render(text, mirror, &known))
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        current_from(ctx, ctx.sys(DAEMON_JSON), first_mirror)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::Bom;
    use crate::targets::common::BOM;
    use crate::targets::testing::{self, root_context as ctx, write};

    const TWO_SPACES: &str = include_str!("../../tests/fixtures/docker/two-spaces.json");
    const FOUR_SPACES: &str = include_str!("../../tests/fixtures/docker/four-spaces-with-mirrors.json");
    const TABS: &str = include_str!("../../tests/fixtures/docker/tabs.json");
    const ONE_LINE: &str = include_str!("../../tests/fixtures/docker/one-line.json");
    const INLINE_K8S: &str = include_str!("../../tests/fixtures/docker/inline-k8s.json");
    const THREE_SPACES: &str = include_str!("../../tests/fixtures/docker/three-spaces.json");
    const COMPACT: &str = include_str!("../../tests/fixtures/docker/compact.json");
    const WITH_BOM: &str = include_str!("../../tests/fixtures/docker/bom.json");
    const TRAILING_COMMA: &str = include_str!("../../tests/fixtures/docker/trailing-comma.json");
    const MIRRORS_STRING: &str = include_str!("../../tests/fixtures/docker/mirrors-string.json");
    const TOP_ARRAY: &str = include_str!("../../tests/fixtures/docker/top-array.json");
    const DUPLICATE_KEY: &str = include_str!("../../tests/fixtures/docker/duplicate-key.json");

    const HUB: &str = "https://hub.example";
    const PROXY: &str = "https://proxy.example";

    /// The catalog's Docker Hub mirrors in these tests.
    fn known() -> Vec<String> {
        vec![HUB.to_owned(), PROXY.to_owned(), "https://registry-1.docker.io".to_owned()]
    }

    fn site(id: &str, repos: &str) -> Site {
        testing::site(id, &format!("[repos]\n{repos}"))
    }

    fn hub() -> Site {
        site("hub", "dockerhub = \"https://hub.example/\"\n")
    }

    fn upstream() -> Site {
        site("upstream", "dockerhub = \"https://registry-1.docker.io\"\npypi = \"https://pypi.org/simple\"\n")
    }

    fn tuna() -> Site {
        site("tuna", "archlinux = \"https://mirrors.tuna.tsinghua.edu.cn/archlinux\"\n")
    }

    fn fixtures() -> Vec<(&'static str, Option<&'static str>)> {
        vec![
            ("two-spaces", Some(TWO_SPACES)),
            ("four-spaces", Some(FOUR_SPACES)),
            ("tabs", Some(TABS)),
            ("one-line", Some(ONE_LINE)),
            ("inline-k8s", Some(INLINE_K8S)),
            ("three-spaces", Some(THREE_SPACES)),
            ("compact", Some(COMPACT)),
            ("bom", Some(WITH_BOM)),
            ("missing", None),
            ("empty", Some("")),
            ("blank", Some(" \n\n")),
            ("empty-object", Some("{}\n")),
            ("null-mirrors", Some("{\"registry-mirrors\": null}")),
            ("crlf", Some("{\r\n  \"debug\": true\r\n}\r\n")),
        ]
    }

    /// Renders `input` the way `plan` does: a byte-order mark stays outside the edit.
    fn ok(input: Option<&str>, mirror: Option<&str>) -> Option<String> {
        Bom::Keep.render(input, |body| render(body, mirror, &known())).unwrap()
    }

    /// Reads the first mirror the way `current` does: after a byte-order mark.
    fn first(text: &str) -> Result<Option<String>, LineError> {
        Bom::Keep.body(text).and_then(first_mirror)
    }

    fn listed(text: &str) -> Vec<String> {
        mirrors(&parse(text.trim_start_matches(BOM)).unwrap())
    }

    /// The text before and after the `registry-mirrors` list, found without the code under
    /// test: the first `[` after the key and the first `]` after that (URLs hold neither).
    fn around_list(text: &str) -> (&str, &str) {
        let key = text.find("\"registry-mirrors\"").unwrap();
        let open = key + text[key..].find('[').unwrap();
        let close = open + text[open..].find(']').unwrap();
        (&text[..open], &text[close + 1..])
    }

    #[test]
    fn mirror_is_added_after_the_other_keys() {
        let out = ok(Some(TWO_SPACES), Some(HUB)).unwrap();
        insta::assert_snapshot!(out);
        // Everything up to the last value is the file as it was.
        let last = TWO_SPACES.rfind('6').unwrap() + 1;
        assert!(out.starts_with(&TWO_SPACES[..last]), "{out}");
        assert!(out.ends_with(",\n  \"registry-mirrors\": [\"https://hub.example\"]\n}\n"), "{out}");
    }

    #[test]
    fn existing_mirrors_are_replaced_in_place_with_four_spaces() {
        let out = ok(Some(FOUR_SPACES), Some(HUB)).unwrap();
        insta::assert_snapshot!(out);
        // Only the list changed: `exec-opts`, `log-opts` and every other line are the bytes
        // they were, and the list keeps one item per line at eight spaces.
        assert_eq!(around_list(&out), around_list(FOUR_SPACES));
        assert!(out.contains("[\n        \"https://hub.example\",\n        \"https://docker.mirrors.ustc.edu.cn\",\n"));
        assert_eq!(
            listed(&out),
            [
                HUB,
                "https://docker.mirrors.ustc.edu.cn",
                "https://hub-mirror.c.163.com/",
                "https://mirror.ccs.tencentyun.com"
            ]
        );
    }

    #[test]
    fn only_the_list_changes_in_every_layout() {
        for (name, input) in fixtures() {
            let Some(input) =
                input.filter(|t| t.contains("\"registry-mirrors\": [") || t.contains("\"registry-mirrors\":["))
            else {
                continue;
            };
            let out = ok(Some(input), Some(PROXY)).unwrap();
            assert_eq!(around_list(&out), around_list(input), "{name}");
            let others: Vec<String> =
                listed(input).into_iter().filter(|m| !known().iter().any(|k| same_url(k, m))).collect();
            let new = listed(&out);
            assert_eq!(new[0], PROXY, "{name}");
            assert_eq!(new[1..], others, "{name}: the others stay after the new one, in order");
        }
        // One line stays one line, zero indentation stays zero, a byte-order mark stays.
        let out = ok(Some(COMPACT), Some(HUB)).unwrap();
        assert_eq!(
            out,
            "{\"registry-mirrors\":[\"https://hub.example\",\"https://docker.mirrors.ustc.edu.cn\"],\"insecure-registries\":[\"192.168.10.5:5000\"],\"exec-opts\":[\"native.cgroupdriver=systemd\"]}\n"
        );
        let out = ok(Some(INLINE_K8S), Some(HUB)).unwrap();
        assert_eq!(out, INLINE_K8S.replace("[\"https://abcd1234", "[\"https://hub.example\", \"https://abcd1234"));
        let out = ok(Some(WITH_BOM), Some(HUB)).unwrap();
        assert!(
            out.starts_with(
                "\u{feff}{\n  \"registry-mirrors\": [\"https://hub.example\", \"https://docker.m.daocloud.io\"],"
            ),
            "{out}"
        );
        assert_eq!(out.replace("\"https://hub.example\", ", ""), WITH_BOM);
    }

    #[test]
    fn tab_indent_is_kept() {
        let out = ok(Some(TABS), Some(HUB)).unwrap();
        insta::assert_snapshot!(out);
        assert!(
            out.ends_with("\t\"live-restore\": true,\n\t\"registry-mirrors\": [\"https://hub.example\"]\n}\n"),
            "{out}"
        );
    }

    #[test]
    fn missing_or_blank_file_gets_a_fresh_object() {
        let fresh = "{\n  \"registry-mirrors\": [\"https://hub.example\"]\n}\n";
        for input in [None, Some(""), Some("  \n"), Some("{}\n"), Some("{ }\n")] {
            assert_eq!(ok(input, Some(HUB)).as_deref(), Some(fresh), "{input:?}");
        }
        // What is around the object stays.
        assert_eq!(ok(Some("{}"), Some(HUB)).as_deref(), Some(fresh.trim_end()));
        assert_eq!(ok(Some("\u{feff}"), Some(HUB)), Some(format!("\u{feff}{fresh}")));
        // Upstream: a missing file stays missing; a blank one, which dockerd refuses to
        // start with, becomes an empty object.
        assert_eq!(ok(None, None), None);
        assert_eq!(ok(Some(" \n"), None).as_deref(), Some("{}\n"));
    }

    #[test]
    fn upstream_removes_the_key() {
        let out = ok(Some(FOUR_SPACES), None).unwrap();
        insta::assert_snapshot!(out);
        assert!(!out.contains(KEY));
        assert!(FOUR_SPACES.ends_with(&out[out.find("\"exec-opts\"").unwrap()..]), "{out}");
        assert_eq!(ok(Some("{\"registry-mirrors\": [\"https://a.example\"]}"), None).as_deref(), Some("{}"));
        // First, middle and last members go with their comma.
        assert_eq!(
            ok(Some("{\"registry-mirrors\": [\"https://a\"], \"debug\": true}"), None).as_deref(),
            Some("{\"debug\": true}")
        );
        assert_eq!(
            ok(Some("{\"a\": 1, \"registry-mirrors\": [\"https://a\"], \"b\": 2}"), None).as_deref(),
            Some("{\"a\": 1, \"b\": 2}")
        );
        assert_eq!(
            ok(Some(THREE_SPACES), None).unwrap(),
            THREE_SPACES.replace(",\n   \"registry-mirrors\": [\n    \"https://hub-mirror.c.163.com\",\n    \"https://mirror.baidubce.com\"\n  ]", "")
        );
        let out = ok(Some(WITH_BOM), None).unwrap();
        assert_eq!(out, "\u{feff}{\n  \"features\": {\"buildkit\": true}\n}\n");
        // Nothing to remove: the bytes stay as they are.
        for input in [TWO_SPACES, TABS, "{\"registry-mirrors\": []}", "{ }", "{\"registry-mirrors\": null}"] {
            assert_eq!(ok(Some(input), None).as_deref(), Some(input));
        }
    }

    #[test]
    fn a_file_already_there_is_not_reformatted() {
        assert_eq!(ok(Some(ONE_LINE), Some(HUB)).as_deref(), Some(ONE_LINE));
        let slash = "{\"registry-mirrors\":[\"https://hub.example/\"]}";
        assert_eq!(ok(Some(slash), Some(HUB)).as_deref(), Some(slash));
        // First already, with other mirrors after it: already so.
        let two = "{\"registry-mirrors\":[\"https://hub.example\",\"https://b.example\"]}";
        assert_eq!(ok(Some(two), Some(HUB)).as_deref(), Some(two));
        // Second: moved to the front, its text (trailing slash) kept.
        let second = "{\"registry-mirrors\": [\"https://b.example\", \"https://hub.example/\"]}";
        assert_eq!(
            ok(Some(second), Some(HUB)).as_deref(),
            Some("{\"registry-mirrors\": [\"https://hub.example/\", \"https://b.example\"]}")
        );
        // A one-line file that needs a change stays one line.
        assert_eq!(
            ok(Some(ONE_LINE), Some(PROXY)).as_deref(),
            Some("{ \"registry-mirrors\": [\"https://proxy.example\"], \"debug\": false }\n")
        );
    }

    #[test]
    fn another_catalog_mirror_is_taken_out_the_users_own_stay() {
        let text = "{\n  \"registry-mirrors\": [\n    \"https://hub.example\",\n    \"https://registry.corp.example\"\n  ]\n}\n";
        let out = ok(Some(text), Some(PROXY)).unwrap();
        assert_eq!(
            out,
            "{\n  \"registry-mirrors\": [\n    \"https://proxy.example\",\n    \"https://registry.corp.example\"\n  ]\n}\n"
        );
        // Without a catalog, nothing counts as an earlier choice.
        let out = render(Some(text), Some(PROXY), &[]).unwrap().unwrap();
        assert_eq!(listed(&out), [PROXY, HUB, "https://registry.corp.example"]);
        // A null list becomes a list.
        assert_eq!(
            ok(Some("{\"registry-mirrors\": null, \"debug\": true}"), Some(HUB)).as_deref(),
            Some("{\"registry-mirrors\": [\"https://hub.example\"], \"debug\": true}")
        );
        // CRLF files get CRLF.
        assert_eq!(
            ok(Some("{\r\n  \"debug\": true\r\n}\r\n"), Some(HUB)).as_deref(),
            Some("{\r\n  \"debug\": true,\r\n  \"registry-mirrors\": [\"https://hub.example\"]\r\n}\r\n")
        );
    }

    #[test]
    fn rendering_is_idempotent() {
        for (name, input) in fixtures() {
            for mirror in [Some(HUB), Some(PROXY), None] {
                let once = ok(input, mirror);
                let twice = ok(once.as_deref(), mirror);
                assert_eq!(once, twice, "{name} for {mirror:?}");
            }
        }
    }

    #[test]
    fn switching_mirrors_equals_choosing_directly() {
        let parsed = |s: &Option<String>| parse(s.as_deref().unwrap().trim_start_matches(BOM)).unwrap();
        for (name, input) in fixtures() {
            let direct = ok(input, Some(PROXY));
            let via_hub = ok(ok(input, Some(HUB)).as_deref(), Some(PROXY));
            let via_upstream = ok(ok(input, None).as_deref(), Some(PROXY));
            assert_eq!(via_hub, direct, "{name}");
            // Upstream removes the list, so the other mirrors are gone and the key comes back
            // last: the same settings for files that had no other mirror.
            if input.is_none_or(|t| listed_or_none(t).iter().all(|m| known().iter().any(|k| same_url(k, m)))) {
                let mut a = parsed(&via_upstream);
                let mut b = parsed(&direct);
                a.sort_keys();
                b.sort_keys();
                assert_eq!(a, b, "{name} via upstream");
            }
        }
    }

    fn listed_or_none(text: &str) -> Vec<String> {
        let body = text.trim_start_matches(BOM);
        if body.trim().is_empty() { Vec::new() } else { listed(body) }
    }

    #[test]
    fn other_keys_keep_their_values_and_order() {
        for (name, input) in [("two", TWO_SPACES), ("four", FOUR_SPACES), ("tabs", TABS), ("k8s", INLINE_K8S)] {
            let before = parse(input).unwrap();
            let after = parse(&ok(Some(input), Some(HUB)).unwrap()).unwrap();
            let others = |m: &Map<String, Value>| -> Vec<(String, Value)> {
                m.iter().filter(|(k, _)| *k != KEY).map(|(k, v)| (k.clone(), v.clone())).collect()
            };
            assert_eq!(others(&after), others(&before), "{name}");
            assert_eq!(after.get(KEY).and_then(|v| v.get(0)), Some(&Value::from(HUB)), "{name}");
        }
        // Key position: kept when the key was there, appended when it was not.
        let four = ok(Some(FOUR_SPACES), Some(HUB)).unwrap();
        assert_eq!(parse(&four).unwrap().keys().next().map(String::as_str), Some(KEY));
        let two = ok(Some(TWO_SPACES), Some(HUB)).unwrap();
        assert_eq!(parse(&two).unwrap().keys().next_back().map(String::as_str), Some(KEY));
    }

    #[test]
    fn current_reads_back_the_endpoint() {
        let host = Host::default();
        for (name, input) in fixtures() {
            let out = ok(input, Docker.endpoint(&hub(), &host).as_deref()).unwrap();
            assert_eq!(first(&out).unwrap().as_deref(), Some(HUB), "{name}");
            let out = ok(input, None);
            assert_eq!(out.map(|o| first(&o).unwrap()), input.map(|_| None), "{name}");
        }
        assert_eq!(first(FOUR_SPACES).unwrap().as_deref(), Some("https://docker.mirrors.ustc.edu.cn"));
        assert_eq!(first(WITH_BOM).unwrap().as_deref(), Some("https://docker.m.daocloud.io"));
        assert_eq!(first("{\"registry-mirrors\": []}").unwrap(), None);
        assert_eq!(first(TWO_SPACES).unwrap(), None);
        assert_eq!(first("").unwrap(), None);
    }

    #[test]
    fn endpoint_is_scheme_and_host() {
        let host = Host::default();
        assert_eq!(Docker.endpoint(&hub(), &host).as_deref(), Some(HUB));
        assert_eq!(Docker.endpoint(&upstream(), &host).as_deref(), Some("https://registry-1.docker.io"));
        assert_eq!(Docker.endpoint(&tuna(), &host), None);
    }

    #[test]
    fn malformed_files_name_the_line() {
        let cases = [
            (TRAILING_COMMA, 6, "invalid JSON: trailing comma (column 1)"),
            (
                MIRRORS_STRING,
                4,
                "`registry-mirrors` must be a list of URLs like `[\"https://mirror.example\"]`, not a string",
            ),
            (TOP_ARRAY, 2, "the top level must be a JSON object `{ … }`, not a list"),
            (
                DUPLICATE_KEY,
                4,
                "key `registry-mirrors` is given twice in one object (also on line 2); dockerd would use only the last",
            ),
            (
                "{\n  \"log-opts\": {\"max-size\": \"1m\",\n    \"max-size\": \"2m\"}\n}",
                3,
                "key `max-size` is given twice in one object (also on line 2)",
            ),
            ("{\"registry-mirrors\": [\"https://a.example\", 5]}", 1, "not a list with an item that is not a string"),
            ("{\n  \"registry-mirrors\": {}\n}", 2, "not an object"),
            ("\"https://hub.example\"", 1, "not a string"),
            ("// comment\n{}", 1, "invalid JSON: expected value (column 1)"),
            ("{\n  \"debug\": true\n", 3, "invalid JSON: EOF while parsing an object"),
            ("{} {}", 1, "invalid JSON: trailing characters (column 4)"),
        ];
        for (text, line, what) in cases {
            for mirror in [Some(HUB), None] {
                let err = render(Some(text), mirror, &known()).unwrap_err();
                assert_eq!(err.line, Some(line), "{text:?}: {}", err.message);
                assert!(err.message.contains(what), "{text:?}: {}", err.message);
            }
            assert_eq!(first(text).unwrap_err().line, Some(line));
        }
        // Equal keys in different objects are fine.
        let ok_text = "{\"a\": {\"x\": 1}, \"b\": {\"x\": [\"a\", \"a\"]}, \"c\": [{\"x\": 1}, {\"x\": 2}]}";
        assert!(render(Some(ok_text), Some(HUB), &known()).is_ok());
        // A key spelled with an escape is the same key.
        let escaped = "{\"registry-mirrors\": [], \"registry\\u002dmirrors\": []}";
        assert!(render(Some(escaped), Some(HUB), &known()).is_err());
        // Strings with brackets, braces, quotes and escapes do not confuse the edit.
        let tricky = "{\"a\": \"}]\\\"[{\", \"registry-mirrors\": [\"https://x.example/\\u005d\"], \"z\": [\"]\"]}";
        let out = ok(Some(tricky), Some(HUB)).unwrap();
        assert_eq!(
            out,
            "{\"a\": \"}]\\\"[{\", \"registry-mirrors\": [\"https://hub.example\", \"https://x.example/\\u005d\"], \"z\": [\"]\"]}"
        );
        assert_eq!(ok(Some(tricky), None).unwrap(), "{\"a\": \"}]\\\"[{\", \"z\": [\"]\"]}");
    }

    #[test]
    fn present_when_configured_or_installed() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!Docker.present(&ctx(dir.path()), &Host::default()));
        std::fs::create_dir_all(dir.path().join("etc/docker")).unwrap();
        assert!(Docker.present(&ctx(dir.path()), &Host::default()));
        for program in ["usr/bin/dockerd", "usr/local/bin/docker"] {
            let dir = tempfile::tempdir().unwrap();
            write(dir.path(), program, "");
            assert!(Docker.present(&ctx(dir.path()), &Host::default()), "{program}");
        }
    }

    #[test]
    fn plan_and_current_use_daemon_json_under_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let ctx = ctx(root);
        let host = Host::default();
        let path = root.join("etc/docker/daemon.json");
        assert_eq!(Docker.current(&ctx, &host).unwrap(), Current::default());

        let (hub, upstream) = (hub(), upstream());
        let use_hub = Request { site: &hub, upstream: Some(&upstream), security: false };
        let use_upstream = Request { site: &upstream, upstream: Some(&upstream), security: false };
        // Missing file: created for a mirror, left missing for upstream.
        let edits = Docker.plan(&ctx, &host, &use_hub).unwrap();
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0].path, path);
        assert_eq!(edits[0].before, None);
        assert!(edits[0].after.is_some());
        assert!(!path.exists(), "plan never writes");
        let edits = Docker.plan(&ctx, &host, &use_upstream).unwrap();
        assert_eq!((&edits[0].before, &edits[0].after), (&None, &None));
        assert!(!edits[0].is_change());

        write(root, "etc/docker/daemon.json", FOUR_SPACES);
        let current = Docker.current(&ctx, &host).unwrap();
        assert_eq!(current.files, std::slice::from_ref(&path));
        assert_eq!(current.url.as_deref(), Some("https://docker.mirrors.ustc.edu.cn"));

        let edits = Docker.plan(&ctx, &host, &use_hub).unwrap();
        assert!(edits[0].is_change());
        std::fs::write(&path, edits[0].after.as_ref().unwrap()).unwrap();
        assert_eq!(Docker.current(&ctx, &host).unwrap().url, Docker.endpoint(&hub, &host));
        assert!(!Docker.plan(&ctx, &host, &use_hub).unwrap()[0].is_change());

        let edits = Docker.plan(&ctx, &host, &use_upstream).unwrap();
        std::fs::write(&path, edits[0].after.as_ref().unwrap()).unwrap();
        assert_eq!(Docker.current(&ctx, &host).unwrap().url, None);
        assert!(!Docker.plan(&ctx, &host, &use_upstream).unwrap()[0].is_change());
    }

    #[test]
    fn plan_errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let ctx = ctx(root);
        let path = write(root, "etc/docker/daemon.json", MIRRORS_STRING);
        let hub = hub();
        let req = Request { site: &hub, upstream: None, security: false };
        for err in [
            Docker.plan(&ctx, &Host::default(), &req).unwrap_err(),
            Docker.current(&ctx, &Host::default()).unwrap_err(),
        ] {
            let text = crate::error::render(&err);
            assert!(text.contains(&format!("could not parse `{}` line 4:", path.display())), "{text}");
            assert_eq!(crate::error::status_of(&err).code(), 2);
        }

        let tuna = tuna();
        let req = Request { site: &tuna, upstream: None, security: false };
        let text = crate::error::render(&Docker.plan(&ctx, &Host::default(), &req).unwrap_err());
        assert!(text.contains("site `tuna` has no Docker Hub mirror"), "{text}");
    }
}
