-- The database memberkit keeps. Ids, phones and codes are text (leading zeros matter).
-- No primary-key indexes on the big tables: uniqueness is enforced by the loader, which
-- dedupes by id in bulk (an ART index would slow every load of millions of tickets).

create table if not exists meta (
    key varchar primary key,
    value varchar,
);

create sequence if not exists load_ids start 1;

-- One row per file load attempt that got as far as a decision (loaded or refused).
create table if not exists loads (
    load_id bigint primary key,
    kind varchar not null,
    file_name varchar not null,
    file_path varchar not null,
    sha256 varchar not null,
    size_bytes bigint not null,
    encoding varchar not null,
    delimiter varchar,
    rows_read bigint not null,
    rows_loaded bigint not null,
    rows_replaced bigint not null,
    rows_duplicate bigint not null,
    rows_rejected bigint not null,
    status varchar not null,          -- 'loaded' or 'refused' (too many rejects)
    started_at timestamp not null,
    finished_at timestamp not null,
);

create table if not exists rejects (
    load_id bigint not null,
    kind varchar not null,
    file_name varchar not null,
    line bigint,                      -- physical line in the file (XLSX: sheet row)
    column_name varchar,
    reason varchar not null,
    raw varchar,
);

create table if not exists members (
    member_id varchar not null,
    name varchar,
    gender varchar,                   -- 'M', 'F' or null (unknown)
    birth_date date,
    phone varchar,
    store_id varchar not null,        -- home store
    join_date date not null,
    expiry_date date,
    load_id bigint not null,
);

-- Earlier versions of member rows that a later load replaced (phones and expiry dates change).
create table if not exists members_history (
    member_id varchar not null,
    name varchar,
    gender varchar,
    birth_date date,
    phone varchar,
    store_id varchar not null,
    join_date date not null,
    expiry_date date,
    load_id bigint not null,
    replaced_by_load_id bigint not null,
);

create table if not exists transactions (
    txn_id varchar not null,
    store_id varchar not null,
    txn_time timestamp not null,
    member_id varchar,
    amount decimal(18, 2) not null,
    item_qty integer not null,
    load_id bigint not null,
);

-- The lines of tickets loaded from line-level exports (小票明细, SPEC 3.2; schema 5). Each
-- ticket (txn_id) of them is rolled up into one transactions row of the same load: amount
-- and item_qty are the sums of its lines' amount and qty. line_no is the file's own (null
-- when the file has none: a line is then known by its place among its ticket's lines).
create table if not exists ticket_lines (
    txn_id varchar not null,
    line_no integer,
    store_id varchar not null,
    txn_time timestamp not null,
    member_id varchar,
    sku varchar,
    item_name varchar,
    category varchar,
    qty integer not null,
    amount decimal(18, 2) not null,
    load_id bigint not null,
);

-- Every store id that appears on a ticket, kept by the loader: reports list a scope's stores
-- from here instead of scanning every ticket (schema 3).
create table if not exists ticket_stores (
    store_id varchar not null,
);

create table if not exists stores (
    store_id varchar not null,
    store_name varchar,
    region varchar,
    load_id bigint not null,
);

create table if not exists targets (
    month date not null,              -- first day of the month
    store_id varchar not null,
    target_amount decimal(18, 2) not null,
    load_id bigint not null,
);

create table if not exists gifts (
    gift_id varchar not null,
    gift_name varchar,
    unit varchar,
    unit_cost decimal(18, 2),
    load_id bigint not null,
);

-- The gift ledger (SPEC 5.6): opening, receipt (into HQ), transfer (location -> to_location),
-- issue (handed to a customer), adjust (signed). Location 'HQ' is the head-office warehouse.
create table if not exists gift_moves (
    move_date date not null,
    location varchar not null,
    gift_id varchar not null,
    kind varchar not null,
    qty integer not null,
    ref varchar,
    to_location varchar,
    member_id varchar,
    load_id bigint not null,
);

create table if not exists gift_counts (
    count_date date not null,
    location varchar not null,
    gift_id varchar not null,
    counted_qty integer not null,
    counted_by varchar,
    load_id bigint not null,
);

-- 顾客投诉意见处理表 (SPEC 5.8; schema 4). A later export of a complaint replaces its row:
-- the reply, resolution and satisfaction are filled in as it is handled.
create table if not exists complaints (
    complaint_id varchar not null,
    received_at timestamp not null,
    store_id varchar not null,
    member_id varchar,
    channel varchar,
    category varchar,
    replied_at timestamp,             -- first reply to the customer
    resolved_at timestamp,
    satisfaction varchar,             -- '满意', '一般', '不满意' or a score '1'..'5'
    load_id bigint not null,
);

-- The service records (SPEC 5.12-5.14; schema 6). Codes are stored in English.

-- 满意度调查表: one survey response; each score 1-5, null where not answered (never all five).
create table if not exists surveys (
    response_id varchar not null,
    survey_date date not null,
    store_id varchar not null,
    member_id varchar,
    channel varchar not null,         -- 'phone', 'sms', 'email' or 'visit'
    attitude integer,                 -- 服务态度
    efficiency integer,               -- 服务效率
    quality integer,                  -- 服务质量
    resolution integer,               -- 解决问题能力
    overall integer,                  -- 总体满意度
    comment varchar,
    load_id bigint not null,
);

-- 回访记录: one call. A call is (member_id, called_at, kind).
create table if not exists callback_log (
    member_id varchar not null,
    called_at timestamp not null,
    kind varchar not null,            -- after_sale, new, lapsed, complaint, expiring, survey
    outcome varchar not null,         -- reached, no_answer, refused, wrong_number
    staff varchar,
    note varchar,
    load_id bigint not null,
);

-- 礼品申请单: a store's request for gifts and its decision. A later load of a request_id
-- replaces its row (the decision is filled in later); the version replaced goes to
-- gift_requests_history. Deliveries are gift_moves transfers whose ref is the request_id.
create table if not exists gift_requests (
    request_id varchar not null,
    request_date date not null,
    location varchar not null,
    gift_id varchar not null,
    requested_qty integer not null,
    purpose varchar,
    requested_by varchar,
    approved_qty integer,             -- null: not decided; 0: refused
    approved_by varchar,
    approved_at date,
    load_id bigint not null,
);

create table if not exists gift_requests_history (
    request_id varchar not null,
    request_date date not null,
    location varchar not null,
    gift_id varchar not null,
    requested_qty integer not null,
    purpose varchar,
    requested_by varchar,
    approved_qty integer,
    approved_by varchar,
    approved_at date,
    load_id bigint not null,
    replaced_by_load_id bigint not null,
);

-- Summaries the loader keeps (schema 7, memberkit/summaries.py): every member id seen on a
-- ticket gets a dense integer key, and each load adds its tickets' sums per month, store and
-- member. Reports that scan history read these instead of every ticket; `check` recomputes them.
create table if not exists member_keys (
    member_key integer not null,
    member_id varchar not null,
);

create table if not exists ticket_months (
    load_id bigint not null,
    month date not null,              -- first day of the tickets' month
    store_id varchar not null,
    member_key integer,               -- null: the tickets without a member
    net_amount decimal(18, 2) not null,   -- sum(amount), refunds included
    tickets integer not null,         -- rows with amount > 0 (SPEC 4)
    items bigint not null,            -- sum(item_qty), every row
    ticket_days integer not null,     -- bit d-1: a ticket (amount > 0) on day d of the month
    purchase_days integer not null,   -- bit d-1: a ticket or a zero-amount sale with items
    transaction_rows integer not null,
);
