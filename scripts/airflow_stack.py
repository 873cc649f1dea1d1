"""The topology of ``docker-compose.yaml`` on this machine, without Docker: Airflow's api-server, scheduler,
dag-processor, triggerer and Celery worker(s), PostgreSQL as the metadata database (and Celery result
backend), Redis as the Celery broker, the emulator (360Learning, SCIM, edX) and the connections to it.

    python scripts/airflow_stack.py start [--workers N] [--no-schedules] [--emulator-arg=--fault-rate=0.1 ...]
    python scripts/airflow_stack.py status
    python scripts/airflow_stack.py stop

Everything lives in a run directory (``.stack/<name>/``, git-ignored): a fresh ``AIRFLOW_HOME``, the logs and
``state.json`` (ports, process ids, the UI password). Each component runs in its own process group on ports
picked free on 127.0.0.1; ``stop`` ends exactly the process groups it started (SIGTERM, then SIGKILL), drops
the two PostgreSQL databases it created (``<name>`` for the metadata, ``<name>_warehouse`` for the stats DAG)
and empties its Redis database. Tests use :class:`AirflowStack` as a context manager.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
ADMIN_USER = "admin"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg(dbname: str = "postgres") -> Any:
    import psycopg2

    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, connect_timeout=5)
    conn.autocommit = True
    return conn


def _reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def ensure_services() -> None:
    """Start the local PostgreSQL and Redis when they are installed but down (the suite's own script)."""
    if not (_reachable(PG_HOST, PG_PORT) and _reachable(REDIS_HOST, REDIS_PORT)):
        subprocess.run(["bash", str(REPO / "scripts" / "ensure_services.sh")], check=False)
    for host, port, what in ((PG_HOST, PG_PORT, "PostgreSQL"), (REDIS_HOST, REDIS_PORT, "Redis")):
        if not _reachable(host, port):
            raise RuntimeError(f"{what} is not reachable on {host}:{port}")


def _process_tree(pid: int) -> list[int]:
    """The pid and its descendants (a task process may leave its parent's process group)."""
    try:
        import psutil

        proc = psutil.Process(pid)
        return [pid, *(child.pid for child in proc.children(recursive=True))]
    except Exception:
        return [pid]


def _signal_group(pid: int, sig: int) -> None:
    """Signal the process group this stack created for ``pid``, and any descendant outside it."""
    tree = _process_tree(pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
    for other in tree[1:]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(other, sig)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:  # a zombie child of ours is not alive
        waited, _ = os.waitpid(pid, os.WNOHANG)
        return waited == 0
    except ChildProcessError:
        with contextlib.suppress(Exception):
            import psutil

            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        return True


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return _alive(pid)


class AirflowApi:
    """A small client of Airflow 3's public REST API (``/api/v2``), with a JWT from the simple auth manager."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.username, self.password = username, password
        self.session = requests.Session()
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            reply = self.session.post(
                f"{self.base_url}/auth/token", json={"username": self.username, "password": self.password}, timeout=30
            )
            reply.raise_for_status()
            self._token = reply.json()["access_token"]
        return self._token

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        for attempt in (1, 2):
            reply = self.session.request(
                method,
                f"{self.base_url}/api/v2{path}",
                timeout=60,
                headers={"Authorization": f"Bearer {self.token()}"},
                **kwargs,
            )
            if reply.status_code == 401 and attempt == 1:
                self._token = None
                continue
            if reply.status_code >= 400:
                raise RuntimeError(f"{method} {path}: {reply.status_code} {reply.text[:500]}")
            return reply.json() if reply.content else None
        raise AssertionError("unreachable")

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def paged(self, path: str, key: str, **params: Any) -> list[Any]:
        items: list[Any] = []
        while True:
            page = self.get(path, limit=100, offset=len(items), **params)
            items.extend(page[key])
            if not page[key] or len(items) >= page["total_entries"]:
                return items


@dataclass
class AirflowStack:
    """One local Airflow stack; ``start()``/``stop()`` or ``with AirflowStack(...) as stack:``."""

    name: str = "airflow_stack"
    workers: int = 1
    worker_concurrency: int = 4
    emulator_args: list[str] = field(default_factory=list)
    schedules: bool = True
    fast_failover: bool = False
    redis_db: int = 13
    keep_run_dir: bool = False
    run_dir: Path = field(init=False)
    state: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.run_dir = REPO / ".stack" / self.name
        self.state = self._load_state() or {}

    # -- state -------------------------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.run_dir / "state.json"

    def _load_state(self) -> dict[str, Any] | None:
        return json.loads(self.state_file.read_text()) if self.state_file.exists() else None

    def _save_state(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps(self.state, indent=2))
        self.state_file.chmod(0o600)

    @property
    def home(self) -> Path:
        return self.run_dir / "airflow_home"

    @property
    def logs(self) -> Path:
        return self.run_dir / "logs"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.state['ports']['api']}"

    @property
    def emulator_url(self) -> str:
        return f"http://127.0.0.1:{self.state['ports']['emulator']}"

    @property
    def password(self) -> str:
        return str(self.state["password"])

    @property
    def secrets(self) -> dict[str, str]:
        """The credentials the emulator accepts (random per stack, so a scan can find them anywhere)."""
        return dict(self.state["secrets"])

    @property
    def warehouse_db(self) -> str:
        return f"{self.name}_warehouse"

    def api(self) -> AirflowApi:
        return AirflowApi(self.api_url, ADMIN_USER, self.password)

    # -- environment -------------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """The environment every component shares (the compose file's ``x-airflow-common`` environment)."""
        ports, s, db = self.state["ports"], self.state["secrets"], self.name
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "_AIRFLOW"))}
        emulator = self.emulator_url
        env = {
            **base,
            "PYTHONUNBUFFERED": "1",
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__FERNET_KEY": self.state["fernet_key"],
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{ports['api']}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "simple_auth_manager_passwords.json"),
            # Tasks without their own retries get two, soon: a lost worker costs a retry, not a person.
            "AIRFLOW__CORE__DEFAULT_TASK_RETRIES": "2",
            "AIRFLOW__CORE__DEFAULT_TASK_RETRY_DELAY": "5",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{db}",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.redis_db}",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{db}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.worker_concurrency),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(ports["api"]),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{ports['api']}",
            "AIRFLOW__API__SECRET_KEY": self.state["api_secret"],
            "AIRFLOW__API_AUTH__JWT_SECRET": self.state["jwt_secret"],
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(ports["worker_logs"]),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(ports["trigger_logs"]),
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": str(self.state.get("schedules", True)),
            # The event watchers of dags/events_to_warehouse.py poll every 2 s here (30 s by default).
            "AIRFLOW_360LEARNING_EVENTS_POLL_INTERVAL": "2",
            "AIRFLOW_CONN_360LEARNING_DEFAULT": json.dumps(
                {
                    "conn_type": "360learning",
                    "login": s["client_id"],
                    "password": s["client_secret"],
                    "host": emulator,
                    # every worker shares the company's budget through the stack's Redis
                    "extra": {
                        "region": "eu",
                        "rate_limit_backend": f"redis://{REDIS_HOST}:{REDIS_PORT}/{self.redis_db}",
                    },
                }
            ),
            "AIRFLOW_CONN_360LEARNING_SCIM_DEFAULT": json.dumps(
                {"conn_type": "360learning_scim", "host": f"{emulator}/scim/v2", "password": s["scim_token"]}
            ),
            "AIRFLOW_CONN_EDX_DEFAULT": json.dumps(
                {
                    "conn_type": "360learning_edx",
                    "login": s["edx_client_id"],
                    "password": s["edx_client_secret"],
                    "host": emulator,
                }
            ),
            "AIRFLOW_CONN_360LEARNING_WAREHOUSE": json.dumps(
                {
                    "conn_type": "postgres",
                    "host": PG_HOST,
                    "port": PG_PORT,
                    "login": PG_USER,
                    "schema": self.warehouse_db,
                }
            ),
        }
        if self.state.get("fast_failover"):
            # A worker lost mid-task is noticed in seconds, not minutes (tests: chaos run). A task the lost
            # worker had taken from the broker but not started stays "queued" (Celery acks late: Redis gives
            # the message back only after its visibility timeout, a day): the scheduler requeues it after
            # task_queued_timeout, 60 s here instead of 600.
            env.update(
                {
                    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
                    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
                    "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "2",
                    "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "60",
                    "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT_CHECK_INTERVAL": "5",
                }
            )
        return env

    # -- processes ---------------------------------------------------------------------------------
    def _spawn(self, key: str, cmd: list[str]) -> int:
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{key}.log", "ab") as log:
            proc = subprocess.Popen(
                cmd,
                env=self.env(),
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.state.setdefault("pids", {})[key] = proc.pid
        self._save_state()
        return proc.pid

    def _airflow(self, *args: str) -> None:
        """A one-shot ``airflow`` command (migrate, reserialize); its output goes to the run's logs."""
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / "setup.log", "ab") as log:
            subprocess.run(
                [sys.executable, "-m", "airflow", *args],
                env=self.env(),
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                check=True,
                timeout=600,
            )

    def start_emulator(self, extra_args: list[str] | None = None) -> None:
        s = self.state["secrets"]
        args = self.state["emulator_args"] if extra_args is None else extra_args
        self.state["emulator_args"] = list(args)
        self._spawn(
            "emulator",
            [
                sys.executable,
                "-m",
                "airflow_provider_360learning.emulator",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.state["ports"]["emulator"]),
                "--client-id",
                s["client_id"],
                "--client-secret",
                s["client_secret"],
                "--scim-token",
                s["scim_token"],
                "--edx-client-id",
                s["edx_client_id"],
                "--edx-client-secret",
                s["edx_client_secret"],
                "--bulk-seconds-per-state",
                "3",
                *args,
            ],
        )
        self._wait(
            lambda: requests.get(f"{self.emulator_url}/_emulator/info", timeout=2).ok, "emulator", 60, "emulator"
        )

    def stop_emulator(self) -> None:
        self._stop_pid("emulator")

    def restart_emulator(self, extra_args: list[str]) -> None:
        """A fresh emulator (same seed, port and credentials) with other flags, e.g. faults."""
        self.stop_emulator()
        self._wait(lambda: not _reachable("127.0.0.1", self.state["ports"]["emulator"]), "emulator port", 30)
        self.start_emulator(extra_args)

    def start_worker(self, index: int) -> None:
        key = f"worker-{index}"
        log = self.logs / f"{key}.log"
        offset = log.stat().st_size if log.exists() else 0
        self._spawn(
            key,
            [
                sys.executable,
                "-m",
                "airflow",
                "celery",
                "worker",
                "--celery-hostname",
                f"{key}@%h",
                "--concurrency",
                str(self.worker_concurrency),
                "--without-gossip",
                "--without-mingle",
            ],
        )
        self._wait(lambda: b" ready." in log.read_bytes()[offset:], key, 120, key)

    def kill_worker(self, index: int) -> int:
        """SIGKILL one Celery worker, its pool and the tasks it runs, as a crash would."""
        key = f"worker-{index}"
        pid = self.state["pids"].pop(key)
        tree = _process_tree(pid)
        for p in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)  # our child: reap it, or it stays a zombie
        self._save_state()
        return len(tree)

    def set_schedules(self, on: bool) -> None:
        """Restart the scheduler with ``[scheduler] use_job_schedule`` on or off. Off (``--no-schedules``), it
        creates neither scheduled runs nor asset-triggered ones: the event-driven test turns it on for a while."""
        self.state["schedules"] = on
        self._save_state()
        self._stop_pid("scheduler")
        self._spawn("scheduler", [sys.executable, "-m", "airflow", "scheduler"])
        self._wait(self._healthy, "scheduler", 180, "scheduler")

    def _reap(self, pid: int) -> None:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)

    def _stop_pid(self, key: str, timeout: float = 20) -> None:
        pid = self.state.get("pids", {}).get(key)
        if pid is None:
            return
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _group_alive(pid):
            self._reap(pid)
            time.sleep(0.2)
        if _group_alive(pid):
            _signal_group(pid, signal.SIGKILL)
            time.sleep(0.5)
        self._reap(pid)
        self.state["pids"].pop(key, None)
        self._save_state()

    def _wait(self, check: Any, what: str, timeout: float, key: str | None = None) -> None:
        """Poll ``check`` until true; fail at once when the process ``key`` has died (see its log)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.state.get("pids", {}).get(key) if key else None
            if pid is not None and not _alive(pid):
                raise RuntimeError(f"{what} exited at start; see {self.logs / f'{key}.log'}")
            with contextlib.suppress(Exception):
                if check():
                    return
            time.sleep(0.5)
        raise TimeoutError(f"{what} not ready after {timeout:.0f} s")

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> AirflowStack:
        """Fresh databases and home, migrate, serialize the DAGs, start every component, wait until ready."""
        if self.state.get("pids"):
            raise RuntimeError(f"stack {self.name!r} already has processes ({self.state_file}); stop it first")
        from cryptography.fernet import Fernet

        ensure_services()
        if self.run_dir.exists():
            shutil.rmtree(self.run_dir)
        self.home.mkdir(parents=True)
        self.state = {
            "name": self.name,
            "schedules": self.schedules,
            "fast_failover": self.fast_failover,
            "redis_db": self.redis_db,
            "workers": self.workers,
            "emulator_args": list(self.emulator_args),
            "ports": {k: free_port() for k in ("api", "emulator", "worker_logs", "trigger_logs")},
            "password": secrets.token_urlsafe(12),
            "fernet_key": Fernet.generate_key().decode(),
            "jwt_secret": secrets.token_urlsafe(32),
            "api_secret": secrets.token_urlsafe(32),
            "secrets": {
                "client_id": "stack-client-id",
                "client_secret": f"stack-secret-{secrets.token_hex(12)}",
                "scim_token": f"stack-scim-{secrets.token_hex(12)}",
                "edx_client_id": "stack-edx-client-id",
                "edx_client_secret": f"stack-edx-secret-{secrets.token_hex(12)}",
            },
            "databases": [self.name, self.warehouse_db],
            "pids": {},
        }
        self._save_state()
        try:
            self._create_databases()
            self._flush_redis()
            passwords = self.home / "simple_auth_manager_passwords.json"
            passwords.write_text(json.dumps({ADMIN_USER: self.password}))
            passwords.chmod(0o600)
            self._airflow("db", "migrate")
            self._airflow("dags", "reserialize")
            self.start_emulator()
            for component in COMPONENTS:
                self._spawn(component, [sys.executable, "-m", "airflow", component])
            self._wait(
                lambda: requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=2).ok,
                "api-server",
                180,
                "api-server",
            )
            for index in range(1, self.workers + 1):
                self.start_worker(index)
            self._wait(self._healthy, "scheduler, triggerer and dag-processor", 180)
        except BaseException:
            self.stop()
            raise
        return self

    def _healthy(self) -> bool:
        health = requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=5).json()
        return all(
            health.get(part, {}).get("status") == "healthy"
            for part in ("metadatabase", "scheduler", "triggerer", "dag_processor")
        )

    def stop(self) -> None:
        """End every process group this stack started (by pid), drop its databases, empty its Redis db."""
        for key in [k for k in self.state.get("pids", {}) if k.startswith("worker-")]:
            self._stop_pid(key)
        for key in (*COMPONENTS[::-1], "emulator"):
            self._stop_pid(key)
        for key in list(self.state.get("pids", {})):
            self._stop_pid(key)
        if self.state.get("databases"):
            with contextlib.suppress(Exception):
                self._drop_databases()
            with contextlib.suppress(Exception):
                self._flush_redis()
        if self.keep_run_dir or os.environ.get("AIRFLOW_STACK_KEEP"):
            self.state["pids"] = {}
            self.state["databases"] = []
            self._save_state()
        elif self.run_dir.exists():
            shutil.rmtree(self.run_dir)
            with contextlib.suppress(OSError):
                self.run_dir.parent.rmdir()  # .stack/ when no other stack is there
        self.state = {}

    def status(self) -> dict[str, Any]:
        pids = self.state.get("pids", {})
        return {key: ("running" if _alive(pid) else "dead") + f" (pid {pid})" for key, pid in pids.items()}

    def __enter__(self) -> AirflowStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases ---------------------------------------------------------------------------------
    def _create_databases(self) -> None:
        conn = _pg()
        try:
            with conn.cursor() as cur:
                for db in self.state["databases"]:
                    cur.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                    cur.execute(f'CREATE DATABASE "{db}"')
        finally:
            conn.close()

    def _drop_databases(self) -> None:
        conn = _pg()
        try:
            with conn.cursor() as cur:
                for db in self.state["databases"]:
                    cur.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        finally:
            conn.close()

    def _flush_redis(self) -> None:
        import redis

        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=self.state.get("redis_db", self.redis_db)).flushdb()

    def metadata_db(self) -> Any:
        """A psycopg2 connection to the metadata database (for checks the REST API does not expose)."""
        return _pg(self.name)

    def warehouse(self) -> Any:
        return _pg(self.warehouse_db)

    def emulator_json(self, path: str) -> Any:
        reply = requests.get(f"{self.emulator_url}/_emulator/{path}", timeout=10)
        reply.raise_for_status()
        return reply.json()

    def iter_logs(self) -> Iterator[Path]:
        """Every file the stack logged: components and task logs (``AIRFLOW_HOME/logs``)."""
        for root in (self.logs, self.home / "logs"):
            if root.exists():
                yield from (p for p in root.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=("start", "stop", "status"))
    parser.add_argument(
        "--name", default="airflow_stack", help="stack name: run dir .stack/NAME, databases NAME and NAME_warehouse"
    )
    parser.add_argument("--workers", type=int, default=1, help="Celery workers to start")
    parser.add_argument("--concurrency", type=int, default=4, help="task slots per Celery worker")
    parser.add_argument("--redis-db", type=int, default=13, help="Redis database number of the Celery broker")
    parser.add_argument(
        "--no-schedules", action="store_true", help="run triggered DAG runs only ([scheduler] use_job_schedule off)"
    )
    parser.add_argument(
        "--fast-failover", action="store_true", help="notice a lost worker within ~20 s (heartbeat timeout)"
    )
    parser.add_argument(
        "--emulator-arg", action="append", default=[], help="extra emulator flag, e.g. --emulator-arg=--fault-rate=0.1"
    )
    parser.add_argument("--keep", action="store_true", help="stop: keep the run directory (logs)")
    args = parser.parse_args(argv)
    stack = AirflowStack(
        name=args.name,
        workers=args.workers,
        worker_concurrency=args.concurrency,
        redis_db=args.redis_db,
        schedules=not args.no_schedules,
        fast_failover=args.fast_failover,
        emulator_args=args.emulator_arg,
        keep_run_dir=args.keep,
    )
    if args.command == "start":
        stack.start()
        print(f"Airflow UI and REST API: {stack.api_url}  (user {ADMIN_USER!r}, password {stack.password!r})")
        print(f"Emulator: {stack.emulator_url}   logs: {stack.logs}   AIRFLOW_HOME: {stack.home}")
        print(f"Stop it with: python scripts/airflow_stack.py stop --name {args.name}")
    elif args.command == "stop":
        if not stack.state:
            print(f"no stack {args.name!r} here")
            return 0
        stack.stop()
        print(f"stack {args.name!r} stopped")
    else:
        if not stack.state:
            print(f"no stack {args.name!r} here")
            return 1
        print(f"{stack.api_url} (user {ADMIN_USER!r}, password {stack.password!r})")
        for key, value in stack.status().items():
            print(f"  {key:<14} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
