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

ADDRESS = (
    "Write the backend's whole address, starting with http:// or https://: like http://studio.home.arpa:11434 "
    "for Ollama, http://studio.home.arpa:8080/v1 for an OpenAI-compatible server."
)
TIMEOUT = "Write how many seconds to wait for it, from 1 to 600, like 30."
MAX_TOKENS = "Write the most tokens one answer may take: a whole number from 1 to 1,000,000, like 2048."
CONTEXT = "Write the model's context window in tokens: a whole number from 256 to 10,000,000, like 8192."
DAILY_TOKENS = (
    "Write how many tokens a day (questions and answers together): a whole number from 1 to 2,147,483,647, "
    "like 200000, or leave it empty for no limit."
)
STREAMS = "Write how many answers may come at the same time, from 1 to 100, or leave it empty for no limit."
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
        "Use letters, digits, - and _ only, like studio or studio-mlx (the name goes into addresses).",
    ),
    (
        "no address",
        "gateway:backend_new",
        backend_data(base_url=""),
        "backends:\n  - {name: lab, base_url: ''}\n",
        ADDRESS,
    ),
    (
        "no name",
        "gateway:backend_new",
        backend_data(name=""),
        "backends:\n  - {name: '', base_url: 'http://lab:1'}\n",
        "Give the backend a short name, like studio.",
    ),
    (
        "kind",
        "gateway:backend_new",
        backend_data(kind="vllm"),
        "backends:\n  - {name: lab, base_url: 'http://lab:1', kind: vllm}\n",
        "Choose the kind of server: ollama, or openai (OpenAI-compatible).",
    ),
    (
        "alias",
        "gateway:route_new",
        route_data(target(), alias="my model"),
        "routes:\n  - {alias: 'my model', targets: [{backend: studio, model: 'llama3.1:8b'}]}\n",
        "Use letters, digits, - and _ only, like assistant or quick-answers (scripts put the alias in their requests).",
    ),
    (
        "no alias",
        "gateway:route_new",
        route_data(target(), alias=""),
        "routes:\n  - {alias: '', targets: [{backend: studio, model: 'llama3.1:8b'}]}\n",
        "Give the route the name the family will ask for, like assistant.",
    ),
    (
        "workload",
        "gateway:route_new",
        route_data(target(), workload="images"),
        "routes:\n  - {alias: quick, workload: images, targets: [{backend: studio, model: 'llama3.1:8b'}]}\n",
        "Choose what it is for: chat or embeddings.",
    ),
    (
        "no model",
        "gateway:route_new",
        route_data(target(model="")),
        "routes:\n  - {alias: quick, targets: [{backend: studio, model: ''}]}\n",
        "Write the model's name on that backend, like llama3.1:8b.",
    ),
    (
        "timeout",
        "gateway:backend_new",
        backend_data(timeout="0"),
        "backends:\n  - {name: lab, base_url: 'http://lab:1', timeout: 0}\n",
        TIMEOUT,
    ),
    (
        "timeout not a number",
        "gateway:backend_new",
        backend_data(timeout="soon"),
        "backends:\n  - {name: lab, base_url: 'http://lab:1', timeout: soon}\n",
        TIMEOUT,
    ),
    (
        "key variable",
        "gateway:backend_new",
        backend_data(api_key_env="1KEY"),
        "backends:\n  - {name: lab, base_url: 'http://lab:1', api_key_env: 1KEY}\n",
        "Write the name of the environment variable that holds the key, like HOMEOPS_STUDIO_KEY "
        "(letters, digits and _, not starting with a digit), or leave it empty.",
    ),
    (
        "tokens per answer",
        "gateway:route_new",
        route_data(target(max_tokens="0")),
        "routes:\n  - {alias: quick, targets: [{backend: studio, model: 'llama3.1:8b', max_tokens: 0}]}\n",
        MAX_TOKENS,
    ),
    (
        "tokens per answer not whole",
        "gateway:route_new",
        route_data(target(max_tokens="2.5")),
        "routes:\n  - {alias: quick, targets: [{backend: studio, model: 'llama3.1:8b', max_tokens: 2.5}]}\n",
        MAX_TOKENS,
    ),
    (
        "context window",
        "gateway:route_new",
        route_data(target(context_tokens="100")),
        "routes:\n  - {alias: quick, targets: [{backend: studio, model: 'llama3.1:8b', context: 100}]}\n",
        CONTEXT,
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
        STREAMS,
    ),
    (
        "tokens per day",
        "gateway:policy_new",
        policy_data(daily_tokens="0"),
        "policies:\n  - {role: family, daily_tokens: 0}\n",
        DAILY_TOKENS,
    ),
    (
        "tokens per day not a number",
        "gateway:policy_new",
        policy_data(daily_tokens="lots"),
        "policies:\n  - {role: family, daily_tokens: lots}\n",
        DAILY_TOKENS,
    ),
    (
        "quiet hours not a time",
        "gateway:policy_new",
        policy_data(quiet_from="late", quiet_until="07:00"),
        "policies:\n  - {role: family, quiet_from: late, quiet_until: '07:00'}\n",
        "Write a time of day, like 22:00.",
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
    with pytest.raises(ValidationError, match="Write the backend's whole address"):
        services.backend_save(Backend(name="lab", base_url="lab:11434"))
    with pytest.raises(ValidationError, match="Choose a role or a member, not both."):
        services.policy_save(Policy(role="family", member=bob))
    route = make_route("assistant", (make_backend("studio", url="http://127.0.0.1:9/v1"), "llama3.1:8b"))
    with pytest.raises(ValidationError, match="Add at least one target"):
        services.route_set_targets(route, [])
    with pytest.raises(ValidationError, match="a whole number from 1 to 1,000,000, like 2048"):
        services.route_set_targets(route, [Target(backend=route.targets.get().backend, model="m", max_tokens=0)])
    with pytest.raises(ValidationError, match="at most 100 characters"):
        services.api_key_create(member=bob, name="x" * 101)
    assert not Backend.objects.filter(name="lab").exists() and not Policy.objects.exists()
    assert [t.model for t in route.targets.all()] == ["llama3.1:8b"]  # refused lists change nothing


def test_a_policy_for_a_member_the_same_file_creates_is_judged_too():
    document = "members:\n  - {username: sam, role: family}\npolicies:\n  - {member: sam, max_streams: 0}\n"
    result = config.import_text(document)
    assert [str(error) for error in result.errors] == [
        "policies[0].max_streams: Write how many answers may come at the same time, from 1 to 100, "
        "or leave it empty for no limit., line 4"
    ]
    document = document.replace("max_streams: 0", "max_streams: 2")
    assert config.import_text(document).ok
    assert Policy.objects.get(member__username="sam").max_streams == 2


# Django's own words for a form field, which say what is wrong but not what to write.
DJANGO_DEFAULTS = (
    "This field is required",
    "Enter a valid",
    "Enter a whole number",
    "Enter a number",
    "Select a valid choice",
    "cannot be blank",
    "already exists",
    "is not a valid",
    "value must be",
)


def test_no_gateway_settings_page_answers_in_djangos_default_words(client, alice):
    studio = make_backend("studio", url="http://127.0.0.1:9/v1")
    make_route("assistant", (studio, "llama3.1:8b"))
    signed_in(client, alice)
    wrong = {
        "gateway:backend_new": [
            backend_data(name="", base_url="", timeout=""),
            backend_data(name="studio", kind="vllm", timeout="soon", service="999"),
        ],
        "gateway:route_new": [
            route_data({"backend": "999", "model": "", "max_tokens": "x", "context_tokens": "", "ORDER": "x"}),
            route_data({"backend": "", "model": "llama3.1:8b"}, alias="assistant", workload="images"),
        ],
        "gateway:policy_new": [
            policy_data(role="king", member="999", daily_tokens="x", max_streams="1.5", quiet_from="late", scope=""),
            policy_data(scope="listed", aliases=["ghost"], quiet_from="25:00", quiet_until="x"),
        ],
    }
    for page, posts in wrong.items():
        for data in posts:
            text = html.unescape(signed_in(client, alice).post(reverse(page), data).content.decode())
            assert 'class="errorlist' in text
            for words in DJANGO_DEFAULTS:
                assert words not in text, (page, data, words)
    text = html.unescape(client.post(reverse("gateway:backend_new"), backend_data(name="studio")).content.decode())
    assert "Another backend already has this name: choose another, or edit that one." in text
    text = html.unescape(client.post(reverse("gateway:route_new"), route_data(target())).content.decode())
    assert "Another route already has this alias: choose another, or edit that one." in text
    text = html.unescape(client.get(reverse("gateway:usage"), {"start": "someday", "member": "999"}).content.decode())
    for words in DJANGO_DEFAULTS:
        assert words not in text
