"""Topics: saved Boolean queries, validated, matched on every new post, backfilled over stored posts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from rounds.db import Database
from rounds.db.listening import StoredPost, Topic, TopicMatch
from rounds.db.models import utcnow
from rounds.domain.errors import Conflict, NotFound
from rounds.domain.posts import Author, Post
from rounds.domain.topics import ListeningAuditAction, MatchDocument, TopicKind, TopicQuery, parse_query
from rounds.services import audit
from rounds.services.context import Actor, Origin
from rounds.services.listening import MANAGE_TOPICS, VIEW_LISTENING, audit_action, check_name


class TopicView(BaseModel):
    id: int
    name: str
    kind: TopicKind
    query: str
    canonical_query: str
    description: str
    department_id: int | None
    is_active: bool
    matches: int
    created_at: datetime
    updated_at: datetime
    backfilled_at: datetime | None


def _view(topic: Topic, matches: int) -> TopicView:
    return TopicView(
        id=topic.id,
        name=topic.name,
        kind=TopicKind(topic.kind),
        query=topic.query,
        canonical_query=parse_query(topic.query).canonical,
        description=topic.description,
        department_id=topic.department_id,
        is_active=topic.is_active,
        matches=matches,
        created_at=topic.created_at,
        updated_at=topic.updated_at,
        backfilled_at=topic.backfilled_at,
    )


def _snapshot(topic: Topic) -> dict[str, Any]:
    return {
        "name": topic.name,
        "kind": topic.kind,
        "query": topic.query,
        "description": topic.description,
        "department_id": topic.department_id,
        "is_active": topic.is_active,
    }


def load_matchers(session: Session, organization_id: int) -> list[tuple[int, TopicQuery]]:
    """Active topics of the organization, parsed once per run."""
    rows = session.execute(
        sa.select(Topic.id, Topic.query)
        .where(Topic.organization_id == organization_id, Topic.is_active.is_(True))
        .order_by(Topic.id)
    ).all()
    return [(topic_id, parse_query(query)) for topic_id, query in rows]


def load_topic(session: Session, actor: Actor, topic_id: int) -> Topic:
    topic = session.get(Topic, topic_id)
    if topic is None or topic.organization_id != actor.organization_id:
        raise NotFound(f"Topic {topic_id} was not found.")
    return topic


def find_topic(db: Database, actor: Actor, name_or_id: str) -> int:
    actor.require(VIEW_LISTENING)
    with db.session() as session:
        query = sa.select(Topic.id).where(Topic.organization_id == actor.organization_id)
        if name_or_id.isdigit():
            query = query.where(Topic.id == int(name_or_id))
        else:
            query = query.where(Topic.name_key == name_or_id.strip().lower())
        topic_id = session.execute(query).scalar_one_or_none()
    if topic_id is None:
        raise NotFound(f"Topic {name_or_id!r} was not found.", hint="See `rounds topics list`.")
    return topic_id


def _match_count(session: Session, topic_id: int) -> int:
    return session.execute(
        sa.select(sa.func.count()).select_from(TopicMatch).where(TopicMatch.topic_id == topic_id)
    ).scalar_one()


def do_create_topic(
    db: Database,
    actor: Actor,
    *,
    name: str,
    kind: str,
    query: str,
    description: str = "",
    department_id: int | None = None,
    backfill: bool = True,
    origin: Origin,
) -> TopicView:
    actor.require(MANAGE_TOPICS)
    name = check_name(name, "topic")
    topic_kind = TopicKind.parse(kind)
    parsed = parse_query(query)
    with db.session() as session:
        if department_id is not None:
            from rounds.services.departments import load_department

            load_department(session, actor, department_id)
        exists = session.execute(
            sa.select(Topic.id).where(
                Topic.organization_id == actor.organization_id, Topic.name_key == name.lower()
            )
        ).scalar_one_or_none()
        if exists is not None:
            raise Conflict(f"A topic named {name!r} already exists.", hint="Edit it or choose another name.")
        topic = Topic(
            organization_id=actor.organization_id,
            department_id=department_id,
            name=name,
            name_key=name.lower(),
            kind=topic_kind.value,
            query=parsed.text,
            description=description.strip(),
            created_by_user_id=actor.user_id,
        )
        session.add(topic)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=audit_action(ListeningAuditAction.TOPIC_CREATED),
            object_type="topic",
            object_id=topic.id,
            after=_snapshot(topic),
            origin=origin,
        )
        topic_id = topic.id
    if backfill:
        backfill_topic(db, actor, topic_id, origin=origin)
    return access_topic(db, actor, topic_id)


def do_update_topic(
    db: Database,
    actor: Actor,
    topic_id: int,
    *,
    query: str | None = None,
    name: str | None = None,
    kind: str | None = None,
    description: str | None = None,
    is_active: bool | None = None,
    origin: Origin,
) -> TopicView:
    actor.require(MANAGE_TOPICS)
    parsed = parse_query(query) if query is not None else None
    with db.session() as session:
        topic = load_topic(session, actor, topic_id)
        before = _snapshot(topic)
        if name is not None:
            topic.name = check_name(name, "topic")
            topic.name_key = topic.name.lower()
        if kind is not None:
            topic.kind = TopicKind.parse(kind).value
        if parsed is not None:
            topic.query = parsed.text
        if description is not None:
            topic.description = description.strip()
        if is_active is not None:
            topic.is_active = is_active
        after = _snapshot(topic)
        query_changed = before["query"] != after["query"]
        if after != before:
            topic.updated_at = utcnow()
            audit.record(
                session,
                actor=actor,
                action=audit_action(ListeningAuditAction.TOPIC_UPDATED),
                object_type="topic",
                object_id=topic.id,
                before=before,
                after=after,
                origin=origin,
            )
    if query_changed:
        backfill_topic(db, actor, topic_id, origin=origin)
    return access_topic(db, actor, topic_id)


def access_topic(db: Database, actor: Actor, topic_id: int) -> TopicView:
    if not actor.can(VIEW_LISTENING):
        raise NotFound(f"Topic {topic_id} was not found.")
    with db.session() as session:
        topic = load_topic(session, actor, topic_id)
        return _view(topic, _match_count(session, topic.id))


def list_topics(db: Database, actor: Actor) -> list[TopicView]:
    actor.require(VIEW_LISTENING)
    with db.session() as session:
        counts = dict(
            session.execute(
                sa.select(TopicMatch.topic_id, sa.func.count()).group_by(TopicMatch.topic_id)
            ).all()
        )
        topics = session.execute(
            sa.select(Topic).where(Topic.organization_id == actor.organization_id).order_by(Topic.name_key)
        ).scalars()
        return [_view(topic, counts.get(topic.id, 0)) for topic in topics]


def _stored_post(row: StoredPost) -> Post:
    return Post(
        platform=row.platform,
        remote_id=row.remote_id,
        text=row.text,
        title=row.title,
        author=Author(handle=row.author_handle, name=row.author_name),
        created_at=row.created_at,
        language=row.language,
    )


def backfill_topic(
    db: Database, actor: Actor, topic_id: int, *, origin: Origin, batch_size: int = 2000
) -> int:
    """Match the topic over every stored post (replacing its earlier matches); returns the match count."""
    actor.require(MANAGE_TOPICS)
    with db.session() as session:
        topic = load_topic(session, actor, topic_id)
        query = parse_query(topic.query)
        session.execute(sa.delete(TopicMatch).where(TopicMatch.topic_id == topic_id))
        now = utcnow()
        last_id = 0
        total = 0
        while True:
            rows = (
                session.execute(
                    sa.select(StoredPost)
                    .where(StoredPost.id > last_id)
                    .order_by(StoredPost.id)
                    .limit(batch_size)
                )
                .scalars()
                .all()
            )
            if not rows:
                break
            last_id = rows[-1].id
            matches = [
                {
                    "topic_id": topic_id,
                    "post_id": row.id,
                    "post_created_at": row.created_at,
                    "matched_at": now,
                    "signals_checked_at": now,  # history: the signal detectors raise nothing for it
                }
                for row in rows
                if query.matches(MatchDocument.of(_stored_post(row)))
            ]
            if matches:
                session.execute(sa.insert(TopicMatch), matches)
            total += len(matches)
            session.expunge_all()
        topic = load_topic(session, actor, topic_id)
        topic.backfilled_at = now
        audit.record(
            session,
            actor=actor,
            action=audit_action(ListeningAuditAction.TOPIC_BACKFILLED),
            object_type="topic",
            object_id=topic_id,
            after={"matches": total},
            origin=origin,
        )
        return total


class TopicTestResult(BaseModel):
    canonical_query: str
    checked: int
    matched: int
    sample_post_ids: list[int]


def try_query(
    db: Database, actor: Actor, query: str, *, limit: int = 5000, sample: int = 10
) -> TopicTestResult:
    """Dry run: validate a query and count matches over the newest ``limit`` stored posts (nothing saved)."""
    actor.require(VIEW_LISTENING)
    parsed = parse_query(query)
    with db.session() as session:
        rows = session.execute(sa.select(StoredPost).order_by(StoredPost.id.desc()).limit(limit)).scalars()
        checked = 0
        matched: list[int] = []
        for row in rows:
            checked += 1
            if parsed.matches(MatchDocument.of(_stored_post(row))):
                matched.append(row.id)
    return TopicTestResult(
        canonical_query=parsed.canonical,
        checked=checked,
        matched=len(matched),
        sample_post_ids=matched[:sample],
    )
