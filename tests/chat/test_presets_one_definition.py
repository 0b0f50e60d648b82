"""One rule, two doors, for presets: the Settings page and the configuration file refuse the
same preset with the same words (Preset's fields and clean(), and ForRoleOrMember's rule,
which the gateway's policies share)."""

from __future__ import annotations

import html

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.accounts.roles import Role
from apps.chat import services
from apps.chat.models import Preset
from apps.core import config
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

LOCKED = (
    "The family role already has a locked preset, “Homework helper”, and only one can apply. "
    "Unlock that one first, or leave this one unlocked."
)

# (what, form data, configuration-file entry, the words both say)
CASES = [
    ("a role and a member", {"member": "BOB"}, "{name: Tutor, prompt: x, role: family, member: bob}", None),
    ("nobody", {"role": ""}, "{name: Tutor, prompt: x}", "Choose who this preset is for: a role or a member."),
    ("a second lock", {"locked": "on"}, "{name: Tutor, prompt: x, role: family, locked: true}", LOCKED),
    ("no name", {"name": ""}, "{name: '', prompt: x, role: family}", "Give the preset a name, like “Homework helper”."),
    (
        "a long prompt",
        {"prompt": "x" * 4001},
        "{name: Tutor, role: family, prompt: '" + "x" * 4001 + "'}",
        "Too long: at most 4000 characters (this has 4001).",
    ),
]


@pytest.mark.parametrize(("what", "data", "entry", "words"), CASES, ids=[case[0] for case in CASES])
def test_the_page_and_the_file_refuse_a_preset_with_the_same_words(client, alice, bob, what, data, entry, words):
    words = words or "Choose a role or a member, not both."
    Preset.objects.create(name="Homework helper", prompt="Explain.", role=Role.FAMILY, locked=True)
    form = {"name": "Tutor", "role": "family", "member": "", "prompt": "Be kind.", **data}
    form = {key: bob.pk if value == "BOB" else value for key, value in form.items()}

    response = signed_in(client, alice).post(reverse("chat:preset_new"), form)
    assert response.status_code == 200
    assert words in html.unescape(response.content.decode())

    result = config.import_text(f"presets:\n  - {entry}\n")
    assert words in [error.message for error in result.errors], result.errors
    assert Preset.objects.count() == 1


def test_the_service_refuses_what_the_model_refuses(bob):
    with pytest.raises(ValidationError, match="Choose who this preset is for"):
        services.preset_save(Preset(name="Tutor", prompt="x"))
    with pytest.raises(ValidationError, match="Choose a role or a member, not both."):
        services.preset_save(Preset(name="Tutor", prompt="x", role=Role.FAMILY, member=bob))
    assert not Preset.objects.exists()
