//! A switch: which site each target goes to, the edits that takes, writing them behind one
//! journal entry, checking each changed target against its new files (`--verify`) and
//! putting back the ones that fail, and the report of it (`use`, `heal`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use super::App;
use crate::apply::{self, TargetEdits};
use crate::catalog::{Catalog, Site, UPSTREAM};
use crate::error::{self, ExitStatus};
use crate::output::unified_diff;
use crate::targets::{Host, Request, Scope, TargetKind, write_through_links};
use crate::verify::{self, Verdict};

/// Which site each target goes to, or why it is left alone.
pub enum Assignment<'a> {
    To(&'a Site),
    /// Not done; `failed` when the user named the target (an error), else skipped.
    Skip {
        reason: String,
        failed: bool,
    },
}

/// One target's row of the `use` report (`heal` builds its own from it).
#[derive(Debug, Serialize)]
pub struct TargetReport {
    pub target: TargetKind,
    pub status: Outcome,
    pub files: Vec<PathBuf>,
    pub reason: Option<String>,
    /// The check of the new files (`--verify`; `use best` checks by default, `heal` always):
    /// `null` when it was not checked (not changed, `--dry-run`, `--no-verify`).
    pub verify: Option<Verdict>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Changed,
    Unchanged,
    Skipped,
    Failed,
}

/// A planned switch: a report row per target, and the edits of the targets that go to a site.
pub struct Plan<'a> {
    pub reports: Vec<TargetReport>,
    pub work: Vec<TargetEdits>,
    /// The site of each target in `work`.
    pub sites: Vec<(TargetKind, &'a Site)>,
    /// Set by [`apply`]: the journal entry of what stays written (`None` when nothing does);
    /// when it fails, the entry that still records the files it left written, if any
    /// (`mirror restore` puts them back).
    pub journal: Option<String>,
}

impl Plan<'_> {
    pub fn any_change(&self) -> bool {
        self.reports.iter().any(|t| t.status == Outcome::Changed)
    }

    pub fn any_failed(&self) -> bool {
        self.reports.iter().any(|t| t.status == Outcome::Failed)
    }

    /// One unified diff per file that changes: a file several targets edit goes from the
    /// first one's `before` to the last one's `after`.
    pub fn diffs(&self) -> String {
        apply::fold(&self.work)
            .iter()
            .map(|(_, _, e)| unified_diff(&e.path, e.before.as_deref(), e.after.as_deref()))
            .collect()
    }

    /// What `--dry-run` shows: the diffs on stdout (under `--json` the document is the data).
    pub fn show_diffs(&self, app: &App) -> Result<()> {
        if app.args.json { Ok(()) } else { app.out.data(&app.out.diff(&self.diffs())) }
    }
}

/// Names the journal entry of a switch that stays written, and how to undo it.
pub fn tell_journal(app: &App, journal: Option<&str>) {
    if let Some(id) = journal {
        app.out.talk(&format!("journal {id}: undo with `mirror restore`"));
    }
}

/// Plans every target before anything is written: a config that cannot be parsed stops the
/// whole command with nothing changed. Warnings about the files go to stderr.
pub fn plan<'a>(
    app: &App,
    host: &Host,
    upstream: Option<&Site>,
    assignments: &[(TargetKind, Assignment<'a>)],
    security: bool,
) -> Result<Plan<'a>> {
    let mut plan = Plan { reports: Vec::new(), work: Vec::new(), sites: Vec::new(), journal: None };
    for (target, assignment) in assignments {
        match assignment {
            Assignment::Skip { reason, failed } => plan.reports.push(TargetReport {
                target: *target,
                status: if *failed { Outcome::Failed } else { Outcome::Skipped },
                files: Vec::new(),
                reason: Some(reason.clone()),
                verify: None,
            }),
            Assignment::To(site) => {
                let req = Request { site, upstream, security };
                let mut edits = target.target().plan(&app.ctx, host, &req)?;
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
                plan.reports.push(TargetReport {
                    target: *target,
                    status: if changed { Outcome::Changed } else { Outcome::Unchanged },
                    files: edits.iter().filter(|e| !changed || e.is_change()).map(|e| e.path.clone()).collect(),
                    reason: Some(if changed { format!("now {}", site.id) } else { format!("already {}", site.id) }),
                    verify: None,
                });
                plan.work.push(TargetEdits { target: *target, edits });
                plan.sites.push((*target, site));
            }
        }
    }
    Ok(plan)
}

/// How a switch checks its work: `None` writes without checking.
#[derive(Debug, Clone, Copy)]
pub struct Verify {
    /// Longest one package manager's check may take.
    pub timeout: Duration,
}

