use std::collections::HashMap;

use proptest::prelude::*;
use serde_json::json;

use super::*;

fn field(ty: FieldType, required: bool) -> FieldDef {
    FieldDef {
        name: "f".into(),
        label: "金额".into(),
        help: None,
        required,
        ty,
    }
}

fn parse(toml_text: &str) -> Result<Vec<FieldDef>, String> {
    let t: toml::Table = toml::from_str(toml_text).unwrap();
    parse_fields(t["fields"].as_array().unwrap())
}

#[test]
fn forms_read_check_show_and_return_every_type() {
    let money = field(FieldType::Money, false);
    assert_eq!(money.from_form("1,234.5"), Ok(json!(123_450)));
    assert_eq!(money.from_form(""), Ok(json!(0)));
    assert_eq!(money.display(&json!(123_450)), "1,234.50元");
    assert_eq!(money.to_form(&json!(123_450)), "1234.50");
    assert!(money.from_form("-1").unwrap_err().contains("不是有效金额"));
    assert!(money.from_form("1.234").is_err());
    assert!(money.from_json(&json!(MONEY_MAX_FEN + 1)).is_err());
    assert_eq!(
        field(FieldType::Money, true).from_form(""),
        Err("请填写金额".into())
    );

    let pct = field(FieldType::Percent, false);
    assert_eq!(pct.from_form("12.5%"), Ok(json!(1250)));
    assert_eq!(pct.display(&json!(1250)), "12.50%");
    assert_eq!(
        pct.from_form("100.01"),
        Err("金额须为0至100之间的数".into())
    );

    let int = field(FieldType::Integer { min: 1, max: 10 }, false);
    assert_eq!(int.from_form(""), Ok(json!(1)), "empty is the minimum");
    assert!(int.from_form("11").unwrap_err().contains("1至10"));
    assert!(int.from_form("x").unwrap_err().contains("应为整数"));
    let big = field(
        FieldType::Integer {
            min: 0,
            max: 10_000_000,
        },
        false,
    );
    assert_eq!(big.display(&json!(1_234_567)), "1,234,567");

    let year = field(FieldType::Year, false);
    assert_eq!(
        year.from_form(""),
        Err("请填写金额".into()),
        "years are required"
    );
    assert!(year.from_form("1900").is_err());
    assert_eq!(year.from_form("2025"), Ok(json!(2025)));

    let date = field(FieldType::Date, true);
    assert_eq!(date.from_form("2026-03-31"), Ok(json!("2026-03-31")));
    assert!(date.from_form("2026-02-30").is_err());
    assert!(date.from_form("2026-3-1").is_err());

    let text = field(
        FieldType::Text {
            max_length: 3,
            pattern: None,
        },
        false,
    );
    assert_eq!(text.from_form("  甲乙 "), Ok(json!("甲乙")));
    assert!(
        text.from_form("甲乙丙丁")
            .unwrap_err()
            .contains("不能超过3字")
    );
    assert!(text.from_json(&json!("a\u{0}")).is_err());

    let kind = field(
        FieldType::Enum {
            options: vec![
                ("cash".into(), "货币".into()),
                ("land".into(), "土地".into()),
            ],
        },
        true,
    );
    assert_eq!(kind.from_form("土地"), Ok(json!("land")));
    assert_eq!(kind.from_json(&json!("cash")), Ok(json!("cash")));
    assert_eq!(kind.display(&json!("cash")), "货币");
    assert!(kind.from_form("股票").unwrap_err().contains("货币、土地"));

    let district = field(FieldType::District, true);
    assert_eq!(district.from_form("渝中区"), Ok(json!("500103")));
    assert_eq!(district.from_form("500103"), Ok(json!("500103")));
    assert_eq!(district.display(&json!("500103")), "渝中区");
    assert!(district.from_form("110101").is_err(), "Beijing is not ours");

    let major = field(FieldType::Major, true);
    assert_eq!(major.from_form("510201"), Ok(json!("510201")));
    assert!(major.from_form("51020").is_err());

    let id = field(FieldType::IdCard, true);
    let number = format!(
        "11010519491231002{}",
        IdCardNumber::check_char("11010519491231002").unwrap()
    );
    assert_eq!(id.from_form(&number), Ok(json!(number.clone())));
    assert_eq!(
        id.display(&json!(number)),
        format!("110105********002{}", &number[17..])
    );
    let wrong = if number.ends_with('1') { "2" } else { "1" };
    assert!(id.from_form(&format!("{}{wrong}", &number[..17])).is_err());

    let flag = field(FieldType::Bool, true);
    assert_eq!(flag.from_form(""), Ok(json!(false)));
    assert_eq!(flag.from_form("on"), Ok(json!(true)));
    assert!(flag.from_json(&json!("yes")).is_err());
}

