"""Where the time goes: a sampling profile of the per-page path, grouped by stage.

A background thread samples the main thread's stack every millisecond
(``sys._current_frames``) and charges each sample to the innermost frame
that belongs to a stage, so lazily computed work lands where it is done: the
normalisation a feature triggers counts as normalisation, jieba called by
the n-gram analyzer counts as segmentation. The standard library is enough
(no profiler dependency); sampling, unlike cProfile, does not inflate the
cost of the many small Python calls.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter

# (stage, path fragment, function names or None for any): the innermost matching frame wins.
STAGE_RULES: list[tuple[str, str, frozenset[str] | None]] = [
    ("language identification", "/langdetect/", None),
    ("language identification", "service/analysis/langid.py", None),
    ("language identification", "service/analysis/text.py", frozenset({"detect_language", "_langdetect"})),
    ("normalisation and segmentation", "service/analysis/text.py", None),
    ("normalisation and segmentation", "/opencc/", None),
    ("normalisation and segmentation", "/rjieba/", None),
    ("normalisation and segmentation", "/jieba/", None),
    ("HTML parsing and blocks", "service/analysis/", None),
    ("HTML parsing and blocks", "/lxml/", None),
    ("HTML parsing and blocks", "/charset_normalizer/", None),
    ("request decoding and JSON", "service/requests.py", None),
    ("request decoding and JSON", "/json/", None),
    ("n-gram hashing", "service/model/ngrams.py", None),
    ("n-gram hashing", "/sklearn/", None),
    ("models (forests, linear scorers)", "service/model/compiled.py", None),
    ("models (forests, linear scorers)", "/scipy/", None),
    ("models (forests, linear scorers)", "service/model/pipeline.py", None),
    ("features", "service/features/", None),
    ("verdict and reasons", "service/model/verdict.py", None),
    ("verdict and reasons", "service/model/reasons.py", None),
]
OTHER = "other (glue, numpy)"


def stage_of(frame) -> str:
    """The stage a stack sample belongs to (innermost matching frame)."""
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename.replace("\\", "/")
        for stage, fragment, names in STAGE_RULES:
            if fragment in filename and (names is None or code.co_name in names):
                return stage
        frame = frame.f_back
    return OTHER


class StageSampler:
    """Sample one thread's stack at a fixed interval while the ``with`` block runs."""

    def __init__(self, interval: float = 0.001, thread_id: int | None = None):
        self.interval = interval
        self.thread_id = thread_id if thread_id is not None else threading.get_ident()
        self.samples: Counter = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stage-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            frame = sys._current_frames().get(self.thread_id)
            if frame is not None:
                self.samples[stage_of(frame)] += 1
            time.sleep(self.interval)

    def __enter__(self) -> StageSampler:
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(self.interval / 2)  # let the sampler in often enough
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        sys.setswitchinterval(self._switch)

    def shares(self) -> dict[str, float]:
        """Stage -> share of samples, largest first."""
        total = sum(self.samples.values()) or 1
        return {stage: n / total for stage, n in self.samples.most_common()}
