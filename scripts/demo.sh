#!/usr/bin/env bash
# Set up and run OneWindow on embedded SQLite with the demo county (云溪县).
# Prints the demo logins (one per role), then serves http://127.0.0.1:8080/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
onewindow init --demo
exec onewindow serve --host "${HOST:-127.0.0.1}" --port "${PORT:-8080}"
