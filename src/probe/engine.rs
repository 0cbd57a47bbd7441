//! The network part: one reqwest client, concurrent bounded probes with a per-host cap and
//! an early cut-off, then one throughput sample at a time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, HeaderMap, LAST_MODIFIED, RANGE};
use tokio::sync::Semaphore;
use tokio::task::{AbortHandle, JoinSet};
use tokio::time::{Instant, sleep_until, timeout_at};

use super::Options;
use super::plan::{Check, Method, Plan, Step, host_key};
use super::rank::{self, Outcome};
use super::signals::{self, Reading};

/// What one probe found.
#[derive(Debug, Clone)]
pub struct Probed {
    pub outcome: Outcome,
    /// Time to the answer of the last request (on a warm connection when the server keeps
    /// connections open).
    pub latency: Option<Duration>,
    /// Time to the answer of the first request (includes connection setup).
    pub first: Option<Duration>,
    pub readings: Vec<Reading>,
    /// One line per request, for `-v`.
    pub log: Vec<String>,
}

impl Probed {
    fn failed(why: impl Into<String>, log: Vec<String>) -> Self {
        Self { outcome: Outcome::Failed(why.into()), latency: None, first: None, readings: Vec::new(), log }
    }
}

/// One (site, plan) to probe.
#[derive(Debug, Clone)]
pub struct Job {
    /// Jobs of one group are ranked against each other and share a cut-off.
    pub group: usize,
    pub plan: Plan,
}

/// Progress reports for the command's progress bar.
#[derive(Debug, Clone, Copy)]
pub enum Event {
    /// One more unit of work is planned (a throughput sample).
    More,
    /// One unit of work is done.
    Done,
}

/// Why a request did not give a usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    Throttled(u16),
    Status(u16),
    Failed(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Throttled(code) => write!(f, "HTTP {code} (throttled)"),
            Self::Status(code) => write!(f, "HTTP {code}"),
            Self::Failed(why) => f.write_str(why),
        }
    }
}

/// Why a throughput sample measured no rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SampleError {
    /// The mirror answered wrongly: an HTTP error, a redirect loop, or an object that is not
    /// in the expected format. The site is judged by it (throttled or failed).
    Answer(FetchError),
    /// No rate was measured for want of time, or because the transfer broke off before the
    /// first bytes. Nothing is known against the site: it keeps its probe's verdict.
    NotSampled(String),
}

/// Why a sample was not taken when the sampling phase (or the sample's window) ran out.
pub const OUT_OF_TIME: &str = "out of time";

/// What a Docker client accepts for a manifest: multi-platform lists first.
const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// A usable HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// Whether `body` starts at the beginning of the file (false for a tail range).
    pub from_start: bool,
    pub ttfb: Duration,
    pub bytes: u64,
}

pub struct Engine {
    client: reqwest::Client,
    opts: Options,
}

/// The client every probe shares: rustls with the platform verifier (system store,
/// `SSL_CERT_FILE`, `SSL_CERT_DIR`), proxies from the environment (unless
/// `Options::proxy_from_env` is off), a `User-Agent`, redirects
/// followed up to 5 hops with loops detected, no retries (a retry would hide slowness).
pub fn client(opts: &Options) -> anyhow::Result<reqwest::Client> {
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().iter().any(|u| u == attempt.url()) {
            attempt.error("redirect loop")
        } else if attempt.previous().len() > 5 {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    });
    let builder = reqwest::Client::builder();
    let builder = if opts.proxy_from_env { builder } else { builder.no_proxy() };
    Ok(builder
        .user_agent(super::USER_AGENT)
        .redirect(policy)
        .retry(reqwest::retry::never())
        .connect_timeout(opts.timeout)
        .pool_max_idle_per_host(opts.per_host)
        .tcp_nodelay(true)
        .build()?)
}

impl Engine {
    pub fn new(opts: Options) -> anyhow::Result<Self> {
        Ok(Self { client: client(&opts)?, opts })
    }

