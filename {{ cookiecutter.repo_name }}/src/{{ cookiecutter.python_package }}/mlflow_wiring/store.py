"""The local SQLite store (mlflow.db): checked before a run, copied after one.

MLflow meets a store it cannot write with two minutes of retries and an SQL
error that names no file, and a damaged one with "database disk image is
malformed" on every command. `check_local_store` says instead, at once,
which file is the matter and what to do. `backup_local_store` keeps one
consistent copy beside the store (mlflow.db.backup, taken with SQLite's
online backup after a successful run), from which a damaged store is restored.
Stores on a tracking server are the server's business: both leave them alone.
"""

from __future__ import annotations

import logging
import os
import shlex
import sqlite3
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from kedro.config import MissingConfigException

if TYPE_CHECKING:
    from kedro.framework.context import KedroContext

logger = logging.getLogger(__name__)

# Bounds of the work done on every run: the integrity check before it stops
# (and lets the store pass) after this many seconds; a copy is not taken of a
# larger store, and is given up (keeping the previous copy) after this long.
CHECK_SECONDS = 2.0
BACKUP_MAX_BYTES = 512 * 1024**2
BACKUP_SECONDS = 10.0

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 100  # SQLite's file header, page size and page count included
SIDE_FILES = ("-journal", "-wal", "-shm")  # SQLite's, beside the database


class LocalStoreError(click.ClickException):
    """The local MLflow store cannot be used. A ClickException, so that `kedro
    run` prints the message alone, without a traceback."""


def sqlite_path(uri: str | None) -> Path | None:
    """The database file of a ``sqlite:///`` URI (relative to the working
    directory, as SQLite opens it), None for any other store."""
    if not uri or not uri.startswith("sqlite:///"):
        return None
    path = uri.removeprefix("sqlite:///").partition("?")[0]
    if path in ("", ":memory:"):
        return None
    return Path(os.path.abspath(path))


def backup_path(database: Path) -> Path:
    """Where the copy of ``database`` is kept: beside it, ``<name>.backup``."""
    return database.with_name(f"{database.name}.backup")


def configured_store_uris(context: KedroContext) -> set[str]:
    """The tracking and registry URIs that kedro-mlflow is about to set up
    (read from mlflow.yml, or MLFLOW_TRACKING_URI when it names none)."""
    try:
        server = context.config_loader["mlflow"].get("server", {})
    except MissingConfigException:
        server = {}
    tracking = server.get("mlflow_tracking_uri") or os.environ.get(
        "MLFLOW_TRACKING_URI"
    )
    registry = server.get("mlflow_registry_uri") or os.environ.get(
        "MLFLOW_REGISTRY_URI"
    )
    return {uri for uri in (tracking, registry) if uri}


def check_local_store(uri: str | None) -> None:
    """Raise a LocalStoreError naming the file and the fix when the SQLite
    store of ``uri`` cannot be read, written or created, or is damaged."""
    database = sqlite_path(uri)
    if database is None:
        return
    if database.exists():
        if not database.is_file():
            raise unusable(database, "it is not a file")
        if not os.access(database, os.R_OK):
            raise unusable(database, "you may not read it")
        if not os.access(database, os.W_OK):
            raise unusable(database, "it is read-only")
    folder = database.parent
    while not folder.exists():  # MLflow creates the missing folders
        folder = folder.parent
    problem = cannot_write_in(folder)
    if problem:
        raise unusable(database, f"cannot write in {folder} ({problem})")
    if database.exists():
        damage = damage_of(database)
        if damage:
            raise damaged(database, damage)


def cannot_write_in(folder: Path) -> str | None:
    """Why a file cannot be written in ``folder`` (SQLite writes its journal
    beside the database), or None. Tried for real: permissions, a read-only
    or full disk."""
    try:
        with tempfile.TemporaryFile(dir=folder) as probe:
            probe.write(b"\0" * 4096)
            probe.flush()
    except OSError as error:
        return error.strerror or str(error)
    return None


def unusable(database: Path, reason: str) -> LocalStoreError:
    return LocalStoreError(
        f"Cannot use the MLflow store {database}: {reason}. Check the permissions "
        "of the file and its folder and the free disk space, or set "
        "MLFLOW_TRACKING_URI to a store you can write (e.g. sqlite:////tmp/mlflow.db)."
    )


