"""Shared helpers: where the template is, how to bake it, and (slow tier) one
baked project installed in its own virtualenv for the whole test session."""

from __future__ import annotations

import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
DEFAULT_PACKAGE = "customer_churn"

# Telemetry off (Kedro's and MLflow's: MLflow reads DO_NOT_TRACK only when it
# is "true"), and no colours or wrapping, so that output can be asserted on.
QUIET_ENV = {
    "KEDRO_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "NO_COLOR": "1",
    "COLUMNS": "200",
}


# A line a user would have to wonder about: a Python warning, or a log record
# at WARNING level, however it is formatted.
WARNING_LINE = re.compile(r"warning", re.IGNORECASE)


def warning_lines(result: subprocess.CompletedProcess) -> list[str]:
    """The lines of a command's output that a user would read as warnings."""
    output = result.stdout + result.stderr
    return [line for line in output.splitlines() if WARNING_LINE.search(line)]


def clean_env(venv: Path | None = None, **extra: str) -> dict[str, str]:
    """This process's environment as a test's subprocess should see it, as on
    a user's machine: no PYTHON* variable of the developer's shell
    (PYTHONWARNINGS=default or PYTHONDEVMODE=1 show warnings a user never
    sees, PYTHONPATH injects code, PYTHONDONTWRITEBYTECODE slows every run), no
    MLFLOW_* variable (one would move the store) but the telemetry switch,
    quiet output, and `venv`'s programs first on PATH when given."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PYTHON"))
    }
    env.update(QUIET_ENV)
    if venv is not None:
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
        env["VIRTUAL_ENV"] = str(venv)
    env.update(extra)
    return env


def free_port(below: int | None = None) -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now; under
    `below` when given (the system picks from its ephemeral range otherwise,
    which on Linux goes up to 60999)."""
    candidates = [0] if below is None else random.sample(range(20000, below), 200)
    for candidate in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:  # taken
                continue
            return sock.getsockname()[1]
    raise AssertionError(f"no free TCP port on 127.0.0.1 under {below}")


def stop_process_group(process: subprocess.Popen, timeout: float = 15) -> None:
    """Stop a process started with `start_new_session=True` and everything it
    started (a server and its workers): SIGTERM, then SIGKILL after `timeout`."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        # The whole group, even when its leader has exited: workers may not have.
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:  # nothing of the group is left
            break
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue
    process.wait()


def wait_until_served(
    url: str, server: subprocess.Popen, log: Path, seconds: float = 180
) -> bytes:
    """Poll `url` until it answers 200 and return its body; fail, showing the
    server's log, when the server exits first or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while True:
        assert server.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                if response.status == 200:
                    return response.read()
        except OSError:  # not listening yet, or not ready
            pass
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(1)


def start_serving(
    cmd: list[str], url: str, log: Path, seconds: float = 180, **popen
) -> tuple[subprocess.Popen, bytes]:
    """Start the server `cmd` in a process group of its own (to stop it whole,
    workers included), its output going to `log`, and wait until `url`
    answers 200: the process and that answer's body. Stopped whole if it
    never answers."""
    with log.open("w") as output:
        process = subprocess.Popen(
            cmd,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **popen,
        )
    try:
        return process, wait_until_served(url, process, log, seconds)
    except BaseException:
        stop_process_group(process)
        raise


@contextmanager
def served(
    cmd: list[str], url: str, log: Path, seconds: float = 180, **popen
) -> Iterator[bytes]:
    """`start_serving` for the length of a `with` block, which gets the body
    of `url`'s first 200; the server is stopped whole when the block ends."""
    process, body = start_serving(cmd, url, log, seconds, **popen)
    try:
        yield body
    finally:
        stop_process_group(process)


# The output of every command run by Project.run in this session, for tests
# that look for what must never be printed (test_server.py: passwords).
OUTPUTS: list[str] = []


Bake = Callable[..., Path]


@pytest.fixture(scope="session")
def bake(cookies_session) -> Bake:
    """Bake the template through pytest-cookies, each bake in a folder of its
    own, with a throwaway cookiecutter config (a user's ~/.cookiecutterrc and
    replay files play no part). `bake(project_name="...")` returns the project."""

    def bake(**answers: str) -> Path:
        result = cookies_session.bake(extra_context=answers, template=str(TEMPLATE_DIR))
        assert result.exception is None, result.exception
        assert result.exit_code == 0
        return result.project_path

    return bake


def files_under(root: Path) -> set[str]:
    """Every file below `root`, as POSIX paths relative to it."""
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


