"""The organization a single Rounds installation serves."""

from __future__ import annotations

import sqlalchemy as sa

from rounds.db import Database
from rounds.db.models import Organization
from rounds.domain.errors import SetupRequired
from rounds.services.context import Actor


def system_actor(db: Database) -> Actor:
    """The operator at the machine's command line acts for the (first) organization, audited as 'system'."""
    with db.session() as session:
        organization_id = session.execute(sa.select(sa.func.min(Organization.id))).scalar_one_or_none()
    if organization_id is None:
        raise SetupRequired(
            "Rounds is not set up yet.",
            hint="Run `rounds setup` or open the web app to create the administrator.",
        )
    return Actor.system(organization_id)


def organization_name(db: Database, organization_id: int) -> str:
    with db.session() as session:
        organization = session.get(Organization, organization_id)
        return organization.name if organization else ""
