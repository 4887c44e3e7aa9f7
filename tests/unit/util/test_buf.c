/* SPDX-License-Identifier: BSD-2-Clause */
/* The growable byte buffer: growth, the sticky oom flag, finish, and the
 * JSON string and integer writers. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "util/buf.h"
#include "testutil.h"

/* ck_assert records a mark point through a pipe on every call: hot loops
 * check with this instead, and fail with the same message. */
#define CHECK(cond, ...)                           \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

START_TEST(empty_finish)
{
	struct buf b;
	size_t len = 99;
	buf_init(&b);
	ck_assert_ptr_null(b.data);
	char *s = buf_finish(&b, &len);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(len, 0);
	/* finish hands the data over and leaves the buffer empty and reusable */
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	free(s);
	buf_puts(&b, "again");
	s = buf_finish(&b, NULL);
	ck_assert_str_eq(s, "again");
	free(s);
}
END_TEST

/* One byte at a time past many doublings: the content is intact, always
 * NUL-terminated, and the capacity stays a power of two from 256. */
START_TEST(growth)
{
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < 100000; i++) {
		buf_putc(&b, (char)('a' + i % 26));
		CHECK(b.len == i + 1 && b.data[b.len] == '\0', "at %zu: len %zu", i, b.len);
		CHECK(b.cap > b.len && b.cap >= 256 && (b.cap & (b.cap - 1)) == 0, "at %zu: cap %zu", i, b.cap);
	}
	ck_assert(!b.oom);
	for (size_t i = 0; i < 100000; i++)
		CHECK(b.data[i] == (char)('a' + i % 26), "byte %zu", i);
	size_t len;
	char *s = buf_finish(&b, &len);
	ck_assert_uint_eq(len, 100000);
	ck_assert_uint_eq(strlen(s), 100000);
	free(s);
}
END_TEST

