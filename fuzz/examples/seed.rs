//! Builds the seed corpus of every fuzz target from the captured vectors:
//! one file per distinct VRRP message (with its IP metadata, in the format of
//! `vrrp_fuzz::split`) in `<out>/<target>/`.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seed -- vrrp-core/tests/data fuzz/corpus`
//! (what `fuzz/seed.sh` runs).

#[path = "../../vrrp-core/tests/common/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

const TARGETS: [&str; 2] = ["decode", "roundtrip"];

fn main() {
    let mut args = std::env::args_os().skip(1);
    let (Some(data), Some(out)) = (args.next(), args.next()) else {
        eprintln!("usage: seed <tests/data dir> <corpus dir>");
        std::process::exit(2);
    };
    let data = PathBuf::from(data);
    let out = PathBuf::from(out);

    let mut pcaps: Vec<PathBuf> = std::fs::read_dir(&data)
        .unwrap_or_else(|e| panic!("{}: {e}", data.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    pcaps.sort();

    let mut seeds = BTreeSet::new();
    for pcap in &pcaps {
        for frame in common::read_capture(pcap).vrrp {
            seeds.insert(vrrp_fuzz::join(&frame.meta(), &frame.payload));
        }
    }
    assert!(!seeds.is_empty(), "no VRRP packets in {}", data.display());

    for target in TARGETS {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for (i, seed) in seeds.iter().enumerate() {
            let path = dir.join(format!("vector-{i:03}"));
            std::fs::write(&path, seed).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
    println!(
        "{} seeds from {} captures into {}/{{{}}}",
        seeds.len(),
        pcaps.len(),
        out.display(),
        TARGETS.join(",")
    );
}
