"""Helpers shared by the provider's operators: typing API rows into table-shaped frames (``tabular``)."""

from __future__ import annotations
