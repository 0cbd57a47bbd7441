//! A DNS server on 127.0.0.1 for the farm: it answers `A 127.0.0.1` for the names it serves,
//! "no such name" for names it does not know, and reads but never answers queries for
//! blackholed names (a resolver that hangs). UDP only, one thread; just enough of RFC 1035
//! for a stub resolver's A and AAAA queries.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    queries: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `names`: (name, answered). An unanswered name is read and left hanging.
    pub fn start(names: &[(String, bool)]) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP port on 127.0.0.1");
        socket.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let addr = socket.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let queries = Arc::new(AtomicUsize::new(0));
        let names: Vec<(String, bool)> = names.iter().map(|(n, a)| (n.to_ascii_lowercase(), *a)).collect();
        let (s, q) = (stop.clone(), queries.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while !s.load(Ordering::SeqCst) {
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                q.fetch_add(1, Ordering::SeqCst);
                if let Some(reply) = answer(&buf[..n], &names) {
                    let _ = socket.send_to(&reply, from);
                }
            }
        });
        Self { addr, stop, queries, thread: Some(thread) }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queries received so far.
    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The reply to one query, or `None` to stay silent.
fn answer(query: &[u8], names: &[(String, bool)]) -> Option<Vec<u8>> {
    if query.len() < 12 {
        return None;
    }
    // The question: labels up to the root, then type and class.
    let mut at = 12;
    let mut labels = Vec::new();
    loop {
        let len = *query.get(at)? as usize;
        at += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(query.get(at..at + len)?).to_ascii_lowercase());
        at += len;
    }
    let qtype = u16::from_be_bytes([*query.get(at)?, *query.get(at + 1)?]);
    let question = &query[12..at + 4];
    let name = labels.join(".");
    let known = names.iter().find(|(n, _)| *n == name);
    if known.is_some_and(|(_, answered)| !answered) {
        return None;
    }
    let a_record = known.is_some() && qtype == 1;
    let mut reply = Vec::new();
    reply.extend_from_slice(&query[..2]); // id
    let rcode = if known.is_some() { 0 } else { 3 }; // NXDOMAIN for names it does not serve
    reply.extend_from_slice(&[0x81, 0x80 | rcode]); // response, recursion desired and available
    reply.extend_from_slice(&[0, 1, 0, u8::from(a_record), 0, 0, 0, 0]);
    reply.extend_from_slice(question);
    if a_record {
        // The name by pointer to the question, A, IN, TTL 60, 4 bytes: 127.0.0.1.
        reply.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]);
    }
    Some(reply)
}
