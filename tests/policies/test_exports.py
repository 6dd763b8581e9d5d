"""Native exports, read back the way Windows would: parsed, never compared as
blind strings. Every SDDL value is also read by Samba's own parser."""

import shlex

import pytest
from django.urls import reverse

from policies import exports, services
from policies.models import BypassRule, Era, FirewallRule, Policy
from policies.sddl import AceType, parse_sddl
from tests.policies.factories import DOMAIN_SID
from tests.policies.samba import SAMBA_ALLOW, SAMBA_DENY, samba_read

pytestmark = pytest.mark.django_db


def sid(rid):
    return f"{DOMAIN_SID}-{rid}"


def xp_server():
    server = services.create_server(name="OLD01", era=Era.XP)
    low = Policy(name="Low", era=Era.XP, precedence=9)
    high = Policy(name="High", era=Era.XP, precedence=1)
    for policy, rids in ((low, [1100, 1101]), (high, [1200, 515])):
        services.save_policy(policy=policy, servers=[server])
        services.save_bypass_rule(
            rule=BypassRule(policy=policy, name="Bypass"),
            entries=[{"sid": sid(rid), "name": f"G{rid}"} for rid in rids],
        )
    return server


def advanced_server():
    server = services.create_server(
        name="APP01", era=Era.ADVANCED, states={"state_domain": "shielded"}
    )
    policy = server.local_policy
    services.save_bypass_rule(
        rule=BypassRule(policy=policy, name="RDP bypass", protocol="tcp", ports="3389"),
        entries=[
            {"sid": sid(1100), "name": "FW-Bypass-App01"},
            {"sid": "S-1-5-11", "name": "Authenticated Users"},
            {"sid": sid(1101), "name": "WS-Lost", "deny": True},
            {"sid": sid(1200), "name": "Helpdesk", "role": "user"},
            {"sid": sid(1201), "name": "Temps", "role": "user", "deny": True},
        ],
    )
    services.save_bypass_rule(
        rule=BypassRule(policy=policy, name="Admin bypass", security="authnoencap"),
        entries=[{"sid": sid(1300), "name": "PAW"}],
    )
    services.save_object(
        obj=FirewallRule(
            policy=policy,
            name="Block RDP",
            action="block",
            protocol="tcp",
            ports="3389",
        )
    )
    services.save_object(
        obj=FirewallRule(
            policy=policy,
            name="Web",
            protocol="tcp",
            ports="80, 443",
            scope="10.50.7.33/24,localsubnet",
            profiles="domain",
        )
    )
    services.save_object(
        obj=FirewallRule(
            policy=policy,
            name="App",
            kind="program",
            program_path=r"%ProgramFiles%\App\app.exe",
        )
    )
    services.save_object(
        obj=FirewallRule(policy=policy, name="Ping", kind="icmp", icmp_type=8)
    )
    services.save_policy(
        policy=policy,
        authorization=[
            {"sid": sid(1400), "name": "Peers", "list_kind": "machine"},
            {"sid": sid(1401), "name": "Banned", "list_kind": "machine", "deny": True},
        ],
    )
    return server


def sddl_line(text):
    return [line for line in text.splitlines() if line and not line.startswith(";")]


def powershell_commands(text):
    """Each command line as (cmdlet, {parameter: value})."""
    commands = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        words = shlex.split(line)
        if "|" in words:
            words = words[words.index("|") + 1 :]
        parameters = {}
        name = None
        for word in words[1:]:
            if word.startswith("-") and not word[1:2].isdigit():
                name = word[1:]
                parameters[name] = True
            elif name is not None:
                parameters[name] = word
        commands.append((words[0], parameters))
    return commands


def netsh_commands(text):
    commands = []
    for line in text.splitlines():
        if not line.startswith("netsh"):
            continue
        words = shlex.split(line)
        pairs = dict(word.split("=", 1) for word in words if "=" in word)
        commands.append((" ".join(w for w in words if "=" not in w), pairs))
    return commands


