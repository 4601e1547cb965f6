"""Fast tier: the git step of the baked README's Install, run as printed on a
fresh bake, leaves a repository whose first run is clean; the line a run
prints without git names the same step."""

from __future__ import annotations

import re
import subprocess

from conftest import DEFAULT_PACKAGE, clean_env

GIT_STEP = re.compile(r"^git init .*$", re.M)


def test_the_install_git_step_commits_everything_the_project_keeps(bake):
    project = bake()
    readme = (project / "README.md").read_text()
    install = readme.split("## Install")[1].split("\n## ")[0]
    [step] = GIT_STEP.findall(install)
    env = clean_env(
        GIT_AUTHOR_NAME="dev",
        GIT_AUTHOR_EMAIL="dev@example.com",
        GIT_COMMITTER_NAME="dev",
        GIT_COMMITTER_EMAIL="dev@example.com",
    )
    subprocess.run(["bash", "-c", step], cwd=project, env=env, check=True)

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=project, capture_output=True, text=True, check=True
        ).stdout

    assert git("status", "--porcelain") == ""  # the first run is not dirty
    assert git("rev-list", "--count", "HEAD").strip() == "1"
    assert "README.md" in git("ls-files").split()

    # The line a run prints in a project without git names the same step.
    tracking = (
        project / "src" / DEFAULT_PACKAGE / "mlflow_wiring" / "tracking.py"
    ).read_text()
    joined = re.sub(r'"\s*\n\s*"', "", tracking)
    assert step in joined
