/* db.c -- compiled pattern databases: compile a set through Vectorscan,
 * describe patterns, serialize and load. */
#include "common/error.h"
#include "pattern/internal.h"

#include <stdlib.h>
#include <string.h>

static void db_free_pats(trawl_pattern_db *db)
{
    for (size_t i = 0; i < db->n; i++)
        tpat_clear(&db->pats[i]);
    free(db->pats);
    db->pats = NULL;
    db->n = 0;
}

void trawl_pattern_db_free(trawl_pattern_db *db)
{
    if (!db)
        return;
    db_free_pats(db);
    hs_free_database(db->block);
    hs_free_database(db->stream);
    db->magic = 0;
    free(db);
}

size_t trawl_pattern_db_count(const trawl_pattern_db *db)
{
    return db ? db->n : 0;
}

void db_summarize(trawl_pattern_db *db)
{
    db->max_prog = 0;
    db->max_bounded = 0;
    db->any_unbounded = false;
    for (size_t i = 0; i < db->n; i++) {
        const tpat *t = &db->pats[i];
        if (t->prog && t->prog->n > db->max_prog)
            db->max_prog = t->prog->n;
        if (t->wmax == PAT_INF)
            db->any_unbounded = true;
        else if (t->wmax > db->max_bounded)
            db->max_bounded = t->wmax;
    }
}

/* Variable-width patterns are compiled with HS_FLAG_SOM_LEFTMOST: on Debian's
 * Vectorscan 5.4.9 it avoids a class of missed matches seen without it (for example
 * \x41[\x40-\x4f]*\x42 over certain inputs; see docs/pattern-syntax.md).
 * A pattern Vectorscan refuses with SOM is compiled without it. */
static trawl_status compile_mode(trawl_pattern_db *db, unsigned mode, bool *som,
                                 hs_database_t **out, trawl_error *err)
{
    const char **exprs = malloc(db->n * sizeof(*exprs));
    unsigned *flags = malloc(db->n * sizeof(*flags));
    unsigned *ids = malloc(db->n * sizeof(*ids));
    if (!exprs || !flags || !ids) {
        free(exprs);
        free(flags);
        free(ids);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    bool any_som = false;
    for (size_t i = 0; i < db->n; i++) {
        exprs[i] = db->pats[i].hs_expr;
        flags[i] = HS_FLAG_DOTALL | (som[i] ? HS_FLAG_SOM_LEFTMOST : 0);
        ids[i] = (unsigned)i;
        any_som |= som[i];
    }
    if (mode == HS_MODE_STREAM && any_som)
        mode |= HS_MODE_SOM_HORIZON_LARGE;
    hs_compile_error_t *ce = NULL;
    hs_error_t r = hs_compile_multi(exprs, flags, ids, (unsigned)db->n, mode, NULL, out, &ce);
    free(exprs);
    free(flags);
    free(ids);
    if (r == HS_SUCCESS)
        return TRAWL_OK;
    trawl_status st;
    if (ce && ce->expression >= 0 && som[ce->expression]) {
        som[ce->expression] = false; /* retry without start of match */
        hs_free_compile_error(ce);
        return TRAWL_EUNSUPPORTED;
    }
    if (ce && ce->expression >= 0) {
        st = trawl__fail_at(err, TRAWL_EENGINE, -1, ce->expression,
                            "Vectorscan refused pattern %d: %s", ce->expression, ce->message);
    } else {
        st = trawl__fail(err, r == HS_NOMEM ? TRAWL_ENOMEM : TRAWL_EENGINE,
                         "Vectorscan could not compile the set: %s",
                         ce ? ce->message : "unknown error");
    }
    hs_free_compile_error(ce);
    return st;
}

static trawl_status compile_with_retry(trawl_pattern_db *db, unsigned mode, bool *som,
                                       hs_database_t **out, trawl_error *err)
{
    for (;;) {
        trawl_status st = compile_mode(db, mode, som, out, err);
        if (st != TRAWL_EUNSUPPORTED)
            return st;
    }
}

trawl_status db_compile_hs(trawl_pattern_db *db, trawl_error *err)
{
    bool *som = malloc(db->n * sizeof(*som));
    if (!som)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    for (size_t i = 0; i < db->n; i++)
        som[i] = db->pats[i].prog != NULL;
    /* Block mode with start of match aborts inside Debian's Vectorscan 5.4.9
     * on some inputs (a fortify failure in hs_scan); stream mode does not. So
     * a set with any variable-width pattern is scanned in stream mode even
     * for blocks, and has no block database. */
    bool any_som = false;
    for (size_t i = 0; i < db->n; i++)
        any_som |= som[i];
    trawl_status st = TRAWL_OK;
    if (!any_som)
        st = compile_with_retry(db, HS_MODE_BLOCK, som, &db->block, err);
    if (st == TRAWL_OK)
        st = compile_with_retry(db, HS_MODE_STREAM, som, &db->stream, err);
    free(som);
    return st;
}

trawl_status trawl_pattern_compile(const trawl_pattern_set *set, trawl_pattern_db **out,
                                   trawl_error *err)
{
    trawl_error_clear(err);
    *out = NULL;
    if (!set || set->n == 0)
        return trawl__fail(err, TRAWL_EINVAL, "no patterns to compile");
    trawl_pattern_db *db = calloc(1, sizeof(*db));
    if (!db || !(db->pats = calloc(set->n, sizeof(*db->pats)))) {
        free(db);
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    }
    db->magic = DB_MAGIC;
    trawl_status st = TRAWL_OK;
    for (size_t i = 0; i < set->n && st == TRAWL_OK; i++) {
        st = tpat_copy(&db->pats[i], &set->pats[i]);
        if (st == TRAWL_OK)
            db->n++;
        else
            trawl__fail(err, st, "out of memory");
    }
    if (st == TRAWL_OK)
        st = db_compile_hs(db, err);
    if (st != TRAWL_OK) {
        trawl_pattern_db_free(db);
        return st;
    }
    db_summarize(db);
    *out = db;
    return TRAWL_OK;
}

trawl_status trawl_pattern_compile_one(const char *expr, trawl_pattern_syntax syntax,
                                       unsigned flags, trawl_pattern_db **out, trawl_error *err)
{
    trawl_pattern_set *set;
    *out = NULL;
    if (!expr)
        return trawl__fail(err, TRAWL_EINVAL, "no pattern");
    if (trawl_pattern_set_new(&set) != TRAWL_OK)
        return trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    trawl_status st = trawl_pattern_set_add(set, expr, strlen(expr), syntax, flags, NULL, err);
    if (st == TRAWL_OK)
        st = trawl_pattern_compile(set, out, err);
    trawl_pattern_set_free(set);
    return st;
}

trawl_status trawl_pattern_info_get(const trawl_pattern_db *db, size_t i, trawl_pattern_info *info)
{
    if (!db || !info || i >= db->n)
        return TRAWL_EINVAL;
    const tpat *t = &db->pats[i];
    info->name = t->name;
    info->expression = t->expr;
    info->syntax = t->syntax;
    info->flags = t->flags;
    info->min_width = t->wmin;
    info->max_width = t->wmax;
    info->anchored_start = t->anchored;
    return TRAWL_OK;
}
