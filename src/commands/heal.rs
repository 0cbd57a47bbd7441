//! `mirror heal [TARGET...]`: for timers and cron. Probes the mirror each configured target
//! uses now; switches only those that are failed, stale or throttled, to the best healthy
//! site (probed afresh, the new config checked as `use --verify` does), in one journal entry.

use anyhow::Result;
use serde::Serialize;

use super::shared::ranking::{self, Pick};
use super::shared::state::{TargetStatus, read_status};
use super::shared::switch::{self, Assignment, Outcome, Verify};
use super::shared::{App, chosen_targets};
use crate::catalog::{Catalog, UPSTREAM};
use crate::cli::HealArgs;
use crate::error::{ExitStatus, Problem};
use crate::output::table;
use crate::probe::{ProbeResult, Status};
use crate::targets::{Host, TargetKind};
use crate::verify::Verdict;

#[derive(Debug, Serialize)]
struct Report {
    dry_run: bool,
    /// The journal entry of the switches (`mirror restore` undoes them), if any.
    journal: Option<String>,
    targets: Vec<Row>,
}

/// What heal did with one target: `{"target","action","before","after","why","verify"}`.
#[derive(Debug, Serialize)]
struct Row {
    target: TargetKind,
    action: Action,
    before: Before,
    after: Option<After>,
    why: String,
    verify: Option<Verdict>,
}

/// What a target used, and how its probe went.
#[derive(Debug, Default, Serialize)]
struct Before {
    site: Option<String>,
    url: Option<String>,
    /// The probe's verdict (`ok`, `slow`, `stale`, `throttled`, `failed`); `null` when not probed.
    status: Option<Status>,
    reason: Option<String>,
}