#[test]
fn kind_files_declare_fields_and_bad_ones_are_named() {
    let ok = parse(
        r#"
[[fields]]
name = "share"
label = "出资比例"
type = "percent"
required = true
help = "按章程填写"
[[fields]]
name = "way"
label = "出资方式"
type = "enum"
options = [["cash", "货币"], ["land", "土地"]]
"#,
    )
    .unwrap();
    assert_eq!(ok.len(), 2);
    assert!(ok[0].required && ok[0].help.as_deref() == Some("按章程填写"));
    let bad = |body: &str, expected: &str| {
        let e = parse(&format!("[[fields]]\n{body}")).unwrap_err();
        assert!(e.contains(expected), "{body}: {e}");
    };
    bad(
        "name = \"a\"\nlabel = \"甲\"\ntype = \"blob\"",
        "未知的字段类型“blob”",
    );
    bad(
        "name = \"A\"\nlabel = \"甲\"\ntype = \"text\"",
        "小写英文字母",
    );
    bad("name = \"a\"\ntype = \"text\"", "缺少字段“label”");
    bad(
        "name = \"a\"\nlabel = \"甲\"\ntype = \"text\"\nmax_length = 0",
        "max_length",
    );
    bad(
        "name = \"a\"\nlabel = \"甲\"\ntype = \"integer\"\nmin = 5\nmax = 1",
        "最小值5大于最大值1",
    );
    bad(
        "name = \"a\"\nlabel = \"甲\"\ntype = \"enum\"\noptions = []",
        "options",
    );
    bad(
        "name = \"a\"\nlabel = \"甲\"\ntype = \"text\"\nmin = 1",
        "不支持的字段“min”",
    );
    bad(
        "name = \"a\"\nlabel = \"甲\"\ntype = \"bool\"\nrequired = \"yes\"",
        "required",
    );
    let dup = parse(
        "[[fields]]\nname = \"a\"\nlabel = \"甲\"\ntype = \"bool\"\n[[fields]]\nname = \"a\"\nlabel = \"乙\"\ntype = \"bool\"\n",
    )
    .unwrap_err();
    assert!(dup.contains("字段“a”重复"), "{dup}");
}

fn labelled(label: &str, ty: FieldType, required: bool) -> FieldDef {
    FieldDef {
        label: label.into(),
        ..field(ty, required)
    }
}

fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn occupations_are_codes_of_an_occupation_itself() {
    let occ = labelled("从事职业", FieldType::Occupation, true);
    assert_eq!(occ.from_form(" 2-02-10-03 "), Ok(json!("2-02-10-03")));
    assert_eq!(occ.from_form("4－04－05－01"), Ok(json!("4-04-05-01")));
    assert_eq!(occ.from_json(&json!("4-04-05-01")), Ok(json!("4-04-05-01")));
    assert_eq!(
        occ.from_form("2-02-10"),
        Err(
            "从事职业：“2-02-10”是职业分类的上级类别，应填到具体职业（4段代码，如 4-04-05-01）"
                .into()
        )
    );
    assert_eq!(
        occ.from_form("9-01-01-01"),
        Err("从事职业：职业代码“9-01-01-01”格式无效，应为形如 4-04-05-01 的职业分类大典代码（大类为1–8，其余各段为2位数字）".into())
    );
    assert_eq!(occ.from_form(""), Err("请填写从事职业".into()));
    assert_eq!(occ.from_json(&json!(20210)), Err("从事职业应为文字".into()));
    assert_eq!(occ.display(&json!("2-02-10-03")), "2-02-10-03");
    assert_eq!(occ.to_form(&json!("2-02-10-03")), "2-02-10-03");
    let optional = labelled("从事职业", FieldType::Occupation, false);
    assert_eq!(optional.from_form(""), Ok(json!("")));
    assert_eq!(optional.from_json(&Value::Null), Ok(json!("")));
}

#[test]
fn credit_codes_are_checked_and_stored_upper_case() {
    let code = labelled("统一社会信用代码", FieldType::CreditCode, true);
    assert_eq!(
        code.from_form(" 91350100m000100y43 "),
        Ok(json!("91350100M000100Y43"))
    );
    assert_eq!(
        code.from_json(&json!("91350100M000100Y44")),
        Err("统一社会信用代码：统一社会信用代码校验位错误：应为3，实为4".into())
    );
    assert_eq!(
        code.from_form("9135"),
        Err("统一社会信用代码：统一社会信用代码应为18位，实际为4位".into())
    );
    assert_eq!(code.from_form(""), Err("请填写统一社会信用代码".into()));
    assert_eq!(
        code.display(&json!("91350100M000100Y43")),
        "91350100M000100Y43"
    );
    let optional = labelled("统一社会信用代码", FieldType::CreditCode, false);
    assert_eq!(optional.from_form("  "), Ok(json!("")));
}

#[test]
fn text_patterns_match_the_whole_value_and_say_the_kind_files_message() {
    let fields = parse(
        r#"
[[fields]]
name = "project_no"
label = "项目编号"
type = "text"
pattern = "[0-9]{4}"
pattern_message = "应为4位数字，如 0421"
[[fields]]
name = "contact"
label = "联系电话"
type = "text"
required = true
pattern = "1[3-9][0-9]{9}"
"#,
    )
    .unwrap();
    let (no, phone) = (&fields[0], &fields[1]);
    assert_eq!(no.from_form(" 0421 "), Ok(json!("0421")));
    assert_eq!(
        no.from_form("04215"),
        Err("项目编号：应为4位数字，如 0421".into()),
        "the pattern is anchored at both ends"
    );
    assert_eq!(
        no.from_json(&json!("a0421")),
        Err("项目编号：应为4位数字，如 0421".into())
    );
    assert_eq!(
        no.from_form(""),
        Ok(json!("")),
        "an empty optional value is not matched"
    );
    assert_eq!(phone.from_form("13800138000"), Ok(json!("13800138000")));
    assert_eq!(
        phone.from_form("12800138000"),
        Err("联系电话格式不正确".into())
    );
    assert_eq!(phone.from_form(""), Err("请填写联系电话".into()));
    let FieldType::Text {
        pattern: Some(p), ..
    } = &no.ty
    else {
        panic!("a text field with a pattern: {:?}", no.ty)
    };
    assert_eq!(p.source(), "[0-9]{4}");
    assert_eq!(p.anchored(), "^(?:[0-9]{4})$");
    assert_eq!(p.message(), Some("应为4位数字，如 0421"));

    let bad = |body: &str| {
        parse(&format!(
            "[[fields]]\nname = \"code\"\nlabel = \"编号\"\n{body}"
        ))
        .unwrap_err()
    };
    assert_eq!(
        bad("type = \"text\"\npattern = \"[0-9\""),
        "字段“code”：“pattern”不是有效的正则表达式（unclosed character class）"
    );
    assert_eq!(
        bad("type = \"text\"\npattern_message = \"应为4位数字\""),
        "字段“code”：“pattern_message”须与“pattern”一起使用"
    );
    assert_eq!(
        bad("type = \"integer\"\npattern = \"[0-9]+\""),
        "字段“code”：不支持的字段“pattern”"
    );
}

