"""Fast tier: bake the template with curated answers and check what comes out."""

from __future__ import annotations

import filecmp
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import DEFAULT_PACKAGE, TEMPLATE_DIR, clean_env, files_under
from cookiecutter.exceptions import FailedHookException

# Curated answers, named for what they exercise (not a cartesian product).
CONTEXTS = {
    "defaults": ({}, "customer-churn", "customer_churn"),
    "spaces": (
        {"project_name": "Churn Model Two"},
        "churn-model-two",
        "churn_model_two",
    ),
    "hyphens-capitals": (
        {"project_name": "Acme-Retention Study"},
        "acme-retention-study",
        "acme_retention_study",
    ),
    "digits": ({"project_name": "Churn 2026 v2"}, "churn-2026-v2", "churn_2026_v2"),
    "explicit-names": (
        {
            "project_name": "Anything Goes",
            "python_package": "churnpkg",
            "repo_name": "churn-repo",
        },
        "churn-repo",
        "churnpkg",
    ),
}

# Every file a default bake produces, with {pkg} for the package folder.
EXPECTED_FILES = """
.gitignore
.ipython/profile_default/ipython_config.py
README.md
docs/notebooks.md
docs/serving.md
docs/team-server.md
docs/tracking.md
notebooks/01_interactive_preprocessing.ipynb
notebooks/02_tune_hyperparameters.ipynb
pyproject.toml
requirements.txt
docker-compose.yml
docs/data-quality.md
scripts/tracking_server.sh
conf/base/catalog.yml
conf/base/lineage.yml
conf/base/mlflow.yml
conf/base/parameters_preprocessing.yml
conf/base/parameters_training.yml
conf/base/parameters_tuning.yml
conf/server/mlflow.yml
conf/server/parameters_tuning.yml
docs/tuning.md
conf/local/.gitkeep
data/01_raw/.gitkeep
data/01_raw/customers.csv
data/02_intermediate/.gitkeep
data/03_primary/.gitkeep
data/04_feature/.gitkeep
data/05_model_input/.gitkeep
data/06_models/.gitkeep
data/07_model_output/.gitkeep
data/08_reporting/.gitkeep
src/{pkg}/__init__.py
src/{pkg}/__main__.py
src/{pkg}/cli.py
src/{pkg}/errors.py
src/{pkg}/mlflow_wiring/__init__.py
src/{pkg}/mlflow_wiring/config_loader.py
src/{pkg}/datasets.py
src/{pkg}/mlflow_wiring/interactive.py
src/{pkg}/mlflow_wiring/lineage.py
src/{pkg}/mlflow_wiring/notices.py
src/{pkg}/pipeline_registry.py
src/{pkg}/mlflow_wiring/run.py
src/{pkg}/mlflow_wiring/server.py
src/{pkg}/mlflow_wiring/secrets.py
src/{pkg}/mlflow_wiring/store.py
src/{pkg}/mlflow_wiring/shared_run.py
src/{pkg}/settings.py
src/{pkg}/mlflow_wiring/tracking.py
src/{pkg}/mlflow_wiring/tuning.py
src/{pkg}/pipelines/__init__.py
src/{pkg}/pipelines/inference/__init__.py
src/{pkg}/pipelines/inference/model.py
src/{pkg}/pipelines/inference/nodes.py
src/{pkg}/pipelines/inference/pipeline.py
src/{pkg}/pipelines/preprocessing/__init__.py
src/{pkg}/pipelines/preprocessing/nodes.py
src/{pkg}/pipelines/preprocessing/pipeline.py
src/{pkg}/pipelines/preprocessing/schema.py
src/{pkg}/pipelines/training/__init__.py
src/{pkg}/pipelines/training/nodes.py
src/{pkg}/pipelines/training/pipeline.py
src/{pkg}/pipelines/training/tuning.py
src/{pkg}/pipelines/tuning/__init__.py
src/{pkg}/pipelines/tuning/nodes.py
src/{pkg}/pipelines/tuning/pipeline.py
src/{pkg}/pipelines/tuning/search_space.py
src/{pkg}/pipelines/tuning/study.py
src/{pkg}/pipelines/tuning/trials.py
scripts/promote.py
scripts/shared_run.py
airflow/dag_template.j2
docs/deploy.md
tests/__init__.py
tests/conftest.py
tests/test_datasets.py
tests/test_lineage.py
tests/test_tracking.py
tests/test_run.py
tests/test_run_life.py
tests/test_secrets.py
tests/test_store.py
docs/secrets-and-stores.md
tests/test_cli.py
tests/pipelines/__init__.py
tests/pipelines/conftest.py
tests/pipelines/inference/__init__.py
tests/pipelines/inference/test_model.py
tests/pipelines/inference/test_nodes.py
tests/pipelines/preprocessing/__init__.py
tests/pipelines/preprocessing/test_nodes.py
tests/pipelines/preprocessing/test_schema.py
tests/pipelines/training/__init__.py
tests/pipelines/training/test_nodes.py
tests/pipelines/tuning/__init__.py
tests/pipelines/tuning/test_search_space.py
""".split()


