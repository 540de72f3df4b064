//! The working-day calendar: review-stage deadlines are counted in working days in
//! Asia/Shanghai, taking China's public holidays (`off`, 放假) and make-up workdays
//! (`makeup_workday`, 调休上班日) into account.
//!
//! Holiday data is kept per calendar year, one CSV file a year, written from the
//! State Council General Office's yearly notice (国务院办公厅关于某年部分节假日安排的通知).
//! The years the product ships are compiled in from `data/holidays/<year>.csv`
//! ([`Calendar::shipped`]); a new year's notice is imported with
//! [`Calendar::with_year_csv`].
//!
//! # File format
//!
//! UTF-8 (a BOM is tolerated), `\n` or `\r\n` line ends, a header line
//! `date,name,kind,source` and then one row per date:
//!
//! ```text
//! date,name,kind,source
//! 2025-10-01,国庆节、中秋节,off,国办发明电〔2024〕12号
//! 2025-10-11,国庆节、中秋节,makeup_workday,国办发明电〔2024〕12号
//! ```
//!
//! `date` is `YYYY-MM-DD`; `kind` is `off` or `makeup_workday`; `name` and `source`
//! must not be empty. Fields are not quoted and must not contain commas. Blank lines
//! are ignored. All dates of one file must fall in the same calendar year: a notice
//! may move days of the neighbouring year (the 2019 notice moved 2018-12-29), and such
//! dates belong in that other year's file.
//!
//! # Years without data
//!
//! A year is *covered* when a file for it has been loaded. For dates in a year that
//! is not covered, the calendar falls back to weekends only: Monday–Friday are
//! working days, Saturday and Sunday are not. Deadlines computed across such years
//! may therefore be too early; callers should check [`Calendar::has_data_for`] /
//! [`Calendar::uncovered_years`] and warn the user (for example
//! “2027年节假日安排尚未导入，期限按双休日计算”).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound::{Excluded, Included};
use std::time::SystemTime;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc, Weekday};
use serde::Serialize;

/// The years compiled into the binary, with their files.
const SHIPPED: [(i32, &str); 3] = [
    (2024, include_str!("../data/holidays/2024.csv")),
    (2025, include_str!("../data/holidays/2025.csv")),
    (2026, include_str!("../data/holidays/2026.csv")),
];

/// The header every holiday file starts with.
pub const CSV_HEADER: &str = "date,name,kind,source";

/// What a holiday file says about a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// 放假: no work, whatever the day of the week.
    Off,
    /// 调休上班: a Saturday or Sunday that is worked.
    MakeupWorkday,
}

impl DayKind {
    pub const ALL: [DayKind; 2] = [DayKind::Off, DayKind::MakeupWorkday];

    /// The code used in files: `off` / `makeup_workday`.
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Off => "off",
            DayKind::MakeupWorkday => "makeup_workday",
        }
    }

    /// 放假 / 调休上班.
    pub fn label(self) -> &'static str {
        match self {
            DayKind::Off => "放假",
            DayKind::MakeupWorkday => "调休上班",
        }
    }

    /// Parses the file code (exact, lower case).
    pub fn from_code(code: &str) -> Option<DayKind> {
        DayKind::ALL.into_iter().find(|k| k.as_str() == code)
    }
}

/// One row of a holiday file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holiday {
    pub date: NaiveDate,
    /// The holiday the day belongs to, e.g. 春节.
    pub name: String,
    pub kind: DayKind,
    /// The notice the row comes from, e.g. 国办发明电〔2024〕12号.
    pub source: String,
}

/// A validated holiday file: one calendar year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearNotice {
    pub year: i32,
    /// Sorted by date, dates unique.
    pub entries: Vec<Holiday>,
}

