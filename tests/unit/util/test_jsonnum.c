/* SPDX-License-Identifier: BSD-2-Clause */
/* The JSON number grammar (RFC 8259 §6) of json_number_end, against an
 * independent reading of the grammar over every short string of the
 * characters that matter; and the formatter jw_num against it and strtod. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "util/buf.h"
#include "util/jsonnum.h"
#include "testutil.h"

/* ck_assert records a mark point through a pipe on every call: hot loops
 * check with this instead, and fail with the same message. */
#define CHECK(cond, ...)                           \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

/* The longest prefix of s that is a JSON number, as a length; -1 if none.
 * Written as the grammar reads:
 *   number = [ "-" ] int [ frac ] [ exp ]
 *   int    = "0" / ( digit1-9 *DIGIT )
 *   frac   = "." 1*DIGIT
 *   exp    = ( "e" / "E" ) [ "-" / "+" ] 1*DIGIT
 * where a frac or exp that starts but does not finish makes the whole thing
 * "no number" (NULL), not a shorter number: "1." and "1e+" are refused. */
static int isdig(char c)
{
	return c >= '0' && c <= '9';
}

static long reference(const char *s)
{
	size_t i = 0;
	if (s[i] == '-')
		i++;
	if (s[i] == '0')
		i++;
	else if (s[i] >= '1' && s[i] <= '9')
		while (isdig(s[i]))
			i++;
	else
		return -1;
	if (s[i] == '.') {
		if (!isdig(s[i + 1]))
			return -1;
		i++;
		while (isdig(s[i]))
			i++;
	}
	if (s[i] == 'e' || s[i] == 'E') {
		size_t j = i + 1;
		if (s[j] == '+' || s[j] == '-')
			j++;
		if (!isdig(s[j]))
			return -1;
		while (isdig(s[j]))
			j++;
		i = j;
	}
	return (long)i;
}

static long actual(const char *s)
{
	const char *e = json_number_end(s);
	return e ? (long)(e - s) : -1;
}

