"""The chat pages. Answers stream as Server-Sent Events from `answer_stream`; without
JavaScript, sending a question waits for the whole answer and shows the conversation."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from apps.accounts.roles import can, forbidden, require
from apps.chat import services
from apps.chat.models import Conversation, Message
from apps.core import search
from apps.core.http import MemberRequest
from apps.gateway import upstream

PAGE_SIZE = 30


def _mine(request: HttpRequest, pk: int) -> Conversation:
    # Only one's own: anyone else's conversation is "not found", the owner's included.
    return get_object_or_404(Conversation.objects.of(request.user), pk=pk)


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@require("chat")
def index(request: MemberRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    page = search.Paginator(services.search(request.user, query), PAGE_SIZE).get_page(request.GET.get("page"))
    snippets = services.search_snippets(list(page.object_list), query)
    context = {
        "page": page,
        "results": [(c, snippets.get(c.pk, "")) for c in page.object_list],
        "query": query,
        "restore_text": request.session.pop("chat_restore", ""),
        **services.options_for(request.user),
    }
    return render(request, "chat/index.html", context)


@require("chat")
def conversation(request: MemberRequest, pk: int) -> HttpResponse:
    chat = _mine(request, pk)
    options = services.options_for(request.user)
    chat_messages = services.thread(chat)
    context = {
        "chat": chat,
        "chat_messages": chat_messages,
        "controls": True,  # versions and Edit on each message (not in the home page's box)
        "restore_text": request.session.pop("chat_restore", ""),
        "recent": Conversation.objects.of(request.user).only("id", "title", "updated")[:15],
        "presets": services.presets_for(request.user),
        "locked": services.locked_preset(request.user),
        "undo": request.GET.get("undo"),
        **options,
    }
    return render(request, "chat/conversation.html", context)


def _article(request: HttpRequest, message: Message) -> str:
    """One message as the conversation page draws it, versions and Edit included."""
    return render_to_string(
        "chat/partials/message.html", {"m": services.versions_of(message), "controls": True}, request=request
    )


def _versions(request: HttpRequest, message: Message) -> str:
    """ "‹ 2 / 3 ›" for a message that has other versions; "" for one that has none."""
    marked = services.versions_of(message)
    if marked.versions < 2:
        return ""
    return render_to_string("chat/partials/versions.html", {"m": marked}, request=request)


def _answer_response(
    request: HttpRequest, chat: Conversation, answer: Message | None, question: Message | None = None
) -> HttpResponse:
    """JS: where to stream the answer from, and the new messages' page parts. No JS: answer
    now, then show the conversation."""
    if answer is None:
        if _wants_json(request):
            return JsonResponse({"error": "There is no question to answer."}, status=400)
        messages.error(request, "There is no question to answer.")
        return redirect("chat:conversation", pk=chat.pk)
    if _wants_json(request):
        on_page = request.POST.get("from") != "dashboard"
        return JsonResponse(
            {
                "conversation": chat.pk,
                "url": reverse("chat:conversation", args=[chat.pk]),
                "title": chat.title,
                "question_html": question.html if question else "",
                # The conversation page's own drawing of the question (its Edit, its versions)
                # and of the new answer's versions; the home page's box draws its own.
                "question_article": _article(request, question) if question and on_page else "",
                "answer_versions": _versions(request, answer) if on_page else "",
                "answer_id": answer.pk,
                "regenerate": reverse("chat:regenerate", args=[chat.pk]),
                "stream": reverse("chat:answer_stream", args=[chat.pk, answer.pk]),
                "stop": reverse("chat:answer_stop", args=[chat.pk, answer.pk]),
            }
        )
    error = _answer_now(answer.pk, request.user)
    if error:
        messages.error(request, error["text"])
        request.session["chat_restore"] = error.get("question", "")
        if not Conversation.objects.filter(pk=chat.pk).exists():  # a new chat that failed is not kept
            return redirect("chat:index")
    return redirect("chat:conversation", pk=chat.pk)


def _answer_now(answer_id: int, user) -> dict | None:
    """The whole answer, on a short-lived event loop of its own (closed with its connections)."""

    async def run() -> dict | None:
        try:
            async for event in services.answer(answer_id, user):
                if event["event"] == "error":
                    return event
            return None
        finally:
            await upstream.close_sessions()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()


@require("chat")
@require_POST
def send(request: MemberRequest, pk: int | None = None) -> HttpResponse:
    text = request.POST.get("text", "").strip()
    chat = _mine(request, pk) if pk else None
    if len(text) > services.QUESTION_LIMIT:
        problem = f"That is {len(text):,} characters; a question can be at most {services.QUESTION_LIMIT:,}."
        if _wants_json(request):
            return JsonResponse({"error": problem}, status=400)
        messages.error(request, problem)
        request.session["chat_restore"] = text
        return redirect("chat:conversation", pk=chat.pk) if chat else redirect("chat:index")
    if not text:
        if _wants_json(request):
            return JsonResponse({"error": "Type a question first."}, status=400)
        messages.error(request, "Type a question first.")
        return redirect("chat:conversation", pk=chat.pk) if chat else redirect("chat:index")
    if chat is None:
        chat = services.start(request.user, alias=request.POST.get("alias", ""))
    elif request.POST.get("alias"):
        _set_alias(request, chat, request.POST["alias"])
    question, answer = services.ask(chat, text)
    if request.POST.get("from") == "dashboard":  # the home page's box goes on with this chat after a reload
        request.session[services.DASHBOARD_CHAT] = chat.pk
    return _answer_response(request, chat, answer, question)


@require("chat")
@require_POST
def dashboard_new(request: HttpRequest) -> HttpResponse:
    """The home page's box starts afresh; the conversation stays under Chat."""
    request.session.pop(services.DASHBOARD_CHAT, None)
    return redirect("core:dashboard")


