"""The conditions of an authenticated bypass, shared by both ladders.

The traffic must be IPsec-protected (AH or ESP), authenticated with an
identity the firewall can check (Kerberos; a pre-shared key proves none), by
an enabled computer account that is listed directly or through nested groups
and not refused by a deny entry. Later-era rules that also authorize users
need the user's identity, which only AuthIP (Vista and later clients) carries.
"""

from policies.evaluator.logic import and3
from policies.models import IPsecPolicy

CERTIFICATE = IPsecPolicy.Authentication.CERTIFICATE
PRESHARED_KEY = IPsecPolicy.Authentication.PRESHARED_KEY


def _ipsec_condition(ctx, rung, *, xp):
    ipsec = ctx.ipsec
    if ipsec.negotiated is False:
        rung.details.append(
            "The traffic is not IPsec-protected, so the bypass cannot apply."
        )
        return False
    if ipsec.negotiated is None:
        rung.unknowns.append("whether IPsec is negotiated")
        return None
    if ipsec.authentication == PRESHARED_KEY:
        rung.details.append(
            f"IPsec ({ipsec.policy}) authenticates with a pre-shared key, which "
            "proves no computer identity: the bypass needs Kerberos."
        )
        return False
    if ipsec.authentication == CERTIFICATE:
        if xp:
            rung.details.append(
                f"IPsec ({ipsec.policy}) authenticates with a certificate; the "
                "XP-era bypass requires Kerberos."
            )
            return False
        rung.unknowns.append(
            f"IPsec ({ipsec.policy}) authenticates with a certificate; whether it "
            "maps to the computer account (certificate-to-account mapping) is not "
            "recorded"
        )
        return None
    return True


def _account_condition(ctx, rung):
    can = ctx.client_can_authenticate
    if can:
        return True
    if can is None:
        rung.unknowns.append(
            f"{ctx.client_label} belongs to a domain the console does not sync"
        )
        return None
    if ctx.client is None:
        rung.details.append(
            f"{ctx.client_label} has no computer account; only domain computers "
            "can be on a bypass list."
        )
    elif ctx.client.deleted:
        rung.details.append(
            f"{ctx.client_label}'s computer account is deleted: it cannot authenticate."
        )
    elif not ctx.client.enabled:
        rung.details.append(
            f"{ctx.client_label}'s computer account is disabled: it cannot get "
            "Kerberos tickets, so IPsec cannot authenticate it."
        )
    else:
        rung.details.append(f"{ctx.client_label} is not a computer account.")
    return False


def note_membership(ctx, rung, subject, allowed, denied, what):
    """Record chains and unknowns of an authorization check on the rung."""
    if allowed.hit is not None:
        chain = subject.describe(allowed.hit)
        if chain is not None:
            rung.chains.append(chain)
    if denied.hit is not None:
        chain = subject.describe(denied.hit)
        if chain is not None:
            rung.chains.append(chain)
        entry = denied.hit.entry
        rung.details.append(
            f"{what} is refused by the deny entry {entry.name or entry.sid}."
        )
    rung.unknowns += list(allowed.unknowns) + list(denied.unknowns)
    if allowed.result is False:
        rung.details.append(
            f"{what} is not on the list, directly or through any group."
        )


def machine_bypass_applies(ctx, rung, allow_entries, deny_entries, *, xp=True):
    """Three-valued: do the IPsec, account and membership conditions hold?"""
    ipsec = _ipsec_condition(ctx, rung, xp=xp)
    account = _account_condition(ctx, rung)
    result, allowed, denied = ctx.client_subject.authorized(allow_entries, deny_entries)
    note_membership(ctx, rung, ctx.client_subject, allowed, denied, ctx.client_label)
    return and3(ipsec, account, result)


def user_bypass_applies(ctx, rung, allow_entries, deny_entries):
    """Later era: does an authenticated user satisfy the rule's user list?"""
    if ctx.user is None:
        rung.details.append(
            "The rule also requires an authorized user; a computer-only "
            "authenticated connection cannot satisfy it (no user given)."
        )
        return False
    if not ctx.client_can_authenticate_user:
        rung.details.append(
            f"{ctx.client_label} runs an XP/2003-era system: its IPsec cannot "
            "authenticate the user (no AuthIP)."
        )
        return False
    authenticated = ctx.ipsec.user_authenticated
    if authenticated is False:
        rung.details.append("The IPsec negotiation does not authenticate the user.")
    if not ctx.user.enabled or ctx.user.deleted:
        rung.details.append(f"User {ctx.user.label} is disabled or deleted.")
        return False
    result, allowed, denied = ctx.user_subject.authorized(allow_entries, deny_entries)
    note_membership(
        ctx, rung, ctx.user_subject, allowed, denied, f"user {ctx.user.label}"
    )
    return and3(authenticated, result)
