//! A farm of fake mirror sites on 127.0.0.1, for `tests/bench.rs` and `benches/farm.rs`.
//!
//! Every site is a small HTTP/1.1 server on its own listener and threads (plain `std`
//! threads: the test thread may block on the `mirror` process without starving it). Each
//! has a time to first byte, a bandwidth, a lag and a failure mode, and serves each target's
//! real probe paths with realistic content: Debian traces and `InRelease` files with
//! `Date:`, Arch `lastupdate`/`lastsync`, PEP 503 pages ending in `<!--SERIAL n-->`,
//! `repodata.json` with `Last-Modified`, a crates sparse `config.json` and index file, and
//! a registry `/v2/` with an image's manifests and layers (behind token auth if asked), and
//! the bulk files package managers download: wheels under `/packages/`, `.crate` files at
//! the index's `dl`, which may be served by another farm site ([`Spec::files_on`]). Timestamps
//! are relative to [`NOW`], which the tests pass to the binary as `MIRROR_TEST_NOW`, so
//! freshness is deterministic. The farm writes a `--catalog` folder of site files pointing at
//! itself, and counts the bytes it sends. [`Farm::start_named`] gives every site a host name
//! served by the farm's own DNS server on loopback ([`dns`]). A site made with [`Spec::tls`]
//! speaks HTTPS (rustls over the same threads) with a certificate of `tests/fixtures/tls/`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub mod dns;
pub mod report;

/// The farm's "now" (unix seconds): 2026-08-08 14:13:20 UTC.
pub const NOW: u64 = 1_786_198_400;
/// PyPI serial of a fully fresh site; a site `lag` seconds behind serves `lag / 6` less.
pub const PYPI_SERIAL: u64 = 30_000_000;
pub const DAY: u64 = 86_400;

/// How a site misbehaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Serves everything right.
    Normal,
    /// Nothing listens on the port: connection refused.
    Refuse,
    /// Accepts, reads the request, never answers.
    Hang,
    /// Answers GET headers at once, then one body byte every 100 ms; HEAD headers one byte
    /// every 100 ms.
    Drip,
    /// Answers 200 with a body that never ends.
    Endless,
    /// Redirects every path to itself.
    RedirectLoop,
    /// Answers every request with this status and an HTML error page.
    Status(u16),
    /// Answers every request 200 with a web server's welcome page.
    WrongContent,
    /// Answers with bytes that are not HTTP at all, then closes. Over TLS: answers the
    /// client's hello with an SSH banner instead, and waits.
    Garbage,
    /// Redirects every request (302) to the same path on the farm site with this id.
    RedirectTo(String),
    /// A registry that answers `/v2/` but holds no images (a closed or empty Docker mirror);
    /// everything else as `Normal`.
    EmptyRegistry,
    /// A registry that wants an anonymous token from `/token` (as Docker Hub does) for
    /// everything but `/v2/`; everything else as `Normal`.
    TokenAuth,
}

/// How a site serves its bulk files (package lists, databases, wheels, crates, layers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bulk {
    /// At the site's bandwidth.
    Normal,
    /// Headers at once, then nothing.
    Stall,
    /// Headers at once, then 27 bytes a second.
    Drip,
    /// Whole, but only 8 KiB long (a nearly empty repository).
    Tiny,
}

/// A site's status feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feed {
    /// `/static/tunasync.json`: every job with this status and last success `age` ago.
    Tunasync { status: &'static str, age: Option<u64> },
    /// `/mirrorz.json`: every mirror with this status string (`{ts}` = NOW − 5 days).
    Mirrorz { status: String },
    /// `/static/tunasync.json` that never ends (a JSON array opened and filled forever).
    Endless,
    /// This text at this path (`/mirrorz.json`, say). Feeds are served whatever
    /// [`Spec::only`] says.
    Raw { path: String, body: String },
}

/// One site of the farm.
#[derive(Debug, Clone)]
pub struct Spec {
    pub id: String,
    /// Delay before every answer.
    pub ttfb: Duration,
    /// Body bytes per second.
    pub bandwidth: u64,
    /// Seconds behind [`NOW`].
    pub lag: u64,
    /// Seconds its clock runs ahead of [`NOW`] (a wrong clock: timestamps from the future).
    pub ahead: u64,
    pub mode: Mode,
    pub feed: Option<Feed>,
    pub bulk: Bulk,
    /// Answers `Range` with the whole file (200), as some servers do.
    pub ignore_range: bool,
    /// The farm site whose host serves this site's wheels and `.crate` files (PyPI's
    /// files.pythonhosted.org, crates.io's static.crates.io); `None`: this site itself.
    pub files_on: Option<String>,
    /// Simple pages with only a few links (a small project), instead of thousands.
    pub small_pages: bool,
    /// Simple pages that link no files at all (an index that only redirects).
    pub no_links: bool,
    /// Serves only paths starting with one of these (`debian`, `anaconda/cloud/conda-forge`);
    /// `None`: everything.
    pub only: Option<Vec<String>>,
    /// Serves a path starting with the first of a pair as if it started with the second
    /// (`pypi/simple` as `pypi/web/simple`): the same content at another site's layout.
    pub aliases: Vec<(String, String)>,
    /// Speaks HTTPS with this certificate (see [`Spec::tls`]); `None`: plain HTTP.
    pub tls: Option<Tls>,
}

/// The certificate an HTTPS site serves (`tests/fixtures/tls/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// `leaf.pem`, for `IP:127.0.0.1` and `DNS:localhost`, signed by the farm's CA (`ca.pem`).
    Ca,
    /// `other.pem`: the same names, self-signed (a CA nobody told the client about).
    SelfSigned,
}

impl Spec {
    pub fn new(id: &str) -> Self {
        Self {
            id: id.into(),
            ttfb: Duration::ZERO,
            bandwidth: 50_000_000,
            lag: 0,
            ahead: 0,
            mode: Mode::Normal,
            feed: None,
            bulk: Bulk::Normal,
            ignore_range: false,
            files_on: None,
            small_pages: false,
            no_links: false,
            only: None,
            aliases: Vec::new(),
            tls: None,
        }
    }

    /// Serves HTTPS (its base is `https://…`) with a certificate signed by the farm's CA,
    /// `tests/fixtures/tls/ca.pem`; modes, pacing and counts as over HTTP. With
    /// [`Mode::Garbage`] the site answers the client's TLS hello with garbage.
    pub fn tls(mut self) -> Self {
        self.tls = Some(Tls::Ca);
        self
    }

    /// As [`Spec::tls`], with a self-signed certificate no CA vouches for.
    pub fn tls_self_signed(mut self) -> Self {
        self.tls = Some(Tls::SelfSigned);
        self
    }

    /// Serves only the paths starting with these prefixes (see [`Spec::only`]).
    pub fn only(mut self, prefixes: &[&str]) -> Self {
        self.only = Some(prefixes.iter().map(|p| (*p).to_owned()).collect());
        self
    }

    /// Serves `from…` as `to…` (see [`Spec::aliases`]).
    pub fn alias(mut self, from: &str, to: &str) -> Self {
        self.aliases.push((from.to_owned(), to.to_owned()));
        self
    }

    pub fn bulk(mut self, bulk: Bulk) -> Self {
        self.bulk = bulk;
        self
    }

    pub fn ignore_range(mut self) -> Self {
        self.ignore_range = true;
        self
    }

    pub fn files_on(mut self, id: &str) -> Self {
        self.files_on = Some(id.into());
        self
    }

    pub fn small_pages(mut self) -> Self {
        self.small_pages = true;
        self
    }

    pub fn no_links(mut self) -> Self {
        self.no_links = true;
        self
    }

    pub fn ttfb(mut self, ms: u64) -> Self {
        self.ttfb = Duration::from_millis(ms);
        self
    }

    /// Bandwidth in MB/s (decimal).
    pub fn mbps(mut self, mb: u64) -> Self {
        self.bandwidth = mb * 1_000_000;
        self
    }

    pub fn ahead(mut self, secs: u64) -> Self {
        self.ahead = secs;
        self
    }

    pub fn lag(mut self, secs: u64) -> Self {
        self.lag = secs;
        self
    }

    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    pub fn feed(mut self, feed: Feed) -> Self {
        self.feed = Some(feed);
        self
    }
}

