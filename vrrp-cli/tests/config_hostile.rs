//! The keepalived.conf reader against hostile files: deep nesting, includes of FIFOs,
//! devices, huge files and cycles, and floods of bad lines. Each must end quickly with an
//! error that says what and where, never a crash, a hang or unbounded memory.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vrrp_cli::config;

/// Generous: each case takes well under a second; a hang or a quadratic walk does not.
const DEADLINE: Duration = Duration::from_secs(10);

/// What `vrrp check` did: exit status and output.
struct Checked {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `vrrp check --no-host-checks -f FILE`, killing it if it has not ended by
/// [`DEADLINE`] (then the test fails instead of hanging). Output goes to files, so that
/// a flood of output cannot block the child on a full pipe.
fn check(file: &Path) -> Checked {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_vrrp"))
        .args(["check", "--no-host-checks", "-f"])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .expect("run vrrp");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!(
                "vrrp check {} still running after {DEADLINE:?}",
                file.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Checked {
        code: status.code(),
        stdout: std::fs::read_to_string(&out_path).unwrap(),
        stderr: std::fs::read_to_string(&err_path).unwrap(),
    }
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn nested(levels: usize) -> String {
    let mut text = String::from("vrrp_script junk {\n");
    text.push_str(&"x {\n".repeat(levels));
    text.push_str(&"}\n".repeat(levels + 1));
    text
}

#[test]
fn deep_nesting_is_an_error_naming_the_limit_and_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "deep.conf", &nested(100_000));
    let out = check(&file);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    // `vrrp_script junk {` is line 1 and opens the first block; the 33rd opens on line 33.
    let expected = format!(
        "{}:33:3: error: blocks nested more than 32 deep",
        file.display()
    );
    assert!(out.stdout.contains(&expected), "{}", out.stdout);
}

#[test]
fn deep_nesting_through_the_library_does_not_panic() {
    for text in [nested(100_000), "{".repeat(100_000), "a {".repeat(100_000)] {
        let parsed = config::parse_str(&text, "deep.conf");
        assert!(parsed.has_errors());
        assert!(parsed
            .errors()
            .any(|d| d.message.contains("nested more than 32 deep")));
    }
}

#[test]
fn nesting_up_to_the_limit_is_read() {
    // 1 + 31 levels: the deepest accepted.
    let parsed = config::parse_str(&nested(31), "ok.conf");
    assert!(!parsed
        .errors()
        .any(|d| d.message.contains("nested more than")));
}

#[test]
fn include_of_a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.conf");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let main = write(dir.path(), "main.conf", "include fifo.conf\n");
    let out = check(&main);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    let expected = format!(
        "{}:1:1: error: cannot read included file `{}`: it is a FIFO, not a regular file",
        main.display(),
        fifo.display()
    );
    assert!(out.stdout.contains(&expected), "{}", out.stdout);

    // The same file given with -f.
    let out = check(&fifo);
    assert_eq!(out.code, Some(2), "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("it is a FIFO"), "{}", out.stderr);
}

#[test]
fn include_of_dev_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "main.conf",
        "global_defs {\n  include /dev/zero\n}\n",
    );
    let out = check(&main);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    let expected = format!(
        "{}:2:3: error: cannot read included file `/dev/zero`: it is a character device, not a regular file",
        main.display()
    );
    assert!(out.stdout.contains(&expected), "{}", out.stdout);
    let out = check(Path::new("/dev/zero"));
    assert_eq!(out.code, Some(2), "{}{}", out.stdout, out.stderr);
}

#[test]
fn include_of_a_file_over_the_size_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.conf");
    // Sparse: the size is what counts, not what is written.
    File::create(&big).unwrap().set_len((16 << 20) + 1).unwrap();
    let main = write(dir.path(), "main.conf", "include big.conf\n");
    let out = check(&main);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    let expected = format!(
        "{}:1:1: error: cannot read included file `{}`: it is 16777217 bytes; configuration files are read up to 16 MiB",
        main.display(),
        big.display()
    );
    assert!(out.stdout.contains(&expected), "{}", out.stdout);
    let out = check(&big);
    assert_eq!(out.code, Some(2), "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("up to 16 MiB"), "{}", out.stderr);
}

#[test]
fn an_include_cycle_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.conf", "include b.conf\n");
    write(dir.path(), "b.conf", "include a.conf\n");
    let out = check(&a);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("error: include cycle: `")
            && out.stdout.contains("a.conf` is already being read"),
        "{}",
        out.stdout
    );
}

#[test]
fn files_including_each_other_by_pattern_are_bounded() {
    // Each of 12 files includes all the others: 12! chains without a bound on the files
    // read in all.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..12 {
        write(dir.path(), &format!("f{i:02}.conf"), "include f*.conf\n");
    }
    let out = check(&dir.path().join("f00.conf"));
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("more than 1024 files included in all"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_million_bad_lines_give_a_bounded_number_of_diagnostics() {
    let text = "bogus\n".repeat(1_000_000);
    let parsed = config::parse_str(&text, "bad.conf");
    assert!(parsed.has_errors());
    // 100 errors, then one that counts the rest.
    assert_eq!(parsed.diagnostics.len(), 101);
    let last = parsed.diagnostics.last().unwrap();
    assert!(
        last.message.contains("999900 more error(s)"),
        "{}",
        last.message
    );

    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "bad.conf", &text);
    let out = check(&file);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.lines().count() < 300,
        "{} lines",
        out.stdout.lines().count()
    );
}

#[test]
fn one_huge_block_is_cut_at_the_directive_bound() {
    // Inside a block that is skipped whole (with one warning), so that the lines are no
    // errors of their own and the one after the block is among those listed.
    let mut text = String::from("virtual_server 10.0.0.1 80 {\n");
    text.push_str(&"x\n".repeat(200_000));
    text.push_str("}\nbogus_after\n");
    let parsed = config::parse_str(&text, "huge.conf");
    assert!(parsed.errors().any(|d| d
        .message
        .starts_with("directive too large: more than 100000")));
    // The rest of the block is skipped, and reading goes on after it.
    assert!(parsed
        .errors()
        .any(|d| d.line == 200_003 && d.message.contains("bogus_after")));
}