START_TEST(table)
{
	static const struct {
		const char *s;
		long end;
	} cases[] = {
	        {"0", 1},     {"-0", 2},  {"7", 1},    {"123", 3},   {"-123", 4},   {"0.5", 3},   {"-0.25", 5},
	        {"1e5", 3},   {"1E5", 3}, {"1e+5", 4}, {"1e-05", 5}, {"1.5e-3", 6}, {"12,", 2},   {"1]", 1},
	        {"1 ", 1},    {"01", 1},  {"-01", 2},  {"00", 1},    {"0x10", 1},   {"1.5.5", 3}, {"1e5e5", 3},
	        {"", -1},     {"-", -1},  {"--1", -1}, {"+1", -1},   {".5", -1},    {"-.5", -1},  {"1.", -1},
	        {"1.e5", -1}, {"-a", -1}, {"e5", -1},  {"inf", -1},  {"NaN", -1},   {" 1", -1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(actual(cases[i].s) == cases[i].end, "'%s': end %ld, want %ld", cases[i].s,
		              actual(cases[i].s), cases[i].end);
}
END_TEST

/* An exponent marker with no digits after it: json_number_end returns NULL
 * (digits() fails), so "1e" and "1e+" are not numbers at all. */
START_TEST(exp_without_digits)
{
	ck_assert_ptr_null(json_number_end("1e"));
	ck_assert_ptr_null(json_number_end("1E+"));
	ck_assert_ptr_null(json_number_end("1.5e-"));
	ck_assert_ptr_null(json_number_end("0e,"));
}
END_TEST

/* Every string of up to 6 characters over "-+.eE019x": 600k strings, the
 * same answer as the reference, and where the whole string is a number,
 * strtod reads exactly the same characters. */
START_TEST(exhaustive_short_strings)
{
	static const char alpha[] = "-+.eE019x";
	const size_t na = sizeof(alpha) - 1;
	char s[8];
	size_t checked = 0, whole = 0;
	for (size_t len = 0; len <= 6; len++) {
		size_t total = 1;
		for (size_t k = 0; k < len; k++)
			total *= na;
		for (size_t code = 0; code < total; code++) {
			size_t c = code;
			for (size_t k = 0; k < len; k++) {
				s[k] = alpha[c % na];
				c /= na;
			}
			s[len] = '\0';
			long want = reference(s), got = actual(s);
			CHECK(got == want, "'%s': end %ld, want %ld", s, got, want);
			if (got == (long)len && len > 0) {
				char *e;
				(void)strtod(s, &e);
				CHECK(e == s + len, "'%s': strtod stops at %td", s, e - s);
				whole++;
			}
			checked++;
		}
	}
	ck_assert_uint_gt(whole, 1000);
	ck_assert_uint_eq(checked, 1 + 9 + 81 + 729 + 6561 + 59049 + 531441);
}
END_TEST

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Significant digits of a printed number: the mantissa's digits without
 * leading and trailing zeros ("-0.0250e+3" -> 2, "1000" -> 1). */
static size_t sig_digits(const char *s)
{
	char d[64];
	size_t n = 0;
	for (; *s && *s != 'e' && *s != 'E'; s++)
		if (isdig(*s) && (n > 0 || *s != '0'))
			d[n++] = *s;
	while (n > 0 && d[n - 1] == '0')
		n--;
	return n;
}

/* The fewest significant digits ("%.{1..17}g") that read back as v. */
static size_t shortest_digits(double v)
{
	char tmp[40];
	for (int p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*g", p, v);
		if (strtod(tmp, NULL) == v)
			return sig_digits(tmp);
	}
	ck_abort_msg("%.17g does not read back", v);
	return 0;
}

/* What jw_num prints is a whole JSON number, reads back (strtod) as the
 * same double, and has the fewest significant digits that do (buf.h:
 * "shortest decimal form"); over arbitrary bit patterns, decimals and
 * integers. */
START_TEST(formatter_round_trip)
{
	static const double p10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
	size_t n = 0;
	for (size_t i = 0; n < 50000; i++) {
		double v;
		switch (i % 4) {
		case 0: {
			uint64_t bits = next();
			memcpy(&v, &bits, sizeof(v));
			break;
		}
		case 1: v = (double)(next() % 100000000000ull) / p10[next() % 9]; break;
		case 2: v = (double)(int64_t)next(); break;
		default: v = ldexp((double)(next() >> 11), (int)(next() % 200) - 150); break;
		}
		if (!isfinite(v))
			continue;
		if (i % 3 == 0)
			v = -v;
		struct buf b;
		buf_init(&b);
		jw_num(&b, v);
		CHECK(!b.oom, "oom");
		const char *e = json_number_end(b.data);
		CHECK(e != NULL && *e == '\0', "%.17g printed as '%s', not a JSON number", v, b.data);
		CHECK(strtod(b.data, NULL) == v, "%.17g printed as '%s'", v, b.data);
		CHECK(sig_digits(b.data) == shortest_digits(v), "%.17g printed as '%s': %zu digits, not %zu", v, b.data,
		      sig_digits(b.data), shortest_digits(v));
		buf_free(&b);
		n++;
	}
}
END_TEST

/* Values at the limits of the double range. */
START_TEST(formatter_limits)
{
	static const double vals[] = {5e-324,
	                              -5e-324,
	                              2.2250738585072014e-308,
	                              1.7976931348623157e308,
	                              -1.7976931348623157e308,
	                              9007199254740992.0,
	                              9007199254740993.0,
	                              18446744073709551616.0,
	                              1e-4,
	                              9.999999999999999e-5,
	                              1e9,
	                              0.1};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		struct buf b;
		buf_init(&b);
		jw_num(&b, vals[i]);
		const char *e = json_number_end(b.data);
		ck_assert_msg(e && *e == '\0', "'%s'", b.data);
		ck_assert_msg(strtod(b.data, NULL) == vals[i], "%.17g printed as '%s'", vals[i], b.data);
		buf_free(&b);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("jsonnum");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, table);
	tcase_add_test(tc, exp_without_digits);
	tcase_add_test(tc, exhaustive_short_strings);
	tcase_add_test(tc, formatter_round_trip);
	tcase_add_test(tc, formatter_limits);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)
