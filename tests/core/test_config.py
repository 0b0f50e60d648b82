from __future__ import annotations

import io
import textwrap
import time
from decimal import Decimal

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.accounts.models import Member
from apps.accounts.roles import Role, role_of
from apps.core import config
from tests.conftest import make_member, signed_in

pytestmark = pytest.mark.django_db
User = get_user_model()

GOOD = textwrap.dedent(
    """\
    version: 1
    members:
      - username: alice
        role: owner
        email: alice@example.com
      - username: bob
        name: Bob
        role: family
      - username: charlie
        role: caretaker
        access_from: 2026-12-20 09:00
        access_until: 2027-01-04 12:00
    """
)


def export(tmp_path) -> str:
    path = tmp_path / "export.yaml"
    call_command("export_config", "-o", str(path))
    return path.read_text()


def import_file(tmp_path, text: str, *flags: str) -> str:
    path = tmp_path / "in.yaml"
    path.write_text(text)
    out = io.StringIO()
    call_command("import_config", str(path), *flags, stdout=out, stderr=out)
    return out.getvalue()


def test_import_creates_members_and_export_gives_the_same_document_back(tmp_path):
    output = import_file(tmp_path, GOOD)
    assert "members: 3 new, 0 changed, 0 unchanged" in output
    assert role_of(User.objects.get(username="charlie")) == Role.CARETAKER
    assert Member.objects.get(user__username="charlie").access_until.year == 2027
    first = export(tmp_path)
    # Round trip: importing the export changes nothing and exports the same text.
    assert "members: 0 new, 0 changed, 3 unchanged" in import_file(tmp_path, first)
    assert yaml.safe_load(export(tmp_path)) == yaml.safe_load(first)


def test_import_is_idempotent_and_updates_by_username(tmp_path):
    import_file(tmp_path, GOOD)
    changed = GOOD.replace("role: family", "role: caretaker")
    assert "members: 0 new, 1 changed, 2 unchanged" in import_file(tmp_path, changed)
    assert role_of(User.objects.get(username="bob")) == Role.CARETAKER
    assert User.objects.count() == 3


def test_a_dry_run_reports_and_writes_nothing(tmp_path):
    output = import_file(tmp_path, GOOD, "--dry-run")
    assert "Would apply: members: 3 new" in output
    assert User.objects.count() == 0


def test_a_malformed_file_names_path_and_line_and_writes_nothing(tmp_path):
    bad = GOOD.replace("role: family", "role: boss").replace("email: alice@example.com", "email: not-an-email")
    with pytest.raises(CommandError, match="2 error"):
        import_file(tmp_path, bad)
    result = config.import_text(bad)
    assert [str(e) for e in result.errors] == [
        "members[0].email: Write an email address, like sam@example.com., line 5",
        "members[1].role: must be one of owner, family, caretaker (got 'boss'), line 8",
    ]
    assert User.objects.count() == 0


def test_broken_yaml_is_reported_with_its_line(tmp_path):
    result = config.import_text("members:\n  - username: bob\n    role: [family\n")
    assert not result.ok
    assert result.errors[0].line == 4 and "not valid YAML" in result.errors[0].message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- just\n- a list\n", "the document must be a mapping"),
        ("hostz: []\n", "hostz: unknown section"),
        ("members: {}\n", "members: must be a list"),
        ("version: 2\n", "version: this HomeOps reads version 1"),
        ("members:\n  - username: bob\n", "members[0]: role is required, line 2"),
        ("members:\n  - username: bob\n    role: family\n    colour: red\n", "members[0].colour: unknown field"),
        (
            "members:\n  - {username: bob, role: family}\n  - {username: bob, role: owner}\n",
            "members[1].username: 'bob' appears twice",
        ),
        (
            "members:\n  - {username: c, role: caretaker, access_from: 2027-01-02, access_until: 2027-01-01}\n",
            "members[0].access_until: Access must end after it starts: make the end later than the start.",
        ),
        ("members:\n  - {username: 'b b', role: family}\n", "members[0].username: letters, digits"),
    ],
)
def test_each_mistake_is_explained(text, message):
    make_member("alice", Role.OWNER)
    result = config.import_text(text)
    assert any(message in str(e) for e in result.errors), result.errors


def test_the_household_keeps_an_owner(tmp_path):
    make_member("alice", Role.OWNER)
    result = config.import_text("members:\n  - {username: alice, role: family}\n")
    assert "the household needs at least one active owner" in str(result.errors[0])
    assert role_of(User.objects.get(username="alice")) == Role.OWNER


