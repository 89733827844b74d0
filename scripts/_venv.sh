# Sourced by scripts/reproduce.sh and scripts/test.sh: make sure .venv exists and holds an
# editable install of widenets with its test extras, current with pyproject.toml.
#
# - Creates .venv with `python3 -m venv` when it is missing or broken (PYTHON=... picks the
#   interpreter; Python >= 3.11 is required).
# - Re-runs `pip install -e '.[test]'` only when pyproject.toml changed since the last
#   successful install (its SHA-256 is kept in .venv/widenets-install.stamp).
# Sets VENV_PY to the venv's python.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
VENV_PY="$VENV/bin/python"
STAMP="$VENV/widenets-install.stamp"

_find_python() {
    local candidate
    for candidate in ${PYTHON:-} python3 python3.13 python3.12 python3.11 python; do
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "error: widenets needs Python >= 3.11; none found (set PYTHON=/path/to/python3.11+)." >&2
    return 1
}

if ! "$VENV_PY" -c 'import sys' >/dev/null 2>&1; then
    BASE_PY="$(_find_python)"
    echo "==> creating $VENV with $BASE_PY ($("$BASE_PY" --version 2>&1))"
    rm -rf "$VENV"
    "$BASE_PY" -m venv "$VENV"
fi

WANT="$("$VENV_PY" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$ROOT/pyproject.toml")"
HAVE="$(cat "$STAMP" 2>/dev/null || true)"
if [[ "$WANT" != "$HAVE" ]]; then
    echo "==> installing widenets[test] into .venv (pyproject.toml changed or first run; takes a few minutes)"
    rm -f "$STAMP"
    "$VENV_PY" -m pip install --disable-pip-version-check --progress-bar off -q -e "$ROOT[test]"
    echo "$WANT" > "$STAMP"
fi

export MPLBACKEND=Agg
