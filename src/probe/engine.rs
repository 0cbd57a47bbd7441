//! The network part of a run: every candidate probed and screened concurrently, a cut-off,
//! then sequential finals on the fastest few of each group.
//!
//! 1. **Probe and screen** (phase A, at most `--timeout`). Each candidate's task runs its
//!    plan's requests one after another (latency, freshness, the format of each answer),
//!    then, if it is still fresh as far as the run knows, finds its bulk object (following
//!    what the answers said: a wheel link, `dl`, a manifest) and *screens* it: a ranged read
//!    of at most [`Options::screen_bytes`] within a window that includes the time to the first
//!    byte. At most [`Options::screens`] screens run at once, so they share the link little,
//!    and a host is screened once for all the targets whose bulk objects it serves.
//!    Status feeds are fetched alongside on their own slots (one per host), so a slow or
//!    endless feed never holds a probe's or a sample's slot; they are advice and are dropped
//!    when phase A ends.
//! 2. **Cut-off.** Once [`Options::finalists`] candidates of a group are screened and fresh
//!    so far, at time t, the group's others get until `max(cutoff_factor × t, t +
//!    cutoff_floor)` to be screened. When every group is settled (all done, or past its
//!    cut-off), phase A ends. Candidates still probing go on during the finals (their
//!    requests are small) but are not screened any more: they end `slow`, with what was seen.
//! 3. **Finals** (at most `--timeout` more). Screens in flight get [`SCREEN_GRACE`] to end
//!    (the rest are stopped: their sites are slow), then the
//!    [`Options::finalists`] fastest screened candidates of each group (those within a third
//!    of its best screen) are sampled one at a time (at most [`Options::sample_bytes`], within
//!    [`Options::sample_time`] plus three latencies), so no two finals share the link.
//!    A host measured in one target's finals is not measured again for another.
//! 4. Whatever has not ended is stopped. A candidate that never got an answer is `failed`
//!    with the time it waited; one that got some is `slow`.
//!
//! A transfer too short to time is not a rate: an object that ends within
//! [`MIN_RATE_BYTES`] is "too small to measure"; a larger one that arrives faster than
//! [`MIN_SPAN`] gives a lower bound ("at least").

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use reqwest::header::{CONTENT_RANGE, CONTENT_TYPE, HeaderMap, LAST_MODIFIED, WWW_AUTHENTICATE};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until, timeout_at};

use super::Options;
use super::net::{Broken, FetchError, Net, Req, Stats};
use super::plan::{Check, Method, Plan, Sample, SampleFormat, Step};
use super::rank::{self, Outcome, human_ms};
use super::signals::{self, ManifestPick, Reading};

/// An object that ends within this many bytes is too small to time.
pub const MIN_RATE_BYTES: u64 = 64 * 1024;
/// A transfer shorter than this is too quick to time: its rate is a lower bound.
pub const MIN_SPAN: Duration = Duration::from_millis(2);
/// Bytes a second below which a body that is still arriving counts as stalled.
const STALL_RATE: f64 = 1024.0;
/// How far past now a freshness time may be before it is taken for a wrong clock.
const FUTURE_SLACK: i64 = 3600;
/// How long the finals wait for screens under way when probing ends.
const SCREEN_GRACE: Duration = Duration::from_millis(50);
/// Fewer bytes than this from a sample say nothing about its format.
const MIN_JUDGED: usize = 8;
/// A sample whose window closed with fewer bytes than this (and the object not ended) is a
/// stall, not a rate: a few bytes dripping in say nothing of what the site can do.
pub const MIN_STREAM: u64 = 16 * 1024;

/// What a Docker client accepts for a manifest: multi-platform lists first.
pub const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// What npm sends for a package document.
pub const NPM_ACCEPT: &str = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";

/// Progress reports for the command's progress bar.
#[derive(Debug, Clone, Copy)]
pub enum Event {
    /// One more unit of work is planned.
    More,
    /// One unit of work is done.
    Done,
}

/// One (site, plan) to probe.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Candidates of one group are ranked against each other and share a cut-off.
    pub group: usize,
    pub plan: Plan,
    /// Whether its bulk object is sampled (the reference of `status --check` is not).
    pub sampled: bool,
}

/// What a sample found.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    Rate {
        bps: f64,
        bytes: u64,
        at_least: bool,
    },
    /// The whole object arrived within [`MIN_RATE_BYTES`].
    TooSmall(u64),
    /// No rate, for want of time or because the transfer stalled or broke off; nothing is
    /// held against the site.
    NotMeasured(String),
}

/// The bulk object of one candidate, once known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bulk {
    pub what: String,
    pub url: String,
    pub format: SampleFormat,
    pub auth: Option<String>,
}

/// What the answers of a probe said about its bulk object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leads {
    pub file: Option<String>,
    pub crate_dl: Option<String>,
    pub crate_release: Option<(String, Option<String>)>,
    pub challenge: Option<(String, Option<String>)>,
    pub manifest: Option<String>,
    /// The primary metadata an rpm-md `repomd.xml` names (absolute).
    pub primary: Option<String>,
}

/// What the run learned about one candidate; its task fills it in as it goes, so a task that
/// is stopped still leaves what it saw.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// When its first request was sent.
    pub started: Option<Instant>,
    /// The steps answered: (what, time to answer).
    pub answered: Vec<(String, Duration)>,
    pub readings: Vec<Reading>,
    pub leads: Leads,
    /// One line per request, for `-v`.
    pub log: Vec<String>,
    /// Set when the probe's requests are all done (or one failed).
    pub end: Option<Outcome>,
    /// Time to the answer of the last request.
    pub latency: Option<Duration>,
    pub bulk: Option<Bulk>,
    pub screen: Option<Measure>,
    pub finals: Option<Measure>,
    /// The probe ended after the screens were over.
    pub late: bool,
    /// Its screen is under way.
    pub screening: bool,
    /// Time it spent waiting for connection and screen slots: the run's, not the site's, so
    /// the cut-off gives it back.
    pub waited: Duration,
    /// A step whose headers came and whose body is still being read: (what, when).
    pub reading: Option<(String, Instant)>,
}

/// What the run gives back: a state per candidate, the feeds' texts (or why none).
pub struct Outcomes {
    pub states: Vec<State>,
    pub feeds: Vec<Result<String, String>>,
    pub stats: Stats,
    pub elapsed: Duration,
    /// Per group: its finals ran out of time before every finalist was sampled (its rows are
    /// then compared on their screens).
    pub incomplete: Vec<bool>,
}

