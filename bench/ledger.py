"""The cost ledger with five years of a large household's costs: server time and queries.

Seeds (once; a later run finds the rows and reuses them) into the bench database:
150 cost items of every kind and category (one-offs with a useful life; monthly, quarterly
and yearly subscriptions with 2-5 price changes each; 3 electricity items; 4 cloud API items
linked to paid gateway backends with a token UsageEntry for every day of 5 years, ~7,300
rows; 20 usage items entered by hand each month), 10,000 charges over 5 years (one busy
month), 40 reviews, 30 creep alerts (5 open), and for the annual review the gateway's
UsageDay rows for 5 years x 6 members x 5 aliases, day rollups of 20 status-board services
for 2 years and maintenance completions.

Then measures as the owner, in-process through Django's whole middleware stack (test
client, signed in, as chat.py does), the server time (p50, p95, max; CPU of this process
at the median, steadier than wall time on a shared machine) and the SQL queries
of the ledger's pages, the CSV export of every charge (the whole body read), the owner's
dashboard (the creep panel), `manage.py ledger_report --json` (call_command), and the
creep check and the nightly token count (each in a transaction rolled back, so every
sample finds the same data; the token count counts yesterday, one day).
Yardstick: the portal's page target, p95 under 100 ms (bench/README.md, chat pages).

`--compare NAME=DIR` also runs this script from another checkout (e.g. a `git archive` of
an earlier commit with this file copied into its bench/) on the same seeded data, after this
tree's figures (before them with `--this-last`), and prints both side by side. `--queries
NAME` prints one sample's SQL grouped by statement (an N+1 shows as a count); `--profile
NAME` runs 5 samples under cProfile.

Usage: .venv/bin/python bench/ledger.py [--samples 30] [--compare NAME=DIR [--this-last]]
       [--queries NAME | --profile NAME]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, setup_django, speed, tree_state  # noqa: E402

PREFIX = "Bench "  # every seeded item's name starts with it
ITEMS, CHARGES, REVIEWS, ALERTS, OPEN_ALERTS = 150, 10_000, 40, 30, 5
YEARS = 5
MEMBERS, ALIASES = 6, ["assistant", "coder", "vision", "embed", "fallback"]
SERVICES, STATUS_DAYS = 20, 730
BUSY_EXTRA = 600  # charges added to one month on top of the even spread


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _stamp(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def seed(today: date) -> dict[str, object]:
    """Idempotent: each part is written when its rows are missing (or its count is off)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from apps.accounts.roles import Role
    from apps.accounts.services import groups_ensure, member_save
    from apps.gateway.models import AuditEntry, Backend, UsageDay
    from apps.ledger import figures
    from apps.ledger.models import (
        Category,
        Charge,
        CostItem,
        CreepAlert,
        ImportBatch,
        Kind,
        LedgerSettings,
        Period,
        Price,
        Review,
        ReviewItem,
        UsageEntry,
    )
    from apps.maintenance.models import Cadence, Completion, MaintenanceTask
    from apps.maintenance.models import Category as TaskCategory
    from apps.status.models import Flip, Host, Rollup, Service, State

    rng = random.Random(14)
    started = time.perf_counter()
    first_day = date(today.year - YEARS, today.month, 1)  # 5 years back, to this month
    groups_ensure()
    users = get_user_model()
    owner = users.objects.filter(username="bench-owner").first() or member_save(
        username="bench-owner", role=Role.OWNER, password="x" * 20
    )
    members = [owner]
    for n in range(1, MEMBERS):
        name = f"bench-member-{n}"
        members.append(
            users.objects.filter(username=name).first()
            or member_save(username=name, role=Role.FAMILY, password="x" * 20)
        )
    settings = LedgerSettings.load()
    settings.cloud_alternative = Decimal("480.00")
    settings.cloud_alternative_note = "six ChatGPT Plus seats, 4 TB of cloud storage and a VPS"
    settings.save()

    # --- status day rollups for 2 years, maintenance completions ----------------------------------
    # First: the other bench scripts TRUNCATE the status tables with CASCADE, which empties
    # ledger_costitem (CostItem.ups) and gateway_backend (Backend.service) too; then the
    # counts below find the ledger's rows missing and write them again.
    if Rollup.objects.filter(service__name__startswith="bench-svc-").count() != SERVICES * STATUS_DAYS:
        Service.objects.filter(name__startswith="bench-svc-").delete()
        host = Host.objects.get_or_create(name="bench-nas")[0]
        services = [
            Service.objects.create(
                name=f"bench-svc-{n}", label=f"Service {n}", kind="http", check_config={"url": "http://x"}, host=host
            )
            for n in range(SERVICES)
        ]
        Rollup.objects.bulk_create(
            Rollup(
                service=service,
                start=_stamp(today - timedelta(days=d), 0),
                up=1440 - (down := rng.choice([0] * 20 + [5, 60])),
                down=down,
                p50_ms=20.0,
                p95_ms=80.0,
                max_ms=300.0,
            )
            for service in services
            for d in range(1, STATUS_DAYS + 1)
        )
        Flip.objects.bulk_create(
            Flip(service=service, created=_stamp(today - timedelta(days=d), 3 + k), old=old, new=new)
            for service in services
            for d in range(5, STATUS_DAYS, 61)
            for k, (old, new) in enumerate(((State.UP, State.DOWN), (State.DOWN, State.UP)))
        )
        print(f"[seed] {SERVICES * STATUS_DAYS} status day rollups", flush=True)
    # --- items, prices, usage -------------------------------------------------------------------
    items = CostItem.objects.filter(name__startswith=PREFIX)
    fresh = False  # new items: the charges and reviews that name them are written again too
    if items.count() != ITEMS or not UsageEntry.objects.filter(item__in=items, source="tokens").exists():
        fresh = True
        with transaction.atomic():
            CostItem.objects.filter(name__startswith=PREFIX).delete()
            Backend.objects.filter(name__startswith="bench-cloud-").delete()
            backends = [
                Backend.objects.create(
                    name=f"bench-cloud-{n}",
                    base_url=f"https://api{n}.example.com/v1",
                    price_input_per_m=Decimal(["2.5", "3", "0.15", "1.1"][n]),
                    price_output_per_m=Decimal(["10", "15", "0.6", "4.4"][n]),
                )
                for n in range(4)
            ]
            rows: list[CostItem] = []
            span = (today - first_day).days

            def start_day() -> date:
                return first_day + timedelta(days=rng.randrange(0, span // 2))

            for n in range(3):
                rows.append(
                    CostItem(
                        name=f"{PREFIX}electricity {n}",
                        category=Category.ELECTRICITY,
                        kind=Kind.RECURRING,
                        start=first_day,
                        watts=Decimal(rng.randrange(15, 180)),
                    )
                )
            for n, backend in enumerate(backends):
                rows.append(
                    CostItem(
                        name=f"{PREFIX}cloud API {n}",
                        category=Category.CLOUD_API,
                        kind=Kind.USAGE,
                        start=first_day,
                        backend=backend,
                    )
                )
            usage_categories = [Category.CLOUD_API, Category.OTHER, Category.ELECTRICITY, Category.SUBSCRIPTION]
            for n in range(20):
                rows.append(
                    CostItem(
                        name=f"{PREFIX}usage {n}",
                        category=usage_categories[n % 4],
                        kind=Kind.USAGE,
                        start=first_day,
                        end=today - timedelta(days=400) if n % 7 == 6 else None,
                    )
                )
            one_off_categories = [Category.HARDWARE, Category.HARDWARE, Category.OTHER, Category.DOMAIN]
            for n in range(40):
                rows.append(
                    CostItem(
                        name=f"{PREFIX}one-off {n}",
                        vendor="Shop",
                        category=one_off_categories[n % 4],
                        kind=Kind.ONE_OFF,
                        start=start_day(),
                        life_months=rng.choice([12, 24, 36, 48, 60, 72]),
                        end=today - timedelta(days=200) if n % 11 == 10 else None,
                    )
                )
            recurring_categories = [
                Category.SUBSCRIPTION,
                Category.SUBSCRIPTION,
                Category.DOMAIN,
                Category.CLOUD_API,
                Category.HARDWARE,
                Category.OTHER,
            ]
            periods = [Period.MONTHLY, Period.MONTHLY, Period.QUARTERLY, Period.YEARLY]
            for n in range(ITEMS - len(rows)):
                rows.append(
                    CostItem(
                        name=f"{PREFIX}recurring {n}",
                        vendor=f"Vendor {n % 17}",
                        category=recurring_categories[n % 6],
                        kind=Kind.RECURRING,
                        period=periods[n % 4],
                        start=start_day(),
                        end=today - timedelta(days=rng.randrange(30, 500)) if n % 9 == 8 else None,
                        notes="Renews automatically; the **family plan**.",
                    )
                )
            created = CostItem.objects.bulk_create(rows)
            prices: list[Price] = []
            for item in created:
                if item.kind == Kind.USAGE or item.category == Category.ELECTRICITY:
                    continue
                base = Decimal(rng.randrange(300, 200_000)) / 100
                currency, rate = ("EUR", Decimal("1.08")) if rng.random() < 0.2 else ("USD", Decimal(1))
                prices.append(Price(item=item, amount=base, currency=currency, rate=rate, since=item.start))
                if item.kind == Kind.RECURRING:
                    changes = rng.randint(2, 5)
                    last = item.end or today + timedelta(days=60)  # a change announced for next month
                    days = sorted(rng.sample(range(1, (last - item.start).days), changes))
                    for day in days:
                        base = (base * Decimal(rng.choice(["1.05", "1.1", "1.2", "0.9"]))).quantize(Decimal("0.01"))
                        since = item.start + timedelta(days=day)
                        prices.append(Price(item=item, amount=base, currency=currency, rate=rate, since=since))
            Price.objects.bulk_create(prices)
            usage: list[UsageEntry] = []
            for item in created:
                if item.kind != Kind.USAGE:
                    continue
                if item.backend_id:
                    backend = item.backend
                    for day in _days(first_day, today - timedelta(days=2)):  # yesterday: counted by the bench
                        prompt, completion = rng.randrange(0, 900_000), rng.randrange(0, 200_000)
                        amount = (
                            Decimal(prompt) / 1_000_000 * backend.price_input_per_m
                            + Decimal(completion) / 1_000_000 * backend.price_output_per_m
                        ).quantize(Decimal("0.0001"))
                        usage.append(
                            UsageEntry(
                                item=item,
                                day=day,
                                source="tokens",
                                amount=amount,
                                currency="USD",
                                prompt_tokens=prompt,
                                completion_tokens=completion,
                                note=f"{prompt:,} input and {completion:,} output tokens",
                            )
                        )
                else:
                    month = first_day
                    while month <= today and (item.end is None or month <= item.end):
                        day = min(figures.month_end(month), today)
                        amount = Decimal(rng.randrange(100, 9000)) / 100
                        usage.append(UsageEntry(item=item, day=day, amount=amount, currency="USD", note="bill"))
                        month = figures.add_months(month, 1)
            UsageEntry.objects.bulk_create(usage, batch_size=5000)
            with connection.cursor() as cursor:  # what the rows would say had they been entered over the years
                cursor.execute(
                    "UPDATE ledger_costitem SET created = start + time '09:00', updated = start + time '09:00' "
                    "WHERE name LIKE %s",
                    [PREFIX + "%"],
                )
                cursor.execute(
                    'UPDATE ledger_costitem SET updated = "end" + time \'09:00\' WHERE name LIKE %s AND "end" IS NOT NULL',
                    [PREFIX + "%"],
                )
                cursor.execute("UPDATE ledger_price SET created = since - 3 + time '09:00'")
        print(f"[seed] {ITEMS} items, {len(prices)} prices, {len(usage)} usage entries", flush=True)

    # --- charges ------------------------------------------------------------------------------
    items = list(CostItem.objects.filter(name__startswith=PREFIX))
    busy = figures.add_months(figures.month_start(today), -1)
    if fresh or Charge.objects.count() != CHARGES:
        with transaction.atomic():
            Charge.objects.all().delete()
            ImportBatch.objects.all().delete()
            batches = [
                ImportBatch.objects.create(
                    filename=f"bank-{n}.csv", content="date,amount\n", status="saved", saved_rows=100
                )
                for n in range(24)
            ]
            span = (today - first_day).days
            charges = []
            for n in range(CHARGES):
                day = (
                    first_day + timedelta(days=rng.randrange(span))
                    if n < CHARGES - BUSY_EXTRA
                    else busy + timedelta(days=rng.randrange(28))
                )
                imported = rng.random() < 0.6
                charges.append(
                    Charge(
                        item=None if rng.random() < 0.05 else rng.choice(items),
                        day=day,
                        amount=Decimal(rng.randrange(100, 50_000)) / 100,
                        currency="USD",
                        description=f"CARD PAYMENT {n} VENDOR {n % 97}",
                        source="import" if imported else "manual",
                        batch=rng.choice(batches) if imported else None,
                    )
                )
            Charge.objects.bulk_create(charges, batch_size=5000)
            with connection.cursor() as cursor:
                cursor.execute("UPDATE ledger_charge SET created = day + time '10:00'")
        print(f"[seed] {CHARGES} charges", flush=True)

    # --- reviews and creep alerts -------------------------------------------------------------
    if fresh or Review.objects.count() != REVIEWS or CreepAlert.objects.count() != ALERTS:
        with transaction.atomic():
            Review.objects.all().delete()
            CreepAlert.objects.all().delete()
            recurring = [item for item in items if item.kind == Kind.RECURRING]
            decisions = []
            for n in range(REVIEWS):
                day = today - timedelta(days=45 + (REVIEWS - 1 - n) * 45)  # the last 45 days ago
                bills = n % 2 == 0
                review = Review.objects.create(
                    kind="bills" if bills else "acknowledged",
                    created=_stamp(day),
                    by=owner,
                    baseline=Decimal(rng.randrange(150_000, 250_000)) / 100,
                    notes="Dropped the second streaming plan." if bills else "",
                )
                if bills:
                    for item in recurring:
                        if item.start <= day and (item.end is None or item.end >= day):
                            decision = rng.choice(["keep"] * 8 + ["cancel", "price_changed"])
                            decisions.append(
                                ReviewItem(
                                    review=review,
                                    item=item,
                                    item_name=item.name,
                                    decision=decision,
                                    new_amount=Decimal("12.99") if decision == "price_changed" else None,
                                    note="cheaper plan" if decision == "price_changed" else "",
                                )
                            )
            ReviewItem.objects.bulk_create(decisions, batch_size=5000)
            for n in range(ALERTS):
                is_open = n >= ALERTS - OPEN_ALERTS
                day = today - timedelta(days=(ALERTS - n) * 50 if not is_open else ALERTS - n)
                reason = ["growth", "new_item", "price_change"][n % 3]
                CreepAlert.objects.create(
                    created=_stamp(day),
                    reason=reason,
                    key=f"{reason}:{n}" if reason != "growth" or not is_open else "growth",
                    message=f"Bench alert {n}: the run rate grew.",
                    run_rate=Decimal("2100.00"),
                    baseline=Decimal("1900.00"),
                    reviewed=None if is_open else _stamp(day + timedelta(days=3)),
                )
        print(f"[seed] {REVIEWS} reviews ({len(decisions)} decisions), {ALERTS} creep alerts", flush=True)

    # --- the gateway's usage (annual review) and yesterday's audit log (token count) ---------------
    usage_days = _days(first_day, today - timedelta(days=1))
    expected = len(usage_days) * MEMBERS * len(ALIASES)
    if UsageDay.objects.filter(member__username__startswith="bench-").count() != expected:
        UsageDay.objects.all().delete()
        rows = [
            UsageDay(
                day=day,
                member=member,
                alias=alias,
                requests=rng.randrange(0, 80),
                prompt_tokens=rng.randrange(0, 400_000),
                completion_tokens=rng.randrange(0, 80_000),
            )
            for day in usage_days
            for member in members
            for alias in ALIASES
        ]
        UsageDay.objects.bulk_create(rows, batch_size=10_000)
        print(f"[seed] {len(rows)} UsageDay rows", flush=True)
    yesterday = today - timedelta(days=1)
    backend_names = [f"bench-cloud-{n}" for n in range(4)]
    if not AuditEntry.objects.filter(backend__in=backend_names, created__date=yesterday).exists():
        AuditEntry.objects.bulk_create(
            AuditEntry(
                created=_stamp(yesterday, rng.randrange(0, 23)),
                member=rng.choice(members),
                endpoint="chat",
                alias="fallback",
                backend=rng.choice(backend_names),
                status=200,
                prompt_tokens=rng.randrange(100, 9000),
                completion_tokens=rng.randrange(10, 2000),
            )
            for _ in range(2000)
        )

    if not MaintenanceTask.objects.filter(title__startswith=PREFIX).exists():
        tasks = [
            MaintenanceTask.objects.create(
                title=f"{PREFIX}task {n}",
                category=[TaskCategory.BACKUP, TaskCategory.UPDATE, TaskCategory.SECURITY][n % 3],
                cadence=[Cadence.MONTHLY, Cadence.QUARTERLY][n % 2],
                starts=first_day,
                estimate_minutes=60,
            )
            for n in range(8)
        ]
        review_task = MaintenanceTask.objects.create(
            title=f"{PREFIX}Annual architecture review",
            category=TaskCategory.REVIEW,
            cadence=Cadence.ANNUALLY,
            starts=first_day,
            estimate_minutes=16 * 60,
        )
        completions = [
            Completion(task=task, completed=_stamp(day, 10), minutes=rng.randrange(20, 120), by=owner)
            for task in tasks
            for day in _days(first_day, today)[:: 30 if task.cadence == Cadence.MONTHLY else 91]
        ]
        completions += [
            Completion(
                task=review_task,
                completed=_stamp(date(year, 11, 20), 10),
                minutes=600,
                by=owner,
                notes=f"Annual review of {year}\n\nKept the stack; dropped one plan.",
            )
            for year in range(first_day.year, today.year)
        ]
        Completion.objects.bulk_create(completions)
        print(f"[seed] {len(completions)} maintenance completions", flush=True)

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"[seed] ready in {time.perf_counter() - started:.0f} s", flush=True)
    busiest_cloud = max(
        (item for item in items if item.backend_id),
        key=lambda item: UsageEntry.objects.filter(item=item).count(),
    )
    return {"owner": owner, "busy_month": busy, "cloud_item": busiest_cloud}


def pct(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, round(share * (len(values) - 1)))]


