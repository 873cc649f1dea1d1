"""Emulator of the edX for Business (Enterprise) API gateway: token, catalogs, learner summary."""

from airflow_provider_360learning.emulator.edx.app import LEARNER_SUMMARY, PREFIXES, edx_control_routes, edx_routes
from airflow_provider_360learning.emulator.edx.data import AWKWARD, UNKNOWN_LEARNER_EMAIL, EdxData
from airflow_provider_360learning.emulator.edx.state import EdxState, edx_state

__all__ = [
    "AWKWARD",
    "LEARNER_SUMMARY",
    "PREFIXES",
    "UNKNOWN_LEARNER_EMAIL",
    "EdxData",
    "EdxState",
    "edx_control_routes",
    "edx_routes",
    "edx_state",
]
