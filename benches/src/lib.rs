//! Criterion benchmarks for vrrp-core live in `benches/`.
