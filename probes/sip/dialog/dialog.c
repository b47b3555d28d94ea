/*
 * Dialog tracking (see dialog.h). Calls live in a chained hash table keyed by Call-ID and on one of two
 * FIFO expiry lists: the age list (ringing and answered calls, due max_age after the offer), the
 * challenge list (401/407 waiting for a retry) and the short list (ended calls lingering). Each list has
 * one fixed timeout, so FIFO order is deadline order and a tick only looks at list heads.
 */
#include "dialog/dialog.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 64 * T1: the longest a SIP transaction may retransmit, so a finished call absorbs every straggler. */
#define RX_DLG_LINGER_US (32LL * 1000000)
/* A 401/407 may wait for a person typing a password: give the authenticated retry five minutes. */
#define RX_DLG_CHALLENGE_US (300LL * 1000000)
#define RX_DLG_BRANCH_MAX 64
#define RX_DLG_CALLID_MAX 512

enum rx_dlg_list { RX_LIST_NONE, RX_LIST_AGE, RX_LIST_SHORT, RX_LIST_CHAL };

struct rx_dialog {
	struct rx_dialog *hnext;        /* hash chain */
	struct rx_dialog *prev, *next;  /* expiry list */
	uint8_t list;                   /* enum rx_dlg_list */
	uint8_t state;                  /* enum rx_dialog_state */
	uint8_t is_leg;                 /* B2BUA seat leg: events go to the parent call */
	uint8_t branch_len;
	uint32_t hash;
	uint32_t invite_cseq;           /* CSeq of the current initial INVITE transaction */
	int challenge_code;
	int64_t offer_us;
	int64_t since_us;               /* when it joined the short list / the challenge time */
	char branch[RX_DLG_BRANCH_MAX]; /* top Via branch of the current INVITE (prefix) */
	char *queue;                    /* points into data */
	char *parent;                   /* legs: the caller leg's Call-ID, in data */
	size_t call_len;
	char data[];                    /* Call-ID NUL queue NUL parent NUL */
};

struct rx_dlg_fifo {
	struct rx_dialog *head, *tail;
};

struct rx_dialog_table {
	const struct rx_probe_config *cfg;
	int all_calls;
	int64_t max_age_us;
	size_t max_calls;
	rx_dialog_emit_cb cb;
	void *arg;
	struct rx_dialog **buckets;
	size_t nbuckets;
	struct rx_dlg_fifo age, shortl, chal;
	struct rx_dialog_stats stats;
};

struct rx_dialog_step
rx_dialog_next(enum rx_dialog_state s, enum rx_dialog_input in)
{
	const struct rx_dialog_step stay = { s, RX_ACT_NONE };

	switch (s) {
	case RX_DLG_NONE:
		return in == RX_IN_INVITE ? (struct rx_dialog_step){ RX_DLG_RINGING, RX_ACT_OFFER } : stay;
	case RX_DLG_RINGING:
	case RX_DLG_CHALLENGED:
		switch (in) {
		case RX_IN_INVITE:
			return (struct rx_dialog_step){ RX_DLG_RINGING, RX_ACT_NONE };
		case RX_IN_2XX:
			return (struct rx_dialog_step){ RX_DLG_ANSWERED, RX_ACT_ANSWER };
		case RX_IN_CHALLENGE:
			return (struct rx_dialog_step){ RX_DLG_CHALLENGED, RX_ACT_NONE };
		case RX_IN_TIMEOUT:
			/* A challenge nobody retried is a failed call; a call ringing for max_age is stale. */
			return s == RX_DLG_CHALLENGED ? (struct rx_dialog_step){ RX_DLG_ENDED, RX_ACT_HANGUP } :
			    (struct rx_dialog_step){ RX_DLG_GONE, RX_ACT_STALE };
		default:                /* FAIL, CANCEL, BYE */
			return (struct rx_dialog_step){ RX_DLG_ENDED, RX_ACT_HANGUP };
		}
	case RX_DLG_ANSWERED:
		if (in == RX_IN_BYE)
			return (struct rx_dialog_step){ RX_DLG_ENDED, RX_ACT_HANGUP };
		if (in == RX_IN_TIMEOUT)
			return (struct rx_dialog_step){ RX_DLG_GONE, RX_ACT_STALE };
		return stay;            /* re-INVITE answers, late CANCELs, other forks' failures */
	case RX_DLG_ENDED:
		return in == RX_IN_TIMEOUT ? (struct rx_dialog_step){ RX_DLG_GONE, RX_ACT_NONE } : stay;
	default:
		return stay;
	}
}

