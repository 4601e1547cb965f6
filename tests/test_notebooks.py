"""Slow tier: the notebooks and the project's IPython profile, in real kernels
of the baked project's virtualenv, on a copy of the session's project that
has never run (its MLflow store and files stay out of the other modules' way).

Kernels run with their own empty IPython and Jupyter folders, so that nothing
from the machine's ~/.ipython or ~/.local/share/jupyter takes part, and a
plain `python3` kernel is as plain as on a fresh machine.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import mlflow
import nbformat
import pytest
import yaml
from conftest import (
    DEFAULT_PACKAGE,
    TEMPLATE_DIR,
    WARNING_LINE,
    Project,
    warning_lines,
)

pytestmark = pytest.mark.slow

NOTEBOOKS = ["01_interactive_preprocessing.ipynb", "02_tune_hyperparameters.ipynb"]
# PARAM_GRID of the baked project's tuning.py: the candidates of the search.
PARAM_GRID = {"max_depth": [4, 8, 12], "min_samples_leaf": [1, 5, 10]}
# What the project prints once it is loaded (interactive.py).
REPORT = re.compile(
    r"^MLflow: experiment '(?P<experiment>[^']+)' at (?P<uri>\S+);", re.M
)
# Colours and links of Kedro's rich log lines.
ANSI = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;[^\x1b]*\x1b\\")


@dataclass
class Executed:
    """Notebooks executed on a fresh project, and what they left behind."""

    notebooks: dict[str, nbformat.NotebookNode]
    runs: list
    local_parameters: str


def store_uri(project: Project) -> str:
    return f"sqlite:///{(project.path / 'mlflow.db').as_posix()}"


def all_runs(project: Project) -> list:
    client = mlflow.MlflowClient(store_uri(project))
    experiment = client.get_experiment_by_name(DEFAULT_PACKAGE)
    if experiment is None:
        return []
    return client.search_runs(
        [experiment.experiment_id], max_results=50000, order_by=["start_time ASC"]
    )


def runs_since(project: Project, before: set[str]) -> list:
    return [run for run in all_runs(project) if run.info.run_id not in before]


def output_text(output: nbformat.NotebookNode) -> str:
    if output.output_type == "stream":
        text = output.text
    elif output.output_type == "error":
        text = "\n".join([f"{output.ename}: {output.evalue}", *output.traceback])
    else:
        text = output.get("data", {}).get("text/plain", "")
    return ANSI.sub("", text)


def cell_texts(notebook: nbformat.NotebookNode) -> Iterator[tuple[int, str]]:
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            yield index, output_text(output)


def errors_of(notebook: nbformat.NotebookNode | None) -> str:
    if notebook is None:
        return "(no executed notebook written)"
    return "\n".join(
        f"cell {index}: {output_text(output)}"
        for index, cell in enumerate(notebook.cells)
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    )


@pytest.fixture(scope="module")
def fresh(project: Project, tmp_path_factory) -> Project:
    """The session's project as baked and committed, never run."""
    return project.fresh_copy(tmp_path_factory.mktemp("notebooks") / project.path.name)


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory) -> dict[str, str]:
    """Empty IPython and Jupyter folders: no profile, no user kernel."""
    home = tmp_path_factory.mktemp("kernel-home")
    folders = {
        "IPYTHONDIR": home / "ipython",
        "JUPYTER_DATA_DIR": home / "jupyter-data",
        "JUPYTER_CONFIG_DIR": home / "jupyter-config",
        "JUPYTER_RUNTIME_DIR": home / "jupyter-runtime",
    }
    for folder in folders.values():
        folder.mkdir()
    return {name: str(folder) for name, folder in folders.items()}


def execute(
    project: Project,
    notebook: nbformat.NotebookNode,
    target: Path,
    env: dict[str, str],
    kernel: str = "python3",
) -> nbformat.NotebookNode:
    """Execute ``notebook`` in a ``kernel`` started in notebooks/."""
    source = target.with_suffix(".source.ipynb")
    nbformat.write(notebook, source)
    result = project.run(
        "python",
        str(TEMPLATE_DIR / "scripts" / "execute_notebook.py"),
        str(source),
        str(target),
        str(project.path / "notebooks"),
        kernel,
        check=False,
        timeout=1200,
        **env,
    )
    executed = nbformat.read(target, as_version=4) if target.exists() else None
    assert result.returncode == 0, (
        f"{errors_of(executed)}\n--- stderr\n{result.stderr[-4000:]}"
    )
    return executed


def notebook_of_cells(*sources: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in sources]
    )


