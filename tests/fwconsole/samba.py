"""The shared Samba AD DC seen from the sign-in tests: an OU of their own with
users and groups made over LDAPS as the domain administrator."""

import secrets
import subprocess

import ldap

from tests.services import ROOT

SCRIPT = ROOT / "scripts" / "samba-dc.sh"


def samba_environment():
    """Start (or reuse) the DC and return its FWCONSOLE_SAMBA_* variables."""
    started = subprocess.run(
        [SCRIPT, "start"], capture_output=True, text=True, timeout=300
    )
    if started.returncode != 0:
        raise RuntimeError(f"{SCRIPT} start failed:\n{started.stderr}")
    output = subprocess.run(
        [SCRIPT, "env"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


def connect(url, ca_file):
    connection = ldap.initialize(url)
    connection.set_option(ldap.OPT_REFERRALS, 0)
    connection.set_option(ldap.OPT_NETWORK_TIMEOUT, 10)
    connection.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
    connection.set_option(ldap.OPT_X_TLS_CACERTFILE, ca_file)
    connection.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
    return connection


class SambaOU:
    """An OU=fwsec-<random> on the DC; everything made in it goes with it."""

    def __init__(self, env):
        self.env = env
        self.url = env["FWCONSOLE_SAMBA_URL"]
        self.ldap_url = env["FWCONSOLE_SAMBA_LDAP_URL"]
        self.ca_file = env["FWCONSOLE_SAMBA_CA_FILE"]
        self.realm = env["FWCONSOLE_SAMBA_REALM"].lower()
        self.tag = secrets.token_hex(3)
        self.dn = f"OU=fwsec-{self.tag},{env['FWCONSOLE_SAMBA_BASE_DN']}"
        self.admin = connect(self.url, self.ca_file)
        self.admin.simple_bind_s(
            env["FWCONSOLE_SAMBA_ADMIN_DN"], env["FWCONSOLE_SAMBA_ADMIN_PASSWORD"]
        )
        self.admin.add_s(self.dn, [("objectClass", [b"organizationalUnit"])])

    def name(self, base):
        """A sAMAccountName unique to this OU (at most 20 characters)."""
        return f"{base}{self.tag}"[:20]

    def add_user(self, base, password, *, enabled=True):
        """Create a user account; return (sAMAccountName, DN)."""
        sam = self.name(base)
        dn = f"CN={sam},{self.dn}"
        self.admin.add_s(
            dn,
            [
                ("objectClass", [b"user"]),
                ("sAMAccountName", [sam.encode()]),
                ("userPrincipalName", [f"{sam}@{self.realm}".encode()]),
                ("givenName", [base.encode()]),
                ("unicodePwd", [f'"{password}"'.encode("utf-16-le")]),
                ("userAccountControl", [b"512" if enabled else b"514"]),
            ],
        )
        return sam, dn

    def add_group(self, base, members=()):
        dn = f"CN={self.name(base)},{self.dn}"
        attrs = [
            ("objectClass", [b"group"]),
            ("sAMAccountName", [self.name(base).encode()]),
        ]
        if members:
            attrs.append(("member", [member.encode() for member in members]))
        self.admin.add_s(dn, attrs)
        return dn

    def add_member(self, group_dn, member_dn):
        self.admin.modify_s(group_dn, [(ldap.MOD_ADD, "member", [member_dn.encode()])])

    def remove_member(self, group_dn, member_dn):
        self.admin.modify_s(
            group_dn, [(ldap.MOD_DELETE, "member", [member_dn.encode()])]
        )

    def set_enabled(self, dn, enabled):
        value = b"512" if enabled else b"514"
        self.admin.modify_s(dn, [(ldap.MOD_REPLACE, "userAccountControl", [value])])

    def remove(self):
        entries = self.admin.search_s(
            self.dn, ldap.SCOPE_SUBTREE, "(objectClass=*)", ["1.1"]
        )
        for dn in sorted((dn for dn, _ in entries if dn), key=len, reverse=True):
            self.admin.delete_s(dn)
        self.admin.unbind_s()
