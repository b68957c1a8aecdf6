/* Drives the SQLite amalgamation from Debian's static libsqlite3.a. */
#include <sqlite3.h>
#include <stdio.h>

static int rows_seen;

static int print_row(void *label, int ncols, char **values, char **names) {
  rows_seen++;
  printf("[%s]", (const char *)label);
  for (int i = 0; i < ncols; i++)
    printf(" %s=%s", names[i], values[i] ? values[i] : "NULL");
  printf("\n");
  return 0;
}

static int run(sqlite3 *db, const char *label, const char *sql) {
  char *err = NULL;
  int rc = sqlite3_exec(db, sql, print_row, (void *)label, &err);
  if (rc != SQLITE_OK) {
    printf("[%s] error %d: %s\n", label, rc, err ? err : "?");
    sqlite3_free(err);
    return 1;
  }
  return 0;
}

int main(void) {
  sqlite3 *db;
  int failures = 0;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
    printf("cannot open database\n");
    return 1;
  }
  failures += run(db, "setup",
                  "CREATE TABLE fruit(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                  " price REAL, qty INTEGER);"
                  "CREATE TABLE sale(fruit_id INTEGER REFERENCES fruit(id), n INTEGER);"
                  "INSERT INTO fruit(name, price, qty) VALUES"
                  " ('apple', 0.5, 10), ('banana', 0.25, 24), ('cherry', 3.0, 2),"
                  " ('date', 1.75, 0), ('elderberry', 4.5, 7);"
                  "INSERT INTO sale VALUES (1, 3), (2, 5), (1, 4), (3, 1), (5, 2), (2, 1);");
  failures += run(db, "select", "SELECT id, name, price, qty FROM fruit ORDER BY id;");
  failures += run(db, "aggregate",
                  "SELECT count(*) AS n, sum(qty) AS total_qty, printf('%.3f', avg(price)) AS avg_price,"
                  " min(name) AS first, max(price) AS top FROM fruit;");
  failures += run(db, "join",
                  "SELECT f.name, sum(s.n) AS sold, printf('%.2f', sum(s.n) * f.price) AS revenue"
                  " FROM fruit f JOIN sale s ON s.fruit_id = f.id"
                  " GROUP BY f.id HAVING sold > 1 ORDER BY revenue DESC;");
  failures += run(db, "cte",
                  "WITH RECURSIVE fib(i, a, b) AS (SELECT 1, 0, 1 UNION ALL"
                  " SELECT i + 1, b, a + b FROM fib WHERE i < 15)"
                  " SELECT group_concat(a, ',') AS fib FROM fib;");
  failures += run(db, "cte2",
                  "WITH RECURSIVE cnt(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM cnt WHERE x < 100)"
                  " SELECT sum(x) AS s, sum(x * x) AS s2, total(x) / count(*) AS mean FROM cnt;");
  failures += run(db, "json",
                  "SELECT json_object('name', name, 'qty', qty) AS obj FROM fruit WHERE qty > 5 ORDER BY id;");
  failures += run(db, "json_group",
                  "SELECT json_group_array(name) AS names FROM (SELECT name FROM fruit ORDER BY price);");
  failures += run(db, "json_extract",
                  "SELECT json_extract('{\"a\":{\"b\":[10,20,30]},\"c\":\"text\"}', '$.a.b[1]') AS b1,"
                  " json_extract('{\"a\":{\"b\":[10,20,30]},\"c\":\"text\"}', '$.c') AS c,"
                  " json_array_length('[1,2,3,4]') AS len;");
  failures += run(db, "printf",
                  "SELECT printf('%-8s|%5.1f|%05d|%x', name, price, qty, id * 255) AS line"
                  " FROM fruit ORDER BY name DESC LIMIT 3;");
  failures += run(db, "strings",
                  "SELECT upper(name) AS up, length(name) AS len, substr(name, 2, 3) AS mid,"
                  " replace(name, 'e', '3') AS rep, hex(name) AS hx FROM fruit WHERE id <= 2;");
  failures += run(db, "window",
                  "SELECT name, qty, sum(qty) OVER (ORDER BY id) AS running FROM fruit;");
  failures += run(db, "error", "SELECT * FROM no_such_table;") ? 0 : 1;

  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, "SELECT name, qty * ? FROM fruit WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
    for (int id = 1; id <= 3; id++) {
      sqlite3_bind_int(st, 1, 3);
      sqlite3_bind_int(st, 2, id);
      if (sqlite3_step(st) == SQLITE_ROW)
        printf("[stmt] %s %d\n", sqlite3_column_text(st, 0), sqlite3_column_int(st, 1));
      sqlite3_reset(st);
    }
    sqlite3_finalize(st);
  } else {
    failures++;
  }
  printf("changes=%d total_changes=%d rows_seen=%d failures=%d\n", sqlite3_changes(db),
         sqlite3_total_changes(db), rows_seen, failures);
  sqlite3_close(db);
  return failures ? 100 + failures : rows_seen;
}
