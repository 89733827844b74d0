#!/usr/bin/env bash
# Build the documentation site: sets up .venv if needed (see scripts/_venv.sh), installs the
# `docs` extra of pyproject.toml into it, then runs `mkdocs build --strict` into site/.
#
#   scripts/docs.sh                # build site/ (every warning is an error)
#   scripts/docs.sh --verbose      # any mkdocs build arguments pass through
#
# The docs extra is (re)installed only when pyproject.toml changed since the last successful
# install (its SHA-256 is kept in .venv/widenets-docs.stamp). Open site/index.html to read it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
cd "$ROOT"

DOCS_STAMP="$VENV/widenets-docs.stamp"
WANT="$("$VENV_PY" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$ROOT/pyproject.toml")"
if [[ "$WANT" != "$(cat "$DOCS_STAMP" 2>/dev/null || true)" ]]; then
    echo "==> installing widenets[docs] into .venv (pyproject.toml changed or first run)"
    rm -f "$DOCS_STAMP"
    "$VENV_PY" -m pip install --disable-pip-version-check --progress-bar off -q -e "$ROOT[test,docs]"
    echo "$WANT" > "$DOCS_STAMP"
fi

# mkdocs-material prints a banner about its successor unless told not to
export NO_MKDOCS_2_WARNING=1
exec "$VENV/bin/mkdocs" build --strict --clean --site-dir "$ROOT/site" "$@"