/// Writes the plan behind one journal entry labelled `label`; with `verify`, checks each
/// changed target and puts back the ones that fail (their rows become `failed`, with the
/// check). `plan.journal` names the entry of what stays written. When the switch stops,
/// each changed row says what became of its files (see [`mark_stopped`]), `plan.journal`
/// names the entry of any left written, and the error is returned.
pub fn apply(
    app: &App,
    catalog: &Catalog,
    host: &Host,
    label: &str,
    plan: &mut Plan<'_>,
    verify: Option<Verify>,
) -> Result<()> {
    let mut verdicts: Vec<(TargetKind, Verdict)> = Vec::new();
    let reference = catalog.get(UPSTREAM);
    let mut judge = |targets: &[TargetKind]| -> Vec<TargetKind> {
        let Some(v) = verify else { return Vec::new() };
        let jobs: Vec<verify::Job<'_>> = targets
            .iter()
            .filter_map(|t| {
                let site = plan.sites.iter().find(|(s, _)| s == t)?.1;
                let edits = &plan.work.iter().find(|w| w.target == *t)?.edits;
                let files = edits.iter().filter(|e| e.is_change()).map(|e| (e.path.clone(), e.after.clone())).collect();
                Some(verify::Job { target: *t, site, files })
            })
            .collect();
        for job in &jobs {
            app.out.talk(&format!("{}: checking the new config…", job.target));
        }
        let opts = verify::Options { timeout: v.timeout, probe: super::ranking::options(app, &[]), reference };
        let results = verify::verify(&app.ctx, host, &jobs, &opts, &apply::signal_pending);
        let rejected = jobs.iter().zip(&results).filter(|(_, v)| !v.passed()).map(|(j, _)| j.target).collect();
        verdicts = jobs.iter().map(|j| j.target).zip(results).collect();
        rejected
    };
    let applied = match apply::apply_judged(&app.ctx, label, &plan.work, &mut judge) {
        Ok(applied) => applied,
        Err(stopped) => {
            mark_stopped(&mut plan.reports, &stopped, &verdicts);
            plan.journal.clone_from(&stopped.journal);
            return Err(stopped.error);
        }
    };
    for (target, verdict) in verdicts {
        let Some(row) = plan.reports.iter_mut().find(|t| t.target == target) else { continue };
        if applied.rejected.contains(&target) {
            row.status = Outcome::Failed;
            row.reason = Some(if verdict.passed() {
                "its check passed, but it shares a file with a target whose check failed; put back".to_owned()
            } else {
                format!("{}; put back", verdict.reason)
            });
        }
        row.verify = Some(verdict);
    }
    plan.journal = applied.journal;
    Ok(())
}

/// Marks the rows of a switch that stopped from what became of each file: a changed target
/// is `failed`, "put back" only when its files are as they were, and naming a file that
/// could not be put back; a target whose new files stay (it passed its check, and only the
/// putting back of another failed) stays `changed`.
fn mark_stopped(reports: &mut [TargetReport], stopped: &apply::Stopped, verdicts: &[(TargetKind, Verdict)]) {
    let signal = match error::status_of(&stopped.error) {
        ExitStatus::Interrupted(signal) => Some(signal),
        _ => None,
    };
    for t in reports.iter_mut().filter(|t| t.status == Outcome::Changed) {
        t.verify = verdicts.iter().find(|(k, _)| *k == t.target).map(|(_, v)| v.clone());
        if stopped.kept.contains(&t.target) {
            continue;
        }
        t.status = Outcome::Failed;
        let rejected = stopped.rejected.contains(&t.target);
        let why = match (signal, &t.verify) {
            (Some(signal), _) => format!("interrupted by {}", error::signal_name(signal)),
            (None, Some(v)) if rejected && v.passed() => {
                "its check passed, but it shares a file with a target whose check failed".to_owned()
            }
            (None, Some(v)) if rejected => v.reason.clone(),
            (None, _) => "not written".to_owned(),
        };
        let left: Vec<String> =
            t.files.iter().filter(|f| stopped.left.contains(f)).map(|f| format!("`{}`", f.display())).collect();
        let whole = stopped.left.is_empty() && stopped.kept.is_empty();
        t.reason = Some(match (left.is_empty(), signal.is_some() || rejected) {
            (false, _) => format!(
                "{why}; putting back {} failed: fix what the error says, then `mirror restore` puts it back",
                left.join(", ")
            ),
            (true, true) => format!("{why}; put back"),
            (true, false) if whole => format!("{why}; every file was put back"),
            (true, false) => format!("{why}; its files were put back"),
        });
    }
}

/// Says what each check found, on stderr (`-q` keeps only the failures).
pub fn tell_checks(app: &App, reports: &[TargetReport]) {
    for t in reports {
        let Some(v) = &t.verify else { continue };
        let took = format!("{:.1} s", v.seconds);
        if v.passed() {
            app.out.talk(&format!("{}: checked by {} in {took}: {}", t.target, v.by, v.reason));
            for note in &v.notes {
                app.out.talk(&format!("  note: {note}"));
            }
        } else {
            app.out.warn(&format!(
                "{}: the check failed ({took}); its files were put back\n  ran: {}\n  {}",
                t.target, v.command, v.reason
            ));
            for line in &v.output {
                app.out.talk(&format!("  | {line}"));
            }
            for note in &v.notes {
                app.out.talk(&format!("  note: {note}"));
            }
        }
    }
}

