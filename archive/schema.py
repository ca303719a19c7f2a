"""The catalog's tables: the migrations that build them, and the declared columns of a record.

``_MIGRATIONS`` is applied in order by ``catalog.connect`` (numbers may have gaps: a migration withdrawn before
release); each one is the SQL exactly as it was released, since a catalog made by an older version is upgraded
by running the ones it has not seen. ``COLUMNS`` says, once, what each column of ``documents`` is to the rest of
the program: its Chinese label, whether the event log seals it, whether an import may set it, and where it stands
in a record's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.index.fts import MIGRATION as _FULLTEXT_MIGRATION


_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE documents (
        id              INTEGER PRIMARY KEY,
        sha256          TEXT NOT NULL UNIQUE,
        filename        TEXT NOT NULL,          -- the name it arrived with
        source_path     TEXT,                   -- where it was read from
        stored_path     TEXT,                   -- relative to the store; NULL once destroyed
        media_type      TEXT NOT NULL,
        size            INTEGER NOT NULL,
        pages           INTEGER,
        status          TEXT NOT NULL CHECK (status IN ('archived','pending','excluded','destroyed')),
        archival_code   TEXT UNIQUE,            -- 档号
        fonds           TEXT,                   -- 全宗号
        year            INTEGER,                -- 年度
        retention       TEXT CHECK (retention IN ('Y','D30','D10')),
        org             TEXT,                   -- 机构(问题)
        item_no         INTEGER,                -- 件号
        doc_number      TEXT,                   -- 发文字号, canonical
        doc_number_raw  TEXT,                   -- as printed
        docno_code      TEXT, docno_year INTEGER, docno_serial INTEGER, docno_kind TEXT,
        title           TEXT, issuer TEXT, date TEXT, doc_type TEXT,
        secrecy         TEXT, urgency TEXT, recipients TEXT, signer TEXT, cc TEXT,
        printer         TEXT, print_date TEXT, attachments TEXT, note TEXT,
        relation        TEXT, rule_id TEXT, basis TEXT, reason TEXT,
        extract_method  TEXT, warnings TEXT,
        ingested_at     TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    );
    CREATE INDEX documents_status ON documents(status);
    CREATE INDEX documents_year ON documents(year, retention, org);
    CREATE INDEX documents_doc_number ON documents(doc_number);

    CREATE TABLE document_texts (
        document_id INTEGER PRIMARY KEY REFERENCES documents(id),
        text        TEXT NOT NULL
    );

    -- every spelling-independent key of a document's 发文字号 (docno.search_keys)
    CREATE TABLE docno_keys (
        key         TEXT NOT NULL,
        document_id INTEGER NOT NULL REFERENCES documents(id),
        PRIMARY KEY (key, document_id)
    ) WITHOUT ROWID;

    CREATE TABLE sequences (
        fonds TEXT NOT NULL, year INTEGER NOT NULL, retention TEXT NOT NULL, org TEXT NOT NULL,
        last_item INTEGER NOT NULL,
        PRIMARY KEY (fonds, year, retention, org)
    );

    -- inbox originals whose record is committed but which are not yet moved out of the inbox;
    -- a crash between commit and move is finished from here on the next start.
    CREATE TABLE inbox_moves (
        source      TEXT PRIMARY KEY,
        destination TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        reason      TEXT
    );

    CREATE TABLE events (
        id          INTEGER PRIMARY KEY,
        ts          TEXT NOT NULL,
        actor       TEXT NOT NULL,
        action      TEXT NOT NULL,
        document_id INTEGER,
        detail      TEXT NOT NULL,
        prev_hash   TEXT NOT NULL,
        hash        TEXT NOT NULL
    );
    CREATE INDEX events_document ON events(document_id);
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
        BEGIN SELECT RAISE(ABORT, 'catalog records are never deleted'); END;
    """,
    # 2: the full-text index is derived; this flag says which records it already holds, so a crash
    # between the catalog commit and the index commit is repaired on the next start.
    2: """
    ALTER TABLE documents ADD COLUMN indexed INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX documents_unindexed ON documents(id) WHERE indexed = 0;
    """,
    # 3: OCR (scans and images): how each page's text was obtained and how sure the OCR was of it.
    3: """
    ALTER TABLE documents ADD COLUMN ocr_confidence REAL;         -- mean word confidence of the OCR pages, 0-100
    ALTER TABLE documents ADD COLUMN ocr_header_confidence REAL;  -- of the 版头 lines (发文字号, 题名)
    ALTER TABLE documents ADD COLUMN searchable_path TEXT;        -- stored PDF with an added text layer
    CREATE TABLE document_pages (
        document_id INTEGER NOT NULL REFERENCES documents(id),
        page        INTEGER NOT NULL,                             -- 1-based
        method      TEXT NOT NULL CHECK (method IN ('text-layer','ocr')),
        confidence  REAL,                                         -- OCR pages only
        PRIMARY KEY (document_id, page)
    ) WITHOUT ROWID;
    """,
    # 4: 到期鉴定 and 销毁 (docs/retention.md). ``holds``: records that must not be destroyed (under
    # investigation, litigation, audit) until released. ``dispositions``: each appraisal decision on a
    # record (destroy or extend), with who approved it and the 监销人; the 销毁清册 is read from here.
    4: """
    CREATE TABLE holds (
        id              INTEGER PRIMARY KEY,
        document_id     INTEGER NOT NULL REFERENCES documents(id),
        reason          TEXT NOT NULL,
        held_by         TEXT NOT NULL,
        held_at         TEXT NOT NULL,
        released_by     TEXT,
        released_at     TEXT,
        release_reason  TEXT
    );
    CREATE INDEX holds_active ON holds(document_id) WHERE released_at IS NULL;

    CREATE TABLE dispositions (
        id              INTEGER PRIMARY KEY,
        batch           INTEGER NOT NULL,       -- one dispose command = one batch (one 销毁清册)
        document_id     INTEGER NOT NULL REFERENCES documents(id),
        decision        TEXT NOT NULL CHECK (decision IN ('destroy','extend')),
        archival_code   TEXT,
        retention_before TEXT NOT NULL,
        retention_after TEXT,                   -- extend: the new 保管期限
        approved_by     TEXT NOT NULL,          -- the leader who approved
        supervisors     TEXT,                   -- 监销人 (destroy), comma separated
        reason          TEXT NOT NULL,
        decided_at      TEXT NOT NULL,
        actor           TEXT NOT NULL
    );
    CREATE INDEX dispositions_batch ON dispositions(batch);
    CREATE TRIGGER dispositions_no_update BEFORE UPDATE ON dispositions
        BEGIN SELECT RAISE(ABORT, 'dispositions are append-only'); END;
    CREATE TRIGGER dispositions_no_delete BEFORE DELETE ON dispositions
        BEGIN SELECT RAISE(ABORT, 'dispositions are append-only'); END;
    """,
    # 5: records whose 档号 was assigned elsewhere (an older system's catalogue, a transfer package) are
    # imported as they are, some without a file (catalogued on paper): sha256, filename, media_type and size
    # may be NULL, and ``origin`` says where a record came from. SQLite cannot relax NOT NULL in place, so
    # the table is rebuilt (foreign keys are off while migrating, see _migrate).
    5: """
    CREATE TABLE documents_v5 (
        id              INTEGER PRIMARY KEY,
        sha256          TEXT UNIQUE,            -- NULL: a catalogued record without a file (paper era)
        filename        TEXT,                   -- the name it arrived with
        source_path     TEXT,                   -- where it was read from
        stored_path     TEXT,                   -- relative to the store; NULL once destroyed
        media_type      TEXT,
        size            INTEGER,
        pages           INTEGER,
        status          TEXT NOT NULL CHECK (status IN ('archived','pending','excluded','destroyed')),
        archival_code   TEXT UNIQUE,            -- 档号
        fonds           TEXT,                   -- 全宗号
        year            INTEGER,                -- 年度
        retention       TEXT CHECK (retention IN ('Y','D30','D10')),
        org             TEXT,                   -- 机构(问题)
        item_no         INTEGER,                -- 件号
        doc_number      TEXT,                   -- 发文字号, canonical
        doc_number_raw  TEXT,                   -- as printed
        docno_code      TEXT, docno_year INTEGER, docno_serial INTEGER, docno_kind TEXT,
        title           TEXT, issuer TEXT, date TEXT, doc_type TEXT,
        secrecy         TEXT, urgency TEXT, recipients TEXT, signer TEXT, cc TEXT,
        printer         TEXT, print_date TEXT, attachments TEXT, note TEXT,
        relation        TEXT, rule_id TEXT, basis TEXT, reason TEXT,
        extract_method  TEXT, warnings TEXT,
        ingested_at     TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        indexed         INTEGER NOT NULL DEFAULT 0,
        ocr_confidence REAL, ocr_header_confidence REAL, searchable_path TEXT,
        origin          TEXT NOT NULL DEFAULT 'ingest'  -- ingest | import (a 档号 assigned elsewhere)
    );
    INSERT INTO documents_v5 SELECT *, 'ingest' FROM documents;
    DROP TABLE documents;
    ALTER TABLE documents_v5 RENAME TO documents;
    CREATE INDEX documents_status ON documents(status);
    CREATE INDEX documents_year ON documents(year, retention, org);
    CREATE INDEX documents_doc_number ON documents(doc_number);
    CREATE INDEX documents_unindexed ON documents(id) WHERE indexed = 0;
    CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents
        BEGIN SELECT RAISE(ABORT, 'catalog records are never deleted'); END;
    """,
    # 7: a record may have more than one file (a scan split in parts, an 正文 and its 附件, found by 档号 when a
    # catalogue is imported). The first stays the record's own file in ``documents``; the others are kept
    # here, stored like any file, their text appended to the record's text so it is searchable.
    7: """
    CREATE TABLE document_files (
        document_id     INTEGER NOT NULL REFERENCES documents(id),
        seq             INTEGER NOT NULL,       -- 2, 3, ...: 1 is the record's own file (documents)
        sha256          TEXT NOT NULL UNIQUE,
        filename        TEXT NOT NULL,
        source_path     TEXT,
        stored_path     TEXT,                   -- relative to the store; NULL once destroyed
        media_type      TEXT,
        size            INTEGER NOT NULL,
        pages           INTEGER,
        extract_method  TEXT,
        warnings        TEXT,
        added_at        TEXT NOT NULL,
        PRIMARY KEY (document_id, seq)
    );
    CREATE TRIGGER document_files_no_delete BEFORE DELETE ON document_files
        BEGIN SELECT RAISE(ABORT, 'catalog records are never deleted'); END;
    """,
    # 8: recovery never guesses. ``store_journal``: a store copy about to be made, committed *before* the
    # copy starts; reconcile removes a stored file only when it is listed here and no record owns it (its
    # own unfinished work), never "whatever the catalog does not know". ``import_journal``: a long import
    # (a transfer package) in flight, so a restart after kill -9 resumes it instead of leaving it half done.
    8: """
    CREATE TABLE store_journal (
        stored_path TEXT PRIMARY KEY,           -- relative to the store
        sha256      TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        pid         INTEGER,
        purpose     TEXT                        -- ingest / searchable / import / attach
    );
    CREATE TABLE import_journal (
        id          INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL,              -- package
        source      TEXT NOT NULL,              -- the package folder (absolute)
        started_at  TEXT NOT NULL,
        finished_at TEXT,                       -- NULL: interrupted or running
        planned     INTEGER NOT NULL,           -- records to import
        done        INTEGER NOT NULL DEFAULT 0  -- records imported so far (committed)
    );
    CREATE INDEX documents_searchable ON documents(searchable_path) WHERE searchable_path IS NOT NULL;
    CREATE INDEX document_files_path ON document_files(stored_path);
    """,
    # 9: full text inside the catalog: an FTS5 table over the bigram tokens of title, issuer and text, kept in
    # step by triggers in the record's own transaction (archive/index/fts.py; SQL function bigrams, see connect)
    9: _FULLTEXT_MIGRATION,
    # 10: appraisal and destruction in the steps of the procedure, and imported old periods.
    # ``retention_old``: 长期 / 短期 as an older catalogue wrote it (its ``retention`` stays NULL until an
    # appraisal gives it a period of today's table). ``appraisals``: one 鉴定 (its group, date, report), then
    # its approval (leader, date, approval document) and its destruction (监销人, 方式, 地点, time), each
    # step filled once; ``appraisal_items``: the decision on each record (销毁 / 延期 with the new period).
    10: """
    ALTER TABLE documents ADD COLUMN retention_old TEXT CHECK (retention_old IN ('长期','短期'));
    CREATE TABLE appraisals (
        id              INTEGER PRIMARY KEY,
        batch           INTEGER NOT NULL UNIQUE, -- its decisions' batch in ``dispositions`` (销毁清册 number)
        as_of           TEXT NOT NULL,          -- the day whose due records were appraised
        members         TEXT NOT NULL,          -- 鉴定小组, JSON list of names
        appraised_at    TEXT NOT NULL,
        appraised_by    TEXT NOT NULL,          -- system user who recorded it
        report_id       INTEGER REFERENCES documents(id),   -- 鉴定工作报告, archived 永久
        approved_by     TEXT,                   -- the leader
        approved_on     TEXT,
        approval_doc    TEXT,                   -- number of the approval document
        approved_at     TEXT,
        approval_id     INTEGER REFERENCES documents(id),   -- 销毁审批, archived 永久
        destroyed_at    TEXT,
        supervisors     TEXT,                   -- 监销人, JSON list
        method          TEXT,                   -- 销毁方式
        place           TEXT,                   -- 销毁地点
        destroyed_by    TEXT,
        register_id     INTEGER REFERENCES documents(id)    -- the approved 销毁清册, archived 永久
    );
    CREATE TABLE appraisal_items (
        appraisal_id    INTEGER NOT NULL REFERENCES appraisals(id),
        document_id     INTEGER NOT NULL REFERENCES documents(id),
        decision        TEXT NOT NULL CHECK (decision IN ('destroy','extend')),
        retention_before TEXT NOT NULL,         -- Y/D30/D10, or 长期/短期
        retention_after TEXT,                   -- extend: Y/D30/D10
        reason          TEXT NOT NULL,
        doubtful        INTEGER NOT NULL DEFAULT 0,  -- 存疑: the longer period was taken (从长)
        PRIMARY KEY (appraisal_id, document_id)
    ) WITHOUT ROWID;
    CREATE TRIGGER appraisals_no_delete BEFORE DELETE ON appraisals
        BEGIN SELECT RAISE(ABORT, 'appraisals are never deleted'); END;
    CREATE TRIGGER appraisal_items_no_change BEFORE UPDATE ON appraisal_items
        BEGIN SELECT RAISE(ABORT, 'appraisal decisions are append-only'); END;
    CREATE TRIGGER appraisal_items_no_delete BEFORE DELETE ON appraisal_items
        BEGIN SELECT RAISE(ABORT, 'appraisal decisions are append-only'); END;
    CREATE TRIGGER appraisals_steps_once BEFORE UPDATE ON appraisals
        WHEN (OLD.approved_at IS NOT NULL AND NEW.approved_at IS NOT OLD.approved_at)
          OR (OLD.destroyed_at IS NOT NULL AND NEW.destroyed_at IS NOT OLD.destroyed_at)
          OR NEW.members IS NOT OLD.members OR NEW.as_of IS NOT OLD.as_of
        BEGIN SELECT RAISE(ABORT, 'an appraisal step is recorded once'); END;
    """,
    # 11: accounts of the web page (archive serve, archive user): a role each, an argon2 password hash;
    # server-side sessions (the signed cookie carries only the session id) so logging out or disabling
    # a user ends them; failed logins per name, to slow down guessing.
    11: """
    CREATE TABLE users (
        id              INTEGER PRIMARY KEY,
        name            TEXT NOT NULL UNIQUE,
        role            TEXT NOT NULL CHECK (role IN ('查阅','文书','档案员','领导')),
        password_hash   TEXT NOT NULL,           -- argon2id
        disabled        INTEGER NOT NULL DEFAULT 0,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    );
    CREATE TABLE web_sessions (
        id              TEXT PRIMARY KEY,        -- random, 256 bits
        user_id         INTEGER NOT NULL REFERENCES users(id),
        created_at      REAL NOT NULL,           -- unix time
        expires_at      REAL NOT NULL
    );
    CREATE TABLE login_failures (
        name            TEXT PRIMARY KEY,        -- the user name typed (known or not)
        failures        INTEGER NOT NULL,
        last_at         REAL NOT NULL
    );
    """,
    # 12: the fields a person corrected (archive edit): a JSON list of field names (title, doc_number, issuer,
    # date, pages, doc_type), so no later automatic step (recover, an import, attaching a file) overwrites them.
    # Sealed only where set (catalog.record_digest), so every other record keeps its digest.
    12: """
    ALTER TABLE documents ADD COLUMN corrected TEXT;
    """,
    # 13: one 件 of several files (docs/domain.md, "一件多文件"). ``role``: what a further file is to its record:
    # 正本, 定稿, 稿纸, 附件 or 其他格式 (another rendering of the same document). Files imported before get 附件
    # when their name says so, else 其他格式. ``detached_at``/``detached_to``: a person took the file off the record
    # (archive detach); the row stays (document_files is append-only), the file now belongs to record
    # ``detached_to`` or, when NULL, stays stored and referenced by this row.
    13: """
    ALTER TABLE document_files ADD COLUMN role TEXT NOT NULL DEFAULT '其他格式'
        CHECK (role IN ('正本','定稿','稿纸','附件','其他格式'));
    ALTER TABLE document_files ADD COLUMN detached_at TEXT;
    ALTER TABLE document_files ADD COLUMN detached_to INTEGER REFERENCES documents(id);
    UPDATE document_files SET role = '附件' WHERE filename LIKE '%附件%';
    """,
    # 14: the seal covers the text (issue 23). ``text_sha256``: SHA-256 of the record's text (document_texts, with
    # its further files' texts appended), kept by every write of a text (catalog.texts.seal_text) and sealed by
    # the record's digest. After the SQL, catalog._reseal fills it for every record and appends one ``reseal``
    # event per record whose row still matches its last seal (a record already changed behind the program's
    # back keeps its old seal, so verify still reports it).
    14: """
    ALTER TABLE documents ADD COLUMN text_sha256 TEXT;
    """,
    # 15: the 保密员's queue (issue 22; archive/secrecy_queue.py): a file the 涉密 gate was unsure of, held in
    # ``quarantine/`` beside the inbox (never in the store) until a 保密员 decides 非密 / 已解密 (taken in, the
    # record's id kept here) or 涉密 (moved to refused/). A decision is recorded once. ``users`` is rebuilt (the
    # documented 12-step way) for the new role 保密员 in its CHECK.
    15: """
    CREATE TABLE secrecy_queue (
        id              INTEGER PRIMARY KEY,
        filename        TEXT NOT NULL,
        quarantine_path TEXT NOT NULL,
        sha256          TEXT NOT NULL,
        size            INTEGER,
        route           TEXT NOT NULL,           -- ingest, watch, web, attach, import catalog, import package …
        verdict         TEXT NOT NULL,           -- the gate's kind: doubtful
        level           TEXT,
        where_found     TEXT,
        evidence        TEXT,
        reasons         TEXT NOT NULL,           -- JSON list (Chinese)
        held_at         TEXT NOT NULL,
        held_by         TEXT NOT NULL,
        decided_at      TEXT,
        decided_by      TEXT,
        decision        TEXT CHECK (decision IN ('非密','已解密','涉密')),
        decision_reason TEXT,
        record_id       INTEGER REFERENCES documents(id)
    );
    CREATE INDEX secrecy_queue_sha ON secrecy_queue(sha256);
    CREATE TRIGGER secrecy_queue_no_delete BEFORE DELETE ON secrecy_queue
        BEGIN SELECT RAISE(ABORT, 'the secrecy queue is never deleted'); END;
    CREATE TRIGGER secrecy_queue_decided_once BEFORE UPDATE ON secrecy_queue
        WHEN OLD.decided_at IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a secrecy decision is recorded once'); END;
    CREATE TABLE users_new (
        id              INTEGER PRIMARY KEY,
        name            TEXT NOT NULL UNIQUE,
        role            TEXT NOT NULL CHECK (role IN ('查阅','文书','档案员','领导','保密员')),
        password_hash   TEXT NOT NULL,
        disabled        INTEGER NOT NULL DEFAULT 0,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    );
    INSERT INTO users_new SELECT id, name, role, password_hash, disabled, created_at, updated_at FROM users;
    DROP TABLE users;
    ALTER TABLE users_new RENAME TO users;
    """,    # 20: the use register (利用登记), a 查阅 user's requests filed on the web, the access log (every view,
    # download, open and 归档章 copy), and 移交 with its 开放审核 (issue 28; archive/use.py, access_log.py,
    # transfer.py). The register and the access log are never deleted; the log is never changed.
    20: """
    CREATE TABLE use_requests (
        id              INTEGER PRIMARY KEY,
        user_name       TEXT NOT NULL,           -- the web account that filed it
        person          TEXT NOT NULL,
        unit            TEXT NOT NULL,
        purpose         TEXT NOT NULL,
        way             TEXT NOT NULL CHECK (way IN ('查阅','复制','摘录','借出')),
        documents       TEXT NOT NULL,           -- JSON list of record ids
        filed_at        TEXT NOT NULL,
        state           TEXT NOT NULL DEFAULT '待审' CHECK (state IN ('待审','已准予','未准予')),
        decided_at      TEXT,
        decided_by      TEXT,
        decision_note   TEXT,
        use_id          INTEGER
    );
    CREATE TABLE uses (
        id              INTEGER PRIMARY KEY,
        person          TEXT NOT NULL,
        unit            TEXT NOT NULL,
        outside         INTEGER NOT NULL,        -- 1: a unit other than our agency
        purpose         TEXT NOT NULL,
        way             TEXT NOT NULL CHECK (way IN ('查阅','复制','摘录','借出')),
        approved_by     TEXT,
        due             TEXT,                    -- a loan's due date (YYYY-MM-DD)
        returned_at     TEXT,
        returned_by     TEXT,
        effect          TEXT,                    -- 利用效果
        effect_at       TEXT,
        registered_at   TEXT NOT NULL,
        registered_by   TEXT NOT NULL,
        request_id      INTEGER REFERENCES use_requests(id)
    );
    CREATE TABLE use_items (
        use_id          INTEGER NOT NULL REFERENCES uses(id),
        document_id     INTEGER NOT NULL REFERENCES documents(id),
        archival_code   TEXT,
        PRIMARY KEY (use_id, document_id)
    ) WITHOUT ROWID;
    CREATE INDEX uses_registered ON uses(registered_at);
    CREATE TRIGGER uses_no_delete BEFORE DELETE ON uses
        BEGIN SELECT RAISE(ABORT, 'the use register is never deleted'); END;
    CREATE TABLE access_log (
        id              INTEGER PRIMARY KEY,
        ts              TEXT NOT NULL,
        actor           TEXT NOT NULL,
        action          TEXT NOT NULL CHECK (action IN ('view','download','open','stamp')),
        route           TEXT NOT NULL,           -- cli, web
        document_id     INTEGER REFERENCES documents(id),
        archival_code   TEXT,
        detail          TEXT
    );
    CREATE INDEX access_log_doc ON access_log(document_id, ts);
    CREATE INDEX access_log_ts ON access_log(ts);
    CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
        BEGIN SELECT RAISE(ABORT, 'the access log is never deleted'); END;
    CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
        BEGIN SELECT RAISE(ABORT, 'the access log is never changed'); END;
    CREATE TABLE transfer_reviews (
        document_id     INTEGER PRIMARY KEY REFERENCES documents(id),
        openness        TEXT NOT NULL CHECK (openness IN ('开放','控制','延期开放')),
        control_reason  TEXT,
        secrecy_change  TEXT NOT NULL,           -- 密级变更情况
        disclosure      TEXT NOT NULL CHECK (disclosure IN ('主动公开','依申请公开','不予公开')),
        decided_by      TEXT NOT NULL,
        decided_at      TEXT NOT NULL,
        note            TEXT
    );
    CREATE TABLE transfers (
        id              INTEGER PRIMARY KEY,
        year            INTEGER NOT NULL,
        path            TEXT NOT NULL,
        records         INTEGER NOT NULL,
        payload_oxum    TEXT,
        exported_at     TEXT NOT NULL,
        exported_by     TEXT NOT NULL,
        confirmed_at    TEXT,
        confirmed_by    TEXT,
        receipt_name    TEXT,
        receipt_sha256  TEXT
    );
    CREATE TABLE transfer_items (
        transfer_id     INTEGER NOT NULL REFERENCES transfers(id),
        document_id     INTEGER NOT NULL REFERENCES documents(id),
        PRIMARY KEY (transfer_id, document_id)
    ) WITHOUT ROWID;
    CREATE INDEX transfer_items_doc ON transfer_items(document_id);
    CREATE TRIGGER transfers_no_delete BEFORE DELETE ON transfers
        BEGIN SELECT RAISE(ABORT, 'a transfer is never deleted'); END;
    CREATE TRIGGER transfers_confirmed_once BEFORE UPDATE ON transfers
        WHEN OLD.confirmed_at IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a transfer is confirmed once'); END;
    """,
    # 19: the 同级档案主管部门's review and agreement of our 归档范围和保管期限表, tied to its content (issue 26;
    # archive/rules_table.py): the digest of the [[rules]] as the program reads them. A changed table has another
    # digest, so it is 未经审核同意 again until its own agreement is recorded; a config edit cannot fake one.
    19: """
    CREATE TABLE table_approvals (
        id           INTEGER PRIMARY KEY,
        digest       TEXT NOT NULL,           -- sha256 of the rules' canonical JSON
        rule_count   INTEGER NOT NULL,
        approved_by  TEXT NOT NULL,           -- the reviewing 档案主管部门
        approved_on  TEXT NOT NULL,           -- YYYY-MM-DD, a day on the agency's clock
        approval_doc TEXT NOT NULL,           -- its document number (文号)
        recorded_at  TEXT NOT NULL,
        recorded_by  TEXT NOT NULL
    );
    -- an agreement once recorded stands: a later one is a new row, none is rewritten or removed
    CREATE TRIGGER table_approvals_kept BEFORE DELETE ON table_approvals
        BEGIN SELECT RAISE(ABORT, 'a table approval is never deleted'); END;
    CREATE TRIGGER table_approvals_once BEFORE UPDATE ON table_approvals
        BEGIN SELECT RAISE(ABORT, 'a table approval is recorded once'); END;
    CREATE INDEX table_approvals_digest ON table_approvals(digest);
    """,
    # 16: 定期整理归档 (issue 25; archive/filing.py, docs/domain.md "The year's cycle"). ``filing_state``
    # 'collected': 预归档, archived in its group without 件号/档号 until its year is filed. ``filing_mode``: the
    # catalog's numbering mode; a catalog that already held records keeps numbering at ingest. ``filing_years``:
    # a 年度 being arranged, checked or filed; ``filing_order``: the 整理人's order within each group.
    16: """
    ALTER TABLE documents ADD COLUMN filing_state TEXT CHECK (filing_state IN ('collected'));
    CREATE INDEX documents_collected ON documents(year) WHERE filing_state IS NOT NULL;
    CREATE TABLE filing_mode (
        id              INTEGER PRIMARY KEY CHECK (id = 1),
        numbering       TEXT NOT NULL CHECK (numbering IN ('at_filing','at_ingest')),
        set_at          TEXT NOT NULL,
        set_by          TEXT NOT NULL
    );
    INSERT INTO filing_mode(id, numbering, set_at, set_by)
        SELECT 1, 'at_ingest', strftime('%Y-%m-%dT%H:%M:%S+00:00','now'), 'migration 16'
        WHERE EXISTS (SELECT 1 FROM documents);
    CREATE TABLE filing_years (
        fonds           TEXT NOT NULL,
        year            INTEGER NOT NULL,
        state           TEXT NOT NULL CHECK (state IN ('arranging','checked','closed')),
        arranged_by     TEXT, arranged_at TEXT,
        checked_by      TEXT, checked_at TEXT,
        handed_by       TEXT, received_by TEXT, closed_at TEXT,
        handover_pdf    TEXT, handover_xlsx TEXT,
        reopened_by     TEXT, reopened_at TEXT, reopen_reason TEXT,
        PRIMARY KEY (fonds, year)
    );
    CREATE TABLE filing_order (
        document_id     INTEGER PRIMARY KEY REFERENCES documents(id),
        fonds           TEXT NOT NULL,
        year            INTEGER NOT NULL,
        retention       TEXT NOT NULL,
        org             TEXT NOT NULL DEFAULT '',
        position        INTEGER NOT NULL,
        UNIQUE (fonds, year, retention, org, position)
    );
    """,
    # 18: the 收文 record and the 公文's own elements (issue 26; docs/domain.md, 收文 and elements). ``receipt_kind``:
    # 阅件 (for reading) or 办件 (to act on), from the OA's 收文处理单 or set by a clerk; the evidence for 8号令
    # 第四条's "不需本机关办理". ``copy_no``: 份号; ``stamp``: 印章 有/无/不详 (what the file shows, never a guess);
    # ``annotation``: the 附注 line, apart from the catalogue's 备注 (``note``). Sealed where set (record_digest).
    18: """
    ALTER TABLE documents ADD COLUMN receipt_kind TEXT CHECK (receipt_kind IN ('阅件','办件'));
    ALTER TABLE documents ADD COLUMN copy_no TEXT;
    ALTER TABLE documents ADD COLUMN stamp TEXT CHECK (stamp IN ('有','无','不详'));
    ALTER TABLE documents ADD COLUMN annotation TEXT;
    """,
    # 22: a record's PDF/A rendition (issue 27; archive/rendition.py) is one more of its files, with the role
    # 版式副本. SQLite cannot widen a CHECK in place: after this statement, catalog._widen_file_roles rebuilds
    # document_files (the documented 12-step way) from its own CREATE text, so columns other migrations
    # added are kept, with its triggers and indexes.
    22: """
    SELECT 1;
    """,
    # 23: paper originals and boxes (双套制 and 装盒, issue 25 item 4; docs/domain.md "Paper originals and boxes").
    # ``paper_originals``: whether a record's paper 正本 exists (有/无; no row: 未登记), who said so and when.
    # ``filing_boxes``: one 档案盒 of a 年度-保管期限-机构 group, its 盒号 from 1 in the group, who boxed and
    # checked it; ``box_items``: the box a record's paper original is in (a record is in at most one box).
    # Apart from ``documents`` so that no record's sealed digest changes.
    23: """
    CREATE TABLE IF NOT EXISTS paper_originals (
        document_id INTEGER PRIMARY KEY REFERENCES documents(id),
        state TEXT NOT NULL CHECK (state IN ('有','无')),
        set_by TEXT,
        set_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS filing_boxes (
        id INTEGER PRIMARY KEY,
        fonds TEXT NOT NULL,
        year INTEGER NOT NULL,
        retention TEXT NOT NULL,
        org TEXT NOT NULL DEFAULT '',
        box_no INTEGER NOT NULL CHECK (box_no >= 1),
        thickness_mm INTEGER NOT NULL,
        arranged_by TEXT NOT NULL,
        arranged_at TEXT NOT NULL,
        checked_by TEXT,
        checked_at TEXT,
        UNIQUE (fonds, year, retention, org, box_no)
    );
    CREATE TABLE IF NOT EXISTS box_items (
        document_id INTEGER PRIMARY KEY REFERENCES documents(id),
        box_id INTEGER NOT NULL REFERENCES filing_boxes(id),
        boxed_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS box_items_box ON box_items(box_id);
    """,
    # 25: the 办理过程 of a record taken in from an OA system's 归档信息包 (issue 27; archive/oa_package.py,
    # docs/oa_package.md): one row per step (环节, 处理人, 时间 ISO 8601 with offset, 意见), added with the record,
    # never changed (the triggers refuse it); its digest is in the record's ingest event. After this SQL,
    # catalog._widen_for_forms admits the file role 处理单 (the 收文/发文处理单) in document_files.
    25: """
    CREATE TABLE process_steps (
        document_id     INTEGER NOT NULL REFERENCES documents(id),
        seq             INTEGER NOT NULL,
        step            TEXT NOT NULL,
        actor           TEXT,
        at              TEXT,
        opinion         TEXT,
        source          TEXT NOT NULL,
        PRIMARY KEY (document_id, seq)
    );
    CREATE TRIGGER process_steps_no_update BEFORE UPDATE ON process_steps
    BEGIN SELECT RAISE(ABORT, 'process_steps are never changed'); END;
    CREATE TRIGGER process_steps_no_delete BEFORE DELETE ON process_steps
    BEGIN SELECT RAISE(ABORT, 'process_steps are never deleted'); END;
    """,
}

