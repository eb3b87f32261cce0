//! Arbitrary bytes and IP metadata through everything a receiver calls: `decode`, the
//! `Packet` view and its accessors, checksum verification in every form, `parse`,
//! `Auth::verify`, and `Display`. Nothing may panic.
#![no_main]

use std::fmt::Write;

use libfuzzer_sys::fuzz_target;
use vrrp_core::wire::{self, AdvertRepr, Auth, ChecksumForm, Packet, Password};
use vrrp_core::Family;

const FORMS: [ChecksumForm; 5] = [
    ChecksumForm::V2,
    ChecksumForm::V3Ipv6,
    ChecksumForm::V3Ipv4PseudoHeader,
    ChecksumForm::V3Ipv4Rfc9568,
    ChecksumForm::V3Ipv4PseudoHeaderMulticastDst,
];

fuzz_target!(|data: &[u8]| {
    let Some((meta, bytes)) = vrrp_fuzz::split(data) else {
        return;
    };
    let mut text = String::new();

    match wire::decode(bytes, &meta) {
        Ok((repr, form)) => {
            write!(text, "{repr} {form}").unwrap();
            assert_eq!(repr.buffer_len(), bytes.len());
            assert_eq!(repr.addresses.iter().count(), repr.addresses.len());
        }
        Err(e) => {
            write!(text, "{e}").unwrap();
            assert!(!e.counter_name().is_empty());
        }
    }

    for family in [Family::Ipv4, Family::Ipv6] {
        // parse re-checks the length, so even an unchecked view is safe to parse.
        let unchecked = Packet::new_unchecked(bytes, family);
        let parsed = AdvertRepr::parse(&unchecked);
        let Ok(packet) = Packet::new_checked(bytes, family) else {
            assert!(parsed.is_err());
            continue;
        };
        let _ = (
            packet.version(),
            packet.version_number(),
            packet.kind(),
            packet.vrid(),
            packet.priority(),
            packet.count(),
            packet.v2_auth_type(),
            packet.v2_adver_int(),
            packet.v3_reserved(),
            packet.v3_max_adver_interval(),
            packet.checksum(),
            packet.v2_auth_data(),
            packet.address_bytes(),
            packet.family(),
        );
        for i in 0..=usize::from(packet.count()) {
            let _ = (packet.ipv4_address(i), packet.ipv6_address(i));
        }
        let _ = packet.verify_checksum(meta.src, meta.dst);
        for form in FORMS {
            let _ = packet.compute_checksum(form, meta.src, meta.dst);
        }
        let _ = Auth::None.verify(&packet);
        if let Some(password) = Password::from_slice(bytes.get(..8).unwrap_or(&[])) {
            let _ = Auth::Simple(password).verify(&packet);
        }
        match parsed {
            Ok(repr) => {
                write!(text, "{repr} {repr:?}").unwrap();
                for i in 0..=repr.addresses.len() {
                    let _ = repr.addresses.get(i);
                }
            }
            Err(e) => write!(text, "{e} {e:?}").unwrap(),
        }
    }
    std::hint::black_box(text);
});
