#!/usr/bin/env bash
# Install the real package-manager clients used by `cargo test --test realclients`.
#
# Idempotent, and quick on a machine that already has them. Debian packages come from apt;
# uv, py-rattler and ruamel.yaml go into a private venv at $MIRROR_RC_VENV (default:
# ${XDG_CACHE_HOME:-$HOME/.cache}/mirror-realclients/venv, which is also where the tests look
# when MIRROR_RC_VENV is not set).
#
# Run it (`.ci/realclients-install.sh`) or source it (`. .ci/realclients-install.sh`, as
# .ci/run does): sourced, it also exports MIRROR_RC_VENV into the caller's shell.

_rc_log() { printf 'realclients-install: %s\n' "$*" >&2; }

_rc_install() {
  local venv="${MIRROR_RC_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/mirror-realclients/venv}"
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { _rc_log "need root (or sudo) to install Debian packages"; return 1; }
    sudo="sudo"
  fi

  # Debian package -> a file it provides (to decide whether it is already installed).
  local -A pkgs=(
    [apt-utils]=/usr/bin/apt-ftparchive
    [gnupg]=/usr/bin/gpg
    [pacman-package-manager]=/usr/bin/pacman-conf
    [makepkg]=/usr/share/makepkg/util/compress.sh # repo-add sources it (Debian packaging bug)
    [libarchive-tools]=/usr/bin/bsdtar
    [zstd]=/usr/bin/zstd
    [docker.io]=/usr/sbin/dockerd
    [docker-registry]=/usr/bin/docker-registry
    [dnf]=/usr/bin/dnf
    [createrepo-c]=/usr/bin/createrepo_c
    [zypper]=/usr/bin/zypper
    [podman]=/usr/bin/podman
    [containerd]=/usr/bin/ctr # also pulled in by docker.io; the containerd test runs it and ctr
    [curl]=/usr/bin/curl      # pushes the containerd test's image to its registry
  )
  local missing=() p
  for p in "${!pkgs[@]}"; do
    [ -e "${pkgs[$p]}" ] || missing+=("$p")
  done
  # The python3 on PATH must run pip (the pip test) and make venvs (uv, py-rattler).
  if ! command -v python3 >/dev/null; then
    missing+=(python3 python3-pip python3-venv)
  else
    python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
    python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
  fi

  if [ "${#missing[@]}" -gt 0 ]; then
    _rc_log "apt-get install ${missing[*]}"
    $sudo apt-get update -qq || return 1
    # policy-rc.d (present in containers) keeps docker.io/docker-registry from starting services.
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
      >/dev/null || return 1
  else
    _rc_log "Debian packages already installed"
  fi

  if [ ! -x "$venv/bin/python" ]; then
    _rc_log "creating venv $venv"
    mkdir -p "$(dirname "$venv")" && python3 -m venv "$venv" || return 1
  fi
  if ! "$venv/bin/python" -c 'import rattler, ruamel.yaml' 2>/dev/null || [ ! -x "$venv/bin/uv" ]; then
    _rc_log "pip install uv py-rattler ruamel.yaml into $venv"
    # Pinned to the versions the suite was verified with (py-rattler's Python API moves).
    # PIP_FIND_LINKS etc. may be exported globally; they must not steer this install.
    env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONFIG_FILE \
      "$venv/bin/pip" install -q --disable-pip-version-check "uv==0.13.9" "py-rattler==0.28.0" ruamel.yaml \
      || return 1
  else
    _rc_log "venv already has uv, py-rattler, ruamel.yaml"
  fi

  _rc_log "installed:"
  local t
  for t in apt-get apt-ftparchive gpg pacman pacman-conf repo-add bsdtar zstd dockerd docker docker-registry \
    dnf createrepo_c zypper podman containerd ctr curl; do
    printf '  %-16s %s\n' "$t" "$(command -v "$t" || echo MISSING)" >&2
  done
  printf '  %-16s %s\n' uv "$("$venv/bin/uv" --version)" >&2
  printf '  %-16s %s\n' py-rattler \
    "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("py-rattler"))')" >&2
  export MIRROR_RC_VENV="$venv"
  _rc_log "MIRROR_RC_VENV=$venv"
}

if (return 0 2>/dev/null); then
  _rc_install # sourced: keep the caller's shell options; a failure is this command's status
else
  set -euo pipefail
  _rc_install
fi
