"""Search and views over stored posts: full text (SQLite FTS5, PostgreSQL tsvector) with filters, one post with
its enrichment and findings, and the quarantine."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field

from rounds.db import Database
from rounds.db.listening import (
    PostEnrichment,
    PostFinding,
    PostIntent,
    QuarantinedItem,
    StoredPost,
    TopicMatch,
)
from rounds.domain.errors import NotFound
from rounds.services.context import Actor
from rounds.services.listening import VIEW_LISTENING

_WORD = re.compile(r"\w+", re.UNICODE)


class SearchFilters(BaseModel):
    text: str = ""
    topic_id: int | None = None
    platform: str | None = None
    sentiment: str | None = None
    intent: str | None = None
    author_kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_duplicates: bool = False
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class PostSummary(BaseModel):
    id: int
    platform: str
    remote_id: str
    text: str
    author_handle: str | None
    url: str | None
    created_at: datetime
    language: str
    sentiment: str
    author_kind: str
    verdict: str
    duplicate_group_id: int | None


class SearchResult(BaseModel):
    total: int
    posts: list[PostSummary]


def _words(text: str) -> list[str]:
    """Search words only: user input never reaches the FTS query syntax."""
    return _WORD.findall(text.casefold())[:32]


def _text_condition(dialect: str, words: list[str]) -> Any:
    if dialect == "sqlite":
        match = " ".join(f'"{word}"' for word in words)
        return StoredPost.id.in_(
            sa.select(sa.column("rowid"))
            .select_from(sa.table("posts_fts"))
            .where(sa.text("posts_fts MATCH :match").bindparams(match=match))
        )
    if dialect == "postgresql":
        query = " & ".join(words)
        return sa.text("posts.search_vector @@ to_tsquery('simple', :tsquery)").bindparams(tsquery=query)
    return sa.and_(*(sa.func.lower(StoredPost.text).contains(word) for word in words))


def _summary(row: StoredPost) -> PostSummary:
    return PostSummary(
        id=row.id,
        platform=row.platform,
        remote_id=row.remote_id,
        text=row.text,
        author_handle=row.author_handle,
        url=row.url,
        created_at=row.created_at,
        language=row.language,
        sentiment=row.sentiment,
        author_kind=row.author_kind,
        verdict=row.verdict,
        duplicate_group_id=row.duplicate_group_id,
    )


def search_posts(db: Database, actor: Actor, filters: SearchFilters) -> SearchResult:
    """Newest first. Copies (retweets, cross-posts) are folded into their group's first post unless asked."""
    actor.require(VIEW_LISTENING)
    query = sa.select(StoredPost)
    words = _words(filters.text)
    if words:
        query = query.where(_text_condition(db.dialect, words))
    if filters.topic_id is not None:
        query = query.where(
            StoredPost.id.in_(sa.select(TopicMatch.post_id).where(TopicMatch.topic_id == filters.topic_id))
        )
    if filters.intent:
        query = query.where(
            StoredPost.id.in_(sa.select(PostIntent.post_id).where(PostIntent.intent == filters.intent))
        )
    if filters.platform:
        query = query.where(StoredPost.platform == filters.platform)
    if filters.sentiment:
        query = query.where(StoredPost.sentiment == filters.sentiment)
    if filters.author_kind:
        query = query.where(StoredPost.author_kind == filters.author_kind)
    if filters.since is not None:
        query = query.where(StoredPost.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(StoredPost.created_at < filters.until)
    if not filters.include_duplicates:
        query = query.where(StoredPost.is_duplicate.is_(False))
    with db.session() as session:
        total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
        rows = session.execute(
            query.order_by(StoredPost.created_at.desc(), StoredPost.id.desc())
            .limit(filters.limit)
            .offset(filters.offset)
        ).scalars()
        return SearchResult(total=total, posts=[_summary(row) for row in rows])


class PostDetail(BaseModel):
    post: PostSummary
    enrichment: dict[str, Any]
    findings: list[dict[str, Any]]
    topic_ids: list[int]
    duplicates: int


def access_post(db: Database, actor: Actor, post_id: int) -> PostDetail:
    """A post with its enrichment explanations, screening findings (offsets, never copied text) and topics."""
    if not actor.can(VIEW_LISTENING):
        raise NotFound(f"Post {post_id} was not found.")
    with db.session() as session:
        post = session.get(StoredPost, post_id)
        if post is None:
            raise NotFound(f"Post {post_id} was not found.")
        enrichment = session.get(PostEnrichment, post_id)
        findings = session.execute(
            sa.select(PostFinding).where(PostFinding.post_id == post_id).order_by(PostFinding.span_start)
        ).scalars()
        topic_ids = session.execute(
            sa.select(TopicMatch.topic_id).where(TopicMatch.post_id == post_id)
        ).scalars()
        copies = 0
        if post.duplicate_group_id is not None:
            copies = session.execute(
                sa.select(sa.func.count())
                .select_from(StoredPost)
                .where(StoredPost.duplicate_group_id == post.duplicate_group_id, StoredPost.id != post.id)
            ).scalar_one()
        detail = {}
        if enrichment is not None:
            detail = {
                column.name: getattr(enrichment, column.key)
                for column in PostEnrichment.__table__.columns
                if column.name != "post_id"
            }
        return PostDetail(
            post=_summary(post),
            enrichment=detail,
            findings=[
                {
                    "type": f.type,
                    "start": f.span_start,
                    "end": f.span_end,
                    "component": f.component,
                    "rule": f.rule,
                    "score": f.score,
                    "explanation": f.explanation,
                    "organizational": f.organizational,
                }
                for f in findings
            ],
            topic_ids=list(topic_ids),
            duplicates=copies,
        )


class QuarantineView(BaseModel):
    id: int
    source: str
    platform: str
    kind: str
    remote_id: str | None
    line: int | None
    reason: str
    created_at: datetime
    retryable: bool = False
    """The payload is stored, so it can be parsed again."""
    retry_count: int = 0
    last_retry_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None
    """resolved (by a person, with a note) or retried (parsed again and stored)."""
    resolution_note: str | None = None


def quarantine_view(row: QuarantinedItem) -> QuarantineView:
    return QuarantineView(
        id=row.id,
        source=row.source,
        platform=row.platform,
        kind=row.kind,
        remote_id=row.remote_id,
        line=row.line,
        reason=row.reason,
        created_at=row.created_at,
        retryable=row.raw_payload_id is not None,
        retry_count=row.retry_count or 0,
        last_retry_at=row.last_retry_at,
        resolved_at=row.resolved_at,
        resolution=row.resolution,
        resolution_note=row.resolution_note,
    )


def list_quarantine(
    db: Database, actor: Actor, *, limit: int = 100, offset: int = 0
) -> tuple[list[QuarantineView], int]:
    """Unresolved quarantined items, newest first, with the total."""
    actor.require(VIEW_LISTENING)
    with db.session() as session:
        base = sa.select(QuarantinedItem).where(QuarantinedItem.resolved_at.is_(None))
        total = session.execute(sa.select(sa.func.count()).select_from(base.subquery())).scalar_one()
        rows = session.execute(
            base.order_by(QuarantinedItem.id.desc()).limit(max(1, min(limit, 1000))).offset(max(0, offset))
        ).scalars()
        return [quarantine_view(row) for row in rows], total
