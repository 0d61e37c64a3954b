"""Translation: an ONNX seq2seq engine (Marian, M2M100, NLLB) without torch, LLM translation through
llama.cpp, language detection, routes through English, and documents that keep their structure."""

from .api import OnnxTranslator, TranslationResult, TranslationService, Translator, run_document
from .detect import Detection, DetectionError, detect_language
from .documents import DocKind, DocumentError, decode_bytes, kind_for, parse_document
from .engine import DecodeOptions, Seq2SeqEngine, UnsupportedLanguageError
from .routes import NoRouteError, plan_route

__all__ = [
    "DecodeOptions",
    "Detection",
    "DetectionError",
    "DocKind",
    "DocumentError",
    "NoRouteError",
    "OnnxTranslator",
    "Seq2SeqEngine",
    "TranslationResult",
    "TranslationService",
    "Translator",
    "UnsupportedLanguageError",
    "decode_bytes",
    "detect_language",
    "kind_for",
    "parse_document",
    "plan_route",
    "run_document",
]
