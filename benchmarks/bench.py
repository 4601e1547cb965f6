"""What tracking costs, measured side by side with an untracked baseline.

Run with the test environment's Python (scripts/test.sh makes it), from the
template repository:

    .venv-test/bin/python benchmarks/bench.py            # a table
    .venv-test/bin/python benchmarks/bench.py --json     # one JSON object
    .venv-test/bin/python benchmarks/bench.py --quick    # fewer repetitions

Each figure is the median of alternating runs (tracked, untracked, tracked,
...) after one warm-up of each, so that both sides see the same machine load.
Nothing is installed: the baked project runs in this interpreter's
environment.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
PACKAGE = "bench_churn"
BIN = Path(sys.executable).parent

# Runs a command and reports its wall time, the CPU time of all it started
# (user + system: the work done, which other jobs on a busy machine inflate far
# less than the wall time) and the peak resident memory of the largest process
# (ru_maxrss of the children, in KiB on Linux).
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "seconds": seconds, "cpu_s": usage.ru_utime + usage.ru_stime,
               "peak_mib": usage.ru_maxrss / 1024}, out)
"""

# The untracked side of run_ratio: the same project with kedro-mlflow's hook
# unregistered and its datasets swapped for the plain datasets they wrap.
UNTRACKED_CATALOG = """
classifier:
  type: pickle.PickleDataset
  filepath: data/06_models/classifier.pkl
metrics:
  type: json.JSONDataset
  filepath: data/08_reporting/metrics.json
roc_curve_plot:
  type: matplotlib.MatplotlibDataset
  filepath: data/08_reporting/roc_curve.png
"""


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(
        KEDRO_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="1",
        MLFLOW_DISABLE_TELEMETRY="true",
    )
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(cmd: list[str], cwd: Path) -> dict[str, float]:
    """Wall time, CPU time and peak memory of one whole process."""
    with tempfile.NamedTemporaryFile("r", suffix=".json") as report:
        subprocess.run(
            [sys.executable, "-c", WRAPPER, report.name, *cmd],
            cwd=cwd,
            env=environment(),
            check=True,
        )
        result = json.load(open(report.name))
    if result["code"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {result['code']} in {cwd}")
    return result


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
    }


def alternate(
    tracked: Callable[[int], float], untracked: Callable[[int], float], repeats: int
) -> dict:
    """Warm both up, then alternate them `repeats` times each."""
    tracked(-1)
    untracked(-1)
    sides: dict[str, list[float]] = {"tracked": [], "untracked": []}
    for i in range(repeats):
        sides["tracked"].append(tracked(i))
        sides["untracked"].append(untracked(i))
    stats = {side: summary(values) for side, values in sides.items()}
    stats["ratio"] = stats["tracked"]["median"] / stats["untracked"]["median"]
    return stats


def bench_bake(work: Path, repeats: int) -> dict:
    """`kedro new --starter=<this template>` against Kedro's default template."""
    kedro = str(BIN / "kedro")

    def bake(starter: bool) -> Callable[[int], float]:
        def once(i: int) -> float:
            out = work / f"bake-{'starter' if starter else 'default'}-{i + 1}"
            out.mkdir()
            config = out / "config.yml"
            config.write_text(f"project_name: Bench Churn\noutput_dir: {out}\n")
            cmd = [kedro, "new", "--config", str(config)]
            if starter:
                cmd.append(f"--starter={TEMPLATE_DIR}")
            seconds = measure(cmd, out)["seconds"]
            shutil.rmtree(out)
            return seconds

        return once

    return alternate(bake(True), bake(False), repeats)


def bake_project(work: Path) -> Path:
    return Path(
        cookiecutter(
            str(TEMPLATE_DIR),
            no_input=True,
            output_dir=str(work),
            extra_context={"project_name": "Bench Churn"},
        )
    )


