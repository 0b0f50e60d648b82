"""The `runbooks` section: export and import round-trip, links by name, re-imports make a
revision only when the body changed (source: import), errors at the file's path and line,
the per-body limit, and secret-shaped bodies refused unless the entry keeps them."""

from __future__ import annotations

import yaml

from apps.core import config
from apps.runbooks.models import BODY_LIMIT, Runbook
from apps.status.models import Host, Kind, Service

DOC = """\
version: 1
hosts:
  - name: Studio
services:
  - name: studio-ollama
    host: Studio
    check: {kind: tcp, host: studio.home.arpa, port: 11434}
runbooks:
  - slug: restart-ollama
    title: Restart Ollama on the Studio
    audience: caretaker
    tags: [studio, chat]
    hosts: [Studio]
    services: [studio-ollama]
    review_days: 90
    body: |
      - [ ] Open the Studio
      - [ ] Restart Ollama from the menu bar
"""


def imported(text: str) -> config.ImportResult:
    result = config.import_text(text)
    assert result.ok, result.errors
    return result


def test_an_import_creates_the_runbook_with_its_links_and_first_revision(db):
    imported(DOC)
    runbook = Runbook.objects.get(slug="restart-ollama")
    assert (runbook.audience, runbook.tags, runbook.review_days) == ("caretaker", ["studio", "chat"], 90)
    assert [h.name for h in runbook.hosts.all()] == ["Studio"]
    assert [s.name for s in runbook.services.all()] == ["studio-ollama"]
    revision = runbook.revisions.get()
    assert (revision.number, revision.source, revision.author) == (1, "import", None)


def test_export_and_import_round_trip(db):
    imported(DOC)
    exported = config.export_text()
    assert yaml.safe_load(exported)["runbooks"][0]["body"].startswith("- [ ] Open the Studio")
    result = imported(exported)
    assert result.counts["runbooks"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert Runbook.objects.get().revisions.count() == 1


def test_a_reimport_that_changes_the_body_makes_one_revision_by_the_import(db, alice):
    imported(DOC)
    imported(DOC.replace("from the menu bar", "with brew services restart ollama"))
    runbook = Runbook.objects.get()
    assert runbook.revision == 2
    newest = runbook.revisions.get(number=2)
    assert (newest.source, newest.author, newest.note) == ("import", None, "From the configuration file")
    imported(DOC.replace("from the menu bar", "with brew services restart ollama").replace("90", "60"))
    assert Runbook.objects.get().revisions.count() == 2  # only the interval changed: no revision


def test_changing_only_the_links_counts_as_updated(db):
    imported(DOC)
    result = imported(DOC.replace("    services: [studio-ollama]\n", ""))
    assert result.counts["runbooks"]["updated"] == 1 and not Runbook.objects.get().services.exists()


def test_errors_name_the_path_and_line(db):
    bad = DOC.replace("audience: caretaker", "audience: everyone").replace("tags: [studio, chat]", "tags: [Studio!]")
    bad = bad.replace("services: [studio-ollama]", "services: [nope]").replace("slug: restart-ollama", "slug: new")
    result = config.import_text(bad)
    messages = [str(e) for e in result.errors]
    assert any(m.startswith("runbooks[0].audience: must be one of owner, household, caretaker") for m in messages)
    assert any(m.startswith("runbooks[0].tags: “studio!” is not a tag") for m in messages)
    assert any(m.startswith("runbooks[0].services: no service named 'nope'") and "line 14" in m for m in messages)
    assert any(m.startswith("runbooks[0].slug: “new” is a page of its own") for m in messages)
    assert not Runbook.objects.exists()


def test_a_body_over_the_limit_is_reported_at_its_path(db):
    big = "x" * (BODY_LIMIT + 1)
    text = yaml.safe_dump({"runbooks": [{"slug": "big", "title": "Big", "body": big}]})
    result = config.import_text(text)
    assert [e.path for e in result.errors] == ["runbooks[0].body"] and result.errors[0].line
    assert "at most 100000 characters" in result.errors[0].message
    assert not Runbook.objects.exists()


def test_a_secret_shaped_body_is_refused_unless_the_entry_keeps_it(db):
    secret = DOC.replace("- [ ] Open the Studio", "- [ ] Sign in, password: hunter2hunter2")
    result = config.import_text(secret)
    assert [e.path for e in result.errors] == ["runbooks[0].body"]
    assert "body line 1 looks like it holds a password" in result.errors[0].message
    kept = secret.replace("    review_days: 90\n", "    review_days: 90\n    secret_override: true\n")
    imported(kept)
    assert Runbook.objects.get().secret_override
    assert "secret_override: true" in config.export_text()
    assert imported(config.export_text()).counts["runbooks"]["unchanged"] == 1


def test_a_service_linked_by_name_from_the_portal(db):
    Service.objects.create(name="nas", label="NAS", kind=Kind.TCP, check_config={"host": "x", "port": 1})
    Host.objects.create(name="NAS")
    imported("runbooks:\n  - slug: nas-full\n    title: The NAS is full\n    services: [nas]\n    hosts: [NAS]\n")
    runbook = Runbook.objects.get()
    assert runbook.services.get().name == "nas" and runbook.audience == "household" and runbook.review_days == 180
