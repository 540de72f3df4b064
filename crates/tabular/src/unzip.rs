//! The XLSX archive checked before the spreadsheet reader opens it: every entry inflated once
//! into nothing, counted against [`Limits::max_unzipped_bytes`] as it streams (sizes declared
//! in the archive are not trusted); the shared-string table's size checked, since the reader
//! reserves room for as many strings as the table declares and keeps every one; and the cell
//! elements counted, so a file with too many cells is refused before any is kept.

use std::io::{Cursor, Read};

use quick_xml::events::Event;

use crate::TabularError;
use crate::limits::{Exceeded, Limits};

/// The longest element name (with its prefix) the counters look at.
const NAME_BYTES: usize = 64;

/// Inflated bytes looked at for the `<sst>` start tag of a shared-string table.
const SST_HEAD_BYTES: usize = 64 * 1024;

pub(crate) fn check(bytes: &[u8], limits: &Limits) -> Result<(), TabularError> {
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| TabularError::Xlsx(e.to_string()))?;
    if zip.len() > limits.max_zip_entries {
        return Err(Exceeded::ZipEntries(limits.max_zip_entries).into());
    }
    let over = || Exceeded::UnzippedBytes(limits.max_unzipped_bytes).into();
    let mut total: u64 = 0;
    // Cell elements (`<c …>`) in any part: only worksheets have them.
    let mut cells = TagCounter::new(b"c");
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| TabularError::Xlsx(e.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        if entry.size() > limits.max_unzipped_bytes - total {
            return Err(over());
        }
        cells.restart();
        let shared_strings = entry
            .name()
            .map_err(|e| TabularError::Xlsx(e.to_string()))?
            .to_ascii_lowercase()
            .ends_with("sharedstrings.xml");
        let mut strings = TagCounter::new(b"si");
        let mut head: Vec<u8> = Vec::new();
        loop {
            let n = entry
                .read(&mut buf)
                .map_err(|e| TabularError::Xlsx(e.to_string()))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > limits.max_unzipped_bytes {
                return Err(over());
            }
            if cells.feed(&buf[..n]) > limits.max_cells {
                return Err(Exceeded::Cells(limits.max_cells).into());
            }
            if shared_strings {
                if head.len() < SST_HEAD_BYTES {
                    head.extend_from_slice(&buf[..n.min(SST_HEAD_BYTES - head.len())]);
                    if head.len() == SST_HEAD_BYTES || n < buf.len() {
                        check_declared_strings(&head, limits)?;
                    }
                }
                if strings.feed(&buf[..n]) > limits.max_cells {
                    return Err(Exceeded::SharedStrings(limits.max_cells).into());
                }
            }
        }
        if shared_strings {
            check_declared_strings(&head, limits)?;
        }
    }
    Ok(())
}

/// Refuses a shared-string table whose `<sst>` declares more strings than the limit.
fn check_declared_strings(head: &[u8], limits: &Limits) -> Result<(), TabularError> {
    let mut xml = quick_xml::Reader::from_reader(head);
    loop {
        match xml.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == "sst" => {
                for attr in e.attributes().flatten() {
                    let key = attr.key.local_name();
                    if key.as_ref() == "uniqueCount" || key.as_ref() == "count" {
                        let value = attr.value.trim();
                        // A count that is not a number is ignored by the reader too.
                        let too_many = match value.parse::<u64>() {
                            Ok(n) => n > limits.max_cells as u64,
                            Err(_) => {
                                !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())
                            }
                        };
                        if too_many {
                            return Err(Exceeded::SharedStrings(limits.max_cells).into());
                        }
                    }
                }
                return Ok(());
            }
            Ok(Event::Eof) | Err(_) => return Ok(()),
            _ => {}
        }
    }
}

/// Counts the start tags of one element (by local name, with or without a namespace prefix)
/// across chunks of a stream.
struct TagCounter {
    local: &'static [u8],
    count: usize,
    /// The end of the previous chunk, so a tag split between chunks is still seen.
    carry: Vec<u8>,
}

impl TagCounter {
    fn new(local: &'static [u8]) -> Self {
        TagCounter {
            local,
            count: 0,
            carry: Vec::new(),
        }
    }

    /// A new entry begins: nothing carries over from the previous one (the count does).
    fn restart(&mut self) {
        self.carry.clear();
    }

    fn feed(&mut self, chunk: &[u8]) -> usize {
        let mut window = std::mem::take(&mut self.carry);
        window.extend_from_slice(chunk);
        let mut i = 0;
        while let Some(at) = memchr_lt(&window[i..]) {
            let tag = &window[i + at + 1..];
            if tag.len() < 3 {
                break;
            }
            // `<si>`, `<si ` or `<x:si>` …: the local name is the one counted.
            // Names are short: never look further than NAME_BYTES (a run of `<<<<` would
            // otherwise be read to its end from every one of its characters).
            let name_end = tag
                .iter()
                .take(NAME_BYTES)
                .position(|b| matches!(b, b'>' | b' ' | b'/' | b'\t' | b'\r' | b'\n'));
            match name_end {
                Some(end) => {
                    let name = &tag[..end];
                    let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
                    if local == self.local {
                        self.count += 1;
                    }
                    i += at + 1;
                }
                None if tag.len() < NAME_BYTES => break,
                None => i += at + 1,
            }
        }
        self.carry = window[i..].to_vec();
        if self.carry.len() > NAME_BYTES {
            let keep = self.carry.len() - NAME_BYTES;
            self.carry.drain(..keep);
        }
        self.count
    }
}

fn memchr_lt(hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == b'<')
}
