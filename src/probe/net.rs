//! HTTP for probes: one reqwest client, a cap on the requests in flight per host actually
//! contacted, redirects followed by hand, bounded reads, and errors classified by type.
//!
//! - **Per-host cap.** Every request (every hop of a redirect chain too) first takes a slot of
//!   its own `host:port`: a redirector such as CERNET's cannot add its requests to the
//!   campus mirror's. Time spent waiting for a slot is not the site's: a request's own
//!   timeout starts when it is sent.
//! - **Redirects** are followed here (up to [`MAX_HOPS`], loops detected), so each hop is
//!   capped and timed, and credentials never follow a redirect to another host.
//! - **Errors** are told apart by their types in the error chain (`io::ErrorKind`,
//!   `hyper::Error`, `rustls::Error`, [`DnsError`]), never by their wording.
//! - **Counting.** Every body byte read is counted, with the header bytes, so a run can
//!   say how much it read ([`Stats`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, LOCATION, RANGE};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, timeout_at};

use super::dns::{DnsError, Resolver};
use super::plan::{Method, Range, host_key};
use super::rank::human_ms;

/// Most redirects followed for one request.
pub const MAX_HOPS: usize = 5;

/// Why a request gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// 429, 451, or 403 (access refused).
    Throttled(u16),
    /// Any other HTTP error status.
    Status(u16),
    /// The network or the server broke the exchange.
    Broken(Broken),
    /// No answer within this long after the request was sent.
    NoAnswer(Duration),
    /// Never sent: every slot for the host stayed busy this long (other requests to it).
    NotSent { host: String, waited: Duration },
    /// The answer is not what the package manager expects.
    Content(String),
    /// The headers came, the body did not finish in time.
    Stalled { what: String, bytes: usize, after: Duration },
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Throttled(403) => f.write_str("HTTP 403 (access refused)"),
            Self::Throttled(code) => write!(f, "HTTP {code} (throttled)"),
            Self::Status(code) => write!(f, "HTTP {code}"),
            Self::Broken(b) => write!(f, "{b}"),
            Self::NoAnswer(d) => write!(f, "no answer within {}", human_ms(*d)),
            Self::NotSent { host, waited } => {
                write!(f, "not sent: every connection to {host} stayed busy for {}", human_ms(*waited))
            }
            Self::Content(why) => write!(f, "wrong content: {why}"),
            Self::Stalled { what, bytes, after } => {
                write!(f, "{what} did not arrive within {} (stalled after {bytes} bytes)", human_ms(*after))
            }
        }
    }
}

/// How an exchange broke, from the error's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    Dns(DnsError),
    Refused,
    Reset,
    /// The server closed the connection before (or in the middle of) its answer.
    Closed,
    Tls(String),
    /// The server's bytes are not HTTP.
    Garbled(String),
    RedirectLoop,
    TooManyRedirects,
    BadRedirect(String),
    Connect(String),
    Other(String),
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dns(e) => write!(f, "{e}"),
            Self::Refused => f.write_str("connection refused"),
            Self::Reset => f.write_str("connection reset"),
            Self::Closed => f.write_str("the server closed the connection without an answer"),
            Self::Tls(why) => write!(f, "TLS error: {why}"),
            Self::Garbled(why) => write!(f, "garbled answer: {why}"),
            Self::RedirectLoop => f.write_str("redirect loop"),
            Self::TooManyRedirects => write!(f, "more than {MAX_HOPS} redirects"),
            Self::BadRedirect(why) => write!(f, "bad redirect: {why}"),
            Self::Connect(why) => write!(f, "could not connect: {why}"),
            Self::Other(why) => f.write_str(why),
        }
    }
}

/// The reason of a TLS handshake the server cut short.
const CLOSED_IN_HANDSHAKE: &str =
    "the connection was closed during the TLS handshake (by the server, or a proxy on the way)";
/// The reason of a certificate that could not be checked: no CA certificates were loaded.
const NO_ROOTS: &str = "cannot check the server's certificate: no CA certificates were loaded from the system \
                        store, SSL_CERT_FILE or SSL_CERT_DIR";

/// The innermost of nested `io::Error`s (the TLS connector wraps its own in another). An
/// `io::Error` hides its payload from `source()`, so the chain walk cannot see it.
fn innermost_io(mut io: &std::io::Error) -> &std::io::Error {
    while let Some(inner) = io.get_ref().and_then(|inner| inner.downcast_ref::<std::io::Error>()) {
        io = inner;
    }
    io
}

