/* peer_hs_scan.c -- the peer of `trawl scan -c` as a whole process: what a
 * user writing straight to Hyperscan would do to count the matches of one
 * pattern in one file. Maps the file, compiles the expression for block
 * mode (HS_FLAG_DOTALL, as trawl does), scans, prints the count.
 *
 *   peer_hs_scan EXPRESSION FILE
 *
 * Links only libhs: it is the yardstick in bench/shell.sh, not part of
 * trawl. */
#include <fcntl.h>
#include <hs/hs.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx)
{
    (void)id, (void)from, (void)to, (void)flags;
    ++*(unsigned long long *)ctx;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: peer_hs_scan EXPRESSION FILE\n");
        return 2;
    }
    int fd = open(argv[2], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0 || st.st_size > 0xffffffffLL) {
        perror(argv[2]);
        return 2;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
    hs_database_t *db;
    hs_compile_error_t *ce;
    if (hs_compile(argv[1], HS_FLAG_DOTALL, HS_MODE_BLOCK, NULL, &db, &ce) != HS_SUCCESS) {
        fprintf(stderr, "compile: %s\n", ce->message);
        return 2;
    }
    hs_scratch_t *s = NULL;
    unsigned long long n = 0;
    if (hs_alloc_scratch(db, &s) != HS_SUCCESS ||
        hs_scan(db, p, (unsigned)st.st_size, 0, s, on_match, &n) != HS_SUCCESS) {
        fprintf(stderr, "scan failed\n");
        return 2;
    }
    printf("%llu\n", n);
    hs_free_scratch(s);
    hs_free_database(db);
    munmap(p, (size_t)st.st_size);
    close(fd);
    return n ? 0 : 1;
}