def test_xp_export_is_the_bypass_list_of_the_winning_policy():
    server = xp_server()

    export = exports.export_server(server, exports.XP_BYPASS)

    [value] = sddl_line(export.text)
    descriptor = parse_sddl(value)
    assert (descriptor.owner, descriptor.group) == ("DA", "DA")
    assert {str(item) for item in descriptor.sids(AceType.ALLOW)} == {
        sid(1200),
        sid(515),
    }
    assert {ace.rights for ace in descriptor.aces} == {"RCGW"}
    assert "From policy High" in export.text


def test_xp_export_without_a_bypass_list_says_not_configured():
    server = services.create_server(name="OLD02", era=Era.XP)

    export = exports.export_server(server, exports.XP_BYPASS)

    assert sddl_line(export.text) == []
    assert "Not Configured" in export.text


def test_powershell_bypass_rule_overrides_block_rules_with_deny_entries_first():
    server = advanced_server()

    commands = powershell_commands(
        exports.export_server(server, exports.POWERSHELL).text
    )

    bypass = {
        parameters["DisplayName"]: parameters
        for cmdlet, parameters in commands
        if cmdlet == "New-NetFirewallRule" and "OverrideBlockRules" in parameters
    }
    rdp = bypass["RDP bypass"]
    assert rdp["OverrideBlockRules"] == "$true"
    assert rdp["Authentication"] == "Required"
    assert rdp["LocalPort"] == "3389"
    machine = parse_sddl(rdp["RemoteMachine"])
    assert machine.owner == "LS"
    assert [ace.type for ace in machine.aces] == ["D", "A", "A"]
    assert {str(s) for s in machine.sids(AceType.ALLOW)} == {sid(1100), "S-1-5-11"}
    assert [str(s) for s in machine.sids(AceType.DENY)] == [sid(1101)]
    user = parse_sddl(rdp["RemoteUser"])
    assert [str(s) for s in user.sids(AceType.ALLOW)] == [sid(1200)]
    assert [str(s) for s in user.sids(AceType.DENY)] == [sid(1201)]
    assert bypass["Admin bypass"]["Authentication"] == "NoEncap"
    assert "RemoteUser" not in bypass["Admin bypass"]


def test_powershell_rules_states_and_authorization_lists():
    server = advanced_server()

    commands = powershell_commands(
        exports.export_server(server, exports.POWERSHELL).text
    )

    rules = {
        parameters["DisplayName"]: parameters
        for cmdlet, parameters in commands
        if cmdlet == "New-NetFirewallRule" and "OverrideBlockRules" not in parameters
    }
    assert rules["Block RDP"]["Action"] == "Block"
    assert rules["Web"]["LocalPort"] == "80,443"
    assert rules["Web"]["RemoteAddress"] == "LocalSubnet,10.50.7.0/24"
    assert rules["Web"]["Profile"] == "Domain"
    assert rules["App"]["Program"] == r"%ProgramFiles%\App\app.exe"
    assert rules["Ping"]["IcmpType"] == "8"
    profiles = [p for cmdlet, p in commands if cmdlet == "Set-NetFirewallProfile"]
    assert profiles == [
        {
            "Profile": "Domain",
            "Enabled": "True",
            "DefaultInboundAction": "Block",
            "AllowInboundRules": "False",
        }
    ]
    [setting] = [p for cmdlet, p in commands if cmdlet == "Set-NetFirewallSetting"]
    listed = parse_sddl(setting["RemoteMachineTransportAuthorizationList"])
    assert [str(s) for s in listed.sids(AceType.DENY)] == [sid(1401)]


