#!/usr/bin/env bash
# Builds fuzz/corpus/<target>/ from the VRRP packets of vrrp-core/tests/data/*.pcap
# (one seed per distinct packet, IP metadata included; see fuzz/src/lib.rs for the format),
# and fuzz/corpus/config/ from the keepalived.conf fixtures, so that a short fuzz run starts
# from every block the reader knows rather than from nothing.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/config
cp ../vrrp-cli/tests/fixtures/*.conf corpus/config/
exec cargo run --quiet --example seed -- ../vrrp-core/tests/data corpus
