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
//! probe::check_all(ctx, host, &[(target, url)], reference: Option<&Site>, &Options) -> Vec<ProbeResult>
//!     Probes configured repository URLs (need not be catalog sites; `sparse+` and trailing
//!     slashes are accepted), all in one run. `reference` (pass the catalog's `upstream`) is
//!     probed beside each as the freshness baseline; throughput is sampled for the
//!     configured URLs only. No cut-off: a slow but healthy mirror is never called failed.
//! probe::discover(ctx, &[Plan], &Options, progress) -> Vec<ProbeResult>
//!     Judges candidate repository URLs (`mirror site add`), one result per plan, in order:
//!     every plan on its own answers (no ranking against others, no cut-off, no throughput
//!     sample), with the same rules for judging each answer as `bench`.
//! probe::fetch(ctx, &[url], &Options) -> Vec<Fetched>
//!     Reads small documents (status feeds) whole, concurrently, up to [`FEED_BUDGET`] each,
//!     all within `--timeout`; says for each whether the server answered at all.
//! probe::save(ctx, host, &Options, &Report) -> Result<()>
//!     Merges a report into the cache `ctx.bench_cache()` with the time `ctx.now`.
//! probe::load_recent(ctx, catalog, host, &Options, max_age) -> Option<Report>
//!     The cached results no older than `max_age`, measured on the same host with the same
//!     `--site` filter, `--max-lag` and `--timeout`, of the same candidate sites at the same
//!     repository URLs as the catalog gives now; targets never benched (or benched on other
//!     sites) are absent.
//! Report::best(target) -> Option<&str>         the best site id, if any is usable
//! Report::target(target) -> Option<&TargetReport>
//! ```
//!
//! `use best` (reusing results up to an hour old unless `--refresh`): see `commands::best`.
//!
//! `Report` serialises exactly as `bench --json` (spec §6): `{"measured_at","targets":[{"target",
//! "best","results":[{"site","url","status","latency_ms","throughput_bps","lag_seconds","reason"}]}]}`
//! (`measured_at`: when the run probed, RFC 3339 UTC; `use best --from` reads its age from it).
//!
//! # How a run goes
//!
//! 1. **Plan** ([`plan`]): per (site, target), the requests a package manager really makes
//!    (`InRelease`, `core.db`, a simple page, `config.json`, `/v2/`, …), the target's
//!    freshness signal and its bulk object, built from the site's repository URL and the
//!    host. pip and uv share one probe.
//! 2. **Probe, screen, finals** ([`engine`]): every candidate probed and screened at once
//!    (a short ranged read of its bulk object), at most [`Options::per_host`] requests in
//!    flight per host contacted; a cut-off once enough are screened; then the fastest few of
//!    each target sampled one at a time. See the module for the deadlines.
//! 3. **Freshness** ([`rank::lags`]): each site's lag behind the freshest reading of the
//!    same kind in the run; a status feed adds the time since the last successful sync.
//! 4. **Rank** ([`rank::rank`]): `ok` by throughput (finals, then screen), then `slow`,
//!    `stale`, `throttled`, `failed`; each row says why.
//!
//! Latency is the time to the answer of a probe's last request (on the connection its first
//! request opened, when the server keeps it alive); `-v` also shows the first, which
//! includes connection setup. Throughput excludes connection setup and time to first byte.
//! A whole run takes at most about twice `--timeout`.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, Site};
use crate::context::Context;
use crate::targets::{Host, TargetKind};

mod cache;
pub mod dns;
pub mod engine;
pub mod net;
pub mod plan;
pub mod rank;
pub mod signals;

pub use cache::{load_recent, save};
pub use engine::Event;
pub use rank::{ProbeResult, Status};

use engine::{Candidate, Measure, Outcomes, State};
use plan::{Family, Plan, Sample};
use rank::{FeedView, Measured, Outcome, Throughput, human_ms};
use signals::{Feed, FeedFormat};

/// Sent with every request.
pub const USER_AGENT: &str = concat!("mirror/", env!("CARGO_PKG_VERSION"));
/// Most bytes read from a small file read whole (trace, `lastupdate`, `config.json`).
pub const SMALL_BUDGET: usize = 64 * 1024;
/// Most bytes read from a status feed.
pub const FEED_BUDGET: usize = 1024 * 1024;
/// The id under which `check_all` reports a configured URL.
pub const CONFIGURED: &str = "configured";

