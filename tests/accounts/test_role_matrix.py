"""Every URL name in the URLconf x every role -> the expected outcome.

The test fails when a URL has no row: a new page must say here who may open it.
Roles: anonymous, owner (Alice), family (Bob), caretaker inside the access window (Charlie),
and caretaker outside it (signed in before the window closed).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from apps.accounts import services
from apps.accounts.models import Member
from apps.accounts.roles import Role
from apps.runbooks.models import Audience
from apps.status.models import Host, Kind, Service
from tests.conftest import make_member, signed_in
from tests.gateway.conftest import _fresh_snapshot  # noqa: F401 (a fixture)

OK = 200
LOGIN = "login"  # 302 to the sign-in page
AWAY = "away"  # 302 somewhere other than sign-in (allauth sends signed-in members home)
DENIED = 403
POST_ONLY = 405
NOT_FOUND = 404

ROLES = ("anonymous", "owner", "family", "caretaker", "caretaker_out")
OWNER_ONLY = (LOGIN, OK, DENIED, DENIED, LOGIN)
EVERY_MEMBER = (LOGIN, OK, OK, OK, LOGIN)
OWNER_POST = (LOGIN, POST_ONLY, DENIED, DENIED, LOGIN)
PUBLIC = (OK, OK, OK, OK, LOGIN)
FOR_ANONYMOUS = (OK, AWAY, AWAY, AWAY, LOGIN)
SIGNED_IN = (LOGIN, OK, OK, OK, LOGIN)
CHAT_POST = (LOGIN, POST_ONLY, POST_ONLY, DENIED, LOGIN)
HOUSEHOLD_READS = (LOGIN, OK, OK, NOT_FOUND, LOGIN)
MEMBER_POST = (LOGIN, POST_ONLY, POST_ONLY, POST_ONLY, LOGIN)

MATRIX: dict[str, tuple] = {
    # core
    "core:dashboard": EVERY_MEMBER,
    "core:healthz": PUBLIC,
    "core:settings": OWNER_ONLY,
    "core:config": OWNER_ONLY,
    "core:config_export": OWNER_ONLY,
    # members and invitations
    "accounts:members": OWNER_ONLY,
    "accounts:invite": OWNER_ONLY,
    "accounts:member_edit": OWNER_ONLY,
    "accounts:member_link": OWNER_POST,
    "accounts:invitation_revoke": OWNER_POST,
    "accounts:accept": PUBLIC,
    # allauth
    "account_login": FOR_ANONYMOUS,
    "account_logout": (LOGIN, OK, OK, OK, LOGIN),
    "account_inactive": PUBLIC,
    "account_signup": FOR_ANONYMOUS,
    "account_reauthenticate": SIGNED_IN,
    # Sign-in and reauthentication by emailed code are off: allauth sends people away.
    "account_request_reauthentication_code": (LOGIN, AWAY, AWAY, AWAY, LOGIN),
    "account_confirm_reauthentication_code": (LOGIN, AWAY, AWAY, AWAY, LOGIN),
    "account_email": SIGNED_IN,
    "account_email_verification_sent": PUBLIC,
    "account_change_password": SIGNED_IN,
    "account_set_password": (LOGIN, AWAY, AWAY, AWAY, LOGIN),
    "account_reset_password": PUBLIC,
    "account_confirm_login_code": (LOGIN, AWAY, AWAY, AWAY, LOGIN),
    # An unknown key shows allauth's "invalid link" page.
    "account_confirm_email": PUBLIC,
    "account_reset_password_from_key_done": PUBLIC,
    "account_reset_password_from_key": PUBLIC,
    "account_reset_password_done": PUBLIC,
    # areas
    "notify:channels": OWNER_ONLY,
    "notify:channel_add": OWNER_ONLY,
    "notify:channel_edit": OWNER_ONLY,
    "notify:channel_test": OWNER_POST,
    "notify:channel_delete": OWNER_POST,
    "status:index": EVERY_MEMBER,
    "status:service": EVERY_MEMBER,
    "status:pause": OWNER_POST,
    "status:mute": OWNER_POST,
    "status:check_now": OWNER_POST,
    "status:checks": OWNER_ONLY,
    "status:host_new": OWNER_ONLY,
    "status:host_edit": OWNER_ONLY,
    "status:service_new": OWNER_ONLY,
    "status:service_edit": OWNER_ONLY,
    "status:heartbeat_new": OWNER_ONLY,
    "status:heartbeat_edit": OWNER_ONLY,
    "status:delete": OWNER_POST,
    # Bearer token, not sign-in: without HOMEOPS_METRICS_TOKEN it is off (404).
    "status:metrics": (NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, LOGIN),
    # Token endpoints: the uuid is the secret; no sign-in, any method.
    "status:ping": (OK, OK, OK, OK, LOGIN),
    "status:ping_signal": (OK, OK, OK, OK, LOGIN),
    "chat:index": (LOGIN, OK, OK, DENIED, LOGIN),
    # Bob's conversation: private to him, so the owner gets "not found" like anyone else.
    "chat:conversation": (LOGIN, NOT_FOUND, OK, DENIED, LOGIN),
    "chat:answer_stream": (LOGIN, NOT_FOUND, OK, DENIED, LOGIN),
    "chat:export": (LOGIN, NOT_FOUND, OK, DENIED, LOGIN),
    "chat:send_new": CHAT_POST,
    "chat:dashboard_new": CHAT_POST,
    "chat:send": CHAT_POST,
    "chat:regenerate": CHAT_POST,
    "chat:edit": CHAT_POST,
    "chat:version": CHAT_POST,
    "chat:answer_stop": CHAT_POST,
    "chat:rename": CHAT_POST,
    "chat:configure": CHAT_POST,
    "chat:delete": CHAT_POST,
    "chat:restore": CHAT_POST,
    # chat presets: the owner's settings
    "chat:presets": OWNER_ONLY,
    "chat:preset_new": OWNER_ONLY,
    "chat:preset_edit": OWNER_ONLY,
    "chat:preset_delete": OWNER_POST,
    # model gateway: the owner's settings; every member's own keys and usage
    "gateway:settings": OWNER_ONLY,
    "gateway:backend_new": OWNER_ONLY,
    "gateway:backend_edit": OWNER_ONLY,
    "gateway:backend_test": OWNER_POST,
    "gateway:route_new": OWNER_ONLY,
    "gateway:route_edit": OWNER_ONLY,
    "gateway:policy_new": OWNER_ONLY,
    "gateway:policy_edit": OWNER_ONLY,
    "gateway:delete": OWNER_POST,
    "gateway:content_logging": OWNER_POST,
    "gateway:keys": EVERY_MEMBER,
    "gateway:key_revoke": (LOGIN, POST_ONLY, POST_ONLY, POST_ONLY, LOGIN),
    "gateway:usage": EVERY_MEMBER,
    "runbooks:index": EVERY_MEMBER,
    # Run-throughs and attachments of a household runbook (the caretaker's audience is
    # narrower: it does not exist for them); the run is Bob's, which the owner may read.
    "runbooks:run_new": HOUSEHOLD_READS,
    "runbooks:runs": HOUSEHOLD_READS,
    "runbooks:run": HOUSEHOLD_READS,
    "runbooks:run_tick": (LOGIN, POST_ONLY, POST_ONLY, POST_ONLY, LOGIN),
    "runbooks:run_note": (LOGIN, POST_ONLY, POST_ONLY, POST_ONLY, LOGIN),
    "runbooks:run_finish": (LOGIN, POST_ONLY, POST_ONLY, POST_ONLY, LOGIN),
    "runbooks:attachments": OWNER_ONLY,
    "runbooks:attachment_delete": OWNER_POST,
    "runbooks:attachment": HOUSEHOLD_READS,
    # A household runbook: the family reads it, the caretaker gets "not found"; only the owner
    # edits. AUDIENCES below walks the other audiences.
    "runbooks:detail": HOUSEHOLD_READS,
    "runbooks:history": HOUSEHOLD_READS,
    "runbooks:new": OWNER_ONLY,
    "runbooks:edit": OWNER_ONLY,
    "runbooks:preview": OWNER_POST,
    "runbooks:restore": OWNER_POST,
    "runbooks:reviewed": OWNER_POST,
    "runbooks:delete": OWNER_POST,
    "core:search": EVERY_MEMBER,
    # handover: every member reads it; the caretaker (and the owner) add notes; only the owner prepares it
    "handover:index": EVERY_MEMBER,
    "handover:preview": OWNER_ONLY,
    "handover:note_add": (LOGIN, POST_ONLY, DENIED, POST_ONLY, LOGIN),
    "handover:settings": OWNER_ONLY,
    "handover:new": OWNER_ONLY,
    "handover:edit": OWNER_ONLY,
    "handover:delete": OWNER_POST,
    "handover:access_log": OWNER_ONLY,
    "handover:contacts": OWNER_ONLY,
    "handover:contact_new": OWNER_ONLY,
    "handover:contact_edit": OWNER_ONLY,
    "handover:contact_delete": OWNER_POST,
    # maintenance: everyone sees the calendar (a caretaker only what is assigned to them); the
    # task in these rows is assigned to caretakers, so family may read it but not complete it.
    "maintenance:index": EVERY_MEMBER,
    "maintenance:month": EVERY_MEMBER,
    "maintenance:task": EVERY_MEMBER,
    "maintenance:complete": (LOGIN, OK, DENIED, OK, LOGIN),
    "maintenance:skip": MEMBER_POST,
    "maintenance:snooze": MEMBER_POST,
    "maintenance:follow_up": MEMBER_POST,
    "maintenance:task_new": OWNER_ONLY,
    "maintenance:task_edit": OWNER_ONLY,
    "maintenance:task_delete": OWNER_POST,
    # A completion's file: the owner and whoever the task is assigned to; others "not found".
    "maintenance:file": (LOGIN, OK, NOT_FOUND, OK, LOGIN),
    "maintenance:feed_regenerate": MEMBER_POST,
    "maintenance:feed_revoke": MEMBER_POST,
    # Token endpoint (Bob's calendar address): the token is the secret, no sign-in.
    "maintenance:feed": (OK, OK, OK, OK, LOGIN),
    # the quarterly audit, patch drift and the time budget: the owner's
    "maintenance:audits": OWNER_ONLY,
    "maintenance:audit_new": OWNER_ONLY,
    "maintenance:audit_item_resolve": OWNER_POST,
    "maintenance:patches": OWNER_ONLY,
    "maintenance:budget": OWNER_ONLY,
    "ledger:index": OWNER_ONLY,
    "ledger:annual": OWNER_ONLY,
    "ledger:annual_year": OWNER_ONLY,
    # the CSV import and the exports (a draft import batch for the batch pages)
    "ledger:import": OWNER_ONLY,
    "ledger:import_batch": OWNER_ONLY,
    "ledger:import_save": OWNER_POST,
    "ledger:export_items": OWNER_ONLY,
    "ledger:export_charges": OWNER_ONLY,
    # the ledger's items, prices and charges: the owner's alone (deletes ask first, on a page)
    "ledger:items": OWNER_ONLY,
    "ledger:item_new": OWNER_ONLY,
    "ledger:item": OWNER_ONLY,
    "ledger:item_edit": OWNER_ONLY,
    "ledger:item_delete": OWNER_ONLY,
    "ledger:price_new": OWNER_ONLY,
    "ledger:usage_new": OWNER_ONLY,
    "ledger:usage_delete": OWNER_ONLY,
    "ledger:charges": OWNER_ONLY,
    "ledger:charge_new": OWNER_ONLY,
    "ledger:charge_edit": OWNER_ONLY,
    "ledger:charge_assign": OWNER_ONLY,
    "ledger:charge_delete": OWNER_ONLY,
    "ledger:settings": OWNER_ONLY,
    "ledger:reviews": OWNER_ONLY,
    "ledger:review_new": OWNER_ONLY,
    "ledger:creep_reviewed": OWNER_POST,
    "binder:index": OWNER_ONLY,
    # model-update trials: the owner's alone
    "maintenance:trials": OWNER_ONLY,
    "maintenance:prompt_set_new": OWNER_ONLY,
    "maintenance:prompt_set": OWNER_ONLY,
    "maintenance:prompt_set_delete": OWNER_POST,
    "maintenance:prompt_add": OWNER_POST,
    "maintenance:prompt_pick": OWNER_POST,
    "maintenance:trial_start": OWNER_POST,
    "maintenance:prompt_delete": OWNER_POST,
    "maintenance:trial": OWNER_ONLY,
    "maintenance:trial_vote": OWNER_POST,
    "maintenance:trial_decide": OWNER_POST,
    "maintenance:route_change_undo": OWNER_POST,
}


def url_names(patterns=None, namespace: str | None = None):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_has_a_row():
    missing = sorted(set(url_names()) - MATRIX.keys())
    assert not missing, f"Add these URL names to MATRIX in {__file__}: {missing}"
    stale = sorted(MATRIX.keys() - set(url_names()))
    assert not stale, f"These rows name URLs that no longer exist: {stale}"


def url_for(name: str, people: dict) -> str:
    """Arguments for URLs that need them: a real member, a live invitation."""
    if name in {"accounts:member_edit", "accounts:member_link"}:
        return reverse(name, args=[people["family"].pk])
    if name == "accounts:invitation_revoke":
        return reverse(name, args=[people["invitation"].pk])
    if name == "accounts:accept":
        return reverse(name, args=[people["token"]])
    if name in {"status:service", "status:pause", "status:mute", "status:check_now"}:
        return reverse(name, args=[people["service"].name])
    if name == "status:host_edit":
        return reverse(name, args=[people["host"].pk])
    if name == "status:service_edit":
        return reverse(name, args=[people["service"].pk])
    if name == "status:heartbeat_edit":
        return reverse(name, args=[people["heartbeat"].pk])
    if name == "status:delete":
        return reverse(name, args=["service", people["service"].pk])
    if name == "status:ping":
        return reverse(name, kwargs={"ping_uuid": str(people["heartbeat"].ping_uuid)})
    if name == "status:ping_signal":
        return reverse(name, kwargs={"ping_uuid": str(people["heartbeat"].ping_uuid), "signal": "start"})
    if name in {"notify:channel_edit", "notify:channel_test", "notify:channel_delete"}:
        from apps.notify.models import Channel

        channel, _ = Channel.objects.get_or_create(name="Owner's mail", kind="email", target="alice@example.com")
        return reverse(name, args=[channel.pk])
    if name in {"chat:preset_edit", "chat:preset_delete"}:
        from apps.chat.models import Preset

        preset, _ = Preset.objects.get_or_create(name="Homework helper", role=Role.FAMILY, prompt="Explain.")
        return reverse(name, args=[preset.pk])
    if name.startswith("chat:") and name not in {
        "chat:index",
        "chat:send_new",
        "chat:dashboard_new",
        "chat:presets",
        "chat:preset_new",
    }:
        from apps.chat.models import Conversation, Message

        chat, _ = Conversation.objects.get_or_create(owner=people["family"], title="Bob's homework")
        answer, _ = Message.objects.get_or_create(conversation=chat, role="assistant", content="42", html="<p>42</p>")
        if name in {"chat:answer_stream", "chat:answer_stop", "chat:version"}:
            return reverse(name, args=[chat.pk, answer.pk])
        return reverse(name, args=[chat.pk])
    if name in {"maintenance:audit_new", "maintenance:audit_item_resolve"}:
        return reverse(name, args=[audit_args(name, people)])
    if name in TRIAL_URLS:
        return reverse(name, args=[trial_args(name)])
    if name in {"maintenance:trials", "maintenance:prompt_set_new"}:
        return reverse(name)
    if name.startswith("maintenance:") and name not in {
        "maintenance:index",
        "maintenance:month",
        "maintenance:task_new",
        "maintenance:feed_regenerate",
        "maintenance:feed_revoke",
        "maintenance:audits",
        "maintenance:patches",
        "maintenance:budget",
    }:
        return maintenance_url(name, people)
    if name.startswith("gateway:") and name.endswith(("_edit", "_test", "delete", "revoke")):
        return reverse(name, **gateway_args(name, people))
    if name in {"runbooks:detail", "runbooks:history", "runbooks:edit", "runbooks:reviewed", "runbooks:delete"}:
        return reverse(name, args=[runbook_for(Audience.HOUSEHOLD).slug])
    if name == "runbooks:restore":
        return reverse(name, args=[runbook_for(Audience.HOUSEHOLD).slug, 1])
    if name.startswith("runbooks:") and name not in {"runbooks:index", "runbooks:new", "runbooks:preview"}:
        return runbook_url(name, people)
    if name == "handover:index":  # with a handover on, so that the whole page is rendered
        handover_for(people)
        return reverse(name)
    if name in {"handover:preview", "handover:note_add", "handover:edit", "handover:delete"}:
        return reverse(name, args=[handover_for(people).pk])
    if name in {"handover:contact_edit", "handover:contact_delete"}:
        from apps.handover.models import Contact

        contact, _ = Contact.objects.get_or_create(name="Mia", role="neighbour with a key", phone="+49 30 1234567")
        return reverse(name, args=[contact.pk])
    if name == "ledger:annual_year":
        return reverse(name, args=[timezone.localdate().year - 1])
    if name in {"ledger:import_batch", "ledger:import_save"}:
        return reverse(name, args=[import_batch_for(people).pk])
    if name.startswith("ledger:") and name not in {
        "ledger:index",
        "ledger:items",
        "ledger:item_new",
        "ledger:charges",
        "ledger:annual",
        "ledger:import",
        "ledger:export_items",
        "ledger:export_charges",
        "ledger:reviews",
        "ledger:review_new",
        "ledger:creep_reviewed",
    }:
        return ledger_url(name)
    if name == "account_confirm_email":
        return reverse(name, args=["not-a-key"])
    if name == "account_reset_password_from_key":
        return reverse(name, kwargs={"uidb36": "1", "key": "set-password"})
    return reverse(name)


def import_batch_for(people: dict):
    from apps.ledger import services as ledger_services
    from apps.ledger.models import ImportBatch

    return ImportBatch.objects.first() or ledger_services.import_batch_create(
        by=people["owner"],
        filename="bank.csv",
        text="Date,Description,Amount\n2026-11-03,Tailscale,-6.00\n",
        encoding="UTF-8",
        kind="csv",
    )


def runbook_url(name: str, people: dict) -> str:
    """A household runbook with one revision, Bob's run of it and a text file attached."""
    from django.core.files.base import ContentFile

    from apps.runbooks import runs
    from apps.runbooks.models import Attachment

    runbook = runbook_for(Audience.HOUSEHOLD)
    slug = runbook.slug
    if name in {"runbooks:run_new", "runbooks:runs", "runbooks:attachments"}:
        return reverse(name, args=[slug])
    if name.startswith("runbooks:run"):
        run = runs.run_start(runbook=runbook, user=people["family"])
        tail = [0] if name in {"runbooks:run_tick", "runbooks:run_note"} else []
        return reverse(name, args=[slug, run.pk, *tail])
    attachment = runbook.attachments.first() or Attachment(
        runbook=runbook, name="notes.txt", content_type="text/plain", size=5
    )
    if attachment.pk is None:
        attachment.file.save("notes.txt", ContentFile(b"notes"))
    if name == "runbooks:attachment_delete":
        return reverse(name, args=[slug, attachment.pk])
    return reverse(name, args=[slug, attachment.pk, attachment.name])


