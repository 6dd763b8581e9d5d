"""What an administrator applies on Windows, generated from a server's
effective configuration.

- XP SP2 / Server 2003: the value of the group-policy setting "Windows
  Firewall: Allow authenticated IPsec bypass" (an SDDL string).
- Vista / Server 2008 and later: a PowerShell script (New-NetFirewallRule,
  Set-NetFirewallProfile, Set-NetFirewallSetting) and the equivalent
  ``netsh advfirewall`` commands.

Names, paths and scopes are quoted for the target shell. A value that cannot
be quoted safely (quotes, control characters, ``%`` for cmd.exe) is refused
with an ExportError naming it, never emitted half-escaped.
"""

import re
from dataclasses import dataclass, field

from policies.effective import effective_configuration
from policies.models import (
    AuthorizationEntry,
    BypassEntry,
    BypassRule,
    Era,
    FirewallRule,
    FirewallState,
    Profile,
)
from policies.ports import PortSpecError, canonical_ports
from policies.scopes import (
    LOCAL_SUBNET_KEYWORDS,
    UNDECIDABLE_KEYWORDS,
    ScopeError,
    parse_scope,
)
from policies.sddl import SddlError, build_authorization, build_xp_bypass

XP_BYPASS = "xp-bypass"
POWERSHELL = "powershell"
NETSH = "netsh"

FORMATS = {
    XP_BYPASS: ("XP/2003 bypass setting (SDDL)", "txt"),
    POWERSHELL: ("PowerShell script", "ps1"),
    NETSH: ("netsh advfirewall commands", "cmd"),
}

RULE_GROUP = "fwconsole"

XP_POLICY_PATH = (
    "Computer Configuration > Administrative Templates > Network > "
    "Network Connections > Windows Firewall > "
    "Windows Firewall: Allow authenticated IPsec bypass"
)
XP_REGISTRY_VALUE = (
    r"HKLM\SOFTWARE\Policies\Microsoft\Windows\IPSec\ICFv4 BypassFirewall (REG_SZ)"
)

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# PowerShell treats the typographic quotes as quotes too.
_POWERSHELL_QUOTES = set("'\"‘’‚‛“”„`")
_NETSH_UNSAFE = set('"%')

_KEYWORDS = frozenset((*LOCAL_SUBNET_KEYWORDS, *UNDECIDABLE_KEYWORDS))

# Scope keywords netsh advfirewall understands in remoteip=.
_NETSH_KEYWORDS = {
    "LocalSubnet": "localsubnet",
    "DNS": "dns",
    "DHCP": "dhcp",
    "WINS": "wins",
    "DefaultGateway": "defaultgateway",
}

PREDEFINED_DISPLAY_GROUPS = {
    FirewallRule.PredefinedGroup.FILE_AND_PRINTER_SHARING: "File and Printer Sharing",
    FirewallRule.PredefinedGroup.REMOTE_DESKTOP: "Remote Desktop",
    FirewallRule.PredefinedGroup.REMOTE_ADMINISTRATION: "Remote Administration",
}

_POWERSHELL_SECURITY = {
    BypassRule.Security.AUTHENTICATE: (
        "-Authentication Required -Encryption NotRequired"
    ),
    BypassRule.Security.AUTHENC: "-Authentication Required -Encryption Required",
    BypassRule.Security.AUTHNOENCAP: "-Authentication NoEncap",
}


class ExportError(ValueError):
    """The server's settings hold values the target format cannot carry."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class SddlValue:
    """One SDDL string an export carries, with what it is for."""

    label: str
    sddl: str


@dataclass
class NativeExport:
    format: str
    filename: str
    text: str
    sddl_values: list[SddlValue] = field(default_factory=list)

    @property
    def label(self):
        return FORMATS[self.format][0]


def formats_for(server):
    """The native formats that fit a server's era."""
    if server.era == Era.XP:
        return [XP_BYPASS]
    return [POWERSHELL, NETSH]


def export_server(server, export_format, config=None):
    """Build one native export of a server (raises ExportError)."""
    if export_format not in FORMATS:
        raise ExportError([f"Unknown export format {export_format!r}."])
    if export_format not in formats_for(server):
        label = FORMATS[export_format][0]
        era = server.get_era_display()
        raise ExportError([f"{label} does not apply to a {era} server."])
    config = config or effective_configuration(server)
    builder = {XP_BYPASS: _XpBypass, POWERSHELL: _PowerShell, NETSH: _Netsh}[
        export_format
    ]
    return builder(server, config).build()


def export_all(server, config=None):
    """Build every export that fits the server: {format: export or ExportError}."""
    config = config or effective_configuration(server)
    results = {}
    for export_format in formats_for(server):
        try:
            results[export_format] = export_server(server, export_format, config)
        except ExportError as error:
            results[export_format] = error
    return results


