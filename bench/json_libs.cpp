/*
 * json_libs.cpp: how fast each JSON library Debian ships decodes the call feed, the
 * measurement behind the README's choice of simdjson. Every library does the same job
 * per line, the collector's job: parse one NDJSON line and pull out the fields of an
 * event (ts, event, call, queue, seat, state, outcome, direction, platform). Each checks
 * the JSON syntax; simdjson, jansson and yajl also check UTF-8, json-c (by default) and
 * cJSON do not. The feed is read into memory first, so only decoding is timed.
 *
 * usage: json_libs FILE [MAX_LINES [RUNS]]   (defaults: 1000000 lines, 3 runs; median)
 *
 * jansson, json-c and cJSON build a tree per line and are queried by key; yajl is the
 * SAX (callback) parser, fed one line at a time with a fresh handle as its API needs;
 * simdjson uses its DOM API with one reused parser, iterating the object's fields.
 *
 * jansson and json-c export the same symbol names (json_object_get, json_object_iter...),
 * so no one process can link both: this file builds twice, `json_libs` with everything
 * but json-c and, with BENCH_JSONC defined, `json_libs_jsonc` with json-c alone.
 */
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#ifdef BENCH_JSONC
#include <json-c/json.h>
#else
#include <cjson/cJSON.h>
#include <jansson.h>
#include <simdjson.h>
#include <yajl/yajl_parse.h>
#endif

namespace {

/* The decoded event: views into the library's own storage, valid until the next line. */
struct fields {
	int64_t ts_ms;
	std::string_view event, call, queue, seat, state, outcome, direction, platform;
};

struct line {
	const char *p;
	size_t n;
};

/* Where a key's value goes, by name; nullptr for keys the collector ignores (caller). */
std::string_view *
field_slot(fields &f, std::string_view key)
{
	if (key == "event") return &f.event;
	if (key == "call") return &f.call;
	if (key == "queue") return &f.queue;
	if (key == "seat") return &f.seat;
	if (key == "state") return &f.state;
	if (key == "outcome") return &f.outcome;
	if (key == "direction") return &f.direction;
	if (key == "platform") return &f.platform;
	return nullptr;
}

const char *const keys[] = { "event", "call", "queue", "seat", "state", "outcome",
	"direction", "platform" };

int64_t
ms_of(double ts)
{
	return std::llround(ts * 1000.0);
}

/* A checksum of what was decoded, so no compiler can skip the work. */
void
consume(fields &f, uint64_t &sum)
{
	sum += (uint64_t)f.ts_ms + f.event.size() + f.call.size() + f.queue.size() +
	    f.seat.size() + f.state.size() + f.outcome.size() + f.direction.size() +
	    f.platform.size();
	f = fields{};
}

#ifdef BENCH_JSONC
uint64_t
run_jsonc(const std::vector<line> &lines)
{
	uint64_t sum = 0;
	fields f{};
	json_tokener *tok = json_tokener_new();

	for (const line &l : lines) {
		json_object *root, *v;

		json_tokener_reset(tok);
		root = json_tokener_parse_ex(tok, l.p, (int)l.n);
		if (root == nullptr || !json_object_is_type(root, json_type_object)) {
			json_object_put(root);
			continue;
		}
		if (json_object_object_get_ex(root, "ts", &v))
			f.ts_ms = ms_of(json_object_get_double(v));
		for (const char *k : keys)
			if (json_object_object_get_ex(root, k, &v) &&
			    json_object_is_type(v, json_type_string))
				*field_slot(f, k) = std::string_view(json_object_get_string(v),
				    (size_t)json_object_get_string_len(v));
		consume(f, sum);
		json_object_put(root);
	}
	json_tokener_free(tok);
	return sum;
}

#else
uint64_t
run_jansson(const std::vector<line> &lines)
{
	uint64_t sum = 0;
	fields f{};

	for (const line &l : lines) {
		json_error_t err;
		json_t *root = json_loadb(l.p, l.n, 0, &err);

		if (root == nullptr || !json_is_object(root)) {
			json_decref(root);
			continue;
		}
		f.ts_ms = ms_of(json_number_value(json_object_get(root, "ts")));
		for (const char *k : keys) {
			const char *v = json_string_value(json_object_get(root, k));

			if (v != nullptr)
				*field_slot(f, k) = v;
		}
		consume(f, sum);
		json_decref(root);
	}
	return sum;
}

uint64_t
run_cjson(const std::vector<line> &lines)
{
	uint64_t sum = 0;
	fields f{};

	for (const line &l : lines) {
		cJSON *root = cJSON_ParseWithLength(l.p, l.n);

		if (root == nullptr || !cJSON_IsObject(root)) {
			cJSON_Delete(root);
			continue;
		}
		f.ts_ms = ms_of(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "ts")));
		for (const char *k : keys) {
			cJSON *item = cJSON_GetObjectItemCaseSensitive(root, k);
			const char *v = cJSON_GetStringValue(item);

			if (v != nullptr)
				*field_slot(f, k) = v;
		}
		consume(f, sum);
		cJSON_Delete(root);
	}
	return sum;
}

/* yajl SAX: remember the current top-level key, store strings and the ts number. */
struct yajl_state {
	fields *f;
	std::string_view *slot;
	bool ts;
	int depth;
};

int
y_key(void *ctx, const unsigned char *k, size_t n)
{
	yajl_state *y = (yajl_state *)ctx;
	std::string_view key((const char *)k, n);

	y->ts = y->depth == 1 && key == "ts";
	y->slot = y->depth == 1 ? field_slot(*y->f, key) : nullptr;
	return 1;
}

