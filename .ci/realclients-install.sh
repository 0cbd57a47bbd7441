#!/usr/bin/env bash
# Install the real package-manager clients used by `cargo test --test realclients`.
#
# Idempotent and quick on a machine that already has them. Debian packages come from
# apt; uv, py-rattler and ruamel.yaml go into a private venv at $MIRROR_RC_VENV
# (default: ${XDG_CACHE_HOME:-$HOME/.cache}/mirror-realclients/venv, which is also
# where the tests look when MIRROR_RC_VENV is not set).
#
# Usage: .ci/realclients-install.sh            (then: cargo test --test realclients)
#        eval "$(.ci/realclients-install.sh --print-env)"   to just print the export line
set -euo pipefail

VENV="${MIRROR_RC_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/mirror-realclients/venv}"
if [ "${1:-}" = "--print-env" ]; then
  echo "export MIRROR_RC_VENV='$VENV'"
  exit 0
fi

log() { printf 'realclients-install: %s\n' "$*" >&2; }
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { log "need root (or sudo) to install Debian packages"; exit 1; }
  SUDO="sudo"
fi

# Debian package -> a file it provides (to decide whether it is already installed).
declare -A PKGS=(
  [apt-utils]=/usr/bin/apt-ftparchive
  [gnupg]=/usr/bin/gpg
  [pacman-package-manager]=/usr/bin/pacman-conf
  [makepkg]=/usr/share/makepkg/util/compress.sh # repo-add sources it (Debian packaging bug)
  [libarchive-tools]=/usr/bin/bsdtar
  [zstd]=/usr/bin/zstd
  [docker.io]=/usr/sbin/dockerd
  [docker-registry]=/usr/bin/docker-registry
)
missing=()
for p in "${!PKGS[@]}"; do
  [ -e "${PKGS[$p]}" ] || missing+=("$p")
done
# The python3 on PATH must run pip (the pip test) and make venvs (uv, py-rattler).
if ! command -v python3 >/dev/null; then
  missing+=(python3 python3-pip python3-venv)
else
  python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
  python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  # policy-rc.d (present in containers) keeps docker.io/docker-registry from starting services.
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages already installed"
fi

if [ ! -x "$VENV/bin/python" ]; then
  log "creating venv $VENV"
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import rattler, ruamel.yaml' 2>/dev/null || [ ! -x "$VENV/bin/uv" ]; then
  # Pinned to the versions this suite was verified with (py-rattler's Python API moves).
  log "pip install uv py-rattler ruamel.yaml into $VENV"
  # PIP_FIND_LINKS etc. may be exported globally; they must not steer this install.
  env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL \
    "$VENV/bin/pip" install -q --disable-pip-version-check "uv==0.13.9" "py-rattler==0.28.0" ruamel.yaml
else
  log "venv already has uv, py-rattler, ruamel.yaml"
fi

log "installed:"
for t in apt-get apt-ftparchive gpg pacman pacman-conf repo-add bsdtar zstd dockerd docker docker-registry; do
  printf '  %-16s %s\n' "$t" "$(command -v "$t" || echo MISSING)" >&2
done
printf '  %-16s %s\n' uv "$("$VENV/bin/uv" --version)" >&2
printf '  %-16s %s\n' py-rattler "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("py-rattler"))')" >&2
log "export MIRROR_RC_VENV=$VENV   (the tests use this path by default)"
