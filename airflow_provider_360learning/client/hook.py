"""What every sync hook of the provider shares: its validated settings and its client core, from its connection."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any, ClassVar

from airflow_provider_360learning.client.client import ApiClient, Service
from airflow_provider_360learning.client.settings import ClientSettings


def given_settings(**values: Any) -> dict[str, Any]:
    """The settings a hook was given as keyword arguments; ``None`` means "the connection's value"."""
    return {name: value for name, value in values.items() if value is not None}


class ClientHookMixin:
    """Mixed into a ``BaseHook`` subclass that names its ``service`` and its ``settings_from`` function.

    ``settings`` and ``client`` are computed once per hook; ``test_connection`` may replace them (bounded retries
    while the UI waits) with :meth:`reset_client`.
    """

    service: ClassVar[Service]
    settings_from: ClassVar[Callable[[Any, Mapping[str, Any] | None], ClientSettings]]
    conn_name_attr: str
    settings_overrides: dict[str, Any]
    log: Any

    @cached_property
    def settings(self) -> ClientSettings:
        conn_id = getattr(self, self.conn_name_attr)
        connection = self.get_connection(conn_id)  # type: ignore[attr-defined]  # BaseHook's
        return type(self).settings_from(connection, self.settings_overrides)

    @cached_property
    def client(self) -> ApiClient:
        """The client core this hook sends through."""
        return ApiClient(self.settings, self.service, log=self.log)

    def reset_client(self, settings: ClientSettings | None = None) -> None:
        """Forget the client (and, unless new ``settings`` are given, the settings): the next request starts anew."""
        self.__dict__.pop("client", None)
        if settings is None:
            self.__dict__.pop("settings", None)
        else:
            self.__dict__["settings"] = settings
