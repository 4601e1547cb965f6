"""Slow tier: the model that training logs loads, predicts and serves on raw
rows, outside Kedro, the ways the baked docs/serving.md shows.

One copy of the baked project (same virtualenv) for the module: asking for
predictions before anything is trained, `kedro run`, `scripts/promote.py`,
then `kedro run --pipelines inference`. Servers bind 127.0.0.1 on a free port
and are stopped by the test that starts them.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import textwrap
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from conftest import (
    DEFAULT_PACKAGE,
    Project,
    free_port,
    served,
    warning_lines,
)
from test_project import runs_in

pytestmark = pytest.mark.slow

# The registered model and alias the baked docs/serving.md tells users to load.
CHAMPION = "champion"
CHAMPION_URI = f"models:/{DEFAULT_PACKAGE}@{CHAMPION}"
RAW_FILE = Path("data", "01_raw", "customers.csv")
PREDICTIONS_FILE = Path("data", "07_model_output", "churn_predictions.csv")
SERVER_START_SECONDS = 180

# Raw rows as a caller might send them: categories never seen in training
# ("Platinum", "crypto", "Atlantis"), empty and missing cells, junk text. Alone,
# the schema refuses them; among 20 good rows, they are scored.
ODD_ROWS = pd.DataFrame(
    {
        "customer_id": ["N1", "N2"],
        "signup_date": ["2024-06-01", None],
        "plan": ["Platinum", " basic"],
        "contract": ["month-to-month", None],
        "payment_method": ["crypto", ""],
        "region": ["Atlantis", None],
        "autopay": [None, "maybe"],
        "monthly_fee": ["$2,499.00", None],
        "discount": [None, "abc"],
        "total_spend": [None, "$100.00"],
        "support_tickets": [None, "3"],
        "logins_last_30d": [None, 12],
        "avg_session_minutes": ["oops", None],
    }
)


@dataclass
class Trained:
    """The module's project copy after each step, with what each step printed."""

    project: Project
    before_training: subprocess.CompletedProcess
    promote: subprocess.CompletedProcess
    scoring: subprocess.CompletedProcess

    @property
    def store(self) -> Path:
        return self.project.path / "mlflow.db"

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{self.store.as_posix()}"


@pytest.fixture(scope="module")
def trained(project, tmp_path_factory) -> Trained:
    copy = project.fresh_copy(tmp_path_factory.mktemp("model") / project.path.name)
    before_training = copy.run("kedro", "run", "--pipelines", "inference", check=False)
    copy.run("kedro", "run")
    promote = copy.run("python", "scripts/promote.py")
    scoring = copy.run("kedro", "run", "--pipelines", "inference")
    return Trained(copy, before_training, promote, scoring)


def one_line(result: subprocess.CompletedProcess) -> str:
    """Everything a command printed, with line wrapping undone."""
    return " ".join((result.stdout + result.stderr).split())


# What loading the model prints once per process, before a line of the
# project's code runs (docs/serving.md says why the project cannot prevent
# them): Kedro's logging set-up at its first import, and MLflow's check of
# kedro-mlflow's model class. Each must show exactly once and nothing else may:
# when a release drops one, this test and the docs change together.
LOAD_NOTICES = {
    "Kedro's logging set-up": re.compile(
        r"INFO +Using '\S+/kedro/framework/project/rich_logging\.yml' "
        r"as logging configuration\."
    ),
    "MLflow's type-hint check": re.compile(
        r"WARNING +\S+/mlflow/pyfunc/utils/data_validation\.py:\d+: UserWarning: "
        r"\S*Add type hints to the `predict` method"
    ),
}
# A log record as Kedro's rich handler prints it: [time] LEVEL message, the
# time left blank within the same second; its continuation lines are indented.
RICH_RECORD = re.compile(r" *(\[[^\]]*\])? +(DEBUG|INFO|WARNING|ERROR|CRITICAL) ")
# What MLflow's own commands print besides: their INFO log lines, uvicorn's,
# and the artifact download progress bar. Neither Kedro lines nor warnings.
MLFLOW_CHATTER = re.compile(
    r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d INFO mlflow\.|INFO: |\r|.*Downloading artifacts: "
)


def printed_notices(output: str) -> list[str]:
    """Each log record or warning in `output`, on one line, named after the
    LOAD_NOTICES pattern it matches; MLflow's own chatter left out. The
    caller removes the result's lines first."""
    records: list[str] = []
    for line in output.splitlines():
        if not line.strip() or MLFLOW_CHATTER.match(line):
            continue
        if records and line[:1].isspace() and not RICH_RECORD.match(line):
            records[-1] += " " + line.strip()
        else:
            records.append(line.strip())
    return [
        next((name for name, p in LOAD_NOTICES.items() if p.search(r)), r)
        for r in records
    ]


