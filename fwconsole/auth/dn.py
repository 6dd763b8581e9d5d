"""Distinguished names as values: one normal form for comparing them."""

import ldap
import ldap.dn


def normalize_dn(dn):
    """Return the DN parsed and case-folded, or raise ValueError if it is no DN."""
    try:
        parts = ldap.dn.str2dn(dn.strip())
    except ldap.DECODING_ERROR as error:
        raise ValueError(f"{dn!r} is not a distinguished name.") from error
    if not parts:
        raise ValueError("A distinguished name cannot be empty.")
    if any(not value for rdn in parts for _attr, value, _kind in rdn):
        raise ValueError("Every part of a distinguished name needs a value.")
    folded = [
        [(attr.lower(), value.lower(), kind) for attr, value, kind in rdn]
        for rdn in parts
    ]
    return ldap.dn.dn2str(folded)


def dn_or_none(dn):
    """Return the normal form of a DN, or None when it does not parse."""
    try:
        return normalize_dn(dn)
    except ValueError:
        return None
