"""Helpers for the emulator tests: an HTTP client that authenticates once, and contract checks.

The ``learning360_emulator`` fixtures come from the provider's pytest plugin (``pytest11`` entry point).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import httpx
import pytest

from airflow_provider_360learning.actions import Action
from airflow_provider_360learning.emulator.server import EmulatorServer

API_VERSION = {"360-api-version": "v2.0"}
API_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$")


class Api:
    """A minimal API client: one token, the version header, and Link-following."""

    def __init__(self, server: EmulatorServer, *, client_id: str | None = None, secret: str | None = None) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.url, timeout=30)
        config = server.config
        self.client_id = client_id or config.client_id
        self.secret = secret or config.client_secret
        self._token: str | None = None

    def token_request(self, body: Any = None, **kwargs: Any) -> httpx.Response:
        if body is None and not kwargs:
            body = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.secret}
        if body is not None:
            kwargs["json"] = body
        return self.http.post("/api/v2/oauth2/token", **kwargs)

    @property
    def token(self) -> str:
        if self._token is None:
            response = self.token_request()
            assert response.status_code == 200, response.text
            self._token = response.json()["access_token"]
        return self._token

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **API_VERSION, **extra}

    def get(self, path: str, params: Any = None, **headers: str) -> httpx.Response:
        return self.http.get(path, params=params, headers=self.headers(**headers))

    def pages(self, path: str, params: Any = None) -> list[list[dict[str, Any]]]:
        """Every page of a list, following ``Link`` headers; asserts each answer is a 200."""
        out = []
        response = self.get(path, params)
        while True:
            assert response.status_code == 200, response.text
            out.append(response.json())
            url = response.links.get("next", {}).get("url")
            if url is None:
                return out
            response = self.http.get(url, headers=self.headers())

    def all(self, path: str, params: Any = None) -> list[dict[str, Any]]:
        return [row for page in self.pages(path, params) for row in page]

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def api(learning360_emulator: EmulatorServer) -> Iterator[Api]:
    client = Api(learning360_emulator)
    yield client
    client.close()


@pytest.fixture
def make_api() -> Iterator[Any]:
    clients: list[Api] = []

    def make(server: EmulatorServer, **kwargs: Any) -> Api:
        client = Api(server, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# -- contract checks ---------------------------------------------------------------------------
@cache
def _local_validator(api_name: str, pointer: str) -> Any:
    """Draft 2020-12 validator of one schema of an official document, ``$ref`` resolved in the document."""
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    from airflow_provider_360learning.actions import load_document

    doc = load_document(api_name)
    registry: Registry[Any] = Registry().with_resource(
        doc.uri, Resource.from_contents(dict(doc.contents), default_specification=DRAFT202012)
    )
    checker = jsonschema.FormatChecker()
    checker.checks("date-time")(lambda v: not isinstance(v, str) or bool(API_DATETIME.match(v)))
    checker.checks("ObjectId")(lambda v: not isinstance(v, str) or bool(re.fullmatch(r"[0-9a-fA-F]{24}", v)))
    return jsonschema.Draft202012Validator({"$ref": f"{doc.uri}#{pointer}"}, registry=registry, format_checker=checker)


def schema_errors(action: Action, status: int, body: Any) -> list[str]:
    """Errors of a body against the action's documented response schema (dates must have ms 0)."""
    spec = action.responses.get(str(status))
    if spec is None or spec.schema_pointer is None:
        return [f"{action.name}: status {status} is not documented with a JSON schema"]
    validator = _local_validator(action.api, spec.schema_pointer)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)][:10]


def exchange_errors(server: EmulatorServer) -> list[str]:
    """Contract problems of every recorded exchange (the suite-wide check of ``tests/conftest.py``)."""
    from tests.conftest import contract_errors

    return contract_errors(server.state, requests_must_validate=False)


# -- write tests: the hook on an emulator with the suite's test credentials -----------------------
@pytest.fixture
def hook(emulator: EmulatorServer, connection: str) -> Any:
    """A hook on the ``emulator`` fixture (every request it sends and every answer is contract-checked)."""
    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

    return ThreeSixtyLearningHook(backoff_initial=0.01, backoff_max=0.05, requests_per_second=0, max_retries=0)


@pytest.fixture
def raw(emulator: EmulatorServer, make_api: Any) -> Api:
    """A plain HTTP client on the same emulator, for multipart bodies (the hook sends JSON only) and ``null``s."""
    from tests.conftest import TEST_CLIENT_ID, TEST_CLIENT_SECRET

    return make_api(emulator, client_id=TEST_CLIENT_ID, secret=TEST_CLIENT_SECRET)  # type: ignore[no-any-return]


def api_error(hook: Any, name: str, **params: Any) -> Any:
    """The typed error an action raises (status, code and message of the API's answer)."""
    from airflow_provider_360learning.exceptions import ThreeSixtyLearningAPIError

    with pytest.raises(ThreeSixtyLearningAPIError) as info:
        hook.call_action(name, **params)
    return info.value


def send(api: Api, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One raw request with the token and version header (``files=``/``data=`` for multipart)."""
    return api.http.request(method, path, headers=api.headers(), **kwargs)


def multipart(fields: dict[str, Any], **files: tuple[str, bytes, str]) -> dict[str, Any]:
    """``files=`` of httpx for a multipart body of text fields and files (without files httpx would urlencode)."""
    return {**{name: (None, value) for name, value in fields.items()}, **files}
