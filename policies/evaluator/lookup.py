"""Finding the machine, user, group and server a what-if query names.

Names match exactly, never by prefix or pattern: what an operator types is
compared as a value with what the directory holds, so ``*``, ``WS16*`` or
``WS1601)(objectClass=*`` name no machine. Machines match on sAMAccountName
with or without ``$``, ``DOMAIN\\NAME$``, or the DNS name (case and a trailing
dot do not matter; a host label plus the source's DNS domain is accepted, with
a warning, when dNSHostName is missing or stale). Users match on
sAMAccountName, ``DOMAIN\\user`` or userPrincipalName.
"""

from dataclasses import dataclass

import ldap.dn

from directory.models import DirectoryObject

COMPUTER = DirectoryObject.Kind.COMPUTER
USER = DirectoryObject.Kind.USER
GROUP = DirectoryObject.Kind.GROUP

KIND_WORDS = {COMPUTER: "machine", USER: "user", GROUP: "group"}


class NotFound(LookupError):
    """A name that matches no account, or more than one."""


@dataclass(frozen=True)
class Found:
    """An account found by name, with any warning about how it matched."""

    account: object
    warning: str = ""


@dataclass(frozen=True)
class ExternalMachine:
    """A machine named in a domain that no synced source covers.

    The console cannot know its groups except through foreign security
    principals that it cannot resolve either.
    """

    name: str
    domain: str

    @property
    def label(self):
        return f"{self.name}.{self.domain}"


def _unique(snapshot, pks, text, kind):
    live = [pk for pk in pks if not snapshot.accounts[pk].deleted]
    candidates = live or list(pks)
    if not candidates:
        raise NotFound(f"Unknown {KIND_WORDS[kind]} '{text}'.")
    if len(candidates) > 1:
        sources = ", ".join(
            sorted(
                snapshot.sources[snapshot.accounts[pk].source_id].name
                for pk in candidates
            )
        )
        raise NotFound(
            f"'{text}' names several {KIND_WORDS[kind]}s (sources: {sources}); "
            "qualify it as DOMAIN\\name."
        )
    return snapshot.accounts[candidates[0]]


def _sources_for_domain(snapshot, domain):
    domain = domain.casefold()
    return [
        source
        for source in snapshot.sources.values()
        if domain in source.domain_names or domain == source.dns_domain_name
    ]


def _by_account_name(snapshot, name, kind, sources=None):
    key = name.casefold()
    if kind == COMPUTER:
        key = key.removesuffix("$")
    pks = snapshot.by_name.get((kind, key), [])
    if sources is not None:
        source_ids = {source.pk for source in sources}
        pks = [pk for pk in pks if snapshot.accounts[pk].source_id in source_ids]
    return pks


def find_machine(snapshot, text):
    """Return a Found computer, or an ExternalMachine for a foreign domain."""
    text = (text or "").strip()
    if not text:
        raise NotFound("No machine given.")

    if "\\" in text:
        domain, _, name = text.partition("\\")
        if not domain.strip() or not name.strip():
            raise NotFound(
                f"Unknown machine '{text}': write DOMAIN\\NAME$ with both parts."
            )
        sources = _sources_for_domain(snapshot, domain)
        if not sources:
            raise NotFound(f"Unknown machine '{text}': no source is domain {domain}.")
        return Found(
            _unique(
                snapshot,
                _by_account_name(snapshot, name, COMPUTER, sources),
                text,
                COMPUTER,
            )
        )

    if "." in text:
        return _find_by_dns_name(snapshot, text)

    pks = _by_account_name(snapshot, text, COMPUTER)
    return Found(_unique(snapshot, pks, text, COMPUTER))


def _find_by_dns_name(snapshot, text):
    fqdn = text.casefold().rstrip(".")
    pks = [
        pk for pk in snapshot.by_dns.get(fqdn, []) if snapshot.accounts[pk].is_computer
    ]
    if pks:
        return Found(_unique(snapshot, pks, text, COMPUTER))

    label, _, domain = fqdn.partition(".")
    sources = [
        source
        for source in snapshot.sources.values()
        if source.dns_domain_name == domain
    ]
    if not sources:
        return ExternalMachine(name=label.upper(), domain=domain)
    account = _unique(
        snapshot, _by_account_name(snapshot, label, COMPUTER, sources), text, COMPUTER
    )
    if account.dns_host_name:
        warning = (
            f"{account.label} matched by host name and the source's DNS domain "
            f"{domain}; its dNSHostName says {account.dns_host_name}."
        )
    else:
        warning = (
            f"{account.label} matched by host name and the source's DNS domain "
            f"{domain}; it has no dNSHostName."
        )
    return Found(account, warning)


def find_user(snapshot, text):
    """Return a Found user by sAMAccountName, DOMAIN\\user or UPN."""
    text = (text or "").strip()
    if not text:
        raise NotFound("No user given.")
    if "\\" in text:
        domain, _, name = text.partition("\\")
        if not domain.strip() or not name.strip():
            raise NotFound(
                f"Unknown user '{text}': write DOMAIN\\user with both parts."
            )
        sources = _sources_for_domain(snapshot, domain)
        if not sources:
            raise NotFound(f"Unknown user '{text}': no source is domain {domain}.")
        pks = _by_account_name(snapshot, name, USER, sources)
        return Found(_unique(snapshot, pks, text, USER))
    if "@" in text:
        pks = [
            pk
            for pk in snapshot.by_upn.get(text.casefold(), [])
            if snapshot.accounts[pk].kind == USER
        ]
        return Found(_unique(snapshot, pks, text, USER))
    return Found(_unique(snapshot, _by_account_name(snapshot, text, USER), text, USER))


def find_group(snapshot, text):
    """Return a Found group by name, DOMAIN\\name, or distinguished name."""
    text = (text or "").strip()
    if not text:
        raise NotFound("No group given.")
    if "=" in text and "," in text:
        key = _dn_key(text)
        if key is None:
            raise NotFound(f"'{text}' is not a distinguished name.")
        pks = [
            account.pk
            for account in snapshot.accounts.values()
            if account.is_group and _dn_key(account.dn) == key
        ]
        return Found(_unique(snapshot, pks, text, GROUP))
    if "\\" in text:
        domain, _, name = text.partition("\\")
        sources = _sources_for_domain(snapshot, domain)
        if not sources:
            raise NotFound(f"Unknown group '{text}': no source is domain {domain}.")
        return Found(
            _unique(
                snapshot, _by_account_name(snapshot, name, GROUP, sources), text, GROUP
            )
        )
    return Found(
        _unique(snapshot, _by_account_name(snapshot, text, GROUP), text, GROUP)
    )


def _dn_key(dn):
    """Compare DNs as parsed RDN sequences: escapes resolved, case folded."""
    try:
        rdns = ldap.dn.str2dn(dn)
    except ldap.DECODING_ERROR:
        return None
    return tuple(
        tuple((attribute.casefold(), value.casefold()) for attribute, value, _ in rdn)
        for rdn in rdns
    )


def find_server(snapshot, text):
    """Return the ServerInfo of a server by name or FQDN (case-insensitive)."""
    key = (text or "").strip().casefold().rstrip(".")
    if not key:
        raise NotFound("No server given.")
    info = snapshot.servers_by_name.get(key)
    if info is None:
        raise NotFound(f"Unknown server '{text}'.")
    return info
