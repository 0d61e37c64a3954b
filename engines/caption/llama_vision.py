"""Caption with a GGUF vision-language model and its mmproj through llama-cpp-python's chat handlers.

The projector (mmproj) is paired with the model before llama.cpp sees either file: from the
store's companions, or beside the model. Both files are validated, and a projector whose output
width does not match the model's embedding length is refused with a clear sentence instead of
llama.cpp's abort. The chat handler follows the model: the model's own chat template through
the generic MTMD handler when it has one, else the handler its family needs (moondream, LLaVA
1.5/1.6, Qwen2.5-VL, MiniCPM-V). Like the chat engine, everything native runs on the model's
owner thread.
"""

from __future__ import annotations

import base64
import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from engines.caption.types import CaptionOptions, CaptionStyle
from engines.errors import EngineClosedError, GenerationError, InvalidModelFileError, ModelLoadError
from engines.gguf.info import HEADER_SIZE, GGUFInfo, read_gguf, require_model
from engines.gguf.parse import ParseError, parse_gguf
from engines.jobs import CancelToken
from engines.llama import load_params
from engines.llama.native import close_llama, llama_cpp_module
from engines.llama.owner import OwnerThread

STYLE_PROMPTS = {
    CaptionStyle.short: "Describe this image in one short sentence.",
    CaptionStyle.detailed: (
        "Describe this image in detail: the main subject, the setting, colours, any visible text, "
        "and anything unusual."
    ),
    CaptionStyle.alt: (
        "Write alt text for this image for someone using a screen reader: one or two plain sentences, "
        "without starting with 'Image of' or 'Picture of'."
    ),
}
STYLE_MAX_TOKENS = {CaptionStyle.short: 48, CaptionStyle.detailed: 320, CaptionStyle.alt: 96}

# Tensors whose shape holds the projector's output width (the text model's embedding length).
_PROJECTION_TENSORS = (
    "mm.2.weight",  # LLaVA MLP, Qwen2-VL / Qwen2.5-VL merger
    "mm.model.fc.weight",  # Idefics3 / SmolVLM
    "mm.input_projection.weight",  # Gemma 3
    "mm.model.mlp.3.weight",  # LDP (MobileVLM)
    "resampler.proj.weight",  # MiniCPM-V
    "mm.1.weight",
)


@dataclass(frozen=True)
class ProjectorInfo:
    info: GGUFInfo
    projector_type: str | None
    has_vision: bool
    output_dims: tuple[int, ...]  # shape of the projector's last layer; () when its layout is unknown


def read_projector(path: Path) -> ProjectorInfo:
    info = read_gguf(path)
    if not info.is_companion:
        raise InvalidModelFileError(
            path, f"is a '{info.architecture}' model, not a vision projector (mmproj); pick the mmproj-*.gguf file"
        )
    try:
        parsed = parse_gguf(path, HEADER_SIZE, info.tensor_count, info.kv_count)
    except (ParseError, OSError, ValueError) as exc:  # pragma: no cover - read_gguf parsed it already
        raise InvalidModelFileError(path, f"cannot be parsed ({exc})") from None
    fields = parsed.fields
    projector = fields.get("clip.projector_type") or fields.get("clip.vision.projector_type")
    has_vision = fields.get("clip.has_vision_encoder")
    if has_vision is None:
        has_vision = any(t.name.startswith("v.") for t in parsed.tensors)
    shapes = {t.name: t.shape for t in parsed.tensors}
    dims = next((tuple(shapes[n]) for n in _PROJECTION_TENSORS if n in shapes), ())
    return ProjectorInfo(info, projector if isinstance(projector, str) else None, bool(has_vision), dims)


def check_pair(model: GGUFInfo, projector: ProjectorInfo) -> None:
    """Refuse a projector that cannot belong to `model`, before llama.cpp loads either."""
    path = projector.info.path
    if not projector.has_vision:
        raise InvalidModelFileError(path, "has no vision encoder (it may be an audio-only projector)")
    dims = projector.output_dims
    if dims and model.embedding_length is not None and model.embedding_length not in dims:
        raise InvalidModelFileError(
            path,
            f"does not match {model.path.name}: the projector produces {dims[-1]}-wide embeddings but the model's "
            f"embedding length is {model.embedding_length} (use the mmproj file released with this model)",
        )


