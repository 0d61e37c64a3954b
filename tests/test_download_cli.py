"""`candeia-cli models download` end to end in a child process: kill -9 and resume, disk full, offline."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fake_hub import FakeHub

from engines.cards import builtin_cards_dir, load_catalog
from engines.cards.catalog import CATALOG_ENV
from engines.download.transfer import CHUNK_SIZE
from tests_support import repin_card_file
from tiny_gguf import write_tiny_llama

PROJECT = Path(__file__).resolve().parents[1]
CARD = "qwen2.5-0.5b-instruct-q4_k_m"


@pytest.fixture(scope="module")
def medium_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 8 MB: long enough to kill a throttled download half way."""
    return write_tiny_llama(tmp_path_factory.mktemp("medium") / "medium.gguf", n_embd=256, n_ff=2048, n_layer=1)


@pytest.fixture
def card_hub(medium_gguf: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    """The fake hub serving the real catalog card's repository and file name, and a copy of the
    catalog with that card re-pinned to the fake bytes (the real pins refuse them)."""
    monkeypatch.delenv("CANDEIA_OFFLINE", raising=False)
    card = next(c for c in load_catalog() if c.id == CARD)
    with FakeHub() as hub:
        fake = hub.add_file(card.source.repo, card.source.files[0].path, source=medium_gguf)
        catalog = tmp_path / "catalog"
        shutil.copytree(builtin_cards_dir(), catalog)
        text = (catalog / f"{CARD}.toml").read_text(encoding="utf-8")
        (catalog / f"{CARD}.toml").write_text(repin_card_file(
            text, size=fake.size, sha256=fake.sha256, revision=hub.repos[card.source.repo].commit), encoding="utf-8")
        hub.catalog = catalog  # type: ignore[attr-defined]
        monkeypatch.setenv(CATALOG_ENV, str(catalog))
        yield hub


def cli_env(home: Path, hub: FakeHub) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CANDEIA_OFFLINE", "HF_HUB_OFFLINE")}
    env.update(CANDEIA_HOME=str(home), HF_ENDPOINT=hub.url, HF_TOKEN="hf_fake", PYTHONPATH=str(PROJECT))
    if hasattr(hub, "catalog"):
        env[CATALOG_ENV] = str(hub.catalog)
    return env


def cli(*args: str, env: dict[str, str], timeout: float = 60, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engines.cli.main", *args], env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=PROJECT, **kw)  # type: ignore[call-overload]


def start_download_until(env: dict[str, str], part: Path, at_least: int) -> subprocess.Popen[str]:
    """Start `models download CARD` in a child and return once its .part holds `at_least` bytes."""
    child = subprocess.Popen([sys.executable, "-m", "engines.cli.main", "models", "download", CARD],
                             env=env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (part.exists() and part.stat().st_size >= at_least):
        time.sleep(0.02)
    return child


@dataclass
class Interrupted:
    child: subprocess.Popen[str]
    stderr: str
    part: Path
    size: int
    env: dict[str, str]


def interrupt_download(card_hub: FakeHub, medium_gguf: Path, candeia_home: Path, sig: int, at: float,
                       timeout: float) -> Interrupted:
    """Download the card slowly, send `sig` once the .part holds `at` of the file, and wait for the child."""
    size = medium_gguf.stat().st_size
    card_hub.faults.throttle = 2_000_000
    env = cli_env(candeia_home, card_hub)
    part = candeia_home / "downloads" / CARD / "qwen2.5-0.5b-instruct-q4_k_m.gguf.part"
    child = start_download_until(env, part, int(size * at))
    child.send_signal(sig)
    _, err = child.communicate(timeout=timeout)
    return Interrupted(child, err, part, size, env)


def test_kill_9_half_way_then_restart_finishes_with_the_right_sha256(
    card_hub: FakeHub, medium_gguf: Path, candeia_home: Path
) -> None:
    run = interrupt_download(card_hub, medium_gguf, candeia_home, signal.SIGKILL, at=1 / 3, timeout=10)
    child, part, size, env = run.child, run.part, run.size, run.env
    assert child.returncode == -signal.SIGKILL
    kept = part.stat().st_size
    assert 0 < kept < size, "the kill must land half way"
    state = json.loads(part.with_name(part.name + ".json").read_text())
    assert state["commit"] == card_hub.repos["Qwen/Qwen2.5-0.5B-Instruct-GGUF"].commit

    card_hub.faults.throttle = None
    done = cli("models", "download", CARD, env=env)
    assert done.returncode == 0, done.stderr
    gets = card_hub.gets()
    assert [g.range_start for g in gets] == [None, kept]  # resumed with Range from the bytes on disk
    served_twice = card_hub.sent_bytes(".gguf?signature=fake") - size
    assert 0 <= served_twice <= CHUNK_SIZE
    model = json.loads((candeia_home / "models.json").read_text())["models"][0]
    assert model["sha256"] == hashlib.sha256(medium_gguf.read_bytes()).hexdigest()
    assert model["card_id"] == CARD and not model["linked"]
    verify = cli("models", "verify", CARD, env=env)
    assert verify.returncode == 0 and "match their recorded sha256" in verify.stdout


def _limit_file_size() -> None:
    import resource  # POSIX only, like RLIMIT_FSIZE

    resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))


def test_disk_full_is_one_clear_line_and_nothing_is_installed(card_hub: FakeHub, candeia_home: Path) -> None:
    env = cli_env(candeia_home, card_hub)
    result = cli("models", "download", CARD, env=env, preexec_fn=_limit_file_size)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "the disk is full" in lines[0] and "Traceback" not in result.stderr
    assert not (candeia_home / "models" / CARD).exists()
    manifest = candeia_home / "models.json"
    assert not manifest.exists() or json.loads(manifest.read_text())["models"] == []


def test_piped_download_is_quiet_and_a_second_one_says_installed(card_hub: FakeHub, candeia_home: Path) -> None:
    env = cli_env(candeia_home, card_hub)
    first = cli("models", "download", CARD, env=env)
    assert first.returncode == 0 and first.stderr == ""
    assert first.stdout.startswith(f"installed {CARD} (")
    again = cli("models", "download", CARD, env=env)
    assert again.returncode == 1 and "already installed" in again.stderr


def test_unknown_reference_and_404_are_one_line(card_hub: FakeHub, candeia_home: Path) -> None:
    env = cli_env(candeia_home, card_hub)
    bad = cli("models", "download", "no-such-card", env=env)
    assert bad.returncode == 2 and "neither a catalog card nor a hub file" in bad.stderr
    missing = cli("models", "download", "hf.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/missing.gguf", env=env)
    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        "candeia-cli: error: Qwen/Qwen2.5-0.5B-Instruct-GGUF has no file 'missing.gguf' at revision 'main'"
    )