/// Why a holiday file was rejected. `line` is the 1-based line number in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("节假日文件为空，第1行应为表头“date,name,kind,source”")]
    Empty,
    #[error("第{line}行：表头应为“date,name,kind,source”，实际为“{found}”")]
    Header { line: usize, found: String },
    #[error("节假日文件没有数据行")]
    NoRows,
    #[error("第{line}行：应有4列（date,name,kind,source），实际为{found}列")]
    ColumnCount { line: usize, found: usize },
    #[error("第{line}行：日期“{value}”无效，应为YYYY-MM-DD格式的有效日期")]
    BadDate { line: usize, value: String },
    #[error("第{line}行：类型“{value}”无效，应为off（放假）或makeup_workday（调休上班）")]
    UnknownKind { line: usize, value: String },
    #[error("第{line}行：节日名称不能为空")]
    EmptyName { line: usize },
    #[error("第{line}行：来源不能为空，应填写国务院办公厅通知文号")]
    EmptySource { line: usize },
    #[error("第{line}行：日期{date}与第{first_line}行重复")]
    DuplicateDate {
        line: usize,
        date: NaiveDate,
        first_line: usize,
    },
    #[error("第{line}行：{date}是{weekday}，本来就是工作日，不能标记为调休上班日")]
    MakeupOnWeekday {
        line: usize,
        date: NaiveDate,
        weekday: &'static str,
    },
    #[error(
        "第{line}行：日期{date}属于{found}年，而本文件是{year}年的数据（每个文件只能包含同一年的日期）"
    )]
    MixedYears {
        line: usize,
        date: NaiveDate,
        found: i32,
        year: i32,
    },
}

/// Parses and validates one year's holiday file without importing it (for previews).
pub fn parse_year_csv(text: &str) -> Result<YearNotice, CalendarError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());

    let (header_line, header) = lines.next().ok_or(CalendarError::Empty)?;
    let header_fields: Vec<&str> = header.split(',').map(str::trim).collect();
    if header_fields.join(",") != CSV_HEADER {
        return Err(CalendarError::Header {
            line: header_line,
            found: header.trim().to_owned(),
        });
    }

    let mut year: Option<i32> = None;
    let mut seen: BTreeMap<NaiveDate, (usize, Holiday)> = BTreeMap::new();
    for (line, row) in lines {
        let fields: Vec<&str> = row.split(',').map(str::trim).collect();
        let [date, name, kind, source] = fields[..] else {
            return Err(CalendarError::ColumnCount {
                line,
                found: fields.len(),
            });
        };
        let date = parse_date(date).ok_or_else(|| CalendarError::BadDate {
            line,
            value: date.to_owned(),
        })?;
        let kind = DayKind::from_code(kind).ok_or_else(|| CalendarError::UnknownKind {
            line,
            value: kind.to_owned(),
        })?;
        if name.is_empty() {
            return Err(CalendarError::EmptyName { line });
        }
        if source.is_empty() {
            return Err(CalendarError::EmptySource { line });
        }
        if kind == DayKind::MakeupWorkday && is_weekday(date) {
            return Err(CalendarError::MakeupOnWeekday {
                line,
                date,
                weekday: weekday_label(date.weekday()),
            });
        }
        match year {
            None => year = Some(date.year()),
            Some(y) if y != date.year() => {
                return Err(CalendarError::MixedYears {
                    line,
                    date,
                    found: date.year(),
                    year: y,
                });
            }
            Some(_) => {}
        }
        if let Some((first_line, _)) = seen.get(&date) {
            return Err(CalendarError::DuplicateDate {
                line,
                date,
                first_line: *first_line,
            });
        }
        let holiday = Holiday {
            date,
            name: name.to_owned(),
            kind,
            source: source.to_owned(),
        };
        seen.insert(date, (line, holiday));
    }

    let year = year.ok_or(CalendarError::NoRows)?;
    Ok(YearNotice {
        year,
        entries: seen.into_values().map(|(_, h)| h).collect(),
    })
}

/// Strict `YYYY-MM-DD` (four-digit year, zero-padded month and day).
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn is_weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn weekday_label(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "周一",
        Weekday::Tue => "周二",
        Weekday::Wed => "周三",
        Weekday::Thu => "周四",
        Weekday::Fri => "周五",
        Weekday::Sat => "周六",
        Weekday::Sun => "周日",
    }
}

