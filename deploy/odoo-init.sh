#!/bin/bash
# docker-compose.yml's odoo-init: runs to completion on every `docker compose up`, before Odoo starts, in
# the odoo image (ODOO_IMAGE). Safe to run again and again:
#   1. (root) the secrets directory of the `bridge-secrets` volume: owner odoo, group LB_SECRETS_GID (the
#      sidecar's gid), mode 2750, so every file written in it is readable by the sidecar (bridge_secrets.py);
#   2. (odoo, from here on) Odoo's configuration file ODOO_RC: the master password (ODOO_MASTER_PASSWORD,
#      stored hashed), proxy mode (ODOO_PROXY_MODE), no database manager;
#   3. the database, by addon_state.py: create it with the addon (-i, once), install the addon into an
#      existing database (-i logistics_bridge), upgrade it when the manifest version changed
#      (-u logistics_bridge), or leave it alone: installed modules are never initialised again;
#   4. demo gateway tokens, generated once (random, never a shared default);
#   5. an administrator still on Odoo's built-in password gets ODOO_ADMIN_PASSWORD (set_admin_password.py);
#   6. the sidecar's service user and API key (create_service_user.py): a key that still works is kept,
#      a missing or dead one (a kept volume next to a new database) is replaced.
set -euo pipefail

: "${ODOO_DB:?}" "${LB_SECRETS_GID:?}" "${ODOO_RC:?}"
SECRETS=${LB_SECRETS_DIR:-/run/bridge}
DEPLOY=$(cd "$(dirname "$0")" && pwd)
ADDONS=/mnt/extra-addons
log() { echo "odoo-init: $*"; }

if [ "$(id -u)" = 0 ]; then
  python3 "$DEPLOY/bridge_secrets.py" prepare-dir "$SECRETS" odoo "$LB_SECRETS_GID"
  # -p keeps the environment: the image's entrypoint takes the database user from USER.
  exec runuser -p -u odoo -- env HOME=/var/lib/odoo bash "$0" "$@"
fi

: "${ODOO_MASTER_PASSWORD:?set ODOO_MASTER_PASSWORD in .env (see .env.example)}"
: "${ODOO_ADMIN_PASSWORD:?set ODOO_ADMIN_PASSWORD in .env (see .env.example)}"
case ${ODOO_PROXY_MODE:-False} in
  True | False) ;;
  *) echo "odoo-init: ODOO_PROXY_MODE must be True or False, got ${ODOO_PROXY_MODE}" >&2; exit 2 ;;
esac

umask 077
python3 - "$ODOO_RC" <<'PY'
import os, sys
from passlib.context import CryptContext  # what Odoo itself hashes admin_passwd with
rc = sys.argv[1]
hashed = CryptContext(['pbkdf2_sha512'], pbkdf2_sha512__rounds=600_000).hash(os.environ['ODOO_MASTER_PASSWORD'])
with open(rc + '.tmp', 'w') as fh:
    fh.write('[options]\naddons_path = /mnt/extra-addons\ndata_dir = /var/lib/odoo\n'
             'admin_passwd = %s\nproxy_mode = %s\nlist_db = False\n' % (hashed, os.environ.get('ODOO_PROXY_MODE', 'False')))
os.replace(rc + '.tmp', rc)
PY
log "wrote $ODOO_RC (master password set, proxy_mode ${ODOO_PROXY_MODE:-False}, database manager off)"

odoo_run() { /entrypoint.sh odoo -d "$ODOO_DB" --no-http --stop-after-init "$@"; }
action=$(python3 "$DEPLOY/addon_state.py" "$ODOO_DB" "$ADDONS")
case $action in
  create)
    log "database $ODOO_DB: new, installing stock, sale_stock, purchase_stock and logistics_bridge"
    odoo_run -i stock,sale_stock,purchase_stock,logistics_bridge --without-demo=all
    ;;
  install) log "database $ODOO_DB: installing logistics_bridge"; odoo_run -i logistics_bridge ;;
  upgrade) log "database $ODOO_DB: upgrading logistics_bridge to the checkout's version"; odoo_run -u logistics_bridge ;;
  none) log "database $ODOO_DB: logistics_bridge is up to date, nothing to install or upgrade" ;;
  *) echo "odoo-init: unexpected answer from addon_state.py: $action" >&2; exit 1 ;;
esac

python3 "$DEPLOY/bridge_secrets.py" gateway-tokens "$DEPLOY/gateway-tokens.example.json" "$SECRETS/gateway-tokens.json" "$LB_SECRETS_GID"

# One Odoo shell for both (each load of the registry costs seconds).
cat "$DEPLOY/set_admin_password.py" "$DEPLOY/create_service_user.py" |
  LB_API_KEY_FILE="$SECRETS/odoo_api_key" LB_API_KEY_GID=$LB_SECRETS_GID LB_DEPLOY_DIR=$DEPLOY \
    /entrypoint.sh odoo shell -d "$ODOO_DB" --no-http
log "done"
