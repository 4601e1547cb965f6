"""`kedro run` that reports your mistakes briefly, and `kedro ipython` and
`kedro jupyter` with the project's IPython profile.

`kedro run` is Kedro's own, except that a ``ProjectError`` (errors.py: bad
data, a missing model, ...) ends the command with its message, a few lines
naming what went wrong, where, and the command that fixes it, rather than a
traceback; `kedro run --verbose` shows the traceback too.

Kedro lets a project's cli.py replace its commands. These run Kedro's own,
unchanged, with IPYTHONDIR set to .ipython/ at the project root: IPython, and
every kernel that Jupyter starts, then use the profile there, from whichever
folder of the project you type the command.

`kedro jupyter setup`, `lab` and `notebook` write the "Kedro (<package>)"
kernel; once Kedro has written it, the profile is named in its command line
too (through jupyter_client's kernel spec manager), so that the kernel uses
the profile when a front end other than these commands starts it (VS Code, a
Jupyter server started by hand).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
from kedro.framework.cli.jupyter import jupyter as kedro_jupyter
from kedro.framework.cli.project import ipython as kedro_ipython
from kedro.framework.cli.project import run as kedro_run
from kedro.framework.project import settings
from kedro_mlflow.pipeline.pipeline_ml import KedroMlflowPipelineMLError

from .errors import DataQualityError, ProjectError


def ipython_dir(project_path: str | Path) -> Path:
    """The folder holding the project's IPython profile (profile_default)."""
    return Path(project_path).resolve() / ".ipython"


def add_profile_to_kernel(kernel_name: str, project_path: str | Path) -> None:
    """Make the installed kernel ``kernel_name`` start IPython with the project's
    profile; do nothing if no such kernel is installed."""
    # Imported here: a deployment without Jupyter still runs `kedro run`.
    from jupyter_client.kernelspec import KernelSpecManager  # noqa: PLC0415

    kernel_dir = KernelSpecManager().find_kernel_specs().get(kernel_name)
    if kernel_dir is None:
        return
    kernel_json = Path(kernel_dir) / "kernel.json"
    spec = json.loads(kernel_json.read_text(encoding="utf-8"))
    argv = [arg for arg in spec["argv"] if not arg.startswith("--ipython-dir=")]
    spec["argv"] = [*argv, f"--ipython-dir={ipython_dir(project_path)}"]
    kernel_json.write_text(json.dumps(spec, indent=1), encoding="utf-8")


def with_profile(command: click.Command, writes_kernel: bool) -> click.Command:
    """Kedro's ``command``, run with the project's IPython profile."""

    def callback(**kwargs: Any) -> Any:
        ctx = click.get_current_context()
        # Kedro passes the project's metadata to its commands as the click object.
        metadata = ctx.find_root().obj
        # Inherited by IPython, by Jupyter and by every kernel Jupyter starts.
        os.environ["IPYTHONDIR"] = str(ipython_dir(metadata.project_path))
        try:
            return ctx.invoke(command, **kwargs)
        finally:
            if writes_kernel:
                add_profile_to_kernel(
                    f"kedro_{metadata.package_name}", metadata.project_path
                )

    return click.Command(
        command.name,
        params=command.params,
        callback=callback,
        context_settings=command.context_settings,
        help=command.help,
        short_help=command.short_help,
    )


# Filters of `kedro run`, as its options spell them.
FILTER_OPTIONS = {
    "from_inputs": "--from-inputs",
    "to_outputs": "--to-outputs",
    "from_nodes": "--from-nodes",
    "to_nodes": "--to-nodes",
    "node_names": "--nodes",
    "tags": "--tags",
    "namespaces": "--namespaces",
}


def project_error(error: BaseException | None) -> ProjectError | None:
    """The ProjectError that ``error`` is, or was caused by (Kedro wraps
    errors raised while loading data in its own)."""
    return next((e for e in causes(error) if isinstance(e, ProjectError)), None)


def causes(error: BaseException | None) -> list[BaseException]:
    """``error`` and the errors it was raised from, outermost first."""
    chain: list[BaseException] = []
    while error is not None and all(error is not seen for seen in chain):
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain


def known_mistake(error: BaseException, options: dict[str, Any]) -> ProjectError | None:
    """A library's error that a known mistake of ours causes, as a ProjectError."""
    # Imported here: every kedro command loads cli.py, few need pandas.
    from pandas.errors import EmptyDataError  # noqa: PLC0415

    if any(isinstance(cause, EmptyDataError) for cause in causes(error)):
        # Kedro names the catalog entry first: "customers: Failed while loading".
        entry = str(error).split(":", 1)[0]
        return DataQualityError(entry, ["the file is empty (not even a header)"])
    if isinstance(error, KedroMlflowPipelineMLError):
        given = [
            f"{option}={','.join(map(str, options[key]))}"
            for key, option in FILTER_OPTIONS.items()
            if options.get(key)
        ]
        return ProjectError(
            f"`kedro run {' '.join(given)}` cuts a pipeline that logs the model "
            "(training, __default__): the model needs the whole training pipeline.",
            "Filter the preprocessing pipeline instead, e.g. `kedro run "
            "--pipelines preprocessing --to-outputs model_input_table`, or run "
            "training whole.",
        )
    return None


def data_file(entry: str, project_path: Path, env: str | None, conf: str | None) -> str:
    """The file a catalog entry reads, as the catalog writes it; else ``entry``."""
    try:
        config_loader = settings.CONFIG_LOADER_CLASS(
            conf_source=conf or str(project_path / settings.CONF_SOURCE),
            env=env,
            **settings.CONFIG_LOADER_ARGS,
        )
        filepath = (config_loader["catalog"].get(entry) or {}).get("filepath")
    except Exception:  # noqa: BLE001 (the message is worth more than the detail)
        filepath = None
    return str(filepath or entry)


def with_short_errors(command: click.Command) -> click.Command:
    """Kedro's ``command``, which ends a ProjectError in its message alone."""

    def callback(verbose: bool, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        try:
            return ctx.invoke(command, **kwargs)
        except Exception as error:
            mistake = project_error(error) or known_mistake(error, kwargs)
            if mistake is None or verbose:
                raise
            if isinstance(mistake, DataQualityError):
                metadata = ctx.find_root().obj  # None in a packaged project
                mistake.source = data_file(
                    mistake.source,
                    Path(getattr(metadata, "project_path", Path.cwd())),
                    kwargs.get("env"),
                    kwargs.get("conf_source"),
                )
            click.secho(f"Error: {mistake}", fg="red", err=True)
            click.echo("(`kedro run --verbose` shows the traceback.)", err=True)
            ctx.exit(1)

    verbose = click.Option(
        ["--verbose"], is_flag=True, help="Show the traceback of any error."
    )
    return click.Command(
        command.name,
        params=[*command.params, verbose],
        callback=callback,
        context_settings=command.context_settings,
        help=command.help,
        short_help=command.short_help,
    )


@click.group(name="kedro")
def cli() -> None:
    """Project-specific commands."""


@cli.group(name="jupyter", help=kedro_jupyter.help)
def jupyter() -> None:
    pass


cli.add_command(with_profile(kedro_ipython, writes_kernel=False))
for command in kedro_jupyter.commands.values():
    jupyter.add_command(with_profile(command, writes_kernel=True))

# Once a project has a cli.py, `python -m <package>` and the packaged project's
# command take their run command from it (kedro.framework.cli.utils.
# find_run_command) as well.
run = with_short_errors(kedro_run)
cli.add_command(run)
