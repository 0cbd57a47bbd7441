//! Probing and ranking, for `bench`, `use best`, `status --check` and `heal`: all built on
//! the probe engine (`crate::probe`).

use std::time::Duration;

use anyhow::Result;

use super::App;
use super::state::TargetStatus;
use super::switch::{self, Assignment};
use crate::catalog::{Catalog, Site, UPSTREAM};
use crate::config::UserConfig;
use crate::error::{ExitStatus, Problem};
use crate::probe::{self, Event, Options, ProbeResult, Report};
use crate::targets::{Host, TargetKind};

/// `use best` reuses `bench` results this recent (unless `--refresh`).
pub const CACHE_MAX_AGE: Duration = Duration::from_secs(3600);

pub fn options(app: &App, sites: &[String]) -> Options {
    Options::new(app.args.timeout, app.args.max_lag).with_sites(sites)
}

/// Probes and ranks `targets` with a progress bar on a terminal, and keeps the results in the
/// state folder for `mirror use best`.
pub fn probe_and_keep(
    app: &App,
    catalog: &Catalog,
    host: &Host,
    targets: &[TargetKind],
    opts: &Options,
) -> Result<Report> {
    let bar = app.out.progress(0, "probing");
    let progress = |event: Event| match event {
        Event::More => bar.inc_length(1),
        Event::Done => bar.inc(1),
    };
    let report = probe::bench_with_progress(&app.ctx, catalog, host, targets, opts, &progress);
    bar.finish_and_clear();
    let report = report?;
    if let Some(cost) = report.cost {
        app.out.detail(&format!("probing {cost}"));
    }
    if let Err(e) = probe::save(&app.ctx, host, opts, &report) {
        app.out.warn(&format!("{e:#}"));
    }
    Ok(report)
}

/// Probes (or reuses recent results) and ranks `targets`, with progress on a terminal, and
/// keeps the results for later.
pub fn ranking(
    app: &App,
    catalog: &Catalog,
    host: &Host,
    targets: &[TargetKind],
    opts: &Options,
    refresh: bool,
) -> Result<Report> {
    if !refresh
        && let Some(report) = probe::load_recent(&app.ctx, catalog, host, opts, CACHE_MAX_AGE)
        && targets.iter().all(|t| report.target(*t).is_some())
    {
        app.out.detail("using `mirror bench` results from the last hour (`--refresh` probes again)");
        return Ok(report);
    }
    probe_and_keep(app, catalog, host, targets, opts)
}

/// The sites an automatic choice may pick: third-party ones only with `--allow-third-party`
/// or `allow_third_party = true` in the user config (`Catalog::for_automatic_choice`).
pub fn eligible(app: &App, catalog: &Catalog, candidates: &[String], allow_third_party: bool) -> Result<Catalog> {
    let allow = allow_third_party || UserConfig::load(&app.ctx)?.allow_third_party;
    catalog.for_automatic_choice(candidates, allow)
}

/// `why` plus a word on the third-party sites serving `target` that were not considered.
pub fn mention_skipped(why: String, all: &Catalog, eligible: &Catalog, target: TargetKind) -> String {
    let skipped: Vec<&str> = all
        .third_party()
        .filter(|s| eligible.get(&s.id).is_none() && target.served_by(s))
        .map(|s| s.id.as_str())
        .collect();
    if skipped.is_empty() {
        return why;
    }
    format!("{why}; third-party mirrors not considered without `--allow-third-party`: {}", skipped.join(", "))
}

/// Which ranking `use best` follows.
pub enum Source<'a> {
    /// Probe here (or reuse recent results unless `refresh`).
    Probe { refresh: bool },
    /// A ranking `bench --json` made elsewhere (`use best --from FILE`), checked here
    /// against the catalog and the targets.
    Given(&'a super::fleet::Ranking),
}

