"""An unusable MLflow tracking server fails fast, in one clear message."""

from __future__ import annotations

import os
from http import HTTPStatus

import click
import mlflow
from mlflow.exceptions import MlflowException

from .tracking import is_tracking_server, without_password

# MLflow retries a refused or timed-out request 7 times, with growing pauses:
# about 4.5 minutes before a run against a tracking server that is down gives
# up. These bound it to well under a minute. They are defaults: a variable
# already set in the environment wins (e.g. a longer timeout for big uploads).
FAIL_FAST = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "15",
    # `kedro mlflow ui` starts MLflow's server from this process. Its job
    # runner (GenAI evaluations) would delay its first answer by up to a
    # minute on a busy machine; a project of trained models does not use it.
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
}


class TrackingServerError(click.ClickException):
    """The MLflow tracking server cannot be used.

    A ClickException, so that `kedro run` prints the message alone, not a
    traceback of MLflow's HTTP client.
    """


def fail_fast() -> None:
    """MLflow fails fast and starts fast (FAIL_FAST), unless set otherwise."""
    for name, value in FAIL_FAST.items():
        os.environ.setdefault(name, value)


def raise_if_unusable(error: MlflowException) -> None:
    """Raise a TrackingServerError for ``error`` when it came from a server."""
    uri = mlflow.get_tracking_uri()
    if is_tracking_server(uri):
        raise tracking_server_error(error, uri) from error


def tracking_server_error(error: MlflowException, uri: str) -> TrackingServerError:
    """One message that says which server failed, and how."""
    url = without_password(uri)
    status = error.get_http_status_code()
    if status == HTTPStatus.UNAUTHORIZED:
        return TrackingServerError(
            f"The MLflow tracking server at {url} refused the credentials (HTTP 401): "
            "check MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or "
            "MLFLOW_TRACKING_TOKEN) in conf/local/credentials.yml."
        )
    if status == HTTPStatus.FORBIDDEN:
        return TrackingServerError(
            f"The MLflow tracking server at {url} denied permission (HTTP 403): "
            f"{error.message}"
        )
    # The innermost exception says it best, e.g. "[Errno 111] Connection refused".
    reason = error.message
    cause = error.__cause__ or error.__context__
    while cause is not None:
        reason = str(cause)
        cause = cause.__cause__ or cause.__context__
    return TrackingServerError(
        f"Cannot use the MLflow tracking server at {url}: {reason}. Check that it "
        "is running and that MLFLOW_TRACKING_URI names it."
    )
