//! Read models and indicators computed from stored facts (pure: no IO besides reading
//! in-memory values; the store loads, this crate computes).
//!
//! - [`majors`]: measure 5 — majors aligned to labour demand (measures of alignment,
//!   classification with explanations, scenarios).
//! - [`matcher`]: free-text job titles matched to occupations (jieba segmentation + BM25).

pub mod majors;
pub mod matcher;
