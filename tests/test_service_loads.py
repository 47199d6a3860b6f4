"""Loading the service records (SPEC 5.12-5.14): surveys, the call-back log and gift
requests, under the loading rules of SPEC 3 and 3.1. Expected values are written out by
hand from the SPEC's tables of spellings."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import query, run_cli, write
from memberkit import db

SURVEY_HEADER = (
    "调查编号,调查日期,门店编号,会员卡号,调查方式,服务态度,服务效率,服务质量,解决问题能力,"
    "总体满意度,意见建议"
)
CALL_HEADER = "会员卡号,回访时间,回访类型,回访结果,回访人,备注"
REQUEST_HEADER = "申请单号,申请日期,申请门店,礼品编号,申请数量,用途,申请人,批准数量,审批人,审批日期"
STORES = "门店编号,门店名称,区域\nS001,一店,华东\nS002,二店,华南\n"
MEMBERS = (
    "会员卡号,姓名,性别,出生日期,手机号,开卡门店,开卡日期,到期日期\n"
    "M1,张伟,男,1980-01-02,13800000001,S001,2024-01-05,2026-11-04\n"
    "M2,王芳,女,1985-03-04,13800000002,S002,2024-02-01,\n"
)


def load(db_file: Path, kind: str, path: Path, *extra: str, code: int = 0):
    result = run_cli("--db", db_file, "load", kind, path, *extra)
    assert result.exit_code == code, result.output
    return result


def csv(header: str, *lines: str) -> str:
    return "\n".join([header, *lines]) + "\n"


def rejects(db_file: Path) -> list[tuple]:
    return query(db_file, "select line, column_name, reason from rejects order by line")


@pytest.fixture
def chain(tmp_path: Path) -> Path:
    """A database with two stores and two members."""
    db_file = tmp_path / "s.duckdb"
    load(db_file, "stores", write(tmp_path / "stores.csv", STORES))
    load(db_file, "members", write(tmp_path / "members.csv", MEMBERS))
    return db_file


# --- each kind loads its Chinese-header file ------------------------------------------------


def test_surveys_load_with_chinese_headers(chain, tmp_path):
    path = write(
        tmp_path / "surveys.csv",
        csv(
            SURVEY_HEADER,
            "R1,2026-03-01,S001,M1,电话,非常满意,满意,一般,不满意,非常不满意,店员热情",
            "R2,2026/03/02,S002,,短信,5,4,3,2,1,",
            "R3,2026-03-03,S002,M2,邮件,,,,,4,",  # only overall answered
            "R4,2026-03-04,S001,M2,线下访谈,2,,3,,,结账太慢",  # no overall
        ),
    )
    result = load(chain, "surveys", path)
    assert "4 read, 4 loaded, 0 duplicate, 0 rejected" in result.stdout
    assert query(chain, "select * exclude (load_id) from surveys order by response_id") == [
        ("R1", _d("2026-03-01"), "S001", "M1", "phone", 5, 4, 3, 2, 1, "店员热情"),
        ("R2", _d("2026-03-02"), "S002", None, "sms", 5, 4, 3, 2, 1, None),
        ("R3", _d("2026-03-03"), "S002", "M2", "email", None, None, None, None, 4, None),
        ("R4", _d("2026-03-04"), "S001", "M2", "visit", 2, None, 3, None, None, "结账太慢"),
    ]


def test_callback_log_loads_with_chinese_headers(chain, tmp_path):
    path = write(
        tmp_path / "calls.csv",
        csv(
            CALL_HEADER,
            "M1,2026-03-01 10:00,流失会员回访,接通,张丽,下周来店",
            "M1,2026-03-01 10:00,售后回访,未接通,张丽,",  # same time, another kind: a call
            "M2,2026-03-02,新会员回访,拒访,,",
            "M2,2026-03-03 09:30:15,投诉回访,空号,王芳,",
        ),
    )
    result = load(chain, "callback-log", path)
    assert "4 read, 4 loaded, 0 duplicate, 0 rejected" in result.stdout
    assert "warning" not in result.output  # both members are on file
    assert query(
        chain,
        "select member_id, called_at::varchar, kind, outcome, staff, note from callback_log"
        " order by called_at, kind",
    ) == [
        ("M1", "2026-03-01 10:00:00", "after_sale", "no_answer", "张丽", None),
        ("M1", "2026-03-01 10:00:00", "lapsed", "reached", "张丽", "下周来店"),
        ("M2", "2026-03-02 00:00:00", "new", "refused", None, None),
        ("M2", "2026-03-03 09:30:15", "complaint", "wrong_number", "王芳", None),
    ]


def test_gift_requests_load_with_chinese_headers(chain, tmp_path):
    path = write(
        tmp_path / "requests.csv",
        csv(
            REQUEST_HEADER,
            "Q1,2026-03-01,S001,G01,10,会员日,王芳,,,",  # not decided
            "Q2,2026-03-01,S002,G02,5,,王芳,0,李强,2026-03-02",  # refused
            "Q3,2026-03-02,S001,G02,8,店庆,王芳,6,李强,2026-03-03",  # approved in part
        ),
    )
    result = load(chain, "gift-requests", path)
    assert "3 read, 3 loaded, 0 duplicate, 0 rejected" in result.stdout
    assert query(chain, "select * exclude (load_id) from gift_requests order by 1") == [
        ("Q1", _d("2026-03-01"), "S001", "G01", 10, "会员日", "王芳", None, None, None),
        ("Q2", _d("2026-03-01"), "S002", "G02", 5, None, "王芳", 0, "李强", _d("2026-03-02")),
        ("Q3", _d("2026-03-02"), "S001", "G02", 8, "店庆", "王芳", 6, "李强", _d("2026-03-03")),
    ]


def _d(text: str) -> date:
    return date.fromisoformat(text)


# --- every spelling ---------------------------------------------------------------------------

SCORES = {  # as written: as stored (SPEC 5.12)
    "非常满意": 5, "满意": 4, "一般": 3, "不满意": 2, "非常不满意": 1,
    "5": 5, "4": 4, "3": 3, "2": 2, "1": 1, "4.0": 4, "3分": 3, " 2 ": 2,
    "very satisfied": 5, "Satisfied": 4, "neutral": 3, "dissatisfied": 2,
    "very dissatisfied": 1, "": None,
}  # fmt: skip
CHANNELS = {
    "电话": "phone", "短信": "sms", "邮件": "email", "线下访谈": "visit",
    "phone": "phone", "SMS": "sms", "email": "email", "e-mail": "email", "电子邮件": "email",
    "visit": "visit",
}  # fmt: skip
CALL_KINDS = {
    "售后回访": "after_sale", "新会员回访": "new", "流失会员回访": "lapsed",
    "投诉回访": "complaint", "到期提醒": "expiring", "满意度回访": "survey",
    "after_sale": "after_sale", "new": "new", "lapsed": "lapsed", "complaint": "complaint",
    "expiring": "expiring", "Survey": "survey",
}  # fmt: skip
OUTCOMES = {
    "接通": "reached", "未接通": "no_answer", "拒访": "refused", "空号": "wrong_number",
    "错号": "wrong_number", "空号/错号": "wrong_number", "reached": "reached",
    "no_answer": "no_answer", "refused": "refused", "WRONG_NUMBER": "wrong_number",
}  # fmt: skip


def test_every_channel_spelling(chain, tmp_path):
    lines = [f"R{i},2026-03-01,S001,,{w},,,,,5," for i, w in enumerate(CHANNELS)]
    load(chain, "surveys", write(tmp_path / "s.csv", csv(SURVEY_HEADER, *lines)))
    stored = dict(query(chain, "select response_id, channel from surveys"))
    assert {w: stored[f"R{i}"] for i, w in enumerate(CHANNELS)} == CHANNELS


def test_every_call_kind_and_outcome_spelling(chain, tmp_path):
    kinds = [f"M1,2026-03-01 10:{i:02d},{w},接通,," for i, w in enumerate(CALL_KINDS)]
    outcomes = [f"M2,2026-03-02 10:{i:02d},售后回访,{w},," for i, w in enumerate(OUTCOMES)]
    load(chain, "callback-log", write(tmp_path / "c.csv", csv(CALL_HEADER, *kinds, *outcomes)))
    stored = query(chain, "select member_id, minute(called_at), kind, outcome from callback_log")
    by_kind = {m: k for who, m, k, _ in stored if who == "M1"}
    by_outcome = {m: o for who, m, _, o in stored if who == "M2"}
    assert {w: by_kind[i] for i, w in enumerate(CALL_KINDS)} == CALL_KINDS
    assert {w: by_outcome[i] for i, w in enumerate(OUTCOMES)} == OUTCOMES


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(*[st.sampled_from(sorted(SCORES))] * 5).filter(
            lambda five: any(SCORES[s] is not None for s in five)
        ),
        min_size=1,
        max_size=12,
    )
)
def test_every_score_spelling_in_every_dimension(responses):
    """Each dimension reads every spelling as SPEC 5.12's scale says; blank stays null."""
    quoted = ['"' + ",".join(five).replace(",", '","') + '"' for five in responses]
    lines = [f"R{i},2026-03-01,S001,,电话,{scores}," for i, scores in enumerate(quoted)]
    with tempfile.TemporaryDirectory(prefix="memberkit-surveys-") as folder:
        db_file = Path(folder) / "s.duckdb"
        path = write(Path(folder) / "s.csv", csv(SURVEY_HEADER, *lines))
        result = load(db_file, "surveys", path)
        assert f"{len(lines)} loaded" in result.stdout
        stored = query(
            db_file,
            "select response_id, attitude, efficiency, quality, resolution, overall from surveys",
        )
    got = {r[0]: r[1:] for r in stored}
    assert got == {f"R{i}": tuple(SCORES[s] for s in five) for i, five in enumerate(responses)}


