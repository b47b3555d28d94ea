/*
 * bare_read.c: the floor of the replay benchmark. It reads a file the way `rexian replay`
 * does (read(2) in large chunks) and finds the line ends, and does nothing else, so no
 * parser can beat it: bench/replay_bench.sh reports every tool as a fraction of it.
 *
 * usage: bare_read FILE   prints the number of lines
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BARE_CHUNK (1 << 20)

int
main(int argc, char **argv)
{
	static char buf[BARE_CHUNK];
	uint64_t lines = 0;
	ssize_t n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: bare_read FILE\n");
		return 2;
	}
	fd = strcmp(argv[1], "-") == 0 ? STDIN_FILENO : open(argv[1], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "bare_read: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
		const char *p = buf, *end = buf + (n > 0 ? n : 0);

		while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			lines++;
			p++;
		}
	}
	if (n < 0) {
		fprintf(stderr, "bare_read: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("%llu\n", (unsigned long long)lines);
	return 0;
}
