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
    assert!(pct.from_form("100.01").is_err());

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

    let text = field(FieldType::Text { max_length: 3 }, false);
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
            FieldType::Text { max_length: 8 },
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
