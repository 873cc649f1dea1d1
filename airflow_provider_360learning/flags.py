"""Yes/no parameters of the operators: a bool, or the string a template renders for one.

One rule for every flag whose wrong reading would write or delete (``dry_run``, ``allow_mass_delete``...):
``True``/``False`` or the strings ``true``/``false`` in any case; anything else (``on``, ``yes``, ``t``,
``1``) is unclear, and the caller refuses it naming the value.
"""

from __future__ import annotations


def parse_flag(value: object) -> bool | None:
    """The flag's value, or ``None`` when ``value`` is not clearly true or false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None
