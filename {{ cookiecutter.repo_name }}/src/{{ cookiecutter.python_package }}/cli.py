"""`kedro ipython` and `kedro jupyter`, with the project's IPython profile.

Kedro lets a project's cli.py replace its commands. These are Kedro's own,
unchanged, except that IPython, and every Jupyter kernel they start, uses the
profile in .ipython/ at the project root, from whichever folder of the
project you type the command: its configuration, its startup scripts (the
MLflow helpers) and its history.

`kedro jupyter setup`, `lab` and `notebook` install the "Kedro (<package>)"
kernel with the profile named in its command line too, so that it uses the
profile when a front end other than these commands starts it (VS Code, a
Jupyter server started by hand).
"""

from __future__ import annotations

import copy
import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from kedro.framework.cli import jupyter as kedro_jupyter
from kedro.framework.cli.project import ipython as kedro_ipython_command
from kedro.framework.cli.project import run as kedro_run_command


def ipython_dir(project_path: str | Path) -> Path:
    """The folder holding the project's IPython profile (profile_default)."""
    return Path(project_path).resolve() / ".ipython"


def add_profile_to_kernel(kernel_path: str | Path, project_path: str | Path) -> None:
    """Make the kernel spec in ``kernel_path`` start IPython with the project's profile."""
    kernel_json = Path(kernel_path) / "kernel.json"
    spec = json.loads(kernel_json.read_text(encoding="utf-8"))
    argv = [arg for arg in spec["argv"] if not arg.startswith("--ipython-dir=")]
    spec["argv"] = [*argv, f"--ipython-dir={ipython_dir(project_path)}"]
    kernel_json.write_text(json.dumps(spec, indent=1), encoding="utf-8")


def _project_path() -> Path:
    # Kedro passes the project's metadata to its commands as the click object.
    return click.get_current_context().find_root().obj.project_path


def _with_profile(
    command: click.Command, prepare: Callable[[Path], None]
) -> click.Command:
    """A copy of Kedro's ``command`` that calls ``prepare(project_path)`` first."""
    original = command.callback

    @functools.wraps(original)
    def callback(*args: Any, **kwargs: Any) -> Any:
        prepare(_project_path())
        return original(*args, **kwargs)

    wrapped = copy.copy(command)
    wrapped.callback = callback
    return wrapped


def _use_profile(project_path: Path) -> None:
    # Inherited by IPython, by Jupyter and by every kernel Jupyter starts.
    os.environ["IPYTHONDIR"] = str(ipython_dir(project_path))


def _use_profile_in_kernels(project_path: Path) -> None:
    _use_profile(project_path)
    # Every `kedro jupyter` subcommand (re)installs the kernel through this
    # function of Kedro's; name the profile in the kernel it writes.
    create_kernel = getattr(kedro_jupyter, "_create_kernel", None)
    if create_kernel is None:  # renamed in a later Kedro: IPYTHONDIR still works
        return

    @functools.wraps(create_kernel)
    def create_kernel_with_profile(kernel_name: str, display_name: str) -> str:
        kernel_path = create_kernel(kernel_name, display_name)
        add_profile_to_kernel(kernel_path, project_path)
        return kernel_path

    kedro_jupyter._create_kernel = create_kernel_with_profile


@click.group(name="kedro")
def cli() -> None:
    """Project-specific commands."""


cli.add_command(_with_profile(kedro_ipython_command, _use_profile))
cli.add_command(_with_profile(kedro_jupyter.jupyter, _use_profile_in_kernels))

# Once a project has a cli.py, `python -m <package>` and the packaged project's
# command take their run command from it (kedro.framework.cli.utils.
# find_run_command): Kedro's own, unchanged.
run = kedro_run_command
