#!/usr/bin/env bash
# Reproduce the paper's figures: sets up .venv if needed (see scripts/_venv.sh), then
#   widenets reproduce --scale quick --out results [args]
# Later arguments win, so `scripts/reproduce.sh --scale paper --out results-paper` works,
# as do `--only NAME ...` and `--list`. The summary is results/REPORT.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
cd "$ROOT"
exec "$VENV/bin/widenets" reproduce --scale quick --out results "$@"
