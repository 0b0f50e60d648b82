from pathlib import Path

from django.core.management.base import BaseCommand

from apps.core import config


class Command(BaseCommand):
    help = "Write every setting as one YAML document (no secrets) to stdout or a file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("-o", "--output", help="File to write; stdout when omitted.")

    def handle(self, *args, output: str | None, **options) -> None:
        text = config.export_text()
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output}.")
        else:
            self.stdout.write(text, ending="")
