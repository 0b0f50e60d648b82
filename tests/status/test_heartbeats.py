"""Pings from backup jobs and lateness as time passes."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.status import engine
from apps.status.models import Flip, Kind, Service, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def backup(db):
    return Service.objects.create(
        name="offsite", label="Off-site backup", kind=Kind.HEARTBEAT, ping_uuid=uuid.uuid4(), period=3600, grace=600
    )


def test_a_ping_answers_ok_without_sign_in_by_any_method(client, backup):
    for method in (client.get, client.post, client.head):
        response = method(f"/ping/{backup.ping_uuid}")
        assert response.status_code == 200
    assert client.get(f"/ping/{backup.ping_uuid}").content == b"OK\n"
    backup.refresh_from_db()
    assert backup.state == State.UP
    assert backup.last_ping_at is not None


def test_an_unknown_uuid_is_404(client, db):
    response = client.get(f"/ping/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.content == b"Not found\n"


def test_a_fail_ping_is_down_at_once_and_keeps_a_capped_body(client, backup):
    client.post(f"/ping/{backup.ping_uuid}", data=b"all good", content_type="text/plain")
    response = client.post(f"/ping/{backup.ping_uuid}/fail", data=b"x" * 20_000, content_type="text/plain")
    assert response.status_code == 200
    backup.refresh_from_db()
    assert backup.state == State.DOWN
    assert backup.message == "the last run reported a failure"
    assert len(backup.last_ping_body) == 10_000


def test_an_exit_status_says_which(client, backup):
    client.get(f"/ping/{backup.ping_uuid}/0")
    assert Service.objects.get(pk=backup.pk).state == State.UP
    client.get(f"/ping/{backup.ping_uuid}/2")
    backup.refresh_from_db()
    assert backup.state == State.DOWN
    assert backup.message == "the last run exited with status 2"


def test_lateness_with_time_travel(client, backup):
    client.get(f"/ping/{backup.ping_uuid}")
    now = timezone.now()
    engine.evaluate_heartbeats(now=now + timedelta(minutes=30))
    assert Service.objects.get(pk=backup.pk).state == State.UP
    engine.evaluate_heartbeats(now=now + timedelta(minutes=65))
    backup.refresh_from_db()
    assert backup.state == State.DEGRADED
    assert backup.message.startswith("late")
    engine.evaluate_heartbeats(now=now + timedelta(minutes=75))
    assert Service.objects.get(pk=backup.pk).state == State.DOWN
    assert [f.new for f in Flip.objects.filter(service=backup).order_by("created")] == [
        State.UP,
        State.DEGRADED,
        State.DOWN,
    ]


def test_a_start_without_a_finish_goes_down_after_the_grace(client, backup):
    client.get(f"/ping/{backup.ping_uuid}/start")
    now = timezone.now()
    engine.evaluate_heartbeats(now=now + timedelta(minutes=5))
    assert Service.objects.get(pk=backup.pk).message == "running now"
    engine.evaluate_heartbeats(now=now + timedelta(minutes=11))
    backup.refresh_from_db()
    assert backup.state == State.DOWN
    assert "did not finish" in backup.message


def test_pings_are_rate_limited(client, backup):
    from tests.fixtures.ports import inside_one_minute

    inside_one_minute()
    codes = [client.get(f"/ping/{backup.ping_uuid}").status_code for _ in range(65)]
    assert codes[:60] == [200] * 60
    assert codes[-1] == 429


def test_a_paused_heartbeat_records_pings_but_keeps_its_state(client, backup):
    from apps.status.services import service_pause

    service_pause(service=backup, paused=True)
    client.get(f"/ping/{backup.ping_uuid}/fail")
    backup.refresh_from_db()
    assert backup.state == State.PAUSED
    assert backup.last_ping_kind == "fail"


def test_a_run_that_finishes_too_fast_is_down(client, backup):
    Service.objects.filter(pk=backup.pk).update(min_duration=60)
    client.get(f"/ping/{backup.ping_uuid}/start")
    client.get(f"/ping/{backup.ping_uuid}")  # "succeeded" within a second
    backup.refresh_from_db()
    assert backup.state == State.DOWN
    assert backup.message == "the last run finished too fast to have done its work"


def test_a_run_of_normal_length_is_up(client, backup):
    from datetime import timedelta as td

    Service.objects.filter(pk=backup.pk).update(min_duration=60, last_start_at=timezone.now() - td(minutes=5))
    client.get(f"/ping/{backup.ping_uuid}")
    assert Service.objects.get(pk=backup.pk).state == State.UP


def test_a_ping_is_recorded_even_when_redis_is_down(client, backup, settings):
    from tests.fixtures.ports import free_port

    closed = free_port()
    settings.CACHES = {
        "default": {
            "BACKEND": "homeops.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed}/0",
        }
    }
    response = client.get(f"/ping/{backup.ping_uuid}")
    assert response.status_code == 200
    assert Service.objects.get(pk=backup.pk).state == State.UP


def test_a_steady_ping_through_the_view_is_one_statement_on_postgres(client, backup):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(f"/ping/{backup.ping_uuid}")  # unknown -> up: the full path, with a Flip
    with CaptureQueriesContext(connection) as queries:
        assert client.post(f"/ping/{backup.ping_uuid}", data=b"done", content_type="text/plain").status_code == 200
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    if connection.vendor == "postgresql":
        assert len(statements) == 1 and statements[0].startswith("UPDATE status_service")
    backup.refresh_from_db()
    assert (backup.state, backup.last_ping_body, backup.ping_minute_count) == (State.UP, "done", 2)
    assert Flip.objects.filter(service=backup).count() == 1


def test_the_rate_limit_counts_in_the_row_and_starts_again_each_minute(client, backup):
    from apps.status import services

    minute = timezone.now().replace(second=0, microsecond=0)
    service = Service(ping_minute=minute - timedelta(minutes=1), ping_minute_count=60)
    assert services.ping_count(service=service, minute=minute)
    assert (service.ping_minute, service.ping_minute_count) == (minute, 1)
    service.ping_minute_count = 59
    assert services.ping_count(service=service, minute=minute) and service.ping_minute_count == 60
    assert not services.ping_count(service=service, minute=minute) and service.ping_minute_count == 60


def deliver(backup: Service, at, signal: str = "success") -> int:
    """A ping stamped `at`, through the fast UPDATE on Postgres and the full path otherwise."""
    from apps.status import services

    return services.ping_answer(ping_uuid=str(backup.ping_uuid), signal=signal, body=b"", now=at)[0]


@pytest.mark.parametrize("new_minute_first", ["success", "start"])  # start: the late one takes the fast path
def test_a_late_ping_from_the_minute_before_does_not_reset_the_count(backup, new_minute_first):
    """Under load a ping stamped 12:00:59.9 can arrive after one stamped 12:01:00.1. It used to
    set the row's minute back, and the next ping of the new minute started counting again at 1:
    158 pings went through in two minutes that allow 120."""
    noon = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=1)
    assert [deliver(backup, noon + timedelta(seconds=30)) for _ in range(60)] == [200] * 60
    assert deliver(backup, noon + timedelta(seconds=30)) == 429
    assert deliver(backup, noon + timedelta(minutes=1, seconds=0.1), new_minute_first) == 200
    assert deliver(backup, noon + timedelta(seconds=59.9)) == 200  # late: counted in 12:01
    row = Service.objects.get(pk=backup.pk)
    assert (row.ping_minute, row.ping_minute_count) == (noon + timedelta(minutes=1), 2)
    codes = [deliver(backup, noon + timedelta(minutes=1, seconds=10)) for _ in range(60)]
    assert codes == [200] * 58 + [429] * 2


@pytest.mark.parametrize(("late", "stamped"), [("success", 1), ("fail", 1), ("start", -1)])
def test_a_late_ping_never_moves_the_last_ping_back(backup, late, stamped):
    """A ping older than the one of its kind already recorded is counted and changes nothing."""
    first = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    assert deliver(backup, first, "start") == 200
    assert deliver(backup, first + timedelta(seconds=2)) == 200
    before = Service.objects.get(pk=backup.pk)
    assert deliver(backup, first + timedelta(seconds=stamped), late) == 200
    after = Service.objects.get(pk=backup.pk)
    assert after.last_ping_at == before.last_ping_at == first + timedelta(seconds=2)
    assert after.last_start_at == before.last_start_at == first
    assert (after.last_ping_kind, after.state) == ("success", State.UP)
    assert after.ping_minute_count == before.ping_minute_count + 1
