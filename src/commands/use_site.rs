//! `mirror use <SITE|best|upstream> [TARGET...]`: rewrite configs to a site, safely, and
//! check the new configs (`--verify`; `use best` checks by default).

use anyhow::Result;
use serde::Serialize;

use super::shared::ranking::{self, Source};
use super::shared::switch::{self, Assignment, Outcome, TargetReport, Verify};
use super::shared::{App, fleet, state};
use crate::catalog::{Catalog, UPSTREAM};
use crate::cli::UseArgs;
use crate::error::{ExitStatus, Problem};
use crate::output::{no_terminal, table};
use crate::targets::TargetKind;

#[derive(Debug, Serialize)]
struct Report<'a> {
    site: String,
    dry_run: bool,
    journal: Option<String>,
    targets: &'a [TargetReport],
}

pub fn run(app: &App, args: &UseArgs) -> Result<ExitStatus> {
    let catalog = app.catalog()?;
    let host = app.host()?;
    let site_arg = match &args.site {
        Some(s) => s.clone(),
        None => pick_site(app, &catalog)?,
    };
    let best = site_arg == "best";
    if let Some(file) = args.from.as_deref().filter(|_| !best) {
        return Err(Problem::bad(format!(
            "`--from {}` gives a ranking, which only `mirror use best` follows",
            file.display()
        ))
        .hint(format!("`mirror use best --from {}`, or `mirror use {site_arg}` without it", file.display()))
        .into());
    }
    let assignments: Vec<(TargetKind, Assignment<'_>)> = if best {
        let given = match &args.from {
            Some(file) => Some(fleet::load(app, file, args.max_age)?),
            None => None,
        };
        let source = match &given {
            Some(report) => Source::Given(report),
            None => Source::Probe { refresh: args.refresh },
        };
        ranking::assignments(app, &catalog, &host, &args.targets, &args.candidates, source, args.allow_third_party)?
    } else {
        let site = catalog.require(&site_arg)?;
        switch::assign_one(app, &host, site, &args.targets)
    };
    switch::warn_third_party(app, &assignments);
    let verify = (!args.no_verify && (args.verify || best)).then_some(Verify { timeout: args.verify_timeout });

    let mut plan = switch::plan(app, &host, catalog.get(UPSTREAM), &assignments, args.security)?;
    if plan.any_failed() {
        print_report(app, &site_arg, None, &plan.reports)?;
        let failed: Vec<String> = plan
            .reports
            .iter()
            .filter(|t| t.status == Outcome::Failed)
            .map(|t| format!("{}: {}", t.target, t.reason.as_deref().unwrap_or("")))
            .collect();
        let absent =
            plan.reports.iter().any(|t| t.status == Outcome::Failed && switch::absent(app, &host, t.target).is_some());
        let hint = if absent {
            "install the package manager first, or drop it from the command line"
        } else {
            "drop those targets from the command line, or pick a site that serves them (`mirror list <TARGET>`)"
        };
        return Err(Problem::bad(format!("cannot switch {}; nothing was changed", failed.join("; ")))
            .hint(hint)
            .into());
    }

    if app.args.dry_run {
        plan.show_diffs(app)?;
        print_report(app, &site_arg, None, &plan.reports)?;
        return Ok(ExitStatus::Success);
    }
    if plan.any_change() && !app.args.yes {
        if !app.out.interactive() {
            return Err(no_terminal());
        }
        // What changes and what is skipped first, then the diffs, then one question.
        let summary = table(&["TARGET", "STATUS", "FILES"], &rows(app, false, &plan.reports, Stream::Prompt));
        app.out.talk(&format!("`mirror use {site_arg}` will:\n{summary}"));
        app.out.talk(&app.out.diff_err(&plan.diffs()));
        if !app.out.confirm("apply these changes?")? {
            for t in plan.reports.iter_mut().filter(|t| t.status == Outcome::Changed) {
                t.status = Outcome::Unchanged;
                t.reason = Some("declined at the prompt".into());
            }
            if app.args.json {
                print_report(app, &site_arg, None, &plan.reports)?;
            }
            return Err(Problem::failed("declined at the prompt; nothing was changed").into());
        }
    }
    if let Err(err) = switch::apply(app, &catalog, &host, &site_arg, &mut plan, verify) {
        // Scripts still get the report: each target says what became of its files, and
        // `journal` names the entry of any left written.
        if app.args.json {
            print_report(app, &site_arg, plan.journal.clone(), &plan.reports)?;
        }
        return Err(err);
    }
    let journal = plan.journal.clone();
    print_report(app, &site_arg, journal.clone(), &plan.reports)?;
    switch::tell_checks(app, &plan.reports);
    let rejected: Vec<&str> = plan
        .reports
        .iter()
        .filter(|t| t.status == Outcome::Failed && t.verify.is_some())
        .map(|t| t.target.name())
        .collect();
    switch::tell_journal(app, journal.as_deref());
    if !rejected.is_empty() {
        let kept = if journal.is_some() { "; the other targets stay switched" } else { "" };
        return Err(Problem::failed(format!(
            "the new config of {} failed its check and was put back{kept}",
            rejected.join(", ")
        ))
        .hint("the lines above say what the check ran and saw; `mirror bench` ranks the other sites, and `--no-verify` writes without checking")
        .into());
    }
    Ok(ExitStatus::Success)
}