    /// Probes every job concurrently (at most `per_host` at once per `host:port`, at most
    /// `concurrency` in all) and fetches the status feeds alongside. Every probe must end
    /// within `timeout` of the start. Once `finalists` sites of a group have answered and
    /// are fresh so far (at time t), the group's stragglers get until
    /// `max(cutoff_factor × t, t + cutoff_floor)` and are then reported failed.
    pub async fn probe_all(
        &self,
        jobs: &[Job],
        feeds: &[String],
        progress: &dyn Fn(Event),
    ) -> (Vec<Probed>, Vec<Option<String>>) {
        let start = Instant::now();
        let deadline = start + self.opts.timeout;
        let global = Arc::new(Semaphore::new(self.opts.concurrency.max(1)));
        let mut hosts: HashMap<String, Arc<Semaphore>> = HashMap::new();
        let mut host_sem = |url: &str| {
            hosts.entry(host_key(url)).or_insert_with(|| Arc::new(Semaphore::new(self.opts.per_host.max(1)))).clone()
        };

        enum Done {
            Probe(usize, Probed),
            Feed(usize, Option<String>),
        }
        let mut set: JoinSet<Done> = JoinSet::new();
        let mut handles: Vec<Option<AbortHandle>> = vec![None; jobs.len()];

        // Start the groups' probes interleaved, so every group gets going early even when
        // the per-host cap queues some of them.
        let groups = jobs.iter().map(|j| j.group + 1).max().unwrap_or(0);
        let mut by_group: Vec<Vec<usize>> = vec![Vec::new(); groups];
        for (i, j) in jobs.iter().enumerate() {
            by_group[j.group].push(i);
        }
        let longest = by_group.iter().map(Vec::len).max().unwrap_or(0);
        for round in 0..longest {
            for members in &by_group {
                let Some(&i) = members.get(round) else {
                    continue;
                };
                let plan = jobs[i].plan.clone();
                let client = self.client.clone();
                let host = host_sem(&plan.url);
                let global = global.clone();
                let opts = self.opts.clone();
                handles[i] = Some(set.spawn(async move {
                    let probed = async {
                        let _host = host.acquire_owned().await.ok()?;
                        let _all = global.acquire_owned().await.ok()?;
                        Some(probe(&client, &plan, deadline, &opts).await)
                    };
                    let probed = match timeout_at(deadline, probed).await {
                        Ok(Some(p)) => p,
                        _ => Probed::failed(format!("no answer within {}", rank::human_ms(opts.timeout)), Vec::new()),
                    };
                    Done::Probe(i, probed)
                }));
            }
        }
        for (f, url) in feeds.iter().enumerate() {
            let client = self.client.clone();
            let host = host_sem(url);
            let url = url.clone();
            set.spawn(async move {
                let text = async {
                    let _host = host.acquire_owned().await.ok()?;
                    let step = Step::feed(url);
                    let answer = fetch(&client, &step, deadline).await.ok()?;
                    String::from_utf8(answer.body).ok()
                };
                Done::Feed(f, timeout_at(deadline, text).await.ok().flatten())
            });
        }

        let mut results: Vec<Option<Probed>> = vec![None; jobs.len()];
        let mut feed_texts: Vec<Option<String>> = vec![None; feeds.len()];
        let mut cutoffs: Vec<Option<Instant>> = vec![None; groups];
        let mut pending = jobs.len();
        let finalists = self.opts.finalists.max(1);

        while pending > 0 {
            let next_cut = (0..groups)
                .filter(|g| by_group[*g].iter().any(|i| results[*i].is_none()))
                .filter_map(|g| cutoffs[g])
                .min();
            let joined = match next_cut {
                Some(at) => tokio::select! {
                    j = set.join_next() => Some(j),
                    () = sleep_until(at) => None,
                },
                None => Some(set.join_next().await),
            };
            match joined {
                None => {
                    let now = Instant::now();
                    for g in 0..groups {
                        let Some(at) = cutoffs[g].filter(|at| *at <= now) else {
                            continue;
                        };
                        for &i in &by_group[g] {
                            if results[i].is_some() {
                                continue;
                            }
                            if let Some(h) = &handles[i] {
                                h.abort();
                            }
                            let why = format!("no answer before the cut-off at {}", rank::human_ms(at - start));
                            results[i] = Some(Probed::failed(why, Vec::new()));
                            pending -= 1;
                            progress(Event::Done);
                        }
                    }
                }
                Some(None) => break,
                Some(Some(Err(_))) => {}
                Some(Some(Ok(Done::Feed(f, text)))) => feed_texts[f] = text,
                Some(Some(Ok(Done::Probe(i, probed)))) => {
                    if results[i].is_some() {
                        continue;
                    }
                    results[i] = Some(probed);
                    pending -= 1;
                    progress(Event::Done);
                    let g = jobs[i].group;
                    if cutoffs[g].is_none()
                        && fresh_answers(jobs, &results, &by_group[g], self.opts.max_lag) >= finalists
                    {
                        let t = start.elapsed();
                        let grace = (t * self.opts.cutoff_factor).max(t + self.opts.cutoff_floor);
                        cutoffs[g] = Some(start + grace.min(self.opts.timeout));
                    }
                }
            }
        }
        set.abort_all();
        let results =
            results.into_iter().map(|r| r.unwrap_or_else(|| Probed::failed("not probed", Vec::new()))).collect();
        (results, feed_texts)
    }

