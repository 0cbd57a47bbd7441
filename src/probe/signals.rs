//! Reading what mirrors answer: format checks and freshness signals. Pure: no I/O.
//!
//! Every function gets the bytes (or headers) of one answer and says either what it read or,
//! in a short lowercase phrase, why the answer is not what the package manager expects.

use chrono::{DateTime, NaiveDateTime};
use serde_json::Value;

use crate::catalog::Repo;

/// A freshness reading of one site: a point in time (unix seconds) or a serial number.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// What was read; only readings of the same kind are compared.
    pub kind: String,
    pub value: i64,
    /// How many seconds one unit of `value` stands for (1 for times).
    pub secs_per_unit: f64,
    /// Identifies the content: two readings with the same token are equally fresh whatever
    /// their values (a crate index file with the same newest version, a trace with the same
    /// archive serial).
    pub token: Option<String>,
}

impl Reading {
    pub fn time(kind: impl Into<String>, at: i64) -> Self {
        Self { kind: kind.into(), value: at, secs_per_unit: 1.0, token: None }
    }

    #[must_use]
    pub fn with_token(mut self, token: Option<String>) -> Self {
        self.token = token;
        self
    }
}

/// Parses an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`) or an RFC 2822 date as apt writes
/// it (`Sat, 09 Nov 2024 09:14:02 UTC`) into unix seconds.
pub fn http_date(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc2822(text) {
        return Some(d.timestamp());
    }
    let fixed = text.strip_suffix("UTC").or_else(|| text.strip_suffix("GMT")).map(|t| format!("{}+0000", t))?;
    DateTime::parse_from_rfc2822(&fixed).ok().map(|d| d.timestamp())
}

/// Debian `project/trace/master`: the `Date:` line (or the `date -u` first line) and the
/// `Archive serial:`.
pub fn trace(text: &str) -> Result<(i64, Option<String>), String> {
    if looks_like_html(text.as_bytes()) {
        return Err("the trace file is an HTML page".into());
    }
    let mut date = None;
    let mut serial = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("Date:") {
            date = date.or_else(|| http_date(v));
        } else if let Some(v) = line.strip_prefix("Archive serial:") {
            serial = Some(v.trim().to_owned());
        }
    }
    let date = date.or_else(|| {
        let first = text.lines().next()?.trim();
        let squeezed = first.split_whitespace().collect::<Vec<_>>().join(" ");
        NaiveDateTime::parse_from_str(&squeezed, "%a %b %d %H:%M:%S UTC %Y").ok().map(|d| d.and_utc().timestamp())
    });
    match date {
        Some(d) => Ok((d, serial)),
        None => Err("the trace file has no date".into()),
    }
}

/// The fields of an apt `InRelease` header stanza (clearsigned or not).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ReleaseHead {
    origin: Option<String>,
    suite: Option<String>,
    codename: Option<String>,
    date: Option<i64>,
}

/// Checks the head of an `InRelease` for `suite` and reads its `Date:`.
pub fn inrelease(text: &str, suite: &str, origin: &str) -> Result<i64, String> {
    if looks_like_html(text.as_bytes()) {
        return Err("an HTML page instead of InRelease".into());
    }
    let head = release_head(text).ok_or_else(|| "not an InRelease file".to_owned())?;
    if let Some(o) = &head.origin
        && !o.to_lowercase().starts_with(&origin.to_lowercase())
    {
        return Err(format!("InRelease of `{o}`, not {origin}"));
    }
    let matches = |v: &Option<String>| v.as_deref() == Some(suite);
    if !matches(&head.suite) && !matches(&head.codename) {
        let got = head.suite.or(head.codename).unwrap_or_else(|| "no suite".into());
        return Err(format!("InRelease is for `{got}`, not `{suite}`"));
    }
    head.date.ok_or_else(|| "InRelease has no readable `Date:`".into())
}

fn release_head(text: &str) -> Option<ReleaseHead> {
    let mut lines = text.lines().peekable();
    if lines.peek().is_some_and(|l| l.starts_with("-----BEGIN PGP SIGNED MESSAGE-----")) {
        lines.next();
        // Armor headers (`Hash: SHA512`) up to the blank line.
        for line in lines.by_ref() {
            if line.trim().is_empty() {
                break;
            }
        }
    }
    let mut head = ReleaseHead::default();
    let mut fields = 0;
    for line in lines {
        if line.trim().is_empty() || line.starts_with(' ') {
            if line.trim().is_empty() {
                break;
            }
            continue;
        }
        let (key, value) = line.split_once(':')?;
        if key.contains(char::is_whitespace) {
            return None;
        }
        let value = value.trim().to_owned();
        fields += 1;
        match key {
            "Origin" => head.origin = Some(value),
            "Suite" => head.suite = Some(value),
            "Codename" => head.codename = Some(value),
            "Date" => head.date = http_date(&value),
            // The checksum lists follow the header fields; nothing more is needed.
            "MD5Sum" | "SHA1" | "SHA256" | "SHA512" => break,
            _ => {}
        }
    }
    (fields > 0 && (head.suite.is_some() || head.codename.is_some())).then_some(head)
}

/// A file holding unix seconds (Arch `lastupdate` / `lastsync`).
pub fn epoch(text: &str) -> Result<i64, String> {
    let t = text.trim();
    match t.parse::<i64>() {
        Ok(v) if v > 946_684_800 => Ok(v),
        Ok(_) => Err("the timestamp is before the year 2000".into()),
        Err(_) if looks_like_html(text.as_bytes()) => Err("an HTML page instead of a timestamp".into()),
        Err(_) => Err("not a unix timestamp".into()),
    }
}

/// The compression format a file starts with, if any.
pub fn compression(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        Some("gzip")
    } else if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some("xz")
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some("zstd")
    } else if bytes.starts_with(b"BZh") {
        Some("bzip2")
    } else {
        None
    }
}

