"""``python -m training {build,train,retune,evaluate,gate,compare,languages,export-decisions}``.

* ``build``     rebuild lexicons and the composed, site-split page set from the corpora;
* ``train``     fit the model on the training split, tune thresholds on the dev split and the
                real dev pages, evaluate on the test split, write ``models/`` and ``reports/``;
* ``retune``    re-tune the committed model's thresholds on the dev pages (no refit) and publish it again;
* ``evaluate``  evaluate the committed model and its baselines; write ``reports/``;
* ``gate``      check the committed model against the floors pinned in
                ``training/eval_baseline.json`` and the baselines (``--update-floors`` re-pins);
* ``compare OLD NEW``  the real pages whose flags differ between two ``evaluation.json`` reports;
* ``languages``  the service's language identification against langdetect alone, on English corpora;
* ``export-decisions``  moderator decisions from the review queue as JSONL training examples
                (``train --decisions FILE`` trains with them and reports before and after).

The corpora path defaults to ``../shared/data`` (config ``training.data_dir`` or
``PAGESIEVE_TRAINING_DATA_DIR``; ``--data`` overrides).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from service.config import REPO_ROOT, load_config

WORK_DIR = REPO_ROOT / "var" / "training"
REPORTS_DIR = REPO_ROOT / "reports"


def _data_dir(arg: str | None) -> Path:
    return Path(arg) if arg else load_config().path("training", "data_dir")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="verb", required=True)
    for verb in ("build", "train", "retune", "evaluate", "gate"):
        p = sub.add_parser(verb)
        p.add_argument("--data", help="corpora directory (default ../shared/data)")
        p.add_argument("--work", type=Path, default=WORK_DIR, help="where composed pages are kept")
    sub.choices["build"].add_argument("--scale", type=float, default=1.0, help="share of the default page counts")
    sub.choices["build"].add_argument("--seed", type=int, default=13)
    sub.choices["train"].add_argument("--model-dir", type=Path, default=REPO_ROOT / "models")
    sub.choices["train"].add_argument("--version", help="model version (default: date + data hash)")
    sub.choices["train"].add_argument("--scale", type=float, default=1.0, help="build scale when a build is needed")
    sub.choices["train"].add_argument("--out", type=Path, default=REPORTS_DIR, help="where reports are written")
    sub.choices["train"].add_argument("--model-seed", type=int, help="the models' random state (default: the "
                                      "committed model's); compare a change over several seeds")
    sub.choices["train"].add_argument("--decisions", type=Path, help="moderator decisions (export-decisions JSONL) "
                                      "added to the training split (less those on realpages-dev pages); the report then "
                                      "compares before (the model --model-dir held, else the committed one) and after")
    compare = sub.add_parser("compare", help="real pages whose flags differ between two evaluation.json reports")
    compare.add_argument("old", type=Path)
    compare.add_argument("new", type=Path)
    compare.add_argument("--data", help="corpora directory (default ../shared/data), for the pages' gold labels")
    languages = sub.add_parser("languages", help="language identification as served against langdetect alone")
    languages.add_argument("--data", help="corpora directory (default ../shared/data)")
    export = sub.add_parser("export-decisions", help="moderator decisions as JSONL training examples")
    export.add_argument("--out", type=Path, required=True, help="JSONL file to write")
    export.add_argument("--database-url", help="review queue database (default: the service's configuration)")
    sub.choices["retune"].add_argument("--model-dir", type=Path, default=REPO_ROOT / "models")
    sub.choices["retune"].add_argument("--out", type=Path, default=REPORTS_DIR, help="where reports are written")
    sub.choices["evaluate"].add_argument("--model-dir", type=Path, default=REPO_ROOT / "models")
    sub.choices["evaluate"].add_argument("--out", type=Path, default=REPORTS_DIR)
    sub.choices["gate"].add_argument("--model-dir", type=Path, default=REPO_ROOT / "models")
    sub.choices["gate"].add_argument("--update-floors", action="store_true",
                                     help="re-pin floors at the measured values minus the margin (raise only)")
    sub.choices["gate"].add_argument("--reason", help="why floors may go down; recorded in the baseline file")
    args = parser.parse_args(argv)
    if getattr(args, "reason", None) and not args.update_floors:
        parser.error("--reason goes with --update-floors")
    if args.verb == "export-decisions":
        from training.decisions import ExportError, export_decisions

        try:
            count = export_decisions(args.database_url or load_config().database_url(), args.out)
        except (ExportError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {count} decisions to {args.out}", file=sys.stderr)
        return 0
    data = _data_dir(args.data)
    if not data.is_dir():
        print(f"error: corpora directory {data} not found (set --data or PAGESIEVE_TRAINING_DATA_DIR)",
              file=sys.stderr)
        return 2
    if args.verb == "compare":
        from training.realpages import load_realpages
        from training.report import compare_realpages

        gold = {page.id: page.labels for page in load_realpages(data)}
        reports = [json.loads(path.read_text(encoding="utf-8")) for path in (args.old, args.new)]
        print("\n".join(compare_realpages(*reports, gold)))
        return 0
    if args.verb == "languages":
        from training.languages import report

        print("\n".join(report(data)))
        return 0
    if args.verb == "build":
        from training.build import build

        summary = build(data, args.work, seed=args.seed, scale=args.scale)
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0
    if args.verb == "train":
        from training.pipeline import train_and_publish

        train_and_publish(data, args.work, args.model_dir, args.out, version=args.version, scale=args.scale,
                          decisions=args.decisions, seed=args.model_seed)
        return 0
    if args.verb == "retune":
        from training.pipeline import retune_published

        retune_published(data, args.work, args.model_dir, args.out)
        return 0
    if args.verb == "gate":
        from training.gate import gate_main

        return gate_main(data, args.model_dir, update=args.update_floors, reason=args.reason)
    from training.pipeline import evaluate_published

    evaluate_published(data, args.work, args.model_dir, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
