"""Hook for 360Learning's SCIM 2.0 integration, on scim2-client and scim2-models.

Connection type ``360learning_scim``, default connection id ``360learning_scim_default``: ``host`` is the
"Endpoint URL" 360Learning shows in Settings > Integrations > SCIM (the emulator's is
``http://127.0.0.1:8360/scim/v2``), ``password`` is the bearer token generated on that page. The token is
registered with Airflow's secret masker as soon as it is read and never appears in a message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, TypeVar, Unpack
from urllib.parse import urlencode, urlsplit

from airflow.sdk import BaseHook
from scim2_client import BaseSyncSCIMClient, RequestNetworkException, SCIMClientException
from scim2_models import (
    PatchOp,
    PatchOperation,
    Resource,
    SCIMException,
    SearchRequest,
)

from airflow_provider_360learning.client import transport
from airflow_provider_360learning.client.client import ApiClient, Call
from airflow_provider_360learning.client.hook import ClientHookMixin, ScimSettings, given_settings
from airflow_provider_360learning.client.pagination import Progress
from airflow_provider_360learning.client.services import ScimService, scim_settings
from airflow_provider_360learning.client.transport import Response
from airflow_provider_360learning.exceptions import (
    ThreeSixtyLearningScimAuthenticationError,
    ThreeSixtyLearningScimConflictError,
    ThreeSixtyLearningScimConnectionError,
    ThreeSixtyLearningScimError,
)

T = TypeVar("T")
SERVICE = ScimService()


class CoreScimClient(BaseSyncSCIMClient):
    """scim2-client engine on the provider's client core: scim2-client builds and reads SCIM messages, the core
    sends them (static bearer token, retries, deadline, size cap, origin pinning, masking)."""

    def __init__(self, core: ApiClient, **client_kwargs: Any) -> None:
        super().__init__(**client_kwargs)
        self.core = core
        self.base_url = core.settings.base_url.rstrip("/")

    @property
    def request_count(self) -> int:
        return self.core.request_count

    def close(self) -> None:
        """Nothing to release: the sync hooks of a process share the core's connection pool."""

    def request(self, method: str, url: str, **kwargs: Any) -> Response:
        method = method.upper()
        full_url = url if "://" in url else f"{self.base_url}/{url.lstrip('/')}"
        params = kwargs.pop("params", None)
        if params:
            full_url += ("&" if "?" in full_url else "?") + urlencode(params, doseq=True)
        call = Call(
            action=f"{method} {urlsplit(full_url).path}",
            method=method,
            path=urlsplit(full_url).path,
            path_params={"conn_id": self.core.settings.conn_id},
        )
        return transport.run_sync(
            self.core.request(
                call,
                full_url,
                json=kwargs.pop("json", None),
                headers=kwargs.pop("headers", None),
                raise_for_status=False,
            )
        )