/// A host's screen: (the URL screened, what it measured), once measured; locked while it is.
type ScreenCell = Arc<tokio::sync::Mutex<Option<(String, Measure)>>>;

struct Shared {
    net: Net,
    opts: Options,
    cands: Vec<Candidate>,
    /// Per group: its candidates, in order.
    groups: Vec<Vec<usize>>,
    states: Vec<Mutex<State>>,
    /// Set when phase A is over: no more screens.
    finals: AtomicBool,
    screens: Arc<Semaphore>,
    hard: Instant,
    /// Unix seconds now (the run's clock, for readings from the future).
    now: i64,
    /// Per host: its screen, once one target's candidate has measured it.
    screened: Mutex<HashMap<String, ScreenCell>>,
}

impl Shared {
    fn state(&self, i: usize) -> MutexGuard<'_, State> {
        self.states[i].lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The screen cell of `host` (see [`candidate`]).
    fn screen_of(&self, host: &str) -> ScreenCell {
        let mut map = self.screened.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(host.to_owned()).or_default().clone()
    }

    /// Whether each candidate of group `g` (in the order of `groups[g]`) is further behind
    /// than `--max-lag`, as far as the run knows now (answered candidates of the group only).
    fn stale_in(&self, g: usize) -> Vec<bool> {
        let snapshot: Vec<Vec<Reading>> = self.groups[g]
            .iter()
            .map(|k| {
                let st = self.state(*k);
                let usable = !matches!(st.end, Some(Outcome::Failed(_) | Outcome::Throttled(_)));
                if usable { st.readings.clone() } else { Vec::new() }
            })
            .collect();
        let inputs: Vec<(&[String], &[Reading])> = self.groups[g]
            .iter()
            .zip(&snapshot)
            .map(|(k, r)| (self.cands[*k].plan.kinds.as_slice(), r.as_slice()))
            .collect();
        rank::lags(&inputs).iter().map(|l| l.is_some_and(|l| l.secs > self.opts.max_lag.as_secs())).collect()
    }

    /// Whether candidate `i` is stale as far as the run knows now (see [`Shared::stale_in`]).
    fn stale_now(&self, i: usize) -> bool {
        let g = self.cands[i].group;
        let me = self.groups[g].iter().position(|k| *k == i).expect("a member of its group");
        self.stale_in(g)[me]
    }
}

/// Probes, screens and samples `cands`, fetching `feeds` alongside (see the module docs).
pub async fn run(
    net: Net,
    opts: &Options,
    cands: Vec<Candidate>,
    feeds: &[String],
    now: i64,
    progress: &dyn Fn(Event),
) -> Outcomes {
    let start = Instant::now();
    let hard = start + opts.timeout;
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); cands.iter().map(|c| c.group + 1).max().unwrap_or(0)];
    for (i, c) in cands.iter().enumerate() {
        members[c.group].push(i);
    }
    let shared = Arc::new(Shared {
        net,
        opts: opts.clone(),
        states: cands.iter().map(|_| Mutex::default()).collect(),
        cands,
        groups: members,
        finals: AtomicBool::new(false),
        screens: Arc::new(Semaphore::new(opts.screens.max(1))),
        hard,
        now,
        screened: Mutex::default(),
    });
    let n = shared.cands.len();
    let groups = shared.groups.len();

    let mut tasks: JoinSet<usize> = JoinSet::new();
    let mut ids = HashMap::new();
    let mut handles = vec![None; n];
    // Interleave the groups so each gets going early even when the per-host cap queues some.
    let mut order: Vec<(usize, usize)> =
        shared.groups.iter().flat_map(|members| members.iter().enumerate().map(|(k, &i)| (k, i))).collect();
    order.sort_unstable();
    for (_, i) in order {
        progress(Event::More);
        let s = shared.clone();
        let handle = tasks.spawn(async move {
            candidate(&s, i).await;
            i
        });
        ids.insert(handle.id(), i);
        handles[i] = Some(handle);
    }
    let mut feed_tasks: JoinSet<(usize, Result<String, String>)> = JoinSet::new();
    for (f, url) in feeds.iter().enumerate() {
        let s = shared.clone();
        let url = url.clone();
        feed_tasks.spawn(async move { (f, feed(&s.net, &url, s.hard).await) });
    }

    // Phase A: wait for the candidates, cutting each group off once it has enough.
    let mut done = vec![false; n];
    let mut cutoffs: Vec<Option<Instant>> = vec![None; groups];
    let finalists = opts.finalists.max(1);
    loop {
        // A group is settled when each of its candidates is done, or past the group's cut-off
        // plus the time it spent waiting for slots (that wait was the run's, not its own).
        let now = Instant::now();
        let settled = shared.groups.iter().enumerate().all(|(g, members)| {
            members.iter().all(|&i| done[i] || cutoffs[g].is_some_and(|at| at + shared.state(i).waited <= now))
        });
        if settled || Instant::now() >= hard {
            break;
        }
        // Wake at the next moment a pending candidate passes its deadline (at least every
        // 50 ms while waits may still move them).
        let next = (0..n)
            .filter(|i| !done[*i])
            .filter_map(|i| cutoffs[shared.cands[i].group].map(|at| at + shared.state(i).waited))
            .filter(|at| *at > now)
            .min()
            .map_or(hard, |at| at.min(now + Duration::from_millis(50)))
            .min(hard);
        tokio::select! {
            joined = tasks.join_next_with_id() => match joined {
                None => break,
                Some(Ok((_, i))) => {
                    done[i] = true;
                    progress(Event::Done);
                    let g = shared.cands[i].group;
                    if opts.cutoff && cutoffs[g].is_none() && screened_fresh(&shared, g) >= finalists {
                        let t = start.elapsed();
                        let grace = (t * opts.cutoff_factor).max(t + opts.cutoff_floor);
                        cutoffs[g] = Some((start + grace).min(hard));
                    }
                }
                Some(Err(e)) => {
                    if let Some(&i) = ids.get(&e.id()) {
                        done[i] = true;
                        progress(Event::Done);
                        let mut st = shared.state(i);
                        let why = if e.is_panic() { "the probe stopped on an internal error" } else { "the probe was cancelled" };
                        st.log.push(format!("internal: {why}: {e}"));
                        st.end.get_or_insert(Outcome::Failed(why.into()));
                    }
                }
            },
            () = sleep_until(next) => {}
        }
    }

    // Phase A is over: feeds are dropped, screens let finish, then the finals.
    shared.finals.store(true, Ordering::SeqCst);
    let mut feed_texts: Vec<Result<String, String>> =
        feeds.iter().map(|_| Err("it did not arrive before the probes ended".to_owned())).collect();
    while let Some(joined) = feed_tasks.try_join_next() {
        if let Ok((f, text)) = joined {
            feed_texts[f] = text;
        }
    }
    feed_tasks.abort_all();
    let finals_end = Instant::now().max(start) + opts.timeout;
    // Screens under way may end (most are a few milliseconds from done); one still waiting
    // for its first byte was stopped by the cut-off: its site is slow.
    let all = opts.screens.max(1) as u32;
    let grace = Instant::now() + SCREEN_GRACE;
    if timeout_at(grace, shared.screens.clone().acquire_many_owned(all)).await.is_err() {
        for (i, h) in handles.iter().enumerate() {
            if shared.state(i).screening
                && let Some(h) = h
            {
                h.abort();
            }
        }
    }
    let _all_screens = timeout_at(finals_end, shared.screens.clone().acquire_many_owned(all)).await;
    let incomplete = finals(&shared, groups, finals_end, progress).await;

    // Collect whatever else finished meanwhile, then stop the rest.
    while let Some(joined) = tasks.try_join_next_with_id() {
        if let Ok((_, i)) = joined {
            done[i] = true;
            progress(Event::Done);
        }
    }
    tasks.abort_all();
    for _ in done.iter().filter(|d| !**d) {
        progress(Event::Done);
    }
    let states = (0..n).map(|i| shared.state(i).clone()).collect();
    Outcomes { states, feeds: feed_texts, stats: shared.net.stats(), elapsed: start.elapsed(), incomplete }
}

