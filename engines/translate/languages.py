"""Language codes: Candeia speaks ISO 639-1 ("pt") where one exists; models speak their own dialect
("por_Latn" for NLLB, "__pt__" for M2M100, ">>por<<" for multi-target Marian, "en"/"eng" in Marian configs).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engines.translate.tokenizer import Seq2SeqTokenizer

# ISO 639-3 (and 639-2/B) -> ISO 639-1, for the languages translation models commonly cover.
ISO3_TO_1 = {
    "afr": "af", "amh": "am", "ara": "ar", "arb": "ar", "aze": "az", "azj": "az", "bel": "be", "ben": "bn",
    "bos": "bs", "bul": "bg", "cat": "ca", "ces": "cs", "cze": "cs", "cym": "cy", "wel": "cy", "dan": "da",
    "deu": "de", "ger": "de", "ell": "el", "gre": "el", "eng": "en", "epo": "eo", "est": "et", "ekk": "et",
    "eus": "eu", "baq": "eu", "fas": "fa", "per": "fa", "pes": "fa", "fin": "fi", "fra": "fr", "fre": "fr",
    "gle": "ga", "glg": "gl", "guj": "gu", "heb": "he", "hin": "hi", "hrv": "hr", "hun": "hu", "hye": "hy",
    "arm": "hy", "ind": "id", "isl": "is", "ice": "is", "ita": "it", "jpn": "ja", "kat": "ka", "geo": "ka",
    "kaz": "kk", "khm": "km", "kan": "kn", "kor": "ko", "lao": "lo", "lit": "lt", "lav": "lv", "lvs": "lv",
    "mkd": "mk", "mac": "mk", "mal": "ml", "mon": "mn", "khk": "mn", "mar": "mr", "msa": "ms", "may": "ms",
    "zsm": "ms", "mya": "my", "bur": "my", "nep": "ne", "npi": "ne", "nld": "nl", "dut": "nl", "nor": "no",
    "nob": "nb", "nno": "nn", "pan": "pa", "pol": "pl", "por": "pt", "ron": "ro", "rum": "ro", "rus": "ru",
    "sin": "si", "slk": "sk", "slo": "sk", "slv": "sl", "som": "so", "sqi": "sq", "alb": "sq", "als": "sq",
    "srp": "sr", "swe": "sv", "swa": "sw", "swh": "sw", "tam": "ta", "tel": "te", "tha": "th", "tgl": "tl",
    "tur": "tr", "ukr": "uk", "urd": "ur", "uzb": "uz", "uzn": "uz", "vie": "vi", "xho": "xh", "yid": "yi",
    "ydd": "yi", "yor": "yo", "zho": "zh", "chi": "zh", "cmn": "zh", "zul": "zu", "ltz": "lb", "mlt": "mt",
    "glv": "gv", "hat": "ht", "hau": "ha", "ibo": "ig", "jav": "jv", "kin": "rw", "kir": "ky", "mri": "mi",
    "oci": "oc", "pus": "ps", "pbt": "ps", "snd": "sd", "sun": "su", "tat": "tt", "tgk": "tg", "tuk": "tk",
    "uig": "ug", "wol": "wo", "zza": "zza",
}
# Preferred NLLB script when a 639-1 code maps to several.
_PREFERRED_SCRIPT = {"zh": "zho_Hans", "ar": "arb_Arab", "fa": "pes_Arab", "ms": "zsm_Latn", "sq": "als_Latn"}
_NLLB = re.compile(r"^([a-z]{3})_([A-Z][a-z]{3})$")
_CODE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def normalize(code: str) -> str:
    """'pt-BR' -> 'pt', 'por_Latn' -> 'pt', 'deu' -> 'de', 'EN' -> 'en'; unknown codes are lower-cased."""
    code = code.strip()
    m = _NLLB.match(code)
    if m:
        return ISO3_TO_1.get(m.group(1), m.group(1))
    base = re.split(r"[-_]", code.lower())[0] if _CODE.match(code) else code.lower()
    return ISO3_TO_1.get(base, base)


@dataclass
class ModelLanguages:
    """What one model translates: pairs in normalized codes, and the model's own spelling of each code."""

    sources: set[str] = field(default_factory=set)
    targets: set[str] = field(default_factory=set)
    spelling: dict[str, str] = field(default_factory=dict)  # normalized -> model code
    any_to_any: bool = False

    def model_code(self, code: str) -> str:
        if code in self.spelling.values():
            return code
        return self.spelling.get(normalize(code), code)

    def pairs(self) -> set[tuple[str, str]]:
        return {(s, t) for s in self.sources for t in self.targets if s != t}

    def supports(self, src: str, tgt: str) -> bool:
        return normalize(src) in self.sources and normalize(tgt) in self.targets and normalize(src) != normalize(tgt)


