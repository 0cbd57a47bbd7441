//! A tiny static HTTP/1.1 file server on 127.0.0.1 for the real-client tests.
//!
//! - `GET`/`HEAD /path` serves `<root>/path` (a directory serves its `index.html`).
//! - It doubles as a *recording forward proxy* so that no client can ever leave loopback:
//!   `GET http://host/path` (absolute form, what a client sends to an HTTP proxy) serves
//!   `<root>/_hosts/<host>/path` (a fake "official upstream" for plain-http clients such as apt),
//!   and `CONNECT host:443` is recorded and refused with 403.
//! - Every request is recorded, so a test can assert which server and path a client really used.
//! - Two broken mirrors live at fixed prefixes: every direct request under `/error/` answers
//!   500, and every one under `/wrong/` answers 200 with a web server's welcome page (a mirror
//!   whose vhost lost its repository).

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Hit {
    pub method: String,
    /// `Some(host)` for proxy requests (absolute-form `GET http://host/…` or `CONNECT host:port`).
    pub host: Option<String>,
    pub path: String,
    pub status: u16,
}

impl std::fmt::Display for Hit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.host {
            Some(h) => write!(f, "{} {} [{}] {}", self.status, self.method, h, self.path),
            None => write!(f, "{} {} {}", self.status, self.method, self.path),
        }
    }
}

pub struct Server {
    port: u16,
    log: Arc<Mutex<Vec<Hit>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    pub fn start(root: &Path) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (root, log2, stop2) = (root.to_path_buf(), log.clone(), stop.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (root, log) = (root.clone(), log2.clone());
                thread::spawn(move || {
                    let _ = serve_connection(conn, &root, &log);
                });
            }
        });
        Server { port, log, stop }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.log.lock().unwrap().clone()
    }

    /// Forget what was recorded so far (call between the phases of a test).
    pub fn clear(&self) {
        self.log.lock().unwrap().clear();
    }

    /// Direct (non-proxy) requests whose path starts with `prefix`.
    pub fn direct_hits(&self, prefix: &str) -> Vec<Hit> {
        self.hits().into_iter().filter(|h| h.host.is_none() && h.path.starts_with(prefix)).collect()
    }

    /// Proxy requests (absolute-form GET or CONNECT) for `host`.
    pub fn proxy_hits(&self, host: &str) -> Vec<Hit> {
        self.hits().into_iter().filter(|h| h.host.as_deref() == Some(host)).collect()
    }

    pub fn dump(&self) -> String {
        self.hits().iter().map(|h| format!("  {h}\n")).collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so its thread ends.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve_connection(conn: TcpStream, root: &Path, log: &Mutex<Vec<Hit>>) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (method, target, version) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or(""),
        );
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        // Skip a request body, if any (clients here only send GET/HEAD, but be safe).
        if let Some(n) = headers.get("content-length").and_then(|v| v.parse::<u64>().ok()) {
            std::io::copy(&mut (&mut reader).take(n), &mut std::io::sink())?;
        }
        let close = version == "HTTP/1.0" || headers.get("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));

        if method == "CONNECT" {
            let host = target.rsplit_once(':').map_or(target.as_str(), |(h, _)| h).to_string();
            record(log, &method, Some(host), &target, 403);
            out.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
            let _ = out.shutdown(Shutdown::Both);
            return Ok(());
        }

        let (host, path) = match target.strip_prefix("http://") {
            Some(rest) => {
                let (hostport, path) =
                    rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
                let host = hostport.rsplit_once(':').map_or(hostport, |(h, _)| h);
                (Some(host.to_string()), path)
            }
            None => (None, target.clone()),
        };
        let path_only = path.split(['?', '#']).next().unwrap_or("/").to_string();
        let base = match &host {
            Some(h) => root.join("_hosts").join(h),
            None => root.to_path_buf(),
        };
        let body = if method == "GET" || method == "HEAD" { resolve(&base, &path_only) } else { None };
        let broken = host.is_none() && (path_only.starts_with("/error/") || path_only.starts_with("/wrong/"));
        let status = if method != "GET" && method != "HEAD" {
            405
        } else if broken && path_only.starts_with("/error/") {
            500
        } else if body.is_some() || broken {
            200
        } else {
            404
        };
        record(log, &method, host, &path, status);
        let (ctype, data) = match body {
            _ if broken && status == 200 => ("text/html", WELCOME.as_bytes().to_vec()),
            Some(file) if status == 200 => (content_type(&file), fs::read(&file).unwrap_or_default()),
            _ => ("text/plain", format!("{status}\n").into_bytes()),
        };
        let reason = match status {
            200 => "OK",
            404 => "Not Found",
            500 => "Internal Server Error",
            _ => "Method Not Allowed",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n",
            data.len(),
            if close { "close" } else { "keep-alive" }
        );
        out.write_all(head.as_bytes())?;
        if method != "HEAD" {
            out.write_all(&data)?;
        }
        out.flush()?;
        if close {
            return Ok(());
        }
    }
}

/// What a web server answers where a repository should be (nginx's default page).
const WELCOME: &str = "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and working.</p>\n</body>\n</html>\n";

fn record(log: &Mutex<Vec<Hit>>, method: &str, host: Option<String>, path: &str, status: u16) {
    log.lock().unwrap().push(Hit { method: method.to_string(), host, path: path.to_string(), status });
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn resolve(base: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path);
    let rel = Path::new(decoded.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let p = base.join(rel);
    if p.is_dir() {
        let idx = p.join("index.html");
        return idx.is_file().then_some(idx);
    }
    p.is_file().then_some(p)
}

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}
