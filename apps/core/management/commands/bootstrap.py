import getpass
import sys
from pathlib import Path

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.accounts import services
from apps.accounts.roles import Role
from apps.core import config
from homeops import env

User = get_user_model()
EXAMPLE = Path(__file__).resolve().parents[2] / "example" / "household.yaml"


class Command(BaseCommand):
    help = (
        "Idempotent first-time setup: the role groups and a first owner "
        "(HOMEOPS_OWNER_USERNAME / HOMEOPS_OWNER_PASSWORD, a prompt, or a generated password)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--example", action="store_true", help="Also load the example household.")
        parser.add_argument(
            "--example-on-first-run",
            action="store_true",
            help="Load the example household only when this run creates the first owner (used by make run).",
        )
        parser.add_argument("--no-input", action="store_true", help="Never prompt; generate a password instead.")

    def handle(self, *args, example: bool, example_on_first_run: bool, no_input: bool, **options) -> None:
        services.groups_ensure()
        first_run = services.owner_count() == 0
        if first_run:
            self._create_owner(no_input)
        else:
            self.stdout.write("Already set up: an owner exists.")
        if example or (example_on_first_run and first_run):
            result = config.import_text(EXAMPLE.read_text(encoding="utf-8"))
            if not result.ok:
                raise CommandError("The example data did not load: " + "; ".join(map(str, result.errors)))
            self.stdout.write(f"Example household loaded. {result.summary()}")
            from apps.chat import examples
            from apps.handover import examples as handover_examples
            from apps.runbooks import examples as runbook_examples

            for owner in services.owners():
                examples.create_for(owner)
            runbook_examples.create(author=services.owners().first())
            handover_examples.link_runbooks()

    def _create_owner(self, no_input: bool) -> None:
        username = env.string("HOMEOPS_OWNER_USERNAME", "owner")
        password = env.secret("HOMEOPS_OWNER_PASSWORD")
        generated = False
        if not password and not no_input and sys.stdin.isatty():
            password = getpass.getpass(f"Password for the owner {username!r} (empty: generate one): ")
        if not password:
            password, generated = services.generate_password(), True
        try:
            password_validation.validate_password(password, User(username=username))
        except ValidationError as exc:
            raise CommandError("The owner's password is too weak: " + " ".join(exc.messages)) from None
        services.member_save(username=username, role=Role.OWNER, password=password)
        self.stdout.write(f"Created the owner {username!r}.")
        if generated:
            self.stdout.write(f"Sign in as {username} with the password {password}")
            self.stdout.write("It is shown only this once; change it after signing in.")