/// The benchmark's one-target farm: 30 sites with time to first byte 5-400 ms, where latency
/// does not predict throughput. The eleven nearest sites (`s00`-`s10`) are slow (2-6 MB/s);
/// `s01` and `s03` would be fastest (100 MB/s) but are 3 days behind; `s11` (155 ms away) is
/// the true best (fresh, 40 MB/s); `s09`, `s17` and `s26` accept and hang; the rest have
/// 8-25 MB/s.
pub fn thirty() -> Vec<Spec> {
    (0..30u64)
        .map(|i| {
            let spec = Spec::new(&format!("s{i:02}")).ttfb(5 + 395 * i / 29);
            match i {
                1 | 3 => spec.mbps(100).lag(3 * DAY),
                9 | 17 | 26 => spec.mode(Mode::Hang),
                11 => spec.mbps(40),
                0..=10 => spec.mbps(2 + i % 5),
                _ => spec.mbps(8 + (i * 7) % 18),
            }
        })
        .collect()
}

/// The benchmark's all-targets farm: 15 sites with time to first byte 5-400 ms; the five
/// nearest (`s00`-`s04`) are slow (2-6 MB/s), `s01` is also 3 days behind, `s05` (146 ms away)
/// is the true best (40 MB/s), `s07` hangs, the rest have 8-25 MB/s.
pub fn fifteen() -> Vec<Spec> {
    (0..15u64)
        .map(|i| {
            let spec = Spec::new(&format!("s{i:02}")).ttfb(5 + 395 * i / 14);
            match i {
                1 => spec.mbps(3).lag(3 * DAY),
                5 => spec.mbps(40),
                7 => spec.mode(Mode::Hang),
                0..=4 => spec.mbps(2 + i),
                _ => spec.mbps(8 + (i * 7) % 18),
            }
        })
        .collect()
}

/// A farm where the official server is far (time to first byte 430 ms, as from China) but
/// healthy and the freshness baseline, beside near mirrors, one of them a day behind it. The
/// true best is `mid` (120 ms away, 25 MB/s): four sites answer sooner.
pub fn far_upstream() -> Vec<Spec> {
    vec![
        Spec::new("upstream").ttfb(430).mbps(30),
        Spec::new("near1").ttfb(10).mbps(4),
        Spec::new("near2").ttfb(25).mbps(12).lag(DAY + 3600),
        Spec::new("near3").ttfb(40).mbps(6),
        Spec::new("near4").ttfb(60).mbps(8),
        Spec::new("mid").ttfb(120).mbps(25),
        Spec::new("dead").mode(Mode::Hang),
    ]
}

/// What a site saw.
#[derive(Debug, Default)]
struct Stats {
    bytes: AtomicU64,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    requests: Mutex<Vec<Request>>,
}

/// One request a site received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub user_agent: Option<String>,
    pub range: Option<String>,
    /// Bytes the farm sent in answer (headers included), once the answer is over.
    pub bytes: u64,
    /// When the request came, and when its answer ended (or the client went).
    pub began: Instant,
    pub ended: Option<Instant>,
}

