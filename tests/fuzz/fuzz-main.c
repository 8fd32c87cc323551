/* Replay a fuzz corpus: each file of $top_srcdir/tests/fuzz/corpus/<FUZZ_TARGET>/ (or the
 * files and directories given as arguments) goes through the target once. A crash or a
 * sanitizer report fails the test. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data;
	long size;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -EIO;
	}
	data = malloc((size_t)size + 1);
	if (!data) {
		fclose(f);
		return -ENOMEM;
	}
	if (size > 0 && fread(data, 1, (size_t)size, f) != (size_t)size) {
		free(data);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, (size_t)size);
	free(data);
	return 0;
}

static int replay(const char *path, unsigned *count)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char sub[4096];
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (replay(sub, count) < 0) {
			fprintf(stderr, "cannot replay %s\n", sub);
			closedir(d);
			return -EIO;
		}
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	char dir[4096];
	const char *top = getenv("top_srcdir");

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (replay(argv[i], &count) < 0)
				return 99;
	} else {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top ? top : ".", FUZZ_TARGET);
		if (replay(dir, &count) < 0) {
			fprintf(stderr, "corpus %s not found\n", dir);
			return 99;
		}
	}
	printf("%s: %u inputs replayed\n", FUZZ_TARGET, count);
	return count > 0 ? 0 : 77;
}
