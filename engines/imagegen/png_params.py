"""The settings of an image in its PNG text chunks, as AUTOMATIC1111 writes them, and read back.

The `parameters` chunk is A1111's "infotext", which ComfyUI, InvokeAI, civitai and most image
viewers read:

    a castle on a hill
    Negative prompt: blurry
    Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x512, Model: sd-turbo, Denoising strength: 0.75

The prompt may span lines; the last line holds `key: value` pairs, and a value with a comma, a
colon or a newline is JSON-quoted. Reading accepts A1111's own output (quoted values, extra keys
such as `Model hash` or `Schedule type`, no negative prompt), the same text in a JPEG or WebP's
EXIF UserComment, and ComfyUI's API-format `prompt` JSON chunk.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError
from PIL.PngImagePlugin import PngInfo

from engines.imagegen.settings import ImageSettings

PARAMETERS_KEY = "parameters"
NEGATIVE_PREFIX = "Negative prompt:"
# A1111's own pattern for one `key: value` pair of the last line (modules/infotext_utils.py).
_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
_SIZE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")

# Our sampler names (stable-diffusion.cpp's) and A1111's labels for them.
_A1111_SAMPLERS = {
    "euler_a": "Euler a", "euler": "Euler", "heun": "Heun", "dpm2": "DPM2", "dpm++2s_a": "DPM++ 2S a",
    "dpm++2m": "DPM++ 2M", "dpm++2mv2": "DPM++ 2M v2", "ipndm": "iPNDM", "ipndm_v": "iPNDM_v", "lcm": "LCM",
    "ddim_trailing": "DDIM", "tcd": "TCD",
}
_FROM_A1111 = {label.lower(): name for name, label in _A1111_SAMPLERS.items()}
_FROM_A1111.update({"dpm2 a": "dpm2", "euler ancestral": "euler_a", "ddim": "ddim_trailing"})
# ComfyUI's sampler_name values.
_FROM_COMFY = {
    "euler_ancestral": "euler_a", "euler": "euler", "heun": "heun", "dpm_2": "dpm2", "dpmpp_2s_ancestral": "dpm++2s_a",
    "dpmpp_2m": "dpm++2m", "lcm": "lcm", "ddim": "ddim_trailing", "ipndm": "ipndm", "ipndm_v": "ipndm_v",
}
_SCHEDULE_SUFFIXES = (" karras", " exponential", " sgm uniform")  # old A1111 labels: "DPM++ 2M Karras"


@dataclass(frozen=True)
class ImageParameters:
    """What an image says about how it was made; `extra` keeps keys this app does not use."""

    settings: ImageSettings
    model_id: str | None = None
    source: str = "a1111"  # "a1111" or "comfyui"
    extra: dict[str, str] = field(default_factory=dict)


# -- writing ---------------------------------------------------------------------------------------
def quote(value: str) -> str:
    """A1111's quoting, plus values it would misread (leading quote or surrounding spaces)."""
    if any(c in value for c in ",\n:") or value.startswith('"') or value != value.strip():
        return json.dumps(value, ensure_ascii=False)
    return value


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def sampler_label(sampler: str) -> str:
    return _A1111_SAMPLERS.get(sampler, sampler)


def format_parameters(settings: ImageSettings, model_id: str | None = None) -> str:
    """The `parameters` text for one image (its seed must be the one actually used)."""
    pairs = [("Steps", str(settings.steps)), ("Sampler", sampler_label(settings.sampler)),
             ("CFG scale", _number(settings.guidance)), ("Seed", str(settings.seed)),
             ("Size", f"{settings.width}x{settings.height}")]
    if model_id:
        pairs.append(("Model", model_id))
    if settings.init_image is not None:
        pairs.append(("Denoising strength", _number(settings.strength)))
    lines = [settings.prompt] if settings.prompt else []
    if settings.negative_prompt:
        lines.append(f"{NEGATIVE_PREFIX} {settings.negative_prompt}")
    lines.append(", ".join(f"{key}: {quote(value)}" for key, value in pairs))
    return "\n".join(lines)


def png_info(settings: ImageSettings, model_id: str | None = None) -> PngInfo:
    """Pillow's PngInfo with the `parameters` chunk (UTF-8, as iTXt when it needs to be)."""
    info = PngInfo()
    info.add_text(PARAMETERS_KEY, format_parameters(settings, model_id))
    return info


# -- reading ---------------------------------------------------------------------------------------
def unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        try:
            loaded = json.loads(value)
        except ValueError:
            return value
        return loaded if isinstance(loaded, str) else value
    return value


def _split(text: str) -> tuple[str, str, dict[str, str]]:
    """(prompt, negative prompt, key/value pairs), the way A1111's parse_generation_parameters splits."""
    *lines, last = text.strip().split("\n")
    pairs = _PARAM.findall(last)
    if len(pairs) < 3:  # no settings line: it is part of the prompt
        lines.append(last)
        pairs = []
    prompt: list[str] = []
    negative: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not negative and line.startswith(NEGATIVE_PREFIX):
            negative.append(line[len(NEGATIVE_PREFIX):].strip())
        elif negative:
            negative.append(line)
        else:
            prompt.append(line)
    return "\n".join(prompt).strip("\n"), "\n".join(negative), {k.strip(): unquote(v) for k, v in pairs}


def sampler_name(label: str) -> str:
    """Our name for an A1111 or ComfyUI sampler label; unknown ones are kept as they are."""
    lowered = label.strip().lower()
    for suffix in _SCHEDULE_SUFFIXES:
        if lowered.endswith(suffix) and lowered.removesuffix(suffix) in _FROM_A1111:
            lowered = lowered.removesuffix(suffix)
    return _FROM_A1111.get(lowered) or _FROM_COMFY.get(lowered) or label.strip()


