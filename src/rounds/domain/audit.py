"""Audit event names: stable, never reused (CONVENTIONS.md 3)."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    ORGANIZATION_CREATED = "organization.created"
    ORGANIZATION_UPDATED = "organization.updated"
    DEPARTMENT_CREATED = "department.created"
    DEPARTMENT_UPDATED = "department.updated"
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_ROLE_CHANGED = "user.role_changed"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_PASSWORD_RESET = "user.password_reset"  # noqa: S105 - an event name, by an admin
    USER_PASSWORD_CHANGED = "user.password_changed"  # noqa: S105 - an event name, by the user
    LOGIN_SUCCEEDED = "auth.login_succeeded"
    LOGIN_FAILED = "auth.login_failed"
    LOGIN_THROTTLED = "auth.login_throttled"
    LOGOUT = "auth.logout"
    ACCOUNT_CREATED = "account.created"
    ACCOUNT_UPDATED = "account.updated"
    ACCOUNT_RETIRED = "account.retired"
    ACCOUNTS_IMPORTED = "account.imported"
    ACCOUNTS_EXPORTED = "account.exported"
    AUDIT_EXPORTED = "audit.exported"
    SCREENING_SETTINGS_UPDATED = "screening.settings_updated"
    TOPIC_CREATED = "topic.created"
    TOPIC_UPDATED = "topic.updated"
    TOPIC_BACKFILLED = "topic.backfilled"
    ALERT_RULE_CREATED = "alert_rule.created"
    ALERT_RULE_UPDATED = "alert_rule.updated"
    ALERT_ACKNOWLEDGED = "alert.acknowledged"
    CONNECTOR_SOURCE_CREATED = "connector_source.created"
    CONNECTOR_SOURCE_UPDATED = "connector_source.updated"
    CONNECTOR_CREDENTIALS_CHANGED = "connector_source.credentials_changed"
    IMPORT_COMPLETED = "listening.import_completed"
    LISTEN_RUN_COMPLETED = "listening.run_completed"
    QUARANTINE_RESOLVED = "quarantine.resolved"