thread_local! {
    /// Bytes sent on this connection's thread since the answer began.
    static SENT: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// The answer on this connection's thread is no longer counted in flight.
    static ANSWERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Stops counting this thread's answer in flight, just before its last bytes go out: the
/// client cannot start its next request (and take the slot back) before it has them, so the
/// count cannot run ahead of the client's on a busy machine.
fn answered(shared: &Shared) {
    if !ANSWERED.with(|a| a.replace(true)) {
        shared.stats.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a test changed in a running site ([`Farm::set_mode`], [`Farm::set_lag`]).
#[derive(Debug, Default)]
struct Live {
    mode: Option<Mode>,
    lag: Option<u64>,
}

struct Shared {
    spec: Spec,
    live: Arc<Mutex<Live>>,
    port: u16,
    ports: HashMap<String, u16>,
    /// Each site's base URL (`http://127.0.0.1:PORT` or `http://NAME:PORT`; `https` for TLS).
    bases: HashMap<String, String>,
    /// The TLS setup of an HTTPS site.
    tls: Option<Arc<rustls::ServerConfig>>,
    stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

/// A running farm. Dropping it stops every server.
pub struct Farm {
    dir: tempfile::TempDir,
    ports: HashMap<String, u16>,
    stats: HashMap<String, Arc<Stats>>,
    stop: Arc<AtomicBool>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
    listening: Vec<u16>,
    bases: HashMap<String, String>,
    dns: Option<dns::Server>,
    live: HashMap<String, Arc<Mutex<Live>>>,
    /// The ports of refusing sites, held (see [`reserved_port`]).
    _reserved: Vec<std::os::fd::OwnedFd>,
}

/// A port on 127.0.0.1 held by a socket that is bound but never listens: a connection to it
/// is refused, and no other server (another test's farm) can be given the port meanwhile, as
/// one could when the port was only remembered.
fn reserved_port() -> (std::os::fd::OwnedFd, u16) {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrIn, bind, getsockname, socket};
    use std::os::fd::AsRawFd;
    let fd = socket(AddressFamily::Inet, SockType::Stream, SockFlag::SOCK_CLOEXEC, None).expect("socket");
    bind(fd.as_raw_fd(), &SockaddrIn::new(127, 0, 0, 1, 0)).expect("bind 127.0.0.1:0");
    let addr: SockaddrIn = getsockname(fd.as_raw_fd()).expect("getsockname");
    (fd, addr.port())
}

impl Shared {
    /// The spec as it is now, with what a test changed since the start.
    fn spec_now(&self) -> Spec {
        let live = self.live.lock().unwrap();
        let mut spec = self.spec.clone();
        if let Some(mode) = &live.mode {
            spec.mode = mode.clone();
        }
        if let Some(lag) = live.lag {
            spec.lag = lag;
        }
        spec
    }
}

impl Farm {
    /// Starts one server per spec and writes the catalog, the sites addressed as 127.0.0.1.
    pub fn start(specs: &[Spec]) -> Self {
        Self::launch(specs, None)
    }

    /// As [`Farm::start`], but every site is addressed by a host name (`<id>.farm.test`)
    /// that the farm's DNS server on loopback answers; names in `blackholed` (ids) are
    /// never answered. Pass [`Farm::resolver`] to the binary as `MIRROR_TEST_RESOLVER`.
    pub fn start_named(specs: &[Spec], blackholed: &[&str]) -> Self {
        let names: Vec<(String, bool)> =
            specs.iter().map(|s| (format!("{}.farm.test", s.id), !blackholed.contains(&s.id.as_str()))).collect();
        let server = dns::Server::start(&names);
        Self::launch(specs, Some(server))
    }

    fn launch(specs: &[Spec], dns: Option<dns::Server>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let threads: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let mut listeners = Vec::new();
        let mut ports = HashMap::new();
        let mut bases = HashMap::new();
        let mut reserved = Vec::new();
        for spec in specs {
            // A refusing site keeps its port number but nothing listens there.
            let (listener, port) = if spec.mode == Mode::Refuse {
                let (fd, port) = reserved_port();
                reserved.push(fd);
                (None, port)
            } else {
                let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
                let port = listener.local_addr().unwrap().port();
                (Some(listener), port)
            };
            ports.insert(spec.id.clone(), port);
            let host = if dns.is_some() { format!("{}.farm.test", spec.id) } else { "127.0.0.1".into() };
            let scheme = if spec.tls.is_some() { "https" } else { "http" };
            bases.insert(spec.id.clone(), format!("{scheme}://{host}:{port}"));
            listeners.push(listener);
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let mut stats = HashMap::new();
        let mut live = HashMap::new();
        let mut listening = Vec::new();
        for (spec, listener) in specs.iter().zip(listeners) {
            let port = ports[&spec.id];
            std::fs::write(dir.path().join(format!("{}.toml", spec.id)), site_file(spec, &bases[&spec.id])).unwrap();
            let st = Arc::new(Stats::default());
            stats.insert(spec.id.clone(), st.clone());
            let changes: Arc<Mutex<Live>> = Arc::default();
            live.insert(spec.id.clone(), changes.clone());
            let Some(listener) = listener else {
                continue;
            };
            listening.push(port);
            let shared = Arc::new(Shared {
                spec: spec.clone(),
                live: changes,
                port,
                ports: ports.clone(),
                bases: bases.clone(),
                tls: spec.tls.map(server_config),
                stats: st,
                stop: stop.clone(),
                threads: threads.clone(),
            });
            let handle = std::thread::spawn(move || accept_loop(&listener, &shared));
            threads.lock().unwrap().push(handle);
        }
        Self { dir, ports, stats, stop, threads, listening, bases, dns, live, _reserved: reserved }
    }

    /// From now on the site misbehaves this way (a site started as [`Mode::Refuse`] has no
    /// listener; one set to it later closes every connection without an answer, an HTTPS
    /// site at the client's hello).
    pub fn set_mode(&self, id: &str, mode: Mode) {
        self.live[id].lock().unwrap().mode = Some(mode);
    }

    /// From now on the site is this many seconds behind [`NOW`].
    pub fn set_lag(&self, id: &str, lag: u64) {
        self.live[id].lock().unwrap().lag = Some(lag);
    }

    /// The farm's DNS server (`IP:PORT`), when it has one.
    pub fn resolver(&self) -> Option<String> {
        self.dns.as_ref().map(|d| d.addr().to_string())
    }

    /// DNS queries the farm's server received.
    pub fn dns_queries(&self) -> usize {
        self.dns.as_ref().map_or(0, dns::Server::queries)
    }

    /// The `--catalog` folder.
    pub fn catalog(&self) -> &Path {
        self.dir.path()
    }

    pub fn base(&self, id: &str) -> String {
        self.bases[id].clone()
    }

    /// Bytes sent by every site so far.
    pub fn bytes_sent(&self) -> u64 {
        self.stats.values().map(|s| s.bytes.load(Ordering::SeqCst)).sum()
    }

    pub fn site_bytes(&self, id: &str) -> u64 {
        self.stats[id].bytes.load(Ordering::SeqCst)
    }

    /// Resets the byte counters of every site.
    pub fn reset_bytes(&self) {
        for s in self.stats.values() {
            s.bytes.store(0, Ordering::SeqCst);
        }
    }

    /// The requests a site received.
    pub fn requests(&self, id: &str) -> Vec<Request> {
        self.stats[id].requests.lock().unwrap().clone()
    }

    /// The most requests a site was answering at once.
    pub fn max_in_flight(&self, id: &str) -> usize {
        self.stats[id].max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for Farm {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for port in &self.listening {
            // Wakes the blocking accept.
            let _ = TcpStream::connect(("127.0.0.1", *port));
        }
        let handles: Vec<JoinHandle<()>> = std::mem::take(&mut *self.threads.lock().unwrap());
        for h in handles {
            let _ = h.join();
        }
        // Connection threads started while joining.
        let late: Vec<JoinHandle<()>> = std::mem::take(&mut *self.threads.lock().unwrap());
        for h in late {
            let _ = h.join();
        }
    }
}

fn site_file(spec: &Spec, base: &str) -> String {
    let feed = match &spec.feed {
        Some(Feed::Tunasync { .. } | Feed::Endless) => "\n[status]\ntunasync = \"{base}/static/tunasync.json\"\n",
        Some(Feed::Mirrorz { .. }) => "\n[status]\nmirrorz = \"{base}/mirrorz.json\"\n",
        Some(Feed::Raw { .. }) | None => "",
    };
    format!(
        r#"# A farm site for the probe tests.
id = "{id}"
name = "Farm site {id}"
homepage = "{base}/"
region = "XX"
base = "{base}"
allow_http = true

[repos]
debian = "{{base}}/debian"
debian-security = "{{base}}/debian-security"
ubuntu = "{{base}}/ubuntu"
ubuntu-ports = "{{base}}/ubuntu-ports"
archlinux = "{{base}}/archlinux"
archlinuxarm = "{{base}}/archlinuxarm"
pypi = "{{base}}/pypi/web/simple"
anaconda = "{{base}}/anaconda"
crates = "{{base}}/crates.io-index/"
dockerhub = "{{base}}"
fedora = "{{base}}/fedora"
centos-stream = "{{base}}/centos-stream"
rocky = "{{base}}/rocky"
almalinux = "{{base}}/almalinux"
openeuler = "{{base}}/openeuler"
opensuse = "{{base}}/opensuse"
alpine = "{{base}}/alpine"
archlinuxcn = "{{base}}/archlinuxcn"
npm = "{{base}}/npm"
goproxy = "{{base}}/goproxy"
rustup = "{{base}}/rustup"
homebrew-bottles = "{{base}}/homebrew-bottles"
homebrew-api = "{{base}}/homebrew-bottles/api"
huggingface = "{{base}}/huggingface"
rubygems = "{{base}}/rubygems"
maven = "{{base}}/maven"
kali = "{{base}}/kali"
raspbian = "{{base}}/raspbian/raspbian"
raspberrypi = "{{base}}/raspberrypi"
{feed}"#,
        id = spec.id,
    )
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            continue;
        };
        let s = shared.clone();
        let handle = std::thread::spawn(move || {
            let _ = serve(stream, &s);
        });
        shared.threads.lock().unwrap().push(handle);
    }
}

/// Sleeps in small steps; false when the farm is stopping.
fn nap(shared: &Shared, d: Duration) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if shared.stop.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep((end - Instant::now()).min(Duration::from_millis(20)));
    }
    !shared.stop.load(Ordering::SeqCst)
}

/// As [`nap`], and false as soon as the client has closed the connection (so the farm's
/// count of requests in flight drops when the client gives up, as the client's does). Over
/// TLS a client that sends `close_notify` before closing is seen to go only at the next write.
fn nap_while_connected(stream: &Conn, shared: &Shared, d: Duration) -> bool {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    let stream = stream.tcp();
    let end = Instant::now() + d;
    let mut byte = [0u8; 1];
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return false;
        }
        let now = Instant::now();
        if now >= end {
            return true;
        }
        // Wake at once when the client closes (readable with nothing to read), at the latest
        // every 20 ms to see whether the farm stops.
        let wait = (end - now).min(Duration::from_millis(20));
        let ms = u16::try_from(wait.as_millis().max(1)).unwrap_or(20);
        let mut fds = [PollFd::new(stream.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(0) => {}
            Ok(_) => {
                let _ = stream.set_nonblocking(true);
                let peeked = stream.peek(&mut byte);
                let _ = stream.set_nonblocking(false);
                match peeked {
                    // The client closed, or the connection broke.
                    Ok(0) => return false,
                    Err(e) if e.kind() != ErrorKind::WouldBlock => return false,
                    // A request sent ahead of this answer: sleep on instead of spinning.
                    _ => std::thread::sleep(wait.min(Duration::from_millis(5))),
                }
            }
            Err(_) => std::thread::sleep(wait.min(Duration::from_millis(5))),
        }
    }
}

/// Reads one request head; `None` when the client closed or the farm stops.
fn read_head(stream: &mut Conn, buf: &mut Vec<u8>, shared: &Shared) -> Option<String> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end + 4);
            return Some(head);
        }
        if shared.stop.load(Ordering::SeqCst) || buf.len() > 64 * 1024 {
            return None;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return None,
        }
    }
}

fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_millis(20)))?;
    stream.set_nodelay(true)?;
    let mut stream = match &shared.tls {
        None => Conn::Plain(stream),
        Some(_) if matches!(shared.spec_now().mode, Mode::Garbage | Mode::Refuse) => return bad_hello(stream, shared),
        Some(config) => {
            let tls = rustls::ServerConnection::new(config.clone()).map_err(std::io::Error::other)?;
            Conn::Tls(Box::new(rustls::StreamOwned::new(tls, stream)))
        }
    };
    let mut buf = Vec::new();
    while let Some(head) = read_head(&mut stream, &mut buf, shared) {
        let mut lines = head.lines();
        let mut first = lines.next().unwrap_or_default().split_whitespace();
        let method = first.next().unwrap_or_default().to_owned();
        let path = first.next().unwrap_or_default().to_owned();
        let mut headers = HashMap::new();
        for line in lines {
            if let Some((k, v)) = line.split_once(':') {
                headers.insert(k.trim().to_lowercase(), v.trim().to_owned());
            }
        }
        let request = Request {
            method: method.clone(),
            path: path.clone(),
            user_agent: headers.get("user-agent").cloned(),
            range: headers.get("range").cloned(),
            bytes: 0,
            began: Instant::now(),
            ended: None,
        };
        let index = {
            let mut requests = shared.stats.requests.lock().unwrap();
            requests.push(request);
            requests.len() - 1
        };
        let now = shared.stats.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.stats.max_in_flight.fetch_max(now, Ordering::SeqCst);
        SENT.with(|c| c.set(0));
        ANSWERED.with(|a| a.set(false));
        let keep = respond(&mut stream, shared, &method, &path, &headers);
        answered(shared);
        {
            let mut requests = shared.stats.requests.lock().unwrap();
            requests[index].bytes = SENT.with(std::cell::Cell::get);
            requests[index].ended = Some(Instant::now());
        }
        if !keep.unwrap_or(false) {
            break;
        }
    }
    stream.close();
    Ok(())
}

