//! Freshness, classification and ranking. Pure: the probes are done, only numbers remain.
//!
//! - **Lag** is how far a site is behind the freshest reading of the same kind in the run
//!   (see [`lags`]); a status feed (tunasync, MirrorZ) adds the time since the repository's
//!   last successful sync. With nothing to compare with (no signal, or no other site's
//!   reading of the kind), the lag is unknown (`None`), never 0.
//! - **Status** (spec §5), in rank order: `ok` (answered, fresh, measured), `slow`
//!   (answered, but the cut-off stopped it before it was fully measured), `stale` (lag over
//!   `--max-lag`, or a feed saying the sync fails with no known success), `throttled` (403,
//!   429, 451), `failed` (positive evidence only).
//! - **Order** among `ok`: sites measured in the finals, fastest first; then sites measured
//!   only in the screen, fastest first; then sites whose bulk object was too small to time,
//!   by latency. `slow` by latency, `stale` least behind first, `throttled` and `failed` by
//!   id. Each row says why it is where it is.

use std::cmp::Ordering;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::signals::Reading;

/// The verdict on one site for one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Slow,
    Stale,
    Throttled,
    Failed,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Slow => "slow",
            Self::Stale => "stale",
            Self::Throttled => "throttled",
            Self::Failed => "failed",
        }
    }

    /// Whether a site with this status can be used (`ok`, or `slow` when nothing is ok).
    pub fn usable(self) -> bool {
        matches!(self, Self::Ok | Self::Slow)
    }
}

/// How a probe ended, before freshness is taken into account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every request was answered as the package manager expects, and the site was measured
    /// as far as its bulk object allows.
    Answered,
    /// Answered, but stopped before it was fully measured; says what was seen.
    Slow(String),
    /// 403, 429 or 451.
    Throttled(u16),
    /// Positive evidence: connect error, DNS failure, timeout, TLS error, 4xx/5xx, wrong
    /// content, no answer at all.
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

/// A throughput figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throughput {
    /// Bytes per second.
    pub bps: f64,
    /// Measured in the sequential finals (else in the concurrent screen).
    pub finals: bool,
    /// The transfer was too quick to time: `bps` is a lower bound.
    pub at_least: bool,
}

/// How far behind a site is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lag {
    pub secs: u64,
    /// Converted from a count (PyPI serials), not read as a time.
    pub estimated: bool,
}

/// One probed site, ready to be ranked.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub site: String,
    pub url: String,
    pub outcome: Outcome,
    pub latency: Option<Duration>,
    pub throughput: Option<Throughput>,
    /// Why an answered site has no throughput figure (`too small to measure (8 KiB)`).
    pub unmeasured: Option<String>,
    /// Why a finalist's figure is its screen's (`out of time`).
    pub final_missed: Option<String>,
    /// Behind the freshest reading of the run; `None` when it cannot be measured.
    pub lag: Option<Lag>,
    /// Whether the target publishes freshness signals at all (to say "unknown" only then).
    pub signals: bool,
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

/// For each site, its lag behind the freshest reading of the same kind, using the first kind
/// in the site's own priority list that it *and at least one other site* have a reading of.
/// `None` when there is nothing to compare: no reading, or no other site's of the kind.
pub fn lags(sites: &[(&[String], &[Reading])]) -> Vec<Option<Lag>> {
    sites
        .iter()
        .enumerate()
        .map(|(me, (kinds, readings))| {
            kinds.iter().find_map(|kind| {
                let mine = readings.iter().find(|r| &r.kind == kind)?;
                let others = sites
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != me)
                    .flat_map(|(_, (_, rs))| rs.iter())
                    .filter(|r| &r.kind == kind);
                let freshest = others.chain(std::iter::once(mine)).max_by_key(|r| r.value)?;
                let compared =
                    sites.iter().enumerate().any(|(i, (_, rs))| i != me && rs.iter().any(|r| &r.kind == kind));
                if !compared {
                    return None;
                }
                let estimated = mine.secs_per_unit != 1.0;
                if mine.token.is_some() && mine.token == freshest.token {
                    return Some(Lag { secs: 0, estimated });
                }
                // Values come from the network: no overflow whatever they are (the float to
                // integer cast saturates too).
                let behind = freshest.value.saturating_sub(mine.value).max(0) as f64 * mine.secs_per_unit;
                Some(Lag { secs: behind.round() as u64, estimated })
            })
        })
        .collect()
}

