"""Command line for operators and admins: schema, content, CSV import and export.

python -m core.cli init                      migrate, then load content into an empty database
python -m core.cli migrate                   apply Alembic migrations
python -m core.cli export TABLE FILE         write a table as CSV (UTF-8 with BOM, for Excel)
python -m core.cli import TABLE FILE [--replace]
python -m core.cli sample DIR                write the sample tables as CSV files
python -m core.cli anonymise                 erase children's data past the retention period
    python -m core.cli create-admin NAME [--password-stdin]    the first console admin
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

from core.content import loader
from core.content.csv_io import ImportRejected, export_to_file, import_bytes
from core.content.tables import table_specs
from core.services import Services
from core.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(database_url: str) -> Config:
    """Alembic's configuration for a database, independent of the working directory."""
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "core" / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def migrate(database_url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision`, the newest by default."""
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m core.cli", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init")
    commands.add_parser("migrate")
    export = commands.add_parser("export")
    export.add_argument("table")
    export.add_argument("file", type=Path)
    imp = commands.add_parser("import")
    imp.add_argument("table")
    imp.add_argument("file", type=Path)
    imp.add_argument("--replace", action="store_true", help="delete rows that are not in the file")
    sample_cmd = commands.add_parser("sample")
    sample_cmd.add_argument("directory", type=Path)
    commands.add_parser("anonymise")
    admin = commands.add_parser("create-admin", help="create the first console admin")
    admin.add_argument("username")
    admin.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input; at least 10 characters of two kinds, not a common one, "
        "not containing the username",
    )
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    if args.command in ("init", "migrate"):
        migrate(settings.database_url)
        if args.command == "migrate":
            return 0
    services = Services.from_settings(settings)
    try:
        return _run(args, services)
    finally:
        services.close()


def _run(args: argparse.Namespace, services: Services) -> int:
    specs = table_specs(loader.district_names())
    if args.command == "init":
        reports = services.transaction(lambda s: loader.load_initial(s, services.clock.today()))
        for report in reports:
            print(f"loaded {report.table}: {report.inserted} rows")
        if not reports:
            print("database already holds content; nothing loaded")
        return 0
    if args.command in ("export", "import") and args.table not in specs:
        print(f"unknown table '{args.table}'; tables: {', '.join(specs)}", file=sys.stderr)
        return 2
    if args.command == "export":
        count = services.transaction(lambda s: export_to_file(s, specs[args.table], args.file))
        print(f"exported {count} rows of {args.table} to {args.file}")
        return 0
    if args.command == "import":
        try:
            data = args.file.read_bytes()
            report = services.transaction(lambda s: import_bytes(s, specs[args.table], data, args.replace))
        except ImportRejected as rejected:
            print(f"{args.file}: not imported, nothing changed:", file=sys.stderr)
            for error in rejected.errors:
                print(f"  {error}", file=sys.stderr)
            return 1
        except OSError as error:
            print(f"{args.file}: {error.strerror}", file=sys.stderr)
            return 1
        print(f"imported {args.table}: {report.inserted} added, {report.updated} updated, {report.deleted} deleted")
        return 0
    if args.command == "sample":
        from core.content import sample

        args.directory.mkdir(parents=True, exist_ok=True)
        districts = loader.read_csv(loader.CONTENT_DIR / "gazetteer" / "districts.csv")
        landmarks = loader.read_csv(loader.CONTENT_DIR / "gazetteer" / "landmarks.csv")
        for name, rows in sample.generate(districts, landmarks, services.clock.today()).items():
            path = args.directory / f"{name}.csv"
            path.write_bytes(b"\xef\xbb\xbf" + loader.to_csv_bytes(specs[name].header(), rows))
            print(f"wrote {len(rows)} rows to {path}")
        return 0
    if args.command == "create-admin":
        from core import staff

        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            import getpass

            password = getpass.getpass("password for the new admin: ")
            if getpass.getpass("the same password again: ") != password:
                print("not created: 两次输入的密码不一样", file=sys.stderr)
                return 1
        try:
            services.transaction(lambda s: staff.create_user(s, args.username, password, "admin", None))
        except staff.StaffError as error:
            print(f"not created: {error}", file=sys.stderr)
            return 1
        print(f"created admin '{args.username}'; log in at http://localhost:8000/console/")
        return 0
    if args.command == "anonymise":
        from core import enrolments

        clock = services.clock
        count = services.transaction(
            lambda s: enrolments.anonymise_finished(
                s, clock.today(), services.settings.enrolment_retention_days, clock.utc()
            )
        )
        print(f"anonymised {count} enrolments")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