def targets(seeded: dict[str, object], today: date) -> dict[str, object]:
    """Name -> a URL (GET as the owner) or a callable."""
    from django.core.management import call_command
    from django.db import transaction

    from apps.ledger import creep, tokens

    def report() -> int:
        out = io.StringIO()
        call_command("ledger_report", "--json", stdout=out)
        return len(out.getvalue())

    def rolled_back(function):  # noqa: ANN001, ANN202
        def run() -> int:
            with transaction.atomic():
                found = function()
                transaction.set_rollback(True)
            return len(found)

        return run

    busy = seeded["busy_month"]
    item = seeded["cloud_item"]
    return {
        "/ledger/ (overview)": "/ledger/",
        "/ledger/items/": "/ledger/items/",
        "/ledger/items/<busiest cloud item>/": f"/ledger/items/{item.pk}/",  # type: ignore[attr-defined]
        f"/ledger/charges/?month={busy:%Y-%m} (busy)": f"/ledger/charges/?month={busy:%Y-%m}",
        "/ledger/reviews/": "/ledger/reviews/",
        f"/ledger/annual/{today.year - 1}/": f"/ledger/annual/{today.year - 1}/",
        "/ledger/export/charges.csv": "/ledger/export/charges.csv",
        "/ (owner's dashboard)": "/",
        "ledger_report --json": report,
        "creep.check()": rolled_back(creep.check),
        "tokens.count_since_last()": rolled_back(tokens.count_since_last),
    }


