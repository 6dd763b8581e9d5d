"""Read SDDL with Samba's own parser (Debian's python3-samba).

python3-samba is built for the system interpreter, not the project's virtual
environment, so the parse runs in a /usr/bin/python3 subprocess.
"""

import json
import subprocess

SYSTEM_PYTHON = "/usr/bin/python3"

_READER = """
import json, sys
from samba.dcerpc import security
request = json.load(sys.stdin)
domain = security.dom_sid(request["domain_sid"])
out = []
for text in request["sddl"]:
    try:
        sd = security.descriptor.from_sddl(text, domain)
    except Exception as error:
        out.append({"error": str(error)})
        continue
    aces = [] if sd.dacl is None else [
        {"type": int(ace.type), "mask": int(ace.access_mask),
         "sid": str(ace.trustee), "flags": int(ace.flags)}
        for ace in sd.dacl.aces
    ]
    out.append({
        "owner": str(sd.owner_sid) if sd.owner_sid else None,
        "group": str(sd.group_sid) if sd.group_sid else None,
        "aces": aces,
    })
json.dump(out, sys.stdout)
"""

# Samba's numbering of ACE types (security.SEC_ACE_TYPE_ACCESS_*).
SAMBA_ALLOW = 0
SAMBA_DENY = 1


def samba_read(sddl_values, domain_sid):
    """Return Samba's reading of each SDDL string: owner, group, ACE list."""
    completed = subprocess.run(
        [SYSTEM_PYTHON, "-c", _READER],
        input=json.dumps({"sddl": list(sddl_values), "domain_sid": domain_sid}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(completed.stdout)
