"""Slow tier: every tracked run says what data and code it saw, and where it ran.

Real `kedro run`s and a real kernel on a copy of the session's project, in
git as a user keeps it, with its own MLflow store.
"""

from __future__ import annotations

import subprocess

import mlflow
import pytest
from conftest import DEFAULT_PACKAGE, Project
from test_notebooks import execute, kernel_env, notebook_of_cells  # noqa: F401

pytestmark = pytest.mark.slow

MODEL_INPUT = "data/05_model_input/model_input_table.parquet"


def runs(project: Project) -> list:
    client = mlflow.MlflowClient(f"sqlite:///{(project.path / 'mlflow.db').as_posix()}")
    experiment = client.get_experiment_by_name(DEFAULT_PACKAGE)
    if experiment is None:  # nothing has run yet
        return []
    return client.search_runs(
        [experiment.experiment_id], max_results=1000, order_by=["start_time ASC"]
    )


def inputs_of(run) -> dict[str, tuple[str, str, str]]:
    """name -> (digest, source, context) of a run's dataset inputs."""
    found = {}
    for dataset_input in run.inputs.dataset_inputs:
        tags = {tag.key: tag.value for tag in dataset_input.tags}
        dataset = dataset_input.dataset
        found[dataset.name] = (
            dataset.digest,
            dataset.source,
            tags.get("mlflow.data.context"),
        )
    return found


@pytest.fixture(scope="module")
def lineage_project(project: Project, tmp_path_factory) -> Project:
    """A never-run copy of the session's project, in git as baked."""
    return project.fresh_copy(tmp_path_factory.mktemp("lineage") / project.path.name)


@pytest.fixture(scope="module")
def pipeline_runs(lineage_project: Project) -> dict:
    """Two identical training runs, one after a preprocessing parameter
    changed, one with a tracked file edited, and one inference run."""
    project = lineage_project
    project.run("kedro", "run")
    project.run("kedro", "run")
    project.run("kedro", "run", "--params", "reference_date=2025-07-01")
    readme = project.path / "README.md"
    readme.write_text(readme.read_text() + "\nAn uncommitted note.\n")
    project.run("kedro", "run", "--pipelines", "training")
    project.run("python", "scripts/promote.py")
    project.run("kedro", "run", "--pipelines", "inference")
    first, same, changed, dirty, inference = runs(project)
    return {
        "first": first,
        "same": same,
        "changed": changed,
        "dirty": dirty,
        "inference": inference,
    }


def test_training_runs_record_what_the_model_was_fitted_and_measured_on(
    pipeline_runs, lineage_project
):
    recorded = inputs_of(pipeline_runs["first"])
    source = (lineage_project.path / MODEL_INPUT).as_posix()
    assert set(recorded) == {"X_train", "X_test"}
    assert recorded["X_train"][2] == "training"
    assert recorded["X_test"][2] == "evaluation"
    for digest, dataset_source, _ in recorded.values():
        assert digest
        assert source in dataset_source


def test_same_data_gives_same_digests_and_a_parameter_change_does_not(
    pipeline_runs,
):
    first = inputs_of(pipeline_runs["first"])
    same = inputs_of(pipeline_runs["same"])
    changed = inputs_of(pipeline_runs["changed"])
    assert first == same
    assert changed["X_train"][0] != first["X_train"][0]
    assert changed["X_test"][0] != first["X_test"][0]


def test_inference_run_records_what_it_scored(pipeline_runs, lineage_project):
    recorded = inputs_of(pipeline_runs["inference"])
    assert set(recorded) == {"customers_to_score"}
    digest, source, context = recorded["customers_to_score"]
    assert context == "inference"
    assert (lineage_project.path / "data/01_raw/customers.csv").as_posix() in source


def test_runs_carry_commit_dirty_flag_env_and_pipeline(pipeline_runs, lineage_project):
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=lineage_project.path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    clean = pipeline_runs["first"].data.tags
    assert clean["mlflow.source.git.commit"] == head
    assert clean["mlflow.source.git.dirty"] == "false"
    assert "kedro.git.changed_files" not in clean
    assert clean["kedro.env"] == "local"
    assert clean["kedro.pipeline"] == "__default__"
    dirty = pipeline_runs["dirty"].data.tags
    assert dirty["mlflow.source.git.dirty"] == "true"
    assert dirty["kedro.git.changed_files"] == "README.md"
    assert dirty["kedro.pipeline"] == "training"


def test_registered_model_leads_to_its_runs_data_and_metrics(
    pipeline_runs, lineage_project
):
    client = mlflow.MlflowClient(
        f"sqlite:///{(lineage_project.path / 'mlflow.db').as_posix()}"
    )
    champion = client.get_model_version_by_alias(DEFAULT_PACKAGE, "champion")
    run = client.get_run(champion.run_id)
    assert set(inputs_of(run)) == {"X_train", "X_test"}
    assert run.data.metrics["metrics.roc_auc"] > 0.5
    # MLflow 3: the version is made from a logged model, which knows its run
    # and carries the run's metrics.
    assert champion.source.startswith("models:/")
    model = client.get_logged_model(champion.source.removeprefix("models:/"))
    assert model.source_run_id == run.info.run_id
    assert {metric.key for metric in model.metrics} >= {"metrics.roc_auc"}


