"""`candeia-cli models catalog`: licence badges, --commercial, --language, sizes and the fit columns;
`models download` asks for non-commercial terms once."""

from __future__ import annotations

import json

import pytest

from engines.cards import load_catalog
from engines.cards.consent import needs_consent
from engines.cli.main import main

NON_COMMERCIAL = "qwen2.5-3b-instruct-q4_k_m"


def test_catalog_shows_licence_badges_sizes_and_fit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "catalog"]) == 0
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if row.startswith(NON_COMMERCIAL))
    assert "Qwen Research License [non-commercial]" in line and "2.1 GB" in line
    qwen = next(row for row in out.splitlines() if row.startswith("qwen2.5-0.5b-instruct-q4_k_m"))
    assert "491.4 MB" in qwen and "[open]" in qwen
    assert "[conditions]" in next(row for row in out.splitlines() if row.startswith("gemma-3-4b-it-q4_k_m"))


def test_commercial_filter(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "catalog", "--commercial", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    ids = {r["id"] for r in rows}
    assert rows and all(r["licence"]["commercial_use"] == "yes" and r["licence_badge"] == "open" for r in rows)
    assert NON_COMMERCIAL not in ids and "gemma-3-4b-it-q4_k_m" not in ids and "qwen3-4b-q4_k_m" in ids
    assert all(r["fit"]["ram"] > 0 and r["size"] == sum(f["size"] for f in r["source"]["files"]) for r in rows)


def test_language_filter(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "catalog", "--language", "pt", "--task", "chat", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all("pt" in r["languages"] for r in rows)
    assert "smollm2-1.7b-instruct-q4_k_m" not in {r["id"] for r in rows}


def test_download_asks_for_non_commercial_terms(capsys: pytest.CaptureFixture[str]) -> None:
    card = next(c for c in load_catalog() if c.id == NON_COMMERCIAL)
    # Not a terminal (pytest's stdin): no prompt to answer, so a clear refusal and nothing recorded.
    assert main(["models", "download", NON_COMMERCIAL]) == 2
    err = capsys.readouterr().err
    assert "non-commercial use only" in err and "--accept-licence" in err and card.licence.url in err
    assert needs_consent(card)
    # Accepted on the command line: recorded, then the download goes on (offline in the tests, so it stops there).
    assert main(["models", "download", NON_COMMERCIAL, "--accept-licence"]) == 1
    assert "offline" in capsys.readouterr().err.lower()
    assert not needs_consent(card)
