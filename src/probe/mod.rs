//! Probing and ranking mirror sites (`mirror bench`, `mirror use best`, `status --check`).
//!
//! # API
//!
//! ```text
//! probe::bench(ctx, catalog, host, targets, &Options) -> Result<Report>
//!     Probes every catalog site (or `Options::sites`) serving each target on this host and
//!     ranks them. Errors only on bad input (an unknown `--site` id: exit 2). A target that
//!     no site serves gets an empty `results` and `best: None`.
//! probe::bench_with_progress(.., progress: &dyn Fn(Event)) -> Result<Report>
//!     The same, reporting work done for a progress bar (`Event::More` / `Event::Done`).
//! probe::check(ctx, host, target, url, reference: Option<&Site>, &Options) -> ProbeResult
//!     Probes one configured repository URL (need not be a catalog site; `sparse+` and
//!     trailing slashes are accepted). `reference` (pass the catalog's `upstream`) is probed
//!     alongside as the freshness baseline; throughput is sampled for `url` only.
//! probe::save(ctx, host, &Options, &Report) -> Result<()>
//!     Merges a report into the cache `ctx.bench_cache()` with the time `ctx.now`.
//! probe::load_recent(ctx, catalog, host, &Options, max_age) -> Option<Report>
//!     The cached results no older than `max_age`, measured on the same host with the same
//!     `--site` filter and `--max-lag`, of the same candidate sites at the same repository
//!     URLs as the catalog `ctx` names (`Catalog::load(ctx)`) gives now; targets never
//!     benched (or benched on other sites) are absent.
//! Report::best(target) -> Option<&str>         the best site id, if any is usable
//! Report::target(target) -> Option<&TargetReport>
//! ```
//!
//! `use best` (reusing results up to an hour old unless `--refresh`): see `commands::best`.
//!
//! `Report` serialises exactly as `bench --json` (spec §6): `{"targets":[{"target","best",
//! "results":[{"site","url","status","latency_ms","throughput_bps","lag_seconds","reason"}]}]}`.
//!
//! # How a run goes
//!
//! 1. **Plan** ([`plan`]): per (site, target), the requests a package manager really makes
//!    (`InRelease`, `core.db`, a simple page, `config.json`, `/v2/`, …) and the target's
//!    freshness signal, built from the site's repository URL and the host. pip and uv share
//!    one probe.
//! 2. **Probe** ([`engine`]): all probes at once, at most [`Options::per_host`] per
//!    `host:port` and [`Options::concurrency`] in all, `User-Agent: mirror/<version>`.
//!    Each request reads at most its byte budget (4-16 KiB ranges, 64 KiB whole files) and
//!    every probe ends within `--timeout` of the start, whatever the server does (hang,
//!    drip, endless body, redirect loop). Redirects are followed and the final answer is
//!    judged: status, size, format. Status feeds (tunasync.json, mirrorz.json) are fetched
//!    alongside. **Cut-off**: once [`Options::finalists`] sites of a target have answered
//!    and are fresh so far, at time t, the others get until `max(2t, t + 300 ms)` and are
//!    then reported failed ("no answer before the cut-off").
//! 3. **Freshness** ([`rank::lags`]): each site's lag behind the freshest reading of the
//!    same kind in the run; a status feed adds the time since the last successful sync.
//! 4. **Throughput**: the [`Options::finalists`] fresh sites with the lowest latency are
//!    sampled one at a time (≤ 1 MiB or ≤ 400 ms each, sooner once the rate is steady; the
//!    whole phase ≤ `--timeout`), on an object the package manager really downloads
//!    (`Packages.xz`, `extra.db`, …). Only a wrong answer to the sample (an HTTP error, the
//!    wrong format) changes a site's verdict; a finalist the phase had no time for, or whose
//!    transfer broke off, keeps it, with no throughput and `not sampled: …` in its reason.
//! 5. **Rank** ([`rank::rank`]): failed, throttled and stale sink; among the rest the
//!    sampled sites first by throughput, then the others by latency; each row says why.
//!
//! Latency is the time to the answer of a probe's last request (on the connection its first
//! request opened, when the server keeps it alive); `-v` also shows the first, which
//! includes connection setup. Throughput excludes connection setup and time to first byte.
//! A whole run takes at most about twice `--timeout`.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::catalog::{Catalog, Site};
use crate::context::Context;
use crate::targets::{Host, TargetKind};

