//! Carries out the driver's address work: VIPs over rtnetlink, gratuitous ARP and
//! unsolicited NA over packet sockets. The blocking shell runs it on its own thread
//! between adverts; the tokio shell on a dedicated thread, so that netlink never blocks
//! the runtime.

use std::collections::HashMap;

use crate::driver::Action;
use crate::error::{Error, Result};
use crate::netlink::Netlink;
use crate::Announcer;

/// Netlink and one announcer per interface, opened when first needed.
pub(crate) struct AddressWorker {
    netlink: Netlink,
    announcers: HashMap<u32, Announcer>,
}

impl AddressWorker {
    pub fn open() -> Result<Self> {
        Ok(AddressWorker {
            netlink: Netlink::open()?,
            announcers: HashMap::new(),
        })
    }

    /// The netlink handle (for snapshots).
    pub fn netlink(&mut self) -> &mut Netlink {
        &mut self.netlink
    }

    /// Forgets the announcer of an interface that is gone (a re-created interface has a
    /// new index and perhaps a new MAC).
    pub fn forget(&mut self, ifindex: u32) {
        self.announcers.remove(&ifindex);
    }

    /// Carries out one address action; others are ignored. Adding a VIP that is there
    /// and removing one that is not are successes (a restart or retry converges).
    pub fn execute(&mut self, action: &Action) -> Result<()> {
        match action {
            Action::AddVips { ifindex, vips, .. } => vips.iter().try_for_each(|v| {
                self.netlink
                    .add_address_unchecked(
                        *ifindex,
                        v.addr,
                        v.prefix_len,
                        v.label.as_ref().map(|l| l.as_str()),
                    )
                    .map(|_| ())
            }),
            Action::RemoveVips { ifindex, vips, .. } => vips.iter().try_for_each(|v| {
                self.netlink
                    .del_address(*ifindex, v.addr, v.prefix_len)
                    .map(|_| ())
            }),
            Action::Announce {
                ifindex,
                vips,
                count,
                ..
            } => {
                let announcer = match self.announcers.entry(*ifindex) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(Announcer::open(&mut self.netlink, *ifindex)?)
                    }
                };
                let result = (0..*count)
                    .try_for_each(|_| vips.iter().try_for_each(|v| announcer.announce(v.addr)));
                if let Err(Error::Io { source, .. }) = &result {
                    if matches!(source.raw_os_error(), Some(libc::ENODEV | libc::ENXIO)) {
                        self.announcers.remove(ifindex);
                    }
                }
                result
            }
            Action::Send { .. } | Action::Notify(_) => Ok(()),
        }
    }
}