# Language groups in OPUS-MT model names (opus-mt-en-ROMANCE, opus-mt-ROMANCE-en): what each stands for.
MARIAN_GROUPS = {
    "romance": {"fr", "es", "it", "pt", "ro", "ca", "gl", "oc", "la", "wa", "an", "sc", "co", "fur", "lad", "rm",
                "scn", "vec", "lij", "lmo", "nap"},
    # opus-mt-mul-en: the languages of its model card's source list that have an ISO 639-1 code
    "mul": set("""
    af am ar be bg bn bs ca cs cy da de el eo et eu fa fi fr ga gl gu he hi hr hu hy id is it ja jv ka kk km kn la lb lt
    lv mk ml mn mr ms mt my nb ne nl nn pa pl ps pt ro ru si sl so sq sr sv sw ta te th tr uk ur uz vi zh
    """.split()),
}


def _marian_side(code: str) -> set[str]:
    return set(MARIAN_GROUPS.get(code.lower(), {normalize(code)}))


def marian_languages(folder: Path) -> tuple[set[str], set[str]] | None:
    """(sources, targets) of a Marian folder from its tokenizer config or its OPUS-MT name; group names
    such as ROMANCE stand for their languages. None when neither says."""
    cfg = folder / "tokenizer_config.json"
    if cfg.is_file():
        try:
            data = json.loads(cfg.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        src, tgt = data.get("source_lang"), data.get("target_lang")
        if isinstance(src, str) and isinstance(tgt, str) and src and tgt:
            return _marian_side(src), _marian_side(tgt)
    m = re.search(r"opus-mt-([a-z]{2,3}|romance)-([a-z]{2,3}|romance)(?:$|[^a-z])", folder.name.lower())
    return (_marian_side(m.group(1)), _marian_side(m.group(2))) if m else None


def _marian_pair(folder: Path) -> tuple[str, str] | None:
    sides = marian_languages(folder)
    if sides is None or len(sides[0]) != 1 or len(sides[1]) != 1:
        return None
    return next(iter(sides[0])), next(iter(sides[1]))


def model_languages(folder: Path, model_type: str, tokenizer: Seq2SeqTokenizer,
                    pair: tuple[str, str] | None = None) -> ModelLanguages:
    langs = ModelLanguages()
    if tokenizer.language_tokens and tokenizer.forced_target:  # M2M100 / NLLB: any to any
        for code in sorted(tokenizer.language_tokens):
            norm = normalize(code)
            preferred = _PREFERRED_SCRIPT.get(norm)
            if norm not in langs.spelling or code == preferred:
                langs.spelling[norm] = code
        langs.sources = set(langs.spelling)
        langs.targets = set(langs.spelling)
        langs.any_to_any = True
        return langs
    sides = ({normalize(pair[0])}, {normalize(pair[1])}) if pair else marian_languages(folder)
    if sides is not None:
        langs.sources |= sides[0]
        langs.targets |= sides[1]
    if tokenizer.language_tokens:  # multi-target Marian: >>xxx<<
        langs.targets = set()
        for code in tokenizer.language_tokens:
            langs.targets.add(normalize(code))
            langs.spelling.setdefault(normalize(code), code)
    return langs
