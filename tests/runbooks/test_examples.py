"""The example household's runbooks: loaded once by bootstrap --example, linked to the
example's machines and services, steps a friend can tick, and no secret-shaped lines."""

from __future__ import annotations

from django.core.management import call_command

from apps.runbooks import examples, rendering, secrets
from apps.runbooks.models import Runbook


def test_bootstrap_loads_the_example_runbooks_once_with_their_links(db):
    call_command("bootstrap", "--example", "--no-input")
    slugs = set(Runbook.objects.values_list("slug", flat=True))
    assert slugs == {"restart-ollama", "nas-full", "ups-on-battery", "restore-from-snapshot", "chat-is-down"}
    ollama = Runbook.objects.get(slug="restart-ollama")
    assert [s.name for s in ollama.services.all()] == ["studio-ollama"] and ollama.hosts.get().name == "Studio"
    revision = ollama.revisions.get()
    assert (revision.source, revision.author.username) == ("example", "owner")
    call_command("bootstrap", "--example", "--no-input")
    assert Runbook.objects.count() == 5 and all(r.revision == 1 for r in Runbook.objects.all())


def test_each_example_has_steps_and_no_secrets():
    for example in examples.EXAMPLES:
        assert secrets.find(example.body) == [], example.slug
        assert str(rendering.render(example.body)).count('<li class="step">') >= 5, example.slug


def test_the_example_handover_names_its_key_runbooks_once_they_exist(db):
    from apps.handover.models import Handover

    call_command("bootstrap", "--example", "--no-input")
    handover = Handover.objects.get(title="Christmas 2026")
    keys = [k.runbook.slug for k in handover.key_runbooks.select_related("runbook").order_by("order")]
    assert keys[:2] == ["ups-on-battery", "chat-is-down"] and len(keys) == 5
    rows = {row.when.split(" ")[1]: row.runbook.slug if row.runbook else None for row in handover.if_then.all()}
    assert rows["chat"] == "chat-is-down" and rows["power"] == "ups-on-battery" and rows["internet"] is None
    call_command("bootstrap", "--example", "--no-input")
    assert handover.key_runbooks.count() == 5
