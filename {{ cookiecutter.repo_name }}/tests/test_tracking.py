"""Tests of the facts in tracking.py: run tags, tracking server URIs, and URIs
fit to print."""

from __future__ import annotations

import json
import os
import socket
import subprocess

import mlflow
import pytest

from {{ cookiecutter.python_package }}.mlflow_wiring.tracking import (
    is_tracking_server,
    run_tags,
    tag_every_run,
    without_password,
)


@pytest.mark.parametrize(
    ("uri", "printed"),
    [
        ("https://ann:s3cret@mlflow.example.com", "https://ann:***@mlflow.example.com"),
        ("http://:tok@127.0.0.1:5000/x", "http://:***@127.0.0.1:5000/x"),
        ("https://mlflow.example.com", "https://mlflow.example.com"),
        ("sqlite:////tmp/mlflow.db", "sqlite:////tmp/mlflow.db"),
    ],
)
def test_without_password(uri, printed):
    assert without_password(uri) == printed


@pytest.mark.parametrize(
    ("uri", "server"),
    [
        ("http://127.0.0.1:5000", True),
        ("https://mlflow.example.com", True),
        ("sqlite:///mlflow.db", False),
        ("databricks", False),
        ("", False),
        (None, False),
    ],
)
def test_is_tracking_server(uri, server):
    assert is_tracking_server(uri) is server


def test_run_tags_outside_ipython_name_the_code_and_env(tmp_path):
    repo, plain = tmp_path / "repo", tmp_path / "plain"
    repo.mkdir()
    plain.mkdir()
    (repo / "nodes.py").write_text("x = 1\n")
    for command in (
        ["git", "init", "-q", "-b", "trunk"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q",
         "-m", "first"],
    ):  # fmt: skip
        subprocess.run(command, cwd=repo, check=True)
    head = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=repo, text=True)
    here = {
        "kedro.host": socket.gethostname(),
        "kedro.pid": str(os.getpid()),
    }
    clean = {
        "kedro.interactive": "false",
        "kedro.env": "local",
        **here,
        "kedro.project": repo.resolve().as_posix(),
        "mlflow.source.git.commit": head.strip(),
        "mlflow.source.git.branch": "trunk",
        "mlflow.source.git.dirty": "false",
    }
    assert run_tags(repo, "local") == clean
    (repo / "nodes.py").write_text("x = 2\n")
    (repo / "new.py").write_text("")
    assert run_tags(repo, "local") == {
        **clean,
        "mlflow.source.git.dirty": "true",
        "kedro.git.changed_files": "nodes.py\nnew.py",
    }
    assert run_tags(plain, "server") == {
        "kedro.interactive": "false",
        "kedro.env": "server",
        **here,
        "kedro.project": plain.resolve().as_posix(),
    }


def test_tags_reach_every_run_started_by_hand(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_RUN_CONTEXT", json.dumps({"team": "churn"}))
    uri = f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"
    experiment = mlflow.MlflowClient(uri).create_experiment("by-hand")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        tag_every_run({"kedro.interactive": "false"})
        with mlflow.start_run(experiment_id=experiment) as run:
            pass
        tags = mlflow.get_run(run.info.run_id).data.tags
    finally:
        mlflow.set_tracking_uri(previous)
    assert tags["kedro.interactive"] == "false"
    assert tags["team"] == "churn"  # what was set before is kept