/// The best site per target; a target without a usable site is skipped (an error when named).
pub fn assignments<'a>(
    app: &App,
    catalog: &'a Catalog,
    host: &Host,
    named: &[TargetKind],
    candidates: &[String],
    source: Source<'_>,
    allow_third_party: bool,
) -> Result<Vec<(TargetKind, Assignment<'a>)>> {
    // A named system target whose package manager is not here is an error, not probed.
    let absent: Vec<(TargetKind, String)> =
        named.iter().filter_map(|t| switch::absent(app, host, *t).map(|why| (*t, why))).collect();
    let targets: Vec<TargetKind> = super::chosen_targets(named)
        .into_iter()
        .filter(|t| named.contains(t) || t.target().present(&app.ctx, host))
        .filter(|t| !absent.iter().any(|(a, _)| a == t))
        .collect();
    if targets.is_empty() && !absent.is_empty() {
        return Ok(absent.into_iter().map(|(t, reason)| (t, Assignment::Skip { reason, failed: true })).collect());
    }
    if targets.is_empty() {
        return Err(Problem::bad("none of the package managers `mirror` knows is on this system")
            .hint("name the targets to configure anyway: `mirror use best pip cargo`")
            .into());
    }
    let pool = eligible(app, catalog, candidates, allow_third_party)?;
    let probed;
    let report = match source {
        Source::Probe { refresh } => {
            probed = ranking(app, &pool, host, &targets, &options(app, candidates), refresh)?;
            &probed
        }
        Source::Given(given) => {
            super::fleet::check(given, catalog, host, &targets)?;
            &given.report
        }
    };
    let opts = options(app, candidates);
    let mut out = Vec::new();
    let mut unusable = Vec::new();
    for t in super::chosen_targets(named) {
        if let Some((_, reason)) = absent.iter().find(|(a, _)| *a == t) {
            out.push((t, Assignment::Skip { reason: reason.clone(), failed: true }));
            continue;
        }
        if !targets.contains(&t) {
            out.push((t, Assignment::Skip { reason: "not found on this system".into(), failed: false }));
            continue;
        }
        let rows = report.target(t).map_or(&[][..], |r| r.results.as_slice());
        match pick(catalog, rows, &pool, &opts, t, host) {
            Pick::NotServed(site) => {
                let why = switch::not_served(site, t, host);
                unusable.push(format!("{t}: {why}"));
                out.push((t, Assignment::Skip { reason: why, failed: false }));
            }
            Pick::To(site, _) => out.push((t, Assignment::To(site))),
            Pick::Nothing => {
                let why = best_try(rows).map_or_else(
                    || "no site in the catalog serves it here".to_owned(),
                    |tried| format!("no usable site (best try: {tried})"),
                );
                let why = mention_skipped(why, catalog, &pool, t);
                unusable.push(format!("{t}: {why}"));
                out.push((t, Assignment::Skip { reason: why, failed: false }));
            }
        }
    }
    // A named target with no usable site (absent ones excepted: `use` reports those, exit 2).
    let named_unusable =
        out.iter().any(|(t, a)| named.contains(t) && targets.contains(t) && matches!(a, Assignment::Skip { .. }));
    if absent.is_empty() && (named_unusable || out.iter().all(|(_, a)| matches!(a, Assignment::Skip { .. }))) {
        return Err(Problem::failed(format!("no usable mirror: {}; nothing was changed", unusable.join("; ")))
            .hint("see `mirror bench` for every site's result; a longer `--timeout` or `--max-lag` may help")
            .into());
    }
    Ok(out)
}

/// The best row of a ranking among the sites in `pool` (and `--site`, when given): the first
/// `ok` one, else the first `slow` one, as [`Report::best`] says for a whole ranking.
fn best_eligible<'r>(rows: &'r [ProbeResult], pool: &Catalog, opts: &Options) -> Option<&'r ProbeResult> {
    let allowed =
        |r: &&ProbeResult| pool.get(&r.site).is_some() && (opts.sites.is_empty() || opts.sites.contains(&r.site));
    let of = |status: probe::Status| rows.iter().filter(allowed).find(|r| r.status == status);
    of(probe::Status::Ok).or_else(|| of(probe::Status::Slow))
}