/// Whether a body is an HTML document (an error page, a portal, a directory listing).
pub fn looks_like_html(bytes: &[u8]) -> bool {
    let start: Vec<u8> =
        bytes.iter().skip_while(|b| b.is_ascii_whitespace()).take(64).map(u8::to_ascii_lowercase).collect();
    start.starts_with(b"<!doctype html") || start.starts_with(b"<html") || start.starts_with(b"<head")
}

/// The head of a PEP 503 simple page of `project`.
pub fn simple_head(text: &str, project: &str) -> Result<(), String> {
    let lower = text.to_lowercase();
    let has_links = lower.contains("<a ") && lower.contains("href=");
    let names_it = lower.contains(&format!("{project}-")) || lower.contains(&format!("links for {project}"));
    if has_links && names_it {
        Ok(())
    } else if lower.trim_start().starts_with('{') {
        Err("a JSON answer instead of a simple page".into())
    } else {
        Err(format!("not a simple index page of `{project}`"))
    }
}

/// The largest PyPI serial taken as real. PyPI's serial grows by about 14,000 a day (about
/// 30 million in 2026): 10^10 is centuries away. Anything larger is a broken or hostile answer.
pub const MAX_SERIAL: i64 = 10_000_000_000;

/// A PyPI serial (`X-PyPI-Last-Serial`, `<!--SERIAL n-->`): digits, at most [`MAX_SERIAL`].
pub fn serial(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let shown: String = t.chars().take(24).collect();
    let shown = if shown.len() < t.len() { format!("{shown}…") } else { shown };
    let digits = t.strip_prefix('-').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("serial `{shown}` is not a number"));
    }
    if t.starts_with('-') {
        return Err(format!("serial `{shown}` is negative"));
    }
    match t.parse::<i64>() {
        Ok(v) if v <= MAX_SERIAL => Ok(v),
        _ => Err(format!("serial `{shown}` is implausibly large")),
    }
}

/// The serial at the end of a PEP 503 page (`<!--SERIAL 123-->`): `None` when the text has
/// no such comment, an error when its value is not a plausible serial (see [`serial`]).
pub fn simple_serial(text: &str) -> Option<Result<i64, String>> {
    let at = text.rfind("<!--SERIAL ")?;
    let rest = &text[at + "<!--SERIAL ".len()..];
    let end = rest.find("-->")?;
    Some(serial(&rest[..end]))
}

/// Whether a tail of a simple page still looks like one.
pub fn simple_tail(text: &str) -> Result<(), String> {
    let lower = text.to_lowercase();
    if lower.contains("</a>") || lower.contains("</html>") || lower.contains("<!--serial") {
        Ok(())
    } else {
        Err("not a simple index page".into())
    }
}

/// A sparse index `config.json`: a JSON object with a string `dl`.
pub fn crates_config(text: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(text).map_err(|_| {
        if looks_like_html(text.as_bytes()) {
            "an HTML page instead of config.json".to_owned()
        } else {
            "config.json is not JSON".to_owned()
        }
    })?;
    match value.get("dl") {
        Some(Value::String(s)) if !s.is_empty() => Ok(()),
        _ => Err("config.json has no `dl`: not a sparse index".into()),
    }
}

/// The newest release in the tail of a sparse index file of `name`: its version and, when
/// the line has one, its `cksum`. `from_start` says whether the text starts at the beginning
/// of the file (otherwise the first line may be cut).
pub fn crate_tail(text: &str, name: &str, from_start: bool) -> Result<(String, Option<String>), String> {
    if looks_like_html(text.as_bytes()) {
        return Err("an HTML page instead of an index file".into());
    }
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if !from_start && !lines.is_empty() {
        lines.remove(0);
    }
    let last = lines
        .iter()
        .rev()
        .find_map(|l| serde_json::from_str::<Value>(l).ok())
        .ok_or_else(|| "not a sparse index file".to_owned())?;
    let crate_name = last.get("name").and_then(Value::as_str).unwrap_or_default();
    if !crate_name.eq_ignore_ascii_case(name) {
        return Err(format!("index file is for `{crate_name}`, not `{name}`"));
    }
    let vers = last.get("vers").and_then(Value::as_str).ok_or("index line has no `vers`")?;
    let cksum = last.get("cksum").and_then(Value::as_str).filter(|c| c.bytes().all(|b| b.is_ascii_hexdigit()));
    Ok((vers.to_owned(), cksum.map(str::to_owned)))
}

/// The `dl` of a sparse index `config.json`.
pub fn crates_dl(text: &str) -> Option<String> {
    let value: Value = serde_json::from_str(text).ok()?;
    value.get("dl")?.as_str().map(str::to_owned)
}

/// Where cargo downloads release `vers` of `name` given the index's `dl` (the Cargo book,
/// "Registry index"): the markers `{crate}`, `{version}`, `{prefix}`, `{lowerprefix}` and
/// `{sha256-checksum}` are filled in; a `dl` with none of them gets `/{crate}/{version}/download`.
pub fn crate_file_url(dl: &str, name: &str, vers: &str, cksum: Option<&str>) -> String {
    const MARKERS: [&str; 5] = ["{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}"];
    if !MARKERS.iter().any(|m| dl.contains(m)) {
        return format!("{}/{name}/{vers}/download", dl.trim_end_matches('/'));
    }
    let prefix = super::plan::crate_path(name);
    let prefix = prefix.rsplit_once('/').map_or("", |(p, _)| p);
    dl.replace("{crate}", name)
        .replace("{version}", vers)
        .replace("{lowerprefix}", &prefix.to_lowercase())
        .replace("{prefix}", prefix)
        .replace("{sha256-checksum}", cksum.unwrap_or_default())
}

