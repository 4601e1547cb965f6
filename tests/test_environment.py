"""Fast tier: what the tests' own subprocesses see."""

from __future__ import annotations

import subprocess
import sys

from conftest import clean_env

TELEMETRY_STATE = """
from mlflow.telemetry.utils import is_telemetry_disabled
print("mlflow telemetry off:", is_telemetry_disabled())
"""


def test_subprocesses_of_the_tests_have_mlflow_telemetry_off():
    # DO_NOT_TRACK=1 turns Kedro's off, but MLflow reads it only as "true".
    env = clean_env()
    # MLflow also stays quiet under pytest: seen from a script, it would not.
    env.pop("PYTEST_CURRENT_TEST", None)
    result = subprocess.run(
        [sys.executable, "-c", TELEMETRY_STATE],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "mlflow telemetry off: True"
