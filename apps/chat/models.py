"""Conversations belong to one member and nobody else: every query goes through
`Conversation.objects.of(user)`. Answers are stored with their rendered HTML, so a long
conversation's page renders no Markdown."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Preset(models.Model):
    """A system prompt the owner offers a role or a member ("Homework helper").
    A locked preset is always used and cannot be changed by the member."""

    name = models.CharField(max_length=100)
    prompt = models.TextField()
    role = models.CharField(max_length=16, blank=True, help_text="For everyone with this role ...")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="chat_presets",
        help_text="... or for one member.",
    )
    locked = models.BooleanField(default=False, help_text="Always used; the member cannot change it.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ConversationQuerySet(models.QuerySet):
    def of(self, user) -> ConversationQuerySet:
        """The only way pages reach conversations: the member's own, not deleted."""
        return self.filter(owner=user, deleted_at=None)


class Conversation(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations")
    title = models.CharField(max_length=200, default="New chat")
    alias = models.CharField(max_length=64, blank=True, help_text="The model this conversation uses.")
    preset = models.ForeignKey(Preset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    system_prompt = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)  # undo window; purged later

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-updated", "-id"]
        indexes = [models.Index(fields=["owner", "-updated"], name="chat_conversation_list")]

    def __str__(self) -> str:
        return self.title


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", "You"
        ASSISTANT = "assistant", "Assistant"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        STREAMING = "streaming", "Answering"
        DONE = "done", "Done"
        STOPPED = "stopped", "Stopped"
        CUT = "cut", "Cut off"
        FAILED = "failed", "Failed"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField(blank=True)
    html = models.TextField(blank=True)  # sanitized rendering of content, made once
    state = models.CharField(max_length=16, choices=State.choices, default=State.DONE)
    notice = models.CharField(max_length=300, blank=True)  # "Answered by the MacBook: the Studio is offline."
    model = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["conversation", "id"], name="chat_message_order")]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:40]}"
