"""The edX and SCIM hooks' tests run against the emulators of the edX and SCIM tests (their fixtures)."""

from tests.unit.edx.conftest import edx, edx_conn, edx_factory
from tests.unit.scim.conftest import scim, scim_server

__all__ = ["edx", "edx_conn", "edx_factory", "scim", "scim_server"]
