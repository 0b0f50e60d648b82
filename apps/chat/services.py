"""The chat's logic: conversations, asking, answering through the gateway in-process, and
failures told in words a child understands. Views and templates stay thin."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.safestring import SafeString

from apps.accounts.roles import Role, role_in_groups, role_of
from apps.chat import context
from apps.chat.models import PROMPT_LIMIT, Conversation, Message, Preset
from apps.core import markdown
from apps.core import search as core_search
from apps.core.wording import and_list
from apps.gateway import policy, relay, snapshot
from apps.gateway.errors import GatewayError
from apps.gateway.models import Endpoint
from apps.status.models import Service, State

if TYPE_CHECKING:
    from datetime import datetime

    from django.contrib.auth.models import AnonymousUser, User  # settings.AUTH_USER_MODEL

log = logging.getLogger(__name__)
UNDO_MINUTES = 5  # a deleted conversation can be brought back this long
DASHBOARD_CHAT = "dashboard_chat"  # session key: the conversation the home page's box continues
QUESTION_LIMIT = 16_000  # characters; longer belongs in a file, not a chat box
STOP_CHECK_SECONDS = 0.3
TITLE_LENGTH = 60


# --- What a member may use -----------------------------------------------------------------


def options_for(user: User | AnonymousUser) -> dict:
    """The models (aliases) this member may chat with, and what the page must say."""
    snap = snapshot.current_sync()
    who = snapshot.identity_for(user)
    routes = policy.allowed_aliases(snap, who, workload="chat")
    offline = {alias for alias, up in answering(routes).items() if not up}
    return {
        "routes": routes,
        "configured": any(r.workload == "chat" and r.targets for r in snap.routes.values()),
        "log_content": snap.log_content,
        "question_limit": QUESTION_LIMIT,
        # Models whose machines the board holds down: the picker says so (see answering()),
        # and a new chat starts with the first model that answers.
        "offline": offline,
        "default_alias": next((r.alias for r in routes if r.alias not in offline), ""),
    }


def answering(routes: list[snapshot.RouteInfo]) -> dict[str, bool]:
    """Per alias: can it answer now, as far as the board knows? A route answers while any of its
    targets runs on a machine the board does not hold down (a backend no check watches counts
    as answering: the gateway will try it)."""
    watched = {t.backend.service_id for route in routes for t in route.targets if t.backend.service_id}
    down = set(
        Service.objects.filter(pk__in=watched, enabled=True, state__in=[State.DOWN, State.UNREACHABLE]).values_list(
            "pk", flat=True
        )
    )
    return {
        route.alias: any(t.backend.service_id not in down for t in route.targets) and bool(route.targets)
        for route in routes
    }


def headline(user: User | AnonymousUser) -> str:
    """The home page's first clause: can I chat? "" when the chat box itself says why not."""
    options = options_for(user)
    if not options["configured"] or not options["routes"]:
        return ""
    routes = options["routes"]
    up = {route.alias: route.alias not in options["offline"] for route in routes}
    if all(up.values()):
        return "The assistant answers."
    waiting = [route.alias for route in routes if not up[route.alias]]
    if any(up.values()):
        verb = "waits" if len(waiting) == 1 else "wait"
        return f"The assistant answers; {and_list(waiting)} {verb} for a machine that is down."
    machines = sorted({t.backend.name for route in routes for t in route.targets})
    return f"The assistant cannot answer now: {and_list(machines)} {'is' if len(machines) == 1 else 'are'} down."


def conversation_set_alias(chat: Conversation, alias: str, *, user: User | AnonymousUser) -> bool:
    """Switch the conversation to another model the member may use; True when it changed."""
    allowed = {route.alias for route in options_for(user)["routes"]}
    if alias not in allowed or alias == chat.alias:
        return False
    chat.alias = alias
    chat.save(update_fields=["alias"])
    return True


def conversation_rename(chat: Conversation, title: str) -> bool:
    """White space folded, 200 characters at most; False (and nothing saved) for an empty one."""
    title = " ".join(title.split())[:200]
    if not title:
        return False
    chat.title = title
    chat.save(update_fields=["title"])
    return True


def conversation_instruct(chat: Conversation, *, preset: str, system_prompt: str) -> bool:
    """The preset (by id, one of the member's) and the member's own instructions; nothing
    changes while a preset is locked for them. True when saved."""
    if locked_preset(chat.owner) is not None:
        return False
    presets = {str(p.pk): p for p in presets_for(chat.owner)}
    chat.preset = presets.get(preset)
    chat.system_prompt = system_prompt.strip()[:PROMPT_LIMIT]
    chat.save(update_fields=["preset", "system_prompt"])
    return True