def runbook_for(audience: str):
    from apps.runbooks import services as runbook_services
    from apps.runbooks.models import Runbook

    found = Runbook.objects.filter(slug=f"for-{audience}").first()
    return found or runbook_services.runbook_save(
        Runbook(slug=f"for-{audience}", title=f"For {audience}", audience=audience, body="- [ ] Step")
    )


def handover_for(people: dict):
    """An active handover with Charlie as its caretaker (his window stays his fixture's)."""
    from apps.handover.models import Handover

    now = timezone.now()
    handover, _ = Handover.objects.get_or_create(
        title="Christmas", defaults={"starts": now - timedelta(hours=1), "ends": now + timedelta(days=3)}
    )
    return handover


def maintenance_url(name: str, people: dict) -> str:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.maintenance import services as maintenance_services
    from apps.maintenance.models import MaintenanceTask

    if name == "maintenance:feed":
        return reverse(name, args=[maintenance_services.feed_regenerate(people["family"]).token])
    task = MaintenanceTask.objects.filter(title="Water the plants").first() or maintenance_services.task_save(
        MaintenanceTask(
            title="Water the plants", cadence="weekly", starts=timezone.localdate(), assignee_role="caretaker"
        )
    )
    if name in {"maintenance:follow_up", "maintenance:file"}:
        log = SimpleUploadedFile("log.txt", b"all green\n", content_type="text/plain")
        done = maintenance_services.task_complete(task, by=people["owner"], outcome="problem", files=[log])
        return reverse(name, args=[done.pk if name == "maintenance:follow_up" else done.files.get().pk])
    return reverse(name, args=[task.pk])


