"""The access token goes only where it belongs; huggingface_hub makes no request of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from fake_hub import FakeHub
from packaging.requirements import Requirement

from engines.download import Downloader, DownloadRequest, RetryPolicy, WantedFile
from engines.settings import Settings
from engines.store.model_store import ModelFormat, ModelStore
from tests_support import PROJECT_ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05, stall_timeout=2.0, connect_timeout=2.0)
HF_TOKEN = "hf_user_token_for_huggingface_co"
REPO = "org/tiny"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tiny_gguf: Path) -> Iterator[FakeHub]:
    monkeypatch.delenv("CANDEIA_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    with FakeHub() as server:
        server.add_file(REPO, "tiny.gguf", tiny_gguf.read_bytes())  # LFS: the hub redirects to the CDN origin
        server.add_file(REPO, "config.json", b"{}\n", lfs=False)  # served by the hub itself
        yield server


def _request() -> DownloadRequest:
    return DownloadRequest(REPO, (WantedFile("tiny.gguf"), WantedFile("config.json", "config")), "tiny", "Tiny",
                           ModelFormat.gguf)


def test_the_hugging_face_token_never_goes_to_a_mirror(hub: FakeHub) -> None:
    Downloader(Settings(hf_endpoint=hub.url), ModelStore(), FAST).run(_request())
    assert hub.log and {e.server for e in hub.log} == {"hub", "cdn"}
    assert [e.authorization for e in hub.log] == [None] * len(hub.log)


def test_a_token_saved_for_the_mirror_goes_to_it_and_not_across_a_redirect(hub: FakeHub) -> None:
    settings = Settings(hf_endpoint=hub.url, hub_tokens={hub.url + "/": "mirror-token", "https://other.example": "x"})
    Downloader(settings, ModelStore(), FAST).run(_request())
    to_hub = [e.authorization for e in hub.log if e.server == "hub"]
    to_cdn = [e.authorization for e in hub.log if e.server == "cdn"]
    assert to_hub and set(to_hub) == {"Bearer mirror-token"}  # HEADs and the small file's GET
    assert to_cdn and set(to_cdn) == {None}  # the 302 went to another origin: no token there


def test_which_endpoint_gets_which_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from engines.download.tokens import endpoint_key, token_for

    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    plain = Settings()
    assert token_for("https://huggingface.co", plain) == HF_TOKEN
    assert token_for("https://hf.co/", plain) == HF_TOKEN
    for elsewhere in ("https://hf-mirror.com", "http://huggingface.co", "https://huggingface.co.evil.example",
                      "https://huggingface.co:8443", "http://127.0.0.1:8080"):
        assert token_for(elsewhere, plain) is False, elsewhere
    saved = Settings(hub_tokens={"HTTPS://Mirror.Example:444/hf/": "m"})
    assert token_for("https://mirror.example:444/hf", saved) == "m"
    assert token_for("https://mirror.example/hf", saved) is False  # another port is another server
    assert token_for("https://huggingface.co", plain, explicit=False) is False
    assert endpoint_key("https://[::1]:8080/x/") == "https://[::1]:8080/x"


def test_the_privacy_switches_are_set_before_huggingface_hub_is_imported() -> None:
    code = ("import engines, huggingface_hub.constants as c, os, sys; "
            "print(c.HF_HUB_DISABLE_TELEMETRY, c.HF_HUB_DISABLE_IMPLICIT_TOKEN, c.HF_HUB_DISABLE_XET, "
            "'huggingface_hub' in sys.modules)")
    env = {**os.environ, "HF_HUB_DISABLE_TELEMETRY": "0", "DO_NOT_TRACK": "0", "DISABLE_TELEMETRY": "0"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True)
    assert out.stdout.split() == ["True", "True", "True", "True"]
    from engines.security.hub_env import SWITCHES

    assert all(os.environ[name] == value for name, value in SWITCHES.items())  # this process too


def test_huggingface_hub_is_bounded_to_the_tested_series() -> None:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [spec] = [Requirement(r) for r in pyproject["project"]["dependencies"] if r.startswith("huggingface_hub")]
    installed = version("huggingface_hub")
    major, minor = (int(p) for p in installed.split(".")[:2])
    assert spec.specifier.contains(installed)
    assert not spec.specifier.contains(f"{major}.{minor + 1}.0") and not spec.specifier.contains(f"{major + 1}.0.0")


def test_a_command_line_download_asks_the_hub_for_its_files_only(hub: FakeHub, tmp_path: Path) -> None:
    """The endpoint is the only host; nothing but the repository's files is asked for (no
    /api/agent-harnesses or other lookups), and huggingface_hub writes nothing in the user's cache."""
    user_home = tmp_path / "user"
    env = {**os.environ, "HOME": str(user_home), "HF_ENDPOINT": hub.url, "CANDEIA_HOME": str(tmp_path / "home"),
           "XDG_CACHE_HOME": str(user_home / ".cache")}
    for name in ("CANDEIA_OFFLINE", "HF_HOME", "HF_HUB_CACHE", "HF_TOKEN_PATH"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "engines.cli.main", "models", "download", f"hf.co/{REPO}/tiny.gguf", "-q", "--json"],
        capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["id"] == "tiny"
    paths = [e.path.split("?")[0] for e in hub.log]
    assert paths and all(p.startswith((f"/{REPO}/resolve/", f"/cdn/{REPO}/")) for p in paths), paths
    assert not (user_home / ".cache" / "huggingface").exists()
    assert [e.authorization for e in hub.log] == [None] * len(hub.log)
