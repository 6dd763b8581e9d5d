#!/usr/bin/env bash
# Check the Debian packages fwconsole needs outside its virtual environment and
# install the missing ones with apt-get when running as root.
#
#   scripts/ensure-system-packages.sh          everything `make test` needs
#   scripts/ensure-system-packages.sh build    only what `make demo` needs: the
#                                              headers python-ldap compiles against
#
# Not root and something missing: prints the exact apt-get command and exits 1.
set -euo pipefail

profile=${1:-all}
case "$profile" in
  all | build) ;;
  *)
    echo "usage: $0 [all|build]" >&2
    exit 2
    ;;
esac

missing=()

need() {
  # need PACKAGE DESCRIPTION TEST-COMMAND...
  local package=$1 description=$2
  shift 2
  if ! "$@" >/dev/null 2>&1; then
    echo "missing: $description (Debian package $package)"
    missing+=("$package")
  fi
}

# python-ldap (LDIF parser, django-auth-ldap) has no Linux wheels: pip builds it.
need libldap2-dev "OpenLDAP headers for python-ldap" test -f /usr/include/ldap.h
need libsasl2-dev "SASL headers for python-ldap" test -f /usr/include/sasl/sasl.h

if [ "$profile" = all ]; then
  # The Samba AD domain controller the directory tests sync from.
  need samba-ad-dc "samba" command -v samba
  need samba-ad-dc "samba-tool" command -v samba-tool
  need samba-ad-dc "Samba provisioning data" test -d /usr/share/samba/setup
  # Samba's Python bindings are the oracle for SDDL and SID tests; they import
  # only in Debian's own Python.
  need python3-samba "Samba's Python bindings" /usr/bin/python3 -c "import samba"
  need ldap-utils "ldapsearch" command -v ldapsearch
  # Browser tests drive Debian's Chromium; Playwright never downloads one.
  need chromium "Chromium" test -x /usr/bin/chromium
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present ($profile)"
  exit 0
fi

# One package can be named by several checks.
mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
command="apt-get install -y ${packages[*]}"

if [ "$(id -u)" -ne 0 ]; then
  echo "Some system packages are missing. Install them with:" >&2
  echo "  sudo apt-get update && sudo $command" >&2
  exit 1
fi

echo "installing: ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Recommends stay on: samba-ad-dc recommends samba-ad-provision, without which
# samba-tool cannot provision a domain.
apt-get install -y -qq "${packages[@]}"
echo "system packages: installed ${packages[*]}"
