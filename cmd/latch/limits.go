package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"
	"golang.org/x/net/netutil"
)

// limitsConfig bounds what clients can make latch serve hold: time,
// connections and memory. Every field is optional.
type limitsConfig struct {
	// RequestTimeout bounds a request to Latch's own endpoints, from its
	// headers to the end of the answer: the body must arrive, the answer
	// be computed and be written within it (default 30s). A guarded app's
	// requests get it as a grace period instead; see upstream.
	RequestTimeout string `yaml:"requestTimeout"`
	// StoreTimeout bounds each database or Redis call (default 5s): a
	// database that stops answering fails requests fast.
	StoreTimeout string `yaml:"storeTimeout"`
	// MaxConnections bounds the client connections served at once; more
	// wait to be accepted. Default: what the file descriptor limit allows
	// (half of it with an upstream app, which needs a second connection per
	// request), keeping some for the database and logs.
	MaxConnections int `yaml:"maxConnections"`
	// MemoryLimit is the Go runtime's soft memory limit, e.g. 512MiB, or
	// "off". Default: 80% of the container's memory limit (cgroup), or
	// 512MiB without one. GOMEMLIMIT, when set, wins.
	MemoryLimit string `yaml:"memoryLimit"`
}

// Defaults of limitsConfig.
const (
	defaultRequestTimeout = 30 * time.Second
	defaultStoreTimeout   = 5 * time.Second
	defaultMemoryLimit    = 512 << 20
	// reservedFiles are file descriptors kept for the database, Redis,
	// the log and the metrics listener.
	reservedFiles = 64
)

// limits is the resolved limits section.
type limits struct {
	requestTimeout time.Duration
	storeTimeout   time.Duration
	maxConnections int   // 0: from the file descriptor limit
	memoryLimit    int64 // 0: default, -1: off
}

// resolveLimits checks the limits section and fills in the defaults.
func (c *config) resolveLimits() []error {
	var errs []error
	l := c.Limits
	var err error
	if c.limits.requestTimeout, err = c.duration("limits.requestTimeout", l.RequestTimeout); err != nil {
		errs = append(errs, err)
	}
	if c.limits.requestTimeout == 0 {
		c.limits.requestTimeout = defaultRequestTimeout
	}
	if c.limits.storeTimeout, err = c.duration("limits.storeTimeout", l.StoreTimeout); err != nil {
		errs = append(errs, err)
	}
	if c.limits.storeTimeout == 0 {
		c.limits.storeTimeout = defaultStoreTimeout
	}
	if l.MaxConnections < 0 {
		errs = append(errs, fmt.Errorf("%s: limits.maxConnections %d: want a positive number (or none for the default)", c.where("limits.maxConnections"), l.MaxConnections))
	}
	c.limits.maxConnections = l.MaxConnections
	switch v := strings.TrimSpace(l.MemoryLimit); v {
	case "":
	case "off":
		c.limits.memoryLimit = -1
	default:
		n, err := humanize.ParseBytes(v)
		if err != nil || n < 32<<20 || n > 1<<50 {
			errs = append(errs, fmt.Errorf("%s: limits.memoryLimit %q: want a size of 32MiB or more, like 512MiB or 2GiB, or off", c.where("limits.memoryLimit"), l.MemoryLimit))
		}
		c.limits.memoryLimit = int64(n)
	}
	return errs
}

// applyMemoryLimit sets the Go runtime's soft memory limit, so that the
// heap (password hashing takes about 19 MiB per check) cannot grow past
// what the container allows before the collector works harder. It returns
// the limit set, 0 when GOMEMLIMIT decides or the limit is off.
func applyMemoryLimit(getenv func(string) string, l limits, log *slog.Logger) int64 {
	if getenv("GOMEMLIMIT") != "" || l.memoryLimit < 0 {
		return 0
	}
	limit := l.memoryLimit
	if limit == 0 {
		limit = defaultMemoryLimit
		if c := cgroupMemory(); c > 0 {
			limit = c / 10 * 8
		}
	}
	debug.SetMemoryLimit(limit)
	log.Debug("memory limit", "bytes", limit)
	return limit
}

// cgroupMemory is the memory limit of the process's cgroup (v2, then
// v1), or 0 when there is none.
func cgroupMemory() int64 {
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || n <= 0 || n >= 1<<60 { // "max", or v1's "unlimited"
			return 0
		}
		return n
	}
	return 0
}

// maxConnections is the number of client connections to serve at once:
// the configured one, or what the file descriptor limit allows.
func maxConnections(l limits, guarding bool) int {
	if l.maxConnections > 0 {
		return l.maxConnections
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<20 {
		return 1 << 16
	}
	n := int(rl.Cur) - reservedFiles
	if guarding {
		n /= 2
	}
	return max(n, 8)
}

// limitListener bounds the connections ln hands out at once to n.
func limitListener(ln net.Listener, n int) net.Listener {
	return netutil.LimitListener(ln, n)
}

// withDeadline bounds the handling of a request to Latch's own endpoints
// by d: store calls and callbacks see the deadline in the request's
// context. (The server's ReadTimeout and WriteTimeout bound the body and
// the answer on the wire.)
func withDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
