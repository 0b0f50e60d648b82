"""The `contacts` and `handovers` sections: import, export round trip, errors at their line,
and the example household's sample handover."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from apps.accounts.models import Member
from apps.core import config
from apps.handover.models import Contact, Handover
from tests.handover.conftest import make_runbook

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[2] / "apps" / "core" / "example" / "household.yaml"

DOCUMENT = """
members:
  - {username: charlie, name: Charlie, role: caretaker}
contacts:
  - {name: Fibernet, role: ISP, phone: "+49 30 555 0100", email: help@fibernet.example, order: 10}
  - {name: Mia, role: Neighbour with a key, phone: "0171 2345678", notes: Has the spare key.}
handovers:
  - title: Christmas 2026
    starts: 2026-12-20 09:00
    ends: 2027-01-04 12:00
    caretakers: [charlie]
    welcome: Thank you, **Charlie**!
    checks: Look at the status board on Sundays.
    runbooks: [ups, restart-ollama]
    if_then:
      - {when: The power goes out, do: Wait ten minutes., runbook: ups}
      - {when: The internet is down, do: Call Fibernet.}
"""


def test_contacts_and_handovers_round_trip():
    make_runbook("restart-ollama", "Restart Ollama")
    make_runbook("ups", "The UPS is on battery")
    result = config.import_text(DOCUMENT)
    assert result.ok, result.errors
    handover = Handover.objects.get()
    assert handover.welcome_html == "<p>Thank you, <strong>Charlie</strong>!</p>"
    assert [u.username for u in handover.caretakers.all()] == ["charlie"]
    assert [hr.runbook.slug for hr in handover.key_runbooks.all()] == ["ups", "restart-ollama"]
    assert [(r.when, r.runbook.slug if r.runbook else None) for r in handover.if_then.all()] == [
        ("The power goes out", "ups"),
        ("The internet is down", None),
    ]
    member = Member.objects.get(user__username="charlie")
    assert (member.access_from, member.access_until) == (handover.starts, handover.ends)
    assert [c.name for c in Contact.objects.all()] == ["Mia", "Fibernet"]  # order 0 before 10
    again = config.import_text(yaml.safe_dump(yaml.safe_load(config.export_text())))
    assert again.ok, again.errors
    assert again.counts["contacts"]["unchanged"] == 2
    assert again.counts["handovers"]["unchanged"] == 1


def test_changing_only_the_rows_counts_as_a_change():
    config.import_text(DOCUMENT.replace("    runbooks: [ups, restart-ollama]\n", "").replace(", runbook: ups", ""))
    changed = DOCUMENT.replace("    runbooks: [ups, restart-ollama]\n", "").replace(", runbook: ups", "")
    changed = changed.replace("Call Fibernet.", "Restart the router and call Fibernet.")
    result = config.import_text(changed)
    assert result.ok, result.errors
    assert result.counts["handovers"]["updated"] == 1
    assert Handover.objects.get().if_then.last().do == "Restart the router and call Fibernet."


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            "contacts:\n  - {name: A, role: ISP, phone: 'javascript:alert(1)'}\n",
            "contacts[0].phone: Write a phone number",
        ),
        ("contacts:\n  - {name: A, role: ISP}\n", "contacts[0].phone: Give a phone number or an email address"),
        (
            "contacts:\n  - {name: A, role: ISP, email: nope}\n",
            "contacts[0].email: Write an email address, like sam@example.com.",
        ),
        ("contacts:\n  - {name: A, phone: '112'}\n", "contacts[0]: role is required, line 2"),
        ("contacts:\n  - {name: A, role: ISP, phone: '112', order: -1}\n", "contacts[0].order: must be a whole number"),
        (
            "contacts:\n  - {name: A, role: ISP, phone: '112'}\n  - {name: A, role: ISP, phone: '113'}\n",
            "contacts[1].name: 'A' appears twice",
        ),
        (
            "handovers:\n  - {title: X, starts: 2026-12-20 09:00, ends: 2026-12-19 09:00}\n",
            "handovers[0].ends: The handover must end after it starts., line 2",
        ),
        (
            "handovers:\n  - {title: X, starts: 2026-12-20 09:00, ends: 2026-12-29 09:00, caretakers: [ghost]}\n",
            "handovers[0].caretakers[0]: no member called 'ghost'",
        ),
        (
            "members:\n  - {username: sam, role: family}\n"
            "handovers:\n  - {title: X, starts: 2026-12-20 09:00, ends: 2026-12-29 09:00, caretakers: [sam]}\n",
            "handovers[0].caretakers[0]: sam is not a caretaker",
        ),
        (
            "handovers:\n  - {title: X, starts: 2026-12-20 09:00, ends: 2026-12-29 09:00, runbooks: [nope]}\n",
            "handovers[0].runbooks[0]: no runbook 'nope' in this file or the portal",
        ),
        (
            "handovers:\n  - {title: X, starts: 2026-12-20 09:00, ends: 2026-12-29 09:00, if_then: [{when: a}]}\n",
            "handovers[0].if_then[0]: do is required",
        ),
        (
            "handovers:\n  - {title: X, starts: 2026-12-20 09:00, ends: 2026-12-29 09:00}\n"
            "  - {title: Y, starts: 2026-12-28 09:00, ends: 2027-01-02 09:00}\n",
            "handovers[1].starts: overlaps handovers[0] (X): one handover at a time",
        ),
        (
            "handovers:\n  - {title: X, starts: 2026-12-20 09:00, ends: 2026-12-29 09:00, welcome: "
            + "a" * 4001
            + "}\n",
            "handovers[0].welcome: Too long: at most 4000 characters",
        ),
        (
            "handovers:\n  - {title: X, starts: 2026-12-20 09:00, ends: 2026-12-29 09:00, if_then: ["
            + ", ".join(["{when: a, do: b}"] * 101)
            + "]}\n",
            "handovers[0].if_then: must be a list of at most 100 rows",
        ),
    ],
)
def test_errors_name_the_entry_and_its_line(document, message):
    result = config.import_text(document)
    assert any(message in str(error) for error in result.errors), result.errors
    assert not Handover.objects.exists() and not Contact.objects.exists()


def test_an_overlap_with_a_handover_in_the_portal_is_refused_in_words(make_handover):
    from datetime import datetime

    from django.utils import timezone

    zone = timezone.get_current_timezone()
    make_handover(title="Ski week", starts=datetime(2026, 12, 27, tzinfo=zone), ends=datetime(2027, 1, 3, tzinfo=zone))
    result = config.import_text("handovers:\n  - {title: X, starts: 2026-12-20 09:00, ends: 2026-12-29 09:00}\n")
    assert any("handovers[0].starts: These dates overlap “Ski week”" in str(e) for e in result.errors), result.errors


def test_the_example_household_has_a_sample_handover_with_contacts(alice):
    result = config.import_text(EXAMPLE.read_text(encoding="utf-8"))
    assert result.ok, result.errors
    handover = Handover.objects.get()
    assert handover.title == "Christmas 2026" and [u.username for u in handover.caretakers.all()] == ["charlie"]
    assert handover.if_then.count() >= 3 and "<strong>nothing to do</strong>" in handover.welcome_html
    roles = [c.role for c in Contact.objects.all()]
    assert roles == ["ISP", "Electrician", "Neighbour with a key", "Owner"]
    assert all(c.tel_href for c in Contact.objects.all())
    again = config.import_text(EXAMPLE.read_text(encoding="utf-8"))
    assert again.ok and again.counts["handovers"]["unchanged"] == 1 and again.counts["contacts"]["unchanged"] == 4
