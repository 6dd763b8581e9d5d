"""Console user and role management by admins; every change is in the change
log with the admin who made it."""

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from fwconsole.accounts.services import set_user_active
from fwconsole.models import DirectoryAccount, RoleMapping
from fwconsole.roles import Role, user_role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Str0ng-enough-passphrase"


def events(name):
    return LogEntry.objects.filter(additional_data__event=name)


@pytest.mark.parametrize(
    "url_name",
    ["accounts:user_list", "accounts:user_create", "accounts:rolemapping_list"],
)
@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
def test_user_pages_need_the_admin_role(role_client, role, url_name):
    assert role_client(role).get(reverse(url_name)).status_code == 403


def test_user_list_shows_roles_and_origin_in_bounded_queries(
    admin_client, make_user, django_assert_max_num_queries
):
    for index in range(30):
        make_user(f"user{index:02}", [Role.VIEWER, Role.EDITOR, Role.ADMIN][index % 3])
    directory_user = make_user("domain-user", Role.EDITOR)
    DirectoryAccount.objects.create(
        user=directory_user, dn="CN=domain-user,OU=Staff,DC=corp,DC=example"
    )

    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("accounts:user_list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "user01" in page and "editor" in page
    assert "CN=domain-user,OU=Staff,DC=corp,DC=example" in page


def test_admin_creates_a_local_user_with_a_role(admin_client, admin_user):
    response = admin_client.post(
        reverse("accounts:user_create"),
        {
            "username": "breakglass2",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "role": "editor",
        },
    )

    assert response.status_code == 302
    user = get_user_model().objects.get(username="breakglass2")
    assert user.check_password(NEW_PASSWORD)
    assert user_role(user) == Role.EDITOR
    assert events("user created").get().actor == admin_user
    change = events("role changed").get(object_pk=str(user.pk))
    assert change.actor == admin_user
    assert change.changes == {"role": ["none", "editor"]}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"username": "x", "password1": "short", "password2": "short"}, "password1"),
        (
            {
                "username": "x",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD + "!",
            },
            "password2",
        ),
        (
            {
                "username": "bad name<",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
            "username",
        ),
        (
            {
                "username": "ADA-ADMIN",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
            "username",
        ),
    ],
)
def test_bad_new_user_is_refused_naming_the_field_and_changes_nothing(
    admin_client, data, field
):
    users_before = get_user_model().objects.count()
    entries_before = LogEntry.objects.count()

    response = admin_client.post(
        reverse("accounts:user_create"), {"role": "viewer", **data}
    )

    assert response.status_code == 400
    assert f'data-field-error="{field}"' in response.content.decode()
    assert NEW_PASSWORD not in response.content.decode()
    assert get_user_model().objects.count() == users_before
    assert LogEntry.objects.count() == entries_before


def test_admin_changes_a_local_users_role(admin_client, admin_user, make_user):
    user = make_user("vic", Role.VIEWER)

    response = admin_client.post(
        reverse("accounts:user_role", args=[user.pk]), {"role": "admin"}
    )

    assert response.status_code == 302
    assert user_role(get_user_model().objects.get(pk=user.pk)) == Role.ADMIN
    change = events("role changed").get()
    assert (change.actor, change.changes) == (admin_user, {"role": ["viewer", "admin"]})
    log = admin_client.get(reverse("changelog")).content.decode()
    assert "role changed" in log and "ada-admin" in log


def test_directory_users_role_is_not_changed_by_hand(admin_client, make_user):
    user = make_user("domain-ed", Role.EDITOR)
    DirectoryAccount.objects.create(user=user, dn="CN=domain-ed,DC=corp,DC=example")

    response = admin_client.post(
        reverse("accounts:user_role", args=[user.pk]), {"role": "admin"}
    )

    assert response.status_code == 400
    assert "AD groups mapped to roles" in response.content.decode()
    assert user_role(get_user_model().objects.get(pk=user.pk)) == Role.EDITOR
    assert not events("role changed").exists()