class _Builder:
    format = ""

    def __init__(self, server, config):
        self.server = server
        self.config = config
        self.problems = []
        self.lines = []
        self.sddl_values = []

    def build(self):
        self.write()
        if self.problems:
            raise ExportError(self.problems)
        extension = FORMATS[self.format][1]
        return NativeExport(
            format=self.format,
            filename=f"{self.server.name}-{self.format}.{extension}",
            text="\n".join(self.lines) + "\n",
            sddl_values=self.sddl_values,
        )

    def write(self):
        raise NotImplementedError

    def text(self, value, what):
        """Check a value that goes into a comment line."""
        if _CONTROL_RE.search(value):
            self.problems.append(f"{what} contains a control character.")
            return ""
        return value

    def sddl(self, label, builder, *args):
        try:
            value = builder(*args)
        except SddlError as error:
            self.problems.append(f"{label}: {error}")
            return ""
        self.sddl_values.append(SddlValue(label, value))
        return value

    def authorization_sddl(self, label, entries):
        allow = [entry.sid for entry in entries if not entry.deny]
        deny = [entry.sid for entry in entries if entry.deny]
        return self.sddl(label, build_authorization, allow, deny)

    def scope_tokens(self, rule, what):
        try:
            scope = parse_scope(rule.scope, Era.ADVANCED)
        except ScopeError as error:
            self.problems.append(f"{what}: {error}")
            return []
        if scope.any:
            return []
        return scope.canonical().split(",")

    def ports(self, rule, what):
        """The rule's ports in canonical form (80,443,5000-5100)."""
        try:
            return canonical_ports(rule.ports).split(",")
        except PortSpecError as error:
            self.problems.append(f"{what}: {error}")
            return []

    def state_settings(self):
        for profile in self.config.profiles:
            yield profile, self.config.state(profile)


class _XpBypass(_Builder):
    format = XP_BYPASS

    def write(self):
        setting = self.config.bypass()
        entries = []
        for rule_settings in setting.value:
            if rule_settings.rule.enabled:
                entries.extend(
                    entry
                    for entry in rule_settings.entries
                    if entry.role == BypassEntry.Role.MACHINE and not entry.deny
                )
        server_name = self.text(self.server.name, "The server name")
        self.lines += [
            f"; fwconsole: authenticated IPsec bypass list of {server_name}",
            f"; Group policy: {XP_POLICY_PATH}",
            f"; Registry: {XP_REGISTRY_VALUE}",
        ]
        if setting.policy is None or not entries:
            self.lines.append(
                "; No policy defines a bypass list for this server: leave the "
                "setting Not Configured."
            )
            return
        source = self.text(setting.policy.name, "The policy name")
        self.lines.append(f"; From policy {source}; entries:")
        for entry in entries:
            name = self.text(entry.name, f"Entry {entry.sid}")
            self.lines.append(f";   {entry.sid} {name}")
        value = self.sddl(
            "Bypass list", build_xp_bypass, [entry.sid for entry in entries]
        )
        self.lines.append(value)


class _Shell(_Builder):
    """Shared walk over a later-era configuration; subclasses render lines."""

    def write(self):
        self.header()
        self.section("Firewall state per profile")
        for profile, setting in self.state_settings():
            if setting.policy is None:
                self.comment(f"{profile} profile: not configured (Windows default)")
                continue
            self.state(profile, setting.value)

        self.section("Global IPsec authorization lists")
        for list_kind in AuthorizationEntry.ListKind.values:
            setting = self.config.authorization(list_kind)
            if setting.policy is None:
                self.comment(f"{list_kind} list: not configured")
                continue
            self.authorization(list_kind, setting.value)

        self.section("Authenticated bypass rules (allow, override block rules)")
        for item in self.config.bypass_rules:
            self.bypass_rule(item.rule, item.settings.entries)

        self.section("Firewall rules")
        for item in self.config.rules:
            self.firewall_rule(item.rule)

    def profiles_of(self, rule):
        names = [name for name in (rule.profiles or "").split(",") if name]
        return names

    def rule_label(self, rule):
        return f"Rule {rule.name!r}"

    def principal_sddls(self, rule, entries):
        machines = [
            entry for entry in entries if entry.role == BypassEntry.Role.MACHINE
        ]
        users = [entry for entry in entries if entry.role == BypassEntry.Role.USER]
        if not any(not entry.deny for entry in machines):
            self.problems.append(
                f"{self.rule_label(rule)}: authorizes no computer; Windows refuses it."
            )
        remote_machine = self.authorization_sddl(
            f"{rule.name}: authorized computers", machines
        )
        remote_user = ""
        if users:
            remote_user = self.authorization_sddl(
                f"{rule.name}: authorized users", users
            )
        return remote_machine, remote_user


