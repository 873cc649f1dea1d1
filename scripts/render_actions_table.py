"""Render the table of action names in docs/operators.md from the registry (a test keeps the page in sync).

Usage: python scripts/render_actions_table.py [--write docs/operators.md]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from airflow_provider_360learning.actions import ACTIONS
from airflow_provider_360learning.operators.three_sixty_learning import operator_class_name, operator_module_name

BEGIN = "<!-- actions-table:begin -->"
END = "<!-- actions-table:end -->"


def render() -> str:
    lines = [
        "| action | method and path | scope | page size | named by | operator (`operators.generated.<module>`) |",
        "|---|---|---|---|---|---|",
    ]
    for action in sorted(ACTIONS.values(), key=lambda a: (a.api, a.path, a.method)):
        origin = "actions.csv" if action.in_actions_csv else "rule"
        size = str(action.page_size) if action.page_size else ""
        operator = f"`{operator_module_name(action)}.{operator_class_name(action)}`"
        lines.append(
            f"| `{action.name}` | {action.api}: `{action.method} {action.path}` | {action.scope or ''} | {size} | {origin} "
            f"| {operator} |"
        )
    return "\n".join(lines)


def replace_block(text: str) -> str:
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    return pattern.sub(f"{BEGIN}\n{render()}\n{END}", text)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        path = Path(sys.argv[2])
        path.write_text(replace_block(path.read_text()))
    else:
        print(render())