def untracked_copy(project: Path, work: Path) -> Path:
    """The same project with tracking taken out (see UNTRACKED_CATALOG)."""
    copy = work / "untracked" / project.name
    shutil.copytree(
        project, copy, ignore=shutil.ignore_patterns("mlflow.db", "mlartifacts")
    )
    settings = copy / "src" / PACKAGE / "settings.py"
    text = settings.read_text()
    # The last entry of HOOKS: "MlflowHook())" on one line, or "MlflowHook(),"
    # on a line of its own before the closing parenthesis.
    registered = re.compile(r",\s*MlflowHook\(\),?\s*\)")
    assert registered.search(text), "settings.py no longer registers MlflowHook last"
    settings.write_text(registered.sub(",)", text, count=1))
    (copy / "conf" / "untracked").mkdir()
    (copy / "conf" / "untracked" / "catalog.yml").write_text(UNTRACKED_CATALOG)
    return copy


def bench_run(project: Path, work: Path, repeats: int) -> dict:
    """`kedro run`, tracked into the default SQLite store, against untracked."""
    kedro = str(BIN / "kedro")
    untracked = untracked_copy(project, work)
    peaks: dict[str, list[float]] = {"tracked": [], "untracked": []}
    cpu: dict[str, list[float]] = {"tracked": [], "untracked": []}

    def timed(side: str, cmd: list[str], cwd: Path) -> Callable[[int], float]:
        def once(i: int) -> float:
            result = measure(cmd, cwd)
            if i >= 0:  # not the warm-up
                peaks[side].append(result["peak_mib"])
                cpu[side].append(result["cpu_s"])
            return result["seconds"]

        return once

    stats = alternate(
        timed("tracked", [kedro, "run"], project),
        timed("untracked", [kedro, "run", "--env", "untracked"], untracked),
        repeats,
    )
    stats["peak_mib"] = {side: max(values) for side, values in peaks.items()}
    stats["cpu_s"] = {side: summary(values) for side, values in cpu.items()}
    stats["cpu_ratio"] = (
        stats["cpu_s"]["tracked"]["median"] / stats["cpu_s"]["untracked"]["median"]
    )
    return stats


def enlarge(project: Path, copies: int, work: Path) -> Path:
    """A copy of the project whose example table holds ``copies`` copies of
    each customer, each copy with an id of its own (the training pipeline
    drops repeated customers)."""
    copy = work / project.name
    shutil.copytree(
        project, copy, ignore=shutil.ignore_patterns("mlflow.db", "mlartifacts")
    )
    raw = copy / "data" / "01_raw" / "customers.csv"
    header, *rows = raw.read_text().splitlines(keepends=True)
    with raw.open("w") as out:
        out.write(header)
        for i in range(copies):
            for row in rows:
                customer, rest = row.split(",", 1)  # the id comes first
                out.write(f"{customer}-{i},{rest}")
    return copy


def bench_run_scaled(project: Path, work: Path, repeats: int) -> dict:
    """run_ratio on the example table made 10 and 100 times larger: tracking's
    cost should be fixed per run, so these fall toward 1."""
    scaled = {}
    for copies in (10, 100):
        (work / f"{copies}x").mkdir()
        larger = enlarge(project, copies, work / f"{copies}x")
        scaled[f"{copies}x"] = bench_run(larger, work / f"{copies}x", repeats)
    return scaled


def in_project(code: str, project: Path) -> dict:
    """Run ``code`` in a new interpreter from the project's root; return the
    JSON object it prints last."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project,
        env=environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def project_code(project: Path) -> str:
    """What the in-project snippets share: the project's parameters as
    ``context.params`` has them (read without a session), and notebook 2's
    search in one call (deduplicate, split, tune; tracked or not)."""
    return f"""
import sys
from pathlib import Path
sys.path.insert(0, {str(project / "src")!r})
import mlflow
from kedro.framework.project import settings
from kedro.framework.startup import bootstrap_project
from {PACKAGE}.pipelines.training.nodes import drop_duplicate_customers, split_data
from {PACKAGE}.pipelines.training.tuning import AUTOLOG_SETTINGS, PARAM_GRID, tune

def project_parameters():
    bootstrap_project(Path({str(project)!r}))
    loader = settings.CONFIG_LOADER_CLASS(
        conf_source={str(project / "conf")!r}, **settings.CONFIG_LOADER_ARGS
    )
    return loader["parameters"]

