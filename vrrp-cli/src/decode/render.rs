//! How a [`Record`] is printed: one line of text (tcpdump -vv style) or of JSON, with
//! RFC 3339 times.

use std::fmt::Write as _;
use std::time::Duration;

use super::Record;

impl Record {
    /// The record as one line of text, tcpdump -vv style.
    pub fn text(&self) -> String {
        let mut s = String::new();
        match self {
            Record::Vrrp(r) => {
                let _ = write!(
                    s,
                    "{} {} > {}: VRRPv{}, Advertisement, vrid {}, prio {}, ",
                    r.time, r.src, r.dst, r.version, r.vrid, r.priority
                );
                if r.version == 2 {
                    let _ = write!(
                        s,
                        "authtype {}, intvl {}s, ",
                        r.auth_type.unwrap_or("none"),
                        r.interval_cs / 100
                    );
                } else {
                    let _ = write!(s, "intvl {}cs, ", r.interval_cs);
                }
                let addrs: Vec<String> = r.addrs.iter().map(|a| a.to_string()).collect();
                let _ = write!(s, "length {}, addrs: {}", r.length, addrs.join(","));
                if let Some(auth) = &r.auth {
                    let _ = write!(s, ", auth \"{auth}\"");
                }
                let _ = write!(
                    s,
                    ", ttl {}, checksum {} ({})",
                    r.ttl, r.checksum, r.checksum_form
                );
                if let Some(e) = &r.error {
                    let _ = write!(s, ", error: {e}");
                }
            }
            Record::Malformed(r) => {
                let _ = write!(
                    s,
                    "{} {} > {}: VRRP, malformed: {}",
                    r.time, r.src, r.dst, r.error
                );
                if let Some(vrid) = r.vrid {
                    let _ = write!(s, ", vrid {vrid}");
                }
                let _ = write!(s, ", length {}, ttl {}", r.length, r.ttl);
            }
            Record::GratuitousArp(r) => {
                let _ = write!(
                    s,
                    "{} ARP, gratuitous {}, {} is-at {}",
                    r.time, r.op, r.ip, r.sender_mac
                );
            }
            Record::UnsolicitedNa(r) => {
                let _ = write!(
                    s,
                    "{} {} > {}: ICMP6, unsolicited neighbor advertisement, tgt {}",
                    r.time, r.src, r.dst, r.target
                );
                if let Some(mac) = &r.target_mac {
                    let _ = write!(s, " is-at {mac}");
                }
                let mut flags = Vec::new();
                if r.router {
                    flags.push("router");
                }
                if r.override_flag {
                    flags.push("override");
                }
                let _ = write!(s, ", flags [{}]", flags.join(", "));
            }
        }
        s
    }

    /// The record as one line of JSON.
    pub fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` for a time since the Unix epoch.
pub fn rfc3339(since_epoch: Duration) -> String {
    let secs = since_epoch.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        since_epoch.subsec_micros()
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times() {
        assert_eq!(rfc3339(Duration::ZERO), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            rfc3339(Duration::new(1_700_000_000, 123_456_000)),
            "2023-11-14T22:13:20.123456Z"
        );
        assert_eq!(
            rfc3339(Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000000Z"
        );
    }
}
