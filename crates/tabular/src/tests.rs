use std::io::Cursor;

use calamine::{Reader, Xlsx};
use proptest::prelude::*;
use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook};

use crate::*;

/// The real 2021 catalog, beside the checkout (`../shared/data`); the tests fail without it.
const CATALOG_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/major-catalog-2021.csv"
);

const CATALOG_COLUMNS: &[Column] = &[
    col("catalogCode", "目录代码", true, "MOE_VOCATIONAL_2021"),
    col("educationLevel", "教育层次", true, "VOCATIONAL_ASSOCIATE"),
    col("categoryCode", "门类代码", true, "52"),
    col("categoryName", "门类名称", false, "医药卫生大类"),
    col("classCode", "专业类代码", false, "5201"),
    col("className", "专业类名称", false, "护理类"),
    col("majorCode", "专业代码", true, "520101K"),
    col("majorName", "专业名称", true, "护理"),
    col("parentCode", "上级代码", false, "5201"),
    col("itemLevel", "条目层级", true, "MAJOR"),
    col("source", "来源", false, "中华人民共和国教育部"),
];

const fn col(
    key: &'static str,
    header: &'static str,
    required: bool,
    example: &'static str,
) -> Column {
    Column {
        key,
        header,
        aliases: &[],
        required,
        example,
    }
}

const CATALOG: Schema = Schema {
    sheet: "专业目录",
    columns: CATALOG_COLUMNS,
};

const PEOPLE: Schema = Schema {
    sheet: "人员",
    columns: &[
        Column {
            key: "name",
            header: "姓名",
            aliases: &["full name"],
            required: true,
            example: "张三",
        },
        Column {
            key: "year",
            header: "年份",
            aliases: &[],
            required: false,
            example: "2021",
        },
        Column {
            key: "code",
            header: "编码",
            aliases: &[],
            required: false,
            example: "010101",
        },
    ],
};

fn catalog_bytes() -> Vec<u8> {
    std::fs::read(CATALOG_PATH).expect("catalog file")
}

fn cells(table: &Table) -> Vec<(usize, Vec<String>)> {
    table
        .rows
        .iter()
        .map(|r| (r.line, r.cells().to_vec()))
        .collect()
}

fn sheet_names(bytes: &[u8]) -> Vec<String> {
    Xlsx::new(Cursor::new(bytes.to_vec()))
        .expect("xlsx")
        .sheet_names()
}

// ---------------------------------------------------------------- reading CSV

#[test]
fn reads_real_catalog_csv() {
    let table = read(&CATALOG, &catalog_bytes()).expect("read");
    assert_eq!(table.rows.len(), 1681);
    assert!(table.ignored_headers.is_empty());
    assert!(table.column_letters.iter().all(Option::is_some));
    assert_eq!(table.column_letters[6].as_deref(), Some("G"));

    let first = &table.rows[0];
    assert_eq!(first.line(), 2);
    assert_eq!(first.get("catalogCode"), "MOE_VOCATIONAL_2021");
    assert_eq!(first.get("categoryName"), "农林牧渔大类");
    assert_eq!(first.get("classCode"), "");
    assert_eq!(table.rows.last().unwrap().line, 1682);

    let nursing = table
        .rows
        .iter()
        .find(|r| r.get("majorCode") == "520101K")
        .expect("520101K kept as text");
    assert_eq!(nursing.line, 991);
    assert_eq!(nursing.get("parentCode"), "5201");
}

#[test]
fn reads_chinese_headers_with_bom() {
    let english = read(&CATALOG, &catalog_bytes()).unwrap();
    let text = String::from_utf8(catalog_bytes()).unwrap();
    let (_, body) = text.split_once('\n').unwrap();
    let headers: Vec<&str> = CATALOG_COLUMNS.iter().map(|c| c.header).collect();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(format!("{}\r\n", headers.join(",")).as_bytes());
    bytes.extend_from_slice(body.as_bytes());
    assert_eq!(detect(&bytes), Ok(Format::Csv));
    let chinese = read(&CATALOG, &bytes).unwrap();
    assert_eq!(chinese.rows.len(), english.rows.len());
    assert!(cells(&chinese) == cells(&english), "rows differ");
}

