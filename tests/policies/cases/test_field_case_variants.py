"""The kind of fault behind each field case, where the case's own files do not
put it: one level deeper, on the user's side of a rule, in another spelling,
in the other Windows era."""

import pytest
from django.core.exceptions import ValidationError

from policies.evaluator.lookup import find_group
from policies.models import BypassEntry, BypassRule, Era, FirewallRule, Policy
from policies.scopes import ScopeError, parse_scope, scopes_equivalent
from policies.services import save_bypass_entry
from tests.policies.cases.runner import (
    CASES_DIR,
    case_queries,
    check_queries,
    read_scenario,
)
from tests.policies.cases.variants import (
    CORP,
    CORP_SID,
    PARTNER,
    PARTNER_SID,
    build_variant,
    bypass_server,
    check,
    computer,
    directory,
    explain,
    group,
    query,
    user,
    write_ldif,
)

pytestmark = pytest.mark.django_db

FIREWALL = f"OU=Firewall,OU=Groups,{CORP}"
SITES = f"OU=Sites,OU=Groups,{CORP}"
BYPASS = f"CN=FW-Bypass-App01,{FIREWALL}"
HELPDESK = f"CN=Helpdesk,{FIREWALL}"


def case_text(case, name):
    return (CASES_DIR / case / name).read_text(encoding="utf-8")


# K1 truncated reads ---------------------------------------------------------


def test_fc01_a_truncated_group_nested_in_the_bypass_group_is_indeterminate(
    tmp_path,
):
    """The export cut the member list of a group one level below the listed one."""
    truncated = (
        case_text("FC-01", "offline-ranged-export.ldif")
        .replace(f"dn: {BYPASS}", f"dn: CN=Oslo-Big,{SITES}")
        .replace("cn: FW-Bypass-App01", "cn: Oslo-Big")
        .replace("sAMAccountName: FW-Bypass-App01", "sAMAccountName: Oslo-Big")
    )
    ldif = write_ldif(
        tmp_path / "nested.ldif",
        truncated,
        group(BYPASS, "FW-Bypass-App01", [f"CN=Oslo-Big,{SITES}"]),
    )
    build_variant(
        "FC-01", [directory("corp", ldif)], [bypass_server("APP01", [BYPASS])]
    )

    snapshot = check(
        "FC-01",
        [
            query("listed", "WS0107", "allow"),
            query("not listed", "WS0101", "indeterminate"),
        ],
    )
    evaluation = explain(snapshot, "FC-01", query("q", "WS0101", "indeterminate"))
    assert any("Oslo-Big was read incompletely" in r for r in evaluation.reasons)


# K2 hidden or transitive membership -----------------------------------------


def _fc03_variant(tmp_path, extra=(), group_base=""):
    ldif = write_ldif(
        tmp_path / "corp.ldif", case_text("FC-03", "directory.ldif"), *extra
    )
    return directory(
        "corp",
        ldif,
        domain_sid=CORP_SID,
        sync_scope={"groups": group_base} if group_base else {},
    )


def test_fc03_a_primary_group_nested_in_the_bypass_group_outside_the_group_base(
    tmp_path,
):
    """Build Servers is SRV-BUILD01's primary group and a member of the listed
    group, and lies outside the configured group base."""
    listed = f"CN=FW-Bypass-File01,{FIREWALL}"
    corp = _fc03_variant(
        tmp_path,
        [
            group(
                listed,
                "FW-Bypass-File01",
                [f"CN=Build Servers,OU=Groups,{CORP}"],
                sid=f"{CORP_SID}-1130",
            )
        ],
        group_base=FIREWALL,
    )
    build_variant("FC-03", [corp], [bypass_server("FILE01", [listed])])

    check(
        "FC-03",
        [
            query("q1", "SRV-BUILD01", "allow", server="FILE01"),
            query("q2", "WS0301", "deny", server="FILE01"),
        ],
    )