/// What a ranking offers one target (`use best`, `heal`).
pub enum Pick<'a, 'r> {
    /// The best eligible site (see [`best_eligible`]), and its row.
    To(&'a Site, &'r ProbeResult),
    /// The best eligible site, which does not serve this host's flavour of the target
    /// (pacman on Manjaro).
    NotServed(&'a Site),
    /// No eligible site is usable.
    Nothing,
}

/// The best site of `catalog` for `target` among `rows`, as [`Pick`] says.
pub fn pick<'a, 'r>(
    catalog: &'a Catalog,
    rows: &'r [ProbeResult],
    pool: &Catalog,
    opts: &Options,
    target: TargetKind,
    host: &Host,
) -> Pick<'a, 'r> {
    let Some((site, row)) = best_eligible(rows, pool, opts).and_then(|r| Some((catalog.get(&r.site)?, r))) else {
        return Pick::Nothing;
    };
    if target.target().endpoint(site, host).is_none() { Pick::NotServed(site) } else { Pick::To(site, row) }
}

/// The first row of a ranking, `SITE REASON`: what came nearest when no site is usable.
pub fn best_try(rows: &[ProbeResult]) -> Option<String> {
    rows.first().map(|r| format!("{} {}", r.site, r.reason))
}

/// Probes the URL each of `statuses` uses now (see [`check`]); the indexes of the probed
/// statuses and their results.
pub fn check_configured(
    app: &App,
    catalog: &Catalog,
    host: &Host,
    statuses: &[TargetStatus],
    only: impl Fn(&TargetStatus) -> bool,
) -> Vec<(usize, ProbeResult)> {
    let opts = options(app, &[]);
    let upstream = catalog.get(UPSTREAM);
    let mut probed: Vec<(usize, (TargetKind, String))> = Vec::new();
    for (k, s) in statuses.iter().enumerate().filter(|(_, s)| only(s)) {
        // No URL, no site either: `site` is the site of `url`.
        let Some(url) = s.url.clone() else { continue };
        probed.push((k, (s.target, url)));
    }
    let configured: Vec<(TargetKind, String)> = probed.iter().map(|(_, c)| c.clone()).collect();
    let results = probe::check_all(&app.ctx, host, &configured, upstream, &opts);
    for ((k, _), result) in probed.iter().zip(&results) {
        if app.out.verbose {
            for d in &result.details {
                app.out.detail(&format!("{} check: {d}", statuses[*k].target));
            }
        }
    }
    probed.into_iter().map(|(k, _)| k).zip(results).collect()
}

/// `status --check`: probes the configured URL of each present target against the official
/// server, all in one run; a target that is not healthy (stale, throttled or failed) gets the
/// best alternative. Exit 1 when any is not healthy. A `slow` mirror answered and is healthy.
pub fn check(app: &App, catalog: &Catalog, host: &Host, statuses: &mut [TargetStatus]) -> Result<ExitStatus> {
    let mut unhealthy = Vec::new();
    for (k, result) in check_configured(app, catalog, host, statuses, |_| true) {
        let s = &mut statuses[k];
        if !result.status.usable() {
            unhealthy.push(s.target);
        }
        s.check = Some(serde_json::to_value(&result)?);
    }
    if !unhealthy.is_empty() {
        let pool = eligible(app, catalog, &[], false)?;
        let report = ranking(app, &pool, host, &unhealthy, &options(app, &[]), false)?;
        for s in statuses.iter_mut().filter(|s| unhealthy.contains(&s.target)) {
            let by_var = s.url_from.as_deref().filter(|f| !matches!(*f, "file" | "default"));
            let advice = match (report.best(s.target), by_var) {
                // `mirror use` would only rewrite the file the variable overrides.
                (Some(best), Some(var)) => {
                    let url = catalog.get(best).and_then(|site| s.target.target().endpoint(site, host));
                    format!(
                        "`{var}` sets it: point `{var}` at `{best}` ({}), or unset it and run `mirror use {best} {}`",
                        url.as_deref().unwrap_or("its URL"),
                        s.target
                    )
                }
                (Some(best), None) => format!("try `mirror use {best} {}`", s.target),
                (None, _) => "no healthy alternative found either".to_owned(),
            };
            if let Some(serde_json::Value::Object(check)) = &mut s.check {
                check.insert("best_alternative".into(), report.best(s.target).into());
                check.insert("advice".into(), advice.into());
            }
        }
        return Ok(ExitStatus::Failure);
    }
    Ok(ExitStatus::Success)
}
