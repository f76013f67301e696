/* libc.h -- declarations only, so that trawl's sources and the small
 * programs compile (never link) for targets whose toolchain ships no C
 * library headers (xtensa-lx106, the Linux cross compilers without
 * libc6-dev-*-cross). The object code is what the architecture trainer
 * reads; calls to these functions stay calls, as in any real program. */
#ifndef FWSHIM_LIBC_H
#define FWSHIM_LIBC_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <float.h>

typedef long ssize_t;
typedef long off_t;
typedef long time_t;
typedef int pid_t;
typedef unsigned mode_t;
typedef int clockid_t;
typedef struct fwshim_file FILE;
struct timespec { time_t tv_sec; long tv_nsec; };
struct stat { unsigned long st_dev, st_ino; mode_t st_mode; unsigned long st_nlink; unsigned st_uid, st_gid; off_t st_size; long st_blksize, st_blocks; struct timespec st_atim, st_mtim, st_ctim; };
typedef struct { long opaque[6]; } pthread_mutex_t;
typedef struct { long opaque[6]; } pthread_cond_t;
typedef struct { long opaque[1]; } pthread_condattr_t;
typedef struct { long opaque[1]; } pthread_mutexattr_t;
typedef struct { long opaque[7]; } pthread_attr_t;
typedef unsigned long pthread_t;
typedef unsigned pthread_key_t;
typedef int pthread_once_t;
typedef struct { unsigned long sig[2]; } sigset_t;
typedef void (*sighandler_t)(int);
#define PTHREAD_MUTEX_INITIALIZER {{0}}
#define PTHREAD_COND_INITIALIZER {{0}}
#define PTHREAD_ONCE_INIT 0
#define EOF (-1)
#define M_LN2 0.69314718055994530942
#define M_PI 3.14159265358979323846
#define M_E 2.7182818284590452354
#define O_NOCTTY 0400
typedef long long off64_t;
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#define BUFSIZ 8192
#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
#define RAND_MAX 2147483647
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_TRUNC 01000
#define O_CLOEXEC 02000000
#define O_NONBLOCK 04000
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 2
#define MAP_SHARED 1
#define MAP_FAILED ((void *)-1)
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define S_IFMT 0170000
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2
#define _SC_NPROCESSORS_ONLN 84
#define _SC_PAGESIZE 30
#define SIGPIPE 13
#define SIGINT 2
#define SIGTERM 15
#define SIG_IGN ((sighandler_t)1)
#define SIG_BLOCK 0
#define GRND_NONBLOCK 1
#define EINTR 4
#define EAGAIN 11
#define ENOMEM 12
#define EINVAL 22
#define ERANGE 34
#define ENOENT 2
#define EIO 5
#define EBADF 9
#define ETIMEDOUT 110
#define HUGE_VAL (__builtin_huge_val())
#define INFINITY (__builtin_inff())
#define NAN (__builtin_nanf(""))
#define isnan(x) __builtin_isnan(x)
#define isinf(x) __builtin_isinf(x)
#define isfinite(x) __builtin_isfinite(x)
#define assert(x) ((void)((x) || (fwshim_assert_fail(#x, __FILE__, __LINE__), 0)))
#define static_assert _Static_assert
#define PRIu64 "llu"
#define PRId64 "lld"
#define PRIx64 "llx"
#define PRIu32 "u"
#define PRIx32 "x"
#define PRIu8 "u"
#define PRIu16 "u"
#define PRIi64 "lld"
#define SCNu64 "llu"
extern int errno;
extern FILE *stdin, *stdout, *stderr;
void fwshim_assert_fail(const char *, const char *, int);

