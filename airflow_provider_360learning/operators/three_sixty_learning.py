"""Run any 360Learning action from a DAG.

:class:`ThreeSixtyLearningOperator` runs an action of the registry by name; the named operators of
``operators/<family>.py`` (``ReplacePathTagsOperator``, ``ListPathSessionUserStatsOperator``...) are the
same operator with the action fixed and its parameters as keyword arguments, generated from the
registry by ``scripts/generate_operators.py`` so that an IDE and the docs see them.

Parameters are checked against the official schemas before any request: a bad one fails the task with
the action and the field named. A list action follows every page; its items go to XCom when they are
few (``max_xcom_items``), or stream as JSON Lines to ``output_path`` (any Airflow object-storage URL).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator
from airflow.sdk.log import mask_secret

from airflow_provider_360learning.actions import ACTIONS, Action
from airflow_provider_360learning.actions.requests import BODY_PARAMETER, ApiRequest, build_request
from airflow_provider_360learning.exceptions import ThreeSixtyLearningError, ThreeSixtyLearningParameterError
from airflow_provider_360learning.links.three_sixty_learning import OBJECT_LINKS, object_ids

if TYPE_CHECKING:  # the hook (HTTP provider) is imported when a task runs, not when a DAG file is parsed
    from airflow.sdk import Context

    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

CREDENTIALS_CHECK = "generate_token"
"""The token endpoint as a task: it checks the connection's credentials and returns no token."""
DEFAULT_MAX_XCOM_ITEMS = 1_000
"""Items of a list action a task may push to XCom; beyond it the task asks for ``output_path``."""


def operator_class_name(action: Action) -> str:
    """``replace_path_tags`` -> ``ReplacePathTagsOperator``: the named operator of an action."""
    return "".join(part.capitalize() for part in action.name.split("_")) + "Operator"


def operator_module_name(action: Action) -> str:
    """The module of ``operators`` that holds an action's named operator: its family (the spec's tag) for
    the core API, ``bulk_actions`` and ``webhooks`` for the other two documents."""
    if action.api == "bulk":
        return "bulk_actions"
    if action.api == "webhook":
        return "webhooks"
    family = action.tags[0] if action.tags else "other"
    return re.sub(r"[^a-z0-9]+", "_", family.lower()).strip("_")


def fixed_action(operator: object, action: str | None) -> str:
    """The action a named operator runs (its ``action_name``), or the ``action`` a generic one was given."""
    action_name: str | None = getattr(operator, "action_name", None)
    if action_name is not None:
        if action not in (None, action_name):
            raise TypeError(f"{type(operator).__name__} runs {action_name!r}, not {action!r}")
        return action_name
    if not action:
        raise TypeError(f"{type(operator).__name__} needs an action name")
    return action


SECRET_FIELDS = frozenset({"secret", "access_token", "client_secret"})
"""Response fields that are credentials (webhook signing secrets): masked, never pushed to XCom."""


def merge_parameters(parameters: Mapping[str, Any] | None, /, **named: Any) -> dict[str, Any]:
    """``parameters`` plus the API parameters given as keywords (``None`` means not given)."""
    merged = dict(parameters or {})
    for name, value in named.items():
        if value is None:
            continue
        if name in merged:
            raise TypeError(f"parameter {name!r} is given twice: as a keyword and in parameters")
        merged[name] = value
    return merged


