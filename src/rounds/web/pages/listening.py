"""Listening pages, reading side: search (``/listening/search``), one post (``/listening/posts/{id}``), topics
(list, create, edit, backfill) and a topic's dashboard (``/listening/topics/{id}``).

Everything is server-rendered and works without JavaScript: filters are a GET form, charts are inline SVG with
``<title>`` tooltips, and ``rounds.js`` only adds nicer hover tooltips. Post text is always escaped (Jinja2
autoescape); it is never logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from rounds.domain.enrichment import AuthorKind, Intent, Sentiment
from rounds.domain.errors import RoundsError, ValidationFailed
from rounds.domain.roles import Permission
from rounds.domain.topics import TopicKind, TopicQueryError
from rounds.services import departments, listening_dashboard, listening_search, listening_topics
from rounds.services.context import Actor
from rounds.services.listening_dashboard import Bucket, TopicDashboard
from rounds.services.listening_search import SearchFilters
from rounds.services.listening_topics import TopicView
from rounds.web.context import ActorDep, DbDep, OriginDep
from rounds.web.forms import checkbox, optional_date, optional_int
from rounds.web.rendering import render

router = APIRouter()

PAGE_SIZE = 25
SECTION = "listening"

TOPIC_KIND_LABELS: dict[TopicKind, str] = {
    TopicKind.BRAND: "Brand",
    TopicKind.CLINICIAN: "Clinician",
    TopicKind.COMPETITOR: "Competitor",
    TopicKind.SERVICE_LINE: "Service line",
    TopicKind.PUBLIC_HEALTH: "Public health",
}
PLATFORMS = ("x", "bluesky", "mastodon", "reddit", "rss", "youtube", "facebook", "instagram", "feedback")
SENTIMENT_OPTIONS = [(item.value, item.value.capitalize()) for item in Sentiment]
INTENT_OPTIONS = [(item.value, item.value.replace("_", " ").capitalize()) for item in Intent]
AUTHOR_KIND_OPTIONS = [(item.value, item.value.replace("_", " / ").capitalize()) for item in AuthorKind]
TOPIC_KIND_OPTIONS = [(kind.value, label) for kind, label in TOPIC_KIND_LABELS.items()]
PERIODS = {
    "1": "Last 24 hours",
    "7": "Last 7 days",
    "14": "Last 14 days",
    "30": "Last 30 days",
    "90": "Last 90 days",
}


def listening_tabs(actor: Actor) -> list[tuple[str, str, str]]:
    """The listening sub-navigation: (key, label, href), only what the actor can open."""
    if not actor.can(Permission.VIEW_LISTENING):
        return []
    return [
        ("search", "Search", "/listening/search"),
        ("topics", "Topics", "/listening/topics"),
        ("alerts", "Alerts", "/listening/alerts"),
        ("sources", "Sources", "/listening/sources"),
        ("quarantine", "Quarantine", "/listening/quarantine"),
    ]


# Messages shown after a redirect, keyed by ``?done=`` (never free text from the URL).
NOTICES: dict[str, str] = {
    "topic_created": "Topic created and matched over the stored posts.",
    "topic_updated": "Topic saved.",
    "topic_backfilled": "Topic matched again over every stored post.",
    "alert_acknowledged": "Alert acknowledged.",
    "rule_created": "Alert rule created.",
    "rule_updated": "Alert rule saved.",
    "source_created": "Connector source created.",
    "source_updated": "Connector source saved.",
    "source_ran": "The source ran; its health and counts are below.",
}


def page(
    request: Request, actor: Actor, template: str, tab: str, context: dict[str, Any], **kwargs: Any
) -> Response:
    extra: dict[str, Any] = {"tabs": listening_tabs(actor), "tab": tab}
    done = request.query_params.get("done", "")
    if done in NOTICES:
        extra["notice"] = NOTICES[done]
    return render(request, template, {**extra, **context}, section=SECTION, **kwargs)


# --- search --------------------------------------------------------------------------------------------------


@router.get("/listening")
def listening_home(actor: ActorDep) -> Response:
    return RedirectResponse("/listening/search", status_code=303)


@router.get("/listening/search")
def search_page(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    q: str = "",
    topic_id: str = "",
    platform: str = "",
    sentiment: str = "",
    intent: str = "",
    author_kind: str = "",
    since: str = "",
    until: str = "",
    duplicates: str = "",
) -> Response:
    values = {
        "q": q,
        "topic_id": topic_id,
        "platform": platform,
        "sentiment": sentiment,
        "intent": intent,
        "author_kind": author_kind,
        "since": since,
        "until": until,
        "duplicates": checkbox(duplicates),
    }
    number = max(1, optional_int(request.query_params.get("page"), "page") or 1)
    error: RoundsError | None = None
    result = listening_search.SearchResult(total=0, posts=[])
    try:
        filters = SearchFilters(
            text=q,
            topic_id=optional_int(topic_id, "topic_id"),
            platform=platform.strip().lower() or None,
            sentiment=sentiment or None,
            intent=intent or None,
            author_kind=author_kind or None,
            since=optional_date(since, "since"),
            until=optional_date(until, "until", end_of_day=True),
            include_duplicates=checkbox(duplicates),
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
        result = listening_search.search_posts(db, actor, filters)
    except ValidationFailed as failure:
        error = failure
    topics = listening_topics.list_topics(db, actor)
    query = {key: value for key, value in values.items() if value and key != "duplicates"}
    if values["duplicates"]:
        query["duplicates"] = "on"
    pages = max(1, (result.total + PAGE_SIZE - 1) // PAGE_SIZE)
    return page(
        request,
        actor,
        "listening/search.html",
        "search",
        {
            "title": "Search posts",
            "values": values,
            "filtered": bool(query),
            "query": query,
            "result": result,
            "page": number,
            "pages": pages,
            "error": error,
            "topics": [(str(topic.id), topic.name) for topic in topics],
            "topic_names": {topic.id: topic.name for topic in topics},
            "platforms": [(name, name) for name in PLATFORMS],
            "sentiments": SENTIMENT_OPTIONS,
            "intents": INTENT_OPTIONS,
            "author_kinds": AUTHOR_KIND_OPTIONS,
        },
        status_code=error.status if error else 200,
    )


# --- one post ------------------------------------------------------------------------------------------------


@dataclass
class Segment:
    text: str
    refs: list[int] = field(default_factory=list)
    title: str = ""


def highlight(text: str, findings: list[dict[str, Any]]) -> list[Segment]:
    """Split ``text`` into plain runs and runs covered by findings (numbered from 1, as in the table)."""
    spans = [
        (number, item)
        for number, item in enumerate(findings, start=1)
        if 0 <= int(item.get("start", -1)) < int(item.get("end", -1)) <= len(text)
    ]
    cuts = sorted({0, len(text), *(int(i["start"]) for _, i in spans), *(int(i["end"]) for _, i in spans)})
    segments: list[Segment] = []
    for start, end in pairwise(cuts):
        covering = [(n, item) for n, item in spans if int(item["start"]) <= start and end <= int(item["end"])]
        segment = Segment(
            text[start:end],
            refs=[n for n, _ in covering],
            title=" · ".join(dict.fromkeys(str(item.get("explanation", "")) for _, item in covering)),
        )
        if segments and segments[-1].refs == segment.refs:
            segments[-1].text += segment.text
        else:
            segments.append(segment)
    return segments


@router.get("/listening/posts/{post_id}")
def post_page(request: Request, db: DbDep, actor: ActorDep, post_id: int) -> Response:
    detail = listening_search.access_post(db, actor, post_id)
    topics = {topic.id: topic for topic in listening_topics.list_topics(db, actor)}
    enrichment = detail.enrichment
    components = enrichment.get("components") or {}
    component_names = [f"enrich.{name}.{version}" for name, version in sorted(components.items())]
    findings = detail.findings
    return page(
        request,
        actor,
        "listening/post.html",
        "search",
        {
            "title": f"Post {detail.post.id}",
            "detail": detail,
            "post": detail.post,
            "enrichment": enrichment,
            "component_names": component_names,
            "segments": highlight(detail.post.text, findings),
            "findings": [
                {**item, "number": number, "excerpt": detail.post.text[int(item["start"]) : int(item["end"])]}
                for number, item in enumerate(findings, start=1)
            ],
            "topics": [topics[topic_id] for topic_id in detail.topic_ids if topic_id in topics],
            "safe_url": _safe_url(detail.post.url),
        },
    )


def _safe_url(url: str | None) -> str | None:
    """Only http(s) links are rendered as links (a stored ``javascript:`` URL stays text)."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