/// How a run probes. `Options::new` gives the defaults; tests and callers may tune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `--timeout`: probing and screening end within this much of the start of the run, and
    /// the finals take at most this much more. Every request and DNS lookup is bounded by it.
    pub timeout: Duration,
    /// `--max-lag`: a site further behind is `stale`.
    pub max_lag: Duration,
    /// `--site`: only these site ids (empty: the whole catalog).
    pub sites: Vec<String>,
    /// How many screened, fresh sites of a target set its cut-off, and how many go to its
    /// finals.
    pub finalists: usize,
    /// Whether a target is cut off at all once `finalists` are screened (not for checks).
    pub cutoff: bool,
    /// Whether candidates are screened (checks sample their one URL in the finals only).
    pub screen: bool,
    /// Requests in flight at once per host contacted.
    pub per_host: usize,
    /// Requests in flight at once in all.
    pub concurrency: usize,
    /// Screens at once.
    pub screens: usize,
    /// Most bytes read by one screen.
    pub screen_bytes: usize,
    /// Longest transfer time of one screen (plus three latencies for the first byte).
    pub screen_time: Duration,
    /// Most bytes read by one final.
    pub sample_bytes: usize,
    /// Longest transfer time of one final (plus three latencies for the first byte).
    pub sample_time: Duration,
    /// The cut-off waits at least this long after the finalists were screened ...
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
            cutoff: true,
            screen: true,
            per_host: 6,
            concurrency: 64,
            screens: 6,
            screen_bytes: 128 << 10,
            screen_time: Duration::from_millis(300),
            sample_bytes: 1 << 20,
            sample_time: Duration::from_millis(400),
            cutoff_floor: Duration::from_millis(500),
            cutoff_factor: 3,
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
    /// The first result when it is `ok` (or `slow`, when no result is `ok`).
    pub best: Option<String>,
    /// Best first.
    pub results: Vec<ProbeResult>,
}

/// What a run cost, for `-v` and the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// Bytes read from the network (bodies and headers).
    pub bytes: u64,
    pub requests: u64,
    pub elapsed: Duration,
}

impl std::fmt::Display for Cost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "read {} in {} requests in {}",
            engine::human_bytes(usize::try_from(self.bytes).unwrap_or(usize::MAX)),
            self.requests,
            human_ms(self.elapsed)
        )
    }
}

/// The outcome of a `bench` run; serialises as `bench --json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// When the sites were probed (RFC 3339, UTC): how old a ranking is when another machine
    /// follows it (`use best --from`). Absent for results read back from the cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured_at: Option<String>,
    pub targets: Vec<TargetReport>,
    /// What probing cost (absent for cached results).
    #[serde(skip)]
    pub cost: Option<Cost>,
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
    let groups: Vec<Vec<Entry>> = families
        .iter()
        .map(|(_, target)| {
            sites
                .iter()
                .filter_map(|site| {
                    Some(Entry {
                        site: site.id.clone(),
                        plan: plan::plan(site, *target, host)?,
                        feeds: feeds_of(site),
                        sampled: true,
                    })
                })
                .collect()
        })
        .collect();
    let (ranked, cost) = run(ctx, groups, opts, progress)?;
    let report = Report {
        measured_at: Some(rfc3339(ctx.now)),
        targets: targets
            .iter()
            .map(|t| {
                let g = families.iter().position(|(f, _)| *f == Family::of(*t)).expect("every target has a family");
                let results = ranked[g].clone();
                TargetReport { target: *t, best: best_of(&results), results }
            })
            .collect(),
        cost: Some(cost),
    };
    Ok(report)
}

