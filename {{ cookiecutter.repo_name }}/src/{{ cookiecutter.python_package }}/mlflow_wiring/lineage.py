"""What each MLflow run saw: its data, and which pipeline it ran.

- **Data.** A catalog entry listed in conf/base/lineage.yml is recorded as an
  MLflow dataset input (``mlflow.log_input``) of every tracked run that loads
  it: its catalog name, a digest of its content, its source (the file it
  lives in, or comes from) and a context such as "training". The MLflow UI
  shows them in the runs table's Dataset column and on each run's page. Nodes
  stay pure: ``run.RunHooks`` does the logging.
- **What ran.** For pipeline runs, the pipeline and any filter
  (``--from-inputs``, ``--nodes``, ``--tags``, ...; the same for
  ``session.run(...)`` in a notebook). The code (commit, uncommitted changes),
  the Kedro environment and the notebook are tags of every run: see
  ``tracking.run_tags``.

To compare two runs' data, e.g. the tuning run of a notebook and a training
run, see ``compare_inputs``.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow
import numpy as np
import pandas as pd
from kedro.config import MissingConfigException
from mlflow.data.dataset_source_registry import resolve_dataset_source
from mlflow.data.pandas_dataset import PandasDataset
from mlflow.entities import Run

if TYPE_CHECKING:
    from kedro.framework.context import KedroContext
    from kedro.pipeline import Node, Pipeline

# conf/<env>/lineage.yml, read through settings.py's config_patterns.
CONFIG_KEY = "lineage"
PIPELINE_TAG = "kedro.pipeline"
COMMAND_TAG = "kedro.command"
KEDRO_MLFLOW_COMMAND_TAG = "kedro_command"
# run_params keys of a Kedro run that narrow what runs, as tags kedro.<key>.
FILTERS = (
    "from_inputs",
    "to_outputs",
    "from_nodes",
    "to_nodes",
    "node_names",
    "tags",
    "namespaces",
)


# --- data ---------------------------------------------------------------------


@dataclass(frozen=True)
class InputSpec:
    """How a catalog entry is recorded as an MLflow dataset input.

    In conf/base/lineage.yml, by the entry's name::

        X_train:
          context: training        # what the run used the data for
          targets: y_train         # optional: the entry holding the labels
          source: model_input_table  # optional: where the rows come from,
                                     # for an entry that lives in memory
    """

    context: str
    source: str
    targets: str | None = None


def recorded_inputs(context: KedroContext) -> dict[str, Any]:
    """What conf/<env>/lineage.yml asks to record (nothing without the file)."""
    try:
        return context.config_loader[CONFIG_KEY]
    except MissingConfigException:
        return {}


def input_specs(
    recorded: Mapping[str, Any], conf_catalog: Mapping[str, Any]
) -> dict[str, InputSpec]:
    """The entries to record, by name, with the catalog's configuration
    telling where their data lives (Kedro makes each ``filepath`` absolute)."""
    specs = {}
    for name, wanted in recorded.items():
        if not isinstance(wanted, Mapping) or not wanted.get("context"):
            raise ValueError(
                f"lineage.yml: '{name}' must give a `context` (e.g. training, "
                f"evaluation), got {wanted!r}."
            )
        origin = conf_catalog.get(wanted.get("source", name)) or {}
        specs[name] = InputSpec(
            context=wanted["context"],
            # Where the data lives: the file of the entry (or of the entry it
            # is derived from); else the entry's name.
            source=str(origin.get("filepath") or wanted.get("source", name)),
            targets=wanted.get("targets"),
        )
    return specs


# What recording a table costs is bounded, whatever its size: its digest reads
# at most DIGEST_ROWS rows spread over the whole table (all of a smaller one),
# and its schema is inferred from its first SCHEMA_ROWS rows.
# benchmarks/bench.py measures it on a table 100 times the example's size.
DIGEST_ROWS = 100_000
SCHEMA_ROWS = 10_000


def table_digest(data: pd.DataFrame) -> str:
    """A digest of a table's content, shape, column names and types.

    Every row of a table up to DIGEST_ROWS rows counts; of a larger one,
    DIGEST_ROWS rows evenly spread over it. (MLflow's own digest reads only
    the first 10,000 rows, and costs more: it checks every cell's type.)
    """
    rows = data
    if len(data) > DIGEST_ROWS:
        rows = data.iloc[np.linspace(0, len(data) - 1, DIGEST_ROWS).astype(int)]
    digest = hashlib.sha256(pd.util.hash_pandas_object(rows, index=False).to_numpy())
    digest.update(repr((data.shape, list(data.columns), list(data.dtypes))).encode())
    return digest.hexdigest()[:8]


class RecordedTable(PandasDataset):
    """A table as an MLflow dataset: its digest, size and schema, not its rows.

    MLflow infers the schema of every row it is given, which takes seconds
    per 100,000 rows of text: this gives it the first SCHEMA_ROWS rows, and
    reports the size of the whole table.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        source: str,
        name: str,
        targets: str | None = None,
    ) -> None:
        self.table_rows, self.table_elements = len(data), data.size
        with quiet_mlflow_data():
            super().__init__(
                data.head(SCHEMA_ROWS),
                source=resolve_dataset_source(source),
                targets=targets,
                name=name,
                digest=table_digest(data),
            )

    @property
    def profile(self) -> dict[str, int]:
        return {"num_rows": self.table_rows, "num_elements": self.table_elements}


