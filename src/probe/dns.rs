//! Name resolution for probes: an asynchronous resolver (hickory) with its own deadline, so a
//! resolver that never answers cannot hold a run past `--timeout`.
//!
//! The system resolver (`getaddrinfo`) runs on blocking threads that nothing can cancel; a
//! stuck lookup would keep the process alive after every deadline. hickory reads
//! `/etc/resolv.conf` and `/etc/hosts` itself and is cancelled with the probe. Where the
//! system configuration cannot be read, lookups fall back to `getaddrinfo`, still bounded by
//! the same deadline (the runtime is shut down without waiting for its blocking threads).
//!
//! Failures are a [`DnsError`], found again by type in the error chain of a request
//! (`net::classify`), never by matching its text.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a host name gave no address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsFailure {
    /// No answer within the deadline.
    TimedOut(Duration),
    /// The name does not exist, or has no address records.
    NotFound,
    /// Anything else the resolver reported.
    Other(String),
}

/// A failed lookup of `host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsError {
    pub host: String,
    pub failure: DnsFailure,
}

impl std::fmt::Display for DnsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.failure {
            DnsFailure::TimedOut(d) => {
                write!(f, "could not resolve `{}` within {}", self.host, super::rank::human_ms(*d))
            }
            DnsFailure::NotFound => write!(f, "could not resolve `{}`: no such host", self.host),
            DnsFailure::Other(why) => write!(f, "could not resolve `{}`: {why}", self.host),
        }
    }
}

impl std::error::Error for DnsError {}

enum Backend {
    Hickory(Box<TokioResolver>),
    System,
}

/// The resolver every probe of a run shares.
#[derive(Clone)]
pub struct Resolver {
    backend: Arc<Backend>,
    timeout: Duration,
}

impl Resolver {
    /// The system's configuration (`/etc/resolv.conf`, `/etc/hosts`), or, when `server` is
    /// given (a test resolver on loopback), that server only. Every lookup gives up after
    /// `timeout`. Must be called inside the run's tokio runtime.
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Self {
        let configured = match server {
            Some(addr) => {
                let mut ns = NameServerConfig::udp(addr.ip());
                for c in &mut ns.connections {
                    c.port = addr.port();
                }
                Some((ResolverConfig::from_name_servers(vec![ns]), ResolverOpts::default()))
            }
            None => hickory_resolver::system_conf::read_system_conf().ok(),
        };
        let backend = configured
            .and_then(|(config, mut opts)| {
                // One attempt per server, each within the run's deadline; the deadline
                // below is what bounds the lookup as a whole.
                opts.timeout = timeout;
                opts.attempts = 1;
                TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
                    .with_options(opts)
                    .build()
                    .ok()
            })
            .map_or(Backend::System, |r| Backend::Hickory(Box::new(r)));
        Self { backend: Arc::new(backend), timeout }
    }

    async fn lookup(backend: Arc<Backend>, host: String, timeout: Duration) -> Result<Vec<IpAddr>, DnsError> {
        let fail = |failure| DnsError { host: host.clone(), failure };
        let found = match &*backend {
            Backend::Hickory(r) => match tokio::time::timeout(timeout, r.lookup_ip(host.as_str())).await {
                Err(_) => return Err(fail(DnsFailure::TimedOut(timeout))),
                Ok(Err(e)) if e.is_no_records_found() || e.is_nx_domain() => return Err(fail(DnsFailure::NotFound)),
                // hickory's own per-server timeout (equal to ours) fired first.
                Ok(Err(NetError::Timeout)) => return Err(fail(DnsFailure::TimedOut(timeout))),
                Ok(Err(e)) => return Err(fail(DnsFailure::Other(e.to_string()))),
                Ok(Ok(lookup)) => lookup.iter().collect::<Vec<IpAddr>>(),
            },
            Backend::System => match tokio::time::timeout(timeout, tokio::net::lookup_host((host.as_str(), 0))).await {
                Err(_) => return Err(fail(DnsFailure::TimedOut(timeout))),
                Ok(Err(e)) => return Err(fail(DnsFailure::Other(e.to_string()))),
                Ok(Ok(addrs)) => addrs.map(|a| a.ip()).collect(),
            },
        };
        if found.is_empty() { Err(fail(DnsFailure::NotFound)) } else { Ok(found) }
    }
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let backend = self.backend.clone();
        let host = name.as_str().to_owned();
        let timeout = self.timeout;
        Box::pin(async move {
            let ips = Self::lookup(backend, host, timeout).await?;
            let addrs: Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}
