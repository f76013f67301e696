/* hashsort.c -- an open-addressing hash map, insertion and heap sort,
 * binary search, a bitmap allocator and an xorshift generator: data
 * structure code of the kind firmware links. Training material for the
 * architecture classifier. */
#include <stddef.h>
#include <stdint.h>

#define SLOTS 64

struct entry {
    uint32_t key;
    int32_t value;
    uint8_t used;
};

static struct entry map[SLOTS];
static uint32_t bitmap[8];
static uint32_t rng_state = 2463534242u;

static uint32_t mix(uint32_t k)
{
    k ^= k >> 16;
    k *= 0x7feb352du;
    k ^= k >> 15;
    k *= 0x846ca68bu;
    return k ^ (k >> 16);
}

int map_put(uint32_t key, int32_t value)
{
    uint32_t h = mix(key) & (SLOTS - 1);
    for (int probe = 0; probe < SLOTS; probe++, h = (h + 1) & (SLOTS - 1)) {
        if (!map[h].used || map[h].key == key) {
            map[h] = (struct entry){key, value, 1};
            return 0;
        }
    }
    return -1;
}

int map_get(uint32_t key, int32_t *value)
{
    uint32_t h = mix(key) & (SLOTS - 1);
    for (int probe = 0; probe < SLOTS && map[h].used; probe++, h = (h + 1) & (SLOTS - 1))
        if (map[h].key == key) {
            *value = map[h].value;
            return 1;
        }
    return 0;
}

void insertion_sort(int32_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        int32_t v = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

static void sift(int32_t *a, size_t root, size_t n)
{
    for (;;) {
        size_t c = 2 * root + 1;
        if (c >= n)
            return;
        if (c + 1 < n && a[c + 1] > a[c])
            c++;
        if (a[root] >= a[c])
            return;
        int32_t t = a[root];
        a[root] = a[c];
        a[c] = t;
        root = c;
    }
}

void heap_sort(int32_t *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift(a, i, n);
    for (size_t i = n; i-- > 1;) {
        int32_t t = a[0];
        a[0] = a[i];
        a[i] = t;
        sift(a, 0, i);
    }
}

long bsearch_i32(const int32_t *a, size_t n, int32_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && a[lo] == key ? (long)lo : -1;
}

int block_alloc(void)
{
    for (int w = 0; w < 8; w++) {
        if (bitmap[w] == 0xffffffffu)
            continue;
        for (int b = 0; b < 32; b++)
            if (!(bitmap[w] & (1u << b))) {
                bitmap[w] |= 1u << b;
                return w * 32 + b;
            }
    }
    return -1;
}

void block_free(int i)
{
    if (i >= 0 && i < 256)
        bitmap[i / 32] &= ~(1u << (i % 32));
}

uint32_t xorshift32(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

uint32_t checksum_fletcher32(const uint16_t *data, size_t words)
{
    uint32_t s1 = 0xffff, s2 = 0xffff;
    while (words) {
        size_t t = words > 359 ? 359 : words;
        words -= t;
        do {
            s1 += *data++;
            s2 += s1;
        } while (--t);
        s1 = (s1 & 0xffff) + (s1 >> 16);
        s2 = (s2 & 0xffff) + (s2 >> 16);
    }
    return s2 << 16 | s1;
}
