//! keepalived's strict mode (`vrrp_strict` in global_defs, `strict_mode` in an
//! instance): what it refuses or drops beyond accept mode off and no authentication
//! (those are in resolve).

use std::time::Duration;

use vrrp_core::{Priority, Version};

use super::instance::RawInstance;
use super::Parser;
use crate::config::model::InitialState;

impl Parser<'_> {
    /// keepalived's strict mode (`vrrp_strict` / `strict_mode`), beyond accept mode off
    /// and no authentication (see resolve): unicast peers are an error; `preempt_delay`,
    /// `state MASTER` without priority 255, `accept` with VRRPv2 and `vmac_xmit_base` are
    /// dropped with a warning, as keepalived does.
    pub(super) fn apply_strict(&mut self, mut raw: RawInstance, version: Version) -> RawInstance {
        const WHY: &str = "remove it, or strict mode (`vrrp_strict` / `strict_mode`)";
        if let Some((_, pos)) = raw.unicast_peers.first() {
            self.error(
                pos,
                "unicast peers are not allowed in strict mode (RFC adverts are multicast), as in keepalived",
                "remove the unicast peers, or strict mode (`vrrp_strict` / `strict_mode`)",
            );
        }
        if !raw.preempt_delay.is_zero() {
            self.warn(
                &raw.pos,
                "preempt_delay is ignored in strict mode (not in the RFC), as keepalived does",
                WHY,
            );
            raw.preempt_delay = Duration::ZERO;
        }
        if raw.state == Some(InitialState::Master) && raw.priority != Some(Priority::OWNER) {
            let pos = raw.state_pos.clone().unwrap_or_else(|| raw.pos.clone());
            self.warn(
                &pos,
                "state MASTER without priority 255 is read as BACKUP in strict mode, as keepalived does",
                WHY,
            );
            raw.state = Some(InitialState::Backup);
        }
        if version == Version::V2 && raw.accept == Some(true) {
            self.warn(
                &raw.pos,
                "`accept` is ignored for VRRPv2 in strict mode (RFC 3768 has no accept mode): traffic to the VIPs is dropped",
                WHY,
            );
            raw.accept = Some(false);
        }
        if raw.vmac_xmit_base {
            self.warn(
                &raw.pos,
                "`vmac_xmit_base` is ignored in strict mode: adverts go from the macvlan, as keepalived does",
                WHY,
            );
            raw.vmac_xmit_base = false;
        }
        raw
    }
}
