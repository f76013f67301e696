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
    hs_free_database(db->fixed_block);
    hs_free_database(db->fixed_stream);
    hs_free_database(db->var_stream);
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
 * Vectorscan 5.4.9 it avoids a class of missed matches seen without it
 * (for example \x41[\x40-\x4f]*\x42 over certain inputs; see
 * docs/pattern-syntax.md). Block mode with start of match, in turn, aborts
 * inside hs_scan on some inputs, so variable-width patterns get a stream
 * database only, which scans blocks too. Fixed-width patterns need neither
 * and keep Vectorscan's fastest path: block mode, no start of match.
 * A pattern Vectorscan refuses with start of match is compiled without. */
typedef struct subset {
    const char **exprs;
    unsigned *flags, *ids;
    unsigned n;
} subset;

static trawl_status compile_subset(const trawl_pattern_db *db, subset *ss, unsigned mode,
                                   hs_database_t **out, trawl_error *err)
{
    for (;;) {
        bool any_som = false;
        for (unsigned i = 0; i < ss->n; i++)
            any_som |= (ss->flags[i] & HS_FLAG_SOM_LEFTMOST) != 0;
        unsigned m = mode | (mode == HS_MODE_STREAM && any_som ? HS_MODE_SOM_HORIZON_LARGE : 0);
        hs_compile_error_t *ce = NULL;
        hs_error_t r = hs_compile_multi(ss->exprs, ss->flags, ss->ids, ss->n, m, NULL, out, &ce);
        if (r == HS_SUCCESS)
            return TRAWL_OK;
        int bad = ce ? ce->expression : -1; /* an index into the subset */
        if (bad >= 0 && (unsigned)bad < ss->n && (ss->flags[bad] & HS_FLAG_SOM_LEFTMOST)) {
            ss->flags[bad] &= ~(unsigned)HS_FLAG_SOM_LEFTMOST; /* retry without */
            hs_free_compile_error(ce);
            continue;
        }
        trawl_status st;
        if (bad >= 0 && (unsigned)bad < ss->n) {
            unsigned id = ss->ids[bad];
            st = trawl__fail_at(err, TRAWL_EENGINE, -1, id, "Vectorscan refused pattern %u: %s",
                                id, ce->message);
        } else {
            st = trawl__fail(err, r == HS_NOMEM ? TRAWL_ENOMEM : TRAWL_EENGINE,
                             "Vectorscan could not compile the set: %s",
                             ce ? ce->message : "unknown error");
        }
        hs_free_compile_error(ce);
        (void)db;
        return st;
    }
}

trawl_status db_compile_hs(trawl_pattern_db *db, trawl_error *err)
{
    subset fx = {0}, vr = {0};
    fx.exprs = malloc(db->n * sizeof(*fx.exprs));
    fx.flags = malloc(db->n * sizeof(*fx.flags));
    fx.ids = malloc(db->n * sizeof(*fx.ids));
    vr.exprs = malloc(db->n * sizeof(*vr.exprs));
    vr.flags = malloc(db->n * sizeof(*vr.flags));
    vr.ids = malloc(db->n * sizeof(*vr.ids));
    trawl_status st = TRAWL_OK;
    if (!fx.exprs || !fx.flags || !fx.ids || !vr.exprs || !vr.flags || !vr.ids)
        st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
    for (size_t i = 0; st == TRAWL_OK && i < db->n; i++) {
        subset *ss = db->pats[i].prog ? &vr : &fx;
        ss->exprs[ss->n] = db->pats[i].hs_expr;
        ss->flags[ss->n] = HS_FLAG_DOTALL | (db->pats[i].prog ? HS_FLAG_SOM_LEFTMOST : 0);
        ss->ids[ss->n] = (unsigned)i;
        ss->n++;
    }
    if (st == TRAWL_OK && fx.n)
        st = compile_subset(db, &fx, HS_MODE_BLOCK, &db->fixed_block, err);
    if (st == TRAWL_OK && fx.n)
        st = compile_subset(db, &fx, HS_MODE_STREAM, &db->fixed_stream, err);
    if (st == TRAWL_OK && vr.n)
        st = compile_subset(db, &vr, HS_MODE_STREAM, &db->var_stream, err);
    free(fx.exprs);
    free(fx.flags);
    free(fx.ids);
    free(vr.exprs);
    free(vr.flags);
    free(vr.ids);
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
