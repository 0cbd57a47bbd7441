//! The rewrite of the sources files, all at once and in the order apt reads them: each
//! archive URI points at its new server, a stanza whose archive and security suites part ways
//! is split in two, and nothing apt would read twice is created.
//!
//! - URIs of one deb822 stanza that become the same are written once (`URIs: a b` of two
//!   mirrors becomes `URIs: <site>`).
//! - An entry all of whose indexes (type, URI, suite, component, architectures) an earlier
//!   entry already names once switched, and did not before, is disabled: a one-line entry is
//!   commented out, a stanza gets `Enabled: no`. One that overlaps only in part is refused.
//! - A stanza with archive and security suites whose servers differ (`Suites: noble
//!   noble-updates noble-security` on a mirror while security stays official) keeps the
//!   archive suites, and a copy below it holds the security suites on their server.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::parse::{self, Entry, Format};
use super::{Classified, DEBIAN_OUTDATED, Family, Pin, Place, RenderError, Rewrite, is_security_suite, release_of};

/// What a commented-out one-line entry starts with.
const DISABLED_LINE: &str = "# disabled by mirror, a duplicate once switched: ";
/// The comment above a stanza's `Enabled: no`.
const DISABLED_STANZA: &str = "# disabled by mirror, a duplicate once switched";
/// The comment above the security copy of a split stanza.
const SPLIT: &str = "# the security suites of the stanza above, split off by mirror";

/// One sources file: `name` is how messages name it.
pub struct Input<'a> {
    pub name: String,
    pub format: Format,
    pub place: Place,
    pub text: &'a str,
}

/// What the rewrite tells besides the text.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Notes {
    /// Messages naming a file and line.
    pub warnings: Vec<String>,
    /// An https URL was written although the root has no CA certificates.
    pub https_without_ca: bool,
    /// http was written where the site serves https, for lack of CA certificates.
    pub http_for_lack_of_ca: bool,
}

impl Notes {
    pub(super) fn warn(&mut self, warning: String) {
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }
}

/// The rewritten files and what was found in them.
#[derive(Debug)]
pub struct Outcome {
    /// The new text of each input.
    pub texts: Vec<String>,
    /// Per input: whether it holds entries of the archive.
    pub archive_files: Vec<bool>,
    /// Some entry is the archive (its archive suites; one kept as it is counts).
    pub any_archive: bool,
    /// Some entry holds the security suites.
    pub any_security: bool,
    /// The first enabled entry of a distribution's own file that is not the archive:
    /// (input, line, URI).
    pub unknown_own: Option<(usize, usize, String)>,
    /// The first enabled entry of every input: (input, line, URI).
    pub first_entries: Vec<Option<(usize, usize, String)>>,
    pub notes: Notes,
}

/// Rewrites one file on its own, as [`render_all`] does.
pub fn render(format: Format, place: Place, text: &str, rw: &Rewrite) -> Result<String, RenderError> {
    let input = Input { name: "sources".into(), format, place, text };
    render_all(&[input], rw).map(|mut o| o.texts.remove(0)).map_err(|(_, e)| e)
}

/// One version of an entry: its URIs (`None`: as they are), the suites when they change (a
/// split), and which URIs are left out as the same as an earlier one.
#[derive(Debug, Clone)]
struct Version {
    suites: Option<Vec<String>>,
    uris: Vec<Option<String>>,
    dropped: Vec<bool>,
}

/// What happens to one entry: one version, or two for a split stanza.
#[derive(Debug, Clone)]
struct Plan {
    versions: Vec<Version>,
    disable: bool,
}

