#!/usr/bin/env bash
# tools/odoo-dev.sh - get a development Odoo 18 or 19 for this project's odoo, e2e and faults tiers,
# on Debian or Ubuntu, without Docker and without PyPI (every Python dependency is a Debian package).
#
# Usage (as root, or with sudo):
#   tools/odoo-dev.sh [--series 18|19] [--src DIR] [--git URL|DIR] [--no-chromium]
#
#   --series   Odoo series [18]
#   --src      where the Odoo source tree is or goes [/opt/odoo-src for 18, /opt/odoo19-src for 19]
#   --git      where to clone it from when DIR has no odoo-bin [the official Odoo repository, branch <series>.0]
#   --no-chromium  skip Debian's chromium (needed only for the addon's browser tour and screenshots)
#
# What it does, each step only when needed (idempotent):
#   1. the source tree: kept when present, else a shallow clone of branch <series>.0 (about 1 GB);
#   2. the Debian packages the tree's own debian/control asks for (Depends + Recommends), plus the
#      test runner's python3-websocket and chromium;
#   3. PostgreSQL running on 127.0.0.1:5432 and the `odoo` role (LOGIN CREATEDB, password odoo) the
#      test harness (test/support/odoo.ts) connects as.
# It starts no Odoo server: the tiers start their own, on a free port, from a template database.
# Afterwards: `ODOO_SRC=<dir> npm test` (series 18) or `ODOO19_SRC=<dir> npm test` (series 19).
set -euo pipefail

SERIES=18 SRC= GIT=https://github.com/odoo/odoo.git CHROMIUM=1
while (($#)); do
  case $1 in
    --series) SERIES=$2; shift 2 ;;
    --src) SRC=$2; shift 2 ;;
    --git) GIT=$2; shift 2 ;;
    --no-chromium) CHROMIUM=0; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) printf 'odoo-dev: unknown argument %s (see --help)\n' "$1" >&2; exit 2 ;;
  esac
done
case $SERIES in
  18) SRC=${SRC:-/opt/odoo-src} ;;
  19) SRC=${SRC:-/opt/odoo19-src} ;;
  *) printf 'odoo-dev: --series must be 18 or 19, not %s\n' "$SERIES" >&2; exit 2 ;;
esac
log() { printf '[odoo-dev %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (it installs Debian packages and creates a PostgreSQL role)"
command -v apt-get >/dev/null || die "needs apt-get (Debian 12 or Ubuntu 24.04)"

# 1. Source tree.
if [[ -f $SRC/odoo-bin ]]; then
  log "Odoo source present in $SRC"
else
  command -v git >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git >/dev/null; }
  log "cloning Odoo $SERIES.0 from $GIT into $SRC (shallow)"
  git clone --quiet --depth 1 --branch "$SERIES.0" "$GIT" "$SRC"
fi
[[ -f $SRC/debian/control ]] || die "$SRC has no debian/control: not an Odoo source tree?"

# 2. Debian packages: the tree's own debian/control decides (first alternative that apt knows).
apt_updated=0
apt_known() {
  ((apt_updated)) || { apt-get update -qq; apt_updated=1; }
  [[ -n $(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ && $2 != "(none)" {print $2}') ]]
}
mapfile -t WANT < <(
  awk '/^(Depends|Recommends):/ {on=1; sub(/^[A-Za-z-]+:/, "")} /^[A-Z][A-Za-z-]*:/ && !/^(Depends|Recommends):/ {on=0}
       on && !/^#/ {print}' "$SRC/debian/control" | tr ',' '\n' | sed 's/([^)]*)//g; s/^[[:space:]]*//; s/[[:space:]]*$//' |
    grep -v -e '^$' -e '^\$' -e '^adduser$' -e '^lsb-base$' -e '^postgresql$'
)
WANT+=('python3-websocket' 'python3-setuptools' 'curl')
((CHROMIUM)) && WANT+=(chromium)
[[ -n $(ls /etc/postgresql 2>/dev/null) ]] || WANT+=(postgresql)
missing=()
for entry in "${WANT[@]}"; do
  chosen=
  IFS='|' read -ra alternatives <<<"$entry"
  for alt in "${alternatives[@]}"; do
    alt=$(echo "$alt" | xargs)
    if [[ $(dpkg-query -W -f='${db:Status-Status}' "$alt" 2>/dev/null) == installed ]]; then chosen=installed; break; fi
  done
  [[ -n $chosen ]] && continue
  for alt in "${alternatives[@]}"; do
    alt=$(echo "$alt" | xargs)
    if apt_known "$alt"; then chosen=$alt; break; fi
  done
  [[ -n $chosen ]] || die "no Debian package for: $entry"
  missing+=("$chosen")
done
if ((${#missing[@]})); then
  log "apt installing ${#missing[@]} packages: ${missing[*]}"
  ((apt_updated)) || apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "all Debian packages of $SRC/debian/control are installed"
fi
/usr/bin/python3 - <<'EOF' || die "Odoo's Python dependencies do not import with /usr/bin/python3"
import babel, decorator, docutils, lxml, passlib, PIL, psycopg2, reportlab, werkzeug, zeep, rjsmin, polib, dateutil
EOF

# 3. PostgreSQL and the harness's role.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! port_open 5432; then
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  for _ in $(seq 1 30); do port_open 5432 && break; sleep 1; done
fi
port_open 5432 || die "PostgreSQL does not answer on 127.0.0.1:5432"
if [[ $(runuser -u postgres -- psql -XtAqc "SELECT 1 FROM pg_roles WHERE rolname = 'odoo'") != 1 ]]; then
  log "creating the PostgreSQL role odoo (LOGIN CREATEDB)"
  runuser -u postgres -- psql -Xqc "CREATE ROLE odoo LOGIN CREATEDB PASSWORD 'odoo'"
fi
version=$(/usr/bin/python3 -c "import sys; sys.path.insert(0, '$SRC'); from odoo import release; print(release.version)")
log "Odoo $version ready in $SRC; run the tiers with $([[ $SERIES == 18 ]] && echo ODOO_SRC || echo ODOO19_SRC)=$SRC npm test"
