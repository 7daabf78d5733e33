"""One topic's signal monitor: feeds each enriched post to the detectors and returns the alerts it raises.

- ``volume_spike`` (``signals.volume.v1``): :class:`~rounds.pipeline.signals.spikes.SpikeDetector` over all posts;
- ``negative_spike`` (``signals.negative.v1``): the same detector over negative posts only, with a lower
  minimum count (negative posts are a fraction of the stream);
- ``emerging_term`` (``signals.terms.v1``): :class:`~rounds.pipeline.signals.terms.EmergingTermDetector`;
- ``emergency`` (``signals.emergency.v1``): every post with the emergency/self-harm intent alerts at once,
  with no baseline, no minimum count and no cooldown.

Posts must come in time order; a post older than the last one seen is counted at the last time seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rounds.domain.enrichment import AlertKind, Enrichment, Intent, Sentiment, SignalAlert
from rounds.domain.posts import Post
from rounds.pipeline.signals.spikes import SpikeDetector, SpikeSettings
from rounds.pipeline.signals.terms import EmergingTermDetector, TermSettings, candidate_terms
from rounds.pipeline.text import TextView

VOLUME = "signals.volume.v1"
NEGATIVE = "signals.negative.v1"
TERMS = "signals.terms.v1"
EMERGENCY = "signals.emergency.v1"


@dataclass(frozen=True)
class MonitorSettings:
    volume: SpikeSettings = field(default_factory=SpikeSettings)
    negative: SpikeSettings = field(default_factory=lambda: SpikeSettings(min_count=6))
    terms: TermSettings = field(default_factory=TermSettings)


class SignalMonitor:
    def __init__(self, settings: MonitorSettings | None = None) -> None:
        self.settings = settings or MonitorSettings()
        self.volume = SpikeDetector(self.settings.volume)
        self.negative = SpikeDetector(self.settings.negative)
        self.terms = EmergingTermDetector(self.settings.terms)
        self._last: datetime | None = None

    def observe(self, post: Post, enrichment: Enrichment, view: TextView | None = None) -> list[SignalAlert]:
        at = post.created_at
        if self._last is not None and at < self._last:
            at = self._last
        self._last = at
        alerts: list[SignalAlert] = []
        if Intent.EMERGENCY_SELF_HARM in enrichment.intents:
            score = enrichment.intent_scores.get(Intent.EMERGENCY_SELF_HARM.value, 1.0)
            alerts.append(
                SignalAlert(
                    at=post.created_at,
                    kind=AlertKind.EMERGENCY,
                    score=round(score, 3),
                    reason="post shows emergency or self-harm risk; review now and follow the crisis protocol",
                    component=EMERGENCY,
                    post_id=post.remote_id,
                )
            )
        spike = self.volume.observe(at)
        if spike is not None:
            alerts.append(
                SignalAlert(
                    at=post.created_at,
                    kind=AlertKind.VOLUME_SPIKE,
                    score=spike.score,
                    reason=(
                        f"{spike.observed} posts in the last 15 minutes against {spike.expected:g} expected "
                        f"({spike.ratio:.1f}x the seasonal/recent baseline)"
                    ),
                    component=VOLUME,
                    post_id=post.remote_id,
                )
            )
        if enrichment.sentiment is Sentiment.NEGATIVE:
            spike = self.negative.observe(at)
            if spike is not None:
                alerts.append(
                    SignalAlert(
                        at=post.created_at,
                        kind=AlertKind.NEGATIVE_SPIKE,
                        score=spike.score,
                        reason=(
                            f"{spike.observed} negative posts in the last 15 minutes against {spike.expected:g} "
                            f"expected ({spike.ratio:.1f}x the baseline of negative posts)"
                        ),
                        component=NEGATIVE,
                        post_id=post.remote_id,
                    )
                )
        tokens = (view or TextView(post.text)).tokens
        author = post.author.handle or post.author.name or post.remote_id
        for term in self.terms.observe(at, candidate_terms(tokens), author):
            alerts.append(
                SignalAlert(
                    at=post.created_at,
                    kind=AlertKind.EMERGING_TERM,
                    score=term.score,
                    reason=(
                        f"term '{term.term}' used in {term.observed} posts by {term.authors} authors in the last hour "
                        f"against {term.expected:g} expected"
                    ),
                    component=TERMS,
                    post_id=post.remote_id,
                    term=term.term,
                )
            )
        return alerts