/// `time` as RFC 3339 in UTC, to the second (`2026-12-01T08:00:00Z`).
pub fn rfc3339(time: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(time).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
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

/// Probes configured repository URLs, one per target, in one run (see the module docs).
pub fn check_all(
    ctx: &Context,
    host: &Host,
    configured: &[(TargetKind, String)],
    reference: Option<&Site>,
    opts: &Options,
) -> Vec<ProbeResult> {
    let plans: Vec<Plan> = configured.iter().map(|(t, url)| plan::plan_for_configured(*t, host, url)).collect();
    let groups: Vec<Vec<Entry>> = configured
        .iter()
        .zip(&plans)
        .map(|((target, _), p)| {
            let mut group = vec![Entry { site: CONFIGURED.into(), plan: p.clone(), feeds: Vec::new(), sampled: true }];
            if let Some(site) = reference
                && let Some(r) = plan::plan(site, *target, host)
                && r.url != p.url
            {
                group.push(Entry { site: site.id.clone(), plan: r, feeds: feeds_of(site), sampled: false });
            }
            group
        })
        .collect();
    // No cut-off (both answers are wanted) and no screen: the one configured URL per target
    // is sampled in the finals.
    let opts = Options { cutoff: false, screen: false, finalists: 1, ..opts.clone() };
    let failed = |url: &str, why: String| failed_row(CONFIGURED, url, why);
    match run(ctx, groups, &opts, &|_| {}) {
        Ok((ranked, _)) => ranked
            .into_iter()
            .zip(&plans)
            .map(|(rows, p)| {
                rows.into_iter().find(|r| r.site == CONFIGURED).unwrap_or_else(|| failed(&p.url, "not probed".into()))
            })
            .collect(),
        Err(e) => plans.iter().map(|p| failed(&p.url, format!("could not probe: {e}"))).collect(),
    }
}

/// Judges each plan on its own answers (see the module docs): one result per plan, in order.
/// A result is `ok` when every request was answered as the package manager expects, `slow`
/// when the run's deadline came first, else `throttled` or `failed` with the reason.
pub fn discover(ctx: &Context, plans: &[Plan], opts: &Options, progress: &dyn Fn(Event)) -> Vec<ProbeResult> {
    // Plans that make the same requests (Homebrew's API is the bottles' `api` folder) are
    // run once, and the result given to each.
    let same = |a: &Plan, b: &Plan| a.steps.iter().map(|s| &s.url).eq(b.steps.iter().map(|s| &s.url));
    let mut unique: Vec<&Plan> = Vec::new();
    let index: Vec<usize> = plans
        .iter()
        .map(|p| {
            unique.iter().position(|u| same(u, p)).unwrap_or_else(|| {
                unique.push(p);
                unique.len() - 1
            })
        })
        .collect();
    let groups: Vec<Vec<Entry>> = unique
        .iter()
        .map(|p| vec![Entry { site: p.repo.key().to_owned(), plan: (*p).clone(), feeds: Vec::new(), sampled: false }])
        .collect();
    let opts = Options { cutoff: false, screen: false, ..opts.clone() };
    let failed = |p: &Plan, why: String| failed_row(p.repo.key(), &p.url, why);
    match run(ctx, groups, &opts, progress) {
        Ok((ranked, _)) => {
            let rows: Vec<Option<ProbeResult>> = ranked.into_iter().map(|rows| rows.into_iter().next()).collect();
            plans
                .iter()
                .zip(index)
                .map(|(p, i)| match &rows[i] {
                    Some(row) => ProbeResult { site: p.repo.key().to_owned(), url: p.url.clone(), ..row.clone() },
                    None => failed(p, "not probed".into()),
                })
                .collect()
        }
        Err(e) => plans.iter().map(|p| failed(p, format!("could not probe: {e}"))).collect(),
    }
}

/// What reading one small document gave ([`fetch`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub url: String,
    /// The text, or why there is none (`HTTP 404`, `connection refused`, …).
    pub body: Result<String, String>,
    /// Whether an HTTP server answered at all (with any status): false after a connection
    /// error, a DNS failure or no answer in time.
    pub answered: bool,
}

