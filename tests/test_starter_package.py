"""The template as the distribution `kedro-mlflow-starter`: its wheel carries the
template alone, and once installed `kedro new --starter=mlflow` bakes the same
project as a clone does, with no git and no --checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import QUIET_ENV, TEMPLATE_DIR, Project, files_under, make_venv
from test_bake import same_tree
from test_project import assert_complete_training_run, runs_in

PACKAGE = "kedro_mlflow_starter"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built as a release is: sdist first, then the wheel from it."""
    out = tmp_path_factory.mktemp("dist")
    uv = Path(sys.executable).with_name("uv")
    subprocess.run(
        [str(uv), "build", "-q", "--out-dir", str(out), str(TEMPLATE_DIR)],
        check=True,
    )
    (built,) = out.glob("kedro_mlflow_starter-*.whl")
    return built


def test_the_wheel_carries_the_template_and_nothing_else(wheel):
    names = {
        name
        for name in zipfile.ZipFile(wheel).namelist()
        if not name.split("/")[0].endswith(".dist-info")
    }
    template_files = {"cookiecutter.json", "prompts.yml"}
    template_files |= {f"hooks/{name}" for name in files_under(TEMPLATE_DIR / "hooks")}
    project = "{{ cookiecutter.repo_name }}"
    template_files |= {
        f"{project}/{name}" for name in files_under(TEMPLATE_DIR / project)
    }
    assert names == {f"{PACKAGE}/__init__.py"} | {
        f"{PACKAGE}/template/{name}" for name in template_files
    }


def test_the_wheel_registers_the_mlflow_starter(wheel):
    entry_points = zipfile.ZipFile(wheel).read(
        f"{wheel.name.split('-py3')[0]}.dist-info/entry_points.txt"
    )
    assert "[kedro.starters]" in entry_points.decode()
    assert f"= {PACKAGE}:starters" in entry_points.decode()


@pytest.fixture(scope="module")
def starter_venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtualenv with the wheel and, through its dependency, Kedro."""
    return make_venv(tmp_path_factory.mktemp("starter") / "venv", str(wheel))


def kedro(
    venv: Path, *args: str, cwd: Path, stdin: str = ""
) -> subprocess.CompletedProcess:
    """`kedro` of the venv, with nothing else on PATH: no git, no other Kedro."""
    env = {"HOME": os.environ["HOME"], "PATH": str(venv / "bin"), **QUIET_ENV}
    result = subprocess.run(
        [str(venv / "bin" / "kedro"), *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.mark.slow
def test_kedro_starter_list_shows_the_alias(starter_venv, tmp_path):
    out = kedro(starter_venv, "starter", "list", cwd=tmp_path).stdout
    listed = yaml.safe_load(out.split("Starters from kedro_mlflow_starter")[1])
    template = Path(listed["mlflow"]["template_path"])
    assert template.is_relative_to(starter_venv)
    assert (template / "cookiecutter.json").is_file()


@pytest.mark.slow
def test_the_alias_bakes_interactively_with_name_and_with_config(
    starter_venv, bake, tmp_path
):
    prompted = kedro(
        starter_venv, "new", "--starter=mlflow", cwd=tmp_path, stdin="Churn Alias\n"
    )
    assert "Project Name\n====" in prompted.stdout
    same_tree(bake(project_name="Churn Alias"), tmp_path / "churn-alias")

    kedro(
        starter_venv, "new", "--starter=mlflow", "--name", "Named Alias", cwd=tmp_path
    )
    same_tree(bake(project_name="Named Alias"), tmp_path / "named-alias")

    answers = {"project_name": "Config Alias", "python_package": "config_alias_pkg"}
    config = tmp_path / "config.yml"
    (tmp_path / "configured").mkdir()
    config.write_text(
        yaml.safe_dump({**answers, "output_dir": str(tmp_path / "configured")})
    )
    kedro(
        starter_venv, "new", "--starter=mlflow", "--config", str(config), cwd=tmp_path
    )
    same_tree(bake(**answers), tmp_path / "configured" / "config-alias")


@pytest.mark.slow
def test_a_project_baked_through_the_alias_runs(starter_venv, project_venv, tmp_path):
    kedro(
        starter_venv,
        "new",
        "--starter=mlflow",
        "--name",
        "Customer Churn",
        cwd=tmp_path,
    )
    baked = Project(path=tmp_path / "customer-churn", venv=project_venv)
    baked.run("kedro", "run")
    (run,) = runs_in(baked.path / "mlflow.db")
    assert_complete_training_run(run, baked.path / "mlflow.db")
