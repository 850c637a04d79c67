"""Staff roles and what each may do."""

from __future__ import annotations

from enum import StrEnum

from chatserver.errors import Forbidden


class Role(StrEnum):
    COUNSELLOR = "counsellor"
    SUPERVISOR = "supervisor"
    RESEARCHER = "researcher"


#: Roles that hold chats with visitors. Supervisors counsel too.
CHAT_ROLES = frozenset({Role.COUNSELLOR, Role.SUPERVISOR})


def require_chat_role(role: Role) -> None:
    if role not in CHAT_ROLES:
        raise Forbidden("Only counsellors and supervisors take part in chats.")


def require_supervisor(role: Role) -> None:
    if role is not Role.SUPERVISOR:
        raise Forbidden("Only supervisors may do that.")
