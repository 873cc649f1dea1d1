"""Request building and response interpretation shared by the sync and async hooks.

Everything here is transport-free: it turns ``call_action(name, **params)`` arguments into a request
checked against the registry (so bad input fails before any request, naming the parameter), and turns
an HTTP answer into a decoded body, a next-page URL or a typed error.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote, urlencode, urljoin

from airflow_provider_360learning.actions import ACTIONS, Action, Parameter, multipart
from airflow_provider_360learning.actions.schemas import first_error, undeclared_properties
from airflow_provider_360learning.exceptions import ThreeSixtyLearningAPIError, ThreeSixtyLearningParameterError

BODY_PARAMETER = "body"

_LINK_NEXT_RE = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?', re.IGNORECASE)


@dataclass(frozen=True)
class ApiRequest:
    """A request for one action, validated and rendered; ``target`` is path plus query string."""

    action: Action
    path: str
    query: tuple[tuple[str, str], ...] = ()
    json_body: Any = None
    path_params: Mapping[str, str] = field(default_factory=dict)
    form: tuple[bytes, str] | None = field(default=None, repr=False)
    """A ``multipart/form-data`` body and its content type (boundary included), instead of JSON."""

    def body_kwargs(self) -> dict[str, Any]:
        """Body arguments of :meth:`ApiClient.request`: ``json=`` or the form's bytes and content type."""
        if self.form is not None:
            return {"content": self.form}
        return {"json": self.json_body}

    @property
    def method(self) -> str:
        return self.action.method

    @property
    def target(self) -> str:
        return f"{self.path}?{urlencode(self.query)}" if self.query else self.path

    def url(self, base_url: str) -> str:
        return base_url.rstrip("/") + self.target


def resolve_action(name: str | Action) -> Action:
    if isinstance(name, Action):
        return name
    try:
        return ACTIONS[name]
    except KeyError:
        raise ThreeSixtyLearningParameterError(
            name, None, "is not a 360Learning action; see ACTIONS for valid names"
        ) from None