mod cache;
pub mod engine;
pub mod plan;
pub mod rank;
pub mod signals;

pub use cache::{load_recent, save};
pub use engine::Event;
pub use rank::{ProbeResult, Status};

use engine::{Engine, FetchError, Job, SampleError};
use plan::{Family, Plan};
use rank::{FeedView, Measured, Outcome};

/// Sent with every request.
pub const USER_AGENT: &str = concat!("mirror/", env!("CARGO_PKG_VERSION"));
/// Most bytes read from a small file read whole (trace, `lastupdate`, `config.json`).
pub const SMALL_BUDGET: usize = 64 * 1024;
/// Most bytes read from a status feed.
pub const FEED_BUDGET: usize = 2 * 1024 * 1024;
/// The id under which `check` reports the configured URL.
pub const CONFIGURED: &str = "configured";

/// How a run probes. `Options::new` gives the defaults; tests and callers may tune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `--timeout`: every probe ends within this much of the start of the run, and the
    /// throughput phase takes at most this much more.
    pub timeout: Duration,
    /// `--max-lag`: a site further behind is `stale`.
    pub max_lag: Duration,
    /// `--site`: only these site ids (empty: the whole catalog).
    pub sites: Vec<String>,
    /// How many sites per target get a throughput sample (and answer before the cut-off).
    pub finalists: usize,
    /// Requests in flight at once per `host:port`.
    pub per_host: usize,
    /// Requests in flight at once in all.
    pub concurrency: usize,
    /// Most bytes read by one throughput sample.
    pub sample_bytes: usize,
    /// Longest transfer time of one throughput sample.
    pub sample_time: Duration,
    /// The cut-off waits at least this long after the finalists answered ...
    pub cutoff_floor: Duration,
    /// ... and at least this many times as long as they took.
    pub cutoff_factor: u32,
    /// Use the proxy variables (`HTTPS_PROXY`, `NO_PROXY`, …). Off only in tests that probe
    /// loopback servers from inside the test process.
    pub proxy_from_env: bool,
}

impl Options {
    pub fn new(timeout: Duration, max_lag: Duration) -> Self {
        Self {
            timeout,
            max_lag,
            sites: Vec::new(),
            finalists: 3,
            per_host: 4,
            concurrency: 64,
            sample_bytes: 1 << 20,
            sample_time: Duration::from_millis(400),
            cutoff_floor: Duration::from_millis(300),
            cutoff_factor: 2,
            proxy_from_env: true,
        }
    }

    #[must_use]
    pub fn with_sites(mut self, sites: &[String]) -> Self {
        let set: BTreeSet<String> = sites.iter().map(|s| s.trim().to_owned()).collect();
        self.sites = set.into_iter().filter(|s| !s.is_empty()).collect();
        self
    }
}

/// The ranking of one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetReport {
    pub target: TargetKind,
    /// The first result when it is `ok`.
    pub best: Option<String>,
    /// Best first.
    pub results: Vec<ProbeResult>,
}

/// The outcome of a `bench` run; serialises as `bench --json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub targets: Vec<TargetReport>,
}

impl Report {
    pub fn target(&self, target: TargetKind) -> Option<&TargetReport> {
        self.targets.iter().find(|t| t.target == target)
    }

    /// The best usable site for `target`, if any.
    pub fn best(&self, target: TargetKind) -> Option<&str> {
        self.target(target)?.best.as_deref()
    }
}

/// Probes and ranks the catalog's sites for `targets` (see the module docs).
pub fn bench(ctx: &Context, catalog: &Catalog, host: &Host, targets: &[TargetKind], opts: &Options) -> Result<Report> {
    bench_with_progress(ctx, catalog, host, targets, opts, &|_| {})
}

