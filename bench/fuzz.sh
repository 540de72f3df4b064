#!/usr/bin/env bash
# Fuzzes the table reader (CSV and XLSX), the identifiers, the policy rules' JSON inputs and the
# kind/parameter TOML with libFuzzer (cargo-fuzz), each for SECS seconds (default 600).
#
#   bench/fuzz.sh [SECS] [TARGET ...]
#
# cargo-fuzz needs a nightly compiler's flags; the machine's stable toolchain accepts them with
# RUSTC_BOOTSTRAP=1. No sanitizer (-s none): the code fuzzed is safe Rust; what is sought is
# panics, aborts, hangs and memory blow-ups (-rss_limit_mb, -timeout). Seeds: the real catalog, generated workbooks, the hostile files, the policy
# golden cases, the shipped workflow kinds and parameter files, and fuzz/regressions. A crash
# is left in fuzz/artifacts/<target>/: fix it, then copy the input to fuzz/regressions/<target>/,
# where `cargo test` (crates/fuzzing/tests/regressions.rs) replays it for good.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-600}"; shift || true
TARGETS=("$@"); [ ${#TARGETS[@]} -gt 0 ] || TARGETS=(table identifiers rule_input toml)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
export RUSTC_BOOTSTRAP=1

seed() { # target files...
  local dir="fuzz/corpus/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$dir/" || true; done
}
seed table crates/tabular/tests/hostile/corner.xlsx crates/tabular/tests/hostile/sst.xlsx fuzz/regressions/table/*
head -c 20000 ../shared/data/major-catalog-2021.csv > fuzz/corpus/table/catalog-head.csv 2>/dev/null || true
python3 - <<'PY'
import zipfile, io
# A small well-formed workbook with shared and inline strings, numbers and a date style.
ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
parts = {
 "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>',
 "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
 "xl/workbook.xml": f'<?xml version="1.0"?><workbook {ns} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>',
 "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
 "xl/sharedStrings.xml": f'<?xml version="1.0"?><sst {ns} count="3" uniqueCount="3"><si><t>名称</t></si><si><t>代码</t></si><si><r><t>张</t></r><r><t>三</t></r></si></sst>',
 "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet {ns}><dimension ref="A1:C2"/><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>年份</t></is></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>520101</v></c><c r="C2"><v>2024.5</v></c></row></sheetData></worksheet>',
}
for name, level in (("small.xlsx", zipfile.ZIP_DEFLATED), ("stored.xlsx", zipfile.ZIP_STORED)):
    with zipfile.ZipFile(f"fuzz/corpus/table/{name}", "w", level) as z:
        for k, v in parts.items():
            z.writestr(k, v)
PY
seed identifiers fuzz/regressions/identifiers/*
printf '%s' 500103 > fuzz/corpus/identifiers/division; printf '%s' 520101K > fuzz/corpus/identifiers/major
printf '%s' 11010519491231002X > fuzz/corpus/identifiers/idcard; printf '%s' C3612 > fuzz/corpus/identifiers/industry
seed rule_input crates/policy/cases/*/*.json fuzz/regressions/rule_input/*
seed toml crates/domain/workflows/*.toml crates/policy/params/*.toml fuzz/regressions/toml/*

cd fuzz
for t in "${TARGETS[@]}"; do
  echo "## $t: $SECS s"
  cargo fuzz run -s none "$t" "corpus/$t" -- -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 2>&1 | grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|artifact_prefix|Test unit written)" || true
  ls "artifacts/$t" 2>/dev/null | sed "s/^/crash: $t: /" || true
done
