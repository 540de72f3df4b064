//! The input model: majors, occupations and their crosswalk, schools, offerings (supply) and
//! postings (demand), with strings interned and ids dense so the engine indexes vectors.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::MajorsError;

/// A major of the catalog. Its id is its index in [`Dataset::majors`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MajorInfo {
    /// `VOCATIONAL_SECONDARY`, `VOCATIONAL_ASSOCIATE` or `VOCATIONAL_BACHELOR` (as in the store);
    /// carried, not interpreted.
    pub level: String,
    pub code: String,
    pub name: String,
    /// 专业大类 code, e.g. `51`.
    pub category_code: String,
    pub category_name: String,
}

/// A school. Its index in [`Dataset::schools`] is what offerings refer to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolInfo {
    /// Organisation id in the store.
    pub id: i64,
    pub name: String,
    /// 6-digit division code of the school's area (see `domain::reference::AREAS`).
    pub district: String,
}

/// One school's major in one year (开设专业): its supply figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offering {
    /// Index into [`Dataset::schools`].
    pub school: u32,
    /// Index into [`Dataset::majors`].
    pub major: u32,
    pub year: i32,
    pub planned: i64,
    pub actual: i64,
    pub graduates: i64,
    pub employed: i64,
    pub employed_matching: i64,
    /// Average monthly starting salary of the graduates, in fen, when reported.
    pub salary_fen: Option<i64>,
}

/// A posting (or an aggregate of postings) as the store or a file gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemandRow {
    /// 6-digit division code.
    pub district: String,
    /// GB/T 4754-2017 code (`C3974` or `3974`); may be empty.
    pub industry: String,
    /// Index into [`Dataset::occupations`].
    pub occupation: u32,
    pub year: i32,
    /// Number of posts (≥ 1).
    pub count: i64,
}

/// A demand row with its district and industry interned (indexes into [`Dataset::districts`]
/// and [`Dataset::industries`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    pub count: i64,
    pub occupation: u32,
    pub industry: u32,
    pub year: i32,
    pub district: u16,
}

/// Everything the engine reads. Build it with [`Dataset::new`] and [`Dataset::add_demand`] (or
/// [`Dataset::from_rows`]); the engine validates it when computing.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Index = major id.
    pub majors: Vec<MajorInfo>,
    /// Occupation codes such as `4-04-05-01`; index = occupation id.
    pub occupations: Vec<String>,
    /// (major id, occupation id) pairs (职业面向); duplicates are ignored.
    pub crosswalk: Vec<(u32, u32)>,
    pub schools: Vec<SchoolInfo>,
    pub offerings: Vec<Offering>,
    /// Interned district codes of postings.
    pub districts: Vec<String>,
    /// Interned industry codes of postings.
    pub industries: Vec<String>,
    pub postings: Vec<Posting>,
    district_ids: HashMap<String, u16>,
    industry_ids: HashMap<String, u32>,
}

impl Dataset {
    pub fn new(
        majors: Vec<MajorInfo>,
        occupations: Vec<String>,
        crosswalk: Vec<(u32, u32)>,
        schools: Vec<SchoolInfo>,
        offerings: Vec<Offering>,
    ) -> Dataset {
        Dataset {
            majors,
            occupations,
            crosswalk,
            schools,
            offerings,
            ..Dataset::default()
        }
    }

    /// A dataset from plain rows, as the store reads them.
    pub fn from_rows(
        majors: Vec<MajorInfo>,
        occupations: Vec<String>,
        crosswalk: Vec<(u32, u32)>,
        schools: Vec<SchoolInfo>,
        offerings: Vec<Offering>,
        demand: impl IntoIterator<Item = DemandRow>,
    ) -> Result<Dataset, MajorsError> {
        let mut ds = Dataset::new(majors, occupations, crosswalk, schools, offerings);
        for row in demand {
            ds.add_demand(
                &row.district,
                &row.industry,
                row.occupation,
                row.year,
                row.count,
            )?;
        }
        Ok(ds)
    }

    /// Adds a posting (or an aggregate of postings), interning its district and industry.
    pub fn add_demand(
        &mut self,
        district: &str,
        industry: &str,
        occupation: u32,
        year: i32,
        count: i64,
    ) -> Result<(), MajorsError> {
        let district = self.intern_district(district)?;
        let industry = self.intern_industry(industry);
        self.postings.push(Posting {
            count,
            occupation,
            industry,
            year,
            district,
        });
        Ok(())
    }

    /// The index of a district code, adding it if new.
    pub fn intern_district(&mut self, code: &str) -> Result<u16, MajorsError> {
        if let Some(&k) = self.district_ids.get(code) {
            return Ok(k);
        }
        let k = u16::try_from(self.districts.len())
            .map_err(|_| MajorsError::Data("区县代码超过 65535 个".into()))?;
        self.districts.push(code.to_string());
        self.district_ids.insert(code.to_string(), k);
        Ok(k)
    }

    /// The index of an industry code, adding it if new.
    pub fn intern_industry(&mut self, code: &str) -> u32 {
        if let Some(&i) = self.industry_ids.get(code) {
            return i;
        }
        let i = u32::try_from(self.industries.len()).unwrap_or(u32::MAX);
        self.industries.push(code.to_string());
        self.industry_ids.insert(code.to_string(), i);
        i
    }

    /// Replaces the interned tables at once (the CSV reader interns on its own threads).
    pub(crate) fn set_interned(
        &mut self,
        districts: Vec<String>,
        industries: Vec<String>,
        postings: Vec<Posting>,
    ) {
        self.district_ids = districts
            .iter()
            .enumerate()
            .map(|(i, d)| (d.clone(), i as u16))
            .collect();
        self.industry_ids = industries
            .iter()
            .enumerate()
            .map(|(i, d)| (d.clone(), i as u32))
            .collect();
        self.districts = districts;
        self.industries = industries;
        self.postings = postings;
    }
}