/* ---- table and lists ---- */

/* Call-IDs are 20-60 bytes: hash 8 bytes per step (multiply-xorshift), the tail byte by byte. */
static uint32_t
rx_dlg_hash(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; n -= 8, p += 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	while (n-- > 0)
		h = (h ^ (uint8_t)*p++) * 0x100000001b3ULL;
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return (uint32_t)(h ^ (h >> 32));
}

static struct rx_dlg_fifo *
rx_dlg_fifo_of(struct rx_dialog_table *t, enum rx_dlg_list which)
{
	return which == RX_LIST_AGE ? &t->age : which == RX_LIST_SHORT ? &t->shortl : &t->chal;
}

static void
rx_dlg_fifo_remove(struct rx_dialog_table *t, struct rx_dialog *d)
{
	struct rx_dlg_fifo *f = rx_dlg_fifo_of(t, (enum rx_dlg_list)d->list);

	if (d->list == RX_LIST_NONE)
		return;
	if (d->prev)
		d->prev->next = d->next;
	else
		f->head = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		f->tail = d->prev;
	d->prev = d->next = NULL;
	d->list = RX_LIST_NONE;
}

static void
rx_dlg_fifo_push(struct rx_dialog_table *t, struct rx_dialog *d, enum rx_dlg_list which)
{
	struct rx_dlg_fifo *f = rx_dlg_fifo_of(t, which);

	rx_dlg_fifo_remove(t, d);
	d->list = (uint8_t)which;
	d->prev = f->tail;
	d->next = NULL;
	if (f->tail)
		f->tail->next = d;
	else
		f->head = d;
	f->tail = d;
}

static struct rx_dialog *
rx_dlg_find(struct rx_dialog_table *t, const char *id, size_t n)
{
	uint32_t h = rx_dlg_hash(id, n);

	for (struct rx_dialog *d = t->buckets[h & (t->nbuckets - 1)]; d != NULL; d = d->hnext)
		if (d->hash == h && d->call_len == n && memcmp(d->data, id, n) == 0)
			return d;
	return NULL;
}

static void
rx_dlg_grow(struct rx_dialog_table *t)
{
	size_t nb = t->nbuckets * 2;
	struct rx_dialog **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return;                 /* keep the longer chains; correctness does not depend on it */
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct rx_dialog *d = t->buckets[i], *n;

		for (; d != NULL; d = n) {
			n = d->hnext;
			d->hnext = b[d->hash & (nb - 1)];
			b[d->hash & (nb - 1)] = d;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
}

static struct rx_dialog *
rx_dlg_add(struct rx_dialog_table *t, struct rx_sip_str id, const char *queue, struct rx_sip_str parent)
{
	size_t ql = strlen(queue);
	struct rx_dialog *d;

	/* A Call-ID longer than any real one is not worth memory (and would not fit an event line). */
	if (t->stats.in_flight >= t->max_calls || id.n > RX_DLG_CALLID_MAX) {
		t->stats.overflow++;
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d) + id.n + ql + parent.n + 3)) == NULL) {
		t->stats.overflow++;
		return NULL;
	}
	memcpy(d->data, id.p, id.n);
	d->call_len = id.n;
	d->queue = d->data + id.n + 1;
	memcpy(d->queue, queue, ql);
	d->parent = d->queue + ql + 1;
	memcpy(d->parent, parent.p, parent.n);
	d->hash = rx_dlg_hash(id.p, id.n);
	if (t->stats.in_flight >= t->nbuckets)
		rx_dlg_grow(t);
	d->hnext = t->buckets[d->hash & (t->nbuckets - 1)];
	t->buckets[d->hash & (t->nbuckets - 1)] = d;
	t->stats.in_flight++;
	return d;
}

static void
rx_dlg_remove(struct rx_dialog_table *t, struct rx_dialog *d)
{
	struct rx_dialog **pp = &t->buckets[d->hash & (t->nbuckets - 1)];

	while (*pp != d)
		pp = &(*pp)->hnext;
	*pp = d->hnext;
	rx_dlg_fifo_remove(t, d);
	t->stats.in_flight--;
	free(d);
}

