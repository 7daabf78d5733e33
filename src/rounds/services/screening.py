"""Screening for the app: the only way Rounds screens text (DESIGN.md: screening cannot be bypassed).

The library (:mod:`rounds.screening`) knows nothing about databases. This service builds each organization's
:class:`ScreeningProfile` and :class:`Policy` from the database and keeps one :class:`Screener` per organization:

* profile: the organization's name and other names, the handles of the accounts in its registry (its own, so
  neutral: never a patient), the display names of its active staff (staff, not patients), and from the
  organization's screening settings its public figures, public phones / emails / websites and patient-relations
  contact;
* policy: the organization's stored rule modes and reasons; rules it has not set keep the library default.

The cached Screener is keyed by a fingerprint of the profile and policy, so a change anywhere (settings, a new
staff member, a new registry handle, another process saving settings) builds a new one on the next call; saving
settings also drops the cache entry at once.

Screening a draft changes nothing: no audit event, and the text is never stored or logged.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from rounds.db import Database
from rounds.db.models import Membership, Organization, SocialAccount, User, utcnow
from rounds.db.screening_settings import OrganizationScreeningSettings
from rounds.domain.accounts import AccountStatus
from rounds.domain.audit import AuditAction
from rounds.domain.errors import NotFound, ValidationFailed
from rounds.domain.roles import Permission
from rounds.domain.screening import (
    Kind,
    Policy,
    PolicyRule,
    Screening,
    ScreeningProfile,
    ThreadContext,
)
from rounds.screening import Screener
from rounds.services import audit
from rounds.services.context import Actor, Origin

logger = logging.getLogger(__name__)

MAX_TEXT_BYTES = 1_000_000  # per text (and per parent-post text), UTF-8
MAX_BATCH_ITEMS = 500
MAX_LIST_ENTRIES = 500  # per settings list
MAX_ENTRY_CHARS = 300
MAX_CACHED_ORGANIZATIONS = 16

# Hosts shared by everyone: listing one as "ours" would make every link there (a patient's fundraiser, a
# patient's profile) look like the organization's own. Social profiles belong in the account registry.
SHARED_HOSTS = frozenset(
    {
        "facebook.com",
        "fb.com",
        "instagram.com",
        "x.com",
        "twitter.com",
        "youtube.com",
        "youtu.be",
        "tiktok.com",
        "linkedin.com",
        "reddit.com",
        "bsky.app",
        "threads.net",
        "yelp.com",
        "google.com",
        "goo.gl",
        "gofundme.com",
        "caringbridge.org",
        "givesendgo.com",
        "gmail.com",
        "outlook.com",
        "yahoo.com",
        "bit.ly",
        "linktr.ee",
    }
)


# --- screening -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextToScreen:
    """One item of a batch: the text, its kind, and optionally the post it answers."""

    text: str
    kind: Kind | str = Kind.POST
    context: ThreadContext | str | dict[str, Any] | None = None


def check_can_screen(actor: Actor) -> None:
    actor.require(Permission.SCREEN_TEXT)


def _field(prefix: str, name: str) -> str:
    return f"{prefix}{name}"


def check_text(
    text: object, kind: object, context: object = None, *, prefix: str = ""
) -> tuple[str, Kind, ThreadContext | None]:
    """Validate one item; raises ValidationFailed naming the field (never quoting the text)."""
    if not isinstance(text, str):
        raise ValidationFailed(
            "The text must be a string.",
            details=[{"field": _field(prefix, "text"), "message": "not a string"}],
        )
    if not text.strip():
        raise ValidationFailed(
            "There is no text to screen.",
            hint="Paste the draft (it cannot be empty or only spaces).",
            details=[{"field": _field(prefix, "text"), "message": "empty"}],
        )
    _check_size(text, _field(prefix, "text"), "The text")
    try:
        parsed_kind = Kind.POST if kind is None else Kind.parse(kind if isinstance(kind, Kind) else str(kind))
    except ValueError:
        allowed = ", ".join(k.value for k in Kind)
        raise ValidationFailed(
            f"Unknown kind of text {str(kind)[:40]!r}.",
            hint=f"Use one of: {allowed}.",
            details=[{"field": _field(prefix, "kind"), "message": f"expected one of: {allowed}"}],
        ) from None
    try:
        thread = ThreadContext.coerce(context)  # type: ignore[arg-type]  # checked by coerce itself
    except ValueError as error:
        raise ValidationFailed(
            "The thread context is not valid.",
            hint="Send the parent post's text, or an object {text, author, is_organization}.",
            details=[{"field": _field(prefix, "context"), "message": str(error)}],
        ) from None
    if thread is not None:
        _check_size(thread.text, _field(prefix, "context.text"), "The parent post's text")
    return text, parsed_kind, thread


def _check_size(text: str, field: str, what: str) -> None:
    # Cheap bound first: a str of n characters encodes to at least n bytes.
    if len(text) > MAX_TEXT_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise ValidationFailed(
            f"{what} is too long to screen (the limit is 1 MB).",
            hint="Split it into posts and screen each one.",
            details=[{"field": field, "message": "longer than 1 MB"}],
        )


def screen_text(
    db: Database,
    actor: Actor,
    text: str,
    kind: Kind | str = Kind.POST,
    context: ThreadContext | str | dict[str, Any] | None = None,
) -> Screening:
    """Screen one text with the actor's organization's profile and policy. Not a state change: no audit event;
    the text is neither stored nor logged."""
    check_can_screen(actor)
    checked_text, checked_kind, thread = check_text(text, kind, context)
    return screener_for(db, actor.organization_id).screen(checked_text, checked_kind, thread)


def screen_batch(db: Database, actor: Actor, items: Sequence[TextToScreen]) -> list[Screening]:
    """Screen up to :data:`MAX_BATCH_ITEMS` texts, in order. Every item is checked first: with any bad item
    nothing is screened and the error lists each bad item by its index."""
    check_can_screen(actor)
    if not items:
        raise ValidationFailed(
            "The batch is empty.",
            hint="Send at least one item.",
            details=[{"field": "items", "message": "empty"}],
        )
    if len(items) > MAX_BATCH_ITEMS:
        raise ValidationFailed(
            f"Too many items in one batch ({len(items):,}; the limit is {MAX_BATCH_ITEMS}).",
            hint=f"Split the batch into requests of at most {MAX_BATCH_ITEMS} items.",
            details=[{"field": "items", "message": f"at most {MAX_BATCH_ITEMS} items"}],
        )
    checked: list[tuple[str, Kind, ThreadContext | None]] = []
    problems: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            checked.append(check_text(item.text, item.kind, item.context, prefix=f"items.{index}."))
        except ValidationFailed as error:
            problems.extend(error.details)
    if problems:
        raise ValidationFailed(
            f"{len({p['field'].split('.')[1] for p in problems})} of {len(items)} items are not valid; "
            "nothing was screened.",
            hint="Correct the listed items and send the batch again.",
            details=problems,
        )
    # One screen_many call: the name tagger tags the whole batch at once (same results as text by text).
    return screener_for(db, actor.organization_id).screen_many(
        {"text": text, "kind": kind, "context": thread} for text, kind, thread in checked
    )


# --- the organization's profile and policy, and the per-organization Screener cache -------------------------


@dataclass
class _Cached:
    fingerprint: str
    screener: Screener


_CACHE: dict[tuple[int, str], _Cached] = {}
_CACHE_LOCK = threading.Lock()


def invalidate(organization_id: int | None = None) -> None:
    """Forget the cached Screener of one organization (or of all)."""
    with _CACHE_LOCK:
        if organization_id is None:
            _CACHE.clear()
        else:
            for key in [key for key in _CACHE if key[0] == organization_id]:
                _CACHE.pop(key, None)


def _fingerprint(profile: ScreeningProfile, policy: Policy) -> str:
    body = profile.model_dump_json() + "\n" + policy.model_dump_json()
    return hashlib.sha256(body.encode()).hexdigest()


def screener_for(db: Database, organization_id: int, *, inbound: bool = False) -> Screener:
    """The organization's Screener: reused while its profile and policy are unchanged.

    Outbound text (drafts, replies) uses ``settings.screening_name_model`` (default: fast);
    inbound posts screened at ingest volume use ``settings.ingest_screening_name_model`` (default: fast)."""
    name_model = db.settings.ingest_screening_name_model if inbound else db.settings.screening_name_model
    with db.session() as session:
        profile, policy = _load_profile_and_policy(session, organization_id)
    fingerprint = _fingerprint(profile, policy)
    key = (organization_id, name_model)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None and cached.fingerprint == fingerprint:
            return cached.screener
    # Built outside the lock (it loads lexicons); two threads racing both build, the last one is kept.
    screener = Screener(profile, policy, name_model=name_model)
    with _CACHE_LOCK:
        if key not in _CACHE and len(_CACHE) >= MAX_CACHED_ORGANIZATIONS:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = _Cached(fingerprint, screener)
    return screener


def build_profile(db: Database, organization_id: int) -> ScreeningProfile:
    with db.session() as session:
        profile, _policy = _load_profile_and_policy(session, organization_id)
    return profile


def build_policy(db: Database, organization_id: int) -> Policy:
    with db.session() as session:
        _profile, policy = _load_profile_and_policy(session, organization_id)
    return policy


def _settings_row(session: Session, organization_id: int) -> OrganizationScreeningSettings | None:
    return session.execute(
        sa.select(OrganizationScreeningSettings).where(
            OrganizationScreeningSettings.organization_id == organization_id
        )
    ).scalar_one_or_none()


def _registry_handles(session: Session, organization_id: int) -> list[str]:
    """Handles of the organization's own registry accounts. Unofficial accounts someone else runs (found,
    not ours) are left out: they are not the organization's voice."""
    rows = session.execute(
        sa.select(SocialAccount.handle).where(
            SocialAccount.organization_id == organization_id,
            SocialAccount.status != AccountStatus.UNOFFICIAL_FOUND.value,
        )
    ).scalars()
    return sorted({handle.strip() for handle in rows if handle and handle.strip()})


