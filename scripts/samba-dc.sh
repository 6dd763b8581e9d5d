#!/usr/bin/env bash
# A Samba AD domain controller for tests, benchmarks and the demo.
#
#   scripts/samba-dc.sh start     provision (first time) and start; wait for LDAPS
#   scripts/samba-dc.sh stop      stop the DC this script started
#   scripts/samba-dc.sh status    say whether it runs and answers verified LDAPS
#   scripts/samba-dc.sh env       print the FWCONSOLE_SAMBA_* variables tests read
#   scripts/samba-dc.sh snapshot NAME   keep a copy of the DC folder (stops it briefly)
#   scripts/samba-dc.sh restore NAME    replace the DC folder by a kept copy
#
# One DC per machine: Samba binds 389, 636 and 88 on its address. Everyone on
# the machine shares it. The domain lives in var/samba (gitignored); LDAPS uses
# a CA and a server certificate made here, so clients verify it against
# var/samba/tls/ca.pem instead of switching verification off.
#
# If another process already holds 127.0.0.1:636 (a DC this script did not
# start), the DC listens on the next free loopback address (127.0.0.2, ...)
# and `env` says which; FWCONSOLE_SAMBA_ADDRESS forces one.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
var=${FWCONSOLE_SAMBA_DIR:-$root/var/samba}
realm=FWTEST.EXAMPLE.TEST
domain=FWTEST
base_dn=DC=fwtest,DC=example,DC=test
dc_dir=$var/dc
tls_dir=$var/tls
cache_dir=$var-cache
pid_file=$dc_dir/run/samba.pid
log_file=$var/samba.log
candidate_addresses="127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4"

say() { echo "samba-dc: $*" >&2; }
die() { say "$*"; exit 1; }

need_packages() {
  if command -v samba >/dev/null && command -v samba-tool >/dev/null \
    && command -v ldapsearch >/dev/null; then
    return
  fi
  if [ "$(id -u)" = 0 ]; then
    say "installing samba-ad-dc, python3-samba and ldap-utils"
    DEBIAN_FRONTEND=noninteractive apt-get install -y samba-ad-dc python3-samba ldap-utils >&2
  else
    die "samba is not installed; run: sudo apt-get install -y samba-ad-dc python3-samba ldap-utils"
  fi
}

admin_password() {
  cat "$var/admin-password"
}

