"""The README's curl example shows the committed model's real answer, through the API, byte for byte."""

from __future__ import annotations

import json
import re

from service.config import REPO_ROOT
from training.report import EXAMPLE_END, EXAMPLE_START, readme_example

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def _shown_response() -> dict:
    block = README[README.index(EXAMPLE_START):README.index(EXAMPLE_END)]
    return json.loads(re.search(r"```json\n(.*)\n```", block, re.DOTALL).group(1))


def test_readme_example_response_is_the_api_answer(client, auth, loaded_model):
    request, computed = readme_example(README, loaded_model)
    served = client.post("/v1/classify", json=request, headers=auth).get_json()
    assert served == computed
    assert _shown_response() == served, "stale README example: `python -m training train` rewrites it"


def test_readme_example_strips_the_injected_line():
    shown = _shown_response()
    assert shown["action"] == "strip" and shown["flags"] == ["injected_spam"]
    assert "人妻" not in shown["clean_text"] and "全市教育大会召开" in shown["clean_text"]
