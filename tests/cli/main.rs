//! Tests through the `mirror` binary, each in a hermetic environment (see `support`).
#![allow(clippy::print_stderr, clippy::print_stdout)]

mod args;
mod catalog;
mod completions;
mod fixtures;
mod list;
mod support;
mod targets;
mod use_restore;
