"""Workflows: one async function per thing that happens, free of Telegram.

A workflow takes the `Runtime` (database, clock, scheduler, config) and plain values (ids,
parsed text), opens the transaction, applies the domain rules (`bot/<feature>.py`),
schedules follow-up jobs in the same transaction, and returns an outcome value saying what
happened and who must be told what. It never sends a message and never holds a transaction
open across a network call: handlers and job callbacks render the outcome after the commit.

One module per feature, named as in the other layers (`bot/workflows/menu.py` beside
`handlers/menu*.py`, `storage/menu.py` and the rules in `bot/menu.py`). Scheduled jobs call
the same functions with the Runtime; nothing here builds a CallbackContext.

Shared outcome pieces live in `bot/workflows/outcome.py`.
"""