/// The newest package file linked from (the tail of) a PEP 503 page, as an absolute URL
/// resolved against `page`, its `#sha256=` fragment dropped: the last wheel, else the last
/// source archive. `None` when the text links no file.
pub fn simple_newest_file(text: &str, page: &str) -> Option<String> {
    let base = url::Url::parse(page).ok()?;
    let mut hrefs = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("href=") {
        rest = &rest[at + 5..];
        let quote = rest.chars().next()?;
        if quote != '"' && quote != '\'' {
            continue;
        }
        let Some(end) = rest[1..].find(quote) else {
            break;
        };
        hrefs.push(rest[1..=end].replace("&amp;", "&"));
        rest = &rest[end + 1..];
    }
    let file = |h: &String, exts: &[&str]| {
        let path = h.split(['#', '?']).next().unwrap_or_default().to_lowercase();
        exts.iter().any(|e| path.ends_with(e))
    };
    let pick = hrefs
        .iter()
        .rev()
        .find(|h| file(h, &[".whl"]))
        .or_else(|| hrefs.iter().rev().find(|h| file(h, &[".tar.gz", ".zip", ".tar.bz2"])))?;
    let mut url = base.join(pick).ok()?;
    url.set_fragment(None);
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// A registry's `WWW-Authenticate: Bearer realm="…",service="…"` challenge: (realm, service).
pub fn bearer_challenge(header: &str) -> Option<(String, Option<String>)> {
    let rest = header.trim().strip_prefix("Bearer ").or_else(|| header.trim().strip_prefix("bearer "))?;
    let mut realm = None;
    let mut service = None;
    for part in split_params(rest) {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').to_owned();
        match k.trim().to_ascii_lowercase().as_str() {
            "realm" => realm = Some(v),
            "service" => service = Some(v),
            _ => {}
        }
    }
    let realm = realm.filter(|r| url::Url::parse(r).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))?;
    Some((realm, service))
}

/// Splits `a="x,y",b=z` at the commas outside quotes.
fn split_params(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The token of a registry token answer (`{"token": …}` or `{"access_token": …}`).
pub fn registry_token(text: &str) -> Result<String, String> {
    let value: Value = serde_json::from_str(text).map_err(|_| "the token answer is not JSON".to_owned())?;
    ["token", "access_token"]
        .iter()
        .find_map(|k| value.get(*k).and_then(Value::as_str).filter(|t| !t.is_empty()))
        .map(str::to_owned)
        .ok_or_else(|| "the token answer has no `token`".to_owned())
}

/// What an image manifest answer leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestPick {
    /// A multi-platform index: the digest of the manifest for the platform.
    Platform(String),
    /// An image manifest: the digest of its largest layer.
    Layer(String),
}

/// Reads a manifest (an OCI or Docker index, or an image manifest) and picks the next step
/// towards a layer blob for `arch` (Go spelling: `amd64`, `arm64`, `arm`, …) on Linux.
pub fn manifest_pick(text: &str, arch: &str) -> Result<ManifestPick, String> {
    let value: Value = serde_json::from_str(text).map_err(|_| "the manifest is not JSON".to_owned())?;
    let digest_ok = |d: &str| d.starts_with("sha256:") && d.len() == 71;
    if let Some(list) = value.get("manifests").and_then(Value::as_array) {
        fn platform<'a>(m: &'a Value, key: &str) -> Option<&'a str> {
            m.get("platform").and_then(|p| p.get(key)).and_then(Value::as_str)
        }
        let chosen = list
            .iter()
            .find(|m| platform(m, "os") == Some("linux") && platform(m, "architecture") == Some(arch))
            .or_else(|| {
                list.iter().find(|m| platform(m, "os") == Some("linux") && platform(m, "architecture") == Some("amd64"))
            })
            .ok_or_else(|| format!("the manifest list has no linux/{arch} image"))?;
        let digest = chosen.get("digest").and_then(Value::as_str).filter(|d| digest_ok(d));
        return digest
            .map(|d| ManifestPick::Platform(d.to_owned()))
            .ok_or_else(|| "a manifest entry has no digest".into());
    }
    let layers = value.get("layers").and_then(Value::as_array).ok_or("the manifest lists no layers")?;
    layers
        .iter()
        .filter_map(|l| Some((l.get("size")?.as_u64()?, l.get("digest")?.as_str().filter(|d| digest_ok(d))?)))
        .max_by_key(|(size, _)| *size)
        .map(|(_, d)| ManifestPick::Layer(d.to_owned()))
        .ok_or_else(|| "the manifest lists no layers".into())
}

/// What an rpm-md `repomd.xml` says: its `<revision>` when that is a plausible unix time
/// (createrepo writes the time by default), and the location of the primary metadata.
pub fn repomd(text: &str) -> Result<(Option<i64>, Option<String>), String> {
    if looks_like_html(text.as_bytes()) {
        return Err("an HTML page instead of repomd.xml".into());
    }
    let start = text.trim_start();
    if !(start.starts_with("<?xml") || start.starts_with("<repomd")) || !text.contains("<repomd") {
        return Err("not an rpm-md repomd.xml".into());
    }
    let between = |hay: &str, open: &str, close: &str| -> Option<String> {
        let at = hay.find(open)? + open.len();
        let end = hay[at..].find(close)? + at;
        Some(hay[at..end].trim().to_owned())
    };
    let revision = between(text, "<revision>", "</revision>")
        .and_then(|r| r.parse::<i64>().ok())
        .filter(|r| (946_684_800..=10_000_000_000).contains(r));
    // `<data type="primary">` … `<location href="repodata/…-primary.xml.zst"/>`
    let primary = text.split("<data ").find(|d| d.starts_with("type=\"primary\"")).and_then(|d| {
        let at = d.find("<location")?;
        let href = d[at..].find("href=\"")? + at + 6;
        let end = d[href..].find('"')? + href;
        Some(d[href..end].to_owned())
    });
    if primary.is_none() {
        return Err("repomd.xml names no primary metadata".into());
    }
    Ok((revision, primary))
}

