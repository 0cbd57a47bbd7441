//! What the commands share, below them: each command file (`use_site.rs`, `status.rs`,
//! `heal.rs`, …) depends on these modules and on the modules below `commands`, never on
//! another command file.
//!
//! - [`state`]: what a target points at now (`status`, the picker of `use`, `heal`, `site`);
//! - [`ranking`]: probing and ranking (`bench`, `use best`, `status --check`, `heal`);
//! - [`fleet`]: a ranking made elsewhere (`use best --from FILE`);
//! - [`switch`]: planning, writing, verifying and reporting a switch (`use`, `heal`).

use anyhow::Result;

use crate::catalog::Catalog;
use crate::cli::GlobalArgs;
use crate::context::Context;
use crate::output::Printer;
use crate::targets::{Host, TargetKind};

pub mod fleet;
pub mod ranking;
pub mod state;
pub mod switch;

/// What every command receives.
pub struct App {
    pub ctx: Context,
    pub args: GlobalArgs,
    pub out: Printer,
}

impl App {
    pub fn new(ctx: Context, args: GlobalArgs) -> Self {
        let out = Printer::new(&args, &ctx);
        Self { ctx, args, out }
    }

    pub fn catalog(&self) -> Result<Catalog> {
        Catalog::load(&self.ctx)
    }

    pub fn host(&self) -> Result<Host> {
        Host::detect(&self.ctx)
    }
}

/// The targets named on the command line, or all of them, in canonical order, once each.
pub fn chosen_targets(named: &[TargetKind]) -> Vec<TargetKind> {
    TargetKind::ALL.into_iter().filter(|t| named.is_empty() || named.contains(t)).collect()
}
