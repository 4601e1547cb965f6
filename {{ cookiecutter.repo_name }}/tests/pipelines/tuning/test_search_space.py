"""Tests of the tuning pipeline's pieces that need no study database: the
search space, the sampler's seeding, autologging inside a pipeline run, and
the tags of a run trained with tuned values."""

from __future__ import annotations

import mlflow
import optuna
import pytest
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from {{ cookiecutter.python_package }}.datasets import LocalParametersDataset
from {{ cookiecutter.python_package }}.mlflow_wiring.tuning import (
    autologging_suspended,
    sklearn_autologging,
    tuned_by_tags,
)
from {{ cookiecutter.python_package }}.pipelines.training.tuning import PARAM_GRID
from {{ cookiecutter.python_package }}.pipelines.tuning.search_space import (
    SearchSpaceError,
    parse_search_space,
)
from {{ cookiecutter.python_package }}.pipelines.tuning.study import TrialSeededSampler

optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_the_shipped_space_spans_notebook_2s_grid(parameters):
    space = parse_search_space(parameters["tuning"]["search_space"]).distributions
    assert space.keys() == PARAM_GRID.keys()
    for name, values in PARAM_GRID.items():
        assert (space[name].low, space[name].high) == (min(values), max(values))
        assert isinstance(space[name], optuna.distributions.IntDistribution)


def test_ranges_and_choices_become_optuna_distributions():
    space = parse_search_space(
        {
            "max_depth": {"low": 2, "high": 32, "log": True},
            "max_features": {"low": 0.2, "high": 1.0},
            "criterion": {"choices": ["gini", "entropy"]},
            "n_estimators": {"low": 50, "high": 300, "step": 50},
        }
    ).distributions
    assert space["max_depth"] == optuna.distributions.IntDistribution(2, 32, log=True)
    assert space["max_features"] == optuna.distributions.FloatDistribution(0.2, 1.0)
    assert space["criterion"].choices == ("gini", "entropy")
    assert space["n_estimators"].step == 50


@pytest.mark.parametrize(
    ("space", "message"),
    [
        (
            {"max_dept": {"low": 1, "high": 3}},
            "max_dept is not a hyperparameter of RandomForestClassifier "
            "(did you mean max_depth?)",
        ),
        (
            {"max_depth": {"low": 12, "high": 4}},
            "max_depth: empty range, low 12 > high 4",
        ),
        ({"criterion": {"choices": []}}, "criterion: choices is empty"),
        ({"max_depth": {"low": 1, "hi": 3}}, "max_depth: unknown key hi"),
        ({"max_depth": {"low": 1}}, "max_depth: a range needs both low and high"),
        ({"max_depth": {"low": 0, "high": 8, "log": True}}, "needs low > 0"),
        ({"max_depth": {"low": "4", "high": 8}}, "must be numbers"),
        ({"max_depth": [4, 8]}, "max_depth must be a range (low, high) or a list"),
        ({}, "is empty"),
    ],
)
def test_a_space_that_cannot_be_searched_is_refused_in_one_line(space, message):
    with pytest.raises(SearchSpaceError) as refused:
        parse_search_space(space)
    text = refused.value.message
    assert message in text
    assert "tuning.search_space" in text
    assert "\n" not in text


def objective(trial: optuna.Trial) -> float:
    return trial.suggest_int("max_depth", 4, 12) + trial.suggest_float("x", 0, 1)


def sampled(sampler_for_each_worker, trials_per_worker: int = 3) -> list[dict]:
    """Two workers taking turns on one study, each with its own sampler."""
    storage = optuna.storages.InMemoryStorage()
    optuna.create_study(storage=storage, study_name="s", direction="maximize")
    workers = [
        optuna.load_study(
            study_name="s", storage=storage, sampler=sampler_for_each_worker()
        )
        for _ in range(2)
    ]
    for _ in range(trials_per_worker):
        for worker in workers:
            worker.optimize(objective, n_trials=1)
    return [trial.params for trial in workers[0].trials]


