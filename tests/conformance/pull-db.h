/* Test databases for the upstream `pull` cases (tests/conformance/run-persist-tools.c): a
 * case's script.sql loaded into a fresh database on the servers tests/servers.sh started. */
#ifndef TESTS_CONFORMANCE_PULL_DB_H
#define TESTS_CONFORMANCE_PULL_DB_H

#include <stdbool.h>
#include <stddef.h>

struct pull_server {
	const char *datastore; /* "mysql" or "postgresql" */
	const char *host, *port, *user, *password;
	char database[64]; /* the fresh database every case of this run uses */
};

/* The server of datastore from PERSISTD_TEST_PG_* / PERSISTD_TEST_MYSQL_*; false when it is
 * not configured (or this build has no client for it). */
bool pull_server_get(const char *datastore, struct pull_server *ret);

/* Run script (a case's script.sql) as upstream's harness does: the first 15 lines skipped,
 * the rest joined without line separators, split on ';'. MySQL scripts name their database
 * `persist`: the statements that drop, create or use it act on s->database instead.
 * PostgreSQL: s->database is dropped, created and the script runs in it. On failure why
 * says what went wrong. */
int pull_server_load(const struct pull_server *s, const char *script, char *why, size_t size);

/* Drop s->database. */
void pull_server_cleanup(const struct pull_server *s);

#endif
