//! `mirror`: point package managers at a fast, fresh mirror site, and back.

pub mod apply;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod context;
pub mod discover;
pub mod error;
pub mod fsx;
pub mod journal;
pub mod output;
pub mod probe;
pub mod targets;
pub mod verify;

use anyhow::Result;

use crate::cli::Cli;
use crate::error::ExitStatus;

/// Runs one command line.
pub fn run(cli: &Cli) -> Result<ExitStatus> {
    let overrides = context::Overrides {
        root: cli.global.root.clone(),
        catalog: cli.global.catalog.clone(),
        user: cli.global.user.clone(),
    };
    let ctx = match context::Context::from_env(&overrides) {
        Ok(ctx) => ctx,
        Err(err) => {
            if cli.global.json {
                output::print_document(&output::error_document(&err))?;
            }
            return Err(err);
        }
    };
    commands::run(ctx, cli.global.clone(), &cli.command)
}