# --- rejects ----------------------------------------------------------------------------------


def test_a_survey_without_any_score_is_rejected_with_its_line(chain, tmp_path):
    path = write(
        tmp_path / "s.csv",
        csv(
            SURVEY_HEADER,
            "R1,2026-03-01,S001,M1,电话,5,5,5,5,5,",
            "R2,2026-03-01,S001,M1,电话,,,,,,只留了意见",
            "R3,2026-03-01,S001,M1,电话,,,,,3,",
        ),
    )
    result = load(chain, "surveys", path, "--max-reject-ratio", "0.5")
    assert "3 read, 2 loaded, 0 duplicate, 1 rejected" in result.stdout
    [(line, column, reason)] = rejects(chain)
    assert (line, column) == (3, "overall")
    assert reason.startswith("no score at all")
    assert "line 3, column overall: no score at all" in result.output


@pytest.mark.parametrize(
    ("kind", "header", "lines", "bad_line", "bad_column", "reason_start"),
    [
        (
            "surveys", SURVEY_HEADER,
            ["R1,2026-03-01,S001,,电话,5,,,,4,", "R2,2026-03-01,S001,,电话,5,6,,,4,"],
            3, "efficiency", "unknown score",
        ),
        (
            "surveys", SURVEY_HEADER,
            ["R1,2026-03-01,S001,,微信,5,,,,4,", "R2,2026-03-01,S001,,电话,5,,,,4,"],
            2, "channel", "unknown channel",
        ),
        (
            "surveys", SURVEY_HEADER,
            ["R1,2026-03-01,S001,,电话,5,,,,4,", "R2,2026-03-01,S001,,电话,0,,,,4,"],
            3, "attitude", "unknown score",
        ),
        (
            "surveys", SURVEY_HEADER,
            ["R1,2026-03-01,S001,,电话,5,,,,4,", "R2,2026-03-01,S001,,电话,,,,,4.5,"],
            3, "overall", "unknown score",
        ),
        (
            "callback-log", CALL_HEADER,
            ["M1,2026-03-01,售后回访,接通,,", "M1,2026-03-02,售后回访,未知,,"],
            3, "outcome", "unknown outcome",
        ),
        (
            "callback-log", CALL_HEADER,
            ["M1,2026-03-01,回访,接通,,", "M1,2026-03-02,售后回访,接通,,"],
            2, "kind", "unknown call-back kind",
        ),
        (
            "callback-log", CALL_HEADER,
            ["M1,2026-03-01,售后回访,接通,,", "M1,,售后回访,接通,,"],
            3, "called_at", "missing required value",
        ),
        (
            "gift-requests", REQUEST_HEADER,
            ["Q1,2026-03-01,S001,G01,0,,,,,", "Q2,2026-03-01,S001,G01,5,,,,,"],
            2, "requested_qty", "requested quantity must be positive",
        ),
        (
            "gift-requests", REQUEST_HEADER,
            ["Q1,2026-03-01,S001,G01,5,,,3,,2026-03-02", "Q2,2026-03-01,S001,G01,5,,,-1,,"],
            3, "approved_qty", "approved quantity cannot be negative",
        ),
        (
            "gift-requests", REQUEST_HEADER,
            ["Q1,2026-03-05,S001,G01,5,,,3,,2026-03-04", "Q2,2026-03-01,S001,G01,5,,,,,"],
            2, "approved_at", "approved before it was requested",
        ),
        (
            "gift-requests", REQUEST_HEADER,
            ["Q1,2026-03-05,S001,G01,5,,,,,", "Q2,2026-03-01,S001,G01,五,,,,,"],
            3, "requested_qty", "not a whole number",
        ),
    ],
)  # fmt: skip
def test_bad_values_are_rejected_with_line_and_column(
    chain, tmp_path, kind, header, lines, bad_line, bad_column, reason_start
):
    path = write(tmp_path / "f.csv", csv(header, *lines))
    result = load(chain, kind, path, "--max-reject-ratio", "0.5")
    assert "2 read, 1 loaded, 0 duplicate, 1 rejected" in result.stdout
    [(line, column, reason)] = rejects(chain)
    assert (line, column) == (bad_line, bad_column)
    assert reason.startswith(reason_start), reason


