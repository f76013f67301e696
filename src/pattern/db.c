/* db.c -- compiled pattern databases: compile a set through Hyperscan,
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

/* Every pattern is compiled with HS_FLAG_DOTALL and without start of match:
 * trawl finds starts itself (fixed width: end - width; otherwise the
 * verifier), which keeps Hyperscan on its fastest path and its compile cheap. */
static trawl_status compile_mode(const trawl_pattern_db *db, unsigned mode, hs_database_t **out,
                                 trawl_error *err)
{
    const char **exprs = malloc(db->n * sizeof(*exprs));
    unsigned *flags = malloc(db->n * sizeof(*flags));
    unsigned *ids = malloc(db->n * sizeof(*ids));
    trawl_status st = TRAWL_OK;
    if (!exprs || !flags || !ids) {
        st = trawl__fail(err, TRAWL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < db->n; i++) {
        exprs[i] = db->pats[i].hs_expr;
        flags[i] = HS_FLAG_DOTALL;
        ids[i] = (unsigned)i;
    }
    hs_compile_error_t *ce = NULL;
    hs_error_t r = hs_compile_multi(exprs, flags, ids, (unsigned)db->n, mode, NULL, out, &ce);
    if (r == HS_SUCCESS)
        goto out;
    if (ce && ce->expression >= 0)
        st = trawl__fail_at(err, TRAWL_EENGINE, -1, ce->expression,
                            "Hyperscan refused pattern %d: %s", ce->expression, ce->message);
    else
        st = trawl__fail(err, r == HS_NOMEM ? TRAWL_ENOMEM : TRAWL_EENGINE,
                         "Hyperscan could not compile the set: %s",
                         ce ? ce->message : "unknown error");
    hs_free_compile_error(ce);
out:
    free(exprs);
    free(flags);
    free(ids);
    return st;
}

trawl_status db_compile_hs(trawl_pattern_db *db, bool block_only, trawl_error *err)
{
    trawl_status st = compile_mode(db, HS_MODE_BLOCK, &db->block, err);
    if (st == TRAWL_OK && !block_only)
        st = compile_mode(db, HS_MODE_STREAM, &db->stream, err);
    return st;
}

trawl_status trawl_pattern_compile(const trawl_pattern_set *set, trawl_pattern_db **out,
                                   trawl_error *err)
{
    return trawl_pattern_compile_ex(set, 0, out, err);
}

trawl_status trawl_pattern_compile_ex(const trawl_pattern_set *set, unsigned flags,
                                      trawl_pattern_db **out, trawl_error *err)
{
    trawl_error_clear(err);
    *out = NULL;
    if (!set || set->n == 0)
        return trawl__fail(err, TRAWL_EINVAL, "no patterns to compile");
    if (flags & ~(unsigned)TRAWL_COMPILE_BLOCK_ONLY)
        return trawl__fail(err, TRAWL_EINVAL, "unknown compile flags 0x%x", flags);
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
        st = db_compile_hs(db, flags & TRAWL_COMPILE_BLOCK_ONLY, err);
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
