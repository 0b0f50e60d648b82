"""Writes for contacts, handovers, their notes and the caretakers' access log; the end-of-stay
summary. Views, the configuration file and the Celery tasks call these and nothing else writes.

A handover's caretakers get their access window from it (through accounts' member_save), so
they can sign in only during the stay; accounts' AccessWindowMiddleware ends a session that
outlives it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts import services as accounts
from apps.accounts.models import EMAIL_TAKEN, Invitation, email_holders, username_problem
from apps.accounts.roles import Role
from apps.core import markdown
from apps.handover.models import AccessLog, Contact, Handover, HandoverNote, HandoverRunbook, IfThen, when

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from apps.notify.events import Event
    from apps.runbooks.models import Run, Runbook

ACCESS_LOG_DAYS = 90
# A handover that ended longer ago than this gets no summary: one imported on a new install,
# or one from before the worker was set up, is history, not news.
SUMMARY_WITHIN = timedelta(days=7)
ACCESS_LOG_ROWS = 20_000


# --- contacts ------------------------------------------------------------------------------


def contact_save(contact: Contact, fields: list[str] | None = None) -> Contact:
    """The one way a contact is written (the Settings page, the configuration file)."""
    contact.full_clean()
    contact.save(update_fields=fields)
    return contact


def contact_delete(contact: Contact) -> None:
    contact.delete()


# --- handovers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """A row of the "if this happens, do that" table, as a form or the file gives it."""

    when: str
    do: str
    runbook: Runbook | None = None


def handover_check(handover: Handover, caretakers: Iterable[User] | None = None) -> None:
    """The handover's own rules and its caretakers', as one ValidationError by field."""
    errors: dict = {}
    try:
        handover.full_clean(exclude=["caretakers"])
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if caretakers is not None and (problems := Handover.caretaker_problems(caretakers)):
        errors.setdefault("caretakers", []).extend(problems)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def handover_save(
    handover: Handover,
    fields: list[str] | None = None,
    *,
    caretakers: Sequence[User] | None = None,
    runbooks: Sequence[Runbook] | None = None,
    if_then: Sequence[Row] | None = None,
) -> Handover:
    """Validate, render the Markdown, save; then, for each of the lists given, replace the
    handover's caretakers, key runbooks (in this order) and if-then rows. Every caretaker's
    access window follows the dates (`caretaker_window`)."""
    handover_check(handover, caretakers)
    handover.welcome_html = markdown.render(handover.welcome) if handover.welcome else ""
    handover.checks_html = markdown.render(handover.checks) if handover.checks else ""
    if fields is not None:
        fields = [*fields, "welcome_html", "checks_html", "updated"]
    handover.save(update_fields=fields)
    if caretakers is not None:
        before = set(handover.caretakers.all())
        handover.caretakers.set(caretakers)
        for user in before - set(caretakers):
            caretaker_window(user)  # their window no longer counts this stay
    if runbooks is not None:
        handover.key_runbooks.all().delete()
        HandoverRunbook.objects.bulk_create(
            HandoverRunbook(handover=handover, runbook=runbook, order=index) for index, runbook in enumerate(runbooks)
        )
    if if_then is not None:
        handover.if_then.all().delete()
        rows = [
            IfThen(handover=handover, when=r.when, do=r.do, runbook=r.runbook, order=i) for i, r in enumerate(if_then)
        ]
        for index, row in enumerate(rows):
            try:
                row.full_clean(exclude=["handover"])
            except ValidationError as exc:
                raise ValidationError({"if_then": [f"Row {index + 1}: {m}" for m in exc.messages]}) from None
        IfThen.objects.bulk_create(rows)
    for user in handover.caretakers.all():
        caretaker_window(user)
    return handover


def caretaker_window(user: User) -> None:
    """A caretaker may sign in during their handovers that have not ended, from the first one's
    start to the last one's end (with two stays planned, the time between them too: a window
    has one start and one end). With none left, the last one that ended sets it (closed)."""
    theirs = Handover.objects.filter(caretakers=user)
    handovers = theirs.filter(ends__gt=timezone.now()) or theirs.order_by("-ends")[:1]
    first = min(handovers, key=lambda h: h.starts, default=None)
    last = max(handovers, key=lambda h: h.ends, default=None)
    if first is None or last is None:
        return
    member = getattr(user, "member", None)
    if member is not None and (member.access_from, member.access_until) == (first.starts, last.ends):
        return
    accounts.member_save(
        user=user,
        username=user.username,
        role=Role.CARETAKER,
        email=user.email,
        is_active=user.is_active,
        access_from=first.starts,
        access_until=last.ends,
    )


def handover_delete(handover: Handover) -> None:
    caretakers = list(handover.caretakers.all())
    handover.delete()
    for user in caretakers:
        caretaker_window(user)


def _username_for(name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "", name.lower())[:20] or "caretaker"
    candidate, number = base, 1
    while username_problem(candidate):
        number += 1
        candidate = f"{base}{number}"
    return candidate


@transaction.atomic
def handover_invite(*, handover: Handover, name: str, email: str, created_by: User | None) -> tuple[User, str]:
    """A new caretaker for this handover: a member with the caretaker role whose access window
    is the handover's dates (accounts.member_save), and a one-time link with which they choose
    their password (accounts.invitation_create). Returns the member and the link's token."""
    name = name.strip()
    if not name:
        raise ValidationError({"invite_name": "Give the new caretaker's name, like “Charlie”."})
    if email_holders(email.strip()).exists():  # sign-in by email needs one member an address
        raise ValidationError({"invite_email": EMAIL_TAKEN})
    try:
        user = accounts.member_save(
            username=_username_for(name),
            role=Role.CARETAKER,
            email=email.strip(),
            first_name=name,
            access_from=handover.starts,
            access_until=handover.ends,
        )
    except ValidationError as exc:  # on the handover form's own fields
        fields = {"email": "invite_email", "first_name": "invite_name"}
        raise ValidationError({fields.get(k, k): v for k, v in exc.message_dict.items()}) from None
    _, token = accounts.invitation_create(
        role=Role.CARETAKER,
        created_by=created_by,
        email=user.email,
        user=user,
        name=name,
        note=f"Caretaker for “{handover.title}”",
    )
    handover.caretakers.add(user)
    caretaker_window(user)
    return user, token


