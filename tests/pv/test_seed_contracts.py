"""`pv validate` over the seven unmodified seed contracts reports exactly their real defects.

- llama-370m-sovereign-v1: top-level 1.6.0 vs metadata 1.7.0; newest changelog entry 1.7.0 is not
  the version 1.6.0; changelog out of order (1.0.0 .. 1.3.0 appended after 1.4.0 in a newest-first log).
- training-loop-pretrain-v1: changelog out of order (1.5.0 first, then 1.1.0 .. 1.4.0 ascending).
- qwen2: version "1.0" is not semver.
- gates citing FALSIFY-* IDs that no given contract defines (warnings: they live in prose specs).
Nothing else: every key of every seed is understood.
"""

from __future__ import annotations

from pv_validate_helpers import REPO, SEED_DIR

from pv.checks import codes
from pv.config import PvConfig
from pv.diagnostics import Severity
from pv.validate import validate_paths

EXPECTED = [
    ("llama-370m-sovereign-v1.yaml", 43, "PV-SEM-002"),
    ("llama-370m-sovereign-v1.yaml", 47, "PV-SEM-004"),
    ("llama-370m-sovereign-v1.yaml", 111, "PV-SEM-005"),
    ("llama-370m-sovereign-v1.yaml", 413, "PV-REF-004"),
    ("llama-370m-sovereign-v1.yaml", 454, "PV-REF-004"),
    ("llama-370m-sovereign-v1.yaml", 505, "PV-REF-004"),
    ("llama-370m-sovereign-v1.yaml", 564, "PV-REF-004"),
    ("llama-370m-sovereign-v1.yaml", 608, "PV-REF-004"),
    ("llama-370m-sovereign-v1.yaml", 635, "PV-REF-004"),
    ("qwen2.yaml", 2, "PV-SEM-001"),
    ("tokenizer-bpe-v1.yaml", 222, "PV-REF-004"),
    ("training-loop-pretrain-v1.yaml", 68, "PV-SEM-005"),
    ("training-loop-pretrain-v1.yaml", 489, "PV-REF-004"),
    ("training-loop-pretrain-v1.yaml", 538, "PV-REF-004"),
    ("training-loop-pretrain-v1.yaml", 643, "PV-REF-004"),
]


def _run():  # type: ignore[no-untyped-def]
    return validate_paths([SEED_DIR], PvConfig(root=REPO))


def test_all_seven_seeds_load_and_report_exactly_their_real_defects() -> None:
    run = _run()
    assert run.files_checked == 7 and len(run.contracts) == 7
    got = [(d.path.rsplit("/", 1)[-1], d.line, d.code) for d in run.diagnostics]
    assert got == EXPECTED
    assert run.exit_code() == 1


def test_llama_version_drift_messages() -> None:
    run = _run()
    llama = [d for d in run.diagnostics if "llama" in d.path and d.code.startswith("PV-SEM")]
    assert "metadata.version '1.7.0' disagrees with the top-level version '1.6.0'" in llama[0].message
    assert "newest changelog entry is 1.7.0 but the contract's version is 1.6.0" in llama[1].message
    assert "1.1.0 follows 1.0.0" in llama[2].message


def test_training_loop_changelog_is_the_out_of_order_one_with_1_5_0_first() -> None:
    run = _run()
    order = [d for d in run.diagnostics if d.code == codes.SEM_ORDER]
    assert {d.path.rsplit("/", 1)[-1] for d in order} == {"training-loop-pretrain-v1.yaml",
                                                         "llama-370m-sovereign-v1.yaml"}
    training = next(d for d in order if "training-loop" in d.path)
    assert "1.2.0 follows 1.1.0" in training.message and training.data == {"version": "1.2.0", "after": "1.1.0"}


def test_dangling_falsification_ids_are_warnings_only() -> None:
    run = _run()
    refs = [d for d in run.diagnostics if d.code == codes.REF_FALSIFIER]
    assert len(refs) == 10 and all(d.severity == Severity.WARNING for d in refs)
    assert {d.data["id"] for d in refs} >= {"FALSIFY-SHIP-011", "FALSIFY-TRAIN-EXHAUST", "FALSIFY-SHIP-012"}


def test_seed_dialects_ids_and_statuses() -> None:
    by_stem = {c.stem: c for c in _run().contracts}
    assert {s: c.dialect for s, c in by_stem.items()} == {
        "apr-pretrain-arch-polymorphic-v1": "provable", "apr-pretrain-from-init-v1": "provable",
        "apr-pretrain-init-finetune-v1": "provable", "llama-370m-sovereign-v1": "gate",
        "qwen2": "gate", "tokenizer-bpe-v1": "gate", "training-loop-pretrain-v1": "gate"}
    assert by_stem["apr-pretrain-init-finetune-v1"].contract_id == "C-APR-PRETRAIN-INIT-FINETUNE"
    assert by_stem["training-loop-pretrain-v1"].contract_id == "C-TRAIN-PRETRAIN"
    assert by_stem["qwen2"].contract_id == "qwen2"
    from pv.model.status import Status
    assert by_stem["tokenizer-bpe-v1"].declared_status == Status.DRAFT  # PROPOSED
    assert by_stem["apr-pretrain-init-finetune-v1"].declared_status == Status.PARTIAL_ALGORITHM_LEVEL
    assert by_stem["apr-pretrain-arch-polymorphic-v1"].declared_status == Status.FUNCTIONAL
    assert by_stem["llama-370m-sovereign-v1"].version == "1.6.0"
    assert by_stem["apr-pretrain-init-finetune-v1"].depends_on == [
        "apr-pretrain-arch-polymorphic-v1", "apr-pretrain-from-init-v1"]


def test_seed_falsifier_views() -> None:
    by_stem = {c.stem: c for c in _run().contracts}
    training = by_stem["training-loop-pretrain-v1"]
    views = {f.id: f for f in training.falsifiers()}
    g5 = views["GATE-TRAIN-005"]
    assert g5.kind == "gate" and g5.ship_blocking is True and len(g5.refs) == 4
    assert g5.refs[0].field == "gates[GATE-TRAIN-005].evidence_discharged_by[0]"
    assert g5.refs[0].text.endswith("gate_train_005_aborts_on_doubling_val_loss")
    inv6 = views["INV-TRAIN-006"]
    assert [r.field for r in inv6.refs] == ["invariants[INV-TRAIN-006].harness[0].name",
                                           "invariants[INV-TRAIN-006].harness[1].name"]
    text = (SEED_DIR / "training-loop-pretrain-v1.yaml").read_text().splitlines()
    for ref in g5.refs + inv6.refs:
        assert ref.text in text[ref.line - 1], ref  # each reference points at its own line
    arch = by_stem["apr-pretrain-arch-polymorphic-v1"]
    fs = arch.falsifiers()
    assert len(fs) == 11 and all(f.kind == "falsifier" and len(f.refs) == 1 for f in fs)
    assert fs[0].refs[0].field == "falsification_tests[FALSIFY-APR-PRETRAIN-ARCH-001].test"
