"""``pv evidence record``: run a command and write an honest evidence pack.

The pack is assembled in ``evidence/.NAME.partial`` and renamed into place at
the end, so an interrupted recording never leaves a half pack that looks real.
The command's stdout and stderr are teed byte-for-byte to the terminal (live
view, progress bars included) and to files. A failing command is recorded as
failing, never dropped: its exit code goes in the manifest and the pack is
written; only a pack whose run exited 0 can discharge a falsifier (unless the
falsifier's check is on ``exit_code`` itself).
"""

from __future__ import annotations

import importlib.metadata
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pv.evidence.manifest import (
    ARTIFACTS,
    METRICS,
    NAME_RE,
    STDERR,
    STDOUT,
    Manifest,
    parse_metrics_text,
)
from pv.ledger import git_head, sha256_file

# Versions recorded when installed; read from package metadata, never imported
# (pv must not import torch).
TRACKED_PACKAGES: tuple[str, ...] = (
    "torch", "numpy", "triton", "transformers", "tokenizers", "safetensors", "gguf", "pv-trainer",
)


class RecordError(Exception):
    """The recording cannot start (bad name, existing pack, empty command)."""


@dataclass(frozen=True, slots=True)
class RecordResult:
    pack_dir: Path
    manifest: Manifest


def environment() -> dict[str, Any]:
    """Python, platform, installed versions of the tracked packages, and the GPU if any."""
    packages: dict[str, str] = {}
    for name in TRACKED_PACKAGES:
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": packages,
        "device": _device(),
    }