def test_fc03_a_users_primary_group_counts_for_the_user_condition(tmp_path):
    """Domain Users (RID 513) never lists its members; jroe is in it by
    primaryGroupID only, and the rule requires Domain Users."""
    domain_users = f"CN=Domain Users,CN=Users,{CORP}"
    corp = _fc03_variant(
        tmp_path,
        [
            group(domain_users, "Domain Users", sid=f"{CORP_SID}-513"),
            user(
                f"CN=Jane Roe,OU=Staff,{CORP}",
                "Jane Roe",
                "jroe",
                uac=512,
                primary=513,
                sid=f"{CORP_SID}-1301",
            ),
            user(
                f"CN=Guest Account,OU=Staff,{CORP}",
                "Guest Account",
                "guestacct",
                uac=512,
                primary=514,
                sid=f"{CORP_SID}-1302",
            ),
        ],
    )
    server = bypass_server(
        "APP01",
        [f"CN=Domain Computers,CN=Users,{CORP}"],
        user_groups=[domain_users],
    )
    build_variant("FC-03", [corp], [server])

    check(
        "FC-03",
        [
            query("q1", "WS0301", "allow", user="CORP\\jroe"),
            query("q2", "WS0301", "deny", user="CORP\\guestacct"),
        ],
    )


def test_fc03_the_same_rid_in_a_trusted_domain_is_another_group(tmp_path):
    """Matching primaryGroupID by RID alone would put corp's WS0301 into the
    partner domain's Domain Computers (RID 515 there too)."""
    partner_computers = f"CN=Domain Computers,CN=Users,{PARTNER}"
    partner = write_ldif(
        tmp_path / "partner.ldif",
        group(partner_computers, "Domain Computers", sid=f"{PARTNER_SID}-515"),
        computer(
            f"CN=PWS-0003,OU=Workstations,{PARTNER}",
            "PWS-0003",
            sid=f"{PARTNER_SID}-2203",
            dns_domain="partner.example.test",
        ),
    )
    build_variant(
        "FC-03",
        [
            _fc03_variant(tmp_path),
            directory("partner", partner, base_dn=PARTNER, domain_sid=PARTNER_SID),
        ],
        [bypass_server("APP01", [f"{PARTNER_SID}-515"])],
    )

    check(
        "FC-03",
        [
            query("corp", "WS0301", "deny"),
            query("partner", "PWS-0003.partner.example.test", "allow"),
        ],
    )


def test_fc04_the_user_side_chain_runs_outside_the_group_base_through_a_cycle(
    tmp_path,
):
    """Helpdesk (in the group base) holds a site group outside it, which holds
    a night-shift group that holds jroe and, back again, the site group."""
    staff, night = f"CN=Oslo-Staff,{SITES}", f"CN=Oslo-Night,{SITES}"
    jroe = f"CN=Jane Roe,OU=Staff,{CORP}"
    ldif = write_ldif(
        tmp_path / "corp.ldif",
        case_text("FC-04", "directory.ldif"),
        group(HELPDESK, "Helpdesk", [staff]),
        group(staff, "Oslo-Staff", [night]),
        group(night, "Oslo-Night", [jroe, staff]),
        user(jroe, "Jane Roe", "jroe"),
        user(f"CN=Sam Sample,OU=Staff,{CORP}", "Sam Sample", "ssample"),
    )
    corp = directory("corp", ldif, sync_scope={"groups": FIREWALL})
    build_variant(
        "FC-04", [corp], [bypass_server("APP01", [BYPASS], user_groups=[HELPDESK])]
    )

    snapshot = check(
        "FC-04",
        [
            query("q1", "KIOSK-0407", "allow", user="CORP\\jroe"),
            query("q2", "WS0401", "deny", user="CORP\\ssample"),
            query("q3", "WS0499", "deny", user="CORP\\jroe"),
        ],
    )
    evaluation = explain(
        snapshot, "FC-04", query("q1", "KIOSK-0407", "allow", user="CORP\\jroe")
    )
    chains = [chain.text for chain in evaluation.rung("bypass").chains]
    assert "jroe → Oslo-Night → Oslo-Staff → Helpdesk" in chains


# K3 DNs compared as strings ---------------------------------------------------


