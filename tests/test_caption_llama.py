"""The llama.cpp vision path as far as a tiny model allows: mmproj pairing, checks, handler choice, errors."""

from __future__ import annotations

import re
from pathlib import Path

import gguf
import numpy as np
import pytest

from engines.caption.llama_vision import (
    LlamaVisionCaptioner,
    check_pair,
    choose_handler,
    find_mmproj,
    prompt_for,
    read_projector,
)
from engines.caption.types import CaptionOptions, CaptionStyle
from engines.errors import InvalidModelFileError, ModelLoadError
from engines.gguf.info import read_gguf
from engines.llama.native import llama_cpp_module
from tests_support import run_cli

TINY_EMBD = 64  # tiny_gguf's embedding length


def write_mmproj(path: Path, *, out_dim: int = TINY_EMBD, projector: str = "mlp", vision: bool = True) -> Path:
    """A small clip-architecture GGUF shaped like a LLaVA projector (not loadable as a real encoder)."""
    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_string("clip.projector_type", projector)
    writer.add_bool("clip.has_vision_encoder", vision)
    writer.add_bool("clip.has_text_encoder", False)
    writer.add_uint32("clip.vision.image_size", 32)
    writer.add_uint32("clip.vision.patch_size", 8)
    writer.add_uint32("clip.vision.embedding_length", 16)
    writer.add_uint32("clip.vision.projection_dim", 16)
    rng = np.random.default_rng(0)
    writer.add_tensor("v.patch_embd.weight", rng.standard_normal((16, 3, 8, 8)).astype(np.float32))
    writer.add_tensor("mm.0.weight", rng.standard_normal((32, 16)).astype(np.float32))
    writer.add_tensor("mm.2.weight", rng.standard_normal((out_dim, 32)).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture()
def model_dir(tmp_path: Path, tiny_gguf: Path) -> Path:
    folder = tmp_path / "vlm"
    folder.mkdir()
    (folder / "tiny-vlm.gguf").symlink_to(tiny_gguf)
    return folder


def test_find_mmproj_beside_the_model(model_dir: Path) -> None:
    model = model_dir / "tiny-vlm.gguf"
    with pytest.raises(InvalidModelFileError, match="no vision projector"):
        find_mmproj(model)
    one = write_mmproj(model_dir / "mmproj-tiny-vlm-f16.gguf")
    assert find_mmproj(model) == one
    write_mmproj(model_dir / "mmproj-other-model.gguf")
    assert find_mmproj(model) == one  # the one sharing the model's name wins
    write_mmproj(model_dir / "tiny-vlm-mmproj.gguf")
    with pytest.raises(InvalidModelFileError, match="several projectors"):
        find_mmproj(model)


def test_store_companion_wins_and_a_missing_one_is_reported(model_dir: Path, tmp_path: Path) -> None:
    model = model_dir / "tiny-vlm.gguf"
    elsewhere = write_mmproj(tmp_path / "projector.gguf")
    write_mmproj(model_dir / "mmproj-tiny-vlm.gguf")
    assert find_mmproj(model, {"mmproj": str(elsewhere)}) == elsewhere
    with pytest.raises(InvalidModelFileError, match="recorded vision projector"):
        find_mmproj(model, {"mmproj": str(tmp_path / "gone.gguf")})


def test_pairing_checks(model_dir: Path, tiny_gguf: Path) -> None:
    model = read_gguf(tiny_gguf)
    good = read_projector(write_mmproj(model_dir / "good.gguf"))
    assert good.projector_type == "mlp" and TINY_EMBD in good.output_dims
    check_pair(model, good)
    wide = read_projector(write_mmproj(model_dir / "wide.gguf", out_dim=96))
    with pytest.raises(InvalidModelFileError, match="96-wide embeddings but the model's embedding length is 64"):
        check_pair(model, wide)
    audio = read_projector(write_mmproj(model_dir / "audio.gguf", vision=False))
    with pytest.raises(InvalidModelFileError, match="no vision encoder"):
        check_pair(model, audio)
    with pytest.raises(InvalidModelFileError, match="not a vision projector"):
        read_projector(tiny_gguf)


def test_handler_choice(model_dir: Path, tiny_gguf: Path, tiny_base_gguf: Path) -> None:
    available = {n for n in dir(llama_cpp_module().llama_chat_format) if n.endswith("ChatHandler")}
    assert {"Llava15ChatHandler", "MoondreamChatHandler", "Qwen25VLChatHandler"} <= available
    with_template = read_gguf(tiny_gguf)
    base = read_gguf(tiny_base_gguf)
    mlp = read_projector(write_mmproj(model_dir / "mlp.gguf"))
    qwen = read_projector(write_mmproj(model_dir / "qwen.gguf", projector="qwen2.5vl_merger"))
    resampler = read_projector(write_mmproj(model_dir / "minicpm.gguf", projector="resampler"))
    gemma = read_projector(write_mmproj(model_dir / "gemma.gguf", projector="gemma3"))
    expected_generic = "MTMDChatHandler" if "MTMDChatHandler" in available else "Llava15ChatHandler"
    assert choose_handler(with_template, mlp, available) == expected_generic
    assert choose_handler(base, mlp, available) == "Llava15ChatHandler"
    assert choose_handler(base, qwen, available) == "Qwen25VLChatHandler"
    assert choose_handler(base, resampler, available) == "MiniCPMv26ChatHandler"
    with pytest.raises(InvalidModelFileError, match="no chat template"):
        choose_handler(base, gemma, available)
    moondream = read_gguf(tiny_base_gguf).__class__(**{**base.__dict__, "name": "moondream2 text model"})
    assert choose_handler(moondream, mlp, available) == "MoondreamChatHandler"
    assert choose_handler(base, mlp, {"Llava15ChatHandler"}) == "Llava15ChatHandler"


def test_prompts_for_styles_and_questions() -> None:
    assert prompt_for(CaptionOptions(style=CaptionStyle.alt)).startswith("Write alt text")
    assert "detail" in prompt_for(CaptionOptions(style=CaptionStyle.detailed))
    assert prompt_for(CaptionOptions(prompt="  How many cats?  ")) == "How many cats?"


def test_load_refuses_a_mismatched_projector_before_llama_cpp(model_dir: Path) -> None:
    model = model_dir / "tiny-vlm.gguf"
    wide = write_mmproj(model_dir / "mmproj-wide.gguf", out_dim=128)
    with pytest.raises(InvalidModelFileError, match="use the mmproj file released with this model"):
        LlamaVisionCaptioner.load(model, wide, threads=1)
    with pytest.raises(InvalidModelFileError, match="is a vision projector"):
        LlamaVisionCaptioner.load(wide, wide, threads=1)


def test_llama_cpp_failure_becomes_a_clear_error(model_dir: Path) -> None:
    """The fake projector passes Candeia's checks but is no real CLIP encoder: llama.cpp refuses it."""
    model = model_dir / "tiny-vlm.gguf"
    projector = write_mmproj(model_dir / "mmproj-tiny-vlm.gguf")
    expected = re.escape("could not load the vision projector mmproj-tiny-vlm.gguf for tiny-vlm.gguf")
    with pytest.raises(ModelLoadError, match=expected):
        captioner = LlamaVisionCaptioner.load(model, projector, threads=1, context_size=512)
        captioner.close()


def test_cli_reports_a_missing_projector(model_dir: Path, tmp_path: Path) -> None:
    image = tmp_path / "x.png"
    from PIL import Image

    Image.new("RGB", (8, 8)).save(image)
    proc = run_cli("caption", "-m", str(model_dir / "tiny-vlm.gguf"), str(image), "--style", "alt")
    assert proc.returncode == 1
    assert "has no vision projector" in proc.stderr and "--mmproj" in proc.stderr
    wrong = write_mmproj(tmp_path / "wrong.gguf", out_dim=32)
    proc = run_cli("caption", "-m", str(model_dir / "tiny-vlm.gguf"), str(image), "--mmproj", str(wrong))
    assert proc.returncode == 1 and "32-wide embeddings" in proc.stderr


def test_vision_models_load_in_an_engine_host(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Model and projector load in a child process: llama.cpp's refusal comes back as the same clear error,
    and a crash while loading them is a message, retried once with safe settings, never the app's end."""
    from engines.caption.hosted import HostedVisionCaptioner
    from engines.host.faults import ENV as FAULT_ENV

    model = model_dir / "tiny-vlm.gguf"
    projector = write_mmproj(model_dir / "mmproj-tiny-vlm.gguf")
    expected = re.escape("could not load the vision projector mmproj-tiny-vlm.gguf for tiny-vlm.gguf")
    with pytest.raises(ModelLoadError, match=expected):
        HostedVisionCaptioner.load(model, projector, threads=1, context_size=512).close()
    monkeypatch.setenv(FAULT_ENV, "crash:load")
    with pytest.raises(InvalidModelFileError, match=r"crashes llama\.cpp while loading \(SIGSEGV\)"):
        HostedVisionCaptioner.load(model, projector, threads=1, context_size=512).close()