@pytest.fixture(scope="module")
def executed(fresh: Project, kernel_env, tmp_path_factory) -> Executed:
    """Both notebooks, each in a plain `python3` kernel started in notebooks/.

    The tuning notebook goes first, on a project that has never run (no model
    input table yet), the preprocessing notebook after it.
    """
    out = tmp_path_factory.mktemp("executed")
    notebooks = {}
    for name in reversed(NOTEBOOKS):
        source = nbformat.read(fresh.path / "notebooks" / name, as_version=4)
        notebooks[name] = execute(fresh, source, out / name, kernel_env)
    local = fresh.path / "conf" / "local" / "parameters_training.yml"
    return Executed(notebooks, all_runs(fresh), local.read_text())


def test_notebooks_run_top_to_bottom(executed):
    for name in NOTEBOOKS:
        notebook = executed.notebooks[name]
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert all(cell.execution_count for cell in code), name
        assert not errors_of(notebook), name


def test_notebooks_print_no_warnings(executed):
    found = [
        f"{name} cell {index}: {line}"
        for name, notebook in executed.notebooks.items()
        for index, text in cell_texts(notebook)
        for line in text.splitlines()
        if WARNING_LINE.search(line)
    ]
    assert not found, "\n".join(found)


def test_notebooks_report_the_project_store(executed, fresh):
    for name, notebook in executed.notebooks.items():
        reports = [
            match.groupdict()
            for _, text in cell_texts(notebook)
            for match in REPORT.finditer(text)
        ]
        assert reports, name
        for report in reports:
            assert report == {"experiment": DEFAULT_PACKAGE, "uri": store_uri(fresh)}


def test_nothing_but_notebooks_is_written_under_notebooks(executed, fresh):
    folder = fresh.path / "notebooks"
    assert sorted(path.name for path in folder.iterdir()) == NOTEBOOKS
    # The notebooks themselves are untouched: still without outputs.
    for name in NOTEBOOKS:
        notebook = nbformat.read(folder / name, as_version=4)
        assert not any(cell.get("outputs") for cell in notebook.cells)


def test_interactive_runs_are_tagged_as_such(executed):
    assert executed.runs
    for run in executed.runs:
        tags = run.data.tags
        assert tags["kedro.interactive"] == "true", run.info.run_name
        assert tags["kedro.interactive.frontend"] == "notebook", run.info.run_name
        # The project is a git repository (see conftest): its commit, not
        # IPython's.
        assert len(tags["mlflow.source.git.commit"]) == 40, run.info.run_name


def test_preprocessing_runs_of_notebook_1(executed, fresh):
    runs = [r for r in executed.runs if r.info.run_name == "preprocessing"]
    # 02 runs the pipeline once when the model input table is missing, 01 three
    # times: twice from the raw data to the features, once in full.
    assert len(runs) == 4
    assert all(run.info.status == "FINISHED" for run in runs)
    dates = sorted(run.data.params["reference_date"] for run in runs)
    assert dates == ["2024-07-01", "2025-01-01", "2025-01-01", "2025-01-01"]
    client = mlflow.MlflowClient(store_uri(fresh))
    plots = [
        artifact.path
        for run in runs
        for artifact in client.list_artifacts(run.info.run_id, "exploration")
    ]
    assert plots == ["exploration/churn_by_tenure.png"]


def test_tuning_run_has_one_child_run_per_candidate(executed, fresh):
    (parent,) = [r for r in executed.runs if r.info.run_name == "tuning"]
    assert parent.info.status == "FINISHED"
    children = [
        run
        for run in executed.runs
        if run.data.tags.get("mlflow.parentRunId") == parent.info.run_id
    ]
    candidates = {
        (
            int(run.data.params["classifier__max_depth"]),
            int(run.data.params["classifier__min_samples_leaf"]),
        )
        for run in children
    }
    assert len(children) == len(candidates)
    assert candidates == set(product(*PARAM_GRID.values()))
    for run in children:
        assert 0.5 < run.data.metrics["mean_test_score"] <= 1
    assert 0.5 < parent.data.metrics["best_cv_score"] <= 1
    # The best model, logged once, by tune(); autolog logs none.
    client = mlflow.MlflowClient(store_uri(fresh))
    models = client.search_logged_models(
        experiment_ids=[parent.info.experiment_id],
        filter_string=f"source_run_id = '{parent.info.run_id}'",
    )
    assert [model.name for model in models] == ["best_model"]


