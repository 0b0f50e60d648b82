"""The handover page, the owner's preview, notes, the Settings pages, the access log and the
home pages during a stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Invitation, Member
from apps.handover import services
from apps.handover.models import AccessLog, Contact, Handover, HandoverNote
from apps.runbooks.models import Audience, Run
from tests.conftest import PASSWORD, signed_in
from tests.handover.conftest import make_runbook

pytestmark = pytest.mark.django_db


def test_without_an_active_handover_the_page_says_the_owner_is_home(client, charlie):
    html = signed_in(client, charlie).get(reverse("handover:index")).content.decode()
    assert "No handover is active: the owner is at home." in html


def test_the_owner_is_offered_the_preview_of_the_next_handover(client, alice, make_handover):
    now = timezone.now()
    handover = make_handover(starts=now + timedelta(days=3), ends=now + timedelta(days=9))
    html = signed_in(client, alice).get(reverse("handover:index")).content.decode()
    assert "No handover is active" in html
    assert reverse("handover:preview", args=[handover.pk]) in html


def test_the_active_handover_shows_welcome_status_contacts_runbooks_rows_checks_and_log(
    client, alice, charlie, contacts, make_handover
):
    restart = make_runbook("restart-ollama", "Restart Ollama")
    ups = make_runbook("ups", "The UPS is on battery")
    secret = make_runbook("router", "Router admin", audience=Audience.OWNER)
    handover = make_handover(
        caretakers=[charlie],
        welcome="Thank you, **Charlie**!",
        checks="Look at the status board on Sundays.",
        runbooks=[ups, restart, secret],
        if_then=[
            services.Row("The power goes out", "Wait ten minutes.", ups),
            services.Row("The router is odd", "Call the owner.", secret),
        ],
    )
    run = Run.objects.create(runbook=restart, revision=restart.revisions.get(), started_by=charlie, outcome="worked")
    Run.objects.filter(pk=run.pk).update(note="Took two minutes.")
    services.note_add(handover=handover, author=charlie, text="Fed the cat.")
    html = signed_in(client, charlie).get(reverse("handover:index")).content.decode()
    assert "Thank you, <strong>Charlie</strong>!" in html
    assert 'class="status-sentence"' in html
    assert 'href="tel:+49305550100">Call +49 30 555-0100</a>' in html
    assert 'href="mailto:mia@example.com"' in html
    # Key runbooks in order, only those a caretaker may read.
    assert html.index('href="/runbooks/ups/"') < html.index('href="/runbooks/restart-ollama/"')
    assert "/runbooks/router/" not in html and "Router admin" not in html
    assert "The power goes out" in html and "Follow “The UPS is on battery”" in html
    assert "The router is odd" in html  # the row stays, without the runbook the friend cannot open
    assert "Look at the status board on Sundays." in html
    assert "Took two minutes." in html and "It worked" in html and "Fed the cat." in html
    assert reverse("handover:note_add", args=[handover.pk]) in html


def test_family_read_the_handover_but_add_no_notes(client, bob, make_handover):
    make_handover(welcome="Hello")
    html = signed_in(client, bob).get(reverse("handover:index")).content.decode()
    assert "Hello" in html and "Add to the log" not in html


def test_the_preview_shows_the_owner_what_the_caretaker_will_see(client, alice, charlie, make_handover):
    now = timezone.now()
    secret = make_runbook("router", "Router admin", audience=Audience.OWNER)
    household = make_runbook("nas-full", "The NAS is full", audience=Audience.HOUSEHOLD)
    handover = make_handover(
        starts=now + timedelta(days=3), ends=now + timedelta(days=9), runbooks=[secret, household], welcome="Hi"
    )
    signed_in(client, alice)
    preview = client.get(reverse("handover:preview", args=[handover.pk])).content.decode()
    assert "This is the page exactly as a caretaker will see it" in preview
    assert "Router admin" not in preview and "The NAS is full" not in preview
    assert "Add to the log" not in preview
    # Once it is on, the caretaker's page has the same sections.
    Handover.objects.filter(pk=handover.pk).update(starts=now - timedelta(hours=1))
    Member.objects.filter(user=charlie).update(access_from=now - timedelta(days=1))
    page = signed_in(client, charlie).get(reverse("handover:index")).content.decode()
    sections = ["welcome", "status", "contacts", "runbooks", "if-then", "log"]
    assert [s for s in sections if f'id="{s}"' in page] == [s for s in sections if f'id="{s}"' in preview] == sections


def test_a_caretaker_adds_a_note_to_the_log(client, charlie, make_handover):
    handover = make_handover(caretakers=[charlie])
    signed_in(client, charlie)
    response = client.post(reverse("handover:note_add", args=[handover.pk]), {"text": "Watered the plants."})
    assert response.status_code == 302
    assert HandoverNote.objects.get().author == charlie
    empty = client.post(reverse("handover:note_add", args=[handover.pk]), {"text": "  "})
    assert empty.status_code == 400
    assert "Write something first" in empty.content.decode()


def test_the_caretakers_home_page_during_a_stay_is_the_handover(client, alice, charlie, make_handover):
    signed_in(client, charlie)
    assert client.get(reverse("core:dashboard")).status_code == 200  # no stay: the usual home page
    make_handover(caretakers=[charlie])
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 302 and response["Location"] == reverse("handover:index")
    # The owner keeps her home page, with the handover's panel.
    html = signed_in(client, alice).get(reverse("core:dashboard")).content.decode()
    assert 'id="handover"' in html and "Christmas" in html and "on now" in html


def test_the_owners_home_page_shows_the_next_handover(client, alice, bob, make_handover):
    now = timezone.now()
    make_handover(title="Ski week", starts=now + timedelta(days=20), ends=now + timedelta(days=27))
    html = signed_in(client, alice).get(reverse("core:dashboard")).content.decode()
    assert "Ski week" in html and "coming up" in html
    family = signed_in(client, bob).get(reverse("core:dashboard")).content.decode()
    assert "Ski week" not in family and "the owner is at home" in family


def test_caretakers_sign_ins_and_page_views_are_logged_for_the_owner(client, alice, bob, charlie, make_handover):
    make_handover(caretakers=[charlie])
    client.post(reverse("account_login"), {"login": "charlie", "password": PASSWORD})
    client.get(reverse("handover:index"))
    client.get(reverse("status:index"))
    client.get(reverse("core:settings"))  # refused, and logged as such
    client.get(reverse("status:index"), headers={"HX-Request": "true"})  # the board refreshing itself: not a view
    signed_in(client, bob).get(reverse("status:index"))  # family: not logged
    rows = list(AccessLog.objects.order_by("at", "id").values_list("kind", "path", "status"))
    assert rows[0] == ("sign_in", "/accounts/login/", None)
    assert ("page", "/handover/", 200) in rows and ("page", "/status/", 200) in rows
    assert ("page", "/settings/", 403) in rows
    assert len(rows) == 4
    assert set(AccessLog.objects.values_list("user__username", flat=True)) == {"charlie"}
    html = signed_in(client, alice).get(reverse("handover:access_log")).content.decode()
    assert "Signed in" in html and "<code>/status/</code>" in html and "403" in html


def test_the_owner_prepares_a_handover_with_a_caretaker_and_an_invitation(client, alice, charlie):
    restart = make_runbook("restart-ollama", "Restart Ollama")
    ups = make_runbook("ups", "The UPS is on battery")
    signed_in(client, alice)
    form = client.get(reverse("handover:new")).content.decode()
    assert "charlie" in form and "Restart Ollama" in form
    data = {
        "title": "Christmas 2026",
        "starts": "2026-12-20T09:00",
        "ends": "2027-01-04T12:00",
        "caretakers": [charlie.pk],
        "welcome": "Thank you!",
        "checks": "",
        f"runbook_{restart.pk}": "2",
        f"runbook_{ups.pk}": "1",
        "invite_name": "Dana",
        "invite_email": "dana@example.com",
        "if-TOTAL_FORMS": "2",
        "if-INITIAL_FORMS": "0",
        "if-MIN_NUM_FORMS": "0",
        "if-MAX_NUM_FORMS": "30",
        "if-0-when": "The power goes out",
        "if-0-do": "Wait ten minutes.",
        "if-0-runbook": str(ups.pk),
        "if-1-when": "",
        "if-1-do": "",
        "if-1-runbook": "",
    }
    response = client.post(reverse("handover:new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    handover = Handover.objects.get()
    assert [hr.runbook.slug for hr in handover.key_runbooks.all()] == ["ups", "restart-ollama"]
    assert [(r.when, r.runbook_id) for r in handover.if_then.all()] == [("The power goes out", ups.pk)]
    assert sorted(u.username for u in handover.caretakers.all()) == ["charlie", "dana"]
    starts = timezone.make_aware(timezone.datetime(2026, 12, 20, 9, 0))
    for name in ("charlie", "dana"):
        assert Member.objects.get(user__username=name).access_from == starts
    assert Invitation.objects.get(user__username="dana").is_usable
    listing = client.get(response["Location"]).content.decode()
    assert "/accounts/invite/" in listing and "Send this sign-in link" in listing
    # Overlapping dates: refused on the form, in words.
    again = client.post(reverse("handover:new"), {**data, "title": "Overlap", "invite_name": ""}).content.decode()
    assert "These dates overlap “Christmas 2026”" in again


def test_the_owner_keeps_the_contacts(client, alice):
    signed_in(client, alice)
    response = client.post(
        reverse("handover:contact_new"),
        {"name": "Fibernet", "role": "ISP", "phone": "+49 30 555-0100", "email": "", "notes": "", "order": "1"},
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    refused = client.post(
        reverse("handover:contact_edit", args=[contact.pk]),
        {"name": "Fibernet", "role": "ISP", "phone": "javascript:alert(1)", "email": "", "notes": "", "order": "1"},
    ).content.decode()
    assert "Write a phone number: digits" in refused
    html = client.get(reverse("handover:contacts")).content.decode()
    assert 'href="tel:+49305550100"' in html
    client.post(reverse("handover:contact_delete", args=[contact.pk]))
    assert not Contact.objects.exists()
    assert "No contacts yet" in client.get(reverse("handover:contacts")).content.decode()


def test_settings_lists_the_handover_pages(client, alice):
    html = signed_in(client, alice).get(reverse("core:settings")).content.decode()
    for url in ("handover:settings", "handover:contacts", "handover:access_log"):
        assert reverse(url) in html


def test_editing_keeps_the_rows_and_deletes_the_ticked_one(client, alice, charlie, make_handover):
    handover = make_handover(
        caretakers=[charlie],
        if_then=[services.Row("The power goes out", "Wait."), services.Row("The NAS beeps", "Press its button.")],
    )
    signed_in(client, alice)
    form = client.get(reverse("handover:edit", args=[handover.pk])).content.decode()
    assert 'value="The NAS beeps"' in form and 'name="if-1-DELETE"' in form
    local = timezone.localtime
    data = {
        "title": "Christmas",
        "starts": local(handover.starts).strftime("%Y-%m-%dT%H:%M"),
        "ends": local(handover.ends).strftime("%Y-%m-%dT%H:%M"),
        "caretakers": [charlie.pk],
        "welcome": "",
        "checks": "",
        "invite_name": "",
        "invite_email": "",
        "if-TOTAL_FORMS": "4",
        "if-INITIAL_FORMS": "2",
        "if-MIN_NUM_FORMS": "0",
        "if-MAX_NUM_FORMS": "30",
        "if-0-when": "The power goes out",
        "if-0-do": "Wait.",
        "if-0-DELETE": "on",
        "if-1-when": "The NAS beeps",
        "if-1-do": "Press its button.",
        "if-2-when": "The internet is down",
        "if-2-do": "Restart the router.",
    }
    response = client.post(reverse("handover:edit", args=[handover.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert [r.when for r in handover.if_then.all()] == ["The NAS beeps", "The internet is down"]
    half = client.post(reverse("handover:edit", args=[handover.pk]), {**data, "if-2-do": ""}).content.decode()
    assert "Say what to do, like" in half  # a row with only its first half says what is missing


def test_the_handover_says_where_the_key_runbooks_passwords_are_kept(client, charlie, make_handover):
    from apps.status.models import Host

    ups = make_runbook("ups", "The UPS is on battery")
    secret_place = "NAS admin: password manager, vault Home, item DSM"
    ups.hosts.add(Host.objects.create(name="NAS", credentials_pointer=secret_place))
    private = make_runbook("router", "Router admin", audience=Audience.OWNER)
    private.hosts.add(Host.objects.create(name="Router", credentials_pointer="Router: the card in the drawer"))
    make_handover(caretakers=[charlie], runbooks=[ups, private])
    html = signed_in(client, charlie).get(reverse("handover:index")).content.decode()
    assert "Where the passwords are" in html and secret_place in html
    assert "the card in the drawer" not in html  # a runbook the caretaker may not read says nothing
