"""Shared helpers: where the template is, how to bake it, and (slow tier) one
baked project installed in its own virtualenv for the whole test session."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
DEFAULT_PACKAGE = "customer_churn"

# Telemetry off and no colours or wrapping, so that output can be asserted on.
QUIET_ENV = {
    "KEDRO_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "1",
    "NO_COLOR": "1",
    "COLUMNS": "200",
}


# A line a user would have to wonder about: a Python warning, or a log record
# at WARNING level, however it is formatted.
WARNING_LINE = re.compile(r"warning", re.IGNORECASE)


def warning_lines(result: subprocess.CompletedProcess) -> list[str]:
    """The lines of a command's output that a user would read as warnings."""
    output = result.stdout + result.stderr
    return [line for line in output.splitlines() if WARNING_LINE.search(line)]


def bake(output_dir: Path, **answers: str) -> Path:
    """Bake the template with plain cookiecutter and return the project folder."""
    return Path(
        cookiecutter(
            str(TEMPLATE_DIR),
            no_input=True,
            extra_context=answers,
            output_dir=str(output_dir),
        )
    )


def files_under(root: Path) -> set[str]:
    """Every file below `root`, as POSIX paths relative to it."""
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


@dataclass
class Project:
    """A baked project installed in its own virtualenv."""

    path: Path
    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def env(self, **extra: str) -> dict[str, str]:
        # As on a user's machine: no PYTHON* variable of the developer's shell
        # (PYTHONWARNINGS=default or PYTHONDEVMODE=1 show warnings a user never
        # sees, PYTHONPATH injects code, PYTHONDONTWRITEBYTECODE slows every
        # run), no MLFLOW_* variable (it would move the store).
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MLFLOW_", "PYTHON"))
        }
        env.update(QUIET_ENV)
        env["PATH"] = f"{self.bin}{os.pathsep}{env['PATH']}"
        env["VIRTUAL_ENV"] = str(self.venv)
        env.update(extra)
        return env

    def run(
        self,
        *args: str,
        cwd: Path | None = None,
        check: bool = True,
        timeout: float = 600,
        **extra_env: str,
    ) -> subprocess.CompletedProcess:
        """Run a command of the project's virtualenv (e.g. "kedro", "run")."""
        exe = self.bin / args[0]
        result = subprocess.run(
            [str(exe), *args[1:]],
            cwd=cwd or self.path,
            env=self.env(**extra_env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def python(self, code: str, **kwargs) -> subprocess.CompletedProcess:
        return self.run("python", "-c", code, **kwargs)


def make_venv(path: Path, *install_args: str) -> Path:
    """A virtualenv at `path` (with pip, like `python -m venv`), then
    `uv pip install *install_args` when given."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    subprocess.run(
        [uv, "venv", "-q", "--seed", "-p", sys.executable, str(path)], check=True
    )
    if install_args:
        python = str(path / "bin" / "python")
        subprocess.run(
            [uv, "pip", "install", "-q", "-p", python, *install_args], check=True
        )
    return path


@pytest.fixture(scope="session")
def project_venv(tmp_path_factory) -> Path:
    """One virtualenv with the baked project's requirements.txt, for the session."""
    reference = bake(tmp_path_factory.mktemp("requirements"))
    return make_venv(
        tmp_path_factory.mktemp("venv") / "venv",
        "-r",
        str(reference / "requirements.txt"),
    )


@pytest.fixture(scope="session")
def project(tmp_path_factory, project_venv) -> Project:
    """The default project, baked once, in git (as a user would), installed."""
    return Project(
        path=bake_in_git(tmp_path_factory.mktemp("baked")), venv=project_venv
    )


def bake_in_git(output_dir: Path, **answers: str) -> Path:
    """Bake, then commit the result to a new git repository, as a user would."""
    path = bake(output_dir, **answers)
    for cmd in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "bake"],
    ):
        subprocess.run(cmd, cwd=path, check=True)
    return path
