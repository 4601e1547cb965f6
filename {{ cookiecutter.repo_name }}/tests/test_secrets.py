"""Tests of secrets.py: a login written into a tracking URI leaves it for
MLflow's own variables, which MLflow never prints."""

from __future__ import annotations

import os

import mlflow
import pytest

from {{ cookiecutter.python_package }}.mlflow_wiring.secrets import (
    protect_configured_uris,
    protect_credentials,
    split_login,
)

LOGIN = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")


@pytest.mark.parametrize(
    ("uri", "split"),
    [
        ("http://ann:s3cret@host:5000/x?y=1", ("http://host:5000/x?y=1", "ann", "s3cret")),
        ("https://ann:p%40ss%3A@host", ("https://host", "ann", "p@ss:")),
        ("https://host", ("https://host", None, None)),
        ("https://ann@host", ("https://ann@host", "ann", None)),
        ("sqlite:////tmp/mlflow.db", ("sqlite:////tmp/mlflow.db", None, None)),
    ],
)  # fmt: skip
def test_split_login(uri, split):
    assert split_login(uri) == split


def test_a_login_in_the_environment_moves_to_mlflows_variables(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://ann:s3cret@127.0.0.1:5000")
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "http://ann:s3cret@127.0.0.1:5001")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "someone-else")
    protect_credentials()
    assert os.environ["MLFLOW_TRACKING_URI"] == "http://127.0.0.1:5000"
    assert os.environ["MLFLOW_REGISTRY_URI"] == "http://127.0.0.1:5001"
    assert (os.environ[LOGIN[0]], os.environ[LOGIN[1]]) == ("ann", "s3cret")
    assert "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT" not in os.environ


def test_uris_without_a_password_are_left_alone(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://ann@127.0.0.1:5000")
    protect_credentials()
    assert os.environ["MLFLOW_TRACKING_URI"] == "http://ann@127.0.0.1:5000"
    assert not set(LOGIN) & set(os.environ)


def test_a_password_without_user_stays_but_no_url_is_printed(monkeypatch):
    # MLflow sends a login only with both; the URI keeps working as it did.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://:token@127.0.0.1:5000")
    protect_credentials()
    assert os.environ["MLFLOW_TRACKING_URI"] == "http://:token@127.0.0.1:5000"
    assert os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] == "true"


def test_a_login_set_up_from_mlflow_yml_moves_too(monkeypatch):
    monkeypatch.delenv("MLFLOW_REGISTRY_URI")  # the registry is the tracking store
    mlflow.set_tracking_uri("http://ann:s3cret@127.0.0.1:5000")
    protect_configured_uris()
    assert mlflow.get_tracking_uri() == "http://127.0.0.1:5000"
    assert mlflow.get_registry_uri() == "http://127.0.0.1:5000"
    assert (os.environ[LOGIN[0]], os.environ[LOGIN[1]]) == ("ann", "s3cret")
