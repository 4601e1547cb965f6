"""Tests of cli.py: `kedro run` ends a user's mistake in a short message."""

from __future__ import annotations

import pickle
from pathlib import Path

from click.testing import CliRunner
from kedro.io import DatasetError

from {{ cookiecutter.python_package }}.cli import data_file, project_error, run
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
