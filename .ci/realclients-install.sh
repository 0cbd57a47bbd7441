#!/usr/bin/env bash
# Install the real package-manager clients used by `cargo test --test realclients`.
#
# Idempotent, and quick on a machine that already has them. Debian packages come from apt
# (Go, Ruby with gem and Bundler, Maven with Debian's maven-dependency-plugin, npm when node
# has none); uv, py-rattler, ruamel.yaml, PDM and huggingface_hub go into a private venv at
# $MIRROR_RC_VENV (default: ${XDG_CACHE_HOME:-$HOME/.cache}/mirror-realclients/venv, which is
# also where the tests look when MIRROR_RC_VENV is not set); pnpm, Yarn 1 and Yarn 4 are
# installed with npm under $MIRROR_RC_NPM (default: `npm` beside the venv).
#
# Run it (`.ci/realclients-install.sh`) or source it (`. .ci/realclients-install.sh`, as
# .ci/run does): sourced, it also exports MIRROR_RC_VENV into the caller's shell.

_rc_log() { printf 'realclients-install: %s\n' "$*" >&2; }

_rc_install() {
  local venv="${MIRROR_RC_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/mirror-realclients/venv}"
  local npm_prefix="${MIRROR_RC_NPM:-$(dirname "$venv")/npm}"
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
    [golang-go]=/usr/bin/go
    [ruby]=/usr/bin/ruby
    [bundler]=/usr/bin/bundle
    [maven]=/usr/bin/mvn
    [libmaven-dependency-plugin-java]=/usr/share/maven-repo/org/apache/maven/plugins/maven-dependency-plugin/3.5.0
    [containerd]=/usr/bin/ctr # also pulled in by docker.io; the containerd test runs it and ctr
    [curl]=/usr/bin/curl      # pushes the containerd test's image to its registry
    # Tools the other suites check their output with; each fails its test in CI if missing.
    [groff-base]=/usr/bin/groff        # the man pages are valid roff
    [systemd]=/usr/bin/systemd-analyze # contrib/mirror-heal.{service,timer} verify
    [bsdutils]=/usr/bin/script         # site add's region question on a terminal
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

  command -v npm >/dev/null || missing+=(npm)

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
  if ! "$venv/bin/python" -c 'import rattler, ruamel.yaml, huggingface_hub' 2>/dev/null || [ ! -x "$venv/bin/uv" ] \
    || [ ! -x "$venv/bin/pdm" ]; then
    _rc_log "pip install uv py-rattler ruamel.yaml pdm huggingface_hub into $venv"
    # Pinned to the versions the suite was verified with (py-rattler's Python API moves; PDM
    # 2.29 breaks with hishel 2). PIP_FIND_LINKS etc. may be exported globally; they must not
    # steer this install.
    env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONFIG_FILE \
      "$venv/bin/pip" install -q --disable-pip-version-check "uv==0.13.9" "py-rattler==0.28.0" ruamel.yaml \
      "pdm==2.29.4" "hishel[httpx2]>=1.4.0,<2" "huggingface_hub==2.4.0" \
      || return 1
  else
    _rc_log "venv already has uv, py-rattler, ruamel.yaml, pdm, huggingface_hub"
  fi

  if [ ! -e "$npm_prefix/bin/pnpm" ] || [ ! -e "$npm_prefix/bin/yarn" ] \
    || [ ! -e "$npm_prefix/lib/node_modules/yarn/bin/yarn.js" ]; then
    _rc_log "npm install pnpm, Yarn 1 and Yarn 4 into $npm_prefix"
    # Yarn 1's package and Yarn 4's both ship a `yarn` command: bin/yarn is Yarn 4, and the
    # tests run Yarn 1 from its package folder.
    mkdir -p "$npm_prefix" \
      && env -u npm_config_registry -u NPM_CONFIG_REGISTRY npm install -g --silent --no-audit --no-fund \
        --prefix "$npm_prefix" "yarn@1.22.22" "pnpm@12.21.0" "@yarnpkg/cli-dist@4.18.1" >/dev/null \
      || return 1
  else
    _rc_log "npm prefix already has pnpm, Yarn 1, Yarn 4"
  fi

  _rc_log "installed:"
  local t
  for t in apt-get apt-ftparchive gpg pacman pacman-conf repo-add bsdtar zstd dockerd docker docker-registry \
    dnf createrepo_c zypper podman containerd ctr curl go ruby gem bundle mvn java node npm; do
    printf '  %-16s %s\n' "$t" "$(command -v "$t" || echo MISSING)" >&2
  done
  printf '  %-16s %s\n' uv "$("$venv/bin/uv" --version)" >&2
  printf '  %-16s %s\n' py-rattler \
    "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("py-rattler"))')" >&2
  printf '  %-16s %s\n' pdm "$("$venv/bin/pdm" --version)" >&2
  printf '  %-16s %s\n' pnpm "$("$npm_prefix/bin/pnpm" --version)" >&2
  export MIRROR_RC_VENV="$venv" MIRROR_RC_NPM="$npm_prefix"
  _rc_log "MIRROR_RC_VENV=$venv MIRROR_RC_NPM=$npm_prefix"
}

if (return 0 2>/dev/null); then
  _rc_install # sourced: keep the caller's shell options; a failure is this command's status
else
  set -euo pipefail
  _rc_install
fi
