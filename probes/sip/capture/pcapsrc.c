/*
 * libpcap capture sources (see pcapsrc.h). Live handles use immediate mode and non-blocking reads so
 * the libevent loop can poll them next to the HEP socket; files are read through pcap_dispatch in
 * batches by the same callback.
 */
#include "capture/pcapsrc.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rx_capture {
	pcap_t *p;
	int link;
	int live;
	int eof;
	char *name;
	rx_capture_frame_cb cb;
	void *arg;
};

static int
rx_capture_setfilter(struct rx_capture *c, const char *filter, char *err, size_t errlen)
{
	struct bpf_program prog;

	if (filter == NULL || *filter == '\0')
		return 0;
	if (pcap_compile(c->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "%s: bad filter '%s': %s", c->name, filter, pcap_geterr(c->p));
		return -1;
	}
	if (pcap_setfilter(c->p, &prog) < 0) {
		snprintf(err, errlen, "%s: cannot set filter: %s", c->name, pcap_geterr(c->p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

static struct rx_capture *
rx_capture_new(pcap_t *p, const char *name, int live)
{
	struct rx_capture *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->name = strdup(name)) == NULL) {
		free(c);
		return NULL;
	}
	c->p = p;
	c->live = live;
	c->link = pcap_datalink(p);
	return c;
}

struct rx_capture *
rx_capture_open_file(const char *path, const char *filter, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_open_offline(path, ebuf);
	struct rx_capture *c;

	if (p == NULL) {
		snprintf(err, errlen, "-r %s: %s", path, ebuf);
		return NULL;
	}
	if ((c = rx_capture_new(p, path, 0)) == NULL) {
		pcap_close(p);
		snprintf(err, errlen, "-r %s: out of memory", path);
		return NULL;
	}
	if (rx_capture_setfilter(c, filter, err, errlen) < 0) {
		rx_capture_close(c);
		return NULL;
	}
	return c;
}

/* Settings that turn a created handle into a non-blocking, low-latency live source. */
static int
rx_capture_activate(pcap_t *p, const char *iface, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int rc;

	pcap_set_snaplen(p, 65535);
	pcap_set_promisc(p, 1);
	pcap_set_timeout(p, 100);
	pcap_set_immediate_mode(p, 1);
	pcap_set_buffer_size(p, 32 * 1024 * 1024);
	if ((rc = pcap_activate(p)) < 0) {
		snprintf(err, errlen, "-i %s: %s", iface, rc == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(rc));
		return -1;
	}
	if (pcap_setnonblock(p, 1, ebuf) < 0) {
		snprintf(err, errlen, "-i %s: %s", iface, ebuf);
		return -1;
	}
	return 0;
}

struct rx_capture *
rx_capture_open_live(const char *iface, const char *filter, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(iface, ebuf);
	struct rx_capture *c;

	if (p == NULL) {
		snprintf(err, errlen, "-i %s: %s", iface, ebuf);
		return NULL;
	}
	if (rx_capture_activate(p, iface, err, errlen) < 0) {
		pcap_close(p);
		return NULL;
	}
	if ((c = rx_capture_new(p, iface, 1)) == NULL) {
		pcap_close(p);
		snprintf(err, errlen, "-i %s: out of memory", iface);
		return NULL;
	}
	if (rx_capture_setfilter(c, filter, err, errlen) < 0) {
		rx_capture_close(c);
		return NULL;
	}
	return c;
}

void
rx_capture_close(struct rx_capture *c)
{
	if (c == NULL)
		return;
	pcap_close(c->p);
	free(c->name);
	free(c);
}

static void
rx_capture_handler(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct rx_capture *c = (struct rx_capture *)user;
	int64_t ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;

	c->cb(c->link, bytes, h->caplen, ts, c->arg);
}

int
rx_capture_dispatch(struct rx_capture *c, int max, rx_capture_frame_cb cb, void *arg, char *err, size_t errlen)
{
	int n;

	c->cb = cb;
	c->arg = arg;
	n = pcap_dispatch(c->p, max, rx_capture_handler, (u_char *)c);
	if (n == PCAP_ERROR) {
		snprintf(err, errlen, "%s: %s", c->name, pcap_geterr(c->p));
		return -1;
	}
	if (n == 0 && !c->live)
		c->eof = 1;
	return n < 0 ? 0 : n;
}

int
rx_capture_eof(const struct rx_capture *c)
{
	return c->eof;
}

int
rx_capture_fd(const struct rx_capture *c)
{
	return c->live ? pcap_get_selectable_fd(c->p) : -1;
}

const char *
rx_capture_name(const struct rx_capture *c)
{
	return c->name;
}

uint64_t
rx_capture_drops(struct rx_capture *c)
{
	struct pcap_stat st;

	if (!c->live || pcap_stats(c->p, &st) < 0)
		return 0;
	return (uint64_t)st.ps_drop + st.ps_ifdrop;
}

int
rx_capture_port_filter(const char *ports, char *buf, size_t n)
{
	char list[512] = "";
	char copy[256], *save = NULL;
	size_t used = 0;

	if (strlen(ports) >= sizeof(copy))
		return -1;
	strcpy(copy, ports);
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long port = strtol(tok, &end, 10);

		if (*tok == '\0' || *end != '\0' || port < 1 || port > 65535)
			return -1;
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%sport %ld", used ? " or " : "", port);
		if (used >= sizeof(list))
			return -1;
	}
	if (used == 0)
		return -1;
	/* Non-first fragments carry no ports: keep every fragment and let reassembly decide. */
	if ((size_t)snprintf(buf, n, "(%s) or (ip[6:2] & 0x3fff != 0) or (ip6 and ip6[6] == 44) or "
	    "(vlan and ((%s) or (ip[6:2] & 0x3fff != 0)))", list, list) >= n)
		return -1;
	return 0;
}
