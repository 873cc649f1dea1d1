"""The embedded default warehouse: a DuckDB file shared by the tasks of a deployment, one writer at a time.

When a transfer's warehouse connection is not defined, rows go into ``$AIRFLOW_HOME/360learning_warehouse.duckdb``
through the official DuckDB provider (:class:`~airflow.providers.duckdb.hooks.duckdb.DuckDBHook`).

DuckDB lets one process at a time open a file read-write (and none may while another holds it open), so
parallel load tasks of one DAG run cannot each keep the file open for the whole load. Here every use of the
file is a short *session*: take an inter-process lock (``<file>.lock``, ``filelock``), open the database,
run one transaction (one batch of a load, one report query), close it, release the lock. Writers and readers
that go through this module so queue batch by batch and never fail on DuckDB's own file lock.

A process that opens the file without this module (a notebook keeping a ``duckdb.connect`` open) holds
DuckDB's lock for as long as it likes. A session then retries opening the file with a growing pause, logging
which process holds it, for at most ``lock_timeout`` seconds (default :data:`DEFAULT_LOCK_TIMEOUT`); past
that it fails with :class:`EmbeddedWarehouseLockTimeout`, naming the file and the bound.

Readers: :func:`read_connection` (a read-only connection for one query, under the same lock), or
``embedded_hook(path, read_only=True)`` for anything that takes a common.sql hook (``SQLExecuteQueryOperator``,
``get_records``): every connection that hook hands out is such a session. See ``docs/warehouse.md``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_360learning.exceptions import ThreeSixtyLearningError

if TYPE_CHECKING:
    from airflow.providers.duckdb.hooks.duckdb import DuckDBHook
    from airflow.sdk import Connection
    from duckdb import DuckDBPyConnection

log = logging.getLogger(__name__)

EMBEDDED_FILE_NAME = "360learning_warehouse.duckdb"
EMBEDDED_PATH_ENV = "AIRFLOW_360LEARNING_EMBEDDED_WAREHOUSE"  # another place for the file (a shared volume)
DEFAULT_LOCK_TIMEOUT = 300.0  # seconds a session waits for the file (another task's batch, an outside process)
LOCK_SUFFIX = ".lock"
QUEUE_SUFFIX = ".queue"
READERS_SUFFIX = ".readers"
KEEP_IDLE = 0.5  # seconds a writer keeps the file open after a commit, while nobody waits, for its next batch
KEEP_AT_MOST = 5.0  # seconds a writer keeps the file open in one go, even while nobody waits
_POLL = 0.005  # seconds between attempts to take the lock file
_YIELD_AT_MOST = 0.5  # seconds a new session lets those already waiting go first
_WATCH_EVERY = 0.02  # seconds between checks for a waiter while the file is kept open between batches
_FIRST_PAUSE = 0.02  # seconds between attempts to open a file another process holds, doubling up to _LONGEST_PAUSE
_LONGEST_PAUSE = 1.0
_REPORT_EVERY = 30.0  # seconds between "still waiting" messages
_QUIET_QUEUE = 5.0  # waiting this long for another session's batch is normal queueing: logged only past it


class EmbeddedWarehouseLockTimeout(ThreeSixtyLearningError, TimeoutError):
    """The embedded DuckDB file stayed locked past ``lock_timeout``; names the file, the holder and the bound."""


def embedded_warehouse_path() -> str:
    """The embedded default warehouse of the example DAGs: ``$AIRFLOW_360LEARNING_EMBEDDED_WAREHOUSE`` if set
    (docker-compose.yaml puts it on a volume every container shares), else
    ``$AIRFLOW_HOME/360learning_warehouse.duckdb``."""
    explicit = os.environ.get(EMBEDDED_PATH_ENV)
    if explicit:
        return explicit
    home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
    return str(Path(home) / EMBEDDED_FILE_NAME)


def lock_path(path: str | Path) -> Path:
    """The inter-process lock file of a warehouse file: next to it, ``<file>.lock``."""
    file = Path(path)
    return file.with_name(file.name + LOCK_SUFFIX)


def _is_lock_conflict(error: BaseException) -> bool:
    """Whether DuckDB refused to open a file because another process holds it (not a corrupt or missing file)."""
    return "Could not set lock on file" in str(error) or "Conflicting lock" in str(error)


def _holder(error: BaseException) -> str:
    """Who holds the file, as DuckDB says it (``/usr/bin/python3 (PID 4242)``), else ``another process``."""
    text = str(error)
    marker = "Conflicting lock is held in "
    if marker in text:
        return text.split(marker, 1)[1].split(". See also", 1)[0].strip().rstrip(".")
    return "another process"


@contextlib.contextmanager
def file_session(
    path: str | Path,
    open_database: Callable[[], DuckDBPyConnection],
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    purpose: str = "write",
) -> Iterator[DuckDBPyConnection]:
    """Hold the file's inter-process lock, open it with ``open_database()``, yield, close, release.

    ``open_database`` is retried, with a pause doubling from 20 ms to 1 s, while DuckDB reports that
    another process holds the file; the lock and the opening together take at most ``lock_timeout``
    seconds, then :class:`EmbeddedWarehouseLockTimeout` is raised.
    """
    from filelock import FileLock

    file = Path(path)
    deadline = time.monotonic() + lock_timeout
    reader = purpose == "read"
    # One lock object per session: threads queue like processes.
    lock = FileLock(str(lock_path(file)), thread_local=False)
    if not reader:  # a writer lets those already waiting go first; a reader goes ahead of writers anyway
        _after_waiters(file, deadline)
    if not _acquire(lock, file, min(deadline, time.monotonic() + _QUIET_QUEUE), reader=reader):
        log.info(
            "Embedded warehouse %s: another task is using it (lock %s); waiting up to %.0f s more to %s",
            file,
            lock.lock_file,
            max(deadline - time.monotonic(), 0),
            purpose,
        )
        if not _acquire(lock, file, deadline, reader=reader):
            raise EmbeddedWarehouseLockTimeout(
                f"Embedded warehouse {file}: its lock {lock.lock_file} stayed held by another task for "
                f"{lock_timeout:g} s (lock_timeout); a session holds it for one batch or one query, so a "
                "task that keeps it longer is stuck: see docs/warehouse.md"
            )
    try:
        conn = _open_retrying(file, open_database, deadline, lock_timeout, purpose)
        try:
            yield conn
        finally:
            conn.close()
    finally:
        lock.release()


def _acquire(lock: Any, file: Path, deadline: float, *, reader: bool) -> bool:
    """Take ``lock`` by ``deadline`` (False if not), polling every few ms; a writer lets queued readers go first.

    While it waits the session shows in ``<file>.queue`` (a reader also in ``<file>.readers``), so the holder
    lets the file go at its next commit. Readers first: a report query waits for the batch being written,
    not also for the other loads' batches queued before it.
    """
    from filelock import Timeout

    with _queued(file, QUEUE_SUFFIX, *((READERS_SUFFIX,) if reader else ())):
        while True:
            if reader or not others_waiting(file, READERS_SUFFIX):
                try:
                    lock.acquire(timeout=0)
                    return True
                except Timeout:
                    pass
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL)


def _after_waiters(file: Path, deadline: float) -> None:
    """Let sessions already waiting go first (for at most :data:`_YIELD_AT_MOST`), so writers take turns."""
    give_up = min(deadline, time.monotonic() + _YIELD_AT_MOST)
    while others_waiting(file) and time.monotonic() < give_up:
        time.sleep(_POLL)


def queue_path(path: str | Path, suffix: str = QUEUE_SUFFIX) -> Path:
    """Where sessions waiting for the lock say so: ``<file>.queue`` (``<file>.readers`` for readers), a shared
    ``flock`` held while they wait."""
    file = Path(path)
    return file.with_name(file.name + suffix)


@contextlib.contextmanager
def _queued(file: Path, *suffixes: str) -> Iterator[None]:
    """Hold a shared ``flock`` on these queue files while waiting for the lock, so others can see a waiter."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): holders cannot see waiters and never keep the file between batches
        yield
        return
    fds = [os.open(queue_path(file, suffix), os.O_RDWR | os.O_CREAT, 0o666) for suffix in suffixes]
    try:
        for fd in fds:
            fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        for fd in fds:
            os.close(fd)  # closing drops the flock


