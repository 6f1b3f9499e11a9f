/* grpc_load_test.c - the gRPC transport under load and at the edges of its
 * life: hundreds of concurrent streams, thousands of idle connections, a
 * client that stops reading (backpressure and the write timeout), graceful
 * shutdown with a call in flight, and SIGTERM. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "grpc_testsvc.h"

static void test_concurrent_streams_one_conn(void)
{
    tsrv t;
    tsrv_start(&t, NULL);
    gc_conn *c = ts_connect(&t);
    enum { N = 400 };
    gc_stream *s[N];
    for (int i = 0; i < N; i++) {
        CHECK_OK(gc_stream_open(c, TP "Sleep", NULL, &s[i]));
        CHECK_OK(gc_stream_send(s[i], "100", 3));
        CHECK_OK(gc_stream_close_send(s[i]));
    }
    double t0 = t_now();
    int ok = 0;
    for (int i = 0; i < N; i++) {
        uint8_t *m;
        size_t n;
        if (gc_stream_recv(s[i], &m, &n) == 1) {
            ok += (n == 5 && memcmp(m, "slept", 5) == 0);
            seal_free(m);
        }
        gc_status st;
        CHECK_OK(gc_stream_finish(s[i], &st));
        CHECK_INT(st.code, GW_OK);
        gc_status_free(&st);
        gc_stream_free(s[i]);
    }
    double dt = t_now() - t0;
    CHECK_INT(ok, N);
    /* 400 x 100 ms serially would be 40 s; the pool runs them side by side
     * (a behaviour bound, loose enough for a loaded machine, not a timing target). */
    CHECK(dt < 20.0);
    fprintf(stderr, "  %d concurrent 100 ms calls on one connection: %.2f s\n", N, dt);
    gs_stats stt;
    gs_server_stats(t.s, &stt);
    CHECK(stt.workers > 4);
    gc_close(c);
    tsrv_stop(&t);
}

typedef struct worker_arg {
    int port;
    int ok;
} worker_arg;

static void *client_thread(void *a)
{
    worker_arg *w = a;
    gc_conn *c = NULL;
    if (gc_connect(&c, "127.0.0.1", w->port, NULL) != 0)
        return NULL;
    enum { N = 100 };
    gc_stream *s[N];
    int opened = 0;
    for (int i = 0; i < N; i++) {
        char req[32];
        int rl = snprintf(req, sizeof(req), "t%p-%d", (void *)w, i);
        if (gc_stream_open(c, TP "Echo", NULL, &s[i]) != 0)
            break;
        opened++;
        gc_stream_send(s[i], req, (size_t)rl);
        gc_stream_close_send(s[i]);
    }
    for (int i = 0; i < opened; i++) {
        char req[32];
        int rl = snprintf(req, sizeof(req), "t%p-%d", (void *)w, i);
        uint8_t *m;
        size_t n;
        if (gc_stream_recv(s[i], &m, &n) == 1) {
            if (n == (size_t)rl && memcmp(m, req, n) == 0)
                w->ok++;
            seal_free(m);
        }
        gc_status st;
        if (gc_stream_finish(s[i], &st) == 0 && st.code != GW_OK)
            w->ok--;
        gc_status_free(&st);
        gc_stream_free(s[i]);
    }
    gc_close(c);
    return NULL;
}

static void test_concurrent_clients(void)
{
    tsrv t;
    tsrv_start(&t, NULL);
    enum { T = 6 };
    pthread_t th[T];
    worker_arg w[T];
    for (int i = 0; i < T; i++) {
        w[i].port = t.port;
        w[i].ok = 0;
        CHECK(pthread_create(&th[i], NULL, client_thread, &w[i]) == 0);
    }
    int total = 0;
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        total += w[i].ok;
    }
    CHECK_INT(total, T * 100);
    tsrv_stop(&t);
}