@pytest.fixture(params=list(CONTEXTS), scope="module")
def baked(request, bake):
    answers, repo_name, package = CONTEXTS[request.param]
    return bake(**answers), repo_name, package


def test_every_default_is_literal():
    # Plain `cookiecutter` has no Kedro to inject kedro_version & co.
    context = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
    for key, value in context.items():
        if isinstance(value, str) and "{{" in value:
            assert "cookiecutter." + key not in value, f"{key} refers to itself"
    assert context["kedro_version"] == "1.7.0"


def test_names_derive_from_the_project_name(baked):
    path, repo_name, package = baked
    assert path.name == repo_name
    assert (path / "src" / package / "settings.py").is_file()


def test_exact_set_of_files(baked):
    path, _, package = baked
    expected = {name.format(pkg=package) for name in EXPECTED_FILES}
    assert files_under(path) == expected


def test_nothing_left_unrendered(baked):
    path, _, _ = baked
    for name in files_under(path):
        if name.endswith(".csv"):
            continue
        text = (path / name).read_text()
        # kedro-airflow's templates are Jinja, copied as they are.
        markers = (
            ("cookiecutter.",)
            if name.endswith(".j2")
            else ("{{", "{%", "cookiecutter.")
        )
        for marker in markers:
            assert marker not in text, f"{marker!r} left in {name}"


def test_every_structured_file_parses(baked):
    path, _, package = baked
    for name in files_under(path):
        file = path / name
        if file.suffix in {".yml", ".yaml"}:
            yaml.safe_load(file.read_text())
        elif file.suffix == ".toml":
            tomllib.loads(file.read_text())
        elif file.suffix == ".json":
            json.loads(file.read_text())
        elif file.suffix == ".ipynb":
            nbformat.validate(nbformat.read(file, as_version=4))
    kedro = tomllib.loads((path / "pyproject.toml").read_text())["tool"]["kedro"]
    assert kedro["package_name"] == package
    assert kedro["source_dir"] == "src"
    assert kedro["kedro_init_version"] == "1.7.0"
    assert kedro["project_name"]


RESOLVE_MLFLOW_YML = """
import json, os, sys
from kedro.config import OmegaConfigLoader
from kedro.framework.project import configure_project, settings
from kedro_mlflow.config.kedro_mlflow_config import KedroMlflowConfig

project, package, *folders = sys.argv[1:]
sys.path.insert(0, f"{project}/src")
configure_project(package)
loader = OmegaConfigLoader(f"{project}/conf", **settings.CONFIG_LOADER_ARGS)
# The pattern kedro-mlflow's hook adds when a context is created
loader.config_patterns["mlflow"] = ["mlflow*", "mlflow*/**", "**/mlflow*"]
for folder in folders:
    os.chdir(folder)
    config = KedroMlflowConfig.model_validate(loader["mlflow"])
    print(json.dumps(config.model_dump(mode="json")))
"""


