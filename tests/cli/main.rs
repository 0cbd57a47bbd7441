//! Tests through the `mirror` binary, each in a hermetic environment (see `support`).
#![allow(clippy::print_stderr, clippy::print_stdout)]

mod apt_real;
mod args;
mod catalog;
mod completions;
mod devtargets;
mod fixtures;
mod list;
mod machine;
mod support;
mod targets;
mod use_restore;