@transaction.atomic
def handover_prepare(
    handover: Handover,
    *,
    caretakers: Sequence[User],
    runbooks: Sequence[Runbook],
    if_then: Sequence[Row],
    invite_name: str = "",
    invite_email: str = "",
    invited_by: User | None = None,
) -> tuple[Handover, str | None]:
    """The owner's form: save everything and, when a name is given, invite a new caretaker;
    all or nothing. Returns the handover and the new caretaker's sign-in token (or None)."""
    handover_save(handover, caretakers=caretakers, runbooks=runbooks, if_then=if_then)
    token = None
    if invite_name.strip():
        _, token = handover_invite(handover=handover, name=invite_name, email=invite_email, created_by=invited_by)
    return handover, token


def open_invitations(handover: Handover) -> QuerySet[Invitation]:
    """Sign-in links of this handover's caretakers that have not been used yet."""
    return Invitation.objects.filter(
        user__in=handover.caretakers.all(), accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    )


# --- the stay ------------------------------------------------------------------------------


def active(now: datetime | None = None) -> Handover | None:
    return Handover.objects.active(now).first()


def current_or_next(now: datetime | None = None) -> Handover | None:
    """The active handover, else the next one: what the owner's home page shows."""
    return active(now) or Handover.objects.upcoming(now).first()


def note_add(*, handover: Handover, author: User, text: str, now: datetime | None = None) -> HandoverNote:
    now = now or timezone.now()
    if handover.state(now) != "active":
        raise ValidationError("This handover is not on now: notes can be added during the stay only.")
    note = HandoverNote(handover=handover, author=author, text=text.strip(), created=now)
    note.full_clean(exclude=["handover", "author"])
    note.save()
    return note


def runs_during(handover: Handover) -> QuerySet[Run]:
    """What the caretakers ran during the stay, newest first."""
    from apps.runbooks.models import Run

    return (
        Run.objects.filter(
            started_by__in=handover.caretakers.all(), started__gte=handover.starts, started__lt=handover.ends
        )
        .select_related("runbook", "started_by")
        .order_by("-started", "-id")
    )


# --- the access log ------------------------------------------------------------------------


def access_record(*, user: User, kind: str, method: str = "", path: str = "", status: int | None = None) -> None:
    AccessLog.objects.create(user=user, kind=kind, method=method[:8], path=path[:300], status=status)


def access_prune(*, now: datetime | None = None) -> int:
    """Delete rows older than ACCESS_LOG_DAYS, and the oldest beyond ACCESS_LOG_ROWS."""
    now = now or timezone.now()
    deleted = AccessLog.objects.filter(at__lt=now - timedelta(days=ACCESS_LOG_DAYS)).delete()[0]
    cutoff = AccessLog.objects.order_by("-at", "-id").values_list("at", "id")[ACCESS_LOG_ROWS : ACCESS_LOG_ROWS + 1]
    if cutoff:
        at, pk = cutoff[0]
        deleted += AccessLog.objects.filter(at__lte=at).exclude(at=at, id__gt=pk).delete()[0]
    return deleted


# --- the summary when a handover ends ------------------------------------------------------

