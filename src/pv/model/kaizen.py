"""The "kaizen record" dialect (``metadata.kind: kaizen``): one measured removal of waste.

A kaizen record is a provable contract (it may carry obligations, falsifiers, a qa_gate) plus
its own top-level blocks: ``contract`` (the record's ID), ``title``, ``kaizen`` (the ticket, text
or a bare number), ``parent`` (the contract it improves), ``status``, ``date``, ``baseline`` and
``target`` (measurements before and after) and free-form ``invariants``. The Rust pv reads the
same keys and the same closed status vocabulary (``KAIZEN_STATUSES``).

Its ``status`` is a lifecycle state of the record, not a rung of the contract status ladder, so it
is checked against ``KAIZEN_STATUSES`` (PV-SCH-005), never against the ladder (PV-SCH-006).
"""

from __future__ import annotations

from typing import Literal

from pv.model.base import FreeForm, Text
from pv.model.provable import ProvableContract

# The lifecycle states a kaizen record may declare, exactly the Rust pv's vocabulary.
KAIZEN_STATUSES: tuple[str, ...] = ("draft", "implemented", "implementing", "pending", "planned")
KaizenStatus = Literal["draft", "implemented", "implementing", "pending", "planned"]


class KaizenRecord(ProvableContract):
    """Top level of a kaizen record: the provable blocks plus the record's own keys."""

    contract: Text | None = None
    title: Text | None = None
    kaizen: str | int | None = None
    parent: Text | None = None
    status: KaizenStatus | None = None
    date: str | None = None
    baseline: FreeForm = None
    target: FreeForm = None
    invariants: FreeForm = None
