#!/usr/bin/env bash
# Builds fuzz/corpus/<target>/ from the VRRP packets of vrrp-core/tests/data/*.pcap
# (one seed per distinct packet, IP metadata included; see fuzz/src/lib.rs for the format).
set -euo pipefail
cd "$(dirname "$0")"
exec cargo run --quiet --example seed -- ../vrrp-core/tests/data corpus
