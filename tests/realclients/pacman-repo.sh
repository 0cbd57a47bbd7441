#!/bin/sh
# Build a tiny Arch Linux repository tree for the pacman real-client test.
#
#   pacman-repo.sh ARCHLINUX_DIR
#
# Writes ARCHLINUX_DIR/core/os/x86_64/{core.db,mirrortest-core-1.0-1-any.pkg.tar.zst}
# and ARCHLINUX_DIR/extra/os/x86_64/{extra.db,mirrortest-hello-1.0-1-any.pkg.tar.zst},
# i.e. the `<archlinux>/$repo/os/$arch` layout a mirrorlist `Server =` line points at.
# Packages are made by hand (makepkg refuses to run as root); repo-add needs the
# `makepkg` Debian package for its helper scripts.
set -eu
OUT=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for pair in core:mirrortest-core extra:mirrortest-hello; do
  repo=${pair%%:*} name=${pair#*:}
  dir=$OUT/$repo/os/x86_64
  mkdir -p "$dir" "$W/$name/usr/share/$name"
  echo "hello from the loopback pacman mirror" >"$W/$name/usr/share/$name/README"
  cat >"$W/$name/.PKGINFO" <<INFO
pkgname = $name
pkgbase = $name
pkgver = 1.0-1
pkgdesc = tiny package for mirror switcher tests
url = http://example.invalid
builddate = 1700000000
packager = Test <test@example.invalid>
size = 38
arch = any
license = MIT
INFO
  (
    cd "$W/$name"
    LANG=C bsdtar -czf .MTREE --format=mtree \
      --options='!all,use-set,type,uid,gid,mode,time,size,md5,sha256,link' .PKGINFO usr
    LANG=C bsdtar -cf - .MTREE .PKGINFO usr | zstd -q -19 -o "$dir/$name-1.0-1-any.pkg.tar.zst"
  )
  (cd "$dir" && repo-add -q "$repo.db.tar.gz" "$name-1.0-1-any.pkg.tar.zst" >/dev/null)
done
