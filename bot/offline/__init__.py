"""Offline tools: the fake Bot API, the simulator that drives the real Application through it,
transcripts, the scripted demo and the interactive playground. Nothing here reaches Telegram,
and nothing in the running bot imports it."""
