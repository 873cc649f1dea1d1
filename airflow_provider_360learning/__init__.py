"""Apache Airflow provider for the 360Learning LMS (API v2)."""

from __future__ import annotations

# The local API emulator, its contract validator and its pytest plugin (``airflow_provider_360learning.emulator``
# and ``.testing``) ship in a second distribution, airflow-provider-360learning-emulator (the ``emulator/`` folder
# of the repository), as a portion of this package: extending ``__path__`` lets an editable install of it, whose
# files live in another directory, be found here too. A production install has neither subpackage.
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)

__version__ = "0.1.0"
