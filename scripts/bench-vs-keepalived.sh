#!/usr/bin/env bash
# Benchmark our `vrrp` daemon against keepalived 2.2.7 on the same keepalived.conf files,
# inside network namespaces this script creates (nothing outside them is touched):
#
#   <P>s  bridge br0 (no STP, no forward delay, no multicast snooping), ports pa pb pc
#   <P>a  router A: eth0 192.168.77.1/24     <P>b  router B: eth0 192.168.77.2/24
#   <P>c  client:   eth0 192.168.77.100/24, where tcpdump captures (the neutral observer)
#
# with <P> = bk<pid of this script>. Scenarios, each run with keepalived and with ours,
# one implementation at a time, a fresh lab for every run:
#   S1  200 VRIDs, VRRPv3/IPv4, advert_int 0.1, both hosts started at the same moment.
#       split: A priority 150 for odd VRIDs and 100 for even, B the opposite;
#       pure:  A 150 for every VRID, B 100.
#       Spurious master transitions (log lines "Entering MASTER STATE" / "-> master" on
#       both hosts minus 200) and the time until every VRID has one advertiser (client
#       capture, max over the VRIDs, relative to the daemons' start).
#   S2  right after S1's capture, in the same lab: CPU (utime+stime of every process in
#       the host's namespace, from /proc/PID/stat) over a window, in % of one core, and
#       VmRSS summed; then a short capture checks the state held.
#   S3  one VRID, priority 101 (A) / 100 (B), advert_int 0.1 and 0.01: A's bridge port
#       goes down; gap from A's last advert to B's first (against Master_Down_Interval,
#       360.9375 ms / 36.09375 ms) and from B's first advert to its first gratuitous ARP.
#   S4  S3 with 255 VRIDs (1..255), priority 101 (A) / 100 (B) for all, advert_int 0.01 and
#       0.1 (--s4-intervals): once A holds all 255 VIPs and B none, the client captures
#       (tcpdump --immediate-mode, 64 MiB buffer, snaplen 128) for 1 s, A's bridge port
#       goes down, 1.5 s more. Per VRID, the gap from A's last advert to B's first, against
#       Master_Down_Interval: median / p95 / max deviation over the VRIDs; how many VRIDs B
#       took over, VRIDs with two advertisers in the last 0.5 s, kernel drops of the capture.
#   S5  many LANs: 16 LANs x 255 VRIDs = 4,080 routers (--s5-lans, --s5-vrids), VRRPv3/IPv4,
#       advert_int 1 s, A priority 150 for every VRID, B 100, both started at once. This
#       kernel has no 802.1Q, so each "VLAN" is its own bridge br<L> in <P>s (the same thing
#       to a VRRP daemon); A and B get eth0..eth15 (10.<L>.0.1/24 and 10.<L>.0.2/24), VIP
#       10.<L>.1.<VRID>/32; one keepalived.conf per host with 4,080 vrrp_instance blocks.
#       Once A holds all 4,080 VIPs and B none (two polls 0.5 s apart, bounded by
#       --s5-settle-secs, default 60), a grace of 6 s (keepalived's second gratuitous ARP
#       burst comes 5 s after each master entry), then over the CPU window (--cpu-secs):
#       utime+stime of every process in each host's namespace, in % of one core, and VmRSS
#       summed per host. Then the client's ports on LANs 0 and 15 (down until then, so they
#       cost nothing in the window) come up and it captures 4 s on both (tcpdump -i any):
#       one advertiser (A) per VRID? Flaps: state transitions logged by either host from
#       settling to the end of that capture (must be 0). The "floor" is the kernel's cost
#       of the adverts alone on this lab (2.75 us per advert sent, 1.0 us per advert
#       received, i.e. 1.12 % and 0.41 % of a core at 4,080 adverts/s); CPU is also shown
#       as a multiple of it.
#
# Usage: scripts/bench-vs-keepalived.sh [--impl both|keepalived|vrrp] [--out DIR]
#          [--s1-secs N] [--s1-runs N] [--cpu-secs N] [--runs N] [--no-build]
#          [--only all|s1|s3|s4|s5] [--modes split,pure] [--s4-runs N] [--s4-intervals 10,100]
#          [--s5-lans N] [--s5-vrids N] [--s5-settle-secs N] [--vrrp-bin PATH]
# Defaults: 20 s S1 captures, 3 S1 runs per mode (the first one also does S2), 30 s CPU
# window (S2 and S5), 3 takeover runs per interval (S3: --runs, S4: --s4-runs).
# --vrrp-bin runs that binary instead of target/release/vrrp and skips the build (for
# example a copy built in a `git worktree` while the shared tree is mid-edit).
# Needs root, keepalived, tcpdump, python3. Prints a table (keepalived, vrrp, ratio
# vrrp/keepalived); every log, config and capture stays in the output directory.
set -uo pipefail

IMPL=both
S1_SECS=20
CPU_SECS=30
STEADY_SECS=3
RUNS=3
S1_RUNS=3
NVRID=200
BUILD=1
ONLY=all
MODES="split pure"
S4_RUNS=3
S4_NVRID=255
S4_INTERVALS="10 100"
S5_LANS=16
S5_NVRID=255
S5_SETTLE=60
S5_GRACE=6
S5_CAP_SECS=4
VRRP_BIN=""
OUT=""
ARGS="$*"

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --impl) IMPL=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        --s1-secs) S1_SECS=${2:?}; shift 2 ;;
        --cpu-secs) CPU_SECS=${2:?}; shift 2 ;;
        --runs) RUNS=${2:?}; shift 2 ;;
        --s1-runs) S1_RUNS=${2:?}; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --only) ONLY=${2:?}; shift 2 ;;
        --modes) MODES=${2:?}; MODES=${MODES//,/ }; shift 2 ;;
        --s4-runs) S4_RUNS=${2:?}; shift 2 ;;
        --s4-intervals) S4_INTERVALS=${2:?}; S4_INTERVALS=${S4_INTERVALS//,/ }; shift 2 ;;
        --s5-lans) S5_LANS=${2:?}; shift 2 ;;
        --s5-vrids) S5_NVRID=${2:?}; shift 2 ;;
        --s5-settle-secs) S5_SETTLE=${2:?}; shift 2 ;;
        --vrrp-bin) VRRP_BIN=${2:?}; BUILD=0; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$IMPL" in
    both) IMPLS="keepalived vrrp" ;;
    keepalived|vrrp) IMPLS=$IMPL ;;
    *) echo "--impl must be both, keepalived or vrrp" >&2; exit 2 ;;
esac
case "$ONLY" in all|s1|s3|s4|s5) ;; *) echo "--only must be all, s1 (S1+S2), s3, s4 or s5" >&2; exit 2 ;; esac
[[ "$S5_LANS" =~ ^[0-9]+$ ]] && [ "$S5_LANS" -ge 1 ] && [ "$S5_LANS" -le 200 ] \
    || { echo "--s5-lans: 1..200" >&2; exit 2; }
[[ "$S5_NVRID" =~ ^[0-9]+$ ]] && [ "$S5_NVRID" -ge 1 ] && [ "$S5_NVRID" -le 255 ] \
    || { echo "--s5-vrids: 1..255" >&2; exit 2; }
