//! Measure 5 of 渝发改社会〔2023〕1271号 — majors aligned to labour demand (“动态调整专业设置……
//! 发展新兴专业、加快紧缺专业、改造升级传统专业、撤并淘汰供给过剩、就业率低、职业岗位消失的专业”).
//!
//! Pure computation: the store (or the benchmark's CSV reader, [`read_csv`]) fills a
//! [`Dataset`]; [`compute`] gives the [`Measures`] at every grain; [`classify`] gives every
//! offering's and every major's class; [`explain_offering`] / [`explain_major`] give the reasons
//! on demand; [`compare`] gives what a scenario (overridden thresholds) changes.
//!
//! # Measures
//! - Supply (sums over offerings): planned and actual enrolment, graduates, employed,
//!   employed in a matching job, salary (Σ salary × graduates and Σ graduates over offerings
//!   that reported one: the average is weighted by graduates, rounded half up to the fen).
//! - Demand: a post of an occupation mapped to `n` majors is shared equally, `1/n` to each. To
//!   stay exact, demand is held in integer units of `1/L` post, `L` = lcm of all `n` in the
//!   crosswalk: `units(major) = Σ count × L / n`. Posts of occupations mapped to no major are
//!   reported as unmapped (city-wide, per district, per cluster), never lost. Also per grain:
//!   `emerging_units` (industries flagged strategic emerging), `cluster_units` (industries in a
//!   “33618” cluster) and `priority_units` (either of the two, counted once).
//! - Industry → cluster / emerging flag: the shipped, modelled mapping
//!   `data/industry_clusters.csv` ([`IndustryMap`]; longest GB/T 4754 prefix wins).
//! - Grains: city (major, year); district (district, major, year: offerings of schools in the
//!   district vs postings in the district); school (= the offering: its own supply, its major's
//!   city-wide demand); cluster (cluster, year totals and cluster × major demand); category
//!   (专业大类, year).
//! - Rates are exact fractions ([`Ratio`]): employment rate = employed / graduates; matching
//!   rate = employed_matching / employed; demand/supply ratio = demand (posts) / graduates.
//!   **Supply is measured by graduates only**: with no graduates the ratio is undefined (not
//!   replaced by enrolment, which is a flow three years earlier and would mix cohorts); such an
//!   item is classified by rule 1 anyway while `min_graduates ≥ 1`.
//! - Trends over the window of `window_years` ending in year `y` (base year
//!   `b = y − window_years + 1`): demand change `(D_y − D_b) / D_b` (undefined if `D_b = 0`,
//!   including a base year outside the data); employment-rate change in percentage points
//!   (undefined unless both years have graduates).
//!
//! # Classification (thresholds: `policy` parameters `majors.*`, at `{year}-12-31`)
//! For an offering, graduates, employment and matching rates are its own, and the demand
//! figures (ratio, share, trend) are its major's city-wide ones; for a major city-wide all are
//! city totals. All tests are evaluated (bulk runs keep the class and the [`Tests`] that held);
//! a test on an undefined rate does not hold. The first rule that holds gives the class:
//! 1. graduates < `min_graduates` → 保持 (样本不足);
//! 2. share of demand from strategic emerging or “33618” industries ≥ `emerging_share` **and**
//!    demand change over the window ≥ `growth_rate` → 新兴（发展）;
//! 3. demand / supply ≥ `shortage_ratio` → 紧缺（加快）;
//! 4. demand / supply ≤ `surplus_ratio` **while** the employment rate is below
//!    `high_employment_rate` (over-supply), **or** employment rate < `min_employment_rate`,
//!    **or** demand fell over the window by ≥ `decline_rate` → 撤并淘汰;
//! 5. matching rate < `min_matching_rate` → 改造升级;
//! 6. otherwise → 保持.
//!
//! Why this order: a small sample decides nothing; the two expansion directions come before
//! contraction because measure 5 lists them first and because demand evidence (growth in
//! priority industries, unmet demand) is what the measure asks schools to follow — a major
//! with a shortage of graduates is not closed for a weak employment rate, which then points to
//! a quality problem rather than to over-supply; elimination comes before upgrading since a
//! major that is over-supplied or losing its jobs is not worth upgrading; upgrading applies to
//! majors with adequate demand whose graduates work outside their field. `shortage_ratio` must
//! exceed `surplus_ratio`, so rules 3 and 4 never compete on the ratio.
//!
//! Why over-supply needs the employment rate too: postings are a sample of the jobs graduates
//! take (campus recruitment, referrals, further study, public posts are not postings), so few
//! postings per graduate is evidence of over-supply only when the graduates also struggle to
//! find work. A major whose graduates are employed at or above `high_employment_rate` (which
//! must exceed `min_employment_rate`) is not told to close for its ratio alone; its
//! explanation says so. A shrinking demand (职业岗位消失) still counts whatever the employment
//! rate today. Every class has a plain-language reason ([`summarize_offering`],
//! [`summarize_major`]) naming the figures that decided it against their thresholds.

mod classify;
mod csvio;
mod dataset;
mod industry;
mod measures;
mod num;

#[cfg(test)]
mod tests;

pub use classify::{
    Class, Classification, Evidence, MajorChange, OfferingChange, ScenarioDiff, Tests,
    ThresholdKey, ThresholdValues, Thresholds, Verdict, YearThresholds, classify, compare,
    explain_major, explain_offering, lookup_date, summarize_major, summarize_offering,
};
pub use csvio::{CsvInput, read_csv};
pub use dataset::{Dataset, DemandRow, MajorInfo, Offering, Posting, SchoolInfo};
pub use industry::{INDUSTRY_CLUSTERS_CSV, IndustryClass, IndustryMap, IndustryRule};
pub use measures::{
    Category, Cell, ClusterDemand, ClusterTotals, Demand, Measures, Supply, Trend, Unmapped,
    base_year, compute, demand_change, employment_change,
};
pub use num::{Ratio, cmp_products, fixed};

use policy::params::ParamError;

/// Errors of the majors engine, in Chinese.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MajorsError {
    #[error("数据有误：{0}")]
    Data(String),
    #[error("{file} 第 {line} 行：{message}")]
    Csv {
        file: String,
        line: u64,
        message: String,
    },
    #[error("行业—产业集群对照表第 {line} 行：{message}")]
    IndustryMap { line: u64, message: String },
    /// A threshold out of range or inconsistent; `key` is the threshold's Chinese label.
    #[error("阈值 {key}：{message}")]
    Threshold { key: String, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Param(#[from] ParamError),
}