def valid_rows(trained: Trained, count: int = 20) -> pd.DataFrame:
    """The first `count` rows of the raw file without the target: a batch as
    a caller sends it, with nothing for the schema or MLflow to warn about."""
    raw = pd.read_csv(trained.project.path / RAW_FILE, nrows=count)
    return raw.drop(columns="churned")


def training_run(trained: Trained):
    (run,) = [r for r in runs_in(trained.store) if r.info.run_name == "__default__"]
    return run


def test_scoring_before_training_says_what_to_run(trained):
    assert trained.before_training.returncode != 0
    assert (
        f"No model '{CHAMPION_URI}' in the MLflow registry at "
        f"{trained.tracking_uri}: train one with `kedro run`, then make it the "
        f"{CHAMPION} with `python scripts/promote.py`."
    ) in one_line(trained.before_training)


def test_training_logs_and_registers_one_pipeline_model(trained):
    run = training_run(trained)
    client = mlflow.MlflowClient(trained.tracking_uri)
    (model,) = client.search_logged_models(
        experiment_ids=[run.info.experiment_id],
        filter_string=f"source_run_id = '{run.info.run_id}'",
    )
    assert model.name == "churn_model"

    champion = client.get_model_version_by_alias(DEFAULT_PACKAGE, CHAMPION)
    assert str(champion.version) == "1"
    assert champion.run_id == run.info.run_id
    assert champion.source == f"models:/{model.model_id}"
    assert "is now version 1" in trained.promote.stdout


@pytest.fixture(scope="module")
def python_predictions(trained, tmp_path_factory) -> dict:
    """`mlflow.pyfunc.load_model` on the logged model, in the project's
    virtualenv but outside the project: it must bring its own code."""
    outside = tmp_path_factory.mktemp("outside")
    ODD_ROWS.to_json(outside / "odd.json", orient="split", index=False)
    path = trained.project.path
    run = training_run(trained)
    script = f"""
import json, pickle
import mlflow, numpy as np, pandas as pd

mlflow.set_tracking_uri({trained.tracking_uri!r})
client = mlflow.MlflowClient()
(logged,) = client.search_logged_models(
    experiment_ids=[{run.info.experiment_id!r}],
    filter_string="source_run_id = '{run.info.run_id}'",
)
info = mlflow.models.get_model_info(logged.model_uri)
model = mlflow.pyfunc.load_model(logged.model_uri)
raw = pd.read_csv({str(path / RAW_FILE)!r})
predictions = model.predict(raw)

# What the Kedro pipelines gave on the same rows: `kedro run --pipelines
# inference` (the registered champion), and training's own preprocessing
# output fed to the fitted classifier.
kedro = pd.read_csv({str(path / PREDICTIONS_FILE)!r})
with open({str(path / "data" / "06_models" / "classifier.pkl")!r}, "rb") as file:
    classifier = pickle.load(file)
table = pd.read_parquet(
    {str(path / "data" / "05_model_input" / "model_input_table.parquet")!r}
)
native = classifier.predict_proba(table[classifier.feature_names_in_])[:, 1]

try:
    model.predict(pd.read_json("odd.json", orient="split", dtype=False))
    odd_refused = "no error"
except Exception as error:
    odd_refused = " ".join(str(error).split())
try:
    model.predict(raw.drop(columns=["plan"]))
    missing_column = "no error"
except Exception as error:
    missing_column = str(error)

import {DEFAULT_PACKAGE} as package
print(json.dumps({{
    "signature_inputs": info.signature.inputs.input_names(),
    "has_input_example": info.saved_input_example_info is not None,
    "rows": len(raw),
    "columns": list(predictions.columns),
    "predictions": len(predictions),
    "same_ids": predictions["customer_id"].tolist() == raw["customer_id"].tolist(),
    "vs_kedro_run": float(np.abs(
        predictions["churn_probability"] - kedro["churn_probability"]).max()),
    "same_labels": predictions["predicted_churn"].tolist()
        == kedro["predicted_churn"].tolist(),
    "same_ids_as_kedro_run": kedro["customer_id"].tolist()
        == raw["customer_id"].tolist(),
    "vs_training_classifier": float(np.abs(
        predictions["churn_probability"].to_numpy() - native).max()),
    "odd_refused": odd_refused,
    "missing_column": missing_column,
    "package_from": package.__file__,
}}))
"""
    result = trained.project.python(script, cwd=outside)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_logged_model_has_a_signature_of_raw_columns_and_an_example(
    trained, python_predictions
):
    raw_file = trained.project.path / RAW_FILE
    raw_columns = pd.read_csv(raw_file, nrows=0).columns.tolist()
    assert python_predictions["signature_inputs"] == [
        c for c in raw_columns if c != "churned"
    ]
    assert python_predictions["has_input_example"]


