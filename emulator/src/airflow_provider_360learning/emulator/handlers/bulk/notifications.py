"""Bulk writes to users' email notification subscriptions (``state.relation("notification_subscriptions")``)."""

from __future__ import annotations

from airflow_provider_360learning.emulator.handlers.bulk.operations import ObjectError, Row, Run, bulk
from airflow_provider_360learning.emulator.handlers.users import find_user


@bulk("create_subscription_events", "createSubscriptionEvents")
def subscription_event(run: Run, item: Row) -> str:
    """``activation`` subscribes the user with this mail to email notifications, ``deactivation`` unsubscribes it."""
    user = find_user(run.state, "mail", item["mail"])
    if user is None or user["status"] == "deleted":
        raise ObjectError(f"No user has the mail {item['mail']}.")
    run.state.relation("notification_subscriptions")[user["_id"]] = item["type"] == "activation"
    return str(user["_id"])
