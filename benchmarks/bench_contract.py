"""Benchmark: how long the contract validator takes on a full 2,000-item page (the suite validates every
exchange, so this bounds the cost of contract checks in tests).

Usage: python benchmarks/bench_contract.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx

from airflow_provider_360learning.emulator.server import EmulatorServer
from airflow_provider_360learning.testing.contract import ContractValidator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with EmulatorServer(scale=20) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        token = client.post(
            "/api/v2/oauth2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": server.config.client_id,
                "client_secret": server.config.client_secret,
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "360-api-version": "v2.0"}
        session = next(
            s for s in client.get("/api/v2/paths/sessions", headers=headers).json() if "onboarding" in s["name"].lower()
        )
        url = f"{server.url}/api/v2/paths/{session['pathId']}/sessions/{session['_id']}/user-stats"
        response = client.get(url, headers=headers)
    page = response.json()
    validator = ContractValidator()
    assert validator.response_errors("GET", url, response.status_code, response.headers, response.content) == []
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        validator.response_errors("GET", url, response.status_code, response.headers, response.content)
        timings.append(time.perf_counter() - started)
    print(
        f"validate one {len(page):,}-item user-stats page: {statistics.median(timings) * 1000:.0f} ms (median of {args.repeat})"
    )
    started = time.perf_counter()
    for _ in range(1000):
        validator.request_errors("GET", url + "?completedAt[gte]=2024-01-01T00:00:00.000Z", headers, None)
    print(f"validate one request: {(time.perf_counter() - started) * 1000:.0f} us (mean of 1,000)")


if __name__ == "__main__":
    main()
