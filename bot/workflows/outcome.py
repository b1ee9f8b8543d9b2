"""Outcome values shared by the workflows: what happened, and who must be told what.

Texts are message ids (the Simplified Chinese source string, marked with `N_`) with their
format arguments; the renderer translates them into each reader's language. Buttons are plain
data (callback data from `bot/callbacks.py`, or a URL), so a workflow stays free of Telegram.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Text:
    """A translatable message: `msgid` is the zh_Hans source, `args` fill its `{names}`."""

    msgid: str
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Button:
    label: Text
    data: str | None = None  # callback data, from bot.callbacks.pack
    url: str | None = None


@dataclass(frozen=True)
class Tell:
    """One message to one chat (a person's private chat, or a group)."""

    to: int
    text: Text
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True)
class Refused:
    """The action was not carried out; the database is unchanged. `reason` is for the actor."""

    reason: Text


@dataclass
class Outcome:
    """The generic result of a workflow: an optional refusal, plus messages to deliver."""

    refused: Refused | None = None
    tell: list[Tell] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.refused is None


def refuse(msgid: str, **args: Any) -> Refused:
    return Refused(Text(msgid, args))