def test_logged_model_predicts_raw_rows_like_the_kedro_pipelines(python_predictions):
    result = python_predictions
    assert result["columns"] == ["customer_id", "churn_probability", "predicted_churn"]
    assert result["predictions"] == result["rows"] == 2500
    assert result["same_ids"]
    assert result["same_ids_as_kedro_run"]
    assert result["vs_kedro_run"] < 1e-12
    assert result["same_labels"]
    assert result["vs_training_classifier"] < 1e-12


def test_logged_model_brings_its_own_code(python_predictions):
    # Loaded outside the project, where the package is not installed: the
    # model's code/ folder provides it.
    assert "/artifacts/code/" in python_predictions["package_from"]


def test_a_batch_over_the_schemas_limits_is_refused_by_column(python_predictions):
    # Two rows: each junk value is half or all of its column's values.
    refused = python_predictions["odd_refused"]
    assert refused.startswith("rows to score: refused, ")
    assert "column autopay: 1 of 1 values (100%) are not yes or no" in refused


def test_a_missing_column_is_refused_by_name(python_predictions):
    assert "Model is missing inputs ['plan']" in python_predictions["missing_column"]


def test_inference_pipeline_scores_every_row_in_one_quiet_run(trained):
    predictions = pd.read_csv(trained.project.path / PREDICTIONS_FILE)
    assert len(predictions) == 2500
    assert [r.info.run_name for r in runs_in(trained.store)] == [
        "inference",
        "__default__",
        "inference",
    ]
    assert runs_in(trained.store)[0].info.status == "FINISHED"
    assert not warning_lines(trained.scoring)


QUIET_PYFUNC = """
import mlflow, pandas as pd

model = mlflow.pyfunc.load_model({uri!r})
print(model.predict(pd.read_csv("rows.csv")).to_csv(index=False), end="")
"""


def quiet_kedro_config(trained: Trained) -> str:
    """The logging configuration docs/serving.md offers for KEDRO_LOGGING_CONFIG."""
    docs = (trained.project.path / "docs" / "serving.md").read_text()
    (block,) = re.findall(r"```yaml\n(.*?)```", docs, flags=re.DOTALL)
    return textwrap.dedent(block)


@pytest.mark.parametrize(
    "kedro_logging_config, notices",
    [
        ("", list(LOAD_NOTICES)),
        ("quiet_kedro.yml", ["MLflow's type-hint check"]),
    ],
    ids=["as-is", "KEDRO_LOGGING_CONFIG"],
)
def test_pyfunc_prints_the_result_and_only_the_known_load_notices(
    trained, tmp_path, kedro_logging_config, notices
):
    # A fresh Python process, outside the project, as docs/serving.md shows.
    rows = valid_rows(trained)
    rows.to_csv(tmp_path / "rows.csv", index=False)
    (tmp_path / "quiet_kedro.yml").write_text(quiet_kedro_config(trained))
    result = trained.project.python(
        QUIET_PYFUNC.format(uri=CHAMPION_URI),
        cwd=tmp_path,
        MLFLOW_TRACKING_URI=trained.tracking_uri,
        KEDRO_LOGGING_CONFIG=kedro_logging_config,
        COLUMNS="1000",
    )
    printed, predictions = result.stdout.split("customer_id,", 1)
    answer = pd.read_csv(io.StringIO("customer_id," + predictions))
    assert answer["customer_id"].tolist() == rows["customer_id"].tolist()
    assert printed_notices(printed + result.stderr) == notices


def test_mlflow_models_predict_prints_only_the_known_load_notices(trained, tmp_path):
    rows = valid_rows(trained)
    rows.to_csv(tmp_path / "rows.csv", index=False)
    result = trained.project.run(
        "mlflow", "models", "predict", "-m", CHAMPION_URI, "--env-manager", "local",
        "-t", "csv", "-i", "rows.csv",
        cwd=tmp_path, MLFLOW_TRACKING_URI=trained.tracking_uri, COLUMNS="1000",
    )  # fmt: skip
    # Without -o, the predictions are the last line of standard output.
    printed, answer = result.stdout.rstrip("\n").rsplit("\n", 1)
    predictions = json.loads(answer)["predictions"]
    assert [p["customer_id"] for p in predictions] == rows["customer_id"].tolist()
    assert printed_notices(printed + "\n" + result.stderr) == list(LOAD_NOTICES)


def test_promote_refuses_a_version_that_does_not_exist(trained):
    result = trained.project.run(
        "python", "scripts/promote.py", "--version", "9", check=False
    )
    assert result.returncode != 0
    assert f"'{DEFAULT_PACKAGE}' has no version 9; it has [1]." in one_line(result)