/// Reads small documents whole (see the module docs), each bounded by [`FEED_BUDGET`].
pub fn fetch(ctx: &Context, urls: &[String], opts: &Options) -> Vec<Fetched> {
    use net::{Broken, FetchError};
    let all_failed = |why: String| -> Vec<Fetched> {
        urls.iter().map(|u| Fetched { url: u.clone(), body: Err(why.clone()), answered: false }).collect()
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return all_failed(format!("could not fetch: {e}")),
    };
    let got = runtime.block_on(async {
        let resolver = dns::Resolver::new(ctx.test_resolver, dns_timeout(opts.timeout));
        let net = std::sync::Arc::new(net::Net::new(opts, resolver)?);
        let hard = tokio::time::Instant::now() + opts.timeout;
        let mut tasks = tokio::task::JoinSet::new();
        for (i, url) in urls.iter().enumerate() {
            let (net, url, limit) = (net.clone(), url.clone(), opts.timeout);
            tasks.spawn(async move {
                let mut sent = net.send(&net::Req::get(&url), limit, hard, false).await.map_err(|e| (i, e))?;
                let body =
                    net.read_body(&mut sent, "the document", FEED_BUDGET, true, hard).await.map_err(|e| (i, e))?;
                Ok::<_, (usize, FetchError)>((i, body))
            });
        }
        let mut out: Vec<Option<Result<Vec<u8>, FetchError>>> = vec![None; urls.len()];
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Ok((i, body))) => out[i] = Some(Ok(body)),
                Ok(Err((i, e))) => out[i] = Some(Err(e)),
                Err(_) => {}
            }
        }
        Ok::<_, anyhow::Error>(out)
    });
    runtime.shutdown_background();
    let got = match got {
        Ok(got) => got,
        Err(e) => return all_failed(format!("could not fetch: {e}")),
    };
    urls.iter()
        .zip(got)
        .map(|(url, got)| {
            let (body, answered) = match got {
                Some(Ok(bytes)) => {
                    (String::from_utf8(bytes).map_err(|_| "the answer is not UTF-8 text".to_owned()), true)
                }
                Some(Err(e)) => {
                    let answered = matches!(
                        e,
                        FetchError::Status(_)
                            | FetchError::Throttled(_)
                            | FetchError::Content(_)
                            | FetchError::Stalled { .. }
                            | FetchError::Broken(
                                Broken::RedirectLoop | Broken::TooManyRedirects | Broken::BadRedirect(_)
                            )
                    );
                    (Err(e.to_string()), answered)
                }
                None => (Err("the fetch stopped on an internal error".to_owned()), false),
            };
            Fetched { url: url.clone(), body, answered }
        })
        .collect()
}

/// A `failed` row for a probe that could not be run.
fn failed_row(site: &str, url: &str, why: String) -> ProbeResult {
    ProbeResult {
        site: site.to_owned(),
        url: url.to_owned(),
        status: Status::Failed,
        latency_ms: None,
        throughput_bps: None,
        lag_seconds: None,
        reason: why,
        details: Vec::new(),
    }
}

