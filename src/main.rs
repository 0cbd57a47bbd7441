//! The switchboard: parse, build the context, run, map the result to an exit code.
#![allow(clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;
use mirror::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match mirror::run(&cli) {
        Ok(status) => ExitCode::from(status.code()),
        Err(err) => {
            let status = mirror::error::status_of(&err);
            if !mirror::error::is_broken_pipe(&err) {
                eprint!("{}", mirror::error::render(&err));
            }
            ExitCode::from(status.code())
        }
    }
}