# --- topics --------------------------------------------------------------------------------------------------


@router.get("/listening/topics")
def topic_list(request: Request, db: DbDep, actor: ActorDep) -> Response:
    topics = listening_topics.list_topics(db, actor)
    return page(
        request,
        actor,
        "listening/topics.html",
        "topics",
        {
            "title": "Topics",
            "topics": topics,
            "kind_labels": TOPIC_KIND_LABELS,
            "can_manage": actor.can(Permission.MANAGE_TOPICS),
        },
    )


def _query_marker(query: str, error: Exception | None) -> dict[str, str] | None:
    """The query split around the error position, to show it in place."""
    if not isinstance(error, TopicQueryError) or not error.position:
        return None
    index = min(max(error.position - 1, 0), len(query))
    return {"before": query[:index], "at": query[index : index + 1] or " ", "after": query[index + 1 :]}


def _topic_form(
    request: Request,
    db: Any,
    actor: Actor,
    values: dict[str, Any],
    *,
    topic: TopicView | None = None,
    error: Exception | None = None,
) -> Response:
    listening_dashboard.check_can_manage_topics(actor)
    return page(
        request,
        actor,
        "listening/topic_form.html",
        "topics",
        {
            "title": f"Edit topic {topic.name}" if topic else "New topic",
            "topic": topic,
            "values": values,
            "error": error,
            "marker": _query_marker(str(values.get("query", "")), error),
            "kinds": TOPIC_KIND_OPTIONS,
            "departments": [(str(d.id), d.name) for d in departments.list_departments(db, actor)],
        },
        status_code=getattr(error, "status", 200),
    )


