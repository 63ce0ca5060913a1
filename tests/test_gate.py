"""The evaluation gate (STYLE.md 9): the committed model against the pinned floors and the
baselines on the real pages and the small composed set, plus the gate's own logic."""

from __future__ import annotations

import copy
import json

import pytest

from service.model import LABELS
from tests.conftest import DATA_DIR, need_shared
from training.__main__ import main as training_main
from training.gate import BASELINE_FILE, CEILINGS, check, read_pinned, render, run_gate, update_floors

REALPAGES = DATA_DIR / "realpages-dev" / "pages.jsonl"


def _figures(f1: float, fpr: float = 0.05, spans: bool = False) -> dict:
    out = {f"{label}_f1": f1 for label in LABELS} | {"any_bad_f1": f1, "clean_fpr": fpr}
    return out | ({"injected_spam_char_recall": f1} if spans else {})


@pytest.fixture()
def measured() -> dict:
    """Figures shaped as ``training.gate.measure`` returns them (no corpora needed)."""
    weak = {"lexicon": _figures(0.1), "fineweb_gopher": _figures(0.3, fpr=0.4)}
    return {"model_version": "test-1",
            "eval_sets": {"realpages": {"sha256": "a" * 64}, "composed": {"sha256": "b" * 64, "pages": 10}},
            "sets": {"realpages_all": {"pages": 10, "model": _figures(0.6), "baselines": copy.deepcopy(weak)},
                     "realpages_high": {"pages": 8, "model": _figures(0.6), "baselines": copy.deepcopy(weak)},
                     "composed": {"pages": 10, "model": _figures(0.9, spans=True),
                                  "baselines": copy.deepcopy(weak)}}}


@pytest.fixture()
def pinned(measured) -> dict:
    doc, loosened = update_floors(measured, None)
    assert loosened == []
    return doc


# --- the gate itself, in `make test` ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.corpora
@need_shared(REALPAGES)
def test_committed_model_passes_the_gate(loaded_model):
    result = run_gate(DATA_DIR, loaded=loaded_model)
    print(render(result, read_pinned()))
    assert result.passed, "evaluation gate failed:\n" + "\n".join(result.failures)


def test_baseline_file_pins_every_gated_figure_with_the_sets_hashes():
    pinned = read_pinned(BASELINE_FILE)
    assert pinned is not None, f"{BASELINE_FILE} is missing: run python -m training gate --update-floors"
    assert {"realpages", "composed"} <= set(pinned["eval_sets"])
    assert all(len(info["sha256"]) == 64 for info in pinned["eval_sets"].values())
    for set_name in ("realpages_all", "realpages_high", "composed"):
        bounds = pinned["floors"][set_name] | pinned["ceilings"][set_name]
        assert {f"{label}_f1" for label in (*LABELS, "any_bad")} | {"clean_fpr"} <= set(bounds)
    assert "injected_spam_char_recall" in pinned["floors"]["composed"]
    assert all(entry.get("reason") for entry in pinned["history"])


# --- check -------------------------------------------------------------------------------------


def test_check_passes_when_every_floor_is_met(measured, pinned):
    assert check(measured, pinned) == []


def test_a_missed_floor_names_the_metric_the_floor_and_the_value(measured, pinned):
    measured["sets"]["composed"]["model"]["link_farm_f1"] = 0.5
    assert check(measured, pinned) == ["composed: link_farm_f1 = 0.500 is below its floor 0.880"]


def test_a_false_positive_rate_over_its_ceiling_fails(measured, pinned):
    measured["sets"]["realpages_high"]["model"]["clean_fpr"] = 0.2
    assert check(measured, pinned) == ["realpages_high: clean_fpr = 0.200 is above its ceiling 0.070"]


@pytest.mark.parametrize("set_name", ["realpages_high", "composed"])
def test_the_model_must_beat_both_baselines_on_every_label(measured, pinned, set_name):
    measured["sets"][set_name]["baselines"]["fineweb_gopher"]["fabricated_listicle_f1"] = 0.95
    failures = check(measured, pinned)
    assert len(failures) == 1
    assert failures[0].startswith(f"{set_name}: fabricated_listicle F1")
    assert "does not beat the fineweb_gopher baseline's 0.950" in failures[0]


def test_a_tie_with_a_baseline_does_not_beat_it(measured, pinned):
    measured["sets"]["realpages_high"]["baselines"]["lexicon"]["injected_spam_f1"] = 0.6
    assert len(check(measured, pinned)) == 1


def test_baselines_on_all_real_pages_are_reported_not_gated(measured, pinned):
    measured["sets"]["realpages_all"]["baselines"]["fineweb_gopher"]["link_farm_f1"] = 0.9
    assert check(measured, pinned) == []


def test_a_changed_evaluation_set_fails_and_skips_its_floors(measured, pinned):
    measured["eval_sets"]["composed"]["sha256"] = "c" * 64
    measured["sets"]["composed"]["model"]["link_farm_f1"] = 0.5
    failures = check(measured, pinned)
    assert len(failures) == 1 and failures[0].startswith("evaluation set composed changed")


def test_no_pinned_file_fails(measured):
    assert "no floors are pinned" in check(measured, None)[0]


# --- update_floors -------------------------------------------------------------------------------


