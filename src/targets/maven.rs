//! Maven: one `<mirror>` of `central` in the user's `~/.m2/settings.xml`.
//!
//! No XML crate writes a document back byte for byte, so the file is read with `quick-xml`
//! (positions of every element, well-formedness, matching end tags) and changed by span
//! edits; the result is parsed again before it is used. Everything outside the edited span
//! (the declaration, namespaces, comments, `<servers>`, `<profiles>`, other `<mirror>`s,
//! indentation, line endings) stays byte for byte.
//!
//! - A `<mirror>` in `<settings><mirrors>` whose `<mirrorOf>` is exactly `central` gets the
//!   new `<url>` (its `<id>` stays: `<servers>` may hold credentials for it). Maven prefers
//!   such an exact match over wildcard mirrors (`*`, `external:*`), which stay as they are.
//! - Otherwise `<mirror><id>mirror</id><mirrorOf>central</mirrorOf><url>…</url></mirror>` is
//!   added first in `<mirrors>` (created when missing), indented like the file.
//! - `use upstream` removes the mirror `mirror` added (id `mirror`); a `central` mirror of the
//!   user's own gets the official URL.
//!
//! Refused with the line: XML that is not well-formed, a root other than `<settings>`, and a
//! `central` mirror without a `<url>`.

use std::ops::Range;
use std::path::PathBuf;

use anyhow::Result;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::common::{endpoint, exists};
use super::{Current, FileEdit, Host, LineError, Request, Target, current_from, line_at, plan_from};
use crate::catalog::{Repo, Site};
use crate::context::Context;
use crate::error::Problem;

pub struct Maven;

/// The `<id>` of the mirror `mirror` adds.
pub const ID: &str = "mirror";

fn path(ctx: &Context) -> PathBuf {
    ctx.home.join(".m2/settings.xml")
}

impl Target for Maven {
    fn present(&self, ctx: &Context, _host: &Host) -> bool {
        ctx.has_program("mvn") || exists(&ctx.home.join(".m2"))
    }

    fn endpoint(&self, site: &Site, _host: &Host) -> Option<String> {
        endpoint(site, Repo::Maven)
    }

    fn plan(&self, ctx: &Context, host: &Host, req: &Request<'_>) -> Result<Vec<FileEdit>> {
        let Some(url) = self.endpoint(req.site, host) else {
            return Err(Problem::bad(format!("site `{}` has no Maven Central mirror", req.site.id)).into());
        };
        let want = if req.site.is_upstream() { Want::Upstream(url) } else { Want::Mirror(url) };
        plan_from(ctx, path(ctx), |text| render(text, &want))
    }

    fn current(&self, ctx: &Context, _host: &Host) -> Result<Current> {
        current_from(ctx, path(ctx), mirror_url)
    }
}

/// What `central` should resolve to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// A mirror at this URL.
    Mirror(String),
    /// The official repository (this URL): no mirror of `mirror`'s own.
    Upstream(String),
}

/// An element: where it starts and ends, where its content starts and ends.
#[derive(Debug, Clone, Default)]
struct Span {
    outer: Range<usize>,
    /// Between the end of the start tag and the start of the end tag (empty for `<x/>`).
    inner: Range<usize>,
    empty: bool,
}

#[derive(Debug, Default)]
struct MirrorEl {
    span: Span,
    id: Option<String>,
    of: Option<String>,
    url: Option<(Span, String)>,
}

#[derive(Debug, Default)]
struct Doc {
    settings: Span,
    mirrors: Option<Span>,
    list: Vec<MirrorEl>,
    /// The whitespace before the first child of `<settings>`, for indenting new elements.
    indent: Option<String>,
}

fn xml_error(text: &str, at: u64, e: impl std::fmt::Display) -> LineError {
    LineError::at(line_at(text, usize::try_from(at).unwrap_or(usize::MAX)), format!("not well-formed XML: {e}"))
}

