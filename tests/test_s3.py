"""Slow tier: the team's server keeps artifacts in S3-compatible object storage.

A real S3 endpoint, `moto_server`, listens on a free port of 127.0.0.1; the
baked project's scripts/tracking_server.sh serves runs from PostgreSQL and
artifacts from a bucket there, with basic authentication. The endpoint and
its keys are given to the server only: the project's commands run with a
tracking login and no AWS_* variable (and the project's virtualenv has no
S3 client at all), so every artifact goes through the server (proxied
artifacts). The bucket is listed with boto3 to see where things went.
"""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import (
    DEFAULT_PACKAGE,
    OUTPUTS,
    clean_env,
    free_port,
    make_venv,
    served,
    start_serving,
    stop_process_group,
)
from test_model import CHAMPION_URI, dataframe_split, request
from test_server import (
    EXPERIMENT,
    AuthServer,
    assert_no_tracking_files_in,
    client_for,
    credentials,
    kedro_run,
    local_files,
    output,
    start_auth_server,
    team_project,  # noqa: F401 (a fixture of this module too)
)

pytestmark = pytest.mark.slow

BUCKET = "team-artifacts"
PREFIX = "mlflow"
REGION = "us-east-1"


@dataclass
class S3:
    endpoint: str
    key_id: str
    secret: str

    def client(self):
        import boto3  # noqa: PLC0415 (slow tier only)

        # Keys given here, never through this process's environment, which
        # the project's commands inherit.
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.key_id,
            aws_secret_access_key=self.secret,
            region_name=REGION,
        )

    def keys(self, prefix: str = "") -> set[str]:
        pages = self.client().get_paginator("list_objects_v2")
        return {
            item["Key"]
            for page in pages.paginate(Bucket=BUCKET, Prefix=prefix)
            for item in page.get("Contents", [])
        }

    def server_env(self) -> dict[str, str]:
        """What tracking_server.sh is given to keep artifacts in the bucket."""
        return {
            "MLFLOW_ARTIFACTS_DESTINATION": f"s3://{BUCKET}/{PREFIX}",
            "MLFLOW_S3_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret,
            "AWS_DEFAULT_REGION": REGION,
        }


