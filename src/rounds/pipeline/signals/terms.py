"""Emerging terms: words and hashtags whose recent rate jumps against their own baseline.

For every term (content words of 3+ letters that are not function words, and hashtags) the tracker keeps:
a count per 5-minute bucket for the last hour (the *recent* window) and a slow baseline rate per bucket
(exponentially weighted, half-life 24 hours, updated lazily when the term is seen). A term *emerges* when, in
the last hour, it was used by at least ``min_count`` posts from at least ``min_authors`` distinct authors, at
``min_ratio`` times its expected hourly count (baseline with a floor), with a Poisson tail score of at least
``min_score``; then it stays quiet for ``cooldown``. Nothing emerges in the stream's first ``warmup`` hours,
when every term is new. Memory is bounded: rare terms are pruned.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rounds.pipeline.signals.spikes import poisson_tail_score

STOP_WORDS = frozenset(
    str.split(
        """
    the and for are but not you all any can had her was one our out day get has him his how man new now old
    see two way who boy did its let put say she too use that with have this will your from they know want been
    good much some time very when come here just like long make many more only over such take than them well
    were what about after again also back because being could down even first from going great into last
    made most need never other people really right should still there their these thing think those through
    today very would where which while year years yes yeah lol omg just got gonna wanna dont cant wont im ive
    user url num amp via rt
    """
    )
)


@dataclass(frozen=True)
class TermSettings:
    bucket: timedelta = timedelta(minutes=5)
    window: timedelta = timedelta(hours=1)
    baseline_half_life: timedelta = timedelta(hours=24)
    floor_per_bucket: float = 0.02
    min_count: int = 8
    min_authors: int = 3
    min_ratio: float = 5.0
    min_score: float = 6.0
    cooldown: timedelta = timedelta(hours=12)
    warmup: timedelta = timedelta(hours=6)
    max_terms: int = 50_000


@dataclass(frozen=True)
class EmergingTerm:
    term: str
    at: datetime
    observed: int
    expected: float
    score: float
    authors: int


@dataclass
class _TermState:
    baseline: float = 0.0  # posts per bucket
    baseline_bucket: int = 0
    first_bucket: int = 0
    recent: deque[tuple[int, str]] = field(default_factory=deque)  # (bucket, author) per use
    quiet_until: float = -math.inf


def candidate_terms(tokens: list[str]) -> set[str]:
    """Terms a post contributes: hashtags and content words, once per post."""
    terms = set()
    for token in tokens:
        word = token.lstrip("#")
        if len(word) < 3 or not word[0].isalpha() or word in STOP_WORDS or word.startswith("neg_"):
            continue
        terms.add(token)
    return terms


class EmergingTermDetector:
    def __init__(self, settings: TermSettings | None = None) -> None:
        self.settings = settings or TermSettings()
        s = self.settings
        self._bucket_seconds = s.bucket.total_seconds()
        self._window_buckets = max(1, int(s.window.total_seconds() // self._bucket_seconds))
        half_life_buckets = s.baseline_half_life.total_seconds() / self._bucket_seconds
        self._decay = 0.5 ** (1.0 / half_life_buckets)
        self._terms: dict[str, _TermState] = {}
        self._started: float | None = None

    def _decayed(self, state: _TermState, bucket: int) -> float:
        steps = bucket - state.baseline_bucket
        return state.baseline * (self._decay**steps) if steps > 0 else state.baseline

    def observe(self, at: datetime, terms: set[str], author: str | None) -> list[EmergingTerm]:
        s = self.settings
        t = at.timestamp()
        bucket = int(t // self._bucket_seconds)
        oldest = bucket - self._window_buckets + 1
        if self._started is None:
            self._started = t
        warming = t - self._started < s.warmup.total_seconds()
        found: list[EmergingTerm] = []
        for term in terms:
            state = self._terms.get(term)
            if state is None:
                if len(self._terms) >= s.max_terms:
                    self._prune(bucket)
                state = self._terms[term] = _TermState(baseline_bucket=bucket, first_bucket=bucket)
            # Uses that fall out of the window join the baseline (each use adds 1 to its bucket's rate).
            while state.recent and state.recent[0][0] < oldest:
                used_bucket, _ = state.recent.popleft()
                state.baseline = self._decayed(state, used_bucket) + (1.0 - self._decay)
                state.baseline_bucket = max(state.baseline_bucket, used_bucket)
            state.recent.append((bucket, author or ""))
            observed = len(state.recent)
            if warming or observed < s.min_count or t < state.quiet_until:
                continue
            # Bias-corrected EWMA: the baseline has only seen the buckets since the term first appeared.
            seen = max(1, bucket - self._window_buckets - state.first_bucket + 1)
            rate = self._decayed(state, bucket) / (1.0 - self._decay**seen)
            expected = max(rate, s.floor_per_bucket) * self._window_buckets
            if observed < s.min_ratio * expected:
                continue
            authors = len({a for _, a in state.recent})
            if authors < s.min_authors:
                continue
            score = poisson_tail_score(observed, expected)
            if score < s.min_score:
                continue
            state.quiet_until = t + s.cooldown.total_seconds()
            found.append(
                EmergingTerm(
                    term=term,
                    at=at,
                    observed=observed,
                    expected=round(expected, 3),
                    score=round(score, 2),
                    authors=authors,
                )
            )
        return found

    def _prune(self, bucket: int) -> None:
        """Drop the half of the terms with the lowest current rate (rare words seen once long ago)."""
        ranked = sorted(
            self._terms.items(), key=lambda item: self._decayed(item[1], bucket) + len(item[1].recent)
        )
        for term, _ in ranked[: len(ranked) // 2]:
            del self._terms[term]
