#!/usr/bin/env bash
# tools/rabbitmq4.sh - RabbitMQ 4 beside the machine's own broker, without Docker (as root, Debian/Ubuntu).
#
# Debian 12 ships RabbitMQ 3.10; users deploy RabbitMQ 4 (docker-compose.yml), whose quorum queues behave
# differently. This script installs Debian 13's rabbitmq-server (4.0) into a minimal Debian 13 root made
# with debootstrap (once, about 2 minutes, ~350 MB) and runs brokers from it on their own ports:
#
#   tools/rabbitmq4.sh                 one node rabbit4@localhost: AMQP 127.0.0.1:5673, management 15673
#   tools/rabbitmq4.sh --cluster 3     a 3-node cluster lbc1..lbc3@localhost: AMQP 5681, 5682, 5683
#                                      (management 15681..): AMQP_URL=amqp://guest:guest@127.0.0.1:5681,...
#   tools/rabbitmq4.sh --cluster 3 --kill 2    SIGKILL node 2 of the cluster (as a crash would)
#   tools/rabbitmq4.sh --cluster 3 --stop      stop the cluster;  tools/rabbitmq4.sh --stop  the one node
#
# Idempotent: it installs what is missing, starts the nodes that are down and joins the ones not yet in
# the cluster, so running it again after --kill brings the killed node back. Only loopback is used.
# Env: RMQ4_ROOT [/opt/rabbitmq4] (shared with ../shared/tools/rabbitmq4-up.sh when that made it)
#      RMQ4_PORT [5673] RMQ4_MGMT_PORT [15673] RMQ4_CLUSTER_PORT [5681] (node i listens on PORT+i-1)
#      RMQ4_NAME [rabbit4]: the one node's name; another name is another node with its own data, e.g. a
#      private broker a test may stop and start again (RMQ4_NAME=chaos RMQ4_PORT=26672 RMQ4_MGMT_PORT=26673)
#      while the shared one on 5673 serves everybody else; --stop stops only the node of that name.
set -euo pipefail
ROOT=${RMQ4_ROOT:-/opt/rabbitmq4}
PORT=${RMQ4_PORT:-5673}
MGMT=${RMQ4_MGMT_PORT:-15673}
CPORT=${RMQ4_CLUSTER_PORT:-5681}
NAME=${RMQ4_NAME:-rabbit4}
[[ $NAME =~ ^[a-z][a-z0-9_-]*$ ]] || { printf 'RMQ4_NAME must be lower-case letters, digits, - and _\n' >&2; exit 2; }
NODES=0 ACTION=up KILL=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --cluster) NODES=${2:?--cluster takes a node count}; shift 2 ;;
    --kill) ACTION=kill KILL=${2:?--kill takes a node number}; shift 2 ;;
    --stop) ACTION=stop; shift ;;
    *) printf 'usage: tools/rabbitmq4.sh [--cluster N [--kill I]] [--stop]\n' >&2; exit 2 ;;
  esac
done
log() { printf '[rabbitmq4 %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (it uses debootstrap, chroot and mounts)"
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/rabbitmq "$@"; }
as_rabbit() { in_root runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq "$@"; }

install_root() {
  [[ -x $ROOT/usr/sbin/rabbitmq-server ]] && return
  command -v debootstrap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  if [[ ! -x $ROOT/usr/bin/apt-get ]]; then
    log "debootstrap Debian 13 (trixie, minbase) into $ROOT"
    debootstrap --variant=minbase trixie "$ROOT" http://deb.debian.org/debian >/tmp/rabbitmq4-debootstrap.log 2>&1 \
      || die "debootstrap failed, see /tmp/rabbitmq4-debootstrap.log"
  fi
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
  log "installing rabbitmq-server from Debian 13 into $ROOT"
  in_root bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rabbitmq-server' \
    >/tmp/rabbitmq4-apt.log 2>&1 || die "apt-get failed, see /tmp/rabbitmq4-apt.log"
}

mounts() {
  mountpoint -q "$ROOT/proc" || mount --bind /proc "$ROOT/proc"
  mountpoint -q "$ROOT/dev" || mount --bind /dev "$ROOT/dev"
}

# node NAME AMQP_PORT MGMT_PORT DIR: the environment of one node (its own data, log, config and pid file).
node_env() {
  local name=$1 amqp=$2 mgmt=$3 dir=$4
  printf '%s\n' "RABBITMQ_NODENAME=$name" "RABBITMQ_NODE_PORT=$amqp" "RABBITMQ_DIST_PORT=$((amqp + 20000))" \
    "RABBITMQ_MNESIA_BASE=$dir/mnesia" "RABBITMQ_LOG_BASE=$dir/log" "RABBITMQ_PID_FILE=$dir/pid" \
    "RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf" "RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins"
}

