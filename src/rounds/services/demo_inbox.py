"""The demo organization's inbox: a queue, a routing rule that sends complaints about Riverbend to it, and the
cases the real sync makes from the demo's stored posts; one case is assigned to the responder and one has a
take-it-offline reply that was screened, approved by a second person and sent (by hand: the demo has no
platform credentials and makes no network calls).

Every step goes through the inbox services, so the demo is what a person would see after the same clicks.
"""

from __future__ import annotations

import logging

from rounds.db import Database
from rounds.domain.enrichment import Intent
from rounds.domain.errors import RoundsError
from rounds.services import inbox_config, inbox_replies, inbox_sync, inbox_work, listening_topics, users
from rounds.services.context import Actor, Origin
from rounds.settings import Settings

logger = logging.getLogger(__name__)

BRAND_TOPIC = "Riverbend Health (brand)"
RESPONDER, MANAGER = "ravi", "maria"


def _actor(db: Database, admin: Actor, username: str) -> Actor | None:
    from rounds.services import auth

    for person in users.list_users(db, admin):
        if person.username == username:
            with db.session() as session:
                from rounds.db.models import User

                user = session.get(User, person.id)
                return auth.actor_for(session, user) if user is not None else None
    return None


def create_demo_inbox(db: Database, settings: Settings, admin: Actor, origin: Origin) -> int:
    """Queue, routing rule, sync, one assignment and one sent reply. Returns the number of cases."""
    responder, manager = _actor(db, admin, RESPONDER), _actor(db, admin, MANAGER)
    members = [actor.user_id for actor in (responder, manager) if actor is not None and actor.user_id]
    queue = inbox_config.do_save_queue(
        db,
        admin,
        inbox_config.QueueInput(name="Patient relations", skill="complaints", member_user_ids=members),
        origin=origin,
    )
    brand = next((t for t in listening_topics.list_topics(db, admin) if t.name == BRAND_TOPIC), None)
    if brand is not None:
        inbox_config.do_save_routing_rule(
            db,
            admin,
            inbox_config.RoutingRuleInput(
                name="Complaints about Riverbend",
                topic_id=brand.id,
                intents=[Intent.COMPLAINT],
                queue_id=queue.id,
                tags=["brand"],
            ),
            origin=origin,
        )
    inbox_config.do_save_routing_rule(
        db,
        admin,
        inbox_config.RoutingRuleInput(
            name="Our accounts' mentions and comments",
            position=10,
            applies_to_account_posts=True,
            queue_id=queue.id,
        ),
        origin=origin,
    )
    inbox_config.do_update_inbox_settings(
        db,
        admin,
        inbox_config.InboxSettingsInput(
            on_call_email="oncall@riverbend.example",
            breach_channels=[{"type": "in_app"}],
        ),
        origin=origin,
    )
    report = inbox_sync.do_sync_cases(db, admin, origin=origin)
    if not report.case_ids or responder is None or manager is None:
        return len(report.case_ids)
    try:
        assigned, answered = report.case_ids[0], report.case_ids[-1]
        inbox_work.do_assign_case(db, manager, assigned, responder.user_id, origin=origin)
        if answered != assigned:
            inbox_work.do_assign_case(db, manager, answered, responder.user_id, origin=origin)
            reply = inbox_replies.do_create_reply(
                db, responder, answered, template=inbox_replies.Template.TAKE_OFFLINE, origin=origin
            )
            if reply.status == inbox_replies.ReplyStatus.NEEDS_APPROVAL.value:
                reply = inbox_replies.do_approve_reply(db, manager, reply.id, origin=origin)
            if reply.status == inbox_replies.ReplyStatus.APPROVED.value:
                inbox_replies.do_mark_sent_manually(db, responder, reply.id, origin=origin)
    except RoundsError as error:  # the demo is still usable without its sample work
        logger.warning("demo inbox: sample work skipped: %s", error.code)
    return len(report.case_ids)