def test_too_many_rejects_load_nothing(chain, tmp_path):
    path = write(
        tmp_path / "c.csv",
        csv(CALL_HEADER, "M1,2026-03-01,售后回访,接通,,", "M1,2026-03-02,售后回访,未知,,"),
    )
    load(chain, "callback-log", path, code=3)
    assert query(chain, "select count(*) from callback_log") == [(0,)]
    assert query(chain, "select status, rows_rejected from loads where kind = 'callback-log'") == [
        ("refused", 1)
    ]


# --- idempotence, duplicates, replacement ----------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("surveys", csv(SURVEY_HEADER, "R1,2026-03-01,S001,M1,电话,5,4,,,4,")),
        ("callback-log", csv(CALL_HEADER, "M1,2026-03-01 10:00,流失会员回访,接通,张丽,")),
        ("gift-requests", csv(REQUEST_HEADER, "Q1,2026-03-01,S001,G01,10,,王芳,,,")),
    ],
)
def test_loading_a_file_again_is_already_loaded(chain, tmp_path, kind, text):
    path = write(tmp_path / "f.csv", text)
    load(chain, kind, path)
    before = query(chain, "select count(*) from loads")
    again = load(chain, kind, path)
    assert "already loaded" in again.stdout and "nothing changed" in again.stdout
    assert query(chain, "select count(*) from loads") == before


