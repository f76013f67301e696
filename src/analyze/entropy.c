/* entropy.c -- byte histograms, Shannon entropy, the Miller-Madow
 * correction and the chi-square test against uniform bytes.
 *
 * The histogram is the hot part: four sub-histograms break the
 * store-to-load dependency that a run of one byte value would put on a
 * single counter, and counts are 64-bit so that no length overflows them.
 * (Moved here from the polymorphic detector, which now calls it.) */
#include <math.h>
#include <string.h>

#include <trawl/analyze.h>

void trawl_analyze_histogram(const uint8_t *p, size_t n, uint64_t hist[256])
{
    uint64_t h4[4][256];
    memset(h4, 0, sizeof h4);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        h4[0][p[i]]++;
        h4[1][p[i + 1]]++;
        h4[2][p[i + 2]]++;
        h4[3][p[i + 3]]++;
    }
    for (; i < n; i++)
        h4[0][p[i]]++;
    for (int b = 0; b < 256; b++)
        hist[b] = h4[0][b] + h4[1][b] + h4[2][b] + h4[3][b];
}

double trawl_analyze_entropy_hist(const uint64_t hist[256], uint64_t n, unsigned *distinct)
{
    unsigned k = 0;
    double h = 0;
    if (n > 0) {
        for (int b = 0; b < 256; b++) {
            if (!hist[b])
                continue;
            k++;
            double q = (double)hist[b] / (double)n;
            h -= q * log2(q);
        }
    }
    if (distinct)
        *distinct = k;
    return h;
}

double trawl_analyze_entropy(const uint8_t *p, size_t n, unsigned *distinct)
{
    uint64_t hist[256];
    trawl_analyze_histogram(p, n, hist);
    return trawl_analyze_entropy_hist(hist, n, distinct);
}

double trawl_analyze_entropy_corrected(double h, unsigned distinct, uint64_t n)
{
    if (n == 0 || distinct < 2)
        return h;
    double c = h + (double)(distinct - 1) / (2.0 * (double)n * M_LN2);
    return c > 8.0 ? 8.0 : c;
}

double trawl_analyze_chi_square(const uint64_t hist[256], uint64_t n)
{
    if (n == 0)
        return 0;
    double e = (double)n / 256.0, s = 0;
    for (int b = 0; b < 256; b++) {
        double d = (double)hist[b] - e;
        s += d * d;
    }
    return s / e;
}

/* Regularized incomplete gamma: P(a, x) by its series when x < a + 1, else
 * Q(a, x) by its continued fraction (modified Lentz). Both converge fast in
 * their region; 500 terms are far more than 255 degrees of freedom need. */
static double gamma_p_series(double a, double x)
{
    double sum = 1.0 / a, term = sum, ap = a;
    for (int i = 0; i < 500; i++) {
        ap += 1;
        term *= x / ap;
        sum += term;
        if (fabs(term) < fabs(sum) * 1e-16)
            break;
    }
    return sum * exp(-x + a * log(x) - lgamma(a));
}

static double gamma_q_fraction(double a, double x)
{
    const double tiny = 1e-300;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < 500; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (fabs(d) < tiny)
            d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-16)
            break;
    }
    return exp(-x + a * log(x) - lgamma(a)) * h;
}

double trawl_analyze_chi_square_p(double x, unsigned dof)
{
    if (!(x > 0) || dof == 0)
        return 1.0;
    double a = dof / 2.0, h = x / 2.0;
    if (h < a + 1)
        return 1.0 - gamma_p_series(a, h);
    return gamma_q_fraction(a, h);
}
