"""Slow tier: the README's "Adopt in an existing Kedro project" steps, applied to
a project made by `kedro new` with Kedro's default template (no starter)."""

from __future__ import annotations

import shutil

import pytest
from conftest import DEFAULT_PACKAGE, Project, warning_lines
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from test_project import runs_in

pytestmark = pytest.mark.slow

PLAIN_PACKAGE = "plain_project"
# Step 2 of the README's list: copied unchanged into the adopting package.
ADOPTED = ("mlflow_wiring", "cli.py", "errors.py")

# Kedro's default template has no nodes; a user adopting us has their own.
PIPELINE_REGISTRY = """
from kedro.pipeline import Pipeline, node


def double(value: int) -> int:
    return value * 2


def register_pipelines() -> dict[str, Pipeline]:
    pipeline = Pipeline([node(double, "params:model.value", "doubled", name="double")])
    return {"__default__": pipeline}
"""


def settings_body(settings: str) -> str:
    """What the README says to copy from settings.py: everything after the docstring."""
    return settings.split('"""', 2)[2]


@pytest.fixture(scope="module")
def adopted(project: Project, bake, tmp_path_factory) -> Project:
    root = tmp_path_factory.mktemp("adopt")
    plain = Project(path=root / "plain-project", venv=project.venv)
    project.run(
        "kedro", "new", "--name", "Plain Project", "--tools", "none", "--example", "n",
        cwd=root,
    )  # fmt: skip
    package = plain.path / "src" / PLAIN_PACKAGE
    (package / "pipeline_registry.py").write_text(PIPELINE_REGISTRY)
    (plain.path / "conf" / "base" / "parameters.yml").write_text("model: {value: 21}\n")

    ours = bake()
    # 1. mlflow.yml, with the experiment named after the adopting package
    mlflow_yml = (ours / "conf" / "base" / "mlflow.yml").read_text()
    assert f"name: {DEFAULT_PACKAGE}\n" in mlflow_yml
    (plain.path / "conf" / "base" / "mlflow.yml").write_text(
        mlflow_yml.replace(f"name: {DEFAULT_PACKAGE}\n", f"name: {PLAIN_PACKAGE}\n")
    )
    # 2. the wiring folder, cli.py and the errors it renders, unchanged
    shutil.copytree(
        ours / "src" / DEFAULT_PACKAGE / "mlflow_wiring", package / "mlflow_wiring"
    )
    for module in ("cli.py", "errors.py"):
        shutil.copy(ours / "src" / DEFAULT_PACKAGE / module, package / module)
    # 3. the body of settings.py, appended, with the package renamed
    body = settings_body((ours / "src" / DEFAULT_PACKAGE / "settings.py").read_text())
    assert body.count(f"{DEFAULT_PACKAGE}.") == 1
    with (package / "settings.py").open("a") as settings:
        settings.write(body.replace(f"{DEFAULT_PACKAGE}.", f"{PLAIN_PACKAGE}."))
    # 5. (optional) the IPython profile and its .gitignore lines
    shutil.copytree(ours / ".ipython", plain.path / ".ipython")
    ignored = (ours / ".gitignore").read_text().splitlines()
    with (plain.path / ".gitignore").open("a") as gitignore:
        gitignore.write(
            "\n".join(line for line in ignored if line.startswith(".ipython/")) + "\n"
        )
    # 4. the requirements block, merged (the shared venv has installed it already)
    block = (ours / "requirements.txt").read_text().split("\n\n")[0]
    assert "kedro-mlflow>=2.0.3,<3" in block
    theirs = plain.path / "requirements.txt"
    merged = merge_requirements(theirs.read_text(), block)
    # Kedro's template pins kedro~=<its version>: both ranges on one line.
    [kedro] = [
        requirement
        for requirement in map(requirement_of, merged.splitlines())
        if requirement is not None and requirement.name == "kedro"
    ]
    assert {spec.operator for spec in kedro.specifier} == {"~=", ">=", "<"}
    theirs.write_text(merged)
    return plain


def requirement_of(line: str) -> Requirement | None:
    """The requirement a line of requirements.txt names (None: a comment, blank)."""
    try:
        return Requirement(line)
    except InvalidRequirement:
        return None


def merge_requirements(theirs: str, ours: str) -> str:
    """Step 4 of the README: one line per package; where both files name a
    package, both ranges on that line (their intersection)."""
    wanted = {
        canonicalize_name(requirement.name): requirement
        for requirement in map(requirement_of, ours.splitlines())
        if requirement is not None
    }
    merged = []
    for line in theirs.splitlines():
        requirement = requirement_of(line)
        mine = requirement and wanted.pop(canonicalize_name(requirement.name), None)
        if mine is None:
            merged.append(line)
            continue
        requirement.specifier &= mine.specifier
        requirement.extras |= mine.extras
        merged.append(str(requirement))
    return "\n".join([*merged, *map(str, wanted.values())]) + "\n"


def test_adopted_project_records_one_run_in_its_own_store(adopted):
    result = adopted.run("kedro", "run")
    (run,) = runs_in(adopted.path / "mlflow.db", experiment=PLAIN_PACKAGE)
    assert run.info.status == "FINISHED"
    assert run.data.params["model.value"] == "21"
    assert run.data.tags["kedro.interactive"] == "false"
    assert not list(adopted.path.rglob("mlruns"))
    assert not warning_lines(result)


def test_adopted_project_opens_ipython_with_the_profile(adopted):
    check = (
        "import mlflow; "
        "print('PROFILE', get_ipython().profile_dir.location); "
        "session.run(); "
        "print('RUN', mlflow.last_active_run().data.tags['kedro.interactive'], "
        "mlflow.active_run())"
    )
    store = f"sqlite:///{adopted.path.resolve().as_posix()}/mlflow.db"
    for cwd in (adopted.path, adopted.path / "conf"):
        out = adopted.run("kedro", "ipython", "-c", check, cwd=cwd).stdout
        profile = adopted.path / ".ipython" / "profile_default"
        assert f"PROFILE {profile}" in out
        # The interactive layer: tagged, nothing left active, one report line.
        assert "RUN true None" in out
        assert f"MLflow: experiment '{PLAIN_PACKAGE}' at {store};" in out