[[ "$S5_SETTLE" =~ ^[0-9]+$ ]] && [ "$S5_SETTLE" -ge 1 ] || { echo "--s5-settle-secs: a whole number of seconds" >&2; exit 2; }
for iv in $S4_INTERVALS; do
    case "$iv" in 10|100) ;; *) echo "--s4-intervals: 10 and/or 100 (ms)" >&2; exit 2 ;; esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ANALYZE="python3 $ROOT/scripts/bench_analyze.py"
case "$VRRP_BIN" in
    "") VRRP_BIN=$ROOT/target/release/vrrp ;;
    /*) ;;
    *) VRRP_BIN=$PWD/$VRRP_BIN ;;
esac
START_EPOCH=$(date +%s)
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/bench-vs-keepalived.XXXXXX)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
RESULTS=$OUT/results.tsv
: >"$RESULTS"

P="bk$$"
NS_S=${P}s NS_A=${P}a NS_B=${P}b NS_C=${P}c
IP_A=192.168.77.1 IP_B=192.168.77.2 IP_C=192.168.77.100
MAC_A=02:00:00:77:00:01 MAC_B=02:00:00:77:00:02 MAC_C=02:00:00:77:00:64
TO_VRID=51 TO_VIP=10.10.0.51

PID_A="" PID_B="" CAP_PID=""

log() { printf '[bench %4ss] %s\n' "$(( $(date +%s) - START_EPOCH ))" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"; }

# ---- processes and namespaces --------------------------------------------------------

# nap SECS: sleep that a trapped signal interrupts at once (bash runs a trap only after a
# foreground command ends, but interrupts `wait` at once).
NAP_PID=""
nap() {
    sleep "$1" &
    NAP_PID=$!
    wait "$NAP_PID"
    NAP_PID=""
}

# alive PID: running (a zombie not yet reaped counts as gone). No forks.
alive() {
    [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
    local st
    read -r st <"/proc/$1/stat" 2>/dev/null || return 1
    st=${st##*) }
    [ "${st:0:1}" != Z ]
}

# wait_gone SECS PID...: true when every PID has exited within SECS (polls every 50 ms).
wait_gone() {
    local secs=$1; shift
    local deadline=$(( $(date +%s%N) + secs * 1000000000 )) p left
    while :; do
        left=0
        for p in "$@"; do alive "$p" && left=1; done
        [ $left = 0 ] && return 0
        [ "$(date +%s%N)" -ge $deadline ] && return 1
        sleep 0.05
    done
}

ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }

# Every process left in one of our namespaces: SIGTERM, up to 5 s, then SIGKILL.
ns_kill_all() {
    local ns pids
    for ns in "$@"; do
        ns_exists "$ns" || continue
        pids=$(ip netns pids "$ns" 2>/dev/null)
        [ -n "$pids" ] || continue
        kill -TERM $pids 2>/dev/null
        wait_gone 5 $pids || kill -KILL $pids 2>/dev/null
        wait_gone 2 $pids || true
    done
}

lab_down() {
    ns_kill_all "$NS_A" "$NS_B" "$NS_C" "$NS_S"
    local ns
    for ns in "$NS_A" "$NS_B" "$NS_C" "$NS_S"; do
        ns_exists "$ns" && ip netns del "$ns" 2>/dev/null
    done
    PID_A="" PID_B="" CAP_PID=""
    return 0
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [ -n "$NAP_PID" ] && kill "$NAP_PID" 2>/dev/null
    lab_down
    wait 2>/dev/null
    [ $rc = 0 ] || log "exit status $rc; logs and captures are in $OUT"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

run() { "$@" || die "failed: $*"; }

lab_up() {
    lab_down
    local h ns ip mac
    for ns in "$NS_S" "$NS_A" "$NS_B" "$NS_C"; do
        run ip netns add "$ns"
        run ip -n "$ns" link set lo up
        # IPv4 only: no link-locals, DAD or MLD reports (less kernel work, quieter wire).
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
            || die "cannot disable IPv6 in $ns"
    done
    run ip -n "$NS_S" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
    run ip -n "$NS_S" link set br0 up
    for h in a b c; do
        case $h in
            a) ns=$NS_A ip=$IP_A mac=$MAC_A ;;
            b) ns=$NS_B ip=$IP_B mac=$MAC_B ;;
            c) ns=$NS_C ip=$IP_C mac=$MAC_C ;;
        esac
        run ip -n "$NS_S" link add "p$h" type veth peer name eth0 netns "$ns"
        run ip -n "$NS_S" link set "p$h" master br0
        run ip -n "$NS_S" link set "p$h" up
        run ip -n "$ns" link set eth0 address "$mac"
        run ip -n "$ns" addr add "$ip/24" dev eth0
        run ip -n "$ns" link set eth0 up
    done
    # Bounded wait for the three bridge ports to forward.
    local i
    for i in $(seq 1 50); do
        [ "$(bridge -n "$NS_S" link show 2>/dev/null | grep -c 'state forwarding')" -ge 3 ] && return 0
        sleep 0.1
    done
    die "bridge ports did not reach forwarding state within 5 s"
}

# ---- configurations (the same file for both implementations) -------------------------

# gen_conf FILE ROUTER_ID ADVERT_INT then lines "VRID PRIORITY VIP" on stdin.
gen_conf() {
    local file=$1 rid=$2 adv=$3 vrid prio vip
    {
        printf 'global_defs {\n    router_id %s\n    vrrp_version 3\n}\n' "$rid"
        while read -r vrid prio vip; do
            printf '\nvrrp_instance VI_%s {\n    state BACKUP\n    interface eth0\n' "$vrid"
            printf '    virtual_router_id %s\n    priority %s\n    advert_int %s\n' "$vrid" "$prio" "$adv"
            printf '    virtual_ipaddress {\n        %s/32\n    }\n}\n' "$vip"
        done
    } >"$file"
}

# multi_lines HOST(a|b) MODE(split|pure)
multi_lines() {
    local host=$1 mode=$2 v prio
    for v in $(seq 1 "$NVRID"); do
        if [ "$mode" = pure ]; then
            [ "$host" = a ] && prio=150 || prio=100
        elif [ $(( v % 2 )) = 1 ]; then
            [ "$host" = a ] && prio=150 || prio=100
        else
            [ "$host" = a ] && prio=100 || prio=150
        fi
        echo "$v $prio 10.10.$(( v / 256 )).$(( v % 256 ))"
    done
}

# ---- daemons and captures ------------------------------------------------------------

# start_pair IMPL DIR: starts A and B in the background in one step; sets T0, PID_A, PID_B.
# keepalived gets -G (no syslog): with no /dev/log on these machines, keepalived's syslog()
# falls back to writing every line to /dev/console, the VM's serial port, which costs a
# core in uart_write and stalls the machine (soft lockups) once it logs a few hundred
# lines a second. With -l -G it logs to stderr only, like ours.
start_pair() {
    local impl=$1 d=$2
    rm -f "$d"/*.pid "$d"/*.sock
    T0=$(date +%s.%N)
    if [ "$impl" = keepalived ]; then
        ip netns exec "$NS_A" keepalived -n -l -G -D -P -f "$d/a.conf" -p "$d/ka-a.pid" -r "$d/vrrp-a.pid" >"$d/a.log" 2>&1 &
        PID_A=$!
        ip netns exec "$NS_B" keepalived -n -l -G -D -P -f "$d/b.conf" -p "$d/ka-b.pid" -r "$d/vrrp-b.pid" >"$d/b.log" 2>&1 &
        PID_B=$!
    else
        ip netns exec "$NS_A" "$VRRP_BIN" -v run -f "$d/a.conf" --status-socket "$d/a.sock" >"$d/a.log" 2>&1 &
        PID_A=$!
        ip netns exec "$NS_B" "$VRRP_BIN" -v run -f "$d/b.conf" --status-socket "$d/b.sock" >"$d/b.log" 2>&1 &
        PID_B=$!
    fi
}

# stop_pair DIR: SIGTERM to both, up to 20 s, then SIGKILL of what is left in A and B.
stop_pair() {
    local d=$1 t0 t1
    t0=$(date +%s%N)
    kill -TERM $PID_A $PID_B 2>/dev/null
    if ! wait_gone 20 $PID_A $PID_B; then
        log "daemons did not stop within 20 s of SIGTERM: SIGKILL"
        kill -KILL $PID_A $PID_B 2>/dev/null
    fi
    wait $PID_A $PID_B 2>/dev/null
    t1=$(date +%s%N)
    echo "$(( (t1 - t0) / 1000000 ))" >"$d/stop_ms"
    ns_kill_all "$NS_A" "$NS_B"
    PID_A="" PID_B=""
}

pair_alive() { alive "$PID_A" && alive "$PID_B"; }

# cap_start FILE [TCPDUMP OPTIONS...]: tcpdump on the client, returns once it is listening
# (bounded 5 s). The options default to -B 16384 (KiB); S4 passes a larger buffer and
# --immediate-mode. The interface is eth0 unless CAP_IF says otherwise (S5: any).
cap_start() {
    local f=$1 i
    shift
    [ $# -gt 0 ] || set -- -B 16384
    ip netns exec "$NS_C" tcpdump -nn -tt -U "$@" -Z root -i "${CAP_IF:-eth0}" -w "$f" 'ip proto 112 or arp' 2>"$f.err" &
    CAP_PID=$!
    for i in $(seq 1 100); do
        grep -q 'listening on' "$f.err" 2>/dev/null && return 0
        alive "$CAP_PID" || break
        sleep 0.05
    done
    die "tcpdump did not start: $(cat "$f.err")"
}

# cap_stop FILE: SIGINT, bounded wait; the kernel's drop count goes to FILE.drops.
cap_stop() {
    local f=$1
    kill -INT "$CAP_PID" 2>/dev/null
    wait_gone 5 "$CAP_PID" || kill -KILL "$CAP_PID" 2>/dev/null
    wait "$CAP_PID" 2>/dev/null
    CAP_PID=""
    awk '/dropped by kernel/ {print $1; found=1} END {if (!found) print "NA"}' "$f.err" >"$f.drops"
    awk '/dropped by interface/ {print $1; found=1} END {if (!found) print "NA"}' "$f.err" >"$f.ifdrops"
}

count_master() {
    local impl=$1 f=$2
    if [ "$impl" = keepalived ]; then
        grep -c 'Entering MASTER STATE' "$f" 2>/dev/null
    else
        grep -c -- '-> master' "$f" 2>/dev/null
    fi
}

# ns_ticks NS: utime+stime (clock ticks) summed over every process in NS.
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

# ns_status_kb NS FIELD: a /proc/PID/status field (kB) summed over every process in NS.
ns_status_kb() {
    local pid sum=0 v
    for pid in $(ip netns pids "$1" 2>/dev/null); do
        v=$(awk -v f="$2:" '$1 == f {print $2}' "/proc/$pid/status" 2>/dev/null)
        sum=$(( sum + ${v:-0} ))
    done
    echo $sum
}

ns_procs() {
    local pid
    for pid in $(ip netns pids "$1" 2>/dev/null); do
        printf '%s:%s ' "$pid" "$(cat "/proc/$pid/comm" 2>/dev/null)"
    done
}

# Kernel reports of a stuck CPU (soft lockup, RCU stall) so far: a run that overlaps one
# measured a stalled machine, not the daemon.
uptime_s() { cut -d' ' -f1 /proc/uptime; }
kernel_stalls_since() {
    dmesg 2>/dev/null | awk -v t="$1" '/soft lockup|rcu_preempt detected stalls/ {
        s=$0; sub(/^\[ */, "", s); sub(/\].*/, "", s); if (s+0 >= t) n++ } END {print n+0}'
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# cpu_snap: "busy total" jiffies of the whole machine (first line of /proc/stat).
cpu_snap() {
    local _c u n s i w q sq st _rest
    read -r _c u n s i w q sq st _rest </proc/stat
    echo "$(( u + n + s + q + sq + st )) $(( u + n + s + i + w + q + sq + st ))"
}
# busy_pct "SNAP0" "SNAP1": % of both cores busy in between (everything: daemons, tcpdump,
# other people's builds).
busy_pct() {
    local b0 t0 b1 t1
    read -r b0 t0 <<<"$1"; read -r b1 t1 <<<"$2"
    awk -v b=$(( b1 - b0 )) -v t=$(( t1 - t0 )) 'BEGIN {printf "%.0f", (t > 0) ? 100*b/t : 0}'
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b-a}'; }

