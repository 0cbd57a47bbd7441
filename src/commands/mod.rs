//! One file per subcommand, and the dispatch; what they share is in [`shared`], below them.

use anyhow::Result;

use crate::cli::{Command, GlobalArgs};
use crate::context::Context;
use crate::error::ExitStatus;
use crate::journal;

mod bench;
pub mod completions;
mod heal;
mod list;
mod restore;
pub mod shared;
mod site;
mod status;
mod use_site;

use shared::App;

/// Runs one command: first removes what runs that were killed outright left behind, last
/// says whether a signal came too late to undo anything and prints the `--json` document
/// (with the error, when there is one).
pub fn run(ctx: Context, args: GlobalArgs, command: &Command) -> Result<ExitStatus> {
    let app = App::new(ctx, args);
    // `--dry-run` writes nothing, and removes nothing either.
    if !app.args.dry_run {
        for path in journal::sweep(&app.ctx) {
            app.out.detail(&format!("removed `{}`, left by a `mirror` that was killed", path.display()));
        }
    }
    let result = dispatch(&app, command);
    // A signal after a `use` or `restore` committed its files undid nothing (see `apply`).
    if let Some(signal) = crate::apply::late_signal() {
        app.out.warn(&format!(
            "{} came after every file was written and journaled; nothing was undone (`mirror restore` does that)",
            crate::error::signal_name(signal)
        ));
    }
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
        Command::Heal(args) => heal::run(app, args),
        Command::Site(args) => site::run(app, args),
        Command::Completions(args) => completions::run(app, args),
    }
}