start_node() {
  local name=$1 amqp=$2 mgmt=$3 dir=$4
  # Up, or still booting from an earlier call (its pid file names a live process).
  if port_open "$amqp" || { [[ -f $ROOT$dir/pid ]] && kill -0 "$(cat "$ROOT$dir/pid")" 2>/dev/null; }; then return; fi
  mkdir -p "$ROOT$dir/log" "$ROOT$dir/mnesia"
  printf '%s\n' "listeners.tcp.default = 127.0.0.1:$amqp" "management.tcp.port = $mgmt" "management.tcp.ip = 127.0.0.1" \
    "loopback_users = none" >"$ROOT$dir/rabbitmq.conf"
  printf '[rabbitmq_management].\n' >"$ROOT$dir/enabled_plugins"
  in_root chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
  log "starting $name on 127.0.0.1:$amqp (management $mgmt)"
  # shellcheck disable=SC2046
  as_rabbit env $(node_env "$@") rabbitmq-server -detached
}

# wait_node NAME AMQP_PORT DIR: a clustered node opens its port only once its peers answer (after a crash
# of the whole cluster each waits for the others' tables), so every node is started before any is waited for.
wait_node() {
  for _ in $(seq 1 180); do port_open "$2" && return; sleep 1; done
  die "$1 did not open port $2; see $ROOT$3/log/"
}

ctl() { local name=$1; shift; as_rabbit rabbitmqctl -n "$name" "$@"; }

install_root
mounts

if [[ $NODES -eq 0 ]]; then
  case $ACTION in
    stop) port_open "$PORT" && ctl "$NAME@localhost" stop >/dev/null 2>&1 || true; log "stopped $NAME@localhost"; exit 0 ;;
    kill) die "--kill needs --cluster N" ;;
  esac
  # The default node keeps the data directory it always had.
  NODE_DIR=/var/lib/rabbitmq/$([[ $NAME == rabbit4 ]] && echo single || echo "node-$NAME")
  start_node "$NAME@localhost" "$PORT" "$MGMT" "$NODE_DIR"
  wait_node "$NAME@localhost" "$PORT" "$NODE_DIR"
  ctl "$NAME@localhost" await_startup >/dev/null
  log "RabbitMQ $(ctl "$NAME@localhost" version) answering: AMQP_URL=amqp://guest:guest@127.0.0.1:$PORT"
  exit 0
fi

name() { printf 'lbc%s@localhost' "$1"; }
dir() { printf '/var/lib/rabbitmq/cluster/lbc%s' "$1"; }
case $ACTION in
  stop)
    for i in $(seq 1 "$NODES"); do port_open $((CPORT + i - 1)) && { ctl "$(name "$i")" stop >/dev/null 2>&1 || true; }; done
    log "cluster stopped"; exit 0 ;;
  kill)
    pid=$(cat "$ROOT$(dir "$KILL")/pid" 2>/dev/null) || die "node $KILL has no pid file"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do port_open $((CPORT + KILL - 1)) || break; sleep 0.2; done
    log "killed $(name "$KILL") (pid $pid)"; exit 0 ;;
esac
for i in $(seq 1 "$NODES"); do start_node "$(name "$i")" $((CPORT + i - 1)) $((CPORT + 10000 + i - 1)) "$(dir "$i")"; done
for i in $(seq 1 "$NODES"); do wait_node "$(name "$i")" $((CPORT + i - 1)) "$(dir "$i")"; done
for i in $(seq 1 "$NODES"); do ctl "$(name "$i")" await_startup >/dev/null; done
for i in $(seq 2 "$NODES"); do
  if ! ctl "$(name "$i")" cluster_status --formatter json | grep -q "$(name 1)"; then
    log "joining $(name "$i") to $(name 1)"
    ctl "$(name "$i")" stop_app >/dev/null
    ctl "$(name "$i")" reset >/dev/null
    ctl "$(name "$i")" join_cluster "$(name 1)" >/dev/null
    ctl "$(name "$i")" start_app >/dev/null
  fi
done
urls=$(for i in $(seq 1 "$NODES"); do printf 'amqp://guest:guest@127.0.0.1:%s,' $((CPORT + i - 1)); done)
log "cluster of $NODES answering: AMQP_URL=${urls%,}"