def raw_rows(trained: Trained, count: int) -> pd.DataFrame:
    """The first `count` rows of the raw file, as read by pandas, then ODD_ROWS
    (a junk value or two per column: under the schema's limits)."""
    raw = pd.read_csv(trained.project.path / RAW_FILE, nrows=count)
    return pd.concat([raw.drop(columns="churned"), ODD_ROWS], ignore_index=True)


def test_mlflow_models_predict_on_a_csv_of_raw_rows(trained, tmp_path):
    rows = raw_rows(trained, 40)
    rows.to_csv(tmp_path / "rows.csv", index=False)
    trained.project.run(
        "mlflow", "models", "predict", "-m", CHAMPION_URI, "--env-manager", "local",
        "-t", "csv", "-i", "rows.csv", "-o", "predictions.json",
        cwd=tmp_path, MLFLOW_TRACKING_URI=trained.tracking_uri,
    )  # fmt: skip
    predictions = json.loads((tmp_path / "predictions.json").read_text())
    assert len(predictions["predictions"]) == len(rows) == 42


def request(url: str, body: dict | None = None) -> tuple[int, dict | str]:
    """GET (or POST `body` as JSON): the status and the decoded answer."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    try:
        return status, json.loads(text)
    except json.JSONDecodeError:
        return status, text


def dataframe_split(rows: pd.DataFrame) -> dict:
    """MLflow's JSON request body, with missing values as null."""
    cells = rows.astype(object).where(rows.notna(), None)
    return {
        "dataframe_split": {
            "columns": list(rows.columns),
            "data": cells.to_numpy().tolist(),
        }
    }


def logged_after(log: Path, before: str, line: str, seconds: float = 10) -> str:
    """What the server has logged since `before`, once it holds `line` (the
    access log line may be written just after the answer is sent)."""
    deadline = time.monotonic() + seconds
    while line not in (logged := log.read_text().removeprefix(before)):
        assert time.monotonic() < deadline, logged
        time.sleep(0.2)
    return logged


def test_mlflow_models_serve_answers_raw_rows(trained, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with served(
        [
            str(trained.project.bin / "mlflow"), "models", "serve",
            "-m", CHAMPION_URI, "--env-manager", "local",
            "--host", "127.0.0.1", "--port", str(port),
        ],
        f"{url}/ping",
        tmp_path / "serve.log",
        SERVER_START_SECONDS,
        cwd=tmp_path,
        env=trained.project.env(
            MLFLOW_TRACKING_URI=trained.tracking_uri, COLUMNS="1000"
        ),
    ):  # fmt: skip
        started = (tmp_path / "serve.log").read_text()
        assert printed_notices(started) == list(LOAD_NOTICES)

        # A valid batch: the answer, and nothing in the log but its access line.
        valid = valid_rows(trained)
        status, answer = request(f"{url}/invocations", dataframe_split(valid))
        assert status == 200, answer
        assert len(answer["predictions"]) == len(valid)
        answered = logged_after(tmp_path / "serve.log", started, "POST /invocations")
        assert re.fullmatch(
            r'INFO: +127\.0\.0\.1:\d+ - "POST /invocations HTTP/1\.1" 200 OK\n',
            answered,
        ), answered

        rows = raw_rows(trained, 20)
        started = (tmp_path / "serve.log").read_text()
        status, answer = request(f"{url}/invocations", dataframe_split(rows))
        assert status == 200, answer
        predictions = answer["predictions"]
        assert [p["customer_id"] for p in predictions] == rows["customer_id"].tolist()
        assert all(0 <= p["churn_probability"] <= 1 for p in predictions)
        # A request prints the access log line, and no Kedro line per dataset
        # or node (only the schema's warnings: these rows hold a little junk).
        answered = logged_after(tmp_path / "serve.log", started, "POST /invocations")
        assert "Loading data from" not in answered
        assert "Running node" not in answered

        # Rows over the schema's limits are refused; the reason ends the trace.
        status, answer = request(f"{url}/invocations", dataframe_split(ODD_ROWS))
        assert status == 400
        reason = answer["stack_trace"].split("DataQualityError: ")[-1]
        assert reason.startswith("rows to score: refused, 6 problems:")
        assert "column autopay: 1 of 1 values (100%) are not yes or no" in reason

        # A row without most columns is refused by name; the server goes on.
        status, answer = request(
            f"{url}/invocations", {"dataframe_records": [{"customer_id": "N3"}]}
        )
        assert status == 400
        assert "Model is missing inputs ['signup_date', " in answer["message"]
        assert request(f"{url}/ping")[0] == 200