def gateway_args(name: str, people: dict) -> dict:
    from apps.gateway import services as gateway_services
    from apps.gateway.models import Backend, Policy, Route

    backend, _ = Backend.objects.get_or_create(name="studio", base_url="http://127.0.0.1:9/v1")
    if name in {"gateway:backend_edit", "gateway:backend_test"}:
        return {"args": [backend.pk]}
    if name == "gateway:route_edit":
        return {"args": [Route.objects.get_or_create(alias="assistant")[0].pk]}
    if name == "gateway:policy_edit":
        return {"args": [Policy.objects.get_or_create(role=Role.FAMILY, member=None)[0].pk]}
    if name == "gateway:delete":
        return {"args": ["backend", backend.pk]}
    # Someone else's key: the revoke URL answers POST only, whoever asks.
    return {"args": [gateway_services.api_key_create(member=people["family"], name="laptop")[0].pk]}


def audit_args(name: str, people: dict) -> int:
    """An audit task with one logged audit and its failed item."""
    from datetime import date

    from apps.maintenance import audit
    from apps.maintenance import services as maintenance_services
    from apps.maintenance.models import MaintenanceTask, TaskKind

    task = maintenance_services.task_save(
        MaintenanceTask(title="Quarterly audit", kind=TaskKind.AUDIT, starts=date(2026, 1, 10))
    )
    if name == "maintenance:audit_new":
        return task.pk
    item = {"section": "bills", "item": "Bills reviewed", "result": "fail", "notes": "The VPN doubled."}
    completion = audit.audit_complete(task, by=people["owner"], items=[item])
    return completion.audit_items.get().pk