def damage_of(database: Path) -> str | None:
    """What is wrong with the SQLite file ``database``, or None when SQLite's
    quick check passes (or runs out of time: the store then gets the benefit)."""
    size = database.stat().st_size
    if size == 0:
        # SQLite takes an empty file for a new database, and MLflow would
        # silently start over: damage, when there was a store before.
        backup = backup_path(database)
        return "it is empty" if backup.is_file() and backup.stat().st_size else None
    with database.open("rb") as file:
        header = file.read(HEADER_BYTES)
    if len(header) < HEADER_BYTES or not header.startswith(SQLITE_MAGIC):
        return "it is not an SQLite database"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    size_is_valid = header[24:28] == header[92:96]  # SQLite's own rule
    if size_is_valid and pages * page_size > size:
        return f"it is truncated: {size} of its {pages * page_size} bytes are left"
    deadline = time.monotonic() + CHECK_SECONDS
    connection = sqlite3.connect(database, timeout=1)
    try:
        connection.set_progress_handler(lambda: time.monotonic() > deadline, 1000)
        (result, *_), *_ = connection.execute("PRAGMA quick_check(1)").fetchall()
    except sqlite3.OperationalError:  # out of time, or locked by a writer
        return None
    except sqlite3.DatabaseError as error:
        return str(error)
    finally:
        connection.close()
    return None if result == "ok" else result


def damaged(database: Path, damage: str) -> LocalStoreError:
    backup = backup_path(database)
    aside = database.with_name(
        f"{database.name}.damaged-{datetime.now():%Y%m%d-%H%M%S}"
    )
    moves = [(database, aside)] + [
        (side, aside.with_name(aside.name + suffix))
        for suffix in SIDE_FILES
        if (side := database.with_name(database.name + suffix)).exists()
    ]
    command = " && ".join(
        f"mv {shlex.quote(str(a))} {shlex.quote(str(b))}" for a, b in moves
    )
    message = f"The MLflow store {database} is damaged ({damage})."
    if not backup.is_file():
        return LocalStoreError(
            f"{message} There is no copy of it ({backup.name}); its runs and "
            f"registered models are lost. To start an empty store, move it aside:"
            f"\n  {command}"
        )
    taken = datetime.fromtimestamp(backup.stat().st_mtime)
    command += f" && cp {shlex.quote(str(backup))} {shlex.quote(str(database))}"
    return LocalStoreError(
        f"{message} Restore its copy of {taken:%Y-%m-%d %H:%M}, which lacks only "
        "what was recorded after that time (the damaged file is moved aside):"
        f"\n  {command}"
    )


def backup_local_store(uri: str | None) -> Path | None:
    """Copy the SQLite store of ``uri`` to ``<name>.backup`` beside it, with
    SQLite's online backup (a consistent copy, even while another process
    writes), replacing the previous copy only once the new one is complete.

    Call it after a successful run. The path of the copy; None for other
    stores, or when no copy was taken (store too large, copy too slow, or an
    error: logged, never raised, and the previous copy stays).
    """
    database = sqlite_path(uri)
    if database is None or not database.is_file():
        return None
    size = database.stat().st_size
    if size > BACKUP_MAX_BYTES:
        logger.info(
            "No copy of the MLflow store %s: it is over %d MiB.",
            database,
            BACKUP_MAX_BYTES // 1024**2,
        )
        return None
    backup = backup_path(database)
    partial = backup.with_name(f"{backup.name}.partial")
    deadline = time.monotonic() + BACKUP_SECONDS

    def give_up_when_late(status: int, remaining: int, total: int) -> None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"over {BACKUP_SECONDS:.0f} s")

    partial.unlink(missing_ok=True)
    source, target = sqlite3.connect(database, timeout=5), sqlite3.connect(partial)
    try:
        source.backup(target, pages=1024, progress=give_up_when_late)
        target.close()
        os.replace(partial, backup)
    except (OSError, sqlite3.Error) as error:
        logger.warning("No copy of the MLflow store %s: %s", database, error)
        return None
    finally:
        source.close()
        target.close()
        partial.unlink(missing_ok=True)
    return backup