def dataset(
    name: str,
    data: pd.DataFrame,
    source: str,
    targets: pd.Series | None = None,
) -> RecordedTable:
    """``data`` (and its labels) as an MLflow dataset named after its catalog entry.

    The labels are part of the digest, so that two runs fitted on the same
    rows with the same labels have the same digest, and only then.
    """
    target_column = None
    if targets is not None:
        target_column = str(targets.name or "target")
        data = data.assign(**{target_column: targets.to_numpy()})
    return RecordedTable(data, source=source, name=name, targets=target_column)


@contextmanager
def quiet_mlflow_data() -> Iterator[None]:
    """Without two notices of MLflow's that do not apply to recorded data.

    MLflow registers its local-file source twice, then warns that a path
    matches both; and it warns that integer columns cannot hold missing values
    in a model signature, while a dataset record describes data, not a model's
    contract. Every other warning shows.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="The specified dataset source can be interpreted"
        )
        warnings.filterwarnings(
            "ignore", message="Hint: Inferred schema contains integer column"
        )
        yield


def log_input(
    spec: InputSpec, name: str, data: Any, targets: Any = None
) -> RecordedTable | None:
    """Record ``data`` as an input of the active run, if it is a table."""
    if mlflow.active_run() is None or not isinstance(data, pd.DataFrame):
        return None
    if not isinstance(targets, pd.Series):
        targets = None
    logged = dataset(name, data, spec.source, targets)
    with quiet_mlflow_data():
        mlflow.log_input(logged, context=spec.context)
    return logged


def record_input(
    context: KedroContext, name: str, data: pd.DataFrame, targets: Any = None
) -> RecordedTable | None:
    """Record ``data`` as the catalog entry ``name`` is recorded in pipeline
    runs, as an input of the active run: for runs started by hand, e.g. a
    notebook's search on the training rows.

    Args:
        context: The Kedro context (``context`` in a notebook).
        name: A catalog entry listed in conf/base/lineage.yml.
        data: Its data.
        targets: The labels, when lineage.yml names some for the entry.
    """
    catalog = context.config_loader["catalog"]
    for config in catalog.values():
        filepath = (config or {}).get("filepath")
        # Kedro makes local paths absolute from the project root when it runs.
        if filepath and "://" not in filepath:
            config["filepath"] = Path(context.project_path, filepath).as_posix()
    specs = input_specs(recorded_inputs(context), catalog)
    if name not in specs:
        raise ValueError(
            f"Catalog entry '{name}' is not recorded as an MLflow input: list it "
            f"in conf/base/lineage.yml (recorded: "
            f"{', '.join(sorted(specs)) or 'none'})."
        )
    return log_input(specs[name], name, data, targets)


def compare_inputs(first: Run, second: Run, name: str) -> str:
    """A sentence that says whether two runs saw the same data under ``name``."""
    digests = [_digest_of(run, name) for run in (first, second)]
    labels = [run.info.run_name or run.info.run_id for run in (first, second)]
    missing = [label for label, digest in zip(labels, digests) if digest is None]
    if missing:
        return f"No dataset '{name}' is recorded on run(s) {', '.join(missing)}."
    if digests[0] == digests[1]:
        return (
            f"Same data: runs '{labels[0]}' and '{labels[1]}' both saw '{name}' "
            f"with digest {digests[0]}."
        )
    return (
        f"DIFFERENT data: run '{labels[0]}' saw '{name}' with digest {digests[0]}, "
        f"run '{labels[1]}' with digest {digests[1]}. The results are not "
        "comparable: re-run the search on the current data."
    )


def _digest_of(run: Run, name: str) -> str | None:
    for dataset_input in run.inputs.dataset_inputs if run.inputs else []:
        if dataset_input.dataset.name == name:
            return dataset_input.dataset.digest
    return None


# --- what ran -----------------------------------------------------------------


def pipeline_tags(run_params: Mapping[str, Any]) -> dict[str, str]:
    """The pipeline a run ran, any filter that narrowed it (`kedro run
    --from-inputs ...`, or ``session.run(from_inputs=[...])`` in a notebook),
    and the `kedro run` command that runs it again (``reproduce_command``)."""
    tags = {PIPELINE_TAG: ",".join(run_params.get("pipeline_names") or ["__default__"])}
    for key in FILTERS:
        if run_params.get(key):
            tags[f"kedro.{key}"] = ",".join(map(str, run_params[key]))
    tags[COMMAND_TAG] = reproduce_command(run_params)
    # kedro-mlflow's own tag spells the command from before Kedro 1.0 and
    # without --params, --env or --runner: the same command replaces it.
    tags[KEDRO_MLFLOW_COMMAND_TAG] = tags[COMMAND_TAG]
    return tags


# `kedro run` options for run_params keys whose value is a list.
LIST_OPTIONS = {
    "pipeline_names": "--pipelines",
    "tags": "--tags",
    "node_names": "--nodes",
    "from_nodes": "--from-nodes",
    "to_nodes": "--to-nodes",
    "from_inputs": "--from-inputs",
    "to_outputs": "--to-outputs",
    "namespaces": "--namespaces",
}


def _dotted(params: Mapping[str, Any], prefix: str = "") -> list[str]:
    """``{"a": {"b": 6}}`` as ``["a.b=6"]``, as `kedro run --params` takes it."""
    items = []
    for key, value in params.items():
        if isinstance(value, Mapping):
            items += _dotted(value, f"{prefix}{key}.")
        elif isinstance(value, bool) or value is None:
            items.append(
                f"{prefix}{key}={str(value).lower() if value is not None else 'null'}"
            )
        else:
            items.append(f"{prefix}{key}={value}")
    return items


def _runner_name(runner: Any) -> str | None:
    """The `--runner` value of a run_params runner, None for the default.

    Kedro records the runner as its class's name or, for an instance, as
    ``<module.Class object at 0x...>``; Kedro's own runners go by their name.
    """
    text = str(runner or "")
    match = re.match(r"<([\w.]+) object at", text)
    path = match.group(1) if match else text
    if path.startswith("kedro.runner."):
        path = path.rsplit(".", 1)[-1]
    return None if path in ("", "SequentialRunner") else path


def reproduce_command(run_params: Mapping[str, Any]) -> str:
    """The `kedro run` command line that runs the same pipeline with the same
    parameters, environment, runner, filters and load versions.

    ``run_params`` is what Kedro passes to its pipeline hooks (``env``,
    ``runtime_params``, ``runner``, ``pipeline_names``, the filters, ...).
    Options at their default are left out. Not recorded by Kedro, and so not
    here: ``--runner-params``, ``--conf-source``, ``--config``.
    """
    args = ["kedro", "run"]
    if run_params.get("env"):
        args.append(f"--env={run_params['env']}")
    runner = _runner_name(run_params.get("runner"))
    if runner:
        args.append(f"--runner={runner}")
    for key, option in LIST_OPTIONS.items():
        if run_params.get(key):
            args.append(f"{option}={','.join(map(str, run_params[key]))}")
    if run_params.get("load_versions"):
        versions = run_params["load_versions"].items()
        args.append(f"--load-versions={','.join(f'{n}:{v}' for n, v in versions)}")
    if run_params.get("runtime_params"):
        args.append(f"--params={','.join(_dotted(run_params['runtime_params']))}")
    if run_params.get("only_missing_outputs"):
        args.append("--only-missing-outputs")
    return shlex.join(args)


# --- during a pipeline run (called by run.RunHooks) ----------------------------


def recorders(pipeline: Pipeline, specs: Mapping[str, InputSpec]) -> dict[str, str]:
    """The node that records each entry: the first (in the pipeline's order)
    that reads it, and only it.

    ParallelRunner and ThreadRunner run the other readers at the same time, in
    processes or threads of their own: two of them recording one dataset at
    once would both insert it into the store, and one would fail.
    """
    recorder: dict[str, str] = {}
    for node in pipeline.nodes:
        for name in node.inputs:
            if name in specs:
                recorder.setdefault(name, node.name)
    return recorder


def record_node_inputs(
    node: Node,
    inputs: Mapping[str, Any],
    specs: Mapping[str, InputSpec],
    recorder: Mapping[str, str],
) -> None:
    """Record the entries that ``node`` is the recorder of."""
    for name, spec in specs.items():
        if recorder.get(name) == node.name and name in inputs:
            targets = inputs.get(spec.targets) if spec.targets else None
            log_input(spec, name, inputs[name], targets)