/// Rewrites `inputs` (in the order apt reads them) for `rw`. An error names its input.
pub fn render_all(inputs: &[Input<'_>], rw: &Rewrite) -> Result<Outcome, (usize, RenderError)> {
    let dist = &rw.distribution;
    let mut parsed = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let entries = parse::parse(input.format, input.text).map_err(|e| (i, e))?;
        let classified = dist.classify_all(input.text, &entries, input.place).map_err(|e| (i, e))?;
        parsed.push((entries, classified));
    }
    for (i, (input, (entries, _))) in inputs.iter().zip(&parsed).enumerate() {
        if let Some((line, suite)) = dist.stray(input.text, entries, input.place) {
            return Err((i, RenderError::Stray { line, suite: suite.to_owned() }));
        }
    }

    let mut outcome = Outcome {
        texts: Vec::new(),
        archive_files: parsed.iter().map(|(_, c)| !c.is_empty()).collect(),
        any_archive: parsed.iter().flat_map(|(_, c)| c).any(|c| c.own() && c.roles.archive),
        any_security: parsed.iter().flat_map(|(_, c)| c).any(|c| c.roles.security),
        unknown_own: None,
        first_entries: Vec::new(),
        notes: Notes::default(),
    };
    let mut plans: Vec<Vec<Option<Plan>>> = Vec::new();
    let mut end_of_life = HashSet::new();
    for (i, (input, (entries, classified))) in inputs.iter().zip(&parsed).enumerate() {
        let first = entries.iter().find(|e| e.enabled).map(|e| (i, e.line, input.text[e.uris[0].clone()].to_owned()));
        outcome.first_entries.push(first);
        let mut file_plans = Vec::new();
        for (n, entry) in entries.iter().enumerate() {
            let mine: Vec<&Classified> = classified.iter().filter(|c| c.entry == n).collect();
            if mine.is_empty() {
                if entry.enabled && input.place == Place::Own && outcome.unknown_own.is_none() {
                    outcome.unknown_own = Some((i, entry.line, input.text[entry.uris[0].clone()].to_owned()));
                }
                file_plans.push(None);
                continue;
            }
            let at = format!("`{}` line {}", input.name, entry.line);
            let plan = plan_entry(rw, input.text, entry, &mine, &at, &mut outcome.notes).map_err(|e| (i, e))?;
            if dist.family == Family::Debian && entry.enabled && mine.iter().all(|c| c.own()) {
                let new = plan.versions[0].uris.iter().flatten().next();
                for suite in &entry.suites {
                    let release = release_of(suite);
                    if let Some(uri) = new.filter(|_| DEBIAN_OUTDATED.contains(&release))
                        && end_of_life.insert((i, release.to_owned()))
                    {
                        outcome.notes.warn(format!(
                            "{at}: `{release}` has reached its end of life and left the mirrors for `archive.debian.org`: `{uri}` does not carry it, so `apt update` fails there; point the entry at `http://archive.debian.org/debian` by hand"
                        ));
                    }
                }
            }
            file_plans.push(Some(plan));
        }
        plans.push(file_plans);
    }

    dedupe(inputs, &parsed, &mut plans, &mut outcome.notes)?;

    for ((input, (entries, _)), file_plans) in inputs.iter().zip(&parsed).zip(&plans) {
        let eol = if input.text.contains("\r\n") { "\r\n" } else { "\n" };
        let mut edits: Vec<(Range<usize>, String)> = Vec::new();
        for (entry, plan) in entries.iter().zip(file_plans) {
            let Some(plan) = plan else { continue };
            edits.extend(entry_edits(input.text, entry, plan, eol));
        }
        outcome.texts.push(apply(input.text, 0..input.text.len(), edits));
    }
    Ok(outcome)
}

/// The new URIs of one entry of the archive, `mine` being its classified URIs.
fn plan_entry(
    rw: &Rewrite,
    text: &str,
    entry: &Entry,
    mine: &[&Classified],
    at: &str,
    notes: &mut Notes,
) -> Result<Plan, RenderError> {
    let count = entry.uris.len();
    let mut archive: Vec<Option<String>> = vec![None; count];
    let mut security = archive.clone();
    let mut split: Option<(String, String)> = None;
    for c in mine {
        let original = &text[entry.uris[c.index].clone()];
        if let Some(pin) = c.pin {
            if entry.enabled {
                pinned(pin, original, entry, at, notes)?;
            }
            continue;
        }
        let dest = if c.roles.archive { Some(rw.archive_dest(c)?) } else { None };
        let a = match dest {
            None => None,
            Some(Some(dest)) => Some(rw.point(c, original, dest, notes, at)),
            Some(None) => {
                if entry.enabled {
                    notes.warn(format!(
                        "{at}: `{}` does not serve the {} archive; `{original}` is left as it is",
                        rw.archive.site,
                        c.archive.name()
                    ));
                }
                Some(original.to_owned())
            }
        };
        let security_url = |alone: bool, notes: &mut Notes| -> Result<String, RenderError> {
            Ok(match rw.security_dest(c, alone)? {
                Some(dest) => rw.point(c, original, dest, notes, at),
                None => original.to_owned(),
            })
        };
        // With archive suites beside them, security suites keep the archive's URL where that
        // serves both (Ubuntu's archive server); split off, they go to their own server.
        let s = if c.roles.security { Some(security_url(!c.roles.archive, notes)?) } else { None };
        match (a, s) {
            (Some(a), Some(s)) if a != s && entry.stanza.is_some() => {
                let s = security_url(true, notes)?;
                split.get_or_insert_with(|| (a.clone(), s.clone()));
                archive[c.index] = Some(a);
                security[c.index] = Some(s);
            }
            (Some(a), Some(s)) if a != s => {
                return Err(parse::parse_error(entry.line, "entry mixes security and archive suites; split it"));
            }
            (Some(url), _) | (None, Some(url)) => {
                archive[c.index] = Some(url.clone());
                security[c.index] = Some(url);
            }
            (None, None) => {}
        }
    }
    let unchanged = vec![false; count];
    let Some((a, s)) = split else {
        return Ok(Plan {
            versions: vec![Version { suites: None, uris: archive, dropped: unchanged }],
            disable: false,
        });
    };
    let (sec, arch): (Vec<String>, Vec<String>) = entry.suites.iter().cloned().partition(|s| is_security_suite(s));
    let also = if rw.distribution.family == Family::Ubuntu && !matches!(rw.security, super::Security::Site(_)) {
        "; with `--security` they would go to the mirror too, in one stanza"
    } else {
        ""
    };
    notes.warn(format!(
        "{at}: split the stanza in two: its security suites (`{}`) stay on `{s}`, the others go to `{a}`{also}",
        sec.join(" ")
    ));
    Ok(Plan {
        versions: vec![
            Version { suites: Some(arch), uris: archive, dropped: unchanged.clone() },
            Version { suites: Some(sec), uris: security, dropped: unchanged },
        ],
        disable: false,
    })
}

