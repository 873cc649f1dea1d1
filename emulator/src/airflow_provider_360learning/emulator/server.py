"""Run the emulator with uvicorn in a background thread (for tests, fixtures and benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

from airflow_provider_360learning.emulator.config import EmulatorConfig
from airflow_provider_360learning.emulator.state import EmulatorState


class EmulatorServer:
    """A running emulator: ``.url``, ``.state``, ``.stop()``; also a context manager.

    ``port=0`` (the default here, unlike the CLI) binds a free port; the socket is bound before the
    thread starts, so ``.url`` is valid as soon as the constructor returns.
    """

    def __init__(self, config: EmulatorConfig | None = None, **changes: Any) -> None:
        base = config or EmulatorConfig(port=0)
        self.config = base.with_changes(**changes) if changes else base
        self.state = EmulatorState(self.config)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.host = self.config.host
        self.port = self.config.port
        self.start()

    @property
    def url(self) -> str:
        """Base URL of the emulator, e.g. ``http://127.0.0.1:54321`` (the API lives under ``/api/v2``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        import uvicorn

        from airflow_provider_360learning.emulator.app import create_app

        if self._thread is not None:
            return
        family = socket.AF_INET6 if ":" in self.config.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.config.host, self.config.port))
        sock.listen(128)
        self._socket = sock
        self.port = sock.getsockname()[1]
        app = create_app(self.config, state=self.state)
        uv_config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(uv_config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"360learning-emulator-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the 360Learning emulator did not start on {self.url}")
            time.sleep(0.005)

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    # -- broken answers (emulator.anomalies) -----------------------------------------------------
    def arm_anomaly(self, **spec: Any) -> dict[str, Any]:
        """Serve a list path broken as ``spec`` says until cleared (``POST /_emulator/anomalies`` in-process).

        ``arm_anomaly(path="/api/v2/paths/stats", truncate_after_pages=1)``; the keys are
        :data:`~airflow_provider_360learning.emulator.anomalies.SPEC_FIELDS`. Returns the armed anomaly, its ``id``
        included; ``ValueError`` names a bad field.
        """
        return self.state.anomalies.arm(spec).as_dict()

    def clear_anomalies(self, anomaly_id: str | None = None) -> int:
        """Disarm one anomaly, or all of them; how many were disarmed."""
        return self.state.anomalies.clear(anomaly_id)

    def anomalies(self) -> list[dict[str, Any]]:
        """The armed anomalies, in arming order."""
        return [a.as_dict() for a in self.state.anomalies.listed()]

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> EmulatorServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<EmulatorServer {self.url} seed={self.config.seed} scale={self.config.scale}>"