class ThreeSixtyLearningOperator(BaseOperator):
    """
    Perform one 360Learning action (every page of a list action) and return its result.

    :param action: name of the action in the registry, e.g. ``replace_path_tags`` (templated).
    :param parameters: the action's parameters under the official spec's names: path and query
        parameters (``pathId``, ``completedAt={"gte": ...}``) and ``body`` (templated).
    :param output_path: write the result here instead of XCom: JSON Lines for a list action, the raw
        content for a file (e.g. a certificate PDF); a local path or an object-storage URL (templated).
    :param max_xcom_items: a list action with more items than this fails unless ``output_path`` is set
        (XCom lives in the metadata database: it is no place for a whole export).
    :param three_sixty_learning_conn_id: the 360Learning connection (templated).
    :param hook_params: keyword overrides for :class:`ThreeSixtyLearningHook` (timeouts, retries...).

    Extra links open the 360Learning pages of the user, group, course, path and path session the task
    touched, where their ids are known (its parameters, or the ``_id`` of the object it created or read).
    """

    template_fields: Sequence[str] = ("action", "parameters", "output_path", "three_sixty_learning_conn_id")
    template_fields_renderers: ClassVar[dict[str, str]] = {"parameters": "json"}
    ui_color = "#2f5d8a"
    ui_fgcolor = "#ffffff"
    operator_extra_links = tuple(link() for link in OBJECT_LINKS)

    action_name: ClassVar[str | None] = None
    """Set by the named operators: the action they run."""

    def __init__(
        self,
        *,
        action: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        output_path: str | None = None,
        max_xcom_items: int = DEFAULT_MAX_XCOM_ITEMS,
        three_sixty_learning_conn_id: str = "360learning_default",  # ThreeSixtyLearningHook.default_conn_name
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.action = action = fixed_action(self, action)
        self.parameters = dict(parameters or {})
        self.output_path = output_path
        self.max_xcom_items = max_xcom_items
        self.three_sixty_learning_conn_id = three_sixty_learning_conn_id
        self.hook_params = hook_params or {}
        self._stop = threading.Event()
        self._result: Any = None
        if "{{" not in action:
            self._check_names(self.resolve_action())

    @cached_property
    def hook(self) -> ThreeSixtyLearningHook:
        from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

        return ThreeSixtyLearningHook(self.three_sixty_learning_conn_id, **self.hook_params)

    def resolve_action(self) -> Action:
        try:
            return ACTIONS[self.action]
        except KeyError:
            raise ThreeSixtyLearningParameterError(
                self.action, None, "is not a 360Learning action; see the actions table in docs/operators.md"
            ) from None

    def _check_names(self, action: Action) -> None:
        """Unknown parameter names fail when the DAG is parsed (values are checked at run time, once rendered)."""
        if not isinstance(self.parameters, Mapping):
            return
        has_body = action.has_body and action.name != CREDENTIALS_CHECK
        allowed = set(action.user_parameters) | ({BODY_PARAMETER} if has_body else set())
        unknown = sorted(set(self.parameters) - allowed)
        if unknown:
            raise ThreeSixtyLearningParameterError(
                action.name, unknown[0], f"is not a parameter of this action; allowed: {sorted(allowed)}"
            )

    def link_ids(self) -> dict[str, str]:
        """The ids of the 360Learning objects this task touched, for its extra links (none while unrendered)."""
        try:
            action = self.resolve_action()
        except ThreeSixtyLearningError:
            action = None
        return object_ids(action, self.parameters, self._result)

    def execute(self, context: Context) -> Any:
        result = self._run()
        self._result = result if isinstance(result, Mapping) else None
        return result

    def _run(self) -> Any:
        action = self.resolve_action()
        if not isinstance(self.parameters, Mapping):
            raise ThreeSixtyLearningParameterError(
                action.name, "parameters", f"must render to a mapping, got {type(self.parameters).__name__}"
            )
        params = dict(self.parameters)
        if action.name == CREDENTIALS_CHECK:
            return self._check_credentials(params)
        request = build_request(action, params)  # every value checked against the spec, once, before any request
        if action.returns_list:
            return self._list(action, request)
        if _returns_file(action) and not self.output_path:
            raise ThreeSixtyLearningParameterError(
                action.name, "output_path", "is required: this action returns a file, which XCom cannot hold"
            )
        self.log.info("Calling %s", action.describe())
        result = self.hook.call_action(request)
        self.log.info("%s done: %s", request.method, _summary(result))
        if isinstance(result, bytes):
            return self._write_file(result)
        if isinstance(result, Mapping) and SECRET_FIELDS & set(result):
            return self._keep_secrets_out(result)
        return result

    def _keep_secrets_out(self, result: Mapping[str, Any]) -> dict[str, Any]:
        """Mask a returned credential; it goes to ``output_path`` if one is given, never to XCom or logs."""
        secrets = {k: v for k, v in result.items() if k in SECRET_FIELDS and isinstance(v, str)}
        for value in secrets.values():
            mask_secret(value)
        redacted = {k: ("***" if k in secrets else v) for k, v in result.items()}
        if self.output_path:
            with self._target().open("w", encoding="utf-8") as out:
                json.dump(dict(result), out)
            self.log.info("Credential field(s) %s written to %s", sorted(secrets), self.output_path)
            redacted["path"] = str(self._target())
        else:
            self.log.warning(
                "Credential field(s) %s masked; set output_path to keep them (e.g. in a secrets store)", sorted(secrets)
            )
        return redacted

    def _check_credentials(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``generate_token`` as a task: prove the connection's credentials work; the token never reaches XCom."""
        if params:
            raise ThreeSixtyLearningParameterError(
                CREDENTIALS_CHECK,
                sorted(params)[0],
                "is not accepted: the credentials come from the connection (a secret in a task argument would be rendered in the UI)",
            )
        token = self.hook.get_token()
        expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=token.lifetime)
        self.log.info(
            "The credentials of %r work: a token valid %.0f s", self.three_sixty_learning_conn_id, token.lifetime
        )
        return {"token_type": "Bearer", "expires_in": token.lifetime, "expires_at": expires_at.isoformat()}

    def _list(self, action: Action, request: ApiRequest) -> Any:
        self.log.info("Listing %s", action.describe())
        if self.output_path:
            return self._write_lines(action, request)
        items: list[Any] = []
        for page in self.hook.iter_pages(request):
            self._raise_if_stopped(action)
            items.extend(page)
            if len(items) > self.max_xcom_items:
                raise ThreeSixtyLearningParameterError(
                    action.name,
                    "output_path",
                    f"is needed: the result has more than max_xcom_items={self.max_xcom_items} items, too many for XCom; "
                    "set output_path (a file or object-storage URL) to stream them as JSON Lines",
                )
        self.log.info("%s: %d item(s)", action.name, len(items))
        return items

    def _target(self) -> Any:
        from airflow.sdk import ObjectStoragePath

        assert self.output_path
        return ObjectStoragePath(self.output_path)

    def _write_lines(self, action: Action, request: ApiRequest) -> dict[str, Any]:
        target = self._target()
        rows = 0
        with target.open("w", encoding="utf-8") as out:
            for page in self.hook.iter_pages(request):
                self._raise_if_stopped(action)
                out.write("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in page))
                rows += len(page)
        self.log.info("%s: %d item(s) written to %s", action.name, rows, target)
        return {"path": str(target), "items": rows, "format": "jsonl"}

    def _write_file(self, content: bytes) -> dict[str, Any]:
        target = self._target()
        target.write_bytes(content)
        self.log.info("%d byte(s) written to %s", len(content), target)
        return {"path": str(target), "bytes": len(content)}

    def _raise_if_stopped(self, action: Action) -> None:
        if self._stop.is_set():
            raise ThreeSixtyLearningError(f"{action.name} stopped: the task was killed")

    def on_kill(self) -> None:
        """Stop between pages and drop the HTTP session (a request in flight is abandoned)."""
        self._stop.set()
        self.hook.close()


def _returns_file(action: Action) -> bool:
    ok = action.success_response
    return ok is not None and bool(ok.content_types) and not any("json" in t for t in ok.content_types)


def _summary(result: Any) -> str:
    if result is None:
        return "no content"
    if isinstance(result, bytes):
        return f"{len(result)} bytes"
    if isinstance(result, list):
        return f"{len(result)} item(s)"
    if isinstance(result, Mapping) and "_id" in result:
        return f"_id {result['_id']}"
    return type(result).__name__
