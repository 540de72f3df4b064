#!/usr/bin/env python3
"""Writes the hostile XLSX files the import tests refuse (run from this folder).

corner.xlsx    one value at A1 and one at XFD1048576: a declared range of 17 billion cells
sst.xlsx       a shared-string table declaring uniqueCount = 10^15
bomb.xlsx      a sheet padded with 1 GB of whitespace (about 1 MB compressed)
bomb-2g.xlsx   (only with --big) 2 GB of whitespace in about 2 MB: the benchmark's file
"""
import sys
import zipfile
import zlib

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '</Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    '</Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    '</Relationships>'
)
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def sheet(cells, dimension="A1", padding=0):
    head = f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><dimension ref="{dimension}"/><sheetData>'
    return head, cells + '</sheetData></worksheet>', padding


def write(path, sheet_parts, shared):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/sharedStrings.xml", shared)
        head, tail, padding = sheet_parts
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=padding > 0) as f:
            f.write(head.encode())
            chunk = b" " * (16 * 1024 * 1024)
            left = padding
            while left > 0:
                f.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
            f.write(tail.encode())


SST = f'<?xml version="1.0" encoding="UTF-8"?><sst {NS} count="2" uniqueCount="2"><si><t>姓名</t></si><si><t>张三</t></si></sst>'
ROWS = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'

write("corner.xlsx", sheet(ROWS + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', "A1:XFD1048576"), SST)
write("sst.xlsx", sheet(ROWS, "A1:A2"),
      SST.replace('count="2" uniqueCount="2"', 'count="2" uniqueCount="1000000000000000"'))
write("bomb.xlsx", sheet(ROWS, "A1:A2", padding=1024 * 1024 * 1024), SST)
if "--big" in sys.argv:
    write("bomb-2g.xlsx", sheet(ROWS, "A1:A2", padding=2 * 1024 * 1024 * 1024), SST)
