//! `mirror site add NAME URL | site list | site remove NAME`: the user's own site files.
//!
//! `add` finds out what the mirror at URL serves ([`crate::discover`]), prints what was found,
//! what was not and why, and writes `$XDG_CONFIG_HOME/mirror/mirrors/NAME.toml` (validated by
//! the catalog's own loader first). The catalog reads that folder on every run, so `use`,
//! `bench --site` and `status` know the site at once.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use super::shared::{App, state};
use crate::catalog::{self, Catalog, Origin, Site, UPSTREAM};
use crate::cli::{SiteAddArgs, SiteArgs, SiteCommand, SiteRemoveArgs};
use crate::discover::{self, Discovery, FileInput, Finding, SiteUrl, Verdict};
use crate::error::{ExitStatus, Problem};
use crate::fsx::{self, NewFile};
use crate::output::table;
use crate::probe::rank::human_ms;
use crate::probe::{Event, Options, Status};
use crate::targets::TargetKind;

pub fn run(app: &App, args: &SiteArgs) -> Result<ExitStatus> {
    match &args.command {
        SiteCommand::Add(a) => add(app, a),
        SiteCommand::List => list(app),
        SiteCommand::Remove(a) => remove(app, a),
    }
}

/// `site add --json`.
#[derive(Serialize)]
struct AddReport<'a> {
    site: &'a str,
    url: &'a str,
    file: &'a Path,
    dry_run: bool,
    written: bool,
    region: Option<&'a str>,
    results: &'a [Finding],
    /// The site file (`null` when nothing could be written).
    contents: Option<&'a str>,
}

fn add(app: &App, args: &SiteAddArgs) -> Result<ExitStatus> {
    let name = check_name(&args.name)?;
    let site = SiteUrl::parse(&args.url)?;
    let given_region = args.region.as_deref().map(region).transpose().map_err(Problem::bad)?;
    if given_region.is_none() && !app.out.interactive() {
        return Err(Problem::bad("no `--region` given, and no terminal to ask on")
            .hint(format!(
                "say where the site is: `mirror site add {name} {} --region CN` (an ISO 3166 country code, or `global`)",
                args.url
            ))
            .into());
    }
    let path = app.ctx.user_catalog_dir().join(format!("{name}.toml"));
    let exists = path.symlink_metadata().is_ok();
    let builtin = Catalog::builtin()?.get(name).is_some();
    if !args.force && !app.args.dry_run {
        if exists {
            return Err(Problem::bad(format!("`{name}` already has a site file, `{}`", path.display()))
                .hint(format!(
                    "`--force` probes again and replaces it; `mirror site remove {name}` removes it; or pick another name"
                ))
                .into());
        }
        if builtin {
            return Err(Problem::bad(format!(
                "`{name}` is a built-in site; a site file of that name would replace it"
            ))
            .hint("pick another name, or add `--force` to replace the built-in site with this mirror")
            .into());
        }
    }

    let host = app.host()?;
    let opts = Options::new(app.args.timeout, app.args.max_lag);
    let bar = app.out.progress(0, "probing");
    let progress = |event: Event| match event {
        Event::More => bar.inc_length(1),
        Event::Done => bar.inc(1),
    };
    let found = discover::discover(&app.ctx, &host, &site, args.allow_http, &opts, &progress);
    bar.finish_and_clear();
    let found = found?;
    show_details(app, &found);
    if found.findings.iter().flat_map(|f| &f.tried).any(|t| t.status == Status::Slow) {
        app.out.warn(&format!(
            "some probes had no full answer within `--timeout` ({}): what they would have found is not counted; \
             run again with a larger `--timeout`",
            human_ms(app.args.timeout)
        ));
    }

    let mut report = AddReport {
        site: name,
        url: &site.base,
        file: &path,
        dry_run: app.args.dry_run,
        written: false,
        region: given_region.as_deref(),
        results: &found.findings,
        contents: None,
    };
    if !found.any_found() {
        print_findings(app, &found, false)?;
        if app.args.json {
            app.out.json(&report)?;
        }
        let left_out = found.findings.iter().any(|f| f.verdict == Verdict::LeftOut);
        let hint = if left_out {
            "what answered is served over plain http: add `--allow-http` if the network is trusted"
        } else {
            "give the site's root, the folder that holds `debian/`, `pypi/`, …; `-v` shows every request; \
             a mirror on paths of its own can be described by hand (see `mirrors/README.md`)"
        };
        return Err(Problem::failed(format!(
            "found nothing at `{}` that a package manager could use; nothing was written",
            site.base
        ))
        .hint(hint)
        .into());
    }
    print_findings(app, &found, app.args.dry_run)?;

    let region = match given_region.clone() {
        Some(r) => r,
        None => app.out.ask(&format!("region of `{name}` (a country code like CN or DE, or global)"), region)?,
    };
    let date = chrono::DateTime::<chrono::Utc>::from(app.ctx.now).format("%Y-%m-%d").to_string();
    let command = command_line(name, &site, args.allow_http, &region);
    let input = FileInput { id: name, region: &region, allow_http: args.allow_http, date: &date, command: &command };
    let text = discover::render(&found, &input, &host);
    // The same loader as every other site file: what is written loads.
    let written = catalog::parse_site(&path, &text, Origin::User(path.clone()))
        .map_err(|e| e.context(Problem::failed("the site file `mirror` made does not load; nothing was written")))?;

    report.region = Some(&region);
    report.contents = Some(&text);
    if app.args.dry_run {
        if app.args.json {
            app.out.json(&report)?;
        } else {
            app.out.data(&text)?;
        }
        let replaces = if exists { " (it exists: `--force` replaces it)" } else { "" };
        app.out.talk(&format!("dry run: `{}` was not written{replaces}", path.display()));
        return Ok(ExitStatus::Success);
    }
    let new = NewFile {
        owner: app.ctx.sudo_user.as_ref(),
        mode: Some(0o644),
        root: Some(&app.ctx.root),
        ..NewFile::default()
    };
    fsx::write_atomic(&path, text.as_bytes(), new)?;
    report.written = true;
    if app.args.json {
        app.out.json(&report)?;
    }
    after_writing(app, &written, &path, args.allow_http);
    Ok(ExitStatus::Success)
}

