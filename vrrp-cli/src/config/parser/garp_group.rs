//! `garp_group`: gratuitous ARPs and unsolicited NAs paced across a set of interfaces
//! (one switch), as keepalived reads it.

use super::Parser;
use crate::config::keywords;
use crate::config::model::GarpGroup;
use crate::config::tree::Stmt;

impl Parser<'_> {
    /// A `garp_group { garp_interval S gna_interval S interface IF | interfaces { ... } }`
    /// block. keepalived wants one of `interface` and `interfaces`; an interface in two
    /// groups is an error (which budget would it use?).
    pub(super) fn garp_group(&mut self, st: &Stmt) {
        let kw = st.keyword();
        let Some(block) = self.block(st, "garp_group { garp_interval 0.01 interface eth0 }") else {
            return;
        };
        let mut group = GarpGroup {
            garp_interval: std::time::Duration::ZERO,
            gna_interval: std::time::Duration::ZERO,
            interfaces: Vec::new(),
            location: kw.pos.location(),
        };
        for inner in &block.stmts {
            let ikw = inner.keyword();
            match ikw.text.as_str() {
                "garp_interval" => {
                    if let Some(d) = self.duration(inner, 1, "garp_interval 0.01") {
                        group.garp_interval = d;
                    }
                }
                "gna_interval" => {
                    if let Some(d) = self.duration(inner, 1, "gna_interval 0.01") {
                        group.gna_interval = d;
                    }
                }
                "interface" => {
                    if let Some(v) = self.one_arg(inner, "an interface name", "interface eth0") {
                        let name = v.text.clone();
                        self.garp_group_interface(&mut group, name, &v.pos);
                    }
                }
                "interfaces" => {
                    if let Some(b) = self.block(inner, "interfaces { eth0 eth1 }") {
                        for w in b.stmts.iter().flat_map(|s| s.words.iter()) {
                            self.garp_group_interface(&mut group, w.text.clone(), &w.pos);
                        }
                    }
                }
                _ => self.unknown(ikw, "garp_group", &[keywords::GARP_GROUP_SUPPORTED]),
            }
        }
        if group.interfaces.is_empty() {
            self.error(
                &kw.pos,
                "garp_group names no interface",
                "add `interface eth0` or `interfaces { eth0 eth1 }`",
            );
            return;
        }
        self.garp_groups.push(group);
    }

    fn garp_group_interface(
        &mut self,
        group: &mut GarpGroup,
        name: String,
        pos: &crate::config::diag::Pos,
    ) {
        if let Err(e) = vrrp_io::netlink::validate_ifname(&name) {
            self.error(
                pos,
                format!("garp_group: {e}"),
                "write the name `ip link` shows",
            );
            return;
        }
        let taken = self
            .garp_groups
            .iter()
            .any(|g| g.interfaces.contains(&name))
            || group.interfaces.contains(&name);
        if taken {
            self.error(
                pos,
                format!("interface {name} is already in a garp_group"),
                "an interface can be in one garp_group only",
            );
            return;
        }
        group.interfaces.push(name);
    }
}
