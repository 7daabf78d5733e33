"""Signal alerts over stored posts: per-topic volume spikes, negative-sentiment spikes and emerging terms.

The statistics are the pipeline's (:mod:`rounds.pipeline.signals`: ``SpikeDetector`` with its seasonality-aware
baseline, ``EmergingTermDetector``, the settings of :class:`~rounds.pipeline.signals.monitor.MonitorSettings`);
this module only decides what to feed them and what to store.

**Which posts.** A topic match is *pending* until the detectors have seen it (``topic_matches.signals_checked_at``
is NULL). Ingest leaves its new matches pending and calls :func:`check_signals` in the same transaction, inside a
savepoint (a failure leaves them pending and never stops ingest); the scheduler tick calls
:func:`check_pending_signals` for every organization, which picks up anything a crash or a failure left
pending. Backfilled matches are history and are stored as checked.

**How, per topic with pending matches** (no detector state is kept between runs: it is recomputed from the
stored posts, so a restart changes nothing). Let ``t0`` be the earliest created_at of the pending posts.

* Volume and negative spikes: the topic's posts from ``t0 - 7 days`` are replayed in time order. Those older
  than the trailing window before ``t0`` enter as 5-minute bucket counts (``observe(bucket start, weight)``: the
  baselines only ever see bucket counts); the rest enter one by one. A spike counts only when the post that
  raised it is pending.
* Emerging terms: the same over the last 48 hours before ``t0`` (the term baseline's half-life is 24 hours),
  post by post (terms need the words; each post's candidate terms are cached in memory by post id).

**Never twice.** An alert's ``dedupe_key`` (``kind:topic:bucket[:term]``, unique) is one per kind, topic,
5-minute bucket and term, and a stored alert of the same kind, topic and term within the detector's cooldown
suppresses a new one; a replay from a different starting point, a second process or a re-run after a crash
therefore raises nothing new. Reasons give counts and expectations, never post text (the term itself is kept
in ``signal_key``, shown in the app only).

**Notifications.** Every signal alert is shown in the app; active rules of the same kind (for the topic, or for
every topic) add their channels, delivered after the rule's quiet hours. A signal older than a day (an import of
history) is recorded in the app only.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rounds.db import Database
from rounds.db.listening import Alert, AlertRule, StoredPost, Topic, TopicMatch
from rounds.db.models import utcnow
from rounds.domain.enrichment import AlertKind, Sentiment
from rounds.pipeline.signals.monitor import NEGATIVE, TERMS, VOLUME, MonitorSettings
from rounds.pipeline.signals.spikes import Spike, SpikeDetector
from rounds.pipeline.signals.terms import EmergingTermDetector, candidate_terms
from rounds.pipeline.text import TextView

logger = logging.getLogger(__name__)

SPIKE_LOOKBACK = timedelta(days=7)
TERM_LOOKBACK = timedelta(hours=48)
NOTIFY_MAX_AGE = timedelta(days=1)
"""Signals older than this (imported history) are recorded in the app without email or webhooks."""
CHUNK = 900
SIGNAL_KINDS = (AlertKind.VOLUME_SPIKE.value, AlertKind.NEGATIVE_SPIKE.value, AlertKind.EMERGING_TERM.value)


@dataclass(frozen=True)
class SignalCandidate:
    kind: str
    topic_id: int
    post_id: int
    at: datetime
    score: float
    reason: str
    component: str
    term: str | None = None


# --- candidate terms per post, cached (tokenizing is the replay's main cost) -------------------------------


class _TermCache:
    def __init__(self, size: int = 200_000) -> None:
        self._size = size
        self._items: OrderedDict[tuple[int, int], frozenset[str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, post_id: int, text: str) -> frozenset[str]:
        key = (post_id, hash(text))  # the text too: ids of another database (or a reused id) must not hit
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        terms = frozenset(candidate_terms(TextView(text).tokens))
        with self._lock:
            self._items[key] = terms
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return terms


_TERMS = _TermCache()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _bucket_start(at: datetime, bucket: timedelta) -> datetime:
    seconds = bucket.total_seconds()
    return datetime.fromtimestamp((at.timestamp() // seconds) * seconds, tz=UTC)


# --- detection over stored posts -----------------------------------------------------------------------------


def detect_topic(
    session: Session,
    topic_id: int,
    pending: set[int],
    since: datetime,
    settings: MonitorSettings | None = None,
) -> list[SignalCandidate]:
    """Replay one topic's stored posts through the detectors; return the signals raised by pending posts."""
    settings = settings or MonitorSettings()
    since = _aware(since)
    found: list[SignalCandidate] = []
    found.extend(_spikes(session, topic_id, pending, since, settings))
    found.extend(_terms(session, topic_id, pending, since, settings))
    return found


