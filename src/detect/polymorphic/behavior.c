/* polymorphic/behavior.c -- the polymorphic detector's dynamic inputs: behaviour
 * event names, a syscall (or API) trace, and memory regions with their
 * permissions. Each rule below says what a combination means; the
 * confidences are documented in docs/detect-polymorphic.md. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "detect/polymorphic/poly_detect.h"

/* ---- syscalls ----------------------------------------------------------------- */

enum {
    SC_MPROTECT = 1u << 0, /* change page protection */
    SC_MMAP = 1u << 1,     /* map / allocate memory */
    SC_EXEC = 1u << 2,     /* run a program */
    SC_PTRACE = 1u << 3,   /* trace or debug a process */
    SC_FORK = 1u << 4,     /* new process */
    SC_MEMFD = 1u << 5,    /* anonymous file in memory */
    SC_WRITEVM = 1u << 6,  /* write another process's memory */
    SC_REMOTE = 1u << 7,   /* start a thread in another process */
};

static const struct {
    const char *name;
    unsigned bit;
} sc_names[] = {
    {"mprotect", SC_MPROTECT},
    {"pkey_mprotect", SC_MPROTECT},
    {"VirtualProtect", SC_MPROTECT},
    {"VirtualProtectEx", SC_MPROTECT},
    {"NtProtectVirtualMemory", SC_MPROTECT},
    {"mmap", SC_MMAP},
    {"mmap2", SC_MMAP},
    {"VirtualAlloc", SC_MMAP},
    {"VirtualAllocEx", SC_MMAP},
    {"NtAllocateVirtualMemory", SC_MMAP},
    {"execve", SC_EXEC},
    {"execveat", SC_EXEC},
    {"fexecve", SC_EXEC},
    {"CreateProcessA", SC_EXEC},
    {"CreateProcessW", SC_EXEC},
    {"CreateProcess", SC_EXEC},
    {"WinExec", SC_EXEC},
    {"NtCreateUserProcess", SC_EXEC},
    {"ptrace", SC_PTRACE},
    {"fork", SC_FORK},
    {"vfork", SC_FORK},
    {"clone", SC_FORK},
    {"clone3", SC_FORK},
    {"memfd_create", SC_MEMFD},
    {"process_vm_writev", SC_WRITEVM},
    {"WriteProcessMemory", SC_WRITEVM},
    {"NtWriteVirtualMemory", SC_WRITEVM},
    {"CreateRemoteThread", SC_REMOTE},
    {"CreateRemoteThreadEx", SC_REMOTE},
    {"NtCreateThreadEx", SC_REMOTE},
    {"QueueUserAPC", SC_REMOTE},
    {"SetThreadContext", SC_REMOTE},
};

static unsigned syscall_bit(const char *s)
{
    /* Traces write "mmap", "mmap(...)" or "sys_mmap": compare the bare name. */
    if (!strncmp(s, "sys_", 4))
        s += 4;
    size_t n = strcspn(s, "( \t");
    for (size_t i = 0; i < sizeof sc_names / sizeof sc_names[0]; i++)
        if (strlen(sc_names[i].name) == n && !strncasecmp(sc_names[i].name, s, n))
            return sc_names[i].bit;
    return 0;
}

/* Where the first syscall of each kind was seen, for the evidence. */
typedef struct seen {
    unsigned mask;
    size_t first[8];
    const char *name[8];
} seen;

static int bit_index(unsigned b)
{
    int i = 0;
    while (b > 1) {
        b >>= 1;
        i++;
    }
    return i;
}

static int ev_calls(trawl_violation *v, const seen *s, unsigned bits)
{
    for (unsigned b = 1; b <= SC_REMOTE; b <<= 1) {
        if (!(bits & b & s->mask))
            continue;
        int i = bit_index(b);
        if (det_evidence(v, "syscall '%s' at index %zu of the trace", s->name[i], s->first[i]))
            return -1;
    }
    return 0;
}

static int syscall_rules(const trawl_detect_input *in, trawl_detector_result *out)
{
    seen s;
    memset(&s, 0, sizeof s);
    for (size_t i = 0; i < in->n_syscalls; i++) {
        unsigned b = in->syscalls[i] ? syscall_bit(in->syscalls[i]) : 0;
        if (!b || (s.mask & b))
            continue;
        s.mask |= b;
        s.first[bit_index(b)] = i;
        s.name[bit_index(b)] = in->syscalls[i];
    }
    unsigned m = s.mask;
    trawl_violation *v;
    if ((m & SC_MEMFD) && (m & SC_EXEC)) {
        v = det_violation(out, "fileless_execution", 0.85,
                          "memfd_create and an exec: a program run from memory, never on disk");
        if (!v || ev_calls(v, &s, SC_MEMFD | SC_EXEC))
            return -1;
    }
    if ((m & SC_WRITEVM) && (m & (SC_REMOTE | SC_PTRACE))) {
        v = det_violation(out, "process_injection", 0.85,
                          "writes another process's memory and takes control of its threads");
        if (!v || ev_calls(v, &s, SC_WRITEVM | SC_REMOTE | SC_PTRACE))
            return -1;
    }
    if ((m & SC_MPROTECT) && (m & SC_MMAP) && (m & SC_EXEC)) {
        v = det_violation(out, "unpack_and_execute", 0.55,
                          "maps memory, changes page protection and executes: the shape of "
                          "unpack-and-exec (also seen at any dynamic program start, so medium "
                          "at most)");
        if (!v || ev_calls(v, &s, SC_MPROTECT | SC_MMAP | SC_EXEC))
            return -1;
    }
    if (m & SC_PTRACE) {
        bool fork = m & SC_FORK;
        v = det_violation(out, "anti_debug_or_injection", fork ? 0.75 : 0.6,
                          fork ? "ptrace with fork/clone: a child tracing its parent (anti-debug) "
                                 "or a parent injecting into its child"
                               : "ptrace: PTRACE_TRACEME anti-debugging or poking another "
                                 "process's memory");
        if (!v || ev_calls(v, &s, SC_PTRACE | SC_FORK))
            return -1;
    }
    return 0;
}