# numbers may have gaps (a migration withdrawn before release); they are applied in order
SCHEMA_VERSION = max(_MIGRATIONS)


@dataclass(frozen=True)
class Column:
    """One column of ``documents``.

    ``seal``: its place in a record's digest (catalog.record_digest), None when not sealed; the order is that of
    the digests already in every event log, never to be changed. ``json``: printed with --json (``record``), in
    table order. ``importable``: an import (catalogue or package) may set it. ``classification``: decided by the
    retention table or a review (confirm, reclassify)."""

    name: str
    label: str  # Chinese, as a clerk reads it
    seal: int | None = None
    json: bool = False
    importable: bool = False
    classification: bool = False


# the documents table as the program reads it; the first rows, in order, are a record's JSON keys
COLUMNS: tuple[Column, ...] = (
    Column("id", "记录号", json=True),
    Column("archival_code", "档号", seal=0, json=True, importable=True, classification=True),
    Column("fonds", "全宗号", seal=1, json=True, importable=True, classification=True),
    Column("year", "年度", seal=2, json=True, importable=True, classification=True),
    Column("retention", "保管期限", seal=3, json=True, importable=True, classification=True),
    Column("org", "机构(问题)", seal=4, json=True, importable=True, classification=True),
    Column("item_no", "件号", seal=5, json=True, importable=True, classification=True),
    Column("doc_number", "发文字号", seal=6, json=True),
    Column("doc_number_raw", "文号", seal=7, json=True, importable=True),
    Column("title", "题名", seal=8, json=True, importable=True),
    Column("issuer", "责任者", seal=9, json=True, importable=True),
    Column("date", "日期", seal=10, json=True, importable=True),
    Column("doc_type", "文种", seal=11, json=True, importable=True),
    Column("secrecy", "密级", seal=12, json=True, importable=True),
    Column("urgency", "紧急程度", seal=13, json=True, importable=True),
    Column("pages", "页数", seal=14, json=True, importable=True),
    Column("status", "状态", seal=15, json=True, importable=True, classification=True),
    Column("rule_id", "规则", seal=27, json=True, importable=True),
    Column("basis", "分类依据", seal=28, json=True, importable=True),
    Column("sha256", "SHA-256", seal=16, json=True),
    Column("filename", "原文件名", seal=17, json=True),
    Column("source_path", "来源"),
    Column("stored_path", "存储位置", seal=18),
    Column("media_type", "格式", seal=19),
    Column("size", "大小", seal=20),
    Column("docno_code", "机关代字"),
    Column("docno_year", "文号年份"),
    Column("docno_serial", "文号序号"),
    Column("docno_kind", "文号类别"),
    Column("recipients", "主送", seal=21, importable=True),
    Column("signer", "签发人", seal=22, importable=True),
    Column("cc", "抄送", seal=23, importable=True),
    Column("printer", "印发机关", seal=24, importable=True),
    Column("print_date", "印发日期", seal=25, importable=True),
    Column("attachments", "附件"),
    Column("note", "备注", seal=26, importable=True),
    Column("relation", "与本机关关系", importable=True),
    Column("reason", "待定原因", importable=True),
    Column("extract_method", "文字来源"),
    Column("warnings", "提示"),
    Column("ingested_at", "入库时间"),
    Column("updated_at", "修改时间"),
    Column("indexed", "已建全文索引"),  # Whoosh only: the record is in the index folder
    Column("ocr_confidence", "OCR 平均置信度"),
    Column("ocr_header_confidence", "版头 OCR 置信度"),
    Column("searchable_path", "可检索 PDF"),
    Column("origin", "来源方式"),  # ingest | import
    Column("retention_old", "原保管期限", importable=True),  # sealed only where set (catalog.record_digest)
    Column("corrected", "人工更正的著录项"),  # migration 12, JSON list; sealed only where set (record_digest)
    Column("text_sha256", "全文校验值"),  # migration 14; sealed where set (record_digest), kept by texts.seal_text
    Column("filing_state", "归档状态"),  # migration 16: 'collected' (预归档, no 档号 yet) or NULL
    # migration 18 (issue 26): sealed where set (record_digest)
    Column("receipt_kind", "阅办类型"),  # 阅件 / 办件, from the 收文处理单 or a clerk (review set-receipt)
    Column("copy_no", "份号", importable=True),
    Column("stamp", "印章", importable=True),  # 有 / 无 / 不详
    Column("annotation", "附注", importable=True),  # the 公文's 附注 line; ``note`` is the catalogue's 备注
)

