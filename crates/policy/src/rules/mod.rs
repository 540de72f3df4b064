//! The rules. Each implements [`Rule`]: a typed input (unknown fields refused), a typed
//! outcome, and the steps of its explanation.

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::params::{ParamError, ParamSet};
use crate::trace::Trace;

pub mod apprenticeship;
pub mod certification;
pub mod land;
pub mod pilot_city;
pub mod tax_credit;

/// Longest accepted free text (names and the like), in characters (Unicode scalar values, as
/// JSON Schema's `maxLength` counts them). An engineering cap, not a policy number.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Most items accepted in an input list, unless a rule needs more. An engineering cap.
pub const MAX_LIST_ITEMS: usize = 1000;

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
    /// The input; its JSON Schema (derived, then [`Rule::refine_schema`]) accepts exactly the
    /// inputs the rule accepts, as far as JSON Schema can say it.
    type Input: DeserializeOwned + JsonSchema;
    type Outcome: Serialize;

    fn evaluate(
        input: &Self::Input,
        params: &ParamSet,
        trace: &mut Trace,
    ) -> Result<Self::Outcome, RuleError>;

    /// Completes the derived input schema with what depends on the parameters (the dates on
    /// which they are in force, parameter-defined lists); the default changes nothing.
    fn refine_schema(_schema: &mut serde_json::Value, _params: &ParamSet) {}

    /// What a required field holds, in Chinese, for the message when it is missing (e.g.
    /// `date` → `评分日期，YYYY-MM-DD`); `field` is the field's own name, without its path.
    fn field_hint(_field: &str) -> Option<&'static str> {
        None
    }
}