def tuning_search(data, *, tracked):
    params = project_parameters()
    customers, _ = drop_duplicate_customers(data, params["id_column"])
    X_train, _, y_train, _ = split_data(
        customers, params["target"], params["features"], params["split"]
    )
    args = dict(param_grid=PARAM_GRID, features=params["features"],
                hyperparameters=params["hyperparameters"])
    if not tracked:
        mlflow.sklearn.autolog(disable=True)
        return tune(X_train, y_train, log_best_model=False, **args)
    mlflow.sklearn.autolog(**AUTOLOG_SETTINGS)
    with mlflow.start_run(run_name="tuning"):
        return tune(X_train, y_train, **args)
"""


def bench_autolog(project: Path, work: Path, repeats: int) -> dict:
    """The tuning search of notebook 2, under the project's autolog setup,
    against the same search untracked; in-process, the search call only."""
    code = (
        project_code(project)
        + f"""
import json, time
import pandas as pd
mlflow.set_tracking_uri({f"sqlite:///{(work / 'autolog.db').as_posix()}"!r})
mlflow.set_experiment("bench")
data = pd.read_parquet({str(project / "data" / "05_model_input" / "model_input_table.parquet")!r})
def timed(tracked):
    start = time.perf_counter()
    tuning_search(data, tracked=tracked)
    return time.perf_counter() - start
timed(True); timed(False)
sides = {{"tracked": [], "untracked": []}}
for _ in range({repeats}):
    sides["tracked"].append(timed(True))
    sides["untracked"].append(timed(False))
print(json.dumps(sides))
"""
    )
    sides = in_project(code, project)
    stats = {side: summary(values) for side, values in sides.items()}
    stats["ratio"] = stats["tracked"]["median"] / stats["untracked"]["median"]
    return stats


def bench_trial(project: Path, work: Path, repeats: int) -> dict:
    """One trial of the tuning pipeline (its cross-validation and final fit),
    as the pipeline runs it: a child run with its values, score and sklearn
    autolog; against the same work untracked. In-process, the trial only."""
    code = (
        project_code(project)
        + f"""
import json, time
import optuna, pandas as pd
from sklearn.model_selection import cross_val_score
from {PACKAGE}.pipelines.training.nodes import build_model
from {PACKAGE}.pipelines.tuning.trials import Objective
from {PACKAGE}.pipelines.tuning.search_space import parse_search_space
mlflow.set_tracking_uri({f"sqlite:///{(work / 'trial.db').as_posix()}"!r})
mlflow.set_experiment("bench")
params = project_parameters()
data = pd.read_parquet({str(project / "data" / "05_model_input" / "model_input_table.parquet")!r})
X, _, y, _ = split_data(data, params["target"], params["features"], params["split"])
tuning = params["tuning"]
values = {{"max_depth": 8, "min_samples_leaf": 5}}
with mlflow.start_run(run_name="study bench") as parent:
    pass
objective = Objective(X, y, features=params["features"],
    hyperparameters=params["hyperparameters"], tuning=tuning,
    space=parse_search_space(tuning["search_space"]), parent_id=parent.info.run_id)
def tracked():
    start = time.perf_counter()
    objective(optuna.trial.FixedTrial(values))
    return time.perf_counter() - start
def untracked():
    start = time.perf_counter()
    model = lambda: build_model(params["features"], {{**params["hyperparameters"], **values}})
    cross_val_score(model(), X, y, scoring=tuning["scoring"], cv=tuning["cv"],
                    n_jobs=tuning["n_jobs"]).mean()
    model().fit(X, y)
    return time.perf_counter() - start
tracked(); untracked()
sides = {{"tracked": [], "untracked": []}}
for _ in range({repeats}):
    sides["tracked"].append(tracked())
    sides["untracked"].append(untracked())
