"""The four real seed pages get the verdicts LABELS.md requires, through the API and the CLI."""

from __future__ import annotations

import json

import pytest

from service.cli import classify_main
from tests.conftest import SEEDS_DIR, jsonl, need_shared

pytestmark = need_shared(SEEDS_DIR)

EXPECTED = {
    "000_536e830423d99762": (set(), "keep"),
    "001_f9dc9fadd28682bf": ({"injected_spam"}, "strip"),
    "002_2600a6dc2a3bdbc9": ({"fabricated_listicle"}, "drop"),
    "003_004cbf1e28ad066e": ({"fabricated_listicle", "link_farm"}, "drop"),
}


def _seed(name: str) -> str:
    return (SEEDS_DIR / f"{name}.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def verdicts_cli(tmp_path_factory):
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        classify_main([str(SEEDS_DIR / f"{name}.txt") for name in EXPECTED])
    return {v["id"]: v for v in jsonl(buf.getvalue())}


# Known gaps of the committed model, tracked until the retrain that fixes them (strict: an
# unexpected pass fails, so the mark must be removed the moment the model meets the contract).
KNOWN_GAPS: dict[str, str] = {}  # seed -> why it is not met yet (a strict xfail, so that meeting it is noticed)


def _params():
    return [pytest.param(name, marks=pytest.mark.xfail(reason=KNOWN_GAPS[name], strict=True))
            if name in KNOWN_GAPS else name for name in EXPECTED]


@pytest.mark.parametrize("name", _params())
def test_seed_via_api(client, auth, name):
    verdict = client.post("/v1/classify", json={"id": name, "text": _seed(name)}, headers=auth).get_json()
    flags, action = EXPECTED[name]
    assert set(verdict["flags"]) == flags, verdict["labels"]
    assert verdict["action"] == action


@pytest.mark.parametrize("name", _params())
def test_seed_via_cli(verdicts_cli, name):
    flags, action = EXPECTED[name]
    assert set(verdicts_cli[name]["flags"]) == flags and verdicts_cli[name]["action"] == action


def test_seed_000_boilerplate_is_located(verdicts_cli):
    v = verdicts_cli["000_536e830423d99762"]
    boiler = "".join(v["text"][s["start"]:s["end"]] for s in v["spans"] if s["label"] == "boilerplate")
    assert "版权与免责声明" in boiler or "相关阅读" in boiler
    assert "双峰县召开" in v["clean_text"]


def test_seed_001_strip_removes_the_spam_line_and_keeps_the_article(verdicts_cli):
    v = verdicts_cli["001_f9dc9fadd28682bf"]
    spam = [s for s in v["spans"] if s["label"] == "injected_spam"]
    assert spam and all("亚洲综合性色" in v["text"][s["start"]:s["end"]] for s in spam[:1])
    assert "亚洲综合性色" not in v["clean_text"] and "高清无码" not in v["clean_text"]
    assert "全市教育大會召開" in v["clean_text"] or "全市教育大會召開" in v["text"]
    assert "朱洪武指出" in v["clean_text"]
    assert any(r["code"] == "BROKEN_CONVERSION" for r in v["reasons"])


def test_seed_003_farm_span_covers_the_headline_wall(verdicts_cli):
    v = verdicts_cli["003_004cbf1e28ad066e"]
    text = v["text"]
    wall_start = text.index("- • 安源二小新校区")
    farm = [s for s in v["spans"] if s["label"] == "link_farm"]
    assert farm
    covered = sum(min(s["end"], len(text)) - max(s["start"], wall_start) for s in farm if s["end"] > wall_start)
    assert covered >= 0.9 * (len(text.rstrip()) - wall_start)
    assert json.dumps(v["reasons"], ensure_ascii=False).count("OFFTOPIC_HEADLINE_LIST") >= 1
