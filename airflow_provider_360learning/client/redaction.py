"""Secrets out of every message: a server may echo the token or the client secret in its error body.

The client core registers each secret it holds (client secret, static token, every access token issued)
with a :class:`Redactor` and with Airflow's secret masker; every text built from a server answer passes
through :meth:`Redactor.clean` before it becomes part of a message, a log line or an exception attribute.
"""

from __future__ import annotations

import threading

MASK = "***"
MAX_FIELD_CHARS = 300
"""Longest server-provided field (error ``code`` or ``message``) kept in a message."""
MIN_SECRET_CHARS = 4
"""Shorter values are not masked (masking ``"a"`` would garble every message)."""


def truncate(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


class Redactor:
    """The secrets one client holds, and the masking of any text that might contain them."""

    def __init__(self, *secrets: str | None) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Remember ``secret`` (and register it with Airflow's masker for the task log)."""
        if not secret or len(secret) < MIN_SECRET_CHARS:
            return
        with self._lock:
            if secret in self._secrets:
                return
            self._secrets.add(secret)
        try:
            from airflow.sdk.log import mask_secret

            mask_secret(secret)
        except ImportError:  # pragma: no cover - Airflow is a dependency
            pass

    def clean(self, text: str | None, limit: int = MAX_FIELD_CHARS) -> str | None:
        """``text`` with every known secret replaced by ``***``, then truncated to ``limit`` characters.

        Masking happens before truncation, so a secret cut in half by the limit cannot leak its head.
        """
        if text is None:
            return None
        if not isinstance(text, str):
            text = str(text)
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return truncate(text, limit)