/// [`bench()`], reporting progress.
pub fn bench_with_progress(
    ctx: &Context,
    catalog: &Catalog,
    host: &Host,
    targets: &[TargetKind],
    opts: &Options,
    progress: &dyn Fn(Event),
) -> Result<Report> {
    let sites = candidate_sites(catalog, opts)?;
    let mut families: Vec<(Family, TargetKind)> = Vec::new();
    for &t in targets {
        if !families.iter().any(|(f, _)| *f == Family::of(t)) {
            families.push((Family::of(t), t));
        }
    }
    let groups: Vec<Vec<Candidate>> = families
        .iter()
        .map(|(_, target)| {
            sites
                .iter()
                .filter_map(|site| {
                    Some(Candidate {
                        site: site.id.clone(),
                        plan: plan::plan(site, *target, host)?,
                        feeds: feeds_of(site),
                    })
                })
                .collect()
        })
        .collect();
    let ranked = run(ctx, groups, opts, progress, false)?;
    let report = Report {
        targets: targets
            .iter()
            .map(|t| {
                let g = families.iter().position(|(f, _)| *f == Family::of(*t)).expect("every target has a family");
                let results = ranked[g].clone();
                TargetReport { target: *t, best: best_of(&results), results }
            })
            .collect(),
    };
    Ok(report)
}

/// The catalog's sites a run considers: `Options::sites`, or all. Errors on an unknown id.
fn candidate_sites<'a>(catalog: &'a Catalog, opts: &Options) -> Result<Vec<&'a Site>> {
    if opts.sites.is_empty() {
        Ok(catalog.sites().collect())
    } else {
        opts.sites.iter().map(|id| catalog.require(id)).collect()
    }
}

/// The `(site id, repository URL)` a run would probe for `target` on `host`: the rows its
/// report would have.
fn candidates(catalog: &Catalog, host: &Host, target: TargetKind, opts: &Options) -> Result<Vec<(String, String)>> {
    Ok(candidate_sites(catalog, opts)?
        .into_iter()
        .filter_map(|site| Some((site.id.clone(), plan::plan(site, target, host)?.url)))
        .collect())
}

/// Probes one configured repository URL for `target` (see the module docs).
pub fn check(
    ctx: &Context,
    host: &Host,
    target: TargetKind,
    url: &str,
    reference: Option<&Site>,
    opts: &Options,
) -> ProbeResult {
    let configured = plan::plan_for_configured(target, host, url);
    let mut group = vec![Candidate { site: CONFIGURED.into(), plan: configured.clone(), feeds: Vec::new() }];
    if let Some(site) = reference
        && let Some(p) = plan::plan(site, target, host)
        && p.url != configured.url
    {
        group.push(Candidate { site: site.id.clone(), plan: p, feeds: feeds_of(site) });
    }
    let opts = Options {
        // No cut-off: both answers are wanted.
        finalists: usize::MAX,
        ..opts.clone()
    };
    let failed = |why: String| ProbeResult {
        site: CONFIGURED.into(),
        url: configured.url.clone(),
        status: Status::Failed,
        latency_ms: None,
        throughput_bps: None,
        lag_seconds: None,
        reason: why,
        details: Vec::new(),
    };
    match run(ctx, vec![group], &opts, &|_| {}, true) {
        Ok(mut ranked) => ranked
            .pop()
            .and_then(|rows| rows.into_iter().find(|r| r.site == CONFIGURED))
            .unwrap_or_else(|| failed("not probed".into())),
        Err(e) => failed(format!("could not probe: {e}")),
    }
}

fn best_of(results: &[ProbeResult]) -> Option<String> {
    results.first().filter(|r| r.status == Status::Ok).map(|r| r.site.clone())
}

