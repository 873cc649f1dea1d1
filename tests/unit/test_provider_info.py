"""
Tests of ``get_provider_info()`` as Airflow 3.3 consumes it.

1. The dict validates against Airflow's runtime schema (``airflow/provider_info.schema.json``) and
   its ``connection-types`` against the stricter ``airflow/provider.yaml.schema.json`` definition
   (the runtime schema does not describe ``ui-field-behaviour`` / ``conn-fields``).
2. Airflow's ``ProvidersManager`` discovers it through the ``apache_airflow_provider`` entry point
   (the package must be installed, e.g. ``pip install -e . --no-deps``).
3. The connection form metadata the API server sends to the UI (``GET /ui/connections/hook_meta``,
   built by ``HookMetaService.hook_meta_data()``) has the 360Learning type with its labels,
   placeholders, hidden fields and extra fields, without importing the hook class.

No metadata database is needed.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from importlib.resources import files
from typing import Any

import jsonschema
import pytest

from airflow_provider_360learning import __version__
from airflow_provider_360learning.get_provider_info import get_provider_info

PROVIDER_PACKAGE = "airflow-provider-360learning"
CONN_TYPE = "360learning"
HOOK_MODULE = "airflow_provider_360learning.hooks.three_sixty_learning"
HOOK_CLASS_NAME = f"{HOOK_MODULE}.ThreeSixtyLearningHook"
ENTRY_POINT_VALUE = "airflow_provider_360learning.get_provider_info:get_provider_info"

EXPECTED_HIDDEN_FIELDS = {"schema", "port", "extra"}
EXPECTED_RELABELING = {
    "login": "Client ID",
    "password": "Client secret",
    "host": "Base URL (optional, overrides region)",
}
EXPECTED_HOST_PLACEHOLDER = "https://app.360learning.com"
# name -> (label, schema) as specified for the connection form.
_POSITIVE = {"type": "number", "exclusiveMinimum": 0}
EXPECTED_CONN_FIELDS: dict[str, tuple[str, dict[str, Any]]] = {
    "region": ("Region", {"type": "string", "enum": ["eu", "us"], "default": "eu"}),
    "timeout": ("Read timeout (s)", {**_POSITIVE, "default": 60}),
    "connect_timeout": ("Connect timeout (s)", {**_POSITIVE, "default": 10}),
    "total_timeout": ("Total deadline per request (s)", {**_POSITIVE, "default": 120}),
    "max_response_mb": ("Response size cap (MB)", {**_POSITIVE, "default": 64}),
    "max_retries": ("Max retries", {"type": "integer", "default": 5, "minimum": 0}),
    "max_retry_wait": ("Max total retry wait (s)", {"type": "number", "default": 300, "minimum": 0}),
    "backoff_initial": ("Initial backoff (s)", {"type": "number", "default": 1, "minimum": 0}),
    "backoff_max": ("Max backoff (s)", {"type": "number", "default": 60, "minimum": 0}),
    # the documented per-company limits of 360Learning: 50 GET/s and 10 writes/s
    "requests_per_second": ("Read budget (GET/s)", {"type": "number", "default": 50, "minimum": 0}),
    "writes_per_second": ("Write budget (requests/s)", {"type": "number", "default": 10, "minimum": 0}),
    # optional: nullable, so the form does not require them
    "rate_limit_key": ("Rate-limit key", {"type": ["string", "null"], "default": None}),
    "rate_limit_backend": ("Rate-limit backend", {"type": ["string", "null"], "default": None}),
}


def _load_airflow_schema(name: str) -> dict[str, Any]:
    return json.loads(files("airflow").joinpath(name).read_text(encoding="utf-8"))


def runtime_schema_errors(provider_info: dict[str, Any]) -> list[str]:
    schema = _load_airflow_schema("provider_info.schema.json")
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [error.message for error in validator.iter_errors(provider_info)]


def connection_types_schema_errors(provider_info: dict[str, Any]) -> list[str]:
    """Validate ``connection-types`` against the provider.yaml schema's (strict) definition."""
    full = _load_airflow_schema("provider.yaml.schema.json")
    schema = {
        "$schema": full.get("$schema", "http://json-schema.org/draft-07/schema#"),
        "definitions": full.get("definitions", {}),
        **full["properties"]["connection-types"],
    }
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [
        f"{'/'.join(str(part) for part in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(provider_info.get("connection-types", []))
    ]