int
y_string(void *ctx, const unsigned char *s, size_t n)
{
	yajl_state *y = (yajl_state *)ctx;

	if (y->slot != nullptr)
		*y->slot = std::string_view((const char *)s, n);
	y->slot = nullptr;
	return 1;
}

int
y_number(void *ctx, const char *s, size_t n)
{
	yajl_state *y = (yajl_state *)ctx;

	if (y->ts)
		y->f->ts_ms = ms_of(strtod(std::string(s, n).c_str(), nullptr));
	y->ts = false;
	return 1;
}

int y_start_map(void *ctx) { ((yajl_state *)ctx)->depth++; return 1; }
int y_end_map(void *ctx) { ((yajl_state *)ctx)->depth--; return 1; }
int y_start_array(void *ctx) { ((yajl_state *)ctx)->depth++; return 1; }
int y_end_array(void *ctx) { ((yajl_state *)ctx)->depth--; return 1; }

uint64_t
run_yajl(const std::vector<line> &lines)
{
	static const yajl_callbacks cb = { nullptr, nullptr, nullptr, nullptr, y_number,
		y_string, y_start_map, y_key, y_end_map, y_start_array, y_end_array };
	uint64_t sum = 0;
	fields f{};

	for (const line &l : lines) {
		yajl_state y = { &f, nullptr, false, 0 };
		yajl_handle h = yajl_alloc(&cb, nullptr, &y);
		bool ok = yajl_parse(h, (const unsigned char *)l.p, l.n) == yajl_status_ok &&
		    yajl_complete_parse(h) == yajl_status_ok;

		yajl_free(h);
		if (ok)
			consume(f, sum);
		else
			f = fields{};
	}
	return sum;
}

uint64_t
run_simdjson(const std::vector<line> &lines)
{
	simdjson::dom::parser parser;
	uint64_t sum = 0;
	fields f{};

	for (const line &l : lines) {
		simdjson::dom::object obj;

		/* The whole feed sits in one buffer with SIMDJSON_PADDING spare bytes at its end,
		 * so a line can be parsed in place. */
		if (parser.parse(l.p, l.n, false).get(obj) != simdjson::SUCCESS)
			continue;
		for (auto field : obj) {
			std::string_view v;

			if (field.key == "ts") {
				double d;
				if (field.value.get(d) == simdjson::SUCCESS)
					f.ts_ms = ms_of(d);
			} else if (std::string_view *slot = field_slot(f, field.key);
			    slot != nullptr && field.value.get(v) == simdjson::SUCCESS) {
				*slot = v;
			}
		}
		consume(f, sum);
	}
	return sum;
}

#endif

struct lib {
	const char *name;
	uint64_t (*run)(const std::vector<line> &);
};

const lib libs[] = {
#ifdef BENCH_JSONC
	{ "json-c 0.16 (tree)", run_jsonc },
#else
	{ "jansson 2.14 (tree)", run_jansson },
	{ "cJSON 1.7 (tree)", run_cjson },
	{ "yajl 2.1 (SAX)", run_yajl },
	{ "simdjson 3 (DOM)", run_simdjson },
#endif
};
/* simdjson reads up to this many bytes past a line's end; json-c builds do without it. */
#ifdef BENCH_JSONC
const size_t padding = 64;
#else
const size_t padding = simdjson::SIMDJSON_PADDING;
#endif

bool
load(const char *path, size_t max_lines, std::vector<char> &buf, std::vector<line> &lines)
{
	FILE *fp = std::fopen(path, "rb");
	char chunk[1 << 16];
	size_t n;

	if (fp == nullptr)
		return false;
	while ((n = std::fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf.insert(buf.end(), chunk, chunk + n);
	std::fclose(fp);
	size_t data = buf.size();
	buf.resize(data + padding, '\0');
	for (size_t at = 0; at < data && lines.size() < max_lines;) {
		const char *nl = (const char *)std::memchr(&buf[at], '\n', data - at);
		size_t end = nl != nullptr ? (size_t)(nl - &buf[0]) : data;

		if (end > at)
			lines.push_back({ &buf[at], end - at });
		at = end + 1;
	}
	return true;
}

} // namespace

int
main(int argc, char **argv)
{
	std::vector<char> buf;
	std::vector<line> lines;
	size_t max_lines = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000000;
	int runs = argc > 3 ? std::atoi(argv[3]) : 3;

	if (argc < 2 || runs < 1) {
		std::fprintf(stderr, "usage: json_libs FILE [MAX_LINES [RUNS]]\n");
		return 2;
	}
	if (!load(argv[1], max_lines, buf, lines)) {
		std::perror(argv[1]);
		return 1;
	}
	std::printf("%zu lines, median of %d runs\n%-22s %12s %10s\n", lines.size(), runs,
	    "library", "lines/s", "checksum");
	for (const lib &lb : libs) {
		std::vector<double> secs;
		uint64_t sum = 0;

		for (int r = 0; r < runs; r++) {
			auto t0 = std::chrono::steady_clock::now();
			sum = lb.run(lines);
			secs.push_back(std::chrono::duration<double>(
			    std::chrono::steady_clock::now() - t0).count());
		}
		std::sort(secs.begin(), secs.end());
		double median = secs[secs.size() / 2];

		std::printf("%-22s %12.0f %10llu\n", lb.name, (double)lines.size() / median,
		    (unsigned long long)(sum % 10000000000ULL));
		std::fflush(stdout);
	}
	return 0;
}