/// An archive URI kept as it is: said so, or refused when `mirror` cannot do what was asked.
fn pinned(pin: Pin, uri: &str, entry: &Entry, at: &str, notes: &mut Notes) -> Result<(), RenderError> {
    match pin {
        Pin::MirrorList => {
            return Err(RenderError::Refused {
                line: entry.line,
                message: format!(
                    "`{uri}` takes its servers from a mirror list (apt's `mirror` method), which `mirror` does not edit"
                ),
                hint: format!(
                    "put the mirror's URL into that list by hand, or replace `{uri}` in this entry by a server's URL and run again; nothing was changed"
                ),
            });
        }
        Pin::Onion => notes.warn(format!("{at}: `{uri}` is a Tor onion service; left as it is")),
        Pin::Cache => notes.warn(format!(
            "{at}: `{uri}` is a package cache that picks its upstream itself; left as it is (point the cache at the mirror in its own configuration)"
        )),
    }
    Ok(())
}

/// A URI for comparing: no final `/`, scheme and host in lowercase.
fn norm(uri: &str) -> String {
    let uri = uri.trim_end_matches('/');
    let host_end = uri.find("://").map_or(0, |s| uri[s + 3..].find('/').map_or(uri.len(), |p| s + 3 + p));
    format!("{}{}", uri[..host_end].to_ascii_lowercase(), &uri[host_end..])
}

/// An index apt fetches: type, URI, suite, component, architectures.
type Key = (String, String, String, String, String);