void *memcpy(void *, const void *, size_t);
void *memmove(void *, const void *, size_t);
void *memset(void *, int, size_t);
int memcmp(const void *, const void *, size_t);
void *memchr(const void *, int, size_t);
void *memrchr(const void *, int, size_t);
void *memmem(const void *, size_t, const void *, size_t);
size_t strlen(const char *);
size_t strnlen(const char *, size_t);
int strcmp(const char *, const char *);
int strncmp(const char *, const char *, size_t);
int strcasecmp(const char *, const char *);
int strncasecmp(const char *, const char *, size_t);
char *strcpy(char *, const char *);
char *strncpy(char *, const char *, size_t);
char *strcat(char *, const char *);
char *strchr(const char *, int);
char *strrchr(const char *, int);
char *strstr(const char *, const char *);
char *strpbrk(const char *, const char *);
size_t strspn(const char *, const char *);
size_t strcspn(const char *, const char *);
char *strdup(const char *);
char *strndup(const char *, size_t);
char *strerror(int);
char *strtok_r(char *, const char *, char **);
void *malloc(size_t);
void *calloc(size_t, size_t);
void *realloc(void *, size_t);
void free(void *);
void qsort(void *, size_t, size_t, int (*)(const void *, const void *));
void *bsearch(const void *, const void *, size_t, size_t, int (*)(const void *, const void *));
int abs(int);
long labs(long);
long strtol(const char *, char **, int);
long long strtoll(const char *, char **, int);
unsigned long strtoul(const char *, char **, int);
unsigned long long strtoull(const char *, char **, int);
double strtod(const char *, char **);
float strtof(const char *, char **);
int atoi(const char *);
char *getenv(const char *);
void abort(void);
void exit(int);
int rand(void);
void srand(unsigned);
int snprintf(char *, size_t, const char *, ...);
int vsnprintf(char *, size_t, const char *, va_list);
int sprintf(char *, const char *, ...);
int printf(const char *, ...);
int fprintf(FILE *, const char *, ...);
int vfprintf(FILE *, const char *, va_list);
int fputs(const char *, FILE *);
int fputc(int, FILE *);
int putc(int, FILE *);
int putchar(int);
int puts(const char *);
int fgetc(FILE *);
int getc(FILE *);
char *fgets(char *, int, FILE *);
size_t fwrite(const void *, size_t, size_t, FILE *);
size_t fread(void *, size_t, size_t, FILE *);
FILE *fopen(const char *, const char *);
FILE *fdopen(int, const char *);
FILE *fmemopen(void *, size_t, const char *);
int fclose(FILE *);
int fflush(FILE *);
int fileno(FILE *);
int fseek(FILE *, long, int);
long ftell(FILE *);
int ferror(FILE *);
int feof(FILE *);
void rewind(FILE *);
void perror(const char *);
ssize_t getline(char **, size_t *, FILE *);
int isalpha(int);
int isdigit(int);
int isspace(int);
int isalnum(int);
int isxdigit(int);
int isprint(int);
int isupper(int);
int islower(int);
int iscntrl(int);
int ispunct(int);
int isgraph(int);
int tolower(int);
int toupper(int);
double log(double);
double log2(double);
double log10(double);
double log1p(double);
double exp(double);
double sqrt(double);
double fabs(double);
double floor(double);
double ceil(double);
double pow(double, double);
double round(double);
long lround(double);
double fmin(double, double);
double fmax(double, double);
double tanh(double);
float expf(float);
float logf(float);
float sqrtf(float);
float fabsf(float);
float tanhf(float);
float roundf(float);
float floorf(float);
float log2f(float);
time_t time(time_t *);
int clock_gettime(clockid_t, struct timespec *);
int nanosleep(const struct timespec *, struct timespec *);
ssize_t read(int, void *, size_t);
ssize_t write(int, const void *, size_t);
ssize_t pread(int, void *, size_t, off_t);
int close(int);
int open(const char *, int, ...);
off_t lseek(int, off_t, int);
long sysconf(int);
pid_t getpid(void);
int isatty(int);
int unlink(const char *);
int fstat(int, struct stat *);
int stat(const char *, struct stat *);
void *mmap(void *, size_t, int, int, int, off_t);
int munmap(void *, size_t);
int madvise(void *, size_t, int);
ssize_t getrandom(void *, size_t, unsigned);
sighandler_t signal(int, sighandler_t);
int sigemptyset(sigset_t *);
int sigaddset(sigset_t *, int);
int pthread_sigmask(int, const sigset_t *, sigset_t *);
int pthread_mutex_init(pthread_mutex_t *, const pthread_mutexattr_t *);
int pthread_mutex_lock(pthread_mutex_t *);
int pthread_mutex_unlock(pthread_mutex_t *);
int pthread_mutex_destroy(pthread_mutex_t *);
int pthread_cond_init(pthread_cond_t *, const pthread_condattr_t *);
int pthread_cond_wait(pthread_cond_t *, pthread_mutex_t *);
int pthread_cond_timedwait(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
int pthread_cond_signal(pthread_cond_t *);
int pthread_cond_broadcast(pthread_cond_t *);
int pthread_cond_destroy(pthread_cond_t *);
int pthread_condattr_init(pthread_condattr_t *);
int pthread_condattr_setclock(pthread_condattr_t *, clockid_t);
int pthread_condattr_destroy(pthread_condattr_t *);
int pthread_create(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
int pthread_join(pthread_t, void **);
int pthread_once(pthread_once_t *, void (*)(void));
int pthread_key_create(pthread_key_t *, void (*)(void *));
int pthread_key_delete(pthread_key_t);
void *pthread_getspecific(pthread_key_t);
int pthread_setspecific(pthread_key_t, const void *);
struct option { const char *name; int has_arg; int *flag; int val; };
#define no_argument 0
#define required_argument 1
#define optional_argument 2
extern char *optarg;
extern int optind, opterr, optopt;
int getopt(int, char *const[], const char *);
int getopt_long(int, char *const[], const char *, const struct option *, int *);
typedef unsigned long long XXH64_hash_t;
typedef unsigned XXH32_hash_t;
XXH64_hash_t XXH3_64bits(const void *, size_t);
XXH64_hash_t XXH3_64bits_withSeed(const void *, size_t, XXH64_hash_t);
XXH64_hash_t XXH64(const void *, size_t, XXH64_hash_t);
XXH32_hash_t XXH32(const void *, size_t, XXH32_hash_t);
#endif
