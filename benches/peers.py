"""What users would pick instead of `ostmig snapshot`, on the same tables (benches/run).

    python benches/peers.py duckdb_mysql|dlt PORT DATABASE OUT.duckdb

duckdb_mysql: DuckDB's own MySQL extension (the pip-packaged build matching the duckdb wheel):
ATTACH the source read-only and CREATE TABLE AS SELECT * for every osTicket table.
dlt: dlt's sql_database source into a DuckDB destination, configured the way that copies an
osTicket database at all: its faster pyarrow backend stops at MySQL's zero dates
('0000-00-00 00:00:00' in email_account.updated, user_account.registered), and full type
reflection fails the same way, so the default sqlalchemy backend with minimal reflection
(DLT_BACKEND / DLT_REFLECTION override them).
Prints the rows copied. Credentials are the local test server's (not secrets).
"""

import os
import sys
import time


def tables(cur):
    cur.execute(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
        " AND TABLE_NAME LIKE 'ost\\_%%' AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"
    )
    return [r[0] for r in cur.fetchall()]


def source_tables(port, database):
    import pymysql

    conn = pymysql.connect(host="127.0.0.1", port=port, user="ostmig_ro", password="ro-pass", database=database)
    with conn.cursor() as cur:
        names = tables(cur)
    conn.close()
    return names


def duckdb_mysql(port, database, out):
    import duckdb
    import duckdb_extension_mysql_scanner as ext

    path = os.path.join(os.path.dirname(ext.__file__), "extensions", "v" + duckdb.__version__, "mysql_scanner.duckdb_extension")
    con = duckdb.connect(out)
    con.execute(f"LOAD '{path}'")
    con.execute(
        f"ATTACH 'host=127.0.0.1 port={port} user=ostmig_ro password=ro-pass database={database}' AS src (TYPE mysql, READ_ONLY)"
    )
    rows = 0
    for t in source_tables(port, database):
        con.execute(f'CREATE TABLE "{t}" AS SELECT * FROM src."{t}"')
        rows += con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
    con.close()
    return rows


def dlt_copy(port, database, out):
    import dlt
    from dlt.sources.sql_database import sql_database

    names = source_tables(port, database)
    source = sql_database(
        credentials=f"mysql+pymysql://ostmig_ro:ro-pass@127.0.0.1:{port}/{database}",
        table_names=names,
        backend=os.environ.get("DLT_BACKEND", "sqlalchemy"),
        reflection_level=os.environ.get("DLT_REFLECTION", "minimal"),
        chunk_size=50_000,
    )
    pipeline = dlt.pipeline(
        pipeline_name="ostmig_bench",
        destination=dlt.destinations.duckdb(out),
        dataset_name="raw",
        pipelines_dir=os.path.dirname(out) + "/dlt",
    )
    info = pipeline.run(source, write_disposition="replace")
    info.raise_on_failed_jobs()
    import duckdb

    con = duckdb.connect(out, read_only=True)
    rows = sum(con.execute(f'SELECT count(*) FROM raw."{t}"').fetchone()[0] for t in names)
    con.close()
    return rows


if __name__ == "__main__":
    tool, port, database, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    started = time.time()
    rows = {"duckdb_mysql": duckdb_mysql, "dlt": dlt_copy}[tool](port, database, out)
    print(rows)