    /// Samples throughput: GET the plan's sample object, then read for at most `window` or
    /// `sample_bytes`, whichever comes first. Headers must come before `deadline`.
    /// Returns bytes per second measured from the first answer byte (connection setup and
    /// time to first byte excluded). Only a wrong answer (HTTP error, wrong format) is an
    /// [`SampleError::Answer`]; running out of time is [`SampleError::NotSampled`].
    pub async fn sample(&self, step: &Step, window: Duration, deadline: Instant) -> Result<(f64, u64), SampleError> {
        let Check::Sample { format } = step.check else {
            return Err(SampleError::NotSampled("nothing to sample".into()));
        };
        let request = self.client.get(&step.url);
        let response = match timeout_at(deadline, request.send()).await {
            Err(_) => return Err(SampleError::NotSampled(OUT_OF_TIME.into())),
            Ok(Err(e)) if e.is_redirect() => return Err(SampleError::Answer(FetchError::Failed(describe(&e)))),
            Ok(Err(e)) if e.is_timeout() => return Err(SampleError::NotSampled(OUT_OF_TIME.into())),
            Ok(Err(e)) => return Err(SampleError::NotSampled(describe(&e))),
            Ok(Ok(r)) => r,
        };
        let mut response = judge_status(response, step).map_err(SampleError::Answer)?;
        let began = Instant::now();
        let stop = began + window;
        let mut total: u64 = 0;
        let mut ended = false;
        let mut start_bytes: Vec<u8> = Vec::new();
        // (elapsed, bytes so far) after each chunk, to stop early once the rate is steady.
        let mut marks: Vec<(Duration, u64)> = Vec::new();
        loop {
            match timeout_at(stop, response.chunk()).await {
                Err(_) => break,
                Ok(Ok(None)) => {
                    ended = true;
                    break;
                }
                Ok(Err(e)) => {
                    if total == 0 {
                        return Err(SampleError::NotSampled(describe(&e)));
                    }
                    break;
                }
                Ok(Ok(Some(chunk))) => {
                    if start_bytes.len() < 64 {
                        let take = (64 - start_bytes.len()).min(chunk.len());
                        start_bytes.extend_from_slice(&chunk[..take]);
                    }
                    total += chunk.len() as u64;
                    if total >= self.opts.sample_bytes as u64 {
                        break;
                    }
                    marks.push((began.elapsed(), total));
                    if steady(&marks, self.opts.sample_time / 4) {
                        break;
                    }
                }
            }
        }
        let elapsed = began.elapsed().max(Duration::from_millis(1));
        drop(response);
        // The window closed before enough arrived to judge the format (or to be a rate).
        if !ended && start_bytes.len() < MIN_JUDGED {
            return Err(SampleError::NotSampled(OUT_OF_TIME.into()));
        }
        signals::sample_start(&start_bytes, format)
            .map_err(|why| SampleError::Answer(FetchError::Failed(format!("{}: {why}", step.what))))?;
        Ok((total as f64 / elapsed.as_secs_f64(), total))
    }
}

/// Fewer bytes than this from a sample whose window closed say nothing about its format.
const MIN_JUDGED: usize = 8;

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