/// Number of Monday–Friday dates from 0001-01-01 (a Monday) up to and including `d`;
/// negative-side dates count consistently, so differences are exact.
fn weekdays_through(d: NaiveDate) -> i64 {
    let z = i64::from(d.num_days_from_ce()) - 1; // 0 = Monday 0001-01-01
    z.div_euclid(7) * 5 + (z.rem_euclid(7) + 1).min(5)
}

/// Working days in China (Asia/Shanghai), from per-year holiday data.
///
/// Years without data fall back to weekends only; see the module documentation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, Holiday>,
    years: BTreeSet<i32>,
}

impl Calendar {
    /// A calendar without any holiday data (weekends only everywhere).
    pub fn empty() -> Calendar {
        Calendar::default()
    }

    /// The calendar with the years compiled into the binary (2024–2026).
    pub fn shipped() -> Calendar {
        let mut cal = Calendar::empty();
        for (year, text) in SHIPPED {
            let notice = parse_year_csv(text)
                .unwrap_or_else(|e| panic!("embedded holiday file {year}.csv is invalid: {e}"));
            assert_eq!(notice.year, year, "embedded holiday file {year}.csv");
            cal.insert_year(notice);
        }
        cal
    }

    /// The years compiled into the binary.
    pub fn shipped_years() -> impl Iterator<Item = i32> {
        SHIPPED.into_iter().map(|(y, _)| y)
    }

    /// Imports one year's file (see the module documentation for the format) and
    /// returns the number of rows imported. Importing a year already present
    /// replaces all its data. On error the calendar is left unchanged.
    pub fn with_year_csv(&mut self, text: &str) -> Result<usize, CalendarError> {
        let notice = parse_year_csv(text)?;
        Ok(self.insert_year(notice))
    }

    /// Imports an already validated year, replacing that year; returns its row count.
    pub fn insert_year(&mut self, notice: YearNotice) -> usize {
        let YearNotice { year, entries } = notice;
        self.days.retain(|d, _| d.year() != year);
        let count = entries.len();
        for h in entries {
            debug_assert_eq!(h.date.year(), year);
            self.days.insert(h.date, h);
        }
        self.years.insert(year);
        count
    }

    /// Whether holiday data for `year` is loaded.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// Whether `d` falls in a year with holiday data. When false,
    /// [`is_working_day`](Self::is_working_day) only knows about weekends.
    pub fn has_data_for(&self, d: NaiveDate) -> bool {
        self.covers(d.year())
    }

    /// The years between `a` and `b` (inclusive, either order) that have no data:
    /// callers computing a deadline over that span should warn when non-empty.
    pub fn uncovered_years(&self, a: NaiveDate, b: NaiveDate) -> Vec<i32> {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        (lo.year()..=hi.year())
            .filter(|y| !self.covers(*y))
            .collect()
    }

    /// The years with data, ascending.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// The row for `d`, if the data says anything about it.
    pub fn entry(&self, d: NaiveDate) -> Option<&Holiday> {
        self.days.get(&d)
    }