@dataclass
class Project:
    """A baked project installed in its own virtualenv."""

    path: Path
    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def env(self, **extra: str) -> dict[str, str]:
        # As on a user's machine: Python may cache bytecode, nothing is injected.
        return clean_env(self.venv, **extra)

    def run(
        self,
        *args: str,
        cwd: Path | None = None,
        check: bool = True,
        timeout: float = 600,
        **extra_env: str,
    ) -> subprocess.CompletedProcess:
        """Run a command of the project's virtualenv (e.g. "kedro", "run")."""
        exe = self.bin / args[0]
        result = subprocess.run(
            [str(exe), *args[1:]],
            cwd=cwd or self.path,
            env=self.env(**extra_env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        OUTPUTS.append(f"$ {' '.join(args)}\n{result.stdout}\n{result.stderr}")
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def python(self, code: str, **kwargs) -> subprocess.CompletedProcess:
        return self.run("python", "-c", code, **kwargs)

    def fresh_copy(self, path: Path) -> Project:
        """A copy of this project at `path`, sharing its virtualenv, without
        anything its runs left behind: as baked and committed, never run."""
        shutil.copytree(self.path, path, ignore=run_outputs)
        (path / "conf" / "local" / "parameters_training.yml").unlink(missing_ok=True)
        return Project(path=path, venv=self.venv)


def run_outputs(folder: str, names: list[str]) -> set[str]:
    """What runs leave in a project (for shutil.copytree's `ignore`): the
    MLflow store and artifacts, every data layer but the raw one, the run
    lock, kedro-viz's and IPython's records."""
    ignored = set(
        shutil.ignore_patterns(
            "mlflow.db*", "mlartifacts", ".kedro-run.lock", ".viz", "history.*"
        )(folder, names)
    )
    if Path(folder).parent.name == "data" and Path(folder).name != "01_raw":
        ignored |= {name for name in names if name != ".gitkeep"}
    return ignored


def make_venv(path: Path, *install_args: str) -> Path:
    """A virtualenv at `path` (with pip, like `python -m venv`), then
    `uv pip install *install_args` when given."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
    subprocess.run(
        [uv, "venv", "-q", "--seed", "-p", sys.executable, str(path)], check=True
    )
    if install_args:
        python = str(path / "bin" / "python")
        subprocess.run(
            [uv, "pip", "install", "-q", "-p", python, *install_args], check=True
        )
    return path


@pytest.fixture(scope="session")
def project_venv(tmp_path_factory, bake) -> Path:
    """One virtualenv with the baked project's requirements.txt, for the session."""
    return make_venv(
        tmp_path_factory.mktemp("venv") / "venv",
        "-r",
        str(bake() / "requirements.txt"),
    )


@pytest.fixture(scope="session")
def project(bake, project_venv) -> Project:
    """The default project, baked once, in git (as a user would), installed."""
    return Project(path=commit_to_git(bake()), venv=project_venv)


def commit_to_git(path: Path) -> Path:
    """Commit a baked project to a new git repository, as a user would."""
    for cmd in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "bake"],
    ):
        subprocess.run(cmd, cwd=path, check=True)
    return path


# --- PostgreSQL (slow tier: the team server, the tuning study) --------------


def postgres_bin() -> Path:
    """The newest PostgreSQL's programs (Debian keeps them off PATH)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is None:
        pytest.fail(
            "PostgreSQL is not installed (.ci/run installs it: apt-get install postgresql)"
        )
    return Path(pg_ctl).parent


# --- PostgreSQL -------------------------------------------------------------


@dataclass
class Postgres:
    port: int
    role: str
    password: str

    def uri(self, database: str) -> str:
        return (
            f"postgresql+psycopg://{self.role}:{self.password}"
            f"@127.0.0.1:{self.port}/{database}"
        )


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL cluster in a temporary folder, on a free port of 127.0.0.1.

    PostgreSQL refuses to run as root: as root, its programs run as the
    `postgres` user, which owns the folder (pytest's own temporary folders are
    private to root, so this one is made directly in the system's).
    """
    pg = postgres_bin()
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    home = Path(tempfile.mkdtemp(prefix="kedro-mlflow-pg-"))
    superuser_password = secrets.token_hex(16)
    (home / "pwfile").write_text(superuser_password + "\n")
    if as_root:
        shutil.chown(home, "postgres")
        shutil.chown(home / "pwfile", "postgres")
    data, port = home / "data", free_port()

    def pg_run(*args: str, check: bool = True, as_owner: bool = True, **kwargs) -> None:
        command = [*prefix, *args] if as_owner else list(args)
        result = subprocess.run(command, capture_output=True, text=True, **kwargs)
        if check and result.returncode != 0:
            pytest.fail(
                f"{' '.join(args)} exited {result.returncode}:\n{result.stderr}"
            )

    try:
        pg_run(
            str(pg / "initdb"),
            *("-D", str(data), f"--pwfile={home / 'pwfile'}"),
            *"-U postgres -E UTF8 --auth=scram-sha-256 --no-sync".split(),
        )
        pg_run(
            str(pg / "pg_ctl"),
            *("-D", str(data), "-l", str(home / "postgres.log")),
            *("-o", f"-h 127.0.0.1 -p {port} -k {home} -F", "-w", "-t", "60", "start"),
        )
        db = Postgres(port=port, role="mlflow", password=secrets.token_hex(16))
        statements = [
            f"CREATE ROLE {db.role} LOGIN PASSWORD '{db.password}'",
            *(
                f"CREATE DATABASE {name} OWNER {db.role}"
                for name in ("tracking", "team", "team_auth", "optuna")
            ),
        ]
        psql_args = "-U postgres -d postgres -v ON_ERROR_STOP=1 -q".split()
        for statement in statements:
            pg_run(
                *(str(pg / "psql"), "-h", "127.0.0.1", "-p", str(port), *psql_args),
                input=statement,
                env={**os.environ, "PGPASSWORD": superuser_password},
                as_owner=False,
            )
        yield db
    finally:
        pg_run(
            str(pg / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop", check=False
        )
        shutil.rmtree(home, ignore_errors=True)
