"""Run the whole default pipeline in a KedroSession, tracked in the test's
throwaway MLflow store (tests/conftest.py), and check what MLflow recorded."""

from pathlib import Path

import mlflow
import pandas as pd
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

PROJECT_PATH = Path(__file__).resolve().parents[1]
EXPERIMENT = "{{ cookiecutter.python_package }}"


def test_default_pipeline_is_tracked(mlflow_store):
    bootstrap_project(PROJECT_PATH)
    with KedroSession.create(project_path=PROJECT_PATH) as session:
        session.run()

    assert mlflow.active_run() is None  # the run was closed
    client = mlflow.MlflowClient(mlflow_store)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "__default__"
    assert run.data.params["hyperparameters.max_depth"] == "None"
    metrics = run.data.metrics
    assert metrics["metrics.roc_auc"] > metrics["metrics.baseline_roc_auc"] + 0.15
    # What the data was like (see pipelines/preprocessing/schema.py).
    assert metrics["data_quality.rows_in"] == 2500
    assert metrics["data_quality.invalid.monthly_fee"] == 0
    assert metrics["data_quality.duplicate_rows"] == 0

    # The inference pipeline, logged and registered as one model that takes
    # raw rows (see pipelines/inference/model.py).
    (version,) = client.search_model_versions(f"name = '{EXPERIMENT}'")
    assert version.run_id == run.info.run_id
    model = mlflow.pyfunc.load_model(f"models:/{EXPERIMENT}/{version.version}")
    raw = pd.read_csv(PROJECT_PATH / "data" / "01_raw" / "customers.csv").head(20)
    raw = raw.drop(columns="churned")
    predictions = model.predict(raw)
    assert predictions["customer_id"].tolist() == raw["customer_id"].tolist()
    assert predictions["churn_probability"].between(0, 1).all()
    plots = [a.path for a in client.list_artifacts(run.info.run_id, "plots")]
    assert plots == ["plots/roc_curve.png"]
    # Beside the test's store, not in the project's mlartifacts/.
    store_folder = Path(mlflow_store.removeprefix("sqlite:///")).parent
    assert store_folder.as_posix() in run.info.artifact_uri
    # A successful run leaves a copy of the store beside it (store.py).
    assert (store_folder / "mlflow.db.backup").is_file()