def _set_alias(request: MemberRequest, chat: Conversation, alias: str) -> None:
    services.conversation_set_alias(chat, alias, user=request.user)


@require("chat")
@require_POST
def regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    chat = _mine(request, pk)
    return _answer_response(request, chat, services.regenerate(chat))


@require("chat")
@require_POST
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask a question again, changed; the earlier question and its answers stay a version."""
    chat = _mine(request, pk)
    text = request.POST.get("text", "")
    if len(text.strip()) > services.QUESTION_LIMIT:
        problem = f"That is {len(text.strip()):,} characters; a question can be at most {services.QUESTION_LIMIT:,}."
        if _wants_json(request):
            return JsonResponse({"error": problem}, status=400)
        messages.error(request, problem)
        return redirect("chat:conversation", pk=chat.pk)
    question_id = request.POST.get("question", "")
    asked = services.edit(chat, text, question_id=int(question_id) if question_id.isdigit() else None)
    question, answer = asked if asked else (None, None)
    return _answer_response(request, chat, answer, question)


@require("chat")
@require_POST
def version(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    """Page to another version of a message: the thread goes on from there."""
    chat = _mine(request, pk)
    if not services.version_show(chat, message_id):
        raise Http404("No such message.")
    return redirect(f"{reverse('chat:conversation', args=[chat.pk])}#m{message_id}")


async def answer_stream(request: HttpRequest, pk: int, answer_id: int) -> HttpResponseBase:
    user = await request.auser()
    if not user.is_authenticated or not await sync_to_async(can)(user, "chat"):
        return await sync_to_async(forbidden)(request, "chat")
    if not await Conversation.objects.of(user).filter(pk=pk, messages__pk=answer_id).aexists():
        raise Http404("No such answer.")

    async def events():
        async for event in services.answer(answer_id, user):
            yield f"event: {event['event']}\ndata: {json.dumps(event)}\n\n"

    response = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each token on at once
    return response


@require("chat")
@require_POST
def answer_stop(request: HttpRequest, pk: int, answer_id: int) -> HttpResponse:
    chat = _mine(request, pk)
    services.request_stop(get_object_or_404(Message, pk=answer_id, conversation=chat))
    return HttpResponse(status=204)


@require("chat")
@require_POST
def rename(request: HttpRequest, pk: int) -> HttpResponse:
    chat = _mine(request, pk)
    if not services.conversation_rename(chat, request.POST.get("title", "")):
        messages.error(request, "A title cannot be empty.")
    return redirect("chat:conversation", pk=chat.pk)


@require("chat")
@require_POST
def configure(request: MemberRequest, pk: int) -> HttpResponse:
    """The model, the preset and the member's own system prompt (unless a preset is locked)."""
    chat = _mine(request, pk)
    _set_alias(request, chat, request.POST.get("alias", ""))
    services.conversation_instruct(
        chat, preset=request.POST.get("preset", ""), system_prompt=request.POST.get("system_prompt", "")
    )
    messages.success(request, "Saved. The next answer uses it.")
    return redirect("chat:conversation", pk=chat.pk)


@require("chat")
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    chat = _mine(request, pk)
    services.delete(chat)
    return redirect(f"{reverse('chat:index')}?deleted={chat.pk}")


@require("chat")
@require_POST
def restore(request: MemberRequest, pk: int) -> HttpResponse:
    chat = services.restore(request.user, pk)
    if chat is None:
        messages.error(request, f"That conversation is gone for good: undo works for {services.UNDO_MINUTES} minutes.")
        return redirect("chat:index")
    messages.success(request, f"“{chat.title}” is back.")
    return redirect("chat:conversation", pk=chat.pk)


@require("chat")
def export(request: HttpRequest, pk: int) -> HttpResponse:
    chat = _mine(request, pk)
    response = HttpResponse(services.export_markdown(chat), content_type="text/markdown; charset=utf-8")
    # Named after its title, as a person would save it: "foxes-in-the-garden.md".
    name = slugify(chat.title)[:60].strip("-") or f"chat-{chat.pk}"
    # A str whenever as_attachment is True; the stub says str | None for every call.
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.md")  # type: ignore[assignment]
    return response
