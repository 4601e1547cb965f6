"""Slow tier: kedro-viz shows every pipeline of the baked project, the
inference pipeline that kedro-mlflow's pipeline_ml_factory logs included."""

from __future__ import annotations

import json

import pytest
from conftest import Project, free_port, served

pytestmark = pytest.mark.slow

# Each registered pipeline and the names of its nodes, as Kedro loads them.
REGISTRY = """
import json
from pathlib import Path
from kedro.framework.startup import bootstrap_project
bootstrap_project(Path.cwd())
from kedro.framework.project import pipelines
print(json.dumps({name: sorted(n.name for n in p.nodes) for name, p in pipelines.items()}))
"""


def task_names(graph: dict) -> list[str]:
    return sorted(node["name"] for node in graph["nodes"] if node["type"] == "task")


@pytest.fixture
def viz_project(project, tmp_path) -> Project:
    """A copy of the baked project: `kedro viz build` writes build/ into it."""
    return project.fresh_copy(tmp_path / project.path.name)


@pytest.fixture
def registry(viz_project) -> dict[str, list[str]]:
    registry = json.loads(viz_project.python(REGISTRY).stdout.splitlines()[-1])
    assert {"__default__", "preprocessing", "training", "inference"} <= set(registry)
    return registry


def test_kedro_viz_build_shows_every_pipeline_and_its_nodes(viz_project, registry):
    viz_project.run("kedro", "viz", "build")
    api = viz_project.path / "build" / "api"
    main = json.loads((api / "main").read_text())
    assert sorted(p["id"] for p in main["pipelines"]) == sorted(registry)
    for name, nodes in registry.items():
        graph = json.loads((api / "pipelines" / name).read_text())
        assert task_names(graph) == nodes, name
    # Its hooks are switched off in settings.py: nothing written at the root.
    assert not (viz_project.path / ".viz").exists()


def test_kedro_viz_run_serves_the_pipelines(viz_project, registry, tmp_path):
    # kedro-viz refuses ports above 49151, the registered range's end.
    port = free_port(below=49152)
    with served(
        [
            str(viz_project.bin / "kedro"), "viz", "run", "--no-browser",
            "--host", "127.0.0.1", "--port", str(port),
        ],
        f"http://127.0.0.1:{port}/api/pipelines/inference",
        tmp_path / "viz.log",
        cwd=viz_project.path,
        env=viz_project.env(),
    ) as body:  # fmt: skip
        graph = json.loads(body)
    assert task_names(graph) == registry["inference"]
