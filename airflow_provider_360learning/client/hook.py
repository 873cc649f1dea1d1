"""What every sync hook of the provider shares: its validated settings and its client core, from its connection."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any, ClassVar, TypedDict

from airflow_provider_360learning.client.client import ApiClient, Service
from airflow_provider_360learning.client.settings import ClientSettings


class CommonSettings(TypedDict, total=False):
    """Settings every hook takes as keyword arguments, overriding the connection's extras of the same name
    (absent or ``None``: the connection's value). Their meaning: :data:`~airflow_provider_360learning.client.fields.COMMON_FIELDS`."""

    timeout: float | None
    connect_timeout: float | None
    total_timeout: float | None
    max_response_mb: float | None
    max_retries: int | None
    max_retry_wait: float | None
    backoff_initial: float | None
    backoff_max: float | None
    requests_per_second: float | None
    writes_per_second: float | None
    rate_limit_key: str | None
    rate_limit_backend: str | None


class ThreeSixtyLearningSettings(CommonSettings, total=False):
    """Keyword arguments of the 360Learning hooks."""

    region: str | None


class EdxSettings(CommonSettings, total=False):
    """Keyword arguments of the edX hook."""

    enterprise_customer_uuid: str | None


class ScimSettings(CommonSettings, total=False):
    """Keyword arguments of the SCIM hook."""

    page_size: int | None


def given_settings(hook: str, accepted: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a hook was given: a name ``accepted`` (a TypedDict above) does not declare is a ``TypeError``,
    as a misspelt keyword argument is; ``None`` means "the connection's value" and is left out."""
    names: frozenset[str] = accepted.__optional_keys__ | accepted.__required_keys__  # type: ignore[attr-defined]
    unknown = sorted(set(values) - names)
    if unknown:
        raise TypeError(f"{hook}() got an unexpected keyword argument {unknown[0]!r}; its settings: {sorted(names)}")
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