/// How many candidates of group `g` have a screen result (or need none) and are fresh so far.
fn screened_fresh(shared: &Shared, g: usize) -> usize {
    let stale = shared.stale_in(g);
    shared.groups[g]
        .iter()
        .zip(stale)
        .filter(|&(&i, stale)| {
            let st = shared.state(i);
            let measured = !shared.cands[i].sampled
                || matches!(shared.cands[i].plan.sample, Sample::None)
                || matches!(st.screen, Some(Measure::Rate { .. } | Measure::TooSmall(_)));
            st.end == Some(Outcome::Answered) && measured && !stale
        })
        .count()
}

/// One candidate's task: its probe, then (while phase A lasts) its bulk object and, unless
/// [`Options::screen`] is off, its screen.
async fn candidate(shared: &Shared, i: usize) {
    let cand = &shared.cands[i];
    if !probe(shared, i).await {
        return;
    }
    if !cand.sampled || matches!(cand.plan.sample, Sample::None) {
        return;
    }
    if shared.finals.load(Ordering::SeqCst) {
        shared.state(i).late = true;
        return;
    }
    if shared.stale_now(i) {
        return;
    }
    let leads = shared.state(i).leads.clone();
    let bulk = match find_bulk(shared, i, &cand.plan, &leads, shared.hard).await {
        Ok(b) => b,
        Err(e) => {
            fail_sample(shared, i, "finding the bulk object", e);
            return;
        }
    };
    shared.state(i).bulk = Some(bulk.clone());
    if !shared.opts.screen {
        // Checks sample their one URL in the finals only.
        return;
    }
    // One screen per host: a host screened for one target (the same server and link) is not
    // screened again for another; the others wait for it and take its figure.
    let host = super::plan::host_key(&bulk.url);
    let cell = shared.screen_of(&host);
    let queued = Instant::now();
    let Ok(mut screened_host) = timeout_at(shared.hard, cell.lock()).await else {
        return;
    };
    if let Some((url, m)) = screened_host.as_ref() {
        let mut st = shared.state(i);
        st.waited += queued.elapsed();
        st.log.push(format!("screen: {host} was screened already ({url} → {})", describe_measure(m)));
        st.screen = Some(m.clone());
        return;
    }
    let Ok(Ok(_slot)) = timeout_at(shared.hard, shared.screens.clone().acquire_owned()).await else {
        return;
    };
    shared.state(i).waited += queued.elapsed();
    if shared.finals.load(Ordering::SeqCst) {
        shared.state(i).late = true;
        return;
    }
    let latency = shared.state(i).latency.unwrap_or_default();
    let window = shared.opts.screen_time + latency * 3;
    shared.state(i).screening = true;
    let screened =
        sample(&shared.net, &bulk, shared.opts.screen_bytes, window, shared.opts.screen_time / 4, shared.hard).await;
    shared.state(i).screening = false;
    match screened {
        Ok(m) => {
            if matches!(m, Measure::Rate { .. }) {
                *screened_host = Some((bulk.url.clone(), m.clone()));
            }
            let mut st = shared.state(i);
            st.log.push(format!("screen: GET {} → {}", bulk.url, describe_measure(&m)));
            st.screen = Some(m);
        }
        Err(e) => fail_sample(shared, i, &format!("screen: GET {}", bulk.url), e),
    }
}

/// A wrong answer to a sample (or to finding it) judges the site.
fn fail_sample(shared: &Shared, i: usize, what: &str, e: FetchError) {
    let mut st = shared.state(i);
    st.log.push(format!("{what} → {e}"));
    st.end = Some(match e {
        FetchError::Throttled(code) => Outcome::Throttled(code),
        other => Outcome::Failed(format!("throughput sample: {other}")),
    });
    st.latency = None;
}

