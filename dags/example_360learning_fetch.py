"""Daily read of a 360Learning tenant with the hook: counts what each core list action returns.

A first taste of the provider: it runs against the real API or, with the README's demo command (make demo),
against the local emulator (connection ``360learning_default``). Nothing is written anywhere.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pendulum
from airflow.sdk import Param, dag, task

LIST_ACTIONS = ("list_users", "list_groups", "list_courses", "list_paths", "get_all_path_sessions")


@dag(
    dag_id="360learning_fetch_demo",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["360learning", "example"],
    doc_md=__doc__,
    params={"completed_since": Param("2025-07-01T00:00:00Z", type="string", format="date-time")},
)
def fetch_demo() -> None:
    @task
    def count_entities() -> dict[str, int]:
        """Stream every list action page by page and keep only counts."""
        from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

        hook = ThreeSixtyLearningHook()
        counts = {name: sum(1 for _ in hook.iter_action(name)) for name in LIST_ACTIONS}
        print("360Learning entities:", counts)
        return counts

    @task
    def completed_statistics(params: dict[str, Any] | None = None) -> dict[str, int]:
        """Course and path statistics completed since the ``completed_since`` param, by bracket filter."""
        from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

        hook = ThreeSixtyLearningHook()
        since = pendulum.parse((params or {}).get("completed_since") or "2025-07-01T00:00:00Z")
        course_stats = sum(1 for _ in hook.iter_action("list_courses_statistics", completedAt={"gte": since}))
        path_stats = sum(1 for _ in hook.iter_action("get_path_stats", completedAt={"gte": since}))
        result = {"course_stats_completed": course_stats, "path_stats_completed": path_stats}
        print(f"Completed since {since.isoformat()}:", result)
        return result

    @task
    def first_session_user_stats() -> dict[str, Any]:
        """User statistics of the first path session: progress buckets."""
        from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

        hook = ThreeSixtyLearningHook()
        session = next(hook.iter_action("get_all_path_sessions"), None)
        if session is None:
            return {"session": None}
        buckets: Counter[str] = Counter()
        for stat in hook.iter_action(
            "list_path_session_user_stats", pathId=session["pathId"], sessionId=session["_id"]
        ):
            buckets[
                "completed" if stat["progress"] == 100 else "in progress" if stat["progress"] else "not started"
            ] += 1
        print(f"Path session {session['_id']}: {dict(buckets)}")
        return {"session": session["_id"], **buckets}

    count_entities() >> completed_statistics() >> first_session_user_stats()


fetch_demo()
