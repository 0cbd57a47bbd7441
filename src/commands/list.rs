//! `mirror list`: the sites in the catalog and the targets each serves. Third-party sites
//! carry a mark: `(third party)` after the name in the table, `"third_party": true` in JSON;
//! so do the user's own (`mirror site add`): `(your site)`, `"user": true`.

use anyhow::Result;
use serde::Serialize;

use super::shared::{App, chosen_targets};
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
    /// Run by a third party: `use best` and `heal` skip it unless the user opts in.
    third_party: bool,
    /// From a site file of the user's own (`$XDG_CONFIG_HOME/mirror/mirrors/`).
    user: bool,
}

/// Shown after the name of a third-party site in the table.
const THIRD_PARTY_MARK: &str = "(third party)";
/// Shown after the name of a site from the user's own site files.
const USER_MARK: &str = "(your site)";

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
            third_party: site.third_party,
            user: site.is_user(),
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
            let mut name = s.name.to_owned();
            if s.third_party {
                name = format!("{name} {}", app.out.yellow(THIRD_PARTY_MARK));
            }
            if s.user {
                name = format!("{name} {}", app.out.bold(USER_MARK));
            }
            vec![app.out.bold(s.id), name, s.region.to_owned(), targets.join(" ")]
        })
        .collect();
    app.out.data(&table(&["SITE", "NAME", "REGION", "TARGETS"], &rows))?;
    if sites.iter().any(|s| s.third_party) {
        app.out.talk(&format!(
            "{THIRD_PARTY_MARK}: run by neither the software's publisher, a university nor a cloud vendor; \
             `mirror use best` skips these unless `--allow-third-party` (see `mirrors/README.md`)"
        ));
    }
    if sites.iter().any(|s| s.user) {
        app.out.talk(&format!(
            "{USER_MARK}: from a site file of your own in `{}`; `mirror site list` shows them",
            app.ctx.user_catalog_dir().display()
        ));
    }
    Ok(ExitStatus::Success)
}