@pytest.fixture(scope="module")
def s3(tmp_path_factory) -> Iterator[S3]:
    """moto's S3 server on a free port of 127.0.0.1, with one empty bucket."""
    moto_server = Path(sys.executable).parent / "moto_server"
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    process, _ = start_serving(
        [str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
        f"{endpoint}/moto-api/data.json",
        tmp_path_factory.mktemp("moto") / "moto.log",
        120,
        env=clean_env(),
    )
    try:
        store = S3(
            endpoint, f"AKIA{secrets.token_hex(8).upper()}", secrets.token_hex(20)
        )
        store.client().create_bucket(Bucket=BUCKET)
        yield store
    finally:
        stop_process_group(process)


@pytest.fixture(scope="module")
def s3_server_venv(tmp_path_factory, project_venv) -> Path:
    """What a team installs on a server with S3 artifacts: boto3 besides."""
    (dist,) = project_venv.glob("lib/python*/site-packages/mlflow-[0-9]*.dist-info")
    version = dist.name.removeprefix("mlflow-").removesuffix(".dist-info")
    venv = tmp_path_factory.mktemp("s3-server") / "venv"
    return make_venv(venv, f"mlflow[auth]=={version}", "psycopg[binary]", "boto3")


@pytest.fixture(scope="module")
def s3_server(
    team_project,  # noqa: F811 (the fixture imported above)
    s3_server_venv,
    postgres,
    s3,
    tmp_path_factory,
) -> Iterator[AuthServer]:
    """`tracking_server.sh --auth`: runs in PostgreSQL, users in the default
    basic_auth.db, artifacts in the bucket; a login for one teammate."""
    with start_auth_server(
        team_project,
        s3_server_venv,
        tmp_path_factory.mktemp("s3-server-home"),
        postgres.uri("tracking"),
        **s3.server_env(),
    ) as server:
        yield server


def secrets_of(server: AuthServer, db_password: str, s3: S3) -> dict[str, str]:
    return {
        "database password": db_password,
        "S3 secret key": s3.secret,
        "admin password": server.admin_password,
        "teammate's password": server.password,
    }


def command_lines() -> dict[int, str]:
    """Every process's command line, as `ps` shows it to every local user."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                raw = (entry / "cmdline").read_bytes()
            except OSError:  # ended meanwhile
                continue
            found[int(entry.name)] = raw.replace(b"\0", b" ").decode(errors="replace")
    return found


# --- Tests --------------------------------------------------------------------


def test_team_workflow_keeps_artifacts_and_models_in_the_bucket(
    team_project,  # noqa: F811
    s3_server,
    s3,
    tmp_path,
    monkeypatch,
):
    project, server = team_project, s3_server
    # The project's commands inherit this process's environment: none of AWS's.
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    assert not [name for name in project.env() if name.startswith("AWS_")]
    # No S3 client: anything the project stores must go through the server.
    assert project.python("import boto3", check=False).returncode != 0

    before = local_files(project)
    with credentials(project, server.user, server.password):
        trained = kedro_run(project, server.url)
        assert trained.returncode == 0, output(trained)
        promoted = project.run(
            "python", "scripts/promote.py", "--env", "server", check=False,
            MLFLOW_TRACKING_URI=server.url,
        )  # fmt: skip
        assert promoted.returncode == 0, output(promoted)
        scored = kedro_run(project, server.url, "--pipelines", "inference")
        assert scored.returncode == 0, output(scored)
    assert (
        project.path / "data" / "07_model_output" / "churn_predictions.csv"
    ).is_file()

    # mlflow models serve loads the champion through the server, with only a login.
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    login = {
        "MLFLOW_TRACKING_URI": server.url,
        "MLFLOW_TRACKING_USERNAME": server.user,
        "MLFLOW_TRACKING_PASSWORD": server.password,
    }
    with served(
        [
            str(project.bin / "mlflow"), "models", "serve", "-m", CHAMPION_URI,
            "--env-manager", "local", "--host", "127.0.0.1", "--port", str(port),
        ],
        f"{url}/ping",
        tmp_path / "serve.log",
        300,
        cwd=tmp_path,
        env=project.env(**login),
    ):  # fmt: skip
        rows = pd.read_csv(project.path / "data" / "01_raw" / "customers.csv", nrows=5)
        status, answer = request(f"{url}/invocations", dataframe_split(rows))
        assert status == 200, answer
        assert len(answer["predictions"]) == 5

    # Everything the run and the model wrote is in the bucket.
    with client_for(server, server.user, server.password) as client:
        experiment = client.get_experiment_by_name(EXPERIMENT)
        champion = client.get_model_version_by_alias(DEFAULT_PACKAGE, "champion")
        run = client.get_run(champion.run_id)
    assert run.info.status == "FINISHED"
    exp = experiment.experiment_id
    keys = s3.keys(f"{PREFIX}/")
    assert f"{PREFIX}/{exp}/{run.info.run_id}/artifacts/plots/roc_curve.png" in keys
    model_id = champion.source.removeprefix("models:/")
    model_files = {
        key.rsplit("/artifacts/", 1)[1]
        for key in keys
        if key.startswith(f"{PREFIX}/{exp}/models/{model_id}/artifacts/")
    }
    assert "MLmodel" in model_files, sorted(keys)

    # Nothing of it on this machine: no store, no artifacts, in the project or
    # the server's folder (the models' files are only in the bucket).
    assert_no_tracking_files_in(project, before)
    assert not (project.path / "mlflow.db").exists()
    assert not (project.path / "mlartifacts").exists()
    assert not (server.artifacts).exists()
    assert not (tmp_path / "mlruns").exists()


def test_no_secret_on_any_command_line_or_in_the_server_log(
    s3_server,
    s3,
    postgres,
):
    hidden = secrets_of(s3_server, postgres.password, s3)
    server_processes = 0
    for pid, line in command_lines().items():
        server_processes += "mlflow" in line and "server" in line
        for what, secret in hidden.items():
            assert secret not in line, f"the {what} is on process {pid}'s command line"
    assert server_processes, "no mlflow server process found"
    log = s3_server.log.read_text()
    for what, secret in hidden.items():
        assert secret not in log, f"the {what} is in the server's output"


def test_the_server_files_are_its_users_only(s3_server):
    home = s3_server.log.parent
    for name in ("basic_auth.ini", "basic_auth.db"):
        mode = stat.S_IMODE((home / name).stat().st_mode)
        assert mode & 0o077 == 0, f"{name} is {mode:o}"


def test_help_prints_no_secret(team_project, s3, postgres):  # noqa: F811
    result = subprocess.run(
        ["bash", str(team_project.path / "scripts" / "tracking_server.sh"), "--help"],
        capture_output=True,
        text=True,
        env=clean_env(
            MLFLOW_BACKEND_STORE_URI=postgres.uri("tracking"),
            MLFLOW_AUTH_ADMIN_PASSWORD="admin-" + postgres.password,
            **s3.server_env(),
        ),
        check=True,
    )
    assert "MLFLOW_S3_ENDPOINT_URL" in result.stdout
    for secret in (postgres.password, s3.secret, s3.key_id):
        assert secret not in result.stdout + result.stderr


def test_s3_destination_without_boto3_fails_at_once_naming_it(
    team_project,  # noqa: F811
    tmp_path,
):
    # The project's virtualenv has mlflow but no boto3.
    result = subprocess.run(
        ["bash", str(team_project.path / "scripts" / "tracking_server.sh")],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(
            team_project.venv,
            MLFLOW_BACKEND_STORE_URI="postgresql+psycopg://mlflow:pw@127.0.0.1:1/mlflow",
            MLFLOW_SERVER_HOME=str(tmp_path),
            MLFLOW_ARTIFACTS_DESTINATION=f"s3://{BUCKET}/{PREFIX}",
        ),
    )
    assert result.returncode == 2
    assert "pip install boto3" in result.stderr


def test_docker_compose_passes_object_storage_to_the_server_only(team_project):  # noqa: F811
    compose = yaml.safe_load((team_project.path / "docker-compose.yml").read_text())
    mlflow = compose["services"]["mlflow"]
    assert "boto3" in mlflow["build"]["dockerfile_inline"]
    environment = mlflow["environment"]
    # No value: taken from the shell that runs `docker compose` when set there.
    for name in (
        "MLFLOW_S3_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ):
        assert environment[name] is None
    assert "MLFLOW_ARTIFACTS_DESTINATION" in environment
    assert not any(
        name.startswith(("AWS_", "MLFLOW_S3"))
        for name in compose["services"]["postgres"].get("environment", {})
    )


def test_no_secret_in_any_output_of_the_session(s3_server, s3, postgres):
    # Last: every command Project.run ran so far (this module's kedro runs,
    # promote.py, inference), and the servers' logs.
    hidden = secrets_of(s3_server, postgres.password, s3)
    assert OUTPUTS
    for text in [*OUTPUTS, s3_server.log.read_text()]:
        leaked = [what for what, secret in hidden.items() if secret in text]
        assert not leaked, text[:2000]
