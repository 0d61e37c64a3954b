"""The translation API the CLI and the GUI call: text or a document in, a translation out.

`TranslationService.translate(text, target=..., source=None, kind=..., model=None, cancel, progress)`
detects the source language when it is not given, picks a route (the model asked for, a direct
installed model, or two models through English), splits the document into sentences, translates
them in batches with progress, and puts the document back together.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from engines.errors import CandeiaError, EngineClosedError
from engines.hardware.devices import ModelDevice, device_of, model_device
from engines.jobs import CancelToken, ProgressCallback
from engines.store.model_store import InstalledModel, ModelFormat, ModelStore
from engines.store.models import resolve_model
from engines.translate.detect import Detection, detect_language
from engines.translate.documents import DocKind, DocumentError, parse_document
from engines.translate.engine import DecodeOptions, Seq2SeqEngine, TranslateStats, UnsupportedLanguageError
from engines.translate.folder import Variant
from engines.translate.languages import ModelLanguages, normalize
from engines.translate.routes import PIVOT, Hop, Route, installed_translators, plan_route

if TYPE_CHECKING:
    from engines.llama.chat_model import ChatModel


class Translator(Protocol):
    name: str

    def translate_sentences(self, sentences: Sequence[str], src: str | None, tgt: str,
                            cancel: CancelToken | None = None,
                            progress: Callable[[int, int], None] | None = None) -> list[str]: ...


class OnnxTranslator:
    def __init__(self, engine: Seq2SeqEngine, options: DecodeOptions | None = None) -> None:
        self.engine = engine
        self.name = engine.name
        self.options = options or DecodeOptions()
        self.stats = TranslateStats()

    def translate_sentences(self, sentences: Sequence[str], src: str | None, tgt: str,
                            cancel: CancelToken | None = None,
                            progress: Callable[[int, int], None] | None = None) -> list[str]:
        return self.engine.translate_sentences(sentences, src, tgt, self.options, cancel, progress, self.stats)


@dataclass
class TranslationResult:
    text: str
    source: str
    target: str
    kind: DocKind
    models: list[str]
    detected: Detection | None = None
    sentences: int = 0
    seconds: float = 0.0
    route: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)  # per model in `models`: where it ran ("CPU", "CUDA", ...)
    model_devices: list[ModelDevice] = field(default_factory=list)  # the same, with any provider that failed

    def as_dict(self) -> dict[str, object]:
        return {
            "text": self.text, "source": self.source, "target": self.target, "kind": self.kind,
            "models": self.models, "devices": self.devices, "route": self.route, "sentences": self.sentences,
            "seconds": round(self.seconds, 3),
            "detected": None if self.detected is None else
            {"language": self.detected.language, "confidence": round(self.detected.confidence, 3)},
        }


def run_document(text: str, hops: Sequence[tuple[Translator, str | None, str]], kind: DocKind,
                 cancel: CancelToken | None = None, progress: ProgressCallback | None = None) -> tuple[str, int]:
    """Translate a document through one or more translators in a row. Returns (text, sentences)."""
    doc = parse_document(text, kind)
    sentences = doc.sentences
    total = len(sentences) * len(hops)
    for index, (translator, src, tgt) in enumerate(hops):
        offset = index * len(sentences)

        def report(done: int, _total: int, offset: int = offset) -> None:
            if progress is not None:
                progress(offset + done, total)

        sentences = translator.translate_sentences(sentences, src, tgt, cancel, report)
    return doc.render(sentences), len(doc.sentences)


class TranslationService:
    """Loads translation models on demand and keeps them for the next call. Thread-safe.

    ONNX models stay loaded side by side (pivots use two). Of chat models (translation through an LLM)
    one is kept: asking for another closes it first, since each holds gigabytes. `close()` frees all.
    """

    def __init__(self, store: ModelStore | None = None, *, threads: int | None = None,
                 options: DecodeOptions | None = None, variant: Variant = "auto") -> None:
        self.store = store or ModelStore()
        self.threads = threads
        self.options = options or DecodeOptions()
        self.variant: Variant = variant
        self._engines: dict[str, Seq2SeqEngine] = {}
        self._engine_choice: dict[str, str] = {}  # the Settings device each engine was loaded for
        self._lock = threading.Lock()
        self._chat: tuple[Path, ChatModel] | None = None
        # Guards the three fields below; never held while a model loads or closes (seconds), so
        # close() and the other callers are not kept waiting on llama.cpp.
        self._chat_lock = threading.Condition()
        self._chat_loading: Path | None = None  # one load at a time: other callers wait for it, never load twice
        self._chat_epoch = 0  # bumped when the chat model is freed: a load begun before is dropped, not kept

    def engine(self, path: Path) -> Seq2SeqEngine:
        """The ONNX model at `path`, loaded on first use and kept; loaded again when the ONNX Runtime
        device in Settings has changed since (the GUI keeps a service for its whole life)."""
        from engines.onnx.providers import configured_choice

        key = str(path)
        choice = configured_choice()
        with self._lock:
            if key in self._engines and self._engine_choice.get(key) != choice:
                del self._engines[key]
            if key not in self._engines:
                self._engines[key] = Seq2SeqEngine(path, variant=self.variant, threads=self.threads,
                                                   pair=self._card_pair(path))
                self._engine_choice[key] = choice
            return self._engines[key]

    def _card_pair(self, path: Path) -> tuple[str, str] | None:
        """A single-pair model's languages from its card, when it was installed from the catalog."""
        installed = self.store.find_by_path(path)
        if installed is None or not installed.card_id:
            return None
        from engines.cards import load_catalog
        from engines.errors import CardError

        try:
            card = next((c for c in load_catalog() if c.id == installed.card_id), None)
        except CardError:
            return None
        if card is not None and len(card.language_pairs) == 1:
            src, tgt = card.language_pairs[0]
            return src, tgt
        return None

    def chat_model(self, path: Path, ref: str) -> ChatModel:
        """The chat model at `path` (`ref` as the user named it), loaded on first use and kept."""
        from engines.host.open_model import open_chat_model

        with self._chat_lock:
            while True:
                if self._chat is not None and self._chat[0] == path and not self._chat[1].closed:
                    return self._chat[1]
                if self._chat_loading is None:
                    break
                self._chat_lock.wait()  # another caller is loading one: see what it loaded, then decide
            old, self._chat = self._chat, None
            self._chat_loading = path
            epoch = self._chat_epoch
        try:
            if old is not None:
                old[1].close()  # a switch: a translation still running on the old model is cancelled
            engine = open_chat_model(ref, store=self.store)
        except BaseException:
            self._loaded(path, None, epoch)
            raise
        if not self._loaded(path, engine, epoch):
            engine.close()
            raise EngineClosedError("the chat model was unloaded while it loaded")
        return engine

    def _loaded(self, path: Path, engine: ChatModel | None, epoch: int) -> bool:
        """End a load: keep `engine` unless the chat model was freed meanwhile. True when kept."""
        with self._chat_lock:
            self._chat_loading = None
            self._chat_lock.notify_all()
            if engine is None or epoch != self._chat_epoch:
                return False
            self._chat = (path, engine)
            return True

    def close_chat(self) -> None:
        """Free the kept chat model (a translation still running on it is cancelled, a load under way is
        dropped when it ends); ONNX models stay. Returns without waiting for a load."""
        with self._chat_lock:
            self._chat_epoch += 1
            chat, self._chat = self._chat, None
        if chat is not None:
            chat[1].close()

    def release_uninstalled(self) -> None:
        """Free every loaded model the store no longer lists (the GUI calls this after a removal)."""
        installed = {m.path for m in self.store.installed()}
        with self._lock:
            for key in [k for k in self._engines if k not in installed]:
                del self._engines[key]
        with self._chat_lock:
            if self._chat_loading is not None and str(self._chat_loading) not in installed:
                self._chat_epoch += 1  # removed while it loads: dropped when the load ends
            chat = self._chat
            if chat is None or str(chat[0]) in installed:
                return
            self._chat = None
        chat[1].close()

    def loaded_devices(self) -> dict[str, str]:
        """Each loaded model's name and the device it runs on (the status bar shows them)."""
        with self._lock:
            found = {engine.name: engine.device for engine in self._engines.values()}
        with self._chat_lock:
            chat = self._chat
        if chat is not None:
            found[chat[0].name] = device_of(chat[1]) or "unknown"
        return found

    def close(self) -> None:
        with self._lock:
            self._engines.clear()
        self.close_chat()

    def __enter__(self) -> TranslationService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- routing ---------------------------------------------------------------------------------
    def _detect(self, text: str, candidates: set[str] | None) -> Detection:
        return detect_language(text, sorted(candidates) if candidates else None)

    def _llm_hops(self, ref: str, path: Path, text: str, source: str | None, target: str
                  ) -> tuple[list[tuple[Translator, str | None, str]], Detection | None, str]:
        from engines.translate.llm import LlmTranslator

        detected = None if source else self._detect(text, None)
        src = normalize(source) if source else detected.language if detected else "und"
        return [(LlmTranslator(self.chat_model(path, ref)), src, normalize(target))], detected, src

    def plan(self, text: str, target: str, source: str | None = None, model: str | None = None
             ) -> tuple[list[tuple[Translator, str | None, str]], Detection | None, str]:
        tgt = normalize(target)
        if model is not None and self._is_remote(model):
            return self._llm_hops(model, Path(model), text, source, target)
        if model is not None:
            resolved = resolve_model(model, self.store)
            is_gguf = (resolved.installed.format is ModelFormat.gguf) if resolved.installed \
                else resolved.path.is_file()
            if is_gguf:
                return self._llm_hops(model, resolved.path, text, source, target)
            engine = self.engine(resolved.path)
            langs = engine.languages
            detected = None
            if source:
                src = normalize(source)
            elif len(langs.sources) == 1:
                src = next(iter(langs.sources))
            else:
                detected = self._detect(text, langs.sources or None)
                src = detected.language
            if not langs.sources or langs.supports(src, tgt):
                return [(OnnxTranslator(engine, self.options), src, tgt)], detected, src
            route = self._pivot_with(resolved.path, langs, src, tgt)
            if route is None:
                pairs = sorted(langs.pairs())
                shown = ", ".join(f"{s}→{t}" for s, t in pairs[:6]) + (" …" if len(pairs) > 6 else "")
                raise UnsupportedLanguageError(
                    f"{engine.name} translates {shown}, not {src}→{tgt}; install a model for that pair "
                    "or leave out -m to let Candeia pick one")
            return self._hops(route), detected, src
        candidates = installed_translators(self.store)
        detected = None
        if source:
            src = normalize(source)
        else:
            sources: set[str] = set()
            for _, langs in candidates:
                sources |= langs.sources
            detected = self._detect(text, sources or None)
            src = detected.language
        from engines.cards import load_catalog
        from engines.errors import CardError

        try:
            cards = load_catalog()
        except CardError:
            cards = []
        route = plan_route(src, tgt, candidates, cards)
        return self._hops(route), detected, src

    def _is_remote(self, model: str) -> bool:
        """A model of a remote endpoint (`NAME/MODEL_ID`), not an installed id or a file."""
        from engines.store.remotes import RemoteStore

        if Path(model).expanduser().exists() or any(m.id == model for m in self.store.installed()):
            return False
        return RemoteStore().find(model) is not None

    def _pivot_with(self, path: Path, langs: ModelLanguages, src: str, tgt: str) -> Route | None:
        """The model asked for as one leg of a pivot through English, the other leg installed."""
        me = self.store.find_by_path(path) or InstalledModel(
            id=path.name, name=path.name, format=ModelFormat.onnx, path=str(path), linked=True, size=0)
        others = [(m, ls) for m, ls in installed_translators(self.store) if m.path != str(path)]
        if langs.supports(src, PIVOT):
            other = next((m for m, ls in others if ls.supports(PIVOT, tgt)), None)
            return Route([Hop(me, src, PIVOT), Hop(other, PIVOT, tgt)]) if other else None
        if langs.supports(PIVOT, tgt):
            other = next((m for m, ls in others if ls.supports(src, PIVOT)), None)
            return Route([Hop(other, src, PIVOT), Hop(me, PIVOT, tgt)]) if other else None
        return None

    def _hops(self, route: Route) -> list[tuple[Translator, str | None, str]]:
        return [(OnnxTranslator(self.engine(Path(h.model.path)), self.options), h.src, h.tgt) for h in route.hops]

    # -- translating -----------------------------------------------------------------------------
    def translate(self, text: str, *, target: str, source: str | None = None, kind: DocKind = "text",
                  model: str | None = None, cancel: CancelToken | None = None,
                  progress: ProgressCallback | None = None) -> TranslationResult:
        if not text.strip():
            raise DocumentError("the input is empty; there is nothing to translate")
        started = time.perf_counter()
        hops, detected, src = self.plan(text, target, source, model)
        if src == normalize(target):
            raise CandeiaError(f"the text is already in '{src}'; choose another target language")
        out, count = run_document(text, hops, kind, cancel, progress)
        return TranslationResult(
            text=out, source=src, target=normalize(target), kind=kind,
            models=[t.name for t, _, _ in hops], detected=detected, sentences=count,
            seconds=time.perf_counter() - started,
            route=[src, *(tgt for _, _, tgt in hops)],
            devices=[device_of(getattr(t, "engine", None)) or "unknown" for t, _, _ in hops],
            model_devices=[d for d in (model_device(t.name, getattr(t, "engine", None)) for t, _, _ in hops) if d],
        )
