"""Models the user already has: Ollama's manifests and blobs, and other apps' default folders on every OS."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest
from test_caption_llama import write_mmproj

from engines.cli.main import main
from engines.store.model_store import ModelStore
from engines.store.scan import find_models, known_model_folders, ollama_name, scan

MODEL = "application/vnd.ollama.image.model"


def ollama_store(root: Path, tiny_gguf: Path, projector: Path | None = None) -> Path:
    """A made-up Ollama store: llama3.2:3b with a projector, jane/tiny:latest, a broken and a foreign manifest."""
    models = root / ".ollama" / "models"
    blobs = models / "blobs"
    blobs.mkdir(parents=True)

    def blob(data: bytes, legacy: bool = False) -> str:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / (f"sha256:{digest}" if legacy else f"sha256-{digest}")).write_bytes(data)
        return f"sha256:{digest}"

    weights = tiny_gguf.read_bytes()
    layers = [{"mediaType": MODEL, "digest": blob(weights), "size": len(weights)},
              {"mediaType": "application/vnd.ollama.image.template", "digest": blob(b"{{ .Prompt }}")},
              {"mediaType": "application/vnd.ollama.image.license", "digest": blob(b"Llama 3.2 licence")}]
    if projector is not None:
        data = projector.read_bytes()
        layers.append({"mediaType": "application/vnd.ollama.image.projector", "digest": blob(data)})
    manifests = models / "manifests"

    def manifest(rel: str, layer_list: list[dict[str, object]] | str) -> None:
        path = manifests / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = layer_list if isinstance(layer_list, str) else json.dumps(
            {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
             "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": blob(b"{}")},
             "layers": layer_list})
        path.write_text(text, encoding="utf-8")

    manifest("registry.ollama.ai/library/llama3.2/3b", layers)
    other = weights[:-1] + bytes([weights[-1] ^ 1])  # another model file (same shape, other bytes)
    manifest("registry.ollama.ai/jane/tiny/latest", [{"mediaType": MODEL, "digest": blob(other, legacy=True)}])
    manifest("registry.ollama.ai/library/broken/latest", "{ not json")
    manifest("registry.ollama.ai/library/gone/latest", [{"mediaType": MODEL, "digest": "sha256:" + "1" * 64}])
    return models


def test_ollama_names() -> None:
    root = PurePosixPath("/m/manifests")
    assert ollama_name(Path(root / "registry.ollama.ai/library/llama3.2/3b"), Path(root)) == "ollama:llama3.2:3b"
    assert ollama_name(Path(root / "registry.ollama.ai/jane/tiny/latest"), Path(root)) == "ollama:jane/tiny:latest"
    assert ollama_name(Path(root / "hf.co/bartowski/Qwen-GGUF/Q4_K_M"), Path(root)) == \
        "ollama:hf.co/bartowski/Qwen-GGUF:Q4_K_M"


def test_an_ollama_store_is_linked_in_place_with_its_names(tmp_path: Path, tiny_gguf: Path) -> None:
    projector = write_mmproj(tmp_path / "mmproj.gguf")
    models = ollama_store(tmp_path / "home", tiny_gguf, projector)
    skipped: list[tuple[Path, str]] = []
    found = find_models(tmp_path / "home", skipped)
    assert sorted(c.name or "" for c in found) == ["ollama:jane/tiny:latest", "ollama:llama3.2:3b"]
    assert {p.name for p, _ in skipped} == {"latest"} and len(skipped) == 2  # broken JSON, missing blob
    store = ModelStore()
    report = scan([models], store)
    by_name = {m.name: m for m in report.added}
    llama = by_name["ollama:llama3.2:3b"]
    assert llama.linked and Path(llama.path).parent == models / "blobs" and llama.format.value == "gguf"
    assert Path(llama.companions["mmproj"]).read_bytes() == projector.read_bytes()
    assert "mmproj" not in by_name["ollama:jane/tiny:latest"].companions
    assert not list(models.rglob("*.gguf"))  # nothing copied or renamed inside Ollama's store
    again = scan([models], store)
    assert again.added == [] and len(again.known) == 2


def test_models_scan_known_finds_ollama(tmp_path: Path, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    ollama_store(home, tiny_gguf)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)
    assert main(["models", "scan", "--known", "--json"]) == 0
    names = {m["name"] for m in json.loads(capsys.readouterr().out)["added"]}
    assert {"ollama:llama3.2:3b", "ollama:jane/tiny:latest"} <= names


def test_ollama_models_env_moves_the_store(tmp_path: Path, tiny_gguf: Path) -> None:
    models = ollama_store(tmp_path / "elsewhere", tiny_gguf)
    folders = known_model_folders("linux", PurePosixPath("/home/ana"), {"OLLAMA_MODELS": str(models)})
    assert next(f.path for f in folders if f.app == "Ollama") == models


def _paths(platform: str, home: str, env: dict[str, str]) -> dict[str, set[str]]:
    kind = PureWindowsPath if platform == "win32" else PurePosixPath
    result: dict[str, set[str]] = {}
    for folder in known_model_folders(platform, kind(home), env):
        result.setdefault(folder.app, set()).add(str(kind(str(folder.path))))
    return result


def test_default_folders_on_windows() -> None:
    paths = _paths("win32", r"C:\Users\Ana", {"LOCALAPPDATA": r"C:\Users\Ana\AppData\Local",
                                                "APPDATA": r"C:\Users\Ana\AppData\Roaming"})
    assert paths["GPT4All"] == {r"C:\Users\Ana\AppData\Local\nomic.ai\GPT4All"}
    assert paths["Jan"] == {r"C:\Users\Ana\AppData\Roaming\Jan\data"}
    assert paths["Ollama"] == {r"C:\Users\Ana\.ollama\models"}
    assert paths["LM Studio"] == {r"C:\Users\Ana\.lmstudio\models"}
    assert paths["Hugging Face cache"] == {r"C:\Users\Ana\.cache\huggingface\hub"}
    # Without the variables, the usual places under the profile.
    bare = _paths("win32", r"C:\Users\Ana", {})
    assert bare["GPT4All"] == {r"C:\Users\Ana\AppData\Local\nomic.ai\GPT4All"}


def test_default_folders_on_macos_and_linux() -> None:
    mac = _paths("darwin", "/Users/ana", {})
    assert mac["GPT4All"] == {"/Users/ana/Library/Application Support/nomic.ai/GPT4All"}
    assert mac["Jan"] == {"/Users/ana/Library/Application Support/Jan/data"}
    assert mac["Ollama"] == {"/Users/ana/.ollama/models"}
    linux = _paths("linux", "/home/ana", {"XDG_DATA_HOME": "/data/ana"})
    assert linux["GPT4All"] == {"/data/ana/nomic.ai/GPT4All"}
    assert linux["Jan"] == {"/home/ana/.config/Jan/data", "/data/ana/Jan/data"}
    assert linux["Ollama"] == {"/home/ana/.ollama/models"}
    assert linux["Ollama (system service)"] == {"/usr/share/ollama/.ollama/models"}


def test_gpt4all_and_jan_folders_are_scanned(tmp_path: Path, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    for folder in (home / ".local" / "share" / "nomic.ai" / "GPT4All", home / ".local" / "share" / "Jan" / "data"
                   / "models" / "tiny"):
        folder.mkdir(parents=True)
        shutil.copy(tiny_gguf, folder / "tiny.gguf")
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    report = scan([f.path for f in known_model_folders() if f.path.is_dir()], ModelStore())
    assert {Path(m.path).parent.name for m in report.added} == {"GPT4All", "tiny"}
