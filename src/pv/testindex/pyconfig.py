"""The slice of a project's pytest configuration that decides what pytest collects.

The static index must agree with pytest about which files, classes and
functions are tests, so it reads the same settings from the same places, in
pytest's own order of precedence: ``pytest.ini``, ``.pytest.ini``,
``pyproject.toml`` (``[tool.pytest.ini_options]`` or pytest 9's native
``[tool.pytest]``), ``tox.ini`` (``[pytest]``), ``setup.cfg`` (``[tool:pytest]``).
The first file that carries a pytest section wins, exactly as in pytest; a
project with none gets pytest's defaults.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

DEFAULT_PYTHON_FILES = ("test_*.py", "*_test.py")
DEFAULT_PYTHON_CLASSES = ("Test",)
DEFAULT_PYTHON_FUNCTIONS = ("test",)
DEFAULT_NORECURSEDIRS = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}")


class PytestConfigError(ValueError):
    """A pytest configuration file pv cannot read (names the file and the fix)."""


@dataclass(frozen=True, slots=True)
class PytestConfig:
    """What pytest would use to collect, plus where it came from (for messages)."""

    rootdir: Path
    source: str = "pytest defaults"  # e.g. "pyproject.toml [tool.pytest.ini_options]"
    testpaths: tuple[str, ...] = ()
    python_files: tuple[str, ...] = DEFAULT_PYTHON_FILES
    python_classes: tuple[str, ...] = DEFAULT_PYTHON_CLASSES
    python_functions: tuple[str, ...] = DEFAULT_PYTHON_FUNCTIONS
    norecursedirs: tuple[str, ...] = DEFAULT_NORECURSEDIRS
    long_str_strategy: str = "short"  # parametrize_long_str_id_strategy
    disable_id_escaping: bool = False
    addopts: tuple[str, ...] = ()  # shell-split; -m/-k here deselect (binding warns), doctest flags add items
    extra: dict[str, str] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """Stable key of everything that changes what the index contains (for the cache)."""
        data = asdict(self)
        data["rootdir"] = str(self.rootdir)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _split(value: object) -> tuple[str, ...]:
    """ini ``args``/``linelist`` values: whitespace-separated in ini files, lists in TOML."""
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    if isinstance(value, str):
        return tuple(value.split())
    return (str(value),)


def _addopts(value: object) -> tuple[str, ...]:
    import shlex

    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    try:
        return tuple(shlex.split(str(value)))
    except ValueError:
        return tuple(str(value).split())


def option_values(addopts: tuple[str, ...], *names: str) -> list[str]:
    """Values of an option in addopts (``-m EXPR``, ``-mEXPR``, ``--doctest-glob=PAT``), last one last."""
    out: list[str] = []
    it = iter(range(len(addopts)))
    for i in it:
        word = addopts[i]
        for name in names:
            if word == name and i + 1 < len(addopts):
                out.append(addopts[i + 1])
                next(it, None)
            elif name.startswith("--") and word.startswith(name + "="):
                out.append(word[len(name) + 1:])
            elif not name.startswith("--") and word.startswith(name) and len(word) > len(name):
                out.append(word[len(name):])
    return out


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _from_mapping(rootdir: Path, source: str, section: dict[str, object]) -> PytestConfig:
    def get(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        return _split(section[key]) if key in section else default

    return PytestConfig(
        rootdir=rootdir,
        source=source,
        testpaths=get("testpaths", ()),
        python_files=get("python_files", DEFAULT_PYTHON_FILES),
        python_classes=get("python_classes", DEFAULT_PYTHON_CLASSES),
        python_functions=get("python_functions", DEFAULT_PYTHON_FUNCTIONS),
        norecursedirs=get("norecursedirs", DEFAULT_NORECURSEDIRS),
        addopts=_addopts(section.get("addopts")),
        long_str_strategy=str(section.get("parametrize_long_str_id_strategy", "short")).strip(),
        disable_id_escaping=_truthy(
            section.get("disable_test_id_escaping_and_forfeit_all_rights_to_community_support", False)
        ),
    )


def _read_ini(path: Path, section: str) -> dict[str, object] | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (configparser.Error, UnicodeDecodeError) as exc:
        detail = " ".join(str(exc).split())  # configparser messages span lines; findings are one line
        raise PytestConfigError(f"{path}: cannot read pytest settings: {detail}; fix the file") from None
    if not parser.has_section(section):
        return None
    return dict(parser.items(section))


def load_pytest_config(rootdir: Path) -> PytestConfig:
    """Read the pytest settings in ``rootdir`` the way pytest picks its inifile there."""
    rootdir = rootdir.resolve()
    for name in ("pytest.ini", ".pytest.ini"):
        path = rootdir / name
        if path.is_file():  # pytest.ini wins even without a [pytest] section
            return _from_mapping(rootdir, f"{name} [pytest]", _read_ini(path, "pytest") or {})
    pyproject = rootdir / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise PytestConfigError(f"{pyproject}: not valid TOML: {exc}; fix the file") from None
        tool = data.get("tool", {}).get("pytest")
        if isinstance(tool, dict):
            ini_options = tool.get("ini_options")
            if isinstance(ini_options, dict):
                return _from_mapping(rootdir, "pyproject.toml [tool.pytest.ini_options]", ini_options)
            native = {k: v for k, v in tool.items() if not isinstance(v, dict)}
            return _from_mapping(rootdir, "pyproject.toml [tool.pytest]", native)
    tox = rootdir / "tox.ini"
    if tox.is_file():
        section = _read_ini(tox, "pytest")
        if section is not None:
            return _from_mapping(rootdir, "tox.ini [pytest]", section)
    setup_cfg = rootdir / "setup.cfg"
    if setup_cfg.is_file():
        section = _read_ini(setup_cfg, "tool:pytest")
        if section is not None:
            return _from_mapping(rootdir, "setup.cfg [tool:pytest]", section)
    return PytestConfig(rootdir=rootdir)
