/* io_remove_tree: a directory goes with everything below it; a link inside goes, never what it
 * names. */
#include "cmocka_all.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/io.h"

static void
touch(const char *dir, const char *name)
{
	char p[256];
	int fd;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
}

static void
a_tree_goes_and_what_a_link_in_it_names_stays(void **state)
{
	char tree[] = "/tmp/slate-io-tree-XXXXXX", outside[] = "/tmp/slate-io-outside-XXXXXX";
	char p[256], q[256];
	struct stat st;
	(void)state;
	assert_non_null(mkdtemp(tree));
	assert_non_null(mkdtemp(outside));
	touch(outside, "kept");
	touch(tree, "a");
	snprintf(p, sizeof(p), "%s/sub", tree);
	assert_int_equal(mkdir(p, 0700), 0);
	touch(p, "b");
	snprintf(p, sizeof(p), "%s/sub/deeper", tree);
	assert_int_equal(mkdir(p, 0700), 0);
	touch(p, "c");
	snprintf(p, sizeof(p), "%s/sub/link", tree);
	assert_int_equal(symlink(outside, p), 0);

	assert_int_equal(io_remove_tree(tree), 0);
	assert_int_equal(lstat(tree, &st), -1);
	snprintf(q, sizeof(q), "%s/kept", outside);
	assert_int_equal(stat(q, &st), 0); /* the link went, not the files it pointed at */

	/* a lone file is removed too; a path that is not there is an error */
	assert_int_equal(io_remove_tree(q), 0);
	assert_int_equal(stat(q, &st), -1);
	assert_int_equal(io_remove_tree(q), -1);
	assert_int_equal(io_remove_tree(outside), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_tree_goes_and_what_a_link_in_it_names_stays),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
