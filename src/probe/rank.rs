//! Freshness, classification and ranking. Pure: the probes are done, only numbers remain.
//!
//! - **Lag** is how far a site is behind the freshest reading of the same kind in the run
//!   (see [`lags`]); a status feed (tunasync, MirrorZ) adds the time since the repository's
//!   last successful sync.
//! - **Status**: `failed` and `throttled` come from the probe; an answering site whose lag
//!   is over `--max-lag` (or whose feed says its sync is failing with no known success) is
//!   `stale`; the rest are `ok`.
//! - **Order**: `ok` sites with a throughput sample, fastest first; then the other `ok`
//!   sites by latency (a finalist whose sample could not be taken, for want of time, among
//!   them: it says `not sampled: …`); then `stale` (least behind first), `throttled`,
//!   `failed`. Each row says why it is where it is.

use std::cmp::Ordering;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::signals::Reading;

/// The verdict on one site for one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Stale,
    Throttled,
    Failed,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Stale => "stale",
            Self::Throttled => "throttled",
            Self::Failed => "failed",
        }
    }
}

/// How a probe ended, before freshness is taken into account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every request was answered as the package manager expects.
    Answered,
    /// 403, 429 or 451.
    Throttled(u16),
    /// Anything else: connect error, timeout, TLS error, 4xx/5xx, wrong content, cut-off.
    Failed(String),
}

/// What a site's status feed says about the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedView {
    /// `tunasync` or `mirrorz`.
    pub source: &'static str,
    /// The last sync attempt failed.
    pub failing: bool,
    /// Seconds since the last successful sync, if known.
    pub since_success: Option<u64>,
}

/// One probed site, ready to be ranked.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub site: String,
    pub url: String,
    pub outcome: Outcome,
    pub latency: Option<Duration>,
    /// Bytes per second of the throughput sample (finalists only).
    pub throughput: Option<f64>,
    /// Why a finalist has no throughput sample (`out of time`, a broken-off transfer): it
    /// keeps its verdict and ranks among the unsampled sites.
    pub unsampled: Option<String>,
    /// Seconds behind the freshest reading of the run.
    pub lag: Option<u64>,
    pub feed: Option<FeedView>,
    /// What each request got, for `-v`.
    pub details: Vec<String>,
}

/// One ranked row: the `results[]` entries of `bench --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeResult {
    pub site: String,
    pub url: String,
    pub status: Status,
    pub latency_ms: Option<u64>,
    pub throughput_bps: Option<u64>,
    pub lag_seconds: Option<u64>,
    pub reason: String,
    /// What each request of the probe got, for `-v` (not part of the JSON output).
    #[serde(skip)]
    pub details: Vec<String>,
}

/// For each site, its lag in seconds behind the freshest reading of the same kind, using
/// the first kind in the site's own priority list that it has a reading of. `None` when the
/// site gave no reading.
pub fn lags(sites: &[(&[String], &[Reading])]) -> Vec<Option<u64>> {
    sites
        .iter()
        .map(|(kinds, readings)| {
            kinds.iter().find_map(|kind| {
                let mine = readings.iter().find(|r| &r.kind == kind)?;
                let freshest =
                    sites.iter().flat_map(|(_, rs)| rs.iter()).filter(|r| &r.kind == kind).max_by_key(|r| r.value)?;
                if mine.token.is_some() && mine.token == freshest.token {
                    return Some(0);
                }
                // Values come from the network: no overflow whatever they are (the float to
                // integer cast saturates too).
                let behind = freshest.value.saturating_sub(mine.value).max(0) as f64 * mine.secs_per_unit;
                Some(behind.round() as u64)
            })
        })
        .collect()
}