def our_connection_type(provider_info: dict[str, Any]) -> dict[str, Any]:
    (entry,) = [e for e in provider_info["connection-types"] if e["connection-type"] == CONN_TYPE]
    return entry


@pytest.fixture(autouse=True)
def airflow_env(monkeypatch):
    """Unit-test mode; the throw-away AIRFLOW_HOME is the test process's own (tests/conftest.py): a home of
    this test's would be the one Airflow keeps if it is first imported here, and the metadata database
    that later tests migrate would not be the one Airflow uses."""
    monkeypatch.setenv("AIRFLOW__CORE__UNIT_TEST_MODE", "True")


@pytest.fixture
def providers_manager(airflow_env, monkeypatch):
    """A fresh ProvidersManager singleton; the previous one (if any) is restored afterwards."""
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService
    from airflow.providers_manager import ProvidersManager

    monkeypatch.setattr(ProvidersManager, "_instance", None)
    monkeypatch.setattr(ProvidersManager, "_initialized", False)
    HookMetaService.hook_meta_data.cache_clear()
    yield ProvidersManager()
    HookMetaService.hook_meta_data.cache_clear()


@pytest.fixture
def hook_import_spy(monkeypatch):
    """Block importing the hook module and record any attempt by ProvidersManager to import hooks."""
    from airflow.providers_manager import ProvidersManager

    monkeypatch.setitem(sys.modules, HOOK_MODULE, None)  # "import" of it now raises ImportError
    calls: list[dict[str, Any]] = []
    original = ProvidersManager._import_hook

    def spy(self, *args, **kwargs):
        calls.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ProvidersManager, "_import_hook", spy)
    return calls


# --------------------------------------------------------------------------------------------------
# 1. Schemas and content
# --------------------------------------------------------------------------------------------------


def test_validates_against_airflow_runtime_schema():
    assert runtime_schema_errors(get_provider_info()) == []


def test_validates_with_the_validator_providers_manager_uses():
    from airflow.providers_manager import _create_provider_info_schema_validator

    _create_provider_info_schema_validator().validate(get_provider_info())


def test_connection_types_validate_against_provider_yaml_schema():
    assert connection_types_schema_errors(get_provider_info()) == []


def test_result_is_json_serialisable_and_fresh():
    first = get_provider_info()
    assert json.loads(json.dumps(first)) == first
    first["connection-types"].clear()
    assert get_provider_info()["connection-types"], "callers must not be able to mutate shared state"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(lambda info: info.pop("description"), "'description' is a required property", id="no-description"),
        pytest.param(lambda info: info.update(name=360), "360 is not of type 'string'", id="name-not-string"),
        pytest.param(
            lambda info: info["connection-types"][0].pop("hook-class-name"),
            "'hook-class-name' is a required property",
            id="no-hook-class-name",
        ),
        pytest.param(
            lambda info: info.update(hooks=[{"integration-name": "360Learning", "python-modules": HOOK_MODULE}]),
            "is not of type 'array'",
            id="python-modules-not-a-list",
        ),
    ],
)
def test_runtime_schema_rejects_broken_copies(mutate, expected):
    broken = get_provider_info()
    mutate(broken)
    errors = runtime_schema_errors(broken)
    assert any(expected in error for error in errors), errors


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(
            lambda entry: entry["conn-fields"]["region"].pop("label"),
            "'label' is a required property",
            id="conn-field-without-label",
        ),
        pytest.param(
            lambda entry: entry["conn-fields"]["timeout"]["schema"].pop("type"),
            "'type' is a required property",
            id="conn-field-schema-without-type",
        ),
        pytest.param(
            lambda entry: entry["conn-fields"]["region"]["schema"].update(format="secret"),
            "'secret' is not one of",
            id="unknown-format",
        ),
        pytest.param(
            lambda entry: entry["ui-field-behaviour"]["hidden-fields"].append("url"),
            "'url' is not one of",
            id="unknown-hidden-field",
        ),
        pytest.param(
            lambda entry: entry["ui-field-behaviour"].update(hidden_fields=["port"]),
            "Additional properties are not allowed ('hidden_fields' was unexpected)",
            id="snake-case-behaviour-key",
        ),
    ],
)
def test_provider_yaml_schema_rejects_broken_connection_types(mutate, expected):
    broken = get_provider_info()
    mutate(our_connection_type(broken))
    errors = connection_types_schema_errors(broken)
    assert any(expected in error for error in errors), errors


