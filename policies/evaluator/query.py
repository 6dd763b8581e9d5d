"""A what-if query, and turning what an operator typed into one.

``build_query`` resolves names against a snapshot and refuses bad input with a
``QueryError`` that names the field: an unknown machine, a malformed service
or address is an error, never a verdict.
"""

import ipaddress
from dataclasses import dataclass, field

from policies.evaluator.lookup import (
    ExternalMachine,
    NotFound,
    find_group,
    find_machine,
    find_server,
    find_user,
)
from policies.ports import Service, ServiceSpecError, parse_service

YES_WORDS = {"yes", "true", "1", "on", "y"}
NO_WORDS = {"no", "false", "0", "off", "n"}


class QueryError(ValueError):
    """Input that cannot become a query; ``field`` names the culprit."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message

    def as_dict(self):
        return {"field": self.field, "error": self.message}


@dataclass(frozen=True)
class Query:
    """A resolved what-if question.

    The client is a directory computer (``client_id``), a machine of a domain
    the console does not sync (``external_client``), or an unmanaged host
    known only by ``client_address``. The group overrides pretend the client
    or the user were (``*_added``) or were not (``*_removed``) in groups;
    ``assume_ipsec`` replaces what the IPsec policies would say;
    ``other_client_era`` pretends the client's OS were of the other era.
    """

    server_id: int
    service: Service
    client_id: int | None = None
    external_client: ExternalMachine | None = None
    client_address: str | None = None
    user_id: int | None = None
    client_groups_added: tuple = ()
    client_groups_removed: tuple = ()
    user_groups_added: tuple = ()
    user_groups_removed: tuple = ()
    assume_ipsec: bool | None = None
    other_client_era: bool = False
    warnings: tuple = field(default=(), compare=False)

    def with_changes(self, **changes):
        values = {**self.__dict__, **changes}
        return Query(**values)


def parse_yes_no(value, field_name):
    """Read yes / no / empty (derive) into True, False or None."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("", "derive", "auto"):
        return None
    if text in YES_WORDS:
        return True
    if text in NO_WORDS:
        return False
    raise QueryError(field_name, f"'{value}' is not yes or no.")


def parse_address(text):
    """Validate an IP address (raises QueryError on the ip field); '' gives None."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise QueryError("ip", f"'{text}' is not an IP address.") from None


def _groups(snapshot, names, field_name):
    found = []
    for name in names or ():
        if not str(name).strip():
            continue
        try:
            found.append(find_group(snapshot, name).account.pk)
        except NotFound as error:
            raise QueryError(field_name, str(error)) from None
    return tuple(found)


def resolve_server(snapshot, text):
    """The ServerInfo a typed server name names (QueryError on 'server')."""
    try:
        return find_server(snapshot, text)
    except NotFound as error:
        raise QueryError("server", str(error)) from None


def resolve_service(value):
    """A Service from a typed service string (QueryError on 'service')."""
    if isinstance(value, Service):
        return value
    try:
        return parse_service(value)
    except ServiceSpecError as error:
        raise QueryError("service", str(error)) from None


def resolve_user(snapshot, text):
    """The pk of the user a typed name names, or None when none is typed."""
    if not text or not str(text).strip():
        return None
    try:
        return find_user(snapshot, text).account.pk
    except NotFound as error:
        raise QueryError("user", str(error)) from None


def build_query(
    snapshot,
    *,
    server,
    service,
    client=None,
    ip=None,
    user=None,
    as_member=(),
    not_member=(),
    user_as_member=(),
    user_not_member=(),
    assume_ipsec=None,
    other_client_era=False,
):
    """Resolve typed names into a Query (raises QueryError naming the field)."""
    warnings = []
    server_info = resolve_server(snapshot, server)
    parsed_service = resolve_service(service)

    address = parse_address(ip)
    client_id = external = None
    if client and str(client).strip():
        try:
            found = find_machine(snapshot, client)
        except NotFound as error:
            raise QueryError("client", str(error)) from None
        if isinstance(found, ExternalMachine):
            external = found
            warnings.append(
                f"{found.label} is in a domain no directory source covers; its "
                "groups are unknown to the console."
            )
        else:
            client_id = found.account.pk
            if found.warning:
                warnings.append(found.warning)
    elif address is None:
        raise QueryError("client", "Give a client machine or an IP address.")

    user_id = resolve_user(snapshot, user)
    if (user_as_member or user_not_member) and user_id is None:
        raise QueryError("user", "Group overrides for the user need a user.")
    if (as_member or not_member) and client_id is None:
        raise QueryError(
            "client", "Group overrides for the client need a directory machine."
        )

    return Query(
        server_id=server_info.server.pk,
        service=parsed_service,
        client_id=client_id,
        external_client=external,
        client_address=address,
        user_id=user_id,
        client_groups_added=_groups(snapshot, as_member, "as_member"),
        client_groups_removed=_groups(snapshot, not_member, "not_member"),
        user_groups_added=_groups(snapshot, user_as_member, "user_as_member"),
        user_groups_removed=_groups(snapshot, user_not_member, "user_not_member"),
        assume_ipsec=parse_yes_no(assume_ipsec, "assume_ipsec"),
        other_client_era=bool(other_client_era),
        warnings=tuple(warnings),
    )
