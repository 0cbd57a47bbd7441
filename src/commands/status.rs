//! `mirror status [TARGET...] [--check]`: what each package manager points at now.

use anyhow::Result;
use serde::Serialize;

use super::shared::state::{TargetStatus, read_status};
use super::shared::{App, chosen_targets, ranking};
use crate::cli::StatusArgs;
use crate::error::{ExitStatus, Problem};
use crate::output::table;

#[derive(Debug, Serialize)]
struct Report {
    targets: Vec<TargetStatus>,
}

pub fn run(app: &App, args: &StatusArgs) -> Result<ExitStatus> {
    let catalog = app.catalog()?;
    let host = app.host()?;
    let mut statuses: Vec<TargetStatus> =
        chosen_targets(&args.targets).into_iter().map(|t| read_status(app, &catalog, &host, t)).collect();
    let mut status = ExitStatus::Success;
    if args.check {
        status = ranking::check(app, &catalog, &host, &mut statuses)?;
    }
    let unreadable: Vec<&str> = statuses.iter().filter(|s| s.error.is_some()).map(|s| s.target.name()).collect();
    let unreadable = (!unreadable.is_empty()).then(|| {
        Problem::bad(format!("could not read the configuration of {}", unreadable.join(", ")))
            .hint("fix the file named above; the other targets are shown as they are")
    });
    if app.args.json {
        app.out.json(&Report { targets: statuses })?;
    } else {
        print(app, &statuses)?;
    }
    match unreadable {
        Some(problem) => Err(problem.into()),
        None => Ok(status),
    }
}

fn print(app: &App, statuses: &[TargetStatus]) -> Result<()> {
    let rows: Vec<Vec<String>> = statuses
        .iter()
        .map(|s| {
            let site = match (&s.site, &s.url, s.present) {
                (Some(id), _, _) => app.out.bold(id),
                (None, Some(_), _) => "(not in catalog)".to_owned(),
                (None, None, true) => "(not configured)".to_owned(),
                (None, None, false) => app.out.dim("(not present)"),
            };
            let from = match s.url_from.as_deref() {
                Some("file") | None => String::new(),
                Some("default") => format!("  {}", app.out.dim("(default)")),
                Some(var) => format!("  {}", app.out.dim(&format!("(from `{var}`)"))),
            };
            let health = s
                .check
                .as_ref()
                .and_then(|c| c.get("status"))
                .and_then(|v| v.as_str())
                .map(|st| match st {
                    "ok" => app.out.green(st),
                    "stale" | "throttled" => app.out.yellow(st),
                    _ => app.out.red(st),
                })
                .unwrap_or_default();
            let url = match &s.url {
                Some(url) => format!("{url}{from}"),
                None if s.error.is_some() => "(unreadable)".into(),
                None => String::new(),
            };
            vec![s.target.name().to_owned(), site, url, health]
        })
        .collect();
    let header: &[&str] = if statuses.iter().any(|s| s.check.is_some()) {
        &["TARGET", "SITE", "URL", "HEALTH"]
    } else {
        &["TARGET", "SITE", "URL"]
    };
    app.out.data(&table(header, &rows))?;
    for s in statuses {
        if let Some(e) = &s.error {
            app.out.warn(&format!("{}: {}", s.target, e.message));
            if let Some(hint) = &e.hint {
                app.out.talk(&format!("hint: {hint}"));
            }
        }
        for var in &s.overridden_by {
            let shown = if s.url.is_some() && s.url_from.as_deref() == Some(var.as_str()) {
                "; the URL shown comes from it"
            } else {
                ""
            };
            app.out.warn(&format!("{}: `{var}` is set and takes precedence over the config file{shown}", s.target));
        }
        for note in &s.notes {
            app.out.talk(&format!("{}: {note}", s.target));
        }
        if let Some(advice) = s.check.as_ref().and_then(|c| c.get("advice")).and_then(|v| v.as_str()) {
            // The table says how it went; this says why, and the way out.
            let why = s.check.as_ref().and_then(|c| c.get("reason")).and_then(|v| v.as_str()).unwrap_or_default();
            app.out.talk(&format!("{}: {why}; {advice}", s.target));
        }
    }
    Ok(())
}
