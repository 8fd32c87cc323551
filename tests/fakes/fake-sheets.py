#!/usr/bin/env python3
"""A local stand-in for the Google Sheets API v4 subset that persist.googlesheets uses, and for
Google's OAuth2 token endpoint (shared/reference/apis-for-fakes.md).

    python3 fake-sheets.py [--port-file FILE] [--idle-timeout SECONDS] [--parent-pid PID]
                           [--token-ttl SECONDS] [--client ID:SECRET:REFRESH_TOKEN]
                           [--spreadsheet ID]

It listens on 127.0.0.1 on a port of its own choosing, printed as the first line of stdout (and
written to --port-file). Spreadsheets live in memory. Every Sheets request needs a bearer token
that this server issued through the refresh-token grant and that has not expired. Test controls
live under /__fake/ (see CONTROL below). The server stops on SIGTERM or SIGINT, when its parent
process (or --parent-pid) goes away, and after --idle-timeout seconds without a request.

Standard library only.
"""

import argparse
import base64
import copy
import decimal
import http.server
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.parse

# ---- errors --------------------------------------------------------------------------------

CANONICAL = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

MESSAGES = {
    401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
         "cookie or other valid authentication credential. See "
         "https://developers.google.com/identity/sign-in/web/devconsole-project.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute "
         "per user' of service 'sheets.googleapis.com' for consumer 'project_number:0'.",
    500: "Internal error encountered.",
    502: "Bad gateway.",
    503: "The service is currently unavailable.",
    504: "The service timed out.",
}


