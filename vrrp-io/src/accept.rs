//! Accept mode (RFC 9568 section 6.1): nftables rules that drop traffic to the VIPs of a
//! non-owner master.
//!
//! A master that does not own its VIPs and has `Accept_Mode` False must not accept packets
//! addressed to them (RFC 9568 section 6.4.3); the kernel would, since the VIPs are
//! ordinary addresses of the interface. [`AcceptFilter`] makes it drop them, as
//! keepalived does for `no_accept` / `vrrp_strict` with its `nftables` option: one
//! nftables table of our own, created on the first [`AcceptFilter::block`] and removed by
//! [`AcceptFilter::clear`]; no other table is read or changed.
//!
//! # The ruleset
//!
//! The table (family `inet`, name [`DEFAULT_TABLE_NAME`] unless configured) is installed
//! whole, with the current addresses, by each change:
//!
//! ```text
//! table inet vrrp_no_accept {
//!     set vips4 { type ipv4_addr; elements = { 192.0.2.100 } }
//!     set vips6 { type ipv6_addr; elements = { 2001:db8::100 } }
//!     set vips6_link_local { type ipv6_addr . ifname; elements = { fe80::100 . "eth0" } }
//!     chain in {
//!         type filter hook input priority -1; policy accept;
//!         icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
//!         ip daddr @vips4 drop
//!         ip6 daddr fe80::/10 goto in_link_local
//!         ip6 daddr @vips6 drop
//!     }
//!     chain in_link_local { ip6 daddr . iifname @vips6_link_local drop }
//!     chain out {
//!         type filter hook output priority -1; policy accept;
//!         icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report,
//!                       mld-listener-done, mld2-listener-report } accept
//!         ip saddr @vips4 drop
//!         ip6 saddr fe80::/10 goto out_link_local
//!         ip6 saddr @vips6 drop
//!     }
//!     chain out_link_local { ip6 saddr . oifname @vips6_link_local drop }
//! }
//! ```
//!
//! - Priority -1 runs the chains just before the usual `filter` chains (priority 0), as
//!   keepalived's do; a drop in any base chain is final, so other tables cannot undo it.
//! - Output from a VIP is dropped too: with incoming traffic dropped, nothing sent from a
//!   VIP could get an answer.
//! - Neighbour solicitations and advertisements pass both ways, as in keepalived: RFC 9568
//!   section 6.1 says they "MUST NOT be dropped when Accept_Mode is False", because the
//!   master must answer for the VIP (unicast NUD probes arrive *to* the VIP, the answers
//!   leave *from* it) or hosts could not reach their gateway. ARP is not IP and never
//!   meets these chains.
//! - MLD reports pass on output (keepalived has no such rule): Linux sends them from the
//!   interface's oldest link-local address, which is the VIP when it is the only one
//!   (an interface with `addrgenmode none`). Dropping them would let MLD-snooping
//!   switches forget the master's groups, the VIP's solicited-node group among them.
//! - A link-local VIP (`fe80::/10`) belongs to one link: the same `fe80::1` may be a VIP
//!   on several interfaces, blocked on one and not on another. Link-local VIPs are
//!   therefore matched together with the interface, as keepalived does; other VIPs are
//!   dropped whatever the interface (Linux accepts any local address on any interface).
//!
//! # The `nft` program
//!
//! The rules are applied by running `nft -f -` with the script on stdin (one atomic
//! nftables transaction per change), killed after [`NFT_TIMEOUT`]. A host without `nft`
//! gets [`Error::NftMissing`] on the first `block`; a configuration that never blocks
//! never runs `nft`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::netlink::validate_ifname;

/// The name of our nftables table unless configured otherwise. Two daemons in one
/// network namespace need two names, or one would remove the other's rules.
pub const DEFAULT_TABLE_NAME: &str = "vrrp_no_accept";

/// How long one `nft` run may take before it is killed. nft normally needs a few
/// milliseconds; a hung one must not stall the event loop for long.
pub const NFT_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest table name the kernel takes (`NFT_NAME_MAXLEN` less the NUL).
const TABLE_NAME_MAX: usize = 255;

