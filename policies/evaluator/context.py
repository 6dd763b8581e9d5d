"""Everything one evaluation reads, gathered once: server, client, user, addresses."""

import copy
import re
from functools import lru_cache

from policies.evaluator.membership import Subject
from policies.evaluator.snapshot import safe_url
from policies.evaluator.verdict import ObjectRef
from policies.models import Era
from policies.ports import Service
from policies.scopes import ScopeMatch

# operatingSystem values of the XP / Server 2003 generation (and older): their
# IKE authenticates machines only, so they cannot carry a user identity (AuthIP).
_XP_ERA_OS = re.compile(
    r"windows\s+(xp|2000|nt|server\s+2003|2003|small business server 2003)",
    re.IGNORECASE,
)
_LATER_ERA_OS = re.compile(
    r"windows\s+(vista|7|8|8\.1|10|11|server\s+20(08|12|16|19|22|25)|server)",
    re.IGNORECASE,
)


@lru_cache(maxsize=1024)
def os_era(operating_system):
    """Return Era.XP, Era.ADVANCED, or None when the OS is not recorded or known."""
    text = (operating_system or "").strip()
    if not text:
        return None
    if _XP_ERA_OS.search(text):
        return Era.XP
    if _LATER_ERA_OS.search(text):
        return Era.ADVANCED
    return None


def match_addresses(scope, addresses, interfaces):
    """Match a scope against a client's addresses.

    With several recorded addresses (and none given in the query) the answer
    is unknown unless every address gets the same answer.
    """
    if not addresses:
        return scope.match(None, interfaces)
    matches = [scope.match(address, interfaces) for address in addresses]
    results = {match.result for match in matches}
    if len(results) == 1:
        return matches[0]
    return ScopeMatch(
        None,
        f"the client has several addresses ({', '.join(addresses)}) and "
        f"{scope} does not answer the same for all of them",
    )


def decide_addresses(scope, addresses, interfaces):
    """The result of match_addresses without its explanation (faster)."""
    if len(addresses) < 2:
        return scope.decide(addresses[0] if addresses else None, interfaces)
    results = {scope.decide(address, interfaces) for address in addresses}
    return results.pop() if len(results) == 1 else None


def other_era(era):
    return Era.ADVANCED if era == Era.XP else Era.XP


class Context:
    """One query resolved against one snapshot; rungs read and note things here."""

    def __init__(self, snapshot, query, *, now, subject_class=Subject):
        self.snapshot = snapshot
        self.query = query
        self.now = now
        self.server_info = snapshot.servers[query.server_id]
        self.server = self.server_info.server
        self.config = self.server_info.config
        self.era = self.server.era
        self.profile = self.server.active_profile
        self.service = query.service
        self.client = (
            snapshot.accounts.get(query.client_id) if query.client_id else None
        )
        self.external = query.external_client
        self.user = snapshot.accounts.get(query.user_id) if query.user_id else None
        self.warnings = list(query.warnings)
        self.ipsec = None

        self.client_subject = subject_class(
            snapshot,
            self.client,
            now=now,
            added=query.client_groups_added,
            removed=query.client_groups_removed,
            external=self.external,
        )
        self.user_subject = None
        if self.user is not None:
            self.user_subject = subject_class(
                snapshot,
                self.user,
                now=now,
                added=query.user_groups_added,
                removed=query.user_groups_removed,
            )

        self.addresses, self.address_source = self._addresses()
        self.client_os = self.client.operating_system if self.client else ""
        era = os_era(self.client_os)
        if query.other_client_era:
            era = other_era(era or Era.ADVANCED)
        self.client_era = era

    def _addresses(self):
        if self.query.client_address:
            return [self.query.client_address], "given in the query"
        if self.client is not None and self.client.addresses:
            return list(
                self.client.addresses
            ), "recorded in the directory (DNS or import)"
        return [], "none known"

    @property
    def client_label(self):
        if self.client is not None:
            return self.client.label
        if self.external is not None:
            return self.external.label
        return self.query.client_address or "unknown host"

    @property
    def client_can_authenticate(self):
        """Whether the client has an enabled, live computer account (Kerberos).

        A machine of a domain the console does not sync may well have one; the
        console cannot tell (None).
        """
        if self.client is not None:
            return (
                self.client.is_computer
                and self.client.enabled
                and not self.client.deleted
            )
        if self.external is not None:
            return None
        return False

    @property
    def client_can_authenticate_user(self):
        """AuthIP: later-era clients only; an unrecorded OS is taken as capable."""
        return self.client_era != Era.XP

    def scope_match(self, scope):
        """Match a scope against the client's address(es) (see match_addresses)."""
        return match_addresses(scope, self.addresses, self.server_info.interfaces)

    def with_service_port(self, protocol, port):
        """A copy of this context asking about another port (same client)."""
        other = copy.copy(self)
        other.service = Service(kind=protocol, protocol=protocol, port=port)
        return other

    def server_ref(self):
        return ObjectRef(
            "server",
            self.server.name,
            safe_url("policies:server_detail", self.server.pk),
        )

    def account_ref(self, account):
        return ObjectRef(account.kind, account.label, account.url)

    def policy_ref(self, policy, label=None, kind="policy"):
        if policy is None:
            return ObjectRef("default", label or "Windows default")
        return ObjectRef(
            kind, label or str(policy), _policy_url(policy), f"from policy {policy}"
        )

    def rule_ref(self, rule, policy, kind="rule"):
        url = _policy_url(policy)
        anchor = f"#{kind}-{rule.pk}" if rule.pk else ""
        return ObjectRef(
            kind, rule.name, url + anchor if url else "", f"policy {policy}"
        )


def _policy_url(policy):
    if policy is None:
        return ""
    if policy.local_server_id:
        return safe_url("policies:server_detail", policy.local_server_id)
    return safe_url("policies:policy_detail", policy.pk)