# keepalived's own report of a late scheduler: "A thread timer expired N seconds ago".
ka_late() {
    awk '/thread timer expired/ {for (i=1;i<=NF;i++) if ($i=="expired") {v=$(i+1)+0; n++; if (v>m) m=v}}
         END {printf "%d %.3f\n", n, m}' "$@"
}

tail_logs() {
    local d=$1
    log "--- tail of $d/a.log"; tail -n 15 "$d/a.log" >&2
    log "--- tail of $d/b.log"; tail -n 15 "$d/b.log" >&2
}

# ---- S1 + S2: 200 VRIDs --------------------------------------------------------------

# scenario_multi IMPL MODE REP: S1 in a fresh lab; with REP 1 also S2 (CPU window).
scenario_multi() {
    local impl=$1 mode=$2 rep=$3
    local d=$OUT/$impl/s1-$mode-run$rep k="$mode.r$rep"
    mkdir -p "$d"
    if [ "$rep" = 1 ]; then
        log "$impl: S1+S2 $mode run $rep: $NVRID VRIDs at 100 ms, ${S1_SECS} s capture, then ${CPU_SECS} s CPU window"
    else
        log "$impl: S1 $mode run $rep: $NVRID VRIDs at 100 ms, ${S1_SECS} s capture"
    fi
    lab_up
    local up0 la cs0 cs1
    up0=$(uptime_s); la=$(loadavg)
    multi_lines a "$mode" | gen_conf "$d/a.conf" bench-a 0.1
    multi_lines b "$mode" | gen_conf "$d/b.conf" bench-b 0.1
    cap_start "$d/s1.pcap"
    cs0=$(cpu_snap)
    start_pair "$impl" "$d"
    # One fork a second (sleep): the loop itself should not load the machine.
    local i
    for i in $(seq 1 "$S1_SECS"); do
        nap 1
        pair_alive || break
    done
    local s1_wall
    s1_wall=$(elapsed "$T0" "$(now)")
    cs1=$(cpu_snap)
    cap_stop "$d/s1.pcap"
    if ! pair_alive; then
        tail_logs "$d"
        record "$impl" "$k.note" "daemon exited during S1"
        stop_pair "$d"; lab_down
        return 1
    fi
    local ea eb
    ea=$(count_master "$impl" "$d/a.log"); eb=$(count_master "$impl" "$d/b.log")
    if [ "$impl" = vrrp ]; then
        timeout 5 "$VRRP_BIN" status --socket "$d/a.sock" --json >"$d/status-a.json" 2>&1
        timeout 5 "$VRRP_BIN" status --socket "$d/b.sock" --json >"$d/status-b.json" 2>&1
    fi
    local ka_s1=""
    [ "$impl" = keepalived ] && ka_s1=$(ka_late "$d/a.log" "$d/b.log")

    if [ "$rep" = 1 ]; then
        # S2: CPU and RSS over the window, both hosts at once.
        local pa0 pb0 ta0 tb0 t0 t1 ta1 tb1 pa1 pb1 hz
        hz=$(getconf CLK_TCK)
        pa0=$(ns_procs "$NS_A"); pb0=$(ns_procs "$NS_B")
        echo "A: $pa0  B: $pb0" >"$d/procs"
        local wc0 wc1
        t0=$(now); ta0=$(ns_ticks "$NS_A"); tb0=$(ns_ticks "$NS_B"); wc0=$(cpu_snap)
        nap "$CPU_SECS"
        t1=$(now); ta1=$(ns_ticks "$NS_A"); tb1=$(ns_ticks "$NS_B"); wc1=$(cpu_snap)
        pa1=$(ns_procs "$NS_A"); pb1=$(ns_procs "$NS_B")
        local rssa rssb ea1 eb1
        rssa=$(ns_rss_kb "$NS_A"); rssb=$(ns_rss_kb "$NS_B")
        ea1=$(count_master "$impl" "$d/a.log"); eb1=$(count_master "$impl" "$d/b.log")
        [ "$pa0" = "$pa1" ] && [ "$pb0" = "$pb1" ] || record "$impl" "$k.note" "process set changed during the CPU window"
        # A short capture: did the state hold?
        cap_start "$d/steady.pcap"
        nap "$STEADY_SECS"
        cap_stop "$d/steady.pcap"
        record "$impl" "$k.cpu_a_pct" "$(awk -v a="$ta0" -v b="$ta1" -v t0="$t0" -v t1="$t1" -v hz="$hz" 'BEGIN {printf "%.2f", (b-a)/hz/(t1-t0)*100}')"
        record "$impl" "$k.cpu_b_pct" "$(awk -v a="$tb0" -v b="$tb1" -v t0="$t0" -v t1="$t1" -v hz="$hz" 'BEGIN {printf "%.2f", (b-a)/hz/(t1-t0)*100}')"
        record "$impl" "$k.rss_a_kb" "$rssa"
        record "$impl" "$k.rss_b_kb" "$rssb"
        record "$impl" "$k.window_transitions" "$(( ea1 + eb1 - ea - eb ))"
        record "$impl" "$k.window_machine_busy_pct" "$(busy_pct "$wc0" "$wc1")"
        record "$impl" "$k.window_overrun_s" "$(elapsed "$t0" "$t1" | awk -v w="$CPU_SECS" '{printf "%.3f", $1-w}')"
        record "$impl" "$k.steady_pcap_drops" "$(cat "$d/steady.pcap.drops")"
    fi
    stop_pair "$d"
    lab_down

    record "$impl" "$k.loadavg_at_start" "$la"
    record "$impl" "$k.kernel_stalls" "$(kernel_stalls_since "$up0")"
    record "$impl" "$k.s1_machine_busy_pct" "$(busy_pct "$cs0" "$cs1")"
    record "$impl" "$k.s1_overrun_s" "$(awk -v w="$s1_wall" -v s="$S1_SECS" 'BEGIN {printf "%.1f", w-s}')"
    if [ -n "$ka_s1" ]; then
        record "$impl" "$k.ka_late_timer_lines" "${ka_s1% *}"
        record "$impl" "$k.ka_late_timer_max_s" "${ka_s1#* }"
    fi
    record "$impl" "$k.master_entries_a" "$ea"
    record "$impl" "$k.master_entries_b" "$eb"
    record "$impl" "$k.master_entries" "$(( ea + eb ))"
    record "$impl" "$k.spurious" "$(( ea + eb - NVRID ))"
    record "$impl" "$k.s1_pcap_drops" "$(cat "$d/s1.pcap.drops")"
    record "$impl" "$k.stop_ms" "$(cat "$d/stop_ms")"
    local kv
    while IFS= read -r kv; do
        record "$impl" "$k.${kv%%=*}" "${kv#*=}"
    done < <($ANALYZE converge "$d/s1.pcap" --t0 "$T0" --a "$IP_A" --b "$IP_B" --nvrid "$NVRID" --expect "$mode"
             [ "$rep" = 1 ] && $ANALYZE steady "$d/steady.pcap" --a "$IP_A" --b "$IP_B" --nvrid "$NVRID" --expect "$mode")
    log "$impl: $mode run $rep: master entries A=$ea B=$eb (spurious $(( ea + eb - NVRID ))), $(grep -P "^$impl\t$k\.(conv_max_s|unconverged_vrids|cpu_a_pct|cpu_b_pct|kernel_stalls|s1_overrun_s)\t" "$RESULTS" | cut -f2,3 | sed "s/^$k\.//" | tr '\t\n' '= ')"
}