/// Where `nft` is looked for when it is not in `PATH` (a daemon started with a short
/// `PATH` should still find it).
const NFT_FALLBACK_DIRS: [&str; 2] = ["/usr/sbin", "/sbin"];

/// The name of our nftables table (family `inet`): ASCII letters, digits, `_` and `-`,
/// starting with a letter, at most 255 bytes.
///
/// nft also refuses its own keywords (such as `drop` or `table`) as names; such a name
/// passes here and fails at the first [`AcceptFilter::block`] with [`Error::Nft`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableName(String);

impl TableName {
    /// Checks `name`; [`Error::InvalidNftTableName`] says what is wrong with it.
    pub fn new(name: &str) -> Result<Self> {
        let reason = if name.is_empty() {
            "empty"
        } else if name.len() > TABLE_NAME_MAX {
            "longer than 255 bytes"
        } else if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            "does not start with an ASCII letter"
        } else if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            "contains a character other than ASCII letters, digits, '_' and '-'"
        } else {
            return Ok(TableName(name.to_owned()));
        };
        Err(Error::InvalidNftTableName {
            name: name.to_owned(),
            reason,
        })
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for TableName {
    /// [`DEFAULT_TABLE_NAME`].
    fn default() -> Self {
        TableName(DEFAULT_TABLE_NAME.to_owned())
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Drops traffic to and from blocked VIPs with an nftables table of our own.
///
/// Every address has a count of outstanding blocks: when two routers block the same
/// address, it stays blocked until both have unblocked it. So each `block` must be
/// paired with one `unblock` of the same addresses on the same interface. The counts
/// follow the calls even when `nft` fails (the error is returned and the next call
/// retries), so a failed `block` must still be paired.
///
/// `nft` is run as a child of the calling thread and acts in that thread's network
/// namespace; call every method from threads in the same namespace. Nothing is removed
/// on drop (the dropping thread may be in another namespace): call [`AcceptFilter::clear`]
/// at shutdown, and [`AcceptFilter::remove_stale`] at start-up for a crashed run's table.
///
/// ```no_run
/// # fn main() -> vrrp_io::Result<()> {
/// use vrrp_io::accept::{AcceptFilter, TableName};
///
/// let mut filter = AcceptFilter::new(TableName::default());
/// AcceptFilter::remove_stale(filter.table())?;
/// let vips = ["192.0.2.100".parse().unwrap(), "fe80::100".parse().unwrap()];
/// filter.block("eth0", &vips)?; // became master, not the owner, accept mode off
/// filter.unblock("eth0", &vips)?; // left master
/// filter.clear()?; // shutting down
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AcceptFilter {
    table: TableName,
    blocked: Blocklist,
    /// True once a script that creates our table has run, until a removal succeeded.
    table_may_exist: bool,
    /// False after a failed `nft` run: the kernel may not match `blocked`.
    in_sync: bool,
}

impl AcceptFilter {
    /// A filter that will use the table `table`. Touches nothing until the first
    /// [`AcceptFilter::block`].
    pub fn new(table: TableName) -> Self {
        AcceptFilter {
            table,
            blocked: Blocklist::default(),
            table_may_exist: false,
            in_sync: true,
        }
    }

    /// Our table's name.
    pub fn table(&self) -> &TableName {
        &self.table
    }

    /// Drops packets to (and from) `addrs`, VIPs on the interface `ifname`. Creates our
    /// table if it does not exist. Blocking an address again adds to its count.
    ///
    /// Errors: [`Error::InvalidInterfaceName`] (nothing counted then),
    /// [`Error::NftMissing`], [`Error::NeedsCapNetAdmin`], [`Error::Nft`],
    /// [`Error::NftTimeout`], [`Error::Io`].
    pub fn block(&mut self, ifname: &str, addrs: &[IpAddr]) -> Result<()> {
        let entries = entries(ifname, addrs)?;
        let changed = self.blocked.add(&entries);
        self.sync_if(changed, "block VIPs")
    }

    /// Takes back one block of each of `addrs` on `ifname`; an address is let through
    /// again when its count reaches zero, and the table is removed when nothing is left
    /// blocked. Addresses that are not blocked are ignored.
    ///
    /// Errors: as [`AcceptFilter::block`].
    pub fn unblock(&mut self, ifname: &str, addrs: &[IpAddr]) -> Result<()> {
        let entries = entries(ifname, addrs)?;
        let changed = self.blocked.remove(&entries);
        self.sync_if(changed, "unblock VIPs")
    }

    /// True while `addr` on `ifname` has an outstanding block (as far as this filter
    /// knows; see [`AcceptFilter::block`] for failed calls).
    pub fn is_blocked(&self, ifname: &str, addr: IpAddr) -> bool {
        self.blocked.contains(&Entry::new(ifname, addr))
    }

    /// Forgets every block and removes our table, if this filter created it. For
    /// shutdown.
    ///
    /// Errors: as [`AcceptFilter::block`] (the blocks are forgotten anyway).
    pub fn clear(&mut self) -> Result<()> {
        self.blocked = Blocklist::default();
        self.sync_if(true, "remove the accept-mode table")
    }

    /// Removes the table `table` if it exists, e.g. left by a run that crashed while
    /// blocking; true if it did. For start-up, before the first `block`. Without `nft`
    /// installed this is `Ok(false)`: no run of ours could have made the table then, and
    /// a configuration that never blocks must not need `nft`.
    ///
    /// Errors: as [`AcceptFilter::block`], but never [`Error::NftMissing`].
    pub fn remove_stale(table: &TableName) -> Result<bool> {
        let what = "remove a leftover accept-mode table";
        let listed = match nft(what, table, &["list", "tables", "inet"], "") {
            Err(Error::NftMissing { .. }) => return Ok(false),
            listed => listed?,
        };
        let ours = format!("table inet {table}");
        if !listed.lines().any(|line| line.trim() == ours) {
            return Ok(false);
        }
        nft(what, table, &["-f", "-"], &remove_script(table))?;
        Ok(true)
    }

    /// Brings the kernel in line with `blocked` if it changed or an earlier run failed.
    fn sync_if(&mut self, changed: bool, what: &'static str) -> Result<()> {
        if !changed && self.in_sync {
            return Ok(());
        }
        self.in_sync = false;
        if self.blocked.is_empty() {
            if self.table_may_exist {
                nft(what, &self.table, &["-f", "-"], &remove_script(&self.table))?;
                self.table_may_exist = false;
            }
        } else {
            self.table_may_exist = true;
            let script = install_script(&self.table, &self.blocked);
            nft(what, &self.table, &["-f", "-"], &script)?;
        }
        self.in_sync = true;
        Ok(())
    }
}

/// One blocked address as the rules match it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Entry {
    V4(Ipv4Addr),
    V6(Ipv6Addr),
    /// Link-local: only meaningful together with its interface.
    V6LinkLocal {
        addr: Ipv6Addr,
        ifname: String,
    },
}

impl Entry {
    fn new(ifname: &str, addr: IpAddr) -> Entry {
        match addr {
            IpAddr::V4(v4) => Entry::V4(v4),
            IpAddr::V6(v6) if is_link_local(v6) => Entry::V6LinkLocal {
                addr: v6,
                ifname: ifname.to_owned(),
            },
            IpAddr::V6(v6) => Entry::V6(v6),
        }
    }
}

fn is_link_local(addr: Ipv6Addr) -> bool {
    addr.segments()[0] & 0xffc0 == 0xfe80
}

/// The distinct entries of one call, after checking that `ifname` can be written into
/// an nft script.
fn entries(ifname: &str, addrs: &[IpAddr]) -> Result<BTreeSet<Entry>> {
    validate_ifname(ifname)?;
    // The kernel allows quotes and backslashes in names; nft cannot quote them.
    if !ifname
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    {
        return Err(Error::InvalidInterfaceName {
            name: ifname.to_owned(),
            reason: "contains a quote, a backslash or a non-ASCII character, which nft \
                     cannot match",
        });
    }
    Ok(addrs.iter().map(|&addr| Entry::new(ifname, addr)).collect())
}

/// Outstanding blocks per entry; entries with none are absent.
#[derive(Debug, Default)]
struct Blocklist {
    counts: BTreeMap<Entry, usize>,
}

impl Blocklist {
    /// Counts one block of each entry; true if an entry was new.
    fn add(&mut self, entries: &BTreeSet<Entry>) -> bool {
        let mut changed = false;
        for entry in entries {
            let count = self.counts.entry(entry.clone()).or_insert(0);
            changed |= *count == 0;
            *count += 1;
        }
        changed
    }

    /// Takes back one block of each entry; true if an entry reached zero.
    fn remove(&mut self, entries: &BTreeSet<Entry>) -> bool {
        let mut changed = false;
        for entry in entries {
            if let Some(count) = self.counts.get_mut(entry) {
                *count -= 1;
                if *count == 0 {
                    self.counts.remove(entry);
                    changed = true;
                }
            }
        }
        changed
    }

    fn contains(&self, entry: &Entry) -> bool {
        self.counts.contains_key(entry)
    }

    fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.counts.keys()
    }
}

