"""Forms that let go (issue #16): every conversation (a PTB ConversationHandler) built as a
`Form` ends by itself after `TIMEOUT` without an answer, typing the words on a button is
the same as pressing it, and a clear new intent in the middle of a form asks once whether
to stop it.

Why not PTB's own `conversation_timeout`: its timers live in the JobQueue only, run on the
wall clock and are lost at a restart, while the conversation state is persisted, so a form
abandoned before a restart stayed open for ever and took the next garbage question as its
answer. Here the time of each form's last step is kept in the person's persisted state
(`SEEN`), and two things end a form that has waited too long:

- a durable job (bot/scheduler.py, `form_timeout`) at the deadline, which ends it and says
  so privately (the `TIMEOUT` state handler of PTB, as a message);
- a check before every update (group -1): a form older than `TIMEOUT` is ended before its
  conversation sees the message, so the message is read freshly even if the job has not run
  yet (the bot was down at the deadline).
"""

from __future__ import annotations

import logging
import re
from collections import UserDict
from collections.abc import Callable, Coroutine, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import callbacks
from bot.context import App, BotContext
from bot.i18n import LANGS, N_, gettext
from bot.intents import Kind, classify, keyboard_kind
from bot.runtime import get_runtime
from bot.scheduler import ScheduledJob
from bot.text import normalize
from handlers.shared import (
    Context,
    answer_callback,
    refuse_callback,
    reply,
    send_private,
    tr_chat,
    tr_user,
)

log = logging.getLogger(__name__)

TIMEOUT = timedelta(minutes=30)
SEEN = "form_seen"  # user_data: {"<form>:<key>": ISO time of the form's last step}
ASIDE = "form_aside"  # user_data: {"form": name, "text": the sentence typed mid-form}
JOB = "form_timeout"
F = "fm"  # 1|fm|go|<form>, 1|fm|stop|<form>: the answer to "stop the form first?"
TIMED_OUT = N_("刚才没有填完的内容，已经帮您取消了。需要时再重新开始。")
DOING = N_("您还在填写上一步的内容，要先停下来吗？")
# What a sentence typed in the middle of a form may mean that is clearly something else.
ELSEWHERE = {
    Kind.SORTING,
    Kind.SORT_HINT,
    Kind.GRID,
    Kind.MY_TICKETS,
    Kind.MENU,
    Kind.PROGRESS,
    Kind.HELP,
    Kind.LANG,
}

Step = Callable[[Update, Context], Coroutine[Any, Any, object]]
FreeText = Callable[[Update, Context, str], Coroutine[Any, Any, None]]
FORMS: dict[str, Form] = {}
# handlers/intents.py answers a sentence typed mid-form once the form is stopped (set there:
# importing it here would be circular, it starts forms itself).
answer_freely: FreeText | None = None


def _entry(name: str, key: tuple[int | str, ...]) -> str:
    return ":".join((name, *map(str, key)))


