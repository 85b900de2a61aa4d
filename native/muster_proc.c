/*
 * What Node has no API for: the credentials of the process at the other end of a Unix
 * socket (SO_PEERCRED), becoming the reaper of orphaned descendants
 * (PR_SET_CHILD_SUBREAPER), and reaping one of them (waitpid). Plain Node-API, so it builds
 * against any Node >= 20 without a header package.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <node_api.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#ifdef __APPLE__
#include <sys/un.h>
#include <sys/ucred.h>
#endif

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, err == ENOTSOCK ? "ENOTSOCK" : err == EBADF ? "EBADF" : "EPROC", message);
  return NULL;
}

static int int_arg(napi_env env, napi_callback_info info, int32_t *out) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return 0;
  if (napi_typeof(env, argv[0], &type) != napi_ok || type != napi_number) return 0;
  return napi_get_value_int32(env, argv[0], out) == napi_ok;
}

static void set_int(napi_env env, napi_value obj, const char *key, int64_t value) {
  napi_value v;
  napi_create_int64(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

/* peerCredentials(fd) -> { pid, uid, gid } of the process that connected. */
static napi_value peer_credentials(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!int_arg(env, info, &fd)) {
    napi_throw_type_error(env, NULL, "peerCredentials(fd): fd must be a number");
    return NULL;
  }
  int64_t pid = -1, uid = -1, gid = -1;
#if defined(__linux__)
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return throw_errno(env, "getsockopt(SO_PEERCRED)", errno);
  pid = cred.pid;
  uid = cred.uid;
  gid = cred.gid;
#elif defined(__APPLE__)
  uid_t u;
  gid_t g;
  pid_t p;
  socklen_t len = sizeof p;
  if (getpeereid(fd, &u, &g) != 0) return throw_errno(env, "getpeereid", errno);
  if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &p, &len) != 0) return throw_errno(env, "getsockopt(LOCAL_PEERPID)", errno);
  pid = p;
  uid = u;
  gid = g;
#else
  return throw_errno(env, "peer credentials", ENOSYS);
#endif
  napi_value result;
  napi_create_object(env, &result);
  set_int(env, result, "pid", pid);
  set_int(env, result, "uid", uid);
  set_int(env, result, "gid", gid);
  return result;
}

/* setChildSubreaper() -> true when orphaned descendants now come to this process, not init. */
static napi_value set_child_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  bool ok = false;
#ifdef PR_SET_CHILD_SUBREAPER
  ok = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
#endif
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

/* reapChild(pid) -> true when `pid` was a child that had exited and is now reaped. Never blocks. */
static napi_value reap_child(napi_env env, napi_callback_info info) {
  int32_t pid;
  if (!int_arg(env, info, &pid) || pid <= 0) {
    napi_throw_type_error(env, NULL, "reapChild(pid): pid must be a positive number");
    return NULL;
  }
  int status;
  pid_t r;
  do r = waitpid(pid, &status, WNOHANG); while (r < 0 && errno == EINTR);
  napi_value result;
  napi_get_boolean(env, r == pid, &result);
  return result;
}

/*
 * setUtf8Input(fd) -> true when the terminal of `fd` (a PTY's master) now takes its input as UTF-8
 * (IUTF8: the line editor erases a whole character). node-pty sets it only when it decodes the
 * output to strings itself.
 */
static napi_value set_utf8_input(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!int_arg(env, info, &fd)) {
    napi_throw_type_error(env, NULL, "setUtf8Input(fd): fd must be a number");
    return NULL;
  }
  bool ok = false;
#ifdef IUTF8
  struct termios t;
  if (tcgetattr(fd, &t) == 0) {
    t.c_iflag |= IUTF8;
    ok = tcsetattr(fd, TCSANOW, &t) == 0;
  }
#endif
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "peerCredentials", NULL, peer_credentials, NULL, NULL, NULL, napi_enumerable, NULL },
    { "setChildSubreaper", NULL, set_child_subreaper, NULL, NULL, NULL, napi_enumerable, NULL },
    { "reapChild", NULL, reap_child, NULL, NULL, NULL, napi_enumerable, NULL },
    { "setUtf8Input", NULL, set_utf8_input, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
