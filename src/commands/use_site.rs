//! `mirror use <SITE|best|upstream> [TARGET...]`: rewrite configs to a site, safely.

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use super::App;
use crate::apply::{self, TargetEdits};
use crate::catalog::{Catalog, Site, UPSTREAM};
use crate::cli::UseArgs;
use crate::error::{ExitStatus, Problem};
use crate::output::{no_terminal, table, unified_diff};
use crate::targets::{Host, Request, TargetKind, write_through_links};

#[derive(Debug, Serialize)]
struct Report {
    site: String,
    dry_run: bool,
    journal: Option<String>,
    targets: Vec<TargetReport>,
}

#[derive(Debug, Serialize)]
struct TargetReport {
    target: TargetKind,
    status: Outcome,
    files: Vec<PathBuf>,
    reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Outcome {
    Changed,
    Unchanged,
    Skipped,
    Failed,
}

/// Which site each target goes to, or why it is left alone.
pub enum Assignment<'a> {
    To(&'a Site),
    /// Not done; `failed` when the user named the target (an error), else skipped.
    Skip {
        reason: String,
        failed: bool,
    },
}

pub fn run(app: &App, args: &UseArgs) -> Result<ExitStatus> {
    let catalog = app.catalog()?;
    let host = app.host()?;
    let site_arg = match &args.site {
        Some(s) => s.clone(),
        None => pick_site(app, &catalog)?,
    };
    let assignments: Vec<(TargetKind, Assignment<'_>)> = if site_arg == "best" {
        super::best::assignments(
            app,
            &catalog,
            &host,
            &args.targets,
            &args.candidates,
            args.refresh,
            args.allow_third_party,
        )?
    } else {
        let site = catalog.require(&site_arg)?;
        assign_one(app, &host, site, &args.targets)
    };
    warn_third_party(app, &assignments);
    let upstream = catalog.get(UPSTREAM);

    // Plan every target before writing anything: a config that cannot be parsed stops the
    // whole command with nothing changed.
    let mut reports = Vec::new();
    let mut work = Vec::new();
    for (target, assignment) in &assignments {
        match assignment {
            Assignment::Skip { reason, failed } => reports.push(TargetReport {
                target: *target,
                status: if *failed { Outcome::Failed } else { Outcome::Skipped },
                files: Vec::new(),
                reason: Some(reason.clone()),
            }),
            Assignment::To(site) => {
                let req = Request { site, upstream, security: args.security };
                let mut edits = target.target().plan(&app.ctx, &host, &req)?;
                // Later targets that edit the same file (the env file, `~/.npmrc`) build on this.
                for e in edits.iter().filter(|e| e.is_change()) {
                    let text = e.after.as_deref().map(|b| String::from_utf8_lossy(b).into_owned());
                    app.ctx.planned.set(&e.path, text);
                }
                for note in edits.iter().flat_map(|e| &e.notes) {
                    app.out.warn(&format!("{target}: {note}"));
                }
                let scope = target.scope();
                for link in write_through_links(&app.ctx, edits.iter_mut().map(|e| (scope, e)))? {
                    app.out.talk(&format!(
                        "note: `{}` is a link; writing the file it points to, `{}` (the link stays)",
                        link.link.display(),
                        link.target.display()
                    ));
                }
                let changed = edits.iter().any(|e| e.is_change());
                reports.push(TargetReport {
                    target: *target,
                    status: if changed { Outcome::Changed } else { Outcome::Unchanged },
                    files: edits.iter().filter(|e| !changed || e.is_change()).map(|e| e.path.clone()).collect(),
                    reason: Some(if changed { format!("now {}", site.id) } else { format!("already {}", site.id) }),
                });
                work.push(TargetEdits { target: *target, edits });
            }
        }
    }

    let mut report = Report { site: site_arg.clone(), dry_run: app.args.dry_run, journal: None, targets: reports };
    if report.targets.iter().any(|t| t.status == Outcome::Failed) {
        print_report(app, &report)?;
        let failed: Vec<String> = report
            .targets
            .iter()
            .filter(|t| t.status == Outcome::Failed)
            .map(|t| format!("{}: {}", t.target, t.reason.as_deref().unwrap_or("")))
            .collect();
        return Err(Problem::bad(format!("cannot switch {}; nothing was changed", failed.join("; ")))
            .hint("drop those targets from the command line, or pick a site that serves them (`mirror list <TARGET>`)")
            .into());
    }

    let diffs = diffs(&work);
    if app.args.dry_run {
        if !app.args.json {
            app.out.data(&diffs)?;
        }
        print_report(app, &report)?;
        return Ok(ExitStatus::Success);
    }
    let any_change = report.targets.iter().any(|t| t.status == Outcome::Changed);
    if any_change && !app.args.yes {
        if !app.out.interactive() {
            return Err(no_terminal());
        }
        app.out.talk(&diffs);
        if !app.out.confirm("apply these changes?")? {
            app.out.talk("nothing was changed");
            return Ok(ExitStatus::Failure);
        }
    }
    report.journal = match apply::apply(&app.ctx, &site_arg, &work) {
        Ok(id) => id,
        Err(err) => {
            // Scripts still get the report: every target that was to change did not.
            let status = crate::error::status_of(&err);
            for t in report.targets.iter_mut().filter(|t| t.status == Outcome::Changed) {
                t.status = Outcome::Failed;
                t.reason = Some(match status {
                    ExitStatus::Interrupted => "interrupted; put back".into(),
                    _ => "not written; every file was put back".into(),
                });
            }
            if app.args.json {
                print_report(app, &report)?;
            }
            return Err(err);
        }
    };
    print_report(app, &report)?;
    if let Some(id) = &report.journal {
        app.out.talk(&format!("journal {id}: undo with `mirror restore`"));
    }
    Ok(ExitStatus::Success)
}

/// Targets for one site: the named ones (an error when not served), else every present one.
fn assign_one<'a>(app: &App, host: &Host, site: &'a Site, named: &[TargetKind]) -> Vec<(TargetKind, Assignment<'a>)> {
    super::chosen_targets(named)
        .into_iter()
        .map(|t| {
            let explicit = named.contains(&t);
            let assignment = if !explicit && !t.target().present(&app.ctx, host) {
                Assignment::Skip { reason: "not found on this system".into(), failed: false }
            } else if t.target().endpoint(site, host).is_none() {
                Assignment::Skip { reason: not_served(site, t, host), failed: explicit }
            } else {
                Assignment::To(site)
            };
            (t, assignment)
        })
        .collect()
}

