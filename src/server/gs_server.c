/* gs_server.c - the gRPC server object: configuration, the method registry,
 * the listening socket, the epoll loop on the I/O thread (accept, socket
 * events, notifications from workers through an eventfd, deadlines, idle
 * sweeps) and graceful shutdown. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/gtls.h"
#include "common/common.h"
#include "server/gs_internal.h"

#define GS_SWEEP_MS   1000
#define GS_MAX_EVENTS 256

void gs_config_default(gs_config *c)
{
    memset(c, 0, sizeof(*c));
    c->host = "0.0.0.0";
    c->port = 3322;
    c->workers_min = 4;
    c->workers_max = 64;
    c->max_recv_msg = 32u * 1024 * 1024;
    c->max_send_msg = 0x7fffffff;
    c->max_streams = 1000;
    c->max_connections = 10000;
    c->idle_timeout_ms = 3600 * 1000;
    c->write_timeout_ms = 30 * 1000;
    c->handshake_timeout_ms = 10 * 1000;
    c->shutdown_grace_ms = 30 * 1000;
    c->max_header_list = 64u * 1024;
    c->stream_window = 1u << 20;
    c->conn_window = 16u << 20;
    c->out_buffer = 256u * 1024;
}

int gs_server_new(gs_server **out, const gs_config *cfg)
{
    if (!cfg || cfg->port < 0 || cfg->port > 65535 || cfg->max_recv_msg == 0 ||
        cfg->max_recv_msg > 0x7fffffff || cfg->stream_window == 0 ||
        cfg->stream_window > 0x7fffffff || cfg->conn_window > 0x7fffffff)
        return SEAL_EINVAL;
    if (cfg->tls && !gtls_available())
        return SEAL_EUNSUPPORTED;
    gs_server *s = seal_calloc(1, sizeof(*s));
    if (!s)
        return SEAL_ENOMEM;
    s->cfg = *cfg;
    if (s->cfg.out_buffer == 0)
        s->cfg.out_buffer = 256u * 1024;
    if (s->cfg.write_timeout_ms <= 0)
        s->cfg.write_timeout_ms = 30 * 1000;
    if (s->cfg.handshake_timeout_ms <= 0)
        s->cfg.handshake_timeout_ms = 10 * 1000;
    if (s->cfg.max_header_list == 0)
        s->cfg.max_header_list = 64u * 1024;
    if (s->cfg.max_streams == 0)
        s->cfg.max_streams = 1000;
    s->lfd = s->epfd = s->wakefd = s->spare_fd = -1;
    s->lep.kind = GS_EP_LISTEN;
    s->wep.kind = GS_EP_WAKE;
    pthread_mutex_init(&s->nq_mu, NULL);
    pthread_mutex_init(&s->hmu, NULL);
    pthread_cond_init(&s->hcv, NULL);
    int rc = SEAL_ENOMEM;
    s->host = seal_strdup(cfg->host ? cfg->host : "0.0.0.0");
    s->rbuf = seal_malloc(65536);
    s->tbuf = seal_malloc(65536);
    if (!s->host || !s->rbuf || !s->tbuf)
        goto fail;
    rc = SEAL_EIO;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (s->epfd < 0 || s->wakefd < 0)
        goto fail;
    rc = SEAL_ENOMEM;
    if (gs_h2_callbacks_new(&s->cbs) != 0)
        goto fail;
    if (nghttp2_option_new(&s->h2opt) != 0)
        goto fail;
    /* Window updates follow consumption by handlers (flow control). */
    nghttp2_option_set_no_auto_window_update(s->h2opt, 1);
    nghttp2_option_set_max_send_header_block_length(s->h2opt, 256u * 1024);
    rc = gs_pool_new(&s->pool, s->cfg.workers_min > 0 ? s->cfg.workers_min : 4,
                     s->cfg.workers_max > 0 ? s->cfg.workers_max : 64);
    if (rc != 0)
        goto fail;
    *out = s;
    return 0;
fail:
    gs_server_free(s);
    return rc;
}

static void drain_notifications(gs_server *s);