struct rx_dialog_table *
rx_dialog_table_new(const struct rx_probe_config *cfg, int all_calls, int64_t max_age_us, size_t max_calls,
    rx_dialog_emit_cb cb, void *arg)
{
	struct rx_dialog_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->nbuckets = 1024;
	if ((t->buckets = calloc(t->nbuckets, sizeof(*t->buckets))) == NULL) {
		free(t);
		return NULL;
	}
	t->cfg = cfg;
	t->all_calls = all_calls;
	t->max_age_us = max_age_us;
	t->max_calls = max_calls;
	t->cb = cb;
	t->arg = arg;
	return t;
}

void
rx_dialog_table_free(struct rx_dialog_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct rx_dialog *d = t->buckets[i], *n;

		for (; d != NULL; d = n) {
			n = d->hnext;
			free(d);
		}
	}
	free(t->buckets);
	free(t);
}

const struct rx_dialog_stats *
rx_dialog_table_stats(const struct rx_dialog_table *t)
{
	return &t->stats;
}

/* ---- inputs, actions, events ---- */

struct rx_dlg_in {
	enum rx_dialog_input in;
	int64_t ts_us;
	const char *seat;               /* 2XX */
	const char *outcome;            /* FAIL, CANCEL, BYE, challenge timeout */
	struct rx_sip_str caller;       /* INVITE */
};

static void rx_dlg_apply(struct rx_dialog_table *t, struct rx_dialog *d, const struct rx_dlg_in *in);

static void
rx_dlg_emit(struct rx_dialog_table *t, struct rx_dialog *d, enum rx_dialog_event_type type,
    const struct rx_dlg_in *in)
{
	struct rx_dialog_event ev = {
		.type = type, .ts_us = in->ts_us, .call = d->data, .queue = d->queue, .seat = in->seat,
		.outcome = in->outcome, .caller = in->caller, .platform = t->cfg->platform,
	};

	if (type == RX_EV_OFFER)
		t->stats.offers++;
	else if (type == RX_EV_ANSWER)
		t->stats.answers++;
	else
		t->stats.hangups++;
	t->cb(&ev, t->arg);
}

/* A seat leg's action reaches its caller leg: only its answer matters (the ACD may try other seats). */
static void
rx_dlg_leg_action(struct rx_dialog_table *t, struct rx_dialog *leg, enum rx_dialog_action act,
    const struct rx_dlg_in *in)
{
	struct rx_dialog *parent;
	struct rx_dlg_in up = *in;

	if (act != RX_ACT_ANSWER)
		return;
	parent = rx_dlg_find(t, leg->parent, strlen(leg->parent));
	if (parent == NULL || parent->is_leg)
		return;
	up.in = RX_IN_2XX;
	rx_dlg_apply(t, parent, &up);
}

static void
rx_dlg_action(struct rx_dialog_table *t, struct rx_dialog *d, enum rx_dialog_action act,
    const struct rx_dlg_in *in)
{
	if (d->is_leg) {
		rx_dlg_leg_action(t, d, act, in);
		return;
	}
	switch (act) {
	case RX_ACT_OFFER:
		rx_dlg_emit(t, d, RX_EV_OFFER, in);
		break;
	case RX_ACT_ANSWER:
		rx_dlg_emit(t, d, RX_EV_ANSWER, in);
		break;
	case RX_ACT_HANGUP:
		rx_dlg_emit(t, d, RX_EV_HANGUP, in);
		break;
	case RX_ACT_STALE:
		t->stats.stale++;
		break;
	default:
		break;
	}
}

static void
rx_dlg_apply(struct rx_dialog_table *t, struct rx_dialog *d, const struct rx_dlg_in *in)
{
	enum rx_dialog_state old = (enum rx_dialog_state)d->state;
	struct rx_dialog_step st = rx_dialog_next(old, in->in);

	d->state = (uint8_t)st.next;
	rx_dlg_action(t, d, st.act, in);
	switch (st.next) {
	case RX_DLG_RINGING:
	case RX_DLG_ANSWERED:
		if (d->list != RX_LIST_AGE)
			rx_dlg_fifo_push(t, d, RX_LIST_AGE);
		break;
	case RX_DLG_CHALLENGED:
	case RX_DLG_ENDED:
		if (old != st.next) {
			d->since_us = in->ts_us;
			rx_dlg_fifo_push(t, d, st.next == RX_DLG_ENDED ? RX_LIST_SHORT : RX_LIST_CHAL);
		}
		break;
	case RX_DLG_GONE:
		rx_dlg_remove(t, d);
		break;
	default:
		break;
	}
}

static const char *
rx_dlg_fail_outcome(int status, char *buf, size_t n)
{
	if (status == 486 || status == 600)
		return "busy";
	if (status == 487)
		return "cancel";
	snprintf(buf, n, "rejected:%d", status);
	return buf;
}

