"""The query benchmark's outside anchor: the same tenant in DuckDB, the same questions in DuckDB SQL.

Run by `rapport-bench query --duckdb-python PYTHON` (scripts/bench-query sets it up):

    duckdb_anchor.py --database-url URL --schema S --role R --db FILE --runs N QUESTIONS.json

QUESTIONS.json is a list of {"name", "sql"}; `$now` in a question is the benchmark's now. The
tenant's profiles, identities and events are copied from PostgreSQL into the DuckDB file FILE
once (a file already holding them is used as it is: delete it after reloading the tenant).
Each question runs once for its answer, once more to warm up, then N times timed, with 2
threads, as the machine has. Prints one JSON object: {name: {"rows": [[cell, …], …],
"seconds": median}}, each cell a string (numbers in full, instants in ISO 8601 UTC) or null.
"""

import argparse
import datetime
import decimal
import json
import os
import statistics
import sys
import tempfile
import time

import duckdb
import psycopg
from psycopg import sql as pgsql

TABLES = {
    "profiles": ("SELECT id, merged_into, traits::text, created_at FROM profiles",
                 "id BIGINT, merged_into BIGINT, traits JSON, created_at TIMESTAMPTZ"),
    "identities": ("SELECT profile_id, kind, value, source, first_seen, last_seen FROM identities",
                   "profile_id BIGINT, kind VARCHAR, value VARCHAR, source VARCHAR, first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ"),
    "events": ("SELECT message_id, profile_id, type, name, ts, source, props::text, context::text FROM events",
               "message_id VARCHAR, profile_id BIGINT, type VARCHAR, name VARCHAR, ts TIMESTAMPTZ, "
               "source VARCHAR, props JSON, context JSON"),
}


# A property read as jsonb is read by Rapport: a number or a string of the right JSON type, else null.
MACROS = [
    """CREATE OR REPLACE TEMP MACRO jnum(j, k) AS
         CASE WHEN json_type(j, '$."' || k || '"') IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'HUGEINT')
              THEN CAST(json_extract_string(j, '$."' || k || '"') AS DECIMAL(18, 6)) END""",
    """CREATE OR REPLACE TEMP MACRO jstr(j, k) AS
         CASE WHEN json_type(j, '$."' || k || '"') = 'VARCHAR' THEN json_extract_string(j, '$."' || k || '"') END""",
]


def say(text):
    print(text, file=sys.stderr, flush=True)


def load(args):
    """Copies the tenant's tables into a new DuckDB file, through CSV files beside it."""
    partial = args.db + ".loading"
    if os.path.exists(partial):
        os.remove(partial)
    con = duckdb.connect(partial)
    con.execute("SET threads = 2")
    con.execute("SET TimeZone = 'UTC'")
    with psycopg.connect(args.database_url) as pg, tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(args.db))) as work:
        pg.execute(pgsql.SQL("SET ROLE {}").format(pgsql.Identifier(args.role)))
        pg.execute(pgsql.SQL("SET search_path = {}").format(pgsql.Identifier(args.schema)))
        pg.execute("SET TimeZone = 'UTC'")
        for table, (select, columns) in TABLES.items():
            started = time.monotonic()
            path = os.path.join(work, table + ".csv")
            with open(path, "wb") as out, pg.cursor().copy("COPY (%s) TO STDOUT (FORMAT csv)" % select) as copy:
                for chunk in copy:
                    out.write(chunk)
            names = [c.split(" ")[0] for c in columns.split(", ")]
            types = {c.split(" ")[0]: c.split(" ", 1)[1] for c in columns.split(", ")}
            con.execute("CREATE TABLE %s AS SELECT * FROM read_csv(?, header = false, columns = %s, quote = '\"', escape = '\"')"
                        % (table, "{" + ", ".join("'%s': '%s'" % (n, types[n]) for n in names) + "}"), [path])
            count = con.execute("SELECT count(*) FROM %s" % table).fetchone()[0]
            say("duckdb: %s, %d rows copied in %.0f s" % (table, count, time.monotonic() - started))
    con.close()
    os.replace(partial, args.db)


def cell(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, decimal.Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc).isoformat()
    if isinstance(value, datetime.timedelta):
        return str(decimal.Decimal(value.days * 86400 + value.seconds) + decimal.Decimal(value.microseconds) / 1000000)
    return str(value)


def run(args):
    if not os.path.exists(args.db):
        load(args)
    questions = json.load(open(args.questions))
    con = duckdb.connect(args.db)
    con.execute("SET threads = 2")
    con.execute("SET TimeZone = 'UTC'")
    for macro in MACROS:
        con.execute(macro)
    answers = {}
    for question in questions:
        sql = question["sql"].replace("$now", "TIMESTAMPTZ '%s'" % args.now)
        rows = [[cell(v) for v in row] for row in con.execute(sql).fetchall()]
        times = []
        for round in range(args.runs + 1):
            started = time.perf_counter()
            con.execute(sql).fetchall()
            if round > 0:
                times.append(time.perf_counter() - started)
        answers[question["name"]] = {"rows": rows, "seconds": statistics.median(times)}
        say("duckdb: %s %.0f ms" % (question["name"], statistics.median(times) * 1000))
    print(json.dumps(answers))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--role", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--now", required=True)
    parser.add_argument("questions")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