/// Leaves out what the rewrite would make apt read twice (see the module doc); refuses an
/// entry that would overlap an earlier one only in part.
fn dedupe(
    inputs: &[Input<'_>],
    parsed: &[(Vec<Entry>, Vec<Classified>)],
    plans: &mut [Vec<Option<Plan>>],
    notes: &mut Notes,
) -> Result<(), (usize, RenderError)> {
    // Every index named so far: (the URI it had before the rewrite, input, line).
    let mut seen: HashMap<Key, (String, usize, usize)> = HashMap::new();
    for (i, (input, (entries, _))) in inputs.iter().zip(parsed).enumerate() {
        for (n, entry) in entries.iter().enumerate() {
            if !entry.enabled {
                continue;
            }
            let originals: Vec<&str> = entry.uris.iter().map(|r| &input.text[r.clone()]).collect();
            let identity =
                Version { suites: None, uris: vec![None; originals.len()], dropped: vec![false; originals.len()] };
            let plan = &mut plans[i][n];
            let versions: Vec<Version> = match plan {
                Some(p) => {
                    for v in &mut p.versions {
                        drop_repeats(v, &originals);
                    }
                    p.versions.clone()
                }
                None => vec![identity],
            };
            let mut keys: Vec<(Key, String)> = Vec::new();
            for v in &versions {
                let suites = v.suites.as_ref().unwrap_or(&entry.suites);
                let components: Vec<&str> = if entry.components.is_empty() {
                    vec![""]
                } else {
                    entry.components.iter().map(String::as_str).collect()
                };
                let mut archs = entry.archs.clone();
                archs.sort();
                for (j, original) in originals.iter().enumerate().filter(|(j, _)| !v.dropped[*j]) {
                    let new = norm(v.uris[j].as_deref().unwrap_or(original));
                    for ty in &entry.types {
                        for suite in suites {
                            for component in &components {
                                let key =
                                    (ty.clone(), new.clone(), suite.clone(), (*component).to_owned(), archs.join(","));
                                keys.push((key, norm(original)));
                            }
                        }
                    }
                }
            }
            let mut created = None;
            let mut covered = true;
            for (key, original) in &keys {
                match seen.get(key) {
                    Some((before, file, line)) if before != original => {
                        created.get_or_insert((key.clone(), *file, *line));
                    }
                    _ => covered = false,
                }
            }
            let Some(((_, uri, suite, component, _), file, line)) = created else {
                for (key, original) in keys {
                    seen.entry(key).or_insert((original, i, entry.line));
                }
                continue;
            };
            let other = if file == i { format!("line {line}") } else { format!("`{}` line {line}", inputs[file].name) };
            let split = versions.len() > 1;
            if !covered || split {
                return Err((
                    i,
                    RenderError::Refused {
                        line: entry.line,
                        message: format!(
                            "once switched, this entry and {other} would both name `{suite}` `{component}` at `{uri}`, and apt would warn that it is configured multiple times"
                        ),
                        hint: "merge the two entries by hand, or remove one, then run the command again; nothing was changed"
                            .into(),
                    },
                ));
            }
            notes.warn(format!("`{}` line {}: disabled, the same as {other} once switched", input.name, entry.line));
            match plan {
                Some(p) => p.disable = true,
                None => *plan = Some(Plan { versions, disable: true }),
            }
        }
    }
    Ok(())
}

/// Marks the URIs of `v` that are the same as an earlier one once rewritten, unless they
/// were the same before too.
fn drop_repeats(v: &mut Version, originals: &[&str]) {
    let mut kept: Vec<(String, String)> = Vec::new();
    for (j, original) in originals.iter().enumerate() {
        let new = norm(v.uris[j].as_deref().unwrap_or(original));
        let before = norm(original);
        if kept.iter().any(|(n, b)| *n == new && *b != before) {
            v.dropped[j] = true;
        } else {
            kept.push((new, before));
        }
    }
}

/// The edits of one entry's text.
fn entry_edits(text: &str, entry: &Entry, plan: &Plan, eol: &str) -> Vec<(Range<usize>, String)> {
    let Some(stanza) = &entry.stanza else {
        if plan.disable {
            return vec![(entry.span.start..entry.span.start, DISABLED_LINE.to_owned())];
        }
        return match &plan.versions[0].uris[0] {
            Some(new) if *new != text[entry.uris[0].clone()] => vec![(entry.uris[0].clone(), new.clone())],
            _ => Vec::new(),
        };
    };
    let version_text = |v: &Version| {
        let mut edits = Vec::new();
        if v.dropped.iter().any(|d| *d) {
            let kept: Vec<&str> = entry
                .uris
                .iter()
                .enumerate()
                .filter(|(j, _)| !v.dropped[*j])
                .map(|(j, r)| v.uris[j].as_deref().unwrap_or(&text[r.clone()]))
                .collect();
            edits.push((stanza.uris.clone(), kept.join(" ")));
        } else {
            for (j, r) in entry.uris.iter().enumerate() {
                if let Some(new) = v.uris[j].as_ref().filter(|n| **n != text[r.clone()]) {
                    edits.push((r.clone(), new.clone()));
                }
            }
        }
        if let Some(suites) = &v.suites {
            edits.push((stanza.suites.clone(), suites.join(" ")));
        }
        if plan.disable {
            match &stanza.enabled {
                Some((line_start, value)) => {
                    edits.push((*line_start..*line_start, format!("{DISABLED_STANZA}{eol}")));
                    let no = if value.is_empty() { " no" } else { "no" };
                    edits.push((value.clone(), no.to_owned()));
                }
                None if text[entry.span.clone()].ends_with('\n') => {
                    edits.push((entry.span.end..entry.span.end, format!("{DISABLED_STANZA}{eol}Enabled: no{eol}")));
                }
                None => edits.push((entry.span.end..entry.span.end, format!("{eol}{DISABLED_STANZA}{eol}Enabled: no"))),
            }
        }
        apply(text, entry.span.clone(), edits)
    };
    let mut out = version_text(&plan.versions[0]);
    if let Some(security) = plan.versions.get(1) {
        if !out.ends_with('\n') {
            out.push_str(eol);
        }
        out = format!("{out}{eol}{SPLIT}{eol}{}", version_text(security));
    }
    if out == text[entry.span.clone()] { Vec::new() } else { vec![(entry.span.clone(), out)] }
}

/// `text[span]` with `edits` (byte ranges of `text` inside `span`, not overlapping) applied.
fn apply(text: &str, span: Range<usize>, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(r, _)| (r.start, r.end));
    let mut out = String::new();
    let mut pos = span.start;
    for (range, new) in edits {
        out.push_str(&text[pos..range.start]);
        out.push_str(&new);
        pos = range.end;
    }
    out.push_str(&text[pos..span.end]);
    out
}
