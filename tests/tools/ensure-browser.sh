#!/usr/bin/env bash
# Makes sure Debian's Chromium and its WebDriver are installed: the browser tests
# (tests/tests/site_*.rs) drive them headless. Idempotent; quiet when all is well.
set -euo pipefail

say() { printf 'ensure-browser: %s\n' "$*"; }

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
say "installing chromium and chromium-driver from Debian's packages"
if [ -z "${NDS_APT_UPDATED:-}" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
chromium --version
chromedriver --version
