//! The switchboard: parse, build the context, run, map the result to an exit code.
#![allow(clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;
use mirror::cli::Cli;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
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

/// A command line clap refused (or `--help`/`--version`, which it prints). Under `--json`
/// stdout still gets one document, as far as the raw arguments tell that `--json` was asked.
fn usage_error(err: &clap::Error) -> ExitCode {
    if err.use_stderr() && mirror::cli::json_requested(std::env::args_os()) {
        let _ = mirror::output::print_document(&mirror::output::usage_error_document(err));
    }
    let _ = err.print();
    ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2))
}
