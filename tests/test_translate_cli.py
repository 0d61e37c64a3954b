"""End to end: the translation service, pivoting, the CLI, LLM translation and `models convert`."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("optimum.exporters.onnx")


from engines.cards.catalog import CATALOG_ENV
from engines.cli.main import main
from engines.jobs import Cancelled, CancelToken
from engines.llama import LlamaEngine, LoadOptions
from engines.store.model_store import ModelStore
from engines.translate.api import TranslationService
from engines.translate.engine import DecodeOptions, Seq2SeqEngine
from engines.translate.llm import LlmTranslator, build_messages

FAST = DecodeOptions(num_beams=1, max_new_tokens=8)


def _retag(src: Path, dst: Path, source_lang: str, target_lang: str) -> Path:
    """A copy of a Marian folder that says it translates another pair (same weights)."""
    shutil.copytree(src, dst)
    cfg = json.loads((dst / "tokenizer_config.json").read_text(encoding="utf-8"))
    cfg.update(source_lang=source_lang, target_lang=target_lang)
    (dst / "tokenizer_config.json").write_text(json.dumps(cfg), encoding="utf-8")
    return dst


@pytest.fixture
def pivot_store(marian: tuple[Path, Path], tmp_path: Path) -> ModelStore:
    store = ModelStore()
    store.add(_retag(marian[1], tmp_path / "pt-en", "pt", "en"), model_id="tiny-pt-en", tasks=["translate"])
    store.add(_retag(marian[1], tmp_path / "en-de", "en", "de"), model_id="tiny-en-de", tasks=["translate"])
    return store


def test_pivot_through_english(pivot_store: ModelStore) -> None:
    text = "Bom dia e boa noite. Onde fica a estação?"
    with TranslationService(pivot_store, options=FAST) as service:
        result = service.translate(text, target="de", source="pt")
        assert result.route == ["pt", "en", "de"]
        assert result.models == ["pt-en", "en-de"]
        first = Seq2SeqEngine(pivot_store.get("tiny-pt-en").path)
        second = Seq2SeqEngine(pivot_store.get("tiny-en-de").path)
        sentences = ["Bom dia e boa noite.", "Onde fica a estação?"]
        middle = first.translate_sentences(sentences, "pt", "en", FAST)
        expected = second.translate_sentences(middle, "en", "de", FAST)
        assert result.text == " ".join(expected)
        # no source given: detected among the languages the installed models read (pt, en)
        detected = service.translate(text, target="de")
        assert detected.source == "pt" and detected.detected is not None and detected.text == result.text
        # the model asked for with -m cannot do pt→de alone: it becomes one leg of a pivot
        forced = service.translate(text, target="de", source="pt", model="tiny-en-de")
        assert forced.route == ["pt", "en", "de"] and forced.text == result.text


def test_service_cancels_between_batches(pivot_store: ModelStore) -> None:
    token = CancelToken()
    calls: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        if done >= 1:
            token.cancel()

    options = DecodeOptions(num_beams=1, max_new_tokens=8, batch_size=1)
    with TranslationService(pivot_store, options=options) as service, pytest.raises(Cancelled):
        service.translate("One. Two. Three. Four. Five.", target="de", source="en", cancel=token, progress=progress)
    assert max(calls) < 5


def test_cli_text_stdin_files_json_and_errors(pivot_store: ModelStore, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with TranslationService(pivot_store, options=DecodeOptions(max_new_tokens=12)) as service:
        expected = service.translate("Hello world. Good morning.", target="de", source="en",
                                     model="tiny-en-de").text
    assert main(["translate", "-m", "tiny-en-de", "--to", "de", "--max-tokens", "12",
                 "Hello world. Good morning."]) == 0
    assert capsys.readouterr().out == expected + "\n"

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"Hello world. Good morning.")))
    assert main(["translate", "-m", "tiny-en-de", "--to", "de", "--max-tokens", "12", "--json", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["text"] == expected and data["route"] == ["en", "de"] and data["sentences"] == 2

    srt = tmp_path / "in.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello world.\n\n2\n00:00:03,000 --> 00:00:04,500\n"
                   "Good morning.\n", encoding="utf-8")
    out = tmp_path / "out.srt"
    assert main(["translate", "-m", "tiny-en-de", "--to", "de", "--max-tokens", "6", "-i", str(srt),
                 "-o", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["1", "00:00:01,000 --> 00:00:02,000"] and lines[4:6] == ["2", "00:00:03,000 --> 00:00:04,500"]

    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(200)))
    assert main(["translate", "--to", "de", "-i", str(binary)]) == 1
    assert "binary file" in capsys.readouterr().err
    assert main(["translate", "-m", "no-such-model", "--to", "de", "Hello"]) == 1
    assert "neither an installed model id nor an existing file" in capsys.readouterr().err
    assert main(["translate", "--from", "de", "--to", "ja", "Hallo"]) == 1
    err = capsys.readouterr().err
    assert "no installed model translates de→ja" in err and "tiny-en-de" in err
    assert main(["translate", "--to", "de", "--from", "en", ""]) == 1
    assert "empty" in capsys.readouterr().err


def test_nllb_through_the_service(nllb: tuple[Path, Path]) -> None:
    store = ModelStore()
    store.add(nllb[1], model_id="tiny-nllb", tasks=["translate"])
    with TranslationService(store, options=FAST) as service:
        result = service.translate("Hello world.\n\nGood night.", target="pt-BR", source="en")
    engine = Seq2SeqEngine(nllb[1])
    expected = engine.translate_sentences(["Hello world.", "Good night."], "en", "pt", FAST)
    assert result.text == f"{expected[0]}\n\n{expected[1]}"
    assert result.models == ["nllb-onnx"]


def test_llm_translation_plumbing(tiny_gguf: Path) -> None:
    messages = build_messages(["Hello.", "Bye."], "en", "pt")
    assert "into Portuguese" in messages[0]["content"] and "translation only" in messages[0]["content"]
    assert messages[1]["content"] == "Hello.\nBye."
    engine = LlamaEngine.load(tiny_gguf, LoadOptions(context_size=1024))
    try:
        translator = LlmTranslator(engine)
        translator.budget = translator.budget_for("en", "pt")
        assert 8 <= translator.budget < 1024 // 3
        sentences = [f"the water is hot and the world is new, number {i}." for i in range(30)]
        groups = translator.chunks(sentences)
        assert sorted(i for g in groups for i in g) == list(range(30)) and len(groups) > 1
        for group in groups:
            cost = sum(len(engine.tokenize(sentences[i], add_special=False)) + 1 for i in group)
            assert cost <= translator.budget or len(group) == 1
        seen: list[tuple[int, int]] = []
        out = translator.translate_sentences([*sentences[:3], ""], "en", "pt",
                                             progress=lambda d, t: seen.append((d, t)))
        assert len(out) == 4 and out[3] == "" and seen[-1] == (4, 4)
        assert all("\n" not in s for s in out)
        token = CancelToken()
        token.cancel()
        with pytest.raises(Cancelled):
            translator.translate_sentences(sentences, "en", "pt", cancel=token)
    finally:
        engine.close()


def test_convert_exports_quantizes_and_registers(marian: tuple[Path, Path], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "convert", str(marian[0]), "--task", "translate", "--int8", "--id", "conv",
                 "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)
    assert entry["id"] == "conv" and entry["tasks"] == ["translate"] and entry["linked"] is False
    folder = Path(entry["path"])
    assert (folder / "encoder_model_quantized.onnx").is_file()
    assert (folder / "decoder_model_merged_quantized.onnx").is_file()
    import onnx

    graph = onnx.load(str(folder / "decoder_model_merged.onnx"), load_external_data=False).graph
    external = [t for t in graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    assert external and (folder / "decoder_model_merged.onnx_data").stat().st_size > 0  # memory-mapped at load
    assert Seq2SeqEngine(folder, variant="int8").files.quantized
    assert main(["translate", "-m", "conv", "--to", "de", "--int8", "--max-tokens", "4", "Hello"]) == 0
    bin_only = tmp_path / "pickle-ckpt"
    bin_only.mkdir()
    shutil.copy(marian[0] / "config.json", bin_only / "config.json")
    (bin_only / "pytorch_model.bin").write_bytes(b"pickle")
    assert main(["models", "convert", str(bin_only)]) == 1
    assert "pickle" in capsys.readouterr().err


def test_convert_without_optimum_says_how_to_install(marian: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "optimum.exporters.onnx", None)
    assert main(["models", "convert", str(marian[0])]) == 1
    assert "pip install 'candeia[convert]'" in capsys.readouterr().err


EN_DE_CARD = """id = "opus-mt-en-de"
name = "OPUS-MT English to German"
tasks = ["translate"]
engine = "onnxruntime"
language_pairs = [["en", "de"]]
[licence]
id = "CC-BY-4.0"
commercial_use = "yes"
url = "https://creativecommons.org/licenses/by/4.0/"
[source]
repo = "Xenova/opus-mt-en-de"
revision = "main"
[[source.files]]
path = "onnx/encoder_model_quantized.onnx"
role = "encoder"
size = 49366942
sha256 = "15834b45fabd2dfb8c6c029b3ca3e7289aeefd90ece798ce42bcf548d1bd3b8d"
"""


def test_card_pair_wins_over_the_folder(marian: tuple[Path, Path], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "opus-mt-en-de.toml").write_text(EN_DE_CARD, encoding="utf-8")
    monkeypatch.setenv(CATALOG_ENV, str(catalog))
    store = ModelStore()
    folder = _retag(marian[1], tmp_path / "retagged", "pt", "en")
    store.add(folder, model_id="from-card", tasks=["translate"], card_id="opus-mt-en-de")
    with TranslationService(store, options=FAST) as service:
        assert service.engine(folder).languages.pairs() == {("en", "de")}
        assert service.translate("Hello.", target="de", source="en").models == ["retagged"]


def test_llm_translation_through_the_service(tiny_gguf: Path) -> None:
    text = "# Title\n\nThe water is hot. The world is new.\n"
    with TranslationService() as service:
        result = service.translate(text, target="pt", source="en", kind="markdown", model=str(tiny_gguf))
    assert result.models == [tiny_gguf.name] and result.route == ["en", "pt"] and result.sentences == 3
    lines = result.text.split("\n")
    assert lines[0].startswith("# ") and lines[1] == "" and len(lines) == len(text.split("\n"))


def test_llm_translation_keeps_one_chat_model_loaded(tiny_gguf: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import engines.host.open_model

    opened: list[LlamaEngine] = []
    real = engines.host.open_model.open_chat_model

    def counted(ref: str, *args: object, **kwargs: object) -> LlamaEngine:
        engine = real(ref, *args, **kwargs)  # type: ignore[arg-type]
        opened.append(engine)
        return engine

    monkeypatch.setattr(engines.host.open_model, "open_chat_model", counted)
    other = Path(shutil.copy(tiny_gguf, tmp_path / "other-chat.gguf"))
    with TranslationService() as service:
        first = service.translate("The water is hot.", target="pt", source="en", model=str(tiny_gguf))
        again = service.translate("The water is hot.", target="pt", source="en", model=str(tiny_gguf))
        assert len(opened) == 1 and not opened[0].closed  # loaded once, kept between calls
        assert again.text == first.text
        service.translate("The world is new.", target="de", source="en", model=str(other))
        assert len(opened) == 2 and opened[0].closed and not opened[1].closed  # a switch frees the old model
    assert opened[1].closed  # and closing the service frees the last one
