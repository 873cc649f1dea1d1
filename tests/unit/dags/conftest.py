"""The SCIM provisioning DAG's tests run against the SCIM emulator of the SCIM tests (its fixtures)."""

from tests.unit.scim.conftest import scim, scim_server

__all__ = ["scim", "scim_server"]