/// The ICMPv6 types that pass both chains (see the module documentation).
const ND_TYPES: &str = "nd-neighbor-solicit, nd-neighbor-advert";
/// The ICMPv6 types that also pass the output chain.
const MLD_REPORT_TYPES: &str = "mld-listener-report, mld-listener-done, mld2-listener-report";

/// The script that (re)creates our table with `blocked` in its sets. "add, delete, then
/// define" replaces the table in one transaction whether or not it existed, and repairs
/// anything changed in it meanwhile.
fn install_script(table: &TableName, blocked: &Blocklist) -> String {
    let (mut v4, mut v6, mut link_local) = (Vec::new(), Vec::new(), Vec::new());
    for entry in blocked.entries() {
        match entry {
            Entry::V4(addr) => v4.push(addr.to_string()),
            Entry::V6(addr) => v6.push(addr.to_string()),
            Entry::V6LinkLocal { addr, ifname } => {
                link_local.push(format!("{addr} . \"{ifname}\""))
            }
        }
    }
    let mut script = remove_script(table);
    script.push_str(&format!("table inet {table} {{\n"));
    script.push_str(&set("vips4", "ipv4_addr", &v4));
    script.push_str(&set("vips6", "ipv6_addr", &v6));
    script.push_str(&set("vips6_link_local", "ipv6_addr . ifname", &link_local));
    script.push_str(&format!(
        "\tchain in {{\n\
         \t\ttype filter hook input priority -1; policy accept;\n\
         \t\ticmpv6 type {{ {ND_TYPES} }} accept\n\
         \t\tip daddr @vips4 drop\n\
         \t\tip6 daddr fe80::/10 goto in_link_local\n\
         \t\tip6 daddr @vips6 drop\n\
         \t}}\n\
         \tchain in_link_local {{\n\
         \t\tip6 daddr . iifname @vips6_link_local drop\n\
         \t}}\n\
         \tchain out {{\n\
         \t\ttype filter hook output priority -1; policy accept;\n\
         \t\ticmpv6 type {{ {ND_TYPES}, {MLD_REPORT_TYPES} }} accept\n\
         \t\tip saddr @vips4 drop\n\
         \t\tip6 saddr fe80::/10 goto out_link_local\n\
         \t\tip6 saddr @vips6 drop\n\
         \t}}\n\
         \tchain out_link_local {{\n\
         \t\tip6 saddr . oifname @vips6_link_local drop\n\
         \t}}\n\
         }}\n"
    ));
    script
}