/// The first `ok` row, else the first `slow` one.
fn best_of(results: &[ProbeResult]) -> Option<String> {
    results
        .iter()
        .find(|r| r.status == Status::Ok)
        .or_else(|| results.iter().find(|r| r.status == Status::Slow))
        .map(|r| r.site.clone())
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

/// One candidate of a group, before the run.
struct Entry {
    site: String,
    plan: Plan,
    feeds: Vec<(String, FeedFormat)>,
    sampled: bool,
}

/// Probes the groups and ranks each.
fn run(
    ctx: &Context,
    groups: Vec<Vec<Entry>>,
    opts: &Options,
    progress: &dyn Fn(Event),
) -> Result<(Vec<Vec<ProbeResult>>, Cost)> {
    let now = ctx.now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);

    // Candidates; each distinct feed URL fetched once, each distinct feed (URL and format)
    // read once.
    let mut cands: Vec<Candidate> = Vec::new();
    let mut owners: Vec<(usize, usize)> = Vec::new();
    let mut feed_urls: Vec<String> = Vec::new();
    let mut feeds: Vec<(usize, FeedFormat)> = Vec::new();
    let mut cand_feeds: Vec<Vec<usize>> = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        for (c, entry) in group.iter().enumerate() {
            cands.push(Candidate { group: g, plan: entry.plan.clone(), sampled: entry.sampled });
            owners.push((g, c));
            let mut mine = Vec::new();
            for (url, format) in &entry.feeds {
                let u = feed_urls.iter().position(|known| known == url).unwrap_or_else(|| {
                    feed_urls.push(url.clone());
                    feed_urls.len() - 1
                });
                let f = feeds.iter().position(|known| *known == (u, *format)).unwrap_or_else(|| {
                    feeds.push((u, *format));
                    feeds.len() - 1
                });
                mine.push(f);
            }
            cand_feeds.push(mine);
        }
    }

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let outcomes = runtime.block_on(async {
        let resolver = dns::Resolver::new(ctx.test_resolver, dns_timeout(opts.timeout));
        let net = net::Net::new(opts, resolver)?;
        let out = engine::run(net, opts, cands.clone(), &feed_urls, now, progress).await;
        Ok::<Outcomes, anyhow::Error>(out)
    })?;
    // Blocking threads (a stuck system resolver) must not hold the process.
    runtime.shutdown_background();

    let read: Vec<(&str, Result<Feed, String>)> = feeds
        .iter()
        .map(|&(u, format)| (feed_urls[u].as_str(), outcomes.feeds[u].clone().and_then(|t| Feed::parse(format, &t))))
        .collect();

    let mut ranked = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        let members: Vec<usize> = (0..cands.len()).filter(|i| owners[*i].0 == g).collect();
        let inputs: Vec<(&[String], &[signals::Reading])> = members
            .iter()
            .map(|i| {
                let st = &outcomes.states[*i];
                let usable = !matches!(st.end, Some(Outcome::Failed(_) | Outcome::Throttled(_)));
                (cands[*i].plan.kinds.as_slice(), if usable { st.readings.as_slice() } else { &[] })
            })
            .collect();
        let lags = rank::lags(&inputs);
        let measured: Vec<Measured> = members
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let entry = &group[owners[i].1];
                let (feed, notes) = feed_view(&cands[i].plan, &cand_feeds[i], &read, now);
                let incomplete = outcomes.incomplete.get(g).copied().unwrap_or(false);
                let mut m = measured(entry, &cands[i], &outcomes.states[i], outcomes.elapsed, opts.timeout, incomplete);
                m.lag = lags[k];
                m.feed = feed;
                m.details.extend(notes);
                m
            })
            .collect();
        ranked.push(rank::rank(&measured, opts.max_lag));
    }
    let cost = Cost { bytes: outcomes.stats.bytes, requests: outcomes.stats.requests, elapsed: outcomes.elapsed };
    Ok((ranked, cost))
}

/// A lookup gives up a little before the request it serves, so that it is reported as the
/// DNS failure it is.
fn dns_timeout(timeout: Duration) -> Duration {
    (timeout * 9 / 10).max(Duration::from_millis(100))
}

