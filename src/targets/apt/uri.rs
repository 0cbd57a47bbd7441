//! The URIs of apt entries: whether apt can read them, which server they reach and how, and
//! how to point them at another server in the same way.
//!
//! - **direct**: `http://host/path` and `https://host/path`, or the same through Tor
//!   (`tor+http://`, `tor+https://`, `tor://`, apt-transport-tor's methods);
//! - **cached**: an apt-cacher-ng style cache that names the upstream in its path,
//!   `http://cache:3142/deb.debian.org/debian`, or `http://cache:3142/HTTPS///host/path` for an
//!   https upstream (the form its manual documents);
//! - **cache remap**: a cache on its usual port that picks the upstream itself
//!   (`http://cache:3142/debian`, apt-cacher-ng's remapping; approx on port 9999);
//! - **mirror list**: apt's `mirror` method, whose servers come from a list
//!   (`mirror+file:/etc/apt/mirrors/debian.list`, `mirror://mirrors.ubuntu.com/mirrors.txt`);
//! - **other**: `file:`, `cdrom:`, `copy:` and methods `mirror` does not know.

use url::Url;

/// The ports of package caches: apt-cacher-ng and apt-cacher (3142), approx (9999).
const CACHE_PORTS: &[u16] = &[3142, 9999];

/// apt-cacher-ng's marker for an https upstream behind a plain-http cache URL.
const HTTPS_MARKER: &str = "HTTPS///";

/// How an entry's URI reaches its server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Form {
    /// `scheme` as written (`https`, `tor+https`, `tor`); `url` is the server apt fetches from.
    Direct {
        scheme: String,
        url: Url,
    },
    /// `cache` is the text up to the upstream (`http://localhost:3142/`).
    Cached {
        cache: String,
        upstream: Url,
    },
    /// `url` is the cache's own URL.
    CacheRemap {
        url: Url,
    },
    /// `list` is what follows the method (`file:///etc/apt/mirrors/debian.list`).
    MirrorList {
        list: String,
    },
    Other,
}

impl Form {
    /// The server the entry reads the archive from, when it names one.
    pub(super) fn upstream(&self) -> Option<&Url> {
        match self {
            Self::Direct { url, .. } | Self::Cached { upstream: url, .. } => Some(url),
            Self::CacheRemap { .. } | Self::MirrorList { .. } | Self::Other => None,
        }
    }

    /// Whether apt itself speaks TLS to the upstream (not a cache in front of it).
    pub(super) fn tls_by_apt(&self) -> bool {
        matches!(self, Self::Direct { .. })
    }

    /// The same way of reaching a server, for `rest` (`host/path`, no scheme) over https or
    /// plain http.
    pub(super) fn with(&self, https: bool, rest: &str) -> String {
        let scheme = if https { "https" } else { "http" };
        match self {
            Self::Direct { scheme: written, .. } => {
                let method = match written.to_ascii_lowercase().as_str() {
                    "tor" if !https => "tor".to_owned(),
                    "tor" | "tor+http" | "tor+https" => format!("tor+{scheme}"),
                    _ => scheme.to_owned(),
                };
                format!("{method}://{rest}")
            }
            Self::Cached { cache, .. } => {
                format!("{cache}{}{rest}", if https { HTTPS_MARKER } else { "" })
            }
            // These are never rewritten (they name no server); a plain URL is what they would be.
            Self::CacheRemap { .. } | Self::MirrorList { .. } | Self::Other => format!("{scheme}://{rest}"),
        }
    }
}

/// The scheme of `uri` (before the first `:`), when it has a valid one.
fn scheme(uri: &str) -> Option<&str> {
    let (scheme, _) = uri.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))).then_some(scheme)
}

/// Whether apt can read `uri` at all: a scheme, and a host for the methods that need one.
/// The error names the URI, as apt's "Malformed entry … (URI parse)" does not.
pub(super) fn check(uri: &str) -> Result<(), String> {
    let Some(scheme) = scheme(uri) else {
        return Err(format!("URI `{uri}` has no scheme (like `http://`)"));
    };
    let lower = scheme.to_ascii_lowercase();
    let web = matches!(lower.as_str(), "http" | "https" | "tor" | "tor+http" | "tor+https" | "mirror")
        || (lower.starts_with("mirror+") && lower != "mirror+file");
    if web {
        let rest = &uri[scheme.len() + 1..];
        let authority = rest.strip_prefix("//").map(|r| r.split('/').next().unwrap_or_default());
        match authority {
            Some(a) if !a.is_empty() && !a.starts_with(':') => {}
            _ => return Err(format!("URI `{uri}` has no host")),
        }
        let inner = format!("http:{rest}");
        Url::parse(&inner).map_err(|e| format!("URI `{uri}` is not a valid URL ({e})"))?;
    }
    Ok(())
}

/// What `uri` is. `archive_host` says whether a host serves the distribution's archive (an
/// official server or a catalog site): a path starting with such a host names the upstream of
/// a cache even off the usual cache ports.
pub(super) fn form(uri: &str, archive_host: impl Fn(&str) -> bool) -> Form {
    let Some(scheme) = scheme(uri) else { return Form::Other };
    let lower = scheme.to_ascii_lowercase();
    let rest = &uri[scheme.len() + 1..];
    if lower == "mirror" || lower.starts_with("mirror+") {
        let list = if lower == "mirror" { format!("http:{rest}") } else { uri["mirror+".len()..].to_owned() };
        return Form::MirrorList { list };
    }
    let inner = match lower.as_str() {
        "http" | "https" => lower.clone(),
        "tor" | "tor+http" => "http".to_owned(),
        "tor+https" => "https".to_owned(),
        _ => return Form::Other,
    };
    let Ok(url) = Url::parse(&format!("{inner}:{rest}")) else { return Form::Other };
    if lower.starts_with("tor") {
        return Form::Direct { scheme: scheme.to_owned(), url };
    }
    cached(uri, &url, &archive_host).unwrap_or(Form::Direct { scheme: scheme.to_owned(), url })
}

