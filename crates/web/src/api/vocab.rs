//! Schemas of the API's coded values, each built from the one place its values are defined
//! (the domain vocabularies, the shipped application kinds, the policy rules, the analytics
//! classes), so the OpenAPI document states exactly the values the server accepts.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, AnyOfBuilder, Object, ObjectBuilder, OneOfBuilder, Schema, SchemaType,
    Type,
};

/// A text value that is one of `values`.
pub fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.into_iter().map(str::to_string)))
}

/// Organisation kinds (`domain::orgs::OrgKind`).
pub fn org_kind() -> Object {
    one_of(domain::orgs::OrgKind::ALL.map(|k| k.as_str())).build()
}

/// The organisation kinds registered through the API: school, enterprise, bank.
pub fn registrable_org_kind() -> Object {
    use domain::orgs::OrgKind;
    one_of([OrgKind::School, OrgKind::Enterprise, OrgKind::Bank].map(OrgKind::as_str)).build()
}

/// Major classes of measure 5 (`analytics::majors::Class`).
pub fn major_class() -> Object {
    one_of(analytics::majors::Class::ALL.map(|c| c.key())).build()
}

/// Education levels of the major catalog.
pub fn major_level() -> Object {
    one_of(crate::features::majors::LEVELS.map(|(code, _)| code)).build()
}

/// How a posting's occupation was found (`store::demand::status`).
pub fn demand_status() -> Object {
    one_of(store::demand::status::ALL).build()
}

/// The shipped application kinds (`domain::workflow::kinds`).
pub fn application_kind() -> Object {
    one_of(domain::workflow::kinds().iter().map(|k| k.code.as_str())).build()
}

/// Statuses of an application (`domain::workflow::Status::ALL`).
pub fn application_status() -> Object {
    one_of(domain::workflow::Status::ALL.map(|s| s.as_str())).build()
}

/// Stage codes of the shipped application kinds (`domain::workflow::kinds`), each once.
pub fn application_stage() -> Object {
    let stages = crate::features::applications::stages();
    one_of(stages.iter().map(|(code, _)| *code)).build()
}

/// How many applications are in each status: one whole number per status of
/// `domain::workflow::Status::ALL`.
pub fn status_totals() -> Object {
    let mut o = object(domain::workflow::Status::ALL.map(|s| {
        prop(
            s.as_str(),
            integer(0, crate::api::normalise::MAX_SAFE_INTEGER, false),
            true,
        )
    }));
    o.description = Some("各状态的件数（按除 status 外的全部筛选条件统计）".to_string());
    o
}

/// Actions on an application (`domain::workflow::ActionKind`); which of them the state
/// allows is the server's answer (409 otherwise).
pub fn application_action() -> Object {
    one_of(domain::workflow::ActionKind::ALL.map(|a| a.as_str())).build()
}

/// A list of actions (each one of [`application_action`]).
pub fn application_action_list() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(application_action())
        .build()
}

/// The policy rules (`policy::RULES`).
pub fn rule_name() -> Object {
    one_of(policy::RULES.iter().map(|(name, _, _)| *name)).build()
}

/// School levels (`domain::orgs::SchoolLevel`).
pub fn school_level() -> Object {
    nullable(one_of(domain::orgs::SchoolLevel::ALL.map(|v| v.as_str())))
}

/// Enterprise sizes (`domain::orgs::EnterpriseSize`).
pub fn enterprise_size() -> Object {
    nullable(one_of(
        domain::orgs::EnterpriseSize::ALL.map(|v| v.as_str()),
    ))
}

/// Ownership (`domain::orgs::Ownership`).
pub fn ownership() -> Object {
    nullable(one_of(domain::orgs::Ownership::ALL.map(|v| v.as_str())))
}

/// Typed text within `bounds` (blanks around it do not count): the same
/// [`domain::text::Bounds`] the server checks.
pub fn text(bounds: domain::text::Bounds) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(bounds.pattern()))
}

