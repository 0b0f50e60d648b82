"""One rule, two doors: a bad value typed into a Settings page and the same value in the
configuration file are refused with the same words, because both ask the model (the form by
its full_clean, the file by config.model_errors). And the services refuse what the model
refuses, whoever calls them."""

from __future__ import annotations

import html

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.core import config
from apps.gateway import services
from apps.gateway.models import Backend, Policy, Route, Target
from tests.conftest import signed_in
from tests.gateway.conftest import make_backend, make_route
from tests.gateway.test_pages import backend_data, policy_data, route_data

pytestmark = pytest.mark.django_db

ADDRESS = "must be the whole address, starting with http:// or https://, like http://studio.home.arpa:11434"
NO_TARGETS = "Add at least one target: a backend and the model to ask it for."


def target(**fields) -> dict:
    return {"backend": "STUDIO", "model": "llama3.1:8b", **fields}


# (what, page, form data, configuration file, the words both say)
CASES = [
    (
        "address",
        "gateway:backend_new",
        backend_data(base_url="ftp://studio"),
        "backends:\n  - {name: lab, base_url: 'ftp://studio'}\n",
        ADDRESS,
    ),
    (
        "backend name",
        "gateway:backend_new",
        backend_data(name="the studio!"),
        "backends:\n  - {name: 'the studio!', base_url: 'http://lab:1'}\n",
        "letters, digits, - and _ only (it is used in addresses)",
    ),
    (
        "alias",
        "gateway:route_new",
        route_data(target(), alias="my model"),
        "routes:\n  - {alias: 'my model', targets: [{backend: studio, model: 'llama3.1:8b'}]}\n",
        "letters, digits, - and _ only (it is used in addresses)",
    ),
    (
        "timeout",
        "gateway:backend_new",
        backend_data(timeout="0"),
        "backends:\n  - {name: lab, base_url: 'http://lab:1', timeout: 0}\n",
        "must be from 1 to 600 seconds",
    ),
    (
        "key variable",
        "gateway:backend_new",
        backend_data(api_key_env="1KEY"),
        "backends:\n  - {name: lab, base_url: 'http://lab:1', api_key_env: 1KEY}\n",
        "letters, digits and _ only, not starting with a digit (an environment variable's name)",
    ),
    (
        "tokens per answer",
        "gateway:route_new",
        route_data(target(max_tokens="0")),
        "routes:\n  - {alias: quick, targets: [{backend: studio, model: 'llama3.1:8b', max_tokens: 0}]}\n",
        "must be a whole number from 1 to 1,000,000",
    ),
    (
        "context window",
        "gateway:route_new",
        route_data(target(context_tokens="100")),
        "routes:\n  - {alias: quick, targets: [{backend: studio, model: 'llama3.1:8b', context: 100}]}\n",
        "must be a whole number from 256 to 10,000,000",
    ),
    (
        "a target twice",
        "gateway:route_new",
        route_data(target(), target()),
        "routes:\n  - alias: quick\n    targets: [{backend: studio, model: 'llama3.1:8b'}, "
        "{backend: studio, model: 'llama3.1:8b'}]\n",
        "studio / llama3.1:8b is listed twice; keep it once.",
    ),
    ("no target", "gateway:route_new", route_data(), "routes:\n  - {alias: quick, targets: []}\n", NO_TARGETS),
    (
        "answers at the same time",
        "gateway:policy_new",
        policy_data(max_streams="500"),
        "policies:\n  - {role: family, max_streams: 500}\n",
        "must be a whole number from 1 to 100",
    ),
    (
        "tokens per day",
        "gateway:policy_new",
        policy_data(daily_tokens="0"),
        "policies:\n  - {role: family, daily_tokens: 0}\n",
        "must be a whole number from 1 to 2,147,483,647",
    ),
    (
        "half the quiet hours",
        "gateway:policy_new",
        policy_data(quiet_from="22:00"),
        "policies:\n  - {role: family, quiet_from: '22:00'}\n",
        "Give both ends of the quiet hours, or neither.",
    ),
    (
        "a role and a member",
        "gateway:policy_new",
        policy_data(member="BOB"),
        "policies:\n  - {role: family, member: bob}\n",
        "Choose a role or a member, not both.",
    ),
    (
        "neither",
        "gateway:policy_new",
        policy_data(role=""),
        "policies:\n  - {daily_tokens: 5}\n",
        "Choose who this policy is for: a role or a member.",
    ),
]


@pytest.mark.parametrize(("what", "page", "data", "document", "words"), CASES, ids=[case[0] for case in CASES])
def test_the_page_and_the_file_refuse_a_value_with_the_same_words(
    client, alice, bob, what, page, data, document, words
):
    studio = make_backend("studio", url="http://127.0.0.1:9/v1")
    people = {"STUDIO": studio.pk, "BOB": bob.pk}
    data = {key: people.get(value, value) for key, value in data.items()}
    before = (Backend.objects.count(), Route.objects.count(), Policy.objects.count())

    response = signed_in(client, alice).post(reverse(page), data)
    assert response.status_code == 200
    assert words in html.unescape(response.content.decode())

    result = config.import_text(document)
    assert words in [error.message for error in result.errors], result.errors
    assert (Backend.objects.count(), Route.objects.count(), Policy.objects.count()) == before


def test_the_services_refuse_what_the_model_refuses(bob):
    with pytest.raises(ValidationError, match="must be the whole address"):
        services.backend_save(Backend(name="lab", base_url="lab:11434"))
    with pytest.raises(ValidationError, match="Choose a role or a member, not both."):
        services.policy_save(Policy(role="family", member=bob))
    route = make_route("assistant", (make_backend("studio", url="http://127.0.0.1:9/v1"), "llama3.1:8b"))
    with pytest.raises(ValidationError, match="Add at least one target"):
        services.route_set_targets(route, [])
    with pytest.raises(ValidationError, match="must be a whole number from 1 to 1,000,000"):
        services.route_set_targets(route, [Target(backend=route.targets.get().backend, model="m", max_tokens=0)])
    with pytest.raises(ValidationError, match="at most 100 characters"):
        services.api_key_create(member=bob, name="x" * 101)
    assert not Backend.objects.filter(name="lab").exists() and not Policy.objects.exists()
    assert [t.model for t in route.targets.all()] == ["llama3.1:8b"]  # refused lists change nothing


def test_a_policy_for_a_member_the_same_file_creates_is_judged_too():
    document = "members:\n  - {username: sam, role: family}\npolicies:\n  - {member: sam, max_streams: 0}\n"
    result = config.import_text(document)
    assert [str(error) for error in result.errors] == [
        "policies[0].max_streams: must be a whole number from 1 to 100, line 4"
    ]
    document = document.replace("max_streams: 0", "max_streams: 2")
    assert config.import_text(document).ok
    assert Policy.objects.get(member__username="sam").max_streams == 2
