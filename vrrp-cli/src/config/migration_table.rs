//! Keeps the directive tables of docs/keepalived-migration.md (the section "## Every
//! keepalived VRRP directive") true to the parser's keyword lists ([`super::keywords`]).
//!
//! The format read here, which an edit of the tables must keep:
//! - the section starts at the line `## Every keepalived VRRP directive` and ends at the
//!   next line starting with `## `;
//! - each block's table comes after its heading, one of the `heading`s of [`CONTEXTS`]
//!   exactly (`### Top level`, ``### `global_defs` ``, ...); text between tables is free;
//! - a row is ``| `directive` | status | note |``: three cells, the directive alone in
//!   backticks, the status one of `same`, `differs`, `not supported`, `not VRRP`, and a
//!   note without `|` (required for `differs` and `not supported`); the header row
//!   (`| Directive | Status | Notes |`) and the `|---|---|---|` line are skipped.
//!
//! Each block's table has one row per directive of its keyword lists, and no other; a
//! row says `same` or `differs` exactly for a supported directive, `not supported` for
//! an unsupported one and `not VRRP` for one skipped as not VRRP. Two blocks need more
//! than the lists: at the top level, [`TOP_PARSED_FIRST`] are parsed whatever the lists
//! say, and every top-level row is checked against what the parser does with a block of
//! that name; `SYNC_GROUP_KNOWN` gives no class, so the parser is asked for each.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::keywords::{self, Class};
use super::parse_str;

const DOC: &str = include_str!("../../../docs/keepalived-migration.md");
const DOC_PATH: &str = "docs/keepalived-migration.md";
const SECTION: &str = "## Every keepalived VRRP directive";

/// Top-level blocks that `Parser::top` handles by name before it looks at the keyword
/// lists, so they are supported whatever the lists say
/// (`top_level_rows_agree_with_the_parser` checks it).
const TOP_PARSED_FIRST: &[&str] = &["vrrp_track_process", "track_file", "vrrp_track_file"];

/// A block of keepalived.conf with a table of its own.
struct Context {
    /// How messages name it.
    name: &'static str,
    /// The heading line its table follows.
    heading: &'static str,
    /// Its directives and what the parser does with each.
    directives: fn() -> BTreeMap<&'static str, Class>,
}

const CONTEXTS: &[Context] = &[
    Context {
        name: "top level",
        heading: "### Top level",
        directives: top_level,
    },
    Context {
        name: "global_defs",
        heading: "### `global_defs`",
        directives: global_defs,
    },
    Context {
        name: "vrrp_instance",
        heading: "### `vrrp_instance`",
        directives: || {
            classes(&[
                (keywords::INSTANCE_SUPPORTED, Class::Supported),
                (keywords::INSTANCE_UNSUPPORTED, Class::Unsupported),
            ])
        },
    },
    Context {
        name: "authentication",
        heading: "### `authentication`",
        directives: || classes(&[(keywords::AUTH_SUPPORTED, Class::Supported)]),
    },
    Context {
        name: "vrrp_script",
        heading: "### `vrrp_script`",
        directives: || {
            classes(&[
                (keywords::SCRIPT_SUPPORTED, Class::Supported),
                (keywords::SCRIPT_UNSUPPORTED, Class::Unsupported),
            ])
        },
    },
    Context {
        name: "vrrp_track_process",
        heading: "### `vrrp_track_process`",
        directives: || classes(&[(keywords::PROCESS_SUPPORTED, Class::Supported)]),
    },
    Context {
        name: "track_file",
        heading: "### `track_file`",
        directives: || classes(&[(keywords::FILE_SUPPORTED, Class::Supported)]),
    },
    Context {
        name: "vrrp_sync_group",
        heading: "### `vrrp_sync_group`",
        directives: sync_group,
    },
    Context {
        name: "virtual_ipaddress options",
        heading: "### `virtual_ipaddress` options",
        directives: || {
            let unsupported: Vec<&'static str> = keywords::VIP_OPTIONS_UNSUPPORTED
                .iter()
                .map(|&(option, _)| option)
                .collect();
            classes(&[
                (keywords::VIP_OPTIONS, Class::Supported),
                (unsupported.as_slice(), Class::Unsupported),
            ])
        },
    },
];