/// Runs the probe's steps; true when every one was answered as expected.
async fn probe(shared: &Shared, i: usize) -> bool {
    let plan = &shared.cands[i].plan;
    let timeout = shared.opts.timeout;
    for step in &plan.steps {
        if let Some(kind) = step.fallback_for
            && shared.state(i).readings.iter().any(|r| r.kind == kind)
        {
            continue;
        }
        let method = if step.method == Method::Head { "HEAD" } else { "GET" };
        shared.state(i).started.get_or_insert_with(Instant::now);
        let token_auth = matches!(step.check, Check::Registry | Check::Manifest { .. });
        let mut req = Req::get(&step.url);
        req.method = step.method;
        req.range = step.range;
        req.accept = match step.check {
            Check::SimplePage { .. } | Check::SimpleSerial { .. } => Some("text/html"),
            Check::Manifest { .. } => Some(MANIFEST_TYPES),
            // What npm itself asks for: the abbreviated document, the full one as a fallback.
            Check::NpmDoc { .. } => Some(NPM_ACCEPT),
            _ => None,
        };
        let result = async {
            let mut sent = shared.net.send(&req, timeout, shared.hard, token_auth).await?;
            {
                let mut st = shared.state(i);
                st.reading = Some((step.what.clone(), sent.at));
                st.waited += sent.waited;
            }
            let due = (sent.at + timeout).min(shared.hard);
            let body = if step.method == Method::Get && step.limit > 0 {
                shared.net.read_body(&mut sent, &step.what, step.limit, step.whole, due).await?
            } else {
                Vec::new()
            };
            Ok::<_, FetchError>((sent, body))
        }
        .await;
        shared.state(i).reading = None;
        match result {
            Ok((sent, body)) => {
                let status = sent.response.status().as_u16();
                let headers = sent.response.headers().clone();
                let answer = Answer::new(status, headers, body, sent.url.clone(), sent.ttfb);
                let mut st = shared.state(i);
                for hop in &sent.hops {
                    st.log.push(format!("{method} {} → {hop}", step.url));
                }
                st.log.push(format!(
                    "{method} {} → {status} in {} ({} bytes)",
                    sent.url,
                    human_ms(sent.ttfb),
                    answer.body.len()
                ));
                st.latency = Some(sent.ttfb);
                st.answered.push((step.what.clone(), sent.ttfb));
                match read_signals(step, &answer) {
                    Ok(found) => {
                        // A time more than an hour past now is a wrong clock, not freshness: it
                        // would make every honest site look behind.
                        for r in found.readings {
                            if r.secs_per_unit == 1.0 && r.value > shared.now + FUTURE_SLACK {
                                st.log.push(format!(
                                    "{method} {} → {} reads {} s in the future; ignored",
                                    step.url,
                                    r.kind,
                                    r.value - shared.now
                                ));
                            } else {
                                st.readings.push(r);
                            }
                        }
                        st.log.extend(found.notes.into_iter().map(|n| format!("{method} {} → {n}", step.url)));
                        merge_leads(&mut st.leads, found.leads);
                    }
                    Err(why) => {
                        st.end = Some(Outcome::Failed(format!("wrong content: {why}")));
                        st.latency = None;
                        return false;
                    }
                }
            }
            Err(FetchError::Status(code)) if step.optional && matches!(code, 404 | 410) => {
                shared.state(i).log.push(format!("{method} {} → {code} (optional)", step.url));
            }
            Err(e) => {
                let mut st = shared.state(i);
                st.log.push(format!("{method} {} → {e}", step.url));
                // Cut by the end of probing before its own `--timeout` ran out (or never sent
                // for busy connections): no evidence against the site. It is judged on what
                // it answered so far (`slow`, or `failed` for no answer at all).
                // A body still coming in at a crawl (under 1 KiB/s: a drip) is a stall, whoever
                // ended it.
                let cut = match &e {
                    FetchError::NoAnswer(d) => *d < timeout,
                    FetchError::Stalled { bytes, after, .. } => {
                        *after < timeout && *bytes as f64 >= STALL_RATE * after.as_secs_f64()
                    }
                    FetchError::NotSent { .. } => true,
                    _ => false,
                };
                if cut {
                    return false;
                }
                st.end = Some(match e {
                    FetchError::Throttled(code) => Outcome::Throttled(code),
                    FetchError::Status(code) => Outcome::Failed(format!("HTTP {code} for {}", step.what)),
                    other => Outcome::Failed(other.to_string()),
                });
                st.latency = None;
                return false;
            }
        }
    }
    let mut st = shared.state(i);
    st.end = Some(Outcome::Answered);
    if shared.finals.load(Ordering::SeqCst) {
        st.late = true;
    }
    true
}

fn merge_leads(into: &mut Leads, from: Leads) {
    into.file = from.file.or(into.file.take());
    into.crate_dl = from.crate_dl.or(into.crate_dl.take());
    into.crate_release = from.crate_release.or(into.crate_release.take());
    into.challenge = from.challenge.or(into.challenge.take());
    into.manifest = from.manifest.or(into.manifest.take());
    into.primary = from.primary.or(into.primary.take());
}

/// Works out the bulk object of candidate `i` from the plan and what the probe's answers
/// said. Only the registry chain makes requests (an anonymous token, the platform's
/// manifest); they go in the candidate's log.
async fn find_bulk(shared: &Shared, i: usize, plan: &Plan, leads: &Leads, hard: Instant) -> Result<Bulk, FetchError> {
    let bulk = |what: &str, url: String, format| Bulk { what: what.to_owned(), url, format, auth: None };
    match &plan.sample {
        Sample::None => Err(FetchError::Content("nothing to sample".into())),
        Sample::Fixed { what, url, format } => Ok(bulk(what, url.clone(), *format)),
        Sample::PypiFile { page } => Ok(match &leads.file {
            Some(file) => bulk("package file", file.clone(), SampleFormat::Archive),
            None => bulk("simple page", page.clone(), SampleFormat::Html),
        }),
        Sample::Crate { index_file } => Ok(match (&leads.crate_dl, &leads.crate_release) {
            (Some(dl), Some((vers, cksum))) => {
                let url = signals::crate_file_url(dl, super::plan::BUSY_CRATE, vers, cksum.as_deref());
                if url::Url::parse(&url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
                    bulk(".crate", url, SampleFormat::Compressed)
                } else {
                    bulk("index file", index_file.clone(), SampleFormat::Json)
                }
            }
            _ => bulk("index file", index_file.clone(), SampleFormat::Json),
        }),
        Sample::DockerBlob { registry, image, arch } => {
            docker_blob(shared, i, registry, image, arch, leads, hard).await
        }
        Sample::Primary { repomd } => Ok(match &leads.primary {
            Some(primary) => bulk("primary", primary.clone(), SampleFormat::Compressed),
            None => bulk("repomd.xml", repomd.clone(), SampleFormat::Xml),
        }),
        Sample::Lead { what, format, fallback, fallback_what, fallback_format } => Ok(match &leads.file {
            Some(file) => bulk(what, file.clone(), *format),
            None => bulk(fallback_what, fallback.clone(), *fallback_format),
        }),
    }
}

