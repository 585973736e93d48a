# SQLite from several threads at once, for tools/real_programs.py: each thread has its own
# connection to one WAL database file, and inserts and selects with a busy timeout. Python's
# sqlite3 module releases the GIL around every SQLite call, so the threads really run inside
# libsqlite3 together: its per-connection mutexes, its global ones (memory, page cache, open
# files) and the unix VFS's inode lock are pthread mutexes taken from several threads. The output
# (row counts, sums, the integrity check) does not depend on scheduling.
"""sqlite_threads.py DATABASE ROWS_PER_THREAD: a multithreaded SQLite workload; prints its totals."""

import sqlite3
import sys
import threading

THREADS = 4
BATCH = 50


def worker(path, index, rows, errors):
    try:
        connection = sqlite3.connect(path, timeout=60, isolation_level=None)
        connection.execute("PRAGMA busy_timeout = 60000")
        for start in range(0, rows, BATCH):
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(
                "INSERT INTO items (thread, n, payload) VALUES (?, ?, ?)",
                [(index, n, f"{index}:{n}:" + "x" * (n % 97)) for n in range(start, min(rows, start + BATCH))])
            connection.execute("COMMIT")
            # A read of this thread's rows so far: a snapshot under WAL, while others write.
            count, = connection.execute("SELECT count(*) FROM items WHERE thread = ?", (index,)).fetchone()
            if count != min(rows, start + BATCH):
                raise RuntimeError(f"thread {index} sees {count} of its rows, expected {min(rows, start + BATCH)}")
            connection.execute("SELECT sum(length(payload)) FROM items WHERE n % 17 = ?", (start % 17,)).fetchone()
        connection.close()
    except Exception as error:  # reported by main, so the exit status says it
        errors.append(f"thread {index}: {error!r}")


def main():
    path, rows = sys.argv[1], int(sys.argv[2])
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode = WAL")
    setup.execute("DROP TABLE IF EXISTS items")
    setup.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, thread INTEGER, n INTEGER, payload TEXT)")
    setup.execute("CREATE INDEX items_by_thread ON items (thread, n)")
    errors = []
    threads = [threading.Thread(target=worker, args=(path, i, rows, errors)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for line in errors:
        print(line, file=sys.stderr)
    total, = setup.execute("SELECT count(*) FROM items").fetchone()
    per_thread = setup.execute("SELECT thread, count(*), sum(n), sum(length(payload)) FROM items "
                               "GROUP BY thread ORDER BY thread").fetchall()
    integrity, = setup.execute("PRAGMA integrity_check").fetchone()
    setup.close()
    print(f"sqlite {sqlite3.sqlite_version}: {THREADS} threads, {total} rows, integrity {integrity}")
    for thread, count, n_sum, length_sum in per_thread:
        print(f"thread {thread}: {count} rows, sum(n) {n_sum}, payload bytes {length_sum}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
