//! The `mirror bench --json` document, as the tests read it: unknown fields are an error, so
//! a change to the output shows here first.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bench {
    /// When the run probed (RFC 3339): how `use best --from` knows a ranking's age.
    pub measured_at: Option<String>,
    pub targets: Vec<TargetRow>,
    /// A failed run's `{"message","hint","exit"}` (spec §6).
    pub error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetRow {
    pub target: String,
    pub best: Option<String>,
    pub results: Vec<Row>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub site: String,
    pub url: String,
    pub status: String,
    pub latency_ms: Option<u64>,
    pub throughput_bps: Option<u64>,
    pub lag_seconds: Option<u64>,
    pub reason: String,
}
