"""Kedro's configuration loader, with secrets kept in conf/local in every
environment, and an unknown environment refused by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from kedro.config import MissingConfigException, OmegaConfigLoader


class UnknownEnvironmentError(click.ClickException):
    """`--env` names no folder of conf/. A ClickException: `kedro run` prints
    the message alone."""


class ProjectConfigLoader(OmegaConfigLoader):
    """`OmegaConfigLoader` that also reads credentials from conf/local.

    Kedro merges conf/base with *one* run environment, conf/local by default.
    `kedro run --env server` therefore reads conf/base and conf/server, and
    would miss conf/local/credentials.yml: the git-ignored file where each
    team member keeps their own secrets, such as their password for the
    shared MLflow server. Here credentials from conf/local are merged last,
    over conf/base and conf/<env>, whatever the run environment. Every other
    kind of configuration is loaded exactly as Kedro does.

    Kedro reads an environment that does not exist as an empty one, and the
    run goes on with conf/base alone: here it is refused, by name.
    """

    secrets_env = "local"

    def __init__(self, conf_source: str | Path, env: str | None = None, **kwargs: Any):
        super().__init__(conf_source, env, **kwargs)
        conf = Path(conf_source)
        if env is not None and conf.is_dir() and not (conf / env).is_dir():
            known = sorted(
                folder.name
                for folder in conf.iterdir()
                if folder.is_dir()
                and not folder.name.startswith(".")
                and folder.name != self.base_env
            )
            raise UnknownEnvironmentError(
                f"Unknown Kedro environment '{env}' (no folder {conf.name}/{env}): "
                f"the environments are {', '.join(known) or 'none'}."
            )

    def __getitem__(self, key: str) -> dict[str, Any]:
        run_env = self.env or self.default_run_env
        if key != "credentials" or key in self or run_env == self.secrets_env:
            return super().__getitem__(key)
        try:
            credentials = super().__getitem__(key)
        except MissingConfigException:  # no credentials in conf/base nor conf/<env>
            credentials = {}
        secrets_path = Path(self.conf_source) / self.secrets_env
        if not secrets_path.is_dir():  # e.g. a packaged project's conf archive
            return credentials
        secrets = self.load_and_merge_dir_config(
            str(secrets_path),
            self.config_patterns[key],
            key,
            processed_files=set(),
            read_environment_variables=True,
        )
        return {**credentials, **secrets}
