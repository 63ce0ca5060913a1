"""A serving process keeps the cyclic garbage collector off its long-lived heap, and frees a replaced model."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

from service.config import REPO_ROOT


def test_settling_again_frees_the_cycles_of_what_was_frozen_and_dropped():
    """Run in a child process: freezing is process-wide and must not leak into the test session."""
    script = textwrap.dedent("""
        import gc, weakref
        from service.heap import resettle_heap_if_settled, settle_heap

        class Node:
            pass

        assert resettle_heap_if_settled() is None  # nothing settled yet: a CLI or a test process is left alone
        old = [Node() for _ in range(1000)]
        for node in old:
            node.self = node  # a reference cycle: only the cyclic collector frees it
        probe = weakref.ref(old[0])
        frozen = settle_heap()
        assert frozen >= 1000 and gc.get_freeze_count() == frozen
        del old, node
        gc.collect()
        assert probe() is not None  # frozen: the collector does not look at it
        assert resettle_heap_if_settled() is not None
        assert probe() is None  # settled again: the dropped cycle was freed
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
    assert gc.get_freeze_count() == 0  # this process was not touched