    /// All rows of `year`, by date (empty when the year is not covered).
    pub fn entries(&self, year: i32) -> impl Iterator<Item = &Holiday> + '_ {
        self.days
            .values()
            .skip_while(move |h| h.date.year() < year)
            .take_while(move |h| h.date.year() == year)
    }

    /// Monday–Friday unless marked `off`; Saturday/Sunday only if marked
    /// `makeup_workday`. Years without data: Monday–Friday.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d).map(|h| h.kind) {
            Some(DayKind::Off) => false,
            Some(DayKind::MakeupWorkday) => true,
            None => is_weekday(d),
        }
    }

    /// The `n`-th working day after `start` (`start` itself is not counted;
    /// `n == 0` gives `start`). `None` only if the result is beyond chrono's range.
    pub fn checked_add_working_days(&self, start: NaiveDate, n: u32) -> Option<NaiveDate> {
        if n == 0 {
            return Some(start);
        }
        let n = i64::from(n);
        let at = |offset: i64| start.checked_add_days(Days::new(offset as u64));
        // Invariant: count(start, start+lo) < n <= count(start, start+hi).
        let mut lo: i64 = 0;
        let mut hi: i64 = n + n / 2 + 7;
        loop {
            if self.count_forward(start, at(hi)?) >= n {
                break;
            }
            lo = hi;
            hi = hi.checked_mul(2)?;
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.count_forward(start, at(mid)?) >= n {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        // The count only grows on working days, so the first date reaching n is one.
        at(hi)
    }

    /// The `n`-th working day after `start` (`start` itself is not counted;
    /// `n == 0` gives `start`).
    ///
    /// # Panics
    /// If the result lies beyond chrono's date range (hundreds of thousands of years).
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        self.checked_add_working_days(start, n)
            .expect("working-day deadline beyond the supported date range")
    }

    /// The number of working days in `(from, to]`; negative (minus the number in
    /// `(to, from]`) when `to < from`. So `working_days_between(d, add_working_days(d, n)) == n`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if from <= to {
            self.count_forward(from, to)
        } else {
            -self.count_forward(to, from)
        }
    }

    /// Working days in `(from, to]`, `from <= to`: weekdays plus the corrections the
    /// data makes inside the range.
    fn count_forward(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        debug_assert!(from <= to);
        let weekdays = weekdays_through(to) - weekdays_through(from);
        let corrections: i64 = self
            .days
            .range((Excluded(from), Included(to)))
            .map(|(d, h)| {
                let working = h.kind == DayKind::MakeupWorkday;
                i64::from(working) - i64::from(is_weekday(*d))
            })
            .sum();
        weekdays + corrections
    }
}

/// Asia/Shanghai is UTC+8 all year (no daylight saving time since 1991).
const SHANGHAI_OFFSET: TimeDelta = TimeDelta::hours(8);

/// The calendar date in Asia/Shanghai at the instant `utc`.
pub fn shanghai_date(utc: DateTime<Utc>) -> NaiveDate {
    (utc.naive_utc() + SHANGHAI_OFFSET).date()
}