def test_workers_seeded_alike_never_draw_the_same_candidates():
    # One seeded TPE per worker: both draw the same random start.
    same = sampled(lambda: optuna.samplers.TPESampler(seed=42))
    assert same[0] == same[1]
    # Seeded per trial: every trial differs, and the study is reproducible.
    per_trial = sampled(lambda: TrialSeededSampler(42))
    assert len({tuple(sorted(params.items())) for params in per_trial}) == len(
        per_trial
    )
    assert sampled(lambda: TrialSeededSampler(42)) == per_trial


def fit_in_a_run() -> mlflow.entities.Run:
    X, y = [[0], [1], [0], [1]], [0, 1, 0, 1]
    with mlflow.start_run() as run:
        LogisticRegression().fit(X, y)
    return mlflow.get_run(run.info.run_id)


def test_sklearn_autologging_works_inside_a_suspended_pipeline_run():
    mlflow.sklearn.autolog(log_models=False, max_tuning_runs=7, silent=True)
    with autologging_suspended():  # as the project's hooks during a pipeline run
        assert fit_in_a_run().data.params == {}
        with sklearn_autologging({"log_models": False, "silent": True}):
            assert fit_in_a_run().data.params["C"] == "1.0"
        # Suspended again, with the configuration found before the block.
        assert fit_in_a_run().data.params == {}
        config = mlflow.utils.autologging_utils.AUTOLOGGING_INTEGRATIONS["sklearn"]
        assert config["max_tuning_runs"] == 7
    assert fit_in_a_run().data.params["C"] == "1.0"  # the hooks' block ended
    mlflow.sklearn.autolog(disable=True)


def test_sklearn_autologging_outside_a_pipeline_run_leaves_autologging_on():
    mlflow.sklearn.autolog(log_models=False, silent=True)
    with sklearn_autologging({"log_models": False, "silent": True}):
        pass
    assert fit_in_a_run().data.params["C"] == "1.0"
    mlflow.sklearn.autolog(disable=True)


def test_sklearn_autologging_leaves_a_disabled_autolog_off():
    mlflow.sklearn.autolog(disable=True)
    with autologging_suspended():
        with sklearn_autologging({"log_models": False, "silent": True}):
            pass
    with mlflow.start_run() as run:
        DecisionTreeClassifier().fit([[0], [1]], [0, 1])
    assert mlflow.get_run(run.info.run_id).data.params == {}


TUNED = {
    "hyperparameters": {"n_estimators": 200, "max_depth": 6},
    "tuned_by": {"study": "s", "trial": 3, "params": {"max_depth": 6}, "run_id": "r1"},
}


def test_a_run_with_the_tuned_values_is_tagged_with_their_study_and_trial():
    assert tuned_by_tags(TUNED) == {
        "tuning.study": "s",
        "tuning.trial": "3",
        "tuning.trial_run_id": "r1",
    }
    overridden = {**TUNED, "hyperparameters": {"n_estimators": 200, "max_depth": 4}}
    assert tuned_by_tags(overridden) == {}
    assert tuned_by_tags({"hyperparameters": {"max_depth": 6}}) == {}


def test_local_parameters_keep_the_file_s_other_keys(tmp_path):
    path = tmp_path / "conf" / "local" / "parameters_training.yml"
    path.parent.mkdir(parents=True)
    path.write_text("split:\n  test_size: 0.3\nhyperparameters:\n  max_depth: 2\n")
    LocalParametersDataset(filepath=str(path), header="Written by a test.").save(TUNED)
    assert path.read_text().startswith("# Written by a test.\n")
    assert yaml.safe_load(path.read_text()) == {"split": {"test_size": 0.3}, **TUNED}
    assert LocalParametersDataset(filepath=str(tmp_path / "none.yml")).load() == {}
