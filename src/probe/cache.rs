//! The results of recent runs, kept in `ctx.bench_cache()` so `use best` need not probe again.
//!
//! One JSON file: `{"version":3,"entries":[{"measured_at","host","sites","candidates",
//! "max_lag_seconds","timeout_ms","report":{"target","best","results"}}]}`. An entry is one
//! target measured on one host with one `--site` filter, `--max-lag` and `--timeout` over one
//! set of candidates; a newer run replaces it. Entries older than a week are dropped.
//!
//! `candidates` fingerprints the sites that were ranked: their ids and repository URLs.
//! Results are reused only while the catalog in effect (`--catalog`, the user's site files)
//! still gives the same ones, so a changed catalog is probed afresh.

use std::time::{Duration, UNIX_EPOCH};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use super::{Options, Report, TargetReport};
use crate::catalog::Catalog;
use crate::context::Context;
use crate::fsx::{self, NewFile};
use crate::targets::Host;

const VERSION: u32 = 3;
const KEEP: u64 = 7 * 86_400;

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    /// Unix seconds.
    measured_at: u64,
    /// Distribution, codename and architecture: apt and pacman results depend on them.
    host: String,
    /// The `--site` filter (sorted; empty: the whole catalog).
    sites: Vec<String>,
    /// [`fingerprint`] of the ranked sites' ids and URLs.
    candidates: String,
    max_lag_seconds: u64,
    /// `--timeout`: a longer one may find sites a shorter one called slow or failed.
    timeout_ms: u64,
    report: TargetReport,
}

