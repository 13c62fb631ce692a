#!/usr/bin/env bash
# A private Dovecot for MailFerry's integration tests, on 127.0.0.1 only.
#
#   scripts/test-server.sh start    install Dovecot if missing, write a fresh config, start it
#   scripts/test-server.sh stop     stop it (SIGTERM to the pid in its run directory)
#   scripts/test-server.sh env      print the environment the tests read (source it)
#   scripts/test-server.sh status   is it running?
#
# Listeners: IMAP 12143 (STARTTLS), IMAPS 12993, POP3 12110 (STLS), POP3S 12995.
# TLS: a CA and a server certificate (for IP 127.0.0.1 and localhost) are generated on start;
# tests trust that CA explicitly (and a second, unrelated CA shows that others are refused).
# Users (passwd-file): alice bob carol dave erin frank grace — suites run in parallel, so a test
# that resets a user's mail must be the only one using that user; pairs for the checkpoint tests and the
# soak script (crashsrc/crashdst, cutsrc/cutdst, rerunsrc/rerundst, soaksrc/soakdst); POP3 sources
# popa popb popc popd (popdst and popcli as IMAP destinations for them; popsmall, like small); "small",
# whose server rejects messages over 100 KB; and "quota", whose mailbox holds at most 150 KB.
# Password "ferry-s3cret-pw". Maildir storage under the base directory.
# Dovecot runs as root here (as CI does) and switches to the system user "mailferrytest".
set -euo pipefail

BASE="${MAILFERRY_TEST_SERVER_DIR:-/var/tmp/mailferry-test-server}"
ETC="$BASE/etc" RUN="$BASE/run" MAIL="$BASE/mail" LOG="$BASE/log" SSL="$BASE/etc/ssl"
CONF="$ETC/dovecot.conf"
MAILUSER=mailferrytest
PASSWORD=ferry-s3cret-pw
USERS="alice bob carol dave erin frank grace small quota crashsrc crashdst cutsrc cutdst rerunsrc rerundst soaksrc soakdst popa popb popc popd popdst popsmall popcli arca arcb arcc arcd rmsrc rmplain repair qsmall throttle profdst"
IMAP_PORT=12143 IMAPS_PORT=12993 POP3_PORT=12110 POP3S_PORT=12995

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