/// What the run's state of one candidate comes to.
/// `incomplete`: the group's finals ran out of time, so its rows are compared on their
/// screens (a final of one site must not outrank the faster screen of one that had none).
fn measured(
    entry: &Entry,
    cand: &Candidate,
    st: &State,
    elapsed: Duration,
    timeout: Duration,
    incomplete: bool,
) -> Measured {
    let mut details = st.log.clone();
    if let (Some((_, first)), Some(warm)) = (st.answered.first(), st.latency)
        && st.answered.len() > 1
    {
        details.push(format!("first answer {} (with connection setup), last {}", human_ms(*first), human_ms(warm)));
    }
    let latency = st.latency;
    let answered_in = latency.map_or(String::new(), |l| format!(" in {}", human_ms(l)));
    let mut throughput = None;
    let mut unmeasured = None;
    let mut final_missed = None;
    let outcome = match &st.end {
        Some(Outcome::Failed(why)) => Outcome::Failed(why.clone()),
        Some(Outcome::Throttled(code)) => Outcome::Throttled(*code),
        Some(Outcome::Slow(why)) => Outcome::Slow(why.clone()),
        Some(Outcome::Answered) if !cand.sampled || matches!(cand.plan.sample, Sample::None) => Outcome::Answered,
        Some(Outcome::Answered) => {
            let rate = |m: &Option<Measure>, finals: bool| match m {
                Some(Measure::Rate { bps, at_least, .. }) => {
                    Some(Throughput { bps: *bps, finals, at_least: *at_least })
                }
                _ => None,
            };
            let too_small = |m: &Option<Measure>| match m {
                Some(Measure::TooSmall(n)) => Some(*n),
                _ => None,
            };
            throughput = rate(&st.finals, true).or_else(|| rate(&st.screen, false));
            if let (Some(t), Some(Measure::NotMeasured(why))) = (throughput, &st.finals)
                && !t.finals
            {
                final_missed = Some(why.clone());
            }
            if incomplete
                && throughput.is_some_and(|t| t.finals)
                && let Some(screen) = rate(&st.screen, false)
            {
                throughput = Some(screen);
                final_missed = Some("the finals ran out of time, so all are compared on their screens".into());
            }
            if throughput.is_some() {
                Outcome::Answered
            } else if let Some(n) = too_small(&st.finals).or_else(|| too_small(&st.screen)) {
                unmeasured = Some(format!("too small to measure ({})", engine::human_bytes(n as usize)));
                Outcome::Answered
            } else {
                match (&st.screen, &st.finals) {
                    (Some(Measure::NotMeasured(why)), _) | (None, Some(Measure::NotMeasured(why))) => {
                        Outcome::Slow(format!("answered{answered_in}; {why}"))
                    }
                    _ if st.late => {
                        Outcome::Slow(format!("answered{answered_in}, after the cut-off; not measured further"))
                    }
                    _ => Outcome::Slow(format!("answered{answered_in}; not measured further")),
                }
            }
        }
        None => match (st.answered.last(), &st.reading, st.started) {
            (Some((what, t)), _, _) => {
                Outcome::Slow(format!("answered {what} in {}; not measured further", human_ms(*t)))
            }
            // Headers, then a body that has not come for a good while: a stall, not slowness.
            (None, Some((what, since)), _) if since.elapsed() >= (timeout / 2).min(Duration::from_secs(1)) => {
                Outcome::Failed(format!(
                    "{what} did not arrive within {} (stalled after its headers)",
                    human_ms(since.elapsed())
                ))
            }
            (None, Some((what, _)), _) => Outcome::Slow(format!("{what} was arriving; not measured further")),
            (None, None, Some(sent)) => Outcome::Failed(format!("no answer within {}", human_ms(sent.elapsed()))),
            (None, None, None) => {
                Outcome::Failed(format!("not probed within {}: the host's connections stayed busy", human_ms(elapsed)))
            }
        },
    };
    Measured {
        site: entry.site.clone(),
        url: cand.plan.url.clone(),
        outcome,
        latency,
        throughput,
        unmeasured,
        final_missed,
        lag: None,
        signals: !cand.plan.kinds.is_empty(),
        feed: None,
        details,
    }
}

