"""What each kind of input file holds: canonical columns, their types and header aliases."""

from __future__ import annotations

from memberkit.errors import UsageError
from memberkit.ingest.kind_types import Column, Kind
from memberkit.ingest.service_kinds import SERVICE_KINDS

__all__ = ["KINDS", "Column", "Kind", "get_kind"]


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            name="members",
            table="members",
            columns=(
                Column("member_id", "text", ("会员卡号", "会员编号", "卡号"), required=True),
                Column("name", "text", ("姓名", "会员姓名"), free_text=True),
                Column("gender", "gender", ("性别",)),
                Column("birth_date", "date", ("出生日期", "生日")),
                Column("phone", "text", ("手机号", "手机", "电话")),
                Column("store_id", "text", ("开卡门店", "所属门店", "门店编号"), required=True),
                Column("join_date", "date", ("开卡日期", "入会日期"), required=True),
                Column("expiry_date", "date", ("到期日期", "有效期至", "会员到期日")),
            ),
            key=("member_id",),
            on_conflict="replace",
            history_table="members_history",
        ),
        Kind(
            name="transactions",
            table="transactions",
            columns=(
                Column("txn_id", "text", ("小票号", "单号", "流水号"), required=True),
                Column("store_id", "text", ("门店编号", "门店"), required=True),
                Column("txn_time", "timestamp", ("交易时间", "销售时间", "日期"), required=True),
                Column("member_id", "text", ("会员卡号",)),
                Column("amount", "money", ("实收金额", "销售金额", "金额"), required=True),
                Column("item_qty", "int", ("商品数量", "件数", "数量"), required=True),
            ),
            key=("txn_id",),
            on_conflict="reject",
            lists_stores=True,
        ),
        Kind(
            # 小票明细 / 销售明细: one row per product line of a ticket (SPEC 2, 3.2)
            name="ticket-lines",
            table="ticket_lines",
            columns=(
                Column("txn_id", "text", ("小票号", "单号", "流水号"), required=True),
                Column("line_no", "int", ("行号",)),
                Column("store_id", "text", ("门店编号", "门店"), required=True),
                Column("txn_time", "timestamp", ("交易时间", "销售时间", "日期"), required=True),
                Column("member_id", "text", ("会员卡号",)),
                Column("sku", "text", ("商品编码", "条码")),
                Column("item_name", "text", ("商品名称",), free_text=True),
                Column("category", "text", ("品类", "类别")),
                Column("qty", "int", ("数量",), required=True),
                Column("amount", "money", ("金额", "实收金额", "销售金额"), required=True),
            ),
            # a line is txn_id + line_no (or its place in the ticket when the file has no
            # line_no); a ticket comes whole from one file: see lines.py
            key=("txn_id", "line_no"),
            on_conflict="reject",
            lists_stores=True,
            rolls_up_into="transactions",
        ),
        Kind(
            name="stores",
            table="stores",
            columns=(
                Column("store_id", "text", ("门店编号",), required=True),
                Column("store_name", "text", ("门店名称",), free_text=True),
                Column("region", "text", ("区域",)),
            ),
            key=("store_id",),
            on_conflict="replace",
        ),
        Kind(
            name="targets",
            table="targets",
            columns=(
                Column("month", "month", ("月份",), required=True),
                Column("store_id", "text", ("门店编号",), required=True),
                Column("target_amount", "money", ("目标销售额", "销售目标"), required=True),
            ),
            key=("month", "store_id"),
            on_conflict="replace",
        ),
        Kind(
            name="gifts",
            table="gifts",
            columns=(
                Column("gift_id", "text", ("礼品编号", "赠品编号"), required=True),
                Column("gift_name", "text", ("礼品名称", "赠品名称"), free_text=True),
                Column("unit", "text", ("单位",)),
                Column("unit_cost", "money", ("单价", "成本单价")),
            ),
            key=("gift_id",),
            on_conflict="replace",
        ),
        Kind(
            name="gift-moves",
            table="gift_moves",
            columns=(
                Column("move_date", "date", ("日期", "发生日期"), required=True),
                Column("location", "text", ("地点", "仓库", "门店编号"), required=True),
                Column("gift_id", "text", ("礼品编号", "赠品编号"), required=True),
                Column("kind", "move_kind", ("类型", "业务类型"), required=True),
                Column("qty", "int", ("数量",), required=True),
                Column("ref", "text", ("单据号", "单号")),
                Column("to_location", "text", ("调入地点", "调入门店")),
                Column("member_id", "text", ("会员卡号",)),
            ),
            # a move has no id of its own: the same move is the same date, place, gift, kind,
            # document and counterpart; a different quantity for it is a conflict (matched
            # against earlier loads only for rows with a ref: see movement_ref)
            key=("move_date", "location", "gift_id", "kind", "ref", "to_location", "member_id"),
            on_conflict="reject",
            movement_ref="ref",
            checks=(
                (
                    "kind = 'transfer' and to_location is null",
                    "to_location",
                    "a transfer needs to_location",
                ),
                (
                    "kind = 'transfer' and to_location = location",
                    "to_location",
                    "a transfer to the same location",
                ),
                (
                    "kind <> 'adjust' and qty <= 0",
                    "qty",
                    "quantity must be positive (only adjust is signed)",
                ),
            ),
            warnings=(
                (
                    "r.location <> 'HQ' and r.location not in (select store_id from stores)",
                    "location",
                    "unknown location (not HQ and not in the stores table)",
                ),
                (
                    "r.to_location <> 'HQ' and r.to_location not in (select store_id from stores)",
                    "to_location",
                    "transfer to an unknown location",
                ),
                (
                    # book stock of the gift at the place it leaves, just after this move
                    "r.kind in ('issue', 'transfer', 'adjust') and (select sum(e.signed_qty) "
                    "from mk_gift_entries() e where e.location = r.location "
                    "and e.gift_id = r.gift_id and e.move_date <= r.move_date) < 0",
                    "qty",
                    "takes book stock below zero",
                ),
                (
                    # rows without a ref cannot be told apart from an overlapping export's
                    "r.ref is null and exists (select 1 from gift_moves g "
                    "where g.load_id <> $load_id and g.ref is null "
                    "and g.move_date = r.move_date and g.location = r.location "
                    "and g.gift_id = r.gift_id and g.kind = r.kind and g.qty = r.qty "
                    "and g.to_location is not distinct from r.to_location "
                    "and g.member_id is not distinct from r.member_id)",
                    "ref",
                    "the same move without a ref was loaded before; loaded as another move "
                    "(if this file overlaps an earlier one, its rows need a ref)",
                ),
            ),
        ),
        Kind(
            name="gift-counts",
            table="gift_counts",
            columns=(
                Column("count_date", "date", ("盘点日期", "日期"), required=True),
                Column("location", "text", ("盘点地点", "地点", "门店编号"), required=True),
                Column("gift_id", "text", ("礼品编号", "赠品编号"), required=True),
                Column("counted_qty", "int", ("实盘数量", "盘点数量", "实际数量"), required=True),
                Column("counted_by", "text", ("盘点人",), free_text=True),
            ),
            key=("count_date", "location", "gift_id"),
            on_conflict="replace",  # a recount of the same day replaces the earlier count
            checks=(
                ("counted_qty < 0", "counted_qty", "negative count"),
                (
                    "location <> 'HQ' and location not in (select store_id from stores)",
                    "location",
                    "unknown location (not HQ and not in the stores table)",
                ),
            ),
            refuse_on_any_reject=True,
            informational=("礼品名称", "gift_name", "单位", "unit"),
            warnings=(("r.count_date > current_date", "count_date", "count dated in the future"),),
        ),
        Kind(
            # 顾客投诉意见处理表 (SPEC 5.8, handbook form 8.2)
            name="complaints",
            table="complaints",
            columns=(
                Column("complaint_id", "text", ("投诉编号", "投诉单号"), required=True),
                Column("received_at", "timestamp", ("受理时间", "投诉时间"), required=True),
                Column("store_id", "text", ("门店编号", "投诉门店"), required=True),
                Column("member_id", "text", ("会员卡号",)),
                Column("channel", "text", ("渠道", "投诉渠道", "投诉方式")),
                Column("category", "text", ("投诉类别", "投诉类型")),
                Column("replied_at", "timestamp", ("首次答复时间", "答复时间", "回复时间")),
                Column("resolved_at", "timestamp", ("处理完成时间", "完成时间", "结案时间")),
                Column("satisfaction", "satisfaction", ("满意度", "顾客满意度", "回访满意度")),
            ),
            key=("complaint_id",),
            # A complaint changes as it is handled: a later export of it carries its reply,
            # resolution and satisfaction, and replaces the earlier row (like a member's).
            on_conflict="replace",
            checks=(
                (
                    "replied_at < received_at",
                    "replied_at",
                    "replied before the complaint was received",
                ),
                (
                    "resolved_at < received_at",
                    "resolved_at",
                    "resolved before the complaint was received",
                ),
            ),
            # the rest of the paper form: kept there, not in the database (names, phones)
            informational=(
                "顾客姓名",
                "姓名",
                "联系电话",
                "电话",
                "投诉内容",
                "处理结果",
                "处理意见",
                "处理人",
                "受理人",
                "备注",
                "customer_name",
                "phone",
                "content",
                "resolution",
            ),  # fmt: skip
        ),
        *SERVICE_KINDS,
    )
}


def get_kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise UsageError(
            f"unknown kind of file {name!r}", hint=f"choose one of {', '.join(KINDS)}"
        ) from None
