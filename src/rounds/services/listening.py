"""Listening: shared pieces (permissions, audit names, credential encryption) and connector sources.

The use cases live beside this module: ``listening_ingest`` (durable ingest and file import),
``listening_topics`` (topics, matching, backfill), ``listening_search`` (full-text search, posts, quarantine),
``listening_alerts`` (alert rules, alerts, notifications) and ``listening_runs`` (running connectors).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from rounds.db import Database
from rounds.db.listening import ConnectorSource
from rounds.db.models import utcnow
from rounds.domain.audit import AuditAction
from rounds.domain.errors import ConfigurationError, Conflict, NotFound, ValidationFailed
from rounds.domain.roles import Permission
from rounds.domain.topics import ListeningAuditAction
from rounds.services import audit
from rounds.services.context import Actor, Origin
from rounds.settings import Settings


def _permission(name: str, fallback: Permission) -> Permission:
    """The listening permission once ``roles.py`` lists it; until then the closest existing one."""
    return Permission.__members__.get(name, fallback)


VIEW_LISTENING = _permission("VIEW_LISTENING", Permission.VIEW_DASHBOARD)
MANAGE_TOPICS = _permission("MANAGE_TOPICS", Permission.MANAGE_ACCOUNTS)
IMPORT_POSTS = _permission("IMPORT_POSTS", Permission.MANAGE_ACCOUNTS)
MANAGE_CONNECTORS = _permission("MANAGE_CONNECTORS", Permission.MANAGE_ACCOUNTS)
MANAGE_ALERT_RULES = _permission("MANAGE_ALERT_RULES", Permission.MANAGE_ACCOUNTS)


def audit_action(action: ListeningAuditAction) -> AuditAction:
    """The AuditAction member of the same name once it exists; the listening name (same value) until then."""
    member = AuditAction.__members__.get(action.name)
    return member if member is not None else cast(AuditAction, action)


# --- credentials at rest -------------------------------------------------------------------------------------

_CREDENTIALS_INFO = b"rounds.connector-credentials.v1"


def _fernet(settings: Settings) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CREDENTIALS_INFO).derive(
        settings.secret_key.get_secret_value().encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(settings: Settings, values: dict[str, str]) -> str:
    """Fernet token (AES-128-CBC + HMAC-SHA256) over the JSON of ``values``, keyed from the secret key."""
    return _fernet(settings).encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def decrypt_secret(settings: Settings, token: str | None) -> dict[str, str]:
    if not token:
        return {}
    try:
        loaded = json.loads(_fernet(settings).decrypt(token.encode()))
    except InvalidToken:
        raise ConfigurationError(
            "Stored connector credentials cannot be decrypted with the current secret key.",
            hint="The secret key changed since they were entered: enter the credentials again.",
        ) from None
    return {str(key): str(value) for key, value in dict(loaded).items()}


# --- connector sources ---------------------------------------------------------------------------------------


class SourceInput(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    connector: str = Field(min_length=1, max_length=80)
    options: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, str] | None = None
    """None keeps the stored credentials; {} removes them."""
    department_id: int | None = None
    enabled: bool = True
    interval_seconds: int = Field(default=300, ge=30, le=7 * 86400)


class SourceView(BaseModel):
    id: int
    name: str
    connector: str
    options: dict[str, Any]
    credential_keys: list[str]
    department_id: int | None
    enabled: bool
    interval_seconds: int
    health_status: str
    health_detail: str
    health_checked_at: datetime | None
    retry_after: datetime | None
    last_run_at: datetime | None


def _source_view(settings: Settings, source: ConnectorSource) -> SourceView:
    try:
        keys = sorted(decrypt_secret(settings, source.credentials_encrypted))
    except ConfigurationError:
        keys = []
    return SourceView(
        id=source.id,
        name=source.name,
        connector=source.connector,
        options=dict(source.options),
        credential_keys=keys,
        department_id=source.department_id,
        enabled=source.enabled,
        interval_seconds=source.interval_seconds,
        health_status=source.health_status,
        health_detail=source.health_detail,
        health_checked_at=source.health_checked_at,
        retry_after=source.retry_after,
        last_run_at=source.last_run_at,
    )


def _source_snapshot(source: ConnectorSource) -> dict[str, Any]:
    """For the audit log: never the credentials, only whether they are set."""
    return {
        "name": source.name,
        "connector": source.connector,
        "options": source.options,
        "department_id": source.department_id,
        "enabled": source.enabled,
        "interval_seconds": source.interval_seconds,
        "has_credentials": bool(source.credentials_encrypted),
    }


def load_source(session: Session, actor: Actor, source_id: int) -> ConnectorSource:
    source = session.get(ConnectorSource, source_id)
    if source is None or source.organization_id != actor.organization_id:
        raise NotFound(f"Connector source {source_id} was not found.")
    return source


def _check_connector(name: str) -> None:
    from rounds.connectors.registry import default_registry

    default_registry().get(name)  # raises ConfigurationError naming the valid ones


def do_create_source(
    db: Database, settings: Settings, actor: Actor, data: SourceInput, *, origin: Origin
) -> SourceView:
    actor.require(MANAGE_CONNECTORS)
    _check_connector(data.connector)
    with db.session() as session:
        key = data.name.lower()
        exists = session.execute(
            sa.select(ConnectorSource.id).where(
                ConnectorSource.organization_id == actor.organization_id, ConnectorSource.name_key == key
            )
        ).scalar_one_or_none()
        if exists is not None:
            raise Conflict(f"A connector source named {data.name!r} already exists.")
        source = ConnectorSource(
            organization_id=actor.organization_id,
            department_id=data.department_id,
            name=data.name,
            name_key=key,
            connector=data.connector,
            options=data.options,
            credentials_encrypted=encrypt_secret(settings, data.credentials) if data.credentials else None,
            cursor="{}",
            enabled=data.enabled,
            interval_seconds=data.interval_seconds,
        )
        session.add(source)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=audit_action(ListeningAuditAction.CONNECTOR_SOURCE_CREATED),
            object_type="connector_source",
            object_id=source.id,
            after=_source_snapshot(source),
            origin=origin,
        )
        return _source_view(settings, source)


def do_update_source(
    db: Database, settings: Settings, actor: Actor, source_id: int, data: SourceInput, *, origin: Origin
) -> SourceView:
    actor.require(MANAGE_CONNECTORS)
    _check_connector(data.connector)
    with db.session() as session:
        source = load_source(session, actor, source_id)
        before = _source_snapshot(source)
        source.name = data.name
        source.name_key = data.name.lower()
        source.connector = data.connector
        source.options = data.options
        source.department_id = data.department_id
        source.enabled = data.enabled
        source.interval_seconds = data.interval_seconds
        credentials_changed = data.credentials is not None
        if data.credentials is not None:
            source.credentials_encrypted = (
                encrypt_secret(settings, data.credentials) if data.credentials else None
            )
        after = _source_snapshot(source)
        if after != before or credentials_changed:
            source.updated_at = utcnow()
            audit.record(
                session,
                actor=actor,
                action=audit_action(
                    ListeningAuditAction.CONNECTOR_CREDENTIALS_CHANGED
                    if credentials_changed and after == before
                    else ListeningAuditAction.CONNECTOR_SOURCE_UPDATED
                ),
                object_type="connector_source",
                object_id=source.id,
                before=before,
                after=after,
                origin=origin,
            )
        return _source_view(settings, source)


def list_sources(db: Database, settings: Settings, actor: Actor) -> list[SourceView]:
    actor.require(VIEW_LISTENING)
    with db.session() as session:
        rows = session.execute(
            sa.select(ConnectorSource)
            .where(ConnectorSource.organization_id == actor.organization_id)
            .order_by(ConnectorSource.name_key)
        ).scalars()
        return [_source_view(settings, row) for row in rows]


def check_name(value: str, what: str) -> str:
    value = value.strip()
    if not value or len(value) > 200:
        raise ValidationFailed(
            f"A {what} needs a name of 1-200 characters.", details=[{"field": "name", "message": "required"}]
        )
    return value