def test_fc06_other_spellings_of_the_same_dns_resolve(tmp_path):
    """Hex escapes (\\2C, \\23, \\20), spaces after commas and lower-case hex in
    the member values and DNs, instead of the case's backslash escapes."""
    text = (
        case_text("FC-06", "directory.ldif")
        .replace(
            f"member: CN=WS0601,OU=Sales\\, EMEA,{CORP}\n"
            f"member: cn=ws0602,ou=r\\+d,dc=CORP,dc=Example,dc=test",
            "member: cn=WS0601, ou=Sales\\2c EMEA, dc=corp, dc=example, dc=test\n"
            f"member: CN=WS0602,OU=R\\2BD,{CORP}",
        )
        .replace(
            f"member: CN=Roe\\, Jane,OU=Staff,{CORP}",
            "member: CN=Roe\\2C Jane , OU=Staff,DC=corp,DC=example,DC=test",
        )
        .replace(
            f"dn: CN=Kiosk Users\\ ,OU=Groups,{CORP}",
            f"dn: CN=Kiosk Users\\20,OU=Groups,{CORP}",
        )
        .replace(
            f'member: CN=Jo \\"JJ\\" Example,OU=Staff,{CORP}',
            f"member: CN=Jo \\22JJ\\22 Example,OU=Staff,{CORP}",
        )
        .replace(f"dn: CN=\\#Ops,OU=Groups,{CORP}", f"dn: CN=\\23Ops,OU=Groups,{CORP}")
    )
    assert text != case_text("FC-06", "directory.ldif")
    scenario = read_scenario("FC-06")
    corp = directory("corp", write_ldif(tmp_path / "corp.ldif", text))
    build_variant("FC-06", [corp], scenario["policy"]["servers"])

    snapshot = check_queries(case_queries("FC-06", scenario))

    trailing = find_group(snapshot, f"cn=kiosk users\\20,ou=groups,{CORP}").account
    plain = find_group(snapshot, f"CN=Kiosk Users,OU=Groups,{CORP}").account
    assert trailing.pk != plain.pk
    assert find_group(snapshot, f"CN=\\#Ops,OU=Groups,{CORP}").account.label == "#Ops"


# K4 identity and lifecycle ------------------------------------------------------


def test_fc09_a_disabled_user_fails_the_user_condition_whatever_the_other_bits(
    tmp_path,
):
    """uAC 66050 = 0x10202 (disabled, password never expires) for a user; 66048
    = 0x10200 is enabled. Same bit test as for machines, other side of the rule."""
    text = (
        case_text("FC-21", "directory.ldif")
        .replace(
            "sAMAccountName: jroe\n",
            "sAMAccountName: jroe\nuserAccountControl: 66050\n",
        )
        .replace(
            "sAMAccountName: ssample\n",
            "sAMAccountName: ssample\nuserAccountControl: 66048\n",
        )
        .replace(
            f"member: CN=Jane Roe,OU=Staff,{CORP}",
            f"member: CN=Jane Roe,OU=Staff,{CORP}\n"
            f"member: CN=Sam Sample,OU=Staff,{CORP}",
        )
    )
    corp = directory("corp", write_ldif(tmp_path / "corp.ldif", text))
    helpdesk = f"CN=Helpdesk,OU=Groups,{CORP}"
    build_variant(
        "FC-21",
        [corp],
        [bypass_server("APP01", [BYPASS], user_groups=[helpdesk])],
    )

    check(
        "FC-21",
        [
            query("disabled", "WS2101", "deny", user="CORP\\jroe"),
            query("enabled", "WS2101", "allow", user="CORP\\ssample"),
        ],
    )


