"""Slow tier: what the baked project does with bad data, duplicated rows, a
recorded command, and a model used outside Kedro (issue 17)."""

from __future__ import annotations

import shlex
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from conftest import DEFAULT_PACKAGE, Project

pytestmark = pytest.mark.slow

RAW_FILE = Path("data", "01_raw", "customers.csv")


def latest_run(project: Project) -> dict:
    """Status, params, metrics and tags of the project's latest MLflow run."""
    client = mlflow.MlflowClient(f"sqlite:///{(project.path / 'mlflow.db').as_posix()}")
    experiments = [e.experiment_id for e in client.search_experiments()]
    (run,) = client.search_runs(
        experiments, order_by=["attributes.start_time DESC"], max_results=1
    )
    return {
        "status": run.info.status,
        "params": run.data.params,
        "metrics": run.data.metrics,
        "tags": run.data.tags,
    }


def raw(project: Project) -> pd.DataFrame:
    return pd.read_csv(project.path / RAW_FILE, dtype=str)


def tail_from_error(output: str) -> list[str]:
    """The lines from the project's one-line error message to the end."""
    lines = output.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("Error: "))
    return lines[start:]


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (
            lambda rows: rows.drop(columns=["monthly_fee"]),
            "Error: data/01_raw/customers.csv: required column(s) missing: monthly_fee",
        ),
        (
            lambda rows: rows.head(0),
            "Error: data/01_raw/customers.csv: no rows (a header and nothing else)",
        ),
        (
            None,
            "Error: data/01_raw/customers.csv: the file is empty (not even a header)",
        ),
        (
            lambda rows: rows.assign(support_tickets="lots"),
            "Error: data/01_raw/customers.csv: column support_tickets: 2500 of "
            "2500 values (100%) are not a count >= 0: more than the 10% allowed",
        ),
    ],
    ids=["missing-column", "header-only", "empty-file", "junk-column"],
)
def test_bad_training_data_fails_the_run_in_a_few_lines(
    project, tmp_path, spoil, expected
):
    copy = project.fresh_copy(tmp_path / project.path.name)
    if spoil is None:
        (copy.path / RAW_FILE).write_text("")
    else:
        spoil(raw(copy)).to_csv(copy.path / RAW_FILE, index=False)

    result = copy.run("kedro", "run", check=False)

    assert result.returncode == 1
    tail = tail_from_error(result.stdout + result.stderr)
    assert tail[0] == expected
    assert tail[-1] == "(`kedro run --verbose` shows the traceback.)"
    assert len(tail) <= 10
    assert "Traceback" not in result.stdout + result.stderr
    assert latest_run(copy)["status"] == "FAILED"
    assert not (copy.path / "data" / "06_models" / "classifier.pkl").exists()


def test_duplicated_rows_neither_inflate_the_score_nor_go_unrecorded(project, tmp_path):
    copy = project.fresh_copy(tmp_path / project.path.name)
    copy.run("kedro", "run")
    clean = latest_run(copy)["metrics"]

    rows = raw(copy)
    copies = rows.sample(frac=0.1, random_state=1)
    spoiled = pd.concat([rows, copies]).sample(frac=1, random_state=2)
    spoiled.to_csv(copy.path / RAW_FILE, index=False)
    copy.run("kedro", "run")
    duplicated = latest_run(copy)["metrics"]

    assert duplicated["data_quality.rows_in"] == len(spoiled)
    assert duplicated["data_quality.duplicate_rows"] == len(copies)
    assert clean["data_quality.duplicate_rows"] == 0
    assert abs(duplicated["metrics.roc_auc"] - clean["metrics.roc_auc"]) <= 0.02


@pytest.fixture(scope="module")
def tuned_run(project, tmp_path_factory) -> Project:
    """A project copy trained with `--params` and `--runner` given."""
    copy = project.fresh_copy(tmp_path_factory.mktemp("dq") / project.path.name)
    copy.run(
        "kedro", "run", "--params", "hyperparameters.max_depth=6",
        "--runner", "ThreadRunner",
    )  # fmt: skip
    return copy


def test_the_recorded_command_reproduces_the_run(tuned_run):
    first = latest_run(tuned_run)
    command = first["tags"]["kedro.command"]
    assert command == (
        "kedro run --runner=ThreadRunner --params=hyperparameters.max_depth=6"
    )
    assert first["tags"]["kedro_command"] == command

    tuned_run.run(*shlex.split(command))
    again = latest_run(tuned_run)

    assert again["params"]["hyperparameters.max_depth"] == "6"
    assert again["params"] == first["params"]
    assert again["metrics"]["metrics.roc_auc"] == first["metrics"]["metrics.roc_auc"]
    assert again["tags"]["kedro.command"] == command


def test_the_model_predicts_quietly_outside_kedro(tuned_run, tmp_path):
    script = f"""
import sys
import mlflow, pandas as pd

mlflow.set_tracking_uri("sqlite:///{(tuned_run.path / "mlflow.db").as_posix()}")
model = mlflow.pyfunc.load_model("models:/{DEFAULT_PACKAGE}/1")
rows = pd.read_csv({str(tuned_run.path / RAW_FILE)!r}, nrows=50)
sys.stdout.flush(); sys.stderr.flush()
print("LOADED", flush=True)
print("LOADED", file=sys.stderr, flush=True)
first = model.predict(rows.drop(columns="churned"))
second = model.predict(rows.drop(columns="churned"))
print(len(first) + len(second))
"""
    result = tuned_run.python(script, cwd=tmp_path)

    # Nothing but the result once the model is loaded, on either stream.
    assert result.stdout.split("LOADED\n", 1)[1] == "100\n"
    assert result.stderr.split("LOADED\n", 1)[1] == ""
    # Loading prints no line per dataset or node either.
    assert "Loading data from" not in result.stdout + result.stderr
