/* sched.c -- a cooperative scheduler with software timers, an event queue,
 * a debounced button state machine and a sorted timer list: the shape of a
 * small RTOS-less main loop. Training material for the architecture
 * classifier. */
#include <stddef.h>
#include <stdint.h>

#define MAX_TASKS  8
#define MAX_TIMERS 16
#define QLEN       32

typedef void (*task_fn)(void *arg);

struct task {
    task_fn fn;
    void *arg;
    uint32_t period, next;
    uint8_t prio, active;
};

struct timer {
    uint32_t due;
    void (*cb)(uint32_t id);
    uint32_t id;
    struct timer *next;
};

static struct task tasks[MAX_TASKS];
static struct timer timers[MAX_TIMERS];
static struct timer *pending;
static volatile uint32_t ticks;
static uint16_t queue[QLEN];
static uint8_t qhead, qtail;

void systick_isr(void)
{
    ticks++;
}

int task_add(task_fn fn, void *arg, uint32_t period, uint8_t prio)
{
    for (int i = 0; i < MAX_TASKS; i++) {
        if (!tasks[i].active) {
            tasks[i] = (struct task){fn, arg, period, ticks + period, prio, 1};
            return i;
        }
    }
    return -1;
}

int timer_start(uint32_t delay, void (*cb)(uint32_t), uint32_t id)
{
    struct timer *t = NULL;
    for (int i = 0; i < MAX_TIMERS; i++)
        if (!timers[i].cb) {
            t = &timers[i];
            break;
        }
    if (!t)
        return -1;
    t->due = ticks + delay;
    t->cb = cb;
    t->id = id;
    struct timer **pp = &pending;
    while (*pp && (int32_t)((*pp)->due - t->due) <= 0)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    return 0;
}

int event_post(uint16_t ev)
{
    uint8_t next = (uint8_t)((qhead + 1) % QLEN);
    if (next == qtail)
        return -1;
    queue[qhead] = ev;
    qhead = next;
    return 0;
}

int event_take(uint16_t *ev)
{
    if (qhead == qtail)
        return 0;
    *ev = queue[qtail];
    qtail = (uint8_t)((qtail + 1) % QLEN);
    return 1;
}

enum btn_state { UP, MAYBE_DOWN, DOWN, MAYBE_UP, HELD };

struct button {
    enum btn_state st;
    uint32_t since;
};

void button_sample(struct button *b, int level, uint16_t id)
{
    uint32_t now = ticks;
    switch (b->st) {
    case UP:
        if (level) {
            b->st = MAYBE_DOWN;
            b->since = now;
        }
        break;
    case MAYBE_DOWN:
        if (!level)
            b->st = UP;
        else if (now - b->since > 20) {
            b->st = DOWN;
            event_post((uint16_t)(0x100 | id));
        }
        break;
    case DOWN:
        if (!level) {
            b->st = MAYBE_UP;
            b->since = now;
        } else if (now - b->since > 800) {
            b->st = HELD;
            event_post((uint16_t)(0x300 | id));
        }
        break;
    case HELD:
    case MAYBE_UP:
        if (level && b->st == MAYBE_UP)
            b->st = DOWN;
        else if (!level && now - b->since > 20) {
            b->st = UP;
            event_post((uint16_t)(0x200 | id));
        }
        break;
    }
}

void scheduler_run_once(void)
{
    uint32_t now = ticks;
    while (pending && (int32_t)(now - pending->due) >= 0) {
        struct timer *t = pending;
        pending = t->next;
        void (*cb)(uint32_t) = t->cb;
        t->cb = NULL;
        cb(t->id);
    }
    int best = -1;
    for (int i = 0; i < MAX_TASKS; i++) {
        if (!tasks[i].active || (int32_t)(now - tasks[i].next) < 0)
            continue;
        if (best < 0 || tasks[i].prio > tasks[best].prio)
            best = i;
    }
    if (best >= 0) {
        tasks[best].next += tasks[best].period;
        tasks[best].fn(tasks[best].arg);
    }
}