/// The registry chain: a token if the registry wants one, the manifest (again, with the
/// token), the platform's manifest, its largest layer.
async fn docker_blob(
    shared: &Shared,
    i: usize,
    registry: &str,
    image: &str,
    arch: &str,
    leads: &Leads,
    hard: Instant,
) -> Result<Bulk, FetchError> {
    let net = &shared.net;
    let timeout = shared.opts.timeout;
    // Each request is logged (its URL carries no secret: the token is in the answer, and
    // goes out only in a header).
    let get_small = |req: Req, what: &'static str| async move {
        let got = async {
            let mut sent = net.send(&req, timeout, hard, false).await?;
            let mut lines: Vec<String> =
                sent.hops.iter().map(|hop| format!("{what}: GET {} → {hop}", req.url)).collect();
            let (status, ttfb, url) = (sent.response.status().as_u16(), sent.ttfb, sent.url.clone());
            let due = (sent.at + timeout).min(hard);
            let body = net.read_body(&mut sent, what, super::SMALL_BUDGET, true, due).await?;
            lines.push(format!("{what}: GET {url} → {status} in {} ({} bytes)", human_ms(ttfb), body.len()));
            Ok::<_, FetchError>((lines, body))
        }
        .await;
        let mut st = shared.state(i);
        match &got {
            Ok((lines, _)) => st.log.extend(lines.iter().cloned()),
            Err(e) => st.log.push(format!("{what}: GET {} → {e}", req.url)),
        }
        drop(st);
        got.map(|(_, body)| String::from_utf8_lossy(&body).into_owned())
    };
    let mut auth = None;
    let mut manifest = leads.manifest.clone();
    if let Some((realm, service)) = &leads.challenge {
        let mut token_url =
            url::Url::parse(realm).map_err(|_| FetchError::Content("the token realm is not a URL".into()))?;
        {
            let mut q = token_url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            q.append_pair("scope", &format!("repository:{image}:pull"));
        }
        let text = get_small(Req::get(token_url.as_str()), "token").await?;
        let token = signals::registry_token(&text).map_err(FetchError::Content)?;
        auth = Some(format!("Bearer {token}"));
        let mut req = Req::get(format!("{registry}/v2/{image}/manifests/latest"));
        req.accept = Some(MANIFEST_TYPES);
        req.auth = auth.clone();
        manifest = Some(get_small(req, "manifest").await?);
    }
    let mut text = manifest.ok_or_else(|| FetchError::Content("the registry sent no manifest".into()))?;
    for _ in 0..2 {
        match signals::manifest_pick(&text, arch).map_err(FetchError::Content)? {
            ManifestPick::Layer(digest) => {
                return Ok(Bulk {
                    what: "layer".into(),
                    url: format!("{registry}/v2/{image}/blobs/{digest}"),
                    format: SampleFormat::Compressed,
                    auth,
                });
            }
            ManifestPick::Platform(digest) => {
                let mut req = Req::get(format!("{registry}/v2/{image}/manifests/{digest}"));
                req.accept = Some(MANIFEST_TYPES);
                req.auth = auth.clone();
                text = get_small(req, "manifest").await?;
            }
        }
    }
    Err(FetchError::Content("the manifest chain does not end in layers".into()))
}

/// A final needs a screen at least this fraction of the group's best screen: one far slower
/// cannot plausibly overtake it, and the finals (one at a time) are the run's slow part.
const FINALS_WITHIN: f64 = 1.0 / 3.0;

/// The finalists of group `g`: its fastest screened candidates, those within
/// [`FINALS_WITHIN`] of the best screen, at most [`Options::finalists`].
fn finalists_of(shared: &Shared, g: usize) -> Vec<usize> {
    let stale = shared.stale_in(g);
    let mut order: Vec<(usize, f64)> = shared.groups[g]
        .iter()
        .zip(stale)
        .filter(|&(&i, stale)| shared.cands[i].sampled && !stale)
        .filter_map(|(&i, _)| {
            let st = shared.state(i);
            if st.end != Some(Outcome::Answered) || st.bulk.is_none() {
                return None;
            }
            let rate = match st.screen {
                Some(Measure::Rate { bps, .. }) => bps,
                // `status --check` does not screen: its one candidate goes straight to the final.
                None if !shared.opts.screen => 0.0,
                _ => return None,
            };
            Some((i, rate))
        })
        .collect();
    order.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal).then(a.0.cmp(&b.0)));
    let top = order.first().map_or(0.0, |(_, r)| *r);
    order.retain(|(_, r)| *r >= top * FINALS_WITHIN);
    order.truncate(shared.opts.finalists.max(1));
    order.into_iter().map(|(i, _)| i).collect()
}

/// The finals: one at a time, round by round (every target's first finalist, then every
/// target's second, …) so that a short budget is shared among the targets. A host measured
/// already in this run is not measured again: its figure is reused (the same server and
/// link). Returns, per group, whether a finalist had no time left.
async fn finals(shared: &Shared, groups: usize, end: Instant, progress: &dyn Fn(Event)) -> Vec<bool> {
    let lists: Vec<Vec<usize>> = (0..groups).map(|g| finalists_of(shared, g)).collect();
    for _ in lists.iter().flatten() {
        progress(Event::More);
    }
    let mut incomplete = vec![false; groups];
    let mut measured: HashMap<String, (String, Measure)> = HashMap::new();
    let rounds = lists.iter().map(Vec::len).max().unwrap_or(0);
    for round in 0..rounds {
        for (g, list) in lists.iter().enumerate() {
            let Some(&i) = list.get(round) else {
                continue;
            };
            let bulk = shared.state(i).bulk.clone().expect("finalists have a bulk object");
            let remaining = end.saturating_duration_since(Instant::now());
            if remaining < Duration::from_millis(50) {
                let mut st = shared.state(i);
                st.log.push(format!("final: GET {} → not run: out of time", bulk.url));
                st.finals = Some(Measure::NotMeasured("out of time".into()));
                incomplete[g] = true;
                progress(Event::Done);
                continue;
            }
            let host = super::plan::host_key(&bulk.url);
            if let Some((url, m)) = measured.get(&host) {
                let mut st = shared.state(i);
                st.log.push(format!("final: {host} was measured already ({url} → {})", describe_measure(m)));
                st.finals = Some(m.clone());
                progress(Event::Done);
                continue;
            }
            let latency = shared.state(i).latency.unwrap_or_default();
            let window = (shared.opts.sample_time + latency * 3).min(remaining);
            let steady_after = shared.opts.sample_time / 4;
            match sample(&shared.net, &bulk, shared.opts.sample_bytes, window, steady_after, end).await {
                Ok(m) => {
                    if matches!(m, Measure::Rate { .. }) {
                        measured.insert(host, (bulk.url.clone(), m.clone()));
                    }
                    let mut st = shared.state(i);
                    st.log.push(format!("final: GET {} → {}", bulk.url, describe_measure(&m)));
                    st.finals = Some(m);
                }
                Err(e) => fail_sample(shared, i, &format!("final: GET {}", bulk.url), e),
            }
            progress(Event::Done);
        }
    }
    incomplete
}