/// The names of organisations (`store::orgs::NAME`).
pub fn org_name() -> Object {
    text(crate::features::orgs::NAME).build()
}

/// A posting title to confirm (`crate::features::demand::TITLE`).
pub fn posting_title() -> Object {
    text(crate::features::demand::TITLE).build()
}

/// An occupation code of the 职业分类大典, or blank, or `null` (no occupation fits).
pub fn occupation_code() -> Object {
    let b = domain::text::blank_class();
    let code = crate::features::occupations::code_pattern();
    // The code, or only blanks.
    let pattern = format!("(?:{code})|^{b}*$");
    nullable(ObjectBuilder::new().pattern(Some(pattern)))
}

/// A year within those forms accept (`features::applications::YEARS`).
pub fn year() -> Object {
    let y = crate::features::applications::YEARS;
    integer(*y.start(), *y.end(), false)
}

/// The 41 districts and zones of Chongqing (`domain::reference::AREAS`).
/// An organisation's standing in the programme, as the organisations list filters it.
pub fn programme() -> Object {
    one_of(store::orgs::Programme::OPTIONS.map(|(code, _)| code)).build()
}

/// A register entry's standing on the day (`features::registers::STANDINGS`).
pub fn standing() -> Object {
    one_of(crate::features::registers::STANDINGS.map(|(code, _)| code)).build()
}

pub fn district() -> Object {
    one_of(domain::reference::AREAS.iter().map(|a| a.code)).build()
}

/// A 统一社会信用代码 (GB 32100-2015): the pattern of its characters, and the format
/// `gb32100` for its check character (a generator must compute it; see
/// `scripts/schemathesis_hooks.py`).
pub fn credit_code() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(utoipa::openapi::SchemaFormat::Custom(
            "gb32100".to_string(),
        )))
        .pattern(Some(
            "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$",
        ))
        .build()
}

/// An application's attachment slot: the names of the loaded kinds' `attachment` fields (the
/// application's own kind must have it); null when no kind has slots.
pub fn attachment_slot() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    let mut names: Vec<&str> = domain::workflow::kinds()
        .iter()
        .flat_map(|k| k.fields.iter())
        .filter(|f| matches!(f.ty, domain::form::FieldType::Attachment { .. }))
        .map(|f| f.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    use utoipa::openapi::{RefOr, Schema};
    let none = ObjectBuilder::new().schema_type(Type::Null).build();
    if names.is_empty() {
        return RefOr::T(Schema::Object(none));
    }
    RefOr::T(Schema::OneOf(
        utoipa::openapi::schema::OneOfBuilder::new()
            .item(one_of(names).build())
            .item(none)
            .build(),
    ))
}

/// A file's content in base64 (format `attachment-base64`): a file the platform recognises by
/// content — PDF, PNG, JPEG or XLSX (a generator must make one; see
/// `scripts/schemathesis_hooks.py`).
pub fn attachment_content() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(utoipa::openapi::SchemaFormat::Custom(
            "attachment-base64".to_string(),
        )))
        .min_length(Some(4))
        .max_length(Some(1_398_104))
        .build()
}

/// A GB/T 4754-2017 industry code: a section letter, optionally its division (2 digits that
/// belong to the section) and up to two more digits — as `domain::orgs::IndustryCode` parses.
pub fn industry_code() -> Object {
    let sections: Vec<String> = domain::orgs::INDUSTRY_SECTIONS
        .iter()
        .map(|s| {
            let divisions: Vec<String> = (s.first_division..=s.last_division)
                .map(|d| format!("{d:02}"))
                .collect();
            format!(
                "[{}{}](?:(?:{})[0-9]{{0,2}})?",
                s.letter,
                s.letter.to_ascii_lowercase(),
                divisions.join("|")
            )
        })
        .collect();
    let b = domain::text::blank_class();
    nullable(ObjectBuilder::new().pattern(Some(format!("^{b}*(?:{}){b}*$", sections.join("|")))))
}