/// Says once, before anything is written, what trusting each third-party site means.
fn warn_third_party(app: &App, assignments: &[(TargetKind, Assignment<'_>)]) {
    let mut warned: Vec<&str> = Vec::new();
    for (_, assignment) in assignments {
        if let Assignment::To(site) = assignment
            && site.third_party
            && !warned.contains(&site.id.as_str())
        {
            let docker = assignments
                .iter()
                .any(|(t, a)| *t == TargetKind::Docker && matches!(a, Assignment::To(s) if s.id == site.id));
            let (warning, hint) = crate::catalog::third_party_warning(site, docker);
            app.out.warn(&format!("{warning}\nhint: {hint}"));
            warned.push(&site.id);
        }
    }
}

/// Why a site does not serve a target here.
pub fn not_served(site: &Site, target: TargetKind, host: &Host) -> String {
    match target {
        TargetKind::Apt if host.codename.is_none() && !host.has_os_release => {
            "cannot tell the distribution: no `/etc/os-release` under the root".into()
        }
        TargetKind::Apt if host.arch_unknown && host.distro() == crate::targets::Distro::Ubuntu => {
            "cannot tell the architecture of the root (`ubuntu` or `ubuntu-ports`): it has no `var/lib/dpkg/status`, \
             `var/lib/dpkg/arch`, `Architecture` in `etc/pacman.conf` or ELF `bin/sh`; set `MIRROR_ARCH` (e.g. `MIRROR_ARCH=arm64`)"
                .into()
        }
        TargetKind::Pacman if let Some(why) = crate::targets::pacman::unsupported(host) => why,
        _ => format!("`{}` does not serve {target} for this system", site.id),
    }
}

fn pick_site(app: &App, catalog: &Catalog) -> Result<String> {
    if !app.out.interactive() {
        return Err(Problem::bad("no site given")
            .hint("name one: `mirror use <SITE>` (see `mirror list`), or `mirror use best --yes`")
            .into());
    }
    let mut ids = vec!["best".to_owned()];
    let mut labels = vec!["best — probe and pick the best site per package manager".to_owned()];
    for site in catalog.sites() {
        ids.push(site.id.clone());
        labels.push(format!("{} — {} ({})", site.id, site.name, site.region));
    }
    let choice = app.out.pick("point package managers at", &labels)?;
    Ok(ids.swap_remove(choice))
}

/// One diff per file: a file several targets edit goes from the first one's `before` to the
/// last one's `after`.
fn diffs(work: &[TargetEdits]) -> String {
    type Change<'a> = (&'a std::path::Path, Option<&'a [u8]>, Option<&'a [u8]>);
    let mut files: Vec<Change<'_>> = Vec::new();
    for e in work.iter().flat_map(|t| t.edits.iter()).filter(|e| e.is_change()) {
        match files.iter_mut().find(|(p, _, _)| *p == e.path) {
            Some((_, _, after)) => *after = e.after.as_deref(),
            None => files.push((&e.path, e.before.as_deref(), e.after.as_deref())),
        }
    }
    files.iter().filter(|(_, b, a)| b != a).map(|(p, b, a)| unified_diff(p, *b, *a)).collect()
}

fn print_report(app: &App, report: &Report) -> Result<()> {
    if app.args.json {
        return app.out.json(report);
    }
    let rows: Vec<Vec<String>> = report
        .targets
        .iter()
        .map(|t| {
            let status = match t.status {
                Outcome::Changed if report.dry_run => app.out.yellow("would change"),
                Outcome::Changed => app.out.green("changed"),
                Outcome::Unchanged => "unchanged".to_owned(),
                Outcome::Skipped => app.out.dim("skipped"),
                Outcome::Failed => app.out.red("failed"),
            };
            let detail = if t.files.is_empty() {
                t.reason.clone().unwrap_or_default()
            } else {
                t.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(" ")
            };
            vec![t.target.name().to_owned(), status, detail]
        })
        .collect();
    app.out.data(&table(&["TARGET", "STATUS", "FILES"], &rows))
}