def _int(value: object, default: int) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        try:
            return int(float(str(value)))
        except ValueError:
            return default


def _float(value: object, default: float) -> float:
    try:
        return float(str(value).strip())
    except ValueError:
        return default


_USED = {"Steps", "Sampler", "CFG scale", "Seed", "Size", "Model", "Denoising strength"}


def parse_parameters(text: str) -> ImageParameters:
    """Settings from A1111 infotext; what is missing keeps ImageSettings' defaults."""
    prompt, negative, pairs = _split(text)
    base = ImageSettings(prompt=prompt, negative_prompt=negative)
    width, height = base.width, base.height
    if (size := _SIZE.match(pairs.get("Size", ""))) is not None:
        width, height = int(size.group(1)), int(size.group(2))
    settings = replace(
        base, width=width, height=height, steps=_int(pairs.get("Steps", ""), base.steps),
        guidance=_float(pairs.get("CFG scale", ""), base.guidance),
        sampler=sampler_name(pairs["Sampler"]) if pairs.get("Sampler") else base.sampler,
        seed=_int(pairs.get("Seed", ""), base.seed),
        strength=_float(pairs.get("Denoising strength", ""), base.strength))
    extra = {k: v for k, v in pairs.items() if k not in _USED}
    return ImageParameters(settings, pairs.get("Model") or None, "a1111", extra)


def _node(graph: dict[str, Any], link: object) -> dict[str, Any]:
    """The node an API-format input link `[node_id, output]` points at ({} when it does not)."""
    if isinstance(link, list) and link:
        found = graph.get(str(link[0]))
        if isinstance(found, dict):
            return found
    return {}


def _text_of(graph: dict[str, Any], link: object, depth: int = 0) -> str:
    node = _node(graph, link)
    inputs = node.get("inputs", {}) if isinstance(node.get("inputs"), dict) else {}
    for key in ("text", "text_g", "prompt"):
        value = inputs.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, list) and depth < 8:  # text from another node (a primitive, a concatenation)
            return _text_of(graph, value, depth + 1)
    return ""


def parse_comfy_prompt(text: str) -> ImageParameters | None:
    """Settings from ComfyUI's API-format `prompt` chunk: its first KSampler and what feeds it."""
    try:
        graph = json.loads(text)
    except ValueError:
        return None
    if not isinstance(graph, dict):
        return None
    samplers = [n for n in graph.values() if isinstance(n, dict) and str(n.get("class_type", "")).startswith("KSampler")
                and isinstance(n.get("inputs"), dict)]
    if not samplers:
        return None
    inputs: dict[str, Any] = samplers[0]["inputs"]
    latent = _node(graph, inputs.get("latent_image")).get("inputs", {})
    loader = _node(graph, inputs.get("model")).get("inputs", {})
    base = ImageSettings(prompt=_text_of(graph, inputs.get("positive")),
                         negative_prompt=_text_of(graph, inputs.get("negative")))
    settings = replace(
        base, steps=_int(inputs.get("steps", ""), base.steps), guidance=_float(inputs.get("cfg", ""), base.guidance),
        sampler=sampler_name(str(inputs.get("sampler_name") or base.sampler)),
        seed=_int(inputs.get("seed", inputs.get("noise_seed", "")), base.seed),
        width=_int(latent.get("width", "") if isinstance(latent, dict) else "", base.width),
        height=_int(latent.get("height", "") if isinstance(latent, dict) else "", base.height))
    model = loader.get("ckpt_name") if isinstance(loader, dict) else None
    extra = {"Schedule type": str(inputs["scheduler"])} if inputs.get("scheduler") else {}
    return ImageParameters(settings, str(model) if model else None, "comfyui", extra)


def _exif_comment(image: Image.Image) -> str | None:
    """A1111's infotext in a JPEG or WebP: EXIF UserComment, 8-byte charset header then the text."""
    raw = image.getexif().get_ifd(0x8769).get(0x9286)
    if isinstance(raw, str):
        return raw or None
    if not isinstance(raw, bytes) or len(raw) <= 8:
        return None
    header, body = raw[:8], raw[8:]
    if header.startswith(b"UNICODE"):
        encoding = "utf-16-le" if body[:1] != b"\x00" and body[1:2] == b"\x00" else "utf-16-be"
        return body.decode(encoding, errors="replace").rstrip("\x00") or None
    return body.decode("utf-8", errors="replace").rstrip("\x00") or None


def text_chunks(path: Path) -> dict[str, str]:
    """The text an image file carries (PNG tEXt/iTXt/zTXt; EXIF UserComment as `parameters`); {} for none.

    Only the header and the metadata are read, never the pixels, so a decompression bomb is safe here."""
    try:
        with Image.open(path) as image:
            # info, not .text: .text decodes the pixels to find chunks after the image data
            found = {k: v for k, v in image.info.items() if isinstance(k, str) and isinstance(v, str)}
            exif = PARAMETERS_KEY not in found and image.format in ("JPEG", "WEBP")
            if exif and (comment := _exif_comment(image)) is not None:
                found[PARAMETERS_KEY] = comment
            return found
    except (OSError, ValueError, SyntaxError, UnidentifiedImageError, Image.DecompressionBombError):
        return {}


def read_parameters(path: Path) -> ImageParameters | None:
    """How the image at `path` was made, or None when it does not say (or cannot be read)."""
    chunks = text_chunks(path)
    if (text := chunks.get(PARAMETERS_KEY)) and text.strip():
        return parse_parameters(text)
    if (comfy := chunks.get("prompt")) is not None:
        return parse_comfy_prompt(comfy)
    return None
