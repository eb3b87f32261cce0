//! `use_vmac [NAME]` and `vmac_xmit_base`: the instance's macvlan with the virtual MAC.

use vrrp_core::Vrid;

use super::instance::RawInstance;
use super::Parser;
use crate::config::diag::Pos;
use crate::config::model::Vmac;
use crate::config::tree::Stmt;

impl Parser<'_> {
    /// `use_vmac [NAME]`: a name must be a valid interface name; keepalived's optional
    /// MAC address argument is refused (the MAC is the RFC's virtual MAC).
    pub(super) fn instance_use_vmac(&mut self, inst: &mut RawInstance, st: &Stmt) {
        self.no_block(st);
        let kw = st.keyword();
        let mut name = None;
        for arg in st.args() {
            if arg.text.contains(':') {
                self.error(
                    &arg.pos,
                    format!("use_vmac: a MAC address (`{}`) is not supported", arg.text),
                    "remove it: the virtual MAC is 00:00:5e:00:01:VRID (IPv4) or 00:00:5e:00:02:VRID (IPv6), as RFC 9568 section 7.3 says",
                );
            } else if name.is_some() {
                self.error(
                    &arg.pos,
                    format!(
                        "use_vmac takes one interface name; `{}` is one too many",
                        arg.text
                    ),
                    "write `use_vmac` or `use_vmac vrrp.51`",
                );
            } else if let Err(e) = vrrp_io::netlink::validate_ifname(&arg.text) {
                self.error(
                    &arg.pos,
                    format!("use_vmac: {e}"),
                    "write the name of the macvlan to create, e.g. `use_vmac vrrp.51`",
                );
            } else {
                name = Some(arg.text.clone());
            }
        }
        inst.use_vmac = Some((name, kw.pos.clone()));
    }

    /// The instance's macvlan, if `use_vmac`: its name (keepalived's default `vrrp.VRID`)
    /// and whether adverts stay on the base interface. Unicast adverts need the base
    /// interface (keepalived sets `vmac_xmit_base` for them, and so do we, saying so).
    pub(super) fn instance_vmac(
        &mut self,
        use_vmac: &Option<(Option<String>, Pos)>,
        xmit_base: bool,
        unicast: bool,
        instance: &Pos,
        vrid: Vrid,
    ) -> Option<Vmac> {
        let Some((name, pos)) = use_vmac else {
            if xmit_base {
                self.warn(
                    instance,
                    "`vmac_xmit_base` without `use_vmac` does nothing",
                    "add `use_vmac`, or remove `vmac_xmit_base`",
                );
            }
            return None;
        };
        let mut xmit_base = xmit_base;
        if unicast && !xmit_base {
            self.warn(
                pos,
                "use_vmac with unicast peers: adverts go from the instance's own interface (`vmac_xmit_base` implied, as keepalived does)",
                "add `vmac_xmit_base` to say so",
            );
            xmit_base = true;
        }
        Some(Vmac {
            name: name
                .clone()
                .unwrap_or_else(|| format!("vrrp.{}", vrid.get())),
            xmit_base,
        })
    }
}