/// The directives of `lists`, each with its list's class (a later list wins).
fn classes(lists: &[(&[&'static str], Class)]) -> BTreeMap<&'static str, Class> {
    let mut map = BTreeMap::new();
    for &(list, class) in lists {
        for &word in list {
            map.insert(word, class);
        }
    }
    map
}

fn top_level() -> BTreeMap<&'static str, Class> {
    let mut map = classes(&[
        (keywords::TOP_SUPPORTED, Class::Supported),
        (keywords::TOP_NOT_VRRP, Class::NotVrrp),
        (keywords::TOP_UNSUPPORTED, Class::Unsupported),
    ]);
    for &word in TOP_PARSED_FIRST {
        map.insert(word, Class::Supported);
    }
    map
}

fn global_defs() -> BTreeMap<&'static str, Class> {
    keywords::GLOBAL_SUPPORTED
        .iter()
        .chain(keywords::GLOBAL_KNOWN)
        .map(|&word| {
            let class = keywords::global_class(word)
                .unwrap_or_else(|| panic!("global_class does not know `{word}`"));
            (word, class)
        })
        .collect()
}

/// `SYNC_GROUP_KNOWN` does not say what the parser does with each directive, so the
/// parser is asked: a `vrrp_sync_group` holding the directive alone.
fn sync_group() -> BTreeMap<&'static str, Class> {
    keywords::SYNC_GROUP_KNOWN
        .iter()
        .map(|&word| {
            let text = format!("vrrp_sync_group probe {{\n    {word}\n}}\n");
            let class = parser_class(&text, word)
                .unwrap_or_else(|| panic!("vrrp_sync_group `{word}` is in SYNC_GROUP_KNOWN but the parser calls it unknown"));
            (word, class)
        })
        .collect()
}

/// What the parser does with `word` in `text`: `None` when it calls it unknown, else
/// the class its warnings (or their absence) say.
fn parser_class(text: &str, word: &str) -> Option<Class> {
    // A directory that does not exist, so that `include probe` reads nothing.
    let parsed = parse_str(text, "/nonexistent-migration-table-probe/keepalived.conf");
    let quoted = format!("`{word}`");
    let mut class = Class::Supported;
    for d in &parsed.diagnostics {
        if d.message.contains(&format!("unknown directive {quoted}")) {
            return None;
        }
        if d.message
            .starts_with(&format!("{quoted} skipped: not VRRP"))
        {
            class = Class::NotVrrp;
        } else if d.message.starts_with(&quoted) && d.message.contains("not supported") {
            class = Class::Unsupported;
        }
    }
    Some(class)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Same,
    Differs,
    NotSupported,
    NotVrrp,
}

impl Status {
    fn parse(cell: &str) -> Option<Status> {
        Some(match cell {
            "same" => Status::Same,
            "differs" => Status::Differs,
            "not supported" => Status::NotSupported,
            "not VRRP" => Status::NotVrrp,
            _ => return None,
        })
    }

    fn text(self) -> &'static str {
        match self {
            Status::Same => "same",
            Status::Differs => "differs",
            Status::NotSupported => "not supported",
            Status::NotVrrp => "not VRRP",
        }
    }

    fn fits(self, class: Class) -> bool {
        matches!(
            (self, class),
            (Status::Same | Status::Differs, Class::Supported)
                | (Status::NotSupported, Class::Unsupported)
                | (Status::NotVrrp, Class::NotVrrp)
        )
    }
}

/// What the parser does, as the messages say it.
fn class_text(class: Class) -> &'static str {
    match class {
        Class::Supported => "supported by the parser",
        Class::NotVrrp => "skipped by the parser as not VRRP",
        Class::Unsupported => "known to the parser as not supported",
    }
}

/// The statuses a row of that class may have.
fn status_for(class: Class) -> &'static str {
    match class {
        Class::Supported => "`same` or `differs`",
        Class::NotVrrp => "`not VRRP`",
        Class::Unsupported => "`not supported`",
    }
}

/// One row of a table.
#[derive(Debug)]
struct Row {
    /// Its line in the doc (1-based).
    line: usize,
    directive: String,
    status: Status,
    note: String,
}