#[test]
fn keeps_leading_zeros_and_matches_headers_loosely() {
    let csv = " Full Name ,年份*,编码,备注\n张三,2021,010101,x\n李四,,007,\n";
    let table = read(&PEOPLE, csv.as_bytes()).unwrap();
    assert_eq!(table.ignored_headers, vec!["备注".to_string()]);
    assert_eq!(table.rows[0].get("name"), "张三");
    assert_eq!(table.rows[0].get("code"), "010101");
    assert_eq!(table.rows[1].get("code"), "007");
    assert_eq!(table.rows[1].get("year"), "");
    let upper = read(&PEOPLE, "NAME,CODE\n王五,0001\n".as_bytes()).unwrap();
    assert_eq!(upper.rows[0].get("code"), "0001");
    assert_eq!(
        upper.column_letters,
        vec![Some("A".into()), None, Some("B".into())]
    );
}

#[test]
fn csv_line_numbers_count_blank_lines_and_multiline_fields() {
    let csv = "姓名,编码\n\n张三,1\n\"李\n四\",2\n,\n王五,3\n";
    let table = read(&PEOPLE, csv.as_bytes()).unwrap();
    let lines: Vec<_> = table.rows.iter().map(|r| (r.line, r.get("name"))).collect();
    assert_eq!(lines, vec![(3, "张三"), (4, "李\n四"), (6, "王五")]);
    // CRLF, blank lines before the header and between rows, a lone CR.
    let csv = "\r\n姓名,编码\r\n张三,1\r\n\r\n\r\n\"李\r\n四\",2\r\n赵六,4\r王五,3";
    let table = read(&PEOPLE, csv.as_bytes()).unwrap();
    let lines: Vec<_> = table.rows.iter().map(|r| (r.line, r.get("name"))).collect();
    assert_eq!(
        lines,
        vec![(3, "张三"), (6, "李\r\n四"), (7, "赵六"), (8, "王五")]
    );
}

#[test]
fn tab_separated_text_is_accepted() {
    let table = read(&PEOPLE, "姓名\t编码\n张三\t0101\n".as_bytes()).unwrap();
    assert_eq!(table.rows[0].get("code"), "0101");
}

// --------------------------------------------------------------- reading XLSX

#[test]
fn xlsx_round_trip_of_catalog() {
    let original = read(&CATALOG, &catalog_bytes()).unwrap();
    let rows: Vec<Vec<Cell>> = original
        .rows
        .iter()
        .map(|r| r.cells().iter().cloned().map(Cell::from).collect())
        .collect();
    let bytes = export(&CATALOG, &rows).unwrap();
    assert_eq!(detect(&bytes), Ok(Format::Xlsx));
    assert_eq!(sheet_names(&bytes), vec!["专业目录".to_string()]);
    let back = read(&CATALOG, &bytes).unwrap();
    assert_eq!(back.rows.len(), original.rows.len());
    assert!(cells(&back) == cells(&original), "rows differ");
}