fn describe_measure(m: &Measure) -> String {
    match m {
        Measure::Rate { bps, bytes, at_least: false } => format!("{bytes} bytes at {}", rank::human_rate(*bps)),
        Measure::Rate { bps, bytes, at_least: true } => {
            format!("{bytes} bytes at least at {} (too fast to time)", rank::human_rate(*bps))
        }
        Measure::TooSmall(n) => format!("too small to measure ({})", human_bytes(*n as usize)),
        Measure::NotMeasured(why) => format!("not measured: {why}"),
    }
}

/// Samples `bulk`: a ranged GET of at most `budget` bytes, all within `window` of being
/// sent (the time to the first byte included) and before `hard`; it stops sooner once the
/// rate has been steady for `steady_after`. The rate is taken from the
/// first body chunk on, the first chunk itself excluded. Only a wrong answer (an HTTP error,
/// the wrong format) is an error; a stall, a break or a lack of time is
/// [`Measure::NotMeasured`].
pub async fn sample(
    net: &Net,
    bulk: &Bulk,
    budget: usize,
    window: Duration,
    steady_after: Duration,
    hard: Instant,
) -> Result<Measure, FetchError> {
    let mut req = Req::get(&bulk.url);
    req.range = Some(super::plan::Range::Head(budget));
    req.auth = bulk.auth.clone();
    // Waiting for a connection slot is not the site's time: the window starts when the
    // request goes out.
    let mut sent = match net.send(&req, window, hard, false).await {
        Ok(s) => s,
        Err(FetchError::NoAnswer(d)) => {
            return Ok(Measure::NotMeasured(format!("the sample did not start within {}", human_ms(d))));
        }
        Err(e @ FetchError::NotSent { .. }) => return Ok(Measure::NotMeasured(e.to_string())),
        Err(FetchError::Broken(b @ (Broken::RedirectLoop | Broken::TooManyRedirects | Broken::BadRedirect(_)))) => {
            return Err(FetchError::Broken(b));
        }
        Err(FetchError::Broken(b)) => return Ok(Measure::NotMeasured(format!("the sample broke off: {b}"))),
        Err(e) => return Err(e),
    };
    let began = sent.at.checked_sub(sent.ttfb).unwrap_or(sent.at);
    let stop = (began + window).min(hard);
    let mut head: Vec<u8> = Vec::new();
    let mut total: u64 = 0;
    let mut first: Option<(Instant, u64)> = None;
    let mut last = Instant::now();
    let mut ended = false;
    let mut broke = None;
    let mut marks: Vec<(Duration, u64)> = Vec::new();
    loop {
        match timeout_at(stop, sent.response.chunk()).await {
            Err(_) => break,
            Ok(Ok(None)) => {
                ended = true;
                break;
            }
            Ok(Err(e)) => {
                broke = Some(super::net::classify(&e));
                break;
            }
            Ok(Ok(Some(chunk))) => {
                net.count(chunk.len());
                let now = Instant::now();
                if head.len() < 64 {
                    let take = (64 - head.len()).min(chunk.len());
                    head.extend_from_slice(&chunk[..take]);
                }
                total += chunk.len() as u64;
                last = now;
                let (t0, _) = *first.get_or_insert((now, chunk.len() as u64));
                if total >= budget as u64 {
                    break;
                }
                marks.push((now - t0, total));
                if steady(&marks, steady_after) {
                    break;
                }
            }
        }
    }
    drop(sent);
    if !ended && total < MIN_STREAM {
        let waited = human_ms(began.elapsed());
        return Ok(Measure::NotMeasured(match (total, broke) {
            (0, Some(b)) => format!("the sample broke off before its first byte: {b}"),
            (0, None) => format!("the sample stalled after its headers (nothing in {waited})"),
            (n, _) => format!("the sample stalled ({n} bytes in {waited})"),
        }));
    }
    if head.len() >= MIN_JUDGED || ended {
        signals::sample_start(&head, bulk.format)
            .map_err(|why| FetchError::Content(format!("{}: {why}", bulk.what)))?;
    }
    if ended && total < MIN_RATE_BYTES {
        return Ok(Measure::TooSmall(total));
    }
    let Some((t0, first_len)) = first else {
        return Ok(Measure::NotMeasured("the sample sent no body".into()));
    };
    let span = last - t0;
    let timed = total - first_len;
    if timed == 0 || span < MIN_SPAN {
        return Ok(Measure::Rate { bps: total as f64 / MIN_SPAN.as_secs_f64(), bytes: total, at_least: true });
    }
    Ok(Measure::Rate { bps: timed as f64 / span.as_secs_f64(), bytes: total, at_least: false })
}

/// Whether a transfer's rate has settled: at least `min` has passed and the second half
/// of the transfer ran within 10% of the rate of the first half.
fn steady(marks: &[(Duration, u64)], min: Duration) -> bool {
    let Some(&(now, total)) = marks.last() else {
        return false;
    };
    if now < min || total < 64 * 1024 {
        return false;
    }
    let half = now / 2;
    let Some(&(t, b)) = marks.iter().rev().find(|(t, _)| *t <= half) else {
        return false;
    };
    if t.is_zero() || b == 0 || now <= t {
        return false;
    }
    let first = b as f64 / t.as_secs_f64();
    let second = (total - b) as f64 / (now - t).as_secs_f64();
    (second - first).abs() <= 0.1 * first
}

/// Fetches a status feed on its own slot (one per host), up to [`super::FEED_BUDGET`].
async fn feed(net: &Net, url: &str, hard: Instant) -> Result<String, String> {
    let req = Req::get(url);
    let mut sent = net.send_feed(&req, hard).await.map_err(|e| e.to_string())?;
    let body =
        net.read_body(&mut sent, "status feed", super::FEED_BUDGET, true, hard).await.map_err(|e| e.to_string())?;
    String::from_utf8(body).map_err(|_| "the status feed is not UTF-8".to_owned())
}