/// The start of a throughput object in `format`.
pub fn sample_start(bytes: &[u8], format: super::plan::SampleFormat) -> Result<(), String> {
    use super::plan::SampleFormat;
    let ok = match format {
        SampleFormat::Compressed => compression(bytes).is_some(),
        SampleFormat::Html => looks_like_html(bytes) || String::from_utf8_lossy(bytes).to_lowercase().contains("<a "),
        SampleFormat::Json => bytes.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b == b'{'),
        SampleFormat::Archive => bytes.starts_with(b"PK\x03\x04") || compression(bytes).is_some(),
        SampleFormat::Xml => {
            !looks_like_html(bytes) && bytes.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b == b'<')
        }
        SampleFormat::Text => !looks_like_html(bytes) && std::str::from_utf8(&bytes[..bytes.len().min(32)]).is_ok(),
        SampleFormat::Safetensors => bytes.len() > 10 && bytes[8] == b'{',
        SampleFormat::Prefix(p) => bytes.starts_with(p.as_bytes()),
    };
    if ok {
        Ok(())
    } else if looks_like_html(bytes) && format != SampleFormat::Html {
        Err("an HTML page instead of the file".into())
    } else {
        Err("the file is not in the expected format".into())
    }
}

/// An ISO 8601 / RFC 3339 time (`2024-12-03T10:11:12.345Z`) in unix seconds.
pub fn iso_time(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text.trim()).ok().map(|d| d.timestamp())
}

fn json_of(text: &str, what: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|_| {
        if looks_like_html(text.as_bytes()) {
            format!("an HTML page instead of {what}")
        } else {
            format!("{what} is not JSON")
        }
    })
}

/// An npm package document of `package` (full or abbreviated): its `modified` time (the
/// abbreviated document's `modified`, or the full one's `time.modified`) and `dist-tags.latest`.
pub fn npm_doc(text: &str, package: &str) -> Result<(Option<i64>, Option<String>), String> {
    let v = json_of(text, "the package document")?;
    let name = v.get("name").and_then(Value::as_str).unwrap_or_default();
    if name != package || v.get("versions").is_none_or(|x| !x.is_object()) {
        return Err(format!("not the npm package document of `{package}`"));
    }
    let modified = v
        .get("modified")
        .or_else(|| v.get("time").and_then(|t| t.get("modified")))
        .and_then(Value::as_str)
        .and_then(iso_time);
    let latest = v.get("dist-tags").and_then(|d| d.get("latest")).and_then(Value::as_str).map(str::to_owned);
    Ok((modified, latest))
}

/// A Go proxy's `@latest` answer: `Version` and `Time`.
pub fn go_latest(text: &str) -> Result<(String, i64), String> {
    let v = json_of(text, "the `@latest` answer")?;
    let version = v.get("Version").and_then(Value::as_str).filter(|s| s.starts_with('v'));
    let time = v.get("Time").and_then(Value::as_str).and_then(iso_time);
    match (version, time) {
        (Some(ver), Some(t)) => Ok((ver.to_owned(), t)),
        _ => Err("the `@latest` answer has no `Version` and `Time`".into()),
    }
}

/// A Go proxy's `@v/list`: versions, one per line (maybe none).
pub fn go_list(text: &str) -> Result<(), String> {
    if looks_like_html(text.as_bytes()) {
        return Err("an HTML page instead of a version list".into());
    }
    match text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('v')) {
        Some(l) => Err(format!("`{}` is not a module version", l.chars().take(40).collect::<String>())),
        None => Ok(()),
    }
}

/// The head of rustup's `channel-rust-stable.toml`: its `date` (midnight UTC) and the first
/// component archive it names, rebased from `static.rust-lang.org` onto the site (as rustup
/// does with `RUSTUP_DIST_SERVER`); `manifest` is where the manifest was read.
pub fn rustup_channel(text: &str, manifest: &str) -> Result<(i64, String, Option<String>), String> {
    if looks_like_html(text.as_bytes()) {
        return Err("an HTML page instead of the channel manifest".into());
    }
    if !text.contains("manifest-version") {
        return Err("not a rustup channel manifest (no `manifest-version`)".into());
    }
    let quoted = |key: &str| {
        text.lines().find_map(|l| {
            let rest = l.trim().strip_prefix(key)?.trim_start().strip_prefix('=')?.trim();
            rest.strip_prefix('"')?.split('"').next().map(str::to_owned)
        })
    };
    let date = quoted("date").ok_or("the channel manifest has no `date`")?;
    let day = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d")
        .map_err(|_| format!("the channel manifest's date `{date}` is not a date"))?;
    let at = day.and_hms_opt(0, 0, 0).map(|d| d.and_utc().timestamp()).unwrap_or_default();
    let site = manifest.split("/dist/").next().unwrap_or(manifest).trim_end_matches('/');
    let file = quoted("xz_url").or_else(|| quoted("url")).map(|u| match u.strip_prefix(super::plan::RUSTUP_UPSTREAM) {
        Some(rest) => format!("{site}{rest}"),
        None => u,
    });
    Ok((at, date, file.filter(|u| u.starts_with("http://") || u.starts_with("https://"))))
}

/// A `.sha256` file: 64 hex digits first.
pub fn sha256_file(text: &str) -> Result<(), String> {
    let first = text.split_whitespace().next().unwrap_or_default();
    if first.len() == 64 && first.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else if looks_like_html(text.as_bytes()) {
        Err("an HTML page instead of a checksum".into())
    } else {
        Err("not a SHA-256 checksum file".into())
    }
}