def test_training_run_uses_the_tuned_hyperparameters(executed):
    (parent,) = [r for r in executed.runs if r.info.run_name == "tuning"]
    (training,) = [r for r in executed.runs if r.info.run_name == "training"]
    assert training.info.status == "FINISHED"
    assert training.info.start_time > parent.info.end_time
    params = training.data.params
    for name in PARAM_GRID:
        assert (
            params[f"hyperparameters.{name}"]
            == parent.data.params[f"best_classifier__{name}"]
        )
    assert params["hyperparameters.n_estimators"] == "200"
    assert "metrics.roc_auc" in training.data.metrics
    # Autologging was on in the notebook, but off while the pipeline ran.
    assert "mlflow.autologging" not in training.data.tags
    assert not [name for name in params if name.startswith("classifier__")]
    # What the notebook wrote to conf/local: all the hyperparameters.
    written = yaml.safe_load(executed.local_parameters)["hyperparameters"]
    assert {f"hyperparameters.{k}": str(v) for k, v in written.items()} == {
        name: value for name, value in params.items() if name.startswith("hyper")
    }


def test_tuning_changes_the_untuned_defaults_and_the_test_score(executed):
    (training,) = [r for r in executed.runs if r.info.run_name == "training"]
    # conf/base holds scikit-learn's defaults; the search picks other values.
    assert training.data.params["hyperparameters.max_depth"] != "None"
    said = "\n".join(text for _, text in cell_texts(executed.notebooks[NOTEBOOKS[1]]))
    change = re.search(r"Tuning changed the test ROC AUC by ([+-][0-9.]+)", said)
    assert change is not None, said
    assert abs(float(change.group(1))) >= 0.005
    # The gap between cross-validated and test scores, explained in numbers.
    assert re.search(r"so \d+\.\d standard errors apart", said), said


def test_tuning_and_training_runs_record_the_same_training_rows(executed):
    (tuning,) = [r for r in executed.runs if r.info.run_name == "tuning"]
    (training,) = [r for r in executed.runs if r.info.run_name == "training"]
    digests = []
    for run in (tuning, training):
        (x_train,) = [
            i for i in run.inputs.dataset_inputs if i.dataset.name == "X_train"
        ]
        assert {(t.key, t.value) for t in x_train.tags} == {
            ("mlflow.data.context", "training")
        }
        digests.append(x_train.dataset.digest)
    assert digests[0] == digests[1]
    said = [
        text
        for _, text in cell_texts(executed.notebooks[NOTEBOOKS[1]])
        if "saw 'X_train'" in text
    ]
    assert said == [
        f"Same data: runs 'tuning' and 'training' both saw 'X_train' with "
        f"digest {digests[0]}.\n"
    ]


@pytest.mark.parametrize("folder", [".", "notebooks"])
def test_kedro_ipython_loads_project_and_profile(fresh, folder):
    code = (
        # mlflow is one of the session's globals: not imported here.
        "import json; ns = get_ipython().user_ns; print('RESULT', json.dumps({"
        "'globals': sorted(n for n in "
        "('session', 'context', 'catalog', 'pipelines', 'mlflow') if n in ns),"
        "'uri': mlflow.get_tracking_uri(),"
        "'profile': get_ipython().profile_dir.location}))"
    )
    result = fresh.run("kedro", "ipython", "-c", code, cwd=fresh.path / folder)
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("RESULT")]
    found = json.loads(line.removeprefix("RESULT "))
    assert found == {
        "globals": ["catalog", "context", "mlflow", "pipelines", "session"],
        "uri": store_uri(fresh),
        "profile": str(fresh.path / ".ipython" / "profile_default"),
    }
    (report,) = REPORT.finditer(result.stdout)
    assert report["uri"] == store_uri(fresh)
    assert not warning_lines(result)


ONE_KERNEL = [
    "%load_ext kedro.ipython",
    # One pipeline run, then MLflow (a global of the session, as Kedro's
    # are) is free for a run of one's own.
    """
session.run(
    pipeline_names=["preprocessing"],
    from_inputs=["customers"],
    to_outputs=["customer_features"],
)
assert mlflow.active_run() is None
with mlflow.start_run(run_name="after-session-run") as own:
    mlflow.log_metric("answer", 42)
    """,
    # Autolog as the user sets it: on. A run left open by mistake.
    """
mlflow.sklearn.autolog(log_models=False, log_datasets=False, silent=True)
left_open = mlflow.start_run(run_name="left-open")
    """,
    '%reload_kedro --params "reference_date=2024-07-01"',
    # Globals refreshed, MLflow configured from mlflow.yml, no run left
    # active, autolog still on: a fit is recorded.
    """
import json
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

assert context.params["reference_date"] == "2024-07-01"
assert mlflow.active_run() is None
X, y = load_iris(return_X_y=True)
LogisticRegression(max_iter=500).fit(X, y)
fit = mlflow.last_active_run()
print("RESULT", json.dumps({
    "uri": mlflow.get_tracking_uri(),
    "experiment": mlflow.get_experiment(fit.info.experiment_id).name,
    "own": own.info.run_id,
    "left_open": mlflow.get_run(left_open.info.run_id).info.status,
    "fit_tags": fit.data.tags,
}))
    """,
]


