//! Arbitrary text through the keepalived.conf reader, `vrrp_cli::config::parse_str`:
//! lexer, include lines, statement tree, parser, the cross-checks on the parsed
//! configuration and the report `vrrp check` prints. Nothing may panic or overflow
//! the stack, whatever the nesting, and the diagnostics stay bounded.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

/// Diagnostics listed at most: 100 errors, 100 warnings, the note counting the rest
/// (`MAX_DIAGNOSTICS` in vrrp-cli/src/config/diag.rs) and one per include bound reached.
const MAX_LISTED: usize = 2 * 100 + 1 + 2;

/// The file the text is read as. Its directory does not exist, so an `include` with a
/// relative pattern reaches the reader's include handling but finds no file.
const PATH: &str = "/nonexistent-vrrp-fuzz/keepalived.conf";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // An include with a `/` could reach real files (`include /**` walks the whole file
    // system); those inputs are not run. Every other include resolves under PATH's
    // missing directory.
    if text.contains("include") && text.contains('/') {
        return;
    }
    let parsed = vrrp_cli::config::parse_str(&text, PATH);
    assert!(parsed.diagnostics.len() <= MAX_LISTED);
    // What `vrrp check` prints: every diagnostic, and the summary of a file without errors.
    let mut out = Vec::new();
    vrrp_cli::check::report(Path::new(PATH), &parsed, &mut out).unwrap();
    assert!(!out.is_empty());
});
