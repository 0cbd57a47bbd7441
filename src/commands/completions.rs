//! `mirror completions <shell>`: the completion script, identical to the one in `completions/`.

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;

use super::shared::App;
use crate::cli::{Cli, CompletionsArgs};
use crate::error::ExitStatus;

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "mirror", &mut out);
    out
}

/// The file name the script has in `completions/`.
pub fn file_name(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => "mirror.bash",
        Shell::Zsh => "_mirror",
        Shell::Fish => "mirror.fish",
        Shell::PowerShell => "_mirror.ps1",
        Shell::Elvish => "mirror.elv",
        _ => "mirror.unknown",
    }
}

pub fn run(app: &App, args: &CompletionsArgs) -> Result<ExitStatus> {
    app.out.data(&String::from_utf8_lossy(&script(args.shell)))?;
    Ok(ExitStatus::Success)
}
