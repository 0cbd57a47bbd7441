//! The results of recent runs, kept in `ctx.bench_cache()` so `use best` need not probe again.
//!
//! One JSON file: `{"version":1,"entries":[{"measured_at","host","sites","max_lag_seconds",
//! "report":{"target","best","results"}}]}`. An entry is one target measured on one host
//! with one `--site` filter; a newer run replaces it. Entries older than a week are dropped.

use std::time::{Duration, UNIX_EPOCH};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use super::{Options, Report, TargetReport};
use crate::context::Context;
use crate::fsx::{self, NewFile};
use crate::targets::Host;

const VERSION: u32 = 1;
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
    max_lag_seconds: u64,
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
        cache.entries.retain(|e| !(e.report.target == t.target && e.host == host && e.sites == opts.sites));
        cache.entries.push(Entry {
            measured_at: now,
            host: host.clone(),
            sites: opts.sites.clone(),
            max_lag_seconds: opts.max_lag.as_secs(),
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

/// Cached results no older than `max_age` for this host, `--site` filter and `--max-lag`.
pub fn load_recent(ctx: &Context, host: &Host, opts: &Options, max_age: Duration) -> Option<Report> {
    let now = now_secs(ctx);
    let host = host_key(host);
    let cache = read(ctx);
    let mut report = Report::default();
    for e in cache.entries {
        let fresh = e.measured_at <= now + 60 && now.saturating_sub(e.measured_at) <= max_age.as_secs();
        if fresh && e.host == host && e.sites == opts.sites && e.max_lag_seconds == opts.max_lag.as_secs() {
            report.targets.retain(|t| t.target != e.report.target);
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

    fn ctx(dir: &std::path::Path, now: u64) -> Context {
        let map: BTreeMap<&str, OsString> =
            [("HOME", dir.as_os_str().to_owned()), ("MIRROR_TEST_NOW", now.to_string().into())].into();
        Context::from_vars(&Overrides::default(), |n| map.get(n).cloned()).unwrap()
    }

    fn report(target: TargetKind, best: &str) -> Report {
        Report {
            targets: vec![TargetReport {
                target,
                best: Some(best.into()),
                results: vec![ProbeResult {
                    site: best.into(),
                    url: "https://m/x".into(),
                    status: Status::Ok,
                    latency_ms: Some(3),
                    throughput_bps: None,
                    lag_seconds: Some(0),
                    reason: "lowest latency 3 ms".into(),
                    details: Vec::new(),
                }],
            }],
        }
    }

    #[test]
    fn saves_merges_and_expires() {
        let dir = tempfile::tempdir().unwrap();
        let host =
            Host { id: "debian".into(), codename: Some("bookworm".into()), arch: "amd64".into(), ..Host::default() };
        let opts = Options::new(Duration::from_secs(3), Duration::from_secs(86_400));
        let hour = Duration::from_secs(3600);

        assert!(load_recent(&ctx(dir.path(), 1000), &host, &opts, hour).is_none());
        save(&ctx(dir.path(), 1000), &host, &opts, &report(TargetKind::Pip, "tuna")).unwrap();
        save(&ctx(dir.path(), 2000), &host, &opts, &report(TargetKind::Apt, "ustc")).unwrap();
        save(&ctx(dir.path(), 2500), &host, &opts, &report(TargetKind::Pip, "bfsu")).unwrap();

        let r = load_recent(&ctx(dir.path(), 3000), &host, &opts, hour).unwrap();
        assert_eq!(r.best(TargetKind::Apt), Some("ustc"));
        assert_eq!(r.best(TargetKind::Pip), Some("bfsu"));
        // Too old for one target only.
        let r = load_recent(&ctx(dir.path(), 2000 + 3601), &host, &opts, hour).unwrap();
        assert_eq!(r.best(TargetKind::Apt), None);
        assert_eq!(r.best(TargetKind::Pip), Some("bfsu"));
        // Another host, another filter, another max-lag: not reused.
        let other = Host { arch: "arm64".into(), ..host.clone() };
        assert!(load_recent(&ctx(dir.path(), 3000), &other, &opts, hour).is_none());
        let filtered = opts.clone().with_sites(&["tuna".into()]);
        assert!(load_recent(&ctx(dir.path(), 3000), &host, &filtered, hour).is_none());
        let strict = Options { max_lag: hour, ..opts.clone() };
        assert!(load_recent(&ctx(dir.path(), 3000), &host, &strict, hour).is_none());
        // A garbled cache is ignored, then replaced.
        std::fs::write(ctx(dir.path(), 0).bench_cache(), "{not json").unwrap();
        assert!(load_recent(&ctx(dir.path(), 3000), &host, &opts, hour).is_none());
        save(&ctx(dir.path(), 3000), &host, &opts, &report(TargetKind::Uv, "nju")).unwrap();
        let r = load_recent(&ctx(dir.path(), 3000), &host, &opts, hour).unwrap();
        assert_eq!(r.targets.len(), 1);
    }
}