static void
rx_dlg_copy(char *dst, size_t n, struct rx_sip_str s)
{
	size_t l = s.n < n - 1 ? s.n : n - 1;

	if (l > 0)
		memcpy(dst, s.p, l);
	dst[l] = '\0';
}

/* The answering party: a configured seat, else the 2xx's Contact user, To user or address. */
static const char *
rx_dlg_seat(const struct rx_dialog_table *t, const struct rx_sip_msg *m, const struct rx_dialog_src *src,
    char *buf, size_t n)
{
	char ip[INET6_ADDRSTRLEN] = "";
	const char *s;

	/* The address is text only when a rule or the last fallback can use it. */
	if (src != NULL && src->addr != NULL && src->family != 0 &&
	    (t->cfg->nseats > 0 || (m->contact_user.n == 0 && m->to_user.n == 0)))
		inet_ntop(src->family == 4 ? AF_INET : AF_INET6, src->addr, ip, sizeof(ip));
	s = rx_probe_config_seat(t->cfg, m->contact_user, m->to_user, ip);

	if (s != NULL)
		return s;
	if (m->contact_user.n > 0)
		rx_dlg_copy(buf, n, m->contact_user);
	else if (m->to_user.n > 0)
		rx_dlg_copy(buf, n, m->to_user);
	else
		snprintf(buf, n, "%s", *ip ? ip : "unknown");
	return buf;
}

static void
rx_dlg_set_branch(struct rx_dialog *d, const struct rx_sip_msg *m)
{
	d->branch_len = (uint8_t)(m->via_branch.n < RX_DLG_BRANCH_MAX ? m->via_branch.n : RX_DLG_BRANCH_MAX);
	if (d->branch_len > 0)
		memcpy(d->branch, m->via_branch.p, d->branch_len);
	d->invite_cseq = m->cseq;
}

/* A failure ends the call only when it answers the INVITE we track (same top branch): a forking proxy's
 * downstream branches fail on their own while another seat may still answer. */
static int
rx_dlg_same_branch(const struct rx_dialog *d, const struct rx_sip_msg *m)
{
	size_t n = m->via_branch.n < RX_DLG_BRANCH_MAX ? m->via_branch.n : RX_DLG_BRANCH_MAX;

	if (d->branch_len == 0 || m->via_branch.n == 0)
		return 1;
	return n == d->branch_len && memcmp(d->branch, m->via_branch.p, n) == 0;
}

/* A new initial INVITE: a seat leg of a tracked call, a hotline call, or nothing. */
static struct rx_dialog *
rx_dlg_create(struct rx_dialog_table *t, const struct rx_sip_msg *m)
{
	const struct rx_sip_str none = { "", 0 };
	const char *q = NULL;
	char qbuf[128];
	struct rx_dialog *d, *parent;

	if (m->corr.n > 0 && (parent = rx_dlg_find(t, m->corr.p, m->corr.n)) != NULL && !parent->is_leg) {
		if ((d = rx_dlg_add(t, m->call_id, parent->queue, m->corr)) != NULL)
			d->is_leg = 1;
		return d;
	}
	q = rx_probe_config_queue(t->cfg, m->ruri, m->ruri_user, m->to_user);
	if (q == NULL && t->all_calls) {
		rx_dlg_copy(qbuf, sizeof(qbuf), m->ruri_user.n > 0 ? m->ruri_user : m->to_user);
		q = qbuf[0] ? qbuf : "default";
	}
	if (q == NULL) {
		t->stats.not_hotline++;
		return NULL;
	}
	return rx_dlg_add(t, m->call_id, q, none);
}

static void
rx_dlg_invite(struct rx_dialog_table *t, struct rx_dialog *d, const struct rx_sip_msg *m, int64_t ts)
{
	struct rx_dlg_in in = { .in = RX_IN_INVITE, .ts_us = ts, .caller = m->from_user };

	if (d == NULL) {
		if ((d = rx_dlg_create(t, m)) == NULL)
			return;
		d->offer_us = ts;
	} else if (m->cseq <= d->invite_cseq ||
	    (d->state != RX_DLG_RINGING && d->state != RX_DLG_CHALLENGED)) {
		return;                 /* retransmission, a copy from the next hop, or too late */
	}
	rx_dlg_set_branch(d, m);
	rx_dlg_apply(t, d, &in);
}