def test_provider_info_content():
    info = get_provider_info()
    assert info["package-name"] == PROVIDER_PACKAGE
    assert info["name"] == "360Learning"
    assert info["description"]
    assert info["versions"] == [__version__]
    assert info["integrations"] == [
        {
            "integration-name": "360Learning",
            "external-doc-url": "https://360learning.readme.io/",
            "tags": ["service"],
        }
    ]
    assert {"integration-name": "360Learning", "python-modules": [HOOK_MODULE]} in info["hooks"]
    assert [e["connection-type"] for e in info["connection-types"]] == [
        CONN_TYPE,
        "360learning_scim",
        "360learning_edx",
    ]
    assert {"integration-name": "360Learning", "python-modules": ["airflow_provider_360learning.hooks.edx"]} in info[
        "hooks"
    ]


def test_edx_connection_type_entry():
    (entry,) = [e for e in get_provider_info()["connection-types"] if e["connection-type"] == "360learning_edx"]
    assert entry["hook-class-name"] == "airflow_provider_360learning.hooks.edx.EdxHook"
    assert entry["ui-field-behaviour"]["relabeling"] == {
        "login": "Client ID",
        "password": "Client secret",
        "host": "Base URL",
    }
    assert entry["ui-field-behaviour"]["placeholders"]["host"] == "https://api.edx.org"
    fields = entry["conn-fields"]
    assert list(fields) == ["enterprise_customer_uuid", *(name for name in EXPECTED_CONN_FIELDS if name != "region")]
    assert fields["requests_per_second"]["schema"]["default"] == 1  # edX throttles at 60/minute
    assert fields["writes_per_second"]["schema"]["default"] == 0  # the edX hook only reads
    for name, field in fields.items():
        assert not list(jsonschema.Draft7Validator(field["schema"]).iter_errors(field["schema"]["default"])), name


def test_the_edx_connection_type_is_namespaced(providers_manager, hook_import_spy):
    """``360learning_edx`` is registered for ``EdxHook``; the generic ``edx`` is not claimed (connections of that
    former type still work: the hook reads their fields, not their type; see tests/unit/edx)."""
    from airflow_provider_360learning.hooks.edx import EdxHook

    metadata = {meta.connection_type: meta for meta in providers_manager.iter_connection_type_hook_ui_metadata()}
    assert metadata["360learning_edx"].hook_class_name == "airflow_provider_360learning.hooks.edx.EdxHook"
    assert metadata["360learning_edx"].hook_name == "edX"
    assert "edx" not in metadata
    assert EdxHook.conn_type == "360learning_edx" and EdxHook.default_conn_name == "edx_default"