fn pick_site(app: &App, catalog: &Catalog) -> Result<String> {
    if !app.out.interactive() {
        return Err(Problem::bad("no site given")
            .hint("name one: `mirror use <SITE>` (see `mirror list`), or `mirror use best --yes`")
            .into());
    }
    let host = app.host()?;
    // Which package managers use each site now, to mark it (and start the cursor there).
    let mut users: Vec<(String, Vec<TargetKind>)> = Vec::new();
    for t in TargetKind::ALL.into_iter().filter(|t| t.target().present(&app.ctx, &host)) {
        if let Some(id) = state::read_status(app, catalog, &host, t).site {
            match users.iter_mut().find(|(site, _)| *site == id) {
                Some((_, targets)) => targets.push(t),
                None => users.push((id, vec![t])),
            }
        }
    }
    let mut ids = vec!["best".to_owned()];
    let mut labels = vec!["best — probe and pick the best site per package manager".to_owned()];
    let mut default = 0;
    for site in catalog.sites() {
        let mut label = format!("{} — {}, {}", site.id, site.name, site.region);
        if let Some((_, targets)) = users.iter().find(|(id, _)| *id == site.id) {
            let names: Vec<&str> = targets.iter().map(|t| t.name()).collect();
            label.push_str(&format!("  [current: {}]", names.join(" ")));
            if default == 0 || site.id != UPSTREAM {
                default = ids.len();
            }
        }
        ids.push(site.id.clone());
        labels.push(label);
    }
    let choice = app.out.pick("point package managers at", &labels, default)?;
    Ok(ids.swap_remove(choice))
}

/// Where a report is shown: the result on stdout, or the summary before the question.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stream {
    Result,
    Prompt,
}

fn print_report(app: &App, site: &str, journal: Option<String>, targets: &[TargetReport]) -> Result<()> {
    if app.args.json {
        return app.out.json(&Report { site: site.to_owned(), dry_run: app.args.dry_run, journal, targets });
    }
    app.out.data(&table(&["TARGET", "STATUS", "FILES"], &rows(app, app.args.dry_run, targets, Stream::Result)))
}

fn rows(app: &App, dry_run: bool, targets: &[TargetReport], stream: Stream) -> Vec<Vec<String>> {
    let paint = |text: &str, code: &str| match stream {
        Stream::Result => app.out.paint(text, code),
        Stream::Prompt => app.out.paint_err(text, code),
    };
    targets
        .iter()
        .map(|t| {
            let status = match t.status {
                Outcome::Changed if stream == Stream::Prompt => paint("will change", "33"),
                Outcome::Changed if dry_run => paint("would change", "33"),
                Outcome::Changed => paint("changed", "32"),
                Outcome::Unchanged => "unchanged".to_owned(),
                Outcome::Skipped => paint("skipped", "2"),
                Outcome::Failed => paint("failed", "31"),
            };
            let rejected = t.verify.as_ref().is_some_and(|v| !v.passed());
            let detail = if t.files.is_empty() || rejected {
                t.reason.clone().unwrap_or_default()
            } else {
                t.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(" ")
            };
            vec![t.target.name().to_owned(), status, detail]
        })
        .collect()
}
