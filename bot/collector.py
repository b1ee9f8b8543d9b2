"""Full garbage collections at quiet moments, not in the middle of a burst of updates.

After start-up the heap is frozen out of the collector's sight (`bot/app.py`), but CPython
still runs a full (generation 2) collection every ~70,000 net allocations, walking every
object made since: under 200 updates/s that was a 100-400 ms stall every few seconds, the
benchmark's p99 and max (issue #21; gc.callbacks timings in the commit message). Here
automatic full collections are held back and done by a JobQueue job when no update has been
handled for a while, and at least every `AT_LEAST_EVERY` seconds. Young cycles are still
collected by the generation 0 and 1 collections as before, so only cyclic garbage that
survived those waits a little longer for its turn.
"""

from __future__ import annotations

import gc
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from telegram.ext import ContextTypes

    from bot.context import App
    from bot.updates import OrderedUpdateProcessor

CHECK_EVERY = 1.0  # seconds
AT_LEAST_EVERY = 600.0  # seconds: a bot that is never quiet still collects
NEVER = 2**31 - 1  # a generation 2 threshold no count reaches


class QuietCollector:
    def __init__(self, processor: OrderedUpdateProcessor) -> None:
        self.processor = processor
        self._seen = -1
        self._last = time.monotonic()
        self.collections = 0
        self.threshold = gc.get_threshold()  # restored by `release`

    def release(self) -> None:
        """Automatic full collections again (the bot stopped)."""
        gc.set_threshold(*self.threshold)

    def quiet(self) -> bool:
        """Nothing in flight and nothing handled since the previous check."""
        handled = self.processor.handled
        was, self._seen = self._seen, handled
        return self.processor.admitted == 0 and handled == was

    def tick(self) -> bool:
        """Collect fully if quiet or overdue; True when it did."""
        now = time.monotonic()
        if not self.quiet() and now - self._last < AT_LEAST_EVERY:
            return False
        gc.collect()
        self._last = time.monotonic()
        self.collections += 1
        return True

    async def job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.tick()


def hold_full_collections(app: App, processor: OrderedUpdateProcessor) -> QuietCollector | None:
    """Leave full collections to a `QuietCollector` job (needs the JobQueue)."""
    if app.job_queue is None:
        return None
    collector = QuietCollector(processor)
    collector.threshold = gc.get_threshold()
    gc.set_threshold(collector.threshold[0], collector.threshold[1], NEVER)
    app.job_queue.run_repeating(collector.job, interval=CHECK_EVERY, name="gc:quiet")
    return collector