def test_extra_links_are_registered_and_importable(providers_manager):
    """The operators' links to 360Learning pages are listed under ``extra-links`` and loaded by Airflow."""
    import importlib

    from airflow.sdk import BaseOperatorLink

    from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator

    names = get_provider_info()["extra-links"]
    assert [name.rsplit(".", 1)[1] for name in names] == [
        "ThreeSixtyLearningUserLink",
        "ThreeSixtyLearningGroupLink",
        "ThreeSixtyLearningCourseLink",
        "ThreeSixtyLearningPathLink",
        "ThreeSixtyLearningPathSessionLink",
    ]
    classes = []
    for name in names:
        module, _, class_name = name.rpartition(".")
        classes.append(getattr(importlib.import_module(module), class_name))
    assert all(issubclass(cls, BaseOperatorLink) for cls in classes)
    assert [type(link) for link in ThreeSixtyLearningOperator.operator_extra_links] == classes
    assert set(names) <= set(providers_manager.extra_links_class_names)


def test_connection_type_entry():
    entry = our_connection_type(get_provider_info())
    assert entry["hook-class-name"] == HOOK_CLASS_NAME
    assert entry["hook-name"] == "360Learning"
    behaviour = entry["ui-field-behaviour"]
    assert set(behaviour["hidden-fields"]) == EXPECTED_HIDDEN_FIELDS
    assert behaviour["relabeling"] == EXPECTED_RELABELING
    assert behaviour["placeholders"]["host"] == EXPECTED_HOST_PLACEHOLDER
    assert "360Learning API v2" in behaviour["placeholders"]["login"]
    fields = entry["conn-fields"]
    assert list(fields) == list(EXPECTED_CONN_FIELDS)
    for name, (label, schema) in EXPECTED_CONN_FIELDS.items():
        assert fields[name]["label"] == label, name
        assert fields[name]["schema"] == schema, name
        assert fields[name].get("description"), f"{name} has no help text"
        assert fields[name]["schema"].get("format") != "password", f"{name} is not a secret"


def test_conn_field_defaults_satisfy_their_own_schema():
    for name, field in our_connection_type(get_provider_info())["conn-fields"].items():
        schema = field["schema"]
        errors = list(jsonschema.Draft7Validator(schema).iter_errors(schema["default"]))
        assert errors == [], (name, [error.message for error in errors])


# --------------------------------------------------------------------------------------------------
# 2. Discovery by Airflow
# --------------------------------------------------------------------------------------------------


