"""Volume spike detection over one stream of timestamps (a topic's posts, or only its negative posts).

Method (documented in docs/enrichment.md, "Spike detection"):

* Time is cut into 5-minute buckets. When a bucket closes, its count updates two baselines, both expressed as
  posts per bucket: a *recent level* (exponentially weighted moving average, half-life 6 hours) and a
  *seasonal level* for the bucket's hour of day (EWMA across days, half-life 3 days); both start as running
  means until they have seen enough buckets (bias-corrected start). Updates are
  winsorized: a bucket counts at most ``expected + 3*sqrt(expected) + 1`` towards the baselines, so one burst
  does not teach the baseline that bursts are normal, while a level that stays high is learned within hours.
* The expected count in the next 15 minutes is ``3 * max(recent, seasonal[hour], floor)`` - the larger of the
  two baselines, which keeps quiet nights from making every morning look like a spike.
* On every post, the count of posts in the trailing 15 minutes (``observed``) is compared with that
  expectation under a Poisson model: ``score = -log10 P(X >= observed | expected)``. An alert is raised when
  ``observed >= min_count``, ``observed >= min_ratio * expected`` and ``score >= min_score``.
* After an alert the detector is quiet for ``cooldown`` (2 hours), and it re-arms only once the trailing
  window has also dropped below the level that raised the last alert or the cooldown has passed.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class SpikeSettings:
    bucket: timedelta = timedelta(minutes=5)
    window: timedelta = timedelta(minutes=15)
    recent_half_life_buckets: float = 72.0  # 6 hours of 5-minute buckets
    seasonal_half_life_days: float = 3.0
    seasonal_min_buckets: int = 1  # buckets of an hour of day seen before its seasonal level counts
    floor_per_bucket: float = 0.2
    min_count: int = 10
    min_ratio: float = 3.5
    min_score: float = 4.0
    cooldown: timedelta = timedelta(hours=2)
    warmup: timedelta = timedelta(hours=0)


@dataclass(frozen=True)
class Spike:
    at: datetime
    observed: int
    expected: float
    score: float

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected else float("inf")


def poisson_tail_score(observed: int, expected: float) -> float:
    """``-log10 P(X >= observed)`` for X ~ Poisson(expected), computed stably in log space."""
    if observed <= 0 or expected <= 0:
        return 0.0 if observed <= 0 else 99.0
    if observed <= expected:
        return 0.0
    # log P(X = k) for the first terms of the tail; the tail sum converges fast once k > expected.
    log_p = -expected + observed * math.log(expected) - math.lgamma(observed + 1)
    total = 0.0
    term = 1.0
    k = observed
    while term > 1e-12 and k < observed + 1000:
        total += term
        k += 1
        term *= expected / k
    return max(0.0, -(log_p + math.log(total)) / math.log(10))


class SpikeDetector:
    """Streaming detector; feed timestamps in non-decreasing order with :meth:`observe`."""

    def __init__(self, settings: SpikeSettings | None = None) -> None:
        self.settings = settings or SpikeSettings()
        s = self.settings
        self._bucket_seconds = s.bucket.total_seconds()
        self._window_buckets = max(1.0, s.window.total_seconds() / self._bucket_seconds)
        self._recent_alpha = 1.0 - 0.5 ** (1.0 / s.recent_half_life_buckets)
        self._seasonal_alpha = 1.0 - 0.5 ** (1.0 / s.seasonal_half_life_days)
        self._recent = 0.0
        self._closed = 0
        self._seasonal: dict[int, tuple[float, int]] = {}  # hour of day -> (level, buckets seen)
        self._current_bucket: int | None = None
        self._current_count = 0
        self._window: deque[float] = deque()
        self._started: float | None = None
        self._quiet_until = -math.inf

    def expected_per_bucket(self, bucket_index: int) -> float:
        hour = self._hour_of(bucket_index)
        seasonal, seen = self._seasonal.get(hour, (0.0, 0))
        if seen < self.settings.seasonal_min_buckets:
            seasonal = 0.0
        return max(self._recent, seasonal, self.settings.floor_per_bucket)

    def _hour_of(self, bucket_index: int) -> int:
        return int((bucket_index * self._bucket_seconds) // 3600) % 24

    def _close_buckets(self, up_to: int) -> None:
        """Close the current bucket and any empty buckets before ``up_to``; update the baselines."""
        if self._current_bucket is None:
            self._current_bucket = up_to
            return
        bucket = self._current_bucket
        count = self._current_count
        # Long gaps: after 4 days of silence the baseline has decayed to nothing anyway; cap the loop.
        gap = up_to - bucket
        if gap > 4 * 24 * 12:
            bucket = up_to - 4 * 24 * 12
            count = 0
        while bucket < up_to:
            expected = self.expected_per_bucket(bucket)
            capped = min(float(count), expected + 3.0 * math.sqrt(expected) + 1.0)
            # Bias-corrected start: a running mean until the EWMA horizon is reached.
            self._closed += 1
            self._recent += max(self._recent_alpha, 1.0 / self._closed) * (capped - self._recent)
            hour = self._hour_of(bucket)
            # The seasonal level is per hour of day: one update per bucket, at 1/12 of the daily rate.
            previous, seen = self._seasonal.get(hour, (0.0, 0))
            seen += 1
            alpha = max(self._seasonal_alpha / 12.0, 1.0 / seen)
            self._seasonal[hour] = (previous + alpha * (capped - previous), seen)
            bucket += 1
            count = 0
        self._current_bucket = up_to
        self._current_count = 0

    def observe(self, at: datetime, weight: int = 1) -> Spike | None:
        """Count ``weight`` posts at ``at``; return a :class:`Spike` if this post raises an alert."""
        t = at.timestamp()
        if self._started is None:
            self._started = t
        bucket = int(t // self._bucket_seconds)
        if self._current_bucket is None or bucket > self._current_bucket:
            self._close_buckets(bucket)
        self._current_count += weight
        window_start = t - self.settings.window.total_seconds()
        for _ in range(weight):
            self._window.append(t)
        while self._window and self._window[0] <= window_start:
            self._window.popleft()
        observed = len(self._window)
        if t < self._quiet_until or t - self._started < self.settings.warmup.total_seconds():
            return None
        s = self.settings
        if observed < s.min_count:
            return None
        expected = self.expected_per_bucket(bucket) * self._window_buckets
        if observed < s.min_ratio * expected:
            return None
        score = poisson_tail_score(observed, expected)
        if score < s.min_score:
            return None
        self._quiet_until = t + s.cooldown.total_seconds()
        return Spike(at=at, observed=observed, expected=round(expected, 3), score=round(score, 2))
