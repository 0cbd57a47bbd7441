//! Small helpers the targets share: the endpoint of a site, TOML string edits that keep their
//! decor, the UTF-8 byte-order mark (kept outside an edit by [`super::Bom`]), and one URL
//! normaliser.

use std::path::Path;

use toml_edit::{Item, TableLike, Value, value};
use url::Url;

use crate::catalog::{Repo, Site};

/// The URL of `repo` on `site` in the comparable form [`super::Target::endpoint`] uses: no
/// trailing `/`.
pub fn endpoint(site: &Site, repo: Repo) -> Option<String> {
    site.repo(repo).map(|u| u.trim_end_matches('/').to_owned())
}

/// Whether anything (a file, a folder, a link, even a dangling one) is at `path`.
pub fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

/// Sets a TOML string, keeping the value's comments and spacing; an equal value is left as
/// written (quote style included).
pub fn set_str(table: &mut dyn TableLike, key: &str, new: &str) {
    match table.get_mut(key) {
        Some(Item::Value(v)) => {
            if v.as_str() == Some(new) {
                return;
            }
            let decor = v.decor().clone();
            *v = Value::from(new);
            *v.decor_mut() = decor;
        }
        _ => {
            table.insert(key, value(new));
        }
    }
}

/// The UTF-8 byte-order mark some Windows editors put at the start of a file.
pub const BOM: char = '\u{feff}';

/// A URL reduced to what decides where a client goes: scheme, host and port as `url` parses
/// them (lowercase host, no default port), and the path without trailing `/`. Query and
/// fragment are kept. `None` for text that is not an absolute URL with a host.
fn key(url: &str) -> Option<(String, String)> {
    let u = Url::parse(url.trim()).ok()?;
    let host = u.host_str()?;
    let place = match u.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let mut rest = u.path().trim_end_matches('/').to_owned();
    if let Some(q) = u.query() {
        rest = format!("{rest}?{q}");
    }
    Some((u.scheme().to_owned(), format!("{place}{rest}")))
}

/// Whether two URLs name the same resource: equal after normalising case, default ports and
/// trailing slashes. Text that is not a URL compares without its trailing slashes.
pub fn same_url(a: &str, b: &str) -> bool {
    match (key(a), key(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a.trim_end_matches('/') == b.trim_end_matches('/'),
    }
}

/// Whether two schemes reach the same tree: equal, or `http` and `https` (a mirror site
/// answers on both).
fn same_scheme(a: &str, b: &str) -> bool {
    let web = |s: &str| matches!(s, "http" | "https");
    a == b || (web(a) && web(b))
}

/// Whether two URLs name the same tree of a mirror site: as [`same_url`], but `http` and
/// `https` alike. Text that is not a URL with a host names no tree.
pub fn same_tree(a: &str, b: &str) -> bool {
    match (key(a), key(b)) {
        (Some((scheme_a, a)), Some((scheme_b, b))) => a == b && same_scheme(&scheme_a, &scheme_b),
        _ => false,
    }
}

/// The path below `root` when `url` lies under it (`http` and `https` alike: a mirror site
/// answers on both), as segments without empty ones; `Some(vec![])` for the root itself.
pub fn below(url: &str, root: &str) -> Option<Vec<String>> {
    let (scheme_u, u) = key(url)?;
    let (scheme_r, r) = key(root)?;
    if !same_scheme(&scheme_u, &scheme_r) {
        return None;
    }
    let rest = u.strip_prefix(&r)?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    Some(rest.split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect())
}

/// The host (with a non-default port) of a URL.
pub fn host(url: &str) -> Option<String> {
    key(url).map(|(_, rest)| rest.split('/').next().unwrap_or_default().to_owned())
}

/// A line split from its ending (`\r\n`, `\n`, or none for the last line).
pub fn split_eol(raw: &str) -> (&str, &str) {
    if let Some(t) = raw.strip_suffix("\r\n") {
        (t, "\r\n")
    } else if let Some(t) = raw.strip_suffix('\n') {
        (t, "\n")
    } else {
        (raw, "")
    }
}

/// The line ending a text uses (its first line's), for the lines an edit adds.
pub fn newline_of(text: &str) -> &'static str {
    if text.split_inclusive('\n').next().is_some_and(|l| l.ends_with("\r\n")) { "\r\n" } else { "\n" }
}

