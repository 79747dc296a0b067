"""The committed JSON Schema equals the generated one, and it judges files like pv does."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from pv_validate_helpers import BINDING, GATE, PROVABLE, REPO, SEED_DIR

from pv.model.jsonschema import schema_text

COMMITTED = REPO / "src" / "pv" / "schema" / "contract.schema.json"


def test_committed_schema_is_identical_to_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), (
        "src/pv/schema/contract.schema.json is stale: run `pv schema -o src/pv/schema/contract.schema.json`")


def test_schema_is_packaged_data() -> None:
    import importlib.resources

    text = importlib.resources.files("pv").joinpath("schema/contract.schema.json").read_text(encoding="utf-8")
    assert json.loads(text)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("seed", sorted(p.name for p in SEED_DIR.glob("*.yaml")))
def test_every_seed_is_schema_valid(validator, seed: str) -> None:  # type: ignore[no-untyped-def]
    # The seeds' defects are semantic (versions, changelog order), not structural.
    data = yaml.load((SEED_DIR / seed).read_text(encoding="utf-8"), Loader=_TextDates)
    assert list(validator.iter_errors(data)) == []


@pytest.mark.parametrize("text", [PROVABLE, GATE, BINDING])
def test_examples_are_schema_valid(validator, text: str) -> None:  # type: ignore[no-untyped-def]
    assert list(validator.iter_errors(yaml.safe_load(text))) == []


@pytest.mark.parametrize(("mutate", "fragment"), [
    (lambda t: t + "falsification_test: []\n", "falsification_test"),
    (lambda t: t.replace("bound: 8", "bound: -1"), "-1"),
    (lambda t: t.replace("op: \"<\"", "op: \"<<\""), "<<"),
    (lambda t: t.replace("    prediction: every output lies in [lo, hi]\n", ""), "prediction"),
])
def test_schema_rejects_what_pv_rejects(validator, mutate, fragment: str) -> None:  # type: ignore[no-untyped-def]
    errors = list(validator.iter_errors(yaml.safe_load(mutate(PROVABLE))))
    assert errors and any(fragment in str(e) for e in errors)


def test_x_keys_and_aliases_are_schema_valid(validator) -> None:  # type: ignore[no-untyped-def]
    text = PROVABLE.replace("prediction: every output", "expected: every output") + "x-team: a\n"
    assert list(validator.iter_errors(yaml.safe_load(text))) == []


class _TextDates(yaml.SafeLoader):
    """Like pv's loader, dates stay text (JSON Schema has no date type)."""


_TextDates.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def test_schema_file_is_small_and_stable() -> None:
    assert Path(COMMITTED).stat().st_size < 200_000
    assert schema_text() == schema_text()
