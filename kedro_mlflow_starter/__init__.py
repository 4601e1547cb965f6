"""Registers this template with Kedro as the starter ``mlflow``:
``pip install kedro-mlflow-starter`` then ``kedro new --starter=mlflow``."""

from pathlib import Path

from kedro.framework.cli.starters import KedroStarterSpec

# The wheel carries the template (cookiecutter.json, prompts.yml, hooks/ and
# the project folder) here; see [tool.hatch.build] in pyproject.toml. A local
# folder is used in place: Kedro's --checkout only applies to git templates.
TEMPLATE_PATH = Path(__file__).resolve().parent / "template"

starters = [KedroStarterSpec(alias="mlflow", template_path=str(TEMPLATE_PATH))]
