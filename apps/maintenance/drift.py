"""Patch drift: every service's reported version and how long it has not changed, for the
monthly patch review, so a service that falls behind is seen before it breaks.

The status poller (apps/status/engine.record) keeps each service's last reported version and
`version_since`, the moment it first reported that version; that moment moves only when the
version changes. A version already running when HomeOps started watching has been unchanged
at least that long, which is what the page says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from apps.status.models import Kind, Service

# Half a year without a new version: most projects the household runs ship security fixes
# more often than that, so a version this old deserves a look at the review.
STALE_AFTER = timedelta(days=180)


@dataclass(frozen=True)
class VersionRow:
    service: Service
    version: str
    since: datetime | None
    age: timedelta | None
    stale: bool


@dataclass(frozen=True)
class Drift:
    rows: list[VersionRow]  # services reporting a version, the longest unchanged first
    silent: list[Service]  # polled services that report no version
    stale_count: int


def versions(*, now: datetime) -> Drift:
    services = list(Service.objects.exclude(kind=Kind.HEARTBEAT).select_related("host"))
    rows = []
    for service in services:
        if not service.version:
            continue
        since = service.version_since
        age = now - since if since else None
        rows.append(VersionRow(service, service.version, since, age, stale=age is not None and age >= STALE_AFTER))
    # The longest unchanged first; a version without a date (never in practice) last.
    rows.sort(key=lambda row: (row.since is None, row.since or now, row.service.label))
    silent = sorted((s for s in services if not s.version), key=lambda s: s.label)
    return Drift(rows=rows, silent=silent, stale_count=sum(row.stale for row in rows))