class _PowerShell(_Shell):
    format = POWERSHELL

    def quote(self, value, what):
        unsafe = sorted(set(value) & _POWERSHELL_QUOTES)
        if _CONTROL_RE.search(value):
            self.problems.append(
                f"{what} contains a control character, which cannot be quoted "
                "safely for PowerShell."
            )
            return "''"
        if unsafe:
            self.problems.append(
                f"{what} contains {' '.join(unsafe)}, which cannot be quoted safely "
                "for PowerShell; rename it."
            )
            return "''"
        return f"'{value}'"

    def header(self):
        name = self.text(self.server.name, "The server name")
        self.lines += [
            f"# fwconsole: Windows Firewall settings of {name}",
            "# Run in an elevated PowerShell session on the server, or add",
            "# -PolicyStore / -GPOSession to write them into a group policy object.",
            f"# Rules are created in the group '{RULE_GROUP}'; remove them with",
            f"#   Remove-NetFirewallRule -Group '{RULE_GROUP}'",
        ]

    def section(self, title):
        self.lines += ["", f"# {title}"]

    def comment(self, text):
        self.lines.append(f"# {text}")

    def state(self, profile, value):
        name = Profile(profile).label
        if value == FirewallState.OFF:
            options = "-Enabled False"
        elif value == FirewallState.SHIELDED:
            options = (
                "-Enabled True -DefaultInboundAction Block -AllowInboundRules False"
            )
        else:
            options = (
                "-Enabled True -DefaultInboundAction Block -AllowInboundRules True"
            )
        self.lines.append(f"Set-NetFirewallProfile -Profile {name} {options}")

    def authorization(self, list_kind, entries):
        parameter = f"Remote{list_kind.title()}TransportAuthorizationList"
        value = self.authorization_sddl(f"{list_kind} authorization list", entries)
        self.lines.append(f"Set-NetFirewallSetting -{parameter} '{value}'")

    def bypass_rule(self, rule, entries):
        what = self.rule_label(rule)
        remote_machine, remote_user = self.principal_sddls(rule, entries)
        parts = [
            "New-NetFirewallRule",
            f"-DisplayName {self.quote(rule.name, what)}",
            f"-Group '{RULE_GROUP}'",
            "-Direction Inbound -Action Allow",
        ]
        if rule.ports:
            parts.append(self.port_options(rule, what))
        parts += [
            _POWERSHELL_SECURITY[rule.security],
            "-OverrideBlockRules $true",
            f"-RemoteMachine '{remote_machine}'",
        ]
        if remote_user:
            parts.append(f"-RemoteUser '{remote_user}'")
        parts.append(f"-Enabled {'True' if rule.enabled else 'False'}")
        self.lines.append(" ".join(parts))

    def firewall_rule(self, rule):
        what = self.rule_label(rule)
        addresses = self.remote_address(rule, what)
        profiles = self.profiles_of(rule)
        profile_text = ",".join(Profile(name).label for name in profiles) or "Any"
        enabled = "True" if rule.enabled else "False"
        action = rule.get_action_display()
        if rule.kind == FirewallRule.Kind.PREDEFINED:
            group = PREDEFINED_DISPLAY_GROUPS[rule.predefined_group]
            self.comment(f"{self.quote(rule.name, what)}: predefined group {group}")
            self.lines.append(
                f"Get-NetFirewallRule -DisplayGroup '{group}' -Direction Inbound | "
                f"Set-NetFirewallRule -Enabled {enabled} -Action {action} "
                f"-RemoteAddress {addresses} -Profile {profile_text}"
            )
            return
        parts = [
            "New-NetFirewallRule",
            f"-DisplayName {self.quote(rule.name, what)}",
            f"-Group '{RULE_GROUP}'",
            f"-Direction Inbound -Action {action}",
        ]
        if rule.kind == FirewallRule.Kind.ICMP:
            parts.append(f"-Protocol ICMPv4 -IcmpType {rule.icmp_type}")
        else:
            if rule.kind == FirewallRule.Kind.PROGRAM:
                parts.append(
                    f"-Program {self.quote(rule.program_path, what + ' path')}"
                )
            if rule.ports:
                parts.append(self.port_options(rule, what))
        parts += [
            f"-RemoteAddress {addresses}",
            f"-Profile {profile_text}",
            f"-Enabled {enabled}",
        ]
        self.lines.append(" ".join(parts))

    def port_options(self, rule, what):
        ports = ",".join(f"'{port}'" for port in self.ports(rule, what))
        return f"-Protocol {rule.protocol.upper()} -LocalPort {ports}"

    def remote_address(self, rule, what):
        tokens = self.scope_tokens(rule, what)
        if not tokens:
            return "Any"
        return ",".join(f"'{token}'" for token in tokens)