static void
rx_dlg_response(struct rx_dialog_table *t, struct rx_dialog *d, struct rx_sip_msg *m,
    const struct rx_dialog_src *src, int64_t ts)
{
	struct rx_dlg_in in = { .ts_us = ts };
	char seat[128], outcome[24];

	if (m->status < 200 || d->state == RX_DLG_ENDED)
		return;
	rx_sip_msg_derive(m);
	if (m->status < 300) {
		/* Behind a B2BUA the caller leg is answered by the ACD itself; the seat leg says who. */
		if (t->cfg->b2bua && !d->is_leg)
			return;
		/* Only the first 2xx answers; later ones (retransmissions, re-INVITEs) need no seat. */
		if (d->state != RX_DLG_RINGING && d->state != RX_DLG_CHALLENGED)
			return;
		in.in = RX_IN_2XX;
		in.seat = rx_dlg_seat(t, m, src, seat, sizeof(seat));
	} else if (m->cseq != d->invite_cseq || !rx_dlg_same_branch(d, m)) {
		return;
	} else if (m->status == 401 || m->status == 407) {
		in.in = RX_IN_CHALLENGE;
		d->challenge_code = m->status;
	} else {
		in.in = RX_IN_FAIL;
		in.outcome = rx_dlg_fail_outcome(m->status, outcome, sizeof(outcome));
	}
	rx_dlg_apply(t, d, &in);
}

void
rx_dialog_table_msg(struct rx_dialog_table *t, struct rx_sip_msg *m, const struct rx_dialog_src *src,
    int64_t ts)
{
	struct rx_dlg_in in = { .ts_us = ts };
	struct rx_dialog *d;

	/* Classify before looking the call up: most messages (1xx, ACK, responses to BYE, in-dialog
	 * requests) cannot change a call, and skipping their lookup is most of the table's cost. */
	if (m->is_request) {
		if (RX_SIP_IS(m->method, "INVITE")) {
			rx_sip_msg_derive(m);
			if (m->to_tag.n == 0)
				rx_dlg_invite(t, rx_dlg_find(t, m->call_id.p, m->call_id.n), m, ts);
			return;         /* re-INVITEs change nothing */
		}
		if (RX_SIP_IS(m->method, "CANCEL"))
			in = (struct rx_dlg_in){ .in = RX_IN_CANCEL, .ts_us = ts, .outcome = "cancel" };
		else if (RX_SIP_IS(m->method, "BYE"))
			in = (struct rx_dlg_in){ .in = RX_IN_BYE, .ts_us = ts, .outcome = "bye_before_answer" };
		else
			return;
	} else if (m->status < 200 || !RX_SIP_IS(m->cseq_method, "INVITE")) {
		return;
	}
	if ((d = rx_dlg_find(t, m->call_id.p, m->call_id.n)) == NULL) {
		t->stats.orphans++;
		return;
	}
	if (!m->is_request) {
		rx_dlg_response(t, d, m, src, ts);
		return;
	}
	/* An answered call's hangup has no outcome: it was answered. */
	if (in.in == RX_IN_BYE && d->state == RX_DLG_ANSWERED)
		in.outcome = NULL;
	rx_dlg_apply(t, d, &in);
}

static void
rx_dlg_timeout(struct rx_dialog_table *t, struct rx_dialog *d, int64_t now)
{
	char outcome[24];
	struct rx_dlg_in in = { .in = RX_IN_TIMEOUT, .ts_us = now };

	if (d->state == RX_DLG_CHALLENGED) {
		/* The call ended when the challenge came back, not when we gave up waiting. */
		in.ts_us = d->since_us;
		snprintf(outcome, sizeof(outcome), "rejected:%d", d->challenge_code);
		in.outcome = outcome;
	}
	rx_dlg_apply(t, d, &in);
}

void
rx_dialog_table_tick(struct rx_dialog_table *t, int64_t now)
{
	while (t->age.head != NULL && t->age.head->offer_us + t->max_age_us <= now)
		rx_dlg_timeout(t, t->age.head, now);
	while (t->chal.head != NULL && t->chal.head->since_us + RX_DLG_CHALLENGE_US <= now)
		rx_dlg_timeout(t, t->chal.head, now);
	while (t->shortl.head != NULL && t->shortl.head->since_us + RX_DLG_LINGER_US <= now)
		rx_dlg_timeout(t, t->shortl.head, now);
}

void
rx_dialog_table_finish(struct rx_dialog_table *t)
{
	while (t->chal.head != NULL)
		rx_dlg_timeout(t, t->chal.head, t->chal.head->since_us);
}