class Form(ConversationHandler[BotContext]):
    """A persistent ConversationHandler that lets go; use it exactly like one, plus:

    `timed_out`: what the person is told when it ended by itself (a msgid);
    `doing`: the question asked when they seem to want something else (a msgid);
    `drafts`: the state keys holding its draft, dropped when it ends that way.
    """

    def __init__(
        self,
        *,
        name: str,
        fallbacks: list[BaseHandler[Update, BotContext, Any]],
        timed_out: str = TIMED_OUT,
        doing: str = DOING,
        drafts: Sequence[str] = (),
        persistent: bool = True,
        **kwargs: Any,
    ) -> None:
        stop = CallbackQueryHandler(self._stop_or_go, pattern=callbacks.pattern(F, "go", "stop"))
        every: list[BaseHandler[Update, BotContext, Any]] = [stop, *fallbacks]
        super().__init__(name=name, fallbacks=every, persistent=persistent, **kwargs)
        self.timed_out = timed_out
        self.doing = doing
        self.drafts = tuple(drafts)
        FORMS[name] = self

    def active(self, key: tuple[int | str, ...]) -> bool:
        # The plain dict under PTB's TrackingDict (a UserDict): a miss, the usual answer
        # before every update, costs no KeyError raised and caught.
        states = self._conversations
        plain = states.data if isinstance(states, UserDict) else states
        return plain.get(key) is not None

    async def handle_update(
        self,
        update: Update,
        application: App,
        check_result: Any,
        context: BotContext,
    ) -> object | None:
        key = check_result[1]
        was_active = self.active(key)
        try:
            return await super().handle_update(update, application, check_result, context)
        finally:
            if context.user_data is not None and update.effective_user is not None:
                await self._touch(context, key, update.effective_user.id)
                if not was_active and self.active(key):
                    await self._end_others(update, context)

    async def _end_others(self, update: Update, context: BotContext) -> None:
        """One form at a time in a chat: starting this one ends any other this person left
        open there, so the next sentence cannot be taken as the answer to the older question
        (a progress reason typed for a notice). The person is told what was dropped."""
        user = update.effective_user
        assert user is not None
        state = context.state
        for form in list(FORMS.values()):
            if form is self:
                continue
            try:
                key = form._get_key(update)
            except RuntimeError:  # a form keyed on something this update lacks
                continue
            if not form.active(key):
                continue
            form._update_state(form.END, key)
            for draft in form.drafts:
                state.pop(draft, None)
            if (state.get(ASIDE) or {}).get("form") == form.name:
                state.pop(ASIDE, None)
            entry = _entry(form.name or "", key)
            if (state.get(SEEN) or {}).pop(entry, None) is not None:
                await context.rt.scheduler.cancel(f"form:{entry}")
            log.info("form %s of user %s ended: %s started", form.name, user.id, self.name)
            _ = await tr_chat(update, context)
            await reply(update, _(form.timed_out))

    async def _touch(self, context: BotContext, key: tuple[int | str, ...], user_id: int) -> None:
        """After each step: note the time, and make sure a deadline job is pending."""
        state = context.state
        seen: dict[str, str] = state.setdefault(SEEN, {})
        entry = _entry(self.name or "", key)
        if not self.active(key):
            if seen.pop(entry, None) is not None:  # it just ended: its deadline job goes too
                await context.rt.scheduler.cancel(f"form:{entry}")
            if (state.get(ASIDE) or {}).get("form") == self.name:
                state.pop(ASIDE, None)
            if not seen:
                state.pop(SEEN, None)
            return
        rt = context.rt
        now = rt.clock.now()
        first = entry not in seen
        seen[entry] = now.isoformat()
        if first:  # one job per form; when it fires early it moves itself to the deadline
            await self._schedule(rt, entry, key, user_id, now + TIMEOUT)

    async def _schedule(
        self, rt: Any, entry: str, key: tuple[int | str, ...], user_id: int, when: datetime
    ) -> None:
        payload = {"form": self.name, "key": list(key), "user": user_id}
        await rt.scheduler.schedule(JOB, when, payload, key=f"form:{entry}")

    async def expire(
        self,
        app: App,
        key: tuple[int | str, ...],
        user_id: int,
        now: datetime,
        *,
        fired: bool = False,
    ) -> bool:
        """End the form if its last step is older than TIMEOUT; True when it ended it.

        `fired`: called by its deadline job, which moves itself to the new deadline when the
        form is not due yet. The check before each update leaves the job alone: the step that
        noted the time scheduled it (`_touch`), and rewriting it on every step cost a write."""
        if not self.active(key):
            return False
        data = app.user_data.get(user_id) or {}
        seen: dict[str, str] = data.get(SEEN) or {}
        entry = _entry(self.name or "", key)
        last = seen.get(entry)
        # No time noted: a form from before forms let go; it has waited long enough.
        if last is not None and datetime.fromisoformat(last) + TIMEOUT > now:
            if fired:
                await self._schedule(
                    get_runtime(app), entry, key, user_id, datetime.fromisoformat(last) + TIMEOUT
                )
            return False
        self._update_state(self.END, key)
        for draft in (*self.drafts, ASIDE):
            data.pop(draft, None)
        seen.pop(entry, None)
        app.mark_data_for_update_persistence(user_ids=user_id)
        await app.update_persistence()
        log.info("form %s of user %s ended after %s without an answer", self.name, user_id, TIMEOUT)
        _ = await tr_user(app, user_id)
        await send_private(app, user_id, _(self.timed_out))
        return True

    # ---- "stop the form first?" ----------------------------------------------------------------
    async def _stop_or_go(self, update: Update, context: Context) -> int | None:
        query = update.callback_query
        try:
            cb = callbacks.unpack(query.data if query else None, F)
            name = cb.str_arg(0)
        except callbacks.BadCallback as exc:
            await refuse_callback(update, context, exc)
            return None
        if name != self.name:
            await refuse_callback(
                update, context, f"stop button of form {name!r}", owner_check=True
            )
            return None
        _ = await tr_chat(update, context)
        aside = context.state.pop(ASIDE, None) or {}
        if cb.action == "go":
            context.state[ASIDE] = {"form": name}  # asked once: the next text is the answer
            await answer_callback(update)
            await reply(update, _("好的，请继续回答上面的问题。"))
            return None
        for draft in self.drafts:
            context.state.pop(draft, None)
        await answer_callback(update)
        await reply(update, _("好的，已经停下了。"))
        text = aside.get("text")
        if text and answer_freely is not None:
            await answer_freely(update, context, text)
        return self.END