def test_overlapping_exports_skip_identical_rows_and_reject_changed_ones(chain, tmp_path):
    """Surveys and calls are records of what happened: an identical row in a later export is
    a duplicate, a row of the same identity with other content is rejected (SPEC 3)."""
    load(
        chain,
        "surveys",
        write(tmp_path / "s1.csv", csv(SURVEY_HEADER, "R1,2026-03-01,S001,M1,电话,5,4,,,4,")),
    )
    later = load(
        chain,
        "surveys",
        write(
            tmp_path / "s2.csv",
            csv(
                SURVEY_HEADER,
                "R1,2026-03-01,S001,M1,电话,5,4,,,4,",
                "R1,2026-03-01,S001,M1,电话,5,4,,,4,",
                "R2,2026-03-02,S001,M1,短信,,,,,2,",
            ),
        ),
    )
    assert "3 read, 1 loaded, 2 duplicate, 0 rejected" in later.stdout
    load(
        chain,
        "callback-log",
        write(tmp_path / "c1.csv", csv(CALL_HEADER, "M1,2026-03-01 10:00,售后回访,未接通,,")),
    )
    changed = load(
        chain,
        "callback-log",
        write(
            tmp_path / "c2.csv",
            csv(
                CALL_HEADER,
                "M1,2026-03-01 10:00,售后回访,未接通,,",  # the same call: a duplicate
                "M1,2026-03-01 10:00,售后回访,接通,,",  # another outcome for the same call
                "M1,2026-03-01 10:00,流失会员回访,接通,,",  # another kind: another call
            ),
        ),
        "--max-reject-ratio",
        "0.5",
    )
    assert "3 read, 1 loaded, 1 duplicate, 1 rejected" in changed.stdout
    assert rejects(chain)[0][:2] == (3, "member_id/called_at/kind")
    assert query(chain, "select kind, outcome from callback_log order by kind") == [
        ("after_sale", "no_answer"),
        ("lapsed", "reached"),
    ]