def test_entry_point_is_registered():
    try:
        distribution = importlib.metadata.distribution(PROVIDER_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(f"{PROVIDER_PACKAGE} is not installed: pip install -e . --no-deps")
    (entry_point,) = [ep for ep in distribution.entry_points if ep.group == "apache_airflow_provider"]
    assert entry_point.name == "provider_info"
    assert entry_point.value == ENTRY_POINT_VALUE
    assert entry_point.load() is get_provider_info


def test_providers_manager_discovers_the_provider(providers_manager):
    providers = providers_manager.providers
    assert PROVIDER_PACKAGE in providers, sorted(providers)
    provider = providers[PROVIDER_PACKAGE]
    assert provider.version == importlib.metadata.version(PROVIDER_PACKAGE) == __version__
    # Airflow adds "documentation-url" from the distribution's Project-URL "Documentation".
    assert {key: value for key, value in provider.data.items() if key != "documentation-url"} == get_provider_info()


def test_providers_manager_registers_the_connection_type(providers_manager, hook_import_spy):
    metadata = {meta.connection_type: meta for meta in providers_manager.iter_connection_type_hook_ui_metadata()}
    assert CONN_TYPE in metadata
    meta = metadata[CONN_TYPE]
    assert meta.hook_name == "360Learning"
    assert meta.hook_class_name == HOOK_CLASS_NAME
    assert meta.field_behaviour is not None
    assert set(meta.field_behaviour["hidden_fields"]) == EXPECTED_HIDDEN_FIELDS
    assert meta.field_behaviour["relabeling"] == EXPECTED_RELABELING
    assert hook_import_spy == [], "the UI metadata path imported a hook"


# --------------------------------------------------------------------------------------------------
# 3. Connection form metadata sent to the UI
# --------------------------------------------------------------------------------------------------


def expected_ui_metadata() -> dict[str, Any]:
    placeholders = our_connection_type(get_provider_info())["ui-field-behaviour"]["placeholders"]

    def field(name: str, *, hidden: bool = False) -> dict[str, Any] | None:
        title = EXPECTED_RELABELING.get(name)
        placeholder = placeholders.get(name)
        if not (hidden or title or placeholder):
            return None
        return {"hidden": hidden, "title": title, "placeholder": placeholder}

    return {
        "connection_type": CONN_TYPE,
        "hook_class_name": HOOK_CLASS_NAME,
        "default_conn_name": None,
        "hook_name": "360Learning",
        # The API model has no "extra" standard field: the Airflow 3 form always shows the extra JSON
        # editor, so "extra" in hidden-fields is dropped here.
        "standard_fields": {
            "description": None,
            "url_schema": field("schema", hidden=True),
            "host": field("host"),
            "port": field("port", hidden=True),
            "login": field("login"),
            "password": field("password"),
        },
        "extra_fields": {
            name: {
                "value": schema["default"],
                "schema": {**schema, "title": label},
                "description": our_connection_type(get_provider_info())["conn-fields"][name]["description"],
                "source": None,
            }
            for name, (label, schema) in EXPECTED_CONN_FIELDS.items()
        },
    }


def test_ui_hook_meta_data(providers_manager, hook_import_spy):
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

    by_type = {meta.connection_type: meta for meta in HookMetaService.hook_meta_data()}
    assert CONN_TYPE in by_type, sorted(filter(None, by_type))
    actual = by_type[CONN_TYPE].model_dump()
    assert actual == expected_ui_metadata()
    assert hook_import_spy == [], "building the connection form imported a hook"


def test_ui_hook_meta_data_as_the_api_serialises_it(providers_manager):
    """The JSON of GET /ui/connections/hook_meta for our type: form controls the React UI renders."""
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

    (meta,) = [m for m in HookMetaService.hook_meta_data() if m.connection_type == CONN_TYPE]
    payload = json.loads(meta.model_dump_json())
    region = payload["extra_fields"]["region"]
    assert region["value"] == "eu"
    assert region["schema"]["enum"] == ["eu", "us"]
    assert region["schema"]["title"] == "Region"
    assert payload["extra_fields"]["requests_per_second"]["schema"]["minimum"] == 0
    assert payload["standard_fields"]["port"]["hidden"] is True
    assert payload["standard_fields"]["url_schema"]["hidden"] is True
    assert payload["standard_fields"]["login"]["title"] == "Client ID"
    assert payload["standard_fields"]["password"]["title"] == "Client secret"
    assert payload["standard_fields"]["host"]["placeholder"] == EXPECTED_HOST_PLACEHOLDER


def test_conn_fields_are_not_marked_sensitive(providers_manager):
    """No conn-field has format=password, so the UI does not mask or redact any of them."""
    widgets = {
        key: widget
        for key, widget in providers_manager._connection_form_widgets_from_metadata.items()
        if key.startswith(f"extra__{CONN_TYPE}__")
    }
    assert set(widgets) == {f"extra__{CONN_TYPE}__{name}" for name in EXPECTED_CONN_FIELDS}
    assert not any(widget.is_sensitive for widget in widgets.values())
    assert {widget.hook_class_name for widget in widgets.values()} == {HOOK_CLASS_NAME}


def test_operators_sensors_and_triggers_are_listed_and_importable() -> None:
    import importlib

    info = get_provider_info()
    for section in ("operators", "sensors", "triggers"):
        modules = info[section][0]["python-modules"]
        assert modules, section
        for module in modules:
            importlib.import_module(module)
    assert "airflow_provider_360learning.operators.generated.bulk_actions" in info["operators"][0]["python-modules"]
    assert "airflow_provider_360learning.triggers.webhook_events" in info["triggers"][0]["python-modules"]
    importlib.import_module(info["transfers"][0]["python-module"])
