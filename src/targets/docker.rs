//! docker: `registry-mirrors` in `/etc/docker/daemon.json`.
//!
//! The file is parsed with serde_json (with `preserve_order`, so every other key keeps its
//! place and value) and written back pretty-printed with the indent unit the file already
//! used. `use <site>` sets `"registry-mirrors": ["<site>"]`, replacing the list; `use
//! upstream` removes the key, because Docker Hub is what dockerd pulls from without one. A
//! file that already says what is asked is returned byte for byte, so a hand-formatted file
//! is not reformatted by a `use` that changes nothing.
//!
//! dockerd refuses to start on a file that is not a JSON object, on a non-list
//! `registry-mirrors` and on an empty file (20.10: `EOF`); it keeps the last of two equal
//! keys. `mirror` refuses all of these except the empty file, which it replaces.

use std::collections::HashMap;

use anyhow::Result;
use serde::Serialize;
use serde_json::ser::{PrettyFormatter, Serializer};
use serde_json::{Map, Value};

use super::{Current, FileEdit, Host, LineError, Request, Target, current_from, line_at, read_config};
use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Docker;

const DAEMON_JSON: &str = "/etc/docker/daemon.json";
const KEY: &str = "registry-mirrors";
const BOM: char = '\u{feff}';

/// Renders daemon.json with `registry-mirrors` set to `[mirror]`, or without the key when
/// `mirror` is `None` (Docker Hub itself). `Ok(None)`: no file is needed (it does not exist
/// and nothing has to be set).
pub fn render(input: Option<&str>, mirror: Option<&str>) -> Result<Option<String>, LineError> {
    let Some(text) = input else {
        return Ok(mirror.map(|m| pretty(&single(m), "  ")));
    };
    let body = text.strip_prefix(BOM).unwrap_or(text);
    if body.trim().is_empty() {
        // dockerd does not start on an empty file; `{}` means the same and is valid.
        let map = mirror.map(single).unwrap_or_default();
        return Ok(Some(pretty(&map, "  ")));
    }
    let mut map = parse(body)?;
    let mirrors = mirrors(&map);
    let done = match mirror {
        Some(m) => mirrors.len() == 1 && same_url(&mirrors[0], m),
        None => mirrors.is_empty(),
    };
    if done {
        return Ok(Some(text.to_owned()));
    }
    match mirror {
        Some(m) => {
            map.insert(KEY.to_owned(), Value::from(vec![m]));
        }
        None => {
            map.shift_remove(KEY);
        }
    }
    Ok(Some(pretty(&map, indent_unit(body))))
}

/// The first registry mirror, trimmed of `/`, or `None` when there is none.
pub fn first_mirror(text: &str) -> Result<Option<String>, LineError> {
    let body = text.strip_prefix(BOM).unwrap_or(text);
    if body.trim().is_empty() {
        return Ok(None);
    }
    let map = parse(body)?;
    Ok(mirrors(&map).first().map(|m| m.trim_end_matches('/').to_owned()))
}

