//! The platform's features, one directory each: its service (plain functions over
//! [`crate::AppState`], no axum types), its pages and its API. Templates live in
//! `templates/<feature>/`. Login, part of authentication, stays in `crate::pages::login`; what
//! features share stays at the top of the crate (see docs/architecture.md).

pub mod admin;
pub mod alignment;
pub mod applications;
pub mod audit;
pub mod demand;
pub mod home;
pub mod jobs;
pub mod majors;
pub mod measures;
pub mod occupations;
pub mod orgs;
pub mod registers;
pub mod rules;
pub mod supply;
pub mod tax;
