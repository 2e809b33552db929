#!/usr/bin/env bash
# An N-host Grainetes cluster on one machine, one network namespace per host:
#
#   infra/netns-cluster.sh up N      # N >= 1 namespaces gnt-1..gnt-N on a bridge it creates, one silo in each
#   infra/netns-cluster.sh status    # the hosts, their pids and the nodes the API reports
#   infra/netns-cluster.sh down      # stop every silo (SIGTERM, as systemd does), delete the namespaces and the bridge
#   infra/netns-cluster.sh down --purge   # ... and delete the state directory (homes, logs)
#
# Layout: bridge $BRIDGE with $SUBNET.1/24 on the machine; host i is namespace gnt-i with $SUBNET.(10+i) on its
# eth0 (a veth pair whose other end is on the bridge). Host 1 runs `grainetes up`, which starts Azurite listening on
# its bridge address, so every namespace reaches storage there; hosts 2..N run the join command host 1 wrote to
# HOME/join-command, with their own home, node name and advertised address. Every host uses the same ports inside its
# own namespace. No default route is set: the hosts reach each other and the machine, nothing else.
#
# Needs root (ip netns, ip link). Environment: GRAINETES_NETNS_DIR (state, default /tmp/grainetes-netns),
# GRAINETES_NETNS_SUBNET (first three octets of a free private /24, default 10.213.7), GRAINETES_NETNS_BRIDGE
# (default gnt0), GRAINETES_RUNTIME (process|docker|auto, default process), GRAINETES_HOST (the command that runs
# the host, default the repository's ./grainetes), GRAINETES_START_TIMEOUT (seconds per host, default 180).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${GRAINETES_NETNS_DIR:-/tmp/grainetes-netns}"
subnet="${GRAINETES_NETNS_SUBNET:-10.213.7}"
bridge="${GRAINETES_NETNS_BRIDGE:-gnt0}"
runtime="${GRAINETES_RUNTIME:-process}"
start_timeout="${GRAINETES_START_TIMEOUT:-180}"
read -r -a host_command <<<"${GRAINETES_HOST:-$root/grainetes}"
api_port=6443 silo_port=11111 gateway_port=30000

die() { echo "netns-cluster: $*" >&2; exit 1; }
log() { echo "netns-cluster: $*" >&2; }
address() { echo "$subnet.$((10 + $1))"; }

require_root() {
  [[ $(id -u) -eq 0 ]] || die "needs root (ip netns add, ip link add)"
  command -v ip >/dev/null || die "the ip command (iproute2) is missing"
}

# Waits until host $1 printed its ready line, or fails with the tail of its log.
wait_ready() {
  local i=$1 log_file="$state/host-$1.log" deadline=$((SECONDS + start_timeout))
  until grep -q "is ready" "$log_file" 2>/dev/null; do
    if ! kill -0 "$(cat "$state/host-$i.pid")" 2>/dev/null; then
      tail -n 30 "$log_file" >&2 || true
      die "host $i exited before it was ready (log: $log_file)"
    fi
    ((SECONDS < deadline)) || { tail -n 30 "$log_file" >&2 || true; die "host $i not ready within ${start_timeout}s (log: $log_file)"; }
    sleep 1
  done
}

# Starts a host in namespace gnt-$1 with the given arguments after the host command; its pid goes to host-$1.pid.
start_host() {
  local i=$1; shift
  # ip netns exec and setsid exec in place: the pid recorded is the silo's own, and Ctrl-C in this shell cannot reach it.
  ip netns exec "gnt-$i" setsid "${host_command[@]}" "$@" >"$state/host-$i.log" 2>&1 </dev/null &
  echo $! >"$state/host-$i.pid"
}

