"""Workloads the bench scripts share: one definition each, so that their
tables measure the same thing."""


def write_sqlite_script(path):
    """The sqlite3 shell's script: a table, 20,000 inserts of random text
    and blobs, an index, a sum and a sort."""
    with open(path, "w") as f:
        f.write("create table t(a integer primary key, b text, c blob);\n")
        for i in range(20000):
            f.write(f"insert into t(b, c) values('row {i} ' || hex(randomblob(20)), randomblob({i % 300}));\n")
        f.write("create index ti on t(b); select count(*), sum(length(c)) from t; select b from t order by b limit 5;\n")
