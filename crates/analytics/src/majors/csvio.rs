//! Reading a [`Dataset`] from CSV bytes (the benchmark's files; an export from the store has
//! the same shape). Pure: the caller reads the files. Columns are found by header name, in any
//! order. The postings file — the big one — is split at line boundaries and parsed on several
//! threads, each interning its districts and industries, merged afterwards.
//!
//! | file | columns |
//! |---|---|
//! | majors | `id,level,code,name,category_code,category_name` (`id` = 0, 1, 2, … in file order) |
//! | occupations | `id,code` (`id` = 0, 1, 2, …) |
//! | crosswalk | `major_id,occupation_id` |
//! | schools | `id,name,district` (`id` = organisation id) |
//! | offerings | `school_id,major_id,year,planned,actual,graduates,employed,employed_matching,salary_fen` (`salary_fen` may be empty) |
//! | postings | `district,industry,occupation,year,count` (`occupation` = occupation code) |

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use csv::ByteRecord;

use super::MajorsError;
use super::dataset::{Dataset, MajorInfo, Offering, Posting, SchoolInfo};

/// The six files' contents.
#[derive(Debug, Clone, Copy)]
pub struct CsvInput<'a> {
    pub majors: &'a [u8],
    pub occupations: &'a [u8],
    pub crosswalk: &'a [u8],
    pub schools: &'a [u8],
    pub offerings: &'a [u8],
    pub postings: &'a [u8],
}

/// A small fast hasher for short byte keys (codes).
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn write_u128(&mut self, n: u128) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(K);
        self.0 = (self.0.rotate_left(5) ^ (n >> 64) as u64).wrapping_mul(K);
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// A map from short codes (district, industry, occupation codes): keys of up to 15 bytes are
/// packed into a `u128` (bytes and length), so a lookup hashes and compares one integer.
struct CodeMap<V> {
    short: FxMap<u128, V>,
    long: FxMap<Vec<u8>, V>,
}

fn pack(key: &[u8]) -> Option<u128> {
    if key.len() > 15 {
        return None;
    }
    let mut b = [0u8; 16];
    b[..key.len()].copy_from_slice(key);
    b[15] = key.len() as u8;
    Some(u128::from_le_bytes(b))
}

impl<V: Copy> CodeMap<V> {
    fn new() -> CodeMap<V> {
        CodeMap {
            short: FxMap::default(),
            long: FxMap::default(),
        }
    }

    fn get(&self, key: &[u8]) -> Option<V> {
        match pack(key) {
            Some(k) => self.short.get(&k).copied(),
            None => self.long.get(key).copied(),
        }
    }

    fn insert(&mut self, key: &[u8], v: V) {
        match pack(key) {
            Some(k) => self.short.insert(k, v),
            None => self.long.insert(key.to_vec(), v),
        };
    }
}

fn csv_err(file: &str, line: u64, message: String) -> MajorsError {
    MajorsError::Csv {
        file: file.to_string(),
        line,
        message,
    }
}

/// A CSV reading error in Chinese.
fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("字段数 {len} 与前面各行的 {expected_len} 不一致"),
        csv::ErrorKind::Io(err) => format!("读取失败：{err}"),
        _ => format!("无法解析：{e}"),
    }
}

fn reader(data: &[u8], headers: bool) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(headers)
        .flexible(false)
        .from_reader(data)
}

/// Positions of the wanted columns in a header record.
fn columns(file: &str, headers: &ByteRecord, want: &[&str]) -> Result<Vec<usize>, MajorsError> {
    want.iter()
        .map(|w| {
            headers
                .iter()
                .position(|h| h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h) == w.as_bytes())
                .ok_or_else(|| csv_err(file, 1, format!("缺少列“{w}”")))
        })
        .collect()
}

/// Parses an integer (ASCII digits with an optional sign, surrounding spaces allowed).
fn int(b: &[u8]) -> Option<i64> {
    let b = b.trim_ascii();
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(if neg { -v } else { v })
}

fn text(file: &str, line: u64, col: &str, b: &[u8]) -> Result<String, MajorsError> {
    std::str::from_utf8(b)
        .map(|s| s.trim().to_string())
        .map_err(|_| csv_err(file, line, format!("列“{col}”不是有效的 UTF-8 文本")))
}

