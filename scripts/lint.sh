#!/usr/bin/env bash
# Lint, format check and type check; .ci/run runs it before the tests.
#   bash scripts/lint.sh          check only (what CI does)
#   bash scripts/lint.sh --fix    apply ruff's fixes and formatting first, then check
# Configuration: [tool.ruff] and [tool.mypy] in pyproject.toml; see docs/contributing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ONEWINDOW_EXTRAS="[test]" source scripts/_venv.sh
if [ "${1:-}" = "--fix" ]; then
  ruff check --fix .
  ruff format .
fi
echo "--- ruff check"
ruff check .
echo "--- ruff format --check"
ruff format --check .
echo "--- mypy"
mypy
