"""Map an OIDC identity (from st.login / st.user) to a course account and role."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from course.accounts import Role


@dataclass(frozen=True)
class RoleMapping:
    """Which claim carries roles or groups, and which of its values make an educator or admin."""

    claim: str = "groups"
    educator_values: frozenset[str] = field(default_factory=frozenset)
    admin_values: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> RoleMapping:
        def values(key: str) -> frozenset[str]:
            raw = settings.get(key, [])
            return frozenset(str(v) for v in raw) if isinstance(raw, list | tuple) else frozenset({str(raw)})

        return cls(str(settings.get("role_claim", "groups")), values("educator_values"), values("admin_values"))


def role_from_claims(claims: Mapping[str, object], mapping: RoleMapping) -> Role:
    """The highest role any claim value grants; everyone else is a learner."""
    raw = claims.get(mapping.claim, [])
    granted = {str(v) for v in raw} if isinstance(raw, list | tuple) else {str(raw)} if raw else set()
    if granted & mapping.admin_values:
        return Role.ADMIN
    if granted & mapping.educator_values:
        return Role.EDUCATOR
    return Role.LEARNER


def subject_of(claims: Mapping[str, object]) -> str | None:
    """A stable identity for the account: issuer and subject together (a sub is unique per issuer)."""
    sub = claims.get("sub")
    if not sub:
        return None
    return f"{claims.get('iss', '')}|{sub}"