/// The Hub's `api/models/<model>` document: `lastModified` and the commit `sha`.
pub fn hf_model(text: &str, model: &str) -> Result<(i64, Option<String>), String> {
    let v = json_of(text, "the model info")?;
    let id = v.get("id").or_else(|| v.get("modelId")).and_then(Value::as_str).unwrap_or_default();
    if id != model {
        return Err(format!("not the model info of `{model}`"));
    }
    let at = v
        .get("lastModified")
        .and_then(Value::as_str)
        .and_then(iso_time)
        .ok_or("the model info has no `lastModified`")?;
    Ok((at, v.get("sha").and_then(Value::as_str).map(str::to_owned)))
}

/// A JSON object.
pub fn json_object(text: &str, what: &str) -> Result<(), String> {
    match json_of(text, what)? {
        Value::Object(_) => Ok(()),
        _ => Err(format!("{what} is not a JSON object")),
    }
}

/// The tail of a compact index `/info/<gem>` file: the newest version (the first word of the
/// last line; `from_start` false: the first line may be cut).
pub fn gem_info(text: &str, from_start: bool) -> Result<String, String> {
    if looks_like_html(text.as_bytes()) {
        return Err("an HTML page instead of a compact index file".into());
    }
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if !from_start && !lines.is_empty() {
        lines.remove(0);
    }
    let last = lines.last().filter(|l| **l != "---").ok_or("the compact index file lists no versions")?;
    if !last.contains(" |") && !last.contains("|checksum:") {
        return Err("not a compact index file (no `|checksum:`)".into());
    }
    Ok(last.split_whitespace().next().unwrap_or_default().to_owned())
}

/// The head of the compact index `/versions`: `created_at: <time>`.
pub fn gem_versions(text: &str) -> Result<(), String> {
    if text.starts_with("created_at: ") {
        Ok(())
    } else if looks_like_html(text.as_bytes()) {
        Err("an HTML page instead of the compact index".into())
    } else {
        Err("not the compact index `versions` file (no `created_at:`)".into())
    }
}

/// A `maven-metadata.xml` of `artifact` (`group:artifact`): `lastUpdated`
/// (`yyyyMMddHHmmss`, UTC) and the newest version (`<latest>`, else `<release>`).
pub fn maven_metadata(text: &str, artifact: &str) -> Result<(Option<i64>, Option<String>), String> {
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{name}>"))? + start;
        Some(text[start..end].trim().to_owned())
    };
    let (group, id) = artifact.split_once(':').unwrap_or(("", artifact));
    if !text.contains("<metadata")
        || tag("artifactId").as_deref() != Some(id)
        || tag("groupId").as_deref() != Some(group)
    {
        return Err(if looks_like_html(text.as_bytes()) {
            "an HTML page instead of maven-metadata.xml".to_owned()
        } else {
            format!("not the maven-metadata.xml of `{artifact}`")
        });
    }
    let updated = tag("lastUpdated")
        .and_then(|t| NaiveDateTime::parse_from_str(&t, "%Y%m%d%H%M%S").ok())
        .map(|d| d.and_utc().timestamp());
    Ok((updated, tag("latest").or_else(|| tag("release"))))
}

/// Status feed formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFormat {
    Tunasync,
    Mirrorz,
}

impl FeedFormat {
    /// What a feed of this format is, for messages.
    pub fn what(self) -> &'static str {
        match self {
            Self::Tunasync => "tunasync job list",
            Self::Mirrorz => "MirrorZ document",
        }
    }

    /// The key in a site file's `[status]`, and the source a ranking names.
    pub fn key(self) -> &'static str {
        match self {
            Self::Tunasync => "tunasync",
            Self::Mirrorz => "mirrorz",
        }
    }
}

/// One repository a status feed lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// The job as the feed names it (a tunasync job's `name`, a MirrorZ `cname`).
    pub name: Option<String>,
    /// Where it is, as the feed gives it (a MirrorZ `url`: a path below the site, or a URL).
    pub url: Option<String>,
    /// Whether the last sync attempt failed.
    pub failing: bool,
    /// The end of the last successful sync, unix seconds, if known.
    pub last_success: Option<i64>,
}

/// A site's status feed, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub format: FeedFormat,
    /// In the feed's order.
    pub entries: Vec<FeedEntry>,
    /// The site's name (MirrorZ `site.name`).
    pub site_name: Option<String>,
}

impl Feed {
    /// Reads a tunasync job list (`[{name, status, last_update_ts}, …]`) or a MirrorZ
    /// `mirrorz.json` (v1.7: `mirrors[]` with `cname`, `url` and a status string `S<ts>`,
    /// `Y<ts>O<ts>`, `F<ts>O<ts>`, `P<ts>`, …). Errors say why the text is not such a feed.
    pub fn parse(format: FeedFormat, text: &str) -> Result<Self, String> {
        let str_of = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        match format {
            FeedFormat::Tunasync => {
                let value: Value = serde_json::from_str(text).map_err(|_| "tunasync.json is not JSON")?;
                let jobs = value.as_array().ok_or("tunasync.json is not a job list")?;
                let entries = jobs
                    .iter()
                    .filter_map(|job| {
                        let name = str_of(job, "name")?;
                        let status = job.get("status").and_then(Value::as_str).unwrap_or("none");
                        // Timestamps up to the year 2000 mean "never".
                        let last = job.get("last_update_ts").and_then(Value::as_i64).filter(|t| *t > 946_684_800);
                        Some(FeedEntry { name: Some(name), url: None, failing: status == "failed", last_success: last })
                    })
                    .collect();
                Ok(Self { format, entries, site_name: None })
            }
            FeedFormat::Mirrorz => {
                let value: Value = serde_json::from_str(text).map_err(|_| "mirrorz.json is not JSON")?;
                let mirrors =
                    value.get("mirrors").and_then(Value::as_array).ok_or("mirrorz.json has no `mirrors` list")?;
                let entries = mirrors
                    .iter()
                    .map(|m| {
                        let (failing, last) = mirrorz_status(m.get("status").and_then(Value::as_str).unwrap_or("U"));
                        FeedEntry { name: str_of(m, "cname"), url: str_of(m, "url"), failing, last_success: last }
                    })
                    .collect();
                let site_name = value.get("site").and_then(|s| str_of(s, "name"));
                Ok(Self { format, entries, site_name })
            }
        }
    }

