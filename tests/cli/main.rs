//! Tests through the `mirror` binary, each in a hermetic environment (see `support`).
#![allow(clippy::print_stderr, clippy::print_stdout)]

mod args;
mod catalog;
mod ci;
mod completions;
mod errors;
mod fixtures;
mod list;
mod man;
mod presentation;
mod signals;
mod support;
mod use_restore;
