"""The Airflow UI of the local stack in a real browser (Debian's headless Chromium driven by Playwright): log
in, open the new-connection form of the ``360learning`` type and find its own fields, open the grid of a DAG
that ran. The screenshots are written to a temporary folder (``UI_SCREENSHOTS_DIR`` to keep them, e.g.
``docs/screenshots`` to refresh the README's images); the test checks the page content, not pixels."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack_runs import RunAllReport

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    # Headless in a sandboxless container, and no calls home: this machine's network is closed.
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
GRID_DAG = "360learning_deferrable_demo"


def logged_in(browser: Any, stack: Any) -> Any:
    """A new page of ``browser``, logged into the stack's UI as admin."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{stack.api_url}/auth/login?next=%2F")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", stack.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{stack.api_url}/", timeout=60_000)
    return page


def capture_ui(stack: Any, out_dir: Path, dag_id: str, run_id: str) -> dict[str, Any]:
    """Drive the UI and return what the pages showed (for the assertions), writing two screenshots."""
    from playwright.sync_api import expect, sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    seen: dict[str, Any] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = logged_in(browser, stack)

            page.goto(f"{stack.api_url}/connections")
            page.get_by_role("button", name="Add Connection").first.click()
            page.fill("input[name=connection_id]", "my_360learning")
            combo = page.get_by_role("combobox").first
            combo.click()
            combo.fill("360")
            page.get_by_role("option", name="360Learning", exact=True).click()
            expect(page.locator("input[name=login]")).to_be_visible(timeout=30_000)
            dialog = page.get_by_role("dialog")
            seen["form_text"] = dialog.inner_text()
            seen["password_type"] = page.locator("input[name=password]").get_attribute("type")
            page.screenshot(path=str(out_dir / "connection_form.png"), full_page=True)
            page.get_by_role("button", name="Extra Fields", exact=True).click()
            expect(page.get_by_role("combobox", name="Region")).to_be_visible(timeout=30_000)
            seen["form_text"] += "\n" + dialog.inner_text()
            seen["extra_inputs"] = [i.get_attribute("name") for i in dialog.locator("input[name^=element_]").all()]
            page.screenshot(path=str(out_dir / "connection_extra_fields.png"), full_page=True)
            # the defaults of every extra field are valid: the form saves as it opens (no required empty field)
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("dialog")).to_have_count(0, timeout=30_000)
            expect(page.get_by_text("my_360learning").first).to_be_visible(timeout=30_000)
            seen["saved"] = True

            page.goto(f"{stack.api_url}/dags/{dag_id}/runs/{run_id}")
            for task_id in ("submit", "wait_for_operation", "results"):
                expect(page.get_by_text(task_id).first).to_be_visible(timeout=60_000)
            page.wait_for_timeout(1500)  # let the grid's bars settle
            seen["grid_text"] = page.inner_text("body")
            page.screenshot(path=str(out_dir / "dag_grid.png"), full_page=True)
        finally:
            browser.close()
    return seen


def test_connection_form_and_dag_grid_in_chromium(stack: Any, clean_run: RunAllReport, tmp_path: Path) -> None:
    out_dir = Path(os.environ.get("UI_SCREENSHOTS_DIR") or tmp_path)
    run = clean_run.runs[GRID_DAG]
    seen = capture_ui(stack, out_dir, GRID_DAG, run.run_id)
    form = seen["form_text"]
    for label in (
        "Client ID",
        "Client secret",
        "Base URL (optional, overrides region)",
        "Region",
        "Read timeout (s)",
        "Total deadline per request (s)",
        "Response size cap (MB)",
        "Max retries",
        "Read budget (GET/s)",
        "Rate-limit backend",
    ):
        assert label in form, f"{label!r} not in the 360learning connection form: {form}"
    assert seen["password_type"] == "password"  # the secret is masked
    assert seen["saved"], "the connection form with its default extras could not be saved"
    assert "element_region" in seen["extra_inputs"], seen["extra_inputs"]
    assert "Port" not in form and "Schema" not in form  # hidden by the provider's ui-field-behaviour
    assert GRID_DAG in seen["grid_text"] and "wait_for_operation" in seen["grid_text"]
    assert "success" in seen["grid_text"].lower() or "Success" in seen["grid_text"]
    for name in ("connection_form.png", "connection_extra_fields.png", "dag_grid.png"):
        assert (out_dir / name).stat().st_size > 10_000
