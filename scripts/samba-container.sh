#!/usr/bin/env bash
# Entry point of the demo domain controller container (Dockerfile target
# "samba"): make a CA and a certificate, provision a domain into the volume the
# first time, then run Samba in the foreground so that the container lives and
# dies with it.
#
# The certificate names <hostname>.<realm> (docker-compose.yml gives the
# container that name); console containers trust /srv/samba/tls/ca.pem.
set -euo pipefail

realm=${SAMBA_REALM:-DEMO.EXAMPLE.TEST}
domain=${SAMBA_DOMAIN:-DEMO}
password=${SAMBA_ADMIN_PASSWORD:?set SAMBA_ADMIN_PASSWORD}
target=/srv/samba
tls=$target/tls
server_name="$(hostname -s).${realm,,}"

if [ ! -f "$tls/server.pem" ]; then
  echo "making a demo CA and a certificate for $server_name"
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" -subj "/CN=fwconsole demo CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"
  openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$tls/server.key" \
    -out "$tls/server.csr" -subj "/CN=$server_name"
  openssl x509 -req -in "$tls/server.csr" -days 3650 -sha256 \
    -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -out "$tls/server.pem" \
    -extfile <(printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$server_name")
  # Samba refuses a private key that others can read; the CA is public.
  chmod 600 "$tls/ca.key" "$tls/server.key"
  chmod 644 "$tls/ca.pem"
fi

if [ ! -f "$target/etc/smb.conf" ]; then
  echo "provisioning $realm in $target"
  samba-tool domain provision --targetdir="$target" --realm="$realm" \
    --domain="$domain" --server-role=dc --dns-backend=NONE \
    --adminpass="$password" --host-name="$(hostname -s)" \
    --option="tls enabled = yes" \
    --option="tls keyfile = $tls/server.key" \
    --option="tls certfile = $tls/server.pem" \
    --option="tls cafile = $tls/ca.pem"
fi

exec samba --foreground --no-process-group --debug-stdout -s "$target/etc/smb.conf"
