"""scim2-tester's RFC 7643/7644 checks against the SCIM emulator: every check passes except the ones the
emulator page (docs/emulator.md) lists, each caused by a documented 360Learning rule."""

from __future__ import annotations

import re

from scim2_tester import Status, check_server

from airflow_provider_360learning.hooks.scim import ThreeSixtyLearningScimHook
from tests.conftest import REPO
from tests.unit.scim.conftest import Scim


def documented_exceptions() -> set[tuple[str, str]]:
    """(check, resource type) pairs listed in the scim2-tester table of docs/emulator.md."""
    text = (REPO / "docs" / "emulator.md").read_text()
    section = text.split("<!-- scim2-tester-exceptions:begin -->")[1].split("<!-- scim2-tester-exceptions:end -->")[0]
    return set(re.findall(r"^\| `([a-z_]+)` \| (\w+) \|", section, re.MULTILINE))


def test_only_the_listed_checks_fail(scim: Scim) -> None:
    hook = ThreeSixtyLearningScimHook(max_retries=0)
    results = check_server(hook.get_conn())
    hook.close()
    failed = {(r.title, r.resource_type) for r in results if r.status not in (Status.SUCCESS, Status.SKIPPED)}
    reasons = {r.reason for r in results if r.status not in (Status.SUCCESS, Status.SKIPPED)}
    assert failed == documented_exceptions() == {("object_replacement", "User"), ("check_replace_attribute", "User")}
    assert all("email identifies the user in 360Learning" in (reason or "") for reason in reasons), reasons
    passed = sum(r.status == Status.SUCCESS for r in results)
    assert passed >= 130, passed