def test_fc09_a_tombstoned_nested_group_takes_its_members_out(tmp_path):
    """The group between the machine and the listed group is deleted upstream;
    the next export carries its tombstone and the listed group lost the link."""
    site = f"CN=Site-Oslo,{SITES}"
    machines = [
        computer(f"CN=WS09{n:02},OU=Workstations,{CORP}", f"WS09{n:02}")
        for n in range(11, 15)
    ]
    before = write_ldif(
        tmp_path / "before.ldif",
        *machines,
        group(BYPASS, "FW-Bypass-App01", [site, f"CN=WS0911,OU=Workstations,{CORP}"]),
        group(site, "Site-Oslo", [f"CN=WS0912,OU=Workstations,{CORP}"]),
    )
    tombstone = group(
        "CN=Site-Oslo\\0ADEL:5d1c2b3a-4f5e-4d6c-8b7a-9e8f7d6c5b4a,"
        f"CN=Deleted Objects,{CORP}",
        "Site-Oslo",
        guid_of=site,
    ).replace("cn: Site-Oslo\n", "cn: Site-Oslo\nisDeleted: TRUE\n")
    after = write_ldif(
        tmp_path / "after.ldif",
        *machines,
        group(BYPASS, "FW-Bypass-App01", [f"CN=WS0911,OU=Workstations,{CORP}"]),
        tombstone,
    )
    build_variant(
        "FC-09",
        [directory("corp", [before, after])],
        [bypass_server("APP01", [BYPASS])],
    )

    snapshot = check(
        "FC-09",
        [
            query("direct", "WS0911", "allow"),
            query("via deleted group", "WS0912", "deny"),
        ],
    )
    assert not [
        a for a in snapshot.accounts.values() if "DEL:" in a.label and not a.deleted
    ]


# K5 references leaving the synced set ---------------------------------------


def _fc10_variant(tmp_path, members):
    listed = f"CN=FW-Bypass-File01,{FIREWALL}"
    corp = write_ldif(
        tmp_path / "corp.ldif",
        group(listed, "FW-Bypass-File01", members, group_type=-2147483644),
        computer(
            f"CN=WS1001,OU=Workstations,{CORP}",
            "WS1001",
            sid=f"{CORP_SID}-2001",
            dns_domain="corp.example.test",
        ),
        computer(
            f"CN=WS1002,OU=Workstations,{CORP}",
            "WS1002",
            sid=f"{CORP_SID}-2002",
            dns_domain="corp.example.test",
        ),
    )
    return listed, directory("corp", corp, domain_sid=CORP_SID)


def _fsp(sid):
    return f"CN={sid},CN=ForeignSecurityPrincipals,{CORP}"


def test_fc10_a_foreign_principal_naming_a_partner_group_reaches_its_members(
    tmp_path,
):
    partner_group = f"{PARTNER_SID}-3301"
    listed, corp = _fc10_variant(tmp_path, [_fsp(partner_group)])
    partner = write_ldif(
        tmp_path / "partner.ldif",
        group(
            f"CN=Partner-Kiosks,OU=Groups,{PARTNER}",
            "Partner-Kiosks",
            [f"CN=PWS-0002,OU=Workstations,{PARTNER}"],
            sid=partner_group,
            group_type=-2147483640,
        ),
        computer(
            f"CN=PWS-0002,OU=Workstations,{PARTNER}",
            "PWS-0002",
            sid=f"{PARTNER_SID}-2202",
            dns_domain="partner.example.test",
        ),
        computer(
            f"CN=PWS-0009,OU=Workstations,{PARTNER}",
            "PWS-0009",
            sid=f"{PARTNER_SID}-2209",
            dns_domain="partner.example.test",
        ),
    )
    build_variant(
        "FC-10",
        [corp, directory("partner", partner, base_dn=PARTNER, domain_sid=PARTNER_SID)],
        [bypass_server("FILE01", [listed])],
    )

    check(
        "FC-10",
        [
            query(
                "in the partner group",
                "PWS-0002.partner.example.test",
                "allow",
                server="FILE01",
            ),
            query(
                "not in it", "PWS-0009.partner.example.test", "deny", server="FILE01"
            ),
            query("corp machine", "WS1002", "deny", server="FILE01"),
        ],
    )


def test_fc10_without_the_partner_the_foreign_group_is_indeterminate(tmp_path):
    listed, corp = _fc10_variant(tmp_path, [_fsp(f"{PARTNER_SID}-3301")])
    build_variant("FC-10", [corp], [bypass_server("FILE01", [listed])])

    check(
        "FC-10",
        [
            query(
                "partner machine",
                "PWS-0002.partner.example.test",
                "indeterminate",
                server="FILE01",
            ),
            query("corp machine", "WS1002", "deny", server="FILE01"),
        ],
    )