const SHAREHOLDERS: &str = r#"
[[fields]]
name = "shareholders"
label = "股东信息"
type = "group"
min_rows = 1
max_rows = 3
sum = { field = "share", equals = 100 }
[[fields.fields]]
name = "name"
label = "名称"
type = "text"
required = true
[[fields.fields]]
name = "code"
label = "统一社会信用代码"
type = "credit_code"
[[fields.fields]]
name = "way"
label = "出资方式"
type = "enum"
options = [["cash", "货币"], ["land", "土地使用权"]]
required = true
[[fields.fields]]
name = "share"
label = "持股比例"
type = "percent"
required = true
"#;

#[test]
fn groups_read_rows_from_forms_and_check_them() {
    let fields = parse(SHAREHOLDERS).unwrap();
    let g = &fields[0];
    assert_eq!(g.ty.code(), "group");
    assert!(g.is_required(), "min_rows 1 makes the group required");
    let FieldType::Group {
        fields: columns,
        min_rows,
        max_rows,
        sum,
    } = &g.ty
    else {
        panic!("a group: {:?}", g.ty)
    };
    assert_eq!((columns.len(), *min_rows, *max_rows), (4, 1, 3));
    assert_eq!(
        sum,
        &Some(SumCheck {
            field: "share".into(),
            equals: 10_000
        }),
        "100 percentage points, stored in hundredths"
    );
    // Two rows, a blank one between them (ignored), a blank yes/no-free third.
    let posted = form(&[
        ("shareholders[0].name", "重庆甲公司"),
        ("shareholders[0].code", "91350100m000100y43"),
        ("shareholders[0].way", "cash"),
        ("shareholders[0].share", "60"),
        ("shareholders[1].name", " "),
        ("shareholders[1].code", ""),
        ("shareholders[1].way", ""),
        ("shareholders[1].share", ""),
        ("shareholders[2].name", "乙"),
        ("shareholders[2].code", ""),
        ("shareholders[2].way", "土地使用权"),
        ("shareholders[2].share", "40.00"),
        ("shareholders[x].name", "not a row"),
        ("other[0].name", "not this group"),
    ]);
    let rows = json!([
        {"name": "重庆甲公司", "code": "91350100M000100Y43", "way": "cash", "share": 6000},
        {"name": "乙", "code": "", "way": "land", "share": 4000},
    ]);
    assert_eq!(g.read_form(&posted), Ok(rows.clone()));
    // What a stored value puts back into the form reads as the same value.
    let back: HashMap<String, String> = g.form_values(&rows).into_iter().collect();
    assert_eq!(
        back.get("shareholders[1].share").map(String::as_str),
        Some("40.00")
    );
    assert_eq!(
        back.get("shareholders[1].way").map(String::as_str),
        Some("land")
    );
    assert_eq!(g.read_form(&back), Ok(rows.clone()));
    assert_eq!(g.from_json(&rows), Ok(rows.clone()));

    // Each bad cell names the group, the row (as the form numbers it) and the column.
    let mut bad = posted.clone();
    bad.insert("shareholders[2].share".into(), "150".into());
    bad.insert("shareholders[2].code".into(), "91350100M000100Y44".into());
    bad.insert("shareholders[0].way".into(), "股票".into());
    let mut errs = g.read_form(&bad).unwrap_err();
    errs.sort();
    assert_eq!(
        errs,
        vec![
            "股东信息第1行：出资方式应为以下之一：货币、土地使用权".to_string(),
            "股东信息第3行：持股比例须为0至100之间的数".to_string(),
            "股东信息第3行：统一社会信用代码：统一社会信用代码校验位错误：应为3，实为4".to_string(),
        ]
    );
    let mut short = posted.clone();
    short.insert("shareholders[2].share".into(), "30".into());
    assert_eq!(
        g.read_form(&short),
        Err(vec![
            "股东信息：各行持股比例合计应为100.00%，现为90.00%".to_string()
        ])
    );
    let mut no_name = posted.clone();
    no_name.insert("shareholders[2].name".into(), "".into());
    assert_eq!(
        g.read_form(&no_name),
        Err(vec!["股东信息第3行：请填写名称".to_string()])
    );
    assert_eq!(
        g.read_form(&form(&[("shareholders[0].name", "")])),
        Err(vec!["股东信息至少填写1行".to_string()])
    );
    let four: Vec<(String, String)> = (0..4)
        .flat_map(|i| {
            [
                (format!("shareholders[{i}].name"), format!("股东{i}")),
                (format!("shareholders[{i}].way"), "cash".to_owned()),
                (format!("shareholders[{i}].share"), "25".to_owned()),
            ]
        })
        .collect();
    assert_eq!(
        g.read_form(&four.into_iter().collect()),
        Err(vec!["股东信息最多填写3行".to_string()])
    );
}