def test_first_pin_sits_a_margin_from_the_measured_values(measured, pinned):
    assert pinned["floors"]["composed"]["injected_spam_char_recall"] == pytest.approx(0.88)
    assert pinned["ceilings"]["realpages_all"]["clean_fpr"] == pytest.approx(0.07)
    assert set(CEILINGS) == {"clean_fpr"} and "clean_fpr" not in pinned["floors"]["composed"]
    assert pinned["eval_sets"] == measured["eval_sets"]
    assert pinned["history"][-1]["reason"] == "first pin"


def test_update_raises_floors_without_a_reason(measured, pinned):
    measured["sets"]["composed"]["model"]["link_farm_f1"] = 0.95
    measured["sets"]["composed"]["model"]["clean_fpr"] = 0.01
    doc, loosened = update_floors(measured, pinned)
    assert loosened == []
    assert doc["floors"]["composed"]["link_farm_f1"] == pytest.approx(0.93)
    assert doc["ceilings"]["composed"]["clean_fpr"] == pytest.approx(0.03)


def test_update_keeps_a_stricter_floor_the_model_still_meets(measured, pinned):
    measured["sets"]["composed"]["model"]["link_farm_f1"] = 0.89  # above 0.88, below 0.88 + margin
    doc, _ = update_floors(measured, pinned)
    assert doc["floors"]["composed"]["link_farm_f1"] == pytest.approx(0.88)


def test_lowering_a_floor_without_a_reason_is_refused(measured, pinned):
    measured["sets"]["composed"]["model"]["link_farm_f1"] = 0.7
    doc, missed = update_floors(measured, pinned)
    assert doc is None and missed == ["composed: link_farm_f1 = 0.700, pinned floor 0.880"]


def test_a_changed_set_needs_a_reason_to_re_pin(measured, pinned):
    measured["eval_sets"]["composed"]["sha256"] = "c" * 64
    doc, missed = update_floors(measured, pinned)
    assert doc is None and missed == ["evaluation set composed changed"]


def test_lowering_with_a_reason_re_pins_and_records_it(measured, pinned):
    measured["sets"]["composed"]["model"]["link_farm_f1"] = 0.7
    measured["model_version"] = "test-2"
    doc, loosened = update_floors(measured, pinned, reason="retrained on harder link farms")
    assert doc["floors"]["composed"]["link_farm_f1"] == pytest.approx(0.68)
    assert loosened == ["composed: link_farm_f1 floor 0.880 -> 0.680"]
    last = doc["history"][-1]
    assert last["reason"] == "retrained on harder link farms" and last["model_version"] == "test-2"
    assert last["loosened"] == loosened and len(doc["history"]) == 2
    assert check(measured, doc) == []


def test_the_baseline_file_round_trips_as_json(measured, pinned, tmp_path):
    path = tmp_path / "eval_baseline.json"
    path.write_text(json.dumps(pinned), encoding="utf-8")
    assert read_pinned(path) == pinned
    assert read_pinned(tmp_path / "absent.json") is None


def test_render_shows_bounds_baselines_and_the_verdict(measured, pinned):
    from training.gate import GateResult

    text = render(GateResult(measured, ["composed: x"], 12.0), pinned)
    assert ">= 0.880" in text and "<= 0.070" in text and "fineweb_gopher" in text
    assert "FAIL composed: x" in text and "gate took 12s" in text


def test_cli_reason_needs_update_floors(capsys):
    with pytest.raises(SystemExit) as exc:
        training_main(["gate", "--reason", "why"])
    assert exc.value.code == 2
    assert "--reason goes with --update-floors" in capsys.readouterr().err


# --- the composed set's cache --------------------------------------------------------------------


def test_gate_set_file_round_trips_and_hashes_its_lines(tmp_path):
    from training.examples import Example
    from training.gateset import read_examples, write_examples

    examples = [Example(example_id="e1", split="test", site="s", recipe="injected", lang="zh",
                        labels=["injected_spam"], url="http://a.example/1", text="正文。\n\n垃圾", spans=[(5, 7, "injected_spam")])]
    sha = write_examples(examples, tmp_path / "set.jsonl")
    back, sha_back = read_examples(tmp_path / "set.jsonl")
    assert back == examples and sha_back == sha and len(sha) == 64


def test_gate_set_cache_key_follows_seed_scale_and_corpora(tmp_path):
    from training.gateset import cache_key

    (tmp_path / "corpus.jsonl").write_text("{}\n", encoding="utf-8")
    key = cache_key(tmp_path, 13, 0.1)
    assert cache_key(tmp_path, 13, 0.1) == key
    assert cache_key(tmp_path, 14, 0.1) != key and cache_key(tmp_path, 13, 0.2) != key
    (tmp_path / "corpus.jsonl").write_text("{}\n{}\n", encoding="utf-8")
    assert cache_key(tmp_path, 13, 0.1) != key


def test_gate_set_child_refuses_to_compose_without_a_fixed_hash_seed(tmp_path, monkeypatch, capsys):
    from training.gateset import main as gateset_main

    monkeypatch.setenv("PYTHONHASHSEED", "random")
    assert gateset_main(["--data", str(tmp_path), "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "PYTHONHASHSEED=0" in capsys.readouterr().err
