#!/usr/bin/env bash
# Bakes a project from this template into ./demo, installs it in its own
# virtualenv, runs its pipelines with MLflow tracking on the embedded SQLite
# store, and says where to look. Run again to start over.
set -euo pipefail
template=$(cd "$(dirname "$0")/.." && pwd)
demo=${1:-$template/demo}
export KEDRO_DISABLE_TELEMETRY=true DO_NOT_TRACK=1 MLFLOW_DISABLE_TELEMETRY=true

rm -rf "$demo"
mkdir -p "$demo"
python3 -m venv "$demo/.venv"
"$demo/.venv/bin/python" -m pip install -q --disable-pip-version-check uv
"$demo/.venv/bin/uv" pip install -q -p "$demo/.venv/bin/python" "cookiecutter>=2.6,<3"

"$demo/.venv/bin/cookiecutter" --no-input --output-dir "$demo" "$template"
project="$demo/customer-churn"
"$demo/.venv/bin/uv" pip install -q -p "$demo/.venv/bin/python" -r "$project/requirements.txt"

cd "$project"
"$demo/.venv/bin/kedro" run
"$demo/.venv/bin/python" - <<'PY'
import mlflow

client = mlflow.MlflowClient("sqlite:///mlflow.db")
experiment = client.get_experiment_by_name("customer_churn")
for run in client.search_runs([experiment.experiment_id]):
    metrics = ", ".join(f"{k}={v:.3f}" for k, v in sorted(run.data.metrics.items()))
    print(f"run {run.info.run_name!r} {run.info.status}: {metrics}")
PY
# kedro-mlflow starts `mlflow` from PATH: the command activates the venv, so
# that it works pasted into a new shell; paths are quoted for that shell.
ui="cd $(printf %q "$project") && . $(printf %q "$demo/.venv/bin/activate") && kedro mlflow ui"
cat <<MSG

The project is in $project
Runs are recorded in $project/mlflow.db, artifacts in $project/mlartifacts/.
Browse them in the MLflow UI: start it, in any shell, with the command below,
then open http://127.0.0.1:5000/#/experiments/1/runs?workflowType=machine_learning
(the runs of customer_churn):
  $ui
MSG