class _Netsh(_Shell):
    format = NETSH

    def quote(self, value, what):
        unsafe = sorted(set(value) & _NETSH_UNSAFE)
        if _CONTROL_RE.search(value):
            self.problems.append(
                f"{what} contains a control character, which cannot be quoted "
                "safely for netsh."
            )
            return '""'
        if unsafe:
            self.problems.append(
                f"{what} contains {' '.join(unsafe)}, which cannot be quoted safely "
                "for netsh in cmd.exe; rename it."
            )
            return '""'
        return f'"{value}"'

    def quote_path(self, value, what):
        # %ProgramFiles% and friends are meant to expand; any other % is not.
        bare = re.sub(r"^%[A-Za-z_][A-Za-z0-9_()]*%", "", value)
        if "%" in bare or '"' in value or _CONTROL_RE.search(value):
            self.problems.append(
                f"{what} cannot be quoted safely for netsh in cmd.exe."
            )
            return '""'
        return f'"{value}"'

    def header(self):
        name = self.text(self.server.name, "The server name")
        self.lines += [
            f"@rem fwconsole: Windows Firewall settings of {name}",
            "@rem Run in an elevated Command Prompt on the server.",
        ]

    def section(self, title):
        self.lines += ["", f"@rem {title}"]

    def comment(self, text):
        self.lines.append(f"@rem {text}")

    def state(self, profile, value):
        prefix = f"netsh advfirewall set {profile}profile"
        if value == FirewallState.OFF:
            self.lines.append(f"{prefix} state off")
            return
        policy = (
            "blockinboundalways" if value == FirewallState.SHIELDED else "blockinbound"
        )
        self.lines.append(f"{prefix} state on")
        self.lines.append(f"{prefix} firewallpolicy {policy},allowoutbound")

    def authorization(self, list_kind, entries):
        # Known limitation: these lists are written by the PowerShell export
        # only; the netsh syntax for them is not one fwconsole can verify.
        value = self.authorization_sddl(f"{list_kind} authorization list", entries)
        self.comment(
            f"{list_kind} authorization list {value}: apply it with the PowerShell "
            "export (Set-NetFirewallSetting)."
        )

    def bypass_rule(self, rule, entries):
        what = self.rule_label(rule)
        remote_machine, remote_user = self.principal_sddls(rule, entries)
        parts = [
            "netsh advfirewall firewall add rule",
            f"name={self.quote(rule.name, what)}",
            "dir=in action=bypass",
        ]
        if rule.ports:
            parts.append(self.port_options(rule, what))
        parts += [
            f"security={rule.security}",
            f'rmtcomputergrp="{remote_machine}"',
        ]
        if remote_user:
            parts.append(f'rmtusrgrp="{remote_user}"')
        parts.append(f"enable={'yes' if rule.enabled else 'no'}")
        self.lines.append(" ".join(parts))

    def firewall_rule(self, rule):
        what = self.rule_label(rule)
        remote = self.remote_ip(rule, what)
        profile = ",".join(self.profiles_of(rule)) or "any"
        enable = "yes" if rule.enabled else "no"
        if rule.kind == FirewallRule.Kind.PREDEFINED:
            group = PREDEFINED_DISPLAY_GROUPS[rule.predefined_group]
            self.comment(f"{self.quote(rule.name, what)}: predefined group {group}")
            self.lines.append(
                f'netsh advfirewall firewall set rule group="{group}" dir=in new '
                f"enable={enable} remoteip={remote} profile={profile}"
            )
            return
        parts = [
            "netsh advfirewall firewall add rule",
            f"name={self.quote(rule.name, what)}",
            f"dir=in action={rule.action}",
        ]
        if rule.kind == FirewallRule.Kind.ICMP:
            parts.append(f"protocol=icmpv4:{rule.icmp_type},any")
        else:
            if rule.kind == FirewallRule.Kind.PROGRAM:
                parts.append(f"program={self.quote_path(rule.program_path, what)}")
            if rule.ports:
                parts.append(self.port_options(rule, what))
        parts += [f"remoteip={remote}", f"profile={profile}", f"enable={enable}"]
        self.lines.append(" ".join(parts))

    def port_options(self, rule, what):
        ports = ",".join(self.ports(rule, what))
        return f"protocol={rule.protocol} localport={ports}"

    def remote_ip(self, rule, what):
        tokens = self.scope_tokens(rule, what)
        if not tokens:
            return "any"
        rendered = []
        for token in tokens:
            if token in _KEYWORDS:
                keyword = _NETSH_KEYWORDS.get(token)
                if keyword is None:
                    self.problems.append(
                        f"{what}: netsh has no keyword for {token}; use the "
                        "PowerShell export."
                    )
                    continue
                rendered.append(keyword)
            else:
                rendered.append(token)
        return ",".join(rendered)