/// The effective lag: content lag or time since the feed's last success, whichever is more.
fn effective_lag(m: &Measured) -> Option<Lag> {
    let feed = m.feed.as_ref().and_then(|f| f.since_success).map(|secs| Lag { secs, estimated: false });
    match (m.lag, feed) {
        (Some(a), Some(b)) => Some(if b.secs > a.secs { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// The status of one measured site.
pub fn classify(m: &Measured, max_lag: Duration) -> Status {
    match &m.outcome {
        Outcome::Failed(_) => Status::Failed,
        Outcome::Throttled(_) => Status::Throttled,
        Outcome::Answered | Outcome::Slow(_) => {
            let over = effective_lag(m).is_some_and(|l| l.secs > max_lag.as_secs());
            let failing_blind = m.feed.as_ref().is_some_and(|f| f.failing && f.since_success.is_none());
            if over || failing_blind {
                Status::Stale
            } else if matches!(m.outcome, Outcome::Slow(_)) {
                Status::Slow
            } else {
                Status::Ok
            }
        }
    }
}

/// Sorts and explains. The first row is the best when its status is `ok` (or `slow`, when
/// nothing is `ok`).
pub fn rank(measured: &[Measured], max_lag: Duration) -> Vec<ProbeResult> {
    let mut items: Vec<(Status, &Measured)> = measured.iter().map(|m| (classify(m, max_lag), m)).collect();
    items.sort_by(compare);
    let any_finals = items.iter().any(|(s, m)| *s == Status::Ok && m.throughput.is_some_and(|t| t.finals));
    items
        .iter()
        .enumerate()
        .map(|(i, (status, m))| {
            let reason = explain(*status, m, i == 0, any_finals);
            let shown = matches!(status, Status::Ok | Status::Slow | Status::Stale);
            ProbeResult {
                site: m.site.clone(),
                url: m.url.clone(),
                status: *status,
                latency_ms: m.latency.filter(|_| shown).map(|d| d.as_millis().min(u128::from(u64::MAX)) as u64),
                throughput_bps: m.throughput.filter(|_| shown).map(|t| t.bps.round() as u64),
                lag_seconds: effective_lag(m).filter(|_| shown).map(|l| l.secs),
                reason,
                details: m.details.clone(),
            }
        })
        .collect()
}

/// Finals first, then screen-only, then unmeasured.
fn tier(m: &Measured) -> u8 {
    match m.throughput {
        Some(t) if t.finals => 0,
        Some(_) => 1,
        None => 2,
    }
}

fn compare(a: &(Status, &Measured), b: &(Status, &Measured)) -> Ordering {
    let (sa, ma) = a;
    let (sb, mb) = b;
    sa.cmp(sb).then_with(|| match sa {
        Status::Ok => {
            let rate = |m: &Measured| m.throughput.map_or(-1.0, |t| t.bps);
            tier(ma)
                .cmp(&tier(mb))
                .then_with(|| rate(mb).partial_cmp(&rate(ma)).unwrap_or(Ordering::Equal))
                .then_with(|| latency_order(ma, mb))
                .then_with(|| ma.site.cmp(&mb.site))
        }
        Status::Slow => latency_order(ma, mb).then_with(|| ma.site.cmp(&mb.site)),
        Status::Stale => {
            stale_key(ma).cmp(&stale_key(mb)).then_with(|| latency_order(ma, mb)).then_with(|| ma.site.cmp(&mb.site))
        }
        Status::Throttled | Status::Failed => ma.site.cmp(&mb.site),
    })
}

/// Least behind first; a site whose sync is failing with no known success goes last.
fn stale_key(m: &Measured) -> (bool, Option<u64>) {
    let blind = m.feed.as_ref().is_some_and(|f| f.failing && f.since_success.is_none());
    (blind, effective_lag(m).map(|l| l.secs))
}

fn latency_order(a: &Measured, b: &Measured) -> Ordering {
    match (a.latency, b.latency) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// `3d behind`, or `about 3d behind (estimated from the PyPI serial)`.
fn behind(lag: Lag) -> String {
    if lag.estimated {
        format!("about {} behind (estimated from the PyPI serial)", human_lag(lag.secs))
    } else {
        format!("{} behind", human_lag(lag.secs))
    }
}

fn explain(status: Status, m: &Measured, first: bool, any_finals: bool) -> String {
    let freshness = |text: &mut String| {
        match effective_lag(m) {
            Some(lag) if lag.secs >= 60 => text.push_str(&format!(", {}", behind(lag))),
            Some(_) => {}
            None if m.signals => text.push_str(", freshness unknown"),
            None => {}
        }
        if let Some(f) = m.feed.as_ref().filter(|f| f.failing) {
            text.push_str(&format!(", sync failing ({})", f.source));
        }
    };
    match status {
        Status::Failed => match &m.outcome {
            Outcome::Failed(why) => why.clone(),
            _ => "failed".into(),
        },
        Status::Throttled => match &m.outcome {
            Outcome::Throttled(403) => "access refused: 403".into(),
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
                (lag, Some(f)) if feed_lag > lag.map(|l| l.secs) => {
                    let state = if f.failing { ", sync failing" } else { "" };
                    format!("stale: last synced {} ago ({}{state})", human_lag(feed_lag.unwrap_or(0)), f.source)
                }
                (lag, _) => format!("stale: {}", behind(lag.unwrap_or(Lag { secs: 0, estimated: false }))),
            }
        }
        Status::Slow => {
            let mut text = match &m.outcome {
                Outcome::Slow(why) => why.clone(),
                _ => "slow".into(),
            };
            freshness(&mut text);
            text
        }
        Status::Ok => {
            let mut text = match (m.throughput, m.latency) {
                (Some(t), _) => {
                    let rate = if t.at_least {
                        format!("at least {} (too fast to time)", human_rate(t.bps))
                    } else {
                        human_rate(t.bps)
                    };
                    let lead = if first { "fastest throughput" } else { "throughput" };
                    let how = match &m.final_missed {
                        _ if t.finals => String::new(),
                        Some(why) => format!(" (screen; final not measured: {why})"),
                        None if any_finals => " (screen; not a finalist)".to_owned(),
                        None => String::new(),
                    };
                    format!("{lead} {rate}{how}")
                }
                (None, Some(l)) if first => format!("lowest latency {}", human_ms(l)),
                (None, Some(l)) => format!("latency {}", human_ms(l)),
                (None, None) => "answered".into(),
            };
            if m.throughput.is_none()
                && let Some(why) = &m.unmeasured
            {
                text.push_str(&format!(", throughput not measured: {why}"));
            }
            freshness(&mut text);
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
            unmeasured: None,
            final_missed: None,
            lag: Some(Lag { secs: 0, estimated: false }),
            signals: true,
            feed: None,
            details: Vec::new(),
        }
    }

    fn lat(mut x: Measured, ms: u64) -> Measured {
        x.latency = Some(Duration::from_millis(ms));
        x
    }

    /// Measured in the finals.
    fn fin(mut x: Measured, mbps: f64) -> Measured {
        x.throughput = Some(Throughput { bps: mbps * 1e6, finals: true, at_least: false });
        x
    }

    /// Measured in the screen only.
    fn scr(mut x: Measured, mbps: f64) -> Measured {
        x.throughput = Some(Throughput { bps: mbps * 1e6, finals: false, at_least: false });
        x
    }

    fn lag(mut x: Measured, secs: u64) -> Measured {
        x.lag = Some(Lag { secs, estimated: false });
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

    fn slow(x: Measured, why: &str) -> Measured {
        out(x, Outcome::Slow(why.into()))
    }

    fn small(mut x: Measured) -> Measured {
        x.unmeasured = Some("too small to measure (8 KiB)".into());
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
                input: vec![fin(lat(m("a"), 5), 2.0), fin(lat(m("b"), 40), 40.0), fin(lat(m("c"), 20), 12.3)],
                order: &[
                    ("b", Status::Ok, "fastest throughput 40.0 MB/s"),
                    ("c", Status::Ok, "throughput 12.3 MB/s"),
                    ("a", Status::Ok, "throughput 2.0 MB/s"),
                ],
            },
            Case {
                name: "finals first, then screen rates, then what was too small to time",
                input: vec![
                    small(lat(m("tiny"), 1)),
                    scr(lat(m("scr-fast"), 90), 30.0),
                    fin(lat(m("fin"), 30), 20.0),
                    scr(lat(m("scr-slow"), 60), 3.0),
                ],
                order: &[
                    ("fin", Status::Ok, "fastest throughput 20.0 MB/s"),
                    ("scr-fast", Status::Ok, "throughput 30.0 MB/s (screen; not a finalist)"),
                    ("scr-slow", Status::Ok, "throughput 3.0 MB/s (screen; not a finalist)"),
                    ("tiny", Status::Ok, "latency 1 ms, throughput not measured: too small to measure (8 KiB)"),
                ],
            },
            Case {
                name: "a finalist the finals had no time for keeps its screen figure, and says so",
                input: vec![fin(lat(m("a"), 10), 5.0), {
                    let mut x = scr(lat(m("b"), 20), 9.0);
                    x.final_missed = Some("out of time".into());
                    x
                }],
                order: &[
                    ("a", Status::Ok, "fastest throughput 5.0 MB/s"),
                    ("b", Status::Ok, "throughput 9.0 MB/s (screen; final not measured: out of time)"),
                ],
            },
            Case {
                name: "screen rates alone, when no finals ran",
                input: vec![scr(lat(m("a"), 10), 1.0), scr(lat(m("b"), 20), 9.0)],
                order: &[("b", Status::Ok, "fastest throughput 9.0 MB/s"), ("a", Status::Ok, "throughput 1.0 MB/s")],
            },
            Case {
                name: "a lower bound says so",
                input: vec![{
                    let mut x = m("lan");
                    x.throughput = Some(Throughput { bps: 6e8, finals: true, at_least: true });
                    x
                }],
                order: &[("lan", Status::Ok, "fastest throughput at least 600.0 MB/s (too fast to time)")],
            },
            Case {
                name: "slow sites rank below every measured one and above the unusable",
                input: vec![
                    failed(m("dead"), "connection refused"),
                    slow(lat(m("far"), 430), "answered lastupdate in 430 ms; not measured further"),
                    out(m("busy"), Outcome::Throttled(429)),
                    fin(lat(m("near"), 20), 3.0),
                    slow(lag(lat(m("old"), 10), 3 * DAY), "answered in 10 ms; not measured further"),
                ],
                order: &[
                    ("near", Status::Ok, "fastest throughput 3.0 MB/s"),
                    ("far", Status::Slow, "answered lastupdate in 430 ms; not measured further"),
                    ("old", Status::Stale, "stale: 3d behind"),
                    ("busy", Status::Throttled, "throttled: 429"),
                    ("dead", Status::Failed, "connection refused"),
                ],
            },
            Case {
                name: "failed, throttled and stale sink in that order; 403 reads as refused",
                input: vec![
                    failed(lat(m("dead"), 1), "connection refused"),
                    out(m("busy"), Outcome::Throttled(429)),
                    fin(lag(m("old"), 3 * DAY), 99.0),
                    lat(m("ok"), 300),
                    out(m("gone"), Outcome::Throttled(451)),
                    out(m("refusing"), Outcome::Throttled(403)),
                ],
                order: &[
                    ("ok", Status::Ok, "lowest latency 300 ms"),
                    ("old", Status::Stale, "stale: 3d behind"),
                    ("busy", Status::Throttled, "throttled: 429"),
                    ("gone", Status::Throttled, "throttled: 451"),
                    ("refusing", Status::Throttled, "access refused: 403"),
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
                name: "unknown lag is not stale, and is said to be unknown",
                input: vec![
                    {
                        let mut x = m("nolag");
                        x.lag = None;
                        x
                    },
                    {
                        let mut x = lat(m("nosignal"), 60);
                        x.lag = None;
                        x.signals = false;
                        x
                    },
                ],
                order: &[
                    ("nolag", Status::Ok, "lowest latency 50 ms, freshness unknown"),
                    ("nosignal", Status::Ok, "latency 60 ms"),
                ],
            },
            Case {
                name: "estimated lags are labelled",
                input: vec![
                    {
                        let mut x = m("serial");
                        x.lag = Some(Lag { secs: 7200, estimated: true });
                        x
                    },
                    {
                        let mut x = m("far-behind");
                        x.lag = Some(Lag { secs: 3 * DAY, estimated: true });
                        x
                    },
                ],
                order: &[
                    ("serial", Status::Ok, "lowest latency 50 ms, about 2h behind (estimated from the PyPI serial)"),
                    ("far-behind", Status::Stale, "stale: about 3d behind (estimated from the PyPI serial)"),
                ],
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
                fin(lat(m("a"), 12), 3.5),
                lat(m("b"), 20),
                failed(lat(m("c"), 5), "HTTP 404 for InRelease"),
                lag(m("d"), 9 * DAY),
                slow(lat(m("e"), 400), "answered lastupdate in 400 ms; not measured further"),
            ],
            Duration::from_secs(DAY),
        );
        let a = &rows[0];
        assert_eq!((a.latency_ms, a.throughput_bps, a.lag_seconds), (Some(12), Some(3_500_000), Some(0)));
        assert_eq!(rows[1].throughput_bps, None);
        let e = &rows[2];
        assert_eq!((e.status, e.latency_ms, e.throughput_bps), (Status::Slow, Some(400), None));
        assert_eq!(rows[3].lag_seconds, Some(9 * DAY));
        let c = &rows[4];
        assert_eq!((c.latency_ms, c.throughput_bps, c.lag_seconds), (None, None, None));
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

    fn secs(v: &[Option<Lag>]) -> Vec<Option<u64>> {
        v.iter().map(|l| l.map(|l| l.secs)).collect()
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
        assert_eq!(secs(&got), [Some(0), Some(600), Some(300), None]);
    }

    #[test]
    fn a_reading_with_nothing_to_compare_is_no_lag() {
        let kinds = vec!["trace".to_string(), "rel".to_string()];
        // The only site: nothing to compare with.
        assert_eq!(secs(&lags(&[(&kinds, &[r("trace", 1000)])])), [None]);
        // The only trace falls back to the InRelease the other site also has.
        let got = lags(&[(&kinds, &[r("trace", 1000), r("rel", 400)]), (&kinds, &[r("rel", 500)])]);
        assert_eq!(secs(&got), [Some(100), Some(0)]);
        // A kind nobody else read, and no other: unknown for it, measured for the other.
        let got = lags(&[(&kinds, &[r("trace", 1000)]), (&kinds, &[r("rel", 500)]), (&kinds, &[r("rel", 200)])]);
        assert_eq!(secs(&got), [None, Some(0), Some(300)]);
    }

    #[test]
    fn lags_use_tokens_and_units() {
        let kinds = vec!["crates".to_string()];
        let tok = |v: i64, t: &str| r("crates", v).with_token(Some(t.into()));
        // Same newest version: equally fresh whatever the file times say.
        let got =
            lags(&[(&kinds, &[tok(1000, "1.2.0")]), (&kinds, &[tok(900, "1.2.0")]), (&kinds, &[tok(100, "1.1.0")])]);
        assert_eq!(secs(&got), [Some(0), Some(0), Some(900)]);
        let serial = vec!["serial".to_string()];
        let s = |v| Reading { kind: "serial".into(), value: v, secs_per_unit: 6.0, token: None };
        let got = lags(&[(&serial, &[s(100)]), (&serial, &[s(40)])]);
        assert_eq!(secs(&got), [Some(0), Some(360)]);
        assert!(got.iter().all(|l| l.unwrap().estimated), "serials give estimates");
    }

    #[test]
    fn lags_do_not_overflow_on_absurd_readings() {
        let kinds = vec!["t".to_string()];
        let got = lags(&[(&kinds, &[r("t", i64::MAX)]), (&kinds, &[r("t", i64::MIN)]), (&kinds, &[r("t", 0)])]);
        // i64::MAX seconds, as near as a float says it: saturated, not wrapped.
        let huge = Some(1u64 << 63);
        assert_eq!(secs(&got), [Some(0), huge, huge]);
        let serial = vec!["serial".to_string()];
        let s = |v| Reading { kind: "serial".into(), value: v, secs_per_unit: 6.0, token: None };
        assert_eq!(secs(&lags(&[(&serial, &[s(i64::MAX)]), (&serial, &[s(-1)])])), [Some(0), Some(u64::MAX)]);
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