cmd_up() {
  local n=${1:-}
  [[ $n =~ ^[1-9][0-9]*$ ]] && ((n <= 200)) || die "usage: $0 up N   (1 <= N <= 200)"
  require_root
  [[ -e "$state/hosts" ]] && die "a cluster is already up (state in $state); run '$0 down' first"
  ip link show "$bridge" >/dev/null 2>&1 && die "bridge $bridge exists already; set GRAINETES_NETNS_BRIDGE or run '$0 down'"
  mkdir -p "$state"

  log "bridge $bridge with $subnet.1/24"
  ip link add "$bridge" type bridge
  ip addr add "$subnet.1/24" dev "$bridge"
  ip link set "$bridge" up
  # With br_netfilter loaded (Docker loads it) bridged frames pass iptables' FORWARD chain, whose policy Docker sets to
  # DROP: let traffic between the namespaces through, and only that.
  if command -v iptables >/dev/null && ! iptables -C FORWARD -i "$bridge" -o "$bridge" -j ACCEPT 2>/dev/null; then
    iptables -I FORWARD -i "$bridge" -o "$bridge" -j ACCEPT
  fi
  for ((i = 1; i <= n; i++)); do
    ip netns add "gnt-$i"
    ip link add "gnt-$i-h" type veth peer name eth0 netns "gnt-$i"
    ip link set "gnt-$i-h" master "$bridge" up
    ip -n "gnt-$i" addr add "$(address "$i")/24" dev eth0
    ip -n "gnt-$i" link set lo up
    ip -n "gnt-$i" link set eth0 up
    echo "$i" >>"$state/hosts"
  done

  local first; first="$(address 1)"
  log "host 1 ($first): grainetes up"
  start_host 1 up --home "$state/home-1" --api-port "$api_port" --silo-port "$silo_port" --gateway-port "$gateway_port" \
    --node-name gnt-node-1 --runtime "$runtime" --otel-console false --advertise-address "$first" --azurite-host "$first"
  wait_ready 1
  [[ -s "$state/home-1/join-command" ]] || die "host 1 wrote no $state/home-1/join-command"

  # The join command is `./grainetes join --storage "CS" --cluster-secret S`; take the two values, not the line.
  local join storage secret
  join="$(cat "$state/home-1/join-command")"
  storage="$(sed -n 's/.*--storage "\([^"]*\)".*/\1/p' <<<"$join")"
  secret="$(sed -n 's/.*--cluster-secret \([^ ]*\).*/\1/p' <<<"$join")"
  [[ -n $storage && -n $secret ]] || die "cannot read $state/home-1/join-command"

  for ((i = 2; i <= n; i++)); do
    log "host $i ($(address "$i")): grainetes join"
    start_host "$i" join --storage "$storage" --cluster-secret "$secret" --home "$state/home-$i" --api-port "$api_port" \
      --node-name "gnt-node-$i" --runtime "$runtime" --silo-port "$silo_port" --gateway-port "$gateway_port" \
      --advertise-address "$(address "$i")" --otel-console false
  done
  for ((i = 2; i <= n; i++)); do wait_ready "$i"; done

  # Host 1's kubeconfig names 127.0.0.1 inside its namespace; from the machine the API is on its bridge address.
  sed "s#https://127.0.0.1:$api_port#https://$first:$api_port#; s#http://127.0.0.1:$api_port#http://$first:$api_port#" \
    "$state/home-1/kubeconfig" >"$state/kubeconfig"
  chmod 600 "$state/kubeconfig"
  log "$n host(s) up; export KUBECONFIG=$state/kubeconfig"
}

cmd_status() {
  [[ -e "$state/hosts" ]] || { echo "no cluster (no $state/hosts)"; return 0; }
  while read -r i; do
    local pid; pid="$(cat "$state/host-$i.pid" 2>/dev/null || echo -)"
    if kill -0 "$pid" 2>/dev/null; then echo "host $i  gnt-$i  $(address "$i")  pid $pid  running"; else echo "host $i  gnt-$i  $(address "$i")  stopped"; fi
  done <"$state/hosts"
  [[ -s "$state/kubeconfig" ]] && command -v kubectl >/dev/null && KUBECONFIG="$state/kubeconfig" kubectl get nodes -o wide || true
}

cmd_down() {
  require_root
  local purge=${1:-}
  if [[ -e "$state/hosts" ]]; then
    # Joined hosts first, host 1 (which stops its Azurite with SIGINT, so it writes its database) last. SIGTERM, not
    # SIGINT: a background job of a non-interactive shell starts with SIGINT ignored, and .NET keeps it ignored.
    local hosts; mapfile -t hosts < <(sort -rn "$state/hosts")
    for i in "${hosts[@]}"; do
      local pid; pid="$(cat "$state/host-$i.pid" 2>/dev/null || true)"
      [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || continue
      log "stopping host $i (pid $pid)"
      kill -TERM "$pid"
      local deadline=$((SECONDS + 45))
      while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 1; done
      kill -0 "$pid" 2>/dev/null && { log "host $i did not stop in 45s; killing it"; kill -KILL "$pid"; }
    done
    # Pods of the process runtime outlive their silo by design (a restarted silo adopts them); this cluster is going
    # away, so stop what still runs from its homes: exactly the processes whose command line names the state directory.
    local proc
    for proc in /proc/[0-9]*; do
      if tr '\0' ' ' <"$proc/cmdline" 2>/dev/null | grep -qF "$state/home-"; then
        pkill -TERM -P "${proc#/proc/}" 2>/dev/null || true
        kill -TERM "${proc#/proc/}" 2>/dev/null || true
      fi
    done
    for i in "${hosts[@]}"; do ip netns del "gnt-$i" 2>/dev/null || true; done
    rm -f "$state/hosts"
  fi
  ip link show "$bridge" >/dev/null 2>&1 && ip link del "$bridge"
  if command -v iptables >/dev/null; then
    while iptables -D FORWARD -i "$bridge" -o "$bridge" -j ACCEPT 2>/dev/null; do :; done
  fi
  if [[ $purge == --purge ]]; then rm -rf "$state"; fi
  log "down"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  status) cmd_status ;;
  *) die "usage: $0 up N | status | down [--purge]" ;;
esac
