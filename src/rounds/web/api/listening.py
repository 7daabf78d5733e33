"""API: listening — search, posts, topics and their dashboards, alerts and alert rules, connector sources and the
quarantine. The same services as the ``/listening`` pages; credentials are write-only (a source reports only
which credential names are set) and webhook URLs come back masked."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from rounds.services import (
    listening,
    listening_alerts,
    listening_dashboard,
    listening_quarantine,
    listening_schedule,
    listening_search,
    listening_topics,
)
from rounds.services.listening import SourceInput, SourceView
from rounds.services.listening_alerts import AlertView, RuleInput, RuleView
from rounds.services.listening_dashboard import TopicDashboard
from rounds.services.listening_quarantine import ResolveInput, RetryResult
from rounds.services.listening_runs import SourceRunResult
from rounds.services.listening_search import PostDetail, QuarantineView, SearchFilters, SearchResult
from rounds.services.listening_topics import TopicView
from rounds.web.api.models import ERROR_RESPONSES
from rounds.web.context import ActorDep, DbDep, OriginDep, SettingsDep

router = APIRouter(prefix="/listening", tags=["listening"], responses=ERROR_RESPONSES)


class TopicCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Unique within the organization.")
    kind: str = Field(description="brand, clinician, competitor, service_line or public_health")
    query: str = Field(description='Boolean query, e.g. "Riverbend Health" AND (ER OR wait*) NOT job')
    description: str = ""
    department_id: int | None = None
    backfill: bool = Field(default=True, description="Match the new topic over the stored posts now.")


class TopicUpdate(BaseModel):
    """Only the fields present are changed. A changed query is backfilled."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    kind: str | None = None
    query: str | None = None
    description: str | None = None
    is_active: bool | None = None


class BackfillResult(BaseModel):
    topic_id: int
    matches: int


class QuarantinePage(BaseModel):
    items: list[QuarantineView]
    total: int
    limit: int
    offset: int


# --- search and posts ----------------------------------------------------------------------------------------