/// The TLS error in a reqwest error's chain of causes, if any.
fn tls_error(e: &reqwest::Error) -> Option<&rustls::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(tls) = s.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(tls) = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| innermost_io(io).get_ref()?.downcast_ref::<rustls::Error>())
        {
            return Some(tls);
        }
        source = s.source();
    }
    None
}

/// Whether an error of type `E` is in `e`'s chain of causes.
fn chain_has<E: std::error::Error + 'static>(e: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(e), |s| s.source()).any(|s| s.is::<E>())
}

/// Sorts a reqwest error by the types in its chain of causes.
pub fn classify(e: &reqwest::Error) -> Broken {
    if let Some(tls) = tls_error(e) {
        return Broken::Tls(tls.to_string());
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut innermost = e.to_string();
    let mut closed = false;
    let mut garbled = None;
    while let Some(s) = source {
        if let Some(dns) = s.downcast_ref::<DnsError>() {
            return Broken::Dns(dns.clone());
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            let io = innermost_io(io);
            if let Some(dns) = io.get_ref().and_then(|inner| inner.downcast_ref::<DnsError>()) {
                return Broken::Dns(dns.clone());
            }
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return Broken::Refused,
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted => return Broken::Reset,
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::BrokenPipe => closed = true,
                _ => {}
            }
        }
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() || h.is_closed() || h.is_canceled() {
                closed = true;
            } else if h.is_parse() || h.is_parse_status() {
                garbled = Some(h.to_string());
            }
        }
        innermost = s.to_string();
        source = s.source();
    }
    if let Some(why) = garbled {
        return Broken::Garbled(why);
    }
    if closed && e.is_connect() && e.url().is_some_and(|u| u.scheme() == "https") {
        // Connecting to an https URL is the TCP connection, then the TLS handshake.
        return Broken::Tls(CLOSED_IN_HANDSHAKE.into());
    }
    if closed {
        return Broken::Closed;
    }
    if e.is_connect() {
        return Broken::Connect(innermost);
    }
    Broken::Other(innermost)
}

/// Which slots a request takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lane {
    Probe,
    Feed,
}

/// Numbers of a run, for `-v` and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes read from the network: bodies plus headers.
    pub bytes: u64,
    pub requests: u64,
}

/// One request to make.
#[derive(Debug, Clone)]
pub struct Req {
    pub url: String,
    pub method: Method,
    pub range: Option<Range>,
    pub accept: Option<&'static str>,
    /// An `Authorization` header value, sent to the first host only.
    pub auth: Option<String>,
}

impl Req {
    pub fn get(url: impl Into<String>) -> Self {
        Self { url: url.into(), method: Method::Get, range: None, accept: None, auth: None }
    }
}

/// An answer whose headers have arrived; the body is still to be read. Holds its host's
/// slot until dropped.
pub struct Sent {
    pub response: reqwest::Response,
    /// The URL that answered (after redirects).
    pub url: String,
    /// Time from sending to the headers of the final answer, summed over the hops (waiting
    /// for slots excluded).
    pub ttfb: Duration,
    /// When the final answer's headers arrived.
    pub at: Instant,
    /// The redirects followed, for `-v`.
    pub hops: Vec<String>,
    /// Time spent waiting for connection slots (over the hops): the run's, not the site's.
    pub waited: Duration,
    _slot: OwnedSemaphorePermit,
    _all: OwnedSemaphorePermit,
}

/// The network side of a run.
pub struct Net {
    client: reqwest::Client,
    /// No CA certificates could be loaded: every certificate check fails (plain http works).
    no_roots: bool,
    per_host: usize,
    slots: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Status feeds have slots of their own (one per host), so they never hold a probe's.
    feed_slots: Mutex<HashMap<String, Arc<Semaphore>>>,
    all: Arc<Semaphore>,
    bytes: AtomicU64,
    requests: AtomicU64,
}