/// How many answered jobs of a group are fresh as far as the run knows so far.
fn fresh_answers(jobs: &[Job], results: &[Option<Probed>], members: &[usize], max_lag: Duration) -> usize {
    let answered: Vec<usize> = members
        .iter()
        .copied()
        .filter(|i| results[*i].as_ref().is_some_and(|p| p.outcome == Outcome::Answered))
        .collect();
    let inputs: Vec<(&[String], &[Reading])> = answered
        .iter()
        .map(|i| (jobs[*i].plan.kinds.as_slice(), results[*i].as_ref().map_or(&[][..], |p| p.readings.as_slice())))
        .collect();
    rank::lags(&inputs).into_iter().filter(|l| l.is_none_or(|l| l <= max_lag.as_secs())).count()
}

/// Runs the steps of one probe.
async fn probe(client: &reqwest::Client, plan: &Plan, deadline: Instant, opts: &Options) -> Probed {
    let mut out =
        Probed { outcome: Outcome::Answered, latency: None, first: None, readings: Vec::new(), log: Vec::new() };
    for step in &plan.steps {
        if let Some(kind) = step.fallback_for
            && out.readings.iter().any(|r| r.kind == kind)
        {
            continue;
        }
        let method = if step.method == Method::Head { "HEAD" } else { "GET" };
        match fetch(client, step, deadline).await {
            Ok(answer) => {
                out.log.push(format!(
                    "{method} {} → {} in {} ({} bytes)",
                    step.url,
                    answer.status,
                    rank::human_ms(answer.ttfb),
                    answer.bytes
                ));
                out.first.get_or_insert(answer.ttfb);
                out.latency = Some(answer.ttfb);
                match read_signals(step, &answer) {
                    Ok((readings, notes)) => {
                        out.readings.extend(readings);
                        out.log.extend(notes.into_iter().map(|n| format!("{method} {} → {n}", step.url)));
                    }
                    Err(why) => {
                        out.outcome = Outcome::Failed(format!("wrong content: {why}"));
                        out.latency = None;
                        return out;
                    }
                }
            }
            Err(FetchError::Status(code)) if step.optional && matches!(code, 404 | 410) => {
                out.log.push(format!("{method} {} → {code} (optional)", step.url));
            }
            Err(e) => {
                out.log.push(format!("{method} {} → {e}", step.url));
                out.outcome = match e {
                    FetchError::Throttled(code) => Outcome::Throttled(code),
                    FetchError::Status(code) => Outcome::Failed(format!("HTTP {code} for {}", step.what)),
                    FetchError::Failed(why) if why == TIMED_OUT => {
                        Outcome::Failed(format!("no answer within {}", rank::human_ms(opts.timeout)))
                    }
                    FetchError::Failed(why) => Outcome::Failed(why),
                };
                out.latency = None;
                return out;
            }
        }
    }
    out
}

const TIMED_OUT: &str = "timed out";

fn judge_status(response: reqwest::Response, step: &Step) -> Result<reqwest::Response, FetchError> {
    let status = response.status();
    let code = status.as_u16();
    if matches!(code, 403 | 429 | 451) {
        return Err(FetchError::Throttled(code));
    }
    let token_auth = matches!(step.check, Check::Registry | Check::Manifest { .. });
    let fine = status.is_success() || (code == 401 && token_auth);
    if fine { Ok(response) } else { Err(FetchError::Status(code)) }
}