/// Today's date in Asia/Shanghai, from the system clock (UTC now + 8 h).
pub fn today_shanghai() -> NaiveDate {
    shanghai_date(DateTime::<Utc>::from(SystemTime::now()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn header_plus(rows: &str) -> String {
        format!("{CSV_HEADER}\n{rows}")
    }

    #[test]
    fn shipped_years_parse_and_are_covered() {
        let cal = Calendar::shipped();
        assert_eq!(cal.years().collect::<Vec<_>>(), vec![2024, 2025, 2026]);
        assert_eq!(
            Calendar::shipped_years().collect::<Vec<_>>(),
            vec![2024, 2025, 2026]
        );
        for y in 2024..=2026 {
            assert!(cal.covers(y));
            assert!(cal.entries(y).count() > 30, "{y}");
            assert!(cal.entries(y).all(|h| h.date.year() == y));
        }
        assert!(!cal.covers(2023));
        assert!(!cal.covers(2027));
        assert_eq!(cal.entries(2027).count(), 0);
        let src = &cal.entry(d(2025, 10, 1)).unwrap().source;
        assert_eq!(src, "国办发明电〔2024〕12号");
        assert_eq!(
            cal.entry(d(2024, 10, 1)).unwrap().source,
            "国办发明电〔2023〕7号"
        );
        assert_eq!(
            cal.entry(d(2026, 10, 1)).unwrap().source,
            "国办发明电〔2025〕7号"
        );
    }

    /// Every shipped year must agree (date and kind) with the public reference
    /// compiled from the State Council notices (`../shared/data`, beside the checkout).
    #[test]
    fn shipped_years_match_reference_file() {
        const REFERENCE: &str = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/holidays-cn.csv"
        );
        let text = std::fs::read_to_string(REFERENCE)
            .unwrap_or_else(|e| panic!("{REFERENCE} (the shared reference data): {e}"));
        let cal = Calendar::shipped();
        for year in Calendar::shipped_years() {
            let mut expected: Vec<(NaiveDate, DayKind)> = text
                .lines()
                .skip(1)
                .filter(|l| !l.trim().is_empty())
                .filter_map(|l| {
                    let mut f = l.split(',');
                    let date = f.next()?.trim();
                    let _name = f.next()?;
                    let kind = f.next()?.trim();
                    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                        .unwrap_or_else(|_| panic!("reference: bad date in {l}"));
                    let kind = DayKind::from_code(kind)
                        .unwrap_or_else(|| panic!("reference: bad kind in {l}"));
                    (date.year() == year).then_some((date, kind))
                })
                .collect();
            expected.sort();
            let actual: Vec<(NaiveDate, DayKind)> =
                cal.entries(year).map(|h| (h.date, h.kind)).collect();
            let missing: Vec<_> = expected.iter().filter(|e| !actual.contains(e)).collect();
            let extra: Vec<_> = actual.iter().filter(|a| !expected.contains(a)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{year}: missing from shipped data {missing:?}, not in reference {extra:?}"
            );
            assert!(!expected.is_empty(), "reference has no rows for {year}");
        }
    }

    #[test]
    fn embedded_files_have_sources_and_weekend_makeups() {
        let cal = Calendar::shipped();
        for y in Calendar::shipped_years() {
            for h in cal.entries(y) {
                assert!(h.source.starts_with("国办发明电〔"), "{h:?}");
                if h.kind == DayKind::MakeupWorkday {
                    assert!(!is_weekday(h.date), "{h:?}");
                }
            }
        }
    }

    #[test]
    fn national_day_week_2025() {
        let cal = Calendar::shipped();
        for day in 1..=8 {
            assert!(!cal.is_working_day(d(2025, 10, day)), "2025-10-{day}");
        }
        // Saturday 27 Sep is an ordinary weekend day; Sunday 28 Sep is worked.
        assert!(!cal.is_working_day(d(2025, 9, 27)));
        assert_eq!(d(2025, 9, 28).weekday(), Weekday::Sun);
        assert!(cal.is_working_day(d(2025, 9, 28)));
        assert!(cal.is_working_day(d(2025, 9, 29)));
        assert!(cal.is_working_day(d(2025, 9, 30)));
        assert!(cal.is_working_day(d(2025, 10, 9)));
        assert!(cal.is_working_day(d(2025, 10, 10)));
        assert_eq!(d(2025, 10, 11).weekday(), Weekday::Sat);
        assert!(cal.is_working_day(d(2025, 10, 11)));
        assert!(!cal.is_working_day(d(2025, 10, 12)));
        // Fri 26 Sep + 1 → Sun 28 Sep (make-up), + 3 → Tue 30 Sep, + 4 → Thu 9 Oct.
        assert_eq!(cal.add_working_days(d(2025, 9, 26), 1), d(2025, 9, 28));
        assert_eq!(cal.add_working_days(d(2025, 9, 26), 3), d(2025, 9, 30));
        assert_eq!(cal.add_working_days(d(2025, 9, 26), 4), d(2025, 10, 9));
        assert_eq!(cal.add_working_days(d(2025, 9, 30), 3), d(2025, 10, 11));
        assert_eq!(cal.working_days_between(d(2025, 9, 30), d(2025, 10, 8)), 0);
        assert_eq!(cal.working_days_between(d(2025, 9, 26), d(2025, 10, 12)), 6);
    }

    #[test]
    fn spring_festival_2026() {
        let cal = Calendar::shipped();
        // 2月15日（周日）至23日（周一）放假；2月14日（周六）、2月28日（周六）上班。
        for day in 15..=23 {
            assert!(!cal.is_working_day(d(2026, 2, day)), "2026-02-{day}");
        }
        assert_eq!(d(2026, 2, 14).weekday(), Weekday::Sat);
        assert!(cal.is_working_day(d(2026, 2, 14)));
        assert!(cal.is_working_day(d(2026, 2, 13)));
        assert!(cal.is_working_day(d(2026, 2, 24)));
        assert!(cal.is_working_day(d(2026, 2, 28)));
        assert!(!cal.is_working_day(d(2026, 3, 1)));
        assert_eq!(cal.entry(d(2026, 2, 17)).unwrap().name, "春节");
        // Friday 13 Feb: +1 → Sat 14 Feb (make-up), +2 → Tue 24 Feb.
        assert_eq!(cal.add_working_days(d(2026, 2, 13), 1), d(2026, 2, 14));
        assert_eq!(cal.add_working_days(d(2026, 2, 13), 2), d(2026, 2, 24));
        // 24–27 Feb (Tue–Fri) and Sat 28 Feb: five working days.
        assert_eq!(cal.add_working_days(d(2026, 2, 14), 5), d(2026, 2, 28));
        assert_eq!(cal.add_working_days(d(2026, 2, 14), 6), d(2026, 3, 2));
    }

    #[test]
    fn adding_working_days_across_a_holiday() {
        let cal = Calendar::shipped();
        // Labour Day 2025: 5月1日至5日放假，4月27日（周日）上班.
        // From Friday 25 Apr, 10 working days: 27, 28, 29, 30 Apr, 6, 7, 8, 9 May,
        // 12, 13 May.
        assert_eq!(cal.add_working_days(d(2025, 4, 25), 10), d(2025, 5, 13));
        // The same span under the weekends-only fallback is two days shorter.
        assert_eq!(
            Calendar::empty().add_working_days(d(2025, 4, 25), 10),
            d(2025, 5, 9)
        );
        assert_eq!(cal.add_working_days(d(2025, 4, 25), 0), d(2025, 4, 25));
        // Starting on a holiday: 1 May 2025 + 1 → Tue 6 May.
        assert_eq!(cal.add_working_days(d(2025, 5, 1), 1), d(2025, 5, 6));
        // Across the year end: 1–3 Jan 2026 are off, Sunday 4 Jan is a make-up workday.
        assert_eq!(cal.add_working_days(d(2025, 12, 31), 1), d(2026, 1, 4));
        assert_eq!(cal.add_working_days(d(2025, 12, 31), 2), d(2026, 1, 5));
        // Large n stays fast and consistent.
        let far = cal.add_working_days(d(2025, 1, 1), 100_000);
        assert_eq!(cal.working_days_between(d(2025, 1, 1), far), 100_000);
    }

    #[test]
    fn between_is_antisymmetric_and_additive() {
        let cal = Calendar::shipped();
        let a = d(2024, 12, 20);
        let b = d(2025, 2, 14);
        let c = d(2026, 3, 3);
        assert_eq!(cal.working_days_between(a, a), 0);
        assert_eq!(
            cal.working_days_between(a, b),
            -cal.working_days_between(b, a)
        );
        assert_eq!(
            cal.working_days_between(a, c),
            cal.working_days_between(a, b) + cal.working_days_between(b, c)
        );
        // 2025: 261 weekdays − 18 weekdays off + 5 make-up weekend days = 248.
        assert_eq!(
            cal.working_days_between(d(2024, 12, 31), d(2025, 12, 31)),
            248
        );
    }

    #[test]
    fn fallback_outside_data_and_coverage_helpers() {
        let cal = Calendar::shipped();
        let jan1_2027 = d(2027, 1, 1); // a Friday, a holiday in reality
        assert!(!cal.has_data_for(jan1_2027));
        assert!(cal.is_working_day(jan1_2027));
        assert!(cal.has_data_for(d(2026, 12, 31)));
        assert_eq!(
            cal.uncovered_years(d(2027, 3, 1), d(2025, 1, 1)),
            vec![2027]
        );
        assert!(
            cal.uncovered_years(d(2024, 1, 1), d(2026, 12, 31))
                .is_empty()
        );
        assert_eq!(
            cal.uncovered_years(d(2023, 6, 1), d(2028, 1, 1)),
            vec![2023, 2027, 2028]
        );
    }

    #[test]
    fn import_new_year_and_replace() {
        let mut cal = Calendar::shipped();
        let text = "\u{feff}date,name,kind,source\r\n\
                    2027-01-01,元旦,off,国办发明电〔2026〕X号\r\n\
                    \r\n\
                    2027-01-02,元旦,makeup_workday,国办发明电〔2026〕X号\r\n";
        assert_eq!(cal.with_year_csv(text), Ok(2));
        assert!(cal.covers(2027));
        assert!(!cal.is_working_day(d(2027, 1, 1)));
        assert!(cal.is_working_day(d(2027, 1, 2)));
        // Re-importing replaces the whole year.
        let text = header_plus("2027-02-08,春节,off,国办发明电〔2026〕X号\n");
        assert_eq!(cal.with_year_csv(&text), Ok(1));
        assert!(cal.is_working_day(d(2027, 1, 1)));
        assert!(!cal.is_working_day(d(2027, 1, 2)));
        assert!(!cal.is_working_day(d(2027, 2, 8)));
        assert_eq!(cal.entries(2027).count(), 1);
        // Other years untouched.
        assert_eq!(cal.entries(2026).count(), 39);
        // Replacing a shipped year works the same way.
        let text = header_plus("2025-03-03,测试,off,测试\n");
        assert_eq!(cal.with_year_csv(&text), Ok(1));
        assert!(cal.is_working_day(d(2025, 10, 1)));
        assert!(!cal.is_working_day(d(2025, 3, 3)));
    }

    fn import_err(rows: &str) -> CalendarError {
        let mut cal = Calendar::shipped();
        let before = cal.clone();
        let err = cal.with_year_csv(&header_plus(rows)).unwrap_err();
        assert_eq!(cal, before, "a failed import must not change the calendar");
        err
    }

    #[test]
    fn import_errors_have_line_numbers_and_chinese_messages() {
        let src = "国办发明电〔2026〕X号";
        let e = import_err(&format!("2027-02-30,春节,off,{src}\n"));
        assert_eq!(
            e.to_string(),
            "第2行：日期“2027-02-30”无效，应为YYYY-MM-DD格式的有效日期"
        );
        let e = import_err(&format!(
            "2027-01-01,元旦,off,{src}\n2027/1/4,元旦,off,{src}\n"
        ));
        assert_eq!(
            e,
            CalendarError::BadDate {
                line: 3,
                value: "2027/1/4".into()
            }
        );
        let e = import_err(&format!("2027-1-4,元旦,off,{src}\n"));
        assert!(matches!(e, CalendarError::BadDate { line: 2, .. }));

        let e = import_err(&format!("2027-01-01,元旦,holiday,{src}\n"));
        assert_eq!(
            e.to_string(),
            "第2行：类型“holiday”无效，应为off（放假）或makeup_workday（调休上班）"
        );

        let e = import_err(&format!(
            "2027-01-01,元旦,off,{src}\n2027-01-02,元旦,off,{src}\n2027-01-01,元旦,off,{src}\n"
        ));
        assert_eq!(e.to_string(), "第4行：日期2027-01-01与第2行重复");

        // 2027-01-04 is a Monday.
        let e = import_err(&format!("2027-01-04,元旦,makeup_workday,{src}\n"));
        assert_eq!(
            e.to_string(),
            "第2行：2027-01-04是周一，本来就是工作日，不能标记为调休上班日"
        );

        let e = import_err(&format!(
            "2026-12-31,元旦,off,{src}\n2027-01-01,元旦,off,{src}\n"
        ));
        assert_eq!(
            e.to_string(),
            "第3行：日期2027-01-01属于2027年，而本文件是2026年的数据（每个文件只能包含同一年的日期）"
        );

        let e = import_err("2027-01-01,元旦,off\n");
        assert_eq!(
            e.to_string(),
            "第2行：应有4列（date,name,kind,source），实际为3列"
        );
        let e = import_err(&format!("2027-01-01,元旦,off,{src},extra\n"));
        assert_eq!(e, CalendarError::ColumnCount { line: 2, found: 5 });

        let e = import_err(&format!("2027-01-01,,off,{src}\n"));
        assert_eq!(e.to_string(), "第2行：节日名称不能为空");
        let e = import_err("2027-01-01,元旦,off, \n");
        assert_eq!(
            e.to_string(),
            "第2行：来源不能为空，应填写国务院办公厅通知文号"
        );

        let e = import_err("");
        assert_eq!(e, CalendarError::NoRows);
        assert_eq!(e.to_string(), "节假日文件没有数据行");

        let mut cal = Calendar::empty();
        let e = cal.with_year_csv("  \n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "节假日文件为空，第1行应为表头“date,name,kind,source”"
        );
        let e = cal
            .with_year_csv("日期,名称,类型,来源\n2027-01-01,元旦,off,x\n")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "第1行：表头应为“date,name,kind,source”，实际为“日期,名称,类型,来源”"
        );
        assert_eq!(cal, Calendar::empty());
    }

    #[test]
    fn parse_year_csv_sorts_rows() {
        let n = parse_year_csv(&header_plus(
            "2027-05-01,劳动节,off,x\n2027-01-01,元旦,off,x\n",
        ))
        .unwrap();
        assert_eq!(n.year, 2027);
        let dates: Vec<_> = n.entries.iter().map(|h| h.date).collect();
        assert_eq!(dates, vec![d(2027, 1, 1), d(2027, 5, 1)]);
    }

    #[test]
    fn day_kind_codes() {
        for k in DayKind::ALL {
            assert_eq!(DayKind::from_code(k.as_str()), Some(k));
        }
        assert_eq!(DayKind::from_code("OFF"), None);
        assert_eq!(DayKind::Off.label(), "放假");
        assert_eq!(DayKind::MakeupWorkday.label(), "调休上班");
        assert_eq!(
            serde_json::to_string(&DayKind::MakeupWorkday).unwrap(),
            "\"makeup_workday\""
        );
    }

    #[test]
    fn shanghai_date_is_utc_plus_eight() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(shanghai_date(t("2025-09-30T15:59:59Z")), d(2025, 9, 30));
        assert_eq!(shanghai_date(t("2025-09-30T16:00:00Z")), d(2025, 10, 1));
        assert_eq!(shanghai_date(t("2025-12-31T23:00:00Z")), d(2026, 1, 1));
        let today = today_shanghai();
        assert!(today.year() >= 2024);
    }

    fn naive_count(cal: &Calendar, from: NaiveDate, to: NaiveDate) -> i64 {
        from.iter_days()
            .skip(1)
            .take_while(|x| *x <= to)
            .filter(|x| cal.is_working_day(*x))
            .count() as i64
    }

    fn date_strategy() -> impl Strategy<Value = NaiveDate> {
        // 2023-01-01 .. 2028-12-31: shipped years and fallback years on both sides.
        (0u64..(6 * 366)).prop_map(|k| d(2023, 1, 1) + Days::new(k))
    }

    proptest! {
        #[test]
        fn add_then_between_round_trips(start in date_strategy(), n in 0u32..600) {
            let cal = Calendar::shipped();
            let end = cal.add_working_days(start, n);
            prop_assert_eq!(cal.working_days_between(start, end), i64::from(n));
            prop_assert_eq!(cal.working_days_between(end, start), -i64::from(n));
            if n >= 1 {
                prop_assert!(cal.is_working_day(end));
                prop_assert!(end > start);
                // Minimal: the day before is still short of n.
                let before = end.pred_opt().unwrap();
                prop_assert_eq!(cal.working_days_between(start, before), i64::from(n) - 1);
            } else {
                prop_assert_eq!(end, start);
            }
        }

        #[test]
        fn between_matches_day_by_day_count(a in date_strategy(), b in date_strategy()) {
            let cal = Calendar::shipped();
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let expected = naive_count(&cal, lo, hi);
            prop_assert_eq!(cal.working_days_between(lo, hi), expected);
            prop_assert_eq!(cal.working_days_between(hi, lo), -expected);
            prop_assert_eq!(cal.working_days_between(a, b), -cal.working_days_between(b, a));
        }
    }
}
