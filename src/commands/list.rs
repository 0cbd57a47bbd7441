//! `mirror list`: the sites in the catalog and the targets each serves.

use anyhow::Result;
use serde::Serialize;

use super::{App, chosen_targets};
use crate::cli::ListArgs;
use crate::error::ExitStatus;
use crate::output::table;
use crate::targets::TargetKind;

#[derive(Serialize)]
struct Listing<'a> {
    sites: Vec<SiteRow<'a>>,
}

#[derive(Serialize)]
struct SiteRow<'a> {
    id: &'a str,
    name: &'a str,
    region: &'a str,
    targets: Vec<TargetKind>,
}

pub fn run(app: &App, args: &ListArgs) -> Result<ExitStatus> {
    let catalog = app.catalog()?;
    let wanted = chosen_targets(&args.targets);
    let sites: Vec<SiteRow<'_>> = catalog
        .sites()
        .map(|site| SiteRow {
            id: &site.id,
            name: &site.name,
            region: &site.region,
            targets: TargetKind::ALL.into_iter().filter(|t| t.served_by(site)).collect(),
        })
        .filter(|row| args.targets.is_empty() || wanted.iter().all(|t| row.targets.contains(t)))
        .collect();

    if app.args.json {
        app.out.json(&Listing { sites })?;
        return Ok(ExitStatus::Success);
    }
    if sites.is_empty() {
        app.out.talk("no site in the catalog serves all of the named targets");
        return Ok(ExitStatus::Success);
    }
    let rows: Vec<Vec<String>> = sites
        .iter()
        .map(|s| {
            let targets: Vec<&str> = s.targets.iter().map(|t| t.name()).collect();
            vec![app.out.bold(s.id), s.name.to_owned(), s.region.to_owned(), targets.join(" ")]
        })
        .collect();
    app.out.data(&table(&["SITE", "NAME", "REGION", "TARGETS"], &rows))?;
    Ok(ExitStatus::Success)
}
