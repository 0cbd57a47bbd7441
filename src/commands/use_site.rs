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
use crate::targets::{Host, Request, Scope, TargetKind, write_through_links};

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
        let absent =
            report.targets.iter().any(|t| t.status == Outcome::Failed && absent(app, &host, t.target).is_some());
        let hint = if absent {
            "install the package manager first, or drop it from the command line"
        } else {
            "drop those targets from the command line, or pick a site that serves them (`mirror list <TARGET>`)"
        };
        return Err(Problem::bad(format!("cannot switch {}; nothing was changed", failed.join("; ")))
            .hint(hint)
            .into());
    }

    let diffs = diffs(&work);
    if app.args.dry_run {
        if !app.args.json {
            app.out.data(&app.out.diff(&diffs))?;
        }
        print_report(app, &report)?;
        return Ok(ExitStatus::Success);
    }
    let any_change = report.targets.iter().any(|t| t.status == Outcome::Changed);
    if any_change && !app.args.yes {
        if !app.out.interactive() {
            return Err(no_terminal());
        }
        // What changes and what is skipped first, then the diffs, then one question.
        let summary = table(&["TARGET", "STATUS", "FILES"], &rows(app, &report, Stream::Prompt));
        app.out.talk(&format!("`mirror use {site_arg}` will:\n{summary}"));
        app.out.talk(&app.out.diff_err(&diffs));
        if !app.out.confirm("apply these changes?")? {
            for t in report.targets.iter_mut().filter(|t| t.status == Outcome::Changed) {
                t.status = Outcome::Unchanged;
                t.reason = Some("declined at the prompt".into());
            }
            if app.args.json {
                print_report(app, &report)?;
            }
            return Err(Problem::failed("declined at the prompt; nothing was changed").into());
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
                    ExitStatus::Interrupted(signal) => {
                        format!("interrupted by {}; put back", crate::error::signal_name(signal))
                    }
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

/// Targets for one site: the named ones (an error when not served or not on this system),
/// else every present one.
fn assign_one<'a>(app: &App, host: &Host, site: &'a Site, named: &[TargetKind]) -> Vec<(TargetKind, Assignment<'a>)> {
    super::chosen_targets(named)
        .into_iter()
        .map(|t| {
            let explicit = named.contains(&t);
            let assignment = if !explicit && !t.target().present(&app.ctx, host) {
                Assignment::Skip { reason: "not found on this system".into(), failed: false }
            } else if let Some(reason) = absent(app, host, t).filter(|_| explicit) {
                Assignment::Skip { reason, failed: true }
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
            let docker = assignments.iter().any(|(t, a)| {
                t.repos() == [crate::catalog::Repo::Dockerhub] && matches!(a, Assignment::To(s) if s.id == site.id)
            });
            let (warning, hint) = crate::catalog::third_party_warning(site, docker);
            app.out.warn(&format!("{warning}\nhint: {hint}"));
            warned.push(&site.id);
        }
    }
}

/// Why a system-level target that was named on the command line cannot be done here: its
/// package manager is not on this system, so its config would be a stray file (pacman's
/// mirrorlist on Debian). User-level targets are configured even before their tool is
/// installed: the file waits in the home for it (bootstrap scripts do that).
pub fn absent(app: &App, host: &Host, target: TargetKind) -> Option<String> {
    if target.scope() == Scope::User || target.target().present(&app.ctx, host) {
        return None;
    }
    let looked_for = match target {
        TargetKind::Apt => "no `/etc/apt/` and no `apt-get` program",
        TargetKind::Pacman => "no `/etc/pacman.conf`, no `/etc/pacman.d/` and no `pacman` program",
        TargetKind::Docker => "no `/etc/docker/` and no `docker` or `dockerd` program",
        _ => "nothing of it",
    };
    let root = if app.ctx.is_real_root() { String::new() } else { format!(" under `{}`", app.ctx.root.display()) };
    Some(format!("{target} is not on this system: {looked_for}{root}"))
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
    let host = app.host()?;
    // Which package managers use each site now, to mark it (and start the cursor there).
    let mut users: Vec<(String, Vec<TargetKind>)> = Vec::new();
    for t in TargetKind::ALL.into_iter().filter(|t| t.target().present(&app.ctx, &host)) {
        if let Some(id) = super::status::read_status(app, catalog, &host, t).site {
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

/// Where a report is shown: the result on stdout, or the summary before the question.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stream {
    Result,
    Prompt,
}

fn print_report(app: &App, report: &Report) -> Result<()> {
    if app.args.json {
        return app.out.json(report);
    }
    app.out.data(&table(&["TARGET", "STATUS", "FILES"], &rows(app, report, Stream::Result)))
}

fn rows(app: &App, report: &Report, stream: Stream) -> Vec<Vec<String>> {
    let paint = |text: &str, code: &str| match stream {
        Stream::Result => app.out.paint(text, code),
        Stream::Prompt => app.out.paint_err(text, code),
    };
    report
        .targets
        .iter()
        .map(|t| {
            let status = match t.status {
                Outcome::Changed if stream == Stream::Prompt => paint("will change", "33"),
                Outcome::Changed if report.dry_run => paint("would change", "33"),
                Outcome::Changed => paint("changed", "32"),
                Outcome::Unchanged => "unchanged".to_owned(),
                Outcome::Skipped => paint("skipped", "2"),
                Outcome::Failed => paint("failed", "31"),
            };
            let detail = if t.files.is_empty() {
                t.reason.clone().unwrap_or_default()
            } else {
                t.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(" ")
            };
            vec![t.target.name().to_owned(), status, detail]
        })
        .collect()
}