print(json.dumps(sides))
"""
    )
    sides = in_project(code, project)
    stats = {side: summary(values) for side, values in sides.items()}
    stats["ratio"] = stats["tracked"]["median"] / stats["untracked"]["median"]
    return stats


READY = (
    "assert {'session', 'context', 'catalog', 'pipelines'} <= set(globals()); "
    "import mlflow; assert mlflow.get_tracking_uri().startswith('sqlite:')"
)


def bench_profile(project: Path, repeats: int) -> dict:
    """A fresh IPython to ready with the project's profile, against Kedro's
    bare extension on the same project."""
    ipython = str(BIN / "ipython")
    profile_dir = project / ".ipython" / "profile_default"

    def with_profile(_: int) -> float:
        cmd = [ipython, f"--profile-dir={profile_dir}", "-c", READY]
        return measure(cmd, project)["seconds"]

    def bare(_: int) -> float:
        cmd = [ipython, "--ext", "kedro.ipython", "-c", READY]
        return measure(cmd, project)["seconds"]

    return alternate(with_profile, bare, repeats)


def bench_lineage(project: Path, repeats: int) -> dict:
    """What recording the training rows as an MLflow dataset input costs
    (lineage.dataset: digest, schema, size, as log_input sends them), on the
    model input table and on a table of 100 copies of it."""
    table = project / "data" / "05_model_input" / "model_input_table.parquet"
    if not table.exists():
        subprocess.run(
            [str(BIN / "kedro"), "run", "--pipelines", "preprocessing"],
            cwd=project,
            env=environment(),
            capture_output=True,
            check=True,
        )
    code = f"""
import json, sys, time
sys.path.insert(0, {str(project / "src")!r})
import pandas as pd
from {PACKAGE}.mlflow_wiring.lineage import dataset
table = pd.read_parquet({str(table)!r})
sizes = {{"1x": table, "100x": pd.concat([table] * 100, ignore_index=True)}}
times = {{}}
for name, frame in sizes.items():
    def record():
        start = time.perf_counter()
        dataset("X_train", frame, "table.parquet", frame["churned"]).to_dict()
        return time.perf_counter() - start
    record()
    times[name] = [record() for _ in range({repeats})]
print(json.dumps(times))
"""
    times = in_project(code, project)
    stats = {name: summary(values) for name, values in times.items()}
    stats["ratio"] = stats["100x"]["median"] / stats["1x"]["median"]
    return stats


# A cell of a notebook, timed in a kernel's own shell: with the project loaded
# (its hooks keep the tags of runs started by hand current), and bare.
CELLS = """
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
if sys.argv[1] == "project":
    shell.run_cell("%load_ext kedro.ipython")
    assert "mlflow" in shell.user_ns
for _ in range(20):
    shell.run_cell("x = 1")
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    shell.run_cell("x = 1")
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def big_repository(project: Path, work: Path, files: int = 60_000) -> Path:
    """A copy of the project at the root of a git repository of ``files``
    tracked files (committed: git compares every one of them with its index)."""
    repo = work / "big-repo"
    shutil.copytree(
        project, repo, ignore=shutil.ignore_patterns("mlflow.db", "mlartifacts")
    )
    for number in range(files):
        folder = repo / "vendored" / f"{number // 1000:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{number}.txt").write_text(f"{number}\n")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "big"]):
        subprocess.run([*git, *cmd], cwd=repo, check=True, capture_output=True)
    return repo


def bench_cell(project: Path, work: Path, repeats: int) -> dict:
    """What the project adds to each notebook cell (here `x = 1`) in a
    repository of 60,000 tracked files, against a bare IPython shell."""
    repo = big_repository(project, work)
    cells = 50 * repeats
    sides = {}
    for side in ("project", "bare"):
        out = subprocess.run(
            [sys.executable, "-c", CELLS, side, str(cells)],
            cwd=repo,
            env=environment(),
            capture_output=True,
            text=True,
            check=True,
        )
        sides[side] = json.loads(out.stdout.strip().splitlines()[-1])
    stats = {side: summary(values) for side, values in sides.items()}
    overhead = stats["project"]["median"] - stats["bare"]["median"]
    return {**stats, "cells": cells, "overhead_ms": overhead * 1000}


