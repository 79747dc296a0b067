"""The "gate contract" dialect (ship-two contracts: contract_id / invariants / gates / failure_modes).

Besides the verification blocks, these contracts carry *domain blocks* describing the thing under
contract (architecture tables, tensor templates, hyper-parameter defaults, ...). The ones seen in
the seed contracts are known keys whose content is free-form (``DOMAIN_BLOCKS``); any other
top-level key is still an unknown key, so a misspelled block is caught.
"""

from __future__ import annotations

from pydantic import Field

from pv.model.base import Check, Closed, Entity, FreeForm, Mutant, Scalar, TestRef, Text
from pv.model.meta import Metadata


class Harness(Closed):
    name: Text
    kind: str | None = None
    path: str | None = None
    asserts: list[str] = Field(default_factory=list)


class Invariant(Closed):
    id: Text
    description: Text
    falsifier: str | None = None  # prose: the prediction, not a reference
    harness: list[Harness] = Field(default_factory=list)
    test: TestRef | None = None
    ship_blocking: bool = True
    check: Check | None = None
    obligations: list[Text] = Field(default_factory=list)
    mutants: list[Mutant] = Field(default_factory=list)  # pv falsify (docs/falsify.md)


class Gate(Closed):
    id: Text
    rule: Text
    description: str | None = None
    evidence_required: str | None = None
    verdict: str | None = None
    binds_to: str | None = None
    ship_blocking: bool = True
    falsification_id: Text | None = None
    evidence_discharged_by: TestRef | None = None
    test: TestRef | None = None
    discharge_status: str | None = None
    discharge_notes: str | None = None
    partial_discharge_note: str | None = None
    full_discharge_blocks_on: str | None = None
    motivation: str | None = None
    check: Check | None = None
    obligations: list[Text] = Field(default_factory=list)
    mutants: list[Mutant] = Field(default_factory=list)  # pv falsify (docs/falsify.md)


class FailureMode(Closed):
    id: Text
    description: Text
    mitigation: str | None = None
    detected_by: str | list[str] | None = None


# Top-level domain blocks seen in the seed gate contracts, accepted with free-form content.
DOMAIN_BLOCKS: tuple[str, ...] = (
    # training-loop-pretrain-v1
    "per_step_metrics", "per_epoch_artifacts", "convergence", "non_divergence", "hyperparameter_defaults",
    "training", "hardware_profiles",
    # model families (llama-370m-sovereign-v1, qwen2)
    "architecture", "architectures", "constraints", "tensor_template", "gguf_tensor_template",
    "shape_template", "chat_template", "display_name", "family", "hf_pattern", "quantizations",
    "size_variant", "size_variants", "vendor", "certification",
    # tokenizer-bpe-v1
    "tokenizer",
)


class GateContract(Closed):
    contract_id: Text | None = None
    version: str | None = None
    status: str | None = None
    metadata: Metadata
    summary: str | None = None
    motivation: str | None = None
    invariants: list[Invariant] = Field(default_factory=list)
    gates: list[Gate] = Field(default_factory=list)
    failure_modes: list[FailureMode] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    constants: dict[str, Scalar] | None = None
    entity: Entity | None = None
    per_step_metrics: FreeForm = None
    per_epoch_artifacts: FreeForm = None
    convergence: FreeForm = None
    non_divergence: FreeForm = None
    hyperparameter_defaults: FreeForm = None
    training: FreeForm = None
    hardware_profiles: FreeForm = None
    architecture: FreeForm = None
    architectures: FreeForm = None
    constraints: FreeForm = None
    tensor_template: FreeForm = None
    gguf_tensor_template: FreeForm = None
    shape_template: FreeForm = None
    chat_template: FreeForm = None
    display_name: FreeForm = None
    family: FreeForm = None
    hf_pattern: FreeForm = None
    quantizations: FreeForm = None
    size_variant: FreeForm = None
    size_variants: FreeForm = None
    vendor: FreeForm = None
    certification: FreeForm = None
    tokenizer: FreeForm = None