# ---- S3: takeover --------------------------------------------------------------------

# takeover_run IMPL ADVERT_MS RUN: prints key=value lines of the analysis.
takeover_run() {
    local impl=$1 ms=$2 n=$3
    local d=$OUT/$impl/s3-${ms}ms-run$n adv mdi
    mkdir -p "$d"
    adv=$(awk -v ms="$ms" 'BEGIN {printf "%g", ms/1000}')
    # Master_Down_Interval of the backup (priority 100): 3*I + (256-100)*I/256.
    mdi=$(awk -v ms="$ms" 'BEGIN {printf "%.5f", 3*ms + 156*ms/256}')
    lab_up
    local up0
    up0=$(uptime_s)
    echo "$TO_VRID 101 $TO_VIP" | gen_conf "$d/a.conf" bench-a "$adv"
    echo "$TO_VRID 100 $TO_VIP" | gen_conf "$d/b.conf" bench-b "$adv"
    cap_start "$d/takeover.pcap"
    start_pair "$impl" "$d"
    local i ok=0
    for i in $(seq 1 100); do
        if ip -n "$NS_A" -4 addr show dev eth0 2>/dev/null | grep -q "inet $TO_VIP/"; then ok=1; break; fi
        pair_alive || break
        sleep 0.1
    done
    if [ $ok = 0 ]; then
        cap_stop "$d/takeover.pcap"
        tail_logs "$d"
        stop_pair "$d"; lab_down
        echo "note=A never became master within 10 s"
        return 1
    fi
    nap 1
    date +%s.%N >"$d/link_down_at"
    ip -n "$NS_S" link set pa down
    nap 1.5
    cap_stop "$d/takeover.pcap"
    echo "pcap_drops=$(cat "$d/takeover.pcap.drops")"
    local bvip=no
    ip -n "$NS_B" -4 addr show dev eth0 2>/dev/null | grep -q "inet $TO_VIP/" && bvip=yes
    stop_pair "$d"
    lab_down
    echo "b_has_vip=$bvip"
    echo "kernel_stalls=$(kernel_stalls_since "$up0")"
    $ANALYZE takeover "$d/takeover.pcap" --old "$IP_A" --new "$IP_B" --vip "$TO_VIP" --new-mac "$MAC_B" --mdi-ms "$mdi"
}