def render_datetime(value: Any, *, operator: str, action: str, parameter: str) -> str:
    """Render a filter date as the API expects: UTC, ``YYYY-MM-DDThh:mm:ss.000Z``.

    The API only compares whole seconds, so ``gte`` is floored and ``lt`` ceiled to the second:
    the filter then keeps exactly the rows the caller's bound meant.
    """
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ThreeSixtyLearningParameterError(
                action, f"{parameter}[{operator}]", f"is not an ISO 8601 date-time: {value!r}"
            ) from None
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if not isinstance(value, dt.datetime):
        raise ThreeSixtyLearningParameterError(
            action,
            f"{parameter}[{operator}]",
            f"expects a datetime, date or ISO 8601 string, got {type(value).__name__}",
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise ThreeSixtyLearningParameterError(
            action, f"{parameter}[{operator}]", "is a naive datetime; pass a timezone-aware one (e.g. pendulum)"
        )
    try:
        utc = value.astimezone(dt.UTC)
        whole = utc.replace(microsecond=0)
        if operator == "lt" and whole != utc:
            whole += dt.timedelta(seconds=1)
    except OverflowError:
        raise ThreeSixtyLearningParameterError(
            action, f"{parameter}[{operator}]", f"is out of the range of dates the API accepts: {value.isoformat()}"
        ) from None
    return whole.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _is_datetime_schema(schema: Mapping[str, Any]) -> bool:
    return schema.get("format") == "date-time"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _text_flag(param: Parameter, text: str) -> str:
    """``"True"``/``"False"`` as the ``"true"``/``"false"`` a text flag's enum lists (Jinja renders bools capitalised)."""
    enum = param.schema.get("enum")
    if enum and text not in enum and text.lower() in enum and text.lower() in ("true", "false"):
        return text.lower()
    return text


def _filter_query(action: Action, param: Parameter, value: Any) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """Render a bracket filter: ``{"gte": d}`` -> ``completedAt[gte]=...``; a bare value means ``eq``."""
    if not isinstance(value, Mapping):
        if "eq" not in param.operators:
            raise ThreeSixtyLearningParameterError(
                action.name, param.name, f"is a bracket filter; pass a dict with one of {list(param.operators)}"
            )
        value = {"eq": value}
    query: list[tuple[str, str]] = []
    document: dict[str, Any] = {}
    properties = param.schema.get("properties", {})
    for operator, operand in value.items():
        if operator not in param.operators:
            raise ThreeSixtyLearningParameterError(
                action.name, param.name, f"has no operator {operator!r}; allowed: {list(param.operators)}"
            )
        sub_schema = properties.get(operator, {})
        if sub_schema.get("type") == "array":
            if isinstance(operand, (str, bytes)) or not isinstance(operand, Sequence):
                raise ThreeSixtyLearningParameterError(
                    action.name, f"{param.name}[{operator}]", "expects a list of values"
                )
            query.extend((f"{param.name}[{operator}]", _scalar(item)) for item in operand)
            document[operator] = list(operand)
            continue
        if _is_datetime_schema(sub_schema):
            rendered = render_datetime(operand, operator=operator, action=action.name, parameter=param.name)
            document[operator] = rendered
        else:
            rendered = _scalar(operand)
            document[operator] = operand
        query.append((f"{param.name}[{operator}]", rendered))
    return query, document


def _check(action: Action, name: str, pointer: str, instance: Any) -> None:
    if name == BODY_PARAMETER:
        undeclared = undeclared_properties(action.api, pointer, instance)
        if undeclared:
            raise ThreeSixtyLearningParameterError(
                action.name, f"{BODY_PARAMETER}.{undeclared[0]}", "is not a field of this request body"
            )
    problem = first_error(action.api, pointer, instance)
    if problem:
        raise ThreeSixtyLearningParameterError(action.name, name, f"is invalid: {problem}")


def build_request(name: str | Action, params: Mapping[str, Any]) -> ApiRequest:
    """Validate ``params`` against the action's declared parameters and render the request.

    Path, query and body parameters use the official spec's names; ``body`` is the request body.
    Raises :class:`ThreeSixtyLearningParameterError` naming the action and parameter on bad input.
    """
    action = resolve_action(name)
    declared = action.user_parameters
    unknown = [key for key in params if key not in declared and key != BODY_PARAMETER]
    if unknown:
        allowed = sorted(declared) + ([BODY_PARAMETER] if action.has_body else [])
        raise ThreeSixtyLearningParameterError(
            action.name, unknown[0], f"is not a parameter of this action; allowed: {allowed}"
        )

    path = action.path
    path_params: dict[str, str] = {}
    query: list[tuple[str, str]] = []
    for param in action.parameters:
        if param.location == "header":
            continue
        value = params.get(param.name)
        if value is None:
            if param.required:
                raise ThreeSixtyLearningParameterError(action.name, param.name, "is required")
            continue
        if param.location == "path":
            text = _scalar(value)
            _check(action, param.name, param.schema_pointer, text)
            path_params[param.name] = text
            path = path.replace("{" + param.name + "}", quote(text, safe=""))
        elif param.is_filter:
            rendered, document = _filter_query(action, param, value)
            _check(action, param.name, param.schema_pointer, document)
            query.extend(rendered)
        else:
            if _is_datetime_schema(param.schema):
                value = render_datetime(value, operator="eq", action=action.name, parameter=param.name)
            values = value if isinstance(value, (list, tuple)) else [value]
            if param.schema.get("type") == "array":
                instance: Any = [_scalar(v) for v in values]
            elif param.schema.get("type") == "string":
                # Query values travel as text: a bool is "true"/"false", as is a rendered template's "True".
                value = instance = _text_flag(param, _scalar(value))
                values = [value]
            else:
                instance = value
            _check(action, param.name, param.schema_pointer, instance)
            query.extend((param.name, _scalar(v)) for v in values)

    body = params.get(BODY_PARAMETER)
    if body is None and action.body_required:
        raise ThreeSixtyLearningParameterError(action.name, BODY_PARAMETER, "is required by this action")
    if body is not None:
        if not action.has_body:
            raise ThreeSixtyLearningParameterError(
                action.name, BODY_PARAMETER, "is not accepted: this action takes no request body"
            )
        if action.body_schema_pointer is None:
            raise ThreeSixtyLearningParameterError(
                action.name,
                BODY_PARAMETER,
                f"must be sent as {list(action.body_content_types)}, which this hook does not send",
            )
        if action.body_is_form:
            form_body = _form_body(action, body)
            _check(action, BODY_PARAMETER, action.body_schema_pointer, multipart.for_validation(action, form_body))
            return ApiRequest(
                action=action,
                path=path,
                query=tuple(query),
                path_params=path_params,
                form=multipart.encode(action, form_body),
            )
        body = _json_body(action, body)
        _check(action, BODY_PARAMETER, action.body_schema_pointer, body)
    return ApiRequest(action=action, path=path, query=tuple(query), json_body=body, path_params=path_params)


def _form_body(action: Action, body: Any) -> dict[str, Any]:
    """A form body with its files read: a file field takes bytes, a :class:`FilePart`, a local path or an
    object-storage URL (``s3://...``, read with Airflow's ``ObjectStoragePath``)."""
    if not isinstance(body, Mapping):
        raise ThreeSixtyLearningParameterError(action.name, BODY_PARAMETER, "must be an object of form fields")
    files = multipart.binary_fields(action)
    out: dict[str, Any] = {}
    for name, value in body.items():
        if name in files and value is not None:
            value = _file_part(action, name, value)
        elif isinstance(value, (dt.datetime, dt.date)):
            value = _json_default(value)
        out[name] = value
    return out


def _file_part(action: Action, name: str, value: Any) -> multipart.FilePart:
    where = f"{BODY_PARAMETER}.{name}"
    if isinstance(value, multipart.FilePart):
        return value
    if isinstance(value, (bytes, bytearray)):
        return multipart.FilePart(bytes(value), name)
    if hasattr(value, "read"):
        return multipart.FilePart.named(value.read(), getattr(value, "name", name))
    if isinstance(value, (str, PurePath)):
        text = str(value)
        try:
            if "://" in text:
                from airflow.sdk import ObjectStoragePath

                storage = ObjectStoragePath(text)
                return multipart.FilePart.named(storage.read_bytes(), storage.name)
            local = Path(text)
            return multipart.FilePart.named(local.read_bytes(), local.name)
        except (OSError, ValueError) as exc:
            raise ThreeSixtyLearningParameterError(
                action.name, where, f"names a file that cannot be read: {text} ({exc})"
            ) from None
    raise ThreeSixtyLearningParameterError(
        action.name, where, f"must be bytes, a file object, a local path or a storage URL, got {type(value).__name__}"
    )


def _json_body(action: Action, body: Any) -> Any:
    """``body`` as the JSON the API receives (dates rendered); NaN, infinities and unserialisable values are
    refused naming the body, since JSON has no way to say them."""
    try:
        return json.loads(json.dumps(body, default=_json_default, allow_nan=False))
    except ValueError as exc:
        raise ThreeSixtyLearningParameterError(
            action.name, BODY_PARAMETER, f"holds a value JSON cannot carry (NaN or an infinity): {exc}"
        ) from None
    except (TypeError, OverflowError) as exc:
        raise ThreeSixtyLearningParameterError(action.name, BODY_PARAMETER, f"cannot be sent as JSON: {exc}") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return render_datetime(value, operator="eq", action="body", parameter="body")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def next_page_url(current_url: str, link_header: str | None) -> str | None:
    """The absolute URL of ``rel="next"`` in a ``Link`` header, or ``None`` on the last page."""
    if not link_header:
        return None
    match = _LINK_NEXT_RE.search(link_header)
    if not match:
        return None
    return urljoin(current_url, match.group(1))


_OPERATION_LOCATION_RE = re.compile(r"/bulk/operations/([a-fA-F0-9]{24})/?(?:\?.*)?$")


def bulk_operation_id(request: ApiRequest, status: int, location: str | None) -> str:
    """The bulk operation id a 202 answer's ``Location`` names (``.../bulk/operations/{id}``)."""
    match = _OPERATION_LOCATION_RE.search(location or "")
    if status != 202 or match is None:
        action = request.action
        raise ThreeSixtyLearningAPIError(
            action=action.name,
            method=action.method,
            path=action.path,
            status=status,
            message=f"expected 202 with a Location of the bulk operation, got Location {(location or '')[:200]!r}",
        )
    return match.group(1).lower()
