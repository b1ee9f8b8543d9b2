"""Render what happens in a Simulator as a readable chat transcript (demo and chat)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.offline.fakeapi import ApiCall
from bot.offline.simulator import Chat, Person, Simulator

SHOWN = {
    "sendMessage",
    "sendPhoto",
    "sendVoice",
    "sendDocument",
    "sendDice",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "sendMediaGroup",
}


class Transcript:
    """Subscribes to a Simulator and prints each event as a line a person can read."""

    def __init__(
        self, sim: Simulator, write: Callable[[str], None] = print, *, number_buttons: bool = False
    ) -> None:
        self.sim = sim
        self.write = write
        self.number_buttons = number_buttons
        self.names: dict[int, str] = {}
        self.last_buttons: list[tuple[ApiCall, dict[str, Any]]] = []
        sim.listeners.append(self.on_event)

    def chat_label(self, chat_id: int | None) -> str:
        if chat_id is None:
            return "?"
        chat = self.sim.api.chats.get(chat_id)
        if chat_id > 0:
            name = self.names.get(chat_id) or (chat or {}).get("first_name") or str(chat_id)
            return f"私聊·{name}"
        return (chat or {}).get("title") or str(chat_id)

    def on_event(self, kind: str, payload: Any) -> None:
        if kind == "message":
            person, chat, text, extra = payload
            self.names[person.id] = person.first_name
            self._user_line(person, chat, text, extra)
        elif kind == "press":
            person, call, label = payload
            where = self.chat_label(call.chat_id if call else None)
            self.write(f"[{where}] {person.first_name} 按下 ⟦{label}⟧")
        elif kind == "bot":
            self._bot_line(payload)

    def _user_line(
        self, person: Person, chat: Chat, text: str | None, extra: dict[str, Any]
    ) -> None:
        where = self.chat_label(chat.id)
        if text is None:
            kinds = {"photo": "〔图片〕", "voice": "〔语音〕", "sticker": "〔贴纸〕"}
            what = next((v for k, v in kinds.items() if k in extra), "〔消息〕")
            text = what + (" " + extra["caption"] if extra.get("caption") else "")
        self.write(f"[{where}] {person.first_name}: {text}")

    def _bot_line(self, call: ApiCall) -> None:
        if call.method not in SHOWN:
            return
        where = self.chat_label(call.chat_id)
        if call.method == "answerCallbackQuery":
            if call.params.get("text"):
                self.write(f"    (弹出提示) {call.params['text']}")
            return
        body = call.text
        if call.method == "sendPhoto":
            body = f"〔图片 {len(next(iter(call.files.values()), b''))} 字节〕 {body}"
        elif call.method == "sendVoice":
            body = "〔语音〕"
        elif call.method == "sendDocument":
            body = f"〔文件 {len(next(iter(call.files.values()), b''))} 字节〕 {body}"
        elif call.method == "sendDice":
            value = (call.result or {}).get("dice", {}).get("value")
            body = f"🎲 掷出 {value}"
        elif call.method.startswith("edit"):
            body = f"(更新消息) {body}" if body else "(更新按钮)"
        lines = body.splitlines() or [""]
        self.write(f"[{where}] 🤖 社区助手: {lines[0]}")
        for line in lines[1:]:
            self.write(f"    {line}")
        self._buttons(call)

    def _buttons(self, call: ApiCall) -> None:
        rows = call.buttons
        if not rows:
            return
        if self.number_buttons:
            self.last_buttons = []
        for row in rows:
            cells = []
            for button in row:
                mark = " ↗" if "url" in button else ""
                if self.number_buttons:
                    self.last_buttons.append((call, button))
                    cells.append(f"{len(self.last_buttons)}.⟦{button.get('text', '')}{mark}⟧")
                else:
                    cells.append(f"⟦{button.get('text', '')}{mark}⟧")
            self.write("    " + " ".join(cells))
