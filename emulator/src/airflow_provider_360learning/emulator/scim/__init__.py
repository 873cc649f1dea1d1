"""SCIM 2.0 emulator of 360Learning's SCIM integration: scim2-server plus 360Learning's rules."""

from airflow_provider_360learning.emulator.scim.app import SCIM_PREFIX, scim_control_routes, scim_routes
from airflow_provider_360learning.emulator.scim.state import INTEGRATION_GROUP_NAME, ScimState, scim_state

__all__ = ["INTEGRATION_GROUP_NAME", "SCIM_PREFIX", "ScimState", "scim_control_routes", "scim_routes", "scim_state"]