/// The rows of each table of the section, by heading; format problems go to `problems`.
fn read_tables(doc: &str, problems: &mut Vec<String>) -> BTreeMap<String, Vec<Row>> {
    let mut tables: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    let mut lines = doc.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end()));
    if !lines.any(|(_, l)| l == SECTION) {
        problems.push(format!(
            "{DOC_PATH} has no line {SECTION:?}: the directive tables must follow it"
        ));
        return tables;
    }
    let mut heading: Option<String> = None;
    for (n, line) in lines {
        if line.starts_with("## ") {
            break;
        }
        if line.starts_with("### ") {
            if !CONTEXTS.iter().any(|c| c.heading == line) {
                let known: Vec<String> = CONTEXTS
                    .iter()
                    .map(|c| format!("{:?}", c.heading))
                    .collect();
                problems.push(format!(
                    "{DOC_PATH} line {n}: {line:?} is not a block's heading; the headings are {}",
                    known.join(", ")
                ));
            }
            heading = Some(line.to_owned());
            tables.entry(line.to_owned()).or_default();
            continue;
        }
        if !line.starts_with('|') {
            continue;
        }
        let Some(table) = &heading else {
            problems.push(format!(
                "{DOC_PATH} line {n}: a table row before any block's heading: put it under one"
            ));
            continue;
        };
        let inner = line.trim_start_matches('|').trim_end_matches('|');
        let cells: Vec<&str> = inner.split('|').map(str::trim).collect();
        if cells.first() == Some(&"Directive")
            || cells
                .iter()
                .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':')))
        {
            continue;
        }
        let [directive, status, note] = cells[..] else {
            problems.push(format!(
                "{DOC_PATH} line {n}: a row has three cells (directive | status | note), this one {}: `{line}`",
                cells.len()
            ));
            continue;
        };
        let word = directive
            .strip_prefix('`')
            .and_then(|d| d.strip_suffix('`'))
            .filter(|d| !d.is_empty() && !d.contains(['`', ' ']));
        let Some(word) = word else {
            problems.push(format!(
                "{DOC_PATH} line {n}: the first cell must be one directive in backticks, like `` `use_vmac` ``; got {directive:?}"
            ));
            continue;
        };
        let Some(status) = Status::parse(status) else {
            problems.push(format!(
                "{DOC_PATH} line {n}: `{word}` has the status `{status}`; write one of `same`, `differs`, `not supported`, `not VRRP`"
            ));
            continue;
        };
        if let Some(rows) = tables.get_mut(table) {
            rows.push(Row {
                line: n,
                directive: word.to_owned(),
                status,
                note: note.to_owned(),
            });
        }
    }
    tables
}

/// Every way the tables disagree with the keyword lists.
fn problems(doc: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let tables = read_tables(doc, &mut problems);
    for context in CONTEXTS {
        let name = context.name;
        let heading = context.heading;
        let Some(rows) = tables.get(heading) else {
            problems.push(format!(
                "{DOC_PATH} has no table for {name}: add one under the line {heading:?} in the section {SECTION:?}"
            ));
            continue;
        };
        let known = (context.directives)();
        let mut by_word: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
        for row in rows {
            by_word.entry(&row.directive).or_default().push(row);
        }
        for (&word, &class) in &known {
            if !by_word.contains_key(word) {
                problems.push(format!(
                    "{name} `{word}` is {} but has no row: add one saying {} to the {name} table of {DOC_PATH}",
                    class_text(class),
                    status_for(class)
                ));
            }
        }
        for (word, rows) in &by_word {
            if rows.len() > 1 {
                let lines: Vec<String> = rows.iter().map(|r| r.line.to_string()).collect();
                problems.push(format!(
                    "{name} `{word}` has {} rows (lines {}): keep one in {DOC_PATH}",
                    rows.len(),
                    lines.join(", ")
                ));
            }
            let row = rows[0];
            let Some(&class) = known.get(word) else {
                problems.push(format!(
                    "{name} `{word}` (line {}) is not a directive the parser's keyword lists know in {name}: remove the row from {DOC_PATH}, or add `{word}` to vrrp-cli/src/config/keywords.rs",
                    row.line
                ));
                continue;
            };
            if !row.status.fits(class) {
                problems.push(format!(
                    "{name} `{word}` is {} but the table says `{}`: update {DOC_PATH} line {} to {}",
                    class_text(class),
                    row.status.text(),
                    row.line,
                    status_for(class)
                ));
            }
            if row.note.is_empty() {
                let wanted = match row.status {
                    Status::Differs => Some("how vrrp differs"),
                    Status::NotSupported => Some("why, or what to use instead"),
                    Status::Same | Status::NotVrrp => None,
                };
                if let Some(wanted) = wanted {
                    problems.push(format!(
                        "{name} `{word}` is `{}` without a note: say {wanted} in {DOC_PATH} line {}",
                        row.status.text(),
                        row.line
                    ));
                }
            }
        }
    }
    problems
}

