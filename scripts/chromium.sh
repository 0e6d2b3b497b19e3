#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it as the system browser; its own
# browser download cannot work here). `scripts/chromium.sh install` installs it if missing and
# prints its path.
set -euo pipefail

die() { echo "chromium.sh: $*" >&2; exit 1; }

install() {
  if ! command -v chromium >/dev/null; then
    [ "$(id -u)" = 0 ] || die "Chromium is not installed; run as root to install Debian's chromium"
    echo "installing Chromium from Debian's packages..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
  command -v chromium
  chromium --version
}

case "${1:-}" in
  install) install ;;
  *) die "usage: $0 install" ;;
esac