def test_one_kernel_session_run_then_own_run_then_reload(fresh, kernel_env, tmp_path):
    before = {run.info.run_id for run in all_runs(fresh)}
    notebook = execute(
        fresh, notebook_of_cells(*ONE_KERNEL), tmp_path / "one.ipynb", kernel_env
    )
    (line,) = [
        line
        for _, text in cell_texts(notebook)
        for line in text.splitlines()
        if line.startswith("RESULT")
    ]
    found = json.loads(line.removeprefix("RESULT "))
    assert found["uri"] == store_uri(fresh)
    assert found["experiment"] == DEFAULT_PACKAGE
    assert found["left_open"] == "FINISHED"
    assert found["fit_tags"]["mlflow.autologging"] == "sklearn"
    assert found["fit_tags"]["kedro.interactive"] == "true"
    new = {run.info.run_name: run for run in runs_since(fresh, before)}
    assert new["after-session-run"].data.metrics == {"answer": 42}
    assert new["preprocessing"].data.tags["kedro.interactive"] == "true"


def test_kedro_kernel_uses_the_profile(fresh, kernel_env, tmp_path):
    kernel = f"kedro_{DEFAULT_PACKAGE}"
    spec_file = (
        Path(kernel_env["JUPYTER_DATA_DIR"]) / "kernels" / kernel / "kernel.json"
    )
    profile_arg = f"--ipython-dir={fresh.path / '.ipython'}"
    # `kedro jupyter lab` writes the kernel again before starting Jupyter.
    for command in (["setup"], ["lab", "--version"]):
        spec_file.unlink(missing_ok=True)
        fresh.run("kedro", "jupyter", *command, **kernel_env)
        argv = json.loads(spec_file.read_text())["argv"]
        assert argv[-3:] == ["--ext", "kedro.ipython", profile_arg], command
    probe = notebook_of_cells("print('PROFILE', get_ipython().profile_dir.location)")
    notebook = execute(fresh, probe, tmp_path / "kernel.ipynb", kernel_env, kernel)
    text = "\n".join(text for _, text in cell_texts(notebook))
    assert f"PROFILE {fresh.path / '.ipython' / 'profile_default'}" in text
    # Printed after the first cell: a kernel shows nothing printed at startup.
    assert REPORT.search(text)["uri"] == store_uri(fresh)


INTERRUPTED_AND_NESTED = [
    "%load_ext kedro.ipython",
    # Autolog on, then a pipeline run interrupted inside a node (Ctrl-C).
    """
import mlflow
import pandas

mlflow.sklearn.autolog(log_models=False, log_datasets=False, silent=True)
read_csv = pandas.read_csv


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


pandas.read_csv = interrupt
try:
    session.run(pipeline_names=["preprocessing"])
except KeyboardInterrupt:
    interrupted = mlflow.last_active_run().info.run_id
    """,
    # conf/local/mlflow.yml asks for nested runs: kedro-mlflow alone would
    # leave the finished run active.
    """
pandas.read_csv = read_csv
%reload_kedro
session.run(pipeline_names=["preprocessing"])
    """,
    """
import json
from mlflow.utils.autologging_utils import autologging_is_disabled

print("RESULT", json.dumps({
    "interrupted": mlflow.get_run(interrupted).info.status,
    "nested_run": mlflow.last_active_run().info.status,
    "active": mlflow.active_run() is not None,
    "autolog_on": not autologging_is_disabled("sklearn"),
}))
    """,
]


def test_interrupted_and_nested_pipeline_runs_leave_nothing_active(
    fresh, kernel_env, tmp_path
):
    nested = Project(path=tmp_path / fresh.path.name, venv=fresh.venv)
    shutil.copytree(fresh.path, nested.path)
    (nested.path / "conf" / "local" / "mlflow.yml").write_text(
        "tracking:\n  run:\n    nested: true\n"
    )
    notebook = execute(
        nested,
        notebook_of_cells(*INTERRUPTED_AND_NESTED),
        tmp_path / "interrupted.ipynb",
        kernel_env,
    )
    (line,) = [
        line
        for _, text in cell_texts(notebook)
        for line in text.splitlines()
        if line.startswith("RESULT")
    ]
    assert json.loads(line.removeprefix("RESULT ")) == {
        "interrupted": "KILLED",
        "nested_run": "FINISHED",
        "active": False,
        "autolog_on": True,
    }
