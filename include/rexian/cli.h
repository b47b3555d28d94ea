/*
 * cli.h: the subcommands of the `rexian` program. Each takes the arguments after its own
 * name (argv[0] is the subcommand name) and returns the process exit status.
 */
#ifndef REXIAN_CLI_H
#define REXIAN_CLI_H

int rx_cmd_replay(int argc, char **argv);
int rx_cmd_sim(int argc, char **argv);
int rx_cmd_staff(int argc, char **argv);

#endif
