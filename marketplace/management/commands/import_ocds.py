"""Import OCDS 1.1 release packages (or record packages with embedded releases) from other
publishers. Each file is validated against the schema and stored all or nothing; releases
already imported with the same content are skipped."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from marketplace.services.opendata import ocds_package_import


class Command(BaseCommand):
    help = "Import OCDS 1.1 release packages: manage.py import_ocds FILE [FILE ...]"

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args, files, **options):
        failed = []
        for name in files:
            try:
                package = json.loads(Path(name).read_text("utf-8"))
                result = ocds_package_import(package=package)
            except (OSError, ValueError) as error:  # unreadable file or invalid JSON
                failed.append(name)
                self.stderr.write(f"{name}: {error}")
                continue
            except ValidationError as error:
                failed.append(name)
                self.stderr.write(f"{name}: nothing imported")
                for message in error.messages:
                    self.stderr.write(f"  - {message}")
                continue
            self.stdout.write(
                f"{name}: {result.created} release(s) imported, {result.unchanged} unchanged"
            )
        if failed:
            raise CommandError(f"{len(failed)} file(s) not imported: {', '.join(failed)}")