/// `schema` without `null` among its types.
pub fn non_null(mut schema: Object) -> Object {
    if let SchemaType::Array(types) = &schema.schema_type {
        let kept: Vec<Type> = types
            .iter()
            .filter(|t| **t != Type::Null)
            .cloned()
            .collect();
        schema.schema_type = match kept.as_slice() {
            [one] => SchemaType::Type(one.clone()),
            _ => SchemaType::Array(kept),
        };
    }
    schema
}

fn nullable(b: ObjectBuilder) -> Object {
    b.schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .build()
}

/// A whole number from `min` to `max`; `null` too when `nullable`.
pub fn integer(min: i64, max: i64, nullable: bool) -> Object {
    let ty = if nullable {
        SchemaType::from_iter([Type::Integer, Type::Null])
    } else {
        SchemaType::Type(Type::Integer)
    };
    ObjectBuilder::new()
        .schema_type(ty)
        .minimum(Some(min))
        .maximum(Some(max))
        .build()
}

/// `true` or `false`; `null` too when `nullable`.
pub fn boolean(nullable: bool) -> Object {
    let ty = if nullable {
        SchemaType::from_iter([Type::Boolean, Type::Null])
    } else {
        SchemaType::Type(Type::Boolean)
    };
    ObjectBuilder::new().schema_type(ty).build()
}

/// Any text, or `null`: a value the server reads but does not constrain (or ignores).
pub fn any_text() -> Object {
    nullable(ObjectBuilder::new())
}

/// Only `null`: a field the variant does not take.
pub fn nothing() -> Object {
    ObjectBuilder::new().schema_type(Type::Null).build()
}

/// The one text `value` (a variant's tag).
pub fn tag(value: &str) -> Object {
    one_of([value]).build()
}

/// A property of an object schema: its name, schema, and whether it is required.
pub struct Prop {
    pub name: &'static str,
    pub schema: RefOr<Schema>,
    pub required: bool,
}

pub fn prop(name: &'static str, schema: impl Into<RefOr<Schema>>, required: bool) -> Prop {
    Prop {
        name,
        schema: schema.into(),
        required,
    }
}

/// An object with exactly these properties (no others: the server refuses unknown fields).
pub fn object(props: impl IntoIterator<Item = Prop>) -> Object {
    let mut b = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)));
    for p in props {
        if p.required {
            b = b.required(p.name);
        }
        b = b.property(p.name, p.schema);
    }
    b.build()
}

/// Exactly one of `variants` (objects told apart by a tag property).
pub fn variants(description: &str, variants: impl IntoIterator<Item = Object>) -> RefOr<Schema> {
    let mut b = OneOfBuilder::new().description(Some(description));
    for v in variants {
        b = b.item(v);
    }
    RefOr::T(Schema::OneOf(b.build()))
}

/// At least one of `schemas`.
pub fn any_of(schemas: impl IntoIterator<Item = Object>) -> RefOr<Schema> {
    let mut b = AnyOfBuilder::new();
    for s in schemas {
        b = b.item(s);
    }
    RefOr::T(Schema::AnyOf(b.build()))
}

/// One field's schema, titled with its label and described by its help.
pub fn form_field(f: &'static domain::form::FieldDef) -> utoipa::openapi::schema::Schema {
    use domain::form::FieldType;
    use utoipa::openapi::schema::{ArrayBuilder, Schema, SchemaType, Type};
    if let FieldType::Group {
        fields,
        min_rows,
        max_rows,
        ..
    } = &f.ty
    {
        let row = object(
            fields
                .iter()
                .map(|c| prop(c.name.as_str(), form_field(c), c.is_required())),
        );
        // No rows may be sent as `null` when the group is optional.
        let ty = if f.is_required() {
            SchemaType::Type(Type::Array)
        } else {
            SchemaType::from_iter([Type::Array, Type::Null])
        };
        return Schema::Array(
            ArrayBuilder::new()
                .schema_type(ty)
                .items(row)
                .min_items(Some(if f.is_required() {
                    (*min_rows).max(1)
                } else {
                    0
                }))
                .max_items(Some(*max_rows))
                .title(Some(f.label.clone()))
                .description(f.help.clone())
                .build(),
        );
    }
    let mut schema = form_scalar(f);
    schema.title = Some(f.label.clone());
    schema.description = f.help.clone();
    Schema::Object(schema)
}

