//! Accept mode off (RFC 9568 section 6.1): [`AcceptFilter`] makes a non-owner master
//! drop traffic to its VIPs, inside network namespaces (root and nft only).
//!
//! Namespace `a` holds the VIPs, `b` pings them over the veth pair. The filter is used
//! from threads that entered `a` with `setns(2)`, so these tests also show that `nft`
//! acts in the calling thread's namespace. Everything nftables holds goes with the
//! namespaces when they are deleted (by `Drop`, also when a test fails); the host's
//! ruleset is only read.

mod common;

use std::net::IpAddr;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use common::{Lab, Netns, A_V4, A_V6};
use vrrp_io::accept::{AcceptFilter, TableName};
use vrrp_io::Error;

const VIP4: &str = "192.0.2.100";
const VIP6: &str = "fd00:db8::100";
const VIP_LINK_LOCAL: &str = "fe80::100";

/// Returns from the test with a note on stderr unless `nft` can be run.
macro_rules! require_nft {
    () => {
        if !nft_installed() {
            eprintln!("SKIPPED: needs nft (apt install nftables)");
            return;
        }
    };
}

fn nft_installed() -> bool {
    ["nft", "/usr/sbin/nft", "/sbin/nft"].iter().any(|program| {
        Command::new(program)
            .arg("--version")
            .output()
            .is_ok_and(|out| out.status.success())
    })
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("an IP address")
}

/// A table name used by one test only, so that finding it on the host would mean the
/// filter acted outside the namespace.
fn unique_table() -> TableName {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    TableName::new(&format!("vrrp_test_{}_{n}", std::process::id())).expect("a valid name")
}

/// An [`AcceptFilter`] used from threads inside one namespace.
struct FilterIn<'a> {
    ns: &'a Netns,
    filter: Option<AcceptFilter>,
}

impl<'a> FilterIn<'a> {
    fn new(ns: &'a Netns, table: TableName) -> Self {
        FilterIn {
            ns,
            filter: Some(AcceptFilter::new(table)),
        }
    }

    /// Runs `op` on the filter from a thread inside the namespace.
    fn with<T, F>(&mut self, op: F) -> T
    where
        T: Send + 'static,
        F: FnOnce(&mut AcceptFilter) -> T + Send + 'static,
    {
        let mut filter = self.filter.take().expect("the filter (lost to a panic?)");
        let (filter, out) = self.ns.run(move || {
            let out = op(&mut filter);
            (filter, out)
        });
        self.filter = Some(filter);
        out
    }

    fn block(&mut self, ifname: &'static str, addrs: &[&str]) {
        let addrs: Vec<IpAddr> = addrs.iter().map(|a| ip(a)).collect();
        self.with(move |f| f.block(ifname, &addrs))
            .unwrap_or_else(|e| panic!("block: {e}"));
    }

    fn unblock(&mut self, ifname: &'static str, addrs: &[&str]) {
        let addrs: Vec<IpAddr> = addrs.iter().map(|a| ip(a)).collect();
        self.with(move |f| f.unblock(ifname, &addrs))
            .unwrap_or_else(|e| panic!("unblock: {e}"));
    }

    fn clear(&mut self) {
        self.with(|f| f.clear())
            .unwrap_or_else(|e| panic!("clear: {e}"));
    }

    fn table(&self) -> String {
        self.filter
            .as_ref()
            .expect("the filter")
            .table()
            .to_string()
    }
}

/// `nft ARGS` inside `ns`.
fn nft_in(ns: &Netns, args: &[&str]) -> String {
    let mut full = vec!["netns", "exec", ns.name.as_str(), "nft"];
    full.extend_from_slice(args);
    common::run("ip", &full)
}

/// The names of the `inet` tables in `ns`.
fn tables_in(ns: &Netns) -> Vec<String> {
    table_names(&nft_in(ns, &["list", "tables", "inet"]))
}

fn table_names(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|line| line.trim().strip_prefix("table inet "))
        .map(str::to_owned)
        .collect()
}