void gs_server_free(gs_server *s)
{
    if (!s)
        return;
    while (s->conns)
        gs_conn_destroy(s->conns);
    if (s->pool) {
        gs_pool_stop(s->pool);
        gs_pool_free(s->pool);
    }
    drain_notifications(s);
    for (size_t i = 0; i < s->mcap; i++) {
        if (s->methods[i]) {
            seal_free((char *)(uintptr_t)s->methods[i]->m.path);
            seal_free(s->methods[i]);
        }
    }
    seal_free(s->methods);
    gw_md_free(&s->extra_hdrs);
    if (s->cbs)
        nghttp2_session_callbacks_del(s->cbs);
    if (s->h2opt)
        nghttp2_option_del(s->h2opt);
    if (s->lfd >= 0)
        close(s->lfd);
    if (s->epfd >= 0)
        close(s->epfd);
    if (s->wakefd >= 0)
        close(s->wakefd);
    if (s->spare_fd >= 0)
        close(s->spare_fd);
    pthread_mutex_destroy(&s->nq_mu);
    pthread_mutex_destroy(&s->hmu);
    pthread_cond_destroy(&s->hcv);
    seal_free(s->rbuf);
    seal_free(s->tbuf);
    seal_free(s->host);
    seal_free(s);
}

/* ------------------------------------------------------------- registry */

static uint64_t hash_str(const char *p)
{
    uint64_t h = 1469598103934665603ULL;
    while (*p) {
        h ^= (unsigned char)*p++;
        h *= 1099511628211ULL;
    }
    return h;
}

static gs_mentry **slot_for(gs_mentry **tab, size_t cap, const char *path)
{
    size_t i = (size_t)hash_str(path) & (cap - 1);
    while (tab[i] && strcmp(tab[i]->m.path, path) != 0)
        i = (i + 1) & (cap - 1);
    return &tab[i];
}

int gs_server_register(gs_server *s, const gs_method *m)
{
    if (!m || !m->path || m->path[0] != '/' || !strchr(m->path + 1, '/') ||
        (unsigned)m->kind > GS_BIDI_STREAM)
        return SEAL_EINVAL;
    if ((s->mcount + 1) * 2 > s->mcap) {
        size_t ncap = s->mcap ? s->mcap * 2 : 64;
        gs_mentry **nt = seal_calloc(ncap, sizeof(*nt));
        if (!nt)
            return SEAL_ENOMEM;
        for (size_t i = 0; i < s->mcap; i++)
            if (s->methods[i])
                *slot_for(nt, ncap, s->methods[i]->m.path) = s->methods[i];
        seal_free(s->methods);
        s->methods = nt;
        s->mcap = ncap;
    }
    gs_mentry **slot = slot_for(s->methods, s->mcap, m->path);
    if (*slot) { /* replace, keeping the path allocation */
        const char *path = (*slot)->m.path;
        (*slot)->m = *m;
        (*slot)->m.path = path;
        return 0;
    }
    gs_mentry *e = seal_calloc(1, sizeof(*e));
    char *path = seal_strdup(m->path);
    if (!e || !path) {
        seal_free(e);
        seal_free(path);
        return SEAL_ENOMEM;
    }
    e->m = *m;
    e->m.path = path;
    *slot = e;
    s->mcount++;
    return 0;
}

const gs_method *gs_server_lookup(gs_server *s, const char *path, bool *service_known)
{
    *service_known = false;
    if (s->mcap == 0)
        return NULL;
    gs_mentry *e = *slot_for(s->methods, s->mcap, path);
    if (e)
        return &e->m;
    const char *slash = path[0] == '/' ? strchr(path + 1, '/') : NULL;
    if (!slash)
        return NULL;
    size_t plen = (size_t)(slash - path) + 1;
    for (size_t i = 0; i < s->mcap; i++) {
        if (s->methods[i] && strncmp(s->methods[i]->m.path, path, plen) == 0) {
            *service_known = true;
            break;
        }
    }
    return NULL;
}

void gs_server_set_interceptor(gs_server *s, gs_interceptor_fn fn, void *ud)
{
    s->icpt = fn;
    s->icpt_ud = ud;
}

int gs_server_add_header(gs_server *s, const char *name, const char *value)
{
    if (!name || !*name || name[0] == ':' || !value)
        return SEAL_EINVAL;
    return gw_md_adds(&s->extra_hdrs, name, value);
}

/* ------------------------------------------------------------- listening */

