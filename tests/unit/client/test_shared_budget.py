"""Four processes on one connection share the company's read budget, measured by the emulator's own counters.

The emulator runs ``--rate-limit documented`` (50 GET/s per company, strict 1 s windows, 429 without
``Retry-After``); each process runs a sync hook with the connection's default budget (the file-backed bucket,
isolated per test). No error may reach a caller (a retried 429 is not a failure, but it is reported), and over
every request the emulator received, 429s included, no second holds more than 50 GETs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CONN_ENV, TEST_CLIENT_SECRET, connection_json, find_leaks

PROCESSES = 4
CALLS_PER_PROCESS = 40
DOCUMENTED_READS_PER_SECOND = 50

WORKER = textwrap.dedent(
    """
    import logging, sys
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

    hook = ThreeSixtyLearningHook(backoff_initial=0.05, backoff_max=0.5)
    for _ in range(int(sys.argv[1])):
        hook.call_action("list_groups")
    print("calls done", sys.argv[1])
    """
)


@pytest.mark.timeout(240)
def test_four_processes_stay_within_the_company_read_budget(
    emulator_factory: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    emulator = emulator_factory(rate_limit="documented")
    env = {
        **os.environ,
        CONN_ENV: connection_json(emulator.url),  # default budget: 50 GET/s, file-backed, shared by the 4
        "AIRFLOW_PROVIDER_360LEARNING_RATE_LIMIT_DB": str(tmp_path / "budget.sqlite"),
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(CALLS_PER_PROCESS)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    outputs = [worker.communicate(timeout=200) for worker in workers]
    for worker, (out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, f"a worker failed:\n{err[-3000:]}"
        assert f"calls done {CALLS_PER_PROCESS}" in out

    traffic = emulator.state.stats()["traffic"]
    retried_429 = sum(err.count("HTTP 429") for _, err in outputs)
    with capfd.disabled():
        print(
            f"\n{PROCESSES} processes x {CALLS_PER_PROCESS} calls: {traffic['get_requests']} GETs received, "
            f"busiest second {traffic['max_get_received_per_second']} GETs, 429s {traffic['limited']} "
            f"(retried by the hooks: {retried_429})"
        )
    assert traffic["get_requests"] >= PROCESSES * CALLS_PER_PROCESS
    assert traffic["max_get_received_per_second"] <= DOCUMENTED_READS_PER_SECOND
    assert traffic["limited"]["read"] == retried_429

    secrets = {TEST_CLIENT_SECRET, *emulator.state.issued_token_values()}
    assert len(secrets) > 1, "the workers were issued tokens"
    blob = "\n".join(out + err for out, err in outputs)
    assert not find_leaks(blob, secrets)