/// A connection: plain TCP, or TLS over it (the handshake happens on the first read).
enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Conn {
    /// The TCP stream underneath, to poll and peek.
    fn tcp(&self) -> &TcpStream {
        match self {
            Self::Plain(s) => s,
            Self::Tls(s) => &s.sock,
        }
    }

    /// Ends the connection (with a TLS `close_notify` once the handshake is done).
    fn close(mut self) {
        if let Self::Tls(s) = &mut self
            && !s.conn.is_handshaking()
        {
            s.conn.send_close_notify();
            let _ = s.conn.complete_io(&mut s.sock);
        }
        let _ = self.tcp().shutdown(Shutdown::Both);
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::Plain(s) => s.read(buf),
            Self::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Self::Plain(s) => s.write(buf),
            Self::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Self::Plain(s) => s.flush(),
            Self::Tls(s) => s.flush(),
        }
    }
}

/// What a [`Mode::Garbage`] site sends: not HTTP (a TLS record header whose record never
/// comes, then an SSH banner). Over TLS it sends the banner alone, as an SSH server would.
const GARBAGE: &[u8] = b"\x16\x03\x01\x00\xa5SSH-2.0-OpenSSH_9.6\r\n\x00\xff\xfe garbage";

/// An HTTPS site that does not complete the handshake: waits for the client's hello, then in
/// [`Mode::Garbage`] answers with [`GARBAGE`]'s SSH banner and holds the connection until the
/// client goes; in [`Mode::Refuse`] (set while running) closes at once.
fn bad_hello(mut stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut hello = [0u8; 4096];
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        match stream.read(&mut hello) {
            Ok(0) => return Ok(()),
            Ok(_) => break,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e),
        }
    }
    if shared.spec_now().mode == Mode::Garbage {
        stream.write_all(&GARBAGE[5..])?;
        shared.stats.bytes.fetch_add(GARBAGE.len() as u64 - 5, Ordering::SeqCst);
        let conn = Conn::Plain(stream);
        while nap_while_connected(&conn, shared, Duration::from_secs(1)) {}
        conn.close();
        return Ok(());
    }
    stream.shutdown(Shutdown::Both)
}

/// The TLS setup of a site serving `which` certificate (`tests/fixtures/tls/`).
fn server_config(which: Tls) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let (cert, key): (&[u8], &[u8]) = match which {
        Tls::Ca => (include_bytes!("../fixtures/tls/leaf.pem"), include_bytes!("../fixtures/tls/leaf.key")),
        Tls::SelfSigned => (include_bytes!("../fixtures/tls/other.pem"), include_bytes!("../fixtures/tls/other.key")),
    };
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(cert).collect::<Result<_, _>>().expect("fixture certificate");
    let key = PrivateKeyDer::from_pem_slice(key).expect("fixture key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("fixture certificate and key");
    Arc::new(config)
}

/// A body: literal bytes, `len` generated bytes starting with `magic`, or no end at all.
enum Body {
    Bytes(Vec<u8>),
    Blob { len: u64, magic: &'static [u8], fill: u8 },
    Endless,
}

impl Body {
    fn len(&self) -> u64 {
        match self {
            Self::Bytes(b) => b.len() as u64,
            Self::Blob { len, .. } => *len,
            Self::Endless => u64::MAX,
        }
    }

    fn slice(&self, from: u64, to: u64) -> Vec<u8> {
        match self {
            Self::Bytes(b) => b[from as usize..(to as usize).min(b.len())].to_vec(),
            Self::Endless => vec![b'a'; (to - from) as usize],
            Self::Blob { magic, fill, .. } => {
                let pattern = pattern(*fill);
                let mut out = Vec::with_capacity((to - from) as usize);
                let mut at = from;
                while at < to {
                    let offset = (at % pattern.len() as u64) as usize;
                    let take = ((to - at) as usize).min(pattern.len() - offset);
                    out.extend_from_slice(&pattern[offset..offset + take]);
                    at += take as u64;
                }
                for (i, b) in magic.iter().enumerate() {
                    let i = i as u64;
                    if i >= from && i < to {
                        out[(i - from) as usize] = *b;
                    }
                }
                out
            }
        }
    }
}

/// 64 KiB of filler: `fill` repeated, or pseudo-random bytes when `fill` is 0.
fn pattern(fill: u8) -> &'static [u8] {
    static RANDOM: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    static FILLED: std::sync::OnceLock<Mutex<HashMap<u8, &'static [u8]>>> = std::sync::OnceLock::new();
    if fill == 0 {
        return RANDOM.get_or_init(|| (0u64..64 * 1024).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect());
    }
    let map = FILLED.get_or_init(Mutex::default);
    let mut map = map.lock().unwrap();
    map.entry(fill).or_insert_with(|| Vec::leak(vec![fill; 64 * 1024]))
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Body,
    /// One of the bulk files ([`Spec::bulk`] applies).
    bulk: bool,
}

impl Response {
    fn new(status: u16, content_type: &str, body: Body) -> Self {
        Self { status, headers: vec![("Content-Type".into(), content_type.into())], body, bulk: false }
    }

    fn bulk(mut self) -> Self {
        self.bulk = true;
        self
    }

    fn text(body: impl Into<String>) -> Self {
        Self::new(200, "text/plain", Body::Bytes(body.into().into_bytes()))
    }

    fn header(mut self, k: &str, v: impl Into<String>) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }

    fn modified(self, at: u64) -> Self {
        self.header("Last-Modified", http_date(at))
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        302 => "Found",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        _ => "Whatever",
    }
}

fn http_date(at: u64) -> String {
    chrono::DateTime::from_timestamp(at as i64, 0).unwrap().format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn error_page(status: u16) -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html><head><title>{status} {r}</title></head><body><h1>{status} {r}</h1><hr><center>nginx</center></body></html>\n",
        r = reason(status)
    );
    Response::new(status, "text/html", Body::Bytes(page.into_bytes()))
}

/// Writes bytes, counting them; false when the client is gone.
fn send(stream: &mut Conn, shared: &Shared, data: &[u8]) -> bool {
    match stream.write_all(data) {
        Ok(()) => {
            shared.stats.bytes.fetch_add(data.len() as u64, Ordering::SeqCst);
            SENT.with(|c| c.set(c.get() + data.len() as u64));
            true
        }
        Err(_) => false,
    }
}