class ApiError(Exception):
    def __init__(self, status, message=None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message if message is not None else MESSAGES.get(status, "Error")
        self.headers = headers or {}

    def body(self):
        return {"error": {"code": self.status, "message": self.message,
                          "status": CANONICAL.get(self.status, "UNKNOWN")}}


class OAuthError(Exception):
    def __init__(self, status, error, description):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def bad(message):
    return ApiError(400, message)


# ---- A1 notation ---------------------------------------------------------------------------

def col_letters(n):
    """1 → A, 26 → Z, 27 → AA."""
    s = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        s = chr(ord("A") + r) + s
    return s


def col_number(s):
    n = 0
    for ch in s:
        n = n * 26 + (ord(ch) - ord("A") + 1)
    return n


CELL_RE = re.compile(r"^([A-Za-z]*)([0-9]*)$")


def parse_cell(text):
    """'A1' → (1, 1); 'A' → (None, 1); '5' → (5, None)."""
    m = CELL_RE.match(text)
    if not m or (not m.group(1) and not m.group(2)):
        return None
    col = col_number(m.group(1).upper()) if m.group(1) else None
    row = int(m.group(2)) if m.group(2) else None
    if row == 0 or (col is not None and col > 18278):
        return None
    return row, col


def quote_sheet(title):
    if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", title) and parse_cell(title) is None:
        return title
    return "'" + title.replace("'", "''") + "'"


class Range:
    """A resolved A1 range: 1-based inclusive bounds, None for an open side."""

    def __init__(self, sheet, r1, c1, r2, c2):
        self.sheet, self.r1, self.c1, self.r2, self.c2 = sheet, r1, c1, r2, c2

    def bounded(self):
        s = self.sheet
        r1 = self.r1 or 1
        c1 = self.c1 or 1
        r2 = self.r2 if self.r2 is not None else s.row_count
        c2 = self.c2 if self.c2 is not None else s.col_count
        return r1, c1, r2, c2

    def text(self):
        r1, c1, r2, c2 = self.bounded()
        return a1(self.sheet.title, r1, c1, r2, c2)


def a1(title, r1, c1, r2, c2):
    start = "%s%d" % (col_letters(c1), r1)
    end = "%s%d" % (col_letters(c2), r2)
    if start == end:
        return "%s!%s" % (quote_sheet(title), start)
    return "%s!%s:%s" % (quote_sheet(title), start, end)


def parse_range(book, text):
    """Resolve an A1 range against a spreadsheet; ApiError 400 when it does not parse."""
    err = bad("Unable to parse range: %s" % text)
    if text is None or not isinstance(text, str) or text == "":
        raise err
    sheet = None
    cells = None
    if text.startswith("'"):
        i = 1
        name = ""
        while True:
            if i >= len(text):
                raise err
            if text[i] == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    name += "'"
                    i += 2
                    continue
                i += 1
                break
            name += text[i]
            i += 1
        sheet = book.sheet_by_title(name)
        if sheet is None:
            raise err
        rest = text[i:]
        if rest == "":
            cells = None
        elif rest.startswith("!") and len(rest) > 1:
            cells = rest[1:]
        else:
            raise err
    elif "!" in text:
        name, cells = text.rsplit("!", 1)
        sheet = book.sheet_by_title(name)
        if sheet is None or cells == "":
            raise err
    else:
        sheet = book.sheet_by_title(text)
        if sheet is None:
            if not book.sheets:
                raise err
            sheet = book.sheets[0]
            cells = text
    if cells is None:
        return Range(sheet, None, None, None, None)
    parts = cells.split(":")
    if len(parts) > 2:
        raise err
    a = parse_cell(parts[0])
    if a is None:
        raise err
    if len(parts) == 1:
        r, c = a
        if r is None or c is None:
            raise err
        return Range(sheet, r, c, r, c)
    b = parse_cell(parts[1])
    if b is None:
        raise err
    (ra, ca), (rb, cb) = a, b
    # A:H (columns), 2:7 (rows), A5:H (open end), A1:H5
    if ca is None and cb is not None:
        raise err
    if ca is not None and cb is None:
        raise err
    if ra is None and ca is None:
        raise err
    r1, r2 = ra, rb
    c1, c2 = ca, cb
    if r1 is not None and r2 is not None and r2 < r1:
        r1, r2 = r2, r1
    if c1 is not None and c2 is not None and c2 < c1:
        c1, c2 = c2, c1
    return Range(sheet, r1, c1, r2, c2)


# ---- cells ---------------------------------------------------------------------------------

class Formula:
    def __init__(self, text):
        self.text = text


class Date:
    def __init__(self, y, m, d):
        self.y, self.m, self.d = y, m, d


NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
DMY_RE = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")
MDY_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def interpret(value, option, mode):
    """A JSON input value as a stored cell, per valueInputOption."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise bad("Invalid JSON payload received. Invalid value at 'data.values' "
                  "(type.googleapis.com/google.protobuf.ListValue)")
    if value == "":
        return None
    if option == "RAW" or mode == "raw":
        return value
    if value.startswith("'"):
        return value[1:]
    if NUMBER_RE.match(value):
        return float(value)
    if value.upper() in ("TRUE", "FALSE"):
        return value.upper() == "TRUE"
    if mode == "dates":
        m = DMY_RE.match(value)
        if m:
            return Date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = MDY_RE.match(value)
        if m:
            return Date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    return value


def format_number(x):
    if x != x or x in (float("inf"), float("-inf")):
        return "#NUM!"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    r = repr(x)
    if 1e-4 <= abs(x) < 1e15:
        return format(decimal.Decimal(r), "f")
    mant, _, exp = r.partition("e")
    e = int(exp)
    return "%sE%s%02d" % (mant, "+" if e >= 0 else "-", abs(e))


def formatted(cell):
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float):
        return format_number(cell)
    if isinstance(cell, Formula):
        return "#ERROR!"
    if isinstance(cell, Date):
        return "%d/%d/%d" % (cell.m, cell.d, cell.y)
    return cell


def unformatted(cell):
    if cell is None:
        return ""
    if isinstance(cell, float):
        return int(cell) if cell == int(cell) and abs(cell) < 1e15 else cell
    if isinstance(cell, Formula):
        return "#ERROR!"
    if isinstance(cell, Date):
        return formatted(cell)
    return cell


def render(cell, option):
    if option == "UNFORMATTED_VALUE":
        return unformatted(cell)
    if option == "FORMULA":
        if isinstance(cell, Formula):
            return cell.text
        return unformatted(cell)
    return formatted(cell)


def state_cell(cell):
    """How /__fake/state shows a stored cell: JSON-typed."""
    if cell is None or isinstance(cell, (bool, str)):
        return cell
    if isinstance(cell, float):
        return int(cell) if cell == int(cell) and abs(cell) < 2 ** 53 else cell
    if isinstance(cell, Formula):
        return {"formula": cell.text}
    return {"date": "%04d-%02d-%02d" % (cell.y, cell.m, cell.d)}


# ---- spreadsheets ----------------------------------------------------------------------------

class Sheet:
    def __init__(self, sheet_id, title, index, rows=1000, cols=26):
        self.sheet_id = sheet_id
        self.title = title
        self.index = index
        self.row_count = rows
        self.col_count = cols
        self.cells = []  # list of rows, each a list of cells (None = empty)

    def get(self, r, c):
        if r - 1 < len(self.cells) and c - 1 < len(self.cells[r - 1]):
            return self.cells[r - 1][c - 1]
        return None

    def set(self, r, c, v):
        if r > self.row_count:
            self.row_count = r
        if c > self.col_count:
            self.col_count = c
        while len(self.cells) < r:
            self.cells.append([])
        row = self.cells[r - 1]
        while len(row) < c:
            row.append(None)
        row[c - 1] = v

    def last_row(self, c1=1, c2=None):
        """The last row with a non-empty cell within columns c1..c2; 0 when none."""
        for r in range(len(self.cells), 0, -1):
            row = self.cells[r - 1]
            hi = len(row) if c2 is None else min(c2, len(row))
            if any(row[c - 1] is not None for c in range(c1, hi + 1)):
                return r
        return 0

    def row_values(self, r, c1, c2, option):
        out = [render(self.get(r, c), option) for c in range(c1, c2 + 1)]
        while out and (out[-1] == "" or out[-1] is None):
            out.pop()
        return out

    def properties(self):
        return {"sheetId": self.sheet_id, "title": self.title, "index": self.index,
                "sheetType": "GRID",
                "gridProperties": {"rowCount": self.row_count, "columnCount": self.col_count}}


class Metadata:
    def __init__(self, mid, key, value, visibility, sheet_id, dimension, start, end):
        self.mid, self.key, self.value, self.visibility = mid, key, value, visibility
        self.sheet_id, self.dimension, self.start, self.end = sheet_id, dimension, start, end

    def location(self):
        kind = "ROW" if self.dimension == "ROWS" else "COLUMN"
        return {"locationType": kind, "sheetId": self.sheet_id,
                "dimensionRange": {"sheetId": self.sheet_id, "dimension": self.dimension,
                                   "startIndex": self.start, "endIndex": self.end}}

    def json(self):
        d = {"metadataId": self.mid, "metadataKey": self.key, "location": self.location(),
             "visibility": self.visibility}
        if self.value is not None:
            d["metadataValue"] = self.value
        return d


class Spreadsheet:
    def __init__(self, sid, title="persist-test"):
        self.id = sid
        self.title = title
        self.sheets = [Sheet(0, "Sheet1", 0)]
        self.next_sheet_id = 1
        self.metadata = []

    def sheet_by_title(self, title):
        for s in self.sheets:
            if s.title.lower() == title.lower():
                return s
        return None

    def sheet_by_id(self, sid):
        for s in self.sheets:
            if s.sheet_id == sid:
                return s
        return None

    def json(self):
        return {"spreadsheetId": self.id,
                "properties": {"title": self.title, "locale": "en_US", "autoRecalc": "ON_CHANGE",
                               "timeZone": "Etc/GMT"},
                "sheets": [{"properties": s.properties()}
                           for s in sorted(self.sheets, key=lambda s: s.index)],
                "spreadsheetUrl": "https://docs.google.com/spreadsheets/d/%s/edit" % self.id}


# ---- server state ----------------------------------------------------------------------------

class State:
    def __init__(self, token_ttl):
        self.lock = threading.Lock()
        self.books = {}
        self.clients = {}  # client_id → {secret, refresh_tokens: set, ttl, rotate}
        self.tokens = {}  # access token → (client_id, expiry)
        self.token_seq = 0
        self.metadata_seq = 1000
        self.default_ttl = token_ttl
        self.faults = []
        self.latency = []
        self.log = []
        self.counts = {"token": 0, "sheets": 0, "unauthorized": 0, "faults": 0}
        self.value_input_mode = "strict"
        self.require_auth = True
        self.last_request = time.monotonic()


STATE = None
CONTROL = "/__fake/"


def json_body(raw):
    if not raw:
        return {}
    try:
        v = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise bad("Invalid JSON payload received. %s" % e)
    if not isinstance(v, dict):
        raise bad("Invalid JSON payload received. Expected an object.")
    return v


def check_values(values, where):
    if not isinstance(values, list) or not all(isinstance(r, list) for r in values):
        raise bad("Invalid JSON payload received. Invalid value at '%svalues'" % where)
    for row in values:
        for v in row:
            if v is not None and not isinstance(v, (str, int, float, bool)):
                raise bad("Invalid JSON payload received. Invalid value at '%svalues'" % where)


def write_values(sheet, r1, c1, values, option):
    mode = STATE.value_input_mode
    n_cells = 0
    max_c = 0
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            sheet.set(r1 + i, c1 + j, interpret(v, option, mode))
            n_cells += 1
            max_c = max(max_c, j + 1)
    return len(values), max_c, n_cells


def value_input_option(query):
    opt = query.get("valueInputOption", [None])[0]
    if opt is None:
        raise bad("'valueInputOption' is required but not specified")
    if opt not in ("RAW", "USER_ENTERED"):
        raise bad("Invalid value at 'value_input_option' (type.googleapis.com/"
                  "google.apps.sheets.v4.ValueInputOption), \"%s\"" % opt)
    return opt


# ---- Sheets endpoints ------------------------------------------------------------------------

def get_spreadsheet(book, query, body):
    return book.json()


def get_values(book, rng_text, query):
    rng = parse_range(book, rng_text)
    sheet = rng.sheet
    r1, c1, r2, c2 = rng.bounded()
    if r2 > sheet.row_count or c2 > sheet.col_count:
        raise bad("Range (%s) exceeds grid limits. Max rows: %d, max columns: %d"
                  % (rng_text, sheet.row_count, sheet.col_count))
    dim = query.get("majorDimension", ["ROWS"])[0]
    option = query.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
    if dim not in ("ROWS", "COLUMNS") or option not in ("FORMATTED_VALUE", "UNFORMATTED_VALUE",
                                                        "FORMULA"):
        raise bad("Invalid value at 'major_dimension'")
    out = {"range": a1(sheet.title, r1, c1, r2, c2), "majorDimension": dim}
    last = min(sheet.last_row(c1, c2), r2)
    rows = [sheet.row_values(r, c1, c2, option) for r in range(r1, last + 1)]
    if dim == "COLUMNS":
        width = max((len(r) for r in rows), default=0)
        cols = [[r[j] if j < len(r) else "" for r in rows] for j in range(width)]
        for col in cols:
            while col and col[-1] == "":
                col.pop()
        rows = cols
    if rows:
        out["values"] = rows
    return out


def append_values(book, rng_text, query, body):
    option = value_input_option(query)
    rng = parse_range(book, rng_text)
    if "range" in body and body["range"] != rng_text:
        raise bad("Requested entity range '%s' does not match the range in the URL '%s'"
                  % (body.get("range"), rng_text))
    if body.get("majorDimension", "ROWS") != "ROWS":
        raise bad("Invalid value at 'data.major_dimension'")
    values = body.get("values")
    check_values(values, "data.")
    sheet = rng.sheet
    r1, c1, r2, c2 = rng.bounded()
    last = sheet.last_row(c1, c2)
    table = None
    if last >= r1:
        first = r1
        while all(sheet.get(first, c) is None for c in range(c1, c2 + 1)):
            first += 1
        table = a1(sheet.title, first, c1, last, c2)
        start = last + 1
    else:
        start = r1
    n_rows, n_cols, n_cells = write_values(sheet, start, c1, values, option)
    out = {"spreadsheetId": book.id,
           "updates": {"spreadsheetId": book.id,
                       "updatedRange": a1(sheet.title, start, c1, start + max(n_rows, 1) - 1,
                                          c1 + max(n_cols, 1) - 1),
                       "updatedRows": n_rows, "updatedColumns": n_cols,
                       "updatedCells": n_cells}}
    if table:
        out["tableRange"] = table
    return out


def put_values(book, rng_text, query, body):
    option = value_input_option(query)
    rng = parse_range(book, rng_text)
    if "range" in body and body["range"] != rng_text:
        raise bad("Requested entity range '%s' does not match the range in the URL '%s'"
                  % (body.get("range"), rng_text))
    values = body.get("values")
    check_values(values, "")
    r1, c1, _, _ = rng.bounded()
    n_rows, n_cols, n_cells = write_values(rng.sheet, r1, c1, values, option)
    return {"spreadsheetId": book.id,
            "updatedRange": a1(rng.sheet.title, r1, c1, r1 + max(n_rows, 1) - 1,
                               c1 + max(n_cols, 1) - 1),
            "updatedRows": n_rows, "updatedColumns": n_cols, "updatedCells": n_cells}


LOOKUP_FIELDS = ("locationType", "metadataKey", "metadataValue", "metadataId", "visibility",
                 "metadataLocation", "locationMatchingStrategy")


def match_lookup(book, lookup, where):
    if not isinstance(lookup, dict) or not lookup:
        raise bad("Invalid JSON payload received. Invalid value at '%s'" % where)
    for k in lookup:
        if k not in LOOKUP_FIELDS:
            raise bad("Invalid JSON payload received. Unknown name \"%s\" at '%s': Cannot find "
                      "field." % (k, where))
    lt = lookup.get("locationType")
    if lt is not None and lt not in ("ROW", "COLUMN", "SHEET", "SPREADSHEET"):
        raise bad("Invalid value at '%s.location_type'" % where)
    out = []
    for md in book.metadata:
        if lt is not None and md.location()["locationType"] != lt:
            continue
        if "metadataKey" in lookup and md.key != lookup["metadataKey"]:
            continue
        if "metadataValue" in lookup and md.value != lookup["metadataValue"]:
            continue
        if "metadataId" in lookup and md.mid != lookup["metadataId"]:
            continue
        if "visibility" in lookup and md.visibility != lookup["visibility"]:
            continue
        loc = lookup.get("metadataLocation")
        if isinstance(loc, dict) and "sheetId" in loc and loc["sheetId"] != md.sheet_id:
            continue
        out.append(md)

    def order(md):
        s = book.sheet_by_id(md.sheet_id)
        return (s.index if s else 0, md.start)
    return sorted(out, key=order)


def filter_ranges(book, flt, where):
    """The (sheet, r1, c1, r2, c2) ranges a DataFilter selects."""
    if not isinstance(flt, dict) or len(flt) != 1:
        raise bad("Invalid JSON payload received. Invalid value at '%s'" % where)
    if "developerMetadataLookup" in flt:
        out = []
        for md in match_lookup(book, flt["developerMetadataLookup"],
                               where + ".developer_metadata_lookup"):
            s = book.sheet_by_id(md.sheet_id)
            if s is None:
                continue
            if md.dimension == "ROWS":
                out.append((s, md.start + 1, 1, md.end, s.col_count))
            else:
                out.append((s, 1, md.start + 1, s.row_count, md.end))
        return out
    if "a1Range" in flt:
        rng = parse_range(book, flt["a1Range"])
        return [(rng.sheet,) + rng.bounded()]
    if "gridRange" in flt:
        g = flt["gridRange"]
        s = book.sheet_by_id(g.get("sheetId", 0)) if isinstance(g, dict) else None
        if s is None:
            raise bad("Invalid %s.gridRange: no grid with id" % where)
        return [(s, g.get("startRowIndex", 0) + 1, g.get("startColumnIndex", 0) + 1,
                 g.get("endRowIndex", s.row_count), g.get("endColumnIndex", s.col_count))]
    raise bad("Invalid JSON payload received. Unknown name \"%s\" at '%s': Cannot find field."
              % (next(iter(flt)), where))


def batch_get_by_filter(book, query, body):
    filters = body.get("dataFilters")
    if not isinstance(filters, list) or not filters:
        raise bad("Invalid JSON payload received. Invalid value at 'data_filters'")
    for k in body:
        if k not in ("dataFilters", "majorDimension", "valueRenderOption",
                     "dateTimeRenderOption"):
            raise bad("Invalid JSON payload received. Unknown name \"%s\": Cannot find field." % k)
    if body.get("majorDimension", "ROWS") != "ROWS":
        raise bad("Invalid value at 'major_dimension'")
    option = body.get("valueRenderOption", "FORMATTED_VALUE")
    out = []
    for i, flt in enumerate(filters):
        for (s, r1, c1, r2, c2) in filter_ranges(book, flt, "data_filters[%d]" % i):
            vr = {"range": "%s!%s%d:%s%d" % (quote_sheet(s.title), col_letters(c1), r1,
                                              col_letters(c2), r2),
                  "majorDimension": "ROWS"}
            last = min(s.last_row(c1, c2), r2)
            rows = [s.row_values(r, c1, c2, option) for r in range(r1, last + 1)]
            if rows:
                vr["values"] = rows
            out.append({"valueRange": vr, "dataFilters": [flt]})
    return {"spreadsheetId": book.id, "valueRanges": out}


def batch_update_by_filter(book, query, body):
    option = body.get("valueInputOption")
    if option is None:
        raise bad("'valueInputOption' is required but not specified")
    if option not in ("RAW", "USER_ENTERED"):
        raise bad("Invalid value at 'value_input_option'")
    data = body.get("data")
    if not isinstance(data, list):
        raise bad("Invalid JSON payload received. Invalid value at 'data'")
    plan = []
    for i, d in enumerate(data):
        if not isinstance(d, dict) or "dataFilter" not in d:
            raise bad("Invalid data[%d]: a data filter is required" % i)
        if d.get("majorDimension", "ROWS") != "ROWS":
            raise bad("Invalid value at 'data[%d].major_dimension'" % i)
        check_values(d.get("values"), "data[%d]." % i)
        plan.append((d, filter_ranges(book, d["dataFilter"], "data[%d].data_filter" % i)))
    responses = []
    totals = {"rows": 0, "cols": 0, "cells": 0, "sheets": set()}
    for d, ranges in plan:
        for (s, r1, c1, r2, c2) in ranges:
            n_rows, n_cols, n_cells = write_values(s, r1, c1, d["values"], option)
            responses.append({"updatedRange": a1(s.title, r1, c1, r1 + max(n_rows, 1) - 1,
                                                 c1 + max(n_cols, 1) - 1),
                              "updatedRows": n_rows, "updatedColumns": n_cols,
                              "updatedCells": n_cells, "dataFilter": d["dataFilter"]})
            totals["rows"] += n_rows
            totals["cols"] = max(totals["cols"], n_cols)
            totals["cells"] += n_cells
            totals["sheets"].add(s.sheet_id)
    out = {"spreadsheetId": book.id, "totalUpdatedRows": totals["rows"],
           "totalUpdatedColumns": totals["cols"], "totalUpdatedCells": totals["cells"],
           "totalUpdatedSheets": len(totals["sheets"])}
    if responses:
        out["responses"] = responses
    return out


def req_create_metadata(book, req, where):
    dm = req.get("developerMetadata")
    if not isinstance(dm, dict):
        raise bad("Invalid %s: developerMetadata is required" % where)
    if not isinstance(dm.get("metadataKey"), str) or not dm["metadataKey"]:
        raise bad("Invalid %s: metadataKey is required" % where)
    if dm.get("visibility") not in ("DOCUMENT", "PROJECT"):
        raise bad("Invalid %s: visibility is required" % where)
    if "metadataValue" in dm and not isinstance(dm["metadataValue"], str):
        raise bad("Invalid %s: metadataValue must be a string" % where)
    loc = dm.get("location")
    if not isinstance(loc, dict) or "dimensionRange" not in loc:
        raise bad("Invalid %s: a dimensionRange location is required" % where)
    dr = loc["dimensionRange"]
    if not isinstance(dr, dict):
        raise bad("Invalid %s: invalid dimensionRange" % where)
    s = book.sheet_by_id(dr.get("sheetId", 0))
    if s is None:
        raise bad("Invalid %s: No grid with id: %s" % (where, dr.get("sheetId")))
    dim = dr.get("dimension")
    if dim not in ("ROWS", "COLUMNS"):
        raise bad("Invalid %s: dimension is required" % where)
    start, end = dr.get("startIndex", 0), dr.get("endIndex")
    limit = s.row_count if dim == "ROWS" else s.col_count
    if end is None:
        end = limit
    if not isinstance(start, int) or not isinstance(end, int) or start < 0 or end <= start \
            or end > limit:
        raise bad("Invalid %s: Invalid dimensionRange indices [%s, %s)" % (where, start, end))
    STATE.metadata_seq += 7
    md = Metadata(STATE.metadata_seq, dm["metadataKey"], dm.get("metadataValue"),
                  dm["visibility"], s.sheet_id, dim, start, end)
    book.metadata.append(md)
    return {"createDeveloperMetadata": {"developerMetadata": md.json()}}


def req_delete_dimension(book, req, where):
    rng = req.get("range")
    if not isinstance(rng, dict):
        raise bad("Invalid %s: range is required" % where)
    s = book.sheet_by_id(rng.get("sheetId", 0))
    if s is None:
        raise bad("Invalid %s: No grid with id: %s" % (where, rng.get("sheetId")))
    dim = rng.get("dimension")
    start, end = rng.get("startIndex"), rng.get("endIndex")
    if dim not in ("ROWS", "COLUMNS") or not isinstance(start, int) or not isinstance(end, int):
        raise bad("Invalid %s: dimension, startIndex and endIndex are required" % where)
    limit = s.row_count if dim == "ROWS" else s.col_count
    if start < 0 or end <= start or end > limit:
        raise bad("Invalid %s: Invalid dimension range [%d, %d)" % (where, start, end))
    n = end - start
    if dim == "ROWS":
        if n >= s.row_count:
            raise bad("Invalid %s: You can't delete all the rows on the sheet." % where)
        del s.cells[start:end]
        s.row_count -= n
    else:
        if n >= s.col_count:
            raise bad("Invalid %s: You can't delete all the columns on the sheet." % where)
        for row in s.cells:
            del row[start:end]
        s.col_count -= n
    kept = []
    for md in book.metadata:
        if md.sheet_id != s.sheet_id or md.dimension != dim:
            kept.append(md)
            continue
        if md.start >= start and md.end <= end:
            continue
        if md.start >= end:
            md.start -= n
            md.end -= n
        elif md.end > start:
            # partly inside the deleted span: keep what is outside it
            above = max(0, min(md.end, start) - md.start)
            below = max(0, md.end - max(md.start, end))
            md.start = min(md.start, start)
            md.end = md.start + above + below
        kept.append(md)
    book.metadata = kept
    return {}


def req_delete_metadata(book, req, where):
    flt = req.get("dataFilter")
    if not isinstance(flt, dict) or "developerMetadataLookup" not in flt:
        raise bad("Invalid %s: dataFilter is required" % where)
    gone = match_lookup(book, flt["developerMetadataLookup"], where)
    book.metadata = [m for m in book.metadata if m not in gone]
    return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": [m.json() for m in gone]}}


def req_add_sheet(book, req, where):
    props = req.get("properties") or {}
    title = props.get("title")
    if title is None:
        title = "Sheet%d" % (len(book.sheets) + 1)
    if not isinstance(title, str) or title == "":
        raise bad("Invalid %s: invalid title" % where)
    if book.sheet_by_title(title):
        raise bad("Invalid %s: A sheet with the name \"%s\" already exists. Please enter another "
                  "name." % (where, title))
    sid = props.get("sheetId", book.next_sheet_id)
    if book.sheet_by_id(sid):
        raise bad("Invalid %s: Sheet with id %s already exists." % (where, sid))
    book.next_sheet_id = max(book.next_sheet_id, sid) + 1
    grid = props.get("gridProperties") or {}
    s = Sheet(sid, title, len(book.sheets), grid.get("rowCount", 1000),
              grid.get("columnCount", 26))
    book.sheets.append(s)
    return {"addSheet": {"properties": s.properties()}}


def req_delete_sheet(book, req, where):
    s = book.sheet_by_id(req.get("sheetId"))
    if s is None:
        raise bad("Invalid %s: No grid with id: %s" % (where, req.get("sheetId")))
    if len(book.sheets) == 1:
        raise bad("Invalid %s: You can't remove all the sheets in a document." % where)
    book.sheets.remove(s)
    for i, x in enumerate(sorted(book.sheets, key=lambda x: x.index)):
        x.index = i
    book.metadata = [m for m in book.metadata if m.sheet_id != s.sheet_id]
    return {}


BATCH_REQUESTS = {
    "createDeveloperMetadata": req_create_metadata,
    "deleteDimension": req_delete_dimension,
    "deleteDeveloperMetadata": req_delete_metadata,
    "addSheet": req_add_sheet,
    "deleteSheet": req_delete_sheet,
}


def batch_update(book, query, body):
    reqs = body.get("requests")
    if not isinstance(reqs, list) or not reqs:
        raise bad("Invalid JSON payload received. Invalid value at 'requests'")
    saved = copy.deepcopy((book.sheets, book.metadata, book.next_sheet_id))
    saved_seq = STATE.metadata_seq
    replies = []
    try:
        for i, r in enumerate(reqs):
            if not isinstance(r, dict) or len(r) != 1:
                raise bad("Invalid requests[%d]: exactly one kind of request is required" % i)
            kind, inner = next(iter(r.items()))
            fn = BATCH_REQUESTS.get(kind)
            if fn is None:
                raise bad("Invalid JSON payload received. Unknown name \"%s\" at 'requests[%d]': "
                          "Cannot find field." % (kind, i))
            if not isinstance(inner, dict):
                raise bad("Invalid requests[%d].%s" % (i, kind))
            replies.append(fn(book, inner, "requests[%d].%s" % (i, kind)))
    except ApiError:
        book.sheets, book.metadata, book.next_sheet_id = saved
        STATE.metadata_seq = saved_seq
        raise
    return {"spreadsheetId": book.id, "replies": replies}


VALUE_VERBS = {"append", "batchGetByDataFilter", "batchUpdateByDataFilter", "batchGet",
               "batchUpdate", "clear", "batchClear"}


def route_sheets(method, path, query, body_raw):
    """Dispatch /v4/spreadsheets/... (path already without the query)."""
    segs = [urllib.parse.unquote(s) for s in path.split("/")[1:]]
    if len(segs) < 3 or segs[0] != "v4" or segs[1] != "spreadsheets":
        raise ApiError(404)
    sid = segs[2]
    verb = None
    if len(segs) == 3 and ":" in sid:
        sid, verb = sid.rsplit(":", 1)
    book = STATE.books.get(sid)
    if book is None:
        raise ApiError(404)
    rest = segs[3:]
    if not rest:
        if verb is None and method == "GET":
            return get_spreadsheet(book, query, None)
        if verb == "batchUpdate" and method == "POST":
            return batch_update(book, query, json_body(body_raw))
        raise ApiError(404)
    # values:verb arrives as segment "values:verb", or "values" + ":verb"
    if rest[0].startswith("values:") and len(rest) == 1:
        verb = rest[0][len("values:"):]
        rest = ["values"]
    elif rest[0] == "values" and len(rest) == 2 and rest[1].startswith(":"):
        verb = rest[1][1:]
        rest = ["values"]
    if rest[0] != "values":
        raise ApiError(404)
    if len(rest) == 1:
        if method == "POST" and verb == "batchGetByDataFilter":
            return batch_get_by_filter(book, query, json_body(body_raw))
        if method == "POST" and verb == "batchUpdateByDataFilter":
            return batch_update_by_filter(book, query, json_body(body_raw))
        raise ApiError(404)
    rng = "/".join(rest[1:])
    if ":" in rng and rng.rsplit(":", 1)[1] in VALUE_VERBS:
        rng, verb = rng.rsplit(":", 1)
    if method == "GET" and verb is None:
        return get_values(book, rng, query)
    if method == "PUT" and verb is None:
        return put_values(book, rng, query, json_body(body_raw))
    if method == "POST" and verb == "append":
        return append_values(book, rng, query, json_body(body_raw))
    raise ApiError(404)


# ---- OAuth2 ----------------------------------------------------------------------------------

def token_grant(headers, body_raw):
    STATE.counts["token"] += 1
    ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise OAuthError(400, "invalid_request", "Invalid Content-Type: %s" % ctype)
    try:
        form = urllib.parse.parse_qs(body_raw.decode("utf-8"), keep_blank_values=True,
                                     strict_parsing=bool(body_raw))
    except (ValueError, UnicodeDecodeError):
        raise OAuthError(400, "invalid_request", "Malformed request body")
    for k, v in form.items():
        if len(v) != 1:
            raise OAuthError(400, "invalid_request", "Duplicate parameter: %s" % k)
    form = {k: v[0] for k, v in form.items()}
    cid, secret = form.get("client_id"), form.get("client_secret")
    auth = headers.get("Authorization") or ""
    if auth.startswith("Basic "):
        try:
            dec = base64.b64decode(auth[6:], validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise OAuthError(400, "invalid_request", "Malformed Basic credentials")
        bid, _, bsecret = dec.partition(":")
        bid, bsecret = urllib.parse.unquote(bid), urllib.parse.unquote(bsecret)
        if (cid is not None and cid != bid) or (secret is not None and secret != bsecret):
            raise OAuthError(400, "invalid_request", "Client credentials in the header and the "
                             "body do not agree")
        cid, secret = bid, bsecret
    grant = form.get("grant_type")
    if grant is None:
        raise OAuthError(400, "invalid_request", "Missing required parameter: grant_type")
    if grant != "refresh_token":
        raise OAuthError(400, "unsupported_grant_type", "Invalid grant_type: %s" % grant)
    rt = form.get("refresh_token")
    if not rt:
        raise OAuthError(400, "invalid_request", "Missing required parameter: refresh_token")
    if not cid:
        raise OAuthError(400, "invalid_request", "Could not determine client ID from request.")
    client = STATE.clients.get(cid)
    if client is None:
        raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
    if secret != client["secret"]:
        raise OAuthError(401, "invalid_client", "Unauthorized")
    if rt not in client["refresh_tokens"]:
        raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
    STATE.token_seq += 1
    token = "fake-at-%d" % STATE.token_seq
    ttl = client["ttl"]
    STATE.tokens[token] = (cid, time.monotonic() + ttl)
    out = {"access_token": token, "expires_in": int(ttl) if ttl == int(ttl) else ttl,
           "scope": "https://www.googleapis.com/auth/spreadsheets", "token_type": "Bearer"}
    if client.get("rotate"):
        new = "%s-r%d" % (rt.split("-r")[0], STATE.token_seq)
        client["refresh_tokens"].discard(rt)
        client["refresh_tokens"].add(new)
        out["refresh_token"] = new
    return out


def check_bearer(headers):
    if not STATE.require_auth:
        return
    auth = headers.get("Authorization") or ""
    tok = auth[7:] if auth.startswith("Bearer ") else None
    entry = STATE.tokens.get(tok) if tok else None
    if entry is None or entry[1] <= time.monotonic():
        STATE.counts["unauthorized"] += 1
        raise ApiError(401, headers={"WWW-Authenticate":
                                     'Bearer realm="https://accounts.google.com/"'})


# ---- test controls ---------------------------------------------------------------------------

def dump_book(book):
    sheets = []
    for s in sorted(book.sheets, key=lambda s: s.index):
        rows = [[state_cell(c) for c in row] for row in s.cells]
        while rows and all(c is None for c in rows[-1]):
            rows.pop()
        for row in rows:
            while row and row[-1] is None:
                row.pop()
        sheets.append({"sheetId": s.sheet_id, "title": s.title, "index": s.index,
                       "rowCount": s.row_count, "columnCount": s.col_count, "rows": rows,
                       "formatted": [[formatted(c) for c in row] for row in s.cells][:len(rows)]})
    return {"spreadsheetId": book.id, "title": book.title, "sheets": sheets,
            "developerMetadata": [dict(m.json(), sheetTitle=book.sheet_by_id(m.sheet_id).title)
                                  for m in book.metadata]}


def load_book(spec):
    sid = spec.get("id")
    if not isinstance(sid, str) or not sid:
        raise bad("id is required")
    book = Spreadsheet(sid, spec.get("title", "persist-test"))
    sheets = spec.get("sheets")
    if sheets is not None:
        book.sheets = []
        for i, sd in enumerate(sheets):
            s = Sheet(sd.get("sheetId", i), sd["title"], i, sd.get("rowCount", 1000),
                      sd.get("columnCount", 26))
            book.sheets.append(s)
            book.next_sheet_id = max(book.next_sheet_id, s.sheet_id + 1)
            r = 1
            if "header" in sd:
                for j, v in enumerate(sd["header"]):
                    s.set(1, j + 1, interpret(v, "RAW", "raw"))
                r = 2
            for row in sd.get("rows", []):
                for j, v in enumerate(row):
                    s.set(r, j + 1, interpret(v, "USER_ENTERED", STATE.value_input_mode))
                r += 1
            for tag in sd.get("tags", []):
                STATE.metadata_seq += 7
                book.metadata.append(Metadata(STATE.metadata_seq, tag["key"], tag.get("value"),
                                              "DOCUMENT", s.sheet_id, "ROWS", tag["row"] - 1,
                                              tag["row"]))
    STATE.books[sid] = book
    return dump_book(book)


def add_client(body):
    cid = body.get("client_id")
    if not isinstance(cid, str) or not cid:
        raise bad("client_id is required")
    STATE.clients[cid] = {"secret": body.get("client_secret", ""),
                          "refresh_tokens": set(body.get("refresh_tokens", [])),
                          "ttl": body.get("token_ttl", STATE.default_ttl),
                          "rotate": bool(body.get("rotate", False))}
    return {"client_id": cid}


def control(method, path, query, body_raw):
    name = path[len(CONTROL):]
    body = json_body(body_raw) if method in ("POST", "PUT") else {}
    if name == "state" and method == "GET":
        return {"spreadsheets": {k: dump_book(b) for k, b in STATE.books.items()},
                "counts": dict(STATE.counts), "tokens": len(STATE.tokens),
                "faults": list(STATE.faults)}
    if name == "spreadsheets" and method == "POST":
        return load_book(body)
    if name.startswith("spreadsheets/"):
        sid = urllib.parse.unquote(name[len("spreadsheets/"):])
        if method == "GET":
            if sid not in STATE.books:
                raise ApiError(404)
            return dump_book(STATE.books[sid])
        if method == "DELETE":
            STATE.books.pop(sid, None)
            return {}
    if name == "oauth/clients" and method == "POST":
        return add_client(body)
    if name == "oauth/revoke" and method == "POST":
        for c in STATE.clients.values():
            c["refresh_tokens"].discard(body.get("refresh_token"))
        return {}
    if name == "oauth/expire-all" and method == "POST":
        STATE.tokens = {t: (c, 0.0) for t, (c, _) in STATE.tokens.items()}
        return {}
    if name in ("faults", "inject") and method == "POST":
        status = body.get("status")
        if not isinstance(status, int) or status < 400:
            raise bad("status must be an HTTP error status")
        STATE.faults.append({"status": status, "count": int(body.get("count", 1)),
                             "retryAfter": body.get("retryAfter"),
                             "target": body.get("target", "sheets"),
                             "match": body.get("match") or {}})
        return {"faults": len(STATE.faults)}
    if name in ("faults", "inject") and method == "DELETE":
        STATE.faults = []
        return {}
    if name == "latency" and method == "POST":
        STATE.latency.append({"ms": int(body.get("ms", 0)), "count": int(body.get("count", 1)),
                              "target": body.get("target", "sheets")})
        return {}
    if name == "log" and method == "GET":
        return {"requests": STATE.log}
    if name == "log" and method == "DELETE":
        STATE.log = []
        return {}
    if name == "options" and method == "POST":
        if "valueInputMode" in body:
            if body["valueInputMode"] not in ("strict", "raw", "dates"):
                raise bad("valueInputMode must be strict, raw or dates")
            STATE.value_input_mode = body["valueInputMode"]
        if "requireAuth" in body:
            STATE.require_auth = bool(body["requireAuth"])
        if "tokenTtl" in body:
            STATE.default_ttl = body["tokenTtl"]
            for c in STATE.clients.values():
                c["ttl"] = body["tokenTtl"]
        return {"valueInputMode": STATE.value_input_mode, "requireAuth": STATE.require_auth}
    if name == "reset" and method == "POST":
        STATE.books = {}
        STATE.faults = []
        STATE.latency = []
        STATE.log = []
        STATE.counts = {k: 0 for k in STATE.counts}
        STATE.value_input_mode = "strict"
        STATE.require_auth = True
        return {}
    if name == "shutdown" and method == "POST":
        threading.Thread(target=SERVER.shutdown, daemon=True).start()
        return {}
    raise ApiError(404)


def take_fault(target, method, path):
    for f in STATE.faults:
        if f["count"] <= 0 or f["target"] not in (target, "any"):
            continue
        m = f["match"]
        if m.get("method") and m["method"] != method:
            continue
        if m.get("pathRegex") and not re.search(m["pathRegex"], path):
            continue
        f["count"] -= 1
        STATE.counts["faults"] += 1
        if f["count"] <= 0:
            STATE.faults.remove(f)
        return f
    return None


def take_latency(target):
    for lat in STATE.latency:
        if lat["count"] > 0 and lat["target"] in (target, "any"):
            lat["count"] -= 1
            if lat["count"] <= 0:
                STATE.latency.remove(lat)
            return lat["ms"] / 1000.0
    return 0.0


SECRET_HEADERS = ("authorization", "cookie")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-sheets/1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, headers=None):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self, method):
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, urllib.parse.parse_qs(url.query, keep_blank_values=True)
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.reply(411, ApiError(411, "Length Required").body())
            return
        try:
            n = int(length) if length else 0
        except ValueError:
            n = -1
        if n < 0 or n > 16 << 20:
            self.close_connection = True
            self.reply(400, bad("Invalid Content-Length").body())
            return
        raw = self.rfile.read(n) if n else b""
        target = "control" if path.startswith(CONTROL) else \
            "sheets" if path.startswith("/v4/") else "token"
        with STATE.lock:
            STATE.last_request = time.monotonic()
            if target != "control":
                STATE.log.append({"method": method, "path": path, "query": url.query,
                                  "headers": {k: ("<redacted>" if k.lower() in SECRET_HEADERS
                                                  else v) for k, v in self.headers.items()},
                                  "body": raw.decode("utf-8", "replace")
                                  if target == "sheets" else "<redacted>"})
            delay = take_latency(target) if target != "control" else 0.0
        if delay:
            time.sleep(delay)
        with STATE.lock:
            try:
                if target == "control":
                    out = control(method, path, query, raw)
                    self.reply(200, out)
                    return
                fault = take_fault(target, method, path)
                if fault:
                    headers = {}
                    if fault.get("retryAfter") is not None:
                        headers["Retry-After"] = str(fault["retryAfter"])
                    if target == "token":
                        raise OAuthError(fault["status"], "server_error" if fault["status"] >= 500
                                         else "invalid_request", "injected fault")
                    raise ApiError(fault["status"], headers=headers)
                if target == "token":
                    if method != "POST" or path not in ("/token", "/oauth2/v3/token",
                                                        "/oauth2/v4/token"):
                        raise OAuthError(404, "not_found", "No such endpoint")
                    self.reply(200, token_grant(self.headers, raw))
                    return
                STATE.counts["sheets"] += 1
                check_bearer(self.headers)
                ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                if raw and ctype != "application/json":
                    raise bad("Invalid JSON payload received. Unexpected Content-Type: %s" % ctype)
                self.reply(200, route_sheets(method, path, query, raw))
            except ApiError as e:
                self.reply(e.status, e.body(), e.headers)
            except OAuthError as e:
                self.reply(e.status, {"error": e.error, "error_description": e.description})

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


SERVER = None


def watchdog(idle_timeout, parent):
    while True:
        time.sleep(0.2)
        if os.getppid() != parent:
            break
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            break
        except PermissionError:
            pass
        with STATE.lock:
            idle = time.monotonic() - STATE.last_request
        if idle_timeout > 0 and idle > idle_timeout:
            break
    SERVER.shutdown()


def main():
    global STATE, SERVER
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--idle-timeout", type=float, default=300.0)
    ap.add_argument("--parent-pid", type=int, default=0,
                    help="stop when this process is gone (default: the parent at start)")
    ap.add_argument("--token-ttl", type=float, default=3599)
    ap.add_argument("--client", action="append", default=[],
                    help="CLIENT_ID:CLIENT_SECRET:REFRESH_TOKEN")
    ap.add_argument("--spreadsheet", action="append", default=[])
    args = ap.parse_args()

    STATE = State(args.token_ttl)
    for c in args.client:
        cid, secret, rt = c.split(":", 2)
        add_client({"client_id": cid, "client_secret": secret, "refresh_tokens": [rt]})
    for sid in args.spreadsheet:
        STATE.books[sid] = Spreadsheet(sid)

    SERVER = Server(("127.0.0.1", args.port), Handler)
    port = SERVER.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    sys.stdout.write("%d\n" % port)
    sys.stdout.flush()

    def stop(signum, frame):
        threading.Thread(target=SERVER.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threading.Thread(target=watchdog, args=(args.idle_timeout, args.parent_pid or os.getppid()),
                     daemon=True).start()
    try:
        SERVER.serve_forever(poll_interval=0.1)
    finally:
        SERVER.server_close()


if __name__ == "__main__":
    main()
