//! decode -> emit -> decode: whatever we accept we can send back, and what we send back
//! decodes to the same advert.
//!
//! Under `cfg(fuzzing)` `verify_checksum` accepts any checksum (so the fuzzer reaches the
//! fields), so the input's checksum may be wrong: compare the decoded adverts, not the
//! bytes. The checksum we emit is checked directly with `compute_checksum`, which is not
//! affected by `cfg(fuzzing)`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vrrp_core::wire::{self, Auth, ChecksumForm, ChecksumMode, Packet, AUTH_DATA_LEN};
use vrrp_core::{Family, Version};

/// The largest VRRP message: 255 IPv6 addresses.
const MAX_LEN: usize = wire::HEADER_LEN + 255 * 16 + AUTH_DATA_LEN;

fuzz_target!(|data: &[u8]| {
    let Some((meta, bytes)) = vrrp_fuzz::split(data) else {
        return;
    };
    let Ok((repr, form)) = wire::decode(bytes, &meta) else {
        return;
    };
    let mode = match form {
        ChecksumForm::V3Ipv4Rfc9568 => ChecksumMode::Rfc9568,
        _ => ChecksumMode::Ipv4PseudoHeader,
    };
    let mut buf = [0u8; MAX_LEN];
    let len = repr
        .emit(&mut buf, meta.src, meta.dst, mode)
        .expect("every decoded advert can be emitted");
    let emitted = &buf[..len];
    assert_eq!(len, bytes.len(), "same version, family and count");

    let (again, _) = wire::decode(emitted, &meta).expect("our own output decodes");
    assert_eq!(again, repr);

    // The emitted checksum is right in the form we meant to send.
    let family = meta.family();
    let packet = Packet::new_checked(emitted, family).expect("length checked");
    let sent_form =
        ChecksumForm::for_sending(repr.version == Version::V3, family == Family::Ipv6, mode);
    assert_eq!(
        packet.compute_checksum(sent_form, meta.src, meta.dst),
        Some(packet.checksum())
    );

    // Only what the protocol says to ignore may change: the checksum, the VRRPv3
    // reserved bits, and VRRPv2 auth data when there is no authentication.
    let normalise = |b: &[u8]| {
        let mut b = b.to_vec();
        b[6..8].fill(0);
        match repr.version {
            Version::V3 => b[4] &= 0x0f,
            Version::V2 if repr.auth == Auth::None => {
                let n = b.len();
                b[n - AUTH_DATA_LEN..].fill(0);
            }
            Version::V2 => {}
        }
        b
    };
    assert_eq!(normalise(emitted), normalise(bytes));

    // Emitting is deterministic.
    let mut buf2 = [0u8; MAX_LEN];
    let len2 = again
        .emit(&mut buf2, meta.src, meta.dst, mode)
        .expect("emit");
    assert_eq!(&buf2[..len2], emitted);
});
