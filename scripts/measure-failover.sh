#!/usr/bin/env bash
# Measures a VRRP takeover in network namespaces, from a capture on a client.
#
# Lab (all inside namespaces this script creates and deletes; the host's interfaces,
# routes and links are never touched):
#   <p>-sw  bridge br0 with ports r0, r1, c
#   <p>-r0  eth0 192.168.100.10/24   master, priority 101
#   <p>-r1  eth0 192.168.100.11/24   backup, priority 100
#   <p>-c   eth0 192.168.100.100/24  client running tcpdump
# VRRPv3, VRID 51, VIP 192.168.100.12. For each advert interval (100 ms and 10 ms by
# default) and each run: the master's bridge port goes down (a dead host), and the
# client's capture gives
#   gap   = new master's first advert - old master's last advert
#           (RFC 9568: Master_Down_Interval = 3 * interval + (256 - 100)/256 * interval,
#            360.9375 ms at 100 ms and 36.09375 ms at 10 ms)
#   garp  = new master's first gratuitous ARP for the VIP - its first advert
# then the port comes back, the master preempts, and the next run starts.
#
# Usage: scripts/measure-failover.sh [--impl vrrp|keepalived] [--runs N]
#                                    [--intervals "0.1 0.01"] [--keep]
#   --impl       vrrp (default; builds target/release/vrrp unless VRRP_BIN is set) or
#                keepalived (2.2.x, `keepalived -n -l -G -D -P`; -G: no syslog, which
#                without /dev/log goes to the serial console and stalls the machine)
#   --runs       takeovers per interval (default 5)
#   --intervals  advert intervals in seconds (default "0.1 0.01")
#   --keep       keep the work directory (configs, logs, captures)
# Needs root, ip, tcpdump, tshark (and keepalived for --impl keepalived).
# Exit status: 0 when every run produced a measurement.

set -euo pipefail

IMPL=vrrp
RUNS=5
INTERVALS="0.1 0.01"
KEEP=0

usage() { sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --impl) IMPL=${2:?--impl needs vrrp or keepalived}; shift 2 ;;
        --impl=*) IMPL=${1#*=}; shift ;;
        --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
        --runs=*) RUNS=${1#*=}; shift ;;
        --intervals) INTERVALS=${2:?--intervals needs a list}; shift 2 ;;
        --intervals=*) INTERVALS=${1#*=}; shift ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$IMPL" in vrrp|keepalived) ;; *) echo "--impl must be vrrp or keepalived" >&2; exit 2 ;; esac
case "$RUNS" in ''|*[!0-9]*|0) echo "--runs must be a positive integer" >&2; exit 2 ;; esac

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIPPED: needs root (network namespaces)" >&2
    exit 2
fi
for tool in ip tcpdump tshark; do
    command -v "$tool" >/dev/null || { echo "$tool not installed" >&2; exit 2; }
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "$IMPL" = keepalived ]; then
    command -v keepalived >/dev/null || { echo "keepalived not installed" >&2; exit 2; }
    IMPL_VERSION=$(keepalived --version 2>&1 | head -1 || true)  # SIGPIPE under pipefail
else
    if [ -z "${VRRP_BIN:-}" ]; then
        echo "building target/release/vrrp ..." >&2
        (cd "$ROOT" && cargo build --release -q -p vrrp-cli --bin vrrp)
        VRRP_BIN=$ROOT/target/release/vrrp
    fi
    [ -x "$VRRP_BIN" ] || { echo "no vrrp binary at $VRRP_BIN" >&2; exit 2; }
    IMPL_VERSION=$("$VRRP_BIN" --version 2>&1 | head -1 || true)
fi

P="vm$(printf %x $$)"            # namespace prefix: short and unique per run
SW=$P-sw R0=$P-r0 R1=$P-r1 C=$P-c
R0_IP=192.168.100.10 R1_IP=192.168.100.11 C_IP=192.168.100.100 VIP=192.168.100.12
WORK=$(mktemp -d "/tmp/$P-XXXXXX")
NAMESPACES=()
PIDS=()                           # every background process this script started

# ---- cleanup (always) ----