/// One named set; nft refuses an empty `elements` list, so an empty set has none.
fn set(name: &str, key_type: &str, elements: &[String]) -> String {
    let mut text = format!("\tset {name} {{\n\t\ttype {key_type}\n");
    if !elements.is_empty() {
        text.push_str(&format!("\t\telements = {{ {} }}\n", elements.join(", ")));
    }
    text.push_str("\t}\n");
    text
}

/// Removes our table whether or not it exists ("add" is a no-op for an existing table;
/// `destroy` would say this directly but needs nft 1.0.8 and Linux 6.3).
fn remove_script(table: &TableName) -> String {
    format!("add table inet {table}\ndelete table inet {table}\n")
}

/// Runs `nft ARGS` with `input` on stdin and returns its stdout.
fn nft(what: &'static str, table: &TableName, args: &[&str], input: &str) -> Result<String> {
    let program = find_nft().ok_or(Error::NftMissing { what })?;
    match run_bounded(&program, args, input, NFT_TIMEOUT) {
        Ok(done) if done.status.success() => Ok(done.stdout),
        // LC_ALL=C keeps this text in English.
        Ok(done) if done.stderr.contains("Operation not permitted") => {
            Err(Error::NeedsCapNetAdmin { what })
        }
        Ok(done) => Err(Error::Nft {
            what,
            table: table.to_string(),
            status: done.status,
            stderr: done.stderr.trim().to_owned(),
        }),
        Err(RunError::NotFound) => Err(Error::NftMissing { what }),
        Err(RunError::TimedOut) => Err(Error::NftTimeout {
            what,
            table: table.to_string(),
            timeout: NFT_TIMEOUT,
        }),
        Err(RunError::Io { what, source }) => Err(Error::Io { what, source }),
    }
}

