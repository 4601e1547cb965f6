"""Slow tier: the baked project on a team's MLflow tracking server, for real.

A throwaway PostgreSQL cluster and `mlflow server`, started by the baked
project's own scripts/tracking_server.sh, listen on free ports of 127.0.0.1
for this module only; the module stops them. The server has a virtualenv of
its own with what the baked docs/team-server.md tells a team to install
(mlflow[auth], psycopg).
Runs are read back from the server through MlflowClient.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import (
    DEFAULT_PACKAGE,
    OUTPUTS,
    Project,
    clean_env,
    commit_to_git,
    free_port,
    make_venv,
    start_serving,
    stop_process_group,
)

pytestmark = pytest.mark.slow

EXPERIMENT = DEFAULT_PACKAGE  # conf/base/mlflow.yml names it after the package
FAIL_FAST_SECONDS = 60  # the bound for a run against an unusable server


# --- MLflow tracking servers ------------------------------------------------


@pytest.fixture(scope="module")
def server_venv(tmp_path_factory, project_venv) -> Path:
    """What a team installs on its server, with the project's MLflow version."""
    (dist,) = project_venv.glob("lib/python*/site-packages/mlflow-[0-9]*.dist-info")
    version = dist.name.removeprefix("mlflow-").removesuffix(".dist-info")
    venv = tmp_path_factory.mktemp("server") / "venv"
    return make_venv(venv, f"mlflow[auth]=={version}", "psycopg[binary]")


@dataclass
class Server:
    url: str
    artifacts: Path
    log: Path
    process: subprocess.Popen

    def artifact_path(self, uri: str) -> Path:
        """Where the server keeps an artifact it serves as mlflow-artifacts:/..."""
        assert uri.startswith("mlflow-artifacts:/"), uri
        return self.artifacts / uri.removeprefix("mlflow-artifacts:/")

    def stop(self) -> None:
        # The script execs `mlflow server`, which leads its own process group
        # (start_new_session) with its uvicorn workers.
        stop_process_group(self.process, timeout=30)


def start_server(
    project: Project, venv: Path, home: Path, store_uri: str, *args: str, **env: str
) -> Server:
    """Start the baked project's scripts/tracking_server.sh and wait until it serves."""
    port = free_port()
    server_env = clean_env(
        venv,
        MLFLOW_BACKEND_STORE_URI=store_uri,
        MLFLOW_PORT=str(port),
        MLFLOW_SERVER_HOME=str(home),
        **env,
    )
    url = f"http://127.0.0.1:{port}"
    log = home / "server.log"
    home.mkdir(parents=True, exist_ok=True)
    process, _ = start_serving(
        ["bash", str(project.path / "scripts" / "tracking_server.sh"), *args],
        f"{url}/health",
        log,
        300,
        env=server_env,
    )
    return Server(url, home / "artifacts", log, process)


@pytest.fixture(scope="module")
def team_project(bake, project_venv) -> Project:
    """This module's own bake of the default project, in git like a user's.

    Its own, so that the credentials files written here never touch the
    session's shared project; the virtualenv is the shared one.
    """
    return Project(path=commit_to_git(bake()), venv=project_venv)


@pytest.fixture(scope="module")
def server(team_project, server_venv, postgres, tmp_path_factory) -> Iterator[Server]:
    """A server without authentication, as `tracking_server.sh` starts it."""
    running = start_server(
        team_project,
        server_venv,
        tmp_path_factory.mktemp("open-server"),
        postgres.uri("tracking"),
    )
    yield running
    running.stop()


