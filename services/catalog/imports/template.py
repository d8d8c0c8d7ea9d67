"""The import template a seller downloads: an XLSX with the sheet to fill in and a guide.

Sheet "Produk" holds the header row and one example row (it imports as it is); sheet
"Petunjuk" explains every column and lists the category slugs. The kategori, halal and status
columns offer drop-down lists (data validation), so a seller picks instead of typing.
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from services.catalog.imports.sheet import COLUMN_NAMES, COLUMNS, MAX_FILE_BYTES, MAX_ROWS, SHEET_NAME, thousands
from shared.taxonomy import LEAF_SLUGS, TAXONOMY

GUIDE_SHEET_NAME = "Petunjuk"
HALAL_CHOICES = ("ya", "tidak")
STATUS_CHOICES = ("tayang", "draf", "arsip")


def build_template() -> bytes:
    """The XLSX a seller downloads: sheet "Produk" (header + one example row) and sheet
    "Petunjuk" explaining every column and listing the category slugs."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append(list(COLUMN_NAMES))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.append([int(column.example) if column.example.isdigit() else column.example for column in COLUMNS])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS):
        sheet.column_dimensions[chr(ord("A") + index)].width = max(12, min(40, len(column.example) + 4))

    guide = workbook.create_sheet(GUIDE_SHEET_NAME)
    bold = Font(bold=True)
    lines: list[list[str]] = [
        ["Petunjuk impor produk Etalase Sultra"],
        ["Isi lembar 'Produk' mulai baris 2 (baris 1 adalah judul kolom, jangan diubah). Hapus baris contoh."],
        [f"Satu file paling banyak {thousands(MAX_ROWS)} baris produk dan {MAX_FILE_BYTES // (1024 * 1024)} MB. "
         "Format: XLSX atau CSV (UTF-8, pemisah koma atau titik koma)."],
        ["Mengimpor file yang sama dua kali tidak mengubah apa pun. Baris yang salah dilaporkan "
         "beserta nomor baris dan kolomnya; baris yang benar tetap disimpan."],
        [],
        ["Kolom", "Penjelasan", "Contoh"],
    ]
    lines += [[column.name, column.help, column.example] for column in COLUMNS]
    lines += [[], ["Daftar kategori"], ["Slug (isi kolom kategori)", "Nama subkategori", "Kategori induk"]]
    for parent in TAXONOMY:
        for child in parent["children"]:
            lines.append([child["slug"], child["name"], parent["name"]])
    for line in lines:
        guide.append(line)
    for row in guide.iter_rows():
        if row and row[0].value in ("Kolom", "Daftar kategori", "Slug (isi kolom kategori)",
                                    "Petunjuk impor produk Etalase Sultra"):
            for cell in row:
                cell.font = bold
    guide.column_dimensions["A"].width = 28
    slug_rows = [row[0].row for row in guide.iter_rows() if row[0].value in LEAF_SLUGS]
    _add_choices(sheet, "kategori", f"'{GUIDE_SHEET_NAME}'!$A${min(slug_rows)}:$A${max(slug_rows)}")
    _add_choices(sheet, "halal", '"' + ",".join(HALAL_CHOICES) + '"')
    _add_choices(sheet, "status", '"' + ",".join(STATUS_CHOICES) + '"')
    guide.column_dimensions["B"].width = 90
    guide.column_dimensions["C"].width = 40

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _add_choices(sheet, column_name: str, formula: str) -> None:
    """A drop-down list on the column's data cells (rows 2 to MAX_ROWS + 1). A value typed by
    hand that is not in the list gets a warning, not a refusal: the import accepts more
    spellings (a category's name, published/draft) and reports what it cannot read."""
    letter = get_column_letter(COLUMN_NAMES.index(column_name) + 1)
    validation = DataValidation(type="list", formula1=formula, allow_blank=True, showDropDown=False,
                                errorStyle="warning", showErrorMessage=True,
                                errorTitle="Nilai tidak ada di daftar", error="Pilih dari daftar, atau lihat lembar Petunjuk.")
    validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    sheet.add_data_validation(validation)