def _device() -> str | None:
    """The GPU name and driver from nvidia-smi when present; None on CPU-only hosts."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,driver_version", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=10, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [line.strip() for line in out.stdout.splitlines() if line.strip()]
    return "; ".join(lines) if out.returncode == 0 and lines else None


def _tee(source: IO[bytes], sink_path: Path, echo: IO[bytes] | None) -> None:
    """Copy a pipe to a file and (live) to the terminal, chunk by chunk."""
    with sink_path.open("wb") as sink:
        while True:
            chunk = source.read1(65536) if hasattr(source, "read1") else source.read(65536)
            if not chunk:
                break
            sink.write(chunk)
            if echo is not None:
                try:
                    echo.write(chunk)
                    echo.flush()
                except (OSError, ValueError):
                    echo = None  # terminal went away; keep recording to the file


def _binary(stream: Any) -> IO[bytes] | None:
    """The byte stream under a text stream (None when replaced by one without, e.g. in tests)."""
    return getattr(stream, "buffer", None)


def _run(argv: Sequence[str], cwd: Path, work: Path, echo: bool) -> tuple[int, float, list[str]]:
    notes: list[str] = []
    start = time.monotonic()
    try:
        proc = subprocess.Popen(list(argv), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except (FileNotFoundError, PermissionError, OSError) as exc:
        (work / STDOUT).write_bytes(b"")
        (work / STDERR).write_bytes(f"pv evidence record: cannot start {argv[0]!r}: {exc}\n".encode())
        notes.append(f"command could not start: {exc}")
        return 127, time.monotonic() - start, notes
    assert proc.stdout is not None and proc.stderr is not None
    threads = [
        threading.Thread(target=_tee, args=(proc.stdout, work / STDOUT, _binary(sys.stdout) if echo else None)),
        threading.Thread(target=_tee, args=(proc.stderr, work / STDERR, _binary(sys.stderr) if echo else None)),
    ]
    for thread in threads:
        thread.start()
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        code = proc.wait()
        notes.append("interrupted by the user (Ctrl-C)")
    for thread in threads:
        thread.join()
    return code, time.monotonic() - start, notes


def _snapshot(path: Path) -> tuple[float, str] | None:
    return (path.stat().st_mtime, sha256_file(path)) if path.is_file() else None


def record(
    *,
    name: str,
    falsifiers: Sequence[str],
    command: Sequence[str],
    root: Path,
    evidence_dir: Path,
    metrics_file: Path | None = None,
    artifacts: Sequence[Path] = (),
    echo: bool = True,
    force: bool = False,
) -> RecordResult:
    """Run ``command`` in the current directory and write ``evidence_dir/name``.

    ``metrics_file`` and ``artifacts`` are relative to the current directory;
    ``root`` is the project root whose git commit is recorded.
    """
    if not NAME_RE.match(name):
        raise RecordError(f"pack name {name!r} is not allowed; use letters, digits, '.', '_' and '-' (max 128)")
    if not falsifiers:
        raise RecordError("name at least one falsifier the run is evidence for (--falsifier FALSIFY-...)")
    if not command:
        raise RecordError("no command given; put it after `--`: pv evidence record ... -- python train.py")
    pack_dir = evidence_dir / name
    if pack_dir.exists() and not force:
        raise RecordError(f"{pack_dir} already exists; evidence is not overwritten (pick a new --name or pass --force)")
    work = evidence_dir / f".{name}.partial"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    cwd = Path.cwd()
    metrics_abs = (cwd / metrics_file) if metrics_file is not None and not metrics_file.is_absolute() else metrics_file
    before = _snapshot(metrics_abs) if metrics_abs is not None else None
    commit, dirty = git_head(root)
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    exit_code, duration, notes = _run(command, cwd, work, echo)
    if commit is None:
        notes.append(f"{root} has no git commit, so this pack cannot be anchored in history (PV-EVID-013)")

    metrics, metrics_source = _capture_metrics(command, metrics_file, metrics_abs, before, work, notes)
    _copy_artifacts(artifacts, cwd, work, notes)

    files = {
        p.relative_to(work).as_posix(): sha256_file(p) for p in sorted(work.rglob("*")) if p.is_file()
    }
    try:
        cwd_rel = cwd.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        cwd_rel = str(cwd)  # recorded outside the project: say where
    manifest = Manifest(
        name=name, created=created, argv=list(command), cwd=cwd_rel, exit_code=exit_code,
        duration_s=round(duration, 3), commit=commit, dirty=dirty, environment=environment(),
        falsifiers=list(dict.fromkeys(falsifiers)), metrics=metrics, metrics_source=metrics_source,
        files=files, notes=notes,
    )
    manifest.write(work)
    if pack_dir.exists():
        shutil.rmtree(pack_dir)
    work.rename(pack_dir)
    return RecordResult(pack_dir, manifest)


def _capture_metrics(command: Sequence[str], metrics_file: Path | None, metrics_abs: Path | None,
                     before: tuple[float, str] | None, work: Path, notes: list[str]) -> tuple[dict[str, Any], str | None]:
    """(metrics, the pack file they were read from): the --metrics file the command rewrote, else stdout.

    A metrics file the command did not write or did not change is a note, never old numbers.
    """
    metrics: dict[str, Any] = {}
    metrics_source: str | None = None
    if metrics_abs is not None:
        after = _snapshot(metrics_abs)
        if after is None:
            notes.append(f"metrics file {metrics_file} was not written by the command")
        elif before is not None and after == before:
            notes.append(f"metrics file {metrics_file} was not rewritten by the command; its old content is not used")
        else:
            shutil.copyfile(metrics_abs, work / METRICS)
            parsed = parse_metrics_text((work / METRICS).read_text(encoding="utf-8", errors="replace"))
            if parsed is None:
                notes.append(f"metrics file {metrics_file} is not a JSON object")
            else:
                metrics, metrics_source = parsed, METRICS
    else:
        parsed = parse_metrics_text((work / STDOUT).read_text(encoding="utf-8", errors="replace"))
        if parsed is not None:
            metrics, metrics_source = parsed, STDOUT
        elif "--json" in command:
            notes.append("the command was run with --json but printed no JSON object on stdout")
    return metrics, metrics_source


def _copy_artifacts(artifacts: Sequence[Path], cwd: Path, work: Path, notes: list[str]) -> None:
    """Copy each artifact into the pack (links not followed); a missing or clashing one is a note."""
    for art in artifacts:
        src = art if art.is_absolute() else cwd / art
        dest = work / ARTIFACTS / src.name
        if not src.exists():
            notes.append(f"artifact {art} was not produced by the command")
            continue
        if dest.exists():
            notes.append(f"artifact {art}: another artifact is already named {src.name}; not copied")
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dest, symlinks=False)
        else:
            shutil.copyfile(src, dest)
