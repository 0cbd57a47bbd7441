//! One file per subcommand; this module holds what they share and the dispatch.

use anyhow::Result;

use crate::catalog::Catalog;
use crate::cli::{Command, GlobalArgs};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::journal;
use crate::output::Printer;
use crate::targets::{Host, TargetKind};

mod bench;
mod best;
pub mod completions;
mod list;
mod restore;
mod site;
mod status;
mod use_site;

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

/// Runs one command: first removes what runs that were killed outright left behind, last
/// prints the `--json` document (with the error, when there is one).
pub fn run(ctx: Context, args: GlobalArgs, command: &Command) -> Result<ExitStatus> {
    let app = App::new(ctx, args);
    // `--dry-run` writes nothing, and removes nothing either.
    if !app.args.dry_run {
        for path in journal::sweep(&app.ctx) {
            app.out.detail(&format!("removed `{}`, left by a `mirror` that was killed", path.display()));
        }
    }
    let result = dispatch(&app, command);
    app.out.finish(&result)?;
    result
}

pub fn dispatch(app: &App, command: &Command) -> Result<ExitStatus> {
    match command {
        Command::List(args) => list::run(app, args),
        Command::Bench(args) => bench::run(app, args),
        Command::Use(args) => use_site::run(app, args),
        Command::Status(args) => status::run(app, args),
        Command::Restore(args) => restore::run(app, args),
        Command::Site(args) => site::run(app, args),
        Command::Completions(args) => completions::run(app, args),
    }
}