def find_mmproj(model_path: Path, companions: dict[str, str] | None = None) -> Path:
    """The store's recorded companion, else the one mmproj-like GGUF beside the model."""
    recorded = (companions or {}).get("mmproj")
    if recorded:
        path = Path(recorded)
        if not path.is_file():
            raise InvalidModelFileError(path, f"is the recorded vision projector of {model_path.name} but is missing")
        return path
    folder = model_path.parent
    candidates = sorted(
        p for p in folder.glob("*.gguf")
        if p != model_path and p.is_file() and ("mmproj" in p.name.lower() or "projector" in p.name.lower())
    )
    if not candidates:
        raise InvalidModelFileError(
            model_path,
            "has no vision projector: put its mmproj-*.gguf file in the same folder or pass --mmproj FILE",
        )
    if len(candidates) == 1:
        return candidates[0]
    stem = model_path.stem.lower()

    def shared(p: Path) -> int:
        name = p.stem.lower().replace("mmproj", "").strip("-_.")
        count = 0
        for a, b in zip(stem, name, strict=False):
            if a != b:
                break
            count += 1
        return count

    ranked = sorted(candidates, key=shared, reverse=True)
    if shared(ranked[0]) == shared(ranked[1]):
        names = ", ".join(p.name for p in candidates[:4])
        raise InvalidModelFileError(model_path, f"has several projectors beside it ({names}); pass --mmproj FILE")
    return ranked[0]


def choose_handler(model: GGUFInfo, projector: ProjectorInfo, available: set[str]) -> str:
    """The llama_cpp.llama_chat_format handler class name for this model + projector pair."""
    name = f"{model.name or ''} {model.path.name}".lower()
    kind = (projector.projector_type or "").lower()

    def pick(*options: str) -> str | None:
        return next((o for o in options if o in available), None)

    choice: str | None = None
    if "moondream" in name:
        choice = pick("MoondreamChatHandler")
    elif model.chat_template is not None:
        choice = pick("MTMDChatHandler")  # the model's own template, media marker and all
    if choice is None and (kind.startswith("qwen2") or model.architecture.startswith("qwen2vl")):
        choice = pick("Qwen25VLChatHandler")
    if choice is None and (kind == "resampler" or "minicpm" in name):
        choice = pick("MiniCPMv26ChatHandler")
    if choice is None and ("llava" in name and any(t in name for t in ("1.6", "v1.6", "next"))):
        choice = pick("Llava16ChatHandler")
    if choice is None and kind in ("gemma3", "idefics3", "gemma4") and model.chat_template is None:
        raise InvalidModelFileError(
            model.path, f"has no chat template, which its '{kind}' projector needs in this llama-cpp-python"
        )
    choice = choice or pick("Llava15ChatHandler")
    if choice is None:
        raise ModelLoadError("the installed llama-cpp-python has no multimodal chat handler")
    return choice


