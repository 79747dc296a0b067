"""``metadata:``, shared by both dialects."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pv.model.base import ChangelogEntry, Closed, Text


class Metadata(Closed):
    version: str | None = None  # required for provable contracts: checked with the dialect (PV-SEM-007)
    description: Text | None = None
    id: Text | None = None
    status: str | None = None  # parsed by Status.parse (PV-SCH-006)
    kind: str | None = None
    created: str | None = None
    updated: str | None = None
    author: str | None = None
    references: list[str] = Field(default_factory=list)
    depends_on: list[Text] = Field(default_factory=list)
    changelog: list[str | ChangelogEntry] = Field(default_factory=list)
    registry: bool | None = None
    peer_contracts: list[str] = Field(default_factory=list)
    parent_contracts: list[str] = Field(default_factory=list)
    enforcement_level: Literal["basic", "standard", "strict", "proven"] | None = None
    locked_level: str | None = None
    competitor: str | None = None
    demand_score: int | None = Field(default=None, ge=1, le=5)
    intake_status: Literal["missing", "partial", "supported", "unclear"] | None = None
