"""`kedro ipython` and `kedro jupyter`, with the project's IPython profile.

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
# find_run_command): Kedro's own, unchanged.
run = kedro_run