def test_netsh_commands_use_action_bypass_with_a_security_value():
    server = advanced_server()

    commands = netsh_commands(exports.export_server(server, exports.NETSH).text)

    rules = {pairs["name"]: pairs for verb, pairs in commands if "name" in pairs}
    rdp = rules["RDP bypass"]
    assert rdp["action"] == "bypass"
    assert rdp["security"] == "authenticate"
    assert rdp["dir"] == "in"
    assert {str(s) for s in parse_sddl(rdp["rmtcomputergrp"]).sids(AceType.ALLOW)} == {
        sid(1100),
        "S-1-5-11",
    }
    assert [str(s) for s in parse_sddl(rdp["rmtusrgrp"]).sids(AceType.ALLOW)] == [
        sid(1200)
    ]
    assert rules["Admin bypass"]["security"] == "authnoencap"
    assert rules["Web"]["localport"] == "80,443"
    assert rules["Web"]["remoteip"] == "localsubnet,10.50.7.0/24"
    assert rules["Ping"]["protocol"] == "icmpv4:8,any"
    verbs = [verb for verb, _pairs in commands]
    assert (
        "netsh advfirewall set domainprofile firewallpolicy "
        "blockinboundalways,allowoutbound"
    ) in verbs


def test_samba_reads_every_exported_sddl_as_the_same_sids_and_rights():
    servers = [xp_server(), advanced_server()]
    values = []
    for server in servers:
        for result in exports.export_all(server).values():
            values += [item.sddl for item in result.sddl_values]
    assert len(values) >= 6

    readings = samba_read(values, DOMAIN_SID)

    kinds = {AceType.ALLOW: SAMBA_ALLOW, AceType.DENY: SAMBA_DENY}
    for value, reading in zip(values, readings, strict=True):
        assert "error" not in reading, (value, reading)
        ours = {
            (kinds[a.type], a.access_mask, str(a.sid)) for a in parse_sddl(value).aces
        }
        theirs = {(a["type"], a["mask"], a["sid"]) for a in reading["aces"]}
        assert theirs == ours, value


@pytest.mark.parametrize(
    ("name", "refused_in"),
    [
        ("It's mine", {"powershell"}),
        ('Say "hi"', {"powershell", "netsh"}),
        ("50% off", {"netsh"}),
        ("Tab\there", {"powershell", "netsh"}),
        ("Smart ‘quote’", {"powershell"}),
    ],
)
def test_names_that_cannot_be_quoted_safely_are_refused_not_emitted(name, refused_in):
    server = services.create_server(name="APP02", era=Era.ADVANCED)
    # Saved without the model checks: a value that reached the database by
    # an older path must still never be emitted half-escaped.
    FirewallRule.objects.create(
        policy=server.local_policy, name=name, protocol="tcp", ports="80"
    )

    results = exports.export_all(server)

    for export_format in ("powershell", "netsh"):
        result = results[export_format]
        if export_format in refused_in:
            assert isinstance(result, exports.ExportError)
            assert any(repr(name) in problem for problem in result.problems)
        else:
            assert not isinstance(result, exports.ExportError)


def test_netsh_refuses_a_keyword_it_cannot_express():
    server = services.create_server(name="APP03", era=Era.ADVANCED)
    services.save_object(
        obj=FirewallRule(
            policy=server.local_policy,
            name="Web",
            protocol="tcp",
            ports="443",
            scope="Internet",
        )
    )

    results = exports.export_all(server)

    assert isinstance(results["netsh"], exports.ExportError)
    assert "Internet" in str(results["netsh"])
    assert not isinstance(results["powershell"], exports.ExportError)


def test_download_gives_the_file_and_a_refusal_gives_409(viewer_client):
    server = advanced_server()
    refused = services.create_server(name="APP04", era=Era.ADVANCED)
    FirewallRule.objects.create(
        policy=refused.local_policy, name='Bad "name"', protocol="tcp", ports="80"
    )

    ok = viewer_client.get(
        reverse("policies:server_export", args=[server.pk, "powershell"])
    )
    bad = viewer_client.get(
        reverse("policies:server_export", args=[refused.pk, "netsh"])
    )
    wrong_era = viewer_client.get(
        reverse("policies:server_export", args=[server.pk, "xp-bypass"])
    )

    assert ok.status_code == 200
    assert "attachment" in ok["Content-Disposition"]
    assert "New-NetFirewallRule" in ok.content.decode()
    assert bad.status_code == 409
    assert "cannot be quoted safely" in bad.content.decode()
    assert wrong_era.status_code == 409
