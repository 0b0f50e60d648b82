"""Conversations belong to one member and nobody else: every query goes through
`Conversation.objects.of(user)`. Answers are stored with their rendered HTML, so a long
conversation's page renders no Markdown."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from apps.accounts.audience import ForRoleOrMember
from apps.accounts.roles import Role

PROMPT_LIMIT = 4000  # characters, also for a member's own instructions (views.configure)


class Preset(ForRoleOrMember):
    """A system prompt the owner offers a role or a member ("Homework helper").
    A locked preset is always used and cannot be changed by the member."""

    name = models.CharField(max_length=100, error_messages={"blank": "Give the preset a name, like “Homework helper”."})
    prompt = models.TextField(
        max_length=PROMPT_LIMIT,  # the form's box; the validator is for every other door
        validators=[MaxLengthValidator(PROMPT_LIMIT)],
        error_messages={"blank": "Write the instructions: they are what the preset sends to the assistant."},
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="chat_presets",
        help_text="... or for one member.",
    )
    locked = models.BooleanField(default=False, help_text="Always used; the member cannot change it.")
    uses: int  # not stored: set for the presets page (services.preset_groups)

    noun = "preset"

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            # Model.clean says so in words first; these keep shell writes honest too.
            ForRoleOrMember.one_audience("chat_preset_role_xor_member"),
            # Only one locked preset can apply (services.locked_preset), so one per role and one per member.
            models.UniqueConstraint(
                fields=["role"],
                condition=Q(locked=True, member__isnull=True),
                name="chat_preset_one_locked_per_role",
                violation_error_message="This role already has a locked preset.",
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(locked=True),
                name="chat_preset_one_locked_per_member",
                violation_error_message="This member already has a locked preset.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()  # a role or a member
        if not self.locked:
            return
        others = Preset.objects.filter(locked=True).exclude(pk=self.pk)
        if self.member is not None:  # has_member: set, whether saved or not
            if self.member.pk is None:  # a member this configuration file creates has no presets yet
                return
            taken, whom = others.filter(member=self.member).first(), self.member.get_username()
        else:
            label = Role(self.role).label.lower() if self.role in Role.values else self.role
            taken, whom = others.filter(member=None, role=self.role).first(), f"The {label} role"
        if taken:
            raise ValidationError(
                {
                    "locked": f"{whom} already has a locked preset, “{taken.name}”, and only one can apply. "
                    "Unlock that one first, or leave this one unlocked."
                }
            )


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
    # The last message of the thread the member sees. Messages form a tree (Message.parent):
    # a regenerated answer or an edited question is a sibling, an earlier version kept to page
    # back to. Empty for messages written in a row by another door (services.linked).
    current = models.ForeignKey("Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

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
    # The message this one follows; its siblings (same parent) are its other versions.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField(blank=True)
    html = models.TextField(blank=True)  # sanitized rendering of content, made once
    state = models.CharField(max_length=16, choices=State.choices, default=State.DONE)
    notice = models.CharField(max_length=300, blank=True)  # "Answered by the MacBook: the Studio is offline."
    model = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # Not stored: its place among its versions, set for the page (services.thread).
    version: int
    versions: int
    earlier: int | None
    later: int | None

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["conversation", "id"], name="chat_message_order")]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:40]}"