fn single(mirror: &str) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert(KEY.to_owned(), Value::from(vec![mirror]));
    map
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// The mirrors listed (checked to be strings by [`parse`]; `null` counts as none, as in dockerd).
fn mirrors(map: &Map<String, Value>) -> Vec<String> {
    match map.get(KEY) {
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
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

/// The indent unit of a pretty-printed file: the leading whitespace of its first indented
/// line (a tab, or some spaces). Two spaces for a file written on one line.
fn indent_unit(body: &str) -> &str {
    body.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| &l[..l.len() - l.trim_start().len()])
        .find(|ws| !ws.is_empty())
        .map_or("  ", |ws| {
            if ws.starts_with('\t') {
                "\t"
            } else {
                let spaces = ws.len() - ws.trim_start_matches(' ').len();
                if spaces == 0 { "  " } else { &ws[..spaces] }
            }
        })
}

fn pretty(map: &Map<String, Value>, indent: &str) -> String {
    let mut buf = Vec::new();
    let mut ser = Serializer::with_formatter(&mut buf, PrettyFormatter::with_indent(indent.as_bytes()));
    map.serialize(&mut ser).expect("a JSON map always serializes");
    let mut out = String::from_utf8(buf).expect("serde_json writes UTF-8");
    out.push('\n');
    out
}

impl Target for Docker {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.sys("/etc/docker").is_dir() || ctx.has_program("dockerd") || ctx.has_program("docker")
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        site.repo(Repo::Dockerhub).map(|url| url.trim_end_matches('/').to_owned())
    }

    fn plan(&self, ctx: &Context, _host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let mirror = if req.site.is_upstream() {
            None
        } else {
            Some(req.site.repo(Repo::Dockerhub).ok_or_else(|| {
                Problem::bad(format!("site `{}` has no Docker Hub mirror (`dockerhub`)", req.site.id))
                    .hint("`mirror list docker` shows the sites that have one")
            })?)
        };
        let path = ctx.sys(DAEMON_JSON);
        let before = read_config(&path)?;
        let after = render(before.as_deref(), mirror).map_err(|e| e.into_problem(&path))?;
        Ok(vec![FileEdit {
            path,
            before: before.map(String::into_bytes),
            after: after.map(String::into_bytes),
            notes: Vec::new(),
        }])
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        current_from(ctx.sys(DAEMON_JSON), first_mirror)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::testing::{self, root_context as ctx, write};

    const TWO_SPACES: &str = include_str!("../../tests/fixtures/docker/two-spaces.json");
    const FOUR_SPACES: &str = include_str!("../../tests/fixtures/docker/four-spaces-with-mirrors.json");
    const TABS: &str = include_str!("../../tests/fixtures/docker/tabs.json");
    const ONE_LINE: &str = include_str!("../../tests/fixtures/docker/one-line.json");
    const TRAILING_COMMA: &str = include_str!("../../tests/fixtures/docker/trailing-comma.json");
    const MIRRORS_STRING: &str = include_str!("../../tests/fixtures/docker/mirrors-string.json");
    const TOP_ARRAY: &str = include_str!("../../tests/fixtures/docker/top-array.json");
    const DUPLICATE_KEY: &str = include_str!("../../tests/fixtures/docker/duplicate-key.json");

    const HUB: &str = "https://hub.example";
    const PROXY: &str = "https://proxy.example";

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
            ("missing", None),
            ("empty", Some("")),
            ("blank", Some(" \n\n")),
            ("empty-object", Some("{}\n")),
            ("null-mirrors", Some("{\"registry-mirrors\": null}")),
            ("bom", Some("\u{feff}{\"debug\": true}\n")),
        ]
    }

    fn ok(input: Option<&str>, mirror: Option<&str>) -> Option<String> {
        render(input, mirror).unwrap()
    }

    #[test]
    fn mirror_is_added_after_the_other_keys() {
        insta::assert_snapshot!(ok(Some(TWO_SPACES), Some(HUB)).unwrap());
    }

    #[test]
    fn existing_mirrors_are_replaced_in_place_with_four_spaces() {
        insta::assert_snapshot!(ok(Some(FOUR_SPACES), Some(HUB)).unwrap());
    }

    #[test]
    fn tab_indent_is_kept() {
        let out = ok(Some(TABS), Some(HUB)).unwrap();
        insta::assert_snapshot!(out);
        assert!(out.contains("\n\t\"registry-mirrors\": [\n\t\t\"https://hub.example\"\n\t]\n"));
    }

    #[test]
    fn missing_or_blank_file_gets_a_fresh_object() {
        let fresh = "{\n  \"registry-mirrors\": [\n    \"https://hub.example\"\n  ]\n}\n";
        for input in [None, Some(""), Some("  \n"), Some("\u{feff}")] {
            assert_eq!(ok(input, Some(HUB)).as_deref(), Some(fresh), "{input:?}");
        }
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
        assert_eq!(ok(Some("{\"registry-mirrors\": [\"https://a.example\"]}"), None).as_deref(), Some("{}\n"));
        // Nothing to remove: the bytes stay as they are.
        for input in [TWO_SPACES, TABS, "{\"registry-mirrors\": []}", "{ }"] {
            assert_eq!(ok(Some(input), None).as_deref(), Some(input));
        }
    }

    #[test]
    fn a_file_already_there_is_not_reformatted() {
        assert_eq!(ok(Some(ONE_LINE), Some(HUB)).as_deref(), Some(ONE_LINE));
        let slash = "{\"registry-mirrors\":[\"https://hub.example/\"]}";
        assert_eq!(ok(Some(slash), Some(HUB)).as_deref(), Some(slash));
        // A second mirror is not "already there": the list is replaced.
        let two = "{\"registry-mirrors\":[\"https://hub.example\",\"https://b.example\"]}";
        assert_eq!(
            ok(Some(two), Some(HUB)).as_deref(),
            Some("{\n  \"registry-mirrors\": [\n    \"https://hub.example\"\n  ]\n}\n")
        );
        // A one-line file that needs a change is pretty-printed with two spaces.
        assert_eq!(
            ok(Some(ONE_LINE), Some(PROXY)).as_deref(),
            Some("{\n  \"registry-mirrors\": [\n    \"https://proxy.example\"\n  ],\n  \"debug\": false\n}\n")
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
        let parsed = |s: &Option<String>| parse(s.as_deref().unwrap().trim_start_matches(BOM));
        for (name, input) in fixtures() {
            let direct = ok(input, Some(PROXY));
            let via_hub = ok(ok(input, Some(HUB)).as_deref(), Some(PROXY));
            let via_upstream = ok(ok(input, None).as_deref(), Some(PROXY));
            assert_eq!(parsed(&via_hub), parsed(&direct), "{name}");
            assert_eq!(parsed(&via_upstream), parsed(&direct), "{name} via upstream");
            // Byte for byte too, except where a step is a no-op that keeps a file's own
            // formatting (one-line, bom), or where upstream removed the key and the next
            // `use` appends it (four-spaces had it first).
            if !["one-line", "bom"].contains(&name) {
                assert_eq!(via_hub, direct, "{name}");
            }
            if !["one-line", "four-spaces"].contains(&name) {
                assert_eq!(via_upstream, direct, "{name} via upstream");
            }
        }
    }

    #[test]
    fn other_keys_keep_their_values_and_order() {
        for (name, input) in [("two", TWO_SPACES), ("four", FOUR_SPACES), ("tabs", TABS)] {
            let before = parse(input).unwrap();
            let after = parse(&ok(Some(input), Some(HUB)).unwrap()).unwrap();
            let others = |m: &Map<String, Value>| -> Vec<(String, Value)> {
                m.iter().filter(|(k, _)| *k != KEY).map(|(k, v)| (k.clone(), v.clone())).collect()
            };
            assert_eq!(others(&after), others(&before), "{name}");
            assert_eq!(after.get(KEY), Some(&Value::from(vec![HUB])), "{name}");
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
            assert_eq!(first_mirror(&out).unwrap().as_deref(), Some(HUB), "{name}");
            let out = ok(input, None);
            assert_eq!(out.map(|o| first_mirror(&o).unwrap()), input.map(|_| None), "{name}");
        }
        assert_eq!(first_mirror(FOUR_SPACES).unwrap().as_deref(), Some("https://docker.mirrors.ustc.edu.cn"));
        assert_eq!(first_mirror("{\"registry-mirrors\": []}").unwrap(), None);
        assert_eq!(first_mirror(TWO_SPACES).unwrap(), None);
        assert_eq!(first_mirror("").unwrap(), None);
    }

    #[test]
    fn endpoint_is_scheme_and_host() {
        let host = Host::default();
        assert_eq!(Docker.endpoint(&hub(), &host).as_deref(), Some(HUB));
        assert_eq!(Docker.endpoint(&upstream(), &host).as_deref(), Some("https://registry-1.docker.io"));
        assert_eq!(Docker.endpoint(&tuna(), &host), None);
    }

    #[test]
    fn indent_unit_detection() {
        assert_eq!(indent_unit(TWO_SPACES), "  ");
        assert_eq!(indent_unit(FOUR_SPACES), "    ");
        assert_eq!(indent_unit(TABS), "\t");
        assert_eq!(indent_unit(ONE_LINE), "  ");
        assert_eq!(indent_unit("{\n\n   \"a\": 1\n}"), "   ");
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
                let err = render(Some(text), mirror).unwrap_err();
                assert_eq!(err.line, Some(line), "{text:?}: {}", err.message);
                assert!(err.message.contains(what), "{text:?}: {}", err.message);
            }
            assert_eq!(first_mirror(text).unwrap_err().line, Some(line));
        }
        // Equal keys in different objects are fine.
        let ok_text = "{\"a\": {\"x\": 1}, \"b\": {\"x\": [\"a\", \"a\"]}, \"c\": [{\"x\": 1}, {\"x\": 2}]}";
        assert!(render(Some(ok_text), Some(HUB)).is_ok());
        // A key spelled with an escape is the same key.
        let escaped = "{\"registry-mirrors\": [], \"registry\\u002dmirrors\": []}";
        assert!(render(Some(escaped), Some(HUB)).is_err());
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
