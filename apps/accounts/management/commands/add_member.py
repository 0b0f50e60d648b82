from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.accounts import services
from apps.accounts.roles import Role


class Command(BaseCommand):
    help = "Add a member (or update one) with a role. Prints a generated password when none is given."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="Omit to have one generated and printed once.")

    def handle(self, *args, username: str, role: str, email: str, password: str | None, **options) -> None:
        generated = password is None
        password = password or services.generate_password()
        try:
            services.groups_ensure()
            services.member_save(username=username, role=role, email=email, password=password)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"{username} is now {Role(role).label.lower()}.")
        if generated:
            self.stdout.write(f"Password: {password}")