    /// The entry of the repository the feed may call any of `names` (the first name listed
    /// wins): by its name, or by a MirrorZ `url` that is the name (`/pypi`).
    pub fn find(&self, names: &[String]) -> Option<&FeedEntry> {
        names.iter().find_map(|name| {
            self.entries.iter().find(|e| {
                e.name.as_deref() == Some(name.as_str())
                    || e.url.as_deref().is_some_and(|u| u.trim_matches('/') == name)
            })
        })
    }
}

/// The names status feeds give `repo`: MirrorZ's canonical name first, then the job names
/// some sites use (SUSTech's `archlinux-arm`); none for what no feed lists.
pub fn names_in_feeds(repo: Repo) -> Vec<&'static str> {
    match repo {
        Repo::Archlinuxarm => vec!["archlinuxarm", "archlinux-arm"],
        Repo::Crates => vec!["crates.io-index"],
        Repo::Dockerhub => vec!["docker-hub"],
        Repo::Goproxy => vec!["goproxy", "go"],
        Repo::Rustup => vec!["rustup", "rust-static"],
        Repo::Gosumdb | Repo::HomebrewApi | Repo::HomebrewBrewGit | Repo::HomebrewCoreGit => Vec::new(),
        other => vec![other.key()],
    }
}

/// The names a status feed may give the repository at `url`: MirrorZ's canonical name
/// ([`names_in_feeds`]) and the first path segment of the URL (`/pypi/web/simple` → `pypi`).
pub fn feed_names(repo: Repo, url: &str) -> Vec<String> {
    let mut names: Vec<String> = names_in_feeds(repo).into_iter().take(1).map(str::to_owned).collect();
    if let Ok(u) = url::Url::parse(url)
        && let Some(first) = u.path().trim_matches('/').split('/').next()
        && !first.is_empty()
        && !names.iter().any(|n| n == first)
    {
        names.push(first.to_owned());
    }
    names
}