def resolve_mlflow_yml(project: Path, *folders: Path, **extra_env: str) -> list[dict]:
    """Resolve conf/base/mlflow.yml with the project's own settings from each of
    `folders` as working directory, and validate it with kedro-mlflow's own
    configuration model."""
    kedro = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["kedro"]
    out = subprocess.run(
        [sys.executable, "-c", RESOLVE_MLFLOW_YML, str(project), kedro["package_name"]]
        + [str(folder) for folder in folders],
        env=clean_env(**extra_env),
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    return [
        json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")
    ]


def test_mlflow_yml_tracks_into_the_project_store_from_any_folder(bake):
    project = bake()
    expected = f"sqlite:///{project.resolve().as_posix()}/mlflow.db"
    folders = [project, project / "notebooks", project / "src" / DEFAULT_PACKAGE]
    for folder in folders:
        folder.mkdir(exist_ok=True)
    configs = resolve_mlflow_yml(project, *folders)
    assert [c["server"]["mlflow_tracking_uri"] for c in configs] == [expected] * 3
    config = configs[0]
    tracking = config["tracking"]
    assert tracking["experiment"]["name"] == DEFAULT_PACKAGE
    artifact_location = tracking["experiment"]["create_experiment_kwargs"][
        "artifact_location"
    ]
    assert artifact_location == f"{project.resolve().as_posix()}/mlartifacts"
    assert tracking["run"] == {"id": None, "name": None, "nested": False}
    assert tracking["params"]["dict_params"]["flatten"] is True
    assert tracking["params"]["long_params_strategy"] == "tag"
    assert config["ui"] == {"port": "5000", "host": "127.0.0.1"}
    assert not (project / "notebooks" / "mlflow.db").exists()


def test_mlflow_tracking_uri_in_the_environment_wins(bake, tmp_path):
    project = bake()
    elsewhere = f"sqlite:///{tmp_path.as_posix()}/elsewhere.db"
    (config,) = resolve_mlflow_yml(project, project, MLFLOW_TRACKING_URI=elsewhere)
    assert config["server"]["mlflow_tracking_uri"] == elsewhere
    experiment = config["tracking"]["experiment"]
    # Artifacts beside that store, not in the project's mlartifacts/.
    assert experiment["create_experiment_kwargs"]["artifact_location"] == (
        f"{tmp_path.resolve().as_posix()}/mlartifacts"
    )


def test_a_tracking_server_keeps_artifacts_on_its_side(bake):
    project = bake()
    server = "http://127.0.0.1:5999"
    (config,) = resolve_mlflow_yml(project, project, MLFLOW_TRACKING_URI=server)
    assert config["server"]["mlflow_tracking_uri"] == server
    experiment = config["tracking"]["experiment"]
    assert experiment["create_experiment_kwargs"]["artifact_location"] is None


def test_ruff_passes_on_the_baked_project(baked):
    path, _, _ = baked
    for args in (["check", "."], ["format", "--check", "."]):
        out = subprocess.run(
            [sys.executable, "-m", "ruff", *args],
            cwd=path,
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stdout + out.stderr


def test_requirements_repeat_the_runtime_dependencies(bake):
    project = bake()
    runtime = tomllib.loads((project / "pyproject.toml").read_text())["project"][
        "dependencies"
    ]
    requirements = {
        line.strip()
        for line in (project / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert set(runtime) <= requirements
    for pin in (
        "kedro>=1.7,<2",
        "kedro-mlflow>=2.0.3,<3",
        "mlflow>=3.14,<4",
        "kedro-viz>=12.5,<13",
    ):
        assert pin in requirements


def test_gitignore_keeps_stores_and_secrets_out(bake):
    project = bake()
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    ignored = [
        "mlflow.db",
        "mlflow.db-journal",
        "mlflow.db.backup",
        "mlflow.db.damaged-20261129-194000",
        "mlartifacts/1/x/artifacts/model.pkl",
        "mlruns/0/meta.yaml",
        "conf/local/credentials.yml",
        "conf/local/parameters_training.yml",
        "data/02_intermediate/preprocessed_customers.parquet",
        "data/08_reporting/roc_curve.png",
        "notebooks/.ipynb_checkpoints/x.ipynb",
        ".viz/stats.json",
        ".ipython/profile_default/history.sqlite",
        ".ipython/profile_default/security/kernel.json",
        ".kedro-run.lock",
    ]
    kept = [
        "data/01_raw/customers.csv",
        "conf/local/.gitkeep",
        "conf/base/mlflow.yml",
        ".ipython/profile_default/ipython_config.py",
    ]
    out = subprocess.run(
        ["git", "check-ignore", "--no-index", *ignored, *kept],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert out.stdout.split() == ignored


BAD_ANSWERS = {
    "package-not-identifier": (
        {"python_package": "2churn"},
        "'2churn' is not a valid Python identifier",
    ),
    "package-keyword": ({"python_package": "import"}, "'import' is a Python keyword"),
    "package-shadows-mlflow": (
        {"python_package": "mlflow"},
        "'mlflow' would shadow the module 'mlflow'",
    ),
    "package-shadows-stdlib": (
        {"python_package": "json"},
        "'json' would shadow the module 'json'",
    ),
    "package-shadows-tests": ({"python_package": "tests"}, "'tests' would shadow"),
    "repo-leading-dash": (
        {"repo_name": "-churn"},
        "repo_name '-churn' is not a usable folder name",
    ),
    "repo-colon": (
        {"repo_name": "churn:v2"},
        "repo_name 'churn:v2' is not a usable folder name",
    ),
    "repo-reserved": (
        {"repo_name": "aux"},
        "repo_name 'aux' is a reserved device name",
    ),
    "name-digit-first": (
        {"project_name": "2026 Churn"},
        "'2026_churn' is not a valid Python identifier",
    ),
}


@pytest.mark.parametrize("case", list(BAD_ANSWERS))
def test_bad_answers_are_refused_and_leave_nothing(case, cookies, tmp_path, capfd):
    answers, message = BAD_ANSWERS[case]
    result = cookies.bake(extra_context=answers, template=str(TEMPLATE_DIR))
    assert isinstance(result.exception, FailedHookException)
    err = capfd.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("ERROR:")]
    assert len(lines) == 1
    assert message in lines[0]
    # `cookies` bakes below the test's own temporary folder.
    assert files_under(tmp_path) == set()


def kedro_new(
    *args: str, cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess:
    kedro = Path(sys.executable).with_name("kedro")
    return subprocess.run(
        [str(kedro), "new", f"--starter={TEMPLATE_DIR}", *args],
        cwd=cwd,
        env=clean_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def same_tree(left: Path, right: Path) -> None:
    assert files_under(left) == files_under(right)
    for name in files_under(left):
        assert filecmp.cmp(left / name, right / name, shallow=False), name


def test_kedro_new_with_config_matches_plain_cookiecutter(bake, tmp_path):
    answers = {"project_name": "Churn Diff", "python_package": "churn_diff_pkg"}
    plain = bake(**answers)
    (tmp_path / "kedro").mkdir()
    config = tmp_path / "config.yml"
    config.write_text(
        yaml.safe_dump({**answers, "output_dir": str(tmp_path / "kedro")})
    )
    out = kedro_new("--config", str(config), cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    same_tree(plain, tmp_path / "kedro" / "churn-diff")


def test_kedro_new_asks_only_the_project_name(tmp_path):
    out = kedro_new(cwd=tmp_path, stdin="Prompted Churn\n")
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.findall(r"^([A-Z][\w ]+)\n=+$", out.stdout, flags=re.M) == [
        "Project Name"
    ]
    assert (tmp_path / "prompted-churn" / "src" / "prompted_churn").is_dir()


def test_kedro_new_with_name_asks_nothing(bake, tmp_path):
    out = kedro_new("--name", "Named Churn", cwd=tmp_path, stdin="")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Project Name\n===" not in out.stdout
    same_tree(bake(project_name="Named Churn"), tmp_path / "named-churn")


def test_kedro_new_refuses_a_bad_package_and_leaves_nothing(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "project_name": "Fine Name",
                "python_package": "sklearn",
                "output_dir": str(tmp_path / "out"),
            }
        )
    )
    (tmp_path / "out").mkdir()
    out = kedro_new("--config", str(config), cwd=tmp_path)
    assert out.returncode != 0
    assert "'sklearn' would shadow the module 'sklearn'" in out.stdout + out.stderr
    assert list((tmp_path / "out").iterdir()) == []
