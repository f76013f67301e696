/* test_pi_script.c -- the writing systems the learned tier counts
 * (src/detect/prompt_injection/script.c): real sentences of each script,
 * Latin with diacritics, punctuation and emoji counted nowhere, and broken
 * UTF-8 skipped byte by byte without reading past the end. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "detect/prompt_injection/script.h"

typedef struct want {
    const char *text;
    int script; /* PI_N_SCRIPTS: Latin only */
    uint32_t in_script, letters;
} want;

static void test_sentences(void **state)
{
    (void)state;
    static const want cases[] = {
        {"Привет, мир!", PI_SCRIPT_CYRILLIC, 9, 9},
        {"مرحبا بالعالم", PI_SCRIPT_ARABIC, 12, 12},
        {"नमस्ते दुनिया", PI_SCRIPT_DEVANAGARI, 12, 12},
        {"ওহে বিশ্ব", PI_SCRIPT_BENGALI, 8, 8},
        {"สวัสดีชาวโลก", PI_SCRIPT_THAI, 12, 12},
        {"你好，世界。", PI_SCRIPT_HAN, 4, 4}, /* full-width punctuation counts nowhere */
        {"こんにちは", PI_SCRIPT_KANA, 5, 5},
        {"안녕하세요 세계", PI_SCRIPT_HANGUL, 7, 7},
        {"Γειά σου Κόσμε", PI_SCRIPT_OTHER, 12, 12}, /* Greek */
        {"Tiếng Việt rất đẹp", PI_N_SCRIPTS, 0, 15}, /* Latin with diacritics */
        {"Ignore the noise in the data. 42", PI_N_SCRIPTS, 0, 25},
        {"\xf0\x9f\x98\x80 \xe2\x80\x94 ...", PI_N_SCRIPTS, 0, 0}, /* emoji, em dash */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t c[PI_N_SCRIPTS] = {0}, letters = 0;
        pi_script_count((const uint8_t *)cases[i].text, strlen(cases[i].text), c, &letters);
        printf("%-36s letters %2u\n", cases[i].text, letters);
        assert_int_equal(letters, cases[i].letters);
        for (int s = 0; s < PI_N_SCRIPTS; s++)
            assert_int_equal(c[s], s == cases[i].script ? cases[i].in_script : 0);
    }
    /* "こんにちは世界": kana and Han in one text */
    uint32_t c[PI_N_SCRIPTS] = {0}, letters = 0;
    const char *ja = "こんにちは世界";
    pi_script_count((const uint8_t *)ja, strlen(ja), c, &letters);
    assert_int_equal(c[PI_SCRIPT_KANA], 5);
    assert_int_equal(c[PI_SCRIPT_HAN], 2);
    assert_int_equal(letters, 7);
    assert_string_equal(pi_script_names[PI_SCRIPT_HANGUL], "script:hangul");
}

static void test_broken_utf8(void **state)
{
    (void)state;
    /* a lone continuation byte, a truncated two-byte sequence at the end, a
     * lead byte followed by ASCII, an invalid lead (0xff): each skipped
     * alone, the ASCII around them still counted */
    static const uint8_t bad[] = {'a', 0x80, 'b', 0xd0, 'c', 0xff, 0xe4, 0xbd, 'd', 0xd0};
    uint32_t c[PI_N_SCRIPTS] = {0}, letters = 0;
    pi_script_count(bad, sizeof bad, c, &letters);
    assert_int_equal(letters, 4);
    for (int s = 0; s < PI_N_SCRIPTS; s++)
        assert_int_equal(c[s], 0);
    /* every one-byte prefix of a four-byte sequence: nothing counted, no read past n */
    static const uint8_t four[] = {0xf0, 0xa0, 0x80, 0x80}; /* U+20000, Han extension B */
    for (size_t n = 0; n <= 4; n++) {
        uint32_t k[PI_N_SCRIPTS] = {0}, l = 0;
        pi_script_count(four, n, k, &l);
        assert_int_equal(l, n == 4);
        assert_int_equal(k[PI_SCRIPT_HAN], n == 4);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sentences),
        cmocka_unit_test(test_broken_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