def test_session_run_in_a_jupyter_kernel_says_which_notebook_and_filters(
    lineage_project,
    kernel_env,  # noqa: F811
    tmp_path,
):
    project = lineage_project
    notebook = "notebooks/explore.ipynb"
    before = {run.info.run_id for run in runs(project)}
    execute(
        project,
        notebook_of_cells(
            "%load_ext kedro.ipython",
            "session.run(pipeline_names=['preprocessing'], "
            "to_outputs=['customer_features'])",
        ),
        tmp_path / "explore.ipynb",
        # What Jupyter Server puts in the environment of a kernel it starts.
        {**kernel_env, "JPY_SESSION_NAME": (project.path / notebook).as_posix()},
    )
    [run] = [run for run in runs(project) if run.info.run_id not in before]
    tags = run.data.tags
    assert tags["kedro.notebook"] == (project.path / notebook).as_posix()
    assert tags["kedro.pipeline"] == "preprocessing"
    assert tags["kedro.to_outputs"] == "customer_features"
    assert tags["kedro.interactive"] == "true"
    assert "mlflow.source.git.commit" in tags


def test_docs_search_runs_example_works_as_printed(pipeline_runs, lineage_project):
    page = (lineage_project.path / "docs" / "tracking.md").read_text()
    section = page.split("## Where did this result come from?")[1]
    code = section.split("```python\n")[1].split("```")[0]
    printed = lineage_project.python(code).stdout
    assert "README.md" in printed  # the changed file of the dirty runs
    champion = {line.split()[0] for line in printed.splitlines()[-2:]}
    assert champion == {"X_train", "X_test"}


# A search by hand on the training rows, as notebook 2 does, then the training
# pipeline: first after a preprocessing parameter changed in between, then on
# the same data.
SEARCH_THEN_TRAIN = [
    "%load_ext kedro.ipython",
    "%reload_kedro --params reference_date=2025-07-01",
    "session.run(pipeline_names=['preprocessing'])",
    """import mlflow
from customer_churn.mlflow_wiring.lineage import compare_inputs, record_input
from customer_churn.pipelines.training.tuning import split_data

def search_run():
    params = context.params
    X_train, _, y_train, _ = split_data(
        catalog.load("model_input_table"),
        params["target"], params["features"], params["split"],
    )
    with mlflow.start_run(run_name="search") as run:
        record_input(context, "X_train", X_train, y_train)
    return mlflow.get_run(run.info.run_id)

first_search = search_run()""",
    "%reload_kedro",
    "session.run(pipeline_names=['__default__'])",
    "training = mlflow.last_active_run()\n"
    "print(compare_inputs(first_search, training, 'X_train'))",
    "print(compare_inputs(search_run(), training, 'X_train'))",
]


def test_notebook_search_and_training_run_compared_from_mlflow(
    lineage_project,
    kernel_env,  # noqa: F811
    tmp_path,
):
    executed = execute(
        lineage_project,
        notebook_of_cells(*SEARCH_THEN_TRAIN),
        tmp_path / "search.ipynb",
        kernel_env,
    )
    changed, same = (
        "".join(output.get("text", "") for output in cell.outputs)
        for cell in executed.cells[-2:]
    )
    assert changed.startswith("DIFFERENT data: run 'search' saw 'X_train'"), changed
    assert "re-run the search" in changed
    assert same.startswith("Same data: runs 'search' and '__default__'"), same


def test_runs_by_hand_in_a_kernel_see_the_code_as_it_is_at_each_cell(
    lineage_project,
    kernel_env,  # noqa: F811
    tmp_path,
):
    project = lineage_project
    before = {run.info.run_id for run in runs(project)}
    execute(
        project,
        notebook_of_cells(
            "%load_ext kedro.ipython",
            "import subprocess\n"
            "import mlflow\n"
            "subprocess.run(['git', '-c', 'user.name=t', '-c', 'user.email=t@t', "
            "'commit', '--allow-empty', '-qam', 'notes'], cwd=context.project_path, check=True)",
            "with mlflow.start_run(run_name='committed'):\n    pass",
            "(context.project_path / 'README.md').write_text('rewritten\\n')",
            "with mlflow.start_run(run_name='edited'):\n    pass",
        ),
        tmp_path / "by-hand.ipynb",
        kernel_env,
    )
    committed, edited = (
        run.data.tags for run in runs(project) if run.info.run_id not in before
    )
    assert committed["mlflow.source.git.dirty"] == "false"
    assert edited["mlflow.source.git.dirty"] == "true"
    assert edited["kedro.git.changed_files"] == "README.md"
    assert committed["mlflow.source.git.commit"] == edited["mlflow.source.git.commit"]
    assert committed["kedro.interactive"] == edited["kedro.interactive"] == "true"
