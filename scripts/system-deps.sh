#!/usr/bin/env bash
# Install the Debian packages the test suite needs, only when missing: chromium (the Playwright
# walk-throughs launch /usr/bin/chromium; Playwright cannot download its own browsers here) and
# postgresql (the suite's second database, a throwaway cluster started by tests/pg_cluster.py).
# When nothing is missing this does nothing, not even `apt-get update`. Needs root or sudo on Debian.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
# A system Python without ensurepip cannot make the venv (pyenv and python.org builds have it).
if [ "$(command -v "${PYTHON:-python3}")" = /usr/bin/python3 ] && ! /usr/bin/python3 -c 'import ensurepip' 2>/dev/null; then
  need+=(python3-venv)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing: ${need[*]}. This script knows Debian's apt-get only: install them by hand." >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing Debian packages: ${need[*]}"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "Installed: ${need[*]}"