def _staff_names(session: Session, organization_id: int) -> list[str]:
    rows = session.execute(
        sa.select(User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization_id, User.is_active.is_(True))
    ).scalars()
    return sorted({name.strip() for name in rows if name and name.strip()})


def _stored_policy(data: dict[str, Any] | None) -> Policy:
    """The stored policy over the defaults. A rule the library no longer has, or a stored rule that no longer
    validates, is skipped (its default applies) instead of breaking every screening."""
    rules: dict[str, Any] = {}
    for name, value in (data or {}).items():
        if name not in Policy.model_fields:
            logger.warning("ignoring unknown stored screening policy rule %s", name)
            continue
        try:
            rules[name] = PolicyRule.model_validate(value)
        except ValueError:
            logger.warning("ignoring invalid stored screening policy rule %s", name)
    return Policy.from_dict(rules)


def _load_profile_and_policy(session: Session, organization_id: int) -> tuple[ScreeningProfile, Policy]:
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound("The organization was not found.")
    row = _settings_row(session, organization_id)
    names = [organization.name, *(row.other_names if row else [])]
    contact = (row.patient_relations_contact if row else "") or organization.patient_relations_contact or ""
    profile = ScreeningProfile(
        organization_names=[name for name in names if name and name.strip()],
        handles=_registry_handles(session, organization_id),
        phones=list(row.phones) if row else [],
        emails=list(row.emails) if row else [],
        urls=list(row.urls) if row else [],
        staff_names=_staff_names(session, organization_id),
        public_figures=list(row.public_figures) if row else [],
        **({"patient_relations_contact": contact.strip()} if contact.strip() else {}),
    )
    return profile, _stored_policy(row.policy if row else None)


