"""Progress of a long step as log lines a user can plan with: the count, the rate, the time left.

    progress = Progress(len(pairs), "interpolated images", log, "integrated gradients")
    for batch in batches:
        ...
        progress.update(len(batch))

logs, for example, ``integrated gradients: 64/306 interpolated images, 3.1 images/s, about
1 min 18 s left``, and when the work is done ``306/306 interpolated images in 1 min 40 s,
3.1 images/s``.

Lines come after every tenth of the work (10 s apart at least) and, between those, once a minute
at first, then further apart as the step goes on (at most a quarter of its time so far between
lines); and one when the work is done. A step of seconds writes that one line, a step of hours a
few dozen, never one per item.

Not tqdm (a dependency of the data and dl extras): its bar is redrawn in place with carriage
returns, meant for a terminal. In a rule's log every redraw would be a fragment of a line
without the logging prefix, and it throttles by time only, not by share of the work.
"""

from __future__ import annotations

import logging
import math
import time


def duration(seconds: float) -> str:
    """A duration in words to plan with: '45 s', '1 min 18 s', '2 h 5 min'."""
    if not math.isfinite(seconds):
        return "an unknown time"
    if seconds < 1:
        return "under 1 s"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    m = round(seconds / 60)
    return f"{m // 60} h {m % 60} min"


class Progress:
    """``total`` items of work (``unit``: what they are, plural; ``singular``: its
    last word in the singular, if not that word less its final s) done in parts.

    The rate is the average since the step began (the object's creation): a first item that
    is slower (graph tracing, caches warming up) makes the first estimates pessimistic, not
    erratic. ``log`` None: :meth:`update` only counts and says whether a line is due, for a
    caller that writes its own line (with :meth:`status`). ``every`` None: by time only.
    ``total`` None: a stream of unknown length, by time only, with a rate but no time left.
    ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        total: int | None,
        unit: str,
        log: logging.Logger | None = None,
        prefix: str = "",
        *,
        singular: str | None = None,
        every: float | None = 0.1,
        seconds: float = 60.0,
        min_seconds: float = 10.0,
        clock=time.monotonic,
    ):
        self.total = None if total is None else int(total)
        self.unit, self.log, self.prefix = unit, log, prefix
        # Rates and times per item name the item by the unit's last word: "3.1 images/s".
        self.per = unit.split()[-1] if unit.strip() else unit
        self.singular = singular or self.per.removesuffix("s")
        self.every, self.seconds, self.min_seconds, self.clock = every, seconds, min_seconds, clock
        self.done = 0
        self.start = self._last_time = clock()
        self._last_done = 0

    def elapsed(self) -> float:
        return self.clock() - self.start

    def rate(self) -> float:
        """Items per second so far (0 before the first)."""
        elapsed = self.elapsed()
        return self.done / elapsed if elapsed > 0 else (math.inf if self.done else 0.0)

    def left(self) -> float:
        """Seconds the rest of the work will take at the rate so far (inf before any is done or
        when the total is unknown)."""
        rate = self.rate()
        if self.total is None:
            return math.inf
        return max(0, self.total - self.done) / rate if rate > 0 else math.inf

    def _rate_text(self) -> str:
        rate = self.rate()
        if round(rate, 1) >= 100:  # 99.96 reads as 100, not 100.0
            return f"{rate:,.0f} {self.per}/s"
        if rate >= 1 or math.isinf(rate):
            return f"{rate:.1f} {self.per}/s"
        return f"{duration(1 / rate)} per {self.singular}" if rate > 0 else f"no {self.singular} done yet"

    def status(self) -> str:
        """'64/306 interpolated images, 3.1 images/s, about 1 min 18 s left', or once all is done
        '306/306 interpolated images in 1 min 40 s, 3.1 images/s'."""
        if self.total is None:
            return f"{self.done:,} {self.unit}, {self._rate_text()}"
        count = f"{self.done:,}/{self.total:,} {self.unit}"
        if self.done >= self.total:
            return f"{count} in {duration(self.elapsed())}, {self._rate_text()}"
        left = self.left()
        return f"{count}, {self._rate_text()}, {'under 1 s' if left < 1 else f'about {duration(left)}'} left"

    def due(self) -> bool:
        """Whether a line is due now: the work is done; a tenth more of it is, ``min_seconds`` or
        more after the last line; or enough time has passed since the last line (``seconds``, or
        a quarter of the step's time so far if longer)."""
        if self.total is not None and self.done >= self.total:
            return self._last_done < self.total
        if self.done == self._last_done:
            return False
        now = self.clock()
        since = now - self._last_time
        tenth = self.every is not None and self.total is not None
        if tenth and self.done - self._last_done >= self.every * self.total and since >= self.min_seconds:
            return True
        return since >= max(self.seconds, (now - self.start) / 4)

    def update(self, n: int = 1) -> bool:
        """``n`` more items done; logs the status when a line is due. Returns whether one was."""
        self.done += n
        if not self.due():
            return False
        self._last_time, self._last_done = self.clock(), self.done
        if self.log is not None:
            self.log.info("%s%s", f"{self.prefix}: " if self.prefix else "", self.status())
        return True