fn head_bytes(status: u16, headers: &[(String, String)]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Answers one request; returns whether the connection stays open.
fn respond(
    stream: &mut Conn,
    shared: &Shared,
    method: &str,
    path: &str,
    headers: &HashMap<String, String>,
) -> std::io::Result<bool> {
    let spec = &shared.spec_now();
    let range = headers.get("range").filter(|_| !spec.ignore_range);
    if !nap_while_connected(stream, shared, spec.ttfb) {
        return Ok(false);
    }
    let scheme = |id: &str| if shared.bases[id].starts_with("https:") { "https" } else { "http" };
    let self_url = |p: &str| format!("{}://127.0.0.1:{}{p}", scheme(&spec.id), shared.port);
    let response = match &spec.mode {
        Mode::Refuse => return Ok(false),
        Mode::Hang => {
            // Hold the connection until the client gives up or the farm stops.
            let mut byte = [0u8; 1];
            loop {
                if shared.stop.load(Ordering::SeqCst) {
                    return Ok(false);
                }
                match stream.read(&mut byte) {
                    Ok(0) => return Ok(false),
                    Ok(_) => {}
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                    Err(_) => return Ok(false),
                }
            }
        }
        Mode::Drip => {
            let head = head_bytes(
                200,
                &[
                    ("Content-Type".into(), "text/plain".into()),
                    ("Connection".into(), "close".into()),
                ],
            );
            // GET: the headers at once, then the body a byte at a time. HEAD: the headers a
            // byte at a time.
            let (now, drip): (&[u8], &[u8]) = if method == "HEAD" {
                (b"", &head)
            } else {
                (&head, b"")
            };
            if !send(stream, shared, now) {
                return Ok(false);
            }
            let mut i = 0;
            loop {
                let byte = drip.get(i).map_or(&b"x"[..], std::slice::from_ref);
                i += 1;
                if !nap(shared, Duration::from_millis(100)) || !send(stream, shared, byte) {
                    return Ok(false);
                }
            }
        }
        Mode::Endless => {
            let head = head_bytes(
                200,
                &[
                    ("Content-Type".into(), "application/octet-stream".into()),
                    ("Connection".into(), "close".into()),
                ],
            );
            if !send(stream, shared, &head) || method == "HEAD" {
                return Ok(false);
            }
            let chunk = vec![b'a'; 16 * 1024];
            let began = Instant::now();
            let mut sent: u64 = 0;
            loop {
                if shared.stop.load(Ordering::SeqCst) || !send(stream, shared, &chunk) {
                    return Ok(false);
                }
                sent += chunk.len() as u64;
                pace(began, sent, spec.bandwidth);
            }
        }
        Mode::Garbage => {
            send(stream, shared, GARBAGE);
            return Ok(false);
        }
        Mode::RedirectLoop => Response::new(302, "text/html", Body::Bytes(Vec::new()))
            .header("Location", self_url(path)),
        Mode::RedirectTo(id) => Response::new(302, "text/html", Body::Bytes(Vec::new())).header(
            "Location",
            format!("{}://127.0.0.1:{}{path}", scheme(id), shared.ports[id]),
        ),
        Mode::Status(code) => error_page(*code),
        Mode::WrongContent => Response::new(
            200,
            "text/html",
            Body::Bytes(
                b"<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1></body></html>\n".to_vec(),
            ),
        ),
        Mode::Normal => route(shared, path),
        Mode::EmptyRegistry if path.contains("/manifests/") => error_page(404),
        Mode::EmptyRegistry => route(shared, path),
        Mode::TokenAuth if path.starts_with("/token?") => Response::new(
            200,
            "application/json",
            Body::Bytes(format!(r#"{{"token":"{TOKEN}","expires_in":300}}"#).into_bytes()),
        ),
        Mode::TokenAuth
            if path.starts_with("/v2/") && path != "/v2/" && headers.get("authorization").map(String::as_str) != Some(&format!("Bearer {TOKEN}")) =>
        {
            Response::new(
                401,
                "application/json",
                Body::Bytes(br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.to_vec()),
            )
            .header("Docker-Distribution-Api-Version", "registry/2.0")
            .header(
                "WWW-Authenticate",
                format!("Bearer realm=\"{}/token\",service=\"farm-registry\"", shared.bases[&spec.id]),
            )
        }
        Mode::TokenAuth => route(shared, path),
    };
    let response = match response {
        Response { bulk: true, body: Body::Blob { magic, fill, .. }, .. } if spec.bulk == Bulk::Tiny => {
            Response { body: Body::Blob { len: 8 << 10, magic, fill }, ..response }
        }
        other => other,
    };
    if response.bulk && matches!(spec.bulk, Bulk::Stall | Bulk::Drip) && method == "GET" {
        return stall_or_drip(stream, shared, &response);
    }
    if let Body::Endless = response.body {
        return endless_feed(stream, shared, method);
    }
    write_response(stream, shared, method, response, range)
}

/// The token [`Mode::TokenAuth`] hands out.
const TOKEN: &str = "farm-anonymous-token";

/// Sends a bulk response's headers, then nothing ([`Bulk::Stall`]) or 27 bytes a second
/// ([`Bulk::Drip`]) of its body, until the client goes.
fn stall_or_drip(stream: &mut Conn, shared: &Shared, response: &Response) -> std::io::Result<bool> {
    let mut headers = response.headers.clone();
    headers.push(("Content-Length".into(), response.body.len().to_string()));
    if !send(stream, shared, &head_bytes(response.status, &headers)) {
        return Ok(false);
    }
    let mut at = 0;
    loop {
        if !nap_while_connected(stream, shared, Duration::from_millis(37)) {
            return Ok(false);
        }
        if shared.spec.bulk == Bulk::Drip {
            if !send(stream, shared, &response.body.slice(at, at + 1)) {
                return Ok(false);
            }
            at += 1;
        }
    }
}

/// A tunasync feed that never ends: `[` then job after job, at the site's bandwidth.
fn endless_feed(stream: &mut Conn, shared: &Shared, method: &str) -> std::io::Result<bool> {
    let head =
        head_bytes(200, &[("Content-Type".into(), "application/json".into()), ("Connection".into(), "close".into())]);
    if !send(stream, shared, &head) || method == "HEAD" || !send(stream, shared, b"[") {
        return Ok(false);
    }
    let job =
        br#"{"name":"debian","is_master":true,"status":"success","last_update_ts":1786190000,"size":"1T"},"#.repeat(64);
    let began = Instant::now();
    let mut sent: u64 = 0;
    loop {
        if shared.stop.load(Ordering::SeqCst) || !send(stream, shared, &job) {
            return Ok(false);
        }
        sent += job.len() as u64;
        pace(began, sent, shared.spec.bandwidth);
    }
}

/// Sleeps so that `sent` bytes since `began` do not exceed `bandwidth`.
fn pace(began: Instant, sent: u64, bandwidth: u64) {
    let due = Duration::from_secs_f64(sent as f64 / bandwidth.max(1) as f64);
    let spent = began.elapsed();
    if due > spent {
        std::thread::sleep(due - spent);
    }
}

fn parse_range(range: &str, len: u64) -> Option<(u64, u64)> {
    let spec = range.trim().strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        return Some((len.saturating_sub(n), len));
    }
    let start: u64 = a.parse().ok()?;
    let end = if b.is_empty() { len } else { (b.parse::<u64>().ok()? + 1).min(len) };
    (start < end).then_some((start, end))
}

fn write_response(
    stream: &mut Conn,
    shared: &Shared,
    method: &str,
    mut response: Response,
    range: Option<&String>,
) -> std::io::Result<bool> {
    let total = response.body.len();
    let (mut from, mut to) = (0, total);
    if response.status == 200
        && let Some((a, b)) = range.and_then(|r| parse_range(r, total))
    {
        response.status = 206;
        response.headers.push(("Content-Range".into(), format!("bytes {a}-{}/{total}", b - 1)));
        (from, to) = (a, b);
    }
    response.headers.push(("Content-Length".into(), (to - from).to_string()));
    response.headers.push(("Server".into(), "farm".into()));
    let head = head_bytes(response.status, &response.headers);
    if method == "HEAD" || from == to {
        // The answer is complete once these bytes are out: it is no longer in flight.
        answered(shared);
        return Ok(send(stream, shared, &head));
    }
    if !send(stream, shared, &head) {
        return Ok(false);
    }
    let began = Instant::now();
    let mut at = from;
    while at < to {
        if shared.stop.load(Ordering::SeqCst) {
            return Ok(false);
        }
        let end = (at + 8 * 1024).min(to);
        if end == to {
            answered(shared);
        }
        if !send(stream, shared, &response.body.slice(at, end)) {
            return Ok(false);
        }
        at = end;
        // Paced, and no further once the client has gone (as with the time to first byte,
        // so the farm's count of requests in flight is the client's).
        let due = began + Duration::from_secs_f64((at - from) as f64 / shared.spec.bandwidth.max(1) as f64);
        if !nap_while_connected(stream, shared, due.saturating_duration_since(Instant::now())) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Image manifests of the farm's registry: the index names one manifest per platform, each
/// names its one layer.
const ALPINE_AMD64: &str = "sha256:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
const ALPINE_ARM64: &str = "sha256:b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
const LAYER_AMD64: &str = "sha256:c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";
const LAYER_ARM64: &str = "sha256:d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4";
/// Size of a layer blob (alpine's is about 3.6 MB).
pub const LAYER_BYTES: u64 = 3_623_807;
/// Size of a wheel under `/packages/` (botocore's is about 12 MB).
pub const WHEEL_BYTES: u64 = 12 << 20;
/// Size of a `.crate` (aws-sdk-s3's is a few MB).
pub const CRATE_BYTES: u64 = 3 << 20;

const GZIP: &[u8] = &[0x1f, 0x8b, 0x08, 0];
const ZIP: &[u8] = b"PK\x03\x04";

fn registry(status: u16, ctype: &str, body: String, digest: &str) -> Response {
    Response::new(status, ctype, Body::Bytes(body.into_bytes()))
        .header("Docker-Distribution-Api-Version", "registry/2.0")
        .header("Docker-Content-Digest", digest)
}

/// The content of every probe path, as [`Spec::only`] and [`Spec::aliases`] have it.
fn route(shared: &Shared, path: &str) -> Response {
    let spec = &shared.spec_now();
    if let Some(Feed::Raw { path: at, body }) = &spec.feed
        && at == path
    {
        return Response::new(200, "application/json", Body::Bytes(body.clone().into_bytes()));
    }
    let rel = path.trim_start_matches('/');
    let feed = spec.feed.is_some() && matches!(rel, "static/tunasync.json" | "mirrorz.json");
    if !feed && spec.only.as_ref().is_some_and(|only| !only.iter().any(|p| rel.starts_with(p.as_str()))) {
        return error_page(404);
    }
    match spec.aliases.iter().find_map(|(from, to)| Some(format!("/{to}{}", rel.strip_prefix(from.as_str())?))) {
        Some(aliased) => content(shared, &aliased),
        None => content(shared, path),
    }
}

/// The content of every probe path.
fn content(shared: &Shared, path: &str) -> Response {
    let spec = &shared.spec_now();
    let at = NOW + spec.ahead - spec.lag;
    // Where this site's wheels and crates are served.
    let files = spec.files_on.as_ref().map_or_else(|| shared.bases[&spec.id].clone(), |id| shared.bases[id].clone());
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["debian", "project", "trace", "master"] => Response::text(trace(at)),
        [tree @ ("debian" | "debian-security" | "ubuntu" | "ubuntu-ports"), "dists", suite, "InRelease"] => {
            let origin = if tree.starts_with("debian") { "Debian" } else { "Ubuntu" };
            Response::text(inrelease(origin, suite, at)).modified(at)
        }
        // The apt derivatives' archives: Kali, Raspbian (`raspbian/raspbian`), the Raspberry Pi
        // archive.
        ["kali", "dists", suite, "InRelease"] => Response::text(inrelease("Kali", suite, at)).modified(at),
        ["raspbian", "raspbian", "dists", suite, "InRelease"] => {
            Response::text(inrelease("Raspbian", suite, at)).modified(at)
        }
        ["raspberrypi", "dists", suite, "InRelease"] => {
            Response::text(inrelease("Raspberry Pi Foundation", suite, at)).modified(at)
        }
        ["debian" | "ubuntu" | "ubuntu-ports" | "kali" | "raspberrypi", "dists", _, _, _, "Packages.xz"]
        | ["raspbian", "raspbian", "dists", _, _, _, "Packages.xz"] => Response::new(
            200,
            "application/x-xz",
            Body::Blob { len: 9 << 20, magic: &[0xfd, b'7', b'z', b'X', b'Z', 0], fill: 0 },
        )
        .modified(at)
        .bulk(),
        ["archlinux", "lastupdate"] => Response::text(format!("{at}\n")),
        ["archlinux", "lastsync"] => Response::text(format!("{}\n", at + 120)),
        ["archlinux", repo, "os", "x86_64", db] if *db == format!("{repo}.db") => {
            let r = db_file(repo, at);
            if *repo == "extra" { r.bulk() } else { r }
        }
        ["archlinuxarm", _, repo, db] if *db == format!("{repo}.db") => db_file(repo, at),
        ["pypi", "web", "simple", project, ""] => simple_page(spec, project, &files),
        [.., "packages", _, _, file] if file.ends_with(".whl") => {
            Response::new(200, "application/octet-stream", Body::Blob { len: WHEEL_BYTES, magic: ZIP, fill: 0 }).bulk()
        }
        ["anaconda", .., _, "repodata.json"] => Response::new(
            200,
            "application/json",
            Body::Blob { len: 12 << 20, magic: b"{\"info\":{\"subdir\":\"linux-64\"},\"packages\":{\"", fill: b'a' },
        )
        .modified(at)
        .bulk(),
        ["crates.io-index", "config.json"] => Response::new(
            200,
            "application/json",
            Body::Bytes(format!(r#"{{"dl":"{files}/crates","api":"https://crates.io"}}"#).into_bytes()),
        ),
        ["crates.io-index", "aw", "s-", "aws-sdk-s3"] => crate_index(spec.lag, at),
        ["crates", "aws-sdk-s3", _, "download"] => {
            Response::new(200, "application/x-tar", Body::Blob { len: CRATE_BYTES, magic: GZIP, fill: 0 }).bulk()
        }
        ["v2", ""] => Response::new(
            401,
            "application/json",
            Body::Bytes(br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#.to_vec()),
        )
        .header("Docker-Distribution-Api-Version", "registry/2.0")
        .header("WWW-Authenticate", "Bearer realm=\"https://auth.example/token\",service=\"registry.example\""),
        ["v2", "library", "alpine", "manifests", "latest"] => registry(
            200,
            "application/vnd.oci.image.index.v1+json",
            format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{ALPINE_AMD64}","size":1022,"platform":{{"architecture":"amd64","os":"linux"}}}},{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{ALPINE_ARM64}","size":1025,"platform":{{"architecture":"arm64","os":"linux","variant":"v8"}}}}]}}"#
            ),
            "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        ),
        ["v2", "library", "alpine", "manifests", digest] if *digest == ALPINE_AMD64 || *digest == ALPINE_ARM64 => {
            let layer = if *digest == ALPINE_AMD64 { LAYER_AMD64 } else { LAYER_ARM64 };
            registry(
                200,
                "application/vnd.oci.image.manifest.v1+json",
                format!(
                    r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:eeee{}","size":581}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer}","size":{LAYER_BYTES}}}]}}"#,
                    "e".repeat(60)
                ),
                digest,
            )
        }
        ["v2", "library", "alpine", "blobs", digest] if *digest == LAYER_AMD64 || *digest == LAYER_ARM64 => {
            Response::new(200, "application/octet-stream", Body::Blob { len: LAYER_BYTES, magic: GZIP, fill: 0 })
                .header("Docker-Content-Digest", *digest)
                .bulk()
        }
        [
            "fedora" | "epel" | "centos-stream" | "rocky" | "almalinux" | "openeuler" | "opensuse",
            ..,
            "repodata",
            "repomd.xml",
        ] => Response::new(200, "text/xml", Body::Bytes(repomd_xml(at).into_bytes())).modified(at),
        [.., "repodata", file] if file.ends_with("-primary.xml.gz") => {
            Response::new(200, "application/x-gzip", Body::Blob { len: 6 << 20, magic: GZIP, fill: 0 })
                .modified(at)
                .bulk()
        }
        ["alpine", _, repo, _, "APKINDEX.tar.gz"] => {
            let len = if *repo == "main" { 700 << 10 } else { 2 << 20 };
            let r =
                Response::new(200, "application/octet-stream", Body::Blob { len, magic: GZIP, fill: 0 }).modified(at);
            if *repo == "community" { r.bulk() } else { r }
        }
        ["archlinuxcn", "lastupdate"] => Response::text(format!("{at}\n")),
        ["archlinuxcn", _, "archlinuxcn.db"] => {
            Response::new(200, "application/octet-stream", Body::Blob { len: 3 << 20, magic: GZIP, fill: 0 })
                .modified(at)
                .bulk()
        }
        // npm: package documents (abbreviated), the tarball sample.
        ["npm", pkg] if *pkg == "electron-to-chromium" || *pkg == "is-number" => npm_doc(shared, pkg, at),
        ["npm", "typescript", "-", "typescript-5.6.3.tgz"] => {
            Response::new(200, "application/octet-stream", Body::Blob { len: NPM_TARBALL_BYTES, magic: GZIP, fill: 0 })
                .bulk()
        }
        // Go module proxy.
        ["goproxy", "github.com", "aws", "aws-sdk-go-v2", "service", "s3", "@latest"] => go_latest(spec.lag, at),
        ["goproxy", "golang.org", "x", "text", "@v", "list"] => {
            Response::text((0..=21).map(|v| format!("v0.{v}.0\n")).collect::<String>())
        }
        ["goproxy", "golang.org", "x", "text", "@v", "v0.21.0.zip"] => {
            Response::new(200, "application/zip", Body::Blob { len: GO_ZIP_BYTES, magic: ZIP, fill: 0 }).bulk()
        }
        // rustup dist server: the channel manifest names components under this site.
        ["rustup", "dist", "channel-rust-stable.toml"] => rustup_channel(at),
        ["rustup", "dist", "channel-rust-stable.toml.sha256"] => {
            Response::text(format!("{:064x}  channel-rust-stable.toml\n", at))
        }
        ["rustup", "dist", _, file] if file.ends_with(".tar.xz") => Response::new(
            200,
            "application/x-xz",
            Body::Blob { len: RUSTUP_COMPONENT_BYTES, magic: &[0xfd, b'7', b'z', b'X', b'Z', 0], fill: 0 },
        )
        .bulk(),
        // Homebrew API (JSON with Last-Modified; formula.jws.json is the bulk download).
        ["homebrew-bottles", "api", file @ ("formula.jws.json" | "cask.jws.json")] => Response::new(
            200,
            "application/json",
            Body::Blob {
                len: if *file == "formula.jws.json" { 30 << 20 } else { 8 << 20 },
                magic: b"{\"payload\":\"[{\\\"name\\\":",
                fill: b'a',
            },
        )
        .modified(at)
        .bulk(),
        // Hugging Face Hub.
        ["huggingface", "api", "models", "google-bert", "bert-base-uncased"] => hf_model(at),
        ["huggingface", "google-bert", "bert-base-uncased", "resolve", "main", "config.json"] => Response::new(
            200,
            "application/json",
            Body::Bytes(
                br#"{"architectures":["BertForMaskedLM"],"hidden_size":768,"model_type":"bert","vocab_size":30522}"#
                    .to_vec(),
            ),
        ),
        ["huggingface", "google-bert", "bert-base-uncased", "resolve", "main", "model.safetensors"] => Response::new(
            200,
            "application/octet-stream",
            Body::Blob { len: 440 << 20, magic: b"\x98\x4a\x00\x00\x00\x00\x00\x00{\"__metadata__\":", fill: 0 },
        )
        .bulk(),
        // RubyGems compact index.
        ["rubygems", "info", "aws-sdk-core"] => gem_info(spec.lag, at),
        ["rubygems", "versions"] => Response::new(
            200,
            "text/plain",
            Body::Blob { len: 24 << 20, magic: b"created_at: 2024-04-01T00:00:05Z\n---\n", fill: b'a' },
        )
        .bulk(),
        // Maven repository.
        ["maven", "software", "amazon", "awssdk", "s3", "maven-metadata.xml"] => {
            maven_metadata("software.amazon.awssdk", "s3", spec.lag, at)
        }
        ["maven", "junit", "junit", "maven-metadata.xml"] => maven_metadata("junit", "junit", 0, NOW - 400 * DAY),
        ["maven", "software", "amazon", "awssdk", "s3", "2.29.0", "s3-2.29.0.jar"] => {
            Response::new(200, "application/java-archive", Body::Blob { len: 3 << 20, magic: ZIP, fill: 0 }).bulk()
        }
        // A checksum-database proxy (goproxy.cn's `/sumdb/sum.golang.org`) and Homebrew's git
        // remotes, as `mirror site add` looks for them.
        ["sumdb", "sum.golang.org", "latest"] => Response::text(
            "go.sum database tree\n31234567\nq3JM0bTmpYUYhwrvZ3qOkxzq9zC3m3NOP6zsfEm7hVg=\n\n— sum.golang.org Az3grnmrIAIcg1V6Ebf+2BhK/OuWK7AzbqqFRWTS5vAK6eHNJ8j1iVTkuQCCKYVYEWqZdw0UVvX8TxTprN3b4jgwzwo=\n",
        ),
        ["git", "homebrew", "brew.git" | "homebrew-core.git", "info", refs] if refs.starts_with("refs") => {
            Response::new(
                200,
                "application/x-git-upload-pack-advertisement",
                Body::Bytes(
                    b"001e# service=git-upload-pack\n0000003f2a8c1d1e4c5f6a7b8c9d0e1f2a3b4c5d6e7f8091 refs/heads/main\n0000".to_vec(),
                ),
            )
        }
        ["static", "tunasync.json"] => feed(spec),
        ["mirrorz.json"] => feed(spec),
        _ => error_page(404),
    }
}