def presets_for(user: User) -> list[Preset]:
    role = role_of(user)
    return list(Preset.objects.filter(Q(member=user) | Q(member=None, role=role or "-")))


def locked_preset(user: User) -> Preset | None:
    presets = [p for p in presets_for(user) if p.locked]
    return next((p for p in presets if p.member_id), None) or next(iter(presets), None)


def system_prompt(conversation: Conversation) -> str:
    locked = locked_preset(conversation.owner)
    if locked:
        return locked.prompt
    return conversation.system_prompt or (conversation.preset.prompt if conversation.preset else "")


# --- Presets, for the owner's pages --------------------------------------------------------

ROLE_ORDER = {role.value: index for index, role in enumerate(Role)}


def preset_save(preset: Preset, fields: list[str] | None = None) -> Preset:
    """The one way a preset is written (the Settings page, the configuration file)."""
    preset.full_clean()
    preset.save(update_fields=fields)
    return preset


def preset_delete(preset: Preset) -> None:
    # Conversations that chose it keep working without its instructions (Conversation.preset is SET_NULL).
    preset.delete()


def preset_uses(presets: list[Preset]) -> dict[int, int]:
    """Preset id -> how many conversations (not deleted) chose it."""
    rows = (
        Conversation.objects.filter(preset__in=presets, deleted_at=None)
        .values("preset")
        .annotate(n=Count("id"))
        .values_list("preset", "n")
    )
    return dict(rows)


def preset_groups() -> list[dict]:
    """Every preset, grouped by whom it is for: roles first (in Role order), then members by name.
    Each preset carries `uses`, the number of conversations that chose it; each group its
    `locked` preset, if any, and for a member the `role_lock` that applies to them instead
    (as `locked_preset` decides: the member's own locked preset, else their role's)."""
    presets = list(Preset.objects.select_related("member").prefetch_related("member__groups"))
    uses = preset_uses(presets)
    role_locks = {p.role: p for p in presets if p.locked and not p.member_id}
    groups: dict[tuple, dict] = {}
    for preset in presets:
        preset.uses = uses.get(preset.pk, 0)
        key: tuple[int, str | int, str | int]
        group: dict[str, Any]
        if preset.member is not None:
            key = (1, preset.member.get_username().lower(), preset.member.pk)
            role = role_in_groups(preset.member)
            lock = role_locks.get(role) if role else None
            group = {"label": preset.member.get_username(), "kind": "member", "role_lock": lock}
        else:
            key = (0, ROLE_ORDER.get(preset.role, len(ROLE_ORDER)), preset.role)
            label = Role(preset.role).label if preset.role in Role.values else preset.role
            group = {"label": label, "kind": "role", "role_lock": None}
        group = groups.setdefault(key, {**group, "presets": [], "locked": None})
        group["presets"].append(preset)
        if preset.locked:
            group["locked"] = preset
    return [groups[key] for key in sorted(groups)]


# --- Conversations -------------------------------------------------------------------------


def start(user: User, *, alias: str = "") -> Conversation:
    options = options_for(user)
    aliases = [r.alias for r in options["routes"]]
    return Conversation.objects.create(owner=user, alias=alias if alias in aliases else (aliases[0] if aliases else ""))


# --- The thread and its versions -----------------------------------------------------------
# Messages form a tree: each follows its parent. A regenerated answer or an edited question is
# a new sibling, so the earlier one is kept as a version to page back to. The page shows one
# thread, from the first question to Conversation.current.


def linked(conversation: Conversation) -> None:
    """Messages written in a row by another door (a bulk import, the example data) follow each
    other in order; the conversation's thread ends at the newest."""
    if conversation.current_id is not None:
        return
    pairs = list(conversation.messages.order_by("id").values_list("pk", "parent_id"))
    if not pairs:
        return
    ids = [pk for pk, _ in pairs]
    if any(parent for _, parent in pairs):  # a tree already: only its end was lost
        end = _newest_leaf(_children(pairs), None)
        conversation.current_id = end
        Conversation.objects.filter(pk=conversation.pk).update(current_id=end)
        return
    Message.objects.bulk_update(
        [Message(pk=pk, parent_id=before) for before, pk in zip(ids, ids[1:], strict=False)], ["parent"], batch_size=500
    )
    conversation.current_id = ids[-1]
    Conversation.objects.filter(pk=conversation.pk).update(current_id=ids[-1])


