"""A GGUF chat model loaded as a labeller in an engine host of its own: the app-side client."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engines.gguf.info import GGUFInfo, require_model
from engines.host import spare
from engines.host.repair import Repair, load_with_repair
from engines.llama.engine import LoadOptions, render_prompt
from engines.llama.template import ChatTemplate, Message
from engines.store.model_store import ModelStore
from engines.store.models import inspect_gguf

CONTEXT = 2048  # enough for instructions, a long review and the reply; longer texts are cut
SLOT = "\ue000TEXT\ue000"  # stands for the text while the template renders: the host splices its tokens in


@dataclass(frozen=True)
class Labelled:
    text: str  # what the model wrote under the grammar
    logprobs: tuple[float, ...]  # log P(choice) for each choice asked about
    token_logprobs: tuple[float, ...]  # each written token's log-probability
    kept_tokens: int  # the text's tokens in the prompt...
    text_tokens: int  # ...of these: fewer when the text was cut to fit the context
    decode_ms: float


class HostedLabeler:
    def __init__(self, info: GGUFInfo, options: LoadOptions, *, probe: bool) -> None:
        self.name = info.path.stem
        started = time.perf_counter()
        self._host, loaded = spare.take_loaded(f"label:{info.path.name}", kind="label", path=str(info.path),
                                               options=dataclasses.asdict(options), probe=probe)
        self.load_ms = (time.perf_counter() - started) * 1000.0
        self.context_size: int = int(loaded["context_size"])
        self.device: str = loaded["device"]
        self.template = ChatTemplate(source=info.chat_template, bos_token=loaded["bos"], eos_token=loaded["eos"])
        self.repair: Repair | None = None

    def label(self, messages: list[Message], text: str, *, grammar: str = "", json_schema: str = "",
              choices: tuple[str, ...] = (), max_tokens: int = 32) -> Labelled:
        """`messages` hold `SLOT` where the text goes; the reply is constrained by `grammar` or `json_schema`."""
        prompt, add_special = render_prompt(self.template, messages)
        prefix, _, suffix = prompt.partition(SLOT)
        reply: dict[str, Any] = self._host.call(
            "label", prefix=prefix, text=text, suffix=suffix, add_special=add_special, grammar=grammar,
            json_schema=json_schema, choices=list(choices), max_tokens=max_tokens)
        return Labelled(reply["text"], tuple(reply["logprobs"]), tuple(reply["token_logprobs"]),
                        int(reply["kept_tokens"]), int(reply["text_tokens"]), float(reply["decode_ms"]))

    def close(self) -> None:
        self._host.close()



def open_labeler(ref: str | Path, *, threads: int | None = None, gpu_layers: int = 0,
                 store: ModelStore | None = None) -> HostedLabeler:
    """Load an installed GGUF chat model (an id or a path), with the first-load check and its repair."""
    _, info = inspect_gguf(str(ref), store or ModelStore())
    require_model(info, "chat model")
    options = LoadOptions(context_size=CONTEXT, threads=threads, gpu_layers=gpu_layers)

    def start(chosen: LoadOptions, probe: bool) -> HostedLabeler:
        return HostedLabeler(info, chosen, probe=probe)

    labeler, repair = load_with_repair(info.path, options, start)
    labeler.repair = repair
    return labeler