#[test]
fn typed_cells_are_numbers_and_dates_that_read_back_as_import_text() {
    use calamine::Data;
    let rows = vec![vec![
        Cell::text("00120"),
        Cell::Count(1234),
        Cell::Year(2024),
        Cell::Fen(450_050),
        Cell::fen(None),
        Cell::Decimal {
            value: 1.5,
            places: 2,
        },
        Cell::percent(Some(0.9231), 1),
        Cell::iso_date("2024-03-01"),
        Cell::DateTime {
            year: 2025,
            month: 6,
            day: 30,
            hour: 9,
            minute: 5,
        },
    ]];
    let headers = [
        "代码", "人数", "年份", "金额", "空", "比", "率", "日期", "时间",
    ];
    let bytes = sheet("表", &headers, &rows).unwrap();
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let range = wb.worksheet_range("表").unwrap();
    let got: Vec<Data> = range.rows().nth(1).unwrap().to_vec();
    assert_eq!(got[0], Data::String("00120".into()));
    assert_eq!(got[1], Data::Float(1234.0));
    assert_eq!(got[2], Data::Float(2024.0));
    assert_eq!(got[3], Data::Float(4500.5));
    assert_eq!(got[4], Data::Empty);
    assert_eq!(got[5], Data::Float(1.5));
    assert_eq!(got[6], Data::Float(0.9231));
    assert!(
        matches!(&got[7], Data::DateTime(d) if !d.is_duration()),
        "{:?}",
        got[7]
    );
    assert!(
        matches!(&got[8], Data::DateTime(d) if !d.is_duration()),
        "{:?}",
        got[8]
    );
    // As an import reads them: the text a person would have typed.
    let texts: Vec<String> = got.iter().map(crate::read::cell_text).collect();
    assert_eq!(
        texts,
        [
            "00120",
            "1234",
            "2024",
            "4500.5",
            "",
            "1.5",
            "0.9231",
            "2024-03-01",
            "2025-06-30 09:05:00"
        ]
    );
    assert_eq!(
        Cell::iso_date("2024-02-30"),
        Cell::Text("2024-02-30".into())
    );
    assert_eq!(Cell::iso_date(" "), Cell::Empty);
}

#[test]
fn xlsx_cells_of_any_type_become_text() {
    let mut workbook = Workbook::new();
    // A first sheet that is not the schema's: the named sheet must win.
    workbook
        .add_worksheet()
        .set_name("其他")
        .unwrap()
        .write_string(0, 0, "无关")
        .unwrap();
    let sheet = workbook.add_worksheet().set_name("人员").unwrap();
    let date = CellFormat::new().set_num_format("yyyy-mm-dd");
    // A title row above the headers, starting at column B.
    sheet.write_string(0, 1, "2021 年人员名单").unwrap();
    sheet.write_string(1, 1, "姓名").unwrap();
    sheet.write_string(1, 2, "年份").unwrap();
    sheet.write_string(1, 3, "编码").unwrap();
    sheet.write_string(2, 1, "  张三 ").unwrap();
    sheet.write_number(2, 2, 2021).unwrap();
    sheet.write_number(2, 3, 3.5).unwrap();
    sheet.write_string(4, 1, "李四").unwrap();
    let day = ExcelDateTime::from_ymd(2024, 9, 1).unwrap();
    sheet.write_datetime_with_format(4, 2, &day, &date).unwrap();
    sheet.write_boolean(4, 3, true).unwrap();
    sheet.write_string(5, 1, "赵六").unwrap();
    sheet.write_number(5, 3, 0.1 + 0.2).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();

    let table = read(&PEOPLE, &bytes).unwrap();
    let got: Vec<_> = table
        .rows
        .iter()
        .map(|r| (r.line, r.get("name"), r.get("year"), r.get("code")))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, "张三", "2021", "3.5"),
            (5, "李四", "2024-09-01", "TRUE"),
            (6, "赵六", "", "0.3"),
        ]
    );
    assert_eq!(
        table.column_letters,
        vec![Some("B".into()), Some("C".into()), Some("D".into())]
    );
}

#[test]
fn xlsx_without_named_sheet_uses_first_sheet() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet().set_name("Sheet1").unwrap();
    sheet.write_string(0, 0, "姓名").unwrap();
    sheet.write_string(1, 0, "张三").unwrap();
    let table = read(&PEOPLE, &workbook.save_to_buffer().unwrap()).unwrap();
    assert_eq!(table.rows.len(), 1);
    assert_eq!(table.rows[0].line, 2);
}

