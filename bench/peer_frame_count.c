/* peer_frame_count.c -- the library side of `trawl frame tlv --count`: map
 * the file, count its TLV records with trawl_frame_iter_next_batch, print
 * the count. The yardstick for the command's whole-process figure in
 * bench/shell.sh (the CLI should cost little more than this).
 *
 *   peer_frame_count FILE */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <trawl/trawl.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: peer_frame_count FILE\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
        perror(argv[1]);
        return 2;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
    trawl_frame_tlv_opts o = {.type_size = 1, .length_size = 1};
    trawl_framer *f;
    trawl_frame_iter *it;
    if (trawl_frame_tlv_new(&o, &f, NULL) != TRAWL_OK ||
        trawl_frame_iter_new(f, 0, &it, NULL) != TRAWL_OK)
        return 2;
    trawl_frame_iter_reset(it, p, (size_t)st.st_size);
    static trawl_frame_unit u[256];
    unsigned long long n = 0;
    size_t k;
    while ((k = trawl_frame_iter_next_batch(it, u, 256)) > 0)
        n += k;
    printf("%llu\n", n);
    trawl_frame_iter_free(it);
    trawl_framer_free(f);
    munmap(p, (size_t)st.st_size);
    close(fd);
    return 0;
}
