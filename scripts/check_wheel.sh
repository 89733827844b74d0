#!/usr/bin/env bash
# Build the widenets wheel and check that it installs and imports on its own.
#
# In a temporary directory: `python -m build --wheel` of this checkout, then a fresh virtual
# environment that installs the wheel (with its dependencies, from PyPI) and imports
# `widenets` and every topic package from outside the source tree, checks that the modules
# come from the installed wheel, that `py.typed` and the license are shipped, and that the
# `widenets` command runs. Exits non-zero on the first failure; the directory is removed.
#
#   scripts/check_wheel.sh                  # PYTHON=/path/to/python3.11+ picks the interpreter
#   KEEP_TMP=1 scripts/check_wheel.sh       # keep the temporary directory (its path is printed)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "error: widenets needs Python >= 3.11; set PYTHON=/path/to/python3.11+ (got $PY)." >&2
    exit 1
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/widenets-wheel.XXXXXX")"
if [[ -z "${KEEP_TMP:-}" ]]; then
    trap 'rm -rf "$TMP"' EXIT
else
    echo "==> keeping $TMP"
fi
PIP_FLAGS=(--disable-pip-version-check --progress-bar off -q)

echo "==> fresh virtual environment in $TMP/venv ($("$PY" --version 2>&1))"
"$PY" -m venv "$TMP/venv"
VPY="$TMP/venv/bin/python"
"$VPY" -m pip install "${PIP_FLAGS[@]}" --upgrade pip build

echo "==> python -m build --wheel"
# build from a copy of the tracked files, so that nothing in the checkout (build/, egg-info,
# untracked files) leaks into the wheel or is written by the build
mkdir "$TMP/src"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
        | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' \
        | tar --null -T - -cf -) | tar -xf - -C "$TMP/src"
else
    cp -a "$ROOT/." "$TMP/src/"
fi
"$VPY" -m build --wheel --outdir "$TMP/dist" "$TMP/src" > "$TMP/build.log" 2>&1 \
    || { cat "$TMP/build.log"; exit 1; }
WHEEL="$(ls "$TMP"/dist/widenets-*.whl)"
echo "    $(basename "$WHEEL")"

echo "==> pip install the wheel and its dependencies"
"$VPY" -m pip install "${PIP_FLAGS[@]}" "$WHEEL"

echo "==> import from outside the source tree"
cd "$TMP"
"$VPY" - "$ROOT" <<'PY'
import importlib
import importlib.metadata as md
import pathlib
import sys

root = pathlib.Path(sys.argv[1]).resolve()
packages = ["widenets", "widenets.stax", "widenets.duals", "widenets.kernels",
            "widenets.predict", "widenets.edgeworth", "widenets.mup", "widenets.signature",
            "widenets.spectral", "widenets.reproduce"]
for name in packages:
    module = importlib.import_module(name)
    path = pathlib.Path(module.__file__).resolve()
    if root in path.parents:
        sys.exit(f"{name} was imported from the source tree ({path}), not from the wheel")
    print(f"    {name:22s} {path.parent}")

import widenets
files = {str(f) for f in md.files("widenets")}
for required in ("widenets/py.typed",):
    if required not in files:
        sys.exit(f"the wheel does not ship {required}")
meta = md.metadata("widenets")
license_expr = meta.get("License-Expression") or meta.get("License")
if license_expr != "Apache-2.0":
    sys.exit(f"license metadata is {license_expr!r}, expected 'Apache-2.0'")
if not any(f.endswith("LICENSE") for f in files):
    sys.exit("the wheel does not ship the LICENSE file")
print(f"    version {widenets.__version__}, license {license_expr}, py.typed and LICENSE shipped")
PY
"$TMP/venv/bin/widenets" --help > /dev/null
echo "==> wheel OK: widenets installs and imports from a fresh environment"