#[test]
fn groups_from_json_are_arrays_of_objects() {
    let fields = parse(SHAREHOLDERS).unwrap();
    let g = &fields[0];
    let one = json!([{"name": "甲", "way": "cash", "share": 10_000}]);
    assert_eq!(
        g.from_json(&one),
        Ok(json!([{"name": "甲", "code": "", "way": "cash", "share": 10_000}]))
    );
    assert_eq!(
        g.from_json(&json!({"name": "甲"})),
        Err("股东信息应为由各行组成的数组（每行一个对象）".into())
    );
    assert_eq!(
        g.from_json(&json!(["甲"])),
        Err("股东信息第1行应为对象（各列为其属性）".into())
    );
    assert_eq!(
        g.from_json(&json!([{"name": "甲", "way": "cash", "share": 10_000, "note": 1}])),
        Err("股东信息第1行：不认识的字段 note".into())
    );
    assert_eq!(
        g.from_json(&json!([
            {"name": "甲", "way": "cash", "share": 5_000},
            {"name": "乙", "way": "cash", "share": 10_001}
        ])),
        Err("股东信息第2行：持股比例应为0至100%（以万分之一为单位存储，0至10000）".into())
    );
    assert_eq!(g.from_json(&Value::Null), Err("股东信息至少填写1行".into()));
    assert_eq!(
        g.from_json(&json!([{"name": "甲", "way": "cash", "share": 9_000}])),
        Err("股东信息：各行持股比例合计应为100.00%，现为90.00%".into())
    );
    // An optional group without rows is an empty list, and its sum is not checked.
    let optional = parse(&SHAREHOLDERS.replace(
        "min_rows = 1
",
        "",
    ))
    .unwrap();
    assert!(!optional[0].is_required());
    assert_eq!(optional[0].from_json(&Value::Null), Ok(json!([])));
    assert_eq!(optional[0].read_form(&HashMap::new()), Ok(json!([])));
}