TRIAL_URLS = {
    "maintenance:prompt_set",
    "maintenance:prompt_set_delete",
    "maintenance:prompt_add",
    "maintenance:prompt_pick",
    "maintenance:trial_start",
    "maintenance:prompt_delete",
    "maintenance:trial",
    "maintenance:trial_vote",
    "maintenance:trial_decide",
    "maintenance:route_change_undo",
}


def trial_args(name: str) -> int:
    from apps.maintenance.models import Prompt, PromptSet, RouteChange, Trial

    prompt_set, _ = PromptSet.objects.get_or_create(alias="assistant", name="Everyday questions")
    prompt, _ = Prompt.objects.get_or_create(prompt_set=prompt_set, text="What can I cook with leeks?")
    if name == "maintenance:prompt_delete":
        return prompt.pk
    if name in {"maintenance:trial", "maintenance:trial_vote", "maintenance:trial_decide"}:
        fields = dict(current_backend="studio", current_model="a", candidate_backend="mini", candidate_model="b")
        return Trial.objects.get_or_create(prompt_set=prompt_set, alias="assistant", **fields)[0].pk
    if name == "maintenance:route_change_undo":
        return RouteChange.objects.get_or_create(alias="assistant", before=[], after=[])[0].pk
    return prompt_set.pk


