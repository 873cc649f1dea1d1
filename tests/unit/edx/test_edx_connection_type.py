"""The edX connection's type is ``360learning_edx``; a connection of the former type ``edx`` keeps working,
because ``EdxHook`` reads the connection's fields, never its type."""

from __future__ import annotations

import json

import pytest

from airflow_provider_360learning.hooks.edx import EdxHook
from tests.conftest import TEST_EDX_CLIENT_SECRET
from tests.unit.edx.conftest import EDX_CONN_ENV, TEST_EDX_CLIENT_ID, Edx, make_hook


def test_the_connection_type_is_namespaced() -> None:
    assert EdxHook.conn_type == "360learning_edx"
    assert EdxHook.default_conn_name == "edx_default"


@pytest.mark.parametrize("conn_type", ["360learning_edx", "edx"])
def test_a_connection_of_either_type_reads_the_catalogs(
    conn_type: str, edx: Edx, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = {"conn_type": conn_type, "login": TEST_EDX_CLIENT_ID, "password": TEST_EDX_CLIENT_SECRET, "host": edx.url}
    monkeypatch.setenv(EDX_CONN_ENV, json.dumps(conn))
    hook = make_hook()
    assert hook.get_connection("edx_default").conn_type == conn_type
    catalogs = list(hook.iter_catalogs())
    assert edx.main_catalog in {c["uuid"] for c in catalogs}
    ok, message = hook.test_connection()
    assert ok, message
