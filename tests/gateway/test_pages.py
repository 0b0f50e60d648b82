"""The gateway's pages. Alice owns the house and sets up backends, routes and policies; Bob
(family) and Charlie (caretaker) manage their own API keys and read their own usage."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.roles import Role
from apps.core import config
from apps.gateway import keys, secrets, services
from apps.gateway.models import ApiKey, AuditEntry, Backend, GatewaySettings, Policy, Route, Target, UsageDay
from tests.conftest import make_member, signed_in
from tests.fixtures.ports import free_port
from tests.gateway.conftest import make_backend, make_route

pytestmark = pytest.mark.django_db
SECRET = "sk-very-secret-backend-key-1234"


def backend_data(**overrides) -> dict:
    data = {"name": "studio", "kind": "openai", "base_url": "http://127.0.0.1:1/v1", "timeout": "5"}
    return {**data, **overrides}


def route_data(*targets: dict, alias: str = "assistant", **fields) -> dict:
    """The route form with its targets formset (prefix "targets"), as the browser posts it."""
    data = {"alias": alias, "workload": "chat", "description": "", **fields}
    data.update(
        {
            "targets-TOTAL_FORMS": str(len(targets)),
            "targets-INITIAL_FORMS": str(sum(1 for t in targets if t.get("id"))),
            "targets-MIN_NUM_FORMS": "0",
            "targets-MAX_NUM_FORMS": "1000",
        }
    )
    for index, target in enumerate(targets):
        values = {"max_tokens": "2048", "context_tokens": "8192", **target}
        data.update({f"targets-{index}-{key}": value for key, value in values.items()})
    return data


def pages(client, *names_and_args) -> str:
    return "".join(client.get(reverse(name, args=args)).content.decode() for name, *args in names_and_args)


# --- The overview --------------------------------------------------------------------------


def test_the_empty_overview_says_what_to_do(client, alice):
    text = signed_in(client, alice).get(reverse("gateway:settings")).content.decode()
    assert "No backends yet: add the Studio's Ollama" in text
    assert "Routes come after backends" in text
    assert "the owner and the family may use every model without limits; a caretaker may use none" in text
    assert 'Content logging: <span class="badge ok">off</span>' in text


def test_settings_links_to_the_gateway(client, alice):
    text = signed_in(client, alice).get(reverse("core:settings")).content.decode()
    assert reverse("gateway:settings") in text


def test_the_overview_shows_backends_routes_and_the_service_that_watches_them(client, alice):
    from apps.status.models import Kind, Service, State

    watcher = Service.objects.create(
        name="studio-ollama", label="Studio Ollama", kind=Kind.TCP, check_config={}, state=State.DOWN
    )
    studio = make_backend("studio", url="http://127.0.0.1:9/v1", service=watcher)
    Backend.objects.filter(pk=studio.pk).update(model_names=["llama3.2:3b"], models_refreshed_at=timezone.now())
    make_route("assistant", (studio, "llama3.1:8b"), (studio, "llama3.2:3b"))
    text = signed_in(client, alice).get(reverse("gateway:settings")).content.decode()
    assert "Studio Ollama" in text and "Skipped while the board holds it down." in text
    assert "routes ask for llama3.1:8b, which it does not list" in text
    assert text.index("<code>llama3.1:8b</code>") < text.index("<code>llama3.2:3b</code>")
    assert "not on studio" in text


# --- Backends ------------------------------------------------------------------------------


def test_a_backend_key_is_stored_encrypted_and_never_shown_again(client, alice):
    signed_in(client, alice)
    response = client.post(reverse("gateway:backend_new"), backend_data(api_key=SECRET))
    assert response.status_code == 302
    studio = Backend.objects.get(name="studio")
    assert SECRET not in studio.api_key_encrypted and secrets.decrypt(studio.api_key_encrypted) == SECRET
    text = pages(
        client,
        ("gateway:settings",),
        ("gateway:backend_edit", studio.pk),
        ("core:config_export",),
        ("gateway:usage",),
    )
    assert SECRET not in text and studio.api_key_encrypted not in text
    assert "key stored (encrypted)" in text and "A key is stored. Leave this empty to keep it" in text

    # Saving without a key keeps it; a new one replaces it; the checkbox removes it.
    client.post(reverse("gateway:backend_edit", args=[studio.pk]), backend_data(timeout="7"))
    studio.refresh_from_db()
    assert studio.timeout == 7 and secrets.decrypt(studio.api_key_encrypted) == SECRET
    client.post(reverse("gateway:backend_edit", args=[studio.pk]), backend_data(api_key="sk-new"))
    studio.refresh_from_db()
    assert secrets.decrypt(studio.api_key_encrypted) == "sk-new"
    client.post(reverse("gateway:backend_edit", args=[studio.pk]), backend_data(clear_api_key="on"))
    studio.refresh_from_db()
    assert studio.api_key_encrypted == ""


def test_a_key_is_not_echoed_back_when_the_form_has_errors(client, alice):
    response = signed_in(client, alice).post(
        reverse("gateway:backend_new"), backend_data(base_url="studio", api_key=SECRET)
    )
    text = response.content.decode()
    assert "Write the backend&#x27;s whole address, starting with http:// or https://" in text
    assert SECRET not in text
    assert not Backend.objects.exists()


@pytest.mark.parametrize(
    "address", ["http://[::1", "http://studio:abc", "http://studio:99999", "http://studio home:11434", "http://a..b:1"]
)
def test_an_address_httpx_could_not_use_is_refused_in_words(client, alice, address):
    response = signed_in(client, alice).post(reverse("gateway:backend_new"), backend_data(base_url=address))
    assert "Write the backend&#x27;s whole address" in response.content.decode()
    assert not Backend.objects.exists()


def test_a_bare_host_name_is_a_good_address(client, alice):
    signed_in(client, alice).post(reverse("gateway:backend_new"), backend_data(base_url="http://studio:11434"))
    assert Backend.objects.get().base_url == "http://studio:11434"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ("http://studio/key", "Write the name of the environment variable that holds the key, like HOMEOPS_STUDIO_KEY"),
        ("1KEY", "(letters, digits and _, not starting with a digit)"),
        ("HOMEOPS_TEST_UNSET_KEY", "The environment variable HOMEOPS_TEST_UNSET_KEY is not set."),
    ],
)
def test_the_key_variable_must_be_a_name_that_is_set(client, alice, monkeypatch, env, message):
    monkeypatch.delenv("HOMEOPS_TEST_UNSET_KEY", raising=False)
    response = signed_in(client, alice).post(reverse("gateway:backend_new"), backend_data(api_key_env=env))
    assert message in response.content.decode()
    assert not Backend.objects.exists()


def test_a_key_variable_that_is_set_is_saved_by_name(client, alice, monkeypatch):
    monkeypatch.setenv("HOMEOPS_STUDIO_KEY", SECRET)
    signed_in(client, alice).post(reverse("gateway:backend_new"), backend_data(api_key_env="HOMEOPS_STUDIO_KEY"))
    studio = Backend.objects.get()
    assert studio.api_key_env == "HOMEOPS_STUDIO_KEY" and studio.api_key_encrypted == ""
    text = client.get(reverse("gateway:settings")).content.decode()
    assert "key from $HOMEOPS_STUDIO_KEY" in text and SECRET not in text


def test_test_connection_tries_the_form_without_saving(client, alice, llm):
    llm.api_key = SECRET
    signed_in(client, alice)
    response = client.post(reverse("gateway:backend_new"), backend_data(base_url=llm.root, api_key=SECRET, test="1"))
    text = response.content.decode()
    assert "Test: connected." in text and "It offers 2 models: llama3.1:8b, llama3.2:3b." in text
    assert "Nothing was saved yet." in text and "Type the API key again before you save" in text
    assert SECRET not in text
    assert llm.requests == [] and not Backend.objects.exists()  # /v1/models is not recorded, nothing saved

    wrong = client.post(reverse("gateway:backend_new"), backend_data(base_url=llm.root, api_key="sk-wrong", test="1"))
    assert (
        "Test: it did not work.</strong> It answered 401 (the API key was refused): Incorrect API key provided"
        in wrong.content.decode()
    )


def test_test_connection_uses_the_stored_key_when_none_is_typed(client, alice, llm):
    llm.api_key = SECRET
    studio = make_backend("studio", llm)
    services.backend_set_key(studio, SECRET)
    make_route("big", (studio, "llama3.1:70b"))
    response = signed_in(client, alice).post(
        reverse("gateway:backend_edit", args=[studio.pk]), backend_data(base_url=llm.root, test="1")
    )
    text = response.content.decode()
    assert "Test: connected." in text
    assert "Routes ask it for models it does not list: llama3.1:70b." in text


def test_test_connection_explains_a_closed_port(client, alice):
    port = free_port()
    response = signed_in(client, alice).post(
        reverse("gateway:backend_new"), backend_data(base_url=f"http://127.0.0.1:{port}/v1", test="1")
    )
    text = response.content.decode()
    assert "Test: it did not work.</strong> It refused the connection (nothing is listening there)." in text
    assert "Nothing was saved yet." in text
    assert not Backend.objects.exists()


def test_test_connection_on_the_overview_keeps_the_models(client, alice, ollama):
    studio = make_backend("studio", ollama)
    response = signed_in(client, alice).post(reverse("gateway:backend_test", args=[studio.pk]), follow=True)
    assert "studio answered: 2 models (llama3.1:8b, llama3.2:3b)." in response.content.decode()
    studio.refresh_from_db()
    assert studio.model_names == ["llama3.1:8b", "llama3.2:3b"] and studio.models_refreshed_at

    ollama.stop()
    response = client.post(reverse("gateway:backend_test", args=[studio.pk]), follow=True)
    text = response.content.decode()
    assert "studio refused the connection (nothing is listening there)." in text
    studio.refresh_from_db()
    assert studio.model_names == ["llama3.1:8b", "llama3.2:3b"]  # the last good list stays


def test_deleting_a_backend_removes_its_targets(client, alice):
    studio = make_backend("studio", url="http://127.0.0.1:9/v1")
    make_route("assistant", (studio, "llama3.1:8b"))
    signed_in(client, alice)
    assert (
        "Routes that use it: assistant."
        in client.get(reverse("gateway:backend_edit", args=[studio.pk])).content.decode()
    )
    client.post(reverse("gateway:delete", args=["backend", studio.pk]))
    assert not Backend.objects.exists() and not Target.objects.exists() and Route.objects.exists()
    assert client.post(reverse("gateway:delete", args=["member", 1])).status_code == 404


# --- Routes --------------------------------------------------------------------------------


def test_a_route_keeps_its_targets_in_the_order_given(client, alice):
    studio = make_backend("studio", url="http://127.0.0.1:9/v1")
    macbook = make_backend("macbook", url="http://127.0.0.1:10/v1")
    signed_in(client, alice)
    response = client.post(
        reverse("gateway:route_new"),
        route_data(
            {"backend": macbook.pk, "model": "llama3.2:3b", "ORDER": "2"},
            {"backend": studio.pk, "model": "llama3.1:8b", "ORDER": "1", "max_tokens": "1024"},
            {},  # the empty extra row is ignored
            description="Everyday questions",
        ),
    )
    assert response.status_code == 302
    route = Route.objects.get(alias="assistant")
    assert [(t.backend.name, t.model, t.position) for t in route.targets.all()] == [
        ("studio", "llama3.1:8b", 0),
        ("macbook", "llama3.2:3b", 1),
    ]
    assert route.targets.first().max_tokens == 1024

    # The edit page lists them in that order; swap them and drop nothing.
    first, second = route.targets.all()
    text = client.get(reverse("gateway:route_edit", args=[route.pk])).content.decode()
    assert text.index('value="llama3.1:8b"') < text.index('value="llama3.2:3b"')
    client.post(
        reverse("gateway:route_edit", args=[route.pk]),
        route_data(
            {"id": first.pk, "route": route.pk, "backend": studio.pk, "model": "llama3.1:8b", "ORDER": "2"},
            {"id": second.pk, "route": route.pk, "backend": macbook.pk, "model": "llama3.2:3b", "ORDER": "1"},
        ),
    )
    assert [t.model for t in route.targets.all()] == ["llama3.2:3b", "llama3.1:8b"]

    # Removing one keeps the other.
    client.post(
        reverse("gateway:route_edit", args=[route.pk]),
        route_data(
            {"id": first.pk, "route": route.pk, "backend": studio.pk, "model": "llama3.1:8b", "ORDER": "2"},
            {"id": second.pk, "route": route.pk, "backend": macbook.pk, "model": "llama3.2:3b", "DELETE": "on"},
        ),
    )
    assert [(t.model, t.position) for t in route.targets.all()] == [("llama3.1:8b", 0)]


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ([{}], "Add at least one target: a backend and the model to ask it for."),
        ([{"model": "llama3.1:8b", "backend": "studio"}] * 2, "studio / llama3.1:8b is listed twice"),
        (
            [{"model": "llama3.1:8b", "backend": "studio", "max_tokens": "0"}],
            "Write the most tokens one answer may take: a whole number from 1 to 1,000,000, like 2048.",
        ),
        ([{"model": "", "backend": "studio"}], "Write the model&#x27;s name on that backend, like llama3.1:8b."),
        ([{"model": "llama3.1:8b"}], "Choose the backend that runs this model."),
    ],
)
def test_a_route_without_good_targets_is_explained(client, alice, targets, message):
    studio = make_backend("studio", url="http://127.0.0.1:9/v1")
    targets = [{**t, "backend": studio.pk} if t.get("backend") else t for t in targets]
    response = signed_in(client, alice).post(reverse("gateway:route_new"), route_data(*targets))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Route.objects.exists()


def test_the_route_form_suggests_the_models_the_backends_offer(client, alice):
    studio = make_backend("studio", url="http://127.0.0.1:9/v1")
    macbook = make_backend("macbook", url="http://127.0.0.1:10/v1")
    now = timezone.now()
    Backend.objects.filter(pk=studio.pk).update(model_names=["llama3.1:8b", "qwen2.5:14b"], models_refreshed_at=now)
    Backend.objects.filter(pk=macbook.pk).update(model_names=["llama3.1:8b"], models_refreshed_at=now)
    text = signed_in(client, alice).get(reverse("gateway:route_new")).content.decode()
    # Without JavaScript: one list of every backend's models, each labelled with its backends.
    assert 'list="known-models"' in text
    assert '<option value="qwen2.5:14b" label="on studio">' in text
    assert '<option value="llama3.1:8b" label="on macbook and studio">' in text
    # With it, gateway.js swaps in the chosen backend's own list.
    assert f'<datalist id="models-{studio.pk}"' in text and f'<datalist id="models-{macbook.pk}"' in text
    macbook_list = text[text.index(f'<datalist id="models-{macbook.pk}"') :]
    macbook_list = macbook_list[: macbook_list.index("</datalist>")]
    assert "llama3.1:8b" in macbook_list and "qwen2.5:14b" not in macbook_list
    assert 'src="/static/js/gateway.js"' in text


def test_the_route_form_says_when_a_backend_has_not_reported_its_models(client, alice):
    studio = make_backend("studio", url="http://127.0.0.1:9/v1")
    route = make_route("assistant", (studio, "llama3.1:8b"))
    text = signed_in(client, alice).get(reverse("gateway:route_edit", args=[route.pk])).content.decode()
    assert "studio has not told HomeOps its models yet (HomeOps asks every 5 minutes). " in text
    assert "You can still type the model&#x27;s name." in text
    # Read with the box it is about.
    assert 'aria-describedby="id_targets-0-model-note"' in text and 'id="id_targets-0-model-note"' in text

    Backend.objects.filter(pk=studio.pk).update(models_refreshed_at=timezone.now())
    text = client.get(reverse("gateway:route_edit", args=[route.pk])).content.decode()
    assert "studio answered, but it has no models yet: pull one there, then type its name here." in text


def test_a_model_the_backend_does_not_list_is_saved_with_a_warning(client, alice):
    studio = make_backend("studio", url="http://127.0.0.1:9/v1")
    Backend.objects.filter(pk=studio.pk).update(model_names=["llama3:latest"], models_refreshed_at=timezone.now())
    signed_in(client, alice)
    response = client.post(
        reverse("gateway:route_new"),
        route_data({"backend": studio.pk, "model": "llama3.3"}, {"backend": studio.pk, "model": "llama3"}),
        follow=True,
    )
    words = "llama3.3 is not among studio&#x27;s models yet: pull it there before the route can use it."
    assert f"Saved the route assistant. {words}" in response.content.decode()
    route = Route.objects.get(alias="assistant")
    assert [t.model for t in route.targets.all()] == ["llama3.3", "llama3"]  # a warning, not a refusal
    text = client.get(reverse("gateway:route_edit", args=[route.pk])).content.decode()
    assert text.count(words) == 1  # under llama3.3; "llama3" is llama3:latest, which it lists


# --- Policies ------------------------------------------------------------------------------


def policy_data(**overrides) -> dict:
    data = {"role": "family", "member": "", "scope": "every", "daily_tokens": "", "max_streams": ""}
    data.update(quiet_from="", quiet_until="")
    return {**data, **overrides}


def test_the_owner_writes_a_family_policy_and_a_members_override(client, alice, bob):
    studio = make_backend("studio", url="http://127.0.0.1:9/v1")
    make_route("assistant", (studio, "llama3.1:8b"))
    make_route("homework", (studio, "llama3.1:8b"))
    signed_in(client, alice)
    response = client.post(
        reverse("gateway:policy_new"),
        policy_data(
            scope="listed",
            aliases=["homework"],
            daily_tokens="200000",
            max_streams="2",
            quiet_from="22:00",
            quiet_until="07:00",
            prompt_homework="  You are a patient tutor.  ",
            prompt_assistant="",
        ),
    )
    assert response.status_code == 302
    family = Policy.objects.get(role="family")
    assert family.aliases == ["homework"] and family.daily_tokens == 200000 and family.max_streams == 2
    assert family.system_prompts == {"homework": "You are a patient tutor."}
    assert str(family.quiet_from) == "22:00:00"

    client.post(reverse("gateway:policy_new"), policy_data(role="", member=bob.pk, daily_tokens="500000"))
    mine = Policy.objects.get(member=bob)
    assert mine.role == "" and mine.aliases is None and mine.daily_tokens == 500000

    text = client.get(reverse("gateway:settings")).content.decode()
    assert "200,000" in text and "22:00–07:00" in text and "locked prompt for homework" in text
    assert "as their role" in text
    edit = client.get(reverse("gateway:policy_edit", args=[family.pk])).content.decode()
    assert "You are a patient tutor." in edit and 'id="id_scope_1" checked' in edit

    # Bob's usage page reads the merged policy: the role's models, his own budget.
    signed_in(client, bob)
    text = client.get(reverse("gateway:usage")).content.decode()
    assert "500,000" in text and "<code>homework</code>" in text and "<code>assistant</code>" not in text


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"role": ""}, "Choose who this policy is for: a role or a member."),
        ({"member": "BOB"}, "Choose a role or a member, not both."),
        ({"quiet_from": "22:00"}, "Give both ends of the quiet hours, or neither."),
        ({"quiet_from": "22:00", "quiet_until": "22:00"}, "start and end at the same time"),
        ({"aliases": ["assistant"]}, "You ticked models but chose “Every model”"),
        ({"daily_tokens": "0"}, "a whole number from 1 to 2,147,483,647, like 200000, or leave it empty"),
        ({"daily_tokens": "lots"}, "a whole number from 1 to 2,147,483,647, like 200000, or leave it empty"),
        ({"max_streams": "500"}, "Write how many answers may come at the same time, from 1 to 100"),
        ({"quiet_from": "late", "quiet_until": "07:00"}, "Write a time of day, like 22:00."),
        ({"aliases": ["nope"], "scope": "listed"}, "nope is not a route any more: untick it."),
    ],
)
def test_policy_mistakes_are_explained_and_nothing_is_saved(client, alice, bob, overrides, field_message):
    make_route("assistant", (make_backend("studio", url="http://127.0.0.1:9/v1"), "llama3.1:8b"))
    if overrides.get("member") == "BOB":
        overrides = {**overrides, "member": bob.pk}
    response = signed_in(client, alice).post(reverse("gateway:policy_new"), policy_data(**overrides))
    assert response.status_code == 200
    assert field_message in response.content.decode()
    assert not Policy.objects.exists()


def test_a_second_policy_for_the_same_role_or_member_is_refused(client, alice, bob):
    Policy.objects.create(role="family")
    Policy.objects.create(member=bob)
    signed_in(client, alice)
    text = client.post(reverse("gateway:policy_new"), policy_data()).content.decode()
    assert "There is already a policy for the family role: edit that one instead." in text
    text = client.post(reverse("gateway:policy_new"), policy_data(role="", member=bob.pk)).content.decode()
    assert "bob already has a policy: edit that one instead." in text
    assert Policy.objects.count() == 2


# --- Content logging -----------------------------------------------------------------------


def test_content_logging_is_off_and_switching_it_is_audited(client, alice):
    assert GatewaySettings.load().log_content is False
    signed_in(client, alice)
    response = client.post(reverse("gateway:content_logging"), {"log_content": "on"}, follow=True)
    assert GatewaySettings.load().log_content is True
    entry = AuditEntry.objects.get(endpoint="settings")
    assert entry.member == alice and entry.error == "content logging turned on by alice"
    text = response.content.decode()
    assert "Content logging is on" in text and "content logging turned on by alice" in text
    client.post(reverse("gateway:content_logging"), {"log_content": "off"})
    assert GatewaySettings.load().log_content is False
    assert AuditEntry.objects.filter(endpoint="settings").count() == 2


def test_family_cannot_switch_content_logging(client, bob):
    assert signed_in(client, bob).post(reverse("gateway:content_logging"), {"log_content": "on"}).status_code == 403
    assert GatewaySettings.load().log_content is False and not AuditEntry.objects.exists()


# --- API keys ------------------------------------------------------------------------------


def test_a_member_makes_a_key_and_sees_it_once(client, bob):
    signed_in(client, bob)
    assert "No keys yet." in client.get(reverse("gateway:keys")).content.decode()
    response = client.post(reverse("gateway:keys"), {"name": "laptop scripts"})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    row = ApiKey.objects.get(member=bob)
    text = response.content.decode()
    start = text.index('id="new-key-value"')
    key = text[start:].split('value="', 1)[1].split('"', 1)[0]
    assert key.startswith(keys.PREFIX) and keys.hash_key(key) == row.hashed and row.name == "laptop scripts"
    assert "shown only this once" in text and f"export HOMEOPS_API_KEY={key}" in text
    assert "http://testserver/v1/chat/completions" in text
    # Not stored anywhere that outlives the response.
    later = client.get(reverse("gateway:keys")).content.decode()
    assert key not in later and row.prefix in later and "laptop scripts" in later
    assert key not in str(dict(client.session))


def test_a_member_revokes_their_own_key_but_not_someone_elses(client, alice, bob):
    mine, _ = services.api_key_create(member=bob, name="bob's tablet")
    hers, _ = services.api_key_create(member=alice, name="server")
    signed_in(client, bob)
    assert client.post(reverse("gateway:key_revoke", args=[hers.pk])).status_code == 404
    hers.refresh_from_db()
    assert hers.revoked_at is None
    response = client.post(reverse("gateway:key_revoke", args=[mine.pk]), follow=True)
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    text = response.content.decode()
    assert "Revoked “bob&#x27;s tablet”" in text and "revoked" in text
    # The owner's own page does not list Bob's keys either.
    signed_in(client, alice)
    assert "tablet" not in client.get(reverse("gateway:keys")).content.decode()


def test_a_caretaker_without_models_is_told_so(client, charlie):
    text = signed_in(client, charlie).get(reverse("gateway:keys")).content.decode()
    assert "No model is open to you yet: ask the owner." in text


# --- Usage ---------------------------------------------------------------------------------


def entry(member, alias: str, *, days_ago: int = 0, status: int = 200, **fields) -> AuditEntry:
    values = dict(endpoint="chat.completions", prompt_tokens=10, completion_tokens=5, ttft_ms=120.0)
    values.update(fields)
    created = timezone.now() - timedelta(days=days_ago)
    return AuditEntry.objects.create(created=created, member=member, alias=alias, status=status, **values)


def usage_day(member, alias: str, days_ago: int, **fields) -> UsageDay:
    values = dict(requests=3, prompt_tokens=300, completion_tokens=45, ttft_p50_ms=150, ttft_p95_ms=900)
    values.update(fields)
    return UsageDay.objects.create(
        day=timezone.localdate() - timedelta(days=days_ago), member=member, alias=alias, **values
    )


@pytest.fixture
def history(alice, bob):
    entry(bob, "assistant", prompt_tokens=1111, completion_tokens=222)
    entry(bob, "assistant", status=502, fallback=True, prompt_tokens=0, completion_tokens=0, ttft_ms=None)
    entry(alice, "quick", prompt_tokens=7777, completion_tokens=3)
    usage_day(bob, "homework", 5, prompt_tokens=4444)
    usage_day(alice, "assistant", 6, prompt_tokens=9999)
    usage_day(bob, "assistant", 60, prompt_tokens=6543)  # outside the default 30 days


def test_a_member_sees_only_their_own_usage(client, bob, history):
    Policy.objects.create(role="family", daily_tokens=10_000)
    text = signed_in(client, bob).get(reverse("gateway:usage")).content.decode()
    assert "Your usage" in text
    assert "1,111" in text and "4,444" in text  # today (live from the audit log) and an older rolled-up day
    assert "7,777" not in text and "9,999" not in text and "alice" not in text.split("<main")[1]
    assert "6,543" not in text
    assert "<strong>8,667</strong> of your 10,000 tokens left today" in text  # 1,111 + 222 used
    assert "Fallbacks" in text and '<span class="badge bad">1</span>' in text


def test_the_owner_sees_everyones_usage_and_can_pick_one_member(client, alice, bob, history):
    signed_in(client, alice)
    text = client.get(reverse("gateway:usage")).content.decode()
    assert all(n in text for n in ("1,111", "4,444", "7,777", "9,999")) and "6,543" not in text
    assert "By member" in text and ">bob<" in text and ">alice<" in text
    assert "No daily limit." in text
    text = client.get(reverse("gateway:usage"), {"member": bob.pk}).content.decode()
    assert "1,111" in text and "7,777" not in text and "By member" not in text
    start = (timezone.localdate() - timedelta(days=61)).isoformat()
    text = client.get(reverse("gateway:usage"), {"start": start}).content.decode()
    assert "6,543" in text


def test_a_wrong_date_range_is_explained(client, bob, history):
    today = timezone.localdate()
    response = signed_in(client, bob).get(
        reverse("gateway:usage"), {"start": today.isoformat(), "end": (today - timedelta(days=3)).isoformat()}
    )
    text = response.content.decode()
    assert "The first day is after the last one. Showing the last 30 days instead." in text
    assert "1,111" in text


def test_a_family_member_cannot_read_someone_elses_usage(client, alice, bob, history):
    text = signed_in(client, bob).get(reverse("gateway:usage"), {"member": alice.pk}).content.decode()
    assert "7,777" not in text and "1,111" in text


def test_a_recent_day_not_yet_rolled_up_is_read_from_the_audit_log(client, bob):
    entry(bob, "assistant", days_ago=1, prompt_tokens=3333)
    text = signed_in(client, bob).get(reverse("gateway:usage")).content.decode()
    assert "3,333" in text


def test_usage_answers_htmx_with_the_results_only(client, bob, history):
    response = signed_in(client, bob).get(reverse("gateway:usage"), HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert text.startswith('<div id="usage">') and "<html" not in text
    assert "HX-Request" in response["Vary"]


def test_the_empty_usage_page(client):
    carol = make_member("carol", Role.FAMILY)
    text = signed_in(client, carol).get(reverse("gateway:usage")).content.decode()
    assert "for you. Questions asked in the chat or with an API key show up here." in text


def test_no_page_or_export_shows_a_backend_key(client, alice, bob, monkeypatch):
    """The whole tour, with a key stored and another in the environment."""
    monkeypatch.setenv("HOMEOPS_MACBOOK_KEY", "sk-env-secret-5678")
    signed_in(client, alice)
    client.post(reverse("gateway:backend_new"), backend_data(api_key=SECRET))
    client.post(reverse("gateway:backend_new"), backend_data(name="macbook", api_key_env="HOMEOPS_MACBOOK_KEY"))
    studio = Backend.objects.get(name="studio")
    make_route("assistant", (studio, "llama3.1:8b"))
    text = pages(
        client,
        ("gateway:settings",),
        ("gateway:backend_edit", studio.pk),
        ("gateway:backend_edit", Backend.objects.get(name="macbook").pk),
        ("gateway:route_edit", Route.objects.get().pk),
        ("gateway:policy_new",),
        ("gateway:keys",),
        ("gateway:usage",),
    )
    text += config.export_text()
    assert SECRET not in text and "sk-env-secret-5678" not in text