static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void test_idle_connections(void)
{
    enum { N = 2000 };
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 2 * N + 200) {
        rl.rlim_cur = SEAL_MIN(rl.rlim_max, (rlim_t)(2 * N + 500));
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    CHECK(rl.rlim_cur >= 2 * N + 200);
    tsrv t;
    tsrv_start(&t, NULL);
    static int fds[N];
    static const char pre[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    const uint8_t settings[] = {0, 0, 0, 4, 0, 0, 0, 0, 0};
    int opened = 0;
    for (int i = 0; i < N; i++) {
        fds[i] = raw_connect(t.port);
        if (fds[i] < 0)
            break;
        opened++;
        if (send(fds[i], pre, 24, 0) != 24 ||
            send(fds[i], settings, sizeof(settings), 0) != (ssize_t)sizeof(settings))
            T_FAIL("send preface %d", i);
    }
    CHECK_INT(opened, N);
    gs_stats st;
    for (int i = 0; i < 500; i++) {
        gs_server_stats(t.s, &st);
        if (st.connections >= (uint64_t)N)
            break;
        usleep(10000);
    }
    CHECK(st.connections >= (uint64_t)N);
    /* a normal call still works, and quickly */
    double t0 = t_now();
    gc_conn *c = ts_connect(&t);
    char resp[16];
    CHECK_INT(ts_unary(c, TP "Echo", "hi", 2, resp, sizeof(resp), NULL), GW_OK);
    CHECK_STR(resp, "hi");
    double dt = t_now() - t0;
    fprintf(stderr, "  call with %d idle connections open: %.1f ms\n", N, dt * 1000);
    gc_close(c);
    /* the idle ones are still open (the server kept them) */
    gs_server_stats(t.s, &st);
    CHECK(st.connections >= (uint64_t)N);
    for (int i = 0; i < opened; i++)
        close(fds[i]);
    for (int i = 0; i < 500; i++) {
        gs_server_stats(t.s, &st);
        if (st.connections == 0)
            break;
        usleep(10000);
    }
    CHECK_INT(st.connections, 0);
    tsrv_stop(&t);
}

static void test_stalled_reader(void)
{
    gs_config cfg;
    gs_config_default(&cfg);
    cfg.write_timeout_ms = 500;
    tsrv t;
    tsrv_start(&t, &cfg);
    int done0 = atomic_load(&ts_stream_done);
    gc_conn *c = ts_connect(&t);
    gc_stream *s;
    /* 200 MiB offered to a client that never reads. */
    CHECK_OK(gc_stream_open(c, TP "SStream", NULL, &s));
    CHECK_OK(gc_stream_send(s, "200 1048576", 11));
    CHECK_OK(gc_stream_close_send(s));
    /* the handler must give up (write timeout) without the server buffering it all */
    double t0 = t_now();
    while (atomic_load(&ts_stream_done) == done0 && t_now() - t0 < 10)
        usleep(20000);
    CHECK(atomic_load(&ts_stream_done) > done0);
    CHECK_INT(atomic_load(&ts_stream_rc), SEAL_ETIMEOUT);
    /* other clients are served meanwhile and afterwards */
    gc_conn *c2 = ts_connect(&t);
    char resp[16];
    CHECK_INT(ts_unary(c2, TP "Echo", "z", 1, resp, sizeof(resp), NULL), GW_OK);
    gc_close(c2);
    /* the stalled stream was reset: reading it now ends with an error status */
    gc_status st;
    CHECK_OK(gc_stream_finish(s, &st));
    CHECK(st.code != GW_OK);
    gc_status_free(&st);
    gc_stream_free(s);
    gc_close(c);
    tsrv_stop(&t);
}

typedef struct stop_arg {
    tsrv *t;
    int delay_ms;
    bool use_signal;
} stop_arg;

static void *stopper(void *a)
{
    stop_arg *sa = a;
    usleep((useconds_t)sa->delay_ms * 1000);
    if (sa->use_signal)
        kill(getpid(), SIGTERM);
    else
        gs_server_stop(sa->t->s);
    return NULL;
}

static void graceful(bool use_signal)
{
    tsrv t;
    tsrv_start(&t, NULL);
    if (use_signal)
        CHECK_OK(gs_server_install_signals(t.s));
    gc_conn *busy = ts_connect(&t);
    gc_conn *idle = ts_connect(&t);
    char resp[16];
    CHECK_INT(ts_unary(idle, TP "Echo", "i", 1, resp, sizeof(resp), NULL), GW_OK);
    int done0 = atomic_load(&ts_sleep_done);
    gc_stream *s;
    CHECK_OK(gc_stream_open(busy, TP "Sleep", NULL, &s));
    CHECK_OK(gc_stream_send(s, "800", 3));
    CHECK_OK(gc_stream_close_send(s));
    gc_poll(busy, 100); /* the call is in the server now */
    pthread_t th;
    stop_arg sa = {&t, 100, use_signal};
    double t0 = t_now();
    CHECK(pthread_create(&th, NULL, stopper, &sa) == 0);
    /* the in-flight call finishes normally */
    uint8_t *m = NULL;
    size_t n = 0;
    CHECK_INT(gc_stream_recv(s, &m, &n), 1);
    CHECK(m && n == 5 && memcmp(m, "slept", 5) == 0);
    seal_free(m);
    gc_status st;
    CHECK_OK(gc_stream_finish(s, &st));
    CHECK_INT(st.code, GW_OK);
    gc_status_free(&st);
    gc_stream_free(s);
    CHECK_INT(atomic_load(&ts_sleep_done), done0 + 1);
    /* the run loop returns once everything is closed */
    pthread_join(th, NULL);
    pthread_join(t.th, NULL);
    t.running = false;
    CHECK_OK(t.run_rc);
    double dt = t_now() - t0;
    /* well under the 30 s grace period: shutdown did not wait for it */
    CHECK(dt < 15.0);
    /* both clients were told (GOAWAY) and closed; no new connections */
    gc_poll(idle, 200);
    CHECK(!gc_alive(idle));
    gc_poll(busy, 200);
    CHECK(!gc_alive(busy));
    CHECK(raw_connect(t.port) < 0);
    gc_close(idle);
    gc_close(busy);
    tsrv_stop(&t);
    if (use_signal)
        signal(SIGTERM, SIG_DFL);
}

static void test_graceful_shutdown(void)
{
    graceful(false);
}

static void test_sigterm(void)
{
    graceful(true);
}

int main(void)
{
    t_init();
    signal(SIGPIPE, SIG_IGN);
    RUN(test_concurrent_streams_one_conn);
    RUN(test_concurrent_clients);
    RUN(test_idle_connections);
    RUN(test_stalled_reader);
    RUN(test_graceful_shutdown);
    RUN(test_sigterm);
    return t_done();
}