/// What to say once the file is written.
fn after_writing(app: &App, site: &Site, path: &Path, allow_http: bool) {
    let targets: Vec<&str> = TargetKind::ALL.into_iter().filter(|t| t.served_by(site)).map(TargetKind::name).collect();
    app.out.talk(&format!("wrote `{}`: `{}` serves {}", path.display(), site.id, targets.join(", ")));
    if site.allow_http {
        let (repos, feed) = site.trusting_http();
        let risk = if repos.is_empty() {
            // Only the status feed: what it says decides freshness, not what gets installed.
            "anyone on the network path can change what `mirror` believes of the site's freshness"
        } else {
            "anyone on the network path can change what gets installed"
        };
        app.out.warn(&format!(
            "`--allow-http`: `{}` is used over plain http by {}. They trust whatever it returns: {risk}. Keep it so \
             only on a network you trust",
            site.id,
            discover::trusting_http(&repos, feed)
        ));
    } else if allow_http {
        app.out.talk("note: nothing this site serves needs `--allow-http`; the file does not allow plain http");
    }
    if app.ctx.catalog.is_some() {
        app.out.warn(&format!(
            "`--catalog` (or `MIRROR_CATALOG`) replaces the catalog: `{}` is not used while it is set",
            site.id
        ));
    }
    app.out.talk(&format!("next: `mirror bench --site {0}`, `mirror use {0}`", site.id));
}

/// The command line that wrote the file, for its comment.
fn command_line(name: &str, site: &SiteUrl, allow_http: bool, region: &str) -> String {
    let http = if allow_http { " --allow-http" } else { "" };
    format!("mirror site add {name} {}/{http} --region {region}", site.base)
}