/// The schema of a single-value field.
fn form_scalar(f: &domain::form::FieldDef) -> utoipa::openapi::schema::Object {
    use domain::form::FieldType;
    let text = |max: usize| {
        let mut t = any_text();
        t.max_length = Some(max);
        t
    };
    // A code, or (when the field is optional) only blanks.
    let code = |pattern: String, max: usize| {
        let mut t = text(max);
        t.pattern = Some(if f.is_required() {
            pattern
        } else {
            format!("(?:{pattern})|^{}*$", domain::text::blank_class())
        });
        t
    };
    match &f.ty {
        FieldType::Bool => boolean(true),
        FieldType::Integer { min, max } => integer(*min, *max, !f.is_required()),
        FieldType::Money => integer(
            0,
            crate::features::applications::MONEY_MAX_FEN,
            !f.is_required(),
        ),
        FieldType::Percent => integer(0, 10_000, !f.is_required()),
        FieldType::Year => integer(
            *crate::features::applications::YEARS.start(),
            *crate::features::applications::YEARS.end(),
            false,
        ),
        FieldType::Date => {
            let mut t = text(10);
            t.format = Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Date,
            ));
            t
        }
        FieldType::Text {
            max_length,
            pattern,
        } => match pattern {
            // The server trims blanks before it matches.
            Some(p) => {
                let b = domain::text::blank_class();
                code(format!("^{b}*(?:{}){b}*$", p.source()), *max_length)
            }
            None => text(*max_length),
        },
        FieldType::Enum { options } => one_of(options.iter().map(|(c, _)| c.as_str())).build(),
        FieldType::District => district(),
        FieldType::Major => {
            let mut t = text(7);
            t.pattern = Some("^[0-9]{6}[Kk]?$".into());
            t
        }
        FieldType::Org { .. } => integer(1, i64::MAX >> 11, !f.is_required()),
        FieldType::IdCard => {
            let mut t = text(18);
            t.pattern = Some("^[0-9]{17}[0-9Xx]$".into());
            t
        }
        FieldType::Occupation => code(crate::features::occupations::occupation_pattern(), 40),
        FieldType::CreditCode => {
            // As `credit_code`, in either case and with blanks around it (the server
            // trims and upper-cases), and the format that says the check character counts.
            let b = domain::text::blank_class();
            let c = "[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]";
            let mut t = code(format!("^{b}*{c}{{2}}[0-9]{{6}}{c}{{10}}{b}*$"), 40);
            t.format = Some(utoipa::openapi::SchemaFormat::Custom("gb32100".into()));
            t
        }
        // Neither is a single value (handled by the callers).
        FieldType::Attachment { .. } | FieldType::Group { .. } => any_text(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(o: Object) -> Vec<String> {
        o.enum_values
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn every_coded_value_parses_back() {
        for k in values(org_kind()) {
            assert!(domain::orgs::OrgKind::parse(&k).is_some(), "{k}");
        }
        for c in values(major_class()) {
            assert!(analytics::majors::Class::parse(&c).is_some(), "{c}");
        }
        for s in values(demand_status()) {
            assert_ne!(store::demand::status::label(&s), "未知", "{s}");
        }
        assert_eq!(
            values(application_kind()).len(),
            domain::workflow::kinds().len()
        );
        assert_eq!(values(rule_name()).len(), policy::RULES.len());
        assert_eq!(
            values(application_status()).len(),
            domain::workflow::Status::ALL.len()
        );
        for code in values(application_stage()) {
            assert!(
                domain::workflow::kinds()
                    .iter()
                    .any(|k| k.stage_index(&code).is_some()),
                "{code}"
            );
        }
        assert_eq!(
            values(registrable_org_kind()),
            ["school", "enterprise", "bank"]
        );
    }
}
