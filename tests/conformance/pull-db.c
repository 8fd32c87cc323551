#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#if ENABLE_POSTGRESQL
#	include <libpq-fe.h>
#endif
#if ENABLE_MYSQL
#	include <mysql.h>
#endif

#include "tests/conformance/pull-db.h"

bool pull_server_get(const char *datastore, struct pull_server *ret)
{
	const char *prefix;
	char name[64];

	if (strcmp(datastore, "postgresql") == 0 && ENABLE_POSTGRESQL)
		prefix = "PERSISTD_TEST_PG_";
	else if (strcmp(datastore, "mysql") == 0 && ENABLE_MYSQL)
		prefix = "PERSISTD_TEST_MYSQL_";
	else
		return false;
	*ret = (struct pull_server){ .datastore = datastore };
#define ENV(field, key)                                                  \
	do {                                                             \
		(void)snprintf(name, sizeof(name), "%s%s", prefix, key); \
		ret->field = getenv(name);                               \
	} while (0)
	ENV(host, "HOST");
	ENV(port, "PORT");
	ENV(user, "USER");
	ENV(password, "PASSWORD");
#undef ENV
	if (!ret->host || !ret->port || !ret->user)
		return false;
	if (!ret->password)
		ret->password = "";
	(void)snprintf(ret->database, sizeof(ret->database), "pull_%ld", (long)getpid());
	return true;
}

/* The statements of a script as upstream's harness splits them (new array of new strings,
 * blank statements left out). */
static char **split_script(const char *script, size_t *ret_n)
{
	size_t len = strlen(script), k = 0, n = 0, cap = 16;
	char *joined = malloc(len + 1), **v = malloc(cap * sizeof(char *));
	const char *p = script;
	unsigned line = 0;

	if (!joined || !v)
		abort();
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (++line > 15) {
			memcpy(joined + k, p, l);
			k += l;
			if (k > 0 && joined[k - 1] == '\r')
				k--;
		}
		p += l + (nl ? 1 : 0);
	}
	joined[k] = '\0';
	for (char *s = joined;;) {
		char *semi = strchr(s, ';');
		if (semi)
			*semi = '\0';
		while (isspace((unsigned char)*s))
			s++;
		if (*s) {
			if (n + 1 >= cap) {
				cap *= 2;
				v = realloc(v, cap * sizeof(char *));
				if (!v)
					abort();
			}
			v[n++] = strdup(s);
		}
		if (!semi)
			break;
		s = semi + 1;
	}
	free(joined);
	*ret_n = n;
	return v;
}

static void free_statements(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

#if ENABLE_MYSQL
/* "DROP DATABASE IF EXISTS persist" → the same for db; NULL when s names no database. */
static char *mysql_retarget(const char *s, const char *db)
{
	static const char *const prefixes[] = { "DROP DATABASE IF EXISTS ", "DROP DATABASE ",
						"CREATE DATABASE ", "USE " };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t l = strlen(prefixes[i]);
		if (strncasecmp(s, prefixes[i], l) == 0) {
			char *out = malloc(l + strlen(db) + 1);
			if (!out)
				abort();
			memcpy(out, s, l);
			memcpy(out + l, db, strlen(db) + 1);
			return out;
		}
	}
	return NULL;
}

static int load_mysql(const struct pull_server *s, char **stmts, size_t n, char *why, size_t size)
{
	MYSQL *my = mysql_init(NULL);
	char q[256];
	int r = 0;

	if (!my || !mysql_real_connect(my, s->host, s->user, s->password, NULL,
				       (unsigned)strtoul(s->port, NULL, 10), NULL, 0)) {
		snprintf(why, size, "cannot connect to MariaDB: %s", my ? mysql_error(my) : "");
		if (my)
			mysql_close(my);
		return -1;
	}
	/* a case that never creates its database finds none */
	snprintf(q, sizeof(q), "DROP DATABASE IF EXISTS %s", s->database);
	(void)mysql_query(my, q);
	for (size_t i = 0; i < n && r == 0; i++) {
		char *re = mysql_retarget(stmts[i], s->database);
		const char *sql = re ? re : stmts[i];
		if (mysql_query(my, sql) != 0) {
			snprintf(why, size, "script.sql: %s: %s", mysql_error(my), sql);
			r = -1;
		}
		free(re);
	}
	mysql_close(my);
	return r;
}
#endif

#if ENABLE_POSTGRESQL
static PGconn *pg_connect_db(const struct pull_server *s, const char *db)
{
	const char *const keys[] = {
		"host", "port", "user", "password", "dbname", "options", NULL
	};
	const char *const values[] = {
		s->host, s->port, s->user, s->password, db, "-c client_min_messages=warning", NULL,
	};

	return PQconnectdbParams(keys, values, 0);
}

static int pg_exec(PGconn *pg, const char *sql, char *why, size_t size)
{
	PGresult *res = PQexec(pg, sql);
	int r = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(why, size, "%s: %s", PQerrorMessage(pg), sql);
		r = -1;
	}
	PQclear(res);
	return r;
}

static int load_pg(const struct pull_server *s, char **stmts, size_t n, char *why, size_t size)
{
	PGconn *pg = pg_connect_db(s, "postgres");
	char q[256];
	int r;

	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(why, size, "cannot connect to PostgreSQL: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return -1;
	}
	snprintf(q, sizeof(q), "DROP DATABASE IF EXISTS %s WITH (FORCE)", s->database);
	r = pg_exec(pg, q, why, size);
	snprintf(q, sizeof(q), "CREATE DATABASE %s", s->database);
	if (r == 0)
		r = pg_exec(pg, q, why, size);
	PQfinish(pg);
	if (r < 0)
		return r;
	pg = pg_connect_db(s, s->database);
	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(why, size, "cannot connect to PostgreSQL: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return -1;
	}
	for (size_t i = 0; i < n && r == 0; i++)
		r = pg_exec(pg, stmts[i], why, size);
	PQfinish(pg);
	return r;
}
#endif

int pull_server_load(const struct pull_server *s, const char *script, char *why, size_t size)
{
	size_t n;
	char **stmts = split_script(script, &n);
	int r = -1;

	snprintf(why, size, "no client for %s in this build", s->datastore);
#if ENABLE_MYSQL
	if (strcmp(s->datastore, "mysql") == 0)
		r = load_mysql(s, stmts, n, why, size);
#endif
#if ENABLE_POSTGRESQL
	if (strcmp(s->datastore, "postgresql") == 0)
		r = load_pg(s, stmts, n, why, size);
#endif
	free_statements(stmts, n);
	return r;
}

void pull_server_cleanup(const struct pull_server *s)
{
	char q[256];

#if ENABLE_MYSQL
	if (strcmp(s->datastore, "mysql") == 0) {
		MYSQL *my = mysql_init(NULL);
		if (my && mysql_real_connect(my, s->host, s->user, s->password, NULL,
					     (unsigned)strtoul(s->port, NULL, 10), NULL, 0)) {
			snprintf(q, sizeof(q), "DROP DATABASE IF EXISTS %s", s->database);
			(void)mysql_query(my, q);
		}
		if (my)
			mysql_close(my);
	}
#endif
#if ENABLE_POSTGRESQL
	if (strcmp(s->datastore, "postgresql") == 0) {
		PGconn *pg = pg_connect_db(s, "postgres");
		if (PQstatus(pg) == CONNECTION_OK) {
			snprintf(q, sizeof(q), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
				 s->database);
			PQclear(PQexec(pg, q));
		}
		PQfinish(pg);
	}
#endif
	(void)q;
}