def test_a_later_request_row_replaces_the_earlier_one(chain, tmp_path):
    first = write(
        tmp_path / "r1.csv",
        csv(
            REQUEST_HEADER,
            "Q1,2026-03-01,S001,G01,10,会员日,王芳,,,",
            "Q2,2026-03-01,S002,G02,5,,王芳,0,李强,2026-03-02",
        ),
    )
    second = write(
        tmp_path / "r2.csv",
        csv(
            REQUEST_HEADER,
            "Q1,2026-03-01,S001,G01,10,会员日,王芳,6,李强,2026-03-05",  # decided: replaces
            "Q2,2026-03-01,S002,G02,5,,王芳,0,李强,2026-03-02",  # unchanged: a duplicate
            "Q3,2026-03-06,S001,G03,2,,赵敏,,,",
        ),
    )
    load(chain, "gift-requests", first)
    result = load(chain, "gift-requests", second)
    assert "3 read, 2 loaded, 1 replaced, 1 duplicate, 0 rejected" in result.stdout
    assert query(
        chain, "select request_id, approved_qty, approved_at::varchar from gift_requests order by 1"
    ) == [("Q1", 6, "2026-03-05"), ("Q2", 0, "2026-03-02"), ("Q3", None, None)]
    # the version replaced is kept, with the load that replaced it
    history = query(
        chain,
        "select h.request_id, h.approved_qty, l.file_name from gift_requests_history h "
        "join loads l on l.load_id = h.replaced_by_load_id",
    )
    assert history == [("Q1", None, "r2.csv")]
    check = run_cli("--db", chain, "check")
    assert check.exit_code == 0, check.output


def test_within_one_file_a_later_different_request_row_is_rejected(chain, tmp_path):
    """SPEC 3's rule for one file holds for requests too: the first row of an id loads, an
    identical later row is a duplicate, a different one is rejected (which version is
    meant cannot be told from one export); a later FILE replaces."""
    path = write(
        tmp_path / "r.csv",
        csv(
            REQUEST_HEADER,
            "Q1,2026-03-01,S001,G01,10,,王芳,,,",
            "Q1,2026-03-01,S001,G01,10,,王芳,,,",
            "Q1,2026-03-01,S001,G01,10,,王芳,8,李强,2026-03-02",
            "Q2,2026-03-01,S001,G01,1,,王芳,,,",
        ),
    )
    result = load(chain, "gift-requests", path, "--max-reject-ratio", "0.5")
    assert "4 read, 2 loaded, 1 duplicate, 1 rejected" in result.stdout
    assert rejects(chain)[0][:2] == (4, "request_id")
    assert query(chain, "select request_id, approved_qty from gift_requests order by 1") == [
        ("Q1", None),
        ("Q2", None),
    ]


