"""Per-organization screening settings: policy rule modes and the organization's public facts.

Registered on :data:`rounds.db.models.Base` (``models.py`` imports this module). Migration:
``0003_screening_settings``. Read and written only through :mod:`rounds.services.screening`, which turns a row
into the library's ``ScreeningProfile`` and ``Policy``. No row means the library defaults.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from rounds.db.models import Base, utcnow


class OrganizationScreeningSettings(Base):
    """One row per organization. Lists are JSON arrays of strings; ``policy`` is ``Policy`` as JSON."""

    __tablename__ = "organization_screening_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), unique=True)
    # {"rule_name": {"mode": "block|warn|off", "reason": "..."}}; missing rules keep the library default.
    policy: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    other_names: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    public_figures: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    phones: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    emails: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    urls: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    patient_relations_contact: Mapped[str] = mapped_column(sa.String(300), default="")
    updated_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
