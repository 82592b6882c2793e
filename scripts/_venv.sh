# Sourced by the scripts: create .venv if needed and install the platform and the
# built-in plugins (every plugins/*/pyproject.toml) in editable mode.
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# shellcheck disable=SC1091
source .venv/bin/activate
shopt -s nullglob
stamp=.venv/.onewindow-installed
want=$(cat pyproject.toml plugins/*/pyproject.toml | sha256sum | cut -d' ' -f1)-${ONEWINDOW_EXTRAS:-}
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python -m pip install -q --upgrade pip
  args=(-e ".${ONEWINDOW_EXTRAS:-}")
  for p in plugins/*/; do
    [ -f "$p/pyproject.toml" ] && args+=(-e "$p")
  done
  python -m pip install -q "${args[@]}"
  echo "$want" > "$stamp"
fi