#[test]
fn template_reads_back_empty() {
    let bytes = template(&CATALOG).unwrap();
    assert_eq!(
        sheet_names(&bytes),
        vec!["专业目录".to_string(), INSTRUCTIONS_SHEET.to_string()]
    );
    let table = read(&CATALOG, &bytes).unwrap();
    assert!(table.rows.is_empty());
    assert!(table.ignored_headers.is_empty());
    assert!(table.column_letters.iter().all(Option::is_some));

    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let help = workbook.worksheet_range(INSTRUCTIONS_SHEET).unwrap();
    assert_eq!(help.height(), CATALOG_COLUMNS.len() + 1);
    let nursing = help.rows().find(|r| r[0] == "专业代码").unwrap();
    assert_eq!(nursing[1].to_string(), "必填");
    assert_eq!(nursing[2].to_string(), "520101K");
}

#[test]
fn bad_sheet_name_is_a_write_error() {
    let bad = Schema {
        sheet: "a/b",
        columns: PEOPLE.columns,
    };
    let err = template(&bad).unwrap_err();
    assert_eq!(err.code(), "xlsx_write");
}

// --------------------------------------------------------------------- errors

#[test]
fn random_bytes_and_pdf_are_not_spreadsheets() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    assert_eq!(detect(&random), Err(TabularError::NotSpreadsheet));
    assert_eq!(
        read(&PEOPLE, &random).unwrap_err(),
        TabularError::NotSpreadsheet
    );

    let pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
    let err = read(&PEOPLE, pdf).unwrap_err();
    assert_eq!(err, TabularError::NotSpreadsheet);
    assert_eq!(err.to_string(), "文件既不是 CSV 也不是 XLSX 表格");
    assert_eq!(err.code(), "not_spreadsheet");

    // A zip that is not a workbook (e.g. .docx).
    let docx = b"PK\x03\x04\x14\x00\x00\x00word/document.xml";
    assert_eq!(detect(docx), Err(TabularError::NotSpreadsheet));
}

#[test]
fn empty_files() {
    for bytes in [&b""[..], b"\xEF\xBB\xBF", b"\n\n", b",,\n,,\n"] {
        let err = read(&PEOPLE, bytes).unwrap_err();
        assert_eq!(err, TabularError::Empty);
        assert_eq!(err.to_string(), "文件没有数据行");
        assert_eq!(err.code(), "empty");
    }
    let blank = Workbook::new().save_to_buffer().unwrap();
    assert_eq!(read(&PEOPLE, &blank).unwrap_err(), TabularError::Empty);
}

#[test]
fn missing_required_columns_are_named_in_chinese() {
    let err = read(&CATALOG, "catalogCode,majorName\nX,护理\n".as_bytes()).unwrap_err();
    assert_eq!(
        err,
        TabularError::MissingColumns {
            names: vec![
                "教育层次".into(),
                "门类代码".into(),
                "专业代码".into(),
                "条目层级".into()
            ]
        }
    );
    assert_eq!(
        err.to_string(),
        "缺少必填列：教育层次、门类代码、专业代码、条目层级"
    );
    assert_eq!(err.code(), "missing_columns");
    // A file with none of the schema's columns at all.
    let err = read(&PEOPLE, "a,b\n1,2\n".as_bytes()).unwrap_err();
    assert_eq!(err.code(), "missing_columns");
}

#[test]
fn duplicate_header() {
    let err = read(&PEOPLE, "姓名,编码,name\n张三,1,张三\n".as_bytes()).unwrap_err();
    assert_eq!(
        err,
        TabularError::DuplicateColumn {
            header: "name".into()
        }
    );
    assert_eq!(err.to_string(), "列“name”重复出现");
    assert_eq!(err.code(), "duplicate_column");
}

#[test]
fn gbk_csv_is_bad_encoding() {
    // “专业代码,专业名称\n护理,x” in GBK.
    let gbk =
        b"\xD7\xA8\xD2\xB5\xB4\xFA\xC2\xEB,\xD7\xA8\xD2\xB5\xC3\xFB\xB3\xC6\n\xBB\xA4\xC0\xED,x\n";
    let err = read(&PEOPLE, gbk).unwrap_err();
    assert_eq!(err, TabularError::BadEncoding);
    assert_eq!(err.code(), "bad_encoding");
    assert!(err.to_string().contains("UTF-8"));
    assert_eq!(detect(b"\xFF\xFEa\x00"), Err(TabularError::BadEncoding));
}

