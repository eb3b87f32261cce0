//! `vrrp`: a VRRP daemon that runs the VRRP part of an existing keepalived.conf.
//!
//! Subcommands: `run` (the daemon), `check` (validate a configuration, like
//! `keepalived -t`), `decode` (print VRRP packets from a capture or an interface, like
//! `tcpdump -vv`), `status` (ask a running daemon) and `demo` (watch a failover in the
//! simulator).

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgAction, Parser, Subcommand};
use vrrp_cli::daemon::{self, status};
use vrrp_cli::{check, config, decode, demo, handover, preflight};

/// VRRP (RFC 3768 / RFC 9568) for keepalived users: reads the VRRP part of your
/// keepalived.conf as it is.
#[derive(Debug, Parser)]
#[command(name = "vrrp", version, propagate_version = true)]
#[command(
    long_about = "VRRP (RFC 3768 VRRPv2 / RFC 9568 VRRPv3) for keepalived users.\n\n\
vrrp reads the VRRP part of an existing keepalived.conf unchanged: global_defs, vrrp_script \
and vrrp_instance blocks. keepalived's LVS part (virtual_server, real_server, ...) and \
e-mail settings are reported and skipped."
)]
struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the VRRP instances of a keepalived.conf (in the foreground).
    ///
    /// Logs one line per state change with its reason. SIGTERM / SIGINT: graceful
    /// shutdown (masters send priority 0 and remove their VIPs). SIGHUP: reload; routers
    /// whose configuration did not change keep their state. Needs root (CAP_NET_RAW and
    /// CAP_NET_ADMIN).
    Run {
        /// The configuration file (keepalived's -f / --use-file).
        #[arg(
            short = 'f',
            long = "use-file",
            visible_alias = "file",
            value_name = "FILE",
            default_value = config::DEFAULT_PATH
        )]
        file: PathBuf,

        /// Where to answer `vrrp status` (mode 0660). Default: /run/vrrp/vrrp.sock, or
        /// /run/vrrp/netns/NAME.sock inside the named network namespace NAME.
        #[arg(long, value_name = "PATH", default_value_os_t = status::default_socket())]
        status_socket: PathBuf,

        /// Serve Prometheus metrics over HTTP at http://ADDR:PORT/metrics (e.g.
        /// `127.0.0.1:9650` or `[::1]:9650`). Off by default; there is no authentication, so
        /// listen on an address only your monitoring can reach.
        #[arg(long, value_name = "ADDR:PORT")]
        metrics: Option<SocketAddr>,

        /// The host's network namespace (a namespace file), where the kernel delivers the
        /// process events vrrp_track_process follows, for a daemon run in another one
        /// (`ip netns exec`, a container).
        #[arg(long, value_name = "PATH", default_value = daemon::process_track::HOST_NETNS)]
        host_netns: PathBuf,
    },

    /// Show the state of a running daemon: state, effective priority and why, the master,
    /// the last transition and its reason, the peer's checksum form, counters.
    Status {
        /// The daemon's status socket (the same default as `vrrp run --status-socket`).
        #[arg(long, value_name = "PATH", default_value_os_t = status::default_socket())]
        socket: PathBuf,

        /// Print JSON (an array, one object per virtual router).
        #[arg(long)]
        json: bool,
    },

    /// Hand masters over to their best backups without losing a packet, for maintenance.
    ///
    /// Each named master (all instances when none is named) sends priority 0, so its
    /// backups take over as from a master leaving, but keeps answering for its VIPs until
    /// the new master has advertised and announced them; then it releases them and stays
    /// backup, demoted (priority 1), until `vrrp resume`. Waits until each handover is
    /// done. Root (or the daemon's user) only.
    Handover {
        /// Instances to hand over (default: all).
        instances: Vec<String>,

        /// The daemon's status socket (the same default as `vrrp run --status-socket`).
        #[arg(long, value_name = "PATH", default_value_os_t = status::default_socket())]
        socket: PathBuf,

        /// How long to wait for the successors, in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 30)]
        wait: u64,
    },

    /// End a demotion left by `vrrp handover`: the configured priority counts again (with
    /// preempt, the instance takes the master role back). Root (or the daemon's user) only.
    Resume {
        /// Instances to resume (default: all).
        instances: Vec<String>,

        /// The daemon's status socket (the same default as `vrrp run --status-socket`).
        #[arg(long, value_name = "PATH", default_value_os_t = status::default_socket())]
        socket: PathBuf,
    },

    /// Watch the classic nginx pair fail over, in the simulator (no root needed).
    ///
    /// Runs the real codec and state machine on a virtual LAN: master link down, return
    /// and preemption, a failing check script, a graceful shutdown; prints each state
    /// change with its reason and the measured takeover gap.
    Demo,

    /// Check a configuration file, like `keepalived -t`.
    ///
    /// Prints every problem as FILE:LINE:COL: error|warning: MESSAGE with a `help:` line
    /// saying what to do, then a summary of the virtual routers that would run.
    /// Exit status: 0 when vrrp would run the file (warnings allowed), 1 when it has
    /// errors, 2 when it cannot be read.
    ///
    /// One global_defs directive is vrrp's own: `vrrp_v3_checksum pseudo_header|rfc9568`
    /// picks the checksum of the VRRPv3 adverts over IPv4 it sends: pseudo_header (the
    /// default) as keepalived and FRR, rfc9568 as Cisco and Juniper. keepalived's
    /// `v3_checksum_as_v2` means rfc9568.
    Check {
        /// The configuration file (keepalived's -f / --use-file).
        #[arg(
            short = 'f',
            long = "use-file",
            visible_alias = "file",
            value_name = "FILE",
            default_value = config::DEFAULT_PATH
        )]
        file: PathBuf,

        /// Check a file meant for another host: skip what depends on this one
        /// (interfaces, their addresses, scripts).
        #[arg(long)]
        no_host_checks: bool,
    },

    /// Print the VRRP packets of capture files, or of a live interface, like `tcpdump -vv`.
    ///
    /// One line per VRRP advertisement: version, VRID, priority, interval, addresses, TTL,
    /// and the checksum with the form it matched (v2, v3-ipv4-pseudo-header as keepalived
    /// and FRR send, v3-ipv4-rfc9568 as Cisco and Juniper send, v3-ipv6-pseudo-header).
    /// A packet a VRRP router would drop gets a `malformed:` line with the reason.
    /// Reads classic pcap and pcapng (Ethernet, Linux cooked, raw IP). Capture with e.g.
    /// `tcpdump -i eth0 -w vrrp.pcap vrrp or arp or icmp6`.
    #[command(arg_required_else_help = true)]
    Decode {
        /// Capture files (pcap or pcapng).
        #[arg(
            value_name = "FILE.pcap",
            required_unless_present = "interface",
            conflicts_with = "interface"
        )]
        files: Vec<PathBuf>,

        /// Capture live from this interface instead (needs root / CAP_NET_RAW).
        #[arg(short = 'i', long, value_name = "IFACE")]
        interface: Option<String>,

        /// Also print gratuitous ARPs and unsolicited neighbour advertisements (who took
        /// over which address: useful to watch a failover).
        #[arg(short, long)]
        all: bool,

        /// One JSON object per line.
        #[arg(long)]
        json: bool,

        /// Stop after N lines.
        #[arg(short = 'c', long, value_name = "N")]
        count: Option<u64>,

        /// With -i: stop after SECS seconds.
        #[arg(long, value_name = "SECS", requires = "interface", value_parser = parse_secs)]
        timeout: Option<Duration>,
    },
}

