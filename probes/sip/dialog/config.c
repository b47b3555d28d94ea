/*
 * Probe configuration file (see config.h): a small INI reader and the pattern lookups.
 */
#include "dialog/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RX_CFG_MAX_FILE (1024 * 1024)

static char *
rx_cfg_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
rx_cfg_is_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int
rx_cfg_add_rule(struct rx_probe_rule **rules, size_t *n, const char *name, const char *pat, int seats)
{
	struct rx_probe_rule *r = realloc(*rules, (*n + 1) * sizeof(**rules));

	if (r == NULL)
		return -1;
	*rules = r;
	r += *n;
	r->name = strdup(name);
	r->pattern = strdup(pat);
	if (r->name == NULL || r->pattern == NULL) {
		free(r->name);
		free(r->pattern);
		return -1;
	}
	/* Seats are named by user part or address; only queues match whole Request-URIs. */
	if (seats)
		r->kind = rx_cfg_is_ip(pat) ? RX_RULE_IP : RX_RULE_USER;
	else
		r->kind = strchr(pat, ':') != NULL ? RX_RULE_URI : RX_RULE_USER;
	(*n)++;
	return 0;
}

static int
rx_cfg_rules(struct rx_probe_config *c, int seats, const char *name, char *value)
{
	char *save = NULL;

	for (char *tok = strtok_r(value, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		tok = rx_cfg_trim(tok);
		if (*tok == '\0')
			continue;
		if (seats ? rx_cfg_add_rule(&c->seats, &c->nseats, name, tok, 1) :
		    rx_cfg_add_rule(&c->queues, &c->nqueues, name, tok, 0))
			return -1;
	}
	return 0;
}

static int
rx_cfg_yes(const char *v)
{
	return strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

/* One "key = value" in [probe]; returns a reason on error. */
static const char *
rx_cfg_probe_key(struct rx_probe_config *c, const char *key, const char *value)
{
	char **dst = NULL;

	if (strcmp(key, "platform") == 0)
		dst = &c->platform;
	else if (strcmp(key, "correlate-header") == 0)
		dst = &c->corr_header;
	else if (strcmp(key, "b2bua") == 0)
		c->b2bua = rx_cfg_yes(value);
	else
		return "unknown key in [probe]";
	if (dst != NULL) {
		free(*dst);
		if ((*dst = strdup(value)) == NULL)
			return "out of memory";
	}
	return NULL;
}

/* Cut a trailing comment: '#' or ';' after whitespace (a ';' inside a URI has none before it). */
static void
rx_cfg_strip_comment(char *line)
{
	for (char *p = line; *p != '\0'; p++) {
		if ((*p == '#' || *p == ';') && (p == line || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

static const char *
rx_cfg_line(struct rx_probe_config *c, char *line, int *section)
{
	char *eq, *key, *value;

	rx_cfg_strip_comment(line);
	line = rx_cfg_trim(line);
	if (*line == '\0')
		return NULL;
	if (*line == '[') {
		if (strcmp(line, "[probe]") == 0)
			*section = 1;
		else if (strcmp(line, "[queues]") == 0)
			*section = 2;
		else if (strcmp(line, "[seats]") == 0)
			*section = 3;
		else
			return "unknown section (want [probe], [queues] or [seats])";
		return NULL;
	}
	if ((eq = strchr(line, '=')) == NULL)
		return "expected key = value";
	*eq = '\0';
	key = rx_cfg_trim(line);
	value = rx_cfg_trim(eq + 1);
	if (*key == '\0' || *value == '\0')
		return "empty key or value";
	switch (*section) {
	case 1:
		return rx_cfg_probe_key(c, key, value);
	case 2:
	case 3:
		return rx_cfg_rules(c, *section == 3, key, value) ? "out of memory" : NULL;
	default:
		return "key before any section";
	}
}

int
rx_probe_config_parse(struct rx_probe_config *c, const char *text, const char *origin, char *err,
    size_t errlen)
{
	char *copy = strdup(text), *save = NULL, *line;
	int section = 0, lineno = 0, rc = 0;

	memset(c, 0, sizeof(*c));
	if (copy == NULL) {
		snprintf(err, errlen, "%s: out of memory", origin);
		return -1;
	}
	/* strtok_r would merge empty lines and shift line numbers: split by hand. */
	for (line = copy; line != NULL; line = save) {
		const char *why;

		save = strchr(line, '\n');
		if (save != NULL)
			*save++ = '\0';
		lineno++;
		if ((why = rx_cfg_line(c, line, &section)) != NULL) {
			snprintf(err, errlen, "%s:%d: %s", origin, lineno, why);
			rc = -1;
			break;
		}
	}
	free(copy);
	if (rc != 0)
		rx_probe_config_free(c);
	return rc;
}

int
rx_probe_config_load(struct rx_probe_config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t n;
	int rc;

	memset(c, 0, sizeof(*c));
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	text = malloc(RX_CFG_MAX_FILE + 1);
	n = text ? fread(text, 1, RX_CFG_MAX_FILE + 1, f) : 0;
	fclose(f);
	if (text == NULL || n > RX_CFG_MAX_FILE) {
		snprintf(err, errlen, "%s: too large or out of memory", path);
		free(text);
		return -1;
	}
	text[n] = '\0';
	rc = rx_probe_config_parse(c, text, path, err, errlen);
	free(text);
	return rc;
}

static void
rx_cfg_free_rules(struct rx_probe_rule *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].name);
		free(r[i].pattern);
	}
	free(r);
}

void
rx_probe_config_free(struct rx_probe_config *c)
{
	free(c->platform);
	free(c->corr_header);
	rx_cfg_free_rules(c->queues, c->nqueues);
	rx_cfg_free_rules(c->seats, c->nseats);
	memset(c, 0, sizeof(*c));
}

/* fnmatch wants C strings; views are short (user parts, URIs), so copy into a bounded buffer. */
static int
rx_cfg_match(const char *pattern, struct rx_sip_str s)
{
	char buf[512];

	if (s.n == 0 || s.n >= sizeof(buf))
		return 0;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	return fnmatch(pattern, buf, FNM_CASEFOLD) == 0;
}

const char *
rx_probe_config_queue(const struct rx_probe_config *c, struct rx_sip_str ruri, struct rx_sip_str ruri_user,
    struct rx_sip_str to_user)
{
	for (size_t i = 0; i < c->nqueues; i++) {
		const struct rx_probe_rule *r = &c->queues[i];

		if (r->kind == RX_RULE_URI ? rx_cfg_match(r->pattern, ruri) : rx_cfg_match(r->pattern, ruri_user))
			return r->name;
	}
	for (size_t i = 0; i < c->nqueues; i++) {
		if (c->queues[i].kind == RX_RULE_USER && rx_cfg_match(c->queues[i].pattern, to_user))
			return c->queues[i].name;
	}
	return NULL;
}

const char *
rx_probe_config_seat(const struct rx_probe_config *c, struct rx_sip_str contact_user, struct rx_sip_str to_user,
    const char *ip)
{
	struct rx_sip_str ips = { ip, ip ? strlen(ip) : 0 };

	for (size_t i = 0; i < c->nseats; i++) {
		const struct rx_probe_rule *r = &c->seats[i];

		if (r->kind == RX_RULE_USER &&
		    (rx_cfg_match(r->pattern, contact_user) || rx_cfg_match(r->pattern, to_user)))
			return r->name;
		if (r->kind == RX_RULE_IP && rx_cfg_match(r->pattern, ips))
			return r->name;
	}
	return NULL;
}