/// True if one ping from `from` to `addr` is answered within a second or two.
fn answers(from: &Netns, addr: &str) -> bool {
    Command::new("ip")
        .args([
            "netns", "exec", &from.name, "ping", "-n", "-q", "-c", "1", "-W", "1",
        ])
        .arg(addr)
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Like [`answers`], with two more tries for the first packet lost to address
/// resolution.
fn answers_soon(from: &Netns, addr: &str) -> bool {
    (0..3).any(|_| answers(from, addr))
}

#[test]
fn a_blocked_ipv4_vip_gets_no_answer_while_the_own_address_still_does() {
    require_root!();
    require_nft!();
    let lab = Lab::new();
    lab.a
        .ip(&["addr", "add", &format!("{VIP4}/32"), "dev", "va"]);
    assert!(
        answers_soon(&lab.b, VIP4),
        "the VIP answers before the block"
    );
    let mut filter = FilterIn::new(&lab.a, unique_table());

    filter.block("va", &[VIP4]);
    assert!(!answers(&lab.b, VIP4), "the blocked VIP answered");
    assert!(
        answers_soon(&lab.b, A_V4),
        "A's own address must still answer"
    );

    filter.unblock("va", &[VIP4]);
    assert!(
        answers_soon(&lab.b, VIP4),
        "the VIP answers again after unblock"
    );
}

#[test]
fn nft_acts_in_the_namespace_of_the_calling_thread() {
    require_root!();
    require_nft!();
    let lab = Lab::new();
    let mut filter = FilterIn::new(&lab.a, unique_table());
    let table = filter.table();

    filter.block("va", &[VIP4]);
    assert!(tables_in(&lab.a).contains(&table), "our table is in a");
    assert!(!tables_in(&lab.b).contains(&table), "our table is not in b");
    let host = Command::new("nft")
        .args(["list", "tables", "inet"])
        .output()
        .expect("nft on the host");
    let host_tables = table_names(&String::from_utf8_lossy(&host.stdout));
    assert!(
        !host_tables.contains(&table),
        "our table is not on the host"
    );

    filter.unblock("va", &[VIP4]);
    assert!(
        !tables_in(&lab.a).contains(&table),
        "the table goes when nothing is blocked"
    );
}

#[test]
fn a_blocked_ipv6_vip_gets_no_answer_but_stays_resolvable() {
    require_root!();
    require_nft!();
    let lab = Lab::new();
    lab.a
        .ip(&["addr", "add", &format!("{VIP6}/128"), "dev", "va", "nodad"]);
    assert!(
        answers_soon(&lab.b, VIP6),
        "the VIP answers before the block"
    );
    let mut filter = FilterIn::new(&lab.a, unique_table());

    filter.block("va", &[VIP6]);
    // RFC 9568 section 6.1: neighbour solicitations and advertisements must not be
    // dropped. A's advertisement for the VIP is sent *from* the VIP, so without the
    // exception b could not resolve it.
    lab.b.ip(&["-6", "neigh", "flush", "dev", "vb"]);
    assert!(!answers(&lab.b, VIP6), "the blocked VIP answered");
    let neighbour = lab.b.ip(&["-6", "neigh", "show", VIP6, "dev", "vb"]);
    assert!(
        neighbour.contains("lladdr"),
        "the VIP is not resolvable while blocked: {neighbour:?}"
    );
    assert!(
        answers_soon(&lab.b, A_V6),
        "A's own address must still answer"
    );

    filter.unblock("va", &[VIP6]);
    assert!(
        answers_soon(&lab.b, VIP6),
        "the VIP answers again after unblock"
    );
}

#[test]
fn a_link_local_vip_is_blocked_only_on_its_interface() {
    require_root!();
    require_nft!();
    let lab = Lab::new();
    // Before the VIP is added, the only link-local address is A's own.
    let own_link_local = lab.a.run(|| common::wait_for_link_local("va"));
    lab.a.ip(&[
        "addr",
        "add",
        &format!("{VIP_LINK_LOCAL}/64"),
        "dev",
        "va",
        "nodad",
    ]);
    let vip = format!("{VIP_LINK_LOCAL}%vb");
    let own = format!("{own_link_local}%vb");
    assert!(
        answers_soon(&lab.b, &vip),
        "the VIP answers before the block"
    );
    let mut filter = FilterIn::new(&lab.a, unique_table());

    // The same link-local address blocked on another link does not concern va.
    filter.block("vz", &[VIP_LINK_LOCAL]);
    assert!(
        answers_soon(&lab.b, &vip),
        "blocked on vz, but it answered on va"
    );

    filter.block("va", &[VIP_LINK_LOCAL]);
    assert!(!answers(&lab.b, &vip), "the blocked VIP answered");
    assert!(
        answers_soon(&lab.b, &own),
        "A's own link-local must still answer"
    );

    filter.unblock("va", &[VIP_LINK_LOCAL]);
    assert!(
        answers_soon(&lab.b, &vip),
        "the VIP answers again after unblock"
    );
    filter.clear();
}

#[test]
fn one_routers_unblock_does_not_open_another_routers_block() {
    require_root!();
    require_nft!();
    let lab = Lab::new();
    lab.a
        .ip(&["addr", "add", &format!("{VIP4}/32"), "dev", "va"]);
    let mut filter = FilterIn::new(&lab.a, unique_table());

    filter.block("va", &[VIP4]); // router 1
    filter.block("va", &[VIP4, A_V4]); // router 2 (A_V4 only to have a second address)
    filter.unblock("va", &[VIP4, A_V4]); // router 2 leaves master
    assert!(!answers(&lab.b, VIP4), "router 1's block was opened");
    assert!(
        answers_soon(&lab.b, A_V4),
        "router 2's only address is open"
    );

    filter.unblock("va", &[VIP4]); // router 1 leaves master
    assert!(
        answers_soon(&lab.b, VIP4),
        "the VIP answers after both unblocked"
    );
    // Unblocking what is not blocked changes nothing.
    filter.unblock("va", &[VIP4]);
    assert!(answers_soon(&lab.b, VIP4));
}

#[test]
fn clear_removes_our_table_and_leaves_others_alone() {
    require_root!();
    require_nft!();
    let lab = Lab::new();
    nft_in(&lab.a, &["add", "table", "inet", "other"]);
    nft_in(
        &lab.a,
        &[
            "add",
            "chain",
            "inet",
            "other",
            "in",
            "{ type filter hook input priority 0; }",
        ],
    );
    let mut filter = FilterIn::new(&lab.a, unique_table());
    let table = filter.table();

    filter.block("va", &[VIP4, VIP6]);
    assert!(tables_in(&lab.a).contains(&table));
    filter.clear();
    let tables = tables_in(&lab.a);
    assert!(
        !tables.contains(&table),
        "our table survived clear: {tables:?}"
    );
    assert!(
        tables.contains(&"other".to_owned()),
        "clear removed another table: {tables:?}"
    );
    let other = nft_in(&lab.a, &["list", "table", "inet", "other"]);
    assert!(
        other.contains("chain in"),
        "another table's chain is gone: {other}"
    );
}

#[test]
fn remove_stale_removes_the_table_a_crashed_run_left() {
    require_root!();
    require_nft!();
    let lab = Lab::new();
    lab.a
        .ip(&["addr", "add", &format!("{VIP4}/32"), "dev", "va"]);
    nft_in(&lab.a, &["add", "table", "inet", "other"]);
    let table = unique_table();
    // A run that blocked and then died without clearing.
    let mut crashed = FilterIn::new(&lab.a, table.clone());
    crashed.block("va", &[VIP4]);
    drop(crashed);
    assert!(!answers(&lab.b, VIP4), "the leftover table still blocks");

    let stale = table.clone();
    let removed = lab.a.run(move || AcceptFilter::remove_stale(&stale));
    assert!(removed.expect("remove_stale"), "a leftover table was there");
    assert!(
        answers_soon(&lab.b, VIP4),
        "the VIP answers once the leftover is gone"
    );
    let tables = tables_in(&lab.a);
    assert!(!tables.contains(&table.to_string()), "{tables:?}");
    assert!(tables.contains(&"other".to_owned()), "{tables:?}");

    let removed = lab.a.run(move || AcceptFilter::remove_stale(&table));
    assert!(
        !removed.expect("remove_stale again"),
        "nothing left to remove"
    );
}

#[test]
fn a_table_name_nft_refuses_is_reported_with_nfts_words() {
    require_root!();
    require_nft!();
    let lab = Lab::new();
    // "drop" is an nft keyword: a valid-looking name that nft itself refuses.
    let mut filter = FilterIn::new(&lab.a, TableName::new("drop").expect("well-formed"));
    let result = filter.with(|f| f.block("va", &[ip(VIP4)]));
    match result {
        Err(Error::Nft { table, stderr, .. }) => {
            assert_eq!(table, "drop");
            assert!(stderr.contains("syntax error"), "{stderr}");
        }
        other => panic!("expected Error::Nft, got {other:?}"),
    }
}
