"""Fast tier: the notebooks are committed clean, and the IPython profile is
the same in every project, so that it can be copied into any Kedro project."""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import DEFAULT_PACKAGE, TEMPLATE_DIR, files_under

TEMPLATE_PROJECT = TEMPLATE_DIR / "{{ cookiecutter.repo_name }}"
NOTEBOOKS_DIR = TEMPLATE_PROJECT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
JINJA = re.compile(r"{{|{%|{#|cookiecutter")


def test_notebooks_folder_holds_only_notebooks():
    assert [path.name for path in NOTEBOOKS] == [
        "01_interactive_preprocessing.ipynb",
        "02_tune_hyperparameters.ipynb",
    ]
    assert sorted(path.name for path in NOTEBOOKS_DIR.iterdir()) == [
        path.name for path in NOTEBOOKS
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_valid_and_has_no_outputs(path):
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    nbformat.validate(notebook)
    assert notebook.nbformat == 4
    assert notebook.metadata.kernelspec.name == "python3"
    for cell in notebook.cells:
        assert cell.metadata == {}, cell.id
        if cell.cell_type == "code":
            assert cell.outputs == [], cell.id
            assert cell.execution_count is None, cell.id


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_loads_the_project_first_and_names_no_package(path):
    notebook = nbformat.read(path, as_version=4)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert code[0] == "%load_ext kedro.ipython"
    assert notebook.cells[0].cell_type == "markdown"
    # Copied without rendering (cookiecutter.json): no Jinja, and the package
    # is never named, since it differs from project to project.
    text = path.read_text()
    assert not JINJA.search(text)
    assert DEFAULT_PACKAGE not in text


def test_profile_and_cli_are_the_same_in_every_project(bake):
    """Nothing project-specific: an existing project can copy them as they are."""
    left = bake()
    right = bake(project_name="Other Name", python_package="zz")
    profile = sorted(name for name in files_under(left) if name.startswith(".ipython/"))
    assert profile == [
        ".ipython/profile_default/ipython_config.py",
        ".ipython/profile_default/kedro_mlflow_helpers.py",
        ".ipython/profile_default/startup/00-kedro-mlflow.py",
    ]
    for name in [*profile, *(f"notebooks/{path.name}" for path in NOTEBOOKS)]:
        assert (left / name).read_bytes() == (right / name).read_bytes(), name
        assert (left / name).read_bytes() == (TEMPLATE_PROJECT / name).read_bytes()
    cli = f"src/{DEFAULT_PACKAGE}/cli.py"
    assert (left / cli).read_bytes() == (right / "src/zz/cli.py").read_bytes()
