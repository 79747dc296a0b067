"""Shared building blocks of the schema models.

Every model is *closed*: unknown keys are reported by pv.checks.keys (with "did you mean"), and
the generated JSON Schema says ``additionalProperties: false`` with an ``^x-`` escape hatch. At
run time pydantic ignores extra keys only because the key check has already reported them.
Validation is strict (no "1" -> 1 coercion): a version written as a bare number is a type error.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Text that must say something: not empty, not only whitespace.
Text = Annotated[str, Field(min_length=1, pattern=r"\S")]
# A scalar constant value pinned by a contract.
Scalar = str | int | float | bool | None
# Free-form domain data (architecture tables, templates, ...): any YAML value, checked by nobody.
FreeForm = Any


def _closed(schema: dict[str, Any]) -> None:
    schema["additionalProperties"] = False
    schema["patternProperties"] = {"^x-": {}}


class Closed(BaseModel):
    """Base of every schema model (see the module docstring for why extra is 'ignore')."""

    model_config = ConfigDict(extra="ignore", strict=True, populate_by_name=True,
                              json_schema_extra=_closed)


CheckOp = Literal["<", "<=", "==", "!=", ">=", ">", "within"]


class Check(Closed):
    """A machine-checkable prediction: ``metric op value`` (``within`` needs ``tolerance``)."""

    metric: Text
    op: CheckOp
    value: int | float
    tolerance: int | float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _tolerance_matches_op(self) -> Check:
        if self.op == "within" and self.tolerance is None:
            raise ValueError("op 'within' needs a tolerance (|metric - value| <= tolerance)")
        if self.op != "within" and self.tolerance is not None:
            raise ValueError(f"tolerance only applies to op 'within', not {self.op!r}")
        return self


class ChangelogEntry(Closed):
    version: Text
    date: Text | None = None
    change: Text | None = None


class Entity(Closed):
    """``entity: {type, ref}``: what the contract is about (a crate, a module, a model, ...).

    The Rust pv's newest schema carries it at the top level of every dialect; ``ref`` names the
    thing in the project's own terms (a path, a crate name), so pv checks only that both say something.
    """

    type: Text
    ref: Text


class Mutant(Closed):
    """A deliberate break of the code under test that the falsifier's tests must notice (``pv falsify``).

    Either ``file`` + ``find`` + ``replace`` (``find`` occurs exactly once in ``file``) or ``patch``
    (a unified diff against the project root). ``pv validate`` checks that it still applies.
    """

    file: Text | None = None
    find: Text | None = None
    replace: str | None = None
    patch: Text | None = None
    why: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Mutant:
        exact = (self.file, self.find, self.replace)
        if self.patch is not None:
            if any(v is not None for v in exact):
                raise ValueError("a mutant is either patch: or file/find/replace, not both")
        elif any(v is None for v in exact):
            raise ValueError("a mutant needs file, find and replace (or a patch:)")
        elif self.find == self.replace:
            raise ValueError("replace equals find: the mutant changes nothing")
        return self


# A test reference: one string or a list of them (each item one reference).
TestRef = str | list[str]