int gs_server_listen(gs_server *s)
{
    if (s->lfd >= 0)
        return 0;
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, s->host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)s->cfg.port);
        sl = sizeof(*a4);
    } else if (inet_pton(AF_INET6, s->host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)s->cfg.port);
        sl = sizeof(*a6);
    } else if (strcmp(s->host, "localhost") == 0) {
        a4->sin_family = AF_INET;
        a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a4->sin_port = htons((uint16_t)s->cfg.port);
        sl = sizeof(*a4);
    } else {
        SEAL_LOGE("grpc", "cannot parse listen address '%s'", s->host);
        return SEAL_EINVAL;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return SEAL_EIO;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 1024) != 0) {
        SEAL_LOGE("grpc", "cannot listen on %s:%d: %s", s->host, s->cfg.port, strerror(errno));
        close(fd);
        return SEAL_EIO;
    }
    sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    s->port = ntohs(ss.ss_family == AF_INET ? a4->sin_port : a6->sin6_port);
    s->lfd = fd;
    return 0;
}

int gs_server_port(const gs_server *s)
{
    return s->port;
}

static void peer_name(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        port = ntohs(a->sin_port);
        snprintf(out, cap, "%s:%d", ip, port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        port = ntohs(a->sin6_port);
        snprintf(out, cap, "[%s]:%d", ip, port);
    } else {
        snprintf(out, cap, "unknown");
    }
}

static void accept_all(gs_server *s)
{
    for (int i = 0; i < 256; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if ((errno == EMFILE || errno == ENFILE) && s->spare_fd >= 0) {
                /* Out of descriptors: accept and drop, so the backlog does not spin. */
                close(s->spare_fd);
                int tmp = accept(s->lfd, NULL, NULL);
                if (tmp >= 0)
                    close(tmp);
                s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                SEAL_LOGW("grpc", "out of file descriptors: connection refused");
            }
            return;
        }
        if (s->shutting || s->nconns >= s->cfg.max_connections) {
            SEAL_LOGD("grpc", "connection refused: limit of %d reached", s->cfg.max_connections);
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        char peer[64];
        peer_name(&ss, peer, sizeof(peer));
        struct gs_conn *cn;
        if (gs_conn_new(&cn, s, fd, peer) != 0) {
            close(fd);
            continue;
        }
        atomic_fetch_add(&s->st_accepted, 1);
        gs_conn_flush(cn);
    }
}

/* ----------------------------------------------------------- notification */

/* The I/O thread's server while it runs its loop: a notification queued on
 * that thread (an io_inline handler) needs no wake-up, the loop looks at
 * the queue after each round of events. */
static _Thread_local gs_server *tl_io_server;

void gs_server_handler_started(gs_server *s)
{
    pthread_mutex_lock(&s->hmu);
    s->handlers++;
    pthread_mutex_unlock(&s->hmu);
}

void gs_server_handler_done(gs_server *s)
{
    pthread_mutex_lock(&s->hmu);
    if (--s->handlers == 0)
        pthread_cond_broadcast(&s->hcv);
    pthread_mutex_unlock(&s->hmu);
}

void gs_server_notify(gs_call *c)
{
    gs_server *s = c->srv;
    bool wake = false;
    pthread_mutex_lock(&s->nq_mu);
    if (!c->notify_queued) {
        c->notify_queued = true;
        gs_call_ref(c);
        c->nnext = NULL;
        wake = s->nq_head == NULL;
        if (s->nq_tail)
            s->nq_tail->nnext = c;
        else
            s->nq_head = c;
        s->nq_tail = c;
    }
    pthread_mutex_unlock(&s->nq_mu);
    if (tl_io_server == s) {
        s->io_notified = true;
        return;
    }
    if (wake) {
        uint64_t one = 1;
        ssize_t w = write(s->wakefd, &one, sizeof(one));
        SEAL_UNUSED(w);
    }
}

void gs_server_process_notifications(gs_server *s, bool kick)
{
    pthread_mutex_lock(&s->nq_mu);
    gs_call *list = s->nq_head;
    s->nq_head = s->nq_tail = NULL;
    pthread_mutex_unlock(&s->nq_mu);
    /* A call's link is read and its flag cleared under the lock, one at a
     * time: once the flag is clear a worker may queue the call again, which
     * rewrites its link. */
    for (;;) {
        pthread_mutex_lock(&s->nq_mu);
        gs_call *c = list;
        if (c) {
            list = c->nnext;
            c->nnext = NULL;
            c->notify_queued = false;
        }
        pthread_mutex_unlock(&s->nq_mu);
        if (!c)
            break;
        if (kick)
            gs_call_kick(c);
        gs_call_unref(c);
    }
}

