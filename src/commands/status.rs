//! Not built yet.

use anyhow::Result;

use super::App;
use crate::cli::StatusArgs;
use crate::error::{ExitStatus, Problem};

pub fn run(_app: &App, _args: &StatusArgs) -> Result<ExitStatus> {
    Err(
        Problem::bad("this command is not available in this build yet")
            .hint("status lands with switch-and-restore (issue 3)")
            .into(),
    )
}
