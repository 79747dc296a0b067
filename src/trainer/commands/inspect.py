"""`apr inspect FILE`: format, architecture, metadata and the tensor table of any checkpoint.

Reads only headers and indexes (no tensor is loaded), through the same
validating readers as `--init`. A file whose layout is broken gets the
init path's error (exit 3); a readable file whose architecture cannot be
extracted is still shown, with the extraction error, and exits 3.
"""

from __future__ import annotations

import argparse

HELP = "show a checkpoint's format, architecture, metadata and tensor table (APR, GGUF, HF dir)"
_LONG = 120


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help=".apr file, .gguf file, or a HF dir (config.json + model.safetensors)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-tensors", action="store_true", help="omit the tensor table")


def _short(value: object) -> object:
    """Long arrays and strings (vocabularies, chat templates) are summarised, not dumped."""
    if isinstance(value, list) and len(value) > 8:
        return f"[{len(value)} items]"
    if isinstance(value, str) and len(value) > _LONG:
        return value[:_LONG] + f"... ({len(value)} chars)"
    if isinstance(value, dict) and len(str(value)) > _LONG:
        return f"{{{len(value)} keys}}"
    return value


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)]}


def _safe(value: object) -> str:
    """File-derived text for the terminal: control characters escaped (a key holding ESC sequences
    must not redraw the screen) and rich markup escaped (``[/bold]`` in a value was a MarkupError)."""
    from rich.markup import escape

    return escape(str(value).translate(_CONTROL))


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from trainer.checkpoint.init import inspect_init, open_checkpoint
    from trainer.checkpoint.init_errors import InitError

    reader = open_checkpoint(args.file)  # layout errors propagate (exit 3)
    arch: dict[str, object] | None = None
    error: InitError | None = None
    ignored: list[tuple[str, str]] = []
    try:
        spec = inspect_init(args.file)
        arch = spec.config.to_dict()
        arch["family_tensors"] = spec.family_tensors
        ignored = spec.ignored
    except InitError as exc:
        error = exc
    tensors = list(reader.tensors.values())
    meta = {k: _short(v) for k, v in reader.metadata.items()}
    if args.json:
        out = {
            "path": str(reader.path),
            "format": reader.format,
            "architecture": arch,
            "error": str(error) if error else None,
            "metadata": meta,
            "ignored": [list(x) for x in ignored],
            "tensor_count": len(tensors),
            "tensors": [] if args.no_tensors else [
                {"name": t.name, "stored_name": t.stored_name, "shape": list(t.shape), "dtype": t.dtype, "bytes": t.nbytes}
                for t in tensors
            ],
        }
        sys.stdout.write(json.dumps(out, default=str) + "\n")
        return error.exit_code if error else 0

    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=False)
    console.print(f"[bold]{_safe(reader.path)}[/bold]  format: {reader.format}  tensors: {len(tensors)}")
    if arch is not None:
        t = Table(title="Architecture", show_header=False)
        for k, v in arch.items():
            t.add_row(_safe(k), _safe(v))
        console.print(t)
    if error is not None:
        console.print(f"[red]architecture: {_safe(error)}[/red]")
    m = Table(title="Metadata", show_header=True)
    m.add_column("key")
    m.add_column("value", overflow="fold")
    for k, v in meta.items():
        m.add_row(_safe(k), _safe(v))
    console.print(m)
    for name, why in ignored:
        console.print(f"ignored by --init: {_safe(name)} ({_safe(why)})")
    if not args.no_tensors:
        tt = Table(title="Tensors")
        for col in ("name", "shape", "dtype", "bytes"):
            tt.add_column(col, justify="right" if col == "bytes" else "left")
        for ti in tensors:
            tt.add_row(_safe(ti.name), str(list(ti.shape)), _safe(ti.dtype), f"{ti.nbytes:,}")
        console.print(tt)
    return error.exit_code if error else 0