@dataclass
class AuthServer(Server):
    admin_password: str = ""
    user: str = "alice"
    password: str = ""

    def create_user(self, name: str, password: str) -> None:
        """What the admin does for each teammate (docs/team-server.md does it in Python)."""
        login = base64.b64encode(f"admin:{self.admin_password}".encode()).decode()
        request = urllib.request.Request(
            f"{self.url}/api/2.0/mlflow/users/create",
            data=json.dumps({"username": name, "password": password}).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Basic {login}",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200


@pytest.fixture(scope="module")
def auth_server(
    team_project, server_venv, postgres, tmp_path_factory
) -> Iterator[AuthServer]:
    """`tracking_server.sh --auth`, users in a PostgreSQL database of their own,
    and a login for one teammate made by the admin."""
    with start_auth_server(
        team_project,
        server_venv,
        tmp_path_factory.mktemp("auth-server"),
        postgres.uri("team"),
        MLFLOW_AUTH_DATABASE_URI=postgres.uri("team_auth"),
    ) as server:
        yield server


@contextmanager
def start_auth_server(
    project: Project, venv: Path, home: Path, store_uri: str, **env: str
) -> Iterator[AuthServer]:
    """start_server with `--auth` and a new admin password; a login for one
    teammate made by the admin. Stopped on leaving."""
    admin_password = secrets.token_urlsafe(16)
    running = start_server(
        project,
        venv,
        home,
        store_uri,
        "--auth",
        MLFLOW_AUTH_ADMIN_PASSWORD=admin_password,
        **env,
    )
    try:
        server = AuthServer(
            **vars(running),
            admin_password=admin_password,
            password=secrets.token_urlsafe(16),
        )
        server.create_user(server.user, server.password)
        yield server
    finally:
        running.stop()


# --- Reading back and checking ----------------------------------------------


@contextmanager
def client_for(server: Server, user: str = "", password: str = "") -> Iterator:
    """An MlflowClient of the server, logged in as `user` for the duration."""
    from mlflow import MlflowClient  # noqa: PLC0415 (heavy: imported when needed)

    names = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")
    saved = {name: os.environ.pop(name, None) for name in names}
    if user:
        os.environ.update(zip(names, (user, password), strict=True))
    try:
        yield MlflowClient(tracking_uri=server.url)
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value


def runs_of(client) -> dict:
    experiment = client.get_experiment_by_name(EXPERIMENT)
    if experiment is None:
        return {}
    return {r.info.run_id: r for r in client.search_runs([experiment.experiment_id])}


def local_files(project: Project) -> set[str]:
    """Every file of the project but git's and Python's caches."""
    return {
        p.relative_to(project.path).as_posix()
        for p in project.path.rglob("*")
        if p.is_file() and not {".git", "__pycache__"} & set(p.parts)
    }


def hyperparameters(project: Project) -> dict:
    parameters = project.path / "conf" / "base" / "parameters_training.yml"
    return yaml.safe_load(parameters.read_text())["hyperparameters"]


def assert_complete_run(client, server: Server, run, params: dict) -> None:
    """A finished `kedro run`: its parameters, metrics, plot and model, with
    the artifacts on the server's side."""
    assert run.info.status == "FINISHED"
    for name, value in params.items():
        assert run.data.params[f"hyperparameters.{name}"] == str(value)
    assert run.data.metrics, "no metrics logged"
    # The model's metrics, and the counts of the data it saw (data_quality.*)
    assert all(
        name.startswith(("metrics.", "data_quality.")) for name in run.data.metrics
    )
    assert any(name.startswith("metrics.") for name in run.data.metrics)

    run_id = run.info.run_id
    assert run.info.artifact_uri.startswith("mlflow-artifacts:/"), run.info.artifact_uri
    plots = [a.path for a in client.list_artifacts(run_id, "plots")]
    assert plots == ["plots/roc_curve.png"]
    plot = server.artifact_path(run.info.artifact_uri) / "plots" / "roc_curve.png"
    assert plot.read_bytes().startswith(b"\x89PNG")

    models = client.search_logged_models(
        experiment_ids=[run.info.experiment_id],
        filter_string=f"source_run_id = '{run_id}'",
    )
    assert models, "no model logged"
    for model in models:
        assert (server.artifact_path(model.artifact_location) / "MLmodel").is_file()


def assert_no_tracking_files_in(project: Project, before: set[str]) -> None:
    """A run on a server writes its data/ outputs, and the lock file that keeps
    two runs of the project apart (mlflow_wiring/run.py), and nothing else locally."""
    new = local_files(project) - before - {".kedro-run.lock"}
    assert {name for name in new if not name.startswith("data/")} == set()


@contextmanager
def credentials(project: Project, user: str, password: str) -> Iterator[Path]:
    """conf/local/credentials.yml as docs/team-server.md shows it, removed afterwards."""
    path = project.path / "conf" / "local" / "credentials.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "mlflow_tracking_server": {
                    "MLFLOW_TRACKING_USERNAME": user,
                    "MLFLOW_TRACKING_PASSWORD": password,
                }
            }
        )
    )
    try:
        yield path
    finally:
        path.unlink()


