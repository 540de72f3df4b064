//! The one integration-test binary: the real server on a free port, a real SQLite file, and a
//! real PostgreSQL database when `TEST_DATABASE_URL` is set.

mod demand;
mod helpers;
mod imports;
mod jobs;
mod majors;
mod nodes;
mod occupations;
mod supply;

mod access_matrix;
mod admin;
mod alignment;
mod api;
mod applications;
mod applications_list;
mod audit;
mod audit_page;
mod auth;
mod browser;
mod cli;
mod kinds;
mod ops;
mod pages;
mod plain;
mod registers;
mod rules;
mod schema_parity;
