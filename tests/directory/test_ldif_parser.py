"""The LDIF parser: RFC 2849 conformance (FC-17), ldifde quirks, clear errors."""

import io

import pytest
import yaml

from directory.ldap.values import guid_text
from directory.ldif import LdifError, parse_ldif


def test_awkward_export_gives_exactly_the_expected_entries(cases_dir):
    expected = yaml.safe_load((cases_dir / "FC-17" / "expected.yaml").read_text())
    entries = parse_ldif(cases_dir / "FC-17" / "export.ldif")

    assert len(entries) == expected["entries"]
    group, person = entries
    assert group.dn == expected["entry_1"]["dn"]
    for name, values in expected["entry_1"]["attributes"].items():
        if name == "objectGUID":
            assert [guid_text(raw) for raw in group.attrs["objectguid"]] == values
        else:
            assert group.texts(name.lower()) == values, name
    assert expected["entry_1"]["must_not_contain_member"] not in group.texts("member")
    assert person.dn == expected["entry_2"]["dn"]
    assert person.texts("cn") == expected["entry_2"]["attributes"]["cn"]
    assert person.texts("samaccountname") == ["abjornstad"]
    assert len(person.first("thumbnailphoto")) == 4500


def test_crlf_and_utf16_exports_read_like_the_original(cases_dir):
    original = (cases_dir / "FC-06" / "directory.ldif").read_bytes()
    crlf = original.replace(b"\n", b"\r\n")
    utf16 = original.decode("utf-8").encode("utf-16")

    expected = [(e.dn, e.attrs) for e in parse_ldif(io.BytesIO(original))]

    assert [(e.dn, e.attrs) for e in parse_ldif(io.BytesIO(crlf))] == expected
    assert [(e.dn, e.attrs) for e in parse_ldif(io.BytesIO(utf16))] == expected


def test_ldifde_changetype_add_is_dropped():
    data = b"dn: CN=WS1,DC=corp,DC=test\nchangetype: add\nobjectClass: computer\n"

    (entry,) = parse_ldif(io.BytesIO(data))

    assert entry.attrs == {"objectclass": [b"computer"]}


def test_change_record_other_than_add_is_refused_with_its_line():
    data = (
        b"dn: CN=WS1,DC=corp,DC=test\nobjectClass: computer\n\n"
        b"dn: CN=WS2,DC=corp,DC=test\nchangetype: modify\nreplace: description\n"
        b"description: x\n-\n"
    )

    with pytest.raises(LdifError, match="changetype: modify") as caught:
        parse_ldif(io.BytesIO(data))

    assert caught.value.line >= 4


@pytest.mark.parametrize(
    ("data", "line", "problem"),
    [
        (
            b"dn: CN=G,DC=corp,DC=test\ndisplayName: Firewall bypass for\n"
            b"App01 servers\ncn: G\n",
            3,
            "continuation line must start with one space",
        ),
        (b"version: 1\n\ncn: no dn first\n", 3, 'does not start with "dn:"'),
        (b"dn: CN=G,DC=corp,DC=test\nobjectGUID:: ***notbase64\n", 2, "base64"),
        (b"dn: CN=G,DC=corp,DC=test\ncn: \xff\xfe broken\n", 2, "not UTF-8"),
        (b"dn: CN=G,DC=corp,DC=test\ncn: G\n\ndn: no-equals-sign\ncn: x\n", 4, "dn"),
    ],
)
def test_malformed_file_names_the_line(data, line, problem):
    with pytest.raises(LdifError) as caught:
        parse_ldif(io.BytesIO(data))

    assert caught.value.line == line
    assert problem in str(caught.value)
    assert f"line {line}" in str(caught.value)


def test_offline_ranged_export_keeps_the_chunk_it_has(cases_dir):
    entries = parse_ldif(cases_dir / "FC-01" / "offline-ranged-export.ldif")

    group = entries[0]

    assert "member;range=0-2" in group.attrs
    assert len(group.attrs["member;range=0-2"]) == 3
