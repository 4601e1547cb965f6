"""Open and close one MLflow run that several ``kedro run``s log into, e.g. the
tasks of one run of an orchestrated pipeline (docs/deploy.md)::

    RUN_ID=$(python scripts/shared_run.py open --name nightly --tag team=churn)
    MLFLOW_RUN_ID=$RUN_ID kedro run --pipeline preprocessing
    MLFLOW_RUN_ID=$RUN_ID kedro run --pipeline training
    python scripts/shared_run.py close "$RUN_ID" --status FINISHED

The run is in the experiment and on the tracking store that
``conf/<env>/mlflow.yml`` names, as for ``kedro run`` (``--env server`` for the
team's server): ``python scripts/shared_run.py --env server open ...``.
``--help`` lists the options, also after a command.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from pathlib import Path

PROJECT_PATH = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    # Kedro logs to stdout, from its import on: there, `open` prints the run
    # id alone.
    with contextlib.redirect_stdout(sys.stderr):
        from kedro.framework.startup import bootstrap_project  # noqa: PLC0415

        package = bootstrap_project(PROJECT_PATH).package_name
        shared_run = importlib.import_module(f"{package}.mlflow_wiring.shared_run")
    shared_run.cli(default_map={"project_path": PROJECT_PATH})