installed() {
    local package
    for package in "$@"; do
        [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" = "install ok installed" ] || return 1
    done
}

install_server() {
    installed dovecot-core dovecot-imapd dovecot-pop3d openssl && return 0
    echo "Installing Dovecot for the integration tests..." >&2
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 "${sudo[@]}" apt-get update -qq
    timeout 900 "${sudo[@]}" apt-get install -y -qq --no-install-recommends dovecot-core dovecot-imapd dovecot-pop3d openssl >/dev/null
    # The package starts a system Dovecot on the standard ports; the tests do not need it.
    "${sudo[@]}" systemctl disable --now dovecot >/dev/null 2>&1 || "${sudo[@]}" service dovecot stop >/dev/null 2>&1 || true
}

make_certificates() {
    mkdir -p "$SSL"
    local days=30
    openssl req -x509 -newkey rsa:2048 -nodes -days $days -subj "/CN=MailFerry test CA" \
        -keyout "$SSL/ca.key" -out "$SSL/ca.pem" >/dev/null 2>&1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$SSL/server.key" -out "$SSL/server.csr" >/dev/null 2>&1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$SSL/server.ext"
    openssl x509 -req -in "$SSL/server.csr" -CA "$SSL/ca.pem" -CAkey "$SSL/ca.key" -CAcreateserial -days $days \
        -extfile "$SSL/server.ext" -out "$SSL/server.pem" >/dev/null 2>&1
    # A CA that signed nothing here: certificates are refused when only it is trusted.
    openssl req -x509 -newkey rsa:2048 -nodes -days $days -subj "/CN=Unrelated CA" \
        -keyout "$SSL/other-ca.key" -out "$SSL/other-ca.pem" >/dev/null 2>&1
    chmod 600 "$SSL"/*.key
    chmod 644 "$SSL/ca.pem" "$SSL/other-ca.pem"
}

write_config() {
    mkdir -p "$ETC" "$RUN" "$MAIL" "$LOG" "$BASE/state"
    chmod 755 "$BASE"
    id "$MAILUSER" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$MAILUSER"
    local uid gid user modules=/usr/lib/dovecot/modules zlib_imap=""
    uid=$(id -u "$MAILUSER")
    gid=$(id -g "$MAILUSER")
    [ -e "$modules/lib30_imap_zlib_plugin.so" ] && zlib_imap="imap_zlib"
    : > "$ETC/users"
    for user in $USERS; do
        local extra=""
        { [ "$user" = small ] || [ "$user" = popsmall ] || [ "$user" = qsmall ]; } && extra="userdb_quota_max_mail_size=100k"
        [ "$user" = quota ] && extra="userdb_quota_rule=*:storage=150K"
        echo "$user:{PLAIN}$PASSWORD:$uid:$gid::$MAIL/$user::$extra" >> "$ETC/users"
        mkdir -p "$MAIL/$user"
    done
    chown -R "$MAILUSER:$MAILUSER" "$MAIL"
    chmod 640 "$ETC/users"
    chgrp dovecot "$ETC/users" 2>/dev/null || true
    cat > "$CONF" <<CONF
# Written by scripts/test-server.sh: MailFerry's private test instance, loopback only.
instance_name = mailferrytest
base_dir = $RUN
state_dir = $BASE/state
listen = 127.0.0.1
protocols = imap pop3
log_path = $LOG/dovecot.log
info_log_path = $LOG/dovecot-info.log
ssl = yes
ssl_cert = <$SSL/server.pem
ssl_key = <$SSL/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
first_valid_uid = $uid
last_valid_uid = $uid
mail_uid = $uid
mail_gid = $gid
mail_location = maildir:~/Maildir
mail_plugins = \$mail_plugins quota
mail_max_userip_connections = 100
pop3_uidl_format = %08Xu%08Xv
plugin {
  quota = maildir:User quota
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $ETC/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $ETC/users
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
  }
  mailbox Sent {
    special_use = \\Sent
  }
  mailbox Trash {
    special_use = \\Trash
  }
  mailbox Junk {
    special_use = \\Junk
  }
  mailbox Archive {
    special_use = \\Archive
  }
}
protocol imap {
  mail_plugins = \$mail_plugins $zlib_imap
  mail_max_userip_connections = 100
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $POP3_PORT
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $POP3S_PORT
    ssl = yes
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0
  }
}
service doveadm {
  unix_listener doveadm-server {
    mode = 0600
  }
}
CONF
}

is_running() { [ -s "$RUN/master.pid" ] && kill -0 "$(cat "$RUN/master.pid")" 2>/dev/null; }

start() {
    if [ "$(id -u)" -ne 0 ]; then exec "${sudo[@]}" env MAILFERRY_TEST_SERVER_DIR="$BASE" "$0" start; fi
    install_server
    is_running && stop
    rm -rf "$MAIL" "$BASE/state"
    make_certificates
    write_config
    dovecot -c "$CONF" </dev/null >>"$LOG/dovecot-stdio.log" 2>&1
    local attempt
    for attempt in $(seq 1 100); do
        # Ready when the plain listener greets without "Waiting for authentication process".
        local greeting=""
        if is_running; then
            greeting=$(timeout 0.5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$IMAP_PORT && head -n 1 <&3" 2>/dev/null) || true
        fi
        if [[ "$greeting" == *CAPABILITY* ]]; then
            echo "test Dovecot running: pid $(cat "$RUN/master.pid"), base $BASE" >&2
            return 0
        fi
        sleep 0.1
    done
    echo "Dovecot did not start; its log:" >&2
    tail -20 "$LOG/dovecot.log" >&2 || true
    exit 1
}

stop() {
    if [ "$(id -u)" -ne 0 ] && is_running; then exec "${sudo[@]}" env MAILFERRY_TEST_SERVER_DIR="$BASE" "$0" stop; fi
    is_running || return 0
    local pid attempt
    pid=$(cat "$RUN/master.pid")
    kill -TERM "$pid"
    for attempt in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || { echo "test Dovecot stopped" >&2; return 0; }
        sleep 0.1
    done
    echo "Dovecot (pid $pid) did not stop within 10 s" >&2
    return 1
}

environment() {
    cat <<ENV
export MAILFERRY_TEST_IMAP_HOST=127.0.0.1
export MAILFERRY_TEST_IMAP_PORT=$IMAP_PORT
export MAILFERRY_TEST_IMAPS_PORT=$IMAPS_PORT
export MAILFERRY_TEST_POP3_PORT=$POP3_PORT
export MAILFERRY_TEST_POP3S_PORT=$POP3S_PORT
export MAILFERRY_TEST_CA_FILE=$SSL/ca.pem
export MAILFERRY_TEST_OTHER_CA_FILE=$SSL/other-ca.pem
export MAILFERRY_TEST_USERS="$USERS"
export MAILFERRY_TEST_PASSWORD=$PASSWORD
export MAILFERRY_TEST_DOVECOT_CONF=$CONF
ENV
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    env) environment ;;
    status) if is_running; then echo "running: pid $(cat "$RUN/master.pid"), base $BASE"; else echo "not running"; exit 1; fi ;;
    *) sed -n '2,14p' "$0"; exit 2 ;;
esac
