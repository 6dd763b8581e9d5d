"""Does a firewall exception or rule open the queried service to this client?

A rule opens a service when its kind, protocol and ports (or program, ICMP
type, predefined group) cover it, and admits the client when its scope does.
Both answers are three-valued: a predefined group with RPC dynamic ports
cannot say whether the endpoint mapper hands out a given port, and a scope may
need an address the client has none of.
"""

from dataclasses import dataclass

from policies.effective import PREDEFINED_GROUP_SERVICES
from policies.evaluator.logic import and3
from policies.models import Era, FirewallRule
from policies.ports import ICMP_ECHO_REQUEST

# The ports Windows' RPC endpoint mapper hands out by default.
RPC_DYNAMIC_RANGES = {Era.XP: (1025, 5000), Era.ADVANCED: (49152, 65535)}

SMB_PORT = 445


@dataclass(frozen=True)
class Admission:
    """Whether a rule lets the client's request in, and why (or why not)."""

    result: bool | None
    reason: str
    opens: bool | None = None


def _same_program(first, second):
    return first.strip().casefold() == second.strip().casefold()


def listening_opens(ctx, program_path):
    """Whether the program listens on the queried port (port services only)."""
    service = ctx.service
    for program in ctx.server_info.listening:
        if not _same_program(program.program_path, program_path):
            continue
        if program.protocol == service.protocol and program.ports is not None:
            if program.ports.contains(service.port):
                return True
    return False


def opens(ctx, rule):
    """Return (True/False/None, reason): does the rule cover the service?"""
    service = ctx.service
    kind = rule.kind
    if kind == FirewallRule.Kind.PORT:
        if not service.is_port or rule.protocol != service.protocol:
            return False, f"{rule.name} is for {rule.protocol.upper()} ports"
        ports, error = ctx.snapshot.ports(rule.ports)
        if ports is None:
            return None, f"the ports of {rule.name} cannot be read: {error}"
        if ports.contains(service.port):
            return True, f"{rule.name} covers {rule.protocol.upper()} {ports}"
        return False, f"{rule.name} covers {rule.protocol.upper()} {ports} only"

    if kind == FirewallRule.Kind.PROGRAM:
        return _program_opens(ctx, rule)

    if kind == FirewallRule.Kind.ICMP:
        if service.is_icmp and rule.icmp_type == service.icmp_type:
            return True, f"{rule.name} allows ICMP type {rule.icmp_type}"
        return False, f"{rule.name} is for ICMP type {rule.icmp_type}"

    if kind == FirewallRule.Kind.PREDEFINED:
        return _predefined_opens(ctx, rule)
    return False, f"{rule.name} is of an unknown kind"


def _program_opens(ctx, rule):
    service = ctx.service
    if service.is_program:
        if _same_program(service.program_path, rule.program_path):
            return True, f"{rule.name} is an exception for {rule.program_path}"
        return False, f"{rule.name} is for {rule.program_path}"
    if not service.is_port:
        return False, f"{rule.name} is a program exception"
    if rule.ports.strip():
        if rule.protocol and rule.protocol != service.protocol:
            return False, f"{rule.name} is limited to {rule.protocol.upper()}"
        ports, error = ctx.snapshot.ports(rule.ports)
        if ports is None:
            return None, f"the ports of {rule.name} cannot be read: {error}"
        if not ports.contains(service.port):
            return False, f"{rule.name} is limited to ports {ports}"
    if listening_opens(ctx, rule.program_path):
        return True, (
            f"{rule.program_path} listens on {service.label} on this server and "
            f"{rule.name} lets it receive"
        )
    return False, (
        f"{rule.program_path} is not recorded as listening on {service.label}"
    )


def _predefined_opens(ctx, rule):
    service = ctx.service
    group = PREDEFINED_GROUP_SERVICES.get(rule.predefined_group)
    label = FirewallRule.PredefinedGroup(rule.predefined_group).label
    if group is None:
        return False, f"{rule.name} names no known group"
    if service.is_icmp:
        if service.icmp_type in group.icmp_types:
            return True, f"{label} allows ICMP type {service.icmp_type}"
        return False, f"{label} allows no ICMP type {service.icmp_type}"
    if not service.is_port:
        return False, f"{label} opens ports, not programs"
    ports = group.ports_for(service.protocol)
    if ports.contains(service.port):
        return True, f"{label} opens {service.protocol.upper()} {ports}"
    if group.rpc_dynamic and service.protocol == "tcp":
        low, high = RPC_DYNAMIC_RANGES[Era(ctx.era)]
        if low <= service.port <= high:
            return None, (
                f"{label} opens the RPC dynamic ports, which only the endpoint "
                f"mapper hands out; TCP {service.port} is in the range {low}-{high}"
            )
    return False, f"{label} does not open {service.label}"


def scope_admits(ctx, rule):
    """Return a ScopeMatch-like (result, reason) for the rule's scope."""
    if ctx.era == Era.XP and rule.kind == FirewallRule.Kind.ICMP:
        return True, "XP-era ICMP settings have no scope"
    scope, error = ctx.snapshot.scope(rule.scope, ctx.era)
    if scope is None:
        return None, f"the scope of {rule.name} cannot be read: {error}"
    match = ctx.scope_match(scope)
    return match.result, match.reason


def admits(ctx, rule):
    """Whether the rule covers the service and its scope admits the client."""
    covered, why = opens(ctx, rule)
    if covered is False:
        return Admission(False, why, False)
    admitted, scope_why = scope_admits(ctx, rule)
    result = and3(covered, admitted)
    return Admission(result, f"{why}; {scope_why}", covered)


def smb_admits(ctx, rule):
    """XP: whether a rule opening TCP 445 to the client also admits ICMP echo."""
    if not (ctx.service.is_icmp and ctx.service.icmp_type == ICMP_ECHO_REQUEST):
        return Admission(False, "")
    port_query = ctx.with_service_port("tcp", SMB_PORT)
    admission = admits(port_query, rule)
    if admission.result is False:
        return admission
    return Admission(
        admission.result,
        f"{rule.name} opens TCP 445, which on XP-era firewalls also admits ICMP "
        f"echo requests ({admission.reason})",
        admission.opens,
    )