def bench_store(project: Path, work: Path, repeats: int) -> dict:
    """What the local store's safeguards cost (store.py): the check before
    each run and the copy after each successful one, on the project's store
    after one run, and on a copy of it padded to 100 MiB."""
    database = project / "mlflow.db"
    if not database.exists():
        subprocess.run(
            [str(BIN / "kedro"), "run"],
            cwd=project,
            env=environment(),
            capture_output=True,
            check=True,
        )
    padded = work / "padded" / "mlflow.db"
    padded.parent.mkdir()
    shutil.copy(database, padded)
    code = f"""
import json, os, sqlite3, sys, time
sys.path.insert(0, {str(project / "src")!r})
from {PACKAGE}.mlflow_wiring.store import backup_local_store, check_local_store
padded = {str(padded)!r}
with sqlite3.connect(padded) as db:
    db.execute("CREATE TABLE bench_padding (x BLOB)")
    db.executemany("INSERT INTO bench_padding VALUES (zeroblob(1048576))", [()] * 100)
times = {{}}
for name, path in (("project", {str(database)!r}), ("100mib", padded)):
    uri = "sqlite:///" + path
    for step, call in (("check", check_local_store), ("backup", backup_local_store)):
        def once():
            start = time.perf_counter()
            call(uri)
            return time.perf_counter() - start
        once()
        times[f"{{step}}_{{name}}"] = [once() for _ in range({repeats})]
times["size_mib"] = [
    os.path.getsize(path) / 1024**2 for path in ({str(database)!r}, padded)
]
print(json.dumps(times))
"""
    times = in_project(code, project)
    sizes = times.pop("size_mib")
    stats = {name: summary(values) for name, values in times.items()}
    stats["size_mib"] = {"project": sizes[0], "100mib": sizes[1]}
    return stats


def bench_validate(project: Path, repeats: int) -> dict:
    """What holding the raw rows to the schema costs (schema.check_customers,
    after parsing), on the example table and on a table 100 times its size."""
    code = f"""
import json, sys, time
sys.path.insert(0, {str(project / "src")!r})
import pandas as pd, yaml
from {PACKAGE}.pipelines.preprocessing.nodes import preprocess_customers
from {PACKAGE}.pipelines.preprocessing.schema import check_customers
column_types = yaml.safe_load(
    open("conf/base/parameters_preprocessing.yml")
)["column_types"]
raw = pd.read_csv("data/01_raw/customers.csv")
times = {{}}
for name, copies in (("1x", 1), ("100x", 100)):
    frame = pd.concat([raw] * copies, ignore_index=True)
    parsed = preprocess_customers(frame, column_types)
    def check():
        start = time.perf_counter()
        check_customers(frame, parsed, "customers")
        return time.perf_counter() - start
    check()
    times[name] = [check() for _ in range({repeats})]
print(json.dumps(times))
"""
    times = in_project(code, project)
    stats = {name: summary(values) for name, values in times.items()}
    stats["ratio"] = stats["100x"]["median"] / stats["1x"]["median"]
    return stats


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def run(repeats: int, parts: list[str]) -> dict:
    results: dict = {"machine": machine(), "repeats": repeats}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        if "bake" in parts:
            results["bake"] = bench_bake(work, repeats)
            results["bake_ratio"] = results["bake"]["ratio"]
        project = bake_project(work)
        if "run" in parts or "autolog" in parts:
            results["run"] = bench_run(project, work, repeats)
            results["run_ratio"] = results["run"]["ratio"]
            results["run_cpu_ratio"] = results["run"]["cpu_ratio"]
        if "scale" in parts:
            results["scale"] = bench_run_scaled(project, work, repeats)
            for size, stats in results["scale"].items():
                results[f"run_ratio_{size}"] = stats["ratio"]
        if "autolog" in parts:
            results["autolog"] = bench_autolog(project, work, repeats)
            results["autolog_ratio"] = results["autolog"]["ratio"]
        if "trial" in parts:
            if "run" not in results:  # the model input table comes from it
                results["run"] = bench_run(project, work, repeats)
                results["run_ratio"] = results["run"]["ratio"]
                results["run_cpu_ratio"] = results["run"]["cpu_ratio"]
            results["trial"] = bench_trial(project, work, repeats)
            results["trial_ratio"] = results["trial"]["ratio"]
        if "profile" in parts:
            results["profile"] = bench_profile(project, repeats)
            results["profile_ratio"] = results["profile"]["ratio"]
            results["profile_ready_s"] = results["profile"]["tracked"]["median"]
        if "cell" in parts:
            results["cell"] = bench_cell(project, work, repeats)
            results["cell_overhead_ms"] = results["cell"]["overhead_ms"]
        if "lineage" in parts:
            results["lineage"] = bench_lineage(project, repeats)
            results["lineage_100x_s"] = results["lineage"]["100x"]["median"]
            results["lineage_100x_ratio"] = results["lineage"]["ratio"]
        if "store" in parts:
            results["store"] = bench_store(project, work, repeats)
            results["store_backup_s"] = results["store"]["backup_project"]["median"]
            results["store_backup_100mib_s"] = results["store"]["backup_100mib"][
                "median"
            ]
        if "validate" in parts:
            results["validate"] = bench_validate(project, repeats)
            results["validate_s"] = results["validate"]["1x"]["median"]
            results["validate_100x_s"] = results["validate"]["100x"]["median"]
    return results