BACK_TO_NORMAL = [
    "Read the caretaker's notes and the runs below; follow up anything that did not work.",
    "Look at the status board: is everything up?",
    "Take back the spare keys and anything you lent.",
    "Change any code or password you shared for the stay (door, alarm, Wi-Fi guest network).",
    "Their access has ended; under Settings → Members, stop their sign-in for good if they will not come again.",
]


@dataclass
class Summary:
    title: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def summary_for(handover: Handover) -> Summary:
    """What happened during the stay, in words for the owner's alert channels and email."""
    from apps.status.models import Flip, State

    people = ", ".join(u.first_name or u.username for u in handover.caretakers.all()) or "nobody"
    summary = Summary(title=f"Handover “{handover.title}” has ended")
    lines = summary.lines
    lines.append(f"{handover.title}: {when(handover.starts)} to {when(handover.ends)}, looked after by {people}.")
    runs = list(runs_during(handover))
    lines.append("")
    lines.append("What they ran:" if runs else "They ran no runbook.")
    for run in reversed(runs):
        outcome = run.get_outcome_display() if run.outcome else "not finished"
        said = f" ({run.note.strip()})" if run.note.strip() else ""
        lines.append(f"- {when(run.started)}: {run.runbook.title}: {outcome}{said}")
    notes = list(handover.notes.select_related("author").order_by("created", "id"))
    lines.append("")
    lines.append("Their notes:" if notes else "They left no notes.")
    for note in notes:
        who = (note.author.first_name or note.author.username) if note.author else "someone"
        lines.append(f"- {when(note.created)}, {who}: {note.text}")
    failures = (
        Flip.objects.filter(created__gte=handover.starts, created__lt=handover.ends, new__in=[State.DOWN])
        .select_related("service")
        .order_by("created", "pk")
    )
    lines.append("")
    lines.append("Incidents during the stay:" if failures else "Nothing went down during the stay.")
    for flip in failures:
        reason = f": {flip.reason}" if flip.reason else ""
        lines.append(f"- {when(flip.created)}: {flip.service.label} went down{reason}.")
    lines.append("")
    lines.append("Back to normal:")
    lines.extend(f"- [ ] {item}" for item in BACK_TO_NORMAL)
    return summary


def summaries_claim(*, now: datetime | None = None) -> list[Handover]:
    """Handovers ended within SUMMARY_WITHIN whose summary has not been sent, each claimed with a conditional UPDATE
    of summary_sent_at: two beats, a retried task or two workers never send one twice."""
    now = now or timezone.now()
    recent = Handover.objects.filter(ends__lte=now, ends__gt=now - SUMMARY_WITHIN, summary_sent_at=None)
    due = recent.values_list("pk", flat=True)
    claimed = [pk for pk in due if Handover.objects.filter(pk=pk, summary_sent_at=None).update(summary_sent_at=now)]
    return list(Handover.objects.filter(pk__in=claimed))


def summary_event(summary: Summary, *, now: datetime) -> Event:
    from apps.notify.events import Event
    from apps.notify.models import SUMMARY

    return Event(kind=SUMMARY, title=summary.title, text=summary.text, created=now.isoformat())


def summary_email(summary: Summary) -> int:
    """Email the summary to each owner with an address that no email alert channel already
    receives it at; returns how many were sent. Without email set up, none."""
    from apps.notify.models import Channel, ChannelKind

    if not settings.EMAIL_CONFIGURED:
        return 0
    channels = Channel.objects.filter(enabled=True, kind=ChannelKind.EMAIL).values_list("target", flat=True)
    covered = {target.lower() for target in channels}
    addresses = [u.email for u in accounts.owners() if u.email and u.email.lower() not in covered]
    if not addresses:
        return 0
    body = f"{summary.text}\n\n-- HomeOps at {settings.HOUSEHOLD_NAME}\n"
    return send_mail(f"[{settings.HOUSEHOLD_NAME}] {summary.title}", body, None, addresses, fail_silently=True)


def summaries_send(*, now: datetime | None = None) -> list[tuple[int, Event]]:
    """Claim the due summaries, email them to the owners, and return (channel id, event) for
    every enabled alert channel, which the task hands to notify's delivery."""
    from apps.notify.models import Channel

    now = now or timezone.now()
    planned: list[tuple[int, Event]] = []
    channels = list(Channel.objects.filter(enabled=True).values_list("pk", flat=True))
    for handover in summaries_claim(now=now):
        summary = summary_for(handover)
        summary_email(summary)
        event = summary_event(summary, now=now)
        planned.extend((channel_id, event) for channel_id in channels)
    return planned


def caretakers_of(handover: Handover) -> list[User]:
    return list(get_user_model().objects.filter(handovers=handover).order_by("first_name", "username"))
