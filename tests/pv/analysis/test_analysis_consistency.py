"""Pinned constants across related contracts, on the real seeds and on small made-up pairs."""

from __future__ import annotations

from pathlib import Path

from conftest import SEED, load
from pv.analysis.consistency import compare_facts, conflict_diagnostics, values_agree
from pv.analysis.summary import check_summaries

SEED_REL = "tests/fixtures/seed"


def test_seed_conflicts_are_exactly_the_two_real_ones(seeds):
    conflicts = compare_facts(seeds.values())[0]
    found = {(c.first.name, c.first.path, c.first.line, c.second.path, c.second.line,
              c.first.value, c.second.value) for c in conflicts}
    assert found == {
        # arch-polymorphic's qwen2_0_5b_constructor formula vs qwen2.yaml constraints (family qwen2)
        ("tie_word_embeddings", f"{SEED_REL}/apr-pretrain-arch-polymorphic-v1.yaml", 294,
         f"{SEED_REL}/qwen2.yaml", 95, True, False),
        # llama-370m architecture block vs tokenizer-bpe tokenizer block (peer-linked both ways)
        ("vocab_size", f"{SEED_REL}/llama-370m-sovereign-v1.yaml", 199,
         f"{SEED_REL}/tokenizer-bpe-v1.yaml", 87, 50257, 50000),
    }


def test_seed_conflict_diagnostics_name_both_files_and_lines(seeds):
    diags = conflict_diagnostics(compare_facts(seeds.values())[0])
    rendered = sorted(d.render() for d in diags)
    assert [d.code for d in diags] == ["PV-CONST-001", "PV-CONST-001"]
    assert rendered[0].startswith(f"{SEED_REL}/apr-pretrain-arch-polymorphic-v1.yaml:294:9: PV-CONST-001 "
                                  "tie_word_embeddings = true here (equations.qwen2_0_5b_constructor.formula) "
                                  f"but false in {SEED_REL}/qwen2.yaml:95:20 (constraints.tied_embeddings); "
                                  "related by family qwen2/0.5b")
    assert rendered[1].startswith(f"{SEED_REL}/llama-370m-sovereign-v1.yaml:199:15: PV-CONST-001 "
                                  "vocab_size = 50257 here (architecture.vocab_size) but 50000 in "
                                  f"{SEED_REL}/tokenizer-bpe-v1.yaml:87:15 (tokenizer.vocab_size); "
                                  "related by peer link")


def test_qwen_formula_agrees_with_descriptor_on_every_other_constant(seeds):
    # The formula pins 10 facts in its own spellings (151_936, 1e-6, use_bias...); 9 agree with
    # qwen2.yaml's 0.5b variant, so a mechanism that mis-parsed literals would report more than one.
    both = [seeds["apr-pretrain-arch-polymorphic-v1"], seeds["qwen2"]]
    assert [c.first.name for c in compare_facts(both)[0]] == ["tie_word_embeddings"]


def test_unrelated_contracts_are_not_compared(seeds):
    # tokenizer-bpe and qwen2 both pin vocab_size, differently, but nothing links them.
    assert compare_facts([seeds["tokenizer-bpe-v1"], seeds["qwen2"]])[0] == []


def _provable(name: str, constants: str, depends: str = "") -> str:
    dep = f"\n  depends_on: [{depends}]" if depends else ""
    return (f"metadata:\n  version: '1.0.0'\n  description: {name}{dep}\n"
            f"constants:\n{constants}"
            "falsification_tests:\n- id: FALSIFY-%s-001\n  rule: r\n  prediction: p\n  test: 'LIVE-PENDING: later'\n"
            % name.upper())


def test_constants_block_conflict_across_depends_on(write, tmp_path: Path):
    a = write("a-v1.yaml", _provable("a", "  vocab_size: 50257\n  tie_word_embeddings: true\n"))
    b = write("b-v1.yaml", _provable("b", "  vocab_size: 50_257\n  tied_embeddings: false\n", depends="a-v1"))
    diags = conflict_diagnostics(compare_facts(load([a, b], tmp_path))[0])
    assert [(d.path, d.line, d.data["name"], d.data["other_path"], d.data["other_line"]) for d in diags] == [
        ("a-v1.yaml", 6, "tie_word_embeddings", "b-v1.yaml", "7"),
    ]
    assert "related by depends_on link" in diags[0].message


def test_bool_never_equals_number():
    assert not values_agree(True, 1)
    assert values_agree(1e-6, 0.000001)
    assert values_agree(151936, 151936.0)
    assert not values_agree("50257", 50257)


def test_summary_counts_contradicting_the_contract(seeds):
    got = {}
    for stem in ("apr-pretrain-from-init-v1", "apr-pretrain-init-finetune-v1", "apr-pretrain-arch-polymorphic-v1"):
        got[stem] = [(d.code, d.line, d.data["field"], d.data["claimed"], d.data["actual"])
                     for d in check_summaries(seeds[stem])[0]]
    assert got["apr-pretrain-from-init-v1"] == [("PV-CONST-002", 270, "tested", "0", "6")]
    assert got["apr-pretrain-init-finetune-v1"] == [
        ("PV-CONST-003", 381, "qa_gate.description", "5", "4"),  # "All 5 ship-blocking falsifiers"
        ("PV-CONST-003", 390, "qa_gate.pass_criteria", "6", "4"),  # "All 6 ship_blocking=true falsifiers"
    ]
    # arch-polymorphic's summary (total_obligations 6, tested 11) matches its 6 obligations and 11 bound falsifiers
    assert got["apr-pretrain-arch-polymorphic-v1"] == []


def test_seed_dir_is_the_unmodified_copy():
    assert (SEED / "tokenizer-bpe-v1.yaml").read_text(encoding="utf-8").splitlines()[86] == "  vocab_size: 50000"
