"""Tests of lineage.py: which entries are recorded, where, and their digests."""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest
from kedro.pipeline import Pipeline, node

from {{ cookiecutter.python_package }}.mlflow_wiring.lineage import (
    InputSpec,
    dataset,
    input_specs,
    pipeline_tags,
    record_node_inputs,
    recorders,
    reproduce_command,
    table_digest,
)

CATALOG = {
    "model_input_table": {
        "type": "pandas.ParquetDataset",
        "filepath": "/project/data/05_model_input/model_input_table.parquet",
    },
    "customers_to_score": {
        "type": "pandas.CSVDataset",
        "filepath": "/project/data/01_raw/customers.csv",
    },
}


def test_entries_are_recorded_with_the_file_their_rows_come_from():
    recorded = {
        "X_train": {
            "context": "training",
            "targets": "y_train",
            "source": "model_input_table",
        },
        "customers_to_score": {"context": "inference"},
    }
    assert input_specs(recorded, CATALOG) == {
        "X_train": InputSpec(
            context="training",
            source="/project/data/05_model_input/model_input_table.parquet",
            targets="y_train",
        ),
        "customers_to_score": InputSpec(
            context="inference", source="/project/data/01_raw/customers.csv"
        ),
    }


@pytest.mark.parametrize("wanted", [{}, {"targets": "y_train"}, "training", None])
def test_an_entry_without_a_context_is_refused_by_name(wanted):
    with pytest.raises(
        ValueError, match=r"^lineage.yml: 'X_train' must give a `context`"
    ):
        input_specs({"X_train": wanted}, CATALOG)


def test_digest_follows_content_labels_and_shape():
    rows = pd.DataFrame({"fee": [1.0, 2.0, 3.0], "plan": ["a", "b", "c"]})
    labels = pd.Series([0, 1, 0], name="churned")
    digest = dataset("X_train", rows, "src", labels).digest

    assert dataset("X_train", rows.copy(), "src", labels.copy()).digest == digest
    assert dataset("X_train", rows, "src", 1 - labels).digest != digest
    assert dataset("X_train", rows.iloc[:2], "src", labels.iloc[:2]).digest != digest
    changed = rows.assign(fee=[1.0, 2.0, 4.0])
    assert dataset("X_train", changed, "src", labels).digest != digest


def test_a_large_table_is_digested_by_rows_spread_over_all_of_it():
    table = pd.DataFrame({"value": range(300_000)})
    digest = table_digest(table)
    last = table.copy()
    last.iloc[-1, 0] = -1  # the last row is always read

    assert table_digest(last) != digest
    assert dataset("X", table, "src").profile == {
        "num_rows": 300_000,
        "num_elements": 300_000,
    }


def recorded_names(run_id: str) -> list[str]:
    inputs = mlflow.get_run(run_id).inputs
    return [i.dataset.name for i in inputs.dataset_inputs] if inputs else []


def test_an_entry_is_recorded_by_the_first_node_that_reads_it_only():
    # Two nodes read X_test. Under ParallelRunner they run at the same time
    # in two processes: had both recorded it, both would insert the dataset.
    pipeline = Pipeline(
        [
            node(len, "X_test", "score", name="evaluate"),
            node(len, "X_test", "plot", name="plot"),
        ]
    )
    first, later = pipeline.nodes
    specs = input_specs({"X_test": {"context": "evaluation"}}, conf_catalog={})
    rows = pd.DataFrame({"fee": [1.0, 2.0, 3.0]})

    with mlflow.start_run() as run:
        recorder = recorders(pipeline, specs)
        record_node_inputs(later, {"X_test": rows}, specs, recorder)
        assert recorded_names(run.info.run_id) == []
        record_node_inputs(first, {"X_test": rows}, specs, recorder)

    assert recorded_names(run.info.run_id) == ["X_test"]


# What Kedro passes to its hooks as run_params for a plain `kedro run`.
PLAIN_RUN = {
    "pipeline_names": None,
    "runtime_params": {},
    "env": None,
    "runner": "<kedro.runner.sequential_runner.SequentialRunner object at 0x7f0>",
    "tags": (),
    "node_names": (),
    "from_nodes": [],
    "to_nodes": [],
    "from_inputs": [],
    "to_outputs": [],
    "load_versions": {},
    "namespaces": [],
    "only_missing_outputs": False,
}


def test_a_plain_run_is_reproduced_by_a_plain_command():
    assert reproduce_command(PLAIN_RUN) == "kedro run"
    assert pipeline_tags(PLAIN_RUN)["kedro.command"] == "kedro run"
    assert pipeline_tags(PLAIN_RUN)["kedro_command"] == "kedro run"


def test_the_command_has_every_option_that_changes_the_result():
    run_params = PLAIN_RUN | {
        "pipeline_names": ["training"],
        "runtime_params": {"hyperparameters": {"max_depth": 6, "bootstrap": False}},
        "env": "server",
        "runner": "<kedro.runner.thread_runner.ThreadRunner object at 0x7f0>",
        "tags": ("a", "b"),
        "from_inputs": ["model_input_table"],
        "load_versions": {"classifier": "2026-11-29T10.00.00.000Z"},
        "only_missing_outputs": True,
    }

    assert reproduce_command(run_params) == (
        "kedro run --env=server --runner=ThreadRunner --pipelines=training "
        "--tags=a,b --from-inputs=model_input_table "
        "--load-versions=classifier:2026-11-29T10.00.00.000Z "
        "--params=hyperparameters.max_depth=6,hyperparameters.bootstrap=false "
        "--only-missing-outputs"
    )


def test_a_runner_of_the_project_goes_by_its_path_and_spaces_are_quoted():
    run_params = PLAIN_RUN | {
        "runner": "<my_project.runners.FastRunner object at 0x7f0>",
        "runtime_params": {"note": "two words"},
    }

    assert reproduce_command(run_params) == (
        "kedro run --runner=my_project.runners.FastRunner '--params=note=two words'"
    )
