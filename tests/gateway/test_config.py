"""The backends, routes and policies sections: import, export, errors with their lines,
and the example household's reference stack."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command

from apps.core import config
from apps.gateway import secrets
from apps.gateway.models import Backend, Policy, Route

pytestmark = pytest.mark.django_db

DOCUMENT = """
members:
  - {username: sam, name: Sam, role: family}
services:
  - name: studio-ollama
    label: Studio
    check: {kind: ollama, url: "http://127.0.0.1:9"}
backends:
  - name: studio
    kind: ollama
    base_url: http://127.0.0.1:11434
    api_key_env: STUDIO_KEY
    service: studio-ollama
  - {name: macbook, base_url: "http://127.0.0.1:8080/v1"}
routes:
  - alias: assistant
    description: Everyday questions
    targets:
      - {backend: studio, model: "llama3.1:8b", max_tokens: 2048, context: 8192}
      - {backend: macbook, model: "llama3.2:3b"}
policies:
  - role: family
    aliases: [assistant]
    daily_tokens: 200000
    max_streams: 2
  - member: sam
    quiet_from: "22:00"
    quiet_until: "07:00"
"""


def test_import_then_export_round_trips():
    result = config.import_text(DOCUMENT)
    assert not result.errors, result.errors
    studio = Backend.objects.get(name="studio")
    assert (studio.kind, studio.api_key_env, studio.service.name) == ("ollama", "STUDIO_KEY", "studio-ollama")
    route = Route.objects.get(alias="assistant")
    assert [(t.backend.name, t.model, t.position) for t in route.targets.all()] == [
        ("studio", "llama3.1:8b", 0),
        ("macbook", "llama3.2:3b", 1),
    ]
    family = Policy.objects.get(role="family")
    assert (family.aliases, family.daily_tokens, family.max_streams) == (["assistant"], 200000, 2)
    assert Policy.objects.get(member__username="sam").quiet_from.hour == 22
    exported = yaml.safe_load(config.export_text())
    again = config.import_text(yaml.safe_dump(exported))
    assert not again.errors
    assert again.counts["routes"]["unchanged"] == 1 and again.counts["backends"]["unchanged"] == 2
    assert again.counts["policies"]["unchanged"] == 2


def test_a_typed_in_key_is_never_exported():
    config.import_text(DOCUMENT)
    backend = Backend.objects.get(name="macbook")
    backend.api_key_encrypted = secrets.encrypt("sk-very-secret")
    backend.save()
    text = config.export_text()
    assert "sk-very-secret" not in text and backend.api_key_encrypted not in text


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            "backends:\n  - {name: a, base_url: ftp://x}\n",
            "backends[0].base_url: Write the backend's whole address, starting with http:// or https://: "
            "like http://studio.home.arpa:11434 for Ollama, http://studio.home.arpa:8080/v1 for an "
            "OpenAI-compatible server., line 2",
        ),
        ("backends:\n  - {name: a, base_url: 'http://x', api_key_env: 'sk-123'}\n", "backends[0].api_key_env:"),
        ("routes:\n  - alias: x\n    targets: [{backend: nowhere, model: m}]\n", "no backend named 'nowhere'"),
        (
            "routes:\n  - alias: x\n    targets: []\n",
            "routes[0].targets: Add at least one target: a backend and the model to ask it for.",
        ),
        ("policies:\n  - {role: family, member: sam}\n", "policies[0].role: Choose a role or a member, not both."),
        ("policies:\n  - {role: family, aliases: [ghost]}\n", "policies[0].aliases[0]: no route with alias 'ghost'"),
        (
            "policies:\n  - {role: family, max_streams: 0}\n",
            "policies[0].max_streams: Write how many answers may come at the same time, from 1 to 100",
        ),
    ],
)
def test_errors_name_the_field_and_line(document, message):
    result = config.import_text(document)
    assert any(message in str(error) for error in result.errors), result.errors


def test_the_example_household_loads_the_reference_stack(capsys):
    call_command("bootstrap", "--example", "--no-input")
    assert [t.backend.name for t in Route.objects.get(alias="assistant").targets.all()] == [
        "studio",
        "macbook",
        "cloud",  # the paid fallback, last
    ]
    cloud = Backend.objects.get(name="cloud")
    assert cloud.is_paid and (cloud.price_input_per_m, cloud.price_output_per_m) == (Decimal("0.15"), Decimal("0.6"))
    assert cloud.api_key_env == "OPENAI_API_KEY" and not cloud.api_key_encrypted
    assert not Backend.objects.exclude(name="cloud").filter(price_input_per_m__isnull=False).exists()
    assert Route.objects.get(alias="embed").workload == "embeddings"
    assert Backend.objects.get(name="mini").service.name == "mini-embeddings"
    family = Policy.objects.get(role="family")
    assert "homework" in family.system_prompts and family.daily_tokens == 200000


def test_create_api_key_prints_a_key_that_works(capsys, bob):
    from apps.gateway import keys
    from apps.gateway.models import ApiKey

    call_command("create_api_key", "bob", "--name", "n8n")
    key = capsys.readouterr().out.strip()
    row = ApiKey.objects.get(member=bob)
    assert (
        key.startswith("hops-")
        and row.name == "n8n"
        and row.hashed == keys.hash_key(key)
        and key not in row.prefix + "x"
    )


def test_create_api_key_refuses_what_the_model_refuses(bob):
    from django.core.management.base import CommandError

    from apps.gateway.models import ApiKey

    with pytest.raises(CommandError, match="at most 100 characters"):
        call_command("create_api_key", "bob", "--name", "x" * 101)
    assert not ApiKey.objects.exists()
