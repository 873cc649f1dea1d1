"""Poll a webhook subscription's events, as an event trigger that can drive an Airflow 3 ``AssetWatcher``.

360Learning records the events of each webhook subscription and lists them at
``GET /api/v2/webhooks/subscriptions/{id}/events?createdAt[gte]=...``: polling that list lets a deployment
react to 360Learning events with no public HTTP endpoint. The trigger yields one event per batch of new
360Learning events and keeps polling; it remembers the ids it has yielded, since ``gte`` includes the
watermark's own second.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

MAX_EVENTS_PER_TRIGGER_EVENT = 100


class WebhookEventTrigger(BaseEventTrigger):
    """
    Yield ``{"status": "success", "subscription_id", "events": [...], "count", "since"}`` whenever the
    subscription has new events (at most 100 per trigger event; the rest follow in the next ones).

    :param subscription_id: the webhook subscription.
    :param since: ISO 8601 watermark: events created at or after it.
    :param max_consecutive_failures: polls that may fail in a row before the trigger reports an error.
    """

    def __init__(
        self,
        *,
        subscription_id: str,
        since: str,
        three_sixty_learning_conn_id: str = "360learning_default",  # ThreeSixtyLearningAsyncHook.default_conn_name
        poll_interval: float = 30.0,
        max_consecutive_failures: int = 5,
        hook_params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.subscription_id = subscription_id
        self.since = since
        self.three_sixty_learning_conn_id = three_sixty_learning_conn_id
        self.poll_interval = poll_interval
        self.max_consecutive_failures = max_consecutive_failures
        self.hook_params = hook_params or {}

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "subscription_id": self.subscription_id,
                "since": self.since,
                "three_sixty_learning_conn_id": self.three_sixty_learning_conn_id,
                "poll_interval": self.poll_interval,
                "max_consecutive_failures": self.max_consecutive_failures,
                "hook_params": self.hook_params,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        since, failures = _instant(self.since), 0
        seen: dict[str, dt.datetime] = {}  # ids yielded at or after ``since`` (``gte`` lists them again)
        from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningAsyncHook

        async with ThreeSixtyLearningAsyncHook(self.three_sixty_learning_conn_id, **self.hook_params) as hook:
            while True:
                try:
                    fresh = [
                        event
                        async for event in hook.aiter_action(
                            "get_events", subscriptionId=self.subscription_id, createdAt={"gte": since}
                        )
                        if event["_id"] not in seen
                    ]
                    fresh.sort(key=lambda event: _instant(event["createdAt"]))
                    failures = 0
                except Exception as exc:
                    failures += 1
                    self.log.warning(
                        "Polling events of %s failed (%d in a row): %s", self.subscription_id, failures, exc
                    )
                    if failures >= self.max_consecutive_failures:
                        yield TriggerEvent(
                            {
                                "status": "error",
                                "subscription_id": self.subscription_id,
                                "message": f"{type(exc).__name__}: {exc}",
                            }
                        )
                        return
                    fresh = []
                for start in range(0, len(fresh), MAX_EVENTS_PER_TRIGGER_EVENT):
                    batch = fresh[start : start + MAX_EVENTS_PER_TRIGGER_EVENT]
                    seen.update((event["_id"], _instant(event["createdAt"])) for event in batch)
                    since = max(since, *seen.values())
                    seen = {key: at for key, at in seen.items() if at >= since}
                    yield TriggerEvent(
                        {
                            "status": "success",
                            "subscription_id": self.subscription_id,
                            "events": batch,
                            "count": len(batch),
                            "since": since.isoformat(),
                        }
                    )
                await asyncio.sleep(self.poll_interval)


def _instant(value: str) -> dt.datetime:
    """An ISO 8601 instant as an aware datetime (``Z`` or an offset; naive means UTC)."""
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
