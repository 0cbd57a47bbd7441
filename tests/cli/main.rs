//! Tests through the `mirror` binary, each in a hermetic environment (see `support`).

mod catalog;
mod completions;
mod list;
mod support;
mod use_restore;