/// A site's status feeds: (URL, format).
fn feeds_of(site: &Site) -> Vec<(String, FeedFormat)> {
    let mut feeds = Vec::new();
    if let Some(u) = &site.status.tunasync {
        feeds.push((u.clone(), FeedFormat::Tunasync));
    }
    if let Some(u) = &site.status.mirrorz {
        feeds.push((u.clone(), FeedFormat::Mirrorz));
    }
    feeds
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FeedFormat {
    Tunasync,
    Mirrorz,
}

struct Candidate {
    site: String,
    plan: Plan,
    feeds: Vec<(String, FeedFormat)>,
}

/// Probes the groups, samples the finalists and ranks each group.
fn run(
    ctx: &Context,
    groups: Vec<Vec<Candidate>>,
    opts: &Options,
    progress: &dyn Fn(Event),
    sample_first_only: bool,
) -> Result<Vec<Vec<ProbeResult>>> {
    let now = ctx.now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);

    // Jobs, and each distinct feed URL once.
    let mut jobs: Vec<Job> = Vec::new();
    let mut owners: Vec<(usize, usize)> = Vec::new();
    let mut feed_urls: Vec<String> = Vec::new();
    let mut job_feeds: Vec<Vec<(usize, FeedFormat)>> = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        for (c, cand) in group.iter().enumerate() {
            jobs.push(Job { group: g, plan: cand.plan.clone() });
            owners.push((g, c));
            let mut mine = Vec::new();
            for (url, format) in &cand.feeds {
                let f = match feed_urls.iter().position(|u| u == url) {
                    Some(f) => f,
                    None => {
                        feed_urls.push(url.clone());
                        feed_urls.len() - 1
                    }
                };
                mine.push((f, *format));
            }
            job_feeds.push(mine);
        }
    }
    for _ in &jobs {
        progress(Event::More);
    }

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let engine = Engine::new(opts.clone())?;
        let (probed, feed_texts) = engine.probe_all(&jobs, &feed_urls, progress).await;

        // Freshness per group, then what the feeds say.
        let mut measured: Vec<Vec<Measured>> = groups.iter().map(|_| Vec::new()).collect();
        let mut samples: Vec<Vec<Option<plan::Step>>> = groups.iter().map(|_| Vec::new()).collect();
        for (g, group) in groups.iter().enumerate() {
            let members: Vec<usize> = (0..jobs.len()).filter(|i| owners[*i].0 == g).collect();
            let inputs: Vec<(&[String], &[signals::Reading])> = members
                .iter()
                .map(|i| {
                    (
                        jobs[*i].plan.kinds.as_slice(),
                        if probed[*i].outcome == Outcome::Answered { probed[*i].readings.as_slice() } else { &[] },
                    )
                })
                .collect();
            let lags = rank::lags(&inputs);
            for (k, &i) in members.iter().enumerate() {
                let cand = &group[owners[i].1];
                let p = &probed[i];
                let feed = feed_view(&jobs[i].plan, &job_feeds[i], &feed_texts, now);
                let mut details = p.log.clone();
                if let (Some(first), Some(warm)) = (p.first, p.latency)
                    && p.log.len() > 1
                {
                    details.push(format!(
                        "first answer {} (with connection setup), last {}",
                        rank::human_ms(first),
                        rank::human_ms(warm)
                    ));
                }
                if let Some(f) = &feed {
                    details.push(format!(
                        "{}: {}{}",
                        f.source,
                        f.since_success.map_or("no success known".to_owned(), |s| format!(
                            "last success {} ago",
                            rank::human_lag(s)
                        )),
                        if f.failing { ", failing" } else { "" }
                    ));
                }
                measured[g].push(Measured {
                    site: cand.site.clone(),
                    url: cand.plan.url.clone(),
                    outcome: p.outcome.clone(),
                    latency: p.latency,
                    throughput: None,
                    unsampled: None,
                    lag: lags[k],
                    feed,
                    details,
                });
                samples[g].push(cand.plan.sample.clone());
            }
        }

        // Throughput: the freshest-so-fast finalists, one at a time.
        let sample_deadline = Instant::now() + opts.timeout;
        let mut planned: Vec<(usize, Vec<usize>)> = Vec::new();
        for (g, ms) in measured.iter().enumerate() {
            let mut order: Vec<usize> = (0..ms.len())
                .filter(|k| {
                    rank::classify(&ms[*k], opts.max_lag) == Status::Ok
                        && samples[g][*k].is_some()
                        && (!sample_first_only || *k == 0)
                })
                .collect();
            order.sort_by_key(|k| ms[*k].latency.unwrap_or(Duration::MAX));
            planned.push((g, order));
        }
        let wanted = |n: usize| n.min(opts.finalists).min(if sample_first_only { 1 } else { usize::MAX });
        let mut left: usize = planned.iter().map(|(_, o)| wanted(o.len())).sum();
        for _ in 0..left {
            progress(Event::More);
        }
        for (g, order) in planned {
            let want = wanted(order.len());
            let mut got = 0;
            for (attempt, &k) in order.iter().enumerate() {
                if got >= want || attempt >= want * 2 {
                    break;
                }
                let remaining = sample_deadline.saturating_duration_since(Instant::now());
                if remaining < Duration::from_millis(50) {
                    // The phase is over: this finalist and the group's others still waiting
                    // keep their verdict, unsampled.
                    for &k in order[attempt..].iter().take(want - got) {
                        let step = samples[g][k].as_ref().expect("filtered above");
                        let m = &mut measured[g][k];
                        m.details.push(format!("GET {} → not sampled: {}", step.url, engine::OUT_OF_TIME));
                        m.unsampled = Some(engine::OUT_OF_TIME.into());
                    }
                    break;
                }
                let window = opts.sample_time.min(remaining / u32::try_from(left.max(1)).unwrap_or(u32::MAX));
                let step = samples[g][k].as_ref().expect("filtered above");
                let m = &mut measured[g][k];
                match engine.sample(step, window, sample_deadline).await {
                    Ok((bps, bytes)) => {
                        m.throughput = Some(bps);
                        m.details.push(format!("GET {} → {bytes} bytes at {}", step.url, rank::human_rate(bps)));
                        got += 1;
                        left = left.saturating_sub(1);
                        progress(Event::Done);
                    }
                    // Not the site's fault as far as anyone knows: it keeps its verdict.
                    Err(SampleError::NotSampled(why)) => {
                        m.details.push(format!("GET {} → not sampled: {why}", step.url));
                        m.unsampled = Some(why);
                    }
                    Err(SampleError::Answer(e)) => {
                        m.details.push(format!("GET {} → {e}", step.url));
                        m.outcome = match e {
                            FetchError::Throttled(code) => Outcome::Throttled(code),
                            FetchError::Status(code) => {
                                Outcome::Failed(format!("throughput sample: HTTP {code} for {}", step.what))
                            }
                            FetchError::Failed(why) => Outcome::Failed(format!("throughput sample: {why}")),
                        };
                        m.latency = None;
                    }
                }
            }
        }
        for _ in 0..left {
            progress(Event::Done);
        }
        Ok(measured.iter().map(|ms| rank::rank(ms, opts.max_lag)).collect())
    })
}

/// What the site's feeds say about the plan's repository (the worse of them).
fn feed_view(plan: &Plan, feeds: &[(usize, FeedFormat)], texts: &[Option<String>], now: i64) -> Option<FeedView> {
    let names = signals::feed_names(plan.repo, &plan.url);
    feeds
        .iter()
        .filter_map(|(f, format)| {
            let text = texts.get(*f)?.as_deref()?;
            let entry = match format {
                FeedFormat::Tunasync => signals::tunasync(text, &names),
                FeedFormat::Mirrorz => signals::mirrorz(text, &names),
            }
            .ok()
            .flatten()?;
            Some(FeedView {
                source: entry.source,
                failing: entry.failing,
                since_success: entry.last_success.map(|t| now.saturating_sub(t).max(0) as u64),
            })
        })
        .max_by_key(|v| (v.failing && v.since_success.is_none(), v.since_success))
}
