"""Translation: an ONNX seq2seq engine (Marian, M2M100, NLLB) without torch, LLM translation through
llama.cpp, language detection, routes through English, and documents that keep their structure."""

from engines.translate.api import OnnxTranslator, TranslationResult, TranslationService, Translator, run_document
from engines.translate.detect import Detection, DetectionError, detect_language
from engines.translate.documents import DocKind, DocumentError, decode_bytes, kind_for, parse_document
from engines.translate.engine import DecodeOptions, Seq2SeqEngine, UnsupportedLanguageError
from engines.translate.routes import NoRouteError, plan_route

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
