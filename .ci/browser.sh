#!/usr/bin/env bash
# The browser for the dashboard's tests (tests/test_dashboard_browser.py): Debian's Chromium at
# /usr/bin/chromium, driven by the `playwright` Python package (no browser download of its own).
# Without it those tests skip and say why.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; the dashboard's browser tests will skip"
else
  echo "warning: /usr/bin/chromium missing and not root; the dashboard's browser tests will skip"
fi
