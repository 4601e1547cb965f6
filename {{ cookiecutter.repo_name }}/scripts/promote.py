"""Make a registered version of the project's model the one in use: point the
``champion`` alias at it, i.e. ``models:/<package>@champion``.

Each training run registers a new version; none is used until it is promoted.
From anywhere in the project::

    python scripts/promote.py               # the newest version
    python scripts/promote.py --version 3   # a given one, e.g. to roll back
    python scripts/promote.py --env server  # the registry of conf/server

The registry is the one ``conf/<env>/mlflow.yml`` names, as for ``kedro run``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click
import mlflow
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

PROJECT_PATH = Path(__file__).resolve().parents[1]


@click.command()
@click.option(
    "--version",
    "version_number",
    type=int,
    default=None,
    help="Version to promote. Default: the newest.",
)
@click.option("--alias", default=None, help="Default: champion.")
@click.option(
    "--env", "-e", default=None, help="Kedro environment, as for `kedro run`."
)
def promote(version_number: int | None, alias: str | None, env: str | None) -> None:
    """Point the alias at a registered version of the project's model."""
    package = bootstrap_project(PROJECT_PATH).package_name
    model = importlib.import_module(f"{package}.pipelines.inference.model")
    tracking = importlib.import_module(f"{package}.mlflow_wiring.tracking")
    store = importlib.import_module(f"{package}.mlflow_wiring.store")
    name, alias = model.REGISTERED_MODEL_NAME, alias or model.CHAMPION_ALIAS
    with KedroSession.create(project_path=PROJECT_PATH, env=env) as session:
        # kedro-mlflow points MLflow at the tracking and registry URIs of
        # mlflow.yml when the context is created.
        session.load_context()

    client = mlflow.MlflowClient()
    versions = {
        int(found.version): found
        for found in client.search_model_versions(f"name = '{name}'")
    }
    if not versions:
        raise click.ClickException(
            f"No version of '{name}' in the registry at "
            f"{tracking.without_password(mlflow.get_registry_uri())}:"
            " train one with `kedro run` first."
        )
    chosen = versions.get(version_number or max(versions))
    if chosen is None:
        raise click.ClickException(
            f"'{name}' has no version {version_number}; it has {sorted(versions)}."
        )
    client.set_registered_model_alias(name, alias, chosen.version)
    # The alias is part of the registry that a damaged store is restored to.
    store.backup_local_store(mlflow.get_registry_uri())
    roc_auc = client.get_run(chosen.run_id).data.metrics.get("metrics.roc_auc")
    score = f", ROC AUC {roc_auc:.3f}" if roc_auc is not None else ""
    click.echo(
        f"models:/{name}@{alias} is now version {chosen.version}"
        f" (run {chosen.run_id}{score})."
    )


if __name__ == "__main__":
    promote()
