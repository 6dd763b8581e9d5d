"""Domain sign-in against the real Samba AD DC: roles from mapped groups (nested
ones too), re-read at every sign-in; disabled accounts, wrong passwords and
filter tricks refused; the break-glass admin unaffected by a DC that is down."""

import logging
import socket

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import SESSION_KEY, get_user_model
from django.urls import reverse

from fwconsole.models import DirectoryAccount, RoleMapping
from fwconsole.roles import Role, user_role
from policies.models import Server
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.samba, pytest.mark.django_db]

USER_PASSWORD = "User-pass-2026!"


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def signed_in_user(client):
    user_id = client.session.get(SESSION_KEY)
    return get_user_model().objects.get(pk=user_id) if user_id else None


def map_group(group_dn, role):
    return RoleMapping.objects.create(group_dn=group_dn, role=role)


@pytest.fixture
def groups(directory_sign_in, samba_ou):
    """Viewer, editor and admin groups in the OU, each mapped to its role."""
    dns = {role: samba_ou.add_group(f"fw-{role[:3]}-") for role in ("viewer", "editor")}
    dns["admin"] = samba_ou.add_group("fw-adm-")
    for role, dn in dns.items():
        map_group(dn, role)
    return dns


def editor_only_url():
    """A page that needs the editor role: creating a server."""
    return reverse("policies:server_create")


def test_member_of_mapped_editor_group_signs_in_and_edits(client, samba_ou, groups):
    sam, dn = samba_ou.add_user("ed-", USER_PASSWORD)
    samba_ou.add_member(groups["editor"], dn)

    response = sign_in(client, sam, USER_PASSWORD)

    assert response.status_code == 302
    user = signed_in_user(client)
    assert user.username == sam.lower()
    assert user_role(user) == Role.EDITOR
    assert DirectoryAccount.objects.get(user=user).dn.lower() == dn.lower()
    assert client.get(editor_only_url()).status_code == 200
    created = client.post(
        editor_only_url(),
        {"name": f"app-{samba_ou.tag}", "era": "xp", "active_profile": "domain"},
    )
    assert created.status_code == 302
    assert Server.objects.filter(name=f"app-{samba_ou.tag}").exists()


def test_member_of_only_the_viewer_group_cannot_edit(client, samba_ou, groups):
    sam, dn = samba_ou.add_user("view-", USER_PASSWORD)
    samba_ou.add_member(groups["viewer"], dn)

    sign_in(client, sam, USER_PASSWORD)

    assert user_role(signed_in_user(client)) == Role.VIEWER
    assert client.get(reverse("dashboard:home")).status_code == 200
    assert client.get(editor_only_url()).status_code == 403
    assert client.post(editor_only_url(), {"name": "x"}).status_code == 403


def test_nested_member_gets_the_role_of_the_outer_group(client, samba_ou, groups):
    sam, dn = samba_ou.add_user("nest-", USER_PASSWORD)
    inner = samba_ou.add_group("team-", members=[dn])
    middle = samba_ou.add_group("dept-", members=[inner])
    samba_ou.add_member(groups["editor"], middle)

    sign_in(client, sam, USER_PASSWORD)

    user = signed_in_user(client)
    assert user_role(user) == Role.EDITOR
    assert [g.lower() for g in user.directory_account.role_groups] == [
        groups["editor"].lower()
    ]


def test_member_of_several_mapped_groups_gets_the_highest_role(
    client, samba_ou, groups
):
    sam, dn = samba_ou.add_user("multi-", USER_PASSWORD)
    samba_ou.add_member(groups["viewer"], dn)
    samba_ou.add_member(groups["admin"], dn)

    sign_in(client, sam, USER_PASSWORD)

    assert user_role(signed_in_user(client)) == Role.ADMIN


def test_role_is_read_again_at_every_sign_in(client, samba_ou, groups):
    sam, dn = samba_ou.add_user("again-", USER_PASSWORD)
    samba_ou.add_member(groups["editor"], dn)
    sign_in(client, sam, USER_PASSWORD)
    client.post(reverse("logout"))

    samba_ou.remove_member(groups["editor"], dn)
    samba_ou.add_member(groups["viewer"], dn)
    sign_in(client, sam, USER_PASSWORD)

    user = signed_in_user(client)
    assert user_role(user) == Role.VIEWER
    change = LogEntry.objects.filter(
        object_pk=str(user.pk), additional_data__event="role changed"
    ).first()
    assert change.changes == {"role": ["editor", "viewer"]}