fn num(file: &str, line: u64, col: &str, b: &[u8]) -> Result<i64, MajorsError> {
    int(b).ok_or_else(|| {
        csv_err(
            file,
            line,
            format!("列“{col}”的值“{}”不是整数", String::from_utf8_lossy(b)),
        )
    })
}

/// Reads a small file: calls `row(line, fields)` with the wanted columns in order.
fn each_row(
    file: &str,
    data: &[u8],
    want: &[&str],
    mut row: impl FnMut(u64, &[&[u8]]) -> Result<(), MajorsError>,
) -> Result<(), MajorsError> {
    let mut rdr = reader(data, true);
    let headers = rdr
        .byte_headers()
        .map_err(|e| csv_err(file, 1, format!("无法读取表头：{e}")))?
        .clone();
    let cols = columns(file, &headers, want)?;
    let mut rec = ByteRecord::new();
    loop {
        let more = rdr
            .read_byte_record(&mut rec)
            .map_err(|e| csv_err(file, e.position().map_or(0, |p| p.line()), csv_message(&e)))?;
        if !more {
            break;
        }
        let line = rec.position().map_or(0, |p| p.line());
        let mut fields: [&[u8]; 16] = [&[]; 16];
        for (slot, &c) in fields.iter_mut().zip(&cols) {
            *slot = rec.get(c).unwrap_or_default();
        }
        row(line, &fields[..cols.len()])?;
    }
    Ok(())
}

/// Postings parsed by one thread, with its own interning.
struct Part {
    districts: Vec<Vec<u8>>,
    industries: Vec<Vec<u8>>,
    postings: Vec<Posting>,
}

/// A parse error inside a chunk: (line within the chunk, 1-based; message).
type ChunkErr = (u64, String);

fn parse_chunk(chunk: &[u8], cols: &[usize], occ: &CodeMap<u32>) -> Result<Part, ChunkErr> {
    let mut rdr = reader(chunk, false);
    let mut rec = ByteRecord::new();
    let mut district_ids: CodeMap<u16> = CodeMap::new();
    let mut industry_ids: CodeMap<u32> = CodeMap::new();
    let mut part = Part {
        districts: Vec::new(),
        industries: Vec::new(),
        postings: Vec::with_capacity(chunk.len() / 28 + 16),
    };
    let [cd, ci, co, cy, cc] = [cols[0], cols[1], cols[2], cols[3], cols[4]];
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err((line, csv_message(&e)));
            }
        }
        let line = || rec.position().map_or(0, |p| p.line());
        let f = |c: usize| rec.get(c).unwrap_or_default();
        let d = f(cd).trim_ascii();
        let district = match district_ids.get(d) {
            Some(id) => id,
            None => {
                let id = u16::try_from(part.districts.len())
                    .map_err(|_| (line(), "区县代码超过 65535 个".to_string()))?;
                part.districts.push(d.to_vec());
                district_ids.insert(d, id);
                id
            }
        };
        let ind = f(ci).trim_ascii();
        let industry = match industry_ids.get(ind) {
            Some(id) => id,
            None => {
                let id = part.industries.len() as u32;
                part.industries.push(ind.to_vec());
                industry_ids.insert(ind, id);
                id
            }
        };
        let o = f(co).trim_ascii();
        let occupation = occ.get(o).ok_or_else(|| {
            (
                line(),
                format!("职业代码“{}”不在职业表中", String::from_utf8_lossy(o)),
            )
        })?;
        let year = int(f(cy))
            .and_then(|y| i32::try_from(y).ok())
            .ok_or_else(|| {
                (
                    line(),
                    format!("列“year”的值“{}”不是整数", String::from_utf8_lossy(f(cy))),
                )
            })?;
        let count = int(f(cc)).ok_or_else(|| {
            (
                line(),
                format!("列“count”的值“{}”不是整数", String::from_utf8_lossy(f(cc))),
            )
        })?;
        part.postings.push(Posting {
            count,
            occupation,
            industry,
            year,
            district,
        });
    }
    Ok(part)
}