@router.get("/listening/topics/new")
def topic_new(request: Request, db: DbDep, actor: ActorDep) -> Response:
    return _topic_form(request, db, actor, {"kind": TopicKind.BRAND.value, "query": "", "is_active": True})


@router.post("/listening/topics/new")
def topic_create(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    query: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    department_id: Annotated[str, Form()] = "",
) -> Response:
    values = {
        "name": name,
        "kind": kind,
        "query": query,
        "description": description,
        "department_id": department_id,
    }
    try:
        topic = listening_topics.do_create_topic(
            db,
            actor,
            name=name,
            kind=kind,
            query=query,
            description=description,
            department_id=optional_int(department_id, "department_id"),
            origin=origin,
        )
    except (ValidationFailed, RoundsError) as error:
        if error.status not in (409, 422, 400):
            raise
        return _topic_form(request, db, actor, values, error=error)
    return RedirectResponse(f"/listening/topics/{topic.id}?done=topic_created", status_code=303)


@router.get("/listening/topics/{topic_id}/edit")
def topic_edit(request: Request, db: DbDep, actor: ActorDep, topic_id: int) -> Response:
    topic = listening_topics.access_topic(db, actor, topic_id)
    values = topic.model_dump()
    values["department_id"] = str(topic.department_id or "")
    return _topic_form(request, db, actor, values, topic=topic)


@router.post("/listening/topics/{topic_id}/edit")
def topic_update(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    origin: OriginDep,
    topic_id: int,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    query: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    is_active: Annotated[str | None, Form()] = None,
) -> Response:
    values = {
        "name": name,
        "kind": kind,
        "query": query,
        "description": description,
        "is_active": checkbox(is_active),
    }
    try:
        listening_topics.do_update_topic(
            db,
            actor,
            topic_id,
            name=name,
            kind=kind,
            query=query,
            description=description,
            is_active=checkbox(is_active),
            origin=origin,
        )
    except RoundsError as error:
        if error.status not in (409, 422, 400):
            raise
        topic = listening_topics.access_topic(db, actor, topic_id)
        return _topic_form(request, db, actor, values, topic=topic, error=error)
    return RedirectResponse(f"/listening/topics/{topic_id}?done=topic_updated", status_code=303)


@router.post("/listening/topics/{topic_id}/backfill")
def topic_backfill(
    request: Request, db: DbDep, actor: ActorDep, origin: OriginDep, topic_id: int
) -> Response:
    listening_topics.backfill_topic(db, actor, topic_id, origin=origin)
    return RedirectResponse(f"/listening/topics/{topic_id}?done=topic_backfilled", status_code=303)


# --- the dashboard and its charts ----------------------------------------------------------------------------

CHART_WIDTH = 720
CHART_HEIGHT = 220
CHART_LEFT = 44
CHART_BOTTOM = 28
CHART_TOP = 10
SENTIMENT_ORDER = ("negative", "neutral", "positive")