def test_removed_mapping_takes_the_role_away(client, samba_ou, groups):
    sam, dn = samba_ou.add_user("unmap-", USER_PASSWORD)
    samba_ou.add_member(groups["editor"], dn)
    sign_in(client, sam, USER_PASSWORD)
    user = signed_in_user(client)
    client.post(reverse("logout"))

    RoleMapping.objects.filter(group_dn=groups["editor"]).delete()
    response = sign_in(client, sam, USER_PASSWORD)

    assert response.status_code == 200
    assert signed_in_user(client) is None
    assert user_role(get_user_model().objects.get(pk=user.pk)) == Role.PUBLIC


def test_mapping_from_settings_gives_the_role(
    client, samba_ou, directory_sign_in, settings
):
    group = samba_ou.add_group("cfggrp-")
    sam, dn = samba_ou.add_user("cfg-", USER_PASSWORD)
    samba_ou.add_member(group, dn)
    # DNs in settings are compared parsed and case-folded.
    settings.FWCONSOLE_AUTH_LDAP_ROLE_GROUPS = {
        "viewer": [],
        "editor": [group.upper().replace(",", ", ")],
        "admin": [],
    }

    sign_in(client, sam, USER_PASSWORD)

    assert user_role(signed_in_user(client)) == Role.EDITOR


def test_account_in_no_mapped_group_is_refused(client, samba_ou, groups):
    sam, _dn = samba_ou.add_user("nogrp-", USER_PASSWORD)

    response = sign_in(client, sam, USER_PASSWORD)

    assert response.status_code == 200
    assert signed_in_user(client) is None
    assert not get_user_model().objects.filter(username=sam.lower()).exists()


def test_disabled_account_is_refused(client, samba_ou, groups):
    sam, dn = samba_ou.add_user("off-", USER_PASSWORD, enabled=False)
    samba_ou.add_member(groups["admin"], dn)

    response = sign_in(client, sam, USER_PASSWORD)

    assert response.status_code == 200
    assert signed_in_user(client) is None


def test_account_disabled_after_a_sign_in_is_refused_next_time(
    client, samba_ou, groups
):
    sam, dn = samba_ou.add_user("later-", USER_PASSWORD)
    samba_ou.add_member(groups["editor"], dn)
    sign_in(client, sam, USER_PASSWORD)
    client.post(reverse("logout"))

    samba_ou.set_enabled(dn, False)
    sign_in(client, sam, USER_PASSWORD)

    assert signed_in_user(client) is None


def test_wrong_password_is_refused_and_recorded(client, samba_ou, groups, caplog):
    sam, dn = samba_ou.add_user("wrong-", USER_PASSWORD)
    samba_ou.add_member(groups["editor"], dn)

    with caplog.at_level(logging.INFO):
        response = sign_in(client, sam, "not-the-password")

    assert response.status_code == 200
    assert signed_in_user(client) is None
    failure = LogEntry.objects.get(additional_data__event="sign-in failed")
    assert failure.object_repr == sam
    assert failure.remote_addr == "127.0.0.1"
    assert "not-the-password" not in caplog.text
    assert any(
        record.name == "fwconsole.auth.receivers" and sam in record.getMessage()
        for record in caplog.records
    )


@pytest.mark.parametrize(
    "typed",
    ["*", "{prefix}*", "{sam})(sAMAccountName=*", "*)(objectClass=*", "{sam}\\2a"],
)
def test_filter_characters_in_the_user_name_match_nothing(
    client, samba_ou, groups, typed
):
    sam, dn = samba_ou.add_user("inj-", USER_PASSWORD)
    samba_ou.add_member(groups["admin"], dn)

    sign_in(client, typed.format(prefix=sam[:5], sam=sam), USER_PASSWORD)

    assert signed_in_user(client) is None


def test_local_account_of_the_same_name_is_never_taken_over(
    client, samba_ou, groups, make_user
):
    sam, dn = samba_ou.add_user("clash-", USER_PASSWORD)
    samba_ou.add_member(groups["admin"], dn)
    local = make_user(sam.lower(), Role.VIEWER)

    sign_in(client, sam, USER_PASSWORD)

    assert signed_in_user(client) is None
    local.refresh_from_db()
    assert user_role(local) == Role.VIEWER
    assert not DirectoryAccount.objects.filter(user=local).exists()
    assert local.check_password(PASSWORD)


