#!/usr/bin/env bash
# S5 of the side-by-side benchmark (scripts/bench-vs-keepalived.sh --only s5 runs this):
# many LANs, many routers. Our `vrrp` daemon and keepalived 2.2.7 on the same
# keepalived.conf files, one implementation at a time, a fresh lab for each, inside
# network namespaces this script creates (nothing outside them is touched):
#
#   <P>s  16 bridges br0..br15 (no STP, no forward delay, no multicast snooping, no
#         bridge netfilter), each a "VLAN": this kernel has no 802.1Q, and a VLAN is one
#         more LAN to a VRRP daemon
#   <P>a  router A: eth0..eth15, 10.<lan>.0.1/16, priority 150 for every VRID
#   <P>b  router B: eth0..eth15, 10.<lan>.0.2/16, priority 100
#
# 255 VRIDs per LAN = 4,080 routers, VRRPv3/IPv4, advert_int 1 s, VIP 10.<lan>.1.<vrid>.
# A starts first, B 2 s later (no start-up race to measure here). Once A holds all 4,080
# VIPs and B none (bounded), CPU (utime+stime of every process in the host's namespace,
# from /proc) over a window in % of one core, VmRSS summed per host, and flaps: master
# transitions logged during the window (must be 0).
#
# Usage: scripts/bench-many-lans.sh [--impl both|keepalived|vrrp] [--cpu-secs N]
#          [--lans N] [--out DIR] [--vrrp-bin PATH]
# Needs root, keepalived, iproute2. Prints a table (keepalived, vrrp, ratio).
set -uo pipefail

IMPL=both
CPU_SECS=30
LANS=16
NVRID=255
OUT=""
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VRRP_BIN=$ROOT/target/release/vrrp

while [ $# -gt 0 ]; do
    case "$1" in
        --impl) IMPL=${2:?}; shift 2 ;;
        --cpu-secs) CPU_SECS=${2:?}; shift 2 ;;
        --lans) LANS=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        --vrrp-bin) VRRP_BIN=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
case "$IMPL" in
    both) IMPLS="keepalived vrrp" ;;
    keepalived|vrrp) IMPLS=$IMPL ;;
    *) echo "--impl must be both, keepalived or vrrp" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 2; }
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/bench-many-lans.XXXXXX)
mkdir -p "$OUT"
START=$(date +%s)
P="ml$$"
NS_S=${P}s NS_A=${P}a NS_B=${P}b
PID_A="" PID_B=""

log() { printf '[many-lans %4ss] %s\n' "$(( $(date +%s) - START ))" "$*" >&2; }