running_pid() {
  # The pid of the DC this script started, if it still runs.
  [ -f "$pid_file" ] || return 1
  local pid
  pid=$(tr -dc '0-9' <"$pid_file")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

port_holder() {
  # Prints "pid command" of the process listening on ADDRESS:PORT, if any.
  local address=$1 port=$2
  ss -Hltnp "src $address:$port" 2>/dev/null \
    | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n1
}

ldaps_answers() {
  # True when the DC on ADDRESS answers LDAPS with a certificate our CA signed.
  local address=$1
  LDAPTLS_CACERT=$tls_dir/ca.pem LDAPTLS_REQCERT=demand timeout 5 \
    ldapsearch -LLL -x -H "ldaps://$address" -s base -b "" defaultNamingContext \
    >/dev/null 2>&1
}

choose_address() {
  if [ -n "${FWCONSOLE_SAMBA_ADDRESS:-}" ]; then
    echo "$FWCONSOLE_SAMBA_ADDRESS"
    return
  fi
  local address holder
  # The address this DC had before comes first: clients keep using it.
  if [ -f "$var/address" ]; then
    address=$(cat "$var/address")
    wait_port_free "$address" 20 && { echo "$address"; return; }
  fi
  for address in $candidate_addresses; do
    holder=$(port_holder "$address" 636)
    if [ -z "$holder" ]; then
      echo "$address"
      return
    fi
    say "$address:636 is held by another process (pid $holder: $(ps -o args= -p "$holder" 2>/dev/null || true)); not ours, trying the next loopback address"
  done
  die "no free loopback address for the DC among: $candidate_addresses"
}

wait_port_free() {
  # True once nothing listens on ADDRESS:636 (within SECONDS).
  local address=$1 seconds=$2 tries=0
  while [ -n "$(port_holder "$address" 636)" ]; do
    tries=$((tries + 1))
    [ "$tries" -gt $((seconds * 2)) ] && return 1
    sleep 0.5
  done
  return 0
}

ensure_loopback_address() {
  local address=$1
  [ "$address" = 127.0.0.1 ] && return
  if ip -4 addr show dev lo | grep -q "inet $address/"; then
    return
  fi
  if [ "$(id -u)" = 0 ]; then
    say "adding $address to the loopback interface so that Samba can bind it"
    ip addr add "$address/8" dev lo
  else
    die "$address is not on lo; run: sudo ip addr add $address/8 dev lo"
  fi
}

make_certificates() {
  [ -f "$tls_dir/server.pem" ] && return
  say "making a test CA and a server certificate in $tls_dir"
  mkdir -p "$tls_dir"
  local san="IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,IP:127.0.0.4,DNS:localhost"
  san="$san,DNS:fwdc.${realm,,}"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
    -keyout "$tls_dir/ca.key" -out "$tls_dir/ca.pem" \
    -subj "/CN=fwconsole test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -sha256 \
    -keyout "$tls_dir/server.key" -out "$tls_dir/server.csr" \
    -subj "/CN=fwdc.${realm,,}" 2>/dev/null
  openssl x509 -req -in "$tls_dir/server.csr" -days 3650 -sha256 \
    -CA "$tls_dir/ca.pem" -CAkey "$tls_dir/ca.key" -CAcreateserial \
    -out "$tls_dir/server.pem" \
    -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$san") \
    2>/dev/null
  # Samba refuses a private key that others can read.
  chmod 600 "$tls_dir/ca.key" "$tls_dir/server.key"
}

provision() {
  [ -f "$dc_dir/etc/smb.conf" ] && return
  local address=$1
  say "provisioning $realm in $dc_dir"
  rm -rf "$dc_dir"
  mkdir -p "$dc_dir/run"
  if [ ! -f "$var/admin-password" ]; then
    printf '%s' "${FWCONSOLE_SAMBA_ADMIN_PASSWORD:-Fw-Test-Admin-2026}" >"$var/admin-password"
    chmod 600 "$var/admin-password"
  fi
  samba-tool domain provision --targetdir="$dc_dir" --realm="$realm" \
    --domain="$domain" --server-role=dc --dns-backend=NONE \
    --adminpass="$(admin_password)" --host-name=fwdc \
    --option="interfaces=$address" --option="bind interfaces only=yes" \
    --option="netbios name=FWDC" >"$var/provision.log" 2>&1 \
    || { tail -n 20 "$var/provision.log" >&2; die "provisioning failed (log: $var/provision.log)"; }
  # TLS with our own certificate, a pid file inside the folder, and only the
  # services a directory client needs (no SMB file server, no replication).
  sed -i -e '/^\s*server services\s*=/d' -e '/^\s*log file\s*=/d' \
    -e '/^\s*logging\s*=/d' "$dc_dir/etc/smb.conf"
  sed -i '/^\[global\]/a\
	tls enabled = yes\
	tls keyfile = '"$tls_dir"'/server.key\
	tls certfile = '"$tls_dir"'/server.pem\
	tls cafile = '"$tls_dir"'/ca.pem\
	pid directory = '"$dc_dir"'/run\
	log file = '"$var"'/samba.%m.log\
	server services = rpc, ldap, cldap, kdc\
	dsdb:schema update allowed = false' "$dc_dir/etc/smb.conf"
  # Test accounts get simple passwords; complexity rules only slow tests down.
  samba-tool domain passwordsettings set --complexity=off --min-pwd-length=1 \
    --min-pwd-age=0 --max-pwd-age=0 -H "$dc_dir/private/sam.ldb" \
    -s "$dc_dir/etc/smb.conf" >/dev/null
}

set_address() {
  local address=$1
  sed -i "s|^\(\s*interfaces\s*=\).*|\1 $address|" "$dc_dir/etc/smb.conf"
  echo "$address" >"$var/address"
}

start() {
  need_packages
  mkdir -p "$var"
  if pid=$(running_pid); then
    local address
    address=$(cat "$var/address")
    if ldaps_answers "$address"; then
      say "already running (pid $pid) on $address; reusing it"
      return
    fi
    say "running (pid $pid) but not answering LDAPS yet; waiting"
    wait_ready "$address"
    return
  fi
  local address
  address=$(choose_address)
  ensure_loopback_address "$address"
  make_certificates
  provision "$address"
  set_address "$address"
  mkdir -p "$dc_dir/run"
  say "starting the DC on $address"
  # fd 9 holds this script's lock: the daemon must not inherit it.
  # A test DC needs no durability: without fsync, adding objects is several
  # times faster (Samba's own test suite runs this way).
  TDB_NO_FSYNC=1 samba -s "$dc_dir/etc/smb.conf" >>"$log_file" 2>&1 9>&- \
    || die "samba did not start (log: $log_file)"
  wait_ready "$address"
}

wait_ready() {
  local address=$1 tries=0
  until ldaps_answers "$address"; do
    tries=$((tries + 1))
    # A DC holding a large benchmark directory takes a minute or more to
    # open its database on a busy machine.
    if [ "$tries" -gt 600 ]; then
      tail -n 20 "$log_file" >&2 || true
      die "the DC did not answer LDAPS on $address within 300 s (log: $log_file)"
    fi
    sleep 0.5
  done
  say "ready: ldaps://$address verified against $tls_dir/ca.pem"
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    say "not running"
    return
  fi
  say "stopping pid $pid"
  kill "$pid"
  for _ in $(seq 1 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
      # The worker processes close their sockets a moment after the master.
      wait_port_free "$(cat "$var/address")" 20 || say "port 636 still held after stop"
      say "stopped"
      return
    fi
    sleep 0.2
  done
  die "pid $pid did not stop within 20 s"
}

status() {
  local pid address
  if pid=$(running_pid); then
    address=$(cat "$var/address")
    if ldaps_answers "$address"; then
      echo "running (pid $pid) on ldaps://$address, certificate verified"
      return 0
    fi
    echo "running (pid $pid) on $address but LDAPS does not answer"
    return 1
  fi
  echo "not running"
  return 3
}

print_env() {
  [ -f "$var/address" ] || die "not provisioned yet; run: $0 start"
  local address
  address=$(cat "$var/address")
  cat <<EOF
FWCONSOLE_SAMBA_URL=ldaps://$address:636
FWCONSOLE_SAMBA_LDAP_URL=ldap://$address:389
FWCONSOLE_SAMBA_ADDRESS=$address
FWCONSOLE_SAMBA_BASE_DN=$base_dn
FWCONSOLE_SAMBA_REALM=$realm
FWCONSOLE_SAMBA_NETBIOS=$domain
FWCONSOLE_SAMBA_ADMIN_DN=CN=Administrator,CN=Users,$base_dn
FWCONSOLE_SAMBA_ADMIN_PASSWORD=$(admin_password)
FWCONSOLE_SAMBA_CA_FILE=$tls_dir/ca.pem
FWCONSOLE_SAMBA_TLS_CERT=$tls_dir/server.pem
FWCONSOLE_SAMBA_TLS_KEY=$tls_dir/server.key
FWCONSOLE_SAMBA_DIR=$var
EOF
}

snapshot() {
  local name=${1:?snapshot needs a name}
  mkdir -p "$cache_dir"
  local was_running=no
  if running_pid >/dev/null; then was_running=yes; stop; fi
  say "keeping a copy of the DC as $cache_dir/$name.tar"
  tar -C "$var" -cf "$cache_dir/$name.tar.tmp" dc
  mv "$cache_dir/$name.tar.tmp" "$cache_dir/$name.tar"
  [ "$was_running" = yes ] && start
  return 0
}

restore() {
  local name=${1:?restore needs a name}
  [ -f "$cache_dir/$name.tar" ] || die "no kept copy named $name in $cache_dir"
  local was_running=no
  if running_pid >/dev/null; then was_running=yes; stop; fi
  say "restoring the DC from $cache_dir/$name.tar"
  rm -rf "$dc_dir"
  tar -C "$var" -xf "$cache_dir/$name.tar"
  rm -f "$pid_file"
  [ "$was_running" = yes ] && start
  return 0
}

command=${1:-}
case "$command" in
  start | stop | snapshot | restore)
    mkdir -p "$var"
    # Parallel test runs call start at the same moment: one provisions, the
    # others wait and reuse it.
    exec 9>"$var/.lock"
    flock -w 300 9 || die "another samba-dc.sh holds $var/.lock"
    shift
    "$command" "$@"
    ;;
  status) status ;;
  env) print_env ;;
  *)
    echo "usage: $0 start|stop|status|env|snapshot NAME|restore NAME" >&2
    exit 2
    ;;
esac
