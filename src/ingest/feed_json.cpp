/*
 * feed_json.cpp: decodes one NDJSON feed line into an rx_event, behind a small C API.
 *
 * The feed is the hot path of `rexian replay` and `rexiand`, so the line decoder is
 * simdjson's DOM parser: it validates the whole line (JSON grammar and UTF-8) and
 * unescapes strings at over two million lines a second, several times faster than the
 * C libraries we measured (README, "Choice of JSON library"). Everything around it,
 * line splitting, timestamps, call tracking, is C; this file is the only C++ in the core.
 *
 * Field rules are the feed format's (README, "The feed"): required `ts` and `event`,
 * `call` on call events, `seat` on answer and seat events; unknown fields are ignored;
 * `caller` is read only with a pseudonym key, and then only hashed.
 */
#include <simdjson.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string_view>

extern "C" {
#include "rexian/feed.h"
#include "rexian/pseudonym.h"
}

struct rx_feed_decoder {
	simdjson::dom::parser parser;
	char numbuf[5][24];   /* ids given as JSON integers, printed back to text */
	const struct rx_pseudonym_key *caller_key;   /* NULL: `caller` is not read */
	char caller_hex[RX_PSEUDONYM_HEX];
};

extern "C" struct rx_feed_decoder *rx_feed_decoder_new(void)
{
	rx_feed_decoder *dec = new (std::nothrow) rx_feed_decoder();

	if (dec == nullptr)
		return nullptr;
	if (dec->parser.allocate(RX_FEED_MAX_LINE + 2) != simdjson::SUCCESS) {
		delete dec;
		return nullptr;
	}
	return dec;
}

extern "C" void rx_feed_decoder_free(struct rx_feed_decoder *dec)
{
	delete dec;
}

extern "C" void rx_feed_decoder_set_caller_key(struct rx_feed_decoder *dec,
    const struct rx_pseudonym_key *key)
{
	dec->caller_key = key != nullptr && key->len > 0 ? key : nullptr;
}

/* Milliseconds from a JSON number of epoch seconds. A double holds 15-16 significant
 * digits and epoch milliseconds need 13, so rounding (never truncating) x*1000 gives the
 * exact millisecond the text wrote. */
static bool decode_ts_number(simdjson::dom::element v, int64_t *ms)
{
	int64_t i;
	double d;

	if (v.get_int64().get(i) == simdjson::SUCCESS) {
		if (i <= 0 || i > 100000000000LL)
			return false;
		*ms = i * 1000;
		return true;
	}
	if (v.get_double().get(d) != simdjson::SUCCESS || !std::isfinite(d) || d <= 0 || d > 1e11)
		return false;
	*ms = std::llround(d * 1000.0);
	return true;
}

/* A name field: a string, or an integer some switches send for seat and queue ids. */
static bool decode_name(simdjson::dom::element v, char *numbuf, struct rx_str *out)
{
	std::string_view s;
	int64_t i;

	if (v.get_string().get(s) == simdjson::SUCCESS) {
		out->p = s.data();
		out->len = s.size();
		return true;
	}
	if (v.get_int64().get(i) == simdjson::SUCCESS) {
		int n = snprintf(numbuf, 24, "%lld", static_cast<long long>(i));
		out->p = numbuf;
		out->len = static_cast<size_t>(n);
		return true;
	}
	return false;
}

static bool decode_event_kind(std::string_view s, struct rx_event *ev)
{
	if (s == "offer")
		ev->kind = RX_EV_OFFER;
	else if (s == "answer")
		ev->kind = RX_EV_ANSWER;
	else if (s == "hangup")
		ev->kind = RX_EV_HANGUP;
	else if (s == "seat")
		ev->kind = RX_EV_SEAT;
	else
		return false;
	return true;
}

static bool decode_seat_state(std::string_view s, struct rx_event *ev)
{
	if (s == "login")
		ev->seat_state = RX_SEAT_LOGIN;
	else if (s == "ready")
		ev->seat_state = RX_SEAT_READY;
	else if (s == "notready" || s == "not_ready")
		ev->seat_state = RX_SEAT_NOTREADY;
	else if (s == "logout")
		ev->seat_state = RX_SEAT_LOGOUT;
	else
		return false;
	return true;
}

struct fields_seen {
	bool ts, event, state;
	std::string_view event_name, state_name, direction;
};

/* The number is hashed here and goes no further: only its pseudonym reaches the event.
 * A caller that is not a string (or a number) is ignored, as it is without a key. */
static void decode_caller(rx_feed_decoder *dec, simdjson::dom::element v, struct rx_event *ev)
{
	std::string_view s;
	char num[24];
	int64_t i;

	if (v.get_string().get(s) != simdjson::SUCCESS) {
		if (v.get_int64().get(i) != simdjson::SUCCESS)
			return;
		s = std::string_view(num, (size_t)std::snprintf(num, sizeof num, "%lld", (long long)i));
	}
	if (rx_pseudonym(dec->caller_key, s.data(), s.size(), dec->caller_hex) == 0)
		ev->caller = rx_str{ dec->caller_hex, RX_PSEUDONYM_HEX - 1 };
}