def test_an_approval_export_without_the_optional_columns_keeps_them(chain, tmp_path):
    """SPEC 3.1 Partial files: a request row loaded later replaces only the columns its file
    has; purpose and requested_by stay as the first file gave them."""
    load(
        chain,
        "gift-requests",
        write(tmp_path / "r1.csv", csv(REQUEST_HEADER, "Q1,2026-03-01,S001,G01,10,会员日,王芳,,,")),
    )
    approvals = write(
        tmp_path / "r2.csv",
        "申请单号,申请日期,申请门店,礼品编号,申请数量,批准数量,审批人,审批日期\n"
        "Q1,2026-03-01,S001,G01,10,10,李强,2026-03-03\n",
    )
    result = load(chain, "gift-requests", approvals)
    assert "1 loaded, 1 replaced" in result.stdout
    assert query(chain, "select * exclude (load_id) from gift_requests") == [
        ("Q1", _d("2026-03-01"), "S001", "G01", 10, "会员日", "王芳", 10, "李强", _d("2026-03-03"))
    ]


def test_requests_that_deserve_a_look_load_with_warnings(chain, tmp_path):
    path = write(
        tmp_path / "r.csv",
        csv(
            REQUEST_HEADER,
            "Q1,2026-03-01,S009,G01,10,,王芳,,,",  # unknown store
            "Q2,2026-03-01,S001,G01,5,,王芳,8,李强,2026-03-02",  # more than asked for
            "Q3,2026-03-01,S001,G01,5,,王芳,5,李强,",  # decided, no date
            "Q4,2026-03-01,S001,G01,5,,王芳,,李强,2026-03-02",  # a date, no decision
            "Q5,2026-03-01,HQ,G01,5,,王芳,,,",  # HQ's own request: a known location
        ),
    )
    result = load(chain, "gift-requests", path)
    assert "5 read, 5 loaded" in result.stdout
    warned = {
        line.split(": warning: ")[1] for line in result.output.splitlines() if "warning" in line
    }
    assert warned == {
        "line 2, column location: unknown location (not HQ and not in the stores table)",
        "line 3, column approved_qty: more approved than requested",
        "line 4, column approved_at: a decision without its date: taken as known from the "
        "request date",
        "line 5, column approved_qty: a decision date without approved_qty: the request is "
        "still undecided",
    }


def test_a_call_to_an_unknown_member_loads_with_a_warning(chain, tmp_path):
    path = write(tmp_path / "c.csv", csv(CALL_HEADER, "M9,2026-03-01,售后回访,接通,,"))
    result = load(chain, "callback-log", path)
    assert "1 loaded" in result.stdout
    assert "line 2, column member_id: member not in the members table" in result.output


def test_a_schema_5_database_gets_the_service_tables(tmp_path):
    db_file = tmp_path / "old.duckdb"
    con = db.connect(db_file)
    for table in ("surveys", "callback_log", "gift_requests", "gift_requests_history"):
        con.execute(f"drop table {table}")
    con.execute("update meta set value = '5' where key = 'schema_version'")
    con.close()
    con = db.connect(db_file, read_only=True)  # a reader has a writer upgrade it first
    try:
        assert con.execute("select value from meta where key = 'schema_version'").fetchall() == [
            (db.SCHEMA_VERSION,)
        ]
        for table in ("surveys", "callback_log", "gift_requests", "gift_requests_history"):
            assert con.execute(f"select count(*) from {table}").fetchall() == [(0,)]
    finally:
        con.close()


def test_surveys_from_a_workbook_with_number_cells(chain, tmp_path):
    """An XLSX export: scores as number cells (5, 4.0), a date cell, a numeric id."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(SURVEY_HEADER.split(","))
    sheet.append(["R1", date(2026, 3, 1), "S001", "M1", "电话", 5, 4.0, "一般", None, 2, "慢"])
    sheet.append([1001, date(2026, 3, 2), "S002", None, "sms", None, None, None, None, "非常满意"])
    workbook.save(tmp_path / "surveys.xlsx")
    result = load(chain, "surveys", tmp_path / "surveys.xlsx")
    assert "2 read, 2 loaded, 0 duplicate, 0 rejected" in result.stdout
    assert query(chain, "select * exclude (load_id, survey_date) from surveys order by 1") == [
        ("1001", "S002", None, "sms", None, None, None, None, 5, None),
        ("R1", "S001", "M1", "phone", 5, 4, 3, None, 2, "慢"),
    ]
