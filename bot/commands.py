"""The command list per role, declared by each feature, used by /help and Telegram's command
menu (handlers/command_menu.py)."""

from __future__ import annotations

from collections.abc import Iterable
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


def audiences(roles: Iterable[str], *, admin: bool = False) -> set[Audience]:
    """Who someone is for the command lists: everyone (a resident, maybe), plus their roles."""
    found = {Audience.EVERYONE, Audience.RESIDENT} | {Audience(r) for r in roles}
    if admin:
        found.add(Audience.ADMIN)
    return found


# What a group's "/" menu offers: the commands people use in the group itself (the rest work in
# private chat or are for staff, who have their own menu in private).
GROUP_COMMANDS = ("menu", "progress", "grid", "sort", "quiz", "quiz_top", "leave", "help", "lang")
# Group admins also link the group (/setup).
GROUP_ADMIN_COMMANDS = (*GROUP_COMMANDS, "setup")


def named(names: Iterable[str]) -> list[CommandInfo]:
    """The declared commands among `names`, in that order."""
    return [COMMANDS[n] for n in names if n in COMMANDS]
