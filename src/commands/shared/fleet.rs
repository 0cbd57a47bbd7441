//! `mirror use best --from FILE`: follow a ranking that `mirror bench --json` made, here or on
//! another machine (an image build, a fleet behind one uplink), instead of probing.
//!
//! The file is the `bench --json` document (spec §6) as it is. Before anything is planned it
//! is checked: it must be a finished run (no `error`), no older than `--max-age` by its
//! `measured_at` (the time the run probed, which `bench --json` writes; a copied file's
//! modification time says nothing about that), rank every target being switched, and name
//! only sites this catalog has, at the URLs this catalog gives them for this kind of system.
//! Anything else is exit 2 with every difference said.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::Result;

use crate::catalog::Catalog;
use crate::error::Problem;
use crate::probe::{self, Report};
use crate::targets::common::same_url;
use crate::targets::{Host, TargetKind};

use super::App;

/// Clocks of two machines may differ by this much before a ranking from "the future" is
/// refused.
const CLOCK_SKEW: Duration = Duration::from_secs(300);

/// A ranking read from a file.
pub struct Ranking {
    pub report: Report,
    /// The file, as given (`-` for stdin), for messages.
    pub file: String,
}

/// Reads the ranking in `path` (`-`: stdin) and checks it is a finished `bench --json` run
/// no older than `max_age`.
pub fn load(app: &App, path: &Path, max_age: Duration) -> Result<Ranking> {
    let file = path.display().to_string();
    // Never the file given: `--from /etc/passwd` must not suggest writing over it.
    let hint = "make one with `mirror bench --json > ranking.json` on a machine of this kind, then \
                `mirror use best --from ranking.json`";
    let text = if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Problem::bad(format!("could not read the ranking from stdin: {e}")).hint(hint))?;
        text
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| Problem::bad(format!("could not read the ranking `{file}`: {e}")).hint(hint))?
    };
    let bad = |what: String| -> anyhow::Error { Problem::bad(format!("`{file}` {what}")).hint(hint).into() };
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("is not the JSON `mirror bench --json` writes: {e}")))?;
    if let Some(message) = doc.get("error").map(|e| e.get("message").and_then(|m| m.as_str()).unwrap_or("")) {
        return Err(bad(format!("holds a `mirror bench` run that failed (\"{message}\"), not a ranking")));
    }
    let report: Report = serde_json::from_value(doc)
        .map_err(|e| bad(format!("is not the document `mirror bench --json` writes: {e}")))?;
    let Some(measured) = report.measured_at.as_deref() else {
        return Err(bad("has no `measured_at`, so its age is unknown".into()));
    };
    let at = chrono::DateTime::parse_from_rfc3339(measured)
        .map_err(|e| bad(format!("has a `measured_at` that is not an RFC 3339 time (`{measured}`: {e})")))?;
    let at = SystemTime::from(at.with_timezone(&chrono::Utc));
    match app.ctx.now.duration_since(at) {
        Ok(age) if age > max_age => {
            return Err(Problem::bad(format!(
                "`{file}` was measured at {measured}, {} ago: older than `--max-age` {}",
                human(age),
                human(max_age)
            ))
            .hint(format!(
                "probe again (`mirror bench --json > {file}`), or accept it with `--max-age {}d`",
                age.as_secs() / 86_400 + 1
            ))
            .into());
        }
        Ok(_) => {}
        Err(e) if e.duration() > CLOCK_SKEW => {
            return Err(Problem::bad(format!(
                "`{file}` was measured at {measured}, {} from now: the clocks of the two machines differ",
                human(e.duration())
            ))
            .hint("set the clocks right (NTP), then measure again")
            .into());
        }
        Err(_) => {}
    }
    app.out.detail(&format!("following the ranking in `{file}`, measured at {measured}"));
    Ok(Ranking { report, file })
}

/// Checks that the ranking covers `targets` and that every site it ranks for them is in
/// `catalog` at the URL the catalog gives it on this host; exit 2 naming every difference.
pub fn check(ranking: &Ranking, catalog: &Catalog, host: &Host, targets: &[TargetKind]) -> Result<()> {
    let report = &ranking.report;
    let mut differences = Vec::new();
    let ranked: Vec<&str> = report.targets.iter().map(|t| t.target.name()).collect();
    let missing: Vec<&str> = targets.iter().filter(|t| report.target(**t).is_none()).map(|t| t.name()).collect();
    if !missing.is_empty() {
        let has = if ranked.is_empty() { "nothing".to_owned() } else { ranked.join(", ") };
        differences.push(format!("it does not rank {} (it ranks {has})", missing.join(", ")));
    }
    for t in targets.iter().filter_map(|t| report.target(*t)) {
        for row in &t.results {
            let Some(site) = catalog.get(&row.site) else {
                differences.push(format!("{}: site `{}` is not in this catalog", t.target, row.site));
                continue;
            };
            match probe::plan::plan(site, t.target, host) {
                None => {
                    differences.push(format!("{}: `{}` does not serve {} on this system", t.target, row.site, t.target))
                }
                Some(plan) if !same_url(&plan.url, &row.url) => differences.push(format!(
                    "{}: `{}` was ranked at `{}`, and is `{}` here",
                    t.target, row.site, row.url, plan.url
                )),
                Some(_) => {}
            }
        }
    }
    if differences.is_empty() {
        return Ok(());
    }
    Err(Problem::bad(format!(
        "the ranking `{}` does not fit this machine: {}; nothing was changed",
        ranking.file,
        differences.join("; ")
    ))
    .hint("rank with the same catalog, for the same targets and the same kind of system (`mirror bench --json TARGET...`), or name only the targets it ranks")
    .into())
}

/// A duration in its two largest units (`3d 4h`, `5h 12m`, `12m 30s`, `40s`).
fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m {}s", s % 60),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}