def _spikes(
    session: Session, topic_id: int, pending: set[int], since: datetime, settings: MonitorSettings
) -> list[SignalCandidate]:
    bucket = settings.volume.bucket
    exact_from = _bucket_start(since, bucket) - max(settings.volume.window, settings.negative.window)
    rows = session.execute(
        sa.select(TopicMatch.post_id, TopicMatch.post_created_at, StoredPost.sentiment)
        .join(StoredPost, StoredPost.id == TopicMatch.post_id)
        .where(TopicMatch.topic_id == topic_id, TopicMatch.post_created_at >= since - SPIKE_LOOKBACK)
        .order_by(TopicMatch.post_created_at, TopicMatch.post_id)
    ).all()
    volume = SpikeDetector(settings.volume)
    negative = SpikeDetector(settings.negative)
    history: dict[datetime, list[int]] = {}  # bucket start -> [all, negative], in time order
    found: list[SignalCandidate] = []
    negative_value = Sentiment.NEGATIVE.value
    for post_id, created_at, sentiment in rows:
        at = _aware(created_at)
        if at < exact_from:
            counts = history.setdefault(_bucket_start(at, bucket), [0, 0])
            counts[0] += 1
            counts[1] += sentiment == negative_value
            continue
        if history:
            for start, (total, negatives) in history.items():
                volume.observe(start, weight=total)
                if negatives:
                    negative.observe(start, weight=negatives)
            history.clear()
        spike = volume.observe(at)
        if spike is not None and post_id in pending:
            found.append(_spike_candidate(AlertKind.VOLUME_SPIKE.value, topic_id, post_id, spike, "posts"))
        if sentiment == negative_value:
            spike = negative.observe(at)
            if spike is not None and post_id in pending:
                found.append(
                    _spike_candidate(
                        AlertKind.NEGATIVE_SPIKE.value, topic_id, post_id, spike, "negative posts"
                    )
                )
    return found


def _spike_candidate(kind: str, topic_id: int, post_id: int, spike: Spike, what: str) -> SignalCandidate:
    baseline = "the baseline of negative posts" if kind == AlertKind.NEGATIVE_SPIKE.value else "the baseline"
    return SignalCandidate(
        kind=kind,
        topic_id=topic_id,
        post_id=post_id,
        at=spike.at,
        score=spike.score,
        reason=(
            f"{spike.observed} {what} in the last 15 minutes against {spike.expected:g} expected "
            f"({spike.ratio:.1f}x {baseline}; Poisson score {spike.score:g})"
        ),
        component=NEGATIVE if kind == AlertKind.NEGATIVE_SPIKE.value else VOLUME,
    )


def _terms(
    session: Session, topic_id: int, pending: set[int], since: datetime, settings: MonitorSettings
) -> list[SignalCandidate]:
    rows = session.execute(
        sa.select(
            TopicMatch.post_id,
            TopicMatch.post_created_at,
            StoredPost.text,
            StoredPost.author_handle,
            StoredPost.author_name,
            StoredPost.remote_id,
        )
        .join(StoredPost, StoredPost.id == TopicMatch.post_id)
        .where(TopicMatch.topic_id == topic_id, TopicMatch.post_created_at >= since - TERM_LOOKBACK)
        .order_by(TopicMatch.post_created_at, TopicMatch.post_id)
    ).all()
    detector = EmergingTermDetector(settings.terms)
    found: list[SignalCandidate] = []
    for post_id, created_at, text, handle, name, remote_id in rows:
        terms = _TERMS.get(post_id, text)
        for term in detector.observe(_aware(created_at), set(terms), handle or name or remote_id):
            if post_id not in pending:
                continue
            found.append(
                SignalCandidate(
                    kind=AlertKind.EMERGING_TERM.value,
                    topic_id=topic_id,
                    post_id=post_id,
                    at=term.at,
                    score=term.score,
                    reason=(
                        f"A term is emerging: used in {term.observed} posts by {term.authors} authors in the last "
                        f"hour against {term.expected:g} expected (Poisson score {term.score:g}); open the alert "
                        "to see it"
                    ),
                    component=TERMS,
                    term=term.term,
                )
            )
    return found


# --- storing, once -------------------------------------------------------------------------------------------