/// The first executable `nft` in `PATH`, then in [`NFT_FALLBACK_DIRS`].
fn find_nft() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(NFT_FALLBACK_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join("nft"))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What a finished child left.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Why a bounded run did not finish.
#[derive(Debug)]
enum RunError {
    NotFound,
    TimedOut,
    Io {
        what: &'static str,
        source: io::Error,
    },
}

/// Runs `program ARGS` with `input` on stdin, killing it after `timeout`. Helper
/// threads feed stdin and drain stdout and stderr, so that neither a large script nor
/// a chatty program can block the wait.
fn run_bounded(
    program: &Path,
    args: &[&str],
    input: &str,
    timeout: Duration,
) -> Result<Finished, RunError> {
    let mut child = Command::new(program)
        .args(args)
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => RunError::NotFound,
            _ => RunError::Io {
                what: "start nft",
                source,
            },
        })?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    std::thread::scope(|scope| {
        let writer = spawn_helper(scope, move || {
            if let Some(mut pipe) = stdin {
                // A child that exits without reading all of it has its own error to report.
                let _ = pipe.write_all(input.as_bytes());
            }
            String::new()
        });
        let out = spawn_helper(scope, move || read_all(stdout));
        let err = spawn_helper(scope, move || read_all(stderr));
        let (writer, out, err) = match (writer, out, err) {
            (Ok(writer), Ok(out), Ok(err)) => (writer, out, err),
            (Err(source), _, _) | (_, Err(source), _) | (_, _, Err(source)) => {
                // Killing the child closes its pipes, so the helpers that did start end.
                kill(&mut child);
                return Err(RunError::Io {
                    what: "start a thread to talk to nft",
                    source,
                });
            }
        };
        let status = wait_bounded(&mut child, timeout)?;
        // The pipes are closed now that the child has exited, so the helpers finish.
        let _ = writer.join();
        Ok(Finished {
            status,
            stdout: out.join().unwrap_or_default(),
            stderr: err.join().unwrap_or_default(),
        })
    })
}

fn spawn_helper<'scope, F>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    f: F,
) -> io::Result<std::thread::ScopedJoinHandle<'scope, String>>
where
    F: FnOnce() -> String + Send + 'scope,
{
    std::thread::Builder::new()
        .name("nft-pipe".into())
        .spawn_scoped(scope, f)
}

fn read_all(pipe: Option<impl Read>) -> String {
    let mut bytes = Vec::new();
    if let Some(mut pipe) = pipe {
        // A read error just ends the text; the exit status still tells what happened.
        let _ = pipe.read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Waits for `child` to exit, for at most `timeout`; kills it after that.
fn wait_bounded(child: &mut Child, timeout: Duration) -> Result<ExitStatus, RunError> {
    let deadline = Instant::now() + timeout;
    // nft usually exits within milliseconds: poll often at first, then less.
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                kill(child);
                return Err(RunError::TimedOut);
            }
            Ok(None) => {
                std::thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Err(source) => {
                kill(child);
                return Err(RunError::Io {
                    what: "wait for nft",
                    source,
                });
            }
        }
    }
}