def test_passwords_and_secrets_never_appear_in_an_export(tmp_path):
    make_member("alice", Role.OWNER)
    text = export(tmp_path)
    assert "password" not in text.lower()
    assert User.objects.get(username="alice").password not in text


def test_members_created_by_import_cannot_sign_in_until_given_a_link(tmp_path):
    import_file(tmp_path, GOOD)
    assert not User.objects.get(username="bob").has_usable_password()


def test_the_config_page_imports_an_uploaded_file_and_exports(client):
    alice = make_member("alice", Role.OWNER)
    signed_in(client, alice)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("home.yaml", GOOD.encode(), content_type="application/yaml")
    dry = client.post(reverse("core:config"), {"file": upload, "dry_run": "1"})
    assert "Would apply: members: 2 new, 0 changed, 1 unchanged" in dry.content.decode()
    upload.seek(0)
    done = client.post(reverse("core:config"), {"file": upload}, follow=True)
    assert "Applied: members:" in done.content.decode()
    exported = client.get(reverse("core:config_export"))
    assert exported["Content-Disposition"].startswith('attachment; filename="homeops-config-')
    assert "username: charlie" in exported.content.decode()


def test_the_config_page_lists_errors_with_lines(client):
    signed_in(client, make_member("alice", Role.OWNER))
    response = client.post(reverse("core:config"), {"text": "members:\n  - username: x\n    role: boss\n"})
    text = response.content.decode()
    assert "Nothing was written." in text
    assert (
        "<li><strong>Line 3</strong> <code>members[0].role</code>: must be one of owner, family, caretaker "
        "(got &#x27;boss&#x27;)</li>" in text
    )


def test_a_field_left_out_keeps_its_value(tmp_path):
    import_file(tmp_path, GOOD)
    import_file(tmp_path, "members:\n  - {username: bob, role: caretaker}\n")
    bob = User.objects.get(username="bob")
    assert bob.first_name == "Bob"  # name was not in the second file
    assert role_of(bob) == Role.CARETAKER


def test_an_explicit_empty_value_clears_a_field(tmp_path):
    import_file(tmp_path, GOOD)
    import_file(tmp_path, "members:\n  - {username: alice, role: owner, email: ''}\n")
    assert User.objects.get(username="alice").email == ""


def test_the_owner_role_can_be_handed_over_in_one_file_whatever_the_order(tmp_path):
    make_member("alice", Role.OWNER)
    make_member("bob", Role.FAMILY)
    output = import_file(tmp_path, "members:\n  - {username: alice, role: family}\n  - {username: bob, role: owner}\n")
    assert "members: 0 new, 2 changed" in output
    assert role_of(User.objects.get(username="bob")) == Role.OWNER


def test_owners_get_no_access_window():
    make_member("alice", Role.OWNER)
    result = config.import_text("members:\n  - {username: alice, role: owner, access_until: 2020-01-01}\n")
    assert "members[0].access_until: Owners have no access window" in str(result.errors[0])


def test_an_email_can_belong_to_one_member_only():
    make_member("alice", Role.OWNER)
    result = config.import_text("members:\n  - {username: eve, role: family, email: alice@example.com}\n")
    assert "members[0].email: Another member already uses this address., line 2" in str(result.errors[0])


def test_an_address_can_move_between_members_in_one_file(tmp_path):
    import_file(tmp_path, GOOD)
    moved = (
        "members:\n  - {username: alice, role: owner, email: ''}\n"
        "  - {username: bob, role: family, email: alice@example.com}\n"
    )
    assert "members: 0 new, 2 changed" in import_file(tmp_path, moved)
    assert User.objects.get(username="bob").email == "alice@example.com"


def test_two_members_may_both_have_no_email_but_not_the_same_one_in_any_case():
    make_member("alice", Role.OWNER)
    assert config.import_text(
        "members:\n  - {username: a, role: family, email: ''}\n  - {username: b, role: family, email: ''}\n"
    ).ok
    result = config.import_text(
        "members:\n  - {username: c, role: family, email: X@a.org}\n  - {username: d, role: family, email: x@a.org}\n"
    )
    assert "members[1].email: 'x@a.org' appears twice" in str(result.errors[0])


def test_making_someone_owner_clears_their_window(tmp_path):
    import_file(tmp_path, GOOD)
    import_file(tmp_path, "members:\n  - {username: charlie, role: owner}\n")
    assert Member.objects.get(user__username="charlie").access_until is None


# Seven levels of ten aliases: 340 bytes that stand for ten million list items. Walking it for
# line numbers took 21 s and 2.2 GB.
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]\n" for prev, name in zip("abcdef", "bcdefg", strict=True)
)


