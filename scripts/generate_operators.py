"""Write the named operators (``airflow_provider_360learning/operators/generated/<family>.py``) from the registry.

Each named operator is a thin declaration over :class:`ThreeSixtyLearningOperator`: the action it runs,
its parameters as typed keyword arguments and a docstring from the official spec. They are generated
into real source files (not built at import time) so that IDEs, type checkers and the docs see them.

    python scripts/generate_operators.py           # rewrite the modules
    python scripts/generate_operators.py --check   # exit 1 if a module is out of date (the test suite runs this)
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import textwrap
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from airflow_provider_360learning.actions import ACTIONS, Action, Parameter  # noqa: E402
from airflow_provider_360learning.actions.registry import deref, resolve  # noqa: E402
from airflow_provider_360learning.bulk import input_limit  # noqa: E402
from airflow_provider_360learning.operators.three_sixty_learning import (  # noqa: E402
    CREDENTIALS_CHECK,
    operator_class_name,
    operator_module_name,
)

PACKAGE = ROOT / "airflow_provider_360learning" / "operators" / "generated"
"""Generated modules only: the hand-written operators are in the parent package."""
APIS = ("core", "bulk", "webhook")
"""Documents whose every operation gets a named operator."""
TITLES = {"bulk_actions": "Bulk API", "webhooks": "webhook subscription"}
WIDTH = 116


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text.replace('"""', "'''").replace("\\", "/")).strip()
    sentence = re.split(r"(?<=[.!?]) ", text, maxsplit=1)[0]
    return sentence if len(sentence) <= 240 else sentence[:237] + "..."


def _python_type(action: Action, schema: Mapping[str, Any]) -> str:
    schema = deref(action.document.contents, schema)
    kind = schema.get("type")
    if kind == "string":
        return "str | datetime" if schema.get("format") == "date-time" else "str"
    if kind in ("integer", "number", "boolean"):
        return {"integer": "int", "number": "float", "boolean": "bool"}[kind]
    if kind == "array":
        return f"list[{_python_type(action, schema.get('items', {}))}]"
    return "Any"


def parameter_type(action: Action, param: Parameter) -> str:
    return "dict[str, Any]" if param.is_filter else _python_type(action, param.schema)


def _parameter_doc(action: Action, param: Parameter) -> str:
    text = _clean(param.description) or param.name
    where = {"path": "path", "query": "query"}[param.location]
    if param.is_filter:
        where = f"filter: a mapping of {', '.join(param.operators)} to values"
    return f":param {param.name}: {text} ({where}{', required' if param.required else ''})"


def _body_doc(action: Action) -> str:
    doc = action.document.contents
    schema = deref(doc, resolve(doc, action.body_schema_pointer)) if action.body_schema_pointer else {}
    title = schema.get("title") or "request body"
    required = schema.get("required", [])
    form = "form fields (files as bytes, a path or a storage URL)" if action.body_is_form else "JSON object"
    needs = f"; required: {', '.join(required)}" if required else ""
    return f":param body: {title}, as a {form}{needs}{' (required)' if action.body_required else ''}"


def _wrap_doc(line: str) -> list[str]:
    return textwrap.wrap(line, WIDTH - 4, subsequent_indent="    ", break_long_words=False, break_on_hyphens=False)


def is_bulk_submission(action: Action) -> bool:
    """Bulk API writes run on :class:`ThreeSixtyLearningBulkOperator` (chunked, waited for, reported)."""
    return action.api == "bulk" and action.method != "GET"


def base_class(action: Action) -> str:
    return "ThreeSixtyLearningBulkOperator" if is_bulk_submission(action) else "ThreeSixtyLearningOperator"


def _items_doc(action: Action) -> str:
    doc = action.document.contents
    assert action.body_schema_pointer is not None
    schema = deref(doc, resolve(doc, action.body_schema_pointer))
    item = deref(doc, deref(doc, schema["properties"]["input"]).get("items", {}))
    required = item.get("required", [])
    needs = f" (required fields: {', '.join(required)})" if required else ""
    return (
        f":param items: the {item.get('title') or 'input'} objects{needs}, cut into requests of at most "
        f"{input_limit(action.name):,}; or ``items_path``, a JSON Lines file of them"
    )


