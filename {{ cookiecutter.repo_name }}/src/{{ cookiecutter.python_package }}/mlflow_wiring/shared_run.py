"""One MLflow run shared by several processes, e.g. the tasks of an
orchestrator's pipeline run (docs/deploy.md).

``open`` creates a run in the project's experiment and prints its id. Every
``kedro run`` started with ``MLFLOW_RUN_ID=<id>`` in its environment then logs
into that run (its parameters, metrics, artifacts, data and model) without
renaming it or ending it, so that several processes, one after the other or
at once, fill one run; one that is stopped (SIGTERM, Ctrl-C) leaves it KILLED
(run.py). ``close`` ends it FINISHED, FAILED or KILLED.
``nodes`` runs some nodes of a pipeline into the run, as a task would.

    python -m {{ cookiecutter.python_package }}.mlflow_wiring.shared_run [--env ENV] open --name NAME [--tag k=v ...]
    python -m {{ cookiecutter.python_package }}.mlflow_wiring.shared_run [--env ENV] close RUN_ID --status FINISHED

scripts/shared_run.py is the same command for a project checkout. RunHooks
(run.py) lends such a run to each pipeline run instead of ending it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import click
import mlflow
from kedro.framework.project import configure_project, pipelines
from kedro.framework.session import KedroSession
from kedro.utils import find_kedro_project
from kedro_mlflow.pipeline.pipeline_ml import PipelineML
from mlflow.exceptions import MlflowException
from mlflow.tracking.context.registry import resolve_tags

from .run import SHARED_RUN_TAG
from .tracking import without_password

PACKAGE = __package__.split(".")[0]
STATUSES = ("FINISHED", "FAILED", "KILLED")


def connect(project_path: Path, env: str | None, conf_source: str | None) -> str:
    """Point MLflow at the project's tracking store and experiment, as
    ``kedro run --env <env>`` does (kedro-mlflow sets them up when the
    project's context is created); the experiment's id."""
    configure_project(PACKAGE)
    with KedroSession.create(
        project_path=project_path, env=env, conf_source=conf_source
    ) as session:
        context = session.load_context()
    name = context.mlflow.tracking.experiment.name
    experiment = mlflow.get_experiment_by_name(name)
    if experiment is None:  # kedro-mlflow creates it; someone deleted it since
        raise click.ClickException(
            f"No MLflow experiment '{name}' at {store()}: run `kedro run` once."
        )
    return experiment.experiment_id


def store() -> str:
    return without_password(mlflow.get_tracking_uri())


def open_run(experiment_id: str, name: str, tags: dict[str, str]) -> str:
    """Create a RUNNING run and return its id; nothing in this process keeps
    it active, so that nothing here ends it."""
    # The tags MLflow gives a run started by hand (user, source, the project's
    # own from MLFLOW_RUN_CONTEXT: git commit, Kedro environment), then ours.
    all_tags = resolve_tags({SHARED_RUN_TAG: "true", **tags})
    run = mlflow.MlflowClient().create_run(experiment_id, run_name=name, tags=all_tags)
    return run.info.run_id


def close_run(
    run_id: str, status: str, tags: dict[str, str], keep_killed: bool = False
) -> str:
    """Tag the run ``run_id``, then end it with ``status``, or KILLED if
    ``keep_killed`` and a stopped task left it so (run.py); the status set."""
    client = mlflow.MlflowClient()
    try:
        run = client.get_run(run_id)
    except MlflowException as error:
        raise click.ClickException(
            f"No MLflow run '{run_id}' at {store()}: {error.message}"
        ) from error
    if keep_killed and run.info.status == "KILLED":
        status = "KILLED"
    for key, value in tags.items():
        client.set_tag(run_id, key, value)
    client.set_terminated(run_id, status=status)
    return status


def pipeline_for(pipeline_name: str, node_names: list[str]) -> str:
    """The registered pipeline to run ``node_names`` of ``pipeline_name`` with.

    A pipeline that logs the model (kedro-mlflow's PipelineML) logs it when
    a run of it ends, and refuses a selection of nodes that leaves the
    model's inputs unmade (e.g. preprocessing nodes alone). Nodes that make
    the model's inputs run with it, and so log the model; other nodes run
    with a registered pipeline that holds them and logs no model.
    """
    pipeline = pipelines[pipeline_name]
    if not isinstance(pipeline, PipelineML):
        return pipeline_name
    wanted = set(node_names)
    made_for_model = pipeline.inference.inputs() & pipeline.training.all_outputs()
    selected = pipeline.training.filter(node_names=node_names)
    if made_for_model <= selected.all_outputs():
        return pipeline_name
    for name, candidate in pipelines.items():
        if not isinstance(candidate, PipelineML) and wanted <= {
            node.name for node in candidate.nodes
        }:
            return name
    raise click.ClickException(
        f"Nodes {sorted(wanted)} of pipeline '{pipeline_name}' do not make the "
        f"model's inputs {sorted(made_for_model)}, and no registered pipeline "
        "without a model holds them all: register one in pipeline_registry.py, "
        "or group the nodes that make the model into one task (`kedro airflow "
        "create --group-by memory`)."
    )


@dataclass
class Project:
    """The project the commands work on, and where they print."""

    path: Path
    env: str | None
    conf_source: str | None
    stdout: TextIO

    def connect(self) -> str:
        return connect(self.path, self.env, self.conf_source)


def tag_pair(ctx, param, values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, tag_value = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"'{value}' is not KEY=VALUE", ctx, param)
        pairs[key] = tag_value
    return pairs


@click.group()
@click.option("--env", "-e", default=None, help="Kedro environment (conf/<env>).")
@click.option("--conf-source", default=None, help="Configuration folder or archive.")
@click.option(
    "--project-path",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Default: the Kedro project around the working directory.",
)
@click.pass_context
def cli(
    ctx: click.Context, env: str | None, conf_source: str | None, project_path
) -> None:
    """Open and close one MLflow run that several `kedro run`s log into."""
    path = project_path or find_kedro_project(Path.cwd()) or Path.cwd()
    ctx.obj = Project(path.resolve(), env, conf_source, stdout=sys.stdout)
    # Kedro logs to stdout. There, only what a command prints (a run id), so
    # that `RUN_ID=$(... open ...)` works; the log goes to stderr.
    ctx.with_resource(contextlib.redirect_stdout(sys.stderr))


@cli.command(name="open")
@click.option("--name", required=True, help="The run's name.")
@click.option(
    "--tag", "tags", multiple=True, callback=tag_pair, help="KEY=VALUE, repeatable."
)
@click.pass_obj
def open_command(project: Project, name: str, tags: dict[str, str]) -> None:
    """Create a RUNNING run in the project's experiment; print its id."""
    run_id = open_run(project.connect(), name, tags)
    click.echo(run_id, file=project.stdout)


@cli.command(name="close")
@click.argument("run_id")
@click.option("--status", type=click.Choice(STATUSES), required=True)
@click.option(
    "--tag", "tags", multiple=True, callback=tag_pair, help="KEY=VALUE, repeatable."
)
@click.option(
    "--keep-killed",
    is_flag=True,
    help="End KILLED a run that a stopped task left KILLED.",
)
@click.pass_obj
def close_command(
    project: Project, run_id: str, status: str, tags: dict[str, str], keep_killed
) -> None:
    """End the run RUN_ID with STATUS, e.g. tagging what failed."""
    project.connect()
    status = close_run(run_id, status, tags, keep_killed)
    click.echo(f"MLflow run {run_id}: {status}", file=project.stdout)


@cli.command(name="nodes")
@click.argument("run_id")
@click.option("--pipeline", "pipeline_name", default="__default__")
@click.option("--nodes", "node_names", required=True, help="Comma-separated.")
@click.pass_obj
def nodes_command(
    project: Project, run_id: str, pipeline_name: str, node_names: str
) -> None:
    """Run some nodes of a pipeline into the run RUN_ID (`kedro run --nodes`)."""
    names = [name.strip() for name in node_names.split(",") if name.strip()]
    configure_project(PACKAGE)
    chosen = pipeline_for(pipeline_name, names)
    os.environ["MLFLOW_RUN_ID"] = run_id
    with KedroSession.create(
        project_path=project.path, env=project.env, conf_source=project.conf_source
    ) as session:
        session.run(pipeline_names=[chosen], node_names=names)


if __name__ == "__main__":
    cli()
