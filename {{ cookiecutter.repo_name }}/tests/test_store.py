"""Tests of store.py: a local MLflow store that cannot be used is named at
once, with the fix; a damaged one is restored from its copy. And of
config_loader.py's refusal of an unknown environment."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import mlflow
import pytest

from {{ cookiecutter.python_package }}.mlflow_wiring import store
from {{ cookiecutter.python_package }}.mlflow_wiring.config_loader import (
    ProjectConfigLoader,
    UnknownEnvironmentError,
)
from {{ cookiecutter.python_package }}.mlflow_wiring.store import (
    LocalStoreError,
    backup_local_store,
    check_local_store,
)


def uri_of(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"


def recorded_store(path: Path) -> str:
    """A store holding one experiment with one run, made by MLflow itself."""
    client = mlflow.MlflowClient(uri_of(path))
    experiment = client.create_experiment("kept")
    run = client.create_run(experiment)
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def runs_in(path: Path) -> list[str]:
    """Read with SQLite itself: MLflow keeps its connections to a store open,
    to the file that was there before a restore."""
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT run_uuid FROM runs")]


def failure(uri: str) -> str:
    with pytest.raises(LocalStoreError) as raised:
        check_local_store(uri)
    return raised.value.message


@pytest.mark.parametrize(
    "uri", [None, "", "http://127.0.0.1:5000", "sqlite://", "databricks"]
)
def test_other_stores_are_left_alone(uri):
    check_local_store(uri)
    assert backup_local_store(uri) is None


def test_a_usable_store_passes_new_or_recorded(tmp_path):
    check_local_store(uri_of(tmp_path / "new" / "folders" / "mlflow.db"))
    recorded_store(tmp_path / "mlflow.db")
    start = time.monotonic()
    check_local_store(uri_of(tmp_path / "mlflow.db"))
    assert time.monotonic() - start < 2


def test_a_store_that_cannot_be_created_is_named(tmp_path):
    (tmp_path / "a-file").write_text("")
    database = tmp_path / "a-file" / "mlflow.db"
    message = failure(uri_of(database))
    assert f"Cannot use the MLflow store {database}: cannot write in " in message
    assert "MLFLOW_TRACKING_URI" in message
    (tmp_path / "a-folder.db").mkdir()
    assert "it is not a file" in failure(uri_of(tmp_path / "a-folder.db"))


def test_a_read_only_folder_or_store_is_named(tmp_path):
    folder, database = tmp_path / "read-only", tmp_path / "read-only" / "mlflow.db"
    folder.mkdir()
    recorded_store(database)
    database.chmod(0o444)
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):  # root: permissions stop nothing
            check_local_store(uri_of(database))
            return
        assert failure(uri_of(database)).startswith(
            f"Cannot use the MLflow store {database}: it is read-only."
        )
        database.chmod(0o644)
        assert f"cannot write in {folder} (Permission denied)" in failure(
            uri_of(database)
        )
        assert f"cannot write in {folder}" in failure(uri_of(folder / "new.db"))
    finally:
        folder.chmod(0o755)
        database.chmod(0o644)


def restore_command(message: str) -> str:
    """The command on the last line of the message."""
    return message.splitlines()[-1].strip()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: os.truncate(path, path.stat().st_size // 2), id="truncated"),
        pytest.param(lambda path: os.truncate(path, 0), id="empty"),
        pytest.param(lambda path: path.write_bytes(b"not a database" * 10), id="overwritten"),
    ],
)  # fmt: skip
def test_a_damaged_store_is_restored_from_its_copy(tmp_path, damage):
    database = tmp_path / "mlflow.db"
    kept = recorded_store(database)
    assert backup_local_store(uri_of(database)) == tmp_path / "mlflow.db.backup"
    client = mlflow.MlflowClient(uri_of(database))
    client.create_run(client.get_experiment_by_name("kept").experiment_id)
    damage(database)

    message = failure(uri_of(database))
    assert message.startswith(f"The MLflow store {database} is damaged (")
    assert "Restore its copy of " in message
    command = restore_command(message)
    subprocess.run(["sh", "-c", command], check=True, env={})  # a fresh shell

    check_local_store(uri_of(database))
    assert runs_in(database) == [kept]  # what the copy had, no more
    (aside,) = tmp_path.glob("mlflow.db.damaged-*")  # kept for a closer look
    assert aside.is_file()


def test_a_damaged_store_without_copy_says_how_to_start_over(tmp_path):
    database = tmp_path / "my store.db"  # a name that needs quoting
    recorded_store(database)
    os.truncate(database, database.stat().st_size // 2)
    message = failure(uri_of(database))
    assert "There is no copy of it (my store.db.backup)" in message
    subprocess.run(["sh", "-c", restore_command(message)], check=True, env={})
    assert not database.exists()
    check_local_store(uri_of(database))
    # An empty file without a copy is a new store, as SQLite sees it.
    database.write_bytes(b"")
    check_local_store(uri_of(database))


def test_the_copy_is_replaced_only_by_a_complete_one(tmp_path, monkeypatch, caplog):
    database = tmp_path / "mlflow.db"
    kept = recorded_store(database)
    backup = backup_local_store(uri_of(database))
    assert runs_in(backup) == [kept]
    before = backup.read_bytes()
    recorded_store_runs = mlflow.MlflowClient(uri_of(database))
    recorded_store_runs.create_run(
        recorded_store_runs.get_experiment_by_name("kept").experiment_id
    )

    monkeypatch.setattr(store, "BACKUP_SECONDS", -1.0)  # always too late
    assert backup_local_store(uri_of(database)) is None
    assert "No copy of the MLflow store" in caplog.text
    monkeypatch.setattr(store, "BACKUP_SECONDS", 10.0)
    monkeypatch.setattr(store, "BACKUP_MAX_BYTES", 1)  # too large
    assert backup_local_store(uri_of(database)) is None
    assert backup.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        "mlflow.db",
        "mlflow.db.backup",
    ]
    with sqlite3.connect(backup) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.fixture
def conf(tmp_path) -> Path:
    for env in ("base", "local", "server", ".hidden"):
        (tmp_path / "conf" / env).mkdir(parents=True)
    return tmp_path / "conf"


def test_an_unknown_environment_is_refused_by_name(conf):
    args = {"base_env": "base", "default_run_env": "local"}
    for env in (None, "local", "server"):
        ProjectConfigLoader(str(conf), env=env, **args)
    with pytest.raises(UnknownEnvironmentError) as raised:
        ProjectConfigLoader(str(conf), env="nope", **args)
    assert raised.value.message == (
        "Unknown Kedro environment 'nope' (no folder conf/nope): "
        "the environments are local, server."
    )


def test_a_full_disk_is_named(tmp_path):
    """No file can grow past 1 KiB in this process while it checks, as on a
    full disk (for root too, unlike permissions)."""
    folder = tmp_path / "full"
    folder.mkdir()
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, limits[1]))
    try:
        message = failure(uri_of(folder / "mlflow.db"))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, handler)
    assert f"cannot write in {folder}" in message
    assert "free disk space" in message
