"""Apache Airflow provider for the 360Learning LMS (API v2)."""

from __future__ import annotations

__version__ = "0.1.0"