def test_direct_bind_with_the_user_principal_name(
    client, samba_ou, groups, directory_sign_in
):
    directory_sign_in(
        bind_dn="", bind_password="", user_dn_template="%(user)s@" + samba_ou.realm
    )
    sam, dn = samba_ou.add_user("direct-", USER_PASSWORD)
    samba_ou.add_member(groups["editor"], dn)

    sign_in(client, sam, USER_PASSWORD)

    user = signed_in_user(client)
    assert user_role(user) == Role.EDITOR
    assert user.directory_account.dn.lower() == dn.lower()


def test_start_tls_on_the_plain_port(client, samba_ou, groups, directory_sign_in):
    directory_sign_in(server_uris=[samba_ou.ldap_url], start_tls=True)
    sam, dn = samba_ou.add_user("stls-", USER_PASSWORD)
    samba_ou.add_member(groups["viewer"], dn)

    sign_in(client, sam, USER_PASSWORD)

    assert user_role(signed_in_user(client)) == Role.VIEWER


def test_certificate_not_signed_by_the_configured_ca_is_refused(
    client, samba_ou, groups, directory_sign_in, tmp_path
):
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_text(_unrelated_ca_certificate())
    directory_sign_in(ca_file=str(other_ca))
    sam, dn = samba_ou.add_user("tls-", USER_PASSWORD)
    samba_ou.add_member(groups["admin"], dn)

    response = sign_in(client, sam, USER_PASSWORD)

    assert response.status_code == 200
    assert signed_in_user(client) is None


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_break_glass_admin_signs_in_while_the_directory_is_down(
    client, samba_ou, groups, directory_sign_in, make_user, caplog
):
    directory_sign_in(server_uris=[f"ldaps://127.0.0.1:{_closed_port()}"])
    make_user("breakglass", Role.ADMIN)

    with caplog.at_level(logging.WARNING):
        domain = sign_in(client, "someone", USER_PASSWORD)
        local = sign_in(client, "breakglass", PASSWORD)

    assert domain.status_code == 200
    assert local.status_code == 302
    assert user_role(signed_in_user(client)) == Role.ADMIN
    assert client.get(reverse("accounts:user_list")).status_code == 200
    assert "Can't contact LDAP server" in caplog.text
    assert USER_PASSWORD not in caplog.text


def test_sign_in_is_recorded_with_the_actor(client, samba_ou, groups):
    sam, dn = samba_ou.add_user("audit-", USER_PASSWORD)
    samba_ou.add_member(groups["viewer"], dn)

    sign_in(client, sam, USER_PASSWORD)

    user = signed_in_user(client)
    entry = LogEntry.objects.get(additional_data__event="signed in")
    assert entry.actor == user
    assert entry.additional_data["detail"] == "directory account"
    assert client.get(reverse("changelog")).status_code == 200


def _unrelated_ca_certificate():
    import subprocess

    return subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "/dev/null",
            "-days",
            "1",
            "-subj",
            "/CN=unrelated test CA",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_domain_prefix_typed_before_the_name_is_understood(client, samba_ou, groups):
    sam, dn = samba_ou.add_user("pfx-", USER_PASSWORD)
    samba_ou.add_member(groups["viewer"], dn)
    netbios = samba_ou.env["FWCONSOLE_SAMBA_NETBIOS"]

    sign_in(client, f"{netbios}\\{sam.upper()}", USER_PASSWORD)

    assert signed_in_user(client).username == sam.lower()


def test_primary_group_counts_as_membership(
    client, samba_ou, directory_sign_in, samba_env
):
    base_dn = samba_env["FWCONSOLE_SAMBA_BASE_DN"]
    directory_sign_in(group_search_base=base_dn)
    # Every account's primary group; AD never lists it in `member`.
    map_group(f"CN=Domain Users,CN=Users,{base_dn}", "viewer")
    sam, _dn = samba_ou.add_user("prim-", USER_PASSWORD)

    sign_in(client, sam, USER_PASSWORD)

    assert user_role(signed_in_user(client)) == Role.VIEWER
