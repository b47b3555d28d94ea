/*
 * fuzz_config.c: libFuzzer harness for rexiand's settings (src/daemon/config.c): the INI
 * reader, which is static there, reached through the public rxd_config_load as rexiand
 * reaches it: the input is written to a file and passed as --config FILE.
 *
 * Comment lines of the form "#!flag ARG" (ignored by the INI reader) are also handed over
 * as command-line arguments, so the flag parser and "flags win" run on the same input.
 *
 * Invariants, whatever the file holds:
 *   - an error comes with a non-empty one-line reason; a success leaves 1 to 16 listen
 *     addresses and at most 32 alert rules, every text setting terminated inside its
 *     array, a flush period of at least 10 ms and a known log level
 *   - what the daemon does next with a loaded config does not crash: the alert rules are
 *     parsed and an engine is made from the engine settings (the shift list)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_common.h"
#include "rexian/alert.h"
#include "rexian/engine.h"

#define MAX_ARGS 16

static char path[64];
/* The previous input's arguments stay alive until the next call: glibc's getopt keeps a
 * pointer into the last argument between calls (the daemon calls it once). */
static char *prev_args;

static void remove_file(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	/* tmpfs if there is one: rewriting a file on ext4 waits for the disk at each close */
	snprintf(path, sizeof path, "%s/rexian-fuzz-config.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	atexit(remove_file);
	/* --help and --version (or any abbreviation of them) print to stdout */
	CHECK(freopen("/dev/null", "w", stdout) != NULL);
	return 0;
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

#define TERMINATED(field) CHECK(terminated(cfg.field, sizeof cfg.field))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rxd_config cfg;
	char *argv[MAX_ARGS + 4], err[256];
	char *args = malloc(size + 1);
	int argc = 0;
	FILE *f;
	enum rxd_config_result rc;

	CHECK(args != NULL);
	f = fopen(path, "w");
	CHECK(f != NULL);
	CHECK(fwrite(data, 1, size, f) == size);
	CHECK(fclose(f) == 0);

	/* "#!flag ARG" lines become arguments, before --config FILE */
	memcpy(args, data, size);
	args[size] = '\0';
	argv[argc++] = "rexiand";
	for (char *line = args; line != NULL && argc < MAX_ARGS;) {
		char *next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strncmp(line, "#!flag ", 7) == 0)
			argv[argc++] = line + 7;
		line = next;
	}
	argv[argc++] = "--config";
	argv[argc++] = path;
	argv[argc] = NULL;

	memset(err, 0, sizeof err);
	rc = rxd_config_load(&cfg, argc, argv, err, sizeof err);
	free(prev_args);
	prev_args = args;
	CHECK(rc == RXD_CONFIG_RUN || rc == RXD_CONFIG_EXIT_OK || rc == RXD_CONFIG_ERROR);
	if (rc == RXD_CONFIG_ERROR) {
		CHECK(err[0] != '\0' && terminated(err, sizeof err));
		CHECK(strchr(err, '\n') == NULL || strchr(err, '\n') > err + strlen(err) - 1);
		return 0;
	}
	if (rc == RXD_CONFIG_EXIT_OK)
		return 0;

	CHECK(cfg.nlisten >= 1 && cfg.nlisten <= RXD_MAX_LISTEN);
	for (int i = 0; i < cfg.nlisten; i++)
		TERMINATED(listen[i]);
	CHECK(cfg.nalerts >= -1 && cfg.nalerts <= RXD_MAX_ALERTS);
	TERMINATED(redis);
	TERMINATED(http);
	TERMINATED(prefix);
	TERMINATED(timezone);
	TERMINATED(wallboard);
	TERMINATED(alert_webhook);
	TERMINATED(engine.shifts);
	CHECK(cfg.flush_ms >= 10);
	CHECK(cfg.log_level >= RX_LOG_DEBUG && cfg.log_level <= RX_LOG_ERROR);
	CHECK(cfg.engine.th.sl_ms >= 0 && cfg.engine.th.long_ms >= 0);
	CHECK(cfg.engine.track.reorder_ms >= 0 && cfg.engine.track.dedup_ms >= 0 &&
	    cfg.engine.track.max_call_age_ms >= 0);

	/* what rexiand does next with them */
	for (int i = 0; i < cfg.nalerts; i++) {
		struct rx_alert_rule rule;
		TERMINATED(alerts[i]);
		(void)rx_alert_parse(cfg.alerts[i], &rule, err, sizeof err);
	}
	rx_engine_free(rx_engine_new(&cfg.engine));
	return 0;
}