def test_any_hub_gguf_by_reference(card_hub: FakeHub, candeia_home: Path, medium_gguf: Path) -> None:
    env = cli_env(candeia_home, card_hub)
    ref = "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/blob/main/qwen2.5-0.5b-instruct-q4_k_m.gguf"
    result = cli("models", "download", ref, "--json", env=env)
    assert result.returncode == 0, result.stderr
    model = json.loads(result.stdout)
    assert model["id"] == "qwen2.5-0.5b-instruct-q4_k_m" and model["card_id"] is None
    assert model["sha256"] == hashlib.sha256(medium_gguf.read_bytes()).hexdigest()


def test_ctrl_c_exits_non_zero_and_leaves_a_resumable_download(
    card_hub: FakeHub, medium_gguf: Path, candeia_home: Path
) -> None:
    run = interrupt_download(card_hub, medium_gguf, candeia_home, signal.SIGINT, at=1 / 4, timeout=20)
    child, err, part, size, env = run.child, run.stderr, run.part, run.size, run.env
    assert child.returncode == 130
    assert "run 'candeia-cli models download" in err and "again to resume" in err and "Traceback" not in err
    kept = part.stat().st_size
    assert 0 < kept < size and part.with_name(part.name + ".json").exists()
    card_hub.faults.throttle = None
    assert cli("models", "download", CARD, env=env).returncode == 0
    assert card_hub.gets()[-1].range_start == kept
    removed = cli("models", "remove", CARD, "--yes", env=env)
    assert removed.returncode == 0 and not (candeia_home / "models" / CARD).exists()