def test_an_alias_bomb_is_refused_at_once_by_the_command(tmp_path):
    started = time.monotonic()
    with pytest.raises(CommandError):
        import_file(tmp_path, ALIAS_BOMB, "--dry-run")
    result = config.import_text(ALIAS_BOMB, dry_run=True)
    assert time.monotonic() - started < 2
    assert [str(e) for e in result.errors] == [
        "anchors and aliases (&name, *name) are not allowed in a configuration file; write each value out, line 1"
    ]


def test_an_alias_bomb_is_refused_at_once_by_the_config_page(client):
    signed_in(client, make_member("alice", Role.OWNER))
    started = time.monotonic()
    response = client.post(reverse("core:config"), {"text": ALIAS_BOMB, "dry_run": "1"})
    assert time.monotonic() - started < 2
    text = response.content.decode()
    assert "Nothing was written." in text
    assert "anchors and aliases (&amp;name, *name) are not allowed in a configuration file" in text


def test_a_single_alias_is_refused_with_its_line():
    result = config.import_text("members:\n  - &bob {username: bob, role: family}\n  - *bob\n")
    assert [str(e) for e in result.errors] == [
        "anchors and aliases (&name, *name) are not allowed in a configuration file; write each value out, line 2"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("members:\n  - " + "[" * 50 + "]" * 50 + "\n", "nested more than 20 levels deep, line 2"),
        ("members: [" + "1, " * 120_000 + "1]\n", "more than 100000 values"),
        ("members: []\n" + "#" * 1_000_001 + "\n", "larger than 1 MB"),
    ],
)
def test_a_document_too_deep_or_too_large_is_refused_quickly(text, message):
    started = time.monotonic()
    result = config.import_text(text, dry_run=True)
    assert time.monotonic() - started < 2
    assert any(message in str(e) for e in result.errors), result.errors


def test_a_very_deep_document_is_an_error_not_a_crash():
    """It raised RecursionError (a 500 on the Settings page) while the document was walked."""
    result = config.import_text("members: " + "[" * 100_000 + "]" * 100_000 + "\n", dry_run=True)
    assert not result.ok and result.errors[0].line == 1


# --- The helpers every section writes through -------------------------------------------------


def test_upsert_creates_updates_and_leaves_alone_by_natural_key():
    from apps.status.models import Host

    Host.objects.create(name="nas", address="nas.lan")
    Host.objects.create(name="studio", address="studio.lan")
    saved = []
    done = config.upsert(
        Host,
        [{"name": "nas", "address": "nas.home"}, {"name": "studio", "address": "studio.lan"}, {"name": "pi"}],
        save=lambda host, fields: (saved.append((host.name, fields)), host.save(update_fields=fields)),
    )
    assert done.counts == {"created": 1, "updated": 1, "unchanged": 1}
    assert done.fates == {"nas": "updated", "studio": "unchanged", "pi": "created"}
    assert saved == [("nas", ["address"]), ("pi", None)]  # unchanged rows are not written
    assert Host.objects.get(name="nas").address == "nas.home"
    done.touched("studio")  # a child changed: the row counts as updated, once
    done.touched("studio")
    assert done.counts == {"created": 1, "updated": 2, "unchanged": 0}


def test_model_errors_reports_the_models_own_rules_at_the_files_paths():
    from apps.status.models import Host

    report = config.Report({("hosts", 2): 9})
    host = Host(name="x" * 101, kind="toaster")
    assert not config.model_errors(host, ("hosts", 2), report, keys={"name": "hostname"})
    found = {error.path: error for error in report.errors}
    assert set(found) == {"hosts[2].hostname", "hosts[2].kind"}
    assert "at most 100 characters" in found["hosts[2].hostname"].message
    assert found["hosts[2].kind"].line == 9  # the nearest line the file has
    assert config.model_errors(Host(name="nas"), ("hosts", 0), config.Report())


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("19.99", "19.99"),
        ("1999.00", "1999.00"),
        ("0.30000000", "0.30000000"),
        ("123456789.123456", "123456789.123456"),  # 15 digits: still a plain number
        ("1234567890.12345678", "'1234567890.12345678'"),  # 18: a float would lose the last ones
        ("12345678901234567890", "12345678901234567890"),  # a whole number is a YAML int, exact
    ],
)
def test_a_decimal_is_written_so_that_it_reads_back_exactly(value, written):
    text = yaml.dump({"rate": Decimal(value)}, Dumper=config._Dumper)
    assert text == f"rate: {written}\n"
    report = config.Report()
    assert config.decimal(yaml.safe_load(text), "rate", ("x",), report, words="a number") == Decimal(value)
    assert not report.errors
