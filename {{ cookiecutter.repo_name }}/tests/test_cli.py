"""Tests of cli.py: `kedro run` ends a user's mistake in a short message."""

from __future__ import annotations

import pickle
from pathlib import Path

from click.testing import CliRunner
from kedro.io import DatasetError
from kedro_mlflow.pipeline.pipeline_ml import KedroMlflowPipelineMLError
from pandas.errors import EmptyDataError

from {{ cookiecutter.python_package }}.cli import data_file, known_mistake, project_error, run
from {{ cookiecutter.python_package }}.errors import DataQualityError, ProjectError

PROJECT_PATH = Path(__file__).resolve().parents[1]


def test_a_mistake_is_found_behind_the_errors_that_wrap_it():
    mistake = ProjectError("no champion yet", "run `python scripts/promote.py`")
    try:
        try:
            raise mistake
        except ProjectError as error:
            raise DatasetError("Failed while loading data") from error
    except DatasetError as wrapped:
        assert project_error(wrapped) is mistake
    assert project_error(ValueError("a bug")) is None


def test_a_mistake_prints_what_and_how_to_fix():
    assert str(ProjectError("what went wrong", "the fix")) == "what went wrong\nthe fix"


def test_data_is_named_by_its_file():
    assert data_file("customers", PROJECT_PATH, None, None) == (
        "data/01_raw/customers.csv"
    )
    assert data_file("no_such_entry", PROJECT_PATH, None, None) == "no_such_entry"


def test_kedro_run_keeps_its_options_and_adds_verbose():
    result = CliRunner().invoke(run, ["--help"])

    assert result.exit_code == 0
    for option in ("--pipelines", "--params", "--runner", "--env", "--verbose"):
        assert option in result.output


def test_errors_survive_a_trip_between_processes():
    # ParallelRunner sends a node's error back from its worker process.
    sent = DataQualityError("customers", ["required column(s) missing: plan"])

    error = pickle.loads(pickle.dumps(sent))

    assert str(error) == "customers: required column(s) missing: plan"


def test_an_empty_file_is_a_known_mistake():
    try:
        try:
            raise EmptyDataError("No columns to parse from file")
        except EmptyDataError as error:
            raise DatasetError("customers: Failed while loading data") from error
    except DatasetError as wrapped:
        mistake = known_mistake(wrapped, {})

    assert str(mistake) == "customers: the file is empty (not even a header)"


def test_cutting_a_model_logging_pipeline_is_a_known_mistake():
    error = KedroMlflowPipelineMLError("No free input is allowed.")

    mistake = known_mistake(error, {"to_outputs": ["model_input_table"]})

    assert mistake.problem.startswith("`kedro run --to-outputs=model_input_table` ")
    assert "kedro run --pipelines preprocessing" in mistake.fix
    assert known_mistake(ValueError("a bug"), {}) is None