/// Kills and reaps `child`; errors mean it is already gone.
fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an IP address")
    }

    #[test]
    fn table_names_are_checked() {
        assert_eq!(TableName::default().as_str(), DEFAULT_TABLE_NAME);
        assert!(TableName::new(DEFAULT_TABLE_NAME).is_ok());
        assert!(TableName::new("vrrp-2_b").is_ok());
        for (bad, reason) in [
            ("", "empty"),
            ("1vrrp", "does not start with an ASCII letter"),
            ("vrrp x", "contains a character"),
            ("vrrp\"; flush ruleset", "contains a character"),
        ] {
            match TableName::new(bad) {
                Err(Error::InvalidNftTableName { name, reason: r }) => {
                    assert_eq!(name, bad);
                    assert!(r.starts_with(reason), "{bad:?}: {r}");
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        assert!(TableName::new(&"a".repeat(256)).is_err());
    }

    #[test]
    fn interface_names_that_nft_cannot_quote_are_refused() {
        for bad in ["eth\"0", "eth\\0", "eth 0", ""] {
            assert!(
                matches!(
                    entries(bad, &[ip("192.0.2.1")]),
                    Err(Error::InvalidInterfaceName { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn link_local_vips_are_matched_with_their_interface() {
        let got = entries("eth0", &[ip("fe80::1"), ip("2001:db8::1"), ip("192.0.2.1")]).unwrap();
        let want: BTreeSet<Entry> = [
            Entry::V4("192.0.2.1".parse().unwrap()),
            Entry::V6("2001:db8::1".parse().unwrap()),
            Entry::V6LinkLocal {
                addr: "fe80::1".parse().unwrap(),
                ifname: "eth0".into(),
            },
        ]
        .into();
        assert_eq!(got, want);
        assert!(is_link_local("febf::1".parse().unwrap()));
        assert!(!is_link_local("fec0::1".parse().unwrap()));
    }

    #[test]
    fn an_address_blocked_twice_stays_blocked_until_unblocked_twice() {
        let mut list = Blocklist::default();
        let vip = entries("eth0", &[ip("192.0.2.1")]).unwrap();
        assert!(list.add(&vip), "first block changes the rules");
        assert!(!list.add(&vip), "second block only counts");
        assert!(!list.remove(&vip), "one unblock leaves it blocked");
        assert!(list.contains(&Entry::new("eth0", ip("192.0.2.1"))));
        assert!(list.remove(&vip), "second unblock opens it");
        assert!(list.is_empty());
        assert!(!list.remove(&vip), "unblocking again is a no-op");
    }

    #[test]
    fn an_address_listed_twice_in_one_call_counts_once() {
        let mut list = Blocklist::default();
        let twice = entries("eth0", &[ip("192.0.2.1"), ip("192.0.2.1")]).unwrap();
        list.add(&twice);
        assert!(list.remove(&twice));
    }

    #[test]
    fn the_same_link_local_vip_on_two_interfaces_is_two_entries() {
        let mut list = Blocklist::default();
        list.add(&entries("eth0", &[ip("fe80::1")]).unwrap());
        assert!(list.add(&entries("eth1", &[ip("fe80::1")]).unwrap()));
        assert!(list.remove(&entries("eth0", &[ip("fe80::1")]).unwrap()));
        assert!(list.contains(&Entry::new("eth1", ip("fe80::1"))));
        assert!(!list.contains(&Entry::new("eth0", ip("fe80::1"))));
    }

    #[test]
    fn install_script_is_the_documented_ruleset() {
        let mut list = Blocklist::default();
        list.add(&entries("va", &[ip("192.0.2.100"), ip("fd00::100"), ip("fe80::100")]).unwrap());
        list.add(&entries("va", &[ip("192.0.2.101")]).unwrap());
        let table = TableName::new("t").unwrap();
        assert_eq!(
            install_script(&table, &list),
            "add table inet t\n\
             delete table inet t\n\
             table inet t {\n\
             \tset vips4 {\n\
             \t\ttype ipv4_addr\n\
             \t\telements = { 192.0.2.100, 192.0.2.101 }\n\
             \t}\n\
             \tset vips6 {\n\
             \t\ttype ipv6_addr\n\
             \t\telements = { fd00::100 }\n\
             \t}\n\
             \tset vips6_link_local {\n\
             \t\ttype ipv6_addr . ifname\n\
             \t\telements = { fe80::100 . \"va\" }\n\
             \t}\n\
             \tchain in {\n\
             \t\ttype filter hook input priority -1; policy accept;\n\
             \t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n\
             \t\tip daddr @vips4 drop\n\
             \t\tip6 daddr fe80::/10 goto in_link_local\n\
             \t\tip6 daddr @vips6 drop\n\
             \t}\n\
             \tchain in_link_local {\n\
             \t\tip6 daddr . iifname @vips6_link_local drop\n\
             \t}\n\
             \tchain out {\n\
             \t\ttype filter hook output priority -1; policy accept;\n\
             \t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, \
             mld-listener-done, mld2-listener-report } accept\n\
             \t\tip saddr @vips4 drop\n\
             \t\tip6 saddr fe80::/10 goto out_link_local\n\
             \t\tip6 saddr @vips6 drop\n\
             \t}\n\
             \tchain out_link_local {\n\
             \t\tip6 saddr . oifname @vips6_link_local drop\n\
             \t}\n\
             }\n"
        );
    }

    #[test]
    fn empty_sets_have_no_elements_line() {
        assert_eq!(
            set("vips4", "ipv4_addr", &[]),
            "\tset vips4 {\n\t\ttype ipv4_addr\n\t}\n"
        );
    }

    #[test]
    fn a_filter_that_never_blocked_runs_nothing() {
        // No nft is needed for this: nothing was ever installed.
        let mut filter = AcceptFilter::new(TableName::default());
        filter.unblock("eth0", &[ip("192.0.2.1")]).unwrap();
        filter.clear().unwrap();
        assert!(!filter.is_blocked("eth0", ip("192.0.2.1")));
    }

    #[test]
    fn a_missing_program_is_not_found() {
        let got = run_bounded(Path::new("/nonexistent/nft"), &[], "", NFT_TIMEOUT);
        assert!(matches!(got, Err(RunError::NotFound)), "{:?}", got.err());
    }

    #[test]
    fn input_goes_to_stdin_and_output_comes_back() {
        let done = run_bounded(Path::new("/bin/cat"), &[], "table inet t {}\n", NFT_TIMEOUT)
            .unwrap_or_else(|e| panic!("cat: {e:?}"));
        assert!(done.status.success());
        assert_eq!(done.stdout, "table inet t {}\n");
        // Larger than a pipe buffer: the helper threads keep both sides moving.
        let big = "x".repeat(1 << 20);
        let done = run_bounded(Path::new("/bin/cat"), &[], &big, NFT_TIMEOUT)
            .unwrap_or_else(|e| panic!("cat: {e:?}"));
        assert_eq!(done.stdout.len(), big.len());
    }

    #[test]
    fn a_hung_program_is_killed_after_the_timeout() {
        let start = Instant::now();
        let got = run_bounded(
            Path::new("/bin/sleep"),
            &["10"],
            "",
            Duration::from_millis(200),
        );
        assert!(matches!(got, Err(RunError::TimedOut)), "{:?}", got.err());
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn nft_errors_say_what_where_and_what_to_do() {
        let e = Error::NftMissing { what: "block VIPs" };
        let text = e.to_string();
        assert!(
            text.starts_with("block VIPs: the nft program was not found"),
            "{text}"
        );
        assert!(text.contains("install nftables"), "{text}");
        let e = Error::NftTimeout {
            what: "block VIPs",
            table: "vrrp_no_accept".into(),
            timeout: Duration::from_secs(5),
        };
        assert_eq!(
            e.to_string(),
            "block VIPs (nftables table inet vrrp_no_accept): nft did not finish within 5s; \
             killed it"
        );
    }
}
