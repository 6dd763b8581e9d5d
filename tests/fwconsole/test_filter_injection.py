"""FC-16: text typed into search boxes never acts as an LDAP filter. The
console's type-ahead searches its own tables, so `*`, `)(` and friends are
literal characters; the accounts of the field case come in through the real
LDIF import."""

import pytest
from django.urls import reverse

from directory.models import DirectorySource, SyncRun
from directory.services import ldif_import

pytestmark = pytest.mark.django_db

# The accounts of the field case's directory.ldif that the searches need.
DIRECTORY = b"""\
dn: CN=John Roe (admin),OU=Admins,DC=corp,DC=example,DC=test
objectClass: user
objectGUID:: AAECAwQFBgcICQoLDA0ODw==
sAMAccountName: jroe(adm)

dn: CN=John Roe,OU=Staff,DC=corp,DC=example,DC=test
objectClass: user
objectGUID:: EBESExQVFhcYGRobHB0eHw==
sAMAccountName: jroe

dn: CN=WS1601,OU=Workstations,DC=corp,DC=example,DC=test
objectClass: user
objectClass: computer
objectGUID:: ICEiIyQlJicoKSorLC0uLw==
sAMAccountName: WS1601$

dn: CN=WS1602,OU=Workstations,DC=corp,DC=example,DC=test
objectClass: user
objectClass: computer
objectGUID:: MDEyMzQ1Njc4OTo7PD0+Pw==
sAMAccountName: WS1602$
"""


@pytest.fixture
def field_case_directory(db, tmp_path):
    source = DirectorySource.objects.create(
        name="corp",
        kind=DirectorySource.Kind.LDIF,
        base_dn="DC=corp,DC=example,DC=test",
    )
    path = tmp_path / "fc16.ldif"
    path.write_bytes(DIRECTORY)
    run = ldif_import(source=source, path_or_file=path)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    return source


def type_ahead(client, kind, text):
    response = client.get(reverse("whatif:search"), {"kind": kind, "q": text})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("typed", ["*", "WS16*", "WS1601)(objectClass=*", "*)(cn=*"])
def test_filter_characters_typed_for_a_machine_match_nothing(
    viewer_client, field_case_directory, typed
):
    page = type_ahead(viewer_client, "computer", typed)

    assert "WS1601" not in page and "WS1602" not in page


def test_wildcard_typed_for_a_user_matches_no_user(viewer_client, field_case_directory):
    page = type_ahead(viewer_client, "user", "*)(sAMAccountName=*")

    assert "jroe" not in page


def test_parentheses_in_a_real_name_still_find_it(viewer_client, field_case_directory):
    page = type_ahead(viewer_client, "user", "jroe(adm)")

    assert "jroe(adm)" in page


@pytest.mark.parametrize("typed", ["*", "*)(objectClass=*", "jroe*"])
def test_principal_search_treats_filter_characters_as_text(
    editor_client, field_case_directory, typed
):
    response = editor_client.get(
        reverse("policies:principal_search"), {"q": typed, "kinds": "user,computer"}
    )

    assert response.status_code == 200
    assert "jroe" not in response.content.decode()