/* One key/value pair of the top-level object; returns an error reason or nullptr. */
static const char *decode_field(rx_feed_decoder *dec, std::string_view key,
    simdjson::dom::element v, struct rx_event *ev, fields_seen *seen)
{
	switch (key.size()) {
	case 2:
		if (key == "ts") {
			std::string_view s;
			if (v.get_string().get(s) == simdjson::SUCCESS)
				seen->ts = rx_feed_parse_ts(s.data(), s.size(), &ev->ts_ms) == 0;
			else
				seen->ts = decode_ts_number(v, &ev->ts_ms);
			return seen->ts ? nullptr : "unreadable ts";
		}
		break;
	case 4:
		if (key == "call")
			return decode_name(v, dec->numbuf[0], &ev->call) ? nullptr : "call is not a string";
		if (key == "seat")
			return decode_name(v, dec->numbuf[1], &ev->seat) ? nullptr : "seat is not a string";
		break;
	case 5:
		if (key == "event") {
			seen->event = v.get_string().get(seen->event_name) == simdjson::SUCCESS;
			return seen->event ? nullptr : "event is not a string";
		}
		if (key == "queue")
			return decode_name(v, dec->numbuf[2], &ev->queue) ? nullptr : "queue is not a string";
		if (key == "state") {
			seen->state = v.get_string().get(seen->state_name) == simdjson::SUCCESS;
			return seen->state ? nullptr : "state is not a string";
		}
		break;
	case 6:
		if (key == "caller" && dec->caller_key != nullptr)
			decode_caller(dec, v, ev);
		break;
	case 7:
		if (key == "outcome")
			return decode_name(v, dec->numbuf[3], &ev->outcome) ? nullptr : "outcome is not a string";
		break;
	case 8:
		if (key == "platform")
			return decode_name(v, dec->numbuf[4], &ev->platform) ? nullptr : "platform is not a string";
		break;
	case 9:
		if (key == "direction")
			return v.get_string().get(seen->direction) == simdjson::SUCCESS ? nullptr :
			    "direction is not a string";
		break;
	}
	return nullptr;   /* unknown fields are ignored */
}

/* The cross-field rules, once every field has been read. */
static const char *check_event(const fields_seen *seen, struct rx_event *ev)
{
	if (!seen->ts)
		return "missing ts";
	if (!seen->event)
		return "missing event";
	if (!decode_event_kind(seen->event_name, ev))
		return "unknown event";
	if (seen->direction == "out")
		ev->outbound = true;
	else if (!seen->direction.empty() && seen->direction != "in")
		return "unknown direction";
	if (ev->kind == RX_EV_SEAT) {
		if (ev->seat.len == 0)
			return "missing seat";
		if (!seen->state)
			return "missing state";
		return decode_seat_state(seen->state_name, ev) ? nullptr : "unknown seat state";
	}
	if (ev->call.len == 0)
		return "missing call";
	if (ev->kind == RX_EV_ANSWER && ev->seat.len == 0)
		return "missing seat";
	return nullptr;
}

static const char *parse_error_reason(simdjson::error_code err)
{
	switch (err) {
	case simdjson::UTF8_ERROR:
		return "invalid UTF-8";
	case simdjson::CAPACITY:
		return "line too long";
	default:
		return "invalid JSON";
	}
}

extern "C" int rx_feed_decode(struct rx_feed_decoder *dec, const char *line, size_t len,
    struct rx_event *ev, const char **reason)
{
	simdjson::dom::element root;
	simdjson::dom::object obj;
	fields_seen seen{};
	simdjson::error_code err;

	std::memset(ev, 0, sizeof *ev);
	err = dec->parser.parse(line, len, false).get(root);
	if (err != simdjson::SUCCESS) {
		*reason = parse_error_reason(err);
		return -1;
	}
	if (root.get_object().get(obj) != simdjson::SUCCESS) {
		*reason = "not a JSON object";
		return -1;
	}
	for (simdjson::dom::key_value_pair kv : obj) {
		const char *why = decode_field(dec, kv.key, kv.value, ev, &seen);
		if (why != nullptr) {
			*reason = why;
			return -1;
		}
	}
	*reason = check_event(&seen, ev);
	return *reason == nullptr ? 0 : -1;
}

/* A feed's first line when the listener wants a token: exactly {"auth": "<token>"}. The
 * token points into the parser's memory, valid until the decoder's next use. */
extern "C" int rx_feed_decode_auth(struct rx_feed_decoder *dec, const char *line, size_t len,
    const char **token, size_t *toklen)
{
	simdjson::dom::object obj;
	std::string_view tok;

	if (dec->parser.parse(line, len, false).get(obj) != simdjson::SUCCESS || obj.size() != 1 ||
	    obj["auth"].get(tok) != simdjson::SUCCESS)
		return -1;
	*token = tok.data();
	*toklen = tok.size();
	return 0;
}
