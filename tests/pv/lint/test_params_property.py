"""Property: for any literal parametrization, the static IDs equal pytest's own IdMaker output."""

from __future__ import annotations

import ast

from _pytest.mark.structures import ParameterSet
from _pytest.python import IdMaker
from hypothesis import given, settings
from hypothesis import strategies as st

from pv.testindex.params import IdRules, ModuleScope, parametrize_ids

literals = st.one_of(
    st.integers(-10**6, 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.text(max_size=120),
    st.binary(max_size=20),
    st.complex_numbers(allow_nan=False, allow_infinity=False, max_magnitude=1e6),
    st.lists(st.integers(), max_size=2),
)


def _expected(argnames: list[str], rows: list[tuple[object, ...]], ids: list[str | None] | None) -> list[str]:
    sets = [ParameterSet.extract_from(row if len(argnames) > 1 else row[0], force_tuple=len(argnames) == 1)
            for row in rows]
    return list(IdMaker(argnames, sets, None, ids, None, None).make_unique_parameterset_ids())


@settings(max_examples=150, deadline=None)
@given(
    nargs=st.integers(1, 3),
    data=st.data(),
)
def test_static_ids_match_pytest_idmaker(nargs: int, data: st.DataObject) -> None:
    argnames = [f"a{i}" for i in range(nargs)]
    rows = data.draw(st.lists(st.tuples(*[literals] * nargs), min_size=1, max_size=6))
    ids = data.draw(st.none() | st.lists(st.none() | st.text(min_size=1, max_size=10), min_size=len(rows),
                                         max_size=len(rows)))
    values = ", ".join(repr(row[0]) if nargs == 1 else repr(row) for row in rows)
    # What the source text evaluates to (repr does not round-trip every value, e.g. complex(-0.0, 0)).
    evaluated = ast.literal_eval(f"[{values}]")
    rows = [(v,) if nargs == 1 else tuple(v) for v in evaluated]
    source = f"pytest.mark.parametrize({','.join(argnames)!r}, [{values}], ids={ids!r})"
    call = ast.parse(source, mode="eval").body
    assert isinstance(call, ast.Call)
    static = parametrize_ids(call, ModuleScope(ast.parse("")), IdRules())
    assert static == _expected(argnames, rows, ids)