fn print_findings(app: &App, found: &Discovery, to_stderr: bool) -> Result<()> {
    if app.args.json {
        return Ok(());
    }
    let rows: Vec<Vec<String>> = found
        .findings
        .iter()
        .map(|f| {
            let status = match f.verdict {
                Verdict::Found => app.out.green("found"),
                Verdict::NotFound => app.out.dim("not found"),
                Verdict::LeftOut => app.out.yellow("left out"),
            };
            vec![f.key.clone(), status, f.url.clone().unwrap_or_else(|| "-".into()), f.reason.clone()]
        })
        .collect();
    let text = table(&["REPOSITORY", "STATUS", "URL", "WHY"], &rows);
    if to_stderr {
        app.out.talk(text.trim_end());
        Ok(())
    } else {
        app.out.data(&text)
    }
}

/// `-v`: every request of every candidate.
fn show_details(app: &App, found: &Discovery) {
    for f in &found.findings {
        for t in &f.tried {
            app.out.detail(&format!("{} {}: {} ({})", f.key, t.url, t.status.name(), t.reason));
            for d in &t.details {
                app.out.detail(&format!("  {d}"));
            }
        }
    }
}

/// A site id: `[a-z0-9-]+`, not one `mirror use` gives a meaning.
fn check_name(name: &str) -> Result<&str> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(Problem::bad(format!("`{name}` is not a site name: use lowercase letters, digits and `-`"))
            .hint("for example `mirror site add lab-mirror https://mirror.lab.example/`")
            .into());
    }
    if name == "best" || name == UPSTREAM {
        return Err(Problem::bad(format!(
            "`{name}` cannot name a site of your own: `mirror use {name}` means something else"
        ))
        .hint("pick another name, such as `lab` or `campus`")
        .into());
    }
    Ok(name)
}

/// `CN` (any case) or `global`.
fn region(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("global") {
        Ok("global".into())
    } else if t.len() == 2 && t.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(t.to_ascii_uppercase())
    } else {
        Err(format!("`{t}` is not a region: give an ISO 3166 country code such as `CN` or `DE`, or `global`"))
    }
}

/// `site list --json`.
#[derive(Serialize)]
struct Listing {
    dir: PathBuf,
    sites: Vec<ListRow>,
    /// Files that do not load, with the error.
    invalid: Vec<Invalid>,
}

#[derive(Serialize)]
struct ListRow {
    id: String,
    name: String,
    region: String,
    file: PathBuf,
    targets: Vec<TargetKind>,
    repos: serde_json::Map<String, serde_json::Value>,
    /// The built-in site of the same id that this file replaces.
    replaces_builtin: bool,
}

#[derive(Serialize)]
struct Invalid {
    file: PathBuf,
    error: String,
}

fn list(app: &App) -> Result<ExitStatus> {
    let dir = app.ctx.user_catalog_dir();
    let files = if dir.is_dir() { catalog::site_files(&dir)? } else { Vec::new() };
    let builtin = Catalog::builtin()?;
    let mut listing = Listing { dir, sites: Vec::new(), invalid: Vec::new() };
    for file in files {
        match catalog::read_site(&file, Origin::User) {
            Ok(site) => listing.sites.push(ListRow {
                targets: TargetKind::ALL.into_iter().filter(|t| t.served_by(&site)).collect(),
                repos: catalog::Repo::ALL
                    .into_iter()
                    .filter_map(|r| Some((r.key().to_owned(), site.repo(r)?.into())))
                    .collect(),
                replaces_builtin: builtin.get(&site.id).is_some(),
                id: site.id,
                name: site.name,
                region: site.region,
                file,
            }),
            Err(e) => listing.invalid.push(Invalid { file, error: crate::error::render(&e).trim_end().to_owned() }),
        }
    }
    let dir = listing.dir.display().to_string();
    if app.args.json {
        app.out.json(&listing)?;
    } else if listing.sites.is_empty() && listing.invalid.is_empty() {
        app.out.talk(&format!("no site files of your own in `{dir}`; add one with `mirror site add NAME URL`"));
    } else {
        let rows: Vec<Vec<String>> = listing
            .sites
            .iter()
            .map(|s| {
                let targets: Vec<&str> = s.targets.iter().map(|t| t.name()).collect();
                let name = if s.replaces_builtin {
                    format!("{} {}", s.name, app.out.yellow("(replaces the built-in site)"))
                } else {
                    s.name.clone()
                };
                vec![app.out.bold(&s.id), name, s.region.clone(), targets.join(" ")]
            })
            .collect();
        app.out.data(&table(&["SITE", "NAME", "REGION", "TARGETS"], &rows))?;
        app.out.talk(&format!("site files in `{dir}`"));
        for bad in &listing.invalid {
            app.out.warn(&bad.error);
        }
    }
    if listing.invalid.is_empty() {
        return Ok(ExitStatus::Success);
    }
    Err(Problem::bad(format!(
        "{} of your site files in `{dir}` cannot be loaded, and every command that reads the catalog stops on them",
        listing.invalid.len()
    ))
    .hint("fix them by hand (see `mirrors/README.md`), or remove them with `mirror site remove NAME`")
    .into())
}

