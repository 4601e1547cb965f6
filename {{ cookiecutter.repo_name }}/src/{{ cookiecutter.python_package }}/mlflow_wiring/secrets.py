"""No password in what the project prints: a login written into a tracking
URI (``http://alice:<password>@host``) is moved into MLflow's own variables.

MLflow prints the tracking URI when a run ends ("View run ... at: <URI>"),
and so do error messages and `kedro mlflow ui`: with a password in the URI,
all of them show it. MLflow sends MLFLOW_TRACKING_USERNAME and
MLFLOW_TRACKING_PASSWORD as the same basic-auth login, and prints neither.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

import mlflow

if TYPE_CHECKING:
    from kedro.framework.context import KedroContext

URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
USERNAME, PASSWORD = "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"
# MLflow's switch for its "View run ... at: <URI>" line.
NO_URL_PRINTED = "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"


def split_login(uri: str) -> tuple[str, str | None, str | None]:
    """``uri`` without its login, and the login's user name and password
    (decoded, as the HTTP client sends them; None when absent)."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri, parts.username and unquote(parts.username), None
    host = parts.netloc.rpartition("@")[2]
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return clean, unquote(parts.username or ""), unquote(parts.password)


def move_login(uri: str) -> str:
    """``uri`` without its password, which goes with its user name into
    MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (replacing them, as
    a login in the URI would have). A password without a user name (MLflow
    sends a login only with both) stays, and MLflow then prints no URL."""
    clean, user, password = split_login(uri)
    if password is None:
        return uri
    if not user:
        os.environ[NO_URL_PRINTED] = "true"
        return uri
    os.environ[USERNAME], os.environ[PASSWORD] = user, password
    return clean


def protect_credentials() -> None:
    """Move a login out of MLFLOW_TRACKING_URI and MLFLOW_REGISTRY_URI.

    Call it before kedro-mlflow sets MLflow up: mlflow.yml reads
    ``${oc.env:MLFLOW_TRACKING_URI,...}`` then, and gets the URI without it.
    conf/local/credentials.yml, which kedro-mlflow exports afterwards, wins.
    """
    for name in URI_VARIABLES:
        uri = os.environ.get(name)
        if uri:
            os.environ[name] = move_login(uri)


def protect_configured_uris(context: KedroContext | None = None) -> None:
    """The same for the URIs that kedro-mlflow has set up (e.g. a login
    written into conf/<env>/mlflow.yml, against its advice): call it after
    kedro-mlflow's setup. The project's mlflow.yml settings (``context.mlflow``,
    which `kedro mlflow ui` opens) lose the login too."""
    tracking, registry = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    clean_tracking, clean_registry = move_login(tracking), move_login(registry)
    if clean_tracking != tracking:
        mlflow.set_tracking_uri(clean_tracking)
    if clean_registry != registry:
        mlflow.set_registry_uri(clean_registry)
    server: Any = getattr(getattr(context, "mlflow", None), "server", None)
    for field in ("mlflow_tracking_uri", "mlflow_registry_uri"):
        value = getattr(server, field, None)
        if isinstance(value, str):
            setattr(server, field, split_login(value)[0])
