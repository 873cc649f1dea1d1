"""Transfers of 360Learning data into other systems (SQL databases through common.sql hooks)."""

from __future__ import annotations