# ---- typing a button's words ----------------------------------------------------------------
@dataclass(frozen=True)
class Choice:
    """A button of a step: its callback data, the step that handles it, and what typing
    presses it (msgids of labels, matched in every language, and plain words)."""

    step: Step
    data: str
    words: tuple[str, ...]


Choices = Sequence[Choice] | Callable[[Context], Sequence[Choice]]
_TYPED: ContextVar[str | None] = ContextVar("form_typed", default=None)
_NOT_WORD = re.compile(r"[\W_]+")


def core(text: str) -> str:
    """Only letters and digits, folded: '✅ 提交报修' → '提交报修', 'No photo.' → 'nophoto'."""
    return _NOT_WORD.sub("", normalize(text).lower())


def button_data(update: Update) -> str | None:
    """The data of the button pressed, or of the button whose words were typed."""
    query = update.callback_query
    return query.data if query is not None else _TYPED.get()


def match(text: str, choices: Sequence[Choice]) -> Choice | None:
    typed = core(text)
    if not typed:
        return None
    for choice in choices:
        for word in choice.words:
            if typed in {core(gettext(lang, word)) for lang in LANGS}:
                return choice
    return None


def elsewhere(text: str) -> bool:
    """A keyboard button of the bot, or a sentence clearly about another feature (not a
    lone "？", which is a resident unsure what to write)."""
    if not core(text):
        return False
    return keyboard_kind(text) is not None or classify(text).kind in ELSEWHERE


def typed(
    form: str, otherwise: Step, choices: Choices = (), *, interrupt: bool = True
) -> MessageHandler[BotContext, object]:
    """Text at a step: a button's words press it; a clear new intent asks once whether to
    stop the form (`interrupt`); anything else goes to `otherwise`."""

    async def answer(update: Update, context: Context) -> object:
        message = update.effective_message
        text = message.text if message is not None and message.text else ""
        options = choices(context) if callable(choices) else choices
        picked = match(text, options)
        if picked is not None:
            token = _TYPED.set(picked.data)
            try:
                return await picked.step(update, context)
            finally:
                _TYPED.reset(token)
        if interrupt and await _ask_to_stop(update, context, form, text):
            return None
        return await otherwise(update, context)

    return MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, answer)


async def _ask_to_stop(update: Update, context: Context, form: str, text: str) -> bool:
    if not elsewhere(text) or (context.state.get(ASIDE) or {}).get("form") == form:
        return False
    context.state[ASIDE] = {"form": form, "text": text[:500]}
    _ = await tr_chat(update, context)
    doing = FORMS[form].doing if form in FORMS else DOING
    rows = [
        [
            InlineKeyboardButton(_("继续填"), callback_data=callbacks.pack(F, "go", form)),
            InlineKeyboardButton(_("停下"), callback_data=callbacks.pack(F, "stop", form)),
        ]
    ]
    await reply(update, _(doing), reply_markup=InlineKeyboardMarkup(rows))
    return True


# ---- ending forms that waited too long -----------------------------------------------------
async def expire_stale(update: object, context: Context) -> None:
    """Before anything reads the update: end this person's forms that waited too long."""
    if not isinstance(update, Update) or update.effective_user is None:
        return
    if update.effective_chat is None:
        return
    now: datetime | None = None
    keys: dict[tuple[bool, bool, bool], tuple[int | str, ...]] = {}  # one per key shape
    for form in list(FORMS.values()):
        shape = (form.per_chat, form.per_user, form.per_message)
        key = keys.get(shape)
        if key is None:
            key = keys[shape] = form._get_key(update)
        if not form.active(key):
            continue
        now = now or context.rt.clock.now()
        app = cast(App, context.application)
        await form.expire(app, key, update.effective_user.id, now)


async def expire_job(app: App, job: ScheduledJob) -> None:
    form = FORMS.get(str(job.payload.get("form")))
    if form is None:
        return
    key = tuple(job.payload.get("key") or ())
    await form.expire(app, key, int(job.payload["user"]), job.now, fired=True)


async def stray_button(update: Update, context: Context) -> None:
    """继续填 / 停下 after the form ended anyway."""
    _ = await tr_chat(update, context)
    await answer_callback(update, _("这一步已经结束了。"))


def register(app: App) -> None:
    get_runtime(app).scheduler.register(JOB, expire_job, at_least_once=True)
    app.add_handler(TypeHandler(Update, expire_stale), group=-1)
    app.add_handler(CallbackQueryHandler(stray_button, pattern=callbacks.pattern(F)), group=1)
