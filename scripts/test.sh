#!/usr/bin/env bash
# Runs the template's whole test suite, fast and slow tiers, in its own
# virtualenv (.venv-test, reused between runs). Extra arguments go to pytest,
# e.g. `bash scripts/test.sh -m "not slow"` for the fast tier alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export KEDRO_DISABLE_TELEMETRY=true DO_NOT_TRACK=1 MLFLOW_DISABLE_TELEMETRY=true

venv=${TEST_VENV:-.venv-test}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check uv
"$venv/bin/uv" pip install -q -p "$venv/bin/python" -r tests/requirements.txt
exec "$venv/bin/python" -m pytest "$@"