def test_fc10_a_well_known_principal_in_the_group_is_never_dropped(tmp_path):
    """Authenticated Users (S-1-5-11) is stored as a foreign security principal
    of every domain; no source holds it, and it may stand for any machine."""
    listed, corp = _fc10_variant(
        tmp_path, [_fsp("S-1-5-11"), f"CN=WS1001,OU=Workstations,{CORP}"]
    )
    build_variant("FC-10", [corp], [bypass_server("FILE01", [listed])])

    snapshot = check(
        "FC-10",
        [
            query("listed", "WS1001", "allow", server="FILE01"),
            query("only through S-1-5-11", "WS1002", "indeterminate", server="FILE01"),
        ],
    )
    evaluation = explain(
        snapshot, "FC-10", query("q", "WS1002", "indeterminate", server="FILE01")
    )
    assert any("S-1-5-11" in reason for reason in evaluation.reasons)


# K7 machine naming ------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expect"),
    [
        ("ws1302.corp.example.test", "allow"),
        ("WS1302.CORP.EXAMPLE.TEST.", "allow"),
        ("CORP\\ws1302", "allow"),
        ("corp.example.test\\WS1302$", "allow"),
        ("ws1303.branch.example.test", "allow"),
        ("WS1303$", "allow"),
        ("WS1302$$", "error"),
        ("WS13021", "error"),
    ],
)
def test_fc13_the_prestaged_and_stale_machines_typed_other_ways(typed, expect):
    scenario = read_scenario("FC-13")
    build_variant(
        "FC-13",
        [directory("corp", "directory.ldif")],
        scenario["policy"]["servers"],
    )

    check("FC-13", [query(typed, typed, expect)])


# K9 filter injection ---------------------------------------------------------


@pytest.mark.parametrize(
    ("machine", "user"),
    [
        ("WS1602", "CORP\\*"),
        ("WS1602", "*@corp.example.test"),
        ("WS1602", "jroe%"),
        ("WS1602", "jro_"),
        ("WS1602", "CORP\\jroe(adm)*"),
        ("WS1602", "jroe(adm))(|(sAMAccountName=*"),
        ("*.corp.example.test", "CORP\\jroe(adm)"),
        ("CORP\\*$", "CORP\\jroe(adm)"),
        ("WS160_", "CORP\\jroe(adm)"),
        ("WS160%", "CORP\\jroe(adm)"),
        ("ws16*.corp.example.test", "CORP\\jroe(adm)"),
    ],
)
def test_fc16_wildcards_in_every_name_form_name_nothing(machine, user):
    scenario = read_scenario("FC-16")
    build_variant(
        "FC-16",
        [directory("corp", "directory.ldif")],
        scenario["policy"]["servers"],
    )

    check("FC-16", [query("q", machine, "error", user=user)])


# K11 scope parsing -------------------------------------------------------------

# FC-19's exceptions and queries that an XP-era server can hold: the same
# masks, prefixes, LocalSubnet and "*", without the later-era range.
XP_EXCEPTIONS = ("E1", "E2", "E4", "E5", "E6")
XP_QUERIES = ("q1", "q2", "q3", "q4", "q5", "q6", "q11", "q12", "q13", "q14", "q15")


def test_fc19_the_same_scopes_on_an_xp_era_server():
    scenario = read_scenario("FC-19")
    (server,) = scenario["policy"]["servers"]
    server = {
        **server,
        "era": "xp",
        "exceptions": [e for e in server["exceptions"] if e["name"] in XP_EXCEPTIONS],
    }
    build_variant("FC-19", [], [server])

    queries = [item for item in scenario["queries"] if item["id"] in XP_QUERIES]
    check_queries(case_queries("FC-19", scenario, queries))


@pytest.mark.parametrize("pair", read_scenario("FC-19")["drift_check"])
def test_fc19_drift_pairs_are_in_sync_on_xp_too(pair):
    assert scopes_equivalent(pair["console"], pair["windows"], Era.XP)


