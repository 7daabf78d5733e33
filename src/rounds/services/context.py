"""Who is acting and from where: passed to every service call."""

from __future__ import annotations

from dataclasses import dataclass, field

from rounds.domain.errors import Forbidden
from rounds.domain.roles import ROLE_PERMISSIONS, Permission, Role


@dataclass(frozen=True)
class Origin:
    """Where a request came from, for the audit log's "from where"."""

    ip: str = ""
    user_agent: str = ""
    channel: str = "web"  # web | api | cli | system

    @classmethod
    def cli(cls) -> Origin:
        return cls(ip="local", user_agent="rounds-cli", channel="cli")

    @classmethod
    def system(cls) -> Origin:
        return cls(ip="local", user_agent="rounds", channel="system")


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    organization_id: int
    username: str
    display_name: str
    role: Role
    department_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[self.role]

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(
                "Your role does not allow this.",
                hint=f"Ask an administrator; this needs the '{permission.value}' permission.",
            )

    @property
    def label(self) -> str:
        return self.username

    @classmethod
    def system(cls, organization_id: int) -> Actor:
        """The command line run by the machine's operator: acts with full rights, audited as 'system'."""
        return cls(
            user_id=None,
            organization_id=organization_id,
            username="system",
            display_name="System",
            role=Role.ADMIN,
        )