fn report(problems: &[String]) -> String {
    let mut text = format!(
        "{} problem(s) with the tables of {SECTION:?}:\n",
        problems.len()
    );
    for p in problems {
        let _ = writeln!(text, "- {p}");
    }
    text
}

#[test]
fn every_directive_has_one_true_row() {
    let problems = problems(DOC);
    assert!(problems.is_empty(), "{}", report(&problems));
}

#[test]
fn top_level_rows_agree_with_the_parser() {
    let tables = read_tables(DOC, &mut Vec::new());
    let Some(rows) = tables.get("### Top level") else {
        panic!("{DOC_PATH} has no `### Top level` table");
    };
    let mut problems = Vec::new();
    for row in rows {
        let word = &row.directive;
        let text = format!("{word} probe {{\n}}\n");
        match parser_class(&text, word) {
            None => problems.push(format!(
                "top level `{word}` (line {}) is unknown to the parser: remove the row from {DOC_PATH}, or teach the parser `{word}`",
                row.line
            )),
            Some(class) if !row.status.fits(class) => problems.push(format!(
                "top level `{word}` is {} but the table says `{}`: update {DOC_PATH} line {} to {}, or vrrp-cli/src/config/keywords.rs if the parser is wrong",
                class_text(class),
                row.status.text(),
                row.line,
                status_for(class)
            )),
            Some(_) => {}
        }
    }
    assert!(problems.is_empty(), "{}", report(&problems));
}

/// The checks catch a missing row, a wrong status, an unknown directive, a missing note
/// and a duplicate, each with the directive, the block and what to change.
#[test]
fn a_wrong_table_is_reported() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "| `virtual_server` |",
            "",
            &[
                "top level `virtual_server` is skipped by the parser as not VRRP but has no row",
                "`not VRRP`",
            ],
        ),
        (
            "| `priority` |",
            "| `priority` | not supported | it is |",
            &[
                "vrrp_instance `priority` is supported by the parser but the table says `not supported`",
                "`same` or `differs`",
            ],
        ),
        (
            "| `priority` |",
            "| `priority` | differs | |",
            &["vrrp_instance `priority` is `differs` without a note"],
        ),
        (
            "| `vrrp_version` |",
            "| `vrrp_version` | same | |\n| `vrrp_versionn` | same | |",
            &["global_defs `vrrp_versionn`", "not a directive the parser's keyword lists know"],
        ),
        (
            "| `priority` |",
            "| `priority` | same | |\n| `priority` | same | again |",
            &["vrrp_instance `priority` has 2 rows"],
        ),
        (
            "| `priority` |",
            "| `priority` | maybe | x |",
            &["`priority` has the status `maybe`"],
        ),
        (
            "| `priority` |",
            "| priority | same | |",
            &["the first cell must be one directive in backticks"],
        ),
        (
            "### `track_file`",
            "### `track_files`",
            &["no table for track_file", "is not a block's heading"],
        ),
    ];
    for &(find, replace, expected) in cases {
        let line = DOC
            .lines()
            .find(|l| l.starts_with(find))
            .unwrap_or_else(|| panic!("no row starting with {find} in {DOC_PATH}"));
        let edited = DOC.replacen(
            &format!("{line}\n"),
            &if replace.is_empty() {
                String::new()
            } else {
                format!("{replace}\n")
            },
            1,
        );
        let found = report(&problems(&edited));
        for e in expected {
            assert!(
                found.contains(e),
                "replacing {find:?}: no {e:?} in\n{found}"
            );
        }
    }
}
