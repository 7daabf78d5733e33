"""Spike and emerging-term alerts over stored posts: raised once, by the pipeline's detectors, after ingest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from rounds.db import Database
from rounds.db.listening import Alert, AlertNotification, TopicMatch
from rounds.services.context import Actor
from rounds.services.listening_alerts import Channel, RuleInput, do_create_rule, list_rules
from rounds.services.listening_ingest import Ingestor, import_file
from rounds.services.listening_signals import check_pending_signals
from rounds.services.listening_topics import do_create_topic

from .conftest import ORIGIN, RuleEnricher, line, write_jsonl

_CLOCK = datetime.now(UTC)
NOW = _CLOCK.replace(minute=_CLOCK.minute - _CLOCK.minute % 5, second=0, microsecond=0)
"""On a 5-minute bucket boundary, so the burst falls in the same buckets whenever the tests run."""


def _at(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat()


def _stream(*, burst: int = 15, term: str | None = None) -> list[str]:
    """Two days of one Mercy post every 30 minutes, then a burst of complaints in the last 10 minutes."""
    lines = [
        line(
            f"b{i}",
            # one in eight is negative ("wait"), so the negative stream has a history too
            f"Mercy clinic notice number {i}" + (", expect a wait" if i % 8 == 0 else ""),
            author=f"info{i % 5}",
            created_at=_at(10 + 30 * i),
        )
        for i in range(96, 0, -1)
    ]
    for i in range(burst):
        extra = f" {term}" if term else ""
        lines.append(
            line(
                f"s{i}",
                f"Mercy ER wait is five hours tonight{extra}",
                author=f"patient{i % 6}",
                created_at=_at(10 - i * 0.5),
            )
        )
    return lines


def _topic_ingestor(db: Database, admin: Actor, ingestor: Ingestor) -> tuple[int, Ingestor]:
    topic = do_create_topic(db, admin, name="Mercy", kind="brand", query="mercy", origin=ORIGIN)
    return topic.id, Ingestor(db, admin.organization_id, enricher=RuleEnricher(), screen=ingestor.screen)


def _signal_alerts(db: Database) -> list[Alert]:
    with db.session() as session:
        return list(
            session.execute(
                sa.select(Alert).where(Alert.dedupe_key.is_not(None)).order_by(Alert.signal_at, Alert.kind)
            ).scalars()
        )


def test_volume_and_negative_spikes_are_raised_once(
    db: Database, admin: Actor, ingestor: Ingestor, tmp_path: Path
) -> None:
    topic_id, fresh = _topic_ingestor(db, admin, ingestor)
    do_create_rule(
        db,
        admin,
        RuleInput(
            name="Spikes to Slack",
            kind="volume_spike",
            topic_id=topic_id,
            channels=[Channel(type="webhook", target="https://hooks.slack.example/T1", format="slack")],
        ),
        origin=ORIGIN,
    )
    path = write_jsonl(tmp_path / "stream.jsonl", _stream())
    # small batches: the burst arrives over several ingest transactions
    report = import_file(db, admin, path, origin=ORIGIN, ingestor=fresh, batch_size=7)
    assert report.counts.stored == 111
    alerts = [alert for alert in _signal_alerts(db) if alert.kind != "emerging_term"]
    assert sorted(alert.kind for alert in alerts) == ["negative_spike", "volume_spike"]
    for alert in alerts:
        assert alert.topic_id == topic_id and alert.post_id is not None
        assert alert.score >= 4.0
        assert alert.signal_at is not None and alert.signal_at >= NOW - timedelta(minutes=11)
        assert "wait" not in alert.reason and "Mercy ER" not in alert.reason  # no post text
        assert "signals.volume.v1" in alert.reason or "signals.negative.v1" in alert.reason
    with db.session() as session:
        pending = session.execute(
            sa.select(sa.func.count()).select_from(TopicMatch).where(TopicMatch.signals_checked_at.is_(None))
        ).scalar_one()
        channels = {
            (row.alert_id, row.channel) for row in session.execute(sa.select(AlertNotification)).scalars()
        }
    assert pending == 0
    volume = next(alert for alert in alerts if alert.kind == "volume_spike")
    negative = next(alert for alert in alerts if alert.kind == "negative_spike")
    assert (volume.id, "webhook:slack") in channels  # the volume rule routes only its kind
    assert (negative.id, "webhook:slack") not in channels and (negative.id, "in_app") in channels
    assert [rule.kind for rule in list_rules(db, admin)] == ["volume_spike"]

    everything = _signal_alerts(db)  # with the emerging terms of the burst ("tonight", "hours"...)
    assert {alert.kind for alert in everything} == {"volume_spike", "negative_spike", "emerging_term"}
    # a restart that finds every match unchecked, then re-importing the file: nothing new
    with db.session() as session:
        session.execute(sa.update(TopicMatch).values(signals_checked_at=None))
    assert check_pending_signals(db) == 0
    again = import_file(db, admin, path, origin=ORIGIN, ingestor=fresh)
    assert again.counts.stored == 0
    assert [alert.id for alert in _signal_alerts(db)] == [alert.id for alert in everything]


def test_quiet_stream_and_backfilled_history_raise_nothing(
    db: Database, admin: Actor, ingestor: Ingestor, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "stream.jsonl", _stream())
    import_file(db, admin, path, origin=ORIGIN, ingestor=ingestor)  # no topic yet
    topic_id, fresh = _topic_ingestor(db, admin, ingestor)  # created and backfilled over the burst
    assert check_pending_signals(db) == 0
    quiet = write_jsonl(tmp_path / "quiet.jsonl", [line("q1", "Mercy clinic notice", created_at=_at(1))])
    import_file(db, admin, quiet, origin=ORIGIN, ingestor=fresh)
    assert _signal_alerts(db) == []
    with db.session() as session:
        matched = session.execute(
            sa.select(sa.func.count()).select_from(TopicMatch).where(TopicMatch.topic_id == topic_id)
        ).scalar_one()
    assert matched == 112


def test_emerging_term_keeps_the_term_out_of_the_reason(
    db: Database, admin: Actor, ingestor: Ingestor, tmp_path: Path
) -> None:
    _topic_id, fresh = _topic_ingestor(db, admin, ingestor)
    path = write_jsonl(tmp_path / "stream.jsonl", _stream(burst=12, term="#ventshortage"))
    import_file(db, admin, path, origin=ORIGIN, ingestor=fresh)
    terms = [alert for alert in _signal_alerts(db) if alert.kind == "emerging_term"]
    assert "#ventshortage" in {alert.signal_key for alert in terms}
    for alert in terms:
        assert alert.signal_key is not None and alert.signal_key not in alert.reason
        assert "signals.terms.v1" in alert.reason


def test_spike_rules_wait_for_quiet_hours_and_emergency_rules_do_not(
    db: Database, admin: Actor, ingestor: Ingestor, tmp_path: Path
) -> None:
    topic_id, fresh = _topic_ingestor(db, admin, ingestor)
    local = NOW.astimezone(UTC)
    start = (local - timedelta(hours=1)).strftime("%H:%M")
    end = (local + timedelta(hours=2)).strftime("%H:%M")
    quiet = {"quiet_start": start, "quiet_end": end, "timezone": "UTC"}
    for name, kind in (("Spikes at night", "negative_spike"), ("Crisis line", "emergency")):
        do_create_rule(
            db,
            admin,
            RuleInput(
                name=name,
                kind=kind,  # type: ignore[arg-type]
                topic_id=topic_id,
                channels=[Channel(type="email", target=f"{kind}@example.org")],
                **quiet,
            ),
            origin=ORIGIN,
        )
    lines = _stream()
    lines.append(line("e1", "Mercy I want to end it all tonight", created_at=_at(0)))
    import_file(db, admin, write_jsonl(tmp_path / "s.jsonl", lines), origin=ORIGIN, ingestor=fresh)
    with db.session() as session:
        rows = session.execute(
            sa.select(Alert.kind, AlertNotification.target, AlertNotification.deliver_after, Alert.created_at)
            .join(AlertNotification, AlertNotification.alert_id == Alert.id)
            .where(AlertNotification.channel == "email")
        ).all()
    by_kind = {kind: (target, after, created) for kind, target, after, created in rows}
    assert set(by_kind) == {"negative_spike", "emergency"}
    target, after, created = by_kind["negative_spike"]
    assert target == "negative_spike@example.org" and after > created + timedelta(minutes=30)
    target, after, created = by_kind["emergency"]
    assert target == "emergency@example.org" and after == created
