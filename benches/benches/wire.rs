//! The codec's hot paths: decode with checksum verification (everything a receiver does per
//! packet before the state machine) and encode with checksum (per advert sent), for
//! VRRPv2, VRRPv3/IPv4 and VRRPv3/IPv6 with 1 and 16 addresses.
//!
//! Target: at most 25 ns median for each of decode+verify and encode of a VRRPv3/IPv4
//! advert with one address.
//!
//! `cargo bench -p vrrp-benches --bench wire -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use criterion::{criterion_main, BenchmarkId, Criterion, Throughput};
use vrrp_core::wire::{self, AddressList, AdvertRepr, Auth, ChecksumMode, Password, RxMeta};
use vrrp_core::{Centiseconds, Priority, Version, Vrid};

/// One benchmarked advert: its addresses (owned), the IP pair, and its emitted bytes.
struct Case {
    name: &'static str,
    version: Version,
    interval: Centiseconds,
    auth: Auth,
    v4: Vec<Ipv4Addr>,
    v6: Vec<Ipv6Addr>,
    src: IpAddr,
    dst: IpAddr,
}

impl Case {
    fn repr(&self) -> AdvertRepr<'_> {
        AdvertRepr {
            version: self.version,
            vrid: Vrid::new(51).expect("non-zero"),
            priority: Priority(101),
            max_advert_interval: self.interval,
            addresses: if self.v6.is_empty() {
                AddressList::ipv4(&self.v4)
            } else {
                AddressList::ipv6(&self.v6)
            },
            auth: self.auth,
        }
    }

    fn meta(&self) -> RxMeta {
        RxMeta {
            src: self.src,
            dst: self.dst,
            hop_limit: 255,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let repr = self.repr();
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut buf, self.src, self.dst, ChecksumMode::default())
            .expect("benchmark advert emits");
        buf
    }
}

fn cases() -> Vec<(Case, usize)> {
    let src4: IpAddr = Ipv4Addr::new(192, 168, 100, 10).into();
    let src6: IpAddr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0xdc0f, 0x23ff, 0xfec8, 0x9dfb).into();
    let v4 = |n: usize| -> Vec<Ipv4Addr> {
        (0..n)
            .map(|i| Ipv4Addr::new(192, 168, 100, 12 + i as u8))
            .collect()
    };
    let v6 = |n: usize| -> Vec<Ipv6Addr> {
        (0..n)
            .map(|i| Ipv6Addr::new(0xfd00, 0x100, 0, 0, 0, 0, 0, 0x12 + i as u16))
            .collect()
    };
    let mut out = Vec::new();
    for n in [1, 16] {
        out.push((
            Case {
                name: "v2",
                version: Version::V2,
                interval: Centiseconds(100),
                auth: Auth::Simple(Password::new("mynginx").expect("fits")),
                v4: v4(n),
                v6: Vec::new(),
                src: src4,
                dst: wire::VRRP_MULTICAST_V4.into(),
            },
            n,
        ));
        out.push((
            Case {
                name: "v3_ipv4",
                version: Version::V3,
                interval: Centiseconds(10),
                auth: Auth::None,
                v4: v4(n),
                v6: Vec::new(),
                src: src4,
                dst: wire::VRRP_MULTICAST_V4.into(),
            },
            n,
        ));
        out.push((
            Case {
                name: "v3_ipv6",
                version: Version::V3,
                interval: Centiseconds(100),
                auth: Auth::None,
                v4: Vec::new(),
                v6: v6(n),
                src: src6,
                dst: wire::VRRP_MULTICAST_V6.into(),
            },
            n,
        ));
    }
    out
}

fn decode_verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode_verify");
    for (case, n) in cases() {
        let bytes = case.bytes();
        let meta = case.meta();
        // The benchmark measures the success path: make sure it is one.
        assert!(wire::decode(&bytes, &meta).is_ok(), "{} decodes", case.name);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new(case.name, n), &bytes, |b, bytes| {
            b.iter(|| wire::decode(black_box(&bytes[..]), black_box(&meta)))
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for (case, n) in cases() {
        let repr = case.repr();
        let expected = case.bytes();
        let mut buf = [0u8; 512];
        let len = repr
            .emit(&mut buf, case.src, case.dst, ChecksumMode::default())
            .expect("benchmark advert emits");
        assert_eq!(&buf[..len], &expected[..], "{} encodes", case.name);
        group.throughput(Throughput::Bytes(expected.len() as u64));
        group.bench_function(BenchmarkId::new(case.name, n), |b| {
            b.iter(|| {
                black_box(&repr).emit(
                    black_box(&mut buf[..]),
                    black_box(case.src),
                    black_box(case.dst),
                    black_box(ChecksumMode::default()),
                )
            })
        });
    }
    group.finish();
}

/// `criterion_group!` defines an undocumented `pub fn`; keep it in a private module.
mod group {
    use super::{decode_verify, encode};
    criterion::criterion_group!(benches, decode_verify, encode);
}
criterion_main!(group::benches);