scenario_takeover() {
    local impl=$1 ms=$2 n kv kvf gaps="" devs="" garps="" g dv ga
    log "$impl: S3 takeover at $ms ms adverts, $RUNS runs"
    for n in $(seq 1 "$RUNS"); do
        g=NA dv=NA ga=NA
        # In this shell (not a subshell), so that a signal's cleanup covers it.
        kvf=$OUT/$impl/s3-${ms}ms-run$n.kv
        mkdir -p "$OUT/$impl"
        takeover_run "$impl" "$ms" "$n" >"$kvf"
        while IFS= read -r kv; do
            record "$impl" "to$ms.run$n.${kv%%=*}" "${kv#*=}"
            case $kv in
                gap_ms=*) g=${kv#*=} ;;
                dev_ms=*) dv=${kv#*=} ;;
                garp_delay_ms=*) ga=${kv#*=} ;;
            esac
        done <"$kvf"
        log "$impl: S3 $ms ms run $n: gap $g ms (deviation $dv ms), first advert -> GARP $ga ms"
        gaps="$gaps${gaps:+ / }$g" devs="$devs${devs:+ / }$dv" garps="$garps${garps:+ / }$ga"
    done
    record "$impl" "to$ms.gaps_ms" "$gaps"
    record "$impl" "to$ms.devs_ms" "$devs"
    record "$impl" "to$ms.garps_ms" "$garps"
    # shellcheck disable=SC2086
    record "$impl" "to$ms.gap_median_ms" "$($ANALYZE median ${gaps//\//})"
    # shellcheck disable=SC2086
    record "$impl" "to$ms.dev_median_ms" "$($ANALYZE median ${devs//\//})"
    # shellcheck disable=SC2086
    record "$impl" "to$ms.garp_median_ms" "$($ANALYZE median ${garps//\//})"
}

# ---- S4: takeover with 255 VRIDs -----------------------------------------------------

# ns_vip_count NS: how many of our VIPs (10.10.x.y) the host's eth0 holds.
ns_vip_count() {
    ip -n "$1" -4 -o addr show dev eth0 2>/dev/null | grep -c ' inet 10\.10\.'
}

# takeover_many_run IMPL ADVERT_MS RUN: records s4x<ms>.r<RUN>.* keys.
takeover_many_run() {
    local impl=$1 ms=$2 n=$3
    local d=$OUT/$impl/s4-${ms}ms-run$n k="s4x$ms.r$n" adv mdi v
    mkdir -p "$d"
    adv=$(awk -v ms="$ms" 'BEGIN {printf "%g", ms/1000}')
    mdi=$(awk -v ms="$ms" 'BEGIN {printf "%.5f", 3*ms + 156*ms/256}')
    lab_up
    local up0 la
    up0=$(uptime_s); la=$(loadavg)
    for v in $(seq 1 "$S4_NVRID"); do echo "$v 101 10.10.$(( v / 256 )).$(( v % 256 ))"; done | gen_conf "$d/a.conf" bench-a "$adv"
    for v in $(seq 1 "$S4_NVRID"); do echo "$v 100 10.10.$(( v / 256 )).$(( v % 256 ))"; done | gen_conf "$d/b.conf" bench-b "$adv"
    start_pair "$impl" "$d"
    # Converged: A holds every VIP and B none, at two polls 0.5 s apart (bounded 30 s).
    local i ok=0 na nb conv_s=NA
    for i in $(seq 1 150); do
        na=$(ns_vip_count "$NS_A"); nb=$(ns_vip_count "$NS_B")
        if [ "$na" = "$S4_NVRID" ] && [ "$nb" = 0 ]; then
            [ "$conv_s" = NA ] && conv_s=$(elapsed "$T0" "$(now)")
            ok=$(( ok + 1 ))
            [ $ok -ge 2 ] && break
            nap 0.5
            continue
        fi
        ok=0 conv_s=NA
        pair_alive || break
        sleep 0.2
    done
    record "$impl" "$k.loadavg_at_start" "$la"
    record "$impl" "$k.a_held_all_vips_after_s" "$conv_s"
    if [ $ok -lt 2 ]; then
        tail_logs "$d"
        record "$impl" "$k.note" "not converged within 30 s (A $na VIPs, B $nb)"
        stop_pair "$d"; lab_down
        return 1
    fi
    local ea0 eb0 cs0 cs1
    ea0=$(count_master "$impl" "$d/a.log"); eb0=$(count_master "$impl" "$d/b.log")
    # --immediate-mode makes libpcap use TPACKET_V2, a ring of snaplen-sized slots: with the
    # default snaplen (262144) 64 MiB is only 256 slots, and B's takeover burst overflowed it
    # (kernel drops). 128 bytes hold Ethernet + IPv4 + the VRRP header and first VIP, or ARP.
    cap_start "$d/takeover.pcap" -B 65536 -s 128 --immediate-mode
    cs0=$(cpu_snap)
    nap 1
    local down_at
    down_at=$(now)
    echo "$down_at" >"$d/link_down_at"
    ip -n "$NS_S" link set pa down
    nap 1.5
    cs1=$(cpu_snap)
    cap_stop "$d/takeover.pcap"
    nb=$(ns_vip_count "$NS_B")
    local ea1 eb1 alive_ok=yes
    pair_alive || alive_ok=no
    ea1=$(count_master "$impl" "$d/a.log"); eb1=$(count_master "$impl" "$d/b.log")
    local ka=""
    [ "$impl" = keepalived ] && ka=$(ka_late "$d/a.log" "$d/b.log")
    stop_pair "$d"
    lab_down
    record "$impl" "$k.daemons_alive_at_end" "$alive_ok"
    record "$impl" "$k.pcap_kernel_drops" "$(cat "$d/takeover.pcap.drops")"
    record "$impl" "$k.pcap_if_drops" "$(cat "$d/takeover.pcap.ifdrops")"
    record "$impl" "$k.b_vips_at_end" "$nb"
    record "$impl" "$k.master_entries_a_startup" "$ea0"
    record "$impl" "$k.master_entries_b_startup" "$eb0"
    record "$impl" "$k.master_entries_b_takeover" "$(( eb1 - eb0 ))"
    record "$impl" "$k.machine_busy_pct" "$(busy_pct "$cs0" "$cs1")"
    record "$impl" "$k.kernel_stalls" "$(kernel_stalls_since "$up0")"
    if [ -n "$ka" ]; then
        record "$impl" "$k.ka_late_timer_lines" "${ka% *}"
        record "$impl" "$k.ka_late_timer_max_s" "${ka#* }"
    fi
    local kv
    while IFS= read -r kv; do
        record "$impl" "$k.${kv%%=*}" "${kv#*=}"
    done < <($ANALYZE takeover-many "$d/takeover.pcap" --old "$IP_A" --new "$IP_B" --nvrid "$S4_NVRID" \
                 --mdi-ms "$mdi" --down-at "$down_at" --per-vrid "$d/per-vrid.tsv")
    log "$impl: S4 $ms ms run $n: $(grep -P "^$impl\t$k\.(taken_over|dev_p50_ms|dev_p95_ms|dev_max_ms|two_sources_after|b_before_down|pcap_kernel_drops|old_interval_max_ms|machine_busy_pct)\t" "$RESULTS" | cut -f2,3 | sed "s/^$k\.//" | tr '\t\n' '= ')"
}

