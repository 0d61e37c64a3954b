"""A GGUF vision-language captioner that runs in an engine host (model and mmproj in one process).

Both files are validated and paired here, in the app, before any native code sees them; the
host loads them, and on the first load of the pair decodes a batch to check it runs (repair.py).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from PIL import Image

from engines.caption.llama_vision import VisionChatTraits, check_pair, choose_handler, image_data_uri, read_projector
from engines.caption.types import CaptionOptions
from engines.errors import EngineClosedError, EngineCrashedError
from engines.gguf.info import GGUFInfo, read_gguf, require_model
from engines.host import spare
from engines.host.process import EngineClosed, result_of
from engines.host.repair import Repair, load_with_repair
from engines.jobs import CancelToken
from engines.llama.engine import LoadOptions

# llama-cpp-python's multimodal handlers, by the names choose_handler picks from (checked in the host)
_HANDLERS = {"MTMDChatHandler", "MoondreamChatHandler", "Qwen25VLChatHandler", "MiniCPMv26ChatHandler",
             "Llava16ChatHandler", "Llava15ChatHandler"}


class HostedVisionCaptioner(VisionChatTraits):
    def __init__(self, info: GGUFInfo, mmproj: Path, options: LoadOptions, *, probe: bool) -> None:
        self.info = info
        self.options = options
        started = time.perf_counter()
        self._host, loaded = spare.take_loaded(f"vision:{info.path.name}", kind="vision", path=str(info.path),
                                               mmproj=str(mmproj), options=dataclasses.asdict(options), probe=probe)
        self.load_ms = (time.perf_counter() - started) * 1000.0
        self.handler_name: str = loaded["handler"]
        self.device: str = loaded["device"]
        self.repair: Repair | None = None

    @classmethod
    def load(cls, model_path: Path, mmproj: Path, *, threads: int | None = None, gpu_layers: int = 0,
             context_size: int = 4096) -> HostedVisionCaptioner:
        model = require_model(read_gguf(model_path), hint="; pass the language model with -m")
        projector = read_projector(Path(mmproj))
        check_pair(model, projector)
        choose_handler(model, projector, _HANDLERS)  # refuses an unusable pair before a process starts
        trained = model.context_length or context_size
        options = LoadOptions(context_size=max(512, min(context_size, trained)), threads=threads,
                              gpu_layers=gpu_layers)

        def start(chosen: LoadOptions, probe: bool) -> HostedVisionCaptioner:
            return cls(model, Path(mmproj), chosen, probe=probe)

        captioner, repair = load_with_repair(model.path, options, start)
        captioner.repair = repair
        return captioner

    @property
    def closed(self) -> bool:
        return not self._host.alive

    def caption_images(self, images: list[Image.Image], options: CaptionOptions | None = None,
                       cancel: CancelToken | None = None) -> list[str]:
        options = options or CaptionOptions()
        cancel = cancel or CancelToken()
        raw = dataclasses.asdict(options)
        raw["style"] = options.style.value
        out: list[str] = []
        for image in images:
            cancel.raise_if_cancelled()
            if self.closed:
                death = self._host.death
                raise death if death is not None and not isinstance(death, EngineClosed) else \
                    EngineClosedError("the model has been unloaded")
            call = self._host.start("caption", image=image_data_uri(image), options=raw)
            try:
                while True:
                    if cancel.cancelled:
                        call.cancel()
                    message = call.next(0.05)
                    if message is None:
                        continue
                    if isinstance(message, EngineCrashedError):
                        cancel.raise_if_cancelled()
                        raise message
                    if "ok" in message or "error" in message:
                        out.append(str(result_of(message)))
                        break
            finally:
                self._host.finish(call)
        return out

    def close(self) -> None:
        self._host.close()

    def __enter__(self) -> HostedVisionCaptioner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
