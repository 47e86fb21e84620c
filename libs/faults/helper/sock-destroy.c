/*
 * The reset of a blackhole's established connections inside gameday-at, without a process: the
 * `ss -K` argv the compiler writes is read as its filter and done here through sock_diag (dump
 * the netns' established TCP sockets, SOCK_DESTROY each that matches), which is what ss
 * itself does. Starting ss right after the rules cost 15-30 ms of fork+exec on a busy host; this
 * costs well under a millisecond.
 *
 * Understands exactly the shape the compiler writes (anything else: -2, and gameday-at runs ss):
 *   ss -K -H -t -n state established CLAUSE [and CLAUSE]...
 *   CLAUSE := not dst CIDR | ( TERM [or TERM]... )
 *   TERM   := dst CIDR | dport = :N | sport = :N | ( dport >= :A and dport <= :B ) (sport alike)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sock-destroy.h"

enum { T_DST, T_DPORT, T_SPORT };
struct term {
  int kind;
  unsigned long lo, hi; /* address range (host order) or port range */
};
struct clause {
  int negate, n;
  struct term t[64];
};
#define MAX_CLAUSES 4
static struct clause clauses[MAX_CLAUSES];
static int nclauses;

static int eq(const char *a, const char *b) { return a && strcmp(a, b) == 0; }

static int parse_port(const char *w, unsigned long *p) {
  if (!w || w[0] != ':' || !w[1]) return -1;
  char *end;
  unsigned long v = strtoul(w + 1, &end, 10);
  if (*end || v < 1 || v > 65535) return -1;
  *p = v;
  return 0;
}

static int parse_cidr(const char *w, struct term *t) {
  char buf[32];
  if (!w || strlen(w) >= sizeof buf) return -1;
  strcpy(buf, w);
  char *slash = strchr(buf, '/');
  unsigned long bits = 32;
  if (slash) {
    *slash = '\0';
    char *end;
    bits = strtoul(slash + 1, &end, 10);
    if (*end || bits > 32) return -1;
  }
  struct in_addr a;
  if (inet_pton(AF_INET, buf, &a) != 1) return -1;
  unsigned long mask = bits == 0 ? 0 : (0xffffffffUL << (32 - bits)) & 0xffffffffUL;
  t->kind = T_DST;
  t->lo = ntohl(a.s_addr) & mask;
  t->hi = t->lo | (~mask & 0xffffffffUL);
  return 0;
}

/* One TERM at w[*i]; advances *i. */
static int parse_term(char **w, int n, int *i, struct term *t) {
  if (*i < n && eq(w[*i], "dst")) {
    *i += 2;
    return *i <= n ? parse_cidr(w[*i - 1], t) : -1;
  }
  if (*i + 2 < n && (eq(w[*i], "dport") || eq(w[*i], "sport")) && eq(w[*i + 1], "=")) {
    t->kind = eq(w[*i], "dport") ? T_DPORT : T_SPORT;
    if (parse_port(w[*i + 2], &t->lo)) return -1;
    t->hi = t->lo;
    *i += 3;
    return 0;
  }
  /* ( P >= :A and P <= :B ) */
  if (*i + 8 < n && eq(w[*i], "(") && (eq(w[*i + 1], "dport") || eq(w[*i + 1], "sport")) &&
      eq(w[*i + 2], ">=") && eq(w[*i + 4], "and") && eq(w[*i + 5], w[*i + 1]) && eq(w[*i + 6], "<=") &&
      eq(w[*i + 8], ")")) {
    t->kind = eq(w[*i + 1], "dport") ? T_DPORT : T_SPORT;
    if (parse_port(w[*i + 3], &t->lo) || parse_port(w[*i + 7], &t->hi) || t->lo > t->hi) return -1;
    *i += 9;
    return 0;
  }
  return -1;
}

static int parse(char **w) {
  static const char *head[] = {"ss", "-K", "-H", "-t", "-n", "state", "established"};
  int n = 0;
  while (w[n]) n++;
  for (int k = 0; k < 7; k++)
    if (k >= n || !eq(w[k], head[k])) return -1;
  int i = 7;
  nclauses = 0;
  while (i < n) {
    if (nclauses == MAX_CLAUSES) return -1;
    struct clause *c = &clauses[nclauses++];
    c->negate = 0;
    c->n = 0;
    if (eq(w[i], "not")) {
      c->negate = 1;
      i++;
      if (parse_term(w, n, &i, &c->t[c->n++]) || c->t[0].kind != T_DST) return -1;
    } else {
      if (!eq(w[i], "(")) return -1;
      i++;
      for (;;) {
        if (c->n == 64 || parse_term(w, n, &i, &c->t[c->n++])) return -1;
        if (i < n && eq(w[i], "or")) {
          i++;
          continue;
        }
        if (i < n && eq(w[i], ")")) {
          i++;
          break;
        }
        return -1;
      }
    }
    if (i < n) {
      if (!eq(w[i], "and") || i + 1 == n) return -1;
      i++;
    }
  }
  return nclauses > 0 ? 0 : -1;
}