class ThreeSixtyLearningScimHook(ClientHookMixin, BaseHook):
    """
    Read and write users and groups over 360Learning's SCIM 2.0 endpoint.

    ``get_conn()`` returns a scim2-client client (service discovered once: ``ServiceProviderConfig``,
    ``ResourceTypes``, ``Schemas``) whose requests are retried on 429/5xx/network errors. The helpers turn
    SCIM errors into :class:`ThreeSixtyLearningScimError` subclasses that name the request and the SCIM
    ``scimType``; a 401 (revoked or expired token) is :class:`ThreeSixtyLearningScimAuthenticationError`.

    :param scim_conn_id: Airflow connection of type ``360learning_scim``.
    :param page_size: this and the other keyword-only arguments are per-hook values of the connection's
        extra fields, ``None`` (the default) meaning the connection's value: ``page_size``,
        ``timeout``, ``connect_timeout``, ``total_timeout``, ``max_response_mb``, ``max_retries``, ``max_retry_wait``,
        ``backoff_initial``, ``backoff_max``, ``requests_per_second``, ``writes_per_second``, ``rate_limit_key``,
        ``rate_limit_backend`` (see the connection form for their meaning); a misspelt name is a ``TypeError``.
    """

    conn_name_attr = "scim_conn_id"
    default_conn_name = "360learning_scim_default"
    conn_type = "360learning_scim"
    hook_name = "360Learning SCIM"

    def __init__(self, scim_conn_id: str = default_conn_name, **settings: Unpack[ScimSettings]) -> None:
        super().__init__()
        self.scim_conn_id = scim_conn_id
        self.settings_overrides = given_settings(type(self).__name__, ScimSettings, settings)
        self._client: CoreScimClient | None = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden-fields": ["schema", "port", "login", "extra"],
            "relabeling": {"host": "Endpoint URL", "password": "SCIM token"},
            "placeholders": {"host": "the Endpoint URL of 360Learning's SCIM settings page"},
        }

    service = SERVICE
    settings_from = staticmethod(scim_settings)

    def get_conn(self) -> CoreScimClient:
        """The scim2-client client, with the service discovered (three requests, once per hook)."""
        if self._client is None:
            client = CoreScimClient(self.client)
            self._call("GET", "/ServiceProviderConfig, /ResourceTypes, /Schemas", client.discover)
            self._client = client
        return self._client

    def close(self) -> None:
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
        client = self.get_conn()
        model = self._call("GET", "/ResourceTypes", lambda: client.get_resource_model(name))
        if model is None:
            raise ThreeSixtyLearningScimError(
                conn_id=self.scim_conn_id,
                method="GET",
                path="/ResourceTypes",
                status=None,
                detail=f"the server serves no {name} resource",
            )
        return model

    # -- requests ----------------------------------------------------------------------------------
    def _call(self, method: str, path: str, fn: Callable[[], T]) -> T:
        """Run one scim2-client call and turn its failures into provider errors: the server's fields masked
        (a server may echo the token) and truncated."""
        clean = self.client.redactor.clean
        try:
            return fn()
        except SCIMException as exc:
            kwargs: dict[str, Any] = {
                "conn_id": self.scim_conn_id,
                "method": method,
                "path": path,
                "status": exc.status,
                "scim_type": clean(exc.scim_type or None, 80),
                "detail": clean(exc.detail),
            }
            if exc.status == 401:
                raise ThreeSixtyLearningScimAuthenticationError(**kwargs) from None
            if exc.status == 409:
                raise ThreeSixtyLearningScimConflictError(**kwargs) from None
            raise ThreeSixtyLearningScimError(**kwargs) from None
        except RequestNetworkException:
            raise ThreeSixtyLearningScimConnectionError(
                conn_id=self.scim_conn_id,
                method=method,
                path=path,
                status=None,
                detail=f"could not reach {self.settings.base_url} after retries",
            ) from None
        except SCIMClientException as exc:
            status = getattr(getattr(exc, "source", None), "status_code", None)
            error = ThreeSixtyLearningScimAuthenticationError if status == 401 else ThreeSixtyLearningScimError
            raise error(
                conn_id=self.scim_conn_id, method=method, path=path, status=status, detail=clean(exc.message, 200)
            ) from None

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
        count = page_size or int(self.settings.options["page_size"])
        start = 1
        endpoint = self.endpoint(model)
        progress = Progress(self.log, f"SCIM {endpoint}")
        while True:
            request: SearchRequest[Any] = SearchRequest.model_validate(
                {"filter": filter, "startIndex": start, "count": count, "attributes": attributes}
            )
            page: Any = self._call("GET", endpoint, partial(client.query, model, query_parameters=request))
            resources = list(page.resources or [])
            progress.add(len(resources), 0)
            yield from resources
            total = page.total_results or 0
            start += len(resources)
            if not resources or start > total:
                progress.finish()
                return

    def find_one(self, model: type[Resource[Any]], filter: str) -> Resource[Any] | None:
        """The single resource a filter selects (e.g. ``userName eq "x"``), or None."""
        found = list(self.iter_resources(model, filter=filter, page_size=2))
        return found[0] if found else None

    def endpoint(self, model: type[Resource[Any]]) -> str:
        """The resource type's endpoint, e.g. ``/Users`` (for messages and reports); scim2-client refuses one that
        leaves the base URL."""
        client = self.get_conn()
        return self._call("GET", "/ResourceTypes", lambda: client.resource_endpoint(model))

    def create(self, resource: Resource[Any]) -> Resource[Any]:
        client = self.get_conn()
        created: Any = self._call("POST", self.endpoint(type(resource)), lambda: client.create(resource))
        return created

    def patch(self, model: type[Resource[Any]], resource_id: str, operations: list[PatchOperation[Any]]) -> None:
        """One PATCH request (the answer, 204 or the resource, is not needed)."""
        client = self.get_conn()
        patch_op: PatchOp[Any] = PatchOp[model].model_validate({"Operations": operations})  # type: ignore[valid-type]
        self._call(
            "PATCH", f"{self.endpoint(model)}/{resource_id}", lambda: client.modify(model, resource_id, patch_op)
        )

    def delete(self, model: type[Resource[Any]], resource_id: str) -> None:
        client = self.get_conn()
        self._call("DELETE", f"{self.endpoint(model)}/{resource_id}", lambda: client.delete(model, resource_id))

    def test_connection(self) -> tuple[bool, str]:
        """Discover the service and look up one user by ``userName``; say what is wrong otherwise."""
        try:
            self.settings_overrides.setdefault("max_retries", 1)
            self.reset_client()
            self.find_one(self.user_model, 'userName eq "airflow-connection-test@example.invalid"')
        except ThreeSixtyLearningScimAuthenticationError as exc:
            return False, str(exc)
        except ThreeSixtyLearningScimError as exc:
            return False, str(exc)
        finally:
            self.close()
        return True, f"Connected to the SCIM endpoint {self.settings.base_url}"
