//! `mirror bench`: probe the sites for each target and rank them.

use anyhow::Result;

use super::shared::ranking::probe_and_keep;
use super::shared::{App, chosen_targets};
use crate::cli::BenchArgs;
use crate::error::{ExitStatus, Problem};
use crate::output::table;
use crate::probe::rank::{human_lag, human_rate};
use crate::probe::{Options, Report, Status};
use crate::targets::{Host, TargetKind};

pub fn run(app: &App, args: &BenchArgs) -> Result<ExitStatus> {
    let catalog = app.catalog()?;
    let host = app.host()?;
    let targets = bench_targets(app, &host, &args.targets);
    let opts = Options::new(app.args.timeout, app.args.max_lag).with_sites(&args.site);
    let report = probe_and_keep(app, &catalog, &host, &targets, &opts)?;

    // `-v`: what every request got, whatever the output format (on stderr).
    for t in &report.targets {
        for r in &t.results {
            for d in &r.details {
                app.out.detail(&format!("{} {}: {d}", t.target, r.site));
            }
        }
    }
    if app.args.json {
        app.out.json(&report)?;
    } else {
        print_tables(app, &report)?;
    }

    // Exit 1 when a named target (or, with none named, every target) has no usable site.
    let unusable: Vec<&str> = report.targets.iter().filter(|t| t.best.is_none()).map(|t| t.target.name()).collect();
    let failed = if args.targets.is_empty() { unusable.len() == report.targets.len() } else { !unusable.is_empty() };
    if failed {
        let none_served = report.targets.iter().filter(|t| t.best.is_none()).all(|t| t.results.is_empty());
        let hint = if none_served {
            "no site in the catalog serves it on this host; see `mirror list`"
        } else {
            "check the network and proxy settings (`HTTPS_PROXY`, `NO_PROXY`), raise `--timeout`, or allow more lag with `--max-lag`; `mirror bench -v` shows every request"
        };
        return Err(Problem::failed(format!("no usable mirror for {}", unusable.join(", "))).hint(hint).into());
    }
    if !unusable.is_empty() {
        app.out.warn(&format!("no usable mirror for {}", unusable.join(", ")));
    }
    Ok(ExitStatus::Success)
}

/// What `bench` ranks: the targets named; with none named, the package managers on this
/// system, as `use` would change them (or every target `mirror` knows, on a system with none
/// of them: a laptop choosing a mirror for the images it builds).
fn bench_targets(app: &App, host: &Host, named: &[TargetKind]) -> Vec<TargetKind> {
    let all = chosen_targets(named);
    if !named.is_empty() {
        return all;
    }
    let present: Vec<TargetKind> = all.iter().copied().filter(|t| t.target().present(&app.ctx, host)).collect();
    if present.is_empty() {
        app.out.detail("none of the package managers `mirror` knows is on this system: ranking them all");
        all
    } else {
        present
    }
}

fn print_tables(app: &App, report: &Report) -> Result<()> {
    let mut text = String::new();
    for (n, t) in report.targets.iter().enumerate() {
        if n > 0 {
            text.push('\n');
        }
        let best =
            t.best.as_deref().map_or_else(|| app.out.red("no usable site"), |b| format!("best: {}", app.out.bold(b)));
        text.push_str(&format!("{}  {best}\n", app.out.bold(t.target.name())));
        if t.results.is_empty() {
            text.push_str("  no site in the catalog serves it on this host\n");
            continue;
        }
        let rows: Vec<Vec<String>> = t
            .results
            .iter()
            .map(|r| {
                let status = match r.status {
                    Status::Ok => app.out.green("ok"),
                    Status::Slow => app.out.yellow("slow"),
                    Status::Stale => app.out.yellow("stale"),
                    Status::Throttled => app.out.yellow("throttled"),
                    Status::Failed => app.out.red("failed"),
                };
                vec![
                    r.site.clone(),
                    status,
                    r.latency_ms.map_or("-".into(), |l| format!("{l} ms")),
                    r.throughput_bps.map_or("-".into(), |b| human_rate(b as f64)),
                    r.lag_seconds.map_or("-".into(), human_lag),
                    r.reason.clone(),
                ]
            })
            .collect();
        let rendered = table(&["SITE", "STATUS", "LATENCY", "THROUGHPUT", "LAG", "WHY"], &rows);
        for line in rendered.lines() {
            text.push_str("  ");
            text.push_str(line);
            text.push('\n');
        }
    }
    app.out.data(&text)
}