/*
 * An IPv6 socket counts by its IPv4-mapped addresses (a server bound to :: accepts IPv4 clients
 * as ::ffff:a.b.c.d); a pure IPv6 connection never matches (the rules are IPv4 only).
 */
static int ipv4_of(const struct inet_diag_msg *m, unsigned long *dst) {
  if (m->idiag_family == AF_INET) {
    *dst = ntohl(m->id.idiag_dst[0]);
    return 1;
  }
  const __be32 *a = m->id.idiag_dst;
  if (a[0] || a[1] || ntohl(a[2]) != 0xffff) return 0;
  *dst = ntohl(a[3]);
  return 1;
}

static int matches(const struct inet_diag_msg *m) {
  unsigned long dst;
  if (!ipv4_of(m, &dst)) return 0;
  unsigned long v[3] = {dst, ntohs(m->id.idiag_dport), ntohs(m->id.idiag_sport)};
  for (int c = 0; c < nclauses; c++) {
    int any = 0;
    for (int k = 0; k < clauses[c].n && !any; k++) {
      const struct term *t = &clauses[c].t[k];
      any = v[t->kind] >= t->lo && v[t->kind] <= t->hi;
    }
    if (any == clauses[c].negate) return 0;
  }
  return 1;
}

struct diag_req {
  struct nlmsghdr nlh;
  struct inet_diag_req_v2 r;
};

struct found {
  int family;
  struct inet_diag_sockid id;
};

/* One request, then its answer: 0, or the negative errno the kernel acked with. */
static int destroy_one(int fd, const struct found *f) {
  struct diag_req q;
  memset(&q, 0, sizeof q);
  q.nlh.nlmsg_len = sizeof q;
  q.nlh.nlmsg_type = SOCK_DESTROY;
  q.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  q.r.sdiag_family = f->family;
  q.r.sdiag_protocol = IPPROTO_TCP;
  q.r.idiag_states = ~0U;
  q.r.id = f->id;
  if (send(fd, &q, sizeof q, 0) < 0) return -errno;
  char buf[1024];
  ssize_t r = recv(fd, buf, sizeof buf, 0);
  if (r < 0) return -errno;
  struct nlmsghdr *h = (struct nlmsghdr *)buf;
  if (NLMSG_OK(h, (size_t)r) && h->nlmsg_type == NLMSG_ERROR) return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
  return -EPROTO;
}

/* Appends the family's established TCP sockets that match to *ids; 0 or a negative errno. */
static int dump(int fd, int family, struct found **ids, size_t *nids, size_t *cap) {
  struct diag_req q;
  memset(&q, 0, sizeof q);
  q.nlh.nlmsg_len = sizeof q;
  q.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  q.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  q.r.sdiag_family = family;
  q.r.sdiag_protocol = IPPROTO_TCP;
  q.r.idiag_states = 1U << 1; /* TCP_ESTABLISHED */
  if (send(fd, &q, sizeof q, 0) < 0) return -errno;
  static char buf[32768];
  for (;;) {
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return r < 0 ? -errno : -EPROTO;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)r); h = NLMSG_NEXT(h, r)) {
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (h->nlmsg_type == NLMSG_ERROR) return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
      struct inet_diag_msg *m = NLMSG_DATA(h);
      if (!matches(m)) continue;
      if (*nids == *cap) *ids = realloc(*ids, (*cap *= 2) * sizeof **ids);
      (*ids)[*nids].family = m->idiag_family;
      (*ids)[(*nids)++].id = m->id;
    }
  }
}

int sock_destroy(char **words, FILE *out) {
  if (parse(words)) return -2;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return -errno;
  size_t nids = 0, cap = 64;
  struct found *ids = malloc(cap * sizeof *ids);
  int err = dump(fd, AF_INET, &ids, &nids, &cap);
  /* a kernel without IPv6 has no AF_INET6 sockets to list */
  if (!err) {
    err = dump(fd, AF_INET6, &ids, &nids, &cap);
    if (err == -ENOENT || err == -EAFNOSUPPORT) err = 0;
  }
  /* destroyed after the dumps (not while the kernel walks the table for them), as ss does */
  int count = 0;
  for (size_t k = 0; !err && k < nids; k++) {
    int e = destroy_one(fd, &ids[k]);
    if (e == -ENOENT) continue; /* closed meanwhile */
    if (e) {
      err = e; /* -EOPNOTSUPP: no CONFIG_INET_DIAG_DESTROY (ss would say nothing) */
      break;
    }
    char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
    inet_ntop(ids[k].family, ids[k].id.idiag_src, s, sizeof s);
    inet_ntop(ids[k].family, ids[k].id.idiag_dst, d, sizeof d);
    fprintf(out, "ESTAB %s:%u %s:%u\n", s, ntohs(ids[k].id.idiag_sport), d, ntohs(ids[k].id.idiag_dport));
    count++;
  }
  free(ids);
  close(fd);
  return err ? err : count;
}