impl Net {
    /// The client: rustls with the platform verifier (the system store, or `SSL_CERT_FILE`
    /// and `SSL_CERT_DIR` when set), proxies from the environment unless `proxy_from_env` is
    /// off, the resolver, a `User-Agent`, no automatic redirects or retries (a retry hides
    /// slowness). Where no CA certificate loads (a slim container without ca-certificates, an
    /// `SSL_CERT_FILE` that names no file), https sites fail with [`NO_ROOTS`] and the run
    /// goes on.
    pub fn new(opts: &super::Options, resolver: Resolver) -> anyhow::Result<Self> {
        let resolver = Arc::new(resolver);
        let builder = || {
            let builder = reqwest::Client::builder();
            let builder = if opts.proxy_from_env { builder } else { builder.no_proxy() };
            builder
                .user_agent(super::USER_AGENT)
                .redirect(reqwest::redirect::Policy::none())
                .retry(reqwest::retry::never())
                .dns_resolver(resolver.clone())
                .connect_timeout(opts.timeout)
                .pool_max_idle_per_host(opts.per_host)
                .tcp_nodelay(true)
        };
        let (client, no_roots) = match builder().build() {
            Ok(client) => (client, false),
            // The platform verifier failed to set up (it found no CA certificate).
            Err(e) if chain_has::<rustls::Error>(&e) => (builder().tls_certs_only([]).build()?, true),
            Err(e) => return Err(e.into()),
        };
        Ok(Self {
            client,
            no_roots,
            per_host: opts.per_host.max(1),
            slots: Mutex::default(),
            feed_slots: Mutex::default(),
            all: Arc::new(Semaphore::new(opts.concurrency.max(1))),
            bytes: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        })
    }

    /// [`classify`], and a certificate that failed for want of CA certificates says so.
    fn classify(&self, e: &reqwest::Error) -> Broken {
        if self.no_roots && matches!(tls_error(e), Some(rustls::Error::InvalidCertificate(_))) {
            return Broken::Tls(NO_ROOTS.into());
        }
        classify(e)
    }

    pub fn stats(&self) -> Stats {
        Stats { bytes: self.bytes.load(Ordering::Relaxed), requests: self.requests.load(Ordering::Relaxed) }
    }

    /// Counts body bytes read by a caller.
    pub fn count(&self, n: usize) {
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
    }

    fn slot_of(&self, url: &str, lane: Lane) -> Arc<Semaphore> {
        let (map, n) = match lane {
            Lane::Probe => (&self.slots, self.per_host),
            Lane::Feed => (&self.feed_slots, 1),
        };
        let mut slots = map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        slots.entry(host_key(url)).or_insert_with(|| Arc::new(Semaphore::new(n))).clone()
    }

    /// [`Net::send`] for a status feed: on the feed lane, with the rest of the run as its time.
    pub async fn send_feed(&self, req: &Req, hard: Instant) -> Result<Sent, FetchError> {
        let limit = hard.saturating_duration_since(Instant::now());
        self.send_on(req, limit, hard, false, Lane::Feed).await
    }

    /// Sends `req` and follows redirects. Each hop waits for a slot on its host (however long
    /// that takes, up to `hard`), then must answer within `limit` of being sent and before
    /// `hard`. The final answer is judged by its status (see [`judge`]); `token_auth` lets a
    /// 401 through (a registry that wants a token).
    pub async fn send(&self, req: &Req, limit: Duration, hard: Instant, token_auth: bool) -> Result<Sent, FetchError> {
        self.send_on(req, limit, hard, token_auth, Lane::Probe).await
    }

