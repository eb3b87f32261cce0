//! Parsing of directive values: numbers, durations, addresses, command lines.

use std::net::IpAddr;
use std::time::Duration;

/// An unsigned decimal integer (digits only).
pub(crate) fn uint(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A signed decimal integer.
pub(crate) fn int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let value = i64::try_from(uint(digits)?).ok()?;
    Some(if negative { -value } else { value })
}

/// A non-negative decimal number of seconds (`2`, `0.5`, `1.25`) in microseconds, with
/// at most 6 decimals as keepalived.
pub(crate) fn micros(text: &str) -> Option<u64> {
    let (whole, frac) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    let whole = if whole.is_empty() { 0 } else { uint(whole)? };
    if frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut frac_micros = 0u64;
    for (i, b) in frac.bytes().enumerate() {
        frac_micros += u64::from(b - b'0') * 10u64.pow(5 - i as u32);
    }
    whole.checked_mul(1_000_000)?.checked_add(frac_micros)
}

/// A duration in (possibly fractional) seconds.
pub(crate) fn seconds(text: &str) -> Option<Duration> {
    micros(text).map(Duration::from_micros)
}

/// `ADDR` or `ADDR/PREFIX`. Errors say what is wrong.
pub(crate) fn addr_prefix(text: &str) -> Result<(IpAddr, Option<u8>), String> {
    let (addr_text, prefix_text) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let addr: IpAddr = addr_text
        .parse()
        .map_err(|_| format!("`{addr_text}` is not an IP address"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix_text {
        None => None,
        Some(p) => match uint(p) {
            Some(n) if n <= max => Some(n as u8),
            _ => {
                return Err(format!(
                    "prefix length must be 0..={max} for {addr_text}, got `{p}`"
                ))
            }
        },
    };
    Ok((addr, prefix))
}

/// Splits a command line into words like keepalived (no shell): blanks separate words,
/// `'...'` and `"..."` group, a backslash outside single quotes takes the next character
/// literally. Err on an unterminated quote.
pub(crate) fn split_command(line: &str) -> Result<Vec<String>, char> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(n) => word.push(n),
                        None => return Err('\''),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(n) => word.push(n),
                            None => return Err('"'),
                        },
                        Some(n) => word.push(n),
                        None => return Err('"'),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            c if c == ' ' || c == '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// keepalived's true/false words.
pub(crate) fn boolean(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" => Some(true),
        "false" | "off" | "no" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(uint("51"), Some(51));
        assert_eq!(uint("-1"), None);
        assert_eq!(uint("1x"), None);
        assert_eq!(int("-20"), Some(-20));
        assert_eq!(int("+2"), Some(2));
        assert_eq!(int("-"), None);
    }

    #[test]
    fn fractional_seconds() {
        assert_eq!(micros("1"), Some(1_000_000));
        assert_eq!(micros("0.1"), Some(100_000));
        assert_eq!(micros(".5"), Some(500_000));
        assert_eq!(micros("2.000001"), Some(2_000_001));
        assert_eq!(micros("1.0000001"), None);
        assert_eq!(micros("1,5"), None);
        assert_eq!(micros("."), None);
    }

    #[test]
    fn addresses() {
        assert_eq!(
            addr_prefix("192.168.100.12/24"),
            Ok(("192.168.100.12".parse().unwrap(), Some(24)))
        );
        assert_eq!(
            addr_prefix("fd00::12"),
            Ok(("fd00::12".parse().unwrap(), None))
        );
        assert!(addr_prefix("10.0.0.1/33").is_err());
        assert!(addr_prefix("10.0.0.300").is_err());
    }

    #[test]
    fn command_lines() {
        assert_eq!(
            split_command("/bin/check 'a b' \"c\\\"d\" e\\ f"),
            Ok(vec![
                "/bin/check".to_owned(),
                "a b".to_owned(),
                "c\"d".to_owned(),
                "e f".to_owned()
            ])
        );
        assert_eq!(split_command("/bin/x 'open"), Err('\''));
    }
}
