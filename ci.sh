#!/usr/bin/env bash
# The one CI script, for CI and for a person at a terminal (after smoltcp's ci.sh).
#
#   ./ci.sh test            everything below, in this order; what CI runs (.ci/run)
#   ./ci.sh fmt             cargo fmt --all --check
#   ./ci.sh clippy          cargo clippy --workspace --all-targets -- -D warnings
#   ./ci.sh unit            cargo test --workspace --all-features (golden vectors, tshark, ...)
#   ./ci.sh doc             rustdoc with warnings as errors
#   ./ci.sh bench           build the criterion benchmarks (run them: see benches/)
#   ./ci.sh fuzz [SECONDS]  seed corpus from the vectors, then each fuzz target for
#                           SECONDS (default 25)
#   ./ci.sh deps            only install missing tools (Debian test packages, cargo-fuzz)
#
# Missing tools are installed when running as root (CI is): tshark, tcpdump, keepalived,
# frr, iproute2 from Debian (apt-get update once per run), cargo-fuzz from crates.io. As
# another user the tests that need root or a missing tool print SKIPPED and pass; the fuzz
# step fails.
#
# Any failing step fails the script (non-zero exit).
set -euo pipefail
cd "$(dirname "$0")"

FUZZ_TARGETS=(decode roundtrip config status)
FUZZ_SECONDS_DEFAULT=25

step() {
    printf '\n==== ci: %s ====\n' "$*"
}

is_root() {
    [ "$(id -u)" -eq 0 ]
}

APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        apt-get update -q
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# Debian packages the tests use, by the command each provides: tshark (the independent
# decoder), tcpdump (client captures in the namespace tests), keepalived and frr (real
# peers), iproute2 (namespaces, veth, bridges), ping, nft (accept mode: the daemon drops
# traffic to a non-owner master's VIPs with nftables).
TEST_PACKAGES=(tshark:tshark tcpdump:tcpdump keepalived:keepalived /usr/lib/frr/vrrpd:frr ip:iproute2 ping:iputils-ping nft:nftables)

ensure_test_packages() {
    local missing=() entry cmd pkg
    for entry in "${TEST_PACKAGES[@]}"; do
        cmd="${entry%%:*}"
        pkg="${entry#*:}"
        if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "$cmd" ]; then
            missing+=("$pkg")
        fi
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    if ! is_root; then
        echo "ci: missing ${missing[*]} and not root: the tests that need them print SKIPPED"
        return 0
    fi
    step "install ${missing[*]}"
    # wireshark-common asks whether non-root users may capture; answer before it asks.
    echo "wireshark-common wireshark-common/install-setuid boolean false" |
        debconf-set-selections
    # Installing keepalived and frr must not start their services on the CI machine:
    # the tests run their own instances inside namespaces.
    local policy=/usr/sbin/policy-rc.d created=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        created=1
    fi
    apt_install "${missing[@]}"
    [ "$created" -eq 1 ] && rm -f "$policy"
    return 0
}

# The toolchain cargo-fuzz builds with: nightly when rustup has it; otherwise the one
# toolchain this machine has, with RUSTC_BOOTSTRAP=1 so that it accepts the -Z flags
# cargo-fuzz passes.
FUZZ_CARGO=()
select_fuzz_toolchain() {
    if rustup run nightly rustc --version >/dev/null 2>&1; then
        FUZZ_CARGO=(cargo +nightly)
    else
        echo "ci: no nightly toolchain; fuzzing with $(rustc --version) and RUSTC_BOOTSTRAP=1"
        FUZZ_CARGO=(env RUSTC_BOOTSTRAP=1 cargo)
    fi
}

fuzz_cargo() {
    "${FUZZ_CARGO[@]}" "$@"
}

ensure_cargo_fuzz() {
    if cargo fuzz --version >/dev/null 2>&1; then
        return 0
    fi
    step "install cargo-fuzz"
    cargo install cargo-fuzz --locked
}

run_fmt() {
    step "fmt"
    cargo fmt --all --check
}

run_clippy() {
    step "clippy"
    cargo clippy --workspace --all-targets -- -D warnings
}

run_unit() {
    ensure_test_packages
    step "unit tests"
    cargo test --workspace --all-features
}

run_doc() {
    step "doc"
    RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps
}

run_bench() {
    step "bench (build only)"
    cargo bench --workspace --no-run
}

run_fuzz() {
    local seconds="${1:-$FUZZ_SECONDS_DEFAULT}"
    ensure_cargo_fuzz
    select_fuzz_toolchain
    step "fuzz: seed corpus"
    ./fuzz/seed.sh
    for target in "${FUZZ_TARGETS[@]}"; do
        step "fuzz: $target for ${seconds}s"
        (cd fuzz && fuzz_cargo fuzz run "$target" -- -max_total_time="$seconds")
    done
}

# Later steps: every executable in .ci/steps.d/ runs after the built-in steps of
# `./ci.sh test`, in name order (none yet; namespace interop tests are plain
# `cargo test` tests that run in the unit step).
run_hooks() {
    local hook
    for hook in .ci/steps.d/*; do
        [ -x "$hook" ] || continue
        step "hook: $hook"
        "$hook"
    done
}

run_test() {
    run_fmt
    run_clippy
    run_unit
    run_doc
    run_bench
    run_fuzz "$FUZZ_SECONDS_DEFAULT"
    run_hooks
    step "all steps passed"
}

usage() {
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
}

cmd="${1:-test}"
shift || true
case "$cmd" in
test) run_test ;;
fmt) run_fmt ;;
clippy) run_clippy ;;
unit) run_unit ;;
doc) run_doc ;;
bench) run_bench ;;
fuzz) run_fuzz "$@" ;;
deps)
    ensure_test_packages
    ensure_cargo_fuzz
    ;;
-h | --help | help) usage ;;
*)
    usage >&2
    exit 2
    ;;
esac
