"""Shapes of real suites the static index must decide soundly (or hand to pytest), one small project each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pv.testindex.index import build_index


def _project(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


CONFTEST_PARAMS = "import pytest\n\n@pytest.fixture(params=[True, False])\ndef flag(request):\n    return request.param\n"


@pytest.mark.parametrize(
    ("files", "nodeid", "reason_part"),
    [
        ({"tests/conftest.py": CONFTEST_PARAMS, "tests/test_a.py": "def test_x(flag):\n    assert flag in (True, False)\n"},
         "tests/test_a.py::test_x", "fixture 'flag'"),
        ({"tests/conftest.py": CONFTEST_PARAMS,
          "tests/test_a.py": "import pytest\n\n@pytest.mark.usefixtures('flag')\ndef test_x():\n    assert 1\n"},
         "tests/test_a.py::test_x", "fixture 'flag'"),
        ({"tests/test_a.py": "import pytest\n\n@pytest.fixture(autouse=True, params=[1, 2])\ndef each(request):\n"
                             "    return request.param\n\ndef test_x():\n    assert 1\n"},
         "tests/test_a.py::test_x", "fixture 'each'"),
        ({"tests/test_a.py": "import pytest\n\n@pytest.mark.anyio\nasync def test_x():\n    assert 1\n"},
         "tests/test_a.py::test_x", "'anyio_backend'"),
        ({"tests/test_a.py": "from unittest import mock\n\n@mock.patch('os.getcwd')\ndef test_x(m):\n    assert m\n"},
         "tests/test_a.py::test_x", "decorator @mock.patch"),
        ({"tests/conftest.py": "def pytest_generate_tests(metafunc):\n    pass\n",
          "tests/test_a.py": "def test_x():\n    assert 1\n"},
         "tests/test_a.py::test_x", "pytest_generate_tests"),
        ({"tests/test_a.py": "import sys\n\ndef test_x():\n    assert 1\n\nif sys.version_info >= (3, 11):\n"
                             "    def test_new():\n        assert 1\n"},
         "tests/test_a.py::test_x", "under a module-level if/try"),
        ({"tests/test_a.py": "import pytest\n\nclass TestA:\n    @pytest.fixture(params=['a', 'b'])\n"
                             "    def mode(self, request):\n        return request.param\n\n"
                             "    def test_x(self, mode):\n        assert mode\n"},
         "tests/test_a.py::TestA::test_x", "fixture 'mode'"),
    ],
    ids=["conftest-params", "usefixtures", "autouse-params", "anyio-plugin", "unknown-decorator", "hook", "conditional-def",
         "class-fixture-params"],
)
def test_undecidable_shapes_are_never_guessed(tmp_path: Path, files: dict[str, str], nodeid: str,
                                              reason_part: str) -> None:
    index = build_index(_project(tmp_path, files), use_cache=False)
    assert nodeid in index.undecidable
    assert reason_part in index.undecidable[nodeid]


def test_decidable_shapes_get_exact_ids(tmp_path: Path) -> None:
    source = (
        "import pytest\n\nCASES = pytest.mark.parametrize('n', [1, 2])\n"
        "@pytest.fixture\ndef plain(tmp_path):\n    return tmp_path\n\n"
        "@pytest.fixture(params=[10, 20])\ndef num(request):\n    return request.param\n\n"
        "@CASES\ndef test_var(n, plain):\n    assert n\n\n"
        "@pytest.mark.parametrize('num', [5, 6], indirect=True)\ndef test_ind(num):\n    assert num\n\n"
        "class TestK:\n    pytestmark = [CASES, pytest.mark.parametrize('s', ['x', pytest.param('y', id='why')])]\n"
        "    def test_m(self, n, s):\n        assert s\n"
    )
    index = build_index(_project(tmp_path, {"tests/test_a.py": source}), use_cache=False)
    assert index.undecidable == {}
    assert index.function("tests/test_a.py::test_var").params == ("1", "2")
    assert index.function("tests/test_a.py::test_ind").params == ("5", "6")
    assert index.function("tests/test_a.py::TestK::test_m").params == ("1-x", "1-why", "2-x", "2-why")  # as pytest lists them


def test_collect_ignore_and_path_norecursedirs(tmp_path: Path) -> None:
    _project(tmp_path, {
        "pytest.ini": "[pytest]\nnorecursedirs = tests/data\n",
        "tests/conftest.py": "collect_ignore = ['test_old.py']\ncollect_ignore_glob = ['*_gen.py']\n",
        "tests/test_ok.py": "def test_a():\n    assert 1\n",
        "tests/test_old.py": "def test_a():\n    assert 1\n",
        "tests/test_x_gen.py": "def test_a():\n    assert 1\n",
        "tests/data/test_fixture.py": "def test_a():\n    assert 1\n",
        "other/data/test_kept.py": "def test_a():\n    assert 1\n",
    })
    index = build_index(tmp_path, use_cache=False)
    assert set(index.files) == {"tests/test_ok.py", "other/data/test_kept.py"}
    assert "collect_ignore" in index.ignored["tests/test_old.py"]
    assert "collect_ignore_glob" in index.ignored["tests/test_x_gen.py"]


def test_computed_collect_ignore_is_undecidable(tmp_path: Path) -> None:
    _project(tmp_path, {
        "tests/conftest.py": "import sys\ncollect_ignore = []\nif sys.version_info < (3, 0):\n"
                             "    collect_ignore.append('test_a.py')\n",
        "tests/test_a.py": "def test_a():\n    assert 1\n",
    })
    index = build_index(tmp_path, use_cache=False)
    assert "depends on tests/conftest.py" in index.file_dynamic["tests/test_a.py"]


GATES = "contract_id: C-T\nversion: \"1.0.0\"\nstatus: DRAFT\nmetadata:\n  version: \"1.0.0\"\n  description: t\ngates:\n"


def _lint(root: Path, refs: list[str]) -> dict:
    body = "".join(f"  - id: GATE-T-{k:03d}\n    rule: r\n    evidence_discharged_by: {json.dumps(r)}\n"
                   for k, r in enumerate(refs))
    (root / "contracts").mkdir(exist_ok=True)
    (root / "contracts" / "t-v1.yaml").write_text(GATES + body, encoding="utf-8")
    env = dict(os.environ, PV_PYTHON=sys.executable, PYTHONPATH=str(Path(__file__).parents[3] / "src"))
    proc = subprocess.run([sys.executable, "-m", "pv", "lint", "--strict-test-binding", "--format", "json",
                           "contracts/t-v1.yaml"], cwd=root, capture_output=True, text=True, env=env, check=False)
    return json.loads(proc.stdout)


def _errors(doc: dict) -> dict[str, str]:
    return {d["data"]["reference"]: d["code"] for d in doc["diagnostics"]
            if d["severity"] == "error" and (d.get("data") or {}).get("reference")}


def test_strict_mode_collects_undecidable_files_exactly(tmp_path: Path) -> None:
    _project(tmp_path, {
        "pyproject.toml": "[tool.pytest.ini_options]\naddopts = \"-m 'not slow'\"\n",
        "tests/conftest.py": CONFTEST_PARAMS,
        "tests/test_a.py": "import pytest\n\n@pytest.mark.parametrize('c', ['red'])\ndef test_y(c, flag):\n"
                           "    assert c\n\n@pytest.mark.slow\ndef test_slow():\n    assert len('ab') == 2\n",
        "tests/test_broken.py": "import no_such_module_here\n\ndef test_z(flag):\n    assert 1\n",
    })
    doc = _lint(tmp_path, ["tests/test_a.py::test_y[True-red]", "tests/test_a.py::test_y[False-red]",
                           "tests/test_a.py::test_y[red]", "tests/test_a.py::test_y[red-True]",
                           "tests/test_a.py::test_slow", "tests/test_broken.py::test_z[True]"])
    errors = _errors(doc)
    # pytest puts the fixture's param first: [True-red] exists, [red-True] does not.
    assert "tests/test_a.py::test_y[True-red]" not in errors
    assert "tests/test_a.py::test_y[False-red]" not in errors
    assert errors["tests/test_a.py::test_y[red]"] == "PV-BIND-006"
    assert errors["tests/test_a.py::test_y[red-True]"] == "PV-BIND-006"
    assert errors["tests/test_broken.py::test_z[True]"] == "PV-BIND-026"
    broken = [d for d in doc["diagnostics"] if d["code"] == "PV-BIND-026"]
    assert "no_such_module_here" in broken[0]["message"]
    warned = {d["code"] for d in doc["diagnostics"] if "test_slow" in d["message"]}
    assert warned == {"PV-BIND-034"}  # deselected by addopts: a warning, not absence
    gate = next(g for g in doc["summary"]["gates"] if g["name"] == "test-binding")
    assert gate["counts"]["collected_files"] == 2
