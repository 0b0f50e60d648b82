"""The annual review in the browser: Alice (owner) opens last year's review of the reference
stack, writes her decisions, saves them, prints the page (no menus, no form), and reads it on a
390-px phone without the page scrolling sideways (the month tables scroll on their own)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from apps.accounts.roles import Role
from apps.gateway.models import UsageDay
from apps.ledger.models import Category, CostItem, Kind, Period, Price
from apps.maintenance.models import Cadence, Completion, MaintenanceTask, Occurrence
from apps.maintenance.models import Category as TaskCategory
from apps.status.models import Flip, Host, Rollup, Service, State
from apps.status.models import Kind as CheckKind
from tests.conftest import make_member
from tests.e2e.conftest import screenshot
from tests.e2e.test_signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
YEAR = 2025


def usage(alice, bob, sam) -> None:
    """A year and the one before: the assistant grows, the coder arrives in spring, the paid
    fallback ("cloud") shrinks."""
    rows = []
    for year in (YEAR - 1, YEAR):
        for month in range(1, 13):
            growth = 1 + (month / 12 if year == YEAR else 0)
            day = date(year, month, 10)
            rows += [
                UsageDay(
                    day=day,
                    member=alice,
                    alias="assistant",
                    requests=int(120 * growth),
                    prompt_tokens=int(90_000 * growth),
                    completion_tokens=int(30_000 * growth),
                ),
                UsageDay(
                    day=day,
                    member=bob,
                    alias="assistant",
                    requests=int(60 * growth),
                    prompt_tokens=int(40_000 * growth),
                    completion_tokens=int(12_000 * growth),
                ),
                UsageDay(
                    day=day, member=sam, alias="homework", requests=40, prompt_tokens=25_000, completion_tokens=9_000
                ),
                UsageDay(
                    day=day,
                    member=alice,
                    alias="cloud",
                    requests=30 if year < YEAR else 8,
                    prompt_tokens=50_000 if year < YEAR else 12_000,
                    completion_tokens=8_000 if year < YEAR else 2_000,
                ),
            ]
            if year == YEAR and month >= 4:
                rows.append(
                    UsageDay(
                        day=day,
                        member=alice,
                        alias="coder",
                        requests=55,
                        prompt_tokens=160_000,
                        completion_tokens=40_000,
                    )
                )
    UsageDay.objects.bulk_create(rows)


def watched() -> None:
    studio = Host.objects.create(name="studio")
    nas = Host.objects.create(name="nas")
    services = {
        "ollama": Service.objects.create(
            name="ollama", label="Ollama", kind=CheckKind.HTTP, check_config={"url": "http://x"}, host=studio
        ),
        "photos": Service.objects.create(
            name="photos", label="Photos on the NAS", kind=CheckKind.HTTP, check_config={"url": "http://x"}, host=nas
        ),
        "forgejo": Service.objects.create(
            name="forgejo", label="Forgejo", kind=CheckKind.HTTP, check_config={"url": "http://x"}, host=nas
        ),
    }
    down = {"ollama": 220, "photos": 35, "forgejo": 0}
    for name, service in services.items():
        Rollup.objects.bulk_create(
            Rollup(
                service=service,
                start=datetime(YEAR, 1, 1, tzinfo=UTC) + timedelta(days=d),
                up=1440 - (down[name] if d % 30 == 0 else 0),
                down=down[name] if d % 30 == 0 else 0,
            )
            for d in range(365)
        )
    for start, minutes in (
        (datetime(YEAR, 3, 14, 2, tzinfo=UTC), 95),
        (datetime(YEAR, 8, 2, 19, tzinfo=UTC), 40),
        (datetime(YEAR, 11, 20, 6, tzinfo=UTC), 185),
    ):
        Flip.objects.create(service=services["ollama"], created=start, old=State.UP, new=State.DOWN)
        Flip.objects.create(
            service=services["ollama"], created=start + timedelta(minutes=minutes), old=State.DOWN, new=State.UP
        )
    Flip.objects.create(
        service=services["photos"], created=datetime(YEAR, 6, 1, 4, tzinfo=UTC), old=State.UP, new=State.DOWN
    )
    Flip.objects.create(
        service=services["photos"], created=datetime(YEAR, 6, 1, 4, 35, tzinfo=UTC), old=State.DOWN, new=State.UP
    )


def maintained(alice) -> None:
    def task(title: str, category: str, cadence: str, estimate: int) -> MaintenanceTask:
        return MaintenanceTask.objects.create(
            title=title,
            category=category,
            cadence=cadence,
            estimate_minutes=estimate,
            starts=date(YEAR - 1, 1, 1),
            next_due=date(YEAR + 1, 11, 28),
        )

    weekly = task("Weekly dashboard check", TaskCategory.CHECK, Cadence.WEEKLY, 5)
    update = task("Monthly model update", TaskCategory.UPDATE, Cadence.MONTHLY, 90)
    restore = task("Quarterly restore exercise", TaskCategory.BACKUP, Cadence.QUARTERLY, 240)
    task("Annual architecture review", TaskCategory.REVIEW, Cadence.ANNUALLY, 960)
    for week in range(48):
        Completion.objects.create(
            task=weekly, completed=datetime(YEAR, 1, 4, 9, tzinfo=UTC) + timedelta(weeks=week), minutes=6
        )
    for month in range(1, 12):
        Completion.objects.create(
            task=update, completed=datetime(YEAR, month, 6, 10, tzinfo=UTC), minutes=75 + month * 3
        )
    for month in (3, 6, 9):
        Completion.objects.create(task=restore, completed=datetime(YEAR, month, 20, 10, tzinfo=UTC), minutes=260)
    Occurrence.objects.create(
        task=restore, due=date(YEAR, 12, 20), action="skip", reason="Away over the holidays", by=alice
    )
    Occurrence.objects.create(task=update, due=date(YEAR, 12, 6), action="skip", reason="No new model worth it")


def ledger() -> None:
    def cost(name: str, category: str, kind: str, start: date, prices: list[tuple[date, str]], **kwargs) -> None:
        item = CostItem.objects.create(name=name, category=category, kind=kind, start=start, **kwargs)
        for since, amount in prices:
            Price.objects.create(item=item, since=since, amount=Decimal(amount), currency="USD")

    cost(
        "Mac Studio",
        Category.HARDWARE,
        Kind.ONE_OFF,
        date(YEAR - 1, 3, 1),
        [(date(YEAR - 1, 3, 1), "3999.00")],
        life_months=60,
    )
    cost(
        "Mac mini",
        Category.HARDWARE,
        Kind.ONE_OFF,
        date(YEAR - 2, 9, 1),
        [(date(YEAR - 2, 9, 1), "799.00")],
        life_months=60,
    )
    cost(
        "Chat subscription",
        Category.SUBSCRIPTION,
        Kind.RECURRING,
        date(YEAR - 1, 1, 1),
        [(date(YEAR - 1, 1, 1), "20.00"), (date(YEAR, 5, 1), "22.00")],
    )
    cost(
        "Off-site backup",
        Category.SUBSCRIPTION,
        Kind.RECURRING,
        date(YEAR - 1, 1, 1),
        [(date(YEAR - 1, 1, 1), "69.99")],
        period=Period.YEARLY,
    )
    cost(
        "Electricity",
        Category.ELECTRICITY,
        Kind.RECURRING,
        date(YEAR - 1, 1, 1),
        [(date(YEAR - 1, 1, 1), "0")],
        watts=Decimal("95"),
    )
    cost(
        "Domain",
        Category.DOMAIN,
        Kind.RECURRING,
        date(YEAR - 3, 1, 1),
        [(date(YEAR - 3, 1, 1), "15.00")],
        period=Period.YEARLY,
    )


def test_the_owner_reviews_last_year_saves_her_notes_and_prints_it(page, phone, live_server):
    alice = make_member("alice", Role.OWNER)
    usage(alice, make_member("bob", Role.FAMILY), make_member("sam", Role.FAMILY))
    watched()
    maintained(alice)
    ledger()

    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/ledger/annual/{YEAR}/")
    expect(page.get_by_role("heading", name=f"Annual review {YEAR}")).to_be_visible()
    expect(page.locator("#workloads")).to_contain_text("Grew: coder (new), assistant")
    expect(page.locator("#workloads")).to_contain_text("Shrank: cloud")
    expect(page.locator("#uptime")).to_contain_text("3 times")
    expect(page.locator("#maintenance")).to_contain_text("Away over the holidays")
    expect(page.locator("#costs")).to_contain_text("Hardware")

    page.get_by_label("What you decided").fill(
        "- Keep the **Studio**: the assistant grew by half.\n"
        "- Drop the paid fallback: the coder runs locally.\n"
        "- Move Ollama to the mini's UPS outlet."
    )
    page.get_by_label("Hours the review took").fill("7.5")
    page.get_by_role("button", name="Save the notes").click()
    expect(page.get_by_role("status")).to_contain_text(f"Saved the notes of the {YEAR} review.")
    expect(page.locator("#notes .prose")).to_contain_text("Keep the Studio")
    completion = Completion.objects.get(task__title="Annual architecture review")
    assert completion.minutes == 450 and completion.notes.startswith(f"Annual review of {YEAR}\n\n- Keep")

    print_button = page.get_by_role("button", name="Print")
    expect(print_button).to_be_visible()  # homeops.js shows it; without JavaScript the hint stays
    screenshot(page, "annual-review")
    page.emulate_media(media="print")
    expect(page.locator("form.annual-form")).to_be_hidden()
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("nav.tabs")).to_be_hidden()
    expect(print_button).to_be_hidden()
    expect(page.locator("#notes .prose")).to_be_visible()
    page.emulate_media(media="screen")

    sign_in(phone, live_server, "alice")
    phone.goto(f"{live_server.url}/ledger/annual/{YEAR}/")
    expect(phone.locator("#costs")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