/// An rpm-md `repomd.xml` as createrepo_c writes it: the revision is the time of the run.
fn repomd_xml(at: u64) -> String {
    let mut text = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n  <revision>{at}</revision>\n"
    );
    for (kind, size) in [("primary", 6_291_456), ("filelists", 41_943_040), ("other", 3_145_728)] {
        text.push_str(&format!(
            "  <data type=\"{kind}\">\n    <checksum type=\"sha256\">{hash:064x}</checksum>\n    <open-checksum type=\"sha256\">{hash:064x}</open-checksum>\n    <location href=\"repodata/{hash:064x}-{kind}.xml.gz\"/>\n    <timestamp>{at}</timestamp>\n    <size>{size}</size>\n    <open-size>{open}</open-size>\n  </data>\n",
            hash = at as u128 * 7_919 + size,
            open = size * 7
        ));
    }
    text.push_str("</repomd>\n");
    text
}

/// Sizes of the new targets' bulk files.
pub const NPM_TARBALL_BYTES: u64 = 5_800_000;
pub const GO_ZIP_BYTES: u64 = 9 << 20;
pub const RUSTUP_COMPONENT_BYTES: u64 = 8 << 20;

fn iso(at: u64) -> String {
    chrono::DateTime::from_timestamp(at as i64, 0).unwrap().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// An abbreviated npm package document: one release a day, so a lagging site lacks the
/// newest ones; `modified` is the site's time.
fn npm_doc(shared: &Shared, pkg: &str, at: u64) -> Response {
    let releases = if pkg == "is-number" { 8 } else { 300u64.saturating_sub(shared.spec.lag / DAY).max(5) };
    let base = &shared.bases[&shared.spec.id];
    let versions: Vec<String> = (0..releases)
        .map(|v| {
            format!(
                r#""1.5.{v}":{{"name":"{pkg}","version":"1.5.{v}","dist":{{"shasum":"{:040x}","tarball":"{base}/npm/{pkg}/-/{pkg}-1.5.{v}.tgz","integrity":"sha512-AAAA{v}","fileCount":8,"unpackedSize":{}}}}}"#,
                v * 7919,
                150_000 + v
            )
        })
        .collect();
    let body = format!(
        r#"{{"name":"{pkg}","dist-tags":{{"latest":"1.5.{}"}},"versions":{{{}}},"modified":"{}"}}"#,
        releases - 1,
        versions.join(","),
        iso(at)
    );
    Response::new(200, "application/vnd.npm.install-v1+json", Body::Bytes(body.into_bytes()))
}

fn go_latest(lag: u64, at: u64) -> Response {
    let minor = 70u64.saturating_sub(lag / DAY);
    Response::new(
        200,
        "application/json",
        Body::Bytes(format!(r#"{{"Version":"v1.{minor}.0","Time":"{}"}}"#, iso(at).replace(".000", "")).into_bytes()),
    )
}

/// The head of a stable channel manifest dated the site's day, naming components on the site.
fn rustup_channel(at: u64) -> Response {
    let date = chrono::DateTime::from_timestamp(at as i64, 0).unwrap().format("%Y-%m-%d");
    let mut text = format!(
        "manifest-version = \"2\"\ndate = \"{date}\"\n[pkg.cargo]\nversion = \"1.83.0 (5ffbef321 2024-10-29)\"\n"
    );
    for target in ["aarch64-apple-darwin", "aarch64-unknown-linux-gnu", "x86_64-unknown-linux-gnu"] {
        text.push_str(&format!(
            "[pkg.cargo.target.{target}]\navailable = true\nurl = \"https://static.rust-lang.org/dist/{date}/cargo-1.83.0-{target}.tar.gz\"\nhash = \"{:064x}\"\nxz_url = \"https://static.rust-lang.org/dist/{date}/cargo-1.83.0-{target}.tar.xz\"\nxz_hash = \"{:064x}\"\n",
            at, at + 1
        ));
    }
    for i in 0..2000 {
        text.push_str(&format!("[pkg.rust-std.target.t{i}]\navailable = false\n"));
    }
    Response::new(200, "text/plain", Body::Bytes(text.into_bytes())).modified(at)
}

fn hf_model(at: u64) -> Response {
    Response::new(
        200,
        "application/json",
        Body::Bytes(
            format!(
                r#"{{"_id":"621ffdc036468d709f174338","id":"google-bert/bert-base-uncased","modelId":"google-bert/bert-base-uncased","author":"google-bert","sha":"{:040x}","lastModified":"{}","private":false,"gated":false,"downloads":60000000,"likes":2200,"library_name":"transformers","tags":["transformers","pytorch","safetensors","bert","fill-mask"],"siblings":[{{"rfilename":"config.json"}},{{"rfilename":"model.safetensors"}}]}}"#,
                at,
                iso(at)
            )
            .into_bytes(),
        ),
    )
}

/// A compact index `/info/` file: one release a day.
fn gem_info(lag: u64, at: u64) -> Response {
    let releases = 500u64.saturating_sub(lag / DAY).max(5);
    let mut text = String::from("---\n");
    for v in 0..releases {
        text.push_str(&format!(
            "3.{v}.0 aws-eventstream:>= 1.3.0&< 2,aws-partitions:>= 1.992.0&< 2,aws-sigv4:~> 1.9,jmespath:>= 1.6.1&< 2|checksum:{:064x},ruby:>= 2.5\n",
            v * 104_729
        ));
    }
    Response::new(200, "text/plain", Body::Bytes(text.into_bytes())).modified(at)
}

fn maven_metadata(group: &str, artifact: &str, lag: u64, at: u64) -> Response {
    let releases = 300u64.saturating_sub(lag / DAY).max(5);
    let updated = chrono::DateTime::from_timestamp(at as i64, 0).unwrap().format("%Y%m%d%H%M%S");
    let versions: String = (0..releases).map(|v| format!("      <version>2.{v}.0</version>\n")).collect();
    let last = releases - 1;
    let text = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata>\n  <groupId>{group}</groupId>\n  <artifactId>{artifact}</artifactId>\n  <versioning>\n    <latest>2.{last}.0</latest>\n    <release>2.{last}.0</release>\n    <versions>\n{versions}    </versions>\n    <lastUpdated>{updated}</lastUpdated>\n  </versioning>\n</metadata>\n"
    );
    Response::new(200, "text/xml", Body::Bytes(text.into_bytes())).modified(at)
}

fn trace(at: u64) -> String {
    let d = chrono::DateTime::from_timestamp(at as i64, 0).unwrap();
    // dak bumps the archive serial four times a day.
    let run = at % DAY / (6 * 3600) + 1;
    format!(
        "{}\nDate: {}\nArchive serial: {}{run:02}\n",
        d.format("%a %b %e %H:%M:%S UTC %Y"),
        d.format("%a, %d %b %Y %H:%M:%S +0000"),
        d.format("%Y%m%d"),
    )
}

fn inrelease(origin: &str, suite: &str, at: u64) -> String {
    let date = chrono::DateTime::from_timestamp(at as i64, 0).unwrap().format("%a, %d %b %Y %H:%M:%S UTC");
    let until =
        chrono::DateTime::from_timestamp(at as i64 + 7 * DAY as i64, 0).unwrap().format("%a, %d %b %Y %H:%M:%S UTC");
    let codename = suite.replace("stable", "bookworm");
    let mut text = format!(
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: {origin}\nLabel: {origin}\nSuite: {suite}\nCodename: {codename}\nDate: {date}\nValid-Until: {until}\nAcquire-By-Hash: yes\nArchitectures: amd64 arm64 armhf i386\nComponents: main contrib non-free-firmware non-free\nDescription: {origin} {suite}\nMD5Sum:\n"
    );
    for i in 0..600 {
        text.push_str(&format!(
            " {:032x} {:>9} main/binary-amd64/Packages{}\n",
            i * 7_919 + 13,
            i * 131 + 1024,
            [".xz", ".gz", ""][i as usize % 3]
        ));
    }
    text.push_str("-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCgAdFiEE\n-----END PGP SIGNATURE-----\n");
    text
}

fn db_file(repo: &str, at: u64) -> Response {
    let len = if *repo == *"core" { 150 << 10 } else { 8 << 20 };
    Response::new(200, "application/octet-stream", Body::Blob { len, magic: &[0x1f, 0x8b, 0x08, 0], fill: 0 })
        .modified(at)
}

/// A PEP 503 page: thousands of links for the busy project (a few for a small page, none for
/// `no_links`), wheels under `/packages/` of `files` (relative links on the site itself, as
/// mirrors write them; absolute ones on another host, as PyPI does), the serial at the end.
fn simple_page(spec: &Spec, project: &str, files: &str) -> Response {
    let serial = PYPI_SERIAL - spec.lag / 6;
    let count = match (spec.no_links, spec.small_pages, project) {
        (true, _, "botocore") => 0,
        (false, true, _) => 3,
        (false, false, "botocore") => 5_000,
        _ => 120,
    };
    let prefix = if spec.files_on.is_some() { format!("{files}/packages") } else { "../../packages".to_owned() };
    let mut page = format!(
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n    <title>Links for {project}</title>\n  </head>\n  <body>\n    <h1>Links for {project}</h1>\n"
    );
    for i in 0..count {
        page.push_str(&format!(
            "    <a href=\"{prefix}/{:02x}/{:02x}/{project}-1.{i}.0-py3-none-any.whl#sha256={:064x}\" data-requires-python=\"&gt;=3.8\">{project}-1.{i}.0-py3-none-any.whl</a><br />\n",
            i % 251,
            i % 241,
            i * 104_729
        ));
    }
    page.push_str(&format!("  </body>\n</html>\n<!--SERIAL {serial}-->\n"));
    Response::new(200, "text/html", Body::Bytes(page.into_bytes()))
}

fn crate_index(lag: u64, at: u64) -> Response {
    // One release an hour: a site an hour behind lacks the newest line.
    let versions = 400u64.saturating_sub(lag / 3600).max(5);
    let mut text = String::new();
    for v in 0..versions {
        let deps: Vec<String> = (0..12)
            .map(|d| {
                format!(
                    r#"{{"name":"aws-smithy-dep{d}","req":"^1.{v}","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal"}}"#
                )
            })
            .collect();
        text.push_str(&format!(
            r#"{{"name":"aws-sdk-s3","vers":"1.{v}.0","deps":[{}],"cksum":"{:064x}","features":{{}},"yanked":false,"rust_version":"1.78.0"}}"#,
            deps.join(","),
            v * 7_368_787
        ));
        text.push('\n');
    }
    Response::new(200, "text/plain", Body::Bytes(text.into_bytes())).modified(at)
}

fn feed(spec: &Spec) -> Response {
    let body = match &spec.feed {
        Some(Feed::Endless) => return Response::new(200, "application/json", Body::Endless),
        Some(Feed::Raw { .. }) | None => return error_page(404),
        Some(Feed::Tunasync { status, age }) => {
            let ts = age.map_or(0, |a| NOW - a);
            let jobs: Vec<String> = [
                "debian",
                "ubuntu",
                "ubuntu-ports",
                "archlinux",
                "archlinuxarm",
                "pypi",
                "anaconda",
                "crates.io-index",
            ]
            .iter()
            .map(|name| {
                format!(
                    r#"{{"name":"{name}","is_master":true,"status":"{status}","last_update":"","last_update_ts":{ts},"last_started_ts":{now},"last_ended_ts":{now},"next_schedule_ts":{next},"upstream":"rsync://example/{name}/","size":"1T"}}"#,
                    now = NOW - 60,
                    next = NOW + 3600
                )
            })
            .collect();
            format!("[{}]", jobs.join(","))
        }
        Some(Feed::Mirrorz { status }) => {
            let status = status.replace("{ts}", &(NOW - 5 * DAY).to_string());
            let mirrors: Vec<String> = ["debian", "archlinux", "pypi", "anaconda", "crates.io-index"]
                .iter()
                .map(|c| format!(r#"{{"cname":"{c}","url":"/{c}","status":"{status}"}}"#))
                .collect();
            format!(
                r#"{{"version":1.7,"site":{{"url":"http://127.0.0.1","abbr":"FARM"}},"info":[],"mirrors":[{}]}}"#,
                mirrors.join(",")
            )
        }
    };
    Response::new(200, "application/json", Body::Bytes(body.into_bytes()))
}

/// Gives `cmd` (the `mirror` binary) a hermetic environment for a fake machine in `dir`:
/// nothing of the caller's environment (no proxies, CA settings, `PIP_*`, `UV_*`, `CARGO_*`,
/// `MIRROR_*`), fake HOME/XDG dirs, the farm's clock, `arch`, no progress or colour, and a
/// `PATH` of one empty folder, `<dir>/bin`: no package manager is found, so `use --verify`
/// checks with its probe (a test puts a client of its own there to see it run).
pub fn hermetic(cmd: &mut std::process::Command, dir: &std::path::Path, arch: &str) {
    cmd.env_clear();
    let _ = std::fs::create_dir_all(dir.join("bin"));
    cmd.env("PATH", dir.join("bin"));
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("HOME", dir.join("home"))
        .env("XDG_CONFIG_HOME", dir.join("home/.config"))
        .env("XDG_STATE_HOME", dir.join("home/.local/state"))
        .env("CARGO_HOME", dir.join("home/.cargo"))
        .env("MIRROR_TEST_NOW", NOW.to_string())
        .env("MIRROR_ARCH", arch)
        .env("MIRROR_NO_PROGRESS", "1")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100");
}

/// A line on the real stderr, past libtest's output capture (a test that skips a part says so).
/// Skips a test that cannot run here, saying why; in CI (`MIRROR_REQUIRE_ROOT_TESTS=1`, set
/// by `.ci/run`, which installs what the tests need) it fails instead.
pub fn skip(why: &str) {
    let required = std::env::var_os("MIRROR_REQUIRE_ROOT_TESTS").is_some_and(|v| !v.is_empty() && v != "0");
    assert!(!required, "cannot run: {why} (`MIRROR_REQUIRE_ROOT_TESTS` is set, so this is a failure)");
    say(&format!("skipped: {why}"));
}

pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