cleanup() {
    [ -n "$PID_A$PID_B" ] && kill -KILL $PID_A $PID_B 2>/dev/null
    for ns in "$NS_A" "$NS_B" "$NS_S"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lab_up() {
    cleanup
    ip netns add "$NS_S" && ip netns add "$NS_A" && ip netns add "$NS_B" || return 1
    ip netns exec "$NS_S" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
        net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0 2>/dev/null
    for ns in "$NS_S" "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
    local lan h
    for lan in $(seq 0 $((LANS - 1))); do
        ip -n "$NS_S" link add "br$lan" type bridge stp_state 0 forward_delay 0 mcast_snooping 0
        ip -n "$NS_S" link set "br$lan" up
        for h in a b; do
            local ns=$NS_A host=1
            [ $h = b ] && ns=$NS_B host=2
            ip -n "$ns" link add "eth$lan" type veth peer name "$h$lan" netns "$NS_S"
            ip -n "$NS_S" link set "$h$lan" master "br$lan" up
            ip -n "$ns" addr add "10.$lan.0.$host/16" dev "eth$lan"
            ip -n "$ns" link set "eth$lan" up
        done
    done
}

# conf PRIORITY: a keepalived.conf with LANS x NVRID instances.
conf() {
    printf 'global_defs {\n    vrrp_version 3\n}\n'
    local lan v
    for lan in $(seq 0 $((LANS - 1))); do
        for v in $(seq 1 $NVRID); do
            printf 'vrrp_instance L%s_V%s {\n    state BACKUP\n    interface eth%s\n    virtual_router_id %s\n    priority %s\n    advert_int 1\n    virtual_ipaddress {\n        10.%s.1.%s/32\n    }\n}\n' \
                "$lan" "$v" "$lan" "$v" "$1" "$lan" "$v"
        done
    done
}

start() {
    local impl=$1 ns=$2 conf=$3 tag=$4 d=$5
    if [ "$impl" = keepalived ]; then
        ip netns exec "$ns" keepalived -n -l -G -D -P -f "$conf" -p "$d/ka-$tag.pid" -r "$d/vrrp-$tag.pid" >"$d/$tag.log" 2>&1 &
    else
        ip netns exec "$ns" "$VRRP_BIN" run -f "$conf" --status-socket "$d/$tag.sock" >"$d/$tag.log" 2>&1 &
    fi
    echo $!
}

ns_ticks() {
    local pid s sum=0 f
    for pid in $(ip netns pids "$1" 2>/dev/null); do
        s=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        s=${s##*) }
        read -r -a f <<<"$s"
        sum=$(( sum + f[11] + f[12] ))
    done
    echo $sum
}

ns_rss_kb() {
    local pid sum=0 v
    for pid in $(ip netns pids "$1" 2>/dev/null); do
        v=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
        sum=$(( sum + ${v:-0} ))
    done
    echo $sum
}

vips_on() { ip -n "$1" -4 -o addr show 2>/dev/null | grep -c ' 10\.[0-9]*\.1\.'; }

masters() {
    if [ "$1" = keepalived ]; then grep -c 'Entering MASTER STATE' "$2"; else grep -c -- '-> master' "$2"; fi
}

declare -A R
total=$((LANS * NVRID))
tck=$(getconf CLK_TCK)
for impl in $IMPLS; do
    d=$OUT/$impl
    mkdir -p "$d"
    log "$impl: lab with $LANS LANs x $NVRID VRIDs = $total routers"
    lab_up || { log "lab setup failed"; exit 1; }
    conf 150 >"$d/a.conf"
    conf 100 >"$d/b.conf"
    PID_A=$(start "$impl" "$NS_A" "$d/a.conf" a "$d")
    sleep 2
    PID_B=$(start "$impl" "$NS_B" "$d/b.conf" b "$d")
    settled=""
    for _ in $(seq 1 240); do
        sleep 0.5
        if [ "$(vips_on "$NS_A")" -eq $total ] && [ "$(vips_on "$NS_B")" -eq 0 ]; then
            settled=yes
            break
        fi
    done
    [ -n "$settled" ] || log "$impl: not settled after 120 s: A $(vips_on "$NS_A"), B $(vips_on "$NS_B") VIPs"
    sleep 5
    ma0=$(masters "$impl" "$d/a.log") mb0=$(masters "$impl" "$d/b.log")
    a0=$(ns_ticks "$NS_A") b0=$(ns_ticks "$NS_B")
    sleep "$CPU_SECS"
    a1=$(ns_ticks "$NS_A") b1=$(ns_ticks "$NS_B")
    ma1=$(masters "$impl" "$d/a.log") mb1=$(masters "$impl" "$d/b.log")
    R[$impl,cpu_a]=$(awk -v t=$((a1 - a0)) -v s="$CPU_SECS" -v h="$tck" 'BEGIN {printf "%.2f", 100 * t / h / s}')
    R[$impl,cpu_b]=$(awk -v t=$((b1 - b0)) -v s="$CPU_SECS" -v h="$tck" 'BEGIN {printf "%.2f", 100 * t / h / s}')
    R[$impl,rss_a]=$(awk -v k="$(ns_rss_kb "$NS_A")" 'BEGIN {printf "%.1f", k / 1024}')
    R[$impl,rss_b]=$(awk -v k="$(ns_rss_kb "$NS_B")" 'BEGIN {printf "%.1f", k / 1024}')
    R[$impl,flaps]=$(( ma1 - ma0 + mb1 - mb0 ))
    R[$impl,held]="$(vips_on "$NS_A")/$(vips_on "$NS_B")"
    log "$impl: cpu A ${R[$impl,cpu_a]} % B ${R[$impl,cpu_b]} %, RSS A ${R[$impl,rss_a]} MB B ${R[$impl,rss_b]} MB, flaps ${R[$impl,flaps]}, VIPs A/B ${R[$impl,held]}, load $(cut -d' ' -f1-3 /proc/loadavg)"
    kill -TERM "$PID_A" "$PID_B" 2>/dev/null
    for _ in $(seq 1 200); do kill -0 "$PID_A" 2>/dev/null || kill -0 "$PID_B" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID_A" "$PID_B" 2>/dev/null
    wait "$PID_A" "$PID_B" 2>/dev/null
    PID_A="" PID_B=""
    cleanup
done

# The floor: kernel CPU per advert sent over veth + bridge (2.75 us) and received (1.0 us)
# on this lab, times the adverts per second (one per router).
floor_a=$(awk -v n=$total 'BEGIN {printf "%.2f", n * 2.75e-6 * 100}')
floor_b=$(awk -v n=$total 'BEGIN {printf "%.2f", n * 1.0e-6 * 100}')
row() {
    local name=$1 key=$2 k=${R[keepalived,$2]:--} v=${R[vrrp,$2]:--} ratio=-
    if [[ $k =~ ^[0-9.]+$ && $v =~ ^[0-9.]+$ ]] && awk -v k="$k" 'BEGIN {exit !(k > 0)}'; then
        ratio=$(awk -v k="$k" -v v="$v" 'BEGIN {printf "%.2f", v / k}')
    fi
    printf '| %s | %s | %s | %s |\n' "$name" "$k" "$v" "$ratio"
}
{
    echo "S5: $LANS LANs x $NVRID VRIDs = $total routers, VRRPv3 @1 s, A master of all; $(nproc) CPUs, $(date -u +%Y-%m-%d)"
    echo "| metric | keepalived | vrrp | vrrp/ka |"
    echo "|---|---:|---:|---:|"
    row "master CPU [% of a core]" cpu_a
    row "backup CPU [% of a core]" cpu_b
    row "master RSS [MB]" rss_a
    row "backup RSS [MB]" rss_b
    row "flaps in the window" flaps
    printf '| VIPs held A / B after the window | %s | %s | |\n' "${R[keepalived,held]:--}" "${R[vrrp,held]:--}"
    echo "floor (2.75 us per advert sent, 1.0 us received): master $floor_a %, backup $floor_b %"
} | tee "$OUT/results.md"
log "results: $OUT/results.md"
