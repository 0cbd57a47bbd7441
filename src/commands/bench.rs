//! Not built yet.

use anyhow::Result;

use super::App;
use crate::cli::BenchArgs;
use crate::error::{ExitStatus, Problem};

pub fn run(_app: &App, _args: &BenchArgs) -> Result<ExitStatus> {
    Err(Problem::bad("this command is not available in this build yet")
        .hint("probing lands with the probe-and-rank work (issue 4)")
        .into())
}