START_TEST(append_binary_and_exact_fit)
{
	struct buf b;
	buf_init(&b);
	char block[255];
	memset(block, 'x', sizeof(block));
	/* 255 bytes and the NUL fill the first 256 exactly */
	buf_append(&b, block, sizeof(block));
	ck_assert_uint_eq(b.cap, 256);
	buf_putc(&b, 'y');
	ck_assert_uint_eq(b.cap, 512);
	ck_assert_uint_eq(b.len, 256);
	ck_assert_int_eq(b.data[255], 'y');
	/* embedded NULs are kept: the length, not strlen, counts */
	buf_append(&b, "a\0b", 3);
	ck_assert_uint_eq(b.len, 259);
	ck_assert_mem_eq(b.data + 256, "a\0b", 4);
	buf_append(&b, "", 0);
	ck_assert_uint_eq(b.len, 259);
	buf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(printf_short_and_long)
{
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%d-%s", 42, "x");
	ck_assert_str_eq(b.data, "42-x");
	/* longer than printf's 256-byte stack buffer: formatted in place */
	char big[1000];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_printf(&b, "[%s]%u", big, 7u);
	ck_assert_uint_eq(b.len, 4 + 1 + 999 + 1 + 1);
	ck_assert_int_eq(b.data[4], '[');
	ck_assert_int_eq(b.data[5 + 998], 'q');
	ck_assert_str_eq(b.data + 5 + 999, "]7");
	buf_printf(&b, "%s", "");
	ck_assert_uint_eq(b.len, 1006);
	buf_free(&b);
}
END_TEST

/* A reservation that cannot be met sets oom (without asking malloc for an
 * impossible size); from then on appends are no-ops, and finish reports it
 * with NULL and frees what was there. */
START_TEST(oom_is_sticky)
{
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "kept so far");
	ck_assert(!buf_reserve(&b, SIZE_MAX / 2 + 1));
	ck_assert(b.oom);
	size_t len = b.len;
	buf_puts(&b, "more");
	buf_putc(&b, 'c');
	buf_printf(&b, "%d", 5);
	jw_str(&b, "s");
	jw_uint(&b, 9);
	jw_num(&b, 1.5);
	ck_assert_uint_eq(b.len, len);
	ck_assert(!buf_reserve(&b, 1));
	size_t out = 77;
	ck_assert_ptr_null(buf_finish(&b, &out));
	ck_assert_uint_eq(out, 77); /* untouched on failure */
	ck_assert(!b.oom);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(oom_on_empty_buffer)
{
	struct buf b;
	buf_init(&b);
	ck_assert(!buf_reserve(&b, SIZE_MAX - 1));
	ck_assert(b.oom);
	ck_assert_ptr_null(buf_finish(&b, NULL));
}
END_TEST

static char *jw(const char *s, size_t n)
{
	struct buf b;
	buf_init(&b);
	jw_strn(&b, s, n);
	return buf_finish(&b, NULL);
}

START_TEST(json_string_escapes)
{
	char *s = jw("", 0);
	ck_assert_str_eq(s, "\"\"");
	free(s);
	s = jw("plain text", 10);
	ck_assert_str_eq(s, "\"plain text\"");
	free(s);
	s = jw("q\"b\\n\nr\rt\t", 10);
	ck_assert_str_eq(s, "\"q\\\"b\\\\n\\nr\\rt\\t\"");
	free(s);
	/* an embedded NUL (jw_strn takes a length) and DEL, which JSON allows */
	s = jw("a\0b\x7f", 4);
	ck_assert_str_eq(s, "\"a\\u0000b\x7f\"");
	free(s);
	/* UTF-8 passes through byte for byte */
	s = jw("\xc3\xa9\xe2\x82\xac", 5);
	ck_assert_str_eq(s, "\"\xc3\xa9\xe2\x82\xac\"");
	free(s);
	/* only the first n bytes */
	s = jw("abc\"def", 3);
	ck_assert_str_eq(s, "\"abc\"");
	free(s);
}
END_TEST

/* Every control character: the short escapes where JSON has them, else
 * \u00XX in lowercase hex; everything from 0x20 up is copied. */
START_TEST(json_string_every_byte)
{
	for (int c = 1; c < 256; c++) {
		char in[3] = {'x', (char)c, 'y'};
		char *s = jw(in, 3);
		char want[16];
		switch (c) {
		case '"': snprintf(want, sizeof(want), "\"x\\\"y\""); break;
		case '\\': snprintf(want, sizeof(want), "\"x\\\\y\""); break;
		case '\n': snprintf(want, sizeof(want), "\"x\\ny\""); break;
		case '\r': snprintf(want, sizeof(want), "\"x\\ry\""); break;
		case '\t': snprintf(want, sizeof(want), "\"x\\ty\""); break;
		default:
			if (c < 0x20)
				snprintf(want, sizeof(want), "\"x\\u%04xy\"", c);
			else
				snprintf(want, sizeof(want), "\"x%cy\"", c);
		}
		ck_assert_msg(strcmp(s, want) == 0, "byte 0x%02x: got %s want %s", c, s, want);
		free(s);
	}
	/* jw_str stops at the NUL */
	struct buf b;
	buf_init(&b);
	jw_str(&b, "ab\0cd");
	ck_assert_str_eq(b.data, "\"ab\"");
	buf_free(&b);
}
END_TEST

/* Escapes around the point where a long run of plain bytes is flushed. */
START_TEST(json_string_long_runs)
{
	char in[3000];
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = i % 700 == 699 ? '\n' : (char)('a' + i % 26);
	char *s = jw(in, sizeof(in));
	struct buf want;
	buf_init(&want);
	buf_putc(&want, '"');
	for (size_t i = 0; i < sizeof(in); i++) {
		if (in[i] == '\n')
			buf_puts(&want, "\\n");
		else
			buf_putc(&want, in[i]);
	}
	buf_putc(&want, '"');
	ck_assert_str_eq(s, want.data);
	free(s);
	buf_free(&want);
}
END_TEST

START_TEST(json_uint)
{
	static const struct {
		uint64_t v;
		const char *s;
	} cases[] = {{0, "0"},
	             {7, "7"},
	             {10, "10"},
	             {4294967295u, "4294967295"},
	             {9007199254740993ull, "9007199254740993"},
	             {UINT64_MAX, "18446744073709551615"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		buf_init(&b);
		buf_putc(&b, '<');
		jw_uint(&b, cases[i].v);
		buf_putc(&b, '>');
		char want[32];
		snprintf(want, sizeof(want), "<%s>", cases[i].s);
		ck_assert_str_eq(b.data, want);
		buf_free(&b);
	}
}
END_TEST

/* jw_num's non-finite guard: JSON has no NaN or infinity. */
START_TEST(json_num_non_finite)
{
	struct buf b;
	buf_init(&b);
	jw_num(&b, NAN);
	buf_putc(&b, ' ');
	jw_num(&b, INFINITY);
	buf_putc(&b, ' ');
	jw_num(&b, -INFINITY);
	buf_putc(&b, ' ');
	jw_num(&b, -0.0);
	buf_putc(&b, ' ');
	jw_num(&b, -2.5);
	ck_assert_str_eq(b.data, "null null null 0 -2.5");
	buf_free(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, empty_finish);
	tcase_add_test(tc, growth);
	tcase_add_test(tc, append_binary_and_exact_fit);
	tcase_add_test(tc, printf_short_and_long);
	tcase_add_test(tc, oom_is_sticky);
	tcase_add_test(tc, oom_on_empty_buffer);
	tcase_add_test(tc, json_string_escapes);
	tcase_add_test(tc, json_string_every_byte);
	tcase_add_test(tc, json_string_long_runs);
	tcase_add_test(tc, json_uint);
	tcase_add_test(tc, json_num_non_finite);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)