    async fn send_on(
        &self,
        req: &Req,
        limit: Duration,
        hard: Instant,
        token_auth: bool,
        lane: Lane,
    ) -> Result<Sent, FetchError> {
        let mut url = req.url.clone();
        let mut seen: Vec<String> = Vec::new();
        let mut hops = Vec::new();
        let mut ttfb = Duration::ZERO;
        let mut waited = Duration::ZERO;
        let first_host = host_key(&url);
        loop {
            let slot = self.slot_of(&url, lane);
            let waiting = Instant::now();
            let (slot, all) = match timeout_at(hard, async {
                let s = slot.acquire_owned().await;
                let a = self.all.clone().acquire_owned().await;
                (s, a)
            })
            .await
            {
                Ok((Ok(s), Ok(a))) => (s, a),
                _ => return Err(FetchError::NotSent { host: host_key(&url), waited: waiting.elapsed() }),
            };
            waited += waiting.elapsed();
            let mut builder = match req.method {
                Method::Get => self.client.get(&url),
                Method::Head => self.client.head(&url),
            };
            if let Some(range) = req.range {
                builder = builder.header(RANGE, range.header());
            }
            if let Some(accept) = req.accept {
                builder = builder.header(ACCEPT, accept);
            }
            if let Some(auth) = &req.auth
                && host_key(&url) == first_host
            {
                builder = builder.header(AUTHORIZATION, auth);
            }
            let sent_at = Instant::now();
            let due = (sent_at + limit).min(hard);
            self.requests.fetch_add(1, Ordering::Relaxed);
            let response = match timeout_at(due, builder.send()).await {
                Err(_) => return Err(FetchError::NoAnswer(sent_at.elapsed())),
                Ok(Err(e)) if e.is_timeout() => return Err(FetchError::NoAnswer(sent_at.elapsed())),
                Ok(Err(e)) => return Err(FetchError::Broken(self.classify(&e))),
                Ok(Ok(r)) => r,
            };
            let at = Instant::now();
            ttfb += at - sent_at;
            self.count_headers(response.headers());
            let status = response.status();
            if status.is_redirection()
                && let Some(location) = response.headers().get(LOCATION)
            {
                // Servers send UTF-8 paths too (`/…/lästupdate`), as browsers and curl accept.
                let shown = String::from_utf8_lossy(location.as_bytes()).into_owned();
                let joined = std::str::from_utf8(location.as_bytes())
                    .ok()
                    .and_then(|l| url::Url::parse(&url).ok()?.join(l).ok())
                    .ok_or_else(|| FetchError::Broken(Broken::BadRedirect(format!("`{shown}` is not a URL"))))?;
                if !matches!(joined.scheme(), "http" | "https") {
                    return Err(FetchError::Broken(Broken::BadRedirect(format!(
                        "to `{shown}`: only http and https are followed, not `{}`",
                        joined.scheme()
                    ))));
                }
                let next = joined.to_string();
                drop(response);
                seen.push(url.clone());
                if seen.contains(&next) {
                    return Err(FetchError::Broken(Broken::RedirectLoop));
                }
                if seen.len() > MAX_HOPS {
                    return Err(FetchError::Broken(Broken::TooManyRedirects));
                }
                hops.push(format!("{} → {next}", status.as_u16()));
                url = next;
                continue;
            }
            judge(status.as_u16(), token_auth)?;
            return Ok(Sent { response, url, ttfb, at, hops, waited, _slot: slot, _all: all });
        }
    }

    fn count_headers(&self, headers: &HeaderMap) {
        let n: usize = headers.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
        self.bytes.fetch_add(n as u64 + 17, Ordering::Relaxed);
    }

    /// Reads at most `limit` body bytes of `sent`, all of them before `due`. `whole`: the body
    /// must end within `limit` (a small file); a longer one is wrong content.
    pub async fn read_body(
        &self,
        sent: &mut Sent,
        what: &str,
        limit: usize,
        whole: bool,
        due: Instant,
    ) -> Result<Vec<u8>, FetchError> {
        let began = sent.at;
        let mut body = Vec::new();
        if whole
            && let Some(len) = sent.response.content_length()
            && len > limit as u64
        {
            return Err(FetchError::Content(format!(
                "{what} is {len} bytes, over the {} budget",
                super::engine::human_bytes(limit)
            )));
        }
        loop {
            match timeout_at(due, sent.response.chunk()).await {
                Err(_) => {
                    return Err(FetchError::Stalled {
                        what: what.to_owned(),
                        bytes: body.len(),
                        after: began.elapsed(),
                    });
                }
                Ok(Err(e)) => {
                    return Err(FetchError::Content(format!("{what} cut short: {}", classify(&e))));
                }
                Ok(Ok(None)) => return Ok(body),
                Ok(Ok(Some(chunk))) => {
                    self.count(chunk.len());
                    let room = limit - body.len();
                    if chunk.len() >= room {
                        body.extend_from_slice(&chunk[..room]);
                        if whole && chunk.len() > room {
                            return Err(FetchError::Content(format!(
                                "{what} is larger than the {} budget",
                                super::engine::human_bytes(limit)
                            )));
                        }
                        if !whole || limit == 0 {
                            return Ok(body);
                        }
                    } else {
                        body.extend_from_slice(&chunk);
                    }
                }
            }
        }
    }
}

/// An answer's status: 2xx is fine, and 401 where the registry wants a token; 403, 429 and
/// 451 mean the site refuses or limits this client; anything else is an error.
fn judge(code: u16, token_auth: bool) -> Result<(), FetchError> {
    match code {
        403 | 429 | 451 => Err(FetchError::Throttled(code)),
        200..=299 => Ok(()),
        401 if token_auth => Ok(()),
        _ => Err(FetchError::Status(code)),
    }
}