#[test]
fn groups_show_as_tables_and_their_changes_by_row() {
    let fields = parse(SHAREHOLDERS).unwrap();
    let g = &fields[0];
    let before = json!([
        {"name": "甲", "code": "", "way": "cash", "share": 6000},
        {"name": "乙", "code": "", "way": "land", "share": 4000},
    ]);
    let after = json!([
        {"name": "甲", "code": "", "way": "cash", "share": 5000},
        {"name": "乙", "code": "", "way": "land", "share": 4000},
        {"name": "丙", "code": "", "way": "cash", "share": 1000},
    ]);
    assert_eq!(
        g.table(&before),
        Some((
            vec!["名称", "统一社会信用代码", "出资方式", "持股比例"],
            vec![
                vec![
                    "甲".to_string(),
                    String::new(),
                    "货币".into(),
                    "60.00%".into()
                ],
                vec![
                    "乙".to_string(),
                    String::new(),
                    "土地使用权".into(),
                    "40.00%".into()
                ],
            ]
        ))
    );
    assert_eq!(
        g.display(&before),
        "名称：甲，统一社会信用代码：，出资方式：货币，持股比例：60.00%；名称：乙，统一社会信用代码：，出资方式：土地使用权，持股比例：40.00%"
    );
    assert_eq!(
        g.changes(&before, &after),
        vec![
            "股东信息第1行持股比例：60.00% → 50.00%".to_string(),
            "股东信息第3行：新增（名称：丙，统一社会信用代码：，出资方式：货币，持股比例：10.00%）"
                .to_string(),
        ]
    );
    assert_eq!(
        g.changes(&after, &before).last().map(String::as_str),
        Some(
            "股东信息第3行：删除（名称：丙，统一社会信用代码：，出资方式：货币，持股比例：10.00%）"
        )
    );
    assert!(g.changes(&before, &before).is_empty());
    let money = labelled("投资额（元）", FieldType::Money, false);
    assert_eq!(
        money.changes(&json!(100_000), &json!(120_000)),
        vec!["投资额（元）：1,000.00元 → 1,200.00元".to_string()]
    );
    assert_eq!(
        money.changes(&Value::Null, &json!(0)),
        vec!["投资额（元）：（空） → 0.00元".to_string()]
    );
    assert_eq!(
        g.table(&json!(1)),
        Some((
            vec!["名称", "统一社会信用代码", "出资方式", "持股比例"],
            vec![]
        ))
    );
    assert_eq!(money.table(&json!(1)), None);
}

#[test]
fn bad_groups_are_named_when_the_kind_is_loaded() {
    let bad = |from: &str, to: &str| parse(&SHAREHOLDERS.replace(from, to)).unwrap_err();
    assert_eq!(
        bad("type = \"credit_code\"", "type = \"group\""),
        "字段“shareholders.code”：表格字段须在其后用 [[fields.fields]] 列出至少一列"
    );
    assert_eq!(
        bad("type = \"credit_code\"", "type = \"attachment\""),
        "字段“shareholders.code”：表格内的字段不能是 attachment 类型（只能是单值字段）"
    );
    assert_eq!(
        bad(
            "type = \"credit_code\"",
            "type = \"org\"\norg_kind = \"bank\""
        ),
        "字段“shareholders.code”：表格内的字段不能是 org 类型（只能是单值字段）"
    );
    assert_eq!(
        bad("field = \"share\"", "field = \"name\""),
        "字段“shareholders”：合计校验的字段“name”应为百分比、金额或整数字段"
    );
    assert_eq!(
        bad("field = \"share\"", "field = \"stake\""),
        "字段“shareholders”：合计校验的字段“stake”不是本表格的列"
    );
    assert_eq!(
        bad("equals = 100", "equals = \"100%\""),
        "字段“shareholders”：“sum”应写作 { field = \"列名\", equals = 非负整数 }"
    );
    assert_eq!(
        bad("max_rows = 3", "max_rows = 0"),
        "字段“shareholders”：“max_rows”至少为1"
    );
    assert_eq!(
        bad("min_rows = 1", "min_rows = 5"),
        "字段“shareholders”：最少行数5大于最多行数3"
    );
    assert_eq!(
        bad("max_rows = 3", "max_rows = 201"),
        "字段“shareholders”：“max_rows”应为0至200的整数"
    );
    assert_eq!(
        bad("name = \"code\"", "name = \"name\""),
        "字段“shareholders.name”重复"
    );
    let no_columns =
        parse("[[fields]]\nname = \"g\"\nlabel = \"表\"\ntype = \"group\"\n").unwrap_err();
    assert_eq!(
        no_columns,
        "字段“g”：表格字段须在其后用 [[fields.fields]] 列出至少一列"
    );
}