/// `site remove --json`.
#[derive(Serialize)]
struct Removal<'a> {
    site: &'a str,
    file: &'a Path,
    dry_run: bool,
    removed: bool,
    /// Targets configured for the site now: they keep their URL, which no site names any more.
    still_used_by: Vec<TargetKind>,
}

fn remove(app: &App, args: &SiteRemoveArgs) -> Result<ExitStatus> {
    let name = check_name(&args.name)?;
    let dir = app.ctx.user_catalog_dir();
    let path = dir.join(format!("{name}.toml"));
    if path.symlink_metadata().is_err() {
        let problem = if Catalog::builtin()?.get(name).is_some() {
            Problem::bad(format!("`{name}` is a built-in site, not a site file of your own; it cannot be removed"))
                .hint("built-in sites are only used when you name them; `mirror site list` shows your own")
        } else {
            Problem::bad(format!("no site file `{name}.toml` in `{}`", dir.display()))
                .hint("`mirror site list` shows your own sites")
        };
        return Err(problem.into());
    }
    let still_used_by = users_of(app, &path, name);
    for t in &still_used_by {
        app.out.warn(&format!(
            "{t} points at `{name}` now and keeps its URL; switch it with `mirror use <SITE> {t}` or `mirror restore`"
        ));
    }
    let mut report = Removal { site: name, file: &path, dry_run: app.args.dry_run, removed: false, still_used_by };
    if !app.args.dry_run {
        fsx::remove(&path)?;
        report.removed = true;
    }
    if app.args.json {
        app.out.json(&report)?;
    } else if report.removed {
        app.out.talk(&format!("removed `{}`", path.display()));
        if Catalog::builtin()?.get(name).is_some() {
            app.out.talk(&format!("the built-in site `{name}` is used again"));
        }
    } else {
        app.out.talk(&format!("dry run: would remove `{}`", path.display()));
    }
    Ok(ExitStatus::Success)
}

/// The targets configured for the site in `path` now (none when it does not load).
fn users_of(app: &App, path: &Path, name: &str) -> Vec<TargetKind> {
    let (Ok(one), Ok(host)) = (Catalog::from_path(path), app.host()) else {
        return Vec::new();
    };
    TargetKind::ALL
        .into_iter()
        .filter(|t| state::read_status(app, &one, &host, *t).site.as_deref() == Some(name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_regions() {
        assert_eq!(check_name("lab-2").unwrap(), "lab-2");
        for bad in ["Lab", "lab.mirror", "", "a/b", "best", "upstream"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert_eq!(region("cn"), Ok("CN".into()));
        assert_eq!(region(" Global "), Ok("global".into()));
        for bad in ["China", "C", "C1", ""] {
            assert!(region(bad).unwrap_err().contains("is not a region"), "{bad}");
        }
    }
}
