"""The socket audit: every command, and the GUI self-test, with a guard that refuses and records any
socket beyond loopback (engines/security/socket_audit.py, switched on by CANDEIA_SOCKET_AUDIT and inherited
by every child process), with offline mode on and off. Downloads go to the configured endpoint
only: here a loopback fake hub. `packaging/check_frozen.py` runs the same audit on the frozen build.

A command added later must be added to COMMANDS below: test_every_command_is_audited fails until it is.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fake_hub import FakeHub
from sd_fixtures import cached_sd15
from tiny_encoders import cached_encoder
from tiny_seq2seq import build_marian, cached

from engines.cli.main import COMMANDS as CLI_COMMANDS
from engines.cli.main import build_parser
from engines.security.socket_audit import AUDIT_ENV, verdict
from tests_support import PROJECT_ROOT

REPO = "org/tiny"
# without the `image` extra `imagine` stops at its clear "needs stable-diffusion.cpp" line (exit 1)
HAS_IMAGE_ENGINE = all(importlib.util.find_spec(m) for m in ("stable_diffusion_cpp", "diffusers", "torch"))
IMAGINE_CODE = 0 if HAS_IMAGE_ENGINE else 1
RUN_TIMEOUT_S = 150


@dataclass(frozen=True)
class Command:
    args: tuple[str, ...]
    online_code: int = 0
    offline_code: int = 0
    gui: bool = False


def commands(models: dict[str, Path]) -> list[Command]:
    gguf, marian, captioner, image = (str(models[k]) for k in ("gguf", "marian", "captioner", "image"))
    download = f"hf.co/{REPO}/tiny.gguf"
    encoder, docs = str(models["encoder"]), str(models["docs"])
    return [
        Command(("hardware", "--json")),
        Command(("models", "catalog", "--json")),
        Command(("info", gguf)),
        Command(("models", "add", gguf, "--id", "tiny")),
        Command(("models", "add", marian, "--id", "tiny-en-de")),
        Command(("models", "scan", str(models["scan"]))),
        Command(("models", "list", "--json")),
        Command(("chat", "-m", "tiny", "--max-tokens", "4", "--seed", "1", "Hello")),  # runs in an engine host
        Command(("translate", "-m", "tiny-en-de", "--from", "en", "--to", "de", "--max-tokens", "4", "Hello")),
        Command(("translate", "-m", "tiny", "--from", "en", "--to", "pt", "Hello")),  # with a chat model
        Command(("caption", "-m", captioner, image, "--max-tokens", "4")),
        Command(("embed", "-m", encoder, "Hello")),
        Command(("imagine", "-m", str(models["sd"]), "--size", "64x64", "--steps", "1", "--seed", "1",
                 "-o", str(models["docs"].parent / "lighthouse.png"), "a lighthouse"),  # runs in an image host
                online_code=IMAGINE_CODE, offline_code=IMAGINE_CODE),
        Command(("analyze", "sentiment", "-m", "tiny", "Hello")),  # a chat model as a classifier, in a host
        Command(("kb", "create", "notes", "-m", encoder)),
        Command(("kb", "add", "notes", docs)),
        Command(("kb", "search", "notes", "harbour boats")),
        Command(("kb", "ask", "notes", "When do the boats sail?", "-m", "tiny", "--max-tokens", "4")),
        Command(("kb", "status", "notes")),
        Command(("kb", "list")),
        Command(("kb", "remove", "notes")),
        # the server: offline mode does not stop it, and its only socket is the one listening on loopback
        Command(("serve", "--port", "0", "--check")),
        # a remote endpoint on loopback where nothing listens: refused there, one line, exit 1
        Command(("models", "add-remote", "box", "--url", "http://127.0.0.1:9/v1"), online_code=1, offline_code=1),
        Command(("models", "refresh-remote", "box"), online_code=1, offline_code=1),  # box was not added: one line
        # the only command that goes online, and only to the configured (loopback) endpoint
        Command(("models", "download", download, "--id", "fetched", "-q"), offline_code=1),
        Command(("models", "verify", "fetched"), offline_code=1),  # offline: nothing was downloaded to verify
        Command(("models", "remove", "fetched", "--yes"), offline_code=1),
        Command(("--self-test",), gui=True),
    ]


# `models convert` runs optimum and PyTorch (the `convert` extra, not in the app or the frozen build); it
# reads a local checkpoint only. Left out here for time, named so the coverage check below stays honest.
NOT_AUDITED = {("models", "convert")}


def _cli_words(command: Command) -> tuple[str, ...]:
    words = [a for a in command.args if not a.startswith("-")]
    return tuple(words[:2]) if words and words[0] == "models" else tuple(words[:1])


def test_every_command_is_audited() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    models_sub = next(a for a in sub.choices["models"]._actions if isinstance(a, argparse._SubParsersAction))
    wanted = {(name,) for name in CLI_COMMANDS if name != "models"} | {("models", name) for name in models_sub.choices}
    fake = {k: Path(k) for k in ("gguf", "marian", "captioner", "image", "scan", "encoder", "docs", "sd")}
    covered = {_cli_words(c) for c in commands(fake) if not c.gui}
    assert wanted - NOT_AUDITED <= covered, f"not in the socket audit: {sorted(wanted - NOT_AUDITED - covered)}"


def test_the_test_session_itself_is_guarded() -> None:
    """conftest.py sets CANDEIA_SOCKET_AUDIT before importing engines: every test runs under the guard."""
    from engines.security import socket_audit

    assert socket_audit.installed() and os.environ.get(AUDIT_ENV)


def test_the_guard_decides_by_address() -> None:
    refused = [
        ("socket.connect", (None, ("192.0.2.1", 443))),
        ("socket.connect", (None, ("huggingface.co", 443))),
        ("socket.connect", (None, ("2001:db8::1", 443, 0, 0))),
        ("socket.sendto", (None, ("8.8.8.8", 53))),
        ("socket.bind", (None, ("0.0.0.0", 0))),
        ("socket.bind", (None, ("", 8080))),
        ("socket.getaddrinfo", ("huggingface.co", 443, 0, 0, 0)),
        ("socket.gethostbyname", ("example.org",)),
        ("socket.gethostbyaddr", ("192.0.2.1",)),
        ("socket.getnameinfo", (("192.0.2.1", 80), 0)),
    ]
    allowed = [
        ("socket.connect", (None, ("127.0.0.1", 8080))),
        ("socket.connect", (None, ("::1", 8080, 0, 0))),
        ("socket.connect", (None, ("::ffff:127.0.0.1", 8080, 0, 0))),
        ("socket.connect", (None, "/run/user/1000/bus")),  # AF_UNIX
        ("socket.bind", (None, ("127.0.0.1", 0))),
        ("socket.bind", (None, (0, 0))),  # AF_NETLINK: the kernel
        ("socket.sendmsg", (None, None)),  # on a connected socket, checked at connect
        ("socket.getaddrinfo", ("localhost", 80, 0, 0, 0)),
        ("socket.getaddrinfo", (None, 0, 0, 0, 0)),
        ("socket.gethostname", ()),
        ("socket.__new__", (None, 2, 1, 0)),
    ]
    assert all(verdict(event, args) for event, args in refused)
    assert [verdict(event, args) for event, args in allowed] == [None] * len(allowed)


def test_the_guard_travels_to_child_processes_and_refuses_before_any_packet(tmp_path: Path) -> None:
    """sys.audit raises the events by hand: nothing could leave even if the guard were broken."""
    log = tmp_path / "audit.log"
    child = ("import engines, sys\n"
             "for event, args in [('socket.connect', (None, ('192.0.2.1', 443))),"
             " ('socket.getaddrinfo', ('huggingface.co', 443, 0, 0, 0))]:\n"
             "    try:\n        sys.audit(event, *args)\n"
             "    except PermissionError as exc:\n        print('refused', exc)\n")
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}], check=True)"
    env = {**os.environ, AUDIT_ENV: str(log)}
    out = subprocess.run([sys.executable, "-c", parent], capture_output=True, text=True, env=env, timeout=60,
                         check=True)  # the parent imports nothing of Candeia: the child is guarded by its env alone
    assert out.stdout.count("socket audit: socket.") == 2 and out.stdout.count("refused") == 4
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [e["event"] for e in entries] == ["armed", "socket.connect", "socket.getaddrinfo"]
    assert "192.0.2.1" in entries[1]["blocked"] and "huggingface.co" in entries[2]["blocked"]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory, tiny_gguf: Path, tiny_captioner: Path) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("audit-models")
    from PIL import Image

    image = work / "photo.png"
    Image.new("RGB", (40, 30), (200, 80, 40)).save(image)
    scan = work / "scan-me"
    scan.mkdir()
    shutil.copy(tiny_gguf, scan / "scanned.gguf")
    _ckpt, marian = cached(tmp_path_factory.getbasetemp(), "marian", build_marian)
    docs = work / "docs"
    docs.mkdir()
    (docs / "harbour.md").write_text("# Harbour\n\nThe boats sail at dawn.\n", encoding="utf-8")
    return {"gguf": tiny_gguf, "marian": marian, "captioner": tiny_captioner / "onnx", "image": image, "scan": scan,
            "encoder": cached_encoder(tmp_path_factory.getbasetemp()), "docs": docs,
            "sd": cached_sd15(tmp_path_factory.getbasetemp()) if HAS_IMAGE_ENGINE else docs}


@pytest.fixture
def hub(tiny_gguf: Path) -> Iterator[FakeHub]:
    with FakeHub() as server:
        server.add_file(REPO, "tiny.gguf", tiny_gguf.read_bytes())
        yield server


def audit_env(tmp_path: Path, endpoint: str, offline: bool) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.json").write_text(json.dumps({"hf_endpoint": endpoint, "offline": offline}), encoding="utf-8")
    user = tmp_path / "user"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "CANDEIA_"))}
    env.update({AUDIT_ENV: str(tmp_path / "audit.log"), "CANDEIA_HOME": str(home), "HOME": str(user),
                "XDG_CACHE_HOME": str(user / ".cache"), "XDG_CONFIG_HOME": str(user / ".config"),
                "CANDEIA_CONFIG_HOME": str(user / ".config" / "Candeia"), "QT_QPA_PLATFORM": "offscreen",
                "HF_TOKEN": "hf_token_that_must_not_travel"})
    if offline:
        env["CANDEIA_OFFLINE"] = "1"
    return env


def read_audit(path: Path) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    return [e for e in entries if e["event"] == "armed"], [e for e in entries if e["event"] != "armed"]


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("offline", [True, False], ids=["offline", "online"])
def test_every_command_stays_on_this_machine(
    offline: bool, models: dict[str, Path], hub: FakeHub, tmp_path: Path
) -> None:
    env = audit_env(tmp_path, hub.url, offline)
    failures = []
    for command in commands(models):
        argv = ([sys.executable, "-m", "desktop.app", *command.args] if command.gui
                else [sys.executable, "-m", "engines.cli.main", *command.args])
        try:
            result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT_S,
                                    stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            failures.append(f"{' '.join(command.args)}: timed out")
            continue
        expected = command.offline_code if offline else command.online_code
        if result.returncode != expected:
            failures.append(f"{' '.join(command.args)}: exit {result.returncode}, not {expected}: "
                            f"{(result.stderr or result.stdout).strip()[-300:]}")
    armed, blocked = read_audit(tmp_path / "audit.log")
    assert not blocked, "sockets beyond loopback:\n" + "\n".join(json.dumps(b)[:1500] for b in blocked)
    assert not failures, "\n".join(failures)
    assert len(armed) >= len(commands(models)) + 1  # every command, and the engine hosts they started
    assert any("engines.cli.engine_host" in " ".join(map(str, e.get("orig_argv") or [])) for e in armed)
    requests = [e.path.split("?")[0] for e in hub.log]
    if offline:
        assert requests == []
    else:  # the configured endpoint only, for the repository's file only
        assert requests and all(p.startswith((f"/{REPO}/resolve/", f"/cdn/{REPO}/")) for p in requests), requests
        assert all(e.authorization is None for e in hub.log)  # the HF token is huggingface.co's alone
    assert not (tmp_path / "user" / ".cache" / "huggingface").exists()


# -- native code (Qt, llama.cpp, ONNX Runtime) is invisible to Python's audit hooks: watch the system calls --
_FAMILY = re.compile(r"sa_family=(AF_\w+)")
_INET = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


def _outside_sockets(trace: str) -> list[str]:
    """strace lines whose address is an IPv4/IPv6 address other than loopback (or any other network family)."""
    from engines.security.socket_audit import is_loopback_host

    bad = []
    for line in trace.splitlines():
        family = _FAMILY.search(line)
        if family is None or family.group(1) in ("AF_UNIX", "AF_LOCAL", "AF_NETLINK", "AF_UNSPEC"):
            continue
        addresses = [a or b for a, b in _INET.findall(line)]
        if family.group(1) not in ("AF_INET", "AF_INET6") or not addresses \
                or not all(is_loopback_host(a) for a in addresses):
            bad.append(line)
    return bad


def _strace_works() -> bool:
    if sys.platform != "linux" or shutil.which("strace") is None:
        return False
    try:
        return subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect", "true"], capture_output=True,
                              timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_native_code_opens_no_outside_socket(tiny_gguf: Path, hub: FakeHub, tmp_path: Path) -> None:
    """The GUI self-test and a chat (its engine host included) under strace, online: no connect, sendto,
    sendmsg or bind of any process to an address beyond loopback."""
    if not _strace_works():
        pytest.skip("strace is not available (or ptrace is not allowed) here")
    env = audit_env(tmp_path, hub.url, offline=False)
    runs = [[sys.executable, "-m", "desktop.app", "--self-test"],
            [sys.executable, "-m", "engines.cli.main", "chat", "-m", str(tiny_gguf), "--max-tokens", "4", "Hi"]]
    for index, argv in enumerate(runs):
        trace = tmp_path / f"trace-{index}.log"
        result = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg,bind", "-e",
                                 "signal=none", "-o", str(trace), *argv], capture_output=True, text=True, env=env,
                                timeout=RUN_TIMEOUT_S, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, result.stderr[-500:]
        assert _outside_sockets(trace.read_text(encoding="utf-8", errors="replace")) == []
    assert _outside_sockets('123 connect(3, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("192.0.2.1")}'
                            ', 16) = -1') != []  # the parser does see one
    assert hub.log == []


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in bundle is made of shell scripts")
def test_the_frozen_check_runs_the_audit(tmp_path: Path, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """packaging/check_frozen.py's online download and audit checks, on a stand-in "bundle" of scripts
    that run this checkout (the real bundle is built by scripts/check-frozen)."""
    monkeypatch.syspath_prepend(str(PROJECT_ROOT / "packaging"))
    import check_frozen

    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for name, module in (("candeia-cli", "engines.cli.main"), ("candeia", "desktop.app")):
        script = bundle / name
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m {module} "$@"\n', encoding="utf-8")
        script.chmod(0o755)
    log = tmp_path / "audit.log"
    env = audit_env(tmp_path, "http://127.0.0.1:9", offline=True)
    env[AUDIT_ENV] = str(log)
    report = check_frozen.Report()
    check_frozen.check_online(report, check_frozen.Frozen(bundle, env), tmp_path, tiny_gguf)
    check_frozen.Frozen(bundle, env).run("candeia-cli", "chat", "-m", str(tiny_gguf), "--max-tokens", "2", "Hi")
    check_frozen.check_socket_audit(report, log, tmp_path / "user", host_flag="engines.cli.engine_host")
    assert [r["ok"] for r in report.results] == [True, True], report.results
    with log.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"event": "socket.connect", "blocked": "address ('192.0.2.1', 443)"}) + "\n")
    check_frozen.check_socket_audit(report, log, tmp_path / "user", host_flag="engines.cli.engine_host")
    assert report.results[-1]["ok"] is False and "192.0.2.1" in str(report.results[-1]["detail"])