def others_waiting(path: str | Path, suffix: str = QUEUE_SUFFIX) -> bool:
    """Whether another session (of any process) is waiting for the file's lock right now (a reader: ``.readers``)."""
    try:
        import fcntl
    except ImportError:
        return suffix == QUEUE_SUFFIX  # cannot tell: assume someone waits, so the file is never kept between batches
    fd = os.open(queue_path(path, suffix), os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def _open_retrying(
    file: Path, open_database: Callable[[], DuckDBPyConnection], deadline: float, lock_timeout: float, purpose: str
) -> DuckDBPyConnection:
    """``open_database()``, retried while another process (outside this module's lock) holds the file."""
    import duckdb

    pause = _FIRST_PAUSE
    next_report = 0.0
    while True:
        try:
            return open_database()
        except duckdb.IOException as error:
            if not _is_lock_conflict(error):
                raise
            now = time.monotonic()
            if now >= deadline:
                raise EmbeddedWarehouseLockTimeout(
                    f"Embedded warehouse {file} is held open by {_holder(error)}, which does not use its lock "
                    f"file; gave up after {lock_timeout:g} s (lock_timeout). Close that connection, or read the "
                    "file through airflow_provider_360learning.transfers.embedded.read_connection, which holds "
                    "it for one query only (docs/warehouse.md)"
                ) from error
            if now >= next_report:
                log.warning(
                    "Embedded warehouse %s is held open by %s (outside the lock file); waiting up to %.0f s "
                    "more to %s, retrying",
                    file,
                    _holder(error),
                    deadline - now,
                    purpose,
                )
                next_report = now + _REPORT_EVERY
            time.sleep(min(pause, max(deadline - now, 0)))
            pause = min(pause * 2, _LONGEST_PAUSE)


def _duckdb_hook_class() -> type[DuckDBHook]:
    """The embedded hook class, built at first use: the DuckDB provider is imported by tasks, not DAG parsing."""
    from airflow.providers.duckdb.hooks.duckdb import DuckDBHook

    class EmbeddedDuckDBHook(DuckDBHook):
        """``DuckDBHook`` on one file with no Airflow connection, whose connections are locked sessions.

        ``get_conn()`` returns a :class:`ScopedConnection`: the file is opened at its first use (or at
        ``begin()``) and closed at ``commit()``, ``rollback()`` or ``close()``, under the file's lock, so
        writers (``SqlTableWriter``: one transaction per batch) and readers (``run``, ``get_records``)
        share the file without failing. Use :meth:`session` for a plain DuckDB connection held for a block.
        """

        def __init__(self, path: str | Path, *, lock_timeout: float, read_only: bool) -> None:
            super().__init__(database=str(path), read_only=read_only)
            self.path = Path(path)
            self.lock_timeout = lock_timeout

        @cached_property
        def airflow_connection(self) -> Connection | None:
            return None  # the file is the whole configuration: no ``duckdb_default`` lookup, no in-memory fallback

        def open_database(self) -> DuckDBPyConnection:
            """One DuckDB connection on the file, configured as the provider does (without its log line per batch)."""
            import duckdb

            conn = duckdb.connect(database=str(self.path), read_only=self.read_only, config=self.get_connect_config())
            try:
                self.load_extensions(conn)
                self.configure_secrets(conn)
            except Exception:
                conn.close()
                raise
            return conn

        def session(self, purpose: str | None = None) -> contextlib.AbstractContextManager[DuckDBPyConnection]:
            """The file, locked and open for the block: ``with hook.session() as conn: conn.execute(...)``."""
            return file_session(
                self.path,
                self.open_database,
                lock_timeout=self.lock_timeout,
                purpose=purpose or ("read" if self.read_only else "write"),
            )

        def get_conn(self) -> Any:
            return ScopedConnection(self.session, self.path)

    return EmbeddedDuckDBHook


def embedded_hook(
    path: str | Path, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT, read_only: bool = False
) -> DuckDBHook:
    """A ``DuckDBHook`` on the file at ``path`` (its folder created), needing no connection.

    Each connection it hands out opens the file only for one transaction, under ``<path>.lock``: see the module.
    """
    file = Path(path).expanduser().resolve()
    if not read_only:
        file.parent.mkdir(parents=True, exist_ok=True)
    return _duckdb_hook_class()(file, lock_timeout=lock_timeout, read_only=read_only)


@contextlib.contextmanager
def read_connection(
    path: str | Path | None = None, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> Iterator[DuckDBPyConnection]:
    """A read-only connection on the embedded warehouse (default: :func:`embedded_warehouse_path`) for one block.

    It waits for the batch being written, if any (a load holds the file for one batch at a time), and holds
    the file until the block ends: keep the block to one query, then let loads go on.

    >>> with read_connection() as conn:  # doctest: +SKIP
    ...     conn.sql("SELECT COUNT(*) FROM learning360_course_stats").fetchall()
    """
    file = Path(path or embedded_warehouse_path()).expanduser().resolve()
    if not file.exists():
        raise FileNotFoundError(f"Embedded warehouse {file} does not exist yet: no load has written to it")
    with embedded_hook(file, lock_timeout=lock_timeout, read_only=True).session() as conn:
        yield conn


class ScopedConnection:
    """A DB-API connection that opens the file per transaction, under its lock, and keeps it only while nobody waits.

    ``begin()`` (or any first use) takes the lock and opens the file. After ``commit()`` the file stays
    open for the next transaction only while no other session waits for it (``<file>.queue``), for at
    most :data:`KEEP_IDLE` seconds without a transaction and :data:`KEEP_AT_MOST` seconds in all; a
    watcher thread closes it as soon as one of these ends, so a reader waits about one batch. Opening
    and closing a DuckDB file costs tens of milliseconds (the close checkpoints), as much as writing a
    batch of thousands of rows: a lone writer so pays it once per few seconds, not once per batch.
    ``rollback()`` and ``close()`` close the file at once. Everything else is the open DuckDB connection's.
    """

    def __init__(
        self,
        open_session: Callable[[], contextlib.AbstractContextManager[DuckDBPyConnection]],
        path: str | Path | None = None,
    ) -> None:
        self._open_session = open_session
        self._path = path  # where waiters show; None: never keep the file between transactions
        self._session: contextlib.ExitStack | None = None
        self._conn: DuckDBPyConnection | None = None
        self._guard = threading.RLock()
        self._in_transaction = False
        self._opened_at = 0.0
        self._idle_since = 0.0
        self._watcher: threading.Thread | None = None

    @property
    def is_open(self) -> bool:
        """Whether the file is open (and locked) right now."""
        return self._conn is not None

    def _open(self) -> DuckDBPyConnection:
        with self._guard:
            if self._conn is None:
                stack = contextlib.ExitStack()
                self._conn = stack.enter_context(self._open_session())
                self._session = stack
                self._opened_at = time.monotonic()
            return self._conn

    def _end(self) -> None:
        with self._guard:
            session, self._session, self._conn = self._session, None, None
            self._in_transaction = False
            if session is not None:
                session.close()

    def begin(self) -> None:
        with self._guard:
            self._open().begin()
            self._in_transaction = True

    def commit(self) -> None:
        with self._guard:
            try:
                if self._conn is not None:
                    self._conn.commit()
            except BaseException:
                self._end()
                raise
            self._in_transaction = False
            if self._keep():
                self._idle_since = time.monotonic()
                self._watch()
            else:
                self._end()

    def others_waiting(self) -> bool:
        """Whether another session waits for the file now (True when that cannot be seen: no path, no flock)."""
        return self._path is None or others_waiting(self._path)

    def _keep(self) -> bool:
        """Whether to keep the file open after a commit: nobody waits and it has not been open too long."""
        if self._path is None or self._conn is None:
            return False
        return time.monotonic() - self._opened_at < KEEP_AT_MOST and not others_waiting(self._path)

    def _watch(self) -> None:
        if self._watcher is not None and self._watcher.is_alive():
            return
        self._watcher = threading.Thread(target=self._release_when_due, name="embedded-warehouse-keep", daemon=True)
        self._watcher.start()

    def _release_when_due(self) -> None:
        """Watcher thread: close the kept file once someone waits, or it idles or stays open too long."""
        while True:
            time.sleep(_WATCH_EVERY)
            with self._guard:
                if self._conn is None:
                    return
                if self._in_transaction:
                    continue
                now = time.monotonic()
                if (
                    now - self._idle_since >= KEEP_IDLE
                    or now - self._opened_at >= KEEP_AT_MOST
                    or others_waiting(self._path or "")
                ):
                    self._end()
                    return

    def rollback(self) -> None:
        with self._guard:
            try:
                if self._conn is not None:
                    with contextlib.suppress(Exception):  # "no transaction is active": nothing to undo
                        self._conn.rollback()
            finally:
                self._end()

    def close(self) -> None:
        self._end()

    def cursor(self) -> DuckDBPyConnection:
        # A DuckDB cursor is a second connection with its own transaction; the connection itself is the
        # cursor here, so a statement and its commit are one transaction of one session.
        return _CursorView(self._in_use())  # type: ignore[return-value]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._in_use(), name)

    def _in_use(self) -> DuckDBPyConnection:
        """The open connection, used outside ``begin()``: kept until ``commit``, ``rollback`` or ``close``."""
        with self._guard:
            conn = self._open()
            self._in_transaction = True  # the watcher must not close it under a statement
            return conn

    def __enter__(self) -> ScopedConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _CursorView:
    """The session's connection used as a cursor: closing it leaves the connection to ``commit``/``close``."""

    def __init__(self, conn: DuckDBPyConnection) -> None:
        self._conn = conn

    def close(self) -> None:
        """Nothing to release: the session's connection is closed by ``commit()``, ``rollback()`` or ``close()``."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "EMBEDDED_FILE_NAME",
    "EMBEDDED_PATH_ENV",
    "EmbeddedWarehouseLockTimeout",
    "ScopedConnection",
    "embedded_hook",
    "embedded_warehouse_path",
    "file_session",
    "lock_path",
    "read_connection",
]
