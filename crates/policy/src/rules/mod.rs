//! The rules. Each implements [`Rule`]: a typed input (unknown fields refused), a typed
//! outcome, and the steps of its explanation.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::params::{ParamError, ParamSet};
use crate::trace::Trace;

pub mod apprenticeship;
pub mod certification;
pub mod land;
pub mod pilot_city;
pub mod tax_credit;

/// Why a rule could not decide.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    /// The input is wrong; `field` is its JSON path, e.g. `years[2].investment_fen`.
    #[error("{field}：{message}")]
    Input { field: String, message: String },
    #[error(transparent)]
    Param(#[from] ParamError),
}

impl RuleError {
    pub fn input(field: impl Into<String>, message: impl Into<String>) -> RuleError {
        RuleError::Input {
            field: field.into(),
            message: message.into(),
        }
    }
}

pub trait Rule {
    /// The rule's name in the CLI and the API, e.g. `tax_credit`.
    const NAME: &'static str;
    /// Its Chinese title.
    const TITLE: &'static str;
    /// The measure it implements.
    const MEASURE: u8;
    type Input: DeserializeOwned;
    type Outcome: Serialize;

    fn evaluate(
        input: &Self::Input,
        params: &ParamSet,
        trace: &mut Trace,
    ) -> Result<Self::Outcome, RuleError>;
}
