//! Tests through the `mirror` binary, each in a hermetic environment (see `support`).
#![allow(clippy::print_stderr, clippy::print_stdout)]

mod apt_real;
mod args;
mod catalog;
mod ci;
mod completions;
mod devtargets;
mod errors;
#[path = "../farm/mod.rs"]
mod farm;
mod fixtures;
mod list;
mod machine;
mod man;
mod presentation;
mod signals;
mod site;
mod support;
mod targets;
mod use_restore;
