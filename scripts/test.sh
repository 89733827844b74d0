#!/usr/bin/env bash
# Run the test suite: sets up .venv if needed (see scripts/_venv.sh), then pytest.
#
#   scripts/test.sh                     # whole suite, 2 xdist workers
#   scripts/test.sh tests/reproduce -x  # any pytest arguments pass through
#   PYTEST_WORKERS=0 scripts/test.sh    # no xdist (or pass -n 0)
#
# Exits with pytest's code, except that "no tests collected" (pytest's 5) is a failure (1).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
cd "$ROOT"

set +e
# --durations: the slowest tests are listed, to keep the suite within its time budget.
"$VENV_PY" -m pytest -n "${PYTEST_WORKERS:-2}" --durations=15 "$@"
rc=$?
set -e
if [[ $rc -eq 5 ]]; then
    echo "test.sh: pytest collected no tests; treating that as a failure." >&2
    exit 1
fi
exit $rc
