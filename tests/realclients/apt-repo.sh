#!/bin/sh
# Build a tiny signed Debian archive (dists/ + pool/) for the apt real-client test.
#
#   apt-repo.sh GNUPGHOME KEYRING_OUT ARCHIVE_DIR fresh|stale SUITE...
#
# fresh: Release dated now, valid for 7 days. stale: correctly signed, but dated
# 2024-06-01 with Valid-Until 2024-06-02, i.e. expired metadata that apt refuses.
# Every suite gets components main (with mirrortest-hello 1.0-1, arch all) and
# non-free-firmware (empty), binary-amd64/binary-all Packages and an empty source/Sources,
# like a real bookworm suite as far as apt is concerned. The signing key is created in
# GNUPGHOME on first use and exported (binary) to KEYRING_OUT for `signed-by` (or
# trusted.gpg.d).
#
# Other archives (Kali's, Raspbian's, Raspberry Pi's) through the environment:
# ORIGIN (Debian), COMPONENTS ("main non-free-firmware"; the package is in the first),
# ARCHS ("amd64") and PACKAGE (mirrortest-hello).
set -eu
G=$1 KEYRING=$2 A=$3 MODE=$4
shift 4
ORIGIN=${ORIGIN:-Debian}
COMPONENTS=${COMPONENTS:-main non-free-firmware}
ARCHS=${ARCHS:-amd64}
PACKAGE=${PACKAGE:-mirrortest-hello}
FIRST=${COMPONENTS%% *}
export GNUPGHOME="$G"
if [ ! -d "$G" ]; then
  mkdir -p "$(dirname "$G")" && mkdir -m700 "$G"
  gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
    --quick-gen-key 'mirror realclients test <test@example.invalid>' ed25519 sign never 2>/dev/null
fi
gpg --batch --quiet --export >"$KEYRING"

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
P=$W/$PACKAGE
POOL=pool/$FIRST/$(printf %.1s "$PACKAGE")/$PACKAGE
mkdir -p "$P/DEBIAN" "$P/usr/share/doc/$PACKAGE" "$A/$POOL"
cat >"$P/DEBIAN/control" <<CTL
Package: $PACKAGE
Version: 1.0-1
Architecture: all
Maintainer: Test <test@example.invalid>
Description: tiny package for mirror switcher tests
CTL
echo "hello from the loopback apt mirror" >"$P/usr/share/doc/$PACKAGE/README"
dpkg-deb --root-owner-group -Zgzip --build "$P" "$A/$POOL/${PACKAGE}_1.0-1_all.deb" >/dev/null

cd "$A"
for suite in "$@"; do
  for comp in $COMPONENTS; do
    d=dists/$suite/$comp
    mkdir -p "$d/binary-all" "$d/source"
    if [ "$comp" = "$FIRST" ]; then apt-ftparchive packages "pool/$FIRST" >"$d/binary-all/Packages" 2>/dev/null
    else : >"$d/binary-all/Packages"; fi
    : >"$d/source/Sources"
    for f in "$d/binary-all/Packages" "$d/source/Sources"; do gzip -9nkf "$f"; done
    for arch in $ARCHS; do
      mkdir -p "$d/binary-$arch"
      cp "$d/binary-all/Packages" "$d/binary-all/Packages.gz" "$d/binary-$arch/"
    done
  done
  # Release is written outside the suite dir first, or it would list (and hash) itself.
  apt-ftparchive \
    -o "APT::FTPArchive::Release::Origin=$ORIGIN" -o "APT::FTPArchive::Release::Label=$ORIGIN" \
    -o "APT::FTPArchive::Release::Suite=$suite" -o "APT::FTPArchive::Release::Codename=$suite" \
    -o "APT::FTPArchive::Release::Architectures=$ARCHS all" \
    -o "APT::FTPArchive::Release::Components=$COMPONENTS" \
    -o "APT::FTPArchive::Release::ValidTime=604800" \
    release "dists/$suite" >"$W/Release"
  if [ "$MODE" = stale ]; then
    sed -i -e 's/^Date: .*/Date: Sat, 01 Jun 2024 00:00:00 UTC/' \
      -e 's/^Valid-Until: .*/Valid-Until: Sun, 02 Jun 2024 00:00:00 UTC/' "$W/Release"
  fi
  mv "$W/Release" "dists/$suite/Release"
  gpg --batch --quiet --yes --clearsign -o "dists/$suite/InRelease" "dists/$suite/Release"
  gpg --batch --quiet --yes -abs -o "dists/$suite/Release.gpg" "dists/$suite/Release"
done
gpgconf --kill gpg-agent 2>/dev/null || true