static void drain_notifications(gs_server *s)
{
    gs_server_process_notifications(s, false);
}

void gs_conn_mark_dirty(struct gs_conn *cn)
{
    if (cn->dirty || cn->dead)
        return;
    cn->dirty = true;
    cn->dirty_next = cn->srv->dirty;
    cn->srv->dirty = cn;
}

static void flush_dirty(gs_server *s)
{
    while (s->dirty) {
        struct gs_conn *cn = s->dirty;
        s->dirty = cn->dirty_next;
        cn->dirty = false;
        gs_conn_flush(cn);
    }
}

void gs_server_reap(gs_server *s)
{
    while (s->dead) {
        struct gs_conn *cn = s->dead;
        s->dead = cn->dead_next;
        gs_conn_destroy(cn);
    }
}

/* --------------------------------------------------------------- timers */

void gs_server_track_deadline(gs_call *c)
{
    gs_server *s = c->srv;
    if (c->in_dlist || !c->deadline)
        return;
    c->in_dlist = true;
    c->dprev = NULL;
    c->dnext = s->dlist;
    if (s->dlist)
        s->dlist->dprev = c;
    s->dlist = c;
    if (!s->next_deadline || c->deadline < s->next_deadline)
        s->next_deadline = c->deadline;
}

void gs_server_untrack_deadline(gs_call *c)
{
    gs_server *s = c->srv;
    if (!c->in_dlist)
        return;
    if (c->dprev)
        c->dprev->dnext = c->dnext;
    else
        s->dlist = c->dnext;
    if (c->dnext)
        c->dnext->dprev = c->dprev;
    c->dnext = c->dprev = NULL;
    c->in_dlist = false;
}

static void check_deadlines(gs_server *s, int64_t now)
{
    if (!s->next_deadline || now < s->next_deadline)
        return;
    int64_t next = 0;
    for (gs_call *c = s->dlist, *nx; c; c = nx) {
        nx = c->dnext;
        if (c->deadline <= now) {
            gs_call_abort(c, GW_DEADLINE_EXCEEDED, "context deadline exceeded");
            gs_server_untrack_deadline(c);
        } else if (!next || c->deadline < next) {
            next = c->deadline;
        }
    }
    /* Recompute from what is left (abort may have unlinked neighbours). */
    next = 0;
    for (gs_call *c = s->dlist; c; c = c->dnext)
        if (!next || c->deadline < next)
            next = c->deadline;
    s->next_deadline = next;
}

static void sweep(gs_server *s, int64_t now)
{
    for (struct gs_conn *cn = s->conns; cn; cn = cn->next) {
        if (cn->dead)
            continue;
        bool handshaking = (cn->tls && !cn->tls_done) || !cn->h2_started;
        if (handshaking && now - cn->created > s->cfg.handshake_timeout_ms) {
            SEAL_LOGD("grpc", "%s: no handshake within %d ms", cn->peer,
                      s->cfg.handshake_timeout_ms);
            gs_conn_close(cn);
            continue;
        }
        if (s->cfg.idle_timeout_ms > 0 && cn->ncalls == 0 && !cn->goaway &&
            now - cn->last_active > s->cfg.idle_timeout_ms) {
            SEAL_LOGD("grpc", "%s: idle, closing", cn->peer);
            gs_conn_goaway(cn, false);
        }
    }
}

static void begin_shutdown(gs_server *s, int64_t now)
{
    s->shutting = true;
    s->shutdown_deadline = now + (s->cfg.shutdown_grace_ms > 0 ? s->cfg.shutdown_grace_ms : 0);
    if (s->lfd >= 0) {
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->lfd, NULL);
        close(s->lfd);
        s->lfd = -1;
    }
    SEAL_LOGI("grpc", "shutting down: %d connection(s), %llu call(s) in flight", s->nconns,
              (unsigned long long)atomic_load(&s->st_active));
    for (struct gs_conn *cn = s->conns; cn; cn = cn->next) {
        if ((cn->tls && !cn->tls_done) || !cn->h2_started)
            gs_conn_close(cn);
        else
            gs_conn_goaway(cn, true);
    }
}