@pytest.fixture
def people(db):
    services.groups_ensure()
    now = timezone.now()
    owner = make_member("alice", Role.OWNER)
    invitation, token = services.invitation_create(role=Role.FAMILY, created_by=owner)
    return {
        "owner": owner,
        "family": make_member("bob", Role.FAMILY),
        "caretaker": make_member("charlie", Role.CARETAKER, access_from=now - timedelta(days=1)),
        "caretaker_out": make_member("dana", Role.CARETAKER, access_from=now - timedelta(days=9)),
        "invitation": invitation,
        "token": token,
        "host": Host.objects.create(name="NAS"),
        "service": Service.objects.create(
            name="nas", label="NAS", kind=Kind.TCP, check_config={"host": "x", "port": 1}
        ),
        "heartbeat": Service.objects.create(name="backup", label="Backup", kind=Kind.HEARTBEAT, ping_uuid=uuid.uuid4()),
    }


def outcome(response) -> int | str:
    if response.status_code == 302:
        return LOGIN if response["Location"].startswith(reverse("account_login")) else AWAY
    return response.status_code


@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_role_matrix(client, people, name, role_index):
    role = ROLES[role_index]
    if role != "anonymous":
        signed_in(client, people[role])
    if role == "caretaker_out":
        # The window closes while the session is open.
        Member.objects.filter(user=people[role]).update(access_until=timezone.now() - timedelta(minutes=1))
    response = client.get(url_for(name, people))
    assert outcome(response) == MATRIX[name][role_index], f"{name} as {role}"


