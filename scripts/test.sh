#!/usr/bin/env bash
# Set up and run the whole test suite (SQLite by default; PostgreSQL when
# ONEWINDOW_TEST_DATABASE_URL names a server, e.g. postgresql+psycopg://postgres@127.0.0.1:55432/postgres).
# Browser tests drive Debian's chromium; it and the CJK fonts are installed here when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ONEWINDOW_EXTRAS="[test]" source scripts/_venv.sh
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/pdftotext ] || ! fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing chromium and fonts-noto-cjk (browser tests, PDF fonts)…"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk poppler-utils >/dev/null
  else
    echo "warning: /usr/bin/chromium or fonts-noto-cjk missing and not root: browser tests will fail" >&2
  fi
fi
exec python -m pytest "$@"
