//! Form inputs generated from typed fields (`domain::form`): the view each input is drawn
//! from, for application kinds and registers alike. Templates draw them with the `control`
//! macro of `templates/_control.html`.

use std::collections::HashMap;

/// One input of a generated form.
pub struct FieldView {
    /// The input's name: the field's, or a group's cell's (`shareholders[0].share`).
    pub name: String,
    pub label: &'static str,
    pub help: Option<&'static str>,
    pub value: String,
    /// How it is entered: `bool`, `textarea`, `select`, `date`, `input`, `group` (a table of
    /// rows of cells) or `attachment` (a slot, uploaded on the application's page).
    pub input: &'static str,
    /// For `select`: (value, label), the options of an enum or the districts.
    pub options: Vec<(String, String)>,
    pub max_length: usize,
    pub required: bool,
    /// For `group`: the columns (label, required) and the rows' cells: the rows entered and
    /// blank ones to add more (ignored when left blank).
    pub columns: Vec<(&'static str, bool)>,
    pub rows: Vec<Vec<FieldView>>,
    /// For `group`: the fewest and most rows.
    pub min_rows: usize,
    pub max_rows: usize,
    /// For `attachment`: the kinds of file it takes, and the file in it (link, file name).
    pub accept: String,
    pub file: Option<(String, String)>,
}

impl FieldView {
    /// A one-line text input that is not a typed field (a register entry's owner, number).
    pub fn text(name: &str, label: &'static str, value: String, max_length: usize) -> Self {
        FieldView {
            name: name.to_owned(),
            label,
            help: None,
            value,
            input: "input",
            options: Vec::new(),
            max_length,
            required: true,
            columns: Vec::new(),
            rows: Vec::new(),
            min_rows: 0,
            max_rows: 0,
            accept: String::new(),
            file: None,
        }
    }
}

/// The input of a single-value field (a kind's or a register's, or a group's cell).
pub fn scalar_view(
    f: &'static domain::form::FieldDef,
    name: String,
    value: String,
    choices: &HashMap<String, Vec<(String, String)>>,
) -> FieldView {
    use domain::form::FieldType;
    let (input, options, max_length) = match &f.ty {
        FieldType::Bool => ("bool", Vec::new(), 1),
        FieldType::Text { max_length, .. } if *max_length > 100 => {
            ("textarea", Vec::new(), *max_length)
        }
        FieldType::Text { max_length, .. } => ("input", Vec::new(), *max_length),
        FieldType::Enum { options } => ("select", options.clone(), 64),
        FieldType::District => (
            "select",
            domain::reference::AREAS
                .iter()
                .map(|a| (a.code.to_owned(), a.name.to_owned()))
                .collect(),
            6,
        ),
        FieldType::Date => ("date", Vec::new(), 10),
        FieldType::Org { .. } => (
            "select",
            choices.get(&f.name).cloned().unwrap_or_default(),
            20,
        ),
        FieldType::IdCard => ("input", Vec::new(), 18),
        FieldType::CreditCode => ("input", Vec::new(), 18),
        FieldType::Occupation => ("input", Vec::new(), 16),
        _ => ("input", Vec::new(), 24),
    };
    FieldView {
        name,
        label: f.label.as_str(),
        help: f.help.as_deref(),
        value,
        input,
        options,
        max_length,
        required: f.is_required(),
        columns: Vec::new(),
        rows: Vec::new(),
        min_rows: 0,
        max_rows: 0,
        accept: String::new(),
        file: None,
    }
}
