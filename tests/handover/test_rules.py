"""The one definition of a handover and a contact: dates, caretakers, overlaps, phone numbers
and the links built from them; the caretakers' access windows follow the handover."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts.models import Invitation, Member
from apps.accounts.roles import Role
from apps.handover import services
from apps.handover.models import AccessLog, Contact, Handover, mailto_href, tel_href
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def test_a_handover_must_end_after_it_starts():
    now = timezone.now()
    with pytest.raises(ValidationError) as caught:
        services.handover_save(Handover(title="Backwards", starts=now, ends=now - timedelta(hours=1)))
    assert caught.value.message_dict["ends"] == ["The handover must end after it starts."]


def test_overlapping_handovers_are_refused_in_words(make_handover):
    now = timezone.now()
    make_handover(title="Christmas", starts=now + timedelta(days=10), ends=now + timedelta(days=20))
    with pytest.raises(ValidationError) as caught:
        make_handover(title="New Year", starts=now + timedelta(days=19), ends=now + timedelta(days=25))
    [message] = caught.value.message_dict["starts"]
    assert message.startswith("These dates overlap “Christmas” (")
    assert "one handover at a time" in message
    # Back to back is fine.
    make_handover(title="New Year", starts=now + timedelta(days=20), ends=now + timedelta(days=25))


def test_only_caretakers_can_be_chosen(make_handover, bob, charlie):
    with pytest.raises(ValidationError) as caught:
        make_handover(caretakers=[bob, charlie])
    assert caught.value.message_dict["caretakers"] == [
        "bob is not a caretaker: only members with the caretaker role can be chosen "
        "(change the role under Settings → Members)."
    ]


def test_the_caretakers_window_becomes_the_handovers_dates(make_handover, charlie):
    now = timezone.now()
    starts, ends = now + timedelta(days=17), now + timedelta(days=31)
    handover = make_handover(starts=starts, ends=ends, caretakers=[charlie])
    member = Member.objects.get(user=charlie)
    assert (member.access_from, member.access_until) == (starts, ends)
    # Moving the dates moves the window.
    handover.ends = ends + timedelta(days=2)
    services.handover_save(handover, ["ends"])
    assert Member.objects.get(user=charlie).access_until == ends + timedelta(days=2)


def test_inviting_a_caretaker_makes_a_member_with_the_handovers_window(make_handover, alice):
    now = timezone.now()
    handover = make_handover(starts=now + timedelta(days=2), ends=now + timedelta(days=9))
    user, token = services.handover_invite(
        handover=handover, name="Dana Smith", email="dana@example.com", created_by=alice
    )
    assert user.username == "danasmith" and user.first_name == "Dana Smith"
    assert not user.has_usable_password()
    assert (user.member.access_from, user.member.access_until) == (handover.starts, handover.ends)
    assert list(handover.caretakers.all()) == [user]
    invitation = Invitation.objects.get(user=user)
    assert invitation.role == Role.CARETAKER and invitation.is_usable and token
    # Two Danas: the second gets a username of her own.
    other, _ = services.handover_invite(handover=handover, name="Dana Smith", email="", created_by=alice)
    assert other.username == "danasmith2"


def test_an_invitation_to_an_address_in_use_is_refused_on_the_invite_field(make_handover, alice, bob):
    handover = make_handover()
    with pytest.raises(ValidationError) as caught:
        services.handover_invite(handover=handover, name="Bobby", email="bob@example.com", created_by=alice)
    assert "invite_email" in caught.value.message_dict


@pytest.mark.parametrize(
    ("phone", "href"),
    [
        ("+49 30 555-0100", "tel:+49305550100"),
        ("(030) 555 01 00", "tel:0305550100"),
        ("0171/2345678", "tel:01712345678"),
        ("112", "tel:112"),
    ],
)
def test_a_phone_number_becomes_a_tel_link_of_digits(phone, href):
    contact = Contact(name="X", role="ISP", phone=phone)
    contact.full_clean()
    assert contact.tel_href == href


@pytest.mark.parametrize(
    "phone",
    [
        "javascript:alert(1)",
        "+49 30 <script>",
        "12",  # too short to be a number
        "+1 (555) 0100 ext. 3",
        "tel:+4930",
        "+49\n30 1234",
        "1" * 18,
        "++49 30 1234",
    ],
)
def test_anything_but_a_phone_number_is_refused_and_never_linked(phone):
    contact = Contact(name="X", role="ISP", phone=phone)
    with pytest.raises(ValidationError) as caught:
        contact.full_clean()
    assert caught.value.message_dict["phone"][0].startswith("Write a phone number: digits")
    assert tel_href(phone) == ""


@pytest.mark.parametrize(
    ("email", "href"),
    [
        ("mia@example.com", "mailto:mia@example.com"),
        ("o'brien+house@example.com", "mailto:o%27brien+house@example.com"),
        ("javascript:alert(1)//@example.com", ""),
        ('"><script>@example.com', ""),
        ("mia@example.com?bcc=all@example.com", ""),
        ("", ""),
    ],
)
def test_mailto_links_are_only_made_of_addresses(email, href):
    assert mailto_href(email) == href


def test_a_contact_needs_a_phone_or_an_email():
    with pytest.raises(ValidationError) as caught:
        services.contact_save(Contact(name="Mia", role="neighbour"))
    assert caught.value.message_dict["phone"] == ["Give a phone number or an email address, or both."]


def test_the_markdown_is_rendered_once_when_saved(make_handover):
    handover = make_handover(welcome="**Thank you!** The key is under the *pot*.", checks="- Status on Sundays")
    assert handover.welcome_html == "<p><strong>Thank you!</strong> The key is under the <em>pot</em>.</p>"
    assert "<li>Status on Sundays</li>" in handover.checks_html


def test_notes_are_added_during_the_stay_only(make_handover, charlie):
    now = timezone.now()
    later = make_handover(title="Later", starts=now + timedelta(days=5), ends=now + timedelta(days=6))
    with pytest.raises(ValidationError, match="during the stay only"):
        services.note_add(handover=later, author=charlie, text="Early")
    on = make_handover(caretakers=[charlie])
    note = services.note_add(handover=on, author=charlie, text="  Fed the cat.  ")
    assert note.text == "Fed the cat."


def test_the_access_log_keeps_its_days_and_its_rows(charlie, monkeypatch):
    now = timezone.now()
    AccessLog.objects.create(user=charlie, kind="page", path="/old/", at=now - timedelta(days=91))
    for minute in range(5):
        AccessLog.objects.create(user=charlie, kind="page", path=f"/{minute}/", at=now - timedelta(minutes=minute))
    monkeypatch.setattr(services, "ACCESS_LOG_ROWS", 3)
    assert services.access_prune(now=now) == 3
    assert list(AccessLog.objects.values_list("path", flat=True)) == ["/0/", "/1/", "/2/"]


def test_a_caretaker_on_two_stays_may_sign_in_from_the_first_to_the_last(make_handover):
    dana = make_member("dana", Role.CARETAKER)
    now = timezone.now()
    first = make_handover(title="A", starts=now + timedelta(days=1), ends=now + timedelta(days=2), caretakers=[dana])
    make_handover(title="B", starts=now + timedelta(days=5), ends=now + timedelta(days=6), caretakers=[dana])
    member = Member.objects.get(user=dana)
    assert (member.access_from, member.access_until) == (first.starts, now + timedelta(days=6))


def test_only_recently_ended_handovers_get_a_summary(make_handover):
    now = timezone.now()
    old = make_handover(title="Summer 2025", starts=now - timedelta(days=40), ends=now - timedelta(days=30))
    recent = make_handover(title="Weekend", starts=now - timedelta(days=3), ends=now - timedelta(minutes=1))
    make_handover(title="Now", starts=now - timedelta(minutes=1), ends=now + timedelta(days=1))
    assert services.summaries_claim(now=now) == [recent]
    assert services.summaries_claim(now=now) == []  # claimed once
    old.refresh_from_db()
    assert old.summary_sent_at is None


def test_the_summary_says_what_happened_and_what_to_do_after(make_handover, charlie):
    handover = make_handover(caretakers=[charlie])
    services.note_add(handover=handover, author=charlie, text="All quiet.")
    text = services.summary_for(handover).text
    assert "looked after by charlie" in text
    assert "They ran no runbook." in text and "All quiet." in text
    assert "Nothing went down during the stay." in text
    assert text.count("- [ ] ") == len(services.BACK_TO_NORMAL)
