/* Migration planning (models/migrate-diff.c) and the migrate command (models/migrate.c). */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/error.h"
#include "models/ast.h"
#include "models/migrate.h"
#include "models/parser.h"

static struct model_file *parse(const char *text)
{
	struct model_file *mf = NULL;
	struct pd_error e;

	assert_int_equal(model_parse(text, strlen(text), "model.bal", 0, &mf, &e), 0);
	return mf;
}

static void test_placeholder(void **state)
{
	(void)state;
	model_file_free(parse("import ballerina/persist as _;\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placeholder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