scenario_takeover_many() {
    local impl=$1 ms=$2 n
    log "$impl: S4 takeover, $S4_NVRID VRIDs at $ms ms adverts, $S4_RUNS runs"
    for n in $(seq 1 "$S4_RUNS"); do
        takeover_many_run "$impl" "$ms" "$n" || log "$impl: S4 $ms ms run $n failed"
    done
}

# ---- S5: many LANs -------------------------------------------------------------------

# The client's LANs: the first and the last.
s5_client_lans() {
    if [ "$S5_LANS" -gt 1 ]; then echo "0 $(( S5_LANS - 1 ))"; else echo 0; fi
}

# lab_up_many: bridges br0..br<L-1> in the switch namespace, one per LAN ("VLAN"); A and B
# get eth<L> on each; the client gets eth0/eth1 on the first and last LAN, whose switch
# ports (c<L>) stay down until s5_client_ports_up.
lab_up_many() {
    lab_down
    local ns lan h hn k
    for ns in "$NS_S" "$NS_A" "$NS_B" "$NS_C"; do
        run ip netns add "$ns"
        run ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
            || die "cannot disable IPv6 in $ns"
    done
    # No bridge netfilter on the LANs (where br_netfilter is loaded; harmless if not).
    ip netns exec "$NS_S" sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 \
        net.bridge.bridge-nf-call-arptables=0 2>/dev/null
    for lan in $(seq 0 $(( S5_LANS - 1 ))); do
        run ip -n "$NS_S" link add "br$lan" type bridge stp_state 0 forward_delay 0 mcast_snooping 0
        run ip -n "$NS_S" link set "br$lan" up
        for h in a b; do
            if [ $h = a ]; then ns=$NS_A hn=1; else ns=$NS_B hn=2; fi
            run ip -n "$NS_S" link add "$h$lan" type veth peer name "eth$lan" netns "$ns"
            run ip -n "$NS_S" link set "$h$lan" master "br$lan"
            run ip -n "$NS_S" link set "$h$lan" up
            run ip -n "$ns" addr add "10.$lan.0.$hn/24" dev "eth$lan"
            run ip -n "$ns" link set "eth$lan" up
        done
    done
    k=0
    for lan in $(s5_client_lans); do
        run ip -n "$NS_S" link add "c$lan" type veth peer name "eth$k" netns "$NS_C"
        run ip -n "$NS_S" link set "c$lan" master "br$lan"
        run ip -n "$NS_C" addr add "10.$lan.0.100/24" dev "eth$k"
        run ip -n "$NS_C" link set "eth$k" up
        k=$(( k + 1 ))
    done
    local i
    for i in $(seq 1 100); do
        [ "$(bridge -n "$NS_S" link show 2>/dev/null | grep -c 'state forwarding')" -ge $(( 2 * S5_LANS )) ] && return 0
        sleep 0.1
    done
    die "S5: bridge ports did not reach forwarding state within 10 s"
}

# s5_client_ports_up: the client's switch ports up, bounded wait for forwarding.
s5_client_ports_up() {
    local lan i n=0
    for lan in $(s5_client_lans); do
        run ip -n "$NS_S" link set "c$lan" up
        n=$(( n + 1 ))
    done
    for i in $(seq 1 50); do
        [ "$(bridge -n "$NS_S" link show 2>/dev/null | grep -E '^[0-9]+: c[0-9]+@' | grep -c 'state forwarding')" -ge $n ] && return 0
        sleep 0.1
    done
    die "S5: the client's bridge ports did not reach forwarding state within 5 s"
}

# gen_conf_many FILE ROUTER_ID PRIORITY: S5_LANS x S5_NVRID instances VI_<L>_<VRID> on
# eth<L>, VIP 10.<L>.1.<VRID>/32, advert_int 1 (the block gen_conf writes).
gen_conf_many() {
    awk -v rid="$2" -v prio="$3" -v lans="$S5_LANS" -v n="$S5_NVRID" 'BEGIN {
        printf "global_defs {\n    router_id %s\n    vrrp_version 3\n}\n", rid
        for (l = 0; l < lans; l++) for (v = 1; v <= n; v++) {
            printf "\nvrrp_instance VI_%d_%d {\n    state BACKUP\n    interface eth%d\n", l, v, l
            printf "    virtual_router_id %d\n    priority %d\n    advert_int 1\n", v, prio
            printf "    virtual_ipaddress {\n        10.%d.1.%d/32\n    }\n}\n", l, v
        }
    }' >"$1" || die "cannot write $1"
}

# s5_vip_count NS: how many S5 VIPs (10.<L>.1.<VRID>/32) the host holds, on any interface.
s5_vip_count() {
    ip -n "$1" -4 -o addr show 2>/dev/null | grep -cE ' inet 10\.[0-9]+\.1\.[0-9]+/32 '
}

# count_transitions IMPL LOG: every state change logged (to any state).
count_transitions() {
    if [ "$1" = keepalived ]; then
        grep -cE 'Entering [A-Z]+ STATE' "$2" 2>/dev/null
    else
        grep -cE ': [a-z]+ -> [a-z]+(:|$)' "$2" 2>/dev/null
    fi
}

