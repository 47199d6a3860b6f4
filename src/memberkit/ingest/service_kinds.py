"""The service records (SPEC 5.12-5.14): satisfaction surveys, the call-back log and gift
requests. Their codes are read in English or as the forms write them (ingest/parse.sql)."""

from __future__ import annotations

from memberkit.ingest.kind_types import Column, Kind

SERVICE_KINDS: tuple[Kind, ...] = (
    Kind(
        # 满意度调查表 (SPEC 5.12): one response, five scores of which any may be blank
        name="surveys",
        table="surveys",
        columns=(
            Column("response_id", "text", ("调查编号", "问卷编号"), required=True),
            Column("survey_date", "date", ("调查日期",), required=True),
            Column("store_id", "text", ("门店编号", "调查门店", "门店"), required=True),
            Column("member_id", "text", ("会员卡号",)),
            Column("channel", "survey_channel", ("调查方式", "调查渠道"), required=True),
            Column("attitude", "score", ("服务态度",)),
            Column("efficiency", "score", ("服务效率",)),
            Column("quality", "score", ("服务质量",)),
            Column("resolution", "score", ("解决问题能力", "解决问题的能力")),
            Column("overall", "score", ("总体满意度", "总体评价")),
            Column("comment", "text", ("意见建议", "意见和建议", "意见"), free_text=True),
        ),
        key=("response_id",),
        # a response is what a customer said once: other content under its id is a
        # conflict, as for a ticket
        on_conflict="reject",
        checks=(
            (
                "attitude is null and efficiency is null and quality is null "
                "and resolution is null and overall is null",
                "overall",
                "no score at all (服务态度, 服务效率, 服务质量, 解决问题能力 and 总体满意度 "
                "are all blank)",
            ),
        ),
        informational=("姓名", "会员姓名", "联系电话", "手机号", "name", "phone"),
    ),
    Kind(
        # 回访记录 / 回访档案 (SPEC 5.13): one call to a member
        name="callback-log",
        table="callback_log",
        columns=(
            Column("member_id", "text", ("会员卡号",), required=True),
            Column("called_at", "timestamp", ("回访时间", "回访日期"), required=True),
            Column("kind", "callback_kind", ("回访类型", "回访类别"), required=True),
            Column("outcome", "call_outcome", ("回访结果", "接通情况"), required=True),
            Column("staff", "text", ("回访人", "回访员工"), free_text=True),
            Column("note", "text", ("备注", "回访内容", "回访记录"), free_text=True),
        ),
        key=("member_id", "called_at", "kind"),
        # a call happened once: another outcome for the same call is a conflict
        on_conflict="reject",
        warnings=(
            (
                "r.member_id not in (select member_id from members)",
                "member_id",
                "member not in the members table (the call has no home store)",
            ),
        ),
        informational=("姓名", "会员姓名", "联系电话", "手机号", "电话", "name", "phone"),
    ),
    Kind(
        # 礼品申请单 (SPEC 5.14): a store asks HQ for gifts; the decision is filled in
        # later, and a later export of the request replaces the earlier row
        name="gift-requests",
        table="gift_requests",
        columns=(
            Column("request_id", "text", ("申请单号", "申请编号"), required=True),
            Column("request_date", "date", ("申请日期",), required=True),
            Column("location", "text", ("申请门店", "门店编号", "地点"), required=True),
            Column("gift_id", "text", ("礼品编号", "赠品编号"), required=True),
            Column("requested_qty", "int", ("申请数量",), required=True),
            Column("purpose", "text", ("用途", "申请用途", "申请事由"), free_text=True),
            Column("requested_by", "text", ("申请人",), free_text=True),
            Column("approved_qty", "int", ("批准数量", "审批数量")),  # blank: not decided
            Column("approved_by", "text", ("审批人",), free_text=True),
            Column("approved_at", "date", ("审批日期", "审批时间")),
        ),
        key=("request_id",),
        on_conflict="replace",
        history_table="gift_requests_history",
        checks=(
            ("requested_qty <= 0", "requested_qty", "requested quantity must be positive"),
            (
                "approved_qty < 0",
                "approved_qty",
                "approved quantity cannot be negative (0 is a refusal)",
            ),
            ("approved_at < request_date", "approved_at", "approved before it was requested"),
        ),
        warnings=(
            (
                "r.location <> 'HQ' and r.location not in (select store_id from stores)",
                "location",
                "unknown location (not HQ and not in the stores table)",
            ),
            (
                "r.approved_qty > r.requested_qty",
                "approved_qty",
                "more approved than requested",
            ),
            (
                "r.approved_qty is not null and r.approved_at is null",
                "approved_at",
                "a decision without its date: taken as known from the request date",
            ),
            (
                "r.approved_qty is null and r.approved_at is not null",
                "approved_qty",
                "a decision date without approved_qty: the request is still undecided",
            ),
        ),
        informational=("礼品名称", "gift_name", "单位", "unit", "备注"),
    ),
)