def measure_one(client, target, samples: int) -> dict[str, float | int]:  # noqa: ANN001
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, cpu, queries, size = [], [], 0, 0
    for _ in range(samples):
        connection.queries_log.clear()  # a full log (9,000) would count nothing new
        with CaptureQueriesContext(connection) as captured:
            started, cpu_started = time.perf_counter(), time.process_time()
            if callable(target):
                size = target()
            else:
                response = client.get(target)
                assert response.status_code == 200, (target, response.status_code)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                size = len(body)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        queries = len(captured)
    times.sort()
    cpu.sort()
    return {
        "p50": pct(times, 0.5),
        "p95": pct(times, 0.95),
        "max": times[-1],
        "cpu": pct(cpu, 0.5),  # this process only: Python's share, not Postgres'
        "queries": queries,
        "size": size,
    }


def print_queries(client, target) -> None:  # noqa: ANN001
    """One sample's SQL, grouped by statement with its numbers taken out: an N+1 shows as a count."""
    import re
    from collections import Counter

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        measure_one(client, target, 1)
    shapes = Counter(re.sub(r"\b\d+(\.\d+)?\b|'[^']*'", "?", query["sql"])[:160] for query in captured)
    for shape, count in shapes.most_common():
        print(f"{count:5d}  {shape}")