/// A usable HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Whether `body` starts at the beginning of the file (false for a tail range).
    pub from_start: bool,
    pub ttfb: Duration,
    /// The URL that answered, after redirects.
    pub url: String,
}

impl Answer {
    pub fn new(status: u16, headers: HeaderMap, body: Vec<u8>, url: String, ttfb: Duration) -> Self {
        let from_start = status != 206
            || headers
                .get(CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim_start().starts_with("bytes 0-"));
        Self { status, headers, body, from_start, ttfb, url }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn last_modified(headers: &HeaderMap) -> Option<i64> {
    header(headers, LAST_MODIFIED.as_str()).and_then(signals::http_date)
}

/// What one answer told: readings, notes for `-v` (signals ignored as implausible), leads.
#[derive(Debug, Default)]
pub struct Found {
    pub readings: Vec<Reading>,
    pub notes: Vec<String>,
    pub leads: Leads,
}

/// Judges an answer's content and reads its freshness signals and leads.
pub fn read_signals(step: &Step, answer: &Answer) -> Result<Found, String> {
    let text = String::from_utf8_lossy(&answer.body);
    let mut found = Found::default();
    match &step.check {
        Check::Trace => {
            let (date, serial) = signals::trace(&text)?;
            found.readings.push(Reading::time("debian-trace", date).with_token(serial));
        }
        Check::InRelease { suite, origin } => {
            let date = signals::inrelease(&text, suite, origin)?;
            found.readings.push(Reading::time(format!("inrelease:{suite}"), date));
        }
        Check::Epoch { kind } => found.readings.push(Reading::time(*kind, signals::epoch(&text)?)),
        Check::PackageDb { kind } => {
            if signals::compression(&answer.body).is_none() {
                return Err(if signals::looks_like_html(&answer.body) {
                    format!("an HTML page instead of {}", step.what)
                } else {
                    format!("{} is not a package database", step.what)
                });
            }
            if let (Some(kind), Some(at)) = (kind, last_modified(&answer.headers)) {
                found.readings.push(Reading::time(kind.clone(), at));
            }
        }
        Check::SimplePage { project } => signals::simple_head(&text, project)?,
        Check::SimpleSerial { project } => {
            if answer.from_start {
                signals::simple_head(&text, project)?;
            } else {
                signals::simple_tail(&text)?;
            }
            found.leads.file = signals::simple_newest_file(&text, &answer.url);
            // The header first, then the page's `<!--SERIAL n-->`; an implausible value is no
            // reading at all (it would make every other site look years behind).
            let from_header = header(&answer.headers, "x-pypi-last-serial")
                .map(|v| signals::serial(v).map_err(|why| format!("X-PyPI-Last-Serial: {why}")));
            let from_page = signals::simple_serial(&text).map(|r| r.map_err(|why| format!("<!--SERIAL-->: {why}")));
            let mut serial = None;
            for read in [from_header, from_page].into_iter().flatten() {
                match read {
                    Ok(v) => {
                        serial = Some(v);
                        break;
                    }
                    Err(why) => found.notes.push(format!("{why}; ignored")),
                }
            }
            if let Some(serial) = serial {
                found.readings.push(Reading {
                    kind: "pypi-serial".into(),
                    value: serial,
                    secs_per_unit: super::plan::PYPI_SECONDS_PER_SERIAL,
                    token: None,
                });
            }
        }
        Check::Repodata { kind } => {
            // A static repodata.json comes with a JSON type or at least a modification time.
            let ctype = header(&answer.headers, CONTENT_TYPE.as_str()).unwrap_or_default().to_lowercase();
            let modified = last_modified(&answer.headers);
            if ctype.contains("html") {
                return Err(format!("an HTML page instead of {}", step.what));
            }
            if !ctype.contains("json") && modified.is_none() {
                let shown = if ctype.is_empty() { "no type" } else { ctype.as_str() };
                return Err(format!("{} answered as `{shown}` with no date", step.what));
            }
            if let (Some(kind), Some(at)) = (kind, modified) {
                found.readings.push(Reading::time(kind.clone(), at));
            }
        }
        Check::CratesConfig => {
            signals::crates_config(&text)?;
            found.leads.crate_dl = signals::crates_dl(&text);
        }
        Check::CrateIndex { name } => {
            let (newest, cksum) = signals::crate_tail(&text, name, answer.from_start)?;
            if let Some(at) = last_modified(&answer.headers) {
                found.readings.push(Reading::time(format!("crates:{name}"), at).with_token(Some(newest.clone())));
            }
            found.leads.crate_release = Some((newest, cksum));
        }
        Check::Registry => {
            if header(&answer.headers, "docker-distribution-api-version").is_none() {
                return Err("`/v2/` is not a Docker registry (no `Docker-Distribution-Api-Version`)".into());
            }
        }
        Check::Manifest { image } => {
            if answer.status == 200 {
                if header(&answer.headers, "docker-content-digest").is_none() {
                    return Err(format!(
                        "the `{image}` manifest answer is not from a registry (no `Docker-Content-Digest`)"
                    ));
                }
                found.leads.manifest = Some(text.into_owned());
            } else if answer.status == 401 {
                found.leads.challenge =
                    header(&answer.headers, WWW_AUTHENTICATE.as_str()).and_then(signals::bearer_challenge);
                if found.leads.challenge.is_none() {
                    found.notes.push("401 without a usable `WWW-Authenticate: Bearer` challenge".into());
                }
            }
        }
        Check::Repomd { kind } => {
            let (revision, primary) = signals::repomd(&text)?;
            if let Some(at) = revision.or_else(|| last_modified(&answer.headers)) {
                found.readings.push(Reading::time(kind.clone(), at));
            }
            // `href` is relative to the tree that holds `repodata/`.
            found.leads.primary = primary.and_then(|href| {
                let base = answer.url.strip_suffix("repodata/repomd.xml")?;
                url::Url::parse(base).ok()?.join(&href).ok().map(String::from)
            });
        }
        Check::NpmDoc { package, fresh } => {
            let (modified, latest) = signals::npm_doc(&text, package)?;
            if let (true, Some(at)) = (fresh, modified) {
                found.readings.push(Reading::time(format!("npm:{package}"), at).with_token(latest));
            }
        }
        Check::GoLatest { module } => {
            let (version, at) = signals::go_latest(&text)?;
            found.readings.push(Reading::time(format!("go:{module}"), at).with_token(Some(version)));
        }
        Check::GoList => signals::go_list(&text)?,
        Check::RustupChannel => {
            let (at, date, file) = signals::rustup_channel(&text, &answer.url)?;
            found.readings.push(Reading::time("rustup:stable", at).with_token(Some(date)));
            found.leads.file = file;
        }
        Check::Sha256 => signals::sha256_file(&text)?,
        Check::ApiHead { kind } => {
            let ctype = header(&answer.headers, CONTENT_TYPE.as_str()).unwrap_or_default().to_lowercase();
            let modified = last_modified(&answer.headers);
            if ctype.contains("html") {
                return Err(format!("an HTML page instead of {}", step.what));
            }
            if !ctype.contains("json") && modified.is_none() {
                return Err(format!("{} answered with no JSON type and no date", step.what));
            }
            if let (Some(kind), Some(at)) = (kind, modified) {
                found.readings.push(Reading::time(kind.clone(), at));
            }
        }
        Check::HfModel { model } => {
            let (at, sha) = signals::hf_model(&text, model)?;
            found.readings.push(Reading::time(format!("hf:{model}"), at).with_token(sha));
        }
        Check::JsonObject => signals::json_object(&text, &step.what)?,
        Check::SumdbLatest => {
            if !text.starts_with("go.sum database tree\n") {
                return Err("`latest` is not a checksum database's tree head".into());
            }
        }
        Check::GitRefs => {
            let ctype = header(&answer.headers, CONTENT_TYPE.as_str()).unwrap_or_default();
            if !ctype.contains("git-upload-pack-advertisement") && !text.starts_with("001e# service=git-upload-pack") {
                return Err("not a git remote (no `git-upload-pack` advertisement)".into());
            }
        }
        Check::GemInfo { name } => {
            let newest = signals::gem_info(&text, answer.from_start)?;
            if let Some(at) = last_modified(&answer.headers) {
                found.readings.push(Reading::time(format!("gems:{name}"), at).with_token(Some(newest)));
            }
        }
        Check::GemVersions => signals::gem_versions(&text)?,
        Check::MavenMetadata { artifact, fresh } => {
            let (updated, latest) = signals::maven_metadata(&text, artifact)?;
            if let (true, Some(at)) = (fresh, updated) {
                found.readings.push(Reading::time(format!("maven:{artifact}"), at).with_token(latest));
            }
        }
    }
    Ok(found)
}

/// `64 KiB`, `1 MiB`.
pub fn human_bytes(n: usize) -> String {
    if n >= 1 << 20 && n % (1 << 20) == 0 {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / f64::from(1 << 20))
    } else if n >= 1 << 10 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(rate_first: u64, rate_second: u64) -> Vec<(Duration, u64)> {
        let mut v = Vec::new();
        let mut total = 0;
        for ms in 1..=200u64 {
            total += if ms <= 100 { rate_first } else { rate_second };
            v.push((Duration::from_millis(ms), total));
        }
        v
    }

    #[test]
    fn a_steady_rate_stops_the_sample_early() {
        let min = Duration::from_millis(130);
        assert!(steady(&marks(10_000, 10_000), min));
        assert!(steady(&marks(10_000, 10_500), min));
        assert!(!steady(&marks(10_000, 20_000), min), "still speeding up");
        assert!(!steady(&marks(10_000, 10_000)[..100], min), "too early");
        assert!(!steady(&marks(100, 100), min), "too few bytes");
        assert!(!steady(&[], min));
    }

    /// The botocore tail step of a PyPI probe, answered with `serial` in the header (if any)
    /// and `<!--SERIAL page-->` at the end of the page.
    fn serial_answer(header: Option<&str>, page: &str) -> Result<Found, String> {
        let host = crate::targets::Host { arch: "amd64".into(), ..Default::default() };
        let plan = super::super::plan::plan_for_configured(crate::targets::TargetKind::Pip, &host, "https://m/simple");
        let step = &plan.steps[0];
        assert!(matches!(step.check, Check::SimpleSerial { .. }));
        let mut headers = HeaderMap::new();
        headers.insert("content-range", "bytes 100-200/201".parse().unwrap());
        if let Some(v) = header {
            headers.insert("x-pypi-last-serial", v.parse().unwrap());
        }
        let body = format!(
            "whl#sha256=aa\">botocore-1.35.0-py3-none-any.whl</a><br/>\n<a href=\"../../packages/ab/cd/botocore-1.35.1.tar.gz#sha256=bb\">botocore-1.35.1.tar.gz</a><br/>\n</body>\n</html>\n<!--SERIAL {page}-->\n"
        )
        .into_bytes();
        let answer = Answer::new(206, headers, body, "https://m/simple/botocore/".into(), Duration::ZERO);
        read_signals(step, &answer)
    }

    #[test]
    fn implausible_serials_are_no_reading() {
        let value = |r: &Found| r.readings.iter().map(|r| r.value).collect::<Vec<_>>();
        // A good header wins; a bad one gives way to the page, and says so.
        let r = serial_answer(Some("30000000"), "29999990").unwrap();
        assert_eq!((value(&r), r.notes.len()), (vec![30_000_000], 0));
        let r = serial_answer(Some("-5"), "29999990").unwrap();
        assert_eq!(value(&r), [29_999_990]);
        assert_eq!(r.notes, ["X-PyPI-Last-Serial: serial `-5` is negative; ignored"]);
        // Both bad: no reading at all, and a note for each.
        let r = serial_answer(Some("9223372036854775807"), "-9223372036854775808").unwrap();
        assert!(r.readings.is_empty(), "{r:?}");
        assert!(r.notes[0].contains("implausibly large") && r.notes[1].contains("negative"), "{r:?}");
        let r = serial_answer(None, "99999999999999999999999").unwrap();
        assert!(r.readings.is_empty() && r.notes[0].starts_with("<!--SERIAL-->: "), "{r:?}");
    }

    #[test]
    fn the_tail_of_the_busy_page_names_the_file_to_sample() {
        // The cut first link is no link; the last archive is taken, resolved on the page.
        let r = serial_answer(None, "1").unwrap();
        assert_eq!(r.leads.file.as_deref(), Some("https://m/packages/ab/cd/botocore-1.35.1.tar.gz"));
    }

    #[test]
    fn byte_units() {
        assert_eq!(human_bytes(64 * 1024), "64 KiB");
        assert_eq!(human_bytes(1 << 20), "1 MiB");
        assert_eq!(human_bytes(3 << 19), "1.5 MiB");
        assert_eq!(human_bytes(10), "10 bytes");
    }
}