/// One bounded request: the answer must start before `deadline`, and at most `step.limit`
/// body bytes are read (a `whole` body that is longer is refused).
pub async fn fetch(client: &reqwest::Client, step: &Step, deadline: Instant) -> Result<Answer, FetchError> {
    let mut request = match step.method {
        Method::Get => client.get(&step.url),
        Method::Head => client.head(&step.url),
    };
    if let Some(range) = step.range {
        request = request.header(RANGE, range.header());
    }
    if matches!(step.check, Check::SimplePage { .. } | Check::SimpleSerial { .. }) {
        request = request.header(ACCEPT, "text/html");
    }
    if matches!(step.check, Check::Manifest { .. }) {
        request = request.header(ACCEPT, MANIFEST_TYPES);
    }
    let began = Instant::now();
    let response = match timeout_at(deadline, request.send()).await {
        Err(_) => return Err(FetchError::Failed(TIMED_OUT.into())),
        Ok(Err(e)) => return Err(FetchError::Failed(describe(&e))),
        Ok(Ok(r)) => r,
    };
    let ttfb = began.elapsed();
    let mut response = judge_status(response, step)?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let from_start = status != 206
        || headers
            .get(CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("bytes 0-"));

    let mut body = Vec::new();
    let mut bytes = 0u64;
    if step.method == Method::Get && step.limit > 0 {
        if step.whole
            && let Some(len) = content_length(&headers)
            && len > step.limit as u64
        {
            return Err(FetchError::Failed(format!(
                "wrong content: {} is {} bytes, over the {} budget",
                step.what,
                len,
                human_bytes(step.limit)
            )));
        }
        let mut complete = false;
        loop {
            match timeout_at(deadline, response.chunk()).await {
                Err(_) => {
                    return Err(FetchError::Failed(format!(
                        "{} did not arrive in time (stalled after {bytes} bytes)",
                        step.what
                    )));
                }
                Ok(Err(e)) => {
                    return Err(FetchError::Failed(format!("{} cut short: {}", step.what, describe(&e))));
                }
                Ok(Ok(None)) => {
                    complete = true;
                    break;
                }
                Ok(Ok(Some(chunk))) => {
                    bytes += chunk.len() as u64;
                    let room = step.limit - body.len();
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        break;
                    }
                    body.extend_from_slice(&chunk);
                    if body.len() == step.limit && !step.whole {
                        break;
                    }
                }
            }
        }
        if step.whole && !complete {
            return Err(FetchError::Failed(format!(
                "wrong content: {} is larger than the {} budget",
                step.what,
                human_bytes(step.limit)
            )));
        }
    }
    Ok(Answer { status, headers, body, from_start, ttfb, bytes })
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn last_modified(headers: &HeaderMap) -> Option<i64> {
    header(headers, LAST_MODIFIED.as_str()).and_then(signals::http_date)
}

/// Judges an answer's content and reads its freshness signals. Besides the readings, says
/// in notes (for `-v`) which signals it ignored as implausible.
pub fn read_signals(step: &Step, answer: &Answer) -> Result<(Vec<Reading>, Vec<String>), String> {
    let text = String::from_utf8_lossy(&answer.body);
    let mut readings = Vec::new();
    let mut notes = Vec::new();
    match &step.check {
        Check::Trace => {
            let (date, serial) = signals::trace(&text)?;
            readings.push(Reading::time("debian-trace", date).with_token(serial));
        }
        Check::InRelease { suite, origin } => {
            let date = signals::inrelease(&text, suite, origin)?;
            readings.push(Reading::time(format!("inrelease:{suite}"), date));
        }
        Check::Epoch { kind } => readings.push(Reading::time(*kind, signals::epoch(&text)?)),
        Check::PackageDb { kind } => {
            if signals::compression(&answer.body).is_none() {
                return Err(if signals::looks_like_html(&answer.body) {
                    format!("an HTML page instead of {}", step.what)
                } else {
                    format!("{} is not a package database", step.what)
                });
            }
            if let (Some(kind), Some(at)) = (kind, last_modified(&answer.headers)) {
                readings.push(Reading::time(kind.clone(), at));
            }
        }
        Check::SimplePage { project } => signals::simple_head(&text, project)?,
        Check::SimpleSerial { project } => {
            if answer.from_start {
                signals::simple_head(&text, project)?;
            } else {
                signals::simple_tail(&text)?;
            }
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
                    Err(why) => notes.push(format!("{why}; ignored")),
                }
            }
            if let Some(serial) = serial {
                readings.push(Reading {
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
                readings.push(Reading::time(kind.clone(), at));
            }
        }
        Check::CratesConfig => signals::crates_config(&text)?,
        Check::CrateIndex { name } => {
            let newest = signals::crate_tail(&text, name, answer.from_start)?;
            if let Some(at) = last_modified(&answer.headers) {
                readings.push(Reading::time(format!("crates:{name}"), at).with_token(Some(newest)));
            }
        }
        Check::Registry => {
            if header(&answer.headers, "docker-distribution-api-version").is_none() {
                return Err("`/v2/` is not a Docker registry (no `Docker-Distribution-Api-Version`)".into());
            }
        }
        Check::Manifest { image } => {
            if answer.status == 200 && header(&answer.headers, "docker-content-digest").is_none() {
                return Err(format!(
                    "the `{image}` manifest answer is not from a registry (no `Docker-Content-Digest`)"
                ));
            }
        }
        Check::Sample { format } => signals::sample_start(&answer.body, *format)?,
        Check::Feed => {}
    }
    Ok((readings, notes))
}