def table(results: dict) -> str:
    rows = [
        f"machine: {results['machine']}; median of {results['repeats']} alternating runs",
        f"{'figure':<14}{'ratio':>7}{'tracked s (min-max)':>26}{'untracked s (min-max)':>26}",
    ]
    pairs = {
        f"{name}_ratio": results[name]
        for name in ("bake", "run", "autolog", "trial", "profile")
        if name in results
    }
    for size, stats in results.get("scale", {}).items():
        pairs[f"run_ratio_{size}"] = stats
    for label, stats in pairs.items():

        def cell(side: str) -> str:
            s = stats[side]
            return f"{s['median']:.2f} ({s['min']:.2f}-{s['max']:.2f})"

        rows.append(
            f"{label:<16}{stats['ratio']:>5.2f}{cell('tracked'):>26}"
            f"{cell('untracked'):>26}"
        )
    if "run" in results:
        cpu = results["run"]["cpu_s"]
        rows.append(
            f"CPU time of kedro run: {cpu['tracked']['median']:.2f} s tracked, "
            f"{cpu['untracked']['median']:.2f} s untracked "
            f"(run_cpu_ratio {results['run']['cpu_ratio']:.2f})"
        )
        peak = results["run"]["peak_mib"]
        rows.append(
            f"peak memory of kedro run: {peak['tracked']:.0f} MiB tracked, "
            f"{peak['untracked']:.0f} MiB untracked"
        )
    if "profile_ready_s" in results:
        rows.append(f"profile_ready_s: {results['profile_ready_s']:.2f}")
    if "cell" in results:
        cell = results["cell"]
        rows.append(
            f"cell_overhead_ms: {cell['overhead_ms']:.2f} per notebook cell in a "
            f"repository of 60,000 files ({cell['project']['median'] * 1000:.2f} ms "
            f"with the project, {cell['bare']['median'] * 1000:.2f} ms bare; "
            f"median of {cell['cells']} cells)"
        )
    if "lineage" in results:
        lineage = results["lineage"]
        rows.append(
            f"lineage: recording the model input table as a dataset input "
            f"{lineage['1x']['median']:.3f} s, a table 100 times its size "
            f"{lineage['100x']['median']:.2f} s "
            f"(lineage_100x_ratio {lineage['ratio']:.0f})"
        )
    if "store" in results:
        store, size = results["store"], results["store"]["size_mib"]
        rows.append(
            "store: check / copy of the project's mlflow.db "
            f"({size['project']:.1f} MiB after one run) "
            f"{store['check_project']['median']:.3f} / "
            f"{store['backup_project']['median']:.3f} s; of a 100 MiB store "
            f"{store['check_100mib']['median']:.3f} / "
            f"{store['backup_100mib']['median']:.3f} s"
        )
    if "validate" in results:
        rows.append(
            f"validate: holding the example's raw rows to the schema "
            f"{results['validate_s']:.3f} s, 100 times as many rows "
            f"{results['validate_100x_s']:.2f} s"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="2 repetitions, not 5")
    parser.add_argument("--repeats", type=int, help="repetitions of each side")
    parser.add_argument(
        "--only",
        default="bake,run,scale,autolog,trial,profile,cell,lineage,store,validate",
        help="comma-separated figures to measure (default: all)",
    )
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 5)
    if repeats < 1:
        parser.error(f"--repeats {repeats}: must be at least 1")
    parts = args.only.split(",")
    figures = {
        *("bake", "run", "scale", "autolog", "trial", "profile"),
        *("cell", "lineage", "store", "validate"),
    }
    unknown = set(parts) - figures
    if unknown:
        parser.error(
            f"--only {args.only}: unknown figure(s) {', '.join(sorted(unknown))}"
        )
    results = run(repeats, parts)
    print(json.dumps(results, indent=2) if args.json else table(results))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
