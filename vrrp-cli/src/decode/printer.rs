//! Writing the records of frames as text or JSON, and notes, counting what was seen.

use std::io::{self, Write};
use std::time::Duration;

use super::frame::LinkType;
use super::{interpret, Options, Outcome, Record};

/// Counts of what was seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames read.
    pub frames: u64,
    /// Lines printed.
    pub printed: u64,
    /// Malformed VRRP packets among them.
    pub malformed: u64,
    /// Notes written to the note stream.
    pub notes: u64,
}

/// Writes records as text or JSON, and notes, counting them.
pub struct Printer<'a> {
    out: &'a mut dyn Write,
    notes: &'a mut dyn Write,
    options: Options,
    /// What has been seen so far.
    pub stats: Stats,
}

impl<'a> Printer<'a> {
    /// A printer writing records to `out` and notes to `notes`.
    pub fn new(out: &'a mut dyn Write, notes: &'a mut dyn Write, options: Options) -> Self {
        Printer {
            out,
            notes,
            options,
            stats: Stats::default(),
        }
    }

    /// True once `--count` lines have been printed.
    pub fn done(&self) -> bool {
        self.options.count.is_some_and(|n| self.stats.printed >= n)
    }

    /// Handles one frame; `context` names it in notes (e.g. `file.pcap: packet 12`).
    pub fn frame(
        &mut self,
        link: LinkType,
        frame: &[u8],
        time: Duration,
        context: &dyn Fn() -> String,
    ) -> io::Result<()> {
        self.stats.frames += 1;
        match interpret(link, frame, time, self.options.all) {
            Outcome::Record(record) => {
                if matches!(*record, Record::Malformed(_)) {
                    self.stats.malformed += 1;
                }
                let line = if self.options.json {
                    record.json()
                } else {
                    record.text()
                };
                writeln!(self.out, "{line}")?;
                self.stats.printed += 1;
            }
            Outcome::Note(text) => {
                self.note(&format!("{}: {text}", context()))?;
            }
            Outcome::Nothing => {
                tracing::trace!("{}: not VRRP, skipped", context());
            }
        }
        Ok(())
    }

    /// Writes a note (`note: ...`) to the note stream.
    pub fn note(&mut self, text: &str) -> io::Result<()> {
        self.stats.notes += 1;
        writeln!(self.notes, "note: {text}")
    }

    /// Flushes the output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
