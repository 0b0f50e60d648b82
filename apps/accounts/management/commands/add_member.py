from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.accounts import services
from apps.accounts.roles import Role


def _words(exc: ValidationError) -> str:
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    return "; ".join(
        f"{field}: {' '.join(ValidationError(errors).messages)}" for field, errors in exc.error_dict.items()
    )


class Command(BaseCommand):
    help = "Add a member with a role. Prints a generated password when none is given."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="Omit to have one generated and printed once.")

    def handle(self, *args, username: str, role: str, email: str, password: str | None, **options) -> None:
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(
                f"{username} already exists. Change members on Settings -> Members or with import_config; "
                f"set a password with: manage.py changepassword {username}"
            )
        generated = password is None
        password = password or services.generate_password()
        try:
            password_validation.validate_password(password, User(username=username, email=email))
            services.groups_ensure()
            services.member_save(username=username, role=role, email=email, password=password)
        except ValidationError as exc:  # the same rules and words as the invitation page and the config file
            raise CommandError(_words(exc)) from None
        self.stdout.write(f"{username} is now {Role(role).label.lower()}.")
        if generated:
            self.stdout.write(f"Password: {password}")
