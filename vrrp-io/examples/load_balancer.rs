//! A tiny TCP load balancer that holds a virtual IP with VRRP while its backend is
//! healthy: the embedding example of vrrp-io's tokio runner.
//!
//! ```text
//! load_balancer --interface eth0 --vrid 51 --priority 150 --vip 192.168.100.12/24 \
//!               --listen 8080 --backend 127.0.0.1:9000 [--advert-ms 1000]
//! ```
//!
//! It accepts TCP connections on port `--listen` (on every address, so on the VIP while
//! it holds it) and relays each to `--backend`. Every 500 ms it connects to the backend;
//! while that fails, its VRRP priority drops by 100, so a peer with a healthy backend
//! (another copy of this program, keepalived, or `vrrp run`) takes the VIP over. SIGINT
//! or SIGTERM: priority 0 and the VIP released, so the peer takes over at once.
//!
//! Run it as root (raw sockets, addresses). The VRRP part is the block between the
//! `VRRP` markers.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, SignalKind};
use vrrp_core::router::{RouterConfig, TrackConfig, TrackId};
use vrrp_core::{Centiseconds, Family, Priority, VirtualAddress, Vrid};
use vrrp_io::netlink::Netlink;
use vrrp_io::tokio::Runner;
use vrrp_io::RouterSpec;

const BACKEND: TrackId = TrackId(1);

struct Args {
    interface: String,
    vrid: u8,
    priority: u8,
    vip: IpAddr,
    prefix_len: u8,
    listen: u16,
    backend: SocketAddr,
    advert_ms: u16,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;

    // ---- VRRP ----
    let vip = VirtualAddress::with_prefix(args.vip, args.prefix_len);
    let family = Family::of(&args.vip);
    let primary =
        vrrp_io::primary_address(&mut Netlink::open()?, &args.interface, family, &[args.vip])?;
    let mut config = RouterConfig::new(Vrid::new(args.vrid).ok_or("VRID 0")?, primary, [vip]);
    config.priority = Priority(args.priority);
    config.advert_interval = Centiseconds(args.advert_ms / 10);
    // keepalived's weight semantics: -100 while the backend check fails.
    config.tracks.push(TrackConfig {
        id: BACKEND,
        weight: -100,
        initially_up: false,
    });
    let vrrp = Runner::start(vec![RouterSpec::new("lb", &args.interface, config)]).await?;
    let mut events = vrrp.subscribe();
    tokio::spawn(async move {
        while let Ok(event) = events.recv().await {
            println!("vrrp: {event}");
        }
    });
    let checker = vrrp.clone();
    let backend = args.backend;
    tokio::spawn(async move {
        let mut healthy = None;
        loop {
            let up = check(backend).await;
            if healthy != Some(up) {
                println!("backend {backend} is {}", if up { "up" } else { "down" });
                checker.set_track("lb", BACKEND, up);
                healthy = Some(up);
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    // ---- VRRP ----

    let listener = TcpListener::bind(("0.0.0.0", args.listen)).await?;
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut server) = TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });

    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    println!("shutting down: priority 0, VIP released");
    vrrp.shutdown().await?;
    Ok(())
}

/// The health check: can we open a TCP connection to the backend within 300 ms?
async fn check(backend: SocketAddr) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(backend)).await,
        Ok(Ok(_))
    )
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        interface: String::new(),
        vrid: 0,
        priority: 100,
        vip: IpAddr::from([0, 0, 0, 0]),
        prefix_len: 32,
        listen: 8080,
        backend: SocketAddr::from(([127, 0, 0, 1], 9000)),
        advert_ms: 1000,
    };
    let usage = "usage: load_balancer --interface IF --vrid N --vip ADDR[/LEN] \
                 [--priority P] [--listen PORT] [--backend ADDR:PORT] [--advert-ms MS]";
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            println!("{usage}");
            std::process::exit(0);
        }
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let bad = |what: &str| format!("{flag} {value}: not {what}");
        match flag.as_str() {
            "--interface" => args.interface = value,
            "--vrid" => args.vrid = value.parse().map_err(|_| bad("a VRID 1..=255"))?,
            "--priority" => args.priority = value.parse().map_err(|_| bad("a priority"))?,
            "--vip" => {
                let (addr, len) = value.split_once('/').unwrap_or((value.as_str(), ""));
                args.vip = addr.parse().map_err(|_| bad("an address"))?;
                let host = if args.vip.is_ipv4() { 32 } else { 128 };
                args.prefix_len = if len.is_empty() {
                    host
                } else {
                    len.parse().map_err(|_| bad("ADDR/PREFIX"))?
                };
            }
            "--listen" => args.listen = value.parse().map_err(|_| bad("a port"))?,
            "--backend" => args.backend = value.parse().map_err(|_| bad("ADDR:PORT"))?,
            "--advert-ms" => args.advert_ms = value.parse().map_err(|_| bad("milliseconds"))?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if args.interface.is_empty() || args.vrid == 0 || args.vip.is_unspecified() {
        return Err(usage.into());
    }
    Ok(args)
}