# Who reads a runbook of each audience (its page and history; the same answer in lists and
# search, tests/runbooks); editing is the owner's whatever the audience (runbooks:edit above).
AUDIENCES = {
    Audience.OWNER: (LOGIN, OK, NOT_FOUND, NOT_FOUND, LOGIN),
    Audience.HOUSEHOLD: HOUSEHOLD_READS,
    Audience.CARETAKER: (LOGIN, OK, OK, OK, LOGIN),
}


@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
@pytest.mark.parametrize("audience", list(AUDIENCES))
def test_runbooks_are_read_by_their_audience(client, people, audience, role_index):
    role = ROLES[role_index]
    if role != "anonymous":
        signed_in(client, people[role])
    if role == "caretaker_out":
        Member.objects.filter(user=people[role]).update(access_until=timezone.now() - timedelta(minutes=1))
    slug = runbook_for(audience).slug
    for name in ("runbooks:detail", "runbooks:history"):
        response = client.get(reverse(name, args=[slug]))
        assert outcome(response) == AUDIENCES[audience][role_index], f"{name} of a {audience} runbook as {role}"


# --- What each role's navigation offers --------------------------------------------------------

NAVIGATION = {
    # role: (main menu, account menu with a model routed, account menu without any model to use:
    # no keys to make, no usage to read)
    "owner": (
        ["Chat", "Status", "Runbooks", "Handover", "Maintenance", "Ledger", "Binder", "Settings"],
        ["Change password", "API keys", "Usage"],
        ["Change password", "Usage"],  # the owner reads everyone's usage
    ),
    "family": (
        ["Chat", "Status", "Runbooks", "Handover", "Maintenance"],
        ["Change password", "API keys", "Usage"],
        ["Change password"],
    ),
    # The caretaker's default policy grants no model: nothing to make keys for.
    "caretaker": (["Status", "Runbooks", "Handover", "Maintenance"], ["Change password"], ["Change password"]),
}