def _children(pairs: Iterable[tuple[int, int | None]]) -> dict[int | None, list[int]]:
    """Parent id -> its children's ids, oldest first (None: the first questions)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent in sorted(pairs):
        children.setdefault(parent, []).append(pk)
    return children


def _newest_leaf(children: dict[int | None, list[int]], start: int | None) -> int | None:
    """From a message, follow the newest version at each step to the end of its thread."""
    at = start
    while children.get(at):
        at = children[at][-1]
    return at


def _mark_versions(messages: list[Message], children: dict[int | None, list[int]]) -> None:
    """Each message learns its place among its versions: version, versions, earlier, later."""
    for message in messages:
        siblings = children.get(message.parent_id, [message.pk])
        at = siblings.index(message.pk) if message.pk in siblings else 0
        message.version, message.versions = at + 1, len(siblings)
        message.earlier = siblings[at - 1] if at > 0 else None
        message.later = siblings[at + 1] if at + 1 < len(siblings) else None


def thread(conversation: Conversation) -> list[Message]:
    """The messages the member sees, oldest first, each marked with its versions."""
    everything = list(conversation.messages.all())
    children = _children([(m.pk, m.parent_id) for m in everything])
    end = conversation.current_id
    if end is None and not any(m.parent_id for m in everything):  # written in a row (see linked())
        shown = everything
    else:
        by_id = {m.pk: m for m in everything}
        shown, at = [], by_id.get(end if end is not None else _newest_leaf(children, None) or 0)
        while at is not None:
            shown.append(at)
            at = by_id.get(at.parent_id) if at.parent_id else None
        shown.reverse()
    _mark_versions(shown, children)
    return shown


def versions_of(message: Message) -> Message:
    """One message marked with its versions (for a page part sent on its own)."""
    siblings = Message.objects.filter(conversation_id=message.conversation_id, parent_id=message.parent_id)
    _mark_versions([message], {message.parent_id: sorted(siblings.values_list("pk", flat=True))})
    return message


def version_show(conversation: Conversation, message_id: int) -> bool:
    """Show the thread through this version of a message (its newest continuation)."""
    pairs = list(conversation.messages.values_list("pk", "parent_id"))
    if message_id not in {pk for pk, _ in pairs}:
        return False
    conversation.current_id = _newest_leaf(_children(pairs), message_id)
    conversation.save(update_fields=["current"])
    return True


def _pending_answer(conversation: Conversation, question: Message) -> Message:
    answer = Message.objects.create(
        conversation=conversation, parent=question, role=Message.Role.ASSISTANT, state=Message.State.PENDING
    )
    Conversation.objects.filter(pk=conversation.pk).update(updated=timezone.now(), current=answer)
    conversation.current = answer
    return answer


def _question(conversation: Conversation, text: str, *, after: int | None) -> Message:
    return Message.objects.create(
        conversation=conversation, parent_id=after, role=Message.Role.USER, content=text, html=markdown.render(text)
    )


def _locked(conversation: Conversation) -> Conversation:
    """The conversation row, locked for this transaction: two tabs asking at once take turns."""
    fresh = Conversation.objects.select_for_update().get(pk=conversation.pk)
    linked(fresh)
    return fresh


@transaction.atomic
def ask(conversation: Conversation, text: str) -> tuple[Message, Message]:
    """The question, and the answer still to come (streamed by `answer`)."""
    text = text.strip()
    fresh = _locked(conversation)
    question = _question(conversation, text, after=fresh.current_id)
    if conversation.title == "New chat":
        title = " ".join(text.split())
        conversation.title = title[:TITLE_LENGTH] + ("…" if len(title) > TITLE_LENGTH else "")
        conversation.save(update_fields=["title"])
    return question, _pending_answer(conversation, question)


@transaction.atomic
def regenerate(conversation: Conversation) -> Message | None:
    """A new answer to the thread's last question; the earlier answer stays as a version."""
    _locked(conversation)
    conversation.refresh_from_db(fields=["current"])
    last_question = next((m for m in reversed(thread(conversation)) if m.role == Message.Role.USER), None)
    if last_question is None:
        return None
    return _pending_answer(conversation, last_question)