/// Reads a MirrorZ status string: whether the last sync failed, and the last success.
pub fn mirrorz_status(status: &str) -> (bool, Option<i64>) {
    let mut codes: Vec<(char, Option<i64>)> = Vec::new();
    let mut chars = status.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_ascii_uppercase() {
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        codes.push((c, digits.parse().ok()));
    }
    let Some(&(main, main_ts)) = codes.first() else {
        return (false, None);
    };
    let aux = |code: char| codes.iter().skip(1).find(|(c, _)| *c == code).and_then(|(_, t)| *t);
    match main {
        'S' | 'P' => (false, main_ts),
        'Y' | 'D' => (false, aux('O')),
        'F' => (true, aux('O')),
        _ => (false, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::plan::SampleFormat;

    const INRELEASE: &str = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Debian\nLabel: Debian\nSuite: stable-updates\nVersion: 12\nCodename: bookworm-updates\nDate: Sat, 09 Nov 2024 09:14:02 UTC\nValid-Until: Sat, 16 Nov 2024 09:14:02 UTC\nAcquire-By-Hash: yes\nArchitectures: all amd64 arm64\nComponents: main contrib non-free-firmware non-free\nDescription: Debian 12 - stable-updates\nMD5Sum:\n 0ed6d4c8891eb86358b94bb35d9e4da4  1484322 contrib/Contents-all\n";

    #[test]
    fn dates() {
        assert_eq!(http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(http_date("Sat, 09 Nov 2024 09:14:02 UTC"), Some(1_731_143_642));
        assert_eq!(http_date("Sat, 09 Nov 2024 09:14:02 +0000"), Some(1_731_143_642));
        assert_eq!(http_date("yesterday"), None);
    }

    #[test]
    fn inrelease_checks_suite_and_reads_date() {
        assert_eq!(inrelease(INRELEASE, "bookworm-updates", "Debian"), Ok(1_731_143_642));
        assert_eq!(inrelease(INRELEASE, "stable-updates", "Debian"), Ok(1_731_143_642));
        let unsigned = INRELEASE.split_once("\n\n").unwrap().1;
        assert!(inrelease(unsigned, "stable-updates", "Debian").is_ok());
        for (text, suite, origin, why) in [
            (INRELEASE, "trixie-updates", "Debian", "is for `stable-updates`"),
            (INRELEASE, "stable-updates", "Ubuntu", "InRelease of `Debian`"),
            ("<!DOCTYPE html><html>404</html>", "x", "Debian", "HTML page"),
            ("hello world", "x", "Debian", "not an InRelease"),
            ("", "x", "Debian", "not an InRelease"),
        ] {
            let e = inrelease(text, suite, origin).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
        let no_date = INRELEASE.replace("Date: Sat", "Date: Someday");
        assert!(inrelease(&no_date, "stable-updates", "Debian").is_err());
    }

    #[test]
    fn traces() {
        let t = "Sat Nov  9 09:52:01 UTC 2024\nDate: Sat, 09 Nov 2024 09:52:01 +0000\nArchive serial: 2024110902\n";
        assert_eq!(trace(t), Ok((1_731_145_921, Some("2024110902".into()))));
        assert_eq!(trace("Sat Nov  9 09:52:01 UTC 2024\n"), Ok((1_731_145_921, None)));
        assert!(trace("<html><body>nope</body></html>").is_err());
        assert!(trace("nothing here").is_err());
    }

    #[test]
    fn epochs_and_magic() {
        assert_eq!(epoch("1731145921\n"), Ok(1_731_145_921));
        assert!(epoch("12").is_err());
        assert!(epoch("<html>").unwrap_err().contains("HTML"));
        assert_eq!(compression(&[0xfd, b'7', b'z', b'X', b'Z', 0, 1]), Some("xz"));
        assert_eq!(compression(&[0x1f, 0x8b, 8]), Some("gzip"));
        assert_eq!(compression(&[0x28, 0xb5, 0x2f, 0xfd]), Some("zstd"));
        assert_eq!(compression(b"<html>"), None);
        assert!(sample_start(b"  {\"a\":1}", SampleFormat::Json).is_ok());
        assert!(sample_start(b"<html></html>", SampleFormat::Json).unwrap_err().contains("HTML"));
        assert!(sample_start(b"<a href=x>x</a>", SampleFormat::Html).is_ok());
        assert!(sample_start(b"<!DOCTYPE html>\n<html>", SampleFormat::Html).is_ok());
        assert!(sample_start(b"{\"meta\":1}", SampleFormat::Html).is_err());
    }

    #[test]
    fn simple_pages() {
        let head = "<!DOCTYPE html>\n<html><head><title>Links for pip</title></head><body><h1>Links for pip</h1>\n<a href=\"../../packages/pip-24.0.tar.gz#sha256=1\">pip-24.0.tar.gz</a><br/>\n";
        assert!(simple_head(head, "pip").is_ok());
        assert!(simple_head("<html><body><h1>404 Not Found</h1></body></html>", "pip").is_err());
        assert!(simple_head("{\"meta\":{}}", "pip").unwrap_err().contains("JSON"));
        let tail = "1.35.0.tar.gz</a><br/>\n</body>\n</html>\n<!--SERIAL 25912345-->\n";
        assert_eq!(simple_serial(tail), Some(Ok(25_912_345)));
        assert!(simple_tail(tail).is_ok());
        assert_eq!(simple_serial("<html></html>"), None);
        assert!(simple_serial("</html>\n<!--SERIAL -42-->\n").unwrap().unwrap_err().contains("negative"));
        assert!(simple_tail("garbage").is_err());
    }

    #[test]
    fn serials_must_be_plausible() {
        assert_eq!(serial(" 25912345\n"), Ok(25_912_345));
        assert_eq!(serial("0"), Ok(0));
        assert_eq!(serial(&MAX_SERIAL.to_string()), Ok(MAX_SERIAL));
        for (text, why) in [
            ("-1", "negative"),
            ("-9223372036854775808", "negative"),
            ("10000000001", "implausibly large"),
            ("9223372036854775807", "implausibly large"),
            ("99999999999999999999999999999999999999", "implausibly large"),
            ("", "not a number"),
            ("-", "not a number"),
            ("12ab", "not a number"),
            ("+5", "not a number"),
        ] {
            let e = serial(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
        assert!(serial(&"9".repeat(500)).unwrap_err().len() < 80, "the value shown is cut short");
    }

    #[test]
    fn crates_files() {
        assert!(crates_config(r#"{"dl":"https://static.crates.io/crates","api":"https://crates.io"}"#).is_ok());
        assert!(crates_config(r#"{"api":"x"}"#).unwrap_err().contains("no `dl`"));
        assert!(crates_config("<html></html>").unwrap_err().contains("HTML"));
        assert!(crates_config("{").unwrap_err().contains("not JSON"));
        let tail = "s-s3\",\"vers\":\"1.0.0\"}\n{\"name\":\"aws-sdk-s3\",\"vers\":\"1.2.0\",\"deps\":[]}\n{\"name\":\"aws-sdk-s3\",\"vers\":\"1.3.0\",\"deps\":[]}\n";
        assert_eq!(crate_tail(tail, "aws-sdk-s3", false), Ok(("1.3.0".into(), None)));
        assert!(crate_tail(tail, "serde", false).unwrap_err().contains("not `serde`"));
        assert!(crate_tail("cut line only", "serde", false).is_err());
    }

    #[test]
    fn developer_registries() {
        // npm: abbreviated (`modified`) and full (`time.modified`) documents.
        let abbreviated = r#"{"name":"electron-to-chromium","dist-tags":{"latest":"1.5.67"},"versions":{"1.5.67":{}},"modified":"2024-12-03T07:01:02.345Z"}"#;
        assert_eq!(npm_doc(abbreviated, "electron-to-chromium"), Ok((Some(1_733_209_262), Some("1.5.67".into()))));
        let full =
            r#"{"_id":"is-number","name":"is-number","versions":{},"time":{"modified":"2022-06-26T21:33:51.123Z"}}"#;
        assert_eq!(npm_doc(full, "is-number").unwrap().0, Some(1_656_279_231));
        assert!(npm_doc(abbreviated, "is-number").unwrap_err().contains("not the npm package document"));
        assert!(npm_doc("<html>", "x").unwrap_err().contains("HTML"));
        // Go.
        assert_eq!(
            go_latest(r#"{"Version":"v1.70.0","Time":"2024-12-02T19:22:11Z"}"#),
            Ok(("v1.70.0".into(), 1_733_167_331))
        );
        assert!(go_latest(r#"{"Version":"v1"}"#).is_err());
        assert!(go_list("v0.1.0\nv0.2.0\n").is_ok());
        assert!(go_list("not found: unknown revision\n").is_err());
        // rustup: the component URL moves onto the site, as rustup does.
        let head = "manifest-version = \"2\"\ndate = \"2024-11-28\"\n[pkg.cargo]\nversion = \"1.83.0\"\n[pkg.cargo.target.aarch64-apple-darwin]\navailable = true\nurl = \"https://static.rust-lang.org/dist/2024-11-28/cargo-1.83.0-aarch64-apple-darwin.tar.gz\"\nxz_url = \"https://static.rust-lang.org/dist/2024-11-28/cargo-1.83.0-aarch64-apple-darwin.tar.xz\"\n";
        let (at, date, file) = rustup_channel(head, "https://m.example/rustup/dist/channel-rust-stable.toml").unwrap();
        assert_eq!((at, date.as_str()), (1_732_752_000, "2024-11-28"));
        assert_eq!(
            file.as_deref(),
            Some("https://m.example/rustup/dist/2024-11-28/cargo-1.83.0-aarch64-apple-darwin.tar.xz")
        );
        assert!(rustup_channel("date = \"2024-11-28\"\n", "x").unwrap_err().contains("manifest-version"));
        assert!(rustup_channel("manifest-version = \"2\"\ndate = \"soon\"\n", "x").is_err());
        assert!(sha256_file(&format!("{}  channel-rust-stable.toml\n", "a".repeat(64))).is_ok());
        assert!(sha256_file("<html>").is_err());
        // Hugging Face.
        let info = r#"{"id":"google-bert/bert-base-uncased","sha":"86b5e0934494bd15c9632b12f734a8a67f723594","lastModified":"2024-02-19T11:06:12.000Z"}"#;
        assert_eq!(hf_model(info, "google-bert/bert-base-uncased").unwrap().0, 1_708_340_772);
        assert!(hf_model(info, "gpt2").is_err());
        assert!(json_object("[1]", "config.json").is_err());
        // RubyGems compact index.
        let tail = "ut line\n3.213.0 jmespath:>= 1.6.1&< 2|checksum:abc,ruby:>= 2.5\n3.214.0 jmespath:>= 1.6.1&< 2|checksum:def,ruby:>= 2.5\n";
        assert_eq!(gem_info(tail, false), Ok("3.214.0".into()));
        assert!(gem_info("---\n", true).is_err());
        assert!(gem_versions("created_at: 2024-04-01T00:00:05Z\n---\n").is_ok());
        assert!(gem_versions("<html>").unwrap_err().contains("HTML"));
        // Maven.
        let meta = "<?xml version=\"1.0\"?>\n<metadata>\n  <groupId>software.amazon.awssdk</groupId>\n  <artifactId>s3</artifactId>\n  <versioning>\n    <latest>2.29.25</latest>\n    <lastUpdated>20241203200514</lastUpdated>\n  </versioning>\n</metadata>\n";
        assert_eq!(
            maven_metadata(meta, "software.amazon.awssdk:s3"),
            Ok((Some(1_733_256_314), Some("2.29.25".into())))
        );
        assert!(maven_metadata(meta, "junit:junit").unwrap_err().contains("not the maven-metadata.xml"));
        // Bulk formats.
        assert!(sample_start(b"\x98\x4a\0\0\0\0\0\0{\"__metadata__\"", SampleFormat::Safetensors).is_ok());
        assert!(sample_start(b"<!DOCTYPE html><html>", SampleFormat::Safetensors).is_err());
        assert!(sample_start(b"created_at: 2024", SampleFormat::Prefix("created_at:")).is_ok());
        assert!(sample_start(b"manifest-version = \"2\"", SampleFormat::Text).is_ok());
    }

    #[test]
    fn feeds() {
        let names = feed_names(Repo::Pypi, "https://m/pypi/web/simple");
        assert_eq!(names, ["pypi"]);
        assert_eq!(feed_names(Repo::Crates, "https://m/crates.io-index"), ["crates.io-index"]);
        assert_eq!(feed_names(Repo::Debian, "https://m/mirror/debian"), ["debian", "mirror"]);
        let t = r#"[{"name":"debian","status":"success","last_update_ts":1700000000},{"name":"pypi","status":"failed","last_update_ts":1699000000}]"#;
        let tuna = Feed::parse(FeedFormat::Tunasync, t).unwrap();
        assert_eq!(
            tuna.find(&["pypi".into()]),
            Some(&FeedEntry { name: Some("pypi".into()), url: None, failing: true, last_success: Some(1_699_000_000) })
        );
        assert_eq!(tuna.find(&["anaconda".into()]), None);
        assert!(Feed::parse(FeedFormat::Tunasync, "{}").is_err());
        let z = r#"{"site":{"url":"https://m","abbr":"M"},"mirrors":[{"cname":"archlinux","url":"/archlinux","status":"F1786177925O1785984125X1786200000"},{"cname":"pypi","url":"/pypi","status":"S1786177925"}]}"#;
        let z = Feed::parse(FeedFormat::Mirrorz, z).unwrap();
        let e = z.find(&["archlinux".into()]).unwrap();
        assert!(e.failing);
        assert_eq!(e.last_success, Some(1_785_984_125));
        let e = z.find(&["pypi".into()]).unwrap();
        assert_eq!((e.failing, e.last_success), (false, Some(1_786_177_925)));
        // A MirrorZ entry is found by its `url` too, and the first name that has one wins.
        let by_url = Feed::parse(FeedFormat::Mirrorz, r#"{"mirrors":[{"url":"/mirror/","status":"S5"}]}"#).unwrap();
        assert_eq!(by_url.find(&["debian".into(), "mirror".into()]).map(|e| e.last_success), Some(Some(5)));
        assert_eq!(names_in_feeds(Repo::Archlinuxarm), ["archlinuxarm", "archlinux-arm"]);
        assert_eq!(feed_names(Repo::Archlinuxarm, "https://m/archlinux-arm"), ["archlinuxarm", "archlinux-arm"]);
        assert_eq!(mirrorz_status("Y100O90"), (false, Some(90)));
        assert_eq!(mirrorz_status("F100"), (true, None));
        assert_eq!(mirrorz_status("C"), (false, None));
        assert_eq!(mirrorz_status(""), (false, None));
    }
}