def test_admin_cannot_demote_themselves(admin_client, admin_user):
    response = admin_client.post(
        reverse("accounts:user_role", args=[admin_user.pk]), {"role": "viewer"}
    )

    assert response.status_code == 400
    assert user_role(get_user_model().objects.get(pk=admin_user.pk)) == Role.ADMIN


def test_deactivated_user_cannot_sign_in(admin_client, admin_user, make_user):
    user = make_user("leaver", Role.EDITOR)

    response = admin_client.post(reverse("accounts:user_deactivate", args=[user.pk]))

    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    assert events("user deactivated").get().actor == admin_user
    signed = Client().post(
        reverse("login"), {"username": "leaver", "password": PASSWORD}
    )
    assert signed.status_code == 200


def test_admin_cannot_deactivate_themselves(admin_client, admin_user):
    admin_client.post(reverse("accounts:user_deactivate", args=[admin_user.pk]))

    admin_user.refresh_from_db()
    assert admin_user.is_active
    assert not events("user deactivated").exists()


def test_last_active_admin_is_kept(admin_user, make_user):
    other = make_user("other-admin", Role.ADMIN)
    set_user_active(other, False, actor=admin_user)

    with pytest.raises(ValidationError, match="last active admin"):
        set_user_active(admin_user, False, actor=None)

    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_deactivate_needs_post(admin_client, make_user):
    user = make_user("stays", Role.VIEWER)

    response = admin_client.get(reverse("accounts:user_deactivate", args=[user.pk]))

    assert response.status_code == 405
    user.refresh_from_db()
    assert user.is_active


def test_admin_maps_a_group_and_removes_the_mapping(admin_client, admin_user):
    dn = "CN=Firewall editors,OU=Groups,DC=corp,DC=example"

    added = admin_client.post(
        reverse("accounts:rolemapping_list"), {"group_dn": dn, "role": "editor"}
    )
    mapping = RoleMapping.objects.get()
    removed = admin_client.post(
        reverse("accounts:rolemapping_delete", args=[mapping.pk])
    )

    assert added.status_code == 302 and removed.status_code == 302
    assert not RoleMapping.objects.exists()
    assert events("role mapping added").get().actor == admin_user
    assert events("role mapping removed").get().actor == admin_user


@pytest.mark.parametrize(
    "group_dn",
    [
        "not a dn",
        "CN=,DC=corp",
        "",
        "cn=firewall EDITORS, ou=groups,dc=corp,dc=example",
    ],
)
def test_bad_or_duplicate_mapping_is_refused(admin_client, admin_user, group_dn):
    RoleMapping.objects.create(
        group_dn="CN=Firewall editors,OU=Groups,DC=corp,DC=example", role="editor"
    )
    entries_before = LogEntry.objects.count()

    response = admin_client.post(
        reverse("accounts:rolemapping_list"), {"group_dn": group_dn, "role": "admin"}
    )

    assert response.status_code == 400
    assert 'data-field-error="group_dn"' in response.content.decode()
    assert RoleMapping.objects.count() == 1
    assert LogEntry.objects.count() == entries_before


def test_mappings_from_settings_show_read_only(admin_client, settings):
    settings.FWCONSOLE_AUTH_LDAP_ROLE_GROUPS = {
        "viewer": ["CN=All staff,DC=corp,DC=example"],
        "editor": [],
        "admin": [],
    }

    page = admin_client.get(reverse("accounts:rolemapping_list")).content.decode()

    assert "cn=all staff,dc=corp,dc=example" in page
    assert "fixed in the settings" in page


def test_sign_in_page_mentions_domain_accounts_only_when_they_may_sign_in(
    client, settings
):
    from fwconsole.settings.ldap import DIRECTORY_BACKEND

    local_only = client.get(reverse("login")).content.decode()
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        DIRECTORY_BACKEND,
    ]
    with_domain = client.get(reverse("login")).content.decode()

    assert "data-directory-sign-in" not in local_only
    assert "data-directory-sign-in" in with_domain