#[test]
fn corrupt_xlsx_is_an_xlsx_error() {
    let bytes = b"PK\x03\x04\x14\x00\x00\x00xl/workbook.xml\x00\x01\x02";
    let err = read(&PEOPLE, bytes).unwrap_err();
    assert_eq!(err.code(), "xlsx");
}

// ------------------------------------------------------------------- limits

/// A hostile file of `tests/hostile` (written by its `make.py`).
fn hostile(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/hostile/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn a_value_at_the_last_cell_is_refused_without_allocating_the_range() {
    let err = read(&PEOPLE, &hostile("corner.xlsx")).unwrap_err();
    assert_eq!(err, TabularError::TooLarge(Exceeded::Rows(100_000)));
    assert_eq!(
        err.to_string(),
        "文件超出导入上限：表格的数据超出第 100000 行（上限 100000 行）"
    );
    // Within a limit wide enough for the row, the column is still refused.
    let wide_rows = Limits {
        max_rows: 1_048_576,
        ..Limits::STANDARD
    };
    let err = read_with(&PEOPLE, &hostile("corner.xlsx"), &wide_rows).unwrap_err();
    assert_eq!(err, TabularError::TooLarge(Exceeded::Columns(256)));
    assert!(err.to_string().contains("IV 列"), "{err}");
}

#[test]
fn an_absurd_shared_string_count_is_refused() {
    let err = read(&PEOPLE, &hostile("sst.xlsx")).unwrap_err();
    assert_eq!(
        err,
        TabularError::TooLarge(Exceeded::SharedStrings(500_000))
    );
    assert_eq!(err.code(), "too_large");
}

#[test]
fn a_zip_bomb_is_refused_by_its_inflated_size() {
    // About 1 MB that inflates to 1 GB of whitespace.
    let bytes = hostile("bomb.xlsx");
    assert!(bytes.len() < 1100 * 1024);
    for (limits, mb) in [(Limits::STANDARD, 128), (Limits::BULK, 768)] {
        let err = read_with(&PEOPLE, &bytes, &limits).unwrap_err();
        assert_eq!(
            err,
            TabularError::TooLarge(Exceeded::UnzippedBytes(mb * 1024 * 1024))
        );
        assert_eq!(
            err.to_string(),
            format!("文件超出导入上限：XLSX 文件解压后超过 {mb} MB 的上限")
        );
    }
}

#[test]
fn cells_and_text_are_counted_in_both_formats() {
    let small = Limits {
        max_cells: 5,
        ..Limits::STANDARD
    };
    let csv = "姓名,编码\n张三,1\n李四,2\n";
    let err = read_with(&PEOPLE, csv.as_bytes(), &small).unwrap_err();
    assert_eq!(err, TabularError::TooLarge(Exceeded::Cells(5)));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    // Numbers are not shared strings: 4 strings, 6 cells.
    for (r, (name, code)) in [("姓名", None), ("张三", Some(1.0)), ("李四", Some(2.0))]
        .into_iter()
        .enumerate()
    {
        sheet.write_string(r as u32, 0, name).unwrap();
        match code {
            Some(n) => sheet.write_number(r as u32, 1, n).unwrap(),
            None => sheet.write_string(r as u32, 1, "编码").unwrap(),
        };
    }
    let xlsx = book.save_to_buffer().unwrap();
    let err = read_with(&PEOPLE, &xlsx, &small).unwrap_err();
    assert_eq!(err, TabularError::TooLarge(Exceeded::Cells(5)));
    let tight_text = Limits {
        max_text_bytes: 20,
        ..Limits::STANDARD
    };
    // 姓名 编码 张三 1 李四 2: 6 + 6 + 6 + 1 + 6 + 1 = 26 bytes.
    for bytes in [csv.as_bytes(), &xlsx[..]] {
        let err = read_with(&PEOPLE, bytes, &tight_text).unwrap_err();
        assert_eq!(err, TabularError::TooLarge(Exceeded::TextBytes(20)));
    }
    // Exactly at the limits, the file reads.
    let exact = Limits {
        max_cells: 6,
        max_text_bytes: 26,
        max_rows: 3,
        max_columns: 2,
        ..Limits::STANDARD
    };
    for bytes in [csv.as_bytes(), &xlsx[..]] {
        assert_eq!(read_with(&PEOPLE, bytes, &exact).unwrap().rows.len(), 2);
    }
}

#[test]
fn a_csv_line_of_a_million_commas_is_refused_before_its_fields_are_stored() {
    let mut csv = "姓名,编码\n".as_bytes().to_vec();
    csv.extend(std::iter::repeat_n(b',', 1_000_000));
    csv.extend_from_slice(b"x\n");
    let err = read(&PEOPLE, &csv).unwrap_err();
    assert_eq!(err, TabularError::TooLarge(Exceeded::Columns(256)));
    // Trailing empty fields within the limit are fine (Excel writes them).
    let ok = "姓名,编码,,,,\n张三,1,,,,\n";
    assert_eq!(read(&PEOPLE, ok.as_bytes()).unwrap().rows.len(), 1);
    // A value past the last allowed row is refused.
    let rows = Limits {
        max_rows: 2,
        ..Limits::STANDARD
    };
    let err = read_with(&PEOPLE, "姓名\n张三\n李四\n".as_bytes(), &rows).unwrap_err();
    assert_eq!(err, TabularError::TooLarge(Exceeded::Rows(2)));
}

#[test]
fn too_many_zip_entries_are_refused() {
    let few = Limits {
        max_zip_entries: 3,
        ..Limits::STANDARD
    };
    let err = read_with(&PEOPLE, &hostile("corner.xlsx"), &few).unwrap_err();
    assert_eq!(err, TabularError::TooLarge(Exceeded::ZipEntries(3)));
}

// ------------------------------------------------------------------- validate

#[derive(Debug, PartialEq)]
struct Major {
    code: String,
    name: String,
}

fn check_major(row: &Row) -> Result<Major, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let code = row.get("majorCode");
    if code.len() < 2 || !code.bytes().all(|b| b.is_ascii_digit() || b == b'K') {
        errors.push(("majorCode", format!("专业代码“{code}”格式不正确")));
    }
    if row.get("majorName").is_empty() {
        errors.push(("majorName", "专业名称不能为空".to_string()));
    }
    if errors.is_empty() {
        Ok(Major {
            code: code.to_string(),
            name: row.get("majorName").to_string(),
        })
    } else {
        Err(errors)
    }
}

