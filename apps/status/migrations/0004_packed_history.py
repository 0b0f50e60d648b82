"""History packed by the hour and by the day (apps/status/packing.py), and no index that
another one covers. Existing history is converted:

* Hourly rollups become the hour slots of their service's day row; the daily rollup of that
  day becomes its totals (or they are summed from the slots where there was none yet).
* Raw results stay unpacked: the next hourly run packs them and rolls their hours up again,
  so the hourly rollups they cover are dropped here. A service's oldest raw hour is partly
  pruned already: it keeps its hourly rollup, and its few remaining raw results go.

Reversible: back to one Rollup row per hour and per day, and one Result row per check.
"""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Min

from apps.status.packing import (
    HOUR,
    Figures,
    day_start,
    day_totals,
    hour_of,
    pack_hours,
    slot_hour,
    slot_of,
    unpack_checks,
    unpack_hours,
)

FIGURE_FIELDS = ("up", "degraded", "down", "p50_ms", "p95_ms", "max_ms")


def _constraints_now(schema_editor):
    # Postgres will not ALTER a table with pending deferred foreign-key checks.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def pack(apps, schema_editor):
    Result = apps.get_model("status", "Result")
    Rollup = apps.get_model("status", "Rollup")
    service_ids = set(Rollup.objects.values_list("service_id", flat=True).distinct())
    service_ids |= set(Result.objects.values_list("service_id", flat=True).distinct())
    for service_id in service_ids:
        rolled_until = None  # hourly rollups from here on are rolled up again from raw results
        first = Result.objects.filter(service_id=service_id).aggregate(first=Min("at"))["first"]
        if first is not None:
            oldest = hour_of(first)
            if Rollup.objects.filter(service_id=service_id, period="hour", start=oldest).exists():
                Result.objects.filter(service_id=service_id, at__lt=oldest + HOUR).delete()
                rolled_until = oldest + HOUR
            else:
                rolled_until = oldest
        slots: dict = defaultdict(dict)
        short = set()  # days whose hours come back from raw results: totals from the slots
        for row in Rollup.objects.filter(service_id=service_id, period="hour").values_list("start", *FIGURE_FIELDS):
            start = day_start(row[0])
            if rolled_until is not None and row[0] >= rolled_until:
                short.add(start)
            else:
                slots[start][slot_of(row[0], start)] = Figures(*row[1:])
        daily = {
            row[0]: Figures(*row[1:])
            for row in Rollup.objects.filter(service_id=service_id, period="day").values_list("start", *FIGURE_FIELDS)
        }
        rows = []
        for start in sorted(set(slots) | set(daily) | short):
            hours = [None] * (max(slots[start], default=-1) + 1)
            for index, figures in slots[start].items():
                hours[index] = figures
            totals = daily[start] if start in daily and start not in short else day_totals(hours)
            rows.append(
                Rollup(
                    service_id=service_id,
                    period="day",
                    start=start,
                    hours=pack_hours(hours) if hours else None,
                    **totals._asdict(),
                )
            )
        Rollup.objects.filter(service_id=service_id).delete()
        Rollup.objects.bulk_create(rows, batch_size=500)
    _constraints_now(schema_editor)


def unpack(apps, schema_editor):
    Result = apps.get_model("status", "Result")
    ResultHour = apps.get_model("status", "ResultHour")
    Rollup = apps.get_model("status", "Rollup")
    for row in ResultHour.objects.order_by("pk").iterator(chunk_size=200):
        Result.objects.bulk_create(
            Result(service_id=row.service_id, at=c.at, outcome=c.outcome, latency_ms=c.latency_ms, message=c.message)
            for c in unpack_checks(row.hour, bytes(row.checks), row.messages)
        )
    ResultHour.objects.all().delete()
    Rollup.objects.update(period="day")
    hourly = []
    for service_id, start, data in Rollup.objects.exclude(hours=None).values_list("service_id", "start", "hours"):
        for index, figures in enumerate(unpack_hours(bytes(data))):
            if figures is not None:
                hourly.append(
                    Rollup(service_id=service_id, period="hour", start=slot_hour(start, index), **figures._asdict())
                )
    Rollup.objects.bulk_create(hourly, batch_size=500)
    _constraints_now(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("status", "0003_heartbeat_min_duration"),
    ]

    operations = [
        migrations.CreateModel(
            name="ResultHour",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("hour", models.DateTimeField()),
                ("checks", models.BinaryField()),
                ("messages", models.TextField()),
                (
                    "service",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="result_hours",
                        to="status.service",
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("service", "hour"), name="result_hour_once")],
            },
        ),
        migrations.AddField(
            model_name="rollup",
            name="hours",
            field=models.BinaryField(null=True),
        ),
        migrations.RemoveIndex(
            model_name="result",
            name="status_resu_service_0187b7_idx",
        ),
        migrations.RemoveIndex(
            model_name="result",
            name="status_resu_at_62ecf4_idx",
        ),
        migrations.AlterField(
            model_name="result",
            name="service",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="results",
                to="status.service",
            ),
        ),
        migrations.AlterField(
            model_name="flip",
            name="service",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="flips",
                to="status.service",
            ),
        ),
        migrations.RunPython(pack, unpack),
        migrations.RemoveConstraint(
            model_name="rollup",
            name="rollup_once",
        ),
        # A default first, so that undoing the removal can fill the column.
        migrations.AlterField(
            model_name="rollup",
            name="period",
            field=models.CharField(choices=[("hour", "Hour"), ("day", "Day")], default="day", max_length=4),
        ),
        migrations.RemoveField(
            model_name="rollup",
            name="period",
        ),
        migrations.AlterField(
            model_name="rollup",
            name="service",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="rollups",
                to="status.service",
            ),
        ),
        migrations.AddConstraint(
            model_name="rollup",
            constraint=models.UniqueConstraint(fields=("service", "start"), name="rollup_once"),
        ),
    ]