def kedro_run(project: Project, url: str, *args: str, **kwargs):
    return project.run(
        "kedro",
        "run",
        "--env",
        "server",
        *args,
        check=False,
        MLFLOW_TRACKING_URI=url,
        **kwargs,
    )


def output(result: subprocess.CompletedProcess) -> str:
    return f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


# --- Tests --------------------------------------------------------------------


def test_kedro_run_env_server_records_one_complete_run(team_project, server):
    with client_for(server) as client:
        before_runs, before_files = runs_of(client), local_files(team_project)
        result = kedro_run(team_project, server.url)
        assert result.returncode == 0, output(result)

        new = [
            run for run_id, run in runs_of(client).items() if run_id not in before_runs
        ]
        assert len(new) == 1, f"{len(new)} new runs"
        assert_complete_run(client, server, new[0], hyperparameters(team_project))
        experiment = client.get_experiment_by_name(EXPERIMENT)
        assert experiment.artifact_location.startswith("mlflow-artifacts:/")
    assert_no_tracking_files_in(team_project, before_files)


def test_two_runs_at_once_are_both_recorded_whole(team_project, server, bake):
    # Two teammates: two copies of the project, one server.
    teammate = Project(path=bake(), venv=team_project.venv)
    depths = [(team_project, 4), (teammate, 6)]
    with client_for(server) as client:
        before = runs_of(client)
        processes = [
            subprocess.Popen(
                [
                    str(project.bin / "kedro"),
                    *("run", "--env", "server"),
                    *("--params", f"hyperparameters.max_depth={depth}"),
                ],
                cwd=project.path,
                env=project.env(MLFLOW_TRACKING_URI=server.url),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for project, depth in depths
        ]
        for process in processes:
            stdout, stderr = process.communicate(timeout=900)
            assert process.returncode == 0, (
                f"--- stdout\n{stdout}\n--- stderr\n{stderr}"
            )

        new = [run for run_id, run in runs_of(client).items() if run_id not in before]
        assert len(new) == 2, f"{len(new)} new runs"
        by_depth = {run.data.params["hyperparameters.max_depth"]: run for run in new}
        assert set(by_depth) == {"4", "6"}
        for project, depth in depths:
            expected = {**hyperparameters(project), "max_depth": depth}
            assert_complete_run(client, server, by_depth[str(depth)], expected)
        # They did run at the same time.
        first, second = sorted(new, key=lambda run: run.info.start_time)
        assert second.info.start_time < first.info.end_time


def with_login(url: str, user: str, password: str) -> str:
    return url.replace("://", f"://{user}:{password}@", 1)


# MLFLOW_TRACKING_URI is set where Jupyter starts (`%env` would echo it).
NOTEBOOK_WITH_LOGIN = """
%reload_kedro --env server
session.run(pipeline_names=["training"])
"""


def test_a_password_in_the_uri_is_printed_nowhere(team_project, auth_server, tmp_path):
    # Before test_basic_auth_takes_the_login_from_local_credentials, so that the
    # registry is still empty here and the errors of an empty one are seen too.
    server = auth_server
    url = with_login(server.url, server.user, server.password)

    def run(*args: str, **env: str) -> subprocess.CompletedProcess:
        result = team_project.run(*args, check=False, MLFLOW_TRACKING_URI=url, **env)
        assert server.password not in result.stdout + result.stderr, output(result)
        return result

    with client_for(server, "admin", server.admin_password) as client:
        empty = not client.search_model_versions(f"name = '{DEFAULT_PACKAGE}'")
    if empty:
        promoted = run("python", "scripts/promote.py", "--env", "server")
        assert f"in the registry at {server.url}: train one" in promoted.stderr, output(
            promoted
        )
    scored = run("kedro", "run", "--env", "server", "--pipelines", "inference")
    assert scored.returncode != 0
    assert f"in the MLflow registry at {server.url}: " in output(scored)

    trained = run("kedro", "run", "--env", "server")
    assert trained.returncode == 0, output(trained)
    # MLflow's own line, with the server's URL and without the login.
    assert f"View run __default__ at: {server.url}/#/experiments/" in trained.stdout
    promoted = run("python", "scripts/promote.py", "--env", "server")
    assert promoted.returncode == 0, output(promoted)
    scored = run("kedro", "run", "--env", "server", "--pipelines", "inference")
    assert scored.returncode == 0, output(scored)
    notebook = run("kedro", "ipython", "-c", NOTEBOOK_WITH_LOGIN)
    assert f" at: {server.url}/#/experiments/" in notebook.stdout, output(notebook)

    # `kedro mlflow ui` opens the server in a browser: here, a script.
    opened, browser = tmp_path / "opened", tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    ui = run("kedro", "mlflow", "ui", "--env", "server", BROWSER=str(browser))
    assert ui.returncode == 0, output(ui)
    deadline = time.monotonic() + 30  # webbrowser may start it in the background
    while not opened.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert opened.read_text().strip() == server.url


def test_basic_auth_takes_the_login_from_local_credentials(team_project, auth_server):
    server = auth_server
    with credentials(team_project, server.user, server.password):
        with client_for(server, "admin", server.admin_password) as client:
            before = runs_of(client)
            result = kedro_run(team_project, server.url)
            assert result.returncode == 0, output(result)
            new = [
                run for run_id, run in runs_of(client).items() if run_id not in before
            ]
            assert len(new) == 1, f"{len(new)} new runs"
            (run,) = new
            assert_complete_run(client, server, run, hyperparameters(team_project))

    # The password is nowhere: not in the output, the run, nor the server's log.
    recorded = [*run.data.params.values(), *run.data.tags.values()]
    assert not [value for value in recorded if server.password in value]
    assert server.password not in result.stdout + result.stderr
    assert server.password not in server.log.read_text()


def test_basic_auth_refuses_a_wrong_password_fast_and_clearly(
    team_project, auth_server
):
    server = auth_server
    wrong = secrets.token_urlsafe(16)
    before = local_files(team_project)
    with credentials(team_project, server.user, wrong):
        with client_for(server, "admin", server.admin_password) as client:
            runs_before = runs_of(client)
            start = time.monotonic()
            result = kedro_run(team_project, server.url)
            elapsed = time.monotonic() - start
            assert runs_of(client).keys() == runs_before.keys()

    assert result.returncode != 0
    assert elapsed < FAIL_FAST_SECONDS
    assert (
        f"Error: The MLflow tracking server at {server.url} refused the credentials "
        "(HTTP 401)"
    ) in result.stderr, output(result)
    assert "Traceback" not in result.stderr
    assert wrong not in result.stdout + result.stderr
    assert local_files(team_project) == before


def test_basic_auth_lets_teammates_log_to_each_others_experiments(auth_server):
    # tracking_server.sh's default permission (EDIT): a team shares experiments
    # and registered models.
    server = auth_server
    bob_password = secrets.token_urlsafe(16)
    server.create_user("bob", bob_password)
    shared = f"shared-{secrets.token_hex(4)}"
    with client_for(server, server.user, server.password) as alice:
        experiment_id = alice.create_experiment(shared)
        alice.create_registered_model(shared)
    with client_for(server, "bob", bob_password) as bob:
        run = bob.create_run(experiment_id)
        bob.log_param(run.info.run_id, "who", "bob")
        bob.set_terminated(run.info.run_id)
        assert bob.get_run(run.info.run_id).info.status == "FINISHED"
        version = bob.create_model_version(
            shared, f"{run.info.artifact_uri}/model", run_id=run.info.run_id
        )
        assert version.version == "1"


def test_server_down_fails_within_a_minute_naming_the_url(team_project):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    before = local_files(team_project)
    start = time.monotonic()
    result = kedro_run(team_project, url)
    elapsed = time.monotonic() - start

    assert result.returncode != 0
    assert elapsed < FAIL_FAST_SECONDS
    assert f"Error: Cannot use the MLflow tracking server at {url}" in result.stderr, (
        output(result)
    )
    assert "Traceback" not in result.stderr
    assert local_files(team_project) == before


NOTEBOOK = """
%env MLFLOW_TRACKING_URI={url}
%reload_kedro --env server
import mlflow
session.run()
print("SESSION_RUN", mlflow.last_active_run().info.run_id)

from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

mlflow.sklearn.autolog(log_models=False, log_datasets=False)
X, y = make_classification(n_samples=200, random_state=0)
with mlflow.start_run(run_name="notebook-autolog") as run:
    LogisticRegression(max_iter=300).fit(X, y)
print("AUTOLOG_RUN", run.info.run_id)
"""


def test_notebook_workflow_lands_on_the_server(team_project, server):
    result = team_project.run(
        "kedro", "ipython", "-c", NOTEBOOK.format(url=server.url), check=False
    )
    assert result.returncode == 0, output(result)
    printed = dict(
        line.split()[:2]
        for line in result.stdout.splitlines()
        if line.startswith(("SESSION_RUN ", "AUTOLOG_RUN "))
    )
    assert printed.keys() == {"SESSION_RUN", "AUTOLOG_RUN"}, output(result)

    with client_for(server) as client:
        session_run = client.get_run(printed["SESSION_RUN"])
        assert_complete_run(client, server, session_run, hyperparameters(team_project))
        assert session_run.data.tags["kedro.interactive"] == "true"

        autolog_run = client.get_run(printed["AUTOLOG_RUN"])
        assert autolog_run.info.status == "FINISHED"
        assert autolog_run.info.experiment_id == session_run.info.experiment_id
        assert autolog_run.data.params["max_iter"] == "300"
        assert "training_score" in autolog_run.data.metrics


def test_docker_compose_runs_the_tested_script(team_project):
    # No container daemon here: check that the compose file starts the script
    # tested above, on PostgreSQL, published on 127.0.0.1 only.
    compose = yaml.safe_load((team_project.path / "docker-compose.yml").read_text())
    postgres, mlflow = compose["services"]["postgres"], compose["services"]["mlflow"]
    assert postgres["image"].startswith("postgres:")
    assert "healthcheck" in postgres
    build = mlflow["build"]
    assert (team_project.path / build["context"] / "tracking_server.sh").is_file()
    assert "COPY tracking_server.sh" in build["dockerfile_inline"]
    assert "psycopg[binary]" in build["dockerfile_inline"]
    environment = mlflow["environment"]
    assert environment["MLFLOW_BACKEND_STORE_URI"].startswith(
        "postgresql+psycopg://mlflow:"
    )
    assert environment["MLFLOW_BACKEND_STORE_URI"].endswith("@postgres:5432/mlflow")
    assert mlflow["ports"] == ["127.0.0.1:${MLFLOW_PORT:-5000}:5000"]
    assert mlflow["depends_on"] == {"postgres": {"condition": "service_healthy"}}


def test_no_password_in_any_output_of_the_session(postgres, auth_server):
    # Last: every command that Project.run ran in this session so far (all of
    # this module's), and the servers' logs.
    passwords = [postgres.password, auth_server.password, auth_server.admin_password]
    logs = [auth_server.log.read_text()]
    assert OUTPUTS
    for text in [*OUTPUTS, *logs]:
        leaked = [password for password in passwords if password in text]
        assert not leaked, text[:2000]