# ns_pid_ticks NS: "PID COMM TICKS" (utime+stime) for every process in NS.
ns_pid_ticks() {
    local pid s f comm
    for pid in $(ip netns pids "$1" 2>/dev/null); do
        s=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        comm=${s#*(}; comm=${comm%%)*}
        s=${s##*) }
        read -r -a f <<<"$s"
        echo "$pid $comm $(( f[11] + f[12] ))"
    done
}

# cpu_pct_files T0FILE T1FILE SECS: "TOTAL_PCT" then "comm:pct ..." per process (a process
# missing at either end counts from 0 / is left out).
cpu_pct_files() {
    awk -v secs="$3" -v hz="$(getconf CLK_TCK)" '
        NR == FNR { t0[$1] = $3; next }
        { d = $3 - ($1 in t0 ? t0[$1] : 0); tot += d; per = per sprintf("%s%s[%s]:%.2f", sep, $2, $1, 100*d/hz/secs); sep = " " }
        END { printf "%.2f\n%s\n", 100*tot/hz/secs, per }' "$1" "$2"
}

# log_problems IMPL LOG: lines that report a problem (ours: WARN/ERROR level; keepalived:
# warnings and errors it logs as text).
log_problems() {
    if [ "$1" = keepalived ]; then
        grep -ciE 'error|warning|fail|expired .* ago|too (many|large)' "$2" 2>/dev/null
    else
        grep -cE '^[^ ]+ +(WARN|ERROR) ' "$2" 2>/dev/null
    fi
}

scenario_many_lans() {
    local impl=$1
    local d=$OUT/$impl/s5 k=s5 total=$(( S5_LANS * S5_NVRID )) lan
    mkdir -p "$d"
    log "$impl: S5 $S5_LANS LANs x $S5_NVRID VRIDs = $total routers at 1 s: settle (max ${S5_SETTLE} s), ${S5_GRACE} s grace, ${CPU_SECS} s CPU window, ${S5_CAP_SECS} s capture on LANs $(s5_client_lans | tr ' ' ',')"
    local t_lab up0 la0
    t_lab=$(now)
    up0=$(uptime_s); la0=$(loadavg)
    lab_up_many
    gen_conf_many "$d/a.conf" bench-a 150
    gen_conf_many "$d/b.conf" bench-b 100
    record "$impl" "$k.loadavg_at_start" "$la0"
    record "$impl" "$k.lab_setup_s" "$(elapsed "$t_lab" "$(now)")"
    start_pair "$impl" "$d"
    echo "$T0" >"$d/t0"
    # Settled: A holds every VIP and B none, at two polls 0.5 s apart (bounded).
    local ok=0 na=0 nb=0 settle_s=NA t_settle=""
    while :; do
        na=$(s5_vip_count "$NS_A"); nb=$(s5_vip_count "$NS_B")
        if [ "$na" = "$total" ] && [ "$nb" = 0 ]; then
            if [ "$settle_s" = NA ]; then t_settle=$(now); settle_s=$(elapsed "$T0" "$t_settle"); fi
            ok=$(( ok + 1 ))
            [ $ok -ge 2 ] && break
        else
            ok=0 settle_s=NA
        fi
        pair_alive || break
        awk -v a="$T0" -v b="$(now)" -v m="$S5_SETTLE" 'BEGIN {exit !(b - a > m)}' && break
        nap 0.5
    done
    record "$impl" "$k.a_held_all_vips_after_s" "$settle_s"
    if [ $ok -lt 2 ]; then
        tail_logs "$d"
        if pair_alive; then
            record "$impl" "$k.note" "S5 not settled within $S5_SETTLE s (A $na of $total VIPs, B $nb)"
        else
            record "$impl" "$k.note" "S5: a daemon exited before settling (A $na of $total VIPs, B $nb)"
        fi
        record "$impl" "$k.vips_a_b_at_end" "$na / $nb"
        record "$impl" "$k.master_entries_startup" "$(count_master "$impl" "$d/a.log") / $(count_master "$impl" "$d/b.log")"
        record "$impl" "$k.log_problems" "$(log_problems "$impl" "$d/a.log") / $(log_problems "$impl" "$d/b.log")"
        stop_pair "$d"; lab_down
        return 1
    fi
    local ea0 eb0 ta0 tb0
    ea0=$(count_master "$impl" "$d/a.log"); eb0=$(count_master "$impl" "$d/b.log")
    ta0=$(count_transitions "$impl" "$d/a.log"); tb0=$(count_transitions "$impl" "$d/b.log")
    log "$impl: S5 settled after $settle_s s (master entries A $ea0, B $eb0); ${S5_GRACE} s grace"
    nap "$S5_GRACE"
    # The CPU window, both hosts at once.
    local pa0 pb0 pa1 pb1 t0 t1 wc0 wc1 la_w0 la_w1 twa0 twb0
    pa0=$(ns_procs "$NS_A"); pb0=$(ns_procs "$NS_B")
    echo "A: $pa0  B: $pb0" >"$d/procs"
    twa0=$(count_transitions "$impl" "$d/a.log"); twb0=$(count_transitions "$impl" "$d/b.log")
    la_w0=$(loadavg)
    t0=$(now); ns_pid_ticks "$NS_A" >"$d/ticks-a.0"; ns_pid_ticks "$NS_B" >"$d/ticks-b.0"; wc0=$(cpu_snap)
    nap "$CPU_SECS"
    t1=$(now); ns_pid_ticks "$NS_A" >"$d/ticks-a.1"; ns_pid_ticks "$NS_B" >"$d/ticks-b.1"; wc1=$(cpu_snap)
    la_w1=$(loadavg)
    pa1=$(ns_procs "$NS_A"); pb1=$(ns_procs "$NS_B")
    local rssa rssb twa1 twb1 win cpua cpub
    rssa=$(ns_rss_kb "$NS_A"); rssb=$(ns_rss_kb "$NS_B")
    local anona anonb hwma hwmb
    anona=$(ns_status_kb "$NS_A" RssAnon); anonb=$(ns_status_kb "$NS_B" RssAnon)
    hwma=$(ns_status_kb "$NS_A" VmHWM); hwmb=$(ns_status_kb "$NS_B" VmHWM)
    twa1=$(count_transitions "$impl" "$d/a.log"); twb1=$(count_transitions "$impl" "$d/b.log")
    [ "$pa0" = "$pa1" ] && [ "$pb0" = "$pb1" ] || record "$impl" "$k.note" "S5: process set changed during the CPU window"
    win=$(elapsed "$t0" "$t1")
    cpu_pct_files "$d/ticks-a.0" "$d/ticks-a.1" "$win" >"$d/cpu-a"
    cpu_pct_files "$d/ticks-b.0" "$d/ticks-b.1" "$win" >"$d/cpu-b"
    cpua=$(sed -n 1p "$d/cpu-a"); cpub=$(sed -n 1p "$d/cpu-b")
    # The client's capture on two LANs: one advertiser per VRID?
    s5_client_ports_up
    CAP_IF=any cap_start "$d/steady.pcap" -B 16384 -s 128
    nap "$S5_CAP_SECS"
    cap_stop "$d/steady.pcap"
    local ta1 tb1 na1 nb1 alive_ok=yes ka=""
    pair_alive || alive_ok=no
    ta1=$(count_transitions "$impl" "$d/a.log"); tb1=$(count_transitions "$impl" "$d/b.log")
    na1=$(s5_vip_count "$NS_A"); nb1=$(s5_vip_count "$NS_B")
    [ "$impl" = keepalived ] && ka=$(ka_late "$d/a.log" "$d/b.log")
    if [ "$impl" = vrrp ]; then
        timeout 10 "$VRRP_BIN" status --socket "$d/a.sock" --json >"$d/status-a.json" 2>&1
        timeout 10 "$VRRP_BIN" status --socket "$d/b.sock" --json >"$d/status-b.json" 2>&1
    fi
    stop_pair "$d"
    lab_down

    # Kernel cost of the adverts alone (one per router and second): 2.75 us per advert sent
    # (master), 1.0 us per advert received (backup), measured on this lab.
    local floor_a floor_b
    floor_a=$(awk -v n="$total" 'BEGIN {printf "%.3f", n * 2.75e-6 * 100}')
    floor_b=$(awk -v n="$total" 'BEGIN {printf "%.3f", n * 1.0e-6 * 100}')
    record "$impl" "$k.daemons_alive_at_end" "$alive_ok"
    record "$impl" "$k.master_entries_startup" "$ea0 / $eb0"
    record "$impl" "$k.cpu_a_pct" "$cpua"
    record "$impl" "$k.cpu_b_pct" "$cpub"
    record "$impl" "$k.cpu_a_procs" "$(sed -n 2p "$d/cpu-a")"
    record "$impl" "$k.cpu_b_procs" "$(sed -n 2p "$d/cpu-b")"
    record "$impl" "$k.floor_a_pct" "$floor_a"
    record "$impl" "$k.floor_b_pct" "$floor_b"
    record "$impl" "$k.cpu_a_floor_x" "$(awk -v c="$cpua" -v f="$floor_a" 'BEGIN {if (f > 0) printf "%.1f", c/f; else print "NA"}')"
    record "$impl" "$k.cpu_b_floor_x" "$(awk -v c="$cpub" -v f="$floor_b" 'BEGIN {if (f > 0) printf "%.1f", c/f; else print "NA"}')"
    record "$impl" "$k.rss_a_mb" "$(awk -v k="$rssa" 'BEGIN {printf "%.1f", k/1024}')"
    record "$impl" "$k.rss_b_mb" "$(awk -v k="$rssb" 'BEGIN {printf "%.1f", k/1024}')"
    record "$impl" "$k.rss_anon_a_mb" "$(awk -v k="$anona" 'BEGIN {printf "%.1f", k/1024}')"
    record "$impl" "$k.rss_anon_b_mb" "$(awk -v k="$anonb" 'BEGIN {printf "%.1f", k/1024}')"
    record "$impl" "$k.hwm_a_mb" "$(awk -v k="$hwma" 'BEGIN {printf "%.1f", k/1024}')"
    record "$impl" "$k.hwm_b_mb" "$(awk -v k="$hwmb" 'BEGIN {printf "%.1f", k/1024}')"
    record "$impl" "$k.flaps" "$(( ta1 - ta0 + tb1 - tb0 ))"
    record "$impl" "$k.flaps_a_b" "$(( ta1 - ta0 )) / $(( tb1 - tb0 ))"
    record "$impl" "$k.window_transitions" "$(( twa1 - twa0 + twb1 - twb0 ))"
    record "$impl" "$k.vips_a_b_at_end" "$na1 / $nb1"
    record "$impl" "$k.window_machine_busy_pct" "$(busy_pct "$wc0" "$wc1")"
    record "$impl" "$k.window_loadavg" "$la_w0 -> $la_w1"
    record "$impl" "$k.window_overrun_s" "$(awk -v w="$win" -v s="$CPU_SECS" 'BEGIN {printf "%.3f", w-s}')"
    record "$impl" "$k.kernel_stalls" "$(kernel_stalls_since "$up0")"
    record "$impl" "$k.pcap_kernel_drops" "$(cat "$d/steady.pcap.drops")"
    record "$impl" "$k.stop_ms" "$(cat "$d/stop_ms")"
    record "$impl" "$k.log_problems" "$(log_problems "$impl" "$d/a.log") / $(log_problems "$impl" "$d/b.log")"
    record "$impl" "$k.log_lines" "$(wc -l <"$d/a.log") / $(wc -l <"$d/b.log")"
    if [ -n "$ka" ]; then
        record "$impl" "$k.ka_late_timer_lines" "${ka% *}"
        record "$impl" "$k.ka_late_timer_max_s" "${ka#* }"
    fi
    local kv
    while IFS= read -r kv; do
        record "$impl" "$k.${kv%%=*}" "${kv#*=}"
    done < <($ANALYZE steady-lans "$d/steady.pcap" --lans "$(s5_client_lans | tr ' ' ',')" --nvrid "$S5_NVRID" \
                 --a-host 1 --b-host 2
             [ "$impl" = vrrp ] && $ANALYZE vrrp-log "$d/a.log" --t0 "$T0")
    log "$impl: S5: $(grep -P "^$impl\t$k\.(cpu_a_pct|cpu_b_pct|cpu_a_floor_x|cpu_b_floor_x|rss_a_mb|rss_b_mb|flaps|cap_vrids_one_advertiser_a|cap_vrids_expected|window_machine_busy_pct)\t" "$RESULTS" | cut -f2,3 | sed "s/^$k\.//" | tr '\t\n' '= ')"
}

# ---- main ----------------------------------------------------------------------------

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, raw sockets)"
for tool in ip bridge tcpdump python3 awk; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
case " $IMPLS " in *" keepalived "*) command -v keepalived >/dev/null || die "keepalived not found (apt-get install -y keepalived)" ;; esac

