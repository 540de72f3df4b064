//! Domain types for Chanjiao, the platform that runs Chongqing's industry–education
//! integration programme (渝发改社会〔2023〕1271号).
//!
//! Pure code, no IO: identifiers that validate themselves ([`ids`]), reference data
//! compiled into the binary ([`reference`]) and organisation vocabularies ([`orgs`]).
//! Every user-facing error message is in Simplified Chinese.

pub mod calendar;
pub mod form;
pub mod ids;
pub mod numbers;
pub mod orgs;
pub mod reference;
pub mod text;
pub mod workflow;

pub use ids::{CreditCode, DivisionCode, IdCardNumber, IdError, MajorCode, OccupationCode};