def _nice_max(value: int) -> int:
    if value <= 5:
        return 5
    magnitude = int(10 ** (len(str(value)) - 1))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def _bucket_label(start: datetime, bucket: Bucket) -> str:
    return start.strftime("%Y-%m-%d") if bucket == "day" else start.strftime("%Y-%m-%d %H:00")


def volume_chart(dashboard: TopicDashboard) -> dict[str, Any]:
    """Geometry of the stacked volume chart (negative, neutral, positive per bucket), computed here so the
    template only draws rectangles."""
    points = dashboard.series
    plot_width = CHART_WIDTH - CHART_LEFT - 8
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    top = _nice_max(max((point.total for point in points), default=0))
    slot = plot_width / max(1, len(points))
    bar = max(1.0, slot * 0.8)
    bars = []
    for index, point in enumerate(points):
        x = CHART_LEFT + index * slot + (slot - bar) / 2
        y = float(CHART_TOP + plot_height)
        parts = []
        for name in SENTIMENT_ORDER:
            count = int(getattr(point, name))
            height = plot_height * count / top if top else 0.0
            y -= height
            if count:
                parts.append({"name": name, "count": count, "y": round(y, 2), "height": round(height, 2)})
        label = _bucket_label(point.start, dashboard.bucket)
        tip = f"{label}: {point.total} posts ({point.negative} negative, {point.neutral} neutral, {point.positive} positive)"
        bars.append({"x": round(x, 2), "width": round(bar, 2), "parts": parts, "tip": tip, "label": label})
    ticks = [
        {"value": top * step // 4, "y": round(CHART_TOP + plot_height - plot_height * step / 4, 2)}
        for step in range(5)
    ]
    every = max(1, len(points) // 6)
    labels = [
        {
            "x": round(CHART_LEFT + index * slot + slot / 2, 2),
            "text": point.start.strftime("%b %d" if dashboard.bucket == "day" else "%d %H:00"),
        }
        for index, point in enumerate(points)
        if index % every == 0
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - 8,
        "base": CHART_TOP + plot_height,
        "bars": bars,
        "ticks": ticks,
        "labels": labels,
    }


def negative_share_chart(dashboard: TopicDashboard) -> dict[str, Any]:
    """A line of the share of negative posts per bucket (buckets without posts are gaps)."""
    points = dashboard.series
    plot_width = CHART_WIDTH - CHART_LEFT - 8
    plot_height = 120
    slot = plot_width / max(1, len(points))
    dots = []
    for index, point in enumerate(points):
        if not point.total:
            continue
        share = point.negative / point.total
        dots.append(
            {
                "x": round(CHART_LEFT + index * slot + slot / 2, 2),
                "y": round(CHART_TOP + plot_height * (1 - share), 2),
                "tip": f"{_bucket_label(point.start, dashboard.bucket)}: {share:.0%} negative of {point.total}",
            }
        )
    path = " ".join(f"{'M' if i == 0 else 'L'}{dot['x']},{dot['y']}" for i, dot in enumerate(dots))
    return {
        "width": CHART_WIDTH,
        "height": plot_height + CHART_TOP + 10,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - 8,
        "top": CHART_TOP,
        "base": CHART_TOP + plot_height,
        "mid": CHART_TOP + plot_height / 2,
        "dots": dots,
        "path": path,
    }


@router.get("/listening/topics/{topic_id}")
def topic_dashboard_page(
    request: Request, db: DbDep, actor: ActorDep, topic_id: int, days: str = "14", bucket: str = ""
) -> Response:
    period = days if days in PERIODS else "14"
    chosen: Bucket = "hour" if bucket == "hour" or (bucket != "day" and period == "1") else "day"
    since, until = listening_dashboard.default_period(int(period))
    if chosen == "hour":
        since = until - timedelta(days=min(int(period), 30))
    dashboard = listening_dashboard.topic_dashboard(
        db, actor, topic_id, since=since, until=until, bucket=chosen
    )
    return page(
        request,
        actor,
        "listening/topic.html",
        "topics",
        {
            "title": dashboard.topic.name,
            "dashboard": dashboard,
            "topic": dashboard.topic,
            "kind_label": TOPIC_KIND_LABELS.get(dashboard.topic.kind, dashboard.topic.kind),
            "volume": volume_chart(dashboard),
            "negative": negative_share_chart(dashboard),
            "periods": list(PERIODS.items()),
            "period": period,
            "bucket": chosen,
            "can_manage": actor.can(Permission.MANAGE_TOPICS),
        },
    )
