"""Who is acting: passed explicitly to services so they run the same from a view, a command or a job."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    sections: tuple[str, ...] = field(default=())
    user_id: int | None = None
    terminal: str | None = None
    ip: str | None = None

    def has_role(self, *roles: str) -> bool:
        """Admin may do everything; otherwise the role must be one of ``roles``."""
        return self.role == "admin" or self.role in roles


SYSTEM = Actor(username="system", role="admin", terminal="scheduler")