def measure(
    samples: int, only: str | None = None, profile: str | None = None, queries: str | None = None
) -> dict[str, dict]:
    from django.test import Client
    from django.utils import timezone

    today = timezone.localdate()
    seeded = seed(today)
    client = Client()
    client.force_login(seeded["owner"], backend="django.contrib.auth.backends.ModelBackend")
    found = targets(seeded, today)
    for target in found.values():  # warm up: imports, templates, caches
        if not callable(target):
            client.get(target)
    if queries:
        print_queries(client, found[queries])
        return {}
    if profile:
        import cProfile
        import pstats

        target = found[profile]
        profiler = cProfile.Profile()
        profiler.enable()
        measure_one(client, target, 5)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        return {}
    return {name: measure_one(client, target, samples) for name, target in found.items() if only in (None, name)}


def table(columns: dict[str, dict[str, dict]]) -> None:
    names = list(next(iter(columns.values())))
    head = " | ".join(
        f"{label} p50 | {label} p95 | {label} max | {label} CPU p50 | {label} queries" for label in columns
    )
    print(f"\n| what | {head} | size |")
    print("| --- |" + " --- |" * (5 * len(columns) + 1))
    for name in names:
        cells = []
        for found in columns.values():
            row = found.get(name)
            cells.append(
                f"{row['p50']:.1f} ms | {row['p95']:.1f} ms | {row['max']:.1f} ms | {row.get('cpu', 0):.1f} ms | "
                f"{row['queries']}"
                if row
                else "– | – | – | – | –"
            )
        size = next(found[name]["size"] for found in columns.values() if name in found)
        print(f"| {name} | {' | '.join(cells)} | {size:,} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--profile", help="cProfile 5 samples of one row's target (its name in the table)")
    parser.add_argument("--queries", help="print one sample's SQL statements of one row's target, grouped")
    parser.add_argument("--compare", action="append", default=[], help="NAME=DIR: the same run from another checkout")
    parser.add_argument("--this-last", action="store_true", help="measure the --compare checkouts first")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (for --compare)")
    args = parser.parse_args()
    setup_django(ALLOWED_HOSTS="testserver,127.0.0.1")
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    if args.json:
        print("JSON " + json.dumps(measure(args.samples)), flush=True)
        return
    print(f"[bench] {machine()}; {tree_state()}; {speed()}", flush=True)
    if args.profile or args.queries:
        measure(args.samples, profile=args.profile, queries=args.queries)
        return
    columns: dict[str, dict[str, dict]] = {}
    runs = [("this tree", None), *(tuple(spec.split("=", 1)) for spec in args.compare)]
    if args.this_last:
        runs = runs[1:] + runs[:1]
    for label, directory in runs:
        if directory is None:
            columns[label] = measure(args.samples)
        else:
            script = Path(directory) / "bench" / "ledger.py"
            out = subprocess.run(
                [sys.executable, str(script), "--samples", str(args.samples), "--json"],
                cwd=directory,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            columns[label] = json.loads(next(line for line in out.splitlines() if line.startswith("JSON "))[5:])
        print(f"[bench] {label} measured; load average {os.getloadavg()[0]:.2f}; {speed()}", flush=True)
    table(columns)
    print(f"\n[bench] end: {machine()}; {speed()}")


if __name__ == "__main__":
    main()
