"""Answer a what-if query from the command line.

Exit code: 0 allowed, 1 denied, 2 indeterminate, 3 bad input. ``--json``
prints the same JSON as ``POST /api/whatif/``.
"""

import json
import sys

from django.core.management.base import BaseCommand

from policies.evaluator import QueryError
from policies.whatif import selectors

EXIT_CODES = {"allowed": 0, "denied": 1, "indeterminate": 2}
BAD_INPUT = 3


class Command(BaseCommand):
    help = "Can this machine, used by this user, reach that server, and why?"

    def add_arguments(self, parser):
        parser.add_argument(
            "--client", default="", help="Machine: NAME, NAME$, DOMAIN\\NAME$ or DNS."
        )
        parser.add_argument(
            "--ip", default="", help="Client address (wins over recorded ones)."
        )
        parser.add_argument(
            "--user", default="", help="User: name, DOMAIN\\name or UPN."
        )
        parser.add_argument("--server", required=True)
        parser.add_argument(
            "--service", required=True, help="445/tcp, udp/161, icmp/8, program:<path>"
        )
        parser.add_argument("--assume-ipsec", choices=["yes", "no"], default=None)
        parser.add_argument(
            "--as-member",
            action="append",
            default=[],
            metavar="GROUP",
            help="Pretend the client is in GROUP.",
        )
        parser.add_argument(
            "--not-member",
            action="append",
            default=[],
            metavar="GROUP",
            help="Pretend the client is not in GROUP.",
        )
        parser.add_argument(
            "--user-as-member", action="append", default=[], metavar="GROUP"
        )
        parser.add_argument(
            "--user-not-member", action="append", default=[], metavar="GROUP"
        )
        parser.add_argument(
            "--other-client-era",
            action="store_true",
            help="Pretend the client's OS were of the other era.",
        )
        parser.add_argument(
            "--suggest",
            action="store_true",
            help="On a denial, list the smallest changes that would allow it.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print the answer as JSON."
        )

    def handle(self, *args, **options):
        inputs = {
            "client": options["client"],
            "ip": options["ip"],
            "user": options["user"],
            "server": options["server"],
            "service": options["service"],
            "assume_ipsec": options["assume_ipsec"],
            "as_member": options["as_member"],
            "not_member": options["not_member"],
            "user_as_member": options["user_as_member"],
            "user_not_member": options["user_not_member"],
            "other_client_era": options["other_client_era"],
        }
        try:
            evaluation, _ = selectors.run_query(**inputs)
            suggestions = []
            if options["suggest"] and not evaluation.allowed:
                suggestions = selectors.suggestions_for(**inputs)
        except QueryError as error:
            if options["json"]:
                self.stdout.write(json.dumps(error.as_dict()))
            else:
                self.stderr.write(f"Bad input ({error.field}): {error.message}")
            sys.exit(BAD_INPUT)

        if options["json"]:
            answer = evaluation.as_dict()
            if options["suggest"]:
                answer["suggestions"] = [s.as_dict() for s in suggestions]
            self.stdout.write(json.dumps(answer, indent=2))
        else:
            self._print(evaluation, suggestions)
        sys.exit(EXIT_CODES[str(evaluation.verdict)])

    def _print(self, evaluation, suggestions):
        write = self.stdout.write
        write(f"{str(evaluation.verdict).upper()}: {evaluation.summary}")
        for reason in evaluation.reasons:
            write(f"  unknown: {reason}")
        for warning in evaluation.warnings:
            write(f"  warning: {warning}")
        write("")
        for number, rung in enumerate(evaluation.rungs, start=1):
            marker = "*" if rung.key in evaluation.deciding else " "
            write(
                f"{marker}{number:2}. [{rung.outcome:<7}] {rung.title}: {rung.summary}"
            )
            if rung.decided_by:
                by = rung.decided_by
                write(f"       by: {by.label} {by.detail}".rstrip())
            for chain in rung.chains:
                write(f"       chain: {chain.text} (listed as {chain.listed_as})")
            for detail in rung.details:
                write(f"       - {detail}")
            for unknown in rung.unknowns:
                write(f"       ? {unknown}")
        facts = evaluation.facts
        write("")
        address = facts.client_address or "unknown"
        write(f"client {facts.client} address {address} ({facts.address_source})")
        for source, synced in facts.membership_synced_at.items():
            age = facts.data_age_hours.get(source)
            write(
                f"membership from {source}: synced {synced or 'never'}"
                + (f", {age} h old" if age is not None else "")
            )
        if suggestions:
            write("")
            write("What would allow it:")
            for suggestion in suggestions:
                write(
                    f"  - {suggestion.title} ({suggestion.objects} object(s) changed, "
                    f"also opens to {suggestion.others} other machine(s))"
                )
