"""The LDIF parser: RFC 2849 conformance (FC-17), ldifde quirks, clear errors."""

import base64
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
        (b"dn: CN=G,DC=corp,DC=test\ncn: G\x00\n", 2, "NUL character"),
        (
            b"dn: CN=G,DC=corp,DC=test\ncn: G\n\ndn: cn=g, dc=CORP,dc=test\ncn: G\n",
            4,
            "appears a second time (first at line 1)",
        ),
        (
            b"dn: CN=A,DC=corp,DC=test\ncn: A\n\ndn: CN=G,DC=corp,DC=test\n"
            b"cn: G\nprimaryGroupID: abc\n",
            4,
            "primarygroupid of 'CN=G,DC=corp,DC=test' is 'abc', not a 32-bit",
        ),
        (
            b"dn: CN=G,DC=corp,DC=test\nuserAccountControl: " + b"9" * 5000 + b"\n",
            1,
            "not a 32-bit integer",
        ),
        (
            b"dn: CN=G,DC=corp,DC=test\nlastLogonTimestamp: " + b"9" * 5000 + b"\n",
            1,
            "not a 64-bit integer",
        ),
        (b"dn: CN=G,DC=corp,DC=test\nobjectSid:: AAAA\n", 1, "objectSid of"),
        (b"dn: CN=A,DC=corp,DC=test\ncn: A\n\ndn: CN=G,DC=corp,DC=test\n", 4, "ends"),
        (b"dn:A=\x01", 1, "the file ends after a dn: line"),
        (b"dn: CN=G\x00,DC=corp,DC=test\ncn: G\n", 1, "NUL character"),
        # CN=G<NUL>,DC=corp,DC=test in base64.
        (
            b"dn: CN=A,DC=corp,DC=test\ncn: A\n\ndn:: Q049RwAsREM9Y29ycCxEQz10ZXN0\n"
            b"cn: G\n",
            4,
            "NUL",
        ),
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


def _fc17_entries(data):
    return [(entry.dn, entry.attrs) for entry in parse_ldif(io.BytesIO(data))]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.replace("\n", "\r\n").encode("utf-8"),
        lambda text: text.encode("utf-16"),
        lambda text: b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le"),
        lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
        lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
    ],
    ids=["crlf", "utf-16", "utf-16-le-crlf", "utf-16-be", "utf-8-bom"],
)
def test_fc17_folding_and_base64_survive_other_encodings_and_line_ends(
    cases_dir, encode
):
    """FC-17's folded lines, folded comment and base64 values, written the way
    ldifde -u (UTF-16) or a Windows editor (CRLF, byte order mark) writes them."""
    text = (cases_dir / "FC-17" / "export.ldif").read_text(encoding="utf-8")
    expected = _fc17_entries(text.encode("utf-8"))

    assert _fc17_entries(encode(text)) == expected


def test_url_values_are_refused_with_their_line_not_read_from_disk():
    """``attr:< file:///...`` asks the reader to fetch a file: an import must
    never read the server's own files into the directory."""
    data = (
        b"dn: CN=G,DC=corp,DC=test\nobjectClass: group\n"
        b"member:< file:///etc/hostname\ncn: G\n"
    )

    with pytest.raises(LdifError) as caught:
        parse_ldif(io.BytesIO(data))

    assert caught.value.line == 3
    assert "member" in caught.value.problem
    assert "URL" in caught.value.problem


@pytest.mark.parametrize(
    ("record", "kind"),
    [
        (b"changetype: delete\n", "delete"),
        (b"changetype: modrdn\nnewrdn: CN=H\ndeleteoldrdn: 1\n", "modrdn"),
        (b"changetype: moddn\nnewrdn: CN=H\ndeleteoldrdn: 1\n", "moddn"),
    ],
)
def test_other_change_records_are_refused_too(record, kind):
    data = b"dn: CN=G,DC=corp,DC=test\nobjectClass: group\n\ndn: CN=H,DC=corp,DC=test\n"

    with pytest.raises(LdifError, match=f"changetype: {kind}"):
        parse_ldif(io.BytesIO(data + record))


def test_offline_ranged_export_in_another_case_and_in_base64(cases_dir):
    """FC-01's export with the attribute name spelled ``Member;Range=0-2`` (LDIF
    attribute names are case-insensitive) and the values in base64."""
    text = (cases_dir / "FC-01" / "offline-ranged-export.ldif").read_text()
    lines = []
    for line in text.splitlines():
        if line.startswith("member;range=0-2: "):
            value = line.removeprefix("member;range=0-2: ").encode()
            line = f"Member;Range=0-2:: {base64.b64encode(value).decode()}"
        lines.append(line)

    (group, *_) = parse_ldif(io.BytesIO("\n".join(lines).encode()))

    assert group.attrs["member;range=0-2"] == [
        f"CN=WS010{n},OU=Workstations,DC=corp,DC=example,DC=test".encode()
        for n in (7, 6, 5)
    ]


def test_a_utf8_value_folded_inside_a_character_is_joined_before_decoding():
    """RFC 2849 says writers SHOULD NOT fold inside a multi-byte character;
    some do. FC-17's Tromsø member written as raw UTF-8 and folded between the
    two bytes of "ø" is still that member."""
    member = "CN=WS1702,OU=Tromsø,OU=Sites,DC=corp,DC=example,DC=test".encode()
    cut = member.index("ø".encode()) + 1
    data = (
        b"dn: CN=G,DC=corp,DC=test\nobjectClass: group\nmember: "
        + member[:cut]
        + b"\n "
        + member[cut:]
        + b"\ncn: G\n"
    )

    (entry,) = parse_ldif(io.BytesIO(data))

    assert entry.attrs["member"] == [member]
    assert entry.attrs["cn"] == [b"G"]


def test_signed_and_unsigned_32_bit_numbers_are_read():
    data = (
        b"dn: CN=G,DC=corp,DC=test\ngroupType: -2147483646\n"
        b"userAccountControl: 4294967295\n"
    )

    [entry] = parse_ldif(io.BytesIO(data))

    assert entry.integer("grouptype") == -2147483646