# --- settings ------------------------------------------------------------------------------------------------


def _clean_list(values: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for raw in values:
        value = " ".join(str(raw).split())
        if not value or value.lower() in seen:
            continue
        if len(value) > MAX_ENTRY_CHARS:
            raise ValueError(f"an entry is longer than {MAX_ENTRY_CHARS} characters")
        seen.add(value.lower())
        out.append(value)
    if len(out) > MAX_LIST_ENTRIES:
        raise ValueError(f"at most {MAX_LIST_ENTRIES} entries")
    return out


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")


def _host_of(url: str) -> str:
    return url.lower().split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].removeprefix("www.")


def _shared(host: str) -> bool:
    return any(host == shared or host.endswith("." + shared) for shared in SHARED_HOSTS)


class ScreeningSettingsInput(BaseModel):
    """What an admin or privacy officer sets. Lists are replaced as a whole; rules not given keep the
    library's default."""

    model_config = ConfigDict(extra="forbid")

    policy: Policy = Field(
        default_factory=Policy,
        description="Each rule: {mode: block|warn|off, reason}. Missing rules keep their default.",
    )
    other_names: list[str] = Field(
        default_factory=list, description="Other names of the organization (abbreviations, former names)."
    )
    public_figures: list[str] = Field(
        default_factory=list,
        description="People the organization names in public who are not staff users (board, spokespeople, "
        "donors): never treated as patients.",
    )
    phones: list[str] = Field(default_factory=list, description="The organization's public phone numbers.")
    emails: list[str] = Field(default_factory=list, description="The organization's public email addresses.")
    urls: list[str] = Field(
        default_factory=list,
        description="The organization's own websites (not social profiles: those are in the account registry).",
    )
    patient_relations_contact: str = Field(
        default="",
        max_length=MAX_ENTRY_CHARS,
        description="Who replies point people to, e.g. 'Patient Relations at 555-0100'. Empty: the default.",
    )

    @field_validator("other_names", "public_figures")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        return _clean_list(value)

    @field_validator("phones")
    @classmethod
    def _phones(cls, value: list[str]) -> list[str]:
        cleaned = _clean_list(value)
        for phone in cleaned:
            if sum(c.isdigit() for c in phone) < 7 or re.search(r"[^\d\s()+.\-x/ext]", phone.lower()):
                raise ValueError(f"{phone!r} is not a phone number")
        return cleaned

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        cleaned = _clean_list(value)
        for email in cleaned:
            if not _EMAIL.match(email):
                raise ValueError(f"{email!r} is not an email address")
        return cleaned

    @field_validator("urls")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        cleaned = _clean_list(value)
        for url in cleaned:
            host = _host_of(url)
            if not _HOST.match(host):
                raise ValueError(f"{url!r} is not a website address")
            if _shared(host):
                raise ValueError(
                    f"{host} is shared by everyone, so it cannot be listed as the organization's own "
                    "(social profiles go in the account registry)"
                )
        return cleaned

    @field_validator("patient_relations_contact")
    @classmethod
    def _contact(cls, value: str) -> str:
        return " ".join(value.split())


