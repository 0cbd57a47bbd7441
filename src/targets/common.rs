//! Small helpers the targets share: the endpoint of a site, TOML string edits that keep their
//! decor, a UTF-8 byte-order mark kept outside an edit, and one URL comparison.

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

/// Renders `text` without its byte-order mark and puts the mark back in front of the result,
/// so the one byte sequence outside every edit stays as it was.
pub fn keeping_bom<E>(text: Option<&str>, render: impl FnOnce(Option<&str>) -> Result<String, E>) -> Result<String, E> {
    match text.and_then(|t| t.strip_prefix(BOM)) {
        Some(body) => render(Some(body)).map(|out| format!("{BOM}{out}")),
        None => render(text),
    }
}

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

/// Whether two URLs lead to the same place of a mirror site: [`same_url`], except that
/// `http` and `https` count alike (a site answers on both; apt entries often keep `http`).
pub fn same_place(a: &str, b: &str) -> bool {
    below(a, b).is_some_and(|rest| rest.is_empty()) && below(b, a).is_some_and(|rest| rest.is_empty())
}

/// The path below `root` when `url` lies under it (`http` and `https` alike: a mirror site
/// answers on both), as segments without empty ones; `Some(vec![])` for the root itself.
pub fn below(url: &str, root: &str) -> Option<Vec<String>> {
    let (scheme_u, u) = key(url)?;
    let (scheme_r, r) = key(root)?;
    let web = |s: &str| matches!(s, "http" | "https");
    if scheme_u != scheme_r && !(web(&scheme_u) && web(&scheme_r)) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_compare_by_where_they_lead() {
        assert!(same_url("https://Hub.Example/", "https://hub.example"));
        assert!(same_url("https://hub.example:443/v2", "https://hub.example/v2/"));
        assert!(!same_url("http://hub.example", "https://hub.example"));
        assert!(!same_url("https://hub.example/a", "https://hub.example/b"));
        assert!(same_url("not a url/", "not a url"));
        assert!(same_place(
            "https://Mirrors.TUNA.tsinghua.edu.cn/debian/",
            "http://mirrors.tuna.tsinghua.edu.cn/debian"
        ));
        assert!(!same_place("https://m/debian", "https://m/debian-security"));
        assert!(!same_place("https://m/Debian", "https://m/debian"), "paths are case-sensitive");
        assert!(!same_place("https://m/debian/x", "https://m/debian"));
        assert!(!same_place("ftp://m/debian", "https://m/debian"));
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

    #[test]
    fn the_byte_order_mark_stays_outside_the_edit() {
        let upper = |t: Option<&str>| -> Result<String, ()> { Ok(t.unwrap_or("new").to_uppercase()) };
        assert_eq!(keeping_bom(Some("\u{feff}a = 1"), upper), Ok("\u{feff}A = 1".into()));
        assert_eq!(keeping_bom(Some("a"), upper), Ok("A".into()));
        assert_eq!(keeping_bom(None, upper), Ok("NEW".into()));
    }
}