/* ----------------------------------------------------------------- loop */

int gs_server_run(gs_server *s)
{
    int rc = gs_server_listen(s);
    if (rc != 0)
        return rc;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->lep};
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) != 0)
        return SEAL_EIO;
    ev.data.ptr = &s->wep;
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->wakefd, &ev) != 0)
        return SEAL_EIO;
    s->running = true;
    tl_io_server = s;
    s->next_sweep = gw_now_ms() + GS_SWEEP_MS;
    struct epoll_event evs[GS_MAX_EVENTS];
    rc = 0;
    for (;;) {
        int64_t now = gw_now_ms();
        int64_t next = s->next_sweep;
        if (s->next_deadline && s->next_deadline < next)
            next = s->next_deadline;
        if (s->shutting && s->shutdown_deadline < next)
            next = s->shutdown_deadline;
        int timeout = next > now ? (int)SEAL_MIN(next - now, (int64_t)GS_SWEEP_MS) : 0;
        if (s->io_notified)
            timeout = 0; /* queued by this thread after the last look */
        int n = epoll_wait(s->epfd, evs, GS_MAX_EVENTS, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            SEAL_LOGE("grpc", "epoll_wait: %s", strerror(errno));
            rc = SEAL_EIO;
            break;
        }
        for (int i = 0; i < n; i++) {
            gs_ep *tag = evs[i].data.ptr;
            if (tag->kind == GS_EP_LISTEN) {
                if (s->lfd >= 0)
                    accept_all(s);
            } else if (tag->kind == GS_EP_WAKE) {
                uint64_t v;
                ssize_t r = read(s->wakefd, &v, sizeof(v));
                SEAL_UNUSED(r);
                gs_server_process_notifications(s, true);
            } else {
                gs_conn_on_event((struct gs_conn *)tag, evs[i].events);
            }
        }
        if (s->io_notified) {
            s->io_notified = false;
            gs_server_process_notifications(s, true);
        }
        now = gw_now_ms();
        if (atomic_load(&s->stop_req) && !s->shutting)
            begin_shutdown(s, now);
        check_deadlines(s, now);
        if (now >= s->next_sweep) {
            sweep(s, now);
            s->next_sweep = now + GS_SWEEP_MS;
        }
        if (s->shutting) {
            for (struct gs_conn *cn = s->conns; cn; cn = cn->next)
                if (!cn->dead && cn->ncalls == 0)
                    gs_conn_mark_dirty(cn); /* flush closes it when nothing is left */
            if (now >= s->shutdown_deadline) {
                for (struct gs_conn *cn = s->conns; cn; cn = cn->next)
                    gs_conn_close(cn);
            }
        }
        flush_dirty(s);
        gs_server_reap(s);
        if (s->shutting && s->nconns == 0)
            break;
    }
    tl_io_server = NULL;
    /* Workers finish what they hold (their calls are cancelled by now), and
     * so do deferred calls (their completion comes from another thread). */
    gs_pool_stop(s->pool);
    pthread_mutex_lock(&s->hmu);
    while (s->handlers > 0)
        pthread_cond_wait(&s->hcv, &s->hmu);
    pthread_mutex_unlock(&s->hmu);
    drain_notifications(s);
    gs_server_reap(s);
    s->running = false;
    SEAL_LOGI("grpc", "server stopped");
    return rc;
}

void gs_server_stop(gs_server *s)
{
    atomic_store(&s->stop_req, 1);
    uint64_t one = 1;
    ssize_t w = write(s->wakefd, &one, sizeof(one));
    SEAL_UNUSED(w);
}

static gs_server *g_signal_server;

static void on_signal(int sig)
{
    SEAL_UNUSED(sig);
    if (g_signal_server)
        gs_server_stop(g_signal_server);
}

int gs_server_install_signals(gs_server *s)
{
    g_signal_server = s;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
        return SEAL_EIO;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

void gs_server_stats(gs_server *s, gs_stats *out)
{
    out->connections = atomic_load(&s->st_conns);
    out->accepted = atomic_load(&s->st_accepted);
    out->calls = atomic_load(&s->st_calls);
    out->active_calls = atomic_load(&s->st_active);
    out->workers = (uint64_t)gs_pool_threads(s->pool);
}