/// A short lowercase description of a reqwest error: its kind and the innermost cause.
pub fn describe(e: &reqwest::Error) -> String {
    let mut causes: Vec<String> = Vec::new();
    let mut refused = false;
    let mut reset = false;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
            reset |= matches!(io.kind(), std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted);
        }
        causes.push(s.to_string());
        source = s.source();
    }
    let all = causes.join(": ").to_lowercase();
    let inner = causes.last().cloned().unwrap_or_default();
    if e.is_redirect() {
        return if all.contains("redirect loop") { "redirect loop".into() } else { "too many redirects".into() };
    }
    if e.is_timeout() {
        return TIMED_OUT.into();
    }
    if refused {
        return "connection refused".into();
    }
    if all.contains("certificate") || all.contains("tls") || all.contains("handshake") {
        return format!("TLS error: {inner}");
    }
    if all.contains("dns error") || all.contains("failed to lookup") {
        return "could not resolve the host".into();
    }
    if reset {
        return "connection reset".into();
    }
    if all.contains("incomplete message") || all.contains("connection closed before message completed") {
        return "the server closed the connection without an answer".into();
    }
    if e.is_connect() {
        return format!("could not connect: {inner}");
    }
    if all.contains("invalid") || all.contains("parse") {
        return format!("garbled answer: {inner}");
    }
    inner
}

/// `64 KiB`, `1 MiB`.
pub fn human_bytes(n: usize) -> String {
    if n >= 1 << 20 && n % (1 << 20) == 0 {
        format!("{} MiB", n >> 20)
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
    fn serial_answer(header: Option<&str>, page: &str) -> Result<(Vec<Reading>, Vec<String>), String> {
        let host = crate::targets::Host { arch: "amd64".into(), ..Default::default() };
        let plan = super::super::plan::plan_for_configured(crate::targets::TargetKind::Pip, &host, "https://m/simple");
        let step = &plan.steps[0];
        assert!(matches!(step.check, Check::SimpleSerial { .. }));
        let mut headers = HeaderMap::new();
        if let Some(v) = header {
            headers.insert("x-pypi-last-serial", v.parse().unwrap());
        }
        let body = format!("1.35.0.tar.gz</a><br/>\n</body>\n</html>\n<!--SERIAL {page}-->\n").into_bytes();
        let answer =
            Answer { status: 206, headers, bytes: body.len() as u64, body, from_start: false, ttfb: Duration::ZERO };
        read_signals(step, &answer)
    }

    #[test]
    fn implausible_serials_are_no_reading() {
        let value = |r: &(Vec<Reading>, Vec<String>)| r.0.iter().map(|r| r.value).collect::<Vec<_>>();
        // A good header wins; a bad one gives way to the page, and says so.
        let r = serial_answer(Some("30000000"), "29999990").unwrap();
        assert_eq!((value(&r), r.1.len()), (vec![30_000_000], 0));
        let r = serial_answer(Some("-5"), "29999990").unwrap();
        assert_eq!(value(&r), [29_999_990]);
        assert_eq!(r.1, ["X-PyPI-Last-Serial: serial `-5` is negative; ignored"]);
        // Both bad: no reading at all, and a note for each.
        let r = serial_answer(Some("9223372036854775807"), "-9223372036854775808").unwrap();
        assert!(r.0.is_empty(), "{r:?}");
        assert!(r.1[0].contains("implausibly large") && r.1[1].contains("negative"), "{r:?}");
        let r = serial_answer(None, "99999999999999999999999").unwrap();
        assert!(r.0.is_empty() && r.1[0].starts_with("<!--SERIAL-->: "), "{r:?}");
    }

    #[test]
    fn byte_units() {
        assert_eq!(human_bytes(64 * 1024), "64 KiB");
        assert_eq!(human_bytes(1 << 20), "1 MiB");
        assert_eq!(human_bytes(10), "10 bytes");
    }
}
