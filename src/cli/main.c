/*
 * main.c: `rexian`, the command-line tool: dispatches to its subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "rexian/cli.h"

#ifndef REXIAN_VERSION
#define REXIAN_VERSION "0.1.0"
#endif

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "replay", rx_cmd_replay, "compute the metrics of NDJSON feed files" },
	{ "sim", rx_cmd_sim, "generate a realistic hotline feed" },
	{ "staff", rx_cmd_staff, "size seats with Erlang C and Erlang A" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: rexian COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\n`rexian COMMAND --help` describes a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("rexian %s\n", REXIAN_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "rexian: unknown command '%s' (try rexian --help)\n", argv[1]);
	return 2;
}
