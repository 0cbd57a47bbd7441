//! `mirror use best`: the best site per target, from fresh or recent `bench` results.

use anyhow::Result;

use super::App;
use super::use_site::Assignment;
use crate::catalog::Catalog;
use crate::error::Problem;
use crate::targets::{Host, TargetKind};

pub fn assignments<'a>(
    _app: &App,
    _catalog: &'a Catalog,
    _host: &Host,
    _named: &[TargetKind],
    _candidates: &[String],
    _refresh: bool,
) -> Result<Vec<(TargetKind, Assignment<'a>)>> {
    Err(Problem::bad("`mirror use best` is not available in this build yet")
        .hint("it lands with probing (issue 4); name a site instead: `mirror use <SITE>`")
        .into())
}

/// `mirror status --check`: probes each target's configured URL.
pub fn check(
    _app: &App,
    _catalog: &Catalog,
    _host: &Host,
    _statuses: &mut [super::status::TargetStatus],
) -> Result<crate::error::ExitStatus> {
    Err(Problem::bad("`mirror status --check` is not available in this build yet")
        .hint("it lands with probing (issue 4); `mirror status` without `--check` works")
        .into())
}
