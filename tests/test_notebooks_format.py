"""Fast tier: the notebooks are committed clean, import the project's code by
the package's name, and the IPython profile and the CLI are the same in every
project, so that they can be copied into any Kedro project."""

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


# The only places a notebook names the package: notebook 2 imports the
# project's lineage helpers and the training pipeline's tuning code, as a user
# would write it.
IMPORTS = [
    "from {{ cookiecutter.python_package }}.mlflow_wiring.lineage import compare_inputs, record_input",
    "from {{ cookiecutter.python_package }}.pipelines.training.tuning import (",
]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_loads_the_project_first(path):
    notebook = nbformat.read(path, as_version=4)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert code[0] == "%load_ext kedro.ipython"
    assert notebook.cells[0].cell_type == "markdown"


def test_only_the_package_imports_are_rendered(bake):
    """Notebook 1 is copied as it is (cookiecutter.json): a literal ``{{`` in a
    cell stays safe. Notebook 2 is rendered for its imports alone."""
    first, second = (path.read_text() for path in NOTEBOOKS)
    assert not JINJA.search(first)
    lines = [
        line
        for cell in nbformat.reads(second, as_version=4).cells
        for line in cell.source.splitlines()
        if JINJA.search(line)
    ]
    assert lines == IMPORTS
    # Each import line holds one {{ ... }}: nothing else is Jinja.
    assert len(JINJA.findall(second)) == 2 * len(IMPORTS)
    for answers, package in (({}, DEFAULT_PACKAGE), ({"python_package": "zz"}, "zz")):
        baked = bake(**answers) / "notebooks"
        assert (baked / NOTEBOOKS[0].name).read_text() == first
        rendered = nbformat.read(baked / NOTEBOOKS[1].name, as_version=4)
        nbformat.validate(rendered)
        imports = [
            line
            for cell in rendered.cells
            for line in cell.source.splitlines()
            if package in line
        ]
        assert imports == [
            line.replace("{{ cookiecutter.python_package }}", package)
            for line in IMPORTS
        ]
        assert rendered == nbformat.reads(
            second.replace("{{ cookiecutter.python_package }}", package), as_version=4
        )


def test_profile_and_cli_are_the_same_in_every_project(bake):
    """Nothing project-specific: an existing project can copy them as they are."""
    left = bake()
    right = bake(project_name="Other Name", python_package="zz")
    profile = sorted(name for name in files_under(left) if name.startswith(".ipython/"))
    assert profile == [".ipython/profile_default/ipython_config.py"]
    for name in profile:
        assert (left / name).read_bytes() == (right / name).read_bytes(), name
        assert (left / name).read_bytes() == (TEMPLATE_PROJECT / name).read_bytes()
    for module in (
        "cli.py",
        "mlflow_wiring/run.py",
        "mlflow_wiring/interactive.py",
        "mlflow_wiring/tracking.py",
    ):
        ours = (left / "src" / DEFAULT_PACKAGE / module).read_bytes()
        assert ours == (right / "src" / "zz" / module).read_bytes(), module
