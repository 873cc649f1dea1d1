"""Hook for 360Learning's SCIM 2.0 integration, on scim2-client and scim2-models.

Connection type ``360learning_scim``, default connection id ``360learning_scim_default``: ``host`` is the
"Endpoint URL" 360Learning shows in Settings > Integrations > SCIM (the emulator's is
``http://127.0.0.1:8360/scim/v2``), ``password`` is the bearer token generated on that page. The token is
registered with Airflow's secret masker as soon as it is read and never appears in a message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any, TypeVar

from airflow.sdk import BaseHook
from scim2_client import RequestNetworkException, SCIMClientException
from scim2_models import (
    PatchOp,
    PatchOperation,
    Resource,
    SCIMException,
    SearchRequest,
)

from airflow_provider_360learning.hooks.scim_errors import (
    ThreeSixtyLearningScimAuthenticationError,
    ThreeSixtyLearningScimConflictError,
    ThreeSixtyLearningScimConnectionError,
    ThreeSixtyLearningScimError,
)
from airflow_provider_360learning.hooks.scim_transport import RequestsScimClient

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 1000
"""``count`` of each page of a listing; a server may answer with less (its ``maxResults``)."""

_DEFAULTS: dict[str, float] = {
    "timeout": 60.0,
    "connect_timeout": 10.0,
    "max_retries": 5,
    "max_retry_wait": 300.0,
    "backoff_initial": 1.0,
    "backoff_max": 60.0,
    "page_size": DEFAULT_PAGE_SIZE,
}


@dataclass(frozen=True)
class ScimSettings:
    """What the hook needs from its connection; holds the token, so it is never logged (``repr`` hides it)."""

    conn_id: str
    base_url: str
    token: str = field(repr=False)
    timeout: float = 60.0
    connect_timeout: float = 10.0
    max_retries: int = 5
    max_retry_wait: float = 300.0
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    page_size: int = DEFAULT_PAGE_SIZE


def _scim_base_url(conn_id: str, host: str | None, schema: str | None, port: int | None) -> str:
    if not host:
        raise ThreeSixtyLearningScimError(conn_id=conn_id, method="-", path="-", status=None,
                                          detail="the connection has no host: set it to the SCIM Endpoint URL "
                                          "shown in 360Learning (Settings > Integrations > SCIM)")  # fmt: skip
    url = host if "://" in host else f"{schema or 'https'}://{host}"
    if port and "://" not in host:
        base, _, path = url.partition("://")[2].partition("/")
        url = f"{url.split('://')[0]}://{base}:{port}/{path}"
    return url.rstrip("/")


class ThreeSixtyLearningScimHook(BaseHook):
    """
    Read and write users and groups over 360Learning's SCIM 2.0 endpoint.

    ``get_conn()`` returns a scim2-client client (service discovered once: ``ServiceProviderConfig``,
    ``ResourceTypes``, ``Schemas``) whose requests are retried on 429/5xx/network errors. The helpers turn
    SCIM errors into :class:`ThreeSixtyLearningScimError` subclasses that name the request and the SCIM
    ``scimType``; a 401 (revoked or expired token) is :class:`ThreeSixtyLearningScimAuthenticationError`.

    :param scim_conn_id: Airflow connection of type ``360learning_scim``.
    :param settings_overrides: per-hook values of the connection's extra fields (``timeout``,
        ``max_retries``, ``max_retry_wait``, ``page_size``, ``backoff_initial``, ``backoff_max``).
    """

    conn_name_attr = "scim_conn_id"
    default_conn_name = "360learning_scim_default"
    conn_type = "360learning_scim"
    hook_name = "360Learning SCIM"

    def __init__(self, scim_conn_id: str = default_conn_name, **settings_overrides: Any) -> None:
        super().__init__()
        self.scim_conn_id = scim_conn_id
        self.settings_overrides = settings_overrides
        self._client: RequestsScimClient | None = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden-fields": ["schema", "port", "login", "extra"],
            "relabeling": {"host": "Endpoint URL", "password": "SCIM token"},
            "placeholders": {"host": "the Endpoint URL of 360Learning's SCIM settings page"},
        }

    @cached_property
    def settings(self) -> ScimSettings:
        from airflow.sdk.log import mask_secret

        conn = self.get_connection(self.scim_conn_id)
        if not conn.password:
            raise ThreeSixtyLearningScimError(conn_id=self.scim_conn_id, method="-", path="-", status=None,
                                              detail="the connection has no password: store the SCIM token "
                                              "generated in 360Learning as its password")  # fmt: skip
        mask_secret(conn.password)
        values: dict[str, Any] = dict(_DEFAULTS)
        extra = conn.extra_dejson
        for name in _DEFAULTS:
            raw = self.settings_overrides.get(name, extra.get(name))
            if raw is None or raw == "":
                continue
            try:
                values[name] = float(raw)
            except (TypeError, ValueError):
                raise ThreeSixtyLearningScimError(conn_id=self.scim_conn_id, method="-", path="-", status=None,
                                                  detail=f"extra field {name!r} must be a number") from None  # fmt: skip
        return ScimSettings(
            conn_id=self.scim_conn_id,
            base_url=_scim_base_url(self.scim_conn_id, conn.host, conn.schema, conn.port),
            token=conn.password,
            timeout=values["timeout"],
            connect_timeout=values["connect_timeout"],
            max_retries=int(values["max_retries"]),
            max_retry_wait=values["max_retry_wait"],
            backoff_initial=values["backoff_initial"],
            backoff_max=values["backoff_max"],
            page_size=max(1, int(values["page_size"])),
        )

    def get_conn(self) -> RequestsScimClient:
        """The scim2-client client, with the service discovered (three requests, once per hook)."""
        if self._client is None:
            from airflow_provider_360learning.hooks.three_sixty_learning import user_agent

            settings = self.settings
            client = RequestsScimClient(
                settings.base_url,
                settings.token,
                timeout=settings.timeout,
                connect_timeout=settings.connect_timeout,
                max_retries=settings.max_retries,
                max_retry_wait=settings.max_retry_wait,
                backoff_initial=settings.backoff_initial,
                backoff_max=settings.backoff_max,
                user_agent=user_agent(),
            )
            self._call("GET", "/ServiceProviderConfig, /ResourceTypes, /Schemas", client.discover)
            self._client = client
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def request_count(self) -> int:
        """HTTP requests sent by this hook so far (retries included)."""
        return self._client.request_count if self._client is not None else 0

    @property
    def user_model(self) -> type[Resource[Any]]:
        return self._model("User")

    @property
    def group_model(self) -> type[Resource[Any]]:
        return self._model("Group")

    def _model(self, name: str) -> type[Resource[Any]]:
        model = self.get_conn().get_resource_model(name)
        if model is None:
            raise ThreeSixtyLearningScimError(conn_id=self.scim_conn_id, method="GET", path="/ResourceTypes",
                                              status=None, detail=f"the server serves no {name} resource")  # fmt: skip
        return model

    # -- requests ----------------------------------------------------------------------------------
    def _call(self, method: str, path: str, fn: Callable[[], T]) -> T:
        """Run one scim2-client call and turn its failures into provider errors (no token, no body)."""
        try:
            return fn()
        except SCIMException as exc:
            kwargs: dict[str, Any] = {"conn_id": self.scim_conn_id, "method": method, "path": path,
                                      "status": exc.status, "scim_type": exc.scim_type or None, "detail": exc.detail}  # fmt: skip
            if exc.status == 401:
                raise ThreeSixtyLearningScimAuthenticationError(**kwargs) from None
            if exc.status == 409:
                raise ThreeSixtyLearningScimConflictError(**kwargs) from None
            raise ThreeSixtyLearningScimError(**kwargs) from None
        except RequestNetworkException:
            raise ThreeSixtyLearningScimConnectionError(
                conn_id=self.scim_conn_id, method=method, path=path, status=None,
                detail=f"could not reach {self.settings.base_url} after retries",
            ) from None
        except SCIMClientException as exc:
            status = getattr(getattr(exc, "source", None), "status_code", None)
            error = ThreeSixtyLearningScimAuthenticationError if status == 401 else ThreeSixtyLearningScimError
            raise error(conn_id=self.scim_conn_id, method=method, path=path, status=status,
                        detail=exc.message[:200]) from None  # fmt: skip

    def iter_resources(
        self,
        model: type[Resource[Any]],
        *,
        filter: str | None = None,
        attributes: list[str] | None = None,
        page_size: int | None = None,
    ) -> Iterator[Resource[Any]]:
        """Every matching resource, page by page (``startIndex``/``count``), one page in memory."""
        client = self.get_conn()
        count = page_size or self.settings.page_size
        start = 1
        endpoint = self.endpoint(model)
        while True:
            request: SearchRequest[Any] = SearchRequest.model_validate(
                {"filter": filter, "startIndex": start, "count": count, "attributes": attributes}
            )
            page: Any = self._call("GET", endpoint, partial(client.query, model, query_parameters=request))
            resources = list(page.resources or [])
            yield from resources
            total = page.total_results or 0
            start += len(resources)
            if not resources or start > total:
                return

    def find_one(self, model: type[Resource[Any]], filter: str) -> Resource[Any] | None:
        """The single resource a filter selects (e.g. ``userName eq "x"``), or None."""
        found = list(self.iter_resources(model, filter=filter, page_size=2))
        return found[0] if found else None

    def endpoint(self, model: type[Resource[Any]]) -> str:
        """The resource type's endpoint, e.g. ``/Users`` (for messages and reports)."""
        return self.get_conn().resource_endpoint(model)

    def create(self, resource: Resource[Any]) -> Resource[Any]:
        client = self.get_conn()
        created: Any = self._call("POST", self.endpoint(type(resource)), lambda: client.create(resource))
        return created

    def patch(self, model: type[Resource[Any]], resource_id: str, operations: list[PatchOperation[Any]]) -> None:
        """One PATCH request (the answer, 204 or the resource, is not needed)."""
        client = self.get_conn()
        patch_op: PatchOp[Any] = PatchOp[model].model_validate({"Operations": operations})  # type: ignore[valid-type]
        self._call("PATCH", f"{self.endpoint(model)}/{resource_id}", lambda: client.modify(model, resource_id, patch_op))

    def delete(self, model: type[Resource[Any]], resource_id: str) -> None:
        client = self.get_conn()
        self._call("DELETE", f"{self.endpoint(model)}/{resource_id}", lambda: client.delete(model, resource_id))

    def test_connection(self) -> tuple[bool, str]:
        """Discover the service and look up one user by ``userName``; say what is wrong otherwise."""
        try:
            self.settings_overrides.setdefault("max_retries", 1)
            self.find_one(self.user_model, 'userName eq "airflow-connection-test@example.invalid"')
        except ThreeSixtyLearningScimAuthenticationError as exc:
            return False, str(exc)
        except ThreeSixtyLearningScimError as exc:
            return False, str(exc)
        finally:
            self.close()
        return True, f"Connected to the SCIM endpoint {self.settings.base_url}"
