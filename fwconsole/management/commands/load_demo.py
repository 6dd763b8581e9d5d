"""`manage.py load_demo`: the bundled demo directory, policies and sign-ins."""

import io
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from directory import services as directory_services
from directory.models import DirectoryObject, DirectorySource, SyncRun
from fwconsole.accounts import services as account_services
from fwconsole.roles import Role
from policies.dashboard import services as dashboard_services
from policies.models import Server

DEMO_FOLDER = Path(__file__).resolve().parent.parent.parent / "demo"
DEMO_LDIF = DEMO_FOLDER / "demo-directory.ldif"
DEMO_POLICIES = DEMO_FOLDER / "demo-policies.yaml"
DEMO_SOURCE = "acme-demo"
DEMO_BASE_DN = "DC=acme,DC=example,DC=test"
DEMO_PASSWORD = "fwconsole-demo"  # noqa: S105 - the demo's published sign-in
DEMO_USERS = (("admin", Role.ADMIN), ("editor", Role.EDITOR), ("viewer", Role.VIEWER))


class Command(BaseCommand):
    help = (
        "Load the bundled demo: a synthetic Active Directory (LDIF, through the "
        "sync engine's import), servers and policies (policy as code) and the "
        "sign-ins admin, editor and viewer. Running it again changes nothing "
        "but resets the demo's policies and passwords."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help=f"Password of the demo sign-ins (default {DEMO_PASSWORD}).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load into a console that already holds other sources or servers; "
            "its policies are replaced by the demo's.",
        )

    def handle(self, *args, password, force, **options):
        self.refuse_a_console_in_use(force)
        source, run = self.import_directory()
        self.import_policies()
        # The import ran before the policies named any group, so it sampled no
        # group sizes: sample them now, or every dashboard sparkline starts as
        # a single dot. A second load's import has sampled already (kept).
        dashboard_services.record_group_sizes(run)
        self.make_sign_ins(password)
        present = DirectoryObject.objects.filter(source=source, deleted_at=None)
        counts = {
            kind: present.filter(kind=kind).count()
            for kind in DirectoryObject.Kind.values
        }
        self.stdout.write(
            f"Demo loaded: {counts['computer']} computers, {counts['user']} users, "
            f"{counts['group']} groups in {source.name}; "
            f"{Server.objects.count()} servers."
        )
        for username, role in DEMO_USERS:
            self.stdout.write(
                f"  sign in as {username} / {password}  ({role.name.lower()})"
            )

    def refuse_a_console_in_use(self, force):
        # The policy import makes the database hold exactly the demo's policy
        # set, which would delete a real console's servers.
        if force or DirectorySource.objects.filter(name=DEMO_SOURCE).exists():
            return
        sources = DirectorySource.objects.count()
        servers = Server.objects.count()
        if sources or servers:
            raise CommandError(
                f"This console already holds {sources} directory source(s) and "
                f"{servers} server(s); load_demo would replace its policies. "
                "Use an empty database, or --force."
            )

    def import_directory(self):
        source, _created = DirectorySource.objects.get_or_create(
            name=DEMO_SOURCE,
            defaults={
                "kind": DirectorySource.Kind.LDIF,
                "base_dn": DEMO_BASE_DN,
                "sync_interval_minutes": 0,
            },
        )
        try:
            run = directory_services.ldif_import(source=source, path_or_file=DEMO_LDIF)
        except directory_services.LdifError as error:
            raise CommandError(f"{DEMO_LDIF}: {error}") from error
        except directory_services.SyncAlreadyRunning as error:
            raise CommandError(
                f"A run of {source.name} is still active; try again when it ends "
                f"({error})."
            ) from error
        if run.status != SyncRun.Status.SUCCEEDED:
            raise CommandError(f"The demo directory did not import: {run.error}")
        source.refresh_from_db()
        return source, run

    def import_policies(self):
        # The command lists every object it changes; only its problems matter.
        problems = io.StringIO()
        try:
            call_command(
                "policy",
                "import",
                str(DEMO_POLICIES),
                stdout=io.StringIO(),
                stderr=problems,
            )
        except CommandError as error:
            raise CommandError(f"{problems.getvalue()}{error}") from error

    def make_sign_ins(self, password):
        users = get_user_model().objects
        for username, role in DEMO_USERS:
            user = users.filter(username=username).first()
            if user is None:
                account_services.create_local_user(
                    username=username, password=password, role=role, actor=None
                )
                continue
            user.set_password(password)
            user.is_active = True
            user.save(update_fields=["password", "is_active"])
            account_services.set_console_role(
                user, role, actor=None, reason="demo sign-in"
            )
