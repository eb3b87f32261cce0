//! Which processes a `vrrp_track_process` counts, and when its state flips: keepalived
//! 2.2.7's matching rules and quorum, as pure functions of what /proc says.

use std::time::Duration;

/// How configured parameters are compared with a process's (`param_match`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParamMatch {
    /// The parameters are exactly those configured (the default).
    #[default]
    Exact,
    /// The first parameters are those configured; more may follow (`partial`).
    Partial,
    /// As `Partial`, and the last configured parameter may be the start of the
    /// process's (`initial`).
    Initial,
}

/// One `vrrp_track_process` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSpec {
    /// The block's name (what instances track).
    pub name: String,
    /// `process NAME [PARAM...]`: the process name, or the command's first word when
    /// there are parameters or `full_command`.
    pub process: String,
    /// The parameters, if any.
    pub params: Vec<String>,
    /// `param_match`; set (even without parameters) it also means "the command has
    /// exactly these parameters" for an empty list.
    pub param_match: Option<ParamMatch>,
    /// `full_command`: match the command line, not the process name.
    pub full_command: bool,
    /// `quorum`: the fewest matching processes for "up" (default 1).
    pub quorum: u32,
    /// `quorum_max`: the most (default unlimited).
    pub quorum_max: u32,
    /// `fork_delay`: how long the quorum must hold before "up".
    pub fork_delay: Duration,
    /// `terminate_delay`: how long the quorum must be lost before "down".
    pub terminate_delay: Duration,
}

impl ProcessSpec {
    /// A spec for `process` with keepalived's defaults.
    pub fn new(name: &str, process: &str) -> Self {
        ProcessSpec {
            name: name.to_owned(),
            process: process.to_owned(),
            params: Vec::new(),
            param_match: None,
            full_command: false,
            quorum: 1,
            quorum_max: u32::MAX,
            fork_delay: Duration::ZERO,
            terminate_delay: Duration::ZERO,
        }
    }

    /// Whether a process with name `comm` (/proc/PID/comm) and command line `argv`
    /// (/proc/PID/cmdline, split at NULs) counts.
    pub fn matches(&self, comm: &str, argv: &[String]) -> bool {
        if self.params.is_empty() && self.param_match.is_none() && !self.full_command {
            // The kernel keeps 15 bytes of the name.
            return comm == truncate_comm(&self.process);
        }
        let Some((first, args)) = argv.split_first() else {
            return false;
        };
        if *first != self.process {
            return false;
        }
        if self.params.is_empty() && self.param_match.is_none() {
            return true; // full_command alone: the command, whatever its parameters
        }
        let n = self.params.len();
        match self.param_match.unwrap_or_default() {
            ParamMatch::Exact => args == self.params.as_slice(),
            ParamMatch::Partial => args.len() >= n && args[..n] == self.params[..],
            ParamMatch::Initial => {
                args.len() >= n
                    && args[..n.saturating_sub(1)] == self.params[..n.saturating_sub(1)]
                    && self
                        .params
                        .last()
                        .is_none_or(|last| args[n - 1].starts_with(last.as_str()))
            }
        }
    }

    /// Whether `count` matching processes make the quorum.
    pub fn is_up(&self, count: u32) -> bool {
        (self.quorum..=self.quorum_max).contains(&count)
    }

    /// How long a change to `up` must last before it is reported.
    pub fn delay_to(&self, up: bool) -> Duration {
        if up {
            self.fork_delay
        } else {
            self.terminate_delay
        }
    }
}

/// The first 15 bytes of `name` (on a character boundary), as the kernel keeps in comm.
fn truncate_comm(name: &str) -> &str {
    const COMM_LEN: usize = 15;
    if name.len() <= COMM_LEN {
        return name;
    }
    let mut end = COMM_LEN;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn a_bare_name_matches_the_process_name_exactly_not_as_pgrep() {
        let spec = ProcessSpec::new("nginx", "nginx");
        assert!(spec.matches("nginx", &argv(&["nginx: master process"])));
        assert!(!spec.matches("nginx-debug", &argv(&[])));
        let ssh = ProcessSpec::new("ssh", "ssh");
        assert!(!ssh.matches("sshd", &argv(&["/usr/sbin/sshd"])));
        // The kernel truncates names to 15 bytes.
        let long = ProcessSpec::new("long", "a-very-long-process-name");
        assert!(long.matches("a-very-long-pro", &argv(&[])));
    }

    #[test]
    fn parameters_match_the_command_line_exactly_partially_or_initially() {
        let mut spec = ProcessSpec::new("haproxy", "/usr/sbin/haproxy");
        spec.params = argv(&["-f", "/etc/haproxy"]);
        let cmd = argv(&["/usr/sbin/haproxy", "-f", "/etc/haproxy", "-Ws"]);
        assert!(
            !spec.matches("haproxy", &cmd),
            "exact: one parameter too many"
        );
        assert!(spec.matches("haproxy", &cmd[..3]));
        spec.param_match = Some(ParamMatch::Partial);
        assert!(spec.matches("haproxy", &cmd));
        assert!(!spec.matches("haproxy", &argv(&["/usr/sbin/haproxy", "-f"])));
        spec.param_match = Some(ParamMatch::Initial);
        spec.params = argv(&["-f", "/etc/hap"]);
        assert!(spec.matches("haproxy", &cmd));
        assert!(!spec.matches("haproxy", &argv(&["/usr/sbin/haproxy", "-f", "/etc/x"])));
        assert!(!spec.matches("haproxy", &argv(&["haproxy", "-f", "/etc/haproxy"])));
    }

    #[test]
    fn param_match_without_parameters_means_none_and_full_command_any() {
        let mut spec = ProcessSpec::new("sleep", "sleep");
        spec.param_match = Some(ParamMatch::Exact);
        assert!(spec.matches("sleep", &argv(&["sleep"])));
        assert!(!spec.matches("sleep", &argv(&["sleep", "10"])));
        let mut full = ProcessSpec::new("sleep", "sleep");
        full.full_command = true;
        assert!(full.matches("whatever", &argv(&["sleep", "10"])));
        assert!(!full.matches("sleep", &argv(&["/bin/sleep", "10"])));
    }

    #[test]
    fn quorum_bounds_and_delays() {
        let mut spec = ProcessSpec::new("w", "worker");
        assert!(!spec.is_up(0) && spec.is_up(1) && spec.is_up(40));
        spec.quorum = 2;
        spec.quorum_max = 3;
        assert!(!spec.is_up(1) && spec.is_up(2) && spec.is_up(3) && !spec.is_up(4));
        spec.fork_delay = Duration::from_millis(500);
        spec.terminate_delay = Duration::from_secs(2);
        assert_eq!(spec.delay_to(true), Duration::from_millis(500));
        assert_eq!(spec.delay_to(false), Duration::from_secs(2));
    }
}
