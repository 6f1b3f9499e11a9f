/* log.c - leveled logging to a file descriptor, as text or JSON lines.
 * One write(2) per line so that lines from threads never interleave. */
#include "common/common.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static atomic_int g_level = SEAL_LOG_INFO;
static atomic_int g_json;
static atomic_int g_fd = 2;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void seal_log_set_level(enum seal_log_level level)
{
    atomic_store(&g_level, (int)level);
}

void seal_log_set_json(int on)
{
    atomic_store(&g_json, on != 0);
}

void seal_log_set_fd(int fd)
{
    atomic_store(&g_fd, fd);
}

int seal_log_level_parse(const char *s, enum seal_log_level *out)
{
    for (int i = 0; i < (int)SEAL_ARRAY_LEN(level_names); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum seal_log_level)i;
            return 0;
        }
    }
    return SEAL_EINVAL;
}

bool seal_log_enabled(enum seal_log_level level)
{
    return (int)level <= atomic_load(&g_level);
}

/* Appends |s| to |buf| as the body of a JSON string (without quotes). */
static size_t json_escape(char *buf, size_t cap, size_t pos, const char *s)
{
    for (; *s && pos + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[pos++] = '\\';
            buf[pos++] = (char)c;
        } else if (c < 0x20) {
            pos += (size_t)snprintf(buf + pos, cap - pos, "\\u%04x", c);
        } else {
            buf[pos++] = (char)c;
        }
    }
    return pos;
}

void seal_log(enum seal_log_level level, const char *component, const char *fmt, ...)
{
    char msg[2048], line[4608];
    struct timespec ts;
    struct tm tm;
    size_t n;
    va_list ap;

    if (!seal_log_enabled(level))
        return;
    int saved_errno = errno;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char when[96];
    snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    const char *lv = level_names[level <= SEAL_LOG_DEBUG ? level : SEAL_LOG_DEBUG];
    if (atomic_load(&g_json)) {
        n = (size_t)snprintf(line, sizeof(line), "{\"ts\":\"%s\",\"level\":\"%s\",\"component\":\"",
                             when, lv);
        n = json_escape(line, sizeof(line), n, component ? component : "");
        n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"msg\":\"");
        n = json_escape(line, sizeof(line), n, msg);
        n += (size_t)snprintf(line + n, sizeof(line) - n, "\"}\n");
    } else {
        n = (size_t)snprintf(line, sizeof(line), "%s %-5s [%s] %s\n", when, lv,
                             component ? component : "-", msg);
    }
    if (n >= sizeof(line))
        n = sizeof(line) - 1;
    ssize_t w = write(atomic_load(&g_fd), line, n);
    (void)w;
    errno = saved_errno;
}
