"""Can a test's fixtures add parameters to its node ID? Decided from the fixture closure, never guessed.

pytest adds a ``[param]`` part for every parametrized fixture in a test's
closure: the fixtures it requests (arguments, ``usefixtures``, autouse ones in
scope) and, transitively, the fixtures those request. The nearest definition
wins: the test's class (innermost first), its module, then each conftest.py
up to the rootdir, then plugins. pv resolves the closure over the first four;
when a fixture in it has ``params=``, or a name is not defined in any of them
(so a plugin provides it, e.g. anyio's ``anyio_backend``), the test's IDs are
*undecidable* statically and pytest's real collection decides them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pv.testindex.model import FileScan, TestFunction

# pytest's own fixtures (pytest 8/9, pytester included): never parametrized.
BUILTIN_FIXTURES = frozenset({
    "request", "pytestconfig", "cache", "capsys", "capsysbinary", "capfd", "capfdbinary", "capteesys",
    "caplog", "doctest_namespace", "monkeypatch", "record_property", "record_xml_attribute",
    "record_testsuite_property", "recwarn", "tmp_path", "tmp_path_factory", "tmpdir", "tmpdir_factory",
    "pytester", "testdir", "linecomp", "LineMatcher", "subtests",
})


@dataclass(frozen=True, slots=True)
class Fixture:
    name: str
    params: bool
    autouse: bool
    args: tuple[str, ...]
    where: str  # "tests/conftest.py" or "tests/test_x.py::TestA"


def _levels(func: TestFunction, module: FileScan, chain: list[FileScan]) -> list[dict[str, Fixture]]:
    """Fixture tables nearest first: classes (innermost first), the module, conftests (nearest first)."""
    levels: list[dict[str, Fixture]] = []
    scopes = ["::".join(func.classes[:k]) for k in range(len(func.classes), 0, -1)]
    for scope in scopes:
        levels.append({r[1]: Fixture(r[1], bool(r[2]), bool(r[3]), tuple(r[4]), f"{module.path}::{scope}")
                       for r in module.fixtures if r[0] == scope})
    levels.append({r[1]: Fixture(r[1], bool(r[2]), bool(r[3]), tuple(r[4]), module.path)
                   for r in module.fixtures if r[0] == ""})
    for conf in chain:
        levels.append({r[1]: Fixture(r[1], bool(r[2]), bool(r[3]), tuple(r[4]), conf.path)
                       for r in conf.fixtures if r[0] == ""})
    return levels


def undecidable_reason(func: TestFunction, module: FileScan, chain: list[FileScan]) -> str | None:
    """Why fixtures may parametrize ``func`` (so only pytest knows its IDs), or None when they cannot."""
    if func.is_unittest:
        return None  # unittest methods take no fixtures; autouse ones cannot parametrize them
    levels = _levels(func, module, chain)
    requests: list[tuple[str, int]] = [(name, 0) for name in func.requires]
    for depth, level in enumerate(levels):
        requests.extend((fx.name, depth) for fx in level.values() if fx.autouse)
    indirect = set(func.indirect)
    seen: set[tuple[str, int]] = set()
    while requests:
        name, start = requests.pop()
        if (name, start) in seen:
            continue
        seen.add((name, start))
        found: Fixture | None = None
        found_at = start
        for depth in range(start, len(levels)):
            if name in levels[depth]:
                found, found_at = levels[depth][name], depth
                break
        if found is None:
            if name in BUILTIN_FIXTURES:
                continue
            return f"fixture {name!r} is not defined in {module.path} or its conftest.py files (a plugin's?)"
        if found.params and name not in indirect:
            return f"fixture {name!r} ({found.where}) is parametrized with params="
        for arg in found.args:
            # A fixture requesting its own name gets the next definition outward (an override).
            requests.append((arg, found_at + 1 if arg == name else 0))
    return None
