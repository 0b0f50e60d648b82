"""Chat presets: Alice (owner) writes instructions for the family or for one member and may lock
them; Bob (family) chooses a preset in a conversation, unless one is locked for him; Charlie
(caretaker) cannot chat, so presets are never for him."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from apps.accounts.roles import Role
from apps.chat import services
from apps.chat.models import Conversation, Preset
from tests.conftest import make_member, signed_in

pytestmark = pytest.mark.django_db
HOMEWORK = "You are a patient tutor. Explain step by step; do not give the answer."


def preset_data(**overrides) -> dict:
    data = {"name": "Homework helper", "role": "family", "member": "", "prompt": HOMEWORK}
    return {**data, **overrides}


def homework(**fields) -> Preset:
    return Preset.objects.create(**{"name": "Homework helper", "prompt": HOMEWORK, "role": Role.FAMILY, **fields})


# --- The owner's pages ---------------------------------------------------------------------


def test_the_empty_list_explains_presets_and_settings_links_to_it(client, alice):
    signed_in(client, alice)
    assert reverse("chat:presets") in client.get(reverse("core:settings")).content.decode()
    text = client.get(reverse("chat:presets")).content.decode()
    assert "No presets yet." in text and "Lock it, and the family's chats always use it." in text
    assert f'href="{reverse("chat:preset_new")}"' in text


def test_the_owner_adds_a_locked_preset_for_the_family(client, alice):
    signed_in(client, alice)
    response = client.post(reverse("chat:preset_new"), preset_data(locked="on"))
    assert response.status_code == 302 and response["Location"] == reverse("chat:presets")
    preset = Preset.objects.get()
    assert (preset.name, preset.role, preset.member, preset.locked) == ("Homework helper", "family", None, True)
    assert preset.prompt == HOMEWORK

    text = client.get(reverse("chat:presets")).content.decode()
    assert "Saved “Homework helper”. It is locked: everyone with the family role always gets it" in text
    assert "Family" in text and "everyone with this role" in text
    assert '<span class="badge warn">locked</span>' in text
    assert "Everyone with the family role gets <strong>Homework helper</strong> in every conversation" in text
    assert "You are a patient tutor. Explain step by step" in text  # the preview


def test_the_list_groups_presets_by_role_then_member(client, alice, bob):
    Preset.objects.create(name="Short answers", prompt="Be brief.", member=bob)
    homework()
    Preset.objects.create(name="Sysadmin", prompt="Be precise.", role=Role.OWNER)
    text = signed_in(client, alice).get(reverse("chat:presets")).content.decode()
    assert text.index("Sysadmin") < text.index("Homework helper") < text.index("Short answers")
    assert "one member" in text


def test_the_list_says_which_presets_a_lock_keeps_from_being_offered(client, alice, bob):
    homework(locked=True)
    Preset.objects.create(name="Quiz master", prompt="Ask me questions.", role=Role.FAMILY)
    Preset.objects.create(name="Short answers", prompt="Be brief.", member=bob)
    text = signed_in(client, alice).get(reverse("chat:presets")).content.decode()
    assert (
        "Everyone with the family role gets <strong>Homework helper</strong> in every conversation, "
        "so the other here is not offered."
    ) in text
    assert (
        "bob gets <strong>Homework helper</strong> in every conversation (locked for the family role), "
        "so this is not offered."
    ) in text


def test_a_long_prompt_is_shortened_in_the_list(client, alice):
    homework(prompt="Explain. " * 100)
    text = signed_in(client, alice).get(reverse("chat:presets")).content.decode()
    assert "Explain. " * 100 not in text and "…" in text


def test_the_owner_edits_a_preset_and_moves_it_to_one_member(client, alice, bob):
    preset = homework()
    signed_in(client, alice)
    page = client.get(reverse("chat:preset_edit", args=[preset.pk])).content.decode()
    assert "Edit “Homework helper”" in page and HOMEWORK in page and "No conversation chose" in page
    response = client.post(
        reverse("chat:preset_edit", args=[preset.pk]),
        preset_data(name="Bob's tutor", role="", member=bob.pk, prompt="Answer in French.", locked="on"),
    )
    assert response.status_code == 302
    preset.refresh_from_db()
    assert (preset.name, preset.role, preset.member, preset.prompt, preset.locked) == (
        "Bob's tutor",
        "",
        bob,
        "Answer in French.",
        True,
    )


def test_deleting_a_preset_counts_the_conversations_that_keep_working(client, alice, bob):
    preset = homework()
    chat = Conversation.objects.create(owner=bob, title="Fractions", preset=preset)
    Conversation.objects.create(owner=bob, title="Decimals", preset=preset)
    signed_in(client, alice)
    page = client.get(reverse("chat:preset_edit", args=[preset.pk])).content.decode()
    assert "2 conversations chose “Homework helper”. They keep working, without its instructions." in page
    assert services.system_prompt(chat) == HOMEWORK

    response = client.post(reverse("chat:preset_delete", args=[preset.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("chat:presets")
    assert not Preset.objects.exists()
    chat.refresh_from_db()
    assert chat.preset is None and services.system_prompt(chat) == ""
    assert "Deleted “Homework helper”." in client.get(reverse("chat:presets")).content.decode()
    signed_in(client, bob)
    assert client.get(reverse("chat:conversation", args=[chat.pk])).status_code == 200


def test_deleting_a_locked_preset_says_the_members_choose_again(client, alice):
    preset = homework(locked=True)
    text = signed_in(client, alice).get(reverse("chat:preset_edit", args=[preset.pk])).content.decode()
    assert "Without it, everyone with the family role can choose their own instructions again." in text
    assert client.get(reverse("chat:preset_delete", args=[preset.pk])).status_code == 405
    assert Preset.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"role": ""}, "Choose who this preset is for: a role or a member."),
        ({"member": "BOB"}, "Choose a role or a member, not both."),
        ({"role": "caretaker"}, "Select a valid choice. caretaker is not one of the available choices."),
        ({"member": "CHARLIE", "role": ""}, "That member is not listed any more; choose another."),
        ({"name": ""}, "Give the preset a name, like “Homework helper”."),
        ({"prompt": "  "}, "Write the instructions: they are what the preset sends to the assistant."),
        ({"prompt": "x" * 4001}, "Too long: at most 4000 characters (this has 4001)."),
    ],
)
def test_preset_mistakes_are_explained_and_nothing_is_saved(client, alice, bob, charlie, overrides, field_message):
    people = {"BOB": bob.pk, "CHARLIE": charlie.pk}
    overrides = {key: people.get(value, value) for key, value in overrides.items()}
    response = signed_in(client, alice).post(reverse("chat:preset_new"), preset_data(**overrides))
    assert response.status_code == 200
    text = response.content.decode()
    assert field_message in text and "The preset is not saved yet" in text
    assert not Preset.objects.exists()


def test_only_active_members_who_may_chat_are_offered(client, alice, bob, charlie):
    gone = make_member("eve", Role.FAMILY)
    gone.is_active = False
    gone.save()
    text = signed_in(client, alice).get(reverse("chat:preset_new")).content.decode()
    assert f'<option value="{bob.pk}">bob</option>' in text and f'<option value="{alice.pk}">alice</option>' in text
    assert ">charlie<" not in text and ">eve<" not in text
    assert '<option value="caretaker">' not in text


def test_a_second_locked_preset_for_the_same_role_or_member_is_refused(client, alice, bob):
    homework(locked=True)
    Preset.objects.create(name="Bob's tutor", prompt="Answer in French.", member=bob, locked=True)
    signed_in(client, alice)
    text = client.post(reverse("chat:preset_new"), preset_data(name="Quiz master", locked="on")).content.decode()
    assert (
        "The family role already has a locked preset, “Homework helper”, and only one can apply. "
        "Unlock that one first, or leave this one unlocked."
    ) in text
    data = preset_data(name="Spelling", role="", member=bob.pk, locked="on")
    text = client.post(reverse("chat:preset_new"), data).content.decode()
    assert "bob already has a locked preset, “Bob&#x27;s tutor”, and only one can apply." in text
    assert text.count("already has a locked preset") == 1  # the form's words, not the constraint's too
    assert Preset.objects.count() == 2

    # Unlocked, they are fine; and a locked preset can be edited without tripping over itself.
    assert client.post(reverse("chat:preset_new"), preset_data(name="Quiz master")).status_code == 302
    locked = Preset.objects.get(name="Homework helper")
    edit = preset_data(prompt="Explain; never answer.", locked="on")
    assert client.post(reverse("chat:preset_edit", args=[locked.pk]), edit).status_code == 302
    assert Preset.objects.count() == 3


def test_the_database_refuses_what_the_form_refuses(bob):
    homework(locked=True)
    for fields in (
        {"role": Role.FAMILY, "member": bob},  # both
        {"role": ""},  # nobody
        {"role": Role.FAMILY, "locked": True},  # a second locked one for the role
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Preset.objects.create(name="Another", prompt="x", **fields)
    Preset.objects.create(name="Bob's", prompt="x", member=bob, locked=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Preset.objects.create(name="Bob's too", prompt="x", member=bob, locked=True)


@pytest.mark.parametrize("name", ["chat:presets", "chat:preset_new", "chat:preset_edit"])
def test_a_family_member_cannot_open_the_preset_pages(client, bob, name):
    preset = homework()
    url = reverse(name, args=[preset.pk] if name == "chat:preset_edit" else [])
    signed_in(client, bob)
    response = client.get(url)
    assert response.status_code == 403
    assert "This page is not for your role" in response.content.decode()
    assert client.post(url, preset_data(name="Mine", role="family", locked="on")).status_code == 403
    assert list(Preset.objects.values_list("name", "locked")) == [("Homework helper", False)]


def test_a_family_member_cannot_delete_a_preset(client, bob):
    preset = homework(locked=True)
    response = signed_in(client, bob).post(reverse("chat:preset_delete", args=[preset.pk]))
    assert response.status_code == 403 and Preset.objects.filter(pk=preset.pk).exists()


# --- What the member gets ------------------------------------------------------------------


def test_after_the_owner_locks_a_family_preset_the_member_cannot_change_the_prompt(client, alice, bob):
    brief = Preset.objects.create(name="Short answers", prompt="Be brief.", role=Role.FAMILY)
    chat = Conversation.objects.create(owner=bob, title="Volcanoes", system_prompt="Answer like a pirate.")
    assert services.system_prompt(chat) == "Answer like a pirate."

    signed_in(client, alice)
    client.post(reverse("chat:preset_new"), preset_data(locked="on"))
    assert services.system_prompt(chat) == HOMEWORK

    signed_in(client, bob)
    page = client.get(reverse("chat:conversation", args=[chat.pk])).content.decode()
    assert "<strong>Homework helper</strong> (set by the owner, cannot be changed)" in page
    assert 'name="system_prompt"' not in page and 'name="preset"' not in page
    response = client.post(
        reverse("chat:configure", args=[chat.pk]), {"system_prompt": "Just give the answer.", "preset": brief.pk}
    )
    assert response.status_code == 302
    chat.refresh_from_db()
    assert chat.system_prompt == "Answer like a pirate." and chat.preset is None
    assert services.system_prompt(chat) == HOMEWORK

    # A locked preset of Bob's own comes before the role's.
    Preset.objects.create(name="Bob's tutor", prompt="Answer in French.", member=bob, locked=True)
    assert services.system_prompt(chat) == "Answer in French."


def test_an_unlocked_preset_is_a_choice(client, bob):
    preset = homework()
    chat = Conversation.objects.create(owner=bob, title="Volcanoes")
    signed_in(client, bob)
    client.post(reverse("chat:configure", args=[chat.pk]), {"preset": preset.pk, "system_prompt": ""})
    chat.refresh_from_db()
    assert chat.preset == preset and services.system_prompt(chat) == HOMEWORK


# --- The migration that added the constraints ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_what_members_got_before(bob):
    executor = MigrationExecutor(connection)
    executor.migrate([("chat", "0001_conversations")])
    old = executor.loader.project_state([("chat", "0001_conversations")]).apps.get_model("chat", "Preset")
    old.objects.create(name="Both", prompt="x", role="family", member_id=bob.pk)
    old.objects.create(name="Nobody", prompt="x")
    old.objects.create(name="B second", prompt="x", role="family", locked=True)
    old.objects.create(name="A first", prompt="x", role="family", locked=True)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    rows = set(Preset.objects.values_list("name", "role", "member", "locked"))
    assert rows == {
        ("Both", "", bob.pk, False),
        ("A first", "family", None, True),
        ("B second", "family", None, False),
    }
