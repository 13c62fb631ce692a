import GRDB

/// The checkpoint database's schema, as named migrations.
///
/// A migration that has shipped is never edited: a change to the schema is a new migration
/// appended here, so every checkpoint ever written can be opened by every later MailFerry.
enum CheckpointSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-job-folder-message") { db in
            // The job this database belongs to: exactly one row.
            try db.execute(
                sql: """
                    CREATE TABLE job (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        job_id TEXT NOT NULL,
                        source TEXT NOT NULL,
                        destination TEXT NOT NULL,
                        identity TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        created_by TEXT NOT NULL
                    );
                    CREATE TABLE run (
                        id INTEGER PRIMARY KEY,
                        started_at REAL NOT NULL,
                        finished_at REAL,
                        outcome TEXT,
                        copied INTEGER,
                        failed INTEGER,
                        skipped INTEGER,
                        stopped_by TEXT,
                        mailferry_version TEXT NOT NULL
                    );
                    CREATE TABLE folder (
                        id INTEGER PRIMARY KEY,
                        source_path TEXT NOT NULL,
                        destination_path TEXT NOT NULL,
                        source_validity TEXT,
                        destination_validity TEXT,
                        content_token TEXT,
                        flag_token TEXT,
                        last_message_count INTEGER,
                        highest_ordinal INTEGER,
                        updated_at REAL NOT NULL,
                        UNIQUE (source_path, destination_path)
                    );
                    CREATE TABLE message (
                        folder_id INTEGER NOT NULL REFERENCES folder(id) ON DELETE CASCADE,
                        source_key TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('in-flight', 'done', 'failed')),
                        destination_ref TEXT,
                        position TEXT,
                        fingerprint TEXT,
                        message_id TEXT,
                        size INTEGER,
                        internal_date REAL,
                        flags TEXT NOT NULL DEFAULT '',
                        failure TEXT,
                        failure_code TEXT,
                        retry TEXT,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        updated_at REAL NOT NULL,
                        PRIMARY KEY (folder_id, source_key)
                    ) WITHOUT ROWID;
                    CREATE INDEX message_by_state ON message (folder_id, state);
                    """)
        }
        migrator.registerMigration("v2-transfer-budget") { db in
            // Daily transfer budgets in use, per side ("source", "destination"): a restarted run
            // goes on with what is left of the day.
            try db.execute(
                sql: """
                    CREATE TABLE transfer_budget (
                        side TEXT PRIMARY KEY,
                        window_start REAL NOT NULL,
                        bytes INTEGER NOT NULL
                    );
                    """)
        }
        return migrator
    }
}