@pytest.mark.usefixtures("_fresh_snapshot")
@pytest.mark.parametrize("role", NAVIGATION)
def test_each_role_is_offered_only_what_it_can_use(client, people, role):
    import re

    from apps.gateway import services as gateway_services
    from apps.gateway import snapshot
    from apps.gateway.models import Backend, Route, Target

    def menus() -> tuple[list[str], list[str]]:
        html = client.get("/").content.decode()
        main = re.findall(r'<nav class="main".*?</nav>', html, re.S)[0]
        account = re.findall(r'<div class="who-menu">.*?</div>', html, re.S)[0]
        strip = lambda part: [re.sub(r"<[^>]+>", "", a).strip() for a in re.findall(r"<a [^>]*>.*?</a>", part, re.S)]  # noqa: E731
        return strip(main), strip(account)

    signed_in(client, people[role])
    main, without_models = menus()
    expected_main, with_model, without_model = NAVIGATION[role]
    assert (main, without_models) == (expected_main, without_model)
    backend = gateway_services.backend_save(Backend(name="studio", base_url="http://127.0.0.1:9/v1"))
    route = gateway_services.route_save(Route(alias="assistant"))
    gateway_services.route_set_targets(route, [Target(backend=backend, model="llama3.1:8b")])
    snapshot._current = None  # what announce() makes every process do once the change is committed
    assert menus() == (expected_main, with_model)


def ledger_url(name: str) -> str:
    """A usage item with a price-less history, an entered usage entry and a charge."""
    from apps.ledger import services as ledger_services
    from apps.ledger.models import Charge, CostItem, UsageEntry

    if name == "ledger:settings" or name == "ledger:charge_new":
        return reverse(name)
    item = CostItem.objects.filter(name="Cloud API").first() or ledger_services.item_save(
        CostItem(name="Cloud API", kind="usage", category="cloud_api", start=timezone.localdate())
    )
    if name == "ledger:usage_delete":
        entry = ledger_services.usage_save(
            UsageEntry(item=item, day=timezone.localdate(), amount=Decimal(3), currency="")
        )
        return reverse(name, args=[entry.pk])
    if name.startswith("ledger:charge_"):
        charge = ledger_services.charge_save(
            Charge(item=item, day=timezone.localdate(), amount=Decimal(3), currency="")
        )
        return reverse(name, args=[charge.pk])
    return reverse(name, args=[item.pk])