@transaction.atomic
def edit(conversation: Conversation, text: str, *, question_id: int | None = None) -> tuple[Message, Message] | None:
    """Ask one of the member's questions again, changed (the thread's last one when no id is
    given). The changed question is a new version: the old one and every answer after it are
    kept, one click away."""
    text = text.strip()
    _locked(conversation)
    conversation.refresh_from_db(fields=["current"])
    questions = [m for m in thread(conversation) if m.role == Message.Role.USER]
    if question_id is not None:
        old = conversation.messages.filter(pk=question_id, role=Message.Role.USER).first()
    else:
        old = questions[-1] if questions else None
    if old is None or not text or len(text) > QUESTION_LIMIT:
        return None
    question = _question(conversation, text, after=old.parent_id)
    return question, _pending_answer(conversation, question)


def delete(conversation: Conversation) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(deleted_at=timezone.now())


def restore(user: User, pk: int) -> Conversation | None:
    """Undo a delete within UNDO_MINUTES."""
    since = timezone.now() - timedelta(minutes=UNDO_MINUTES)
    found = Conversation.objects.filter(owner=user, pk=pk, deleted_at__gte=since).first()
    if found:
        Conversation.objects.filter(pk=pk).update(deleted_at=None)
    return found


def purge_deleted(now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - timedelta(minutes=UNDO_MINUTES)
    return Conversation.objects.filter(deleted_at__lt=cutoff).delete()[0]


def search(user: User, query: str) -> QuerySet[Conversation]:
    """The member's conversations whose title or any message matches: title matches first,
    best ranked (apps.core.search); then those found by their messages, newest first.
    Messages are not ranked: a common word can match every message of a long history
    (200,000 in bench/chat.py), and ranking means computing ts_rank for each of them."""
    conversations = Conversation.objects.of(user)
    in_messages = core_search.matches(Message.objects.filter(conversation=OuterRef("pk")), query, fields=["content"])
    return core_search.search(conversations, query, fields=["title"], or_where=Exists(in_messages))


def search_snippets(conversations: list[Conversation], query: str) -> dict[int, SafeString]:
    """For the conversations a results page shows: the newest matching message of each,
    highlighted, by conversation id."""
    if not conversations or not query.strip():
        return {}
    newest = core_search.matches(Message.objects.filter(conversation=OuterRef("pk")), query, fields=["content"])
    chosen = Conversation.objects.filter(pk__in=[c.pk for c in conversations]).values(
        newest=Subquery(newest.order_by("-id").values("pk")[:1])
    )
    return core_search.snippets(Message.objects.filter(pk__in=chosen), query, field="content", key="conversation_id")


def export_markdown(conversation: Conversation) -> str:
    lines = [f"# {conversation.title}", "", f"Model: {conversation.alias or '—'}", ""]
    for message in thread(conversation):
        who = "You" if message.role == Message.Role.USER else "Assistant"
        note = (
            f" ({message.get_state_display().lower()})"
            if message.state in (Message.State.STOPPED, Message.State.CUT)
            else ""
        )
        lines += [f"## {who}{note}", "", message.content, ""]
    return "\n".join(lines)


# --- Answering -----------------------------------------------------------------------------


def request_stop(message: Message) -> None:
    cache.set(f"chat-stop:{message.pk}", 1, 600)


def _history(message: Message) -> list[dict]:
    """What the model is told: the thread that leads to this answer, not its other versions."""
    earlier = {m.pk: m for m in message.conversation.messages.filter(id__lt=message.id)}
    path, at = [], earlier.get(message.parent_id) if message.parent_id else None
    while at is not None:
        path.append(at)
        at = earlier.get(at.parent_id) if at.parent_id else None
    return [{"role": m.role, "content": m.content} for m in reversed(path) if m.content and m.state != "failed"]


def _prepare(message_id: int, user: User) -> tuple[Message, relay.Call] | None:
    """Claim the pending answer (a reload or a second tab must not answer twice)."""
    claimed = Message.objects.filter(
        pk=message_id, state=Message.State.PENDING, conversation__owner=user, conversation__deleted_at=None
    ).update(state=Message.State.STREAMING)
    if not claimed:
        return None
    message = Message.objects.select_related("conversation__owner", "conversation__preset").get(pk=message_id)
    conversation = message.conversation
    snap = snapshot.current_sync()
    route = snap.routes.get(conversation.alias)
    budget = context.budget_for(route) if route else 4096
    messages = context.window(_history(message), budget=budget, system=system_prompt(conversation))
    call = relay.Call(
        who=snapshot.identity_for(user),
        endpoint=Endpoint.CHAT,
        body={"model": conversation.alias, "messages": messages, "stream": True},
    )
    return message, call


def _places() -> dict[str, str]:
    """Backend name -> the machine the family knows ("the Studio")."""
    from apps.gateway.models import Backend

    return {
        b.name: b.service.host.name if b.service and b.service.host else b.name
        for b in Backend.objects.select_related("service__host")
    }


def fallback_notice(answered: relay.Answered) -> str:
    places = _places()
    where = places.get(answered.backend, answered.backend)
    skipped = [passed.backend for passed in answered.passed_over]
    away = ", ".join(f"the {places.get(name, name)}" for name in dict.fromkeys(skipped))
    return f"Answered by {answered.model} on the {where}: {away} {'is' if len(skipped) == 1 else 'are'} not answering."


def offline_message(error: GatewayError, alias: str) -> str:
    """Plain words for a failed question; the gateway's own words are for the owner's log."""
    if error.status == 429 or error.code == "quiet_hours":
        return error.message
    if error.status in (502, 503, 504):
        from apps.gateway.models import Route

        route = Route.objects.filter(alias=alias).prefetch_related("targets__backend__service__host").first()
        first = route.targets.first() if route else None
        service = first.backend.service if first else None
        if service and service.state in ("down", "unreachable") and service.state_since:
            place = service.host.name if service.host else service.label
            since = time_format(timezone.localtime(service.state_since), "H:i")
            return f"The assistant is offline: the {place} has not answered since {since}."
        return "The assistant is offline right now: none of its computers answered."
    if error.status == 404:
        return "This conversation's model is gone. Pick another one and ask again."
    if error.status == 403:
        return "You may not use this model. Pick another one, or ask the owner."
    return f"The assistant could not answer: {error.message}"


def _finish(message: Message, *, content: str, state: str, notice: str = "", model: str = "") -> None:
    message.content, message.state = content, state
    message.html = markdown.render(content) if content else ""
    message.notice, message.model = notice[:300], model[:200]
    message.save(update_fields=["content", "html", "state", "notice", "model"])


def _fail(message: Message) -> None:
    """Nothing arrived: the answer goes, and its question too unless other answers keep it (the
    question goes back in the box); the thread returns to the version shown before."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
        question = message.parent
        message.delete()
        anchor = question.pk if question else None
        if question and question.role == Message.Role.USER and not question.children.exists():
            anchor = question.parent_id
            question.delete()
        pairs = list(conversation.messages.values_list("pk", "parent_id"))
        if not pairs:
            conversation.delete()  # a new chat whose first question failed: nothing to keep
            return
        conversation.current_id = _newest_leaf(_children(pairs), anchor)
        conversation.save(update_fields=["current"])


async def answer(message_id: int, user: User) -> AsyncIterator[dict]:
    """Events for the browser: notice, token, then done (with the rendered answer) or error."""
    prepared = await sync_to_async(_prepare)(message_id, user)
    if prepared is None:
        stored = await sync_to_async(Message.objects.filter(pk=message_id, conversation__owner=user).first)()
        yield {"event": "done", "html": stored.html if stored else "", "state": stored.state if stored else "gone"}
        return
    message, call = prepared
    question = call.body["messages"][-1]["content"] if call.body["messages"] else ""
    parts: list[str] = []
    state, notice, model = Message.State.DONE, "", ""
    stop_key, next_check = f"chat-stop:{message.pk}", time.monotonic() + STOP_CHECK_SECONDS
    try:
        async with contextlib.aclosing(relay.stream_chat(call)) as events:
            async for event in events:
                if isinstance(event, relay.Answered):
                    model = event.model
                    if event.fallback:
                        notice = await sync_to_async(fallback_notice)(event)
                        yield {"event": "notice", "text": notice}
                elif isinstance(event, relay.Broken):
                    state = Message.State.CUT
                    break
                else:
                    for choice in event.get("choices") or ():
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            parts.append(text)
                            yield {"event": "token", "text": text}
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + STOP_CHECK_SECONDS
                    if cache.get(stop_key):
                        state = Message.State.STOPPED
                        break
    except GatewayError as error:
        words = await sync_to_async(offline_message)(error, call.body["model"])
        await sync_to_async(_fail)(message)
        yield {"event": "error", "text": words, "question": question, "status": error.status}
        return
    except Exception:  # a bug: keep what arrived, marked cut off, and still end the stream
        log.exception("chat: answer %s failed", message.pk)
        state = Message.State.CUT
    except BaseException:  # the browser went away or the server stops: keep what arrived
        await sync_to_async(_finish)(
            message, content="".join(parts), state=Message.State.STOPPED, notice=notice, model=model
        )
        raise
    await sync_to_async(_finish)(message, content="".join(parts), state=state, notice=notice, model=model)
    yield {"event": "done", "html": message.html, "state": state, "notice": notice}
