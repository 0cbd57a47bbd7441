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
# GNUPGHOME on first use and exported (binary) to KEYRING_OUT for `signed-by`.
set -eu
G=$1 KEYRING=$2 A=$3 MODE=$4
shift 4
export GNUPGHOME="$G"
if [ ! -d "$G" ]; then
  mkdir -p "$(dirname "$G")" && mkdir -m700 "$G"
  gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
    --quick-gen-key 'mirror realclients test <test@example.invalid>' ed25519 sign never 2>/dev/null
fi
gpg --batch --quiet --export >"$KEYRING"

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
P=$W/mirrortest-hello
mkdir -p "$P/DEBIAN" "$P/usr/share/doc/mirrortest-hello" "$A/pool/main/m/mirrortest-hello"
cat >"$P/DEBIAN/control" <<CTL
Package: mirrortest-hello
Version: 1.0-1
Architecture: all
Maintainer: Test <test@example.invalid>
Description: tiny package for mirror switcher tests
CTL
echo "hello from the loopback apt mirror" >"$P/usr/share/doc/mirrortest-hello/README"
dpkg-deb --root-owner-group -Zgzip --build "$P" "$A/pool/main/m/mirrortest-hello/mirrortest-hello_1.0-1_all.deb" >/dev/null

cd "$A"
for suite in "$@"; do
  for comp in main non-free-firmware; do
    d=dists/$suite/$comp
    mkdir -p "$d/binary-amd64" "$d/binary-all" "$d/source"
    if [ "$comp" = main ]; then apt-ftparchive packages pool/main >"$d/binary-amd64/Packages" 2>/dev/null
    else : >"$d/binary-amd64/Packages"; fi
    cp "$d/binary-amd64/Packages" "$d/binary-all/Packages"
    : >"$d/source/Sources"
    for f in "$d/binary-amd64/Packages" "$d/binary-all/Packages" "$d/source/Sources"; do gzip -9nkf "$f"; done
  done
  # Release is written outside the suite dir first, or it would list (and hash) itself.
  apt-ftparchive \
    -o APT::FTPArchive::Release::Origin=Debian -o APT::FTPArchive::Release::Label=Debian \
    -o "APT::FTPArchive::Release::Suite=$suite" -o "APT::FTPArchive::Release::Codename=$suite" \
    -o "APT::FTPArchive::Release::Architectures=amd64 all" \
    -o "APT::FTPArchive::Release::Components=main non-free-firmware" \
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