if [[ " $IMPLS " == *" vrrp "* ]]; then
    if [ $BUILD = 1 ]; then
        log "building: cargo build --release -p vrrp-cli"
        (cd "$ROOT" && cargo build --release -p vrrp-cli) >"$OUT/build.log" 2>&1 \
            || { tail -n 30 "$OUT/build.log" >&2; die "cargo build failed (log: $OUT/build.log)"; }
    fi
    [ -x "$VRRP_BIN" ] || die "$VRRP_BIN missing"
fi

record meta date "$(date -u +%Y-%m-%dT%H:%MZ)"
record meta command "scripts/bench-vs-keepalived.sh${ARGS:+ $ARGS}"
record meta cpus "$(nproc)"
record meta cpu_model "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
record meta kernel "$(uname -r)"
record meta rustc "$(rustc --version 2>/dev/null)"
record meta keepalived "$(keepalived --version 2>&1 | head -n 1)"
if [ "$VRRP_BIN" = "$ROOT/target/release/vrrp" ]; then
    record meta vrrp "$([ -x "$VRRP_BIN" ] && "$VRRP_BIN" --version 2>&1 | head -n 1) (git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo '+dirty'))"
else
    # Built elsewhere: the checkout's commit says nothing about it.
    record meta vrrp "$([ -x "$VRRP_BIN" ] && "$VRRP_BIN" --version 2>&1 | head -n 1) ($VRRP_BIN)"
fi
record meta s1_secs "$S1_SECS"
record meta cpu_secs "$CPU_SECS"
record meta runs "$RUNS"
record meta s1_runs "$S1_RUNS"
record meta s4_runs "$S4_RUNS"
record meta s4_intervals "$S4_INTERVALS"
record meta s5_lans "$S5_LANS"
record meta s5_vrids "$S5_NVRID"
record meta s5_settle_secs "$S5_SETTLE"
record meta vrrp_bin "$VRRP_BIN"
record meta vrrp_bin_md5 "$(md5sum "$VRRP_BIN" 2>/dev/null | cut -d' ' -f1)"
log "output: $OUT (namespaces ${P}s/a/b/c)"

for impl in $IMPLS; do
    if [ "$ONLY" = all ] || [ "$ONLY" = s1 ]; then
        for mode in $MODES; do
            for rep in $(seq 1 "$S1_RUNS"); do
                scenario_multi "$impl" "$mode" "$rep" || log "$impl: S1 $mode run $rep failed"
            done
        done
    fi
    if [ "$ONLY" = all ] || [ "$ONLY" = s3 ]; then
        scenario_takeover "$impl" 100
        scenario_takeover "$impl" 10
    fi
    if [ "$ONLY" = all ] || [ "$ONLY" = s4 ]; then
        for iv in $S4_INTERVALS; do
            scenario_takeover_many "$impl" "$iv"
        done
    fi
    if [ "$ONLY" = all ] || [ "$ONLY" = s5 ]; then
        scenario_many_lans "$impl" || log "$impl: S5 failed"
    fi
done

ELAPSED=$(( $(date +%s) - START_EPOCH ))
record meta runtime_s "$ELAPSED"
$ANALYZE table "$RESULTS" --markdown >"$OUT/results.md"
echo
echo "keepalived vs vrrp, $(nproc) CPUs, $(date -u +%Y-%m-%d), $(grep -P '^meta\tkeepalived\t' "$RESULTS" | cut -f3) / $(grep -P '^meta\tvrrp\t' "$RESULTS" | cut -f3)"
$ANALYZE table "$RESULTS"
grep -P '\tnote\t|\.note\t' "$RESULTS" | sed 's/^/note: /'
echo
echo "runtime ${ELAPSED} s; results: $RESULTS, markdown: $OUT/results.md, logs and captures under $OUT"
