"""Hypothesis fuzzing of the LDIF importer: any file is either imported or
refused with an error naming its line, and hostile names, descriptions and
DNs from a file show as text on every directory page afterwards."""

import io

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from directory.ldif import LdifError, parse_ldif
from directory.models import DirectoryObject, DirectorySource, SyncRun
from directory.services import ldif_import
from tests.fwconsole import fuzz
from tests.fwconsole.test_fuzz import FUZZ_SETTINGS

LDIF_LINES = st.sampled_from(
    [
        "dn: CN=a,DC=corp,DC=example",
        "dn:: Q049YQ==",
        "dn: not a dn",
        "objectClass: computer",
        "objectGUID:: AAECAwQFBgcICQoLDA0ODw==",
        "description:: !!notbase64",
        " continued",
        "  two spaces",
        "member: CN=b,DC=corp,DC=example",
        "changetype: modify",
        "changetype: add",
        "# comment",
        "version: 1",
        "cn:< file:///etc/passwd",
        "cn:",
        "",
        "-",
    ]
)


@st.composite
def ldif_like(draw):
    lines = draw(st.lists(st.one_of(LDIF_LINES, fuzz.hostile_text()), max_size=12))
    return "\n".join(lines).encode(draw(st.sampled_from(["utf-8", "utf-16"])))


@FUZZ_SETTINGS
@given(data=st.one_of(st.binary(max_size=600), ldif_like()))
def test_any_file_is_read_or_refused_with_its_line(data):
    try:
        entries = parse_ldif(io.BytesIO(data))
    except LdifError as error:
        assert error.line >= 1
        assert str(error).startswith("uploaded file, line ")
    else:
        assert isinstance(entries, list)


@pytest.fixture
def ldif_source(db):
    return DirectorySource.objects.create(
        name="fuzz-ldif",
        kind=DirectorySource.Kind.LDIF,
        base_dn="DC=corp,DC=example,DC=test",
    )


def directory_pages(source):
    """Every directory page about the imported objects, lists with searches."""
    paths = [obj.get_absolute_url() for obj in DirectoryObject.objects.all()]
    paths += [run.get_absolute_url() for run in SyncRun.objects.all()]
    paths += [reverse("directory:index"), reverse("changelog")]
    return paths


@pytest.mark.django_db
def test_hostile_names_from_a_file_show_as_text_everywhere(admin_client, ldif_source):
    admin_client.raise_request_exception = False
    before = fuzz.database_fingerprint()

    @FUZZ_SETTINGS
    @given(value=fuzz.hostile_text())
    def run(value):
        with transaction.atomic():
            upload = io.BytesIO(fuzz.hostile_ldif(value))
            try:
                result = ldif_import(source=ldif_source, path_or_file=upload)
            except LdifError:
                assert fuzz.database_fingerprint() == before
                transaction.set_rollback(True)
                return
            problems = []
            if result.status != SyncRun.Status.SUCCEEDED:
                if DirectoryObject.objects.exists():
                    problems.append(f"failed run ({result.error}) left objects")
            visited, _forms, errors = fuzz.crawl(
                admin_client,
                directory_pages(ldif_source),
                per_route=3,
                within=("/directory/", "/api/directory/"),
            )
            problems += errors
            for path, response in visited.items():
                problems += [f"{path}: {p}" for p in fuzz.answer_problems(response)]
            transaction.set_rollback(True)
        assert not problems, "\n".join(problems)

    run()


@pytest.mark.parametrize("data", [b"\x80", b"dn: CN=a\n\xff\xfe", b"\xff\xfe\x00\xd8"])
def test_file_that_is_not_text_is_refused_naming_its_line(data):
    with pytest.raises(LdifError, match=r"line \d+: not UTF-8"):
        parse_ldif(io.BytesIO(data))
