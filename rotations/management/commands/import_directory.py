from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rotations.directory.services import directory_import


class Command(BaseCommand):
    help = "Import the people directory from an HR system's CSV export (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("csv_file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; change nothing."
        )

    def handle(self, *args, csv_file: Path, dry_run: bool, **options):
        try:
            data = csv_file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {csv_file}: {exc.strerror}") from exc
        result = directory_import(data=data, dry_run=dry_run)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(result.errors)} problem(s) in {csv_file}; nothing was imported."
            )
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{verb}: {result.created} added, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