#[test]
fn attachment_slots_take_their_listed_types_and_are_not_data() {
    let fields = parse(
        r#"
[[fields]]
name = "licence"
label = "营业执照"
type = "attachment"
required = true
content_types = ["application/pdf", "image/png"]
[[fields]]
name = "other"
label = "其他材料"
type = "attachment"
"#,
    )
    .unwrap();
    let (licence, other) = (&fields[0], &fields[1]);
    assert_eq!(
        licence.ty,
        FieldType::Attachment {
            content_types: vec!["application/pdf".into(), "image/png".into()]
        }
    );
    assert!(licence.is_required() && !other.is_required());
    assert!(!licence.holds_data());
    assert_eq!(licence.accepts_file("image/png"), Ok(()));
    assert_eq!(
        licence.accepts_file("image/jpeg"),
        Err("营业执照只接受PDF 文档、PNG 图片，所传文件是JPEG 图片".into())
    );
    let FieldType::Attachment { content_types } = &other.ty else {
        panic!("a slot: {:?}", other.ty)
    };
    assert_eq!(
        content_types.len(),
        ATTACHMENT_TYPES.len(),
        "every type by default"
    );
    assert_eq!(
        other.accepts_file("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        Ok(())
    );
    assert_eq!(unfilled_slots(&[licence]), "请先上传营业执照再提交");
    assert_eq!(
        unfilled_slots(&[licence, other]),
        "请先上传营业执照、其他材料再提交"
    );
    assert_eq!(
        licence.from_json(&json!(3)),
        Err("营业执照是附件，请在申报页面上传文件，不在申报内容中填写".into())
    );
    assert!(licence.form_values(&Value::Null).is_empty());
    assert!(licence.changes(&json!(1), &json!(2)).is_empty());
    assert_eq!(
        field(FieldType::Money, false).accepts_file("application/pdf"),
        Err("金额不是附件材料".into())
    );
    let bad = |types: &str| {
        parse(&format!(
            "[[fields]]\nname = \"a\"\nlabel = \"甲\"\ntype = \"attachment\"\ncontent_types = {types}\n"
        ))
        .unwrap_err()
    };
    assert_eq!(
        bad("[\"application/msword\"]"),
        "字段“a”：不支持的文件类型“application/msword”（可用：application/pdf、image/png、image/jpeg、application/vnd.openxmlformats-officedocument.spreadsheetml.sheet）"
    );
    assert_eq!(
        bad("[]"),
        "字段“a”：“content_types”应为文件类型列表，至少一项"
    );
    assert_eq!(
        bad("[\"image/png\", \"image/png\"]"),
        "字段“a”：文件类型“image/png”重复"
    );
}

proptest! {
    /// Whatever is typed, reading never panics; what is accepted shows and returns to the
    /// form as the same stored value.
    #[test]
    fn accepted_values_round_trip(raw in "\\PC{0,12}", pick in 0usize..6) {
        let ty = [
            FieldType::Money,
            FieldType::Percent,
            FieldType::Integer { min: 0, max: 1_000_000 },
            FieldType::Date,
            FieldType::Text { max_length: 8, pattern: None },
            FieldType::District,
        ][pick].clone();
        let f = field(ty, false);
        if let Ok(v) = f.from_form(&raw) {
            prop_assert_eq!(f.from_form(&f.to_form(&v)), Ok(v.clone()));
            prop_assert_eq!(f.from_json(&v), Ok(v));
        }
    }

    #[test]
    fn money_in_yuan_is_fen(yuan in 0i64..10_000_000_000, fen in 0i64..100) {
        let f = field(FieldType::Money, false);
        prop_assert_eq!(f.from_form(&format!("{yuan}.{fen:02}")), Ok(json!(yuan * 100 + fen)));
    }
}
