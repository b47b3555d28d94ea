/*
 * The floor for the probe benchmark: a libpcap read loop that does nothing with the packets but count
 * them and their bytes, so the figure is what reading the file alone costs.
 */
#include <pcap/pcap.h>
#include <stdio.h>

static void
count_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	unsigned long long *c = (unsigned long long *)user;

	(void)bytes;
	c[0]++;
	c[1] += h->caplen;
}

int
main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	unsigned long long c[2] = { 0, 0 };
	pcap_t *p;

	if (argc != 2 || (p = pcap_open_offline(argv[1], err)) == NULL) {
		fprintf(stderr, "usage: bare_read FILE (%s)\n", argc == 2 ? err : "no file");
		return 2;
	}
	while (pcap_dispatch(p, 4096, count_cb, (u_char *)c) > 0)
		;
	pcap_close(p);
	printf("frames=%llu bytes=%llu\n", c[0], c[1]);
	return 0;
}
