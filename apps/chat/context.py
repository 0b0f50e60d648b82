"""What to send with a question: the recent messages that fit the model's context, not the
whole history, so long conversations stay fast and never overflow the model."""

from __future__ import annotations

from apps.gateway.relay import estimate_tokens

PER_MESSAGE = 4  # role and separators, as OpenAI counts them


def window(history: list[dict], *, budget: int, system: str = "") -> list[dict]:
    """`history` oldest first. Keeps the system prompt and the newest messages whose
    estimated tokens fit `budget`; always keeps the last message (the question)."""
    used = estimate_tokens(system) + PER_MESSAGE if system else 0
    kept: list[dict] = []
    for message in reversed(history):
        cost = estimate_tokens(message["content"]) + PER_MESSAGE
        if kept and used + cost > budget:
            break
        kept.append(message)
        used += cost
    kept.reverse()
    return ([{"role": "system", "content": system}] if system else []) + kept


def budget_for(route) -> int:
    """The smallest context among the route's targets (any may answer), less the room the
    answer needs."""
    if not route.targets:
        return 4096
    return max(256, min(t.context_tokens - t.max_tokens for t in route.targets))