@pytest.mark.parametrize(
    "text", [*read_scenario("FC-19")["must_reject_on_save"], "10.0.0.1-10.0.0.9"]
)
def test_fc19_xp_refuses_what_later_eras_refuse_and_ranges(text):
    with pytest.raises(ScopeError):
        parse_scope(text, Era.XP)


def test_fc19_ipv6_ranges_prefixes_and_spellings():
    """The IPv4 pitfalls of the case, in IPv6: an inclusive range that string
    comparison gets wrong, a prefix written from a host address, and the
    compressed and expanded spellings of one address."""
    policy = Policy.objects.create(name="FC-19 IPv6", era=Era.ADVANCED)
    scope = parse_scope("2001:db8::1-2001:db8::9,2001:db8:5::7/48", Era.ADVANCED)

    assert scope.admits("2001:db8::9") is True
    assert scope.admits("2001:db8::a") is False
    assert scope.admits("2001:db8::10") is False
    assert scope.admits("2001:db8:5:ffff::1") is True
    assert scope.admits("2001:db8:6::1") is False
    assert scopes_equivalent("2001:db8:0:0:0:0:0:1", "2001:DB8::1/128", Era.ADVANCED)
    for bad in (
        "2001:db8::9-2001:db8::1",
        "2001:db8::/129",
        "2001:db8::1 - 2001:db8::9",
    ):
        rule = FirewallRule(
            policy=policy, name="E", kind="port", protocol="tcp", ports="1", scope=bad
        )
        with pytest.raises(ValidationError):
            rule.full_clean()


# K12 rule precedence and authorization ---------------------------------------


def test_fc21_a_block_rule_over_a_port_range_still_yields_to_the_bypass(tmp_path):
    scenario = read_scenario("FC-21")
    (server,) = scenario["policy"]["servers"]
    server = {
        **server,
        "block_rules": [
            {
                "name": "Block admin ports",
                "protocol": "tcp",
                "local_ports": "3000-4000",
                "remote_scope": "10.0.0.0/8",
            }
        ],
    }
    build_variant("FC-21", [directory("corp", "directory.ldif")], [server])

    queries = {item["id"]: item for item in scenario["queries"]}
    check_queries(case_queries("FC-21", scenario, list(queries.values())))
    check(
        "FC-21",
        [
            {
                **queries["q6"],
                "id": "other port in the range",
                "port": "tcp/3390",
                "client": queries["q1"]["client"],
                "user": "CORP\\jroe",
                "expect": "deny",
            },
        ],
    )


def test_fc21_a_machine_entry_that_only_denies_does_not_authorize_a_computer():
    """Turning the one computer entry of a user-requiring bypass into an
    exception (deny) entry leaves users alone: refused like the case's rule."""
    build_variant(
        "FC-21",
        [directory("corp", "directory.ldif")],
        read_scenario("FC-21")["policy"]["servers"],
    )
    rule = BypassRule.objects.get(policy__name="FC-21 APP01")
    machine = rule.entries.get(role=BypassEntry.Role.MACHINE)

    machine.deny = True
    with pytest.raises(ValidationError) as raised:
        save_bypass_entry(entry=machine)

    assert "computer" in " ".join(raised.value.messages)
    assert rule.entries.get(role=BypassEntry.Role.MACHINE).deny is False


def test_fc21_on_an_xp_era_server_the_bypass_covers_every_port_for_machines_only():
    """XP SP2 / 2003: the bypass list admits IPsec-authenticated traffic of the
    listed machines on every port; there is no user condition to satisfy, and
    saving one is refused."""
    server = bypass_server(
        "APP01",
        [BYPASS],
        era="xp",
        exceptions=[
            {
                "name": "HTTPS",
                "protocol": "tcp",
                "local_ports": "443",
                "remote_scope": "*",
            }
        ],
    )
    build_variant("FC-21", [directory("corp", "directory.ldif")], [server])

    check(
        "FC-21",
        [
            query("listed", "WS2101", "allow", port="tcp/3389"),
            query("listed, other port", "WS2101", "allow", port="udp/161"),
            query("no IPsec", "WS2101", "deny", port="tcp/3389", ipsec=False),
            query("not listed", "WS2102", "deny", port="tcp/3389"),
            query("exception", "WS2102", "allow", port="tcp/443", ipsec=False),
        ],
    )
    rule = BypassRule.objects.get(policy__name="FC-21 APP01")
    helpdesk = BypassEntry(sid=f"{CORP_SID}-1200", role=BypassEntry.Role.USER)
    with pytest.raises(ValidationError):
        rule.check_entries([*rule.entries.all(), helpdesk])


