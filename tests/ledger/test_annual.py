"""The annual review (/ledger/annual/<year>/): each section from real rows of the app that owns
it, the owner's notes saved as a completion of the annual review task, and the empty year.

Alice owns the house; Bob is family. The year under review is 2024, against 2023."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.gateway.models import UsageDay
from apps.ledger import annual, figures
from apps.ledger.models import Category, CostItem, Kind, Period, Price
from apps.maintenance.models import Cadence, Completion, MaintenanceTask, Occurrence
from apps.maintenance.models import Category as TaskCategory
from apps.status.models import Flip, Host, Result, Rollup, Service, State
from apps.status.models import Kind as CheckKind
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)  # 2024 and 2023 are whole years gone


def page(client, user, year: int = 2024) -> str:
    response = signed_in(client, user).get(reverse("ledger:annual_year", args=[year]))
    assert response.status_code == 200
    return response.content.decode()


# --- 1. workloads ------------------------------------------------------------------------------


def use(day: date, member, alias: str, requests: int, prompt: int, completion: int) -> None:
    UsageDay.objects.create(
        day=day, member=member, alias=alias, requests=requests, prompt_tokens=prompt, completion_tokens=completion
    )


@pytest.fixture
def usage(alice, bob):
    use(date(2024, 1, 5), alice, "assistant", 10, 1000, 500)
    use(date(2024, 1, 20), bob, "assistant", 5, 200, 100)
    use(date(2024, 3, 2), alice, "coder", 4, 3000, 1000)
    use(date(2024, 12, 31), bob, "assistant", 1, 40, 2)
    use(date(2023, 1, 10), alice, "assistant", 8, 800, 400)
    use(date(2023, 6, 1), bob, "vision", 2, 100, 100)
    use(date(2025, 1, 1), alice, "assistant", 99, 9999, 9999)  # the year after: not counted
    use(date(2022, 12, 31), alice, "assistant", 99, 9999, 9999)  # two years before: not counted


def test_workloads_sum_each_alias_and_member_by_month_against_the_year_before(usage, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = annual.workloads(2024, 12)
    by_alias = {row.name: row for row in found.by_alias}
    assert [row.name for row in found.by_alias] == ["coder", "assistant", "vision"]  # most tokens first
    assistant = by_alias["assistant"]
    assert (assistant.months[0].requests, assistant.months[0].tokens) == (15, 1800)
    assert (assistant.months[11].requests, assistant.months[11].tokens) == (1, 42)
    assert [cell.tokens for cell in assistant.months[1:11]] == [0] * 10
    assert (assistant.requests, assistant.tokens, assistant.before_requests, assistant.before_tokens) == (
        16,
        1842,
        8,
        1200,
    )
    assert assistant.tokens_change == "+54%"  # 642 / 1200 = 53.5%, half-up
    assert by_alias["coder"].tokens_change == "new"
    assert by_alias["vision"].tokens_change == "stopped"
    members = {row.name: (row.tokens, row.before_tokens, row.tokens_change) for row in found.by_member}
    assert members == {"alice": (5500, 1200, "+358%"), "bob": (342, 200, "+71%")}
    assert (found.requests, found.tokens, found.before_tokens, found.tokens_change) == (20, 5842, 1400, "+317%")
    assert [row.name for row in found.grew] == ["coder", "assistant"]
    assert [row.name for row in found.shrank] == ["vision"]


def test_a_year_in_progress_compares_with_the_same_months_of_the_year_before(alice):
    use(date(2024, 2, 10), alice, "assistant", 3, 300, 0)
    use(date(2023, 2, 10), alice, "assistant", 2, 200, 0)
    use(date(2023, 5, 10), alice, "assistant", 9, 900, 0)  # after March: not compared
    row = annual.workloads(2024, 3).by_alias[0]
    assert (row.tokens, row.before_tokens, row.tokens_change) == (300, 200, "+50%")
    assert row.months[3:] == [None] * 9  # months not counted yet have no cell


# --- 2. uptime and incidents -----------------------------------------------------------------------


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def watched():
    nas = Host.objects.create(name="nas")
    web = Service.objects.create(
        name="photos", label="Photos", kind=CheckKind.HTTP, check_config={"url": "http://x"}, host=nas
    )
    dns = Service.objects.create(name="dns", label="DNS", kind=CheckKind.TCP, check_config={"host": "x", "port": 53})
    Rollup.objects.create(service=web, start=at(2024, 1, 1), up=1000, down=10)
    Rollup.objects.create(service=web, start=at(2024, 6, 1), up=980, degraded=10)
    Rollup.objects.create(service=web, start=at(2023, 12, 31), up=5, down=900)  # the year before
    Rollup.objects.create(service=web, start=at(2025, 1, 1), up=5, down=900)  # the year after
    Result.objects.create(service=web, at=at(2024, 12, 31, 23, 10), outcome=State.DOWN)  # not rolled up yet
    Rollup.objects.create(service=dns, start=at(2024, 3, 1), up=100)
    flips = [
        (web, at(2023, 12, 31, 22), State.UP, State.DOWN),  # down when the year began
        (web, at(2024, 1, 1, 1), State.DOWN, State.UP),  # 1 hour of 2024
        (web, at(2024, 3, 1, 10), State.UP, State.DOWN),  # incident 1: 30 minutes
        (web, at(2024, 3, 1, 10, 30), State.DOWN, State.UP),
        (web, at(2024, 12, 31, 23), State.UP, State.DOWN),  # incident 2: 1 hour, to the year's end
        (dns, at(2024, 3, 1, 10), State.UP, State.UNREACHABLE),  # waits for another: no incident of its own
        (dns, at(2024, 3, 1, 11), State.UNREACHABLE, State.UP),
    ]
    for service, created, old, new in flips:
        Flip.objects.create(service=service, created=created, old=old, new=new)
    return web, dns


def test_uptime_counts_the_years_checks_and_times_down_with_their_downtime(watched, django_assert_num_queries):
    with django_assert_num_queries(4):
        lines = annual.uptime(2024, now=NOW)
    assert [line.service.name for line in lines] == ["photos", "dns"]  # worst first
    photos, dns = lines
    assert (photos.up, photos.degraded, photos.down, photos.checks) == (1980, 10, 11, 2001)
    assert photos.uptime == 1990 / 2001
    assert photos.incidents == 2
    assert photos.downtime == timedelta(hours=2, minutes=30)
    assert photos.downtime_words == "2 hours 30 minutes"
    assert (dns.checks, dns.uptime, dns.incidents, dns.downtime_words) == (100, 1.0, 0, "none")


def test_a_service_still_down_counts_its_downtime_until_now(watched):
    photos = annual.uptime(2024, now=at(2024, 12, 31, 23, 20))[0]
    assert photos.downtime == timedelta(hours=1, minutes=50)  # 1 h + 30 min + the last 20 minutes


# --- 3. maintenance ---------------------------------------------------------------------------------


def task(title: str, category: str, estimate: int, **kwargs) -> MaintenanceTask:
    return MaintenanceTask.objects.create(
        title=title, category=category, estimate_minutes=estimate, starts=date(2023, 1, 1), **kwargs
    )


@pytest.fixture
def maintained(alice):
    restore = task("Backup-restore exercise", TaskCategory.BACKUP, 240, cadence=Cadence.QUARTERLY)
    update = task("Model update", TaskCategory.UPDATE, 90)
    Completion.objects.create(task=restore, completed=at(2024, 3, 9, 10), minutes=300)
    Completion.objects.create(task=restore, completed=at(2024, 6, 8, 10), minutes=None)  # the estimate counts: 240
    Completion.objects.create(task=update, completed=at(2024, 2, 1, 10), minutes=75)
    Completion.objects.create(task=update, completed=at(2023, 12, 31, 10), minutes=600)  # the year before
    Occurrence.objects.create(task=update, due=date(2024, 8, 1), action="skip", reason="on holiday", by=alice)
    Occurrence.objects.create(task=restore, due=date(2024, 12, 7), action="skip")
    Occurrence.objects.create(task=update, due=date(2023, 8, 1), action="skip")  # the year before
    Occurrence.objects.create(task=update, due=date(2024, 9, 1), action="snooze", until=date(2024, 9, 8))


def test_maintenance_hours_against_the_budget_and_the_tasks_skipped(maintained, settings):
    settings.MAINTENANCE_HOURS = (50, 100)
    found = annual.maintenance_year(2024, now=NOW)
    assert (found.budget.total.completions, found.budget.total.actual, found.budget.total.from_estimate) == (3, 615, 1)
    assert found.budget.verdict == "Under budget: 10.3 h spent, the budget is 50-100 h a year."
    assert [(skip.task.title, skip.due, skip.reason) for skip in found.skipped] == [
        ("Model update", date(2024, 8, 1), "on holiday"),
        ("Backup-restore exercise", date(2024, 12, 7), ""),
    ]


# --- 4. costs -------------------------------------------------------------------------------------


def cost(name: str, category: str, kind: str, start: date, prices: list[tuple[date, str]], **kwargs) -> CostItem:
    item = CostItem.objects.create(name=name, category=category, kind=kind, start=start, **kwargs)
    for since, amount in prices:
        Price.objects.create(item=item, since=since, amount=Decimal(amount), currency="USD")
    return item


@pytest.fixture
def ledger():
    # 10.00 a month, then 12.50 from July 2024: 2023 = 120.00, 2024 = 6 x 10 + 6 x 12.50 = 135.00
    cost(
        "Chat subscription",
        Category.SUBSCRIPTION,
        Kind.RECURRING,
        date(2023, 1, 1),
        [(date(2023, 1, 1), "10.00"), (date(2024, 7, 1), "12.50")],
    )
    # 900.00 over 36 months from July 2023: 25.00 a month, 6 months of 2023, 12 of 2024
    cost("Mac mini", Category.HARDWARE, Kind.ONE_OFF, date(2023, 7, 1), [(date(2023, 7, 1), "900.00")], life_months=36)
    # 24.00 a year: 2.00 a month in both years
    cost(
        "Domain",
        Category.DOMAIN,
        Kind.RECURRING,
        date(2022, 5, 1),
        [(date(2022, 5, 1), "24.00")],
        period=Period.YEARLY,
    )


def test_costs_by_category_sum_the_ledgers_months_against_the_year_before(ledger):
    found = annual.costs(2024, 12, today=NOW.date())
    rows = {row.label: (row.amount, row.before, row.change, row.change_words) for row in found.rows}
    assert rows == {
        "Hardware": (Decimal(300), Decimal(150), Decimal(150), "+100%"),
        "Subscription": (Decimal("135.00"), Decimal("120.00"), Decimal("15.00"), "+13%"),  # 12.5%, half-up
        "Domain": (Decimal(24), Decimal(24), Decimal(0), "same"),
    }
    assert [row.label for row in found.rows] == ["Hardware", "Subscription", "Domain"]  # the categories' order
    assert (found.total.amount, found.total.before, found.total.change_words) == (
        Decimal(459),
        Decimal(294),
        "+56%",
    )
    assert (found.total.amount_words, found.total.before_words, found.total.change_money) == (
        "459.00 USD",
        "294.00 USD",
        "+165.00 USD",
    )
    assert not found.ledger_empty


def test_costs_round_to_cents_only_when_shown():
    # 100.00 over 3 months: 33.333... a month, two of them in 2024; summed unrounded, shown half-up.
    cost("Switch", Category.HARDWARE, Kind.ONE_OFF, date(2024, 11, 1), [(date(2024, 11, 1), "100.00")], life_months=3)
    found = annual.costs(2024, 12, today=NOW.date())
    assert found.total.amount == Decimal(100) / 3 + Decimal(100) / 3
    assert (found.total.amount_words, found.total.change_words) == ("66.67 USD", "new")
    assert figures.money(Decimal("-12.345"), "EUR", sign=True) == "-12.35 EUR"
    assert figures.money(Decimal("1234.5"), "EUR") == "1,234.50 EUR"


# --- the page ---------------------------------------------------------------------------------------


def test_the_page_shows_every_section_from_real_rows(client, alice, usage, watched, maintained, ledger):
    text = page(client, alice)
    assert "Annual review 2024" in text
    assert "compare with 2023" in text
    assert "5.8k tokens in 20 requests (+317% against 2023)" in text
    assert "<strong>Grew:</strong> coder (new), assistant (+54%)" in text
    assert '1.8k<span class="req">15 req</span>' in text  # assistant in January
    assert "2 times" in text and "2 hours 30 minutes" in text
    assert "Backup-restore exercise</strong>, due 7 December" in text
    assert "on holiday" in text
    assert "459.00 USD" in text and "+165.00 USD" in text and "+56%" in text
    assert 'href="/ledger/annual/2023/"' in text and 'href="/ledger/annual/2025/"' in text
    assert 'aria-current="page">Annual review</a>' in text


def test_the_page_reads_a_bounded_number_of_queries(
    client, alice, bob, usage, watched, maintained, ledger, django_assert_max_num_queries
):
    review = review_task()
    for day in range(1, 29):  # more rows of every kind do not add queries
        use(date(2024, 5, day), bob, f"alias-{day}", 1, 10, 10)
        Completion.objects.create(task=review, completed=at(2024, 5, day), notes=f"Annual review of 2024\n\n{day}")
        Flip.objects.create(service=watched[0], created=at(2024, 5, day), old=State.UP, new=State.DOWN)
    signed_in(client, alice)
    # 28: the session, member and menu (9), the workloads (1), the uptime (4), maintenance (2),
    # the costs (7, the ledger's settings made on first read), the notes (3); however many rows.
    with django_assert_max_num_queries(28):
        assert client.get(reverse("ledger:annual_year", args=[2024])).status_code == 200


def test_an_empty_year_says_so_in_every_section(client, alice):
    text = page(client, alice, 2003)
    assert "Nothing was recorded for 2003" in text
    assert "Nobody used the models through the gateway in 2003." in text
    assert "No service was checked in 2003." in text
    assert "No maintenance was recorded in 2003." in text
    assert "No task was skipped in 2003." in text
    assert "The ledger has no costs yet" in text
    assert "No notes saved for 2003 yet." in text


def test_costs_outside_the_two_years_say_none_fell(client, alice, ledger):
    assert "No costs fell in 2003 or in 2002." in page(client, alice, 2003)


def test_the_year_defaults_to_this_one_or_last_year_in_january():
    assert annual.default_year(date(2026, 1, 31)) == 2025
    assert annual.default_year(date(2026, 2, 1)) == 2026
    assert annual.default_year(date(2026, 12, 31)) == 2026


def test_annual_without_a_year_shows_the_default_year(client, alice):
    response = signed_in(client, alice).get(reverse("ledger:annual"))
    assert f"Annual review {annual.default_year(timezone.localdate())}" in response.content.decode()


@pytest.mark.parametrize(("offset", "status"), [(0, 200), (1, 200), (2, 404)])
def test_years_after_next_are_not_found(client, alice, offset, status):
    year = timezone.localdate().year + offset
    assert signed_in(client, alice).get(reverse("ledger:annual_year", args=[year])).status_code == status


@pytest.mark.parametrize(("year", "status"), [(1999, 404), (2000, 200), (0, 404)])
def test_years_before_2000_are_not_found(client, alice, year, status):
    assert signed_in(client, alice).get(f"/ledger/annual/{year}/").status_code == status


def test_next_year_has_not_begun_and_takes_no_notes(client, alice):
    year = timezone.localdate().year + 1
    url = reverse("ledger:annual_year", args=[year])
    text = page(client, alice, year)
    assert f"{year} has not begun yet." in text and "<textarea" not in text
    assert signed_in(client, alice).post(url, {"notes": "Too early"}).status_code == 302
    assert not Completion.objects.exists()


def test_family_may_not_open_it(client, bob):
    assert signed_in(client, bob).get(reverse("ledger:annual_year", args=[2024])).status_code == 403


# --- 5. notes ---------------------------------------------------------------------------------------


def review_task(title: str = "Annual architecture review", **kwargs) -> MaintenanceTask:
    values = dict(
        category=TaskCategory.REVIEW, cadence=Cadence.ANNUALLY, starts=date(2023, 11, 28), estimate_minutes=180
    )
    values.update(kwargs)
    return MaintenanceTask.objects.create(title=title, next_due=date(2026, 11, 28), **values)


def save(client, user, year: int, **data):
    return signed_in(client, user).post(reverse("ledger:annual_year", args=[year]), data)


def test_the_notes_are_saved_as_a_completion_of_the_review_task_and_shown(client, alice):
    review = review_task()
    response = save(client, alice, 2024, notes="- Keep the **Studio**\n- Drop the paid fallback", hours="6.5")
    assert response.status_code == 302 and response["Location"] == "/ledger/annual/2024/#notes"
    completion = Completion.objects.get()
    assert completion.task == review and completion.by == alice
    assert completion.notes == "Annual review of 2024\n\n- Keep the **Studio**\n- Drop the paid fallback"
    assert completion.minutes == 390
    # A review of a past year recorded late leaves the next review where it was.
    assert completion.due == date(2024, 12, 31)
    review.refresh_from_db()
    assert review.next_due == date(2026, 11, 28)
    text = page(client, alice)
    assert "<li>Keep the <strong>Studio</strong></li>" in text
    assert "as a completion of" in text
    assert "Annual review of 2024" not in text.split('id="notes"')[1].split("<form")[0]  # the marker is not shown
    assert "No notes saved for 2023 yet." in page(client, alice, 2023)  # another year's notes are its own


def test_editing_adds_a_completion_that_counts_no_time_twice(client, alice):
    review_task()
    save(client, alice, 2024, notes="First thoughts", hours="")
    save(client, alice, 2024, notes="Decided: keep everything", hours="")
    first, second = Completion.objects.order_by("pk")
    assert (first.minutes, second.minutes) == (None, 0)  # the estimate counted once, by the first
    assert second.due == first.due
    text = page(client, alice)
    assert "<p>Decided: keep everything</p>" in text
    assert "Earlier versions (1)" in text
    assert "Decided: keep everything</textarea>" in text  # the form edits the newest


def test_notes_for_the_year_in_review_complete_the_occurrence_waiting(client, alice):
    year = timezone.localdate().year
    review = review_task(starts=date(year - 1, 1, 1))
    MaintenanceTask.objects.filter(pk=review.pk).update(next_due=date(year, 1, 1))
    save(client, alice, year, notes="Still the right size.")
    assert Completion.objects.get().due == date(year, 1, 1)
    review.refresh_from_db()
    assert review.next_due == date(year + 1, 1, 1)


def test_without_a_review_task_saving_creates_one(client, alice):
    text = page(client, alice)
    assert "The household has no annual review task" in text
    save(client, alice, 2024, notes="We need a review task.", hours="2")
    created = MaintenanceTask.objects.get()
    assert (created.title, created.cadence, created.category, created.estimate_minutes) == (
        "Annual architecture review",
        "annually",
        "review",
        960,
    )
    assert created.completions.get().notes == "Annual review of 2024\n\nWe need a review task."


def test_with_several_review_tasks_the_owner_chooses(client, alice):
    review_task("Annual architecture review")
    family = review_task("Family tech review")
    text = page(client, alice)
    assert "Which task this review completes" in text and "Family tech review</option>" in text
    save(client, alice, 2024, notes="Chosen.", task=str(family.pk))
    assert Completion.objects.get().task == family


def test_a_review_recorded_on_the_maintenance_page_shows_too(client, alice):
    review = review_task()
    Completion.objects.create(task=review, completed=at(2025, 1, 12, 10), notes="Done in January, for 2024.")
    Completion.objects.create(task=review, completed=at(2024, 1, 12, 10), notes="That was for 2023.")
    text = page(client, alice)
    assert "Recorded on the maintenance page" in text and "Done in January, for 2024." in text
    assert "That was for 2023." not in text


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"notes": "", "hours": "1"}, "Write what you decided"),
        ({"notes": "x", "hours": "30"}, "At most 24 hours fit one completion"),
        ({"notes": "x", "hours": "six"}, "Write the hours as a number, like 6 or 5.5."),
        ({"notes": "x" * 20_000}, "Keep the notes under 19,900 characters"),
    ],
)
def test_bad_notes_say_what_to_write_and_save_nothing(client, alice, data, words):
    review_task()
    response = save(client, alice, 2024, **data)
    assert response.status_code == 200 and words in response.content.decode()
    assert not Completion.objects.exists()


def test_notes_render_through_the_sanitising_markdown(client, alice):
    review_task()
    save(client, alice, 2024, notes="<script>alert(1)</script> and [a link](javascript:alert(1))")
    text = page(client, alice).split('id="notes"')[1].split("<form")[0]
    assert "<script>" not in text and "&lt;script&gt;" in text and "javascript:" not in text


# --- words ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "before", "words"),
    [
        (0, 0, ""),
        (5, 0, "new"),
        (0, 5, "stopped"),
        (100, 100, "same"),
        (1005, 1000, "+1%"),  # 0.5%, half-up
        (1004, 1000, "same"),  # 0.4% rounds to nothing
        (150, 100, "+50%"),
        (50, 100, "-50%"),
        (Decimal("135.00"), Decimal("120.00"), "+13%"),
    ],
)
def test_change_words(now, before, words):
    assert annual.change_words(now, before) == words


@pytest.mark.parametrize(
    ("count", "words"),
    [(0, "0"), (999, "999"), (1000, "1k"), (1049, "1k"), (1050, "1.1k"), (999_950, "1M"), (1_250_000, "1.3M")],
)
def test_compact_token_counts(count, words):
    assert annual.compact(count) == words
