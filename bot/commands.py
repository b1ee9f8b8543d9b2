"""The command list per role, declared by each feature, used by /help and setMyCommands."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Audience(StrEnum):
    EVERYONE = "everyone"
    RESIDENT = "resident"  # registered in a household
    VOLUNTEER = "volunteer"
    GRID_WORKER = "grid_worker"
    STAFF = "staff"
    ADMIN = "admin"  # BOT_ADMINS


@dataclass(frozen=True)
class CommandInfo:
    name: str
    description: str  # Simplified Chinese msgid, marked with N_
    audience: Audience
    order: int = 100


COMMANDS: dict[str, CommandInfo] = {}


def declare(
    name: str, description: str, audience: Audience = Audience.EVERYONE, order: int = 100
) -> None:
    COMMANDS[name] = CommandInfo(name, description, audience, order)


def visible_to(audiences: set[Audience]) -> list[CommandInfo]:
    """Commands a user with these audiences may use, everyone's first."""
    wanted = audiences | {Audience.EVERYONE}
    if Audience.ADMIN in wanted:
        wanted |= {Audience.STAFF}
    if Audience.STAFF in wanted:
        wanted |= {Audience.GRID_WORKER}
    if Audience.GRID_WORKER in wanted:  # grid workers take tasks like volunteers do
        wanted |= {Audience.VOLUNTEER}
    # Residents' everyday commands (register, menu, repair) sit among everyone's, by order;
    # role commands follow, staff's last.
    rank = {a: i for i, a in enumerate(Audience)}
    rank[Audience.RESIDENT] = rank[Audience.EVERYONE]
    return sorted(
        (c for c in COMMANDS.values() if c.audience in wanted),
        key=lambda c: (rank[c.audience], c.order, c.name),
    )