#[test]
fn validate_real_catalog_is_clean() {
    let table = read(&CATALOG, &catalog_bytes()).unwrap();
    let (valid, report) = validate(&CATALOG, &table, &["catalogCode", "majorCode"], check_major);
    assert!(report.is_clean(), "{:?}", report.problems.first());
    assert_eq!(report.total_rows, 1681);
    assert_eq!(report.valid_rows, 1681);
    assert_eq!(valid.len(), 1681);
    assert_eq!(valid[989].0, 991);
    assert_eq!(valid[989].1.code, "520101K");
}

#[test]
fn validate_reports_cells_and_duplicates() {
    let header = CATALOG_COLUMNS
        .iter()
        .map(|c| c.key)
        .collect::<Vec<_>>()
        .join(",");
    let csv = format!(
        "{header}\n\
         C,L,52,,,,520101K,护理,,MAJOR,\n\
         C,L,52,,,,520102K,助产,,MAJOR,\n\
         \n\
         C,L,52,,,,5201X,,,MAJOR,\n\
         C,L,52,,,,520101K,护理,,MAJOR,\n"
    );
    let table = read(&CATALOG, csv.as_bytes()).unwrap();
    let (valid, report) = validate(&CATALOG, &table, &["catalogCode", "majorCode"], check_major);
    assert_eq!(
        valid,
        vec![
            (
                2,
                Major {
                    code: "520101K".into(),
                    name: "护理".into()
                }
            ),
            (
                3,
                Major {
                    code: "520102K".into(),
                    name: "助产".into()
                }
            ),
        ]
    );
    assert_eq!(report.total_rows, 4);
    assert_eq!(report.valid_rows, 2);
    assert!(!report.is_clean());
    let problem = |row, column: &str, cell: &str, message: &str| Problem {
        row,
        column: Some(column.into()),
        cell: Some(cell.into()),
        message: message.into(),
    };
    assert_eq!(
        report.problems,
        vec![
            problem(5, "专业代码", "G5", "专业代码“5201X”格式不正确"),
            problem(5, "专业名称", "H5", "专业名称不能为空"),
            problem(6, "目录代码", "A6", "与第2行重复"),
        ]
    );
}