/// Splits `body` into about `n` pieces at line boundaries.
fn split_lines(body: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for i in 1..n {
        let mut cut = (body.len() * i / n).max(start);
        while cut < body.len() && body[cut - 1] != b'\n' {
            cut += 1;
        }
        if cut > start {
            out.push(&body[start..cut]);
            start = cut;
        }
    }
    if start < body.len() {
        out.push(&body[start..]);
    }
    out
}

fn utf8(file: &str, b: Vec<u8>) -> Result<String, MajorsError> {
    String::from_utf8(b).map_err(|_| csv_err(file, 0, "代码不是有效的 UTF-8 文本".into()))
}

/// Reads the six files into a dataset, parsing postings on up to `threads` threads.
pub fn read_csv(input: &CsvInput<'_>, threads: usize) -> Result<Dataset, MajorsError> {
    // Majors.
    let mut majors = Vec::new();
    let f = "majors.csv";
    each_row(
        f,
        input.majors,
        &[
            "id",
            "level",
            "code",
            "name",
            "category_code",
            "category_name",
        ],
        |line, r| {
            let id = num(f, line, "id", r[0])?;
            if id != majors.len() as i64 {
                return Err(csv_err(
                    f,
                    line,
                    format!(
                        "id 应依次为 0、1、2……（此行应为 {}，收到 {id}）",
                        majors.len()
                    ),
                ));
            }
            majors.push(MajorInfo {
                level: text(f, line, "level", r[1])?,
                code: text(f, line, "code", r[2])?,
                name: text(f, line, "name", r[3])?,
                category_code: text(f, line, "category_code", r[4])?,
                category_name: text(f, line, "category_name", r[5])?,
            });
            Ok(())
        },
    )?;

    // Occupations.
    let mut occupations: Vec<String> = Vec::new();
    let f = "occupations.csv";
    each_row(f, input.occupations, &["id", "code"], |line, r| {
        let id = num(f, line, "id", r[0])?;
        if id != occupations.len() as i64 {
            return Err(csv_err(
                f,
                line,
                format!(
                    "id 应依次为 0、1、2……（此行应为 {}，收到 {id}）",
                    occupations.len()
                ),
            ));
        }
        occupations.push(text(f, line, "code", r[1])?);
        Ok(())
    })?;

    // Crosswalk.
    let mut crosswalk = Vec::new();
    let f = "crosswalk.csv";
    each_row(
        f,
        input.crosswalk,
        &["major_id", "occupation_id"],
        |line, r| {
            let m = num(f, line, "major_id", r[0])?;
            let o = num(f, line, "occupation_id", r[1])?;
            let (Ok(m), Ok(o)) = (u32::try_from(m), u32::try_from(o)) else {
                return Err(csv_err(f, line, "序号超出范围".into()));
            };
            crosswalk.push((m, o));
            Ok(())
        },
    )?;

    // Schools.
    let mut schools = Vec::new();
    let mut school_ids: FxMap<i64, u32> = FxMap::default();
    let f = "schools.csv";
    each_row(f, input.schools, &["id", "name", "district"], |line, r| {
        let id = num(f, line, "id", r[0])?;
        if school_ids.insert(id, schools.len() as u32).is_some() {
            return Err(csv_err(f, line, format!("学校 id {id} 重复")));
        }
        schools.push(SchoolInfo {
            id,
            name: text(f, line, "name", r[1])?,
            district: text(f, line, "district", r[2])?,
        });
        Ok(())
    })?;

    // Offerings.
    let mut offerings = Vec::with_capacity(input.offerings.len() / 40);
    let f = "offerings.csv";
    let cols = [
        "school_id",
        "major_id",
        "year",
        "planned",
        "actual",
        "graduates",
        "employed",
        "employed_matching",
        "salary_fen",
    ];
    each_row(f, input.offerings, &cols, |line, r| {
        let n = |i: usize| num(f, line, cols[i], r[i]);
        let sid = n(0)?;
        let school = *school_ids
            .get(&sid)
            .ok_or_else(|| csv_err(f, line, format!("学校 id {sid} 不在学校表中")))?;
        let major =
            u32::try_from(n(1)?).map_err(|_| csv_err(f, line, "major_id 超出范围".into()))?;
        let year = i32::try_from(n(2)?).map_err(|_| csv_err(f, line, "年份超出范围".into()))?;
        let salary_fen = if r[8].trim_ascii().is_empty() {
            None
        } else {
            Some(n(8)?)
        };
        offerings.push(Offering {
            school,
            major,
            year,
            planned: n(3)?,
            actual: n(4)?,
            graduates: n(5)?,
            employed: n(6)?,
            employed_matching: n(7)?,
            salary_fen,
        });
        Ok(())
    })?;

    // Postings: header, then the body split over threads.
    let f = "postings.csv";
    let data = input.postings;
    let header_end = data
        .iter()
        .position(|&b| b == b'\n')
        .map_or(data.len(), |p| p + 1);
    let mut hdr = reader(&data[..header_end], false);
    let mut headers = ByteRecord::new();
    hdr.read_byte_record(&mut headers)
        .map_err(|e| csv_err(f, 1, format!("无法读取表头：{e}")))?;
    let cols = columns(
        f,
        &headers,
        &["district", "industry", "occupation", "year", "count"],
    )?;
    let body = &data[header_end..];
    // Quoted fields may hold line breaks: then only one piece is safe.
    let threads = if body.contains(&b'"') {
        1
    } else {
        threads.max(1)
    };
    let pieces = split_lines(body, threads);
    let mut occ: CodeMap<u32> = CodeMap::new();
    for (i, c) in occupations.iter().enumerate() {
        occ.insert(c.as_bytes(), i as u32);
    }
    let results: Vec<Result<Part, ChunkErr>> = std::thread::scope(|s| {
        let handles: Vec<_> = pieces
            .iter()
            .map(|p| {
                let (cols, occ) = (&cols, &occ);
                s.spawn(move || parse_chunk(p, cols, occ))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("postings parser thread"))
            .collect()
    });
    let mut parts = Vec::with_capacity(results.len());
    let mut lines_before: u64 = 1;
    for (p, r) in pieces.iter().zip(results) {
        match r {
            Ok(part) => parts.push(part),
            Err((line, message)) => return Err(csv_err(f, lines_before + line, message)),
        }
        lines_before += p.iter().filter(|&&b| b == b'\n').count() as u64;
    }

    // Merge the interning of every part into the first one's.
    let mut districts: Vec<String> = Vec::new();
    let mut industries: Vec<String> = Vec::new();
    let mut d_ids: FxMap<Vec<u8>, u16> = FxMap::default();
    let mut i_ids: FxMap<Vec<u8>, u32> = FxMap::default();
    let mut postings: Vec<Posting> = Vec::new();
    for (n, mut part) in parts.into_iter().enumerate() {
        let mut d_map = Vec::with_capacity(part.districts.len());
        for d in part.districts {
            let id = match d_ids.get(&d) {
                Some(&id) => id,
                None => {
                    let id = u16::try_from(districts.len())
                        .map_err(|_| csv_err(f, 0, "区县代码超过 65535 个".into()))?;
                    districts.push(utf8(f, d.clone())?);
                    d_ids.insert(d, id);
                    id
                }
            };
            d_map.push(id);
        }
        let mut i_map = Vec::with_capacity(part.industries.len());
        for i in part.industries {
            let id = match i_ids.get(&i) {
                Some(&id) => id,
                None => {
                    let id = industries.len() as u32;
                    industries.push(utf8(f, i.clone())?);
                    i_ids.insert(i, id);
                    id
                }
            };
            i_map.push(id);
        }
        let identity = d_map.iter().enumerate().all(|(i, &d)| i == d as usize)
            && i_map.iter().enumerate().all(|(i, &x)| i == x as usize);
        if !identity {
            for p in &mut part.postings {
                p.district = d_map[p.district as usize];
                p.industry = i_map[p.industry as usize];
            }
        }
        if n == 0 {
            postings = part.postings;
        } else {
            postings.extend_from_slice(&part.postings);
        }
    }

    let mut ds = Dataset::new(majors, occupations, crosswalk, schools, offerings);
    ds.set_interned(districts, industries, postings);
    Ok(ds)
}