fn parse_secs(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(s) if (0.0..=1e9).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("`{text}` is not a number of seconds")),
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        2 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(io::stderr)
        .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
        .with_target(false)
        .try_init();
}

/// Prints `vrrp: error: MESSAGE` to stderr.
fn error(message: impl std::fmt::Display) {
    let _ = writeln!(io::stderr(), "vrrp: error: {message}");
}

fn is_broken_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

fn run_control(
    socket: &std::path::Path,
    verb: status::ControlVerb,
    instances: &[String],
    wait: Duration,
) -> u8 {
    match handover::run(socket, verb, instances, wait, &mut io::stdout().lock()) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            error(format!("cannot write output: {e}"));
            1
        }
    }
}

fn run_check(file: &std::path::Path, host: preflight::HostChecks) -> u8 {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let stderr = io::stderr();
    let mut err = stderr.lock();
    match check::run(file, host, &mut out, &mut err) {
        Ok(code) => code as u8,
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            error(format!("cannot write output: {e}"));
            1
        }
    }
}

fn run_decode(
    files: &[PathBuf],
    interface: Option<&str>,
    options: decode::Options,
    timeout: Option<Duration>,
) -> u8 {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let stderr = io::stderr();
    let mut notes = stderr.lock();
    let mut printer = decode::Printer::new(&mut out, &mut notes, options);
    let mut code = 0u8;
    if let Some(interface) = interface {
        if let Err(e) = decode::live::capture(interface, timeout, &mut printer) {
            match &e {
                decode::live::LiveError::Output(io) if is_broken_pipe(io) => return 0,
                _ => {
                    let _ = printer.flush();
                    error(&e);
                    code = 1;
                }
            }
        }
    } else {
        for file in files {
            if printer.done() {
                break;
            }
            if let Err(e) = decode::decode_file(file, &mut printer) {
                if let decode::FileError::Output(io) = &e {
                    if is_broken_pipe(io) {
                        return code;
                    }
                }
                let _ = printer.flush();
                error(&e);
                code = code.max(e.exit_code() as u8);
            }
        }
    }
    let stats = printer.stats;
    match printer.flush() {
        Err(e) if is_broken_pipe(&e) => return code,
        Err(e) => {
            error(format!("cannot write output: {e}"));
            return 1;
        }
        Ok(()) => {}
    }
    tracing::info!(
        "{} frames, {} lines printed, {} malformed VRRP packets, {} notes",
        stats.frames,
        stats.printed,
        stats.malformed,
        stats.notes
    );
    code
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    ExitCode::from(if e.exit_code() == 0 { 0 } else { 2 })
                }
                _ => {
                    let rendered = e.render().to_string();
                    let _ = write!(io::stderr(), "vrrp: {rendered}");
                    ExitCode::from(2)
                }
            };
        }
    };
    // The daemon logs its state changes by default; the other commands stay quiet.
    let daemon = matches!(cli.command, Command::Run { .. });
    init_logging(cli.verbose + u8::from(daemon));
    let code = match cli.command {
        Command::Run {
            file,
            status_socket,
            metrics,
            host_netns,
        } => {
            match daemon::run(&daemon::RunOptions {
                config: file,
                status_socket,
                metrics,
                host_netns,
            }) {
                Ok(()) => 0,
                Err(e) => {
                    error(&e);
                    1
                }
            }
        }
        Command::Status { socket, json } => match status::query(&socket) {
            Ok(routers) => {
                let mut out = io::stdout().lock();
                let written = if json {
                    status::write_json(&routers, &mut out)
                } else {
                    status::render_text(&routers, &mut out)
                };
                u8::from(written.is_err_and(|e| !is_broken_pipe(&e)))
            }
            Err(e) => {
                error(&e);
                1
            }
        },
        Command::Handover {
            instances,
            socket,
            wait,
        } => run_control(
            &socket,
            status::ControlVerb::HandOver,
            &instances,
            Duration::from_secs(wait),
        ),
        Command::Resume { instances, socket } => run_control(
            &socket,
            status::ControlVerb::Resume,
            &instances,
            Duration::ZERO,
        ),
        Command::Demo => match demo::run(&mut io::stdout().lock()) {
            Ok(()) => 0,
            Err(e) if is_broken_pipe(&e) => 0,
            Err(e) => {
                error(e);
                1
            }
        },
        Command::Check {
            file,
            no_host_checks,
        } => run_check(
            &file,
            if no_host_checks {
                preflight::HostChecks::Off
            } else {
                preflight::HostChecks::On
            },
        ),
        Command::Decode {
            files,
            interface,
            all,
            json,
            count,
            timeout,
        } => run_decode(
            &files,
            interface.as_deref(),
            decode::Options { all, json, count },
            timeout,
        ),
    };
    ExitCode::from(code)
}
