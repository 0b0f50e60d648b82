import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.core import config


class Command(BaseCommand):
    help = "Read a YAML config document: validate everything, then upsert in one transaction."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The YAML file, or - for standard input.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")

    def handle(self, *args, file: str, dry_run: bool, **options) -> None:
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from None
        result = config.import_text(text, dry_run=dry_run)
        for error in result.errors:
            self.stderr.write(f"{file}: {error}")
        if not result.ok:
            raise CommandError(result.summary())
        self.stdout.write(result.summary())
