#!/bin/sh
# Build a sparse cargo registry holding one crate, for the cargo real-client test.
#
#   crates-index.sh INDEX_DIR DL_DIR DL_URL
#
# Packages mirrortest-hello 1.0.0 with `cargo package` (no dependencies, no network), puts the
# .crate in DL_DIR and writes INDEX_DIR/config.json ({"dl": DL_URL}) plus the index entry
# INDEX_DIR/mi/rr/mirrortest-hello (sparse path rule: {ab}/{cd}/{name}), and an index entry for
# cfg-if 1.0.0 (the crate `mirror use --verify` resolves; resolving reads only the index).
# DL_URL may use cargo's {crate} and {version} markers.
set -eu
INDEX=$1 DL=$2 DL_URL=$3
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/src" "$INDEX/mi/rr" "$DL"
cat >"$W/Cargo.toml" <<TOML
[package]
name = "mirrortest-hello"
version = "1.0.0"
edition = "2021"
description = "tiny crate for mirror switcher tests"
license = "MIT"

[workspace]
TOML
echo 'pub fn greeting() -> &'"'"'static str { "hello from the loopback crates mirror" }' >"$W/src/lib.rs"
(cd "$W" && CARGO_HOME="$W/cargo-home" CARGO_TARGET_DIR="$W/target" cargo package -q --offline --no-verify --allow-dirty)
cp "$W/target/package/mirrortest-hello-1.0.0.crate" "$DL/"
CK=$(sha256sum "$DL/mirrortest-hello-1.0.0.crate" | cut -d' ' -f1)
printf '{"name":"mirrortest-hello","vers":"1.0.0","deps":[],"cksum":"%s","features":{},"yanked":false}\n' "$CK" \
  >"$INDEX/mi/rr/mirrortest-hello"
mkdir -p "$INDEX/cf/g-"
printf '{"name":"cfg-if","vers":"1.0.0","deps":[],"cksum":"%s","features":{},"yanked":false}\n' "$CK" \
  >"$INDEX/cf/g-/cfg-if"
printf '{"dl":"%s"}\n' "$DL_URL" >"$INDEX/config.json"