#[test]
fn validate_row_level_and_absent_column_problems() {
    let table = read(&PEOPLE, "姓名\n张三\n李四\n".as_bytes()).unwrap();
    let (valid, report) = validate(&PEOPLE, &table, &[], |row| {
        if row.get("name") == "张三" {
            Err(vec![
                ("", "整行有误".to_string()),
                ("code", "编码不能为空".to_string()),
            ])
        } else if row.get("name") == "李四" {
            Err(vec![])
        } else {
            Ok(())
        }
    });
    assert!(valid.is_empty());
    assert_eq!(report.problems.len(), 3);
    assert_eq!(report.problems[0].column, None);
    assert_eq!(report.problems[0].cell, None);
    assert_eq!(report.problems[1].column.as_deref(), Some("编码"));
    assert_eq!(report.problems[1].cell, None, "column absent from the file");
    assert_eq!(report.problems[2].row, 3);
    assert_eq!(report.problems[2].message, "本行数据无效");
}

#[test]
fn report_serializes_and_exports() {
    let report = Report {
        total_rows: 3,
        valid_rows: 2,
        problems: vec![Problem {
            row: 5,
            column: Some("专业名称".into()),
            cell: Some("H5".into()),
            message: "专业名称不能为空".into(),
        }],
    };
    fn assert_serialize<T: serde::Serialize>(_: &T) {}
    assert_serialize(&report);

    let bytes = report_xlsx(&report).unwrap();
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let range = workbook.worksheet_range(REPORT_SHEET).unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(crate::read::cell_text).collect())
        .collect();
    assert_eq!(
        rows,
        vec![
            vec!["行", "列", "单元格", "问题"],
            vec!["5", "专业名称", "H5", "专业名称不能为空"],
        ]
    );
}

// ------------------------------------------------------------------- cell_ref

#[test]
fn cell_ref_examples() {
    assert_eq!(cell_ref(0, 1), "A1");
    assert_eq!(cell_ref(7, 5), "H5");
    assert_eq!(cell_ref(25, 2), "Z2");
    assert_eq!(cell_ref(26, 3), "AA3");
    assert_eq!(cell_ref(701, 1), "ZZ1");
    assert_eq!(cell_ref(702, 1), "AAA1");
    assert_eq!(cell_ref(16_383, 1_048_576), "XFD1048576");
    assert_eq!(column_index("xfd"), Some(16_383));
    assert_eq!(column_index(""), None);
    assert_eq!(column_index("A1"), None);
}

proptest! {
    #[test]
    fn cell_ref_round_trips(col in 0usize..1_000_000, row in 1usize..2_000_000) {
        let reference = cell_ref(col, row);
        let split = reference.find(|c: char| c.is_ascii_digit()).unwrap();
        let (letters, digits) = reference.split_at(split);
        prop_assert!(letters.bytes().all(|b| b.is_ascii_uppercase()));
        prop_assert_eq!(column_index(letters), Some(col));
        prop_assert_eq!(digits.parse::<usize>().unwrap(), row);
        prop_assert_eq!(column_letter(col), letters);
    }

    #[test]
    fn letters_round_trip(letters in "[A-Z]{1,4}") {
        let index = column_index(&letters).unwrap();
        prop_assert_eq!(column_letter(index), letters);
    }
}