@router.get("/search", response_model=SearchResult, summary="Full-text search with filters")
def search(
    db: DbDep,
    actor: ActorDep,
    q: Annotated[str, Query(description="Words; all must appear.")] = "",
    topic_id: int | None = None,
    platform: str | None = None,
    sentiment: Literal["negative", "neutral", "positive"] | None = None,
    intent: str | None = None,
    author_kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    include_duplicates: Annotated[
        bool, Query(description="Every copy instead of each duplicate group once.")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SearchResult:
    filters = SearchFilters(
        text=q,
        topic_id=topic_id,
        platform=platform,
        sentiment=sentiment,
        intent=intent,
        author_kind=author_kind,
        since=since,
        until=until,
        include_duplicates=include_duplicates,
        limit=limit,
        offset=offset,
    )
    return listening_search.search_posts(db, actor, filters)


@router.get("/posts/{post_id}", response_model=PostDetail, summary="A post with enrichment and findings")
def read_post(post_id: int, db: DbDep, actor: ActorDep) -> PostDetail:
    return listening_search.access_post(db, actor, post_id)


# --- topics --------------------------------------------------------------------------------------------------


@router.get("/topics", response_model=list[TopicView])
def list_topics(db: DbDep, actor: ActorDep) -> list[TopicView]:
    return listening_topics.list_topics(db, actor)


@router.post("/topics", response_model=TopicView, status_code=201, summary="Create a topic (validated query)")
def create_topic(body: TopicCreate, db: DbDep, actor: ActorDep, origin: OriginDep) -> TopicView:
    return listening_topics.do_create_topic(
        db,
        actor,
        name=body.name,
        kind=body.kind,
        query=body.query,
        description=body.description,
        department_id=body.department_id,
        backfill=body.backfill,
        origin=origin,
    )


@router.get("/topics/{topic_id}", response_model=TopicView)
def read_topic(topic_id: int, db: DbDep, actor: ActorDep) -> TopicView:
    return listening_topics.access_topic(db, actor, topic_id)


@router.patch("/topics/{topic_id}", response_model=TopicView)
def update_topic(
    topic_id: int, body: TopicUpdate, db: DbDep, actor: ActorDep, origin: OriginDep
) -> TopicView:
    return listening_topics.do_update_topic(
        db,
        actor,
        topic_id,
        name=body.name,
        kind=body.kind,
        query=body.query,
        description=body.description,
        is_active=body.is_active,
        origin=origin,
    )


@router.post("/topics/{topic_id}/backfill", response_model=BackfillResult)
def backfill_topic(topic_id: int, db: DbDep, actor: ActorDep, origin: OriginDep) -> BackfillResult:
    matches = listening_topics.backfill_topic(db, actor, topic_id, origin=origin)
    return BackfillResult(topic_id=topic_id, matches=matches)


@router.get(
    "/topics/{topic_id}/dashboard",
    response_model=TopicDashboard,
    summary="Volume and sentiment over time, top posts, share of voice, alerts, emerging terms",
)
def topic_dashboard(
    topic_id: int,
    db: DbDep,
    actor: ActorDep,
    since: datetime | None = None,
    until: datetime | None = None,
    days: Annotated[int, Query(ge=1, le=366, description="Used when since is not given.")] = 14,
    bucket: Literal["hour", "day"] = "day",
) -> TopicDashboard:
    default_since, default_until = listening_dashboard.default_period(days)
    end = until or default_until
    start = since or (end - timedelta(days=days) if until else default_since)
    return listening_dashboard.topic_dashboard(db, actor, topic_id, since=start, until=end, bucket=bucket)


# --- alerts and rules ----------------------------------------------------------------------------------------


@router.get("/alerts", response_model=list[AlertView])
def list_alerts(
    db: DbDep,
    actor: ActorDep,
    unacknowledged: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AlertView]:
    return listening_alerts.list_alerts(db, actor, limit=limit, unacknowledged=unacknowledged)


@router.get("/alerts/{alert_id}", response_model=AlertView)
def read_alert(alert_id: int, db: DbDep, actor: ActorDep) -> AlertView:
    return listening_dashboard.access_alert(db, actor, alert_id)


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertView)
def acknowledge_alert(alert_id: int, db: DbDep, actor: ActorDep, origin: OriginDep) -> AlertView:
    listening_alerts.do_acknowledge_alert(db, actor, alert_id, origin=origin)
    return listening_dashboard.access_alert(db, actor, alert_id)


@router.get("/rules", response_model=list[RuleView], summary="Alert rules (webhook URLs masked)")
def list_rules(db: DbDep, actor: ActorDep) -> list[RuleView]:
    return listening_alerts.list_rules(db, actor)


@router.post("/rules", response_model=RuleView, status_code=201)
def create_rule(body: RuleInput, db: DbDep, actor: ActorDep, origin: OriginDep) -> RuleView:
    return listening_alerts.do_create_rule(db, actor, body, origin=origin)


@router.put("/rules/{rule_id}", response_model=RuleView, summary="Replace an alert rule")
def update_rule(rule_id: int, body: RuleInput, db: DbDep, actor: ActorDep, origin: OriginDep) -> RuleView:
    return listening_alerts.do_update_rule(db, actor, rule_id, body, origin=origin)


# --- sources and quarantine ----------------------------------------------------------------------------------


@router.get("/sources", response_model=list[SourceView], summary="Connector sources with their health")
def list_sources(db: DbDep, settings: SettingsDep, actor: ActorDep) -> list[SourceView]:
    return listening.list_sources(db, settings, actor)


@router.post(
    "/sources",
    response_model=SourceView,
    status_code=201,
    summary="Create a source; credentials are write-only",
)
def create_source(
    body: SourceInput, db: DbDep, settings: SettingsDep, actor: ActorDep, origin: OriginDep
) -> SourceView:
    return listening.do_create_source(db, settings, actor, body, origin=origin)


@router.put(
    "/sources/{source_id}",
    response_model=SourceView,
    summary="Replace a source; credentials null keeps the stored ones, {} removes them",
)
def update_source(
    source_id: int, body: SourceInput, db: DbDep, settings: SettingsDep, actor: ActorDep, origin: OriginDep
) -> SourceView:
    return listening.do_update_source(db, settings, actor, source_id, body, origin=origin)


@router.post("/sources/{source_id}/run", response_model=SourceRunResult, summary="Run one source now")
def run_source(
    source_id: int, db: DbDep, settings: SettingsDep, actor: ActorDep, origin: OriginDep
) -> SourceRunResult:
    return listening_schedule.run_source_now(db, settings, actor, source_id, origin=origin)


@router.get("/quarantine", response_model=QuarantinePage)
def list_quarantine(
    db: DbDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> QuarantinePage:
    items, total = listening_search.list_quarantine(db, actor, limit=limit, offset=offset)
    return QuarantinePage(items=items, total=total, limit=limit, offset=offset)


@router.post(
    "/quarantine/{quarantine_id}/resolve",
    response_model=QuarantineView,
    summary="Close a quarantined item with a note (nothing is stored)",
)
def resolve_quarantined(
    quarantine_id: int, body: ResolveInput, db: DbDep, actor: ActorDep, origin: OriginDep
) -> QuarantineView:
    return listening_quarantine.do_resolve_quarantined(db, actor, quarantine_id, body, origin=origin)


@router.post(
    "/quarantine/{quarantine_id}/retry",
    response_model=RetryResult,
    summary="Parse a quarantined item's stored payload again; store the post (once) when it now parses",
)
def retry_quarantined(quarantine_id: int, db: DbDep, actor: ActorDep, origin: OriginDep) -> RetryResult:
    return listening_quarantine.do_retry_quarantined(db, actor, quarantine_id, origin=origin)