/// Targets for one site: the named ones (an error when not served or not on this system),
/// else every present one.
pub fn assign_one<'a>(
    app: &App,
    host: &Host,
    site: &'a Site,
    named: &[TargetKind],
) -> Vec<(TargetKind, Assignment<'a>)> {
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
pub fn warn_third_party(app: &App, assignments: &[(TargetKind, Assignment<'_>)]) {
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
    let root = if app.ctx.is_real_root() { String::new() } else { format!(" under `{}`", app.ctx.root.display()) };
    Some(format!("{target} is not on this system: {}{root}", target.target().looked_for()))
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
        _ => {
            let why = site.lacks(crate::probe::plan::repo_for(target, host)).map(|w| format!(" ({w})"));
            format!("`{}` does not serve {target} for this system{}", site.id, why.unwrap_or_default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Problem;

    fn row(target: TargetKind, file: &str) -> TargetReport {
        TargetReport {
            target,
            status: Outcome::Changed,
            files: vec![PathBuf::from(file)],
            reason: Some("now tuna".into()),
            verify: None,
        }
    }

    fn verdict(passed: bool, reason: &str) -> Verdict {
        Verdict {
            status: if passed { verify::Outcome::Passed } else { verify::Outcome::Failed },
            by: "pip".into(),
            command: "pip download".into(),
            seconds: 1.0,
            reason: reason.into(),
            output: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn reasons(reports: &[TargetReport]) -> Vec<(Outcome, String)> {
        reports.iter().map(|t| (t.status, t.reason.clone().unwrap_or_default())).collect()
    }

    #[test]
    fn a_stopped_switch_reports_what_became_of_each_file() {
        let rows = || {
            vec![
                row(TargetKind::Pip, "/h/.config/pip/pip.conf"),
                row(TargetKind::Uv, "/h/.config/uv/uv.toml"),
                row(TargetKind::Cargo, "/h/.cargo/config.toml"),
            ]
        };
        // A signal, and uv.toml could not be put back.
        let mut reports = rows();
        let stopped = apply::Stopped {
            error: Problem::new(ExitStatus::Interrupted(2), "interrupted by SIGINT, and putting back … failed").into(),
            left: vec!["/h/.config/uv/uv.toml".into()],
            kept: Vec::new(),
            rejected: Vec::new(),
            journal: Some("20261201T000000-000000000".into()),
        };
        mark_stopped(&mut reports, &stopped, &[]);
        let uv_left = "interrupted by SIGINT; putting back `/h/.config/uv/uv.toml` failed: fix what the error says, then `mirror restore` puts it back";
        assert_eq!(
            reasons(&reports),
            [
                (Outcome::Failed, "interrupted by SIGINT; put back".into()),
                (Outcome::Failed, uv_left.into()),
                (Outcome::Failed, "interrupted by SIGINT; put back".into()),
            ]
        );

        // cargo failed its check and could not be put back; pip and uv passed and stay.
        let mut reports = rows();
        let stopped = apply::Stopped {
            error: Problem::failed("putting back the files of cargo failed").into(),
            left: vec!["/h/.cargo/config.toml".into()],
            kept: vec![TargetKind::Pip, TargetKind::Uv],
            rejected: vec![TargetKind::Cargo],
            journal: Some("20261201T000000-000000000".into()),
        };
        let verdicts = [
            (TargetKind::Pip, verdict(true, "downloaded")),
            (TargetKind::Uv, verdict(true, "resolved")),
            (TargetKind::Cargo, verdict(false, "the index answered 404")),
        ];
        mark_stopped(&mut reports, &stopped, &verdicts);
        let cargo_left = "the index answered 404; putting back `/h/.cargo/config.toml` failed: fix what the error says, then `mirror restore` puts it back";
        assert_eq!(
            reasons(&reports),
            [
                (Outcome::Changed, "now tuna".into()),
                (Outcome::Changed, "now tuna".into()),
                (Outcome::Failed, cargo_left.into()),
            ]
        );
        assert!(reports.iter().all(|t| t.verify.is_some()));

        // A write failed and everything was put back.
        let mut reports = rows();
        let stopped = apply::Stopped {
            error: Problem::failed("could not write `uv.toml`; every file already written was put back").into(),
            left: Vec::new(),
            kept: Vec::new(),
            rejected: Vec::new(),
            journal: None,
        };
        mark_stopped(&mut reports, &stopped, &[]);
        assert!(
            reasons(&reports).iter().all(|r| *r == (Outcome::Failed, "not written; every file was put back".into()))
        );
    }
}
