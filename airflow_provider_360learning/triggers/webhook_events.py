"""Poll a webhook subscription's events, as an event trigger that can drive an Airflow 3 ``AssetWatcher``.

360Learning records the events of each webhook subscription and lists them at
``GET /api/v2/webhooks/subscriptions/{id}/events?createdAt[gte]=...``: polling that list lets a deployment
react to 360Learning events with no public HTTP endpoint. The trigger yields one event per batch of new
360Learning events and keeps polling; it remembers the ids it has yielded, since ``gte`` includes the
watermark's own second.

A trigger is rebuilt from its constructor arguments only, so a restarted triggerer would start again from
``since``. With ``state_variable``, the watermark lives in an Airflow Variable that the *consumer* advances
once it has recorded the events (:func:`advance_watermark`): a restarted trigger starts from there and yields
again what was yielded but not yet consumed (at least once), and the consumer drops event ids it already
recorded (exactly once in effect). See ``docs/events.md``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from airflow_provider_360learning.exceptions import (
    ThreeSixtyLearningError,
    ThreeSixtyLearningNotFoundError,
    ThreeSixtyLearningParameterError,
    ThreeSixtyLearningPermissionError,
)

if TYPE_CHECKING:
    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningAsyncHook

MAX_EVENTS_PER_TRIGGER_EVENT = 100
EVENTS_PAGE_SIZE = 250  # get_events answers 250 events a page (the webhook document)
READ_SCOPE = "webhooks:read"


class WebhookEventPollingError(ThreeSixtyLearningError):
    """The events of a subscription cannot be read, and waiting will not fix it (the trigger's failure)."""


class WebhookSubscriptionMissing(WebhookEventPollingError):
    """No subscription of the watched event type (yet): the set-up may not have run; polled again, with backoff."""


class WebhookEventTrigger(BaseEventTrigger):
    """
    Yield ``{"status": "success", "subscription_id", "events": [...], "count", "since", "state_variable"}``
    whenever the subscription has new events (at most 100 per trigger event; the rest follow in the next ones).

    :param subscription_id: the webhook subscription; or leave it out and give ``event_type`` (and
        ``subscription_name``): the trigger then finds the subscription when it starts, and again if it is
        deleted and created anew (what :class:`~airflow_provider_360learning.operators.webhook_subscriptions.EnsureWebhookSubscriptionsOperator` does).
    :param since: ISO 8601 watermark: events created at or after it (a constant: the trigger is identified by
        its arguments, so a value that changes at each parse would replace it at each parse).
    :param state_variable: an Airflow Variable holding ``{"since": ...}``, advanced by the consumer; the
        trigger starts from the later of it and ``since``.
    :param poll_interval: seconds between two polls.
    :param budget_share: the share of the connection's read budget (``requests_per_second``, shared with every
        task of the tenant) that polling may use: a poll that needed several pages waits long enough after
        it to stay within that share.
    :param max_consecutive_failures: transient faults (network, 5xx, 429 past the hook's own retries) in a row
        before the trigger fails; between them it waits ``poll_interval`` doubled at each failure, at most
        ``max_backoff`` seconds.
    """

    def __init__(
        self,
        *,
        subscription_id: str | None = None,
        since: str,
        event_type: str | None = None,
        subscription_name: str | None = None,
        state_variable: str | None = None,
        three_sixty_learning_conn_id: str = "360learning_default",  # ThreeSixtyLearningAsyncHook.default_conn_name
        poll_interval: float = 30.0,
        budget_share: float = 0.05,
        max_consecutive_failures: int = 5,
        max_backoff: float = 600.0,
        hook_params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if not subscription_id and not event_type:
            raise ValueError("WebhookEventTrigger needs a subscription_id or an event_type")
        if not 0 < budget_share <= 1:
            raise ValueError(f"budget_share must be in (0, 1], got {budget_share!r}")
        _instant(since)  # a bad watermark fails when the DAG is parsed, not in the triggerer
        self.subscription_id = subscription_id
        self.since = since
        self.event_type = event_type
        self.subscription_name = subscription_name
        self.state_variable = state_variable
        self.three_sixty_learning_conn_id = three_sixty_learning_conn_id
        self.poll_interval = poll_interval
        self.budget_share = budget_share
        self.max_consecutive_failures = max_consecutive_failures
        self.max_backoff = max_backoff
        self.hook_params = hook_params or {}

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "subscription_id": self.subscription_id,
                "since": self.since,
                "event_type": self.event_type,
                "subscription_name": self.subscription_name,
                "state_variable": self.state_variable,
                "three_sixty_learning_conn_id": self.three_sixty_learning_conn_id,
                "poll_interval": self.poll_interval,
                "budget_share": self.budget_share,
                "max_consecutive_failures": self.max_consecutive_failures,
                "max_backoff": self.max_backoff,
                "hook_params": self.hook_params,
            },
        )

    # -- what one loop needs ---------------------------------------------------------------------
    def backoff(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failed poll in a row."""
        return min(self.poll_interval * 2 ** (failures - 1), max(self.max_backoff, self.poll_interval))

    def pause_after(self, requests: int, requests_per_second: float) -> float:
        """Seconds to wait after a poll that made ``requests`` requests: ``poll_interval``, or longer when
        those requests would exceed the trigger's share of the read budget (0 = no client-side budget)."""
        if requests_per_second <= 0:
            return self.poll_interval
        return max(self.poll_interval, requests / (requests_per_second * self.budget_share))

    def _described(self) -> str:
        return self.subscription_id or f"the {self.event_type!r} subscription"

    async def _start_watermark(self) -> dt.datetime:
        since = _instant(self.since)
        if self.state_variable:
            stored = await asyncio.to_thread(read_watermark, self.state_variable)
            if stored is not None and stored > since:
                self.log.info("Resuming %s from %s (Variable %s)", self._described(), stored, self.state_variable)
                since = stored
        return since

    async def _resolve(self, hook: ThreeSixtyLearningAsyncHook) -> str:
        """The subscription's id: as given, or the one of ``event_type`` (and ``subscription_name``)."""
        if self.subscription_id:
            return self.subscription_id
        found = [
            s
            async for s in hook.aiter_action("get_subscriptions", eventType={"eq": self.event_type})
            if self.subscription_name in (None, s["name"])
        ]
        if not found:
            raise WebhookSubscriptionMissing(
                f"No webhook subscription to {self.event_type!r}"
                + (f" named {self.subscription_name!r}" if self.subscription_name else "")
                + " exists: create it first (EnsureWebhookSubscriptionsOperator, the 360learning_event_subscriptions DAG)"
            )
        if any(s["status"] != "active" for s in found):
            self.log.warning(
                "Webhook subscription %s is inactive: 360Learning records no event for it; set it active",
                found[0]["_id"],
            )
        return str(found[0]["_id"])

    def _permanent(self, exc: Exception, subscription_id: str) -> WebhookEventPollingError | None:
        """The failure to report at once for a fault that waiting does not fix, else ``None``."""
        if isinstance(exc, ThreeSixtyLearningPermissionError):
            return WebhookEventPollingError(
                f"Cannot read the events of webhook subscription {subscription_id}: the token of connection "
                f"{self.three_sixty_learning_conn_id!r} lacks the {READ_SCOPE!r} scope (403). Grant the API "
                f"client the webhooks scopes in 360Learning's API settings. ({exc})"
            )
        if isinstance(exc, ThreeSixtyLearningNotFoundError):
            return WebhookEventPollingError(
                f"Webhook subscription {subscription_id} does not exist any more (404: deleted?). 360Learning "
                "records no event without it; create it again (EnsureWebhookSubscriptionsOperator) and restart "
                f"the watcher; events in between are not recorded. ({exc})"
            )
        if isinstance(exc, WebhookSubscriptionMissing):
            return None  # the set-up DAG may run after this DAG was unpaused
        if isinstance(exc, ThreeSixtyLearningParameterError | WebhookEventPollingError):
            return exc if isinstance(exc, WebhookEventPollingError) else WebhookEventPollingError(str(exc))
        return None

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningAsyncHook

        since, failures = await self._start_watermark(), 0
        seen: dict[str, dt.datetime] = {}  # ids yielded at or after ``since`` (``gte`` lists them again)
        subscription_id: str | None = None
        async with ThreeSixtyLearningAsyncHook(self.three_sixty_learning_conn_id, **self.hook_params) as hook:
            requests_per_second = (await hook.asettings()).requests_per_second
            while True:
                try:
                    subscription_id = subscription_id or await self._resolve(hook)
                    listed = [
                        event
                        async for event in hook.aiter_action(
                            "get_events", subscriptionId=subscription_id, createdAt={"gte": since}
                        )
                    ]
                    failures = 0
                except Exception as exc:
                    if (
                        isinstance(exc, ThreeSixtyLearningNotFoundError)
                        and self.event_type
                        and not self.subscription_id
                    ):
                        # Deleted: looked for again by type and name at the next poll (the set-up re-creates it);
                        # events between the deletion and the new subscription are not recorded by 360Learning.
                        fatal = None
                        subscription_id = None
                    else:
                        fatal = self._permanent(exc, subscription_id or self._described())
                    failures += 1
                    if fatal is None and failures >= self.max_consecutive_failures:
                        fatal = WebhookEventPollingError(
                            f"Polling the events of {subscription_id or self._described()} failed "
                            f"{failures} times in a row; last: {type(exc).__name__}: {exc}"
                        )
                    if fatal is not None:
                        self.log.error("%s", fatal)
                        raise fatal from exc
                    wait = self.backoff(failures)
                    self.log.warning(
                        "Polling the events of %s failed (%d in a row, again in %.0f s): %s: %s",
                        subscription_id or self._described(),
                        failures,
                        wait,
                        type(exc).__name__,
                        exc,
                    )
                    await asyncio.sleep(wait)
                    continue
                fresh = sorted((e for e in listed if e["_id"] not in seen), key=lambda e: _instant(e["createdAt"]))
                failed = sum(1 for e in fresh if e.get("status") == "failed")
                if failed:
                    self.log.info(
                        "%d new event(s) of %s were marked failed by 360Learning (push to the subscription's URL "
                        "refused); they are read here all the same",
                        failed,
                        subscription_id,
                    )
                for start in range(0, len(fresh), MAX_EVENTS_PER_TRIGGER_EVENT):
                    batch = fresh[start : start + MAX_EVENTS_PER_TRIGGER_EVENT]
                    seen.update((event["_id"], _instant(event["createdAt"])) for event in batch)
                    since = max(since, *seen.values())
                    seen = {key: at for key, at in seen.items() if at >= since}
                    yield TriggerEvent(
                        {
                            "status": "success",
                            "subscription_id": subscription_id,
                            "events": batch,
                            "count": len(batch),
                            "since": since.isoformat(),
                            "state_variable": self.state_variable,
                        }
                    )
                pages = max(1, math.ceil(len(listed) / EVENTS_PAGE_SIZE))
                await asyncio.sleep(self.pause_after(pages, requests_per_second))


# -- the watermark outside the triggerer ------------------------------------------------------------
def read_watermark(variable: str) -> dt.datetime | None:
    """The watermark stored in the Airflow Variable ``variable`` (``None`` when unset)."""
    from airflow.sdk import Variable

    stored = Variable.get(variable, default=None)
    if not stored:
        return None
    value = json.loads(stored) if isinstance(stored, str) else stored
    return _instant(value["since"]) if isinstance(value, Mapping) and value.get("since") else None


def advance_watermark(variable: str, events: Iterable[Mapping[str, Any]]) -> dt.datetime | None:
    """Move the Variable's watermark to the newest ``createdAt`` of ``events`` the consumer has recorded
    (never backwards); returns the watermark now stored."""
    newest = max((_instant(e["createdAt"]) for e in events), default=None)
    current = read_watermark(variable)
    if newest is None or (current is not None and current >= newest):
        return current
    from airflow.sdk import Variable

    Variable.set(variable, json.dumps({"since": newest.isoformat()}))
    return newest


def _instant(value: str) -> dt.datetime:
    """An ISO 8601 instant as an aware datetime (``Z`` or an offset; naive means UTC)."""
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