/* ---- memory regions ------------------------------------------------------------- */

static int memory_rules(const trawl_detect_input *in, trawl_detector_result *out)
{
    size_t wx = 0;
    for (size_t i = 0; i < in->n_memory; i++) {
        const char *p = in->memory[i].perms;
        wx += strchr(p, 'w') && strchr(p, 'x');
    }
    if (!wx)
        return 0;
    trawl_violation *v =
        wx >= 2 ? det_violation(out, "wx_memory", 0.75,
                                "%zu memory regions are writable and executable at once: code "
                                "written at run time (unpacking, self-modification, injection)",
                                wx)
                : det_violation(out, "wx_memory", 0.45,
                                "one memory region is writable and executable (JIT compilers do "
                                "this too)");
    if (!v)
        return -1;
    size_t shown = 0;
    for (size_t i = 0; i < in->n_memory && shown < 8; i++) {
        const trawl_memory_region *r = &in->memory[i];
        if (!strchr(r->perms, 'w') || !strchr(r->perms, 'x'))
            continue;
        shown++;
        if (det_evidence(v, "memory[%zu]: 0x%llx..0x%llx (%llu bytes) perms %s", i,
                         (unsigned long long)r->address, (unsigned long long)(r->address + r->size),
                         (unsigned long long)r->size, r->perms))
            return -1;
    }
    return 0;
}

/* ---- behaviour events ----------------------------------------------------------- */

static const struct {
    const char *event;
    const char *category;
    double confidence;
    const char *meaning;
} events[] = {
    {"process_hollowing", "process_injection", 0.9, "a process's image replaced after start"},
    {"process_injection", "process_injection", 0.85, "code written into another process"},
    {"code_injection", "process_injection", 0.85, "code written into another process"},
    {"remote_thread", "process_injection", 0.8, "a thread started in another process"},
    {"reflective_loading", "process_injection", 0.85, "a library loaded from memory"},
    {"write_then_execute", "self_modifying_code", 0.8, "memory written, then executed"},
    {"self_modifying_code", "self_modifying_code", 0.8, "code that rewrites itself"},
    {"self_modify", "self_modifying_code", 0.8, "code that rewrites itself"},
    {"decrypt_and_execute", "self_modifying_code", 0.8, "decrypted bytes executed"},
    {"unpacking", "unpack_and_execute", 0.7, "an unpacking stub ran"},
    {"unpack", "unpack_and_execute", 0.7, "an unpacking stub ran"},
    {"rwx_allocation", "wx_memory", 0.6, "writable+executable memory allocated"},
    {"anti_debug", "anti_debug_or_injection", 0.6, "checks for a debugger"},
    {"debugger_check", "anti_debug_or_injection", 0.6, "checks for a debugger"},
    {"anti_vm", "evasion", 0.5, "checks for a virtual machine or sandbox"},
    {"sandbox_evasion", "evasion", 0.5, "checks for a virtual machine or sandbox"},
};

static bool event_is(const char *got, const char *want)
{
    /* Case-insensitive, '-' and ' ' taken as '_'. */
    for (; *got && *want; got++, want++) {
        char c = (char)tolower((unsigned char)*got);
        if (c == '-' || c == ' ')
            c = '_';
        if (c != *want)
            return false;
    }
    return !*got && !*want;
}

static int event_rules(const trawl_detect_input *in, trawl_detector_result *out)
{
    size_t nev = sizeof events / sizeof events[0];
    for (size_t k = 0; k < nev; k++) {
        trawl_violation *v = NULL;
        for (size_t i = 0; i < in->n_behavior; i++) {
            if (!in->behavior[i] || !event_is(in->behavior[i], events[k].event))
                continue;
            if (!v && !(v = det_violation(out, events[k].category, events[k].confidence,
                                          "behaviour event '%s': %s", events[k].event,
                                          events[k].meaning)))
                return -1;
            if (det_evidence(v, "behavior[%zu] = \"%s\"", i, in->behavior[i]))
                return -1;
            break;
        }
    }
    return 0;
}

int poly_behavior(const trawl_detect_input *in, trawl_detector_result *out)
{
    if (syscall_rules(in, out) || memory_rules(in, out) || event_rules(in, out))
        return -1;
    return 0;
}
