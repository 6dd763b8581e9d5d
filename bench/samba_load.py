"""Load the benchmark directory into the Samba DC (runs under /usr/bin/python3).

20,000 computers in ten site OUs, 10,000 users in five OUs and 2,000 groups
nested six levels deep, under OU=fwbench-v1. Debian's python3-samba only
imports in the system Python, so this script runs there and writes straight
into the DC's sam.ldb (Samba's own tools do the same while it runs), in small
transactions so the DC's other clients never wait long.

Adding objects costs Samba several milliseconds each: the load takes many
minutes and is done once; the OU then carries a marker and later runs reuse
it. Usage: /usr/bin/python3 bench/samba_load.py SMB_CONF SAM_LDB
"""

import random
import sys
import time

import ldb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

BENCH_OU = "fwbench-v1"
MARKER = "fwconsole bench directory v1 complete"
SITES = 10
COMPUTERS_PER_SITE = 2000
USER_OUS = 5
USERS_PER_OU = 2000
# Groups per nesting level: 20 at the top, 800 at the sixth level (2,000 in all).
LEVELS = [20, 60, 180, 340, 600, 800]
BATCH = 50


def log(message):
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


def layout(base):
    """Return (OU DNs, object messages, {group DN: member DNs})."""
    rng = random.Random(2026)
    root = f"OU={BENCH_OU},{base}"
    ous = [root, f"OU=Computers,{root}", f"OU=Users,{root}", f"OU=Groups,{root}"]
    objects = []
    computers = []
    for site in range(SITES):
        ou = f"OU=Site{site:02},OU=Computers,{root}"
        ous.append(ou)
        for number in range(COMPUTERS_PER_SITE):
            name = f"BC{site:02}-{number:04}"
            dn = f"CN={name},{ou}"
            computers.append(dn)
            objects.append(
                {
                    "dn": dn,
                    "objectClass": "computer",
                    "sAMAccountName": f"{name}$",
                    "userAccountControl": "4098" if number % 97 == 0 else "4096",
                    "dNSHostName": f"{name.lower()}.fwtest.example.test",
                    "operatingSystem": "Windows 11 Enterprise",
                    "operatingSystemVersion": "10.0 (22631)",
                }
            )
    users = []
    for unit in range(USER_OUS):
        ou = f"OU=Dept{unit},OU=Users,{root}"
        ous.append(ou)
        for number in range(USERS_PER_OU):
            name = f"bu{unit}{number:04}"
            dn = f"CN={name},{ou}"
            users.append(dn)
            objects.append(
                {
                    "dn": dn,
                    "objectClass": "user",
                    "sAMAccountName": name,
                    "userAccountControl": "514" if number % 50 == 0 else "512",
                    "displayName": f"Bench User {unit}{number:04}",
                    "userPrincipalName": f"{name}@fwtest.example.test",
                }
            )
    levels = []
    for level, count in enumerate(LEVELS, start=1):
        names = [
            f"CN=BG{level}-{number:04},OU=Groups,{root}" for number in range(count)
        ]
        levels.append(names)
        for dn in names:
            sam = dn.split(",")[0][3:]
            objects.append(
                {
                    "dn": dn,
                    "objectClass": "group",
                    "sAMAccountName": sam,
                    "groupType": str(-2147483646),
                }
            )
    members = {dn: [] for names in levels for dn in names}
    for upper, lower in zip(levels, levels[1:], strict=False):
        for index, dn in enumerate(lower):
            members[upper[index % len(upper)]].append(dn)
    all_groups = [dn for names in levels for dn in names]
    leaves = levels[-1] + levels[-2]
    for dn in computers:
        members[rng.choice(leaves)].append(dn)
        if rng.random() < 0.3:
            members[rng.choice(all_groups)].append(dn)
    for dn in users:
        members[rng.choice(leaves)].append(dn)
        if rng.random() < 0.5:
            members[rng.choice(all_groups)].append(dn)
    return ous, objects, members


def existing_dns(samdb, root):
    try:
        found = samdb.search(root, scope=ldb.SCOPE_SUBTREE, attrs=["dn"])
    except ldb.LdbError:
        return set()
    return {str(message.dn).lower() for message in found}


def main(smb_conf, sam_ldb):
    parameters = LoadParm()
    parameters.load(smb_conf)
    samdb = SamDB(url=sam_ldb, lp=parameters, session_info=system_session())
    base = str(samdb.domain_dn())
    root = f"OU={BENCH_OU},{base}"
    try:
        marker = samdb.search(root, scope=ldb.SCOPE_BASE, attrs=["description"])
        if MARKER in [str(value) for value in marker[0].get("description", [])]:
            log("the benchmark directory is already loaded")
            return
    except ldb.LdbError:
        pass
    ous, objects, members = layout(base)
    have = existing_dns(samdb, root)
    for dn in ous:
        if dn.lower() not in have:
            samdb.add({"dn": dn, "objectClass": "organizationalUnit"})
    missing = [message for message in objects if message["dn"].lower() not in have]
    log(f"{len(objects) - len(missing)} objects present, adding {len(missing)}")
    started = time.monotonic()
    for start in range(0, len(missing), BATCH):
        samdb.transaction_start()
        try:
            for message in missing[start : start + BATCH]:
                samdb.add(message)
        except Exception:
            samdb.transaction_cancel()
            raise
        samdb.transaction_commit()
        done = start + BATCH
        if done % 1000 < BATCH:
            rate = done / (time.monotonic() - started)
            log(f"added {min(done, len(missing))} of {len(missing)} ({rate:.0f}/s)")
    log("adding group members")
    for number, (group_dn, wanted) in enumerate(members.items()):
        current = samdb.search(group_dn, scope=ldb.SCOPE_BASE, attrs=["member"])[0]
        present = {str(value).lower() for value in current.get("member", [])}
        new = [dn for dn in wanted if dn.lower() not in present]
        if new:
            message = ldb.Message(ldb.Dn(samdb, group_dn))
            message["member"] = ldb.MessageElement(new, ldb.FLAG_MOD_ADD, "member")
            samdb.modify(message)
        if number % 200 == 0:
            log(f"members of {number} of {len(members)} groups")
    message = ldb.Message(ldb.Dn(samdb, root))
    message["description"] = ldb.MessageElement(
        [MARKER], ldb.FLAG_MOD_REPLACE, "description"
    )
    samdb.modify(message)
    log("benchmark directory loaded")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
