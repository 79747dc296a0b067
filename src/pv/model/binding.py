"""``binding.yaml``: which module and function implement each contract equation."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field

from pv.model.base import Closed, Text


class Binding(Closed):
    contract: Text
    equation: Text
    module_path: str | None = Field(default=None, validation_alias=AliasChoices("module_path", "module"))
    function: str | None = None
    signature: str | None = None
    status: Literal["implemented", "partial", "not_implemented"]
    notes: str | None = None


class BindingRegistry(Closed):
    version: Text
    target_crate: Text = Field(validation_alias=AliasChoices("target_crate", "target"))
    critical_path: list[str] = Field(default_factory=list)
    bindings: list[Binding] = Field(default_factory=list)
