"""Slow tier: a notebook cell that runs a pipeline shows its result, warnings
and errors, not Kedro's INFO line per dataset and node; `kedro run` in a
terminal still prints them."""

from __future__ import annotations

import re

import pytest
from conftest import Project
from test_notebooks import cell_texts, execute, notebook_of_cells

pytestmark = pytest.mark.slow

# Kedro's and kedro-mlflow's INFO lines for each dataset, node and model input.
PER_STEP = ("Loading data from", "Saving data to", "Running node", "Completed ")

CELLS = [
    "%load_ext kedro.ipython",
    'outputs = session.run(pipeline_names=["preprocessing"])\nsorted(outputs)',
    # A warning from one of the quieted loggers still shows.
    'import logging\nlogging.getLogger("kedro.io.data_catalog").warning("PROBE")',
    # A failing run still shows its error (in a new session: one run each).
    "%reload_kedro",
    'session.run(pipeline_names=["no_such_pipeline"])',
]


@pytest.fixture
def copy(project, tmp_path) -> Project:
    return project.fresh_copy(tmp_path / project.path.name)


@pytest.fixture
def kernel_env(tmp_path) -> dict[str, str]:
    """Empty IPython and Jupyter folders: a plain `python3` kernel."""
    env = {}
    for name in ("IPYTHONDIR", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR"):
        folder = tmp_path / name.lower()
        folder.mkdir()
        env[name] = str(folder)
    return env


def test_session_run_cells_show_results_warnings_and_errors(copy, kernel_env, tmp_path):
    cells = notebook_of_cells(*CELLS)
    # The last cell fails on purpose; nbclient goes on past a cell so tagged.
    cells.cells[-1].metadata["tags"] = ["raises-exception"]
    executed = execute(copy, cells, tmp_path / "cells.ipynb", kernel_env)
    texts = {index: "" for index in range(len(CELLS))}
    for index, text in cell_texts(executed):
        texts[index] += text

    assert "['model_input_table', 'raw_data_quality']" in texts[1]
    for line in PER_STEP:
        assert line not in texts[1], texts[1]
    assert "WARNING" in texts[2]
    assert "PROBE" in texts[2]
    # Kedro's IPython extension prints tracebacks with rich, as text.
    assert re.search(r"^\w+(Error|Exception): .*no_such_pipeline", texts[4], re.M), (
        texts[4]
    )


def test_kedro_run_in_a_terminal_still_logs_each_step(copy):
    result = copy.run("kedro", "run", "--pipelines", "preprocessing")
    for line in PER_STEP:
        assert line in result.stdout + result.stderr, line