/// What the site's feeds say about the plan's repository (the worse of them), and notes for
/// `-v` on feeds that said nothing usable. `feeds`: the site's, as indices into `read` (the
/// run's feeds: URL, and the feed or why there is none).
fn feed_view(
    plan: &Plan,
    feeds: &[usize],
    read: &[(&str, Result<Feed, String>)],
    now: i64,
) -> (Option<FeedView>, Vec<String>) {
    let names = signals::feed_names(plan.repo, &plan.url);
    let mut notes = Vec::new();
    let view = feeds
        .iter()
        .filter_map(|&f| {
            let (url, feed) = &read[f];
            let feed = match feed {
                Ok(feed) => feed,
                Err(why) => {
                    notes.push(format!("status feed {url}: {why}; ignored"));
                    return None;
                }
            };
            let Some(entry) = feed.find(&names) else {
                notes.push(format!("status feed {url}: no entry for {}", names.join(" or ")));
                return None;
            };
            Some(FeedView {
                source: feed.format.key(),
                failing: entry.failing,
                since_success: entry.last_success.map(|t| now.saturating_sub(t).max(0) as u64),
            })
        })
        .max_by_key(|v| (v.failing && v.since_success.is_none(), v.since_success));
    (view, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::plan::plan_for_configured;
    use tokio::time::Instant;

    /// What `measured` makes of a run's state for a pip candidate.
    fn verdict(st: &State) -> (Outcome, Option<Throughput>, Option<String>, Option<String>) {
        let host = Host { arch: "amd64".into(), ..Host::default() };
        let plan = plan_for_configured(TargetKind::Pip, &host, "https://m/simple");
        let cand = Candidate { group: 0, plan: plan.clone(), sampled: true };
        let entry = Entry { site: "m".into(), plan, feeds: Vec::new(), sampled: true };
        let m = measured(&entry, &cand, st, Duration::from_secs(2), Duration::from_secs(3), false);
        (m.outcome, m.throughput, m.unmeasured, m.final_missed)
    }

    fn answered() -> State {
        State {
            started: Some(Instant::now()),
            answered: vec![("simple page".into(), Duration::from_millis(40))],
            end: Some(Outcome::Answered),
            latency: Some(Duration::from_millis(40)),
            ..State::default()
        }
    }

    fn rate(mbps: f64) -> Measure {
        Measure::Rate { bps: mbps * 1e6, bytes: 1 << 20, at_least: false }
    }

    #[test]
    fn a_final_beats_the_screen_and_a_missed_final_keeps_the_screen() {
        let st = State { screen: Some(rate(5.0)), finals: Some(rate(9.0)), ..answered() };
        let (o, t, _, missed) = verdict(&st);
        assert_eq!((o, t.map(|t| (t.bps, t.finals)), missed), (Outcome::Answered, Some((9e6, true)), None));

        let st =
            State { screen: Some(rate(5.0)), finals: Some(Measure::NotMeasured("out of time".into())), ..answered() };
        let (o, t, _, missed) = verdict(&st);
        assert_eq!(o, Outcome::Answered, "lack of time is no failure");
        assert_eq!(t.map(|t| (t.bps, t.finals)), Some((5e6, false)));
        assert_eq!(missed.as_deref(), Some("out of time"));
    }

    #[test]
    fn when_a_targets_finals_ran_out_of_time_its_rows_are_compared_on_their_screens() {
        let host = Host { arch: "amd64".into(), ..Host::default() };
        let plan = plan_for_configured(TargetKind::Pip, &host, "https://m/simple");
        let cand = Candidate { group: 0, plan: plan.clone(), sampled: true };
        let entry = Entry { site: "m".into(), plan, feeds: Vec::new(), sampled: true };
        let st = State { screen: Some(rate(5.0)), finals: Some(rate(4.0)), ..answered() };
        let m = measured(&entry, &cand, &st, Duration::from_secs(2), Duration::from_secs(3), true);
        assert_eq!(m.throughput.map(|t| (t.bps, t.finals)), Some((5e6, false)));
        assert!(m.final_missed.is_some_and(|why| why.contains("compared on their screens")));
    }

    #[test]
    fn what_was_not_measured_is_slow_or_too_small_and_what_never_answered_is_failed() {
        let st = State { screen: Some(Measure::TooSmall(8192)), ..answered() };
        let (o, t, why, _) = verdict(&st);
        assert_eq!((o, t, why.as_deref()), (Outcome::Answered, None, Some("too small to measure (8 KiB)")));

        let st =
            State { screen: Some(Measure::NotMeasured("the sample stalled after its headers".into())), ..answered() };
        assert_eq!(verdict(&st).0, Outcome::Slow("answered in 40 ms; the sample stalled after its headers".into()));

        let st = State { late: true, ..answered() };
        assert_eq!(verdict(&st).0, Outcome::Slow("answered in 40 ms, after the cut-off; not measured further".into()));

        // Stopped in the middle: what it answered is said; nothing answered is a failure.
        let st = State { end: None, ..answered() };
        assert_eq!(verdict(&st).0, Outcome::Slow("answered simple page in 40 ms; not measured further".into()));
        let st = State { started: Some(Instant::now()), ..State::default() };
        assert!(matches!(verdict(&st).0, Outcome::Failed(why) if why.starts_with("no answer within ")));
        let st = State::default();
        assert!(matches!(verdict(&st).0, Outcome::Failed(why) if why.starts_with("not probed within 2.0 s")));
        let long_ago = Instant::now().checked_sub(Duration::from_secs(2)).unwrap();
        let st = State { started: Some(long_ago), reading: Some(("simple page".into(), long_ago)), ..State::default() };
        assert!(
            matches!(verdict(&st).0, Outcome::Failed(why) if why.contains("simple page did not arrive within") && why.ends_with("(stalled after its headers)"))
        );
    }
}