def render_class(action: Action) -> str:
    params = list(action.user_parameters.values())
    summary = _clean(action.summary) or action.label
    lines = [summary if summary.endswith(".") else summary + ".", ""]
    has_body = action.has_body and not is_bulk_submission(action)
    if action.name == CREDENTIALS_CHECK:
        lines += [
            "Checks the connection's credentials: the client id and secret come from the connection, and the",
            "task returns the token's lifetime, never the token.",
            "",
        ]
        has_body = False
    where = f"``{action.method} {action.path}``"
    if action.scope:
        where += f", scope ``{action.scope}``"
    if action.page_size:
        where += f", pages of {action.page_size:,} (every page is read)"
    lines += [where + ".", ""]
    doc_params = [_parameter_doc(action, p) for p in params]
    if has_body:
        doc_params.append(_body_doc(action))
    if is_bulk_submission(action):
        doc_params.append(_items_doc(action))
    for entry in doc_params:
        lines += _wrap_doc(entry)
    if doc_params:
        lines.append(":param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).")
    while lines and not lines[-1]:
        lines.pop()
    docstring = "\n".join(("    " + line).rstrip() for line in lines)
    arguments = [f"{p.name}: {parameter_type(action, p)} | None = None" for p in params]
    names = [p.name for p in params]
    if has_body:
        arguments.append("body: dict[str, Any] | None = None")
        names.append("body")
    out = [f"class {operator_class_name(action)}({base_class(action)}):", f'    """{docstring.lstrip()}', '    """', ""]
    out.append(f'    action_name = "{action.name}"')
    if arguments:
        signature = ", ".join(["self", "*", *arguments, "**kwargs: Any"])
        out.append("")
        if len(f"    def __init__({signature}) -> None:") <= WIDTH:
            out.append(f"    def __init__({signature}) -> None:")
        else:
            out.append("    def __init__(")
            out += [f"        {a}," for a in ["self", "*", *arguments, "**kwargs: Any"]]
            out.append("    ) -> None:")
        given = ", ".join(f"{n}={n}" for n in names)
        call = f'        parameters = merge_parameters(kwargs.pop("parameters", None), {given})'
        out += _split_call(call)
        out.append("        super().__init__(parameters=parameters, **kwargs)")
    return "\n".join(out)


def _split_call(call: str) -> list[str]:
    if len(call) <= WIDTH:
        return [call]
    head, _, rest = call.partition("(")
    items = rest.rstrip(")").split(", ")
    return [head + "(", *[f"            {item}," for item in items], "        )"]


def render_module(family: str, actions: Iterable[Action]) -> str:
    actions = sorted(actions, key=operator_class_name)
    takes_arguments = any(
        a.user_parameters or (a.has_body and a.name != CREDENTIALS_CHECK and not is_bulk_submission(a)) for a in actions
    )
    title = TITLES.get(family) or (actions[0].tags[0] if actions[0].tags else family)
    bulk = any(is_bulk_submission(a) for a in actions)
    generic = not all(is_bulk_submission(a) for a in actions)
    uses_datetime = any("datetime" in parameter_type(a, p) for a in actions for p in a.user_parameters.values())
    header = [
        f'"""Operators for the 360Learning {title} actions, one per action of the official spec.',
        "",
        "Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    if uses_datetime:
        header += ["from datetime import datetime", ""]
    if takes_arguments:
        header += ["from typing import Any", ""]
    if bulk:
        header.append("from airflow_provider_360learning.operators.bulk import ThreeSixtyLearningBulkOperator")
    names = (["ThreeSixtyLearningOperator"] if generic else []) + (["merge_parameters"] if takes_arguments else [])
    header += [
        f"from airflow_provider_360learning.operators.three_sixty_learning import {', '.join(names)}",
        "",
        "__all__ = [",
        *[f'    "{operator_class_name(a)}",' for a in actions],
        "]",
    ]
    body = "\n\n\n".join(render_class(a) for a in actions)
    return "\n".join(header) + "\n\n\n" + body + "\n"


def formatted(text: str, path: Path) -> str:
    """``text`` as ``ruff format`` writes it with the project's settings (generated code is formatted too)."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(path), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parents[1],
    )
    return result.stdout


def modules() -> dict[str, str]:
    families: dict[str, list[Action]] = defaultdict(list)
    for action in ACTIONS.values():
        if action.api in APIS:
            families[operator_module_name(action)].append(action)
    return {
        f"{name}.py": formatted(render_module(name, actions), PACKAGE / f"{name}.py")
        for name, actions in sorted(families.items())
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report modules that differ")
    args = parser.parse_args()
    stale = []
    generated = modules()
    for filename, text in generated.items():
        path = PACKAGE / filename
        if path.exists() and path.read_text("utf-8") == text:
            continue
        stale.append(filename)
        if not args.check:
            path.write_text(text, "utf-8")
    expected = set(generated) | {"__init__.py"}
    leftover = sorted(path.name for path in PACKAGE.glob("*.py") if path.name not in expected)
    if leftover:
        print(f"not generated from the registry (remove them): {', '.join(leftover)}", file=sys.stderr)
        return 1
    if args.check and stale:
        print(f"out of date (run scripts/generate_operators.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    print(f"{'stale' if args.check else 'written'}: {len(stale)} module(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