/// A cache URL: the upstream in the path, or a cache port without one.
fn cached(uri: &str, url: &Url, archive_host: &impl Fn(&str) -> bool) -> Option<Form> {
    let cache_port = url.port().is_some_and(|p| CACHE_PORTS.contains(&p));
    let after_scheme = uri.find("://")? + 3;
    let path_start = after_scheme + uri[after_scheme..].find('/')?;
    let (cache, path) = (&uri[..=path_start], &uri[path_start + 1..]);
    let (https, path) = match path.strip_prefix(HTTPS_MARKER) {
        Some(p) => (true, p),
        None => (false, path),
    };
    let (first, tail) = path.split_once('/').unwrap_or((path, ""));
    let named = looks_like_host(first) && !tail.is_empty() && (cache_port || https || archive_host(first));
    if named {
        let upstream = Url::parse(&format!("{}://{path}", if https { "https" } else { "http" })).ok()?;
        return Some(Form::Cached { cache: cache.to_owned(), upstream });
    }
    cache_port.then(|| Form::CacheRemap { url: url.clone() })
}

/// A DNS name with at least one dot whose last label is not a number (`ftp.fr.debian.org`,
/// not `debian` or `12.5`).
fn looks_like_host(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() > 1
        && labels.iter().all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        && labels.last().is_some_and(|l| l.bytes().any(|b| b.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(uri: &str) -> Form {
        form(uri, |h| h == "deb.debian.org")
    }

    #[test]
    fn forms() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            f("tor+https://deb.debian.org/debian"),
            Form::Direct { scheme: "tor+https".into(), url: u("https://deb.debian.org/debian") }
        );
        assert_eq!(
            f("http://localhost:3142/ftp.fr.debian.org/debian/"),
            Form::Cached { cache: "http://localhost:3142/".into(), upstream: u("http://ftp.fr.debian.org/debian/") }
        );
        assert_eq!(
            f("http://cache.lan:3142/HTTPS///deb.debian.org/debian"),
            Form::Cached { cache: "http://cache.lan:3142/".into(), upstream: u("https://deb.debian.org/debian") }
        );
        // A cache on port 80 behind a proxy: only an archive host in the path gives it away.
        assert_eq!(
            f("http://aptcache.lan/deb.debian.org/debian"),
            Form::Cached { cache: "http://aptcache.lan/".into(), upstream: u("http://deb.debian.org/debian") }
        );
        assert!(matches!(f("http://mirror.example/pub.example/debian"), Form::Direct { .. }));
        assert!(matches!(f("http://cacher:3142/debian"), Form::CacheRemap { .. }));
        assert!(matches!(f("http://approx.lan:9999/debian-security"), Form::CacheRemap { .. }));
        assert_eq!(
            f("mirror+file:///etc/apt/mirrors/debian.list"),
            Form::MirrorList { list: "file:///etc/apt/mirrors/debian.list".into() }
        );
        assert_eq!(
            f("mirror://mirrors.ubuntu.com/mirrors.txt"),
            Form::MirrorList { list: "http://mirrors.ubuntu.com/mirrors.txt".into() }
        );
        for other in ["file:/srv/repo", "cdrom:[Debian 12]/", "copy:/srv", "s3://bucket/debian"] {
            assert_eq!(f(other), Form::Other, "{other}");
        }
    }

    #[test]
    fn rebuilding_keeps_the_way() {
        let rest = "mirrors.tuna.tsinghua.edu.cn/debian";
        assert_eq!(f("tor+http://deb.debian.org/debian").with(true, rest), format!("tor+https://{rest}"));
        assert_eq!(f("tor://deb.debian.org/debian").with(false, rest), format!("tor://{rest}"));
        assert_eq!(f("tor://deb.debian.org/debian").with(true, rest), format!("tor+https://{rest}"));
        assert_eq!(f("HTTP://deb.debian.org/debian").with(false, rest), format!("http://{rest}"));
        let cached = f("http://localhost:3142/deb.debian.org/debian");
        assert_eq!(cached.with(true, rest), format!("http://localhost:3142/HTTPS///{rest}"));
        assert_eq!(cached.with(false, rest), format!("http://localhost:3142/{rest}"));
    }

    #[test]
    fn bad_uris() {
        for (uri, what) in [
            ("://deb.debian.org/debian", "has no scheme"),
            ("deb.debian.org/debian", "has no scheme"),
            ("https//apt.example/debian", "has no scheme"),
            ("1http://x/debian", "has no scheme"),
            ("http:///debian", "has no host"),
            ("http:/deb.debian.org/debian", "has no host"),
            ("tor+https://:443/debian", "has no host"),
            ("http://[::1/debian", "not a valid URL"),
        ] {
            let e = check(uri).unwrap_err();
            assert!(e.contains(what) && e.contains(uri), "{uri}: {e}");
        }
        for uri in [
            "http://deb.debian.org/debian",
            "tor+https://deb.debian.org/debian",
            "cdrom:[Debian GNU/Linux 12]/",
            "file:/srv/repo",
            "mirror+file:/etc/apt/mirrors/debian.list",
            "copy:///srv/x",
        ] {
            assert_eq!(check(uri), Ok(()), "{uri}");
        }
    }
}
