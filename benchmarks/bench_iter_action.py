"""Benchmark: ``iter_action`` against a bare httpx loop over the same emulator, plus peak memory.

Runs the emulator in its own process (so it does not share the GIL with the client), then measures:

* rows/s of a bare httpx loop (token, GET, follow ``Link``, decode JSON) over N path-session user stats;
* rows/s of ``ThreeSixtyLearningHook.iter_action`` over the same N rows; the ratio of the two;
* emulator items/s alone (the bare loop without JSON decoding: what the server can serve);
* peak RSS of a fresh process iterating N rows through ``iter_action`` (100k and 1M by default).

Usage: python benchmarks/bench_iter_action.py [--rows 100000] [--memory-rows 100000 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret"
USERS_PER_SCALE = 200  # the onboarding session enrols every user: rows = 200 x scale


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def emulator(scale: int, *flags: str) -> Iterator[str]:
    """An emulator in its own process (extra CLI ``flags`` appended); yields its URL once it answers."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_provider_360learning.emulator",
            "--port",
            str(port),
            "--scale",
            str(scale),
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
            *flags,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{url}/_emulator/stats", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _token(client: httpx.Client, url: str) -> str:
    answer = client.post(
        f"{url}/api/v2/oauth2/token",
        json={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


def onboarding_session(url: str) -> tuple[str, str]:
    """The session that enrols every user (the largest user-stats endpoint)."""
    with httpx.Client(timeout=60) as client:
        headers = {"Authorization": f"Bearer {_token(client, url)}", "360-api-version": "v2.0"}
        sessions = client.get(f"{url}/api/v2/paths/sessions", headers=headers).json()
    session = next(s for s in sessions if "onboarding" in s["name"].lower())
    return session["pathId"], session["_id"]


def bare_rows(url: str, path: str, decode: bool = True) -> Iterator[Any]:
    """The bare baseline: token, GET, follow ``Link``, decode, hand out rows one by one, as a user's own
    loop feeding a consumer would (``decode=False`` yields raw pages: what the emulator serves)."""
    with httpx.Client(timeout=60) as client:
        headers = {"Authorization": f"Bearer {_token(client, url)}", "360-api-version": "v2.0"}
        next_url: str | None = url + path
        while next_url:
            response = client.get(next_url, headers=headers)
            response.raise_for_status()
            if decode:
                yield from response.json()
            else:
                yield response.content
            link = response.headers.get("link")
            next_url = link[link.index("<") + 1 : link.index(">")] if link else None


def bare_loop(url: str, path: str, limit: int, decode: bool = True) -> tuple[int, float]:
    started = time.perf_counter()
    rows = 0
    for item in bare_rows(url, path, decode):
        rows += 1 if decode else item.count(b'"userId"')
        if rows >= limit:
            break
    return rows, time.perf_counter() - started


def hook_loop(url: str, path_id: str, session_id: str, limit: int) -> tuple[int, float]:
    os.environ["AIRFLOW_CONN_360LEARNING_BENCH"] = json.dumps(
        {"conn_type": "360learning", "login": CLIENT_ID, "password": CLIENT_SECRET, "host": url}
    )
    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

    hook = ThreeSixtyLearningHook("360learning_bench", requests_per_second=0)
    started = time.perf_counter()
    rows = 0
    for _ in hook.iter_action("list_path_session_user_stats", pathId=path_id, sessionId=session_id):
        rows += 1
        if rows >= limit:
            break
    return rows, time.perf_counter() - started


def vm_hwm_kb() -> int:
    """Peak resident set size of this process, in kB (Linux ``/proc/self/status`` VmHWM)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def peak_rss_mb(rows: int) -> float:
    """Peak RSS (MB) of a fresh process that iterates ``rows`` user stats through ``iter_action``."""
    scale = -(-rows // USERS_PER_SCALE)
    with emulator(scale) as url:
        path_id, session_id = onboarding_session(url)
        # VmHWM is this process's own high-water mark; ru_maxrss would include the parent's at fork time.
        code = (
            "import sys; sys.path.insert(0, 'benchmarks');"
            "from bench_iter_action import hook_loop, vm_hwm_kb;"
            f"n, _ = hook_loop({url!r}, {path_id!r}, {session_id!r}, {rows});"
            "print('RESULT', n, vm_hwm_kb())"
        )
        stdout = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        out = next(line for line in stdout.splitlines() if line.startswith("RESULT ")).split()[1:]  # past the logs
    assert int(out[0]) == rows, out
    return int(out[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--memory-rows", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    scale = -(-args.rows // USERS_PER_SCALE)
    results: dict[str, list[float]] = {"bare": [], "hook": [], "emulator": []}
    with emulator(scale) as url:
        path_id, session_id = onboarding_session(url)
        path = f"/api/v2/paths/{path_id}/sessions/{session_id}/user-stats"
        for _ in range(args.repeat):  # interleaved, so drift hits both alike
            n, t = bare_loop(url, path, args.rows)
            results["bare"].append(n / t)
            n2, t2 = hook_loop(url, path_id, session_id, args.rows)
            assert n2 == n, (n, n2)
            results["hook"].append(n2 / t2)
            n3, t3 = bare_loop(url, path, args.rows, decode=False)
            results["emulator"].append(n3 / t3)
    bare, hook, emu = (statistics.median(results[k]) for k in ("bare", "hook", "emulator"))
    print(f"rows: {args.rows}  (median of {args.repeat})")
    print(f"bare httpx loop : {bare:12,.0f} rows/s")
    print(f"iter_action     : {hook:12,.0f} rows/s   ratio {hook / bare:.2f}x")
    print(f"emulator alone  : {emu:12,.0f} items/s (no client-side JSON decoding)")
    for rows in args.memory_rows:
        print(f"peak RSS, iter_action over {rows:>9,} rows: {peak_rss_mb(rows):7.1f} MB")
    print(f"benchmark process peak RSS: {vm_hwm_kb() / 1024:.1f} MB")


if __name__ == "__main__":
    main()