# migration 18: sealed only where a record has them (catalog.record_digest)
ELEMENT_COLUMNS = ("receipt_kind", "copy_no", "stamp", "annotation")

BY_NAME = {c.name: c for c in COLUMNS}
LABELS = {c.name: c.label for c in COLUMNS}
# docs/domain.md (the record as printed): the keys every record prints with --json, in this order.
RECORD_KEYS = tuple(c.name for c in COLUMNS if c.json)
# Columns sealed by the event log: a change to any of them that no event records is tampering (verify).
# Not sealed: program bookkeeping (indexed, updated_at) and derived text.
SEALED_COLUMNS = tuple(c.name for c in sorted((c for c in COLUMNS if c.seal is not None), key=lambda c: c.seal))
# what an import may set; everything else is the program's own bookkeeping
IMPORTABLE = tuple(c.name for c in COLUMNS if c.importable)
# the columns a classification decides (review: confirm, reclassify)
CLASSIFICATION = tuple(c.name for c in COLUMNS if c.classification)


# ---- a 发文字号 as the columns that hold it -------------------------------------------------------------------
DOC_NUMBER_COLUMNS = ("doc_number", "doc_number_raw", "docno_code", "docno_year", "docno_serial", "docno_kind")


def doc_number_columns(dn) -> dict:
    """A 发文字号 (docno.DocNumber, or None) as the record's columns: its canonical spelling, as written, and its
    parts (ingest, import and edit all write it this way)."""
    return dict(zip(DOC_NUMBER_COLUMNS, (dn.canonical, dn.raw, dn.code, dn.year, dn.serial, dn.kind) if dn
                    else (None,) * len(DOC_NUMBER_COLUMNS)))