class ScreeningSettings(BaseModel):
    """The organization's screening settings, with the facts taken from elsewhere (read only here)."""

    policy: Policy
    other_names: list[str]
    public_figures: list[str]
    phones: list[str]
    emails: list[str]
    urls: list[str]
    patient_relations_contact: str = Field(description="As set; empty means the default below.")
    effective_patient_relations_contact: str
    default_policy: Policy = Field(description="The library's default policy, for reference.")
    organization_name: str
    registry_handles: list[str] = Field(
        description="From the account registry: treated as the organization's."
    )
    staff_count: int = Field(description="Active staff users, whose display names are never patients.")
    updated_at: datetime | None
    updated_by_user_id: int | None


def _snapshot(row: OrganizationScreeningSettings | None) -> dict[str, Any]:
    """What the audit event records: the stored settings (the effective policy, defaults filled in)."""
    return {
        "policy": _stored_policy(row.policy if row else None).model_dump(mode="json"),
        "other_names": list(row.other_names) if row else [],
        "public_figures": list(row.public_figures) if row else [],
        "phones": list(row.phones) if row else [],
        "emails": list(row.emails) if row else [],
        "urls": list(row.urls) if row else [],
        "patient_relations_contact": row.patient_relations_contact if row else "",
    }


def check_can_manage_screening_settings(actor: Actor) -> None:
    actor.require(Permission.MANAGE_SCREENING_POLICY)


def get_screening_settings(db: Database, actor: Actor) -> ScreeningSettings:
    check_can_manage_screening_settings(actor)
    with db.session() as session:
        organization = session.get(Organization, actor.organization_id)
        if organization is None:
            raise NotFound("The organization was not found.")
        row = _settings_row(session, actor.organization_id)
        profile, policy = _load_profile_and_policy(session, actor.organization_id)
        return ScreeningSettings(
            policy=policy,
            other_names=list(row.other_names) if row else [],
            public_figures=list(row.public_figures) if row else [],
            phones=list(row.phones) if row else [],
            emails=list(row.emails) if row else [],
            urls=list(row.urls) if row else [],
            patient_relations_contact=row.patient_relations_contact if row else "",
            effective_patient_relations_contact=profile.patient_relations_contact,
            default_policy=Policy(),
            organization_name=organization.name,
            registry_handles=profile.handles,
            staff_count=len(profile.staff_names),
            updated_at=row.updated_at if row else None,
            updated_by_user_id=row.updated_by_user_id if row else None,
        )


def do_update_screening_settings(
    db: Database, actor: Actor, settings: ScreeningSettingsInput, *, origin: Origin
) -> ScreeningSettings:
    """Replace the organization's screening settings; audited with before and after in the same transaction.
    Saving unchanged settings records nothing."""
    check_can_manage_screening_settings(actor)
    with db.session() as session:
        row = _settings_row(session, actor.organization_id)
        before = _snapshot(row)
        if row is None:
            row = OrganizationScreeningSettings(organization_id=actor.organization_id)
            session.add(row)
        row.policy = settings.policy.model_dump(mode="json")
        row.other_names = list(settings.other_names)
        row.public_figures = list(settings.public_figures)
        row.phones = list(settings.phones)
        row.emails = list(settings.emails)
        row.urls = list(settings.urls)
        row.patient_relations_contact = settings.patient_relations_contact
        after = _snapshot(row)
        if after != before:
            row.updated_at = utcnow()
            row.updated_by_user_id = actor.user_id
            session.flush()
            audit.record(
                session,
                actor=actor,
                action=AuditAction.SCREENING_SETTINGS_UPDATED,
                object_type="screening_settings",
                object_id=actor.organization_id,
                before=before,
                after=after,
                origin=origin,
            )
        elif row.id is None:
            session.expunge(row)
    invalidate(actor.organization_id)
    return get_screening_settings(db, actor)
