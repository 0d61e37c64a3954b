"""Write tiny llama-architecture GGUF models with random weights (tests and the app's self-test).

The vocabulary is a small SentencePiece-style one: the three special tokens, all 256 byte
tokens (llama.cpp's SPM tokenizer needs them for byte fallback) and a few hundred word
pieces, so any text tokenizes and any generated id detokenizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gguf
import numpy as np
import numpy.typing as npt

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|{{ message['role'] }}|>\n{{ message['content'] }}</s>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

_WORDS = (
    "the a an and of to in is it you that he was for on are with as I his they be at one have this "
    "from or had by hot word but what some we can out other were all there when up use your how said "
    "each she which do their time if will way about many then them write would like so these her long "
    "make thing see him two has look more day could go come did number sound no most people my over "
    "know water than call first who may down side been now find any new work part take get place made "
    "live where after back little only round man year came show every good me give our under name very "
    "through just form sentence great think say help low line differ turn cause much mean before move "
    "right boy old too same tell does set three want air well also play small end put home read hand "
    "port large spell add even land here must big high such follow act why ask men change went light "
    "kind off need house picture try us again animal point mother world near build self earth father"
).split()


def tiny_vocab() -> tuple[list[bytes], list[float], list[int]]:
    tokens: list[bytes] = [b"<unk>", b"<s>", b"</s>"]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    for byte in range(256):
        tokens.append(f"<0x{byte:02X}>".encode())
        types.append(gguf.TokenType.BYTE)
    pieces = ["\u2581" + w for w in _WORDS] + list("abcdefghijklmnopqrstuvwxyz.,!?'") + ["\u2581"]
    seen: set[str] = set()
    for piece in pieces:
        if piece not in seen:
            seen.add(piece)
            tokens.append(piece.encode())
            types.append(gguf.TokenType.NORMAL)
    scores = [0.0] * 3 + [-1000.0] * 256 + [-float(i) for i in range(len(tokens) - 259)]
    return tokens, scores, [int(t) for t in types]


def write_tiny_llama(
    path: Path,
    *,
    seed: int = 0,
    n_embd: int = 64,
    n_layer: int = 2,
    n_head: int = 4,
    n_head_kv: int = 2,
    n_ff: int = 128,
    context_length: int = 2048,
    chat_template: str | None = CHAT_TEMPLATE,
    eos_never_wins: bool = True,
    name: str = "Tiny Test Llama",
) -> Path:
    """Write a loadable llama GGUF (f32 weights). Returns `path`."""
    tokens, scores, types = tiny_vocab()
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name(name)
    writer.add_context_length(context_length)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layer)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_head_kv)
    writer.add_rope_dimension_count(n_embd // n_head)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    _add_tokenizer(writer, tokens, scores, types, chat_template)
    shape = _Shape(len(tokens), n_embd, n_layer, n_head, n_head_kv, n_ff)
    _add_tensors(writer, np.random.default_rng(seed), shape, eos_never_wins)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@dataclass(frozen=True)
class _Shape:
    n_vocab: int
    n_embd: int
    n_layer: int
    n_head: int
    n_head_kv: int
    n_ff: int


def _add_tokenizer(
    writer: gguf.GGUFWriter, tokens: list[bytes], scores: list[float], types: list[int], chat_template: str | None
) -> None:
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    if chat_template is not None:
        writer.add_chat_template(chat_template)


def _add_tensors(writer: gguf.GGUFWriter, rng: np.random.Generator, shape: _Shape, eos_never_wins: bool) -> None:
    """Random f32 weights, drawn in a fixed order: a seed always gives the same model."""

    def weight(*dims: int, scale: float = 0.2) -> npt.NDArray[np.float32]:
        return (rng.standard_normal(dims) * scale).astype(np.float32)

    n_embd, n_ff = shape.n_embd, shape.n_ff
    kv_width = shape.n_head_kv * (n_embd // shape.n_head)
    writer.add_tensor("token_embd.weight", weight(shape.n_vocab, n_embd))
    writer.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    output = weight(shape.n_vocab, n_embd, scale=1.0)
    if eos_never_wins:
        # Zero logits for <s> and </s> (and the byte tokens) keeps greedy replies from ending at once.
        output[1:3] = 0.0
        output[3:259] *= 0.05
    writer.add_tensor("output.weight", output)
    for layer in range(shape.n_layer):
        prefix = f"blk.{layer}"
        writer.add_tensor(f"{prefix}.attn_norm.weight", np.ones(n_embd, dtype=np.float32))
        writer.add_tensor(f"{prefix}.attn_q.weight", weight(n_embd, n_embd))
        writer.add_tensor(f"{prefix}.attn_k.weight", weight(kv_width, n_embd))
        writer.add_tensor(f"{prefix}.attn_v.weight", weight(kv_width, n_embd))
        writer.add_tensor(f"{prefix}.attn_output.weight", weight(n_embd, n_embd))
        writer.add_tensor(f"{prefix}.ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
        writer.add_tensor(f"{prefix}.ffn_gate.weight", weight(n_ff, n_embd))
        writer.add_tensor(f"{prefix}.ffn_up.weight", weight(n_ff, n_embd))
        writer.add_tensor(f"{prefix}.ffn_down.weight", weight(n_embd, n_ff))
