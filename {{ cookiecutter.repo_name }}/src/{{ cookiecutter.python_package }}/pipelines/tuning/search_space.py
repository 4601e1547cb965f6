"""The search space of conf/base/parameters_tuning.yml, checked before any trial.

Each entry names a keyword argument of ``RandomForestClassifier`` (as in
``hyperparameters``, conf/base/parameters_training.yml) and says where its
values come from:

- ``{low: 4, high: 12}``: whole numbers from low to high, both included
  (``step`` and ``log: true`` optional); ``{low: 0.1, high: 0.9}``: real numbers;
- ``{choices: [sqrt, log2]}``: one of the listed values.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from sklearn.ensemble import RandomForestClassifier

WHERE = "tuning.search_space (conf/base/parameters_tuning.yml)"
RANGE_KEYS = {"low", "high", "step", "log"}


class SearchSpaceError(click.ClickException):
    """A search space that cannot be searched. A ClickException: `kedro run`
    ends with its one-line message, not a traceback."""


@dataclass(frozen=True)
class SearchSpace:
    """Optuna distributions by hyperparameter name."""

    distributions: dict[str, BaseDistribution]

    def sample(self, trial: Any) -> dict[str, Any]:
        """The trial's values, named as in ``hyperparameters``."""
        return {
            name: suggest(trial, name, distribution)
            for name, distribution in self.distributions.items()
        }


def suggest(trial: Any, name: str, distribution: BaseDistribution) -> Any:
    """One value of ``distribution`` for ``trial``, through Optuna's public API."""
    if isinstance(distribution, IntDistribution):
        return trial.suggest_int(
            name,
            distribution.low,
            distribution.high,
            step=distribution.step,
            log=distribution.log,
        )
    if isinstance(distribution, FloatDistribution):
        return trial.suggest_float(
            name,
            distribution.low,
            distribution.high,
            step=distribution.step,
            log=distribution.log,
        )
    return trial.suggest_categorical(name, distribution.choices)


def known_hyperparameters() -> set[str]:
    """The keyword arguments of ``RandomForestClassifier``."""
    return set(RandomForestClassifier().get_params())


def parse_search_space(space: Mapping[str, Any] | None) -> SearchSpace:
    """Check ``space`` (``tuning.search_space``) and turn it into distributions.

    Raises:
        SearchSpaceError: naming the first entry that cannot be searched.
    """
    if not space:
        raise SearchSpaceError(f"{WHERE} is empty: name at least one hyperparameter.")
    if not isinstance(space, Mapping):
        raise SearchSpaceError(f"{WHERE} must map hyperparameter names to ranges.")
    known = known_hyperparameters()
    return SearchSpace(
        {name: _distribution(name, spec, known) for name, spec in space.items()}
    )


def _distribution(name: str, spec: Any, known: set[str]) -> BaseDistribution:
    where = f"{WHERE}: {name}"
    if name not in known:
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise SearchSpaceError(
            f"{where} is not a hyperparameter of RandomForestClassifier{hint}."
        )
    if not isinstance(spec, Mapping):
        raise SearchSpaceError(
            f"{where} must be a range (low, high) or a list (choices), not {spec!r}."
        )
    if "choices" in spec:
        return _choices(where, spec)
    return _range(where, spec)


def _choices(where: str, spec: Mapping[str, Any]) -> CategoricalDistribution:
    if set(spec) != {"choices"}:
        extra = ", ".join(sorted(set(spec) - {"choices"}))
        raise SearchSpaceError(f"{where}: choices take no other key ({extra}).")
    choices = spec["choices"]
    if not isinstance(choices, list | tuple) or not choices:
        raise SearchSpaceError(f"{where}: choices is empty: list at least one value.")
    return CategoricalDistribution(list(choices))


def _range(where: str, spec: Mapping[str, Any]) -> BaseDistribution:
    unknown = set(spec) - RANGE_KEYS
    if unknown:
        raise SearchSpaceError(
            f"{where}: unknown key {', '.join(sorted(unknown))} "
            "(a range takes low, high, step, log; a list takes choices)."
        )
    if "low" not in spec or "high" not in spec:
        raise SearchSpaceError(f"{where}: a range needs both low and high.")
    low, high, step = spec["low"], spec["high"], spec.get("step")
    log = spec.get("log", False)
    numbers = [value for value in (low, high, step) if value is not None]
    if not all(_is_number(value) for value in numbers) or not isinstance(log, bool):
        raise SearchSpaceError(
            f"{where}: low, high and step must be numbers and log true or false."
        )
    if low > high:
        raise SearchSpaceError(f"{where}: empty range, low {low} > high {high}.")
    if log and low <= 0:
        raise SearchSpaceError(f"{where}: a log range needs low > 0, not {low}.")
    if step is not None and step <= 0:
        raise SearchSpaceError(f"{where}: step must be > 0, not {step}.")
    if log and step is not None:
        raise SearchSpaceError(f"{where}: a range takes step or log, not both.")
    if all(isinstance(value, int) for value in numbers):
        return IntDistribution(low, high, log=log, step=step or 1)
    return FloatDistribution(float(low), float(high), log=log, step=step)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