#[derive(Debug, Serialize)]
struct After {
    site: String,
    url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Action {
    /// Its mirror is healthy: left alone.
    Healthy,
    /// Switched to a healthy site (checked), or would be under `--dry-run`.
    Healed,
    /// Unhealthy, and could not be healed (no healthy site, or the new config failed its
    /// check and was put back).
    Failed,
    /// On a mirror outside the catalog: reported, left alone.
    Pinned,
    /// Not checked: not on this system, no mirror configured, or overridden by a variable.
    Skipped,
}

pub fn run(app: &App, args: &HealArgs) -> Result<ExitStatus> {
    let catalog = app.catalog()?;
    let host = app.host()?;
    let absent: Vec<String> =
        args.targets.iter().filter_map(|t| switch::absent(app, &host, *t).map(|why| format!("{t}: {why}"))).collect();
    if !absent.is_empty() {
        return Err(Problem::bad(format!("cannot heal {}", absent.join("; ")))
            .hint("install the package manager first, or drop it from the command line")
            .into());
    }
    let statuses: Vec<TargetStatus> =
        chosen_targets(&args.targets).into_iter().map(|t| read_status(app, &catalog, &host, t)).collect();
    let mut rows: Vec<Row> = statuses.iter().map(first_look).collect();
    let unreadable: Vec<&str> = statuses.iter().filter(|s| s.error.is_some()).map(|s| s.target.name()).collect();

    // Probe what each configured target uses now.
    let checked = ranking::check_configured(app, &catalog, &host, &statuses, configured);
    let mut sick: Vec<(usize, ProbeResult)> = Vec::new();
    for (k, result) in checked {
        let row = &mut rows[k];
        row.before.status = Some(result.status);
        row.before.reason = Some(result.reason.clone());
        if row.before.site.is_none() {
            row.action = Action::Pinned;
            row.why = format!(
                "{}: {}; the mirror is not in the catalog, so it is left as it is",
                result.status.name(),
                result.reason
            );
        } else if result.status.usable() {
            row.action = Action::Healthy;
            row.why = format!("{}: {}", result.status.name(), result.reason);
        } else {
            sick.push((k, result));
        }
    }

    // The best healthy site for each unhealthy target, probed afresh.
    let mut assignments: Vec<(TargetKind, Assignment<'_>)> = Vec::new();
    if !sick.is_empty() {
        let pool = ranking::eligible(app, &catalog, &args.candidates, args.allow_third_party)?;
        let opts = ranking::options(app, &args.candidates);
        let targets: Vec<TargetKind> = sick.iter().map(|(k, _)| statuses[*k].target).collect();
        let report = ranking::ranking(app, &pool, &host, &targets, &opts, true)?;
        for (k, result) in &sick {
            let (target, current) = (statuses[*k].target, rows[*k].before.site.clone().unwrap_or_default());
            let rows_of: Vec<ProbeResult> = report
                .target(target)
                .map(|r| r.results.iter().filter(|r| r.site != current).cloned().collect())
                .unwrap_or_default();
            let row = &mut rows[*k];
            let sick_why = format!("{}: {}", result.status.name(), result.reason);
            match ranking::pick(&catalog, &rows_of, &pool, &opts, target, &host) {
                Pick::To(site, best) => {
                    row.action = Action::Healed;
                    row.why = format!("{sick_why}; {} is {}: {}", site.id, best.status.name(), best.reason);
                    row.after = Some(After { site: site.id.clone(), url: target.target().endpoint(site, &host) });
                    assignments.push((target, Assignment::To(site)));
                }
                Pick::NotServed(_) | Pick::Nothing => {
                    row.action = Action::Failed;
                    let best_try = ranking::best_try(&rows_of)
                        .map_or_else(|| "no other site serves it".to_owned(), |tried| format!("best try: {tried}"));
                    row.why = ranking::mention_skipped(
                        format!("{sick_why}; no healthy site to move to ({best_try})"),
                        &catalog,
                        &pool,
                        target,
                    );
                }
            }
        }
    }

    let mut journal = None;
    if !assignments.is_empty() {
        let security = keeps_security(app, &host, &catalog, &statuses, &rows);
        let mut plan = switch::plan(app, &host, catalog.get(UPSTREAM), &assignments, security)?;
        if app.args.dry_run {
            plan.show_diffs(app)?;
        } else {
            let verify = Some(Verify { timeout: args.verify_timeout });
            let applied = switch::apply(app, &catalog, &host, "heal", &mut plan, verify);
            for t in &plan.reports {
                let Some(row) = rows.iter_mut().find(|r| r.target == t.target) else { continue };
                row.verify = t.verify.clone();
                if t.status == Outcome::Failed {
                    // Put back: it is where it was.
                    row.action = Action::Failed;
                    row.after = None;
                    row.why = format!("{}; {}", row.why, t.reason.as_deref().unwrap_or("not switched"));
                }
            }
            journal.clone_from(&plan.journal);
            if let Err(err) = applied {
                // The entry that still records files left written, if any (`mirror restore`).
                print(app, &Report { dry_run: false, journal, targets: rows })?;
                return Err(err);
            }
            switch::tell_checks(app, &plan.reports);
        }
    }

    let failed: Vec<&str> = rows
        .iter()
        .filter(|r| {
            r.action == Action::Failed || (r.action == Action::Pinned && r.before.status.is_some_and(|s| !s.usable()))
        })
        .map(|r| r.target.name())
        .collect();
    let report = Report { dry_run: app.args.dry_run, journal: journal.clone(), targets: rows };
    print(app, &report)?;
    switch::tell_journal(app, journal.as_deref());
    if !unreadable.is_empty() {
        return Err(Problem::bad(format!("could not read the configuration of {}", unreadable.join(", ")))
            .hint("fix the file named above; the other targets were healed as they could be")
            .into());
    }
    if !failed.is_empty() {
        return Err(Problem::failed(format!("could not heal {}", failed.join(", ")))
            .hint("the table says why; `mirror bench` ranks every site, and `mirror use SITE TARGET` picks one by hand")
            .into());
    }
    Ok(ExitStatus::Success)
}

/// Whether heal looks at a target at all: present, readable, configured in its file, and
/// its mirror not overridden by a variable (as `status` reports it): rewriting a file that
/// has no effect would heal nothing.
fn configured(s: &TargetStatus) -> bool {
    s.present && s.error.is_none() && s.url_from.as_deref() == Some("file") && replacing(s).is_empty()
}

/// The variables set here that replace the mirror the target's file sets (`GOPROXY`, not
/// `GOFLAGS`: see [`TargetKind::partial_vars`]).
fn replacing(s: &TargetStatus) -> Vec<&str> {
    s.overridden_by.iter().map(String::as_str).filter(|v| !s.target.partial_vars().contains(v)).collect()
}

/// The row of a target before probing: `skipped` with why, or waiting for its probe.
fn first_look(s: &TargetStatus) -> Row {
    let before = Before { site: s.site.clone(), url: s.url.clone(), ..Before::default() };
    let why = match (&s.error, s.present, s.url_from.as_deref()) {
        (Some(e), _, _) => format!("could not read its configuration: {}", e.message),
        (None, false, _) => "not found on this system".into(),
        _ if !replacing(s).is_empty() => {
            let vars: Vec<String> = replacing(s).iter().map(|v| format!("`{v}`")).collect();
            let verb = if vars.len() == 1 { "overrides" } else { "override" };
            format!("{} {verb} its config file: left alone", vars.join(", "))
        }
        (None, true, Some("file")) => String::new(),
        (None, true, Some("default")) => "no mirror configured (the package manager's default): left alone".into(),
        (None, true, Some(var)) => format!("`{var}` overrides its config file: left alone"),
        (None, true, None) => "no mirror configured: left alone".into(),
    };
    let action = if s.error.is_some() { Action::Failed } else { Action::Skipped };
    Row { target: s.target, action, before, after: None, why, verify: None }
}

/// Whether apt's security suites are on the failing mirror now (as `use --security` leaves
/// them): then they go to the new site too, instead of back to the official server.
fn keeps_security(app: &App, host: &Host, catalog: &Catalog, statuses: &[TargetStatus], rows: &[Row]) -> bool {
    let Some(k) = statuses.iter().position(|s| s.target == TargetKind::Apt) else { return false };
    let Some(site) = rows[k].before.site.as_deref().and_then(|id| catalog.get(id)) else { return false };
    // The sources were read once already (status): one unreadable now is not the mirror's.
    crate::targets::apt::security_on(&app.ctx, host, site).unwrap_or(false)
}

fn print(app: &App, report: &Report) -> Result<()> {
    if app.args.json {
        return app.out.json(report);
    }
    let rows: Vec<Vec<String>> = report
        .targets
        .iter()
        .filter(|r| !(r.action == Action::Skipped && r.why == "not found on this system"))
        .map(|r| {
            let action = match r.action {
                Action::Healthy => app.out.green("healthy"),
                Action::Healed if report.dry_run => app.out.yellow("would heal"),
                Action::Healed => app.out.green("healed"),
                Action::Failed => app.out.red("failed"),
                Action::Pinned => app.out.yellow("pinned"),
                Action::Skipped => app.out.dim("skipped"),
            };
            let site = |s: &Option<String>, url: &Option<String>| {
                s.clone().or_else(|| url.clone()).unwrap_or_else(|| "-".to_owned())
            };
            let before = site(&r.before.site, &r.before.url);
            let after = r
                .after
                .as_ref()
                .filter(|_| r.action == Action::Healed)
                .map_or_else(|| "-".to_owned(), |a| a.site.clone());
            vec![r.target.name().to_owned(), action, before, after, r.why.clone()]
        })
        .collect();
    app.out.data(&table(&["TARGET", "ACTION", "BEFORE", "AFTER", "WHY"], &rows))
}