def test_fc13_a_name_two_sources_hold_is_refused_until_qualified(tmp_path):
    """The same NetBIOS name in the corp and a partner domain: the plain name
    is ambiguous (an error naming both), the DNS name picks one."""
    partner = write_ldif(
        tmp_path / "partner.ldif",
        computer(
            f"CN=WS1301,OU=Workstations,{PARTNER}",
            "WS1301",
            sid=f"{PARTNER_SID}-1301",
            dns_domain="partner.example.test",
        ),
    )
    scenario = read_scenario("FC-13")
    build_variant(
        "FC-13",
        [
            directory("corp", "directory.ldif"),
            directory("partner", partner, base_dn=PARTNER, domain_sid=PARTNER_SID),
        ],
        scenario["policy"]["servers"],
    )

    check(
        "FC-13",
        [
            query("plain", "WS1301", "error"),
            query("corp", "ws1301.corp.example.test", "allow"),
            query("partner", "ws1301.partner.example.test", "deny"),
        ],
    )


def test_fc04_a_distribution_group_in_the_chain_confers_nothing(tmp_path):
    """FC-04's open question, checked against the lab DC's tokenGroups (see
    tests/directory/test_samba_lifecycle.py): a machine in a distribution group
    nested in the listed security group does not get the security group in its
    token, so the bypass does not apply."""
    mail = f"CN=Oslo-Mail,{SITES}"
    text = case_text("FC-04", "directory.ldif").replace(
        f"member: CN=Oslo-Kiosks,{SITES}",
        f"member: CN=Oslo-Kiosks,{SITES}\nmember: {mail}",
    )
    ldif = write_ldif(
        tmp_path / "corp.ldif",
        text,
        group(mail, "Oslo-Mail", [f"CN=WS0499,OU=Workstations,{CORP}"], group_type=2),
    )
    build_variant(
        "FC-04",
        [directory("corp", ldif, sync_scope={"groups": FIREWALL})],
        [bypass_server("APP01", [BYPASS]), bypass_server("APP02", [mail])],
    )

    check(
        "FC-04",
        [
            query("security chain", "KIOSK-0407", "allow"),
            query("through a distribution group", "WS0499", "deny"),
            query("listing the distribution group", "WS0499", "deny", server="APP02"),
        ],
    )


def test_fc10_a_user_outside_the_user_base_is_kept_and_named_in_a_warning(tmp_path):
    """FC-10's out-of-scope member, on the user side: Helpdesk lists a
    contractor outside the configured user base. Still a member, with the
    same warning the machine gets."""
    contractor = f"CN=Kim Contractor,OU=Contractors,{CORP}"
    text = case_text("FC-21", "directory.ldif").replace(
        f"member: CN=Jane Roe,OU=Staff,{CORP}",
        f"member: CN=Jane Roe,OU=Staff,{CORP}\nmember: {contractor}",
    )
    ldif = write_ldif(
        tmp_path / "corp.ldif", text, user(contractor, "Kim Contractor", "kcontr")
    )
    helpdesk = f"CN=Helpdesk,OU=Groups,{CORP}"
    build_variant(
        "FC-21",
        [directory("corp", ldif, sync_scope={"users": f"OU=Staff,{CORP}"})],
        [bypass_server("APP01", [BYPASS], user_groups=[helpdesk])],
    )

    item = query("contractor", "WS2101", "allow", user="CORP\\kcontr")
    snapshot = check("FC-21", [item])
    warnings = explain(snapshot, "FC-21", item).warnings
    assert any("kcontr lies outside the source's sync scope" in w for w in warnings)