def dedupe_key(candidate: SignalCandidate, bucket: timedelta = timedelta(minutes=5)) -> str:
    start = int(candidate.at.timestamp() // bucket.total_seconds())
    key = f"{candidate.kind}:{candidate.topic_id}:{start}"
    return (key + f":{candidate.term}" if candidate.term else key)[:300]


def _cooldown(kind: str, settings: MonitorSettings) -> timedelta:
    if kind == AlertKind.EMERGING_TERM.value:
        return settings.terms.cooldown
    if kind == AlertKind.NEGATIVE_SPIKE.value:
        return settings.negative.cooldown
    return settings.volume.cooldown


def _already_alerted(
    session: Session, candidate: SignalCandidate, key: str, settings: MonitorSettings
) -> bool:
    cooldown = _cooldown(candidate.kind, settings)
    at = _aware(candidate.at)
    query = sa.select(Alert.id).where(
        sa.or_(
            Alert.dedupe_key == key,
            sa.and_(
                Alert.topic_id == candidate.topic_id,
                Alert.kind == candidate.kind,
                Alert.signal_at > at - cooldown,
                Alert.signal_at < at + cooldown,
                (Alert.signal_key == candidate.term) if candidate.term else Alert.signal_key.is_(None),
            ),
        )
    )
    return session.execute(query.limit(1)).first() is not None


def store_signals(
    session: Session,
    organization_id: int,
    candidates: Iterable[SignalCandidate],
    now: datetime,
    settings: MonitorSettings | None = None,
) -> int:
    """Store each new signal once and queue its notifications; returns how many were stored."""
    from rounds.services.listening_alerts import notify_rules, quiet_until

    settings = settings or MonitorSettings()
    rules: list[AlertRule] | None = None
    stored = 0
    for candidate in sorted(candidates, key=lambda c: (c.at, c.kind, c.term or "")):
        key = dedupe_key(candidate)
        if _already_alerted(session, candidate, key, settings):
            continue
        topic_name = session.execute(sa.select(Topic.name).where(Topic.id == candidate.topic_id)).scalar_one()
        label = {
            AlertKind.VOLUME_SPIKE.value: "Volume spike",
            AlertKind.NEGATIVE_SPIKE.value: "Negative-sentiment spike",
            AlertKind.EMERGING_TERM.value: "Emerging term",
        }[candidate.kind]
        alert = Alert(
            organization_id=organization_id,
            topic_id=candidate.topic_id,
            post_id=candidate.post_id,
            kind=candidate.kind,
            score=float(candidate.score),
            reason=f"{label} in topic {topic_name!r} ({candidate.component}): {candidate.reason}."[:1000],
            created_at=now,
            signal_at=candidate.at,
            signal_key=candidate.term[:200] if candidate.term else None,
            dedupe_key=key,
        )
        session.add(alert)
        session.flush()
        if rules is None:
            rules = list(
                session.execute(
                    sa.select(AlertRule).where(
                        AlertRule.organization_id == organization_id,
                        AlertRule.is_active.is_(True),
                        AlertRule.kind.in_(SIGNAL_KINDS),
                    )
                ).scalars()
            )
        groups: list[tuple[Sequence[dict[str, Any]], datetime]] = []
        if now - _aware(candidate.at) <= NOTIFY_MAX_AGE:
            for rule in rules:
                if rule.kind != candidate.kind or rule.topic_id not in (None, candidate.topic_id):
                    continue
                groups.append((rule.channels, quiet_until(rule, now) or now))
                rule.last_fired_at = now
        notify_rules(session, alert, groups, now)
        stored += 1
    return stored


def check_signals(session: Session, organization_id: int, now: datetime | None = None) -> int:
    """Run the detectors for every topic of the organization with pending matches, store what they raise and
    mark the matches checked. Returns the alerts stored."""
    now = now or utcnow()
    pending_rows = session.execute(
        sa.select(TopicMatch.topic_id, TopicMatch.post_id, TopicMatch.post_created_at, Topic.is_active)
        .join(Topic, Topic.id == TopicMatch.topic_id)
        .where(Topic.organization_id == organization_id, TopicMatch.signals_checked_at.is_(None))
    ).all()
    if not pending_rows:
        return 0
    by_topic: dict[int, tuple[set[int], list[datetime], bool]] = {}
    for topic_id, post_id, created_at, active in pending_rows:
        ids, times, _ = by_topic.setdefault(topic_id, (set(), [], bool(active)))
        ids.add(post_id)
        times.append(_aware(created_at))
    settings = MonitorSettings()
    stored = 0
    for topic_id, (ids, times, active) in sorted(by_topic.items()):
        if active:
            candidates = detect_topic(session, topic_id, ids, min(times), settings)
            stored += store_signals(session, organization_id, candidates, now, settings)
        ordered = sorted(ids)
        for start in range(0, len(ordered), CHUNK):
            session.execute(
                sa.update(TopicMatch)
                .where(
                    TopicMatch.topic_id == topic_id, TopicMatch.post_id.in_(ordered[start : start + CHUNK])
                )
                .values(signals_checked_at=now)
            )
    return stored


def check_signals_in_batch(session: Session, organization_id: int, now: datetime) -> int:
    """The ingest hook: :func:`check_signals` inside a savepoint, so a failure (or a concurrent process storing
    the same alert first) leaves the matches pending for the next tick and never fails the batch."""
    try:
        with session.begin_nested():
            return check_signals(session, organization_id, now)
    except Exception as error:  # detection must never stop ingest; the tick retries the pending matches
        logger.warning(
            "signal detection failed for organization %s: %s", organization_id, type(error).__name__
        )
        return 0


def check_pending_signals(db: Database, now: datetime | None = None) -> int:
    """The scheduler's pass: every organization's pending matches (left by a crash or a failure)."""
    with db.session() as session:
        organizations = list(session.execute(sa.select(Topic.organization_id).distinct()).scalars())
    stored = 0
    for organization_id in organizations:
        try:
            with db.session() as session:
                stored += check_signals(session, organization_id, now)
        except Exception as error:  # one organization's trouble never stops the others
            logger.warning(
                "signal detection failed for organization %s: %s", organization_id, type(error).__name__
            )
    return stored