/// A value without the quotes around it (`"…"` or `'…'`), trimmed.
pub fn unquote(v: &str) -> &str {
    let v = v.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

/// Loads YAML text that must be one document whose top level is a mapping (or empty): the
/// keys as strings with the line each is on (1-based), for the line-based YAML edits (Yarn's
/// `.yarnrc.yml`, `.gemrc`, Bundler's config). An error names the line.
pub fn yaml_top_keys(text: &str) -> Result<Vec<(String, usize)>, super::LineError> {
    use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
    use yaml_rust2::scanner::Marker;

    #[derive(Default)]
    struct Keys {
        depth: usize,
        /// At depth 1 in a mapping: whether the next scalar is a key.
        expect_key: bool,
        keys: Vec<(String, usize)>,
        docs: usize,
        top_not_map: Option<usize>,
    }
    impl MarkedEventReceiver for Keys {
        fn on_event(&mut self, ev: Event, mark: Marker) {
            let line = mark.line().max(1);
            match ev {
                Event::DocumentStart => self.docs += 1,
                Event::MappingStart(..) => {
                    if self.depth <= 1 {
                        self.expect_key = true;
                    }
                    self.depth += 1;
                }
                Event::SequenceStart(..) => {
                    if self.depth == 0 {
                        self.top_not_map.get_or_insert(line);
                    } else if self.depth == 1 {
                        self.expect_key = true;
                    }
                    self.depth += 1;
                }
                Event::MappingEnd | Event::SequenceEnd => self.depth = self.depth.saturating_sub(1),
                Event::Scalar(value, ..) => match self.depth {
                    0 => {
                        self.top_not_map.get_or_insert(line);
                    }
                    1 => {
                        if self.expect_key {
                            self.keys.push((value, line));
                        }
                        self.expect_key = !self.expect_key;
                    }
                    _ => {}
                },
                Event::Alias(_) if self.depth == 1 => self.expect_key = !self.expect_key,
                _ => {}
            }
        }
    }
    let mut keys = Keys::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut keys, true).map_err(|e| super::LineError::at(e.marker().line().max(1), e.info()))?;
    if keys.docs > 1 {
        return Err(super::LineError::new(None, "the file holds more than one YAML document"));
    }
    if let Some(line) = keys.top_not_map {
        return Err(super::LineError::at(line, "the file is not a YAML mapping of settings"));
    }
    Ok(keys.keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_top_keys_with_lines() {
        let keys = yaml_top_keys(
            "# c
a: 1
b:
  - x
  - y: 2
c: {d: 1}
",
        )
        .unwrap();
        assert_eq!(keys, [("a".to_owned(), 2), ("b".to_owned(), 3), ("c".to_owned(), 6)]);
        assert_eq!(yaml_top_keys("").unwrap(), []);
        assert!(yaml_top_keys("a: [1\n").unwrap_err().line.is_some());
        assert_eq!(yaml_top_keys("- a\n").unwrap_err().line, Some(1));
    }

    #[test]
    fn urls_compare_by_where_they_lead() {
        assert!(same_url("https://Hub.Example/", "https://hub.example"));
        assert!(same_url("https://hub.example:443/v2", "https://hub.example/v2/"));
        assert!(!same_url("http://hub.example", "https://hub.example"));
        assert!(!same_url("https://hub.example/a", "https://hub.example/b"));
        assert!(same_url("not a url/", "not a url"));
        assert!(same_tree("http://M.example:80/debian/", "https://m.example/debian"));
        assert!(!same_tree("https://m.example/Debian", "https://m.example/debian"));
        assert!(!same_tree("ftp://m.example/debian", "https://m.example/debian"));
        assert!(!same_tree("not a url", "not a url"));
        assert_eq!(
            below("http://M.example/anaconda/cloud/x/", "https://m.example/anaconda"),
            Some(vec!["cloud".into(), "x".into()])
        );
        assert_eq!(below("https://m.example/anaconda", "https://m.example/anaconda/"), Some(vec![]));
        assert_eq!(below("https://m.example/anacondax", "https://m.example/anaconda"), None);
        assert_eq!(below("ftp://m.example/anaconda", "https://m.example/anaconda"), None);
        assert_eq!(host("http://10.0.0.5:8080/simple"), Some("10.0.0.5:8080".into()));
        assert_eq!(host("https://pypi.org:443/simple"), Some("pypi.org".into()));
    }
}