/// The effective lag: content lag or time since the feed's last success, whichever is more.
fn effective_lag(m: &Measured) -> Option<u64> {
    let feed = m.feed.as_ref().and_then(|f| f.since_success);
    match (m.lag, feed) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// The status of one measured site.
pub fn classify(m: &Measured, max_lag: Duration) -> Status {
    match &m.outcome {
        Outcome::Failed(_) => Status::Failed,
        Outcome::Throttled(_) => Status::Throttled,
        Outcome::Answered => {
            let over = effective_lag(m).is_some_and(|l| l > max_lag.as_secs());
            let failing_blind = m.feed.as_ref().is_some_and(|f| f.failing && f.since_success.is_none());
            if over || failing_blind { Status::Stale } else { Status::Ok }
        }
    }
}

/// Sorts and explains. The first row is the best when its status is `ok`.
pub fn rank(measured: &[Measured], max_lag: Duration) -> Vec<ProbeResult> {
    let mut items: Vec<(Status, &Measured)> = measured.iter().map(|m| (classify(m, max_lag), m)).collect();
    items.sort_by(compare);
    let any_sampled = items.iter().any(|(s, m)| *s == Status::Ok && m.throughput.is_some());
    items
        .iter()
        .enumerate()
        .map(|(i, (status, m))| {
            let reason = explain(*status, m, i == 0, any_sampled);
            let shown = *status == Status::Ok || *status == Status::Stale;
            ProbeResult {
                site: m.site.clone(),
                url: m.url.clone(),
                status: *status,
                latency_ms: m.latency.filter(|_| shown).map(|d| d.as_millis().min(u128::from(u64::MAX)) as u64),
                throughput_bps: m.throughput.filter(|_| shown).map(|t| t.round() as u64),
                lag_seconds: effective_lag(m).filter(|_| shown),
                reason,
                details: m.details.clone(),
            }
        })
        .collect()
}

fn compare(a: &(Status, &Measured), b: &(Status, &Measured)) -> Ordering {
    let (sa, ma) = a;
    let (sb, mb) = b;
    sa.cmp(sb).then_with(|| match sa {
        Status::Ok => {
            // Sampled before unsampled, faster first; then lower latency.
            let ta = ma.throughput.unwrap_or(-1.0);
            let tb = mb.throughput.unwrap_or(-1.0);
            tb.partial_cmp(&ta)
                .unwrap_or(Ordering::Equal)
                .then_with(|| latency_order(ma, mb))
                .then_with(|| ma.site.cmp(&mb.site))
        }
        Status::Stale => {
            stale_key(ma).cmp(&stale_key(mb)).then_with(|| latency_order(ma, mb)).then_with(|| ma.site.cmp(&mb.site))
        }
        Status::Throttled | Status::Failed => ma.site.cmp(&mb.site),
    })
}

/// Least behind first; a site whose sync is failing with no known success goes last.
fn stale_key(m: &Measured) -> (bool, Option<u64>) {
    let blind = m.feed.as_ref().is_some_and(|f| f.failing && f.since_success.is_none());
    (blind, effective_lag(m))
}

fn latency_order(a: &Measured, b: &Measured) -> Ordering {
    match (a.latency, b.latency) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn explain(status: Status, m: &Measured, first: bool, any_sampled: bool) -> String {
    match status {
        Status::Failed => match &m.outcome {
            Outcome::Failed(why) => why.clone(),
            _ => "failed".into(),
        },
        Status::Throttled => match &m.outcome {
            Outcome::Throttled(code) => format!("throttled: {code}"),
            _ => "throttled".into(),
        },
        Status::Stale => {
            let feed = m.feed.as_ref();
            let feed_lag = feed.and_then(|f| f.since_success);
            match (m.lag, feed) {
                (_, Some(f)) if f.failing && f.since_success.is_none() => {
                    format!("stale: sync failing, no recent success ({})", f.source)
                }
                (lag, Some(f)) if feed_lag > lag => {
                    let state = if f.failing { ", sync failing" } else { "" };
                    format!("stale: last synced {} ago ({}{state})", human_lag(feed_lag.unwrap_or(0)), f.source)
                }
                (lag, _) => format!("stale: {} behind", human_lag(lag.unwrap_or(0))),
            }
        }
        Status::Ok => {
            let mut text = match (m.throughput, m.latency) {
                (Some(t), _) if first => format!("fastest throughput {}", human_rate(t)),
                (Some(t), _) => format!("throughput {}", human_rate(t)),
                (None, Some(l)) if first => format!("lowest latency {}", human_ms(l)),
                (None, Some(l)) => format!("latency {}", human_ms(l)),
                (None, None) => "answered".into(),
            };
            if m.throughput.is_none() {
                match &m.unsampled {
                    Some(why) => text.push_str(&format!(", not sampled: {why}")),
                    None if any_sampled && !first && m.latency.is_some() => text.push_str(", not a finalist"),
                    None => {}
                }
            }
            if let Some(lag) = effective_lag(m).filter(|l| *l >= 60) {
                text.push_str(&format!(", {} behind", human_lag(lag)));
            }
            if let Some(f) = m.feed.as_ref().filter(|f| f.failing) {
                text.push_str(&format!(", sync failing ({})", f.source));
            }
            text
        }
    }
}

/// `12.3 MB/s`, `850 kB/s` (decimal units, as download tools show).
pub fn human_rate(bytes_per_sec: f64) -> String {
    if bytes_per_sec >= 1e6 {
        format!("{:.1} MB/s", bytes_per_sec / 1e6)
    } else {
        format!("{:.0} kB/s", bytes_per_sec / 1e3)
    }
}

/// `42 ms`, `1.3 s`.
pub fn human_ms(d: Duration) -> String {
    if d < Duration::from_secs(1) { format!("{} ms", d.as_millis()) } else { format!("{:.1} s", d.as_secs_f64()) }
}

/// `3d`, `5h`, `12m`, `40s`: the largest whole unit.
pub fn human_lag(secs: u64) -> String {
    match secs {
        s if s >= 86_400 => format!("{}d", s / 86_400),
        s if s >= 3_600 => format!("{}h", s / 3_600),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    fn m(site: &str) -> Measured {
        Measured {
            site: site.into(),
            url: format!("https://{site}/x"),
            outcome: Outcome::Answered,
            latency: Some(Duration::from_millis(50)),
            throughput: None,
            unsampled: None,
            lag: Some(0),
            feed: None,
            details: Vec::new(),
        }
    }

    fn lat(mut x: Measured, ms: u64) -> Measured {
        x.latency = Some(Duration::from_millis(ms));
        x
    }

    fn thr(mut x: Measured, mbps: f64) -> Measured {
        x.throughput = Some(mbps * 1e6);
        x
    }

    fn lag(mut x: Measured, secs: u64) -> Measured {
        x.lag = Some(secs);
        x
    }

    fn out(mut x: Measured, o: Outcome) -> Measured {
        x.outcome = o;
        x
    }

    fn feed(mut x: Measured, failing: bool, since: Option<u64>) -> Measured {
        x.feed = Some(FeedView { source: "tunasync", failing, since_success: since });
        x
    }

    fn failed(x: Measured, why: &str) -> Measured {
        out(x, Outcome::Failed(why.into()))
    }

    fn unsampled(mut x: Measured, why: &str) -> Measured {
        x.unsampled = Some(why.into());
        x
    }

    #[test]
    fn ranking_table() {
        struct Case {
            name: &'static str,
            input: Vec<Measured>,
            order: &'static [(&'static str, Status, &'static str)],
        }
        let cases = vec![
            Case {
                name: "throughput beats latency",
                input: vec![thr(lat(m("a"), 5), 2.0), thr(lat(m("b"), 40), 40.0), thr(lat(m("c"), 20), 12.3)],
                order: &[
                    ("b", Status::Ok, "fastest throughput 40.0 MB/s"),
                    ("c", Status::Ok, "throughput 12.3 MB/s"),
                    ("a", Status::Ok, "throughput 2.0 MB/s"),
                ],
            },
            Case {
                name: "unsampled ok rows follow sampled ones by latency",
                input: vec![lat(m("slow"), 90), thr(lat(m("fin"), 30), 1.0), lat(m("mid"), 60)],
                order: &[
                    ("fin", Status::Ok, "fastest throughput 1.0 MB/s"),
                    ("mid", Status::Ok, "latency 60 ms, not a finalist"),
                    ("slow", Status::Ok, "latency 90 ms, not a finalist"),
                ],
            },
            Case {
                name: "finalists out of time stay ok, after the sampled ones, by latency",
                input: vec![
                    unsampled(lat(m("late-fin"), 40), "out of time"),
                    thr(lat(m("fin"), 30), 1.0),
                    lat(m("other"), 20),
                    unsampled(lat(m("broken"), 10), "connection reset"),
                    unsampled(lag(lat(m("old"), 5), 3 * DAY), "out of time"),
                ],
                order: &[
                    ("fin", Status::Ok, "fastest throughput 1.0 MB/s"),
                    ("broken", Status::Ok, "latency 10 ms, not sampled: connection reset"),
                    ("other", Status::Ok, "latency 20 ms, not a finalist"),
                    ("late-fin", Status::Ok, "latency 40 ms, not sampled: out of time"),
                    ("old", Status::Stale, "stale: 3d behind"),
                ],
            },
            Case {
                name: "nothing sampled for want of time: latency decides, and says so",
                input: vec![unsampled(lat(m("b"), 80), "out of time"), unsampled(lat(m("a"), 12), "out of time")],
                order: &[
                    ("a", Status::Ok, "lowest latency 12 ms, not sampled: out of time"),
                    ("b", Status::Ok, "latency 80 ms, not sampled: out of time"),
                ],
            },
            Case {
                name: "latency only when nothing was sampled",
                input: vec![lat(m("b"), 80), lat(m("a"), 12), lat(m("c"), 1500)],
                order: &[
                    ("a", Status::Ok, "lowest latency 12 ms"),
                    ("b", Status::Ok, "latency 80 ms"),
                    ("c", Status::Ok, "latency 1.5 s"),
                ],
            },
            Case {
                name: "failed, throttled and stale sink in that order",
                input: vec![
                    failed(lat(m("dead"), 1), "connection refused"),
                    out(m("busy"), Outcome::Throttled(429)),
                    thr(lag(m("old"), 3 * DAY), 99.0),
                    lat(m("ok"), 300),
                    out(m("gone"), Outcome::Throttled(451)),
                ],
                order: &[
                    ("ok", Status::Ok, "lowest latency 300 ms"),
                    ("old", Status::Stale, "stale: 3d behind"),
                    ("busy", Status::Throttled, "throttled: 429"),
                    ("gone", Status::Throttled, "throttled: 451"),
                    ("dead", Status::Failed, "connection refused"),
                ],
            },
            Case {
                name: "stale rows least behind first; small lags are noted on ok rows",
                input: vec![lag(m("week"), 7 * DAY), lag(m("twodays"), 2 * DAY + 5), lag(m("fresh"), 2 * 3600)],
                order: &[
                    ("fresh", Status::Ok, "lowest latency 50 ms, 2h behind"),
                    ("twodays", Status::Stale, "stale: 2d behind"),
                    ("week", Status::Stale, "stale: 7d behind"),
                ],
            },
            Case {
                name: "status feeds count",
                input: vec![
                    feed(lat(m("failing-recent"), 10), true, Some(3600)),
                    feed(m("failing-old"), true, Some(5 * DAY)),
                    feed(m("failing-never"), true, None),
                    feed(lat(m("synced"), 20), false, Some(600)),
                    feed(m("paused"), false, Some(2 * DAY)),
                ],
                order: &[
                    ("failing-recent", Status::Ok, "lowest latency 10 ms, 1h behind, sync failing (tunasync)"),
                    ("synced", Status::Ok, "latency 20 ms, 10m behind"),
                    ("paused", Status::Stale, "stale: last synced 2d ago (tunasync)"),
                    ("failing-old", Status::Stale, "stale: last synced 5d ago (tunasync, sync failing)"),
                    ("failing-never", Status::Stale, "stale: sync failing, no recent success (tunasync)"),
                ],
            },
            Case {
                name: "ties break on latency then id",
                input: vec![lat(m("b"), 10), lat(m("a"), 10), failed(m("z"), "x"), failed(m("y"), "x")],
                order: &[
                    ("a", Status::Ok, "lowest latency 10 ms"),
                    ("b", Status::Ok, "latency 10 ms"),
                    ("y", Status::Failed, "x"),
                    ("z", Status::Failed, "x"),
                ],
            },
            Case {
                name: "unknown lag is not stale",
                input: vec![{
                    let mut x = m("nolag");
                    x.lag = None;
                    x
                }],
                order: &[("nolag", Status::Ok, "lowest latency 50 ms")],
            },
        ];
        for case in cases {
            let rows = rank(&case.input, Duration::from_secs(DAY));
            let got: Vec<(&str, Status, &str)> =
                rows.iter().map(|r| (r.site.as_str(), r.status, r.reason.as_str())).collect();
            assert_eq!(got, case.order, "{}", case.name);
        }
    }

    #[test]
    fn numbers_are_null_where_not_measured_or_meaningless() {
        let rows = rank(
            &[
                thr(lat(m("a"), 12), 3.5),
                lat(m("b"), 20),
                failed(lat(m("c"), 5), "HTTP 404 for InRelease"),
                lag(m("d"), 9 * DAY),
            ],
            Duration::from_secs(DAY),
        );
        let a = &rows[0];
        assert_eq!((a.latency_ms, a.throughput_bps, a.lag_seconds), (Some(12), Some(3_500_000), Some(0)));
        assert_eq!(rows[1].throughput_bps, None);
        assert_eq!(rows[2].lag_seconds, Some(9 * DAY));
        let c = &rows[3];
        assert_eq!((c.latency_ms, c.throughput_bps, c.lag_seconds), (None, None, None));
    }

    #[test]
    fn an_unsampled_finalist_has_no_throughput_but_keeps_its_numbers() {
        let rows = rank(
            &[thr(lat(m("a"), 12), 3.5), unsampled(lag(lat(m("b"), 20), 7200), "out of time")],
            Duration::from_secs(DAY),
        );
        let b = &rows[1];
        assert_eq!((b.status, b.latency_ms, b.throughput_bps, b.lag_seconds), (Status::Ok, Some(20), None, Some(7200)));
        assert_eq!(b.reason, "latency 20 ms, not sampled: out of time, 2h behind");
    }

    #[test]
    fn max_lag_is_a_strict_bound() {
        let x = lag(m("x"), DAY);
        assert_eq!(classify(&x, Duration::from_secs(DAY)), Status::Ok);
        assert_eq!(classify(&x, Duration::from_secs(DAY - 1)), Status::Stale);
    }

    fn r(kind: &str, value: i64) -> Reading {
        Reading::time(kind, value)
    }

    #[test]
    fn lags_compare_like_with_like() {
        let k = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let trace_then_rel = k(&["trace", "rel"]);
        let a = [r("trace", 1000), r("rel", 500)];
        let b = [r("trace", 400), r("rel", 500)];
        let c = [r("rel", 200)]; // no trace: compared on InRelease only
        let d: [Reading; 0] = [];
        let got = lags(&[(&trace_then_rel, &a), (&trace_then_rel, &b), (&trace_then_rel, &c), (&trace_then_rel, &d)]);
        assert_eq!(got, [Some(0), Some(600), Some(300), None]);
    }

    #[test]
    fn lags_use_tokens_and_units() {
        let kinds = vec!["crates".to_string()];
        let tok = |v: i64, t: &str| r("crates", v).with_token(Some(t.into()));
        // Same newest version: equally fresh whatever the file times say.
        let got =
            lags(&[(&kinds, &[tok(1000, "1.2.0")]), (&kinds, &[tok(900, "1.2.0")]), (&kinds, &[tok(100, "1.1.0")])]);
        assert_eq!(got, [Some(0), Some(0), Some(900)]);
        let serial = vec!["serial".to_string()];
        let s = |v| Reading { kind: "serial".into(), value: v, secs_per_unit: 6.0, token: None };
        assert_eq!(lags(&[(&serial, &[s(100)]), (&serial, &[s(40)])]), [Some(0), Some(360)]);
    }

    #[test]
    fn lags_do_not_overflow_on_absurd_readings() {
        let kinds = vec!["t".to_string()];
        let got = lags(&[(&kinds, &[r("t", i64::MAX)]), (&kinds, &[r("t", i64::MIN)]), (&kinds, &[r("t", 0)])]);
        // i64::MAX seconds, as near as a float says it: saturated, not wrapped.
        let huge = Some(1u64 << 63);
        assert_eq!(got, [Some(0), huge, huge]);
        let serial = vec!["serial".to_string()];
        let s = |v| Reading { kind: "serial".into(), value: v, secs_per_unit: 6.0, token: None };
        assert_eq!(lags(&[(&serial, &[s(i64::MAX)]), (&serial, &[s(-1)])]), [Some(0), Some(u64::MAX)]);
    }

    #[test]
    fn human_units() {
        assert_eq!(human_rate(12_345_678.0), "12.3 MB/s");
        assert_eq!(human_rate(850_000.0), "850 kB/s");
        assert_eq!(human_ms(Duration::from_millis(42)), "42 ms");
        assert_eq!(human_lag(3 * DAY + 5), "3d");
        assert_eq!(human_lag(59), "59s");
    }
}