stop_pid() {                      # SIGTERM, up to 5 s, then SIGKILL
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "pid $pid ignored SIGTERM: SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

stop_and_forget() {              # stop a process and drop it from PIDS (no pid reuse)
    local pid=$1 p kept=()
    stop_pid "$pid"
    for p in "${PIDS[@]+"${PIDS[@]}"}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
    PIDS=("${kept[@]+"${kept[@]}"}")
}

cleanup() {
    local rc=$? pid ns i
    set +e
    trap - EXIT INT TERM
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do stop_pid "$pid"; done
    for ((i = ${#NAMESPACES[@]} - 1; i >= 0; i--)); do
        ns=${NAMESPACES[i]}
        # Leftovers inside our namespaces (keepalived children, ...) are ours.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null || echo "could not delete namespace $ns" >&2
    done
    if [ "$KEEP" = 1 ]; then
        echo "kept $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- helpers ----

now() { echo "$EPOCHREALTIME"; }

wait_for() {                      # wait_for SECONDS COMMAND...: poll every 20 ms
    local timeout=$1; shift
    local deadline
    deadline=$(awk -v n="$(now)" -v t="$timeout" 'BEGIN { printf "%.6f", n + t }')
    while ! "$@"; do
        if awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n >= d) }'; then
            return 1
        fi
        sleep 0.02
    done
}

has_vip() { grep -q " $VIP/" <<<"$(ip -n "$1" -4 -o addr show dev eth0)"; }
vip_on_r0_only() { has_vip "$R0" && ! has_vip "$R1"; }
vip_on_r1() { has_vip "$R1"; }
listening() { grep -q "listening on" "$1"; }

add_ns() {
    ip netns add "$1"
    NAMESPACES+=("$1")
    ip -n "$1" link set lo up
}

setup_lab() {
    add_ns "$SW"
    ip -n "$SW" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
    ip -n "$SW" link set br0 up
    local ns port addr
    for spec in "$R0 r0 $R0_IP" "$R1 r1 $R1_IP" "$C c $C_IP"; do
        read -r ns port addr <<<"$spec"
        add_ns "$ns"
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
            net.ipv6.conf.default.accept_dad=0
        ip -n "$SW" link add "$port" type veth peer name eth0 netns "$ns"
        ip -n "$SW" link set "$port" master br0 up
        ip -n "$ns" addr add "$addr/24" dev eth0
        ip -n "$ns" link set eth0 up
    done
}

write_conf() {                    # write_conf FILE ROUTER_ID STATE PRIORITY INTERVAL
    cat >"$1" <<EOF
global_defs {
    router_id $2
    vrrp_version 3
}
vrrp_instance VI_1 {
    state $3
    interface eth0
    virtual_router_id 51
    priority $4
    advert_int $5
    virtual_ipaddress {
        $VIP
    }
}
EOF
}

LAST_PID=
start_router() {                  # start_router NS DIR: config in DIR/vrrp.conf
    local ns=$1 dir=$2
    if [ "$IMPL" = keepalived ]; then
        ip netns exec "$ns" keepalived -n -l -G -D -P -f "$dir/vrrp.conf" \
            -p "$dir/ka.pid" -r "$dir/vrrp.pid" >"$dir/log" 2>&1 &
    else
        ip netns exec "$ns" "$VRRP_BIN" -v run -f "$dir/vrrp.conf" \
            --status-socket "$dir/vrrp.sock" >"$dir/log" 2>&1 &
    fi
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}

# Prints "GAP_MS GARP_MS" from a capture, or nothing when it lacks an event.
analyse() {                       # analyse PCAP NEW_MASTER_MAC
    tshark -r "$1" -T fields -E separator=, \
        -e frame.time_relative -e ip.src -e vrrp.prio \
        -e arp.src.proto_ipv4 -e arp.dst.proto_ipv4 -e eth.src \
        'vrrp or arp' 2>/dev/null |
        awk -F, -v r0="$R0_IP" -v r1="$R1_IP" -v vip="$VIP" -v mac="$2" '
            $2 == r0 && $3 != "" && first1 == "" { last0 = $1 }
            $2 == r1 && $3 != "" && first1 == "" { first1 = $1 }
            first1 != "" && garp == "" && $4 == vip && $5 == vip && tolower($6) == mac { garp = $1 }
            END {
                if (last0 != "" && first1 != "" && garp != "")
                    printf "%.3f %.3f\n", (first1 - last0) * 1000, (garp - first1) * 1000
            }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---- measurement ----

setup_lab
MAC1=$(ip -n "$R1" -o link show dev eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
echo "impl: $IMPL_VERSION"
echo "lab: namespaces $P-{sw,r0,r1,c}, work directory $WORK"
FAILED=0
SUMMARY=()

for INTERVAL in $INTERVALS; do
    MDI=$(awk -v i="$INTERVAL" 'BEGIN { printf "%.5f", (3 * i + (256 - 100) / 256 * i) * 1000 }')
    echo
    echo "== VRRPv3, advert_int $INTERVAL s: Master_Down_Interval $MDI ms (backup priority 100) =="
    D=$WORK/int-$INTERVAL
    mkdir -p "$D/r0" "$D/r1"
    write_conf "$D/r0/vrrp.conf" "$R0" MASTER 101 "$INTERVAL"
    write_conf "$D/r1/vrrp.conf" "$R1" BACKUP 100 "$INTERVAL"
    start_router "$R0" "$D/r0"; PID0=$LAST_PID
    if ! wait_for 10 vip_on_r0_only; then
        echo "r0 did not become master within 10 s; see $D/r0/log" >&2
        FAILED=1; KEEP=1; break
    fi
    start_router "$R1" "$D/r1"; PID1=$LAST_PID
    sleep 1

    GAPS=() DEVS=() GARPS=()
    for RUN in $(seq "$RUNS"); do
        if ! wait_for 10 vip_on_r0_only; then
            echo "run $RUN: r0 is not the sole master; see $D/r*/log" >&2
            FAILED=1; KEEP=1; break
        fi
        sleep 1                   # let the preemption's announcements pass
        PCAP=$D/run$RUN.pcap
        ip netns exec "$C" tcpdump -i eth0 -nn -tt -U --immediate-mode -Z root -w "$PCAP" \
            'ip proto 112 or ip6 proto 112 or arp or icmp6' >"$D/tcpdump$RUN.log" 2>&1 &
        TCPDUMP=$!
        PIDS+=("$TCPDUMP")
        wait_for 5 listening "$D/tcpdump$RUN.log" || { echo "tcpdump did not start" >&2; exit 1; }
        sleep 0.3                 # some of r0's adverts
        ip -n "$SW" link set r0 down
        wait_for 5 vip_on_r1 || echo "run $RUN: r1 did not take the VIP within 5 s" >&2
        sleep 0.3                 # the gratuitous ARPs
        stop_and_forget "$TCPDUMP"
        ip -n "$SW" link set r0 up
        read -r GAP GARP < <(analyse "$PCAP" "$MAC1"; echo) || true
        if [ -z "${GAP:-}" ]; then
            echo "run $RUN: incomplete capture ($PCAP)"
            FAILED=1; KEEP=1
            continue
        fi
        DEV=$(awk -v g="$GAP" -v m="$MDI" 'BEGIN { printf "%+.3f", g - m }')
        printf 'run %d: last advert r0 -> first advert r1 %9.3f ms (MDI %.3f, %s ms); first advert -> first GARP %7.3f ms\n' \
            "$RUN" "$GAP" "$MDI" "$DEV" "$GARP"
        GAPS+=("$GAP") DEVS+=("$DEV") GARPS+=("$GARP")
    done
    stop_and_forget "$PID1"
    stop_and_forget "$PID0"
    if [ ${#GAPS[@]} -gt 0 ]; then
        MED_GAP=$(printf '%s\n' "${GAPS[@]}" | median)
        MED_DEV=$(printf '%s\n' "${DEVS[@]}" | median)
        MAX_DEV=$(printf '%s\n' "${DEVS[@]}" | awk '{ a = $1 < 0 ? -$1 : $1; if (a > m) m = a } END { printf "%.3f", m }')
        MED_GARP=$(printf '%s\n' "${GARPS[@]}" | median)
        LINE=$(printf 'advert_int %-5s MDI %10s ms | gap median %9.3f ms | deviation median %+8.3f ms, max |%.3f| ms | GARP delay median %.3f ms | %d runs' \
            "$INTERVAL" "$MDI" "$MED_GAP" "$MED_DEV" "$MAX_DEV" "$MED_GARP" "${#GAPS[@]}")
        echo "$LINE"
        SUMMARY+=("$LINE")
    fi
done

echo
echo "== summary ($IMPL) =="
for line in "${SUMMARY[@]}"; do echo "$line"; done
exit "$FAILED"
