"""``360learning_events_to_warehouse`` on the real stack: a learner's completion made in the emulator becomes an
asset event (the watcher's trigger, in the triggerer) and an asset-triggered DAG run (the scheduler, the Celery
worker) that loads the statistic into the PostgreSQL warehouse, each within a bounded time, all seen through the
REST API; then the Assets view in Chromium (``UI_SCREENSHOTS_DIR=docs/screenshots`` keeps the image)."""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack_runs import REPO, TERMINAL_RUN_STATES, RunAllReport
from tests.e2e.test_ui_browser import CHROMIUM, CHROMIUM_ARGS, logged_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SETUP_DAG = "360learning_event_subscriptions"
EVENTS_DAG = "360learning_events_to_warehouse"
ASSET = "360learning-completion-events"
EVENT_DEADLINE = 90.0
"""Seconds from the write to its asset event: the stack's watchers poll every 2 s (a deployment: 30 s)."""
WATCHERS_DEADLINE = 180.0
"""Seconds for the DAG processor to register the watchers of the unpaused DAG (it re-parses every 30 s)."""
RUN_DEADLINE = 240.0
"""Seconds from the asset event to the end of the run it starts (scheduler loop, Celery, three tasks)."""


def _load_demo_module() -> Any:
    """``scripts/demo_events.py``: its bounded wait and its calls of the emulator's control interface."""
    spec = importlib.util.spec_from_file_location("demo_events", REPO / "scripts" / "demo_events.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo = _load_demo_module()
until = demo.until


def run_to_end(api: Any, dag_id: str, run_id: str, timeout: float) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        run = api.get(f"/dags/{dag_id}/dagRuns/{run_id}")
        return run if run["state"] in TERMINAL_RUN_STATES else None

    return dict(until(ended, f"end of {dag_id} {run_id}", timeout))


def test_an_emulator_event_becomes_an_asset_event_and_a_run_that_loads_it(
    stack: Any, clean_run: RunAllReport, tmp_path: Path
) -> None:
    api = stack.api()
    # The set-up again (idempotent): the emulator may have been restarted since the clean run.
    api.request("PATCH", f"/dags/{SETUP_DAG}", json={"is_paused": False})
    setup = api.request("POST", f"/dags/{SETUP_DAG}/dagRuns", json={"logical_date": None})
    assert run_to_end(api, SETUP_DAG, setup["dag_run_id"], 180)["state"] == "success"
    # The stack runs without schedules, which also stops asset-triggered runs: schedules on, every other DAG
    # paused so that none starts a scheduled run of its own; as it was afterwards.
    others = [d["dag_id"] for d in api.paged("/dags", "dags") if d["dag_id"] != EVENTS_DAG]
    for dag_id in others:
        api.request("PATCH", f"/dags/{dag_id}", json={"is_paused": True})
    api.request("PATCH", f"/dags/{EVENTS_DAG}", json={"is_paused": False})
    stack.set_schedules(True)
    try:
        check_an_event_end_to_end(stack, api, clean_run, tmp_path)
    finally:
        stack.set_schedules(False)


def check_an_event_end_to_end(stack: Any, api: Any, clean_run: RunAllReport, tmp_path: Path) -> None:
    assert clean_run.runs[EVENTS_DAG].state == "success"  # triggered by hand: no event, nothing loaded

    def watched_asset() -> dict[str, Any] | None:
        """The Asset once the DAG processor registered both watchers (it re-parses the unpaused DAG)."""
        [asset] = [a for a in api.paged("/assets", "assets") if a["name"] == ASSET]
        names = {w["name"] for w in asset.get("watchers", [])}
        return asset if names >= {"path_session_user_status_updated", "course_attempt_closed"} else None

    asset = until(watched_asset, "watchers registered", WATCHERS_DEADLINE)

    def asset_events() -> list[dict[str, Any]]:
        return list(api.get("/assets/events", asset_id=asset["id"], limit=100)["asset_events"])

    def asset_runs() -> list[dict[str, Any]]:
        runs = api.get(f"/dags/{EVENTS_DAG}/dagRuns", limit=100)["dag_runs"]
        return [r for r in runs if r["run_type"] == "asset_triggered"]

    seen_events = {e["id"] for e in asset_events()}
    seen_runs = {r["dag_run_id"] for r in asset_runs()}
    enrollment = demo.open_enrollment(stack.emulator_url)

    written = time.monotonic()
    demo.emulator(stack.emulator_url, "POST", f"path-stats/{enrollment}/status", {"status": "successful"})

    def event_of_the_write() -> dict[str, Any] | None:
        for event in asset_events():
            payload = (event.get("extra") or {}).get("payload") or {}
            enrollments = [e["payload"]["data"].get("enrollmentId") for e in payload.get("events", [])]
            if event["id"] not in seen_events and enrollment in enrollments:
                return event
        return None

    asset_event = until(event_of_the_write, "asset event of the write", EVENT_DEADLINE)
    event_seconds = time.monotonic() - written

    def run_of_the_event() -> dict[str, Any] | None:
        for candidate in asset_runs():
            if candidate["dag_run_id"] in seen_runs:
                continue
            path = f"/dags/{EVENTS_DAG}/dagRuns/{candidate['dag_run_id']}/upstreamAssetEvents"
            if asset_event["id"] in {e["id"] for e in api.get(path)["asset_events"]}:
                return candidate
        return None

    run = until(run_of_the_event, "run of the asset event", RUN_DEADLINE)
    ended = run_to_end(api, EVENTS_DAG, run["dag_run_id"], RUN_DEADLINE)
    run_seconds = time.monotonic() - written
    assert ended["state"] == "success", ended
    upstream = api.get(f"/dags/{EVENTS_DAG}/dagRuns/{run['dag_run_id']}/upstreamAssetEvents")["asset_events"]
    assert asset_event["id"] in {e["id"] for e in upstream}, upstream  # the run consumed that asset event
    tis = {
        ti["task_id"]: ti["state"]
        for ti in api.get(f"/dags/{EVENTS_DAG}/dagRuns/{run['dag_run_id']}/taskInstances")["task_instances"]
    }
    assert tis["load_path_stats"] == "success" and tis["record_events"] == "success", tis

    conn = stack.warehouse()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM learning360_path_stats WHERE id = %s", (enrollment,))
            assert cur.fetchone()[0] == 1
            cur.execute("SELECT COUNT(*) FROM _360learning_events WHERE statistic_id = %s", (enrollment,))
            assert cur.fetchone()[0] == 1
    finally:
        conn.close()
    print(
        f"events on the stack: write -> asset event {event_seconds:.1f} s, write -> run success "
        f"{run_seconds:.1f} s (watchers poll every 2 s)"
    )
    shoot_assets_view(stack, asset["id"], Path(os.environ.get("UI_SCREENSHOTS_DIR") or tmp_path))


def shoot_assets_view(stack: Any, asset_id: int, out_dir: Path) -> None:
    """The asset's page in the UI: its watchers' events and the runs they started."""
    from playwright.sync_api import expect, sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = logged_in(browser, stack)
            page.goto(f"{stack.api_url}/assets/{asset_id}")
            expect(page.get_by_text(ASSET).first).to_be_visible(timeout=60_000)
            page.wait_for_timeout(2000)  # let the event list settle
            text = page.inner_text("body")
            page.screenshot(path=str(out_dir / "asset_events.png"), full_page=True)
        finally:
            browser.close()
    assert ASSET in text
    assert (out_dir / "asset_events.png").stat().st_size > 10_000