def image_data_uri(image: Image.Image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def prompt_for(options: CaptionOptions) -> str:
    return options.prompt.strip() if options.prompt and options.prompt.strip() else STYLE_PROMPTS[options.style]


class VisionChatTraits:
    """What a GGUF vision-language captioner says about itself, in-process or in an engine host."""

    info: GGUFInfo

    @property
    def name(self) -> str:
        return self.info.name or self.info.path.name

    @property
    def preferred_batch_size(self) -> int:
        return 1

    @property
    def supports_prompts(self) -> bool:
        return True


class LlamaVisionCaptioner(VisionChatTraits):
    """A loaded GGUF vision-language model; all calls run on its owner thread."""

    def __init__(self, model: GGUFInfo, projector: ProjectorInfo, handler: str, *, threads: int | None,
                 gpu_layers: int, context_size: int, extra_buffers: bool = True) -> None:
        self.info = model
        self.projector = projector
        self.handler_name = handler
        self._owner = OwnerThread(name=f"llama-vision:{model.path.name}")
        started = time.perf_counter()
        try:
            self._llm = self._owner.call(lambda: self._load(threads, gpu_layers, context_size, extra_buffers))
        except BaseException:
            self._owner.shutdown()
            raise
        self.load_ms = (time.perf_counter() - started) * 1000.0

    @classmethod
    def load(cls, model_path: Path, mmproj: Path, *, threads: int | None = None, gpu_layers: int = 0,
             context_size: int = 4096, extra_buffers: bool = True) -> LlamaVisionCaptioner:
        model = require_model(read_gguf(model_path), hint="; pass the language model with -m")
        projector = read_projector(Path(mmproj))
        check_pair(model, projector)
        llama_chat_format = llama_cpp_module().llama_chat_format
        available = {n for n in dir(llama_chat_format) if n.endswith("ChatHandler")}
        handler = choose_handler(model, projector, available)
        trained = model.context_length or context_size
        return cls(model, projector, handler, threads=threads, gpu_layers=gpu_layers,
                   context_size=max(512, min(context_size, trained)), extra_buffers=extra_buffers)

    def _load(self, threads: int | None, gpu_layers: int, context_size: int, extra_buffers: bool) -> Any:
        llama_cpp = llama_cpp_module()
        handler_cls = getattr(llama_cpp.llama_chat_format, self.handler_name)
        try:
            handler = handler_cls(clip_model_path=str(self.projector.info.path), verbose=False)
            with load_params.overriding(llama_cpp, use_extra_bufts=extra_buffers):
                llm = llama_cpp.Llama(
                    model_path=str(self.info.path),
                    chat_handler=handler,
                    n_ctx=context_size,
                    n_threads=threads,
                    n_threads_batch=threads,
                    n_gpu_layers=gpu_layers,
                    verbose=False,
                )
        except Exception as exc:
            raise ModelLoadError(
                f"llama.cpp could not load {self.info.path.name} with {self.projector.info.path.name}: {exc}"
            ) from exc
        init = getattr(handler, "_init_mtmd_context", None)
        if init is not None:  # load the projector now, so a bad one fails here rather than on the first image
            try:
                init(llm)
            except Exception as exc:
                llm.close()
                raise ModelLoadError(
                    f"llama.cpp could not load the vision projector {self.projector.info.path.name} "
                    f"for {self.info.path.name}: {exc}"
                ) from exc
        return llm

    @property
    def closed(self) -> bool:
        return not self._owner.alive

    def caption_images(self, images: list[Image.Image], options: CaptionOptions | None = None,
                       cancel: CancelToken | None = None) -> list[str]:
        options = options or CaptionOptions()
        cancel = cancel or CancelToken()
        out: list[str] = []
        for image in images:
            cancel.raise_if_cancelled()
            uri = image_data_uri(image)

            def job(uri: str = uri) -> str:
                return self._describe(uri, options, cancel)

            out.append(self._owner.call(job))
        return out

    def caption_uri(self, uri: str, options: CaptionOptions, cancel: CancelToken) -> str:
        """Caption one image given as a data URI (what an engine host receives from its client)."""
        return self._owner.call(lambda: self._describe(uri, options, cancel))

    def probe(self, tokens: list[int], generate: int) -> None:
        """Decode `tokens` in one batch and generate a few tokens: the engine host's first-load check."""

        def run() -> None:
            llm = self._llm
            if llm is None:
                raise EngineClosedError("the model has been unloaded")
            llm.reset()
            llm.eval(tokens)
            for _ in range(generate):
                llm.eval([llm.sample(temp=0.0)])
            llm.reset()

        self._owner.call(run)

    def tokenize(self, text: str) -> list[int]:
        return self._owner.call(lambda: list(self._llm.tokenize(text.encode("utf-8"), True, False)))

    def _describe(self, uri: str, options: CaptionOptions, cancel: CancelToken) -> str:
        llm = self._llm
        if llm is None:
            raise EngineClosedError("the model has been unloaded")
        messages = [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": uri}},
            {"type": "text", "text": prompt_for(options)},
        ]}]
        limit = options.max_new_tokens or STYLE_MAX_TOKENS[options.style]
        pieces: list[str] = []
        try:
            for chunk in llm.create_chat_completion(messages=messages, max_tokens=limit, temperature=0.0,
                                                    stream=True):
                delta = chunk["choices"][0].get("delta", {}).get("content")
                if delta:
                    pieces.append(delta)
                if cancel.cancelled:
                    break
        except Exception as exc:
            raise GenerationError(f"the vision model failed on this image ({exc})") from exc
        cancel.raise_if_cancelled()
        return " ".join("".join(pieces).split())

    def close(self) -> None:
        if self.closed:
            return

        def _free() -> None:
            llm, self._llm = self._llm, None
            close_llama(llm)

        self._owner.shutdown(final=_free)

    def __enter__(self) -> LlamaVisionCaptioner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