fn now_secs(ctx: &Context) -> u64 {
    ctx.now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn host_key(host: &Host) -> String {
    format!(
        "{} {} {}",
        if host.id.is_empty() { "-" } else { &host.id },
        host.codename.as_deref().unwrap_or("-"),
        host.arch
    )
}

/// A stable fingerprint (64-bit FNV-1a, hex) of `(site id, repository URL)` pairs, in any
/// order. Written out here because std's hasher may change between Rust releases.
fn fingerprint<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (id, url) in pairs {
        // A 0 byte ends each field: ids and URLs never hold one.
        for b in id.bytes().chain([0]).chain(url.bytes()).chain([0]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// The fingerprint of what `report` ranked.
fn ranked(report: &TargetReport) -> String {
    fingerprint(report.results.iter().map(|r| (r.site.as_str(), r.url.as_str())))
}

fn read(ctx: &Context) -> CacheFile {
    std::fs::read(ctx.bench_cache())
        .ok()
        .and_then(|bytes| serde_json::from_slice::<CacheFile>(&bytes).ok())
        .filter(|c| c.version == VERSION)
        .unwrap_or_default()
}

/// Merges `report` into the cache, stamped with `ctx.now`.
pub fn save(ctx: &Context, host: &Host, opts: &Options, report: &Report) -> Result<()> {
    let now = now_secs(ctx);
    let host = host_key(host);
    let mut cache = read(ctx);
    cache.version = VERSION;
    cache.entries.retain(|e| e.measured_at + KEEP >= now && e.measured_at <= now + 60);
    for t in &report.targets {
        let candidates = ranked(t);
        cache.entries.retain(|e| {
            !(e.report.target == t.target
                && e.host == host
                && e.sites == opts.sites
                && e.candidates == candidates
                && e.max_lag_seconds == opts.max_lag.as_secs()
                && e.timeout_ms == timeout_ms(opts))
        });
        cache.entries.push(Entry {
            measured_at: now,
            host: host.clone(),
            sites: opts.sites.clone(),
            candidates,
            max_lag_seconds: opts.max_lag.as_secs(),
            timeout_ms: timeout_ms(opts),
            report: t.clone(),
        });
    }
    let mut text = serde_json::to_string_pretty(&cache)?;
    text.push('\n');
    let path = ctx.bench_cache();
    fsx::write_atomic(
        &path,
        text.as_bytes(),
        NewFile { owner: ctx.sudo_user.as_ref(), mode: Some(0o644), ..NewFile::default() },
    )
    .with_context(|| format!("could not keep the results in `{}`", path.display()))
}

fn timeout_ms(opts: &Options) -> u64 {
    u64::try_from(opts.timeout.as_millis()).unwrap_or(u64::MAX)
}

/// Cached results no older than `max_age` for this host, `--site` filter, `--max-lag` and
/// `--timeout`, and for the sites and URLs the catalog in effect (`Catalog::load(ctx)`)
/// gives now.
pub fn load_recent(ctx: &Context, catalog: &Catalog, host: &Host, opts: &Options, max_age: Duration) -> Option<Report> {
    let now = now_secs(ctx);
    let key = host_key(host);
    let cache = read(ctx);
    let mut current: Vec<(crate::targets::TargetKind, String)> = Vec::new();
    let mut report = Report::default();
    for e in cache.entries {
        let fresh = e.measured_at <= now + 60 && now.saturating_sub(e.measured_at) <= max_age.as_secs();
        let same_options =
            e.sites == opts.sites && e.max_lag_seconds == opts.max_lag.as_secs() && e.timeout_ms == timeout_ms(opts);
        if !(fresh && e.host == key && same_options) {
            continue;
        }
        let target = e.report.target;
        let candidates = match current.iter().find(|(t, _)| *t == target) {
            Some((_, c)) => c.clone(),
            None => {
                let pairs = super::candidates(catalog, host, target, opts).ok()?;
                let c = fingerprint(pairs.iter().map(|(id, url)| (id.as_str(), url.as_str())));
                current.push((target, c.clone()));
                c
            }
        };
        if e.candidates == candidates {
            report.targets.retain(|t| t.target != target);
            report.targets.push(e.report);
        }
    }
    report.targets.sort_by_key(|t| t.target);
    (!report.targets.is_empty()).then_some(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Overrides;
    use crate::probe::{ProbeResult, Status};
    use crate::targets::TargetKind;
    use std::collections::BTreeMap;
    use std::ffi::OsString;
    use std::path::Path;

    const SITES: [&str; 3] = ["bfsu", "tuna", "ustc"];

    /// `load_recent` with the catalog the context names (none when it does not load).
    fn recent(ctx: &Context, host: &Host, opts: &Options, max_age: Duration) -> Option<Report> {
        load_recent(ctx, &Catalog::load(ctx).ok()?, host, opts, max_age)
    }

    fn ctx(dir: &Path, now: u64) -> Context {
        let map: BTreeMap<&str, OsString> = [
            ("HOME", dir.as_os_str().to_owned()),
            ("MIRROR_CATALOG", dir.join("catalog").into_os_string()),
            ("MIRROR_TEST_NOW", now.to_string().into()),
        ]
        .into();
        Context::from_vars(&Overrides::default(), |n| map.get(n).cloned()).unwrap()
    }

    /// Writes the site file of `id`, its PyPI index at `pypi`.
    fn site(dir: &Path, id: &str, pypi: &str) {
        let text = format!(
            "id = \"{id}\"\nname = \"{id}\"\nhomepage = \"https://{id}.example/\"\nregion = \"CN\"\n\
             base = \"https://{id}.example\"\n[repos]\ndebian = \"{{base}}/debian\"\npypi = \"{{base}}/{pypi}\"\n"
        );
        std::fs::create_dir_all(dir.join("catalog")).unwrap();
        std::fs::write(dir.join("catalog").join(format!("{id}.toml")), text).unwrap();
    }

    fn catalog(dir: &Path) {
        for id in SITES {
            site(dir, id, "pypi/web/simple");
        }
    }

    /// What `bench` reports for `target` over `sites` with `best` first.
    fn report_of(target: TargetKind, best: &str, sites: &[&str]) -> Report {
        let path = if target == TargetKind::Apt { "debian" } else { "pypi/web/simple" };
        let mut ids: Vec<&str> = sites.to_vec();
        ids.sort_by_key(|id| *id != best);
        Report {
            measured_at: None,
            targets: vec![TargetReport {
                target,
                best: Some(best.into()),
                results: ids
                    .iter()
                    .map(|id| ProbeResult {
                        site: (*id).into(),
                        url: format!("https://{id}.example/{path}"),
                        status: Status::Ok,
                        latency_ms: Some(3),
                        throughput_bps: None,
                        lag_seconds: Some(0),
                        reason: "lowest latency 3 ms".into(),
                        details: Vec::new(),
                    })
                    .collect(),
            }],
            cost: None,
        }
    }

    fn report(target: TargetKind, best: &str) -> Report {
        report_of(target, best, &SITES)
    }

    fn host() -> Host {
        Host { id: "debian".into(), codename: Some("bookworm".into()), arch: "amd64".into(), ..Host::default() }
    }

    #[test]
    fn saves_merges_and_expires() {
        let dir = tempfile::tempdir().unwrap();
        catalog(dir.path());
        let host = host();
        let opts = Options::new(Duration::from_secs(3), Duration::from_secs(86_400));
        let hour = Duration::from_secs(3600);

        assert!(recent(&ctx(dir.path(), 1000), &host, &opts, hour).is_none());
        save(&ctx(dir.path(), 1000), &host, &opts, &report(TargetKind::Pip, "tuna")).unwrap();
        save(&ctx(dir.path(), 2000), &host, &opts, &report(TargetKind::Apt, "ustc")).unwrap();
        save(&ctx(dir.path(), 2500), &host, &opts, &report(TargetKind::Pip, "bfsu")).unwrap();

        let r = recent(&ctx(dir.path(), 3000), &host, &opts, hour).unwrap();
        assert_eq!(r.best(TargetKind::Apt), Some("ustc"));
        assert_eq!(r.best(TargetKind::Pip), Some("bfsu"));
        // Too old for one target only.
        let r = recent(&ctx(dir.path(), 2000 + 3601), &host, &opts, hour).unwrap();
        assert_eq!(r.best(TargetKind::Apt), None);
        assert_eq!(r.best(TargetKind::Pip), Some("bfsu"));
        // Another host, another filter, another max-lag: not reused.
        let other = Host { arch: "arm64".into(), ..host.clone() };
        assert!(recent(&ctx(dir.path(), 3000), &other, &opts, hour).is_none());
        let filtered = opts.clone().with_sites(&["tuna".into()]);
        assert!(recent(&ctx(dir.path(), 3000), &host, &filtered, hour).is_none());
        let strict = Options { max_lag: hour, ..opts.clone() };
        assert!(recent(&ctx(dir.path(), 3000), &host, &strict, hour).is_none());
        // Another timeout: a longer one may find what a shorter one called slow.
        let patient = Options { timeout: Duration::from_secs(10), ..opts.clone() };
        assert!(recent(&ctx(dir.path(), 3000), &host, &patient, hour).is_none());
        // A filtered run is kept under its filter.
        save(&ctx(dir.path(), 3000), &host, &filtered, &report_of(TargetKind::Pip, "tuna", &["tuna"])).unwrap();
        let r = recent(&ctx(dir.path(), 3000), &host, &filtered, hour).unwrap();
        assert_eq!(r.best(TargetKind::Pip), Some("tuna"));
        // ... and not reused once the filter names a site the catalog lacks.
        let unknown = opts.clone().with_sites(&["tuna".into(), "nosuch".into()]);
        assert!(recent(&ctx(dir.path(), 3000), &host, &unknown, hour).is_none());
        // A garbled cache is ignored, then replaced.
        std::fs::write(ctx(dir.path(), 0).bench_cache(), "{not json").unwrap();
        assert!(recent(&ctx(dir.path(), 3000), &host, &opts, hour).is_none());
        save(&ctx(dir.path(), 3000), &host, &opts, &report(TargetKind::Uv, "ustc")).unwrap();
        let r = recent(&ctx(dir.path(), 3000), &host, &opts, hour).unwrap();
        assert_eq!(r.targets.len(), 1);
    }

    #[test]
    fn results_of_other_sites_or_urls_are_not_reused() {
        let dir = tempfile::tempdir().unwrap();
        catalog(dir.path());
        let host = host();
        let opts = Options::new(Duration::from_secs(3), Duration::from_secs(86_400));
        let hour = Duration::from_secs(3600);
        let at = |now| ctx(dir.path(), now);
        save(&at(1000), &host, &opts, &report(TargetKind::Pip, "tuna")).unwrap();
        save(&at(1000), &host, &opts, &report(TargetKind::Apt, "ustc")).unwrap();
        let both = |now| {
            recent(&at(now), &host, &opts, hour)
                .map(|r| (r.best(TargetKind::Pip).map(str::to_owned), r.best(TargetKind::Apt).map(str::to_owned)))
        };
        let all = Some((Some("tuna".to_owned()), Some("ustc".to_owned())));
        assert_eq!(both(1100), all);

        // One site's PyPI URL changed: the pip results are stale, apt's still hold.
        site(dir.path(), "bfsu", "pypi/simple");
        assert_eq!(both(1100), Some((None, Some("ustc".to_owned()))));
        // Changed back: the kept results are good again.
        site(dir.path(), "bfsu", "pypi/web/simple");
        assert_eq!(both(1100), all);
        // A site added, or one gone: nothing was measured over this catalog.
        site(dir.path(), "nju", "pypi/web/simple");
        assert_eq!(both(1100), None);
        std::fs::remove_file(dir.path().join("catalog/nju.toml")).unwrap();
        std::fs::remove_file(dir.path().join("catalog/bfsu.toml")).unwrap();
        assert_eq!(both(1100), None);
        // A catalog that does not load vouches for nothing.
        std::fs::remove_dir_all(dir.path().join("catalog")).unwrap();
        assert_eq!(both(1100), None);
    }

    #[test]
    fn the_fingerprint_is_stable_and_order_free() {
        let a = fingerprint([("tuna", "https://t/pypi"), ("ustc", "https://u/pypi")]);
        assert_eq!(a, fingerprint([("ustc", "https://u/pypi"), ("tuna", "https://t/pypi")]));
        assert_ne!(a, fingerprint([("tuna", "https://t/pypi"), ("ustc", "https://u/pypi2")]));
        assert_ne!(fingerprint([("ab", "c")]), fingerprint([("a", "bc")]));
        // Fixed across builds and Rust releases: FNV-1a of "" is its offset basis.
        assert_eq!(fingerprint([]), "cbf29ce484222325");
        assert_eq!(a.len(), 16);
    }
}