fn parse(text: &str) -> Result<Doc, LineError> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<(String, usize, usize)> = Vec::new();
    let mut doc = Doc::default();
    let mut seen_root = false;
    let mut current: Option<MirrorEl> = None;
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event().map_err(|e| xml_error(text, reader.error_position(), e))?;
        let after = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        match event {
            Event::Eof => break,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let empty = matches!(event, Event::Empty(_));
                let depth = stack.len();
                if depth == 0 {
                    if seen_root || name != "settings" {
                        return Err(LineError::at(
                            line_at(text, before),
                            format!("the root element is `<{name}>`, not Maven's `<settings>`"),
                        ));
                    }
                    seen_root = true;
                }
                if depth == 1 && doc.indent.is_none() {
                    let ws_start = text[..before].rfind(|c: char| !c.is_whitespace()).map_or(0, |i| i + 1);
                    let ws = &text[ws_start..before];
                    doc.indent = ws.rfind('\n').map(|i| ws[i + 1..].to_owned());
                }
                let span = Span { outer: before..after, inner: after..after, empty };
                let path: Vec<&str> = stack.iter().map(|(n, _, _)| n.as_str()).collect();
                match (path.as_slice(), name.as_str()) {
                    ([], "settings") if empty => doc.settings = span.clone(),
                    (["settings"], "mirrors") if empty => doc.mirrors = Some(span.clone()),
                    (["settings", "mirrors"], "mirror") if empty => {
                        doc.list.push(MirrorEl { span: span.clone(), ..MirrorEl::default() });
                    }
                    (["settings", "mirrors"], "mirror") => current = Some(MirrorEl::default()),
                    (["settings", "mirrors", "mirror"], "id" | "mirrorOf" | "url") if empty => {
                        set_child(current.as_mut(), &name, span.clone(), String::new());
                    }
                    _ => {}
                }
                if !empty {
                    stack.push((name, before, after));
                }
            }
            Event::End(_) => {
                let Some((name, start, open_end)) = stack.pop() else {
                    return Err(LineError::at(line_at(text, before), "an end tag without its start tag"));
                };
                let span = Span { outer: start..after, inner: open_end..before, empty: false };
                let path: Vec<&str> = stack.iter().map(|(n, _, _)| n.as_str()).collect();
                match (path.as_slice(), name.as_str()) {
                    ([], "settings") => doc.settings = span,
                    (["settings"], "mirrors") => doc.mirrors = Some(span),
                    (["settings", "mirrors"], "mirror") => {
                        if let Some(mut m) = current.take() {
                            m.span = span;
                            doc.list.push(m);
                        }
                    }
                    (["settings", "mirrors", "mirror"], "id" | "mirrorOf" | "url") => {
                        let raw = &text[span.inner.clone()];
                        let value = quick_xml::escape::unescape(raw)
                            .map_err(|e| xml_error(text, span.inner.start as u64, e))?
                            .trim()
                            .to_owned();
                        set_child(current.as_mut(), &name, span, value);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if !seen_root {
        if text.trim().is_empty() {
            return Ok(doc);
        }
        return Err(LineError::at(1, "the file has no `<settings>` element"));
    }
    Ok(doc)
}

fn set_child(m: Option<&mut MirrorEl>, name: &str, span: Span, value: String) {
    let Some(m) = m else { return };
    match name {
        "id" => m.id = Some(value),
        "mirrorOf" => m.of = Some(value),
        _ => m.url = Some((span, value)),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The `central` mirror of a parsed document.
fn central(doc: &Doc) -> Option<&MirrorEl> {
    doc.list.iter().find(|m| m.of.as_deref() == Some("central"))
}

/// The URL `central` is mirrored to, without a trailing `/`.
pub fn mirror_url(text: &str) -> Result<Option<String>, LineError> {
    let doc = parse(text)?;
    Ok(central(&doc).and_then(|m| m.url.as_ref()).map(|(_, u)| u.trim_end_matches('/').to_owned()))
}

const TEMPLATE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<settings xmlns=\"http://maven.apache.org/SETTINGS/1.2.0\"\n          xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n          xsi:schemaLocation=\"http://maven.apache.org/SETTINGS/1.2.0 https://maven.apache.org/xsd/settings-1.2.0.xsd\">\n</settings>\n";

fn splice(text: &str, range: Range<usize>, with: &str) -> String {
    format!("{}{with}{}", &text[..range.start], &text[range.end..])
}

/// Points `central` at `want` in settings.xml text; `None` is a missing file. Idempotent.
pub fn render(input: Option<&str>, want: &Want) -> Result<String, LineError> {
    let text = match input {
        Some(t) if !t.trim().is_empty() => t,
        _ => TEMPLATE,
    };
    let doc = parse(text)?;
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let unit = doc.indent.clone().unwrap_or_else(|| "  ".to_owned());
    let out = match (central(&doc), want) {
        (Some(m), Want::Upstream(_)) if m.id.as_deref() == Some(ID) => {
            // Remove the element (or `<mirrors>`, when it holds nothing else) with the
            // whitespace before it on its line.
            let only = doc.mirrors.as_ref().filter(|ms| {
                !ms.empty
                    && text[ms.inner.start..m.span.outer.start].trim().is_empty()
                    && text[m.span.outer.end..ms.inner.end].trim().is_empty()
            });
            let span = only.map_or(m.span.outer.clone(), |ms| ms.outer.clone());
            let start = text[..span.start]
                .rfind('\n')
                .map_or(span.start, |i| if text[i + 1..span.start].trim().is_empty() { i } else { span.start });
            splice(text, start..span.end, "")
        }
        (Some(m), Want::Mirror(url) | Want::Upstream(url)) => {
            let Some((span, value)) = &m.url else {
                return Err(LineError::at(
                    line_at(text, m.span.outer.start),
                    "this `central` mirror has no `<url>`; add one or delete the mirror",
                ));
            };
            if value == url {
                text.to_owned()
            } else if span.empty {
                splice(text, span.outer.clone(), &format!("<url>{}</url>", escape(url)))
            } else {
                splice(text, span.inner.clone(), &escape(url))
            }
        }
        (None, Want::Upstream(_)) => text.to_owned(),
        (None, Want::Mirror(url)) => {
            let inner = format!("{unit}{unit}{unit}");
            let element = format!(
                "{unit}{unit}<mirror>{nl}{inner}<id>{ID}</id>{nl}{inner}<mirrorOf>central</mirrorOf>{nl}{inner}<url>{}</url>{nl}{unit}{unit}</mirror>",
                escape(url)
            );
            match &doc.mirrors {
                Some(m) if m.empty => {
                    splice(text, m.outer.clone(), &format!("<mirrors>{nl}{element}{nl}{unit}</mirrors>"))
                }
                Some(m) => splice(text, m.inner.start..m.inner.start, &format!("{nl}{element}")),
                None if doc.settings.empty => {
                    let open = &text[doc.settings.outer.clone()];
                    let open = open.trim_end_matches("/>").trim_end();
                    splice(
                        text,
                        doc.settings.outer.clone(),
                        &format!("{open}>{nl}{unit}<mirrors>{nl}{element}{nl}{unit}</mirrors>{nl}</settings>"),
                    )
                }
                None => {
                    // Before `</settings>`, after the last child's line.
                    let close = doc.settings.inner.end;
                    let at = text[..close]
                        .rfind('\n')
                        .filter(|i| text[i + 1..close].trim().is_empty())
                        .map_or(close, |i| i + 1);
                    let lead = if text[..at].ends_with('\n') { "" } else { nl };
                    splice(text, at..at, &format!("{lead}{unit}<mirrors>{nl}{element}{nl}{unit}</mirrors>{nl}"))
                }
            }
        }
    };
    // The edit must leave a document Maven can read, with the mirror where it should be.
    let check =
        parse(&out).map_err(|e| LineError::new(None, format!("internal: the edited file would not parse: {e}")))?;
    let got = central(&check).and_then(|m| m.url.as_ref()).map(|(_, u)| u.as_str());
    match want {
        Want::Mirror(url) if got != Some(url.as_str()) => {
            return Err(LineError::new(None, "internal: the edited file does not mirror `central` as intended"));
        }
        _ => {}
    }
    if input.is_none_or(|t| t.trim().is_empty()) && matches!(want, Want::Upstream(_)) {
        return Ok(input.unwrap_or_default().to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALIYUN: &str = "https://maven.aliyun.com/repository/public";
    const CENTRAL: &str = "https://repo.maven.apache.org/maven2";

    /// A developer's settings.xml: a corporate server, a wildcard mirror for snapshots,
    /// a profile, comments and a declaration.
    const SETTINGS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- ~/.m2/settings.xml -->
<settings xmlns="http://maven.apache.org/SETTINGS/1.2.0"
          xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
          xsi:schemaLocation="http://maven.apache.org/SETTINGS/1.2.0 https://maven.apache.org/xsd/settings-1.2.0.xsd">
    <localRepository>${user.home}/.m2/repository</localRepository>
    <servers>
        <server>
            <id>corp-releases</id>
            <username>ci</username>
            <password>{COQLCE6DU6GtcS5P=}</password>
        </server>
    </servers>
    <mirrors>
        <mirror>
            <id>corp-snapshots</id>
            <mirrorOf>corp-snapshots,!central</mirrorOf>
            <url>https://nexus.corp.example/repository/snapshots/</url>
        </mirror>
    </mirrors>
    <profiles>
        <profile>
            <id>jdk17</id>
            <properties><maven.compiler.release>17</maven.compiler.release></properties>
        </profile>
    </profiles>
</settings>
"#;

    fn ok(text: Option<&str>, want: &Want) -> String {
        render(text, want).unwrap()
    }

    #[test]
    fn a_central_mirror_is_added_first_in_mirrors_and_removed_for_upstream() {
        let out = ok(Some(SETTINGS), &Want::Mirror(ALIYUN.into()));
        let added = format!(
            "    <mirrors>\n        <mirror>\n            <id>mirror</id>\n            <mirrorOf>central</mirrorOf>\n            <url>{ALIYUN}</url>\n        </mirror>\n        <mirror>\n            <id>corp-snapshots</id>"
        );
        assert!(out.contains(&added), "{out}");
        assert_eq!(
            out.replace(&added, "    <mirrors>\n        <mirror>\n            <id>corp-snapshots</id>"),
            SETTINGS
        );
        assert_eq!(ok(Some(&out), &Want::Mirror(ALIYUN.into())), out, "idempotent");
        assert_eq!(mirror_url(&out).unwrap().as_deref(), Some(ALIYUN));
        let other =
            ok(Some(&out), &Want::Mirror("https://mirrors.cloud.tencent.com/nexus/repository/maven-public".into()));
        assert_eq!(other, out.replace(ALIYUN, "https://mirrors.cloud.tencent.com/nexus/repository/maven-public"));
        assert_eq!(ok(Some(&out), &Want::Upstream(CENTRAL.into())), SETTINGS, "upstream takes ours out again");
    }

    #[test]
    fn the_users_own_central_mirror_keeps_its_id() {
        let own = "<settings>\n  <mirrors>\n    <mirror>\n      <id>nexus</id>\n      <mirrorOf>central</mirrorOf>\n      <url>https://nexus.corp.example/maven2/</url>\n    </mirror>\n  </mirrors>\n</settings>\n";
        let out = ok(Some(own), &Want::Mirror(ALIYUN.into()));
        assert_eq!(out, own.replace("https://nexus.corp.example/maven2/", ALIYUN));
        assert_eq!(
            ok(Some(&out), &Want::Upstream(CENTRAL.into())),
            own.replace("https://nexus.corp.example/maven2/", CENTRAL)
        );
    }

    #[test]
    fn mirrors_and_files_are_created_indented_like_the_file() {
        let bare = "<settings>\n\t<offline>false</offline>\n</settings>\n";
        let out = ok(Some(bare), &Want::Mirror(ALIYUN.into()));
        assert_eq!(
            out,
            format!(
                "<settings>\n\t<offline>false</offline>\n\t<mirrors>\n\t\t<mirror>\n\t\t\t<id>mirror</id>\n\t\t\t<mirrorOf>central</mirrorOf>\n\t\t\t<url>{ALIYUN}</url>\n\t\t</mirror>\n\t</mirrors>\n</settings>\n"
            )
        );
        let created = ok(None, &Want::Mirror(ALIYUN.into()));
        assert!(created.starts_with("<?xml") && created.contains("<mirrorOf>central</mirrorOf>"), "{created}");
        assert_eq!(mirror_url(&created).unwrap().as_deref(), Some(ALIYUN));
        assert!(ok(Some("<settings/>"), &Want::Mirror(ALIYUN.into())).contains("</settings>"));
        assert!(ok(Some("<settings><mirrors/></settings>"), &Want::Mirror(ALIYUN.into())).contains("<url>"));
        assert_eq!(render(None, &Want::Upstream(CENTRAL.into())).unwrap(), "");
        let amp = ok(Some(bare), &Want::Mirror("https://m.example/maven?x=1&y=2".into()));
        assert!(amp.contains("<url>https://m.example/maven?x=1&amp;y=2</url>"), "{amp}");
        assert_eq!(mirror_url(&amp).unwrap().as_deref(), Some("https://m.example/maven?x=1&y=2"));
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, line, what) in [
            ("<settings>\n  <mirrors>\n  </mirror>\n</settings>\n", 3, "not well-formed"),
            ("<settings>\n  <servers>\n</settings>\n", 3, "not well-formed"),
            ("<project>\n</project>\n", 1, "not Maven's `<settings>`"),
            (
                "<settings>\n <mirrors>\n  <mirror>\n   <mirrorOf>central</mirrorOf>\n  </mirror>\n </mirrors>\n</settings>\n",
                3,
                "no `<url>`",
            ),
            ("just text\n", 1, ""),
        ] {
            let e = render(Some(text), &Want::Mirror(ALIYUN.into())).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e:?}");
            assert!(e.message.contains(what), "{text:?}: {e:?}");
        }
    }
}
